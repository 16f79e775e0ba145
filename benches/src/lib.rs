//! liuhen's benchmarks are the targets under `benches/` (criterion, or plain timing
//! loops that print markdown for docs/performance.md); this library is empty. Run them
//! through `scripts/bench-*.sh`, or e.g. `cargo bench -p liuhen-benches --bench draws`.
