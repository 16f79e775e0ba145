//! The evidence store's behaviour, on a local directory and on a real
//! S3-compatible server (the same checks, [`suite`]).

mod local;
mod s3;
mod suite;
