//! Storage of the signed device logs that devices upload with sync (R-REC-5).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use liuhen_domain::audit::LogEntry;

use super::StorageResult;

/// One log entry as the server keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredLogEntry {
    /// The entry as it arrived.
    pub entry: LogEntry,
    /// ed25519 public key (hex) the device had registered when the entry arrived:
    /// what its signature is checked against.
    pub public_key: String,
    /// When it arrived.
    pub received_at: DateTime<Utc>,
}

/// What became of one upload of entries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogUploadOutcome {
    /// Entries stored for the first time.
    pub stored: usize,
    /// Entries already stored with the same hash (ignored: uploads are idempotent).
    pub duplicates: usize,
    /// Sequence numbers that arrived with another hash than the stored entry (kept
    /// aside as divergent, never written over the first one).
    pub divergent: Vec<u64>,
    /// Highest sequence number held without gaps from 1 after the upload (0 if none).
    pub acked_seq: u64,
}

/// A device that logged entries for an inspection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogDevice {
    /// Device id.
    pub device_id: String,
    /// Its display name (empty if unknown).
    pub device_name: String,
    /// Its entries that belong to the inspection.
    pub entries_for_inspection: usize,
}

/// Storage of device logs (implemented by every backend).
#[async_trait]
pub trait DeviceLogStorage {
    /// Stores entries of one device in one transaction. Every entry must already
    /// carry `device_id`; `public_key` is the device's registered key now. Never
    /// overwrites an entry: a different entry under a stored number goes aside.
    async fn put_log_entries(
        &self,
        device_id: &str,
        public_key: &str,
        entries: &[LogEntry],
        received_at: DateTime<Utc>,
    ) -> StorageResult<LogUploadOutcome>;
    /// Highest sequence number of a device's log held without gaps from 1 (0 if none).
    async fn log_acked_seq(&self, device_id: &str) -> StorageResult<u64>;
    /// Devices of an agency's accounts that logged entries for an inspection, by
    /// device id (another agency's devices are never listed).
    async fn log_devices_for_inspection(
        &self,
        agency_id: &str,
        inspection_id: &str,
    ) -> StorageResult<Vec<LogDevice>>;
    /// (inspection id, agency id) of those of `ids` the server holds.
    async fn doc_agencies(&self, ids: &[String]) -> StorageResult<Vec<(String, String)>>;
    /// A device's whole stored log, by sequence number.
    async fn device_log(&self, device_id: &str) -> StorageResult<Vec<StoredLogEntry>>;
    /// A device's divergent entries, by sequence number.
    async fn divergent_log_entries(&self, device_id: &str) -> StorageResult<Vec<StoredLogEntry>>;
}
