//! PostgreSQL implementation of [`liuhen_server_store::web::WebStorage`].

use async_trait::async_trait;

use liuhen_server_store::web::{FormDraft, WebStorage};

use super::{PgStorage, not_yet};
use liuhen_server_store::StorageResult;

#[async_trait]
impl WebStorage for PgStorage {
    async fn put_form_draft(&self, _draft: &FormDraft) -> StorageResult<()> {
        Err(not_yet())
    }

    async fn form_draft(&self, _user_id: &str, _path: &str) -> StorageResult<Option<FormDraft>> {
        Err(not_yet())
    }

    async fn delete_form_draft(&self, _user_id: &str, _path: &str) -> StorageResult<()> {
        Err(not_yet())
    }

    async fn delete_session(&self, _token_hash: &str) -> StorageResult<()> {
        Err(not_yet())
    }
}
