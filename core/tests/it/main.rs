//! The core's integration tests, one binary (issue 17: one link instead of one per
//! file). Each module is one former `tests/*.rs` file; `common` holds the shared fixtures.

#[path = "../common/mod.rs"]
mod common;
mod crash;
mod evidence;
mod export;
mod lifecycle;
mod location;
mod read_model;
mod store_faults;
