//! PostgreSQL implementation of [`liuhen_server_store::queue::QueueStorage`] (tables
//! `queue_summaries`, `queue_officers`, `queue_counts` of migration 0001) and
//! [`upsert`], which `commit_sync` calls inside its transaction. Helper pg-b fills
//! this in; until then every method answers `StorageError::Backend("尚未实现")`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use liuhen_domain::model::Officer;
use liuhen_server_store::queue::{
    PageAt, QueueFilter, QueuePage, QueueStorage, QueueSummary, ReviewState,
};

use super::{PgStorage, not_yet};
use liuhen_server_store::StorageResult;

#[async_trait]
impl QueueStorage for PgStorage {
    async fn put_queue_summary(&self, _summary: &QueueSummary) -> StorageResult<bool> {
        Err(not_yet())
    }

    async fn queue_summary(&self, _doc_id: &str) -> StorageResult<Option<QueueSummary>> {
        Err(not_yet())
    }

    async fn promote_due_ranks(&self, _agency_id: &str, _now: DateTime<Utc>) -> StorageResult<u64> {
        Err(not_yet())
    }

    async fn queue_page(
        &self,
        _agency_id: &str,
        _filter: &QueueFilter,
        _at: &PageAt,
        _limit: u32,
        _now: DateTime<Utc>,
    ) -> StorageResult<QueuePage> {
        Err(not_yet())
    }

    async fn queue_counts(&self, _agency_id: &str) -> StorageResult<Vec<(ReviewState, u64)>> {
        Err(not_yet())
    }

    async fn docs_needing_summary(&self, _after: &str, _limit: u32) -> StorageResult<Vec<String>> {
        Err(not_yet())
    }

    async fn inspections_referencing(
        &self,
        _agency_id: &str,
        _sha256: &str,
    ) -> StorageResult<Vec<String>> {
        Err(not_yet())
    }

    async fn roster_officers(&self, _agency_id: &str) -> StorageResult<Vec<Officer>> {
        Err(not_yet())
    }
}

/// Stores a summary (replacing the old one, keeping `queue_counts` in step) inside
/// the caller's transaction: `commit_sync` writes the summary with the document.
pub(crate) async fn upsert(
    _tx: &tokio_postgres::Transaction<'_>,
    _s: &QueueSummary,
) -> StorageResult<()> {
    Err(not_yet())
}
