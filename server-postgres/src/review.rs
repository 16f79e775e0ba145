//! PostgreSQL implementation of [`liuhen_server_store::review::ReviewStorage`].

use async_trait::async_trait;

use liuhen_server_store::review::{ReviewStorage, ReviewSubmission};

use super::{PgStorage, not_yet};
use liuhen_server_store::StorageResult;

#[async_trait]
impl ReviewStorage for PgStorage {
    async fn review_submission(&self, _form_id: &str) -> StorageResult<Option<ReviewSubmission>> {
        Err(not_yet())
    }

    async fn put_review_submission(&self, _s: &ReviewSubmission) -> StorageResult<()> {
        Err(not_yet())
    }
}
