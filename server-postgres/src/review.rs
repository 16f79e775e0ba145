//! PostgreSQL implementation of [`liuhen_server_store::review::ReviewStorage`]:
//! review forms carried out once (R-REC-5).

use async_trait::async_trait;

use super::{PgStorage, col, conflict_or, pg};
use liuhen_server_store::StorageResult;
use liuhen_server_store::review::{ReviewStorage, ReviewSubmission};

#[async_trait]
impl ReviewStorage for PgStorage {
    async fn review_submission(&self, form_id: &str) -> StorageResult<Option<ReviewSubmission>> {
        self.client()
            .await?
            .query_opt(
                "SELECT form_id, inspection_id, user_id, decision, comments, heads_after, at
                 FROM review_submissions WHERE form_id = $1",
                &[&form_id],
            )
            .await
            .map_err(pg)?
            .map(|r| {
                let comments: i64 = col(&r, 4)?;
                Ok(ReviewSubmission {
                    form_id: col(&r, 0)?,
                    inspection_id: col(&r, 1)?,
                    user_id: col(&r, 2)?,
                    decision: col(&r, 3)?,
                    comments: u32::try_from(comments).unwrap_or(0),
                    heads_after: col(&r, 5)?,
                    at: col(&r, 6)?,
                })
            })
            .transpose()
    }

    async fn put_review_submission(&self, s: &ReviewSubmission) -> StorageResult<()> {
        self.client()
            .await?
            .execute(
                "INSERT INTO review_submissions
                 (form_id, inspection_id, user_id, decision, comments, heads_after, at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &[
                    &s.form_id,
                    &s.inspection_id,
                    &s.user_id,
                    &s.decision,
                    &i64::from(s.comments),
                    &s.heads_after,
                    &s.at,
                ],
            )
            .await
            .map_err(|e| conflict_or(e, format!("审核表单 {}", s.form_id)))?;
        Ok(())
    }
}
