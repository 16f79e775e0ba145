//! SQLite implementation of [`liuhen_server_store::review::ReviewStorage`].

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};

use super::{SqliteStorage, backend, conflict_or, get_json, get_ts, to_json, ts};
use liuhen_server_store::StorageResult;
use liuhen_server_store::review::{ReviewStorage, ReviewSubmission};

#[async_trait]
impl ReviewStorage for SqliteStorage {
    async fn review_submission(&self, form_id: &str) -> StorageResult<Option<ReviewSubmission>> {
        let form_id = form_id.to_string();
        self.read(move |c| {
            c.query_row(
                "SELECT form_id, inspection_id, user_id, decision, comments, heads_after, at
                 FROM review_submissions WHERE form_id = ?1",
                [form_id],
                |r| {
                    Ok(ReviewSubmission {
                        form_id: r.get(0)?,
                        inspection_id: r.get(1)?,
                        user_id: r.get(2)?,
                        decision: r.get(3)?,
                        comments: r.get(4)?,
                        heads_after: get_json(r, 5)?,
                        at: get_ts(r, 6)?,
                    })
                },
            )
            .optional()
            .map_err(backend)
        })
        .await
    }

    async fn put_review_submission(&self, s: &ReviewSubmission) -> StorageResult<()> {
        let s = s.clone();
        let heads = to_json(&s.heads_after)?;
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO review_submissions
                 (form_id, inspection_id, user_id, decision, comments, heads_after, at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    s.form_id,
                    s.inspection_id,
                    s.user_id,
                    s.decision,
                    s.comments,
                    heads,
                    ts(s.at)
                ],
            )
            .map_err(|e| conflict_or(e, format!("审核表单 {}", s.form_id)))?;
            Ok(())
        })
        .await
    }
}
