//! PostgreSQL implementation of [`liuhen_server_store::publicity::PublicityStorage`]
//! (tables of migration 0002). Helper pg-b fills this in; until then every method
//! answers `StorageError::Backend("尚未实现")`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use liuhen_server_store::publicity::{
    CategoryCounts, PublicFilter, PublicationEvent, PublicationStep, PublicityStorage,
    PublishedRow, QueueEntry, StepOutcome,
};

use super::{PgStorage, not_yet};
use liuhen_server_store::StorageResult;

#[async_trait]
impl PublicityStorage for PgStorage {
    async fn publication_step(
        &self,
        _form: Option<&str>,
        _step: &PublicationStep,
    ) -> StorageResult<StepOutcome> {
        Err(not_yet())
    }

    async fn publication_queue(&self, _agency_id: &str) -> StorageResult<Vec<QueueEntry>> {
        Err(not_yet())
    }

    async fn publication_entry(&self, _decision_id: &str) -> StorageResult<Option<QueueEntry>> {
        Err(not_yet())
    }

    async fn publication_events(&self, _decision_id: &str) -> StorageResult<Vec<PublicationEvent>> {
        Err(not_yet())
    }

    async fn search_published(
        &self,
        _filter: &PublicFilter,
        _offset: u64,
        _limit: u32,
    ) -> StorageResult<(Vec<PublishedRow>, u64)> {
        Err(not_yet())
    }

    async fn published_facets(&self) -> StorageResult<(Vec<(String, String)>, Vec<String>)> {
        Err(not_yet())
    }

    async fn year_counts_by_category(
        &self,
        _agency_id: &str,
        _year: i32,
        _from: DateTime<Utc>,
        _to: DateTime<Utc>,
    ) -> StorageResult<Vec<CategoryCounts>> {
        Err(not_yet())
    }
}
