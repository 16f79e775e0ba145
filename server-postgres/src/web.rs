//! PostgreSQL implementation of [`liuhen_server_store::web::WebStorage`]: form
//! drafts kept across an ended session, and sign-out.

use async_trait::async_trait;
use tokio_postgres::types::Json;

use super::{PgStorage, col, json_col, pg};
use liuhen_server_store::StorageResult;
use liuhen_server_store::web::{FormDraft, WebStorage};

#[async_trait]
impl WebStorage for PgStorage {
    async fn put_form_draft(&self, d: &FormDraft) -> StorageResult<()> {
        self.client()
            .await?
            .execute(
                "INSERT INTO form_drafts (user_id, path, fields, saved_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (user_id, path) DO UPDATE SET fields = excluded.fields,
                 saved_at = excluded.saved_at",
                &[&d.user_id, &d.path, &Json(&d.fields), &d.saved_at],
            )
            .await
            .map_err(pg)?;
        Ok(())
    }

    async fn form_draft(&self, user_id: &str, path: &str) -> StorageResult<Option<FormDraft>> {
        self.client()
            .await?
            .query_opt(
                "SELECT user_id, path, fields, saved_at FROM form_drafts
                 WHERE user_id = $1 AND path = $2",
                &[&user_id, &path],
            )
            .await
            .map_err(pg)?
            .map(|r| {
                Ok(FormDraft {
                    user_id: col(&r, 0)?,
                    path: col(&r, 1)?,
                    fields: json_col(&r, 2)?,
                    saved_at: col(&r, 3)?,
                })
            })
            .transpose()
    }

    async fn delete_form_draft(&self, user_id: &str, path: &str) -> StorageResult<()> {
        self.client()
            .await?
            .execute(
                "DELETE FROM form_drafts WHERE user_id = $1 AND path = $2",
                &[&user_id, &path],
            )
            .await
            .map_err(pg)?;
        Ok(())
    }

    async fn delete_session(&self, token_hash: &str) -> StorageResult<()> {
        self.client()
            .await?
            .execute("DELETE FROM sessions WHERE token_hash = $1", &[&token_hash])
            .await
            .map_err(pg)?;
        Ok(())
    }
}
