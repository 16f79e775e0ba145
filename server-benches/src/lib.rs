//! The server library's benchmarks are the targets under `benches/` (draws, the review
//! queue, legal review): `cargo bench -p liuhen-server-benches --bench draws`. This
//! library is empty; it exists so that the crate has a target for its dependencies.
