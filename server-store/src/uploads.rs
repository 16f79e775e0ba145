//! State of tus evidence uploads (issue 18 item 2): in the database, so that any
//! server instance behind a load balancer can take the next request of an upload.
//! The bytes of an unfinished upload are pieces in the evidence store (one object
//! per piece, named by the upload and the piece's start offset); the database
//! keeps which pieces count.
//!
//! Two rules make several instances safe without any in-process lock:
//! - The offset only moves by [`UploadStorage::advance_upload`], a conditional
//!   update: it succeeds only if the offset still equals the piece's start (and
//!   the upload is not complete), and records the pieces in the same transaction.
//! - One request writes an upload at a time through a lease:
//!   [`UploadStorage::claim_upload`] names the newest request (a running one sees
//!   it is superseded and stops, keeping what it confirmed), and
//!   [`UploadStorage::take_upload_lease`] lets that request write once the previous
//!   holder released the lease or stopped renewing it (its instance died).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::StorageResult;

/// What the server keeps about one upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadRecord {
    /// Upload id (a UUID the server made).
    pub id: String,
    /// Declared SHA-256 (lower-case hex).
    pub sha256: String,
    /// The inspection whose document references the blob.
    pub inspection_id: String,
    /// File name from the metadata.
    pub filename: Option<String>,
    /// Media type from the metadata.
    pub media_type: Option<String>,
    /// `Upload-Metadata` as sent (echoed by HEAD).
    pub metadata: String,
    /// Declared length in bytes.
    pub length: u64,
    /// Bytes confirmed: the pieces recorded cover exactly `0..offset`.
    pub offset: u64,
    /// The uploading account.
    pub user_id: String,
    /// The uploading device.
    pub device_id: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// Last confirmed progress.
    pub updated_at: DateTime<Utc>,
    /// Set once the bytes were verified and stored (or the agency already had them).
    pub completed_at: Option<DateTime<Utc>>,
    /// Set when this upload's own bytes hashed right, before they moved to the
    /// blob's address: only then may a completion after a crash take the stored
    /// blob as this upload's.
    pub verified: bool,
}

/// One confirmed piece of an upload: the bytes `start..end` are the object `key`
/// of the evidence store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadPiece {
    /// First byte offset.
    pub start: u64,
    /// One past the last byte.
    pub end: u64,
    /// Object key in the evidence store.
    pub key: String,
}

/// Answer of [`UploadStorage::take_upload_lease`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lease {
    /// The caller holds the lease (taken or renewed) until the given instant.
    Held,
    /// Another request holds a live lease: wait for it to stop.
    Busy,
    /// A newer request claimed the upload: stop.
    Superseded,
    /// No such upload.
    Gone,
}

impl Lease {
    /// The rule of [`UploadStorage::take_upload_lease`] on the stored row (the same
    /// for every backend): Superseded if `writer` is not the newest claimant, Busy
    /// if another writer holds a lease still live (`lease_live`: its end is after
    /// now), else Held -- the caller then writes `writer`'s lease in the same
    /// transaction.
    pub fn decide(
        writer: &str,
        claimed: Option<&str>,
        holder: Option<&str>,
        lease_live: bool,
    ) -> Lease {
        if claimed != Some(writer) {
            Lease::Superseded
        } else if holder.is_some_and(|h| h != writer) && lease_live {
            Lease::Busy
        } else {
            Lease::Held
        }
    }
}

/// Storage of tus upload state (implemented by every backend).
#[async_trait]
pub trait UploadStorage {
    /// Records a new upload (Conflict if the id exists).
    async fn create_upload(&self, upload: &UploadRecord) -> StorageResult<()>;

    /// One upload by id.
    async fn upload(&self, id: &str) -> StorageResult<Option<UploadRecord>>;

    /// Names `writer` the newest request on the upload: a request holding the
    /// lease sees [`Lease::Superseded`] at its next renewal and stops. False if
    /// there is no such upload.
    async fn claim_upload(&self, id: &str, writer: &str) -> StorageResult<bool>;

    /// The newest claimant of the upload (None: unclaimed or no such upload). A
    /// writer polls it to stop at once when a newer request arrives.
    async fn upload_claimant(&self, id: &str) -> StorageResult<Option<String>>;

    /// In one transaction: if `writer` is not the newest claimant, Superseded;
    /// else if another writer's lease is live at `now`, Busy; else the lease is
    /// `writer`'s until `until` (taken or renewed): Held.
    async fn take_upload_lease(
        &self,
        id: &str,
        writer: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StorageResult<Lease>;

    /// Gives the lease up if `writer` holds it (a no-op otherwise).
    async fn release_upload_lease(&self, id: &str, writer: &str) -> StorageResult<()>;

    /// In one transaction: if the upload is not complete and its offset equals
    /// `from`, records `pieces` (contiguous, the first starting at `from`), moves
    /// the offset to the last piece's end and `updated_at` to `now`: true.
    /// Otherwise changes nothing: false (another request moved it first).
    async fn advance_upload(
        &self,
        id: &str,
        from: u64,
        pieces: &[UploadPiece],
        now: DateTime<Utc>,
    ) -> StorageResult<bool>;

    /// The confirmed pieces in offset order.
    async fn upload_pieces(&self, id: &str) -> StorageResult<Vec<UploadPiece>>;

    /// Marks the upload's own bytes verified (durably, before they move).
    async fn set_upload_verified(&self, id: &str) -> StorageResult<()>;

    /// Marks the upload complete at `now` (offset = length), forgetting its pieces.
    async fn complete_upload(&self, id: &str, now: DateTime<Utc>) -> StorageResult<()>;

    /// Starts the upload over at offset 0 (its bytes were lost); returns the
    /// pieces it forgot.
    async fn restart_upload(&self, id: &str, now: DateTime<Utc>)
    -> StorageResult<Vec<UploadPiece>>;

    /// Deletes the upload and its pieces (a no-op if absent).
    async fn delete_upload(&self, id: &str) -> StorageResult<()>;

    /// Ids of incomplete uploads not updated since `idle_before` and of complete
    /// ones completed before `completed_before`, with no live lease at `now`.
    async fn stale_uploads(
        &self,
        idle_before: DateTime<Utc>,
        completed_before: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StorageResult<Vec<String>>;
}

#[cfg(test)]
mod tests {
    use super::Lease;

    #[test]
    fn the_lease_rule() {
        // Not the newest claimant: stop, whatever the lease.
        assert_eq!(
            Lease::decide("w1", Some("w2"), None, false),
            Lease::Superseded
        );
        assert_eq!(Lease::decide("w1", None, None, false), Lease::Superseded);
        assert_eq!(
            Lease::decide("w1", Some("w2"), Some("w1"), true),
            Lease::Superseded
        );
        // Another writer's live lease: wait; an expired one is taken over.
        assert_eq!(
            Lease::decide("w1", Some("w1"), Some("w2"), true),
            Lease::Busy
        );
        assert_eq!(
            Lease::decide("w1", Some("w1"), Some("w2"), false),
            Lease::Held
        );
        // Free, or the writer's own (renewed).
        assert_eq!(Lease::decide("w1", Some("w1"), None, false), Lease::Held);
        assert_eq!(
            Lease::decide("w1", Some("w1"), Some("w1"), true),
            Lease::Held
        );
    }
}
