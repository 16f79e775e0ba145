//! liuhen's benchmarks are the targets under `benches/` (criterion, or plain timing
//! loops that print markdown for docs/performance.md); this library holds only what
//! several of them print the same way ([`dur`], [`pct`]). Run them through
//! `scripts/bench-*.sh`, or e.g. `cargo bench -p liuhen-benches --bench store`. The
//! server library's benches are the crate liuhen-server-benches (`server-benches/`).

use std::time::Duration;

/// A duration for a table: two decimals under 10 ms, whole ms under 10 s, else s.
pub fn dur(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1e3;
    if ms < 10.0 {
        format!("{ms:.2} ms")
    } else if ms < 10_000.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{:.1} s", ms / 1e3)
    }
}

/// Nearest-rank percentile of sorted samples.
pub fn pct(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}
