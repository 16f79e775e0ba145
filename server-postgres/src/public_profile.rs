//! PostgreSQL implementation of
//! [`liuhen_server_store::public_profile::PublicProfileStorage`] (tables of migration
//! 0002). Helper pg-b fills this in; until then every method answers
//! `StorageError::Backend("尚未实现")`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use liuhen_domain::model::Agency;
use liuhen_server_store::public_profile::{
    Actor, AppealCounts, AppealKind, ProfileEvent, PublicDocument, PublicProfile,
    PublicProfileStorage, StatsPublication, TaskOutcome, YearCounts,
};

use super::{PgStorage, not_yet};
use liuhen_server_store::StorageResult;

#[async_trait]
impl PublicProfileStorage for PgStorage {
    async fn public_agencies(&self) -> StorageResult<Vec<Agency>> {
        Err(not_yet())
    }

    async fn public_profile(&self, _agency_id: &str) -> StorageResult<Option<PublicProfile>> {
        Err(not_yet())
    }

    async fn put_public_profile(
        &self,
        _profile: &PublicProfile,
        _by_name: &str,
        _detail: &str,
    ) -> StorageResult<()> {
        Err(not_yet())
    }

    async fn public_documents(
        &self,
        _agency_id: &str,
        _include_withdrawn: bool,
    ) -> StorageResult<Vec<PublicDocument>> {
        Err(not_yet())
    }

    async fn public_document(&self, _id: &str) -> StorageResult<Option<PublicDocument>> {
        Err(not_yet())
    }

    async fn add_public_document(
        &self,
        _doc: &PublicDocument,
        _by_name: &str,
        _detail: &str,
    ) -> StorageResult<()> {
        Err(not_yet())
    }

    async fn withdraw_public_document(
        &self,
        _agency_id: &str,
        _id: &str,
        _by: &Actor,
    ) -> StorageResult<()> {
        Err(not_yet())
    }

    async fn appeal_stats(
        &self,
        _agency_id: Option<&str>,
        _year: i32,
    ) -> StorageResult<Vec<(String, AppealKind, AppealCounts)>> {
        Err(not_yet())
    }

    async fn put_appeal_stats(
        &self,
        _agency_id: &str,
        _year: i32,
        _kind: AppealKind,
        _counts: &AppealCounts,
        _by: &Actor,
        _detail: &str,
    ) -> StorageResult<()> {
        Err(not_yet())
    }

    async fn stats_publications(&self, _year: Option<i32>) -> StorageResult<Vec<StatsPublication>> {
        Err(not_yet())
    }

    async fn publish_stats(&self, _publication: &StatsPublication) -> StorageResult<()> {
        Err(not_yet())
    }

    async fn year_counts(
        &self,
        _agency_id: &str,
        _year: i32,
        _from: DateTime<Utc>,
        _to: DateTime<Utc>,
    ) -> StorageResult<YearCounts> {
        Err(not_yet())
    }

    async fn task_outcomes(&self, _task_ids: &[String]) -> StorageResult<Vec<TaskOutcome>> {
        Err(not_yet())
    }

    async fn public_profile_events(
        &self,
        _agency_id: &str,
        _limit: u32,
    ) -> StorageResult<Vec<ProfileEvent>> {
        Err(not_yet())
    }
}
