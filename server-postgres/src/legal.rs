//! PostgreSQL implementation of [`liuhen_server_store::legal::LegalStorage`]
//! (tables of migration 0002). Helper pg-b fills this in; until then every method
//! answers `StorageError::Backend("尚未实现")`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use liuhen_domain::legal::Catalogue;
use liuhen_server_store::legal::{
    CatalogueVersion, DecisionRecord, DisputeRecord, DraftRecord, DraftStatus, ExtensionRecord,
    LegalEvent, LegalStorage, LegalWrite, ReviewRecord, VersionRecord,
};

use super::{PgStorage, not_yet};
use liuhen_server_store::StorageResult;

#[async_trait]
impl LegalStorage for PgStorage {
    async fn apply_legal(&self, _w: &LegalWrite) -> StorageResult<()> {
        Err(not_yet())
    }

    async fn legal_draft(&self, _id: &str) -> StorageResult<Option<DraftRecord>> {
        Err(not_yet())
    }

    async fn legal_drafts(
        &self,
        _agency_id: &str,
        _states: &[DraftStatus],
    ) -> StorageResult<Vec<DraftRecord>> {
        Err(not_yet())
    }

    async fn legal_versions(&self, _draft_id: &str) -> StorageResult<Vec<VersionRecord>> {
        Err(not_yet())
    }

    async fn legal_reviews(&self, _draft_id: &str) -> StorageResult<Vec<ReviewRecord>> {
        Err(not_yet())
    }

    async fn legal_extension(&self, _draft_id: &str) -> StorageResult<Option<ExtensionRecord>> {
        Err(not_yet())
    }

    async fn legal_disputes(&self, _draft_id: &str) -> StorageResult<Vec<DisputeRecord>> {
        Err(not_yet())
    }

    async fn legal_form(&self, _form_id: &str) -> StorageResult<Option<(String, String)>> {
        Err(not_yet())
    }

    async fn legal_events(&self, _draft_id: &str) -> StorageResult<Vec<LegalEvent>> {
        Err(not_yet())
    }

    async fn legal_agency_events(
        &self,
        _agency_id: &str,
        _limit: u32,
    ) -> StorageResult<Vec<LegalEvent>> {
        Err(not_yet())
    }

    async fn catalogue(
        &self,
        _agency_id: &str,
        _version: Option<u32>,
    ) -> StorageResult<Option<CatalogueVersion>> {
        Err(not_yet())
    }

    async fn catalogue_versions(&self, _agency_id: &str) -> StorageResult<Vec<CatalogueVersion>> {
        Err(not_yet())
    }

    async fn add_catalogue(
        &self,
        _agency_id: &str,
        _catalogue: &Catalogue,
        _note: &str,
        _by_user: &str,
        _at: DateTime<Utc>,
    ) -> StorageResult<u32> {
        Err(not_yet())
    }

    async fn decision(&self, _id: &str) -> StorageResult<Option<DecisionRecord>> {
        Err(not_yet())
    }

    async fn decision_of_draft(&self, _draft_id: &str) -> StorageResult<Option<DecisionRecord>> {
        Err(not_yet())
    }

    async fn decisions_of_agency(&self, _agency_id: &str) -> StorageResult<Vec<DecisionRecord>> {
        Err(not_yet())
    }

    async fn calendar_years(&self) -> StorageResult<Vec<(i32, String)>> {
        Err(not_yet())
    }

    async fn put_calendar_year(
        &self,
        _year: i32,
        _json: &str,
        _event: &LegalEvent,
    ) -> StorageResult<()> {
        Err(not_yet())
    }
}
