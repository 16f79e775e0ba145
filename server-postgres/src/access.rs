//! PostgreSQL implementation of [`liuhen_server_store::access::AccessStorage`].

use async_trait::async_trait;
use liuhen_server_store::access::{AccessEntry, AccessStorage};

use super::{PgStorage, not_yet};
use liuhen_server_store::StorageResult;

#[async_trait]
impl AccessStorage for PgStorage {
    async fn log_access(&self, _entry: &AccessEntry) -> StorageResult<i64> {
        Err(not_yet())
    }

    async fn access_log(
        &self,
        _agency_id: &str,
        _inspection_id: &str,
        _limit: u32,
        _offset: u32,
    ) -> StorageResult<Vec<AccessEntry>> {
        Err(not_yet())
    }

    async fn access_count(&self, _agency_id: &str, _inspection_id: &str) -> StorageResult<u64> {
        Err(not_yet())
    }
}
