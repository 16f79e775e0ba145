//! The server library's benchmarks are the targets under `benches/` (draws, the review
//! queue, legal review): `cargo bench -p liuhen-server-benches --bench draws`. This
//! library holds what the queue and legal benches share: a SQLite store on a runtime
//! of one worker ([`sqlite_bench_store`]) and a median of timed runs ([`median`]).

use std::time::{Duration, Instant};

use liuhen_server::storage::sqlite::SqliteStorage;

/// A tokio runtime of one worker and a new SQLite store `file` in a temporary
/// directory (kept alive by the returned `TempDir`). Panics with the cause: a bench
/// that cannot set up has nothing to measure.
pub fn sqlite_bench_store(
    file: &str,
) -> (tokio::runtime::Runtime, tempfile::TempDir, SqliteStorage) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("runtime: {e}"));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let storage =
        SqliteStorage::open(&dir.path().join(file)).unwrap_or_else(|e| panic!("open: {e}"));
    (rt, dir, storage)
}

/// The median time of `samples` runs of `f`, after `warmup` runs.
pub fn median(warmup: usize, samples: usize, mut f: impl FnMut()) -> Duration {
    for _ in 0..warmup {
        f();
    }
    let mut times: Vec<Duration> = (0..samples)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}
