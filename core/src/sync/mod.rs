//! Sync with the server: the wire types ([`protocol`], from `liuhen-domain`), a transport trait with an
//! HTTP implementation, and the client that runs one batched exchange for all of a
//! device's changed documents, then uploads the evidence the server lacks.
//!
//! Safe to run from a background job or by hand, and idempotent: automerge's sync
//! protocol never applies a change twice, blobs are addressed by hash, and the sync
//! state per document is persisted so an interrupted sync resumes.

pub mod client;
#[cfg(feature = "http")]
pub mod http;
pub(crate) mod quiet;
pub(crate) mod whole;
pub use liuhen_domain::protocol;

pub use client::{Backoff, SyncClient, SyncError, SyncReport, Transport, TransportError};
