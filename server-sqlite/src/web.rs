//! SQLite implementation of [`liuhen_server_store::web::WebStorage`].

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};

use super::{SqliteStorage, backend, get_ts, to_json, ts};
use liuhen_server_store::StorageResult;
use liuhen_server_store::web::{FormDraft, WebStorage};

#[async_trait]
impl WebStorage for SqliteStorage {
    async fn put_form_draft(&self, draft: &FormDraft) -> StorageResult<()> {
        let d = draft.clone();
        let fields = to_json(&d.fields)?;
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO form_drafts (user_id, path, fields, saved_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(user_id, path) DO UPDATE SET fields = excluded.fields,
                 saved_at = excluded.saved_at",
                params![d.user_id, d.path, fields, ts(d.saved_at)],
            )
            .map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn form_draft(&self, user_id: &str, path: &str) -> StorageResult<Option<FormDraft>> {
        let (user_id, path) = (user_id.to_string(), path.to_string());
        self.read(move |c| {
            c.query_row(
                "SELECT user_id, path, fields, saved_at FROM form_drafts
                 WHERE user_id = ?1 AND path = ?2",
                params![user_id, path],
                |r| {
                    Ok(FormDraft {
                        user_id: r.get(0)?,
                        path: r.get(1)?,
                        fields: super::get_json(r, 2)?,
                        saved_at: get_ts(r, 3)?,
                    })
                },
            )
            .optional()
            .map_err(backend)
        })
        .await
    }

    async fn delete_form_draft(&self, user_id: &str, path: &str) -> StorageResult<()> {
        let (user_id, path) = (user_id.to_string(), path.to_string());
        self.write(move |tx| {
            tx.execute(
                "DELETE FROM form_drafts WHERE user_id = ?1 AND path = ?2",
                params![user_id, path],
            )
            .map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn delete_session(&self, token_hash: &str) -> StorageResult<()> {
        let token_hash = token_hash.to_string();
        self.write(move |tx| {
            tx.execute("DELETE FROM sessions WHERE token_hash = ?1", [token_hash])
                .map_err(backend)?;
            Ok(())
        })
        .await
    }
}
