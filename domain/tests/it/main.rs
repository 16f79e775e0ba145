//! The domain's integration tests, one binary (issue 17: one link instead of one per
//! file). Each module is one former `tests/*.rs` file.

mod merge_props;
mod vectors;
