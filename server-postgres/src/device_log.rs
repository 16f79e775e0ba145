//! PostgreSQL implementation of [`liuhen_server_store::device_log::DeviceLogStorage`].

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use liuhen_domain::audit::LogEntry;
use liuhen_server_store::device_log::{
    DeviceLogStorage, LogDevice, LogUploadOutcome, StoredLogEntry,
};

use super::{PgStorage, not_yet};
use liuhen_server_store::StorageResult;

#[async_trait]
impl DeviceLogStorage for PgStorage {
    async fn put_log_entries(
        &self,
        _device_id: &str,
        _public_key: &str,
        _entries: &[LogEntry],
        _received_at: DateTime<Utc>,
    ) -> StorageResult<LogUploadOutcome> {
        Err(not_yet())
    }

    async fn log_acked_seq(&self, _device_id: &str) -> StorageResult<u64> {
        Err(not_yet())
    }

    async fn log_devices_for_inspection(
        &self,
        _agency_id: &str,
        _inspection_id: &str,
    ) -> StorageResult<Vec<LogDevice>> {
        Err(not_yet())
    }

    async fn doc_agencies(&self, _ids: &[String]) -> StorageResult<Vec<(String, String)>> {
        Err(not_yet())
    }

    async fn device_log(&self, _device_id: &str) -> StorageResult<Vec<StoredLogEntry>> {
        Err(not_yet())
    }

    async fn divergent_log_entries(&self, _device_id: &str) -> StorageResult<Vec<StoredLogEntry>> {
        Err(not_yet())
    }
}
