//! Storage of review submissions from the desk: every approve/return form carries a
//! random `form_id`, recorded with its outcome, so a form sent twice (a double
//! click, a resend after a lost answer) is done once (R-REC-5: nothing twice, nothing
//! lost).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StorageResult;

/// One review form that was carried out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewSubmission {
    /// The random id of the form (one per page view).
    pub form_id: String,
    /// The inspection decided.
    pub inspection_id: String,
    /// The supervisor's user id.
    pub user_id: String,
    /// `approved` or `returned`.
    pub decision: String,
    /// How many comments were written with it.
    pub comments: u32,
    /// Heads (hex) of the document after the write.
    pub heads_after: Vec<String>,
    /// When it was carried out.
    pub at: DateTime<Utc>,
}

/// Storage of review submissions (implemented by every backend).
#[async_trait]
pub trait ReviewStorage {
    /// The submission recorded for a form id, if any.
    async fn review_submission(&self, form_id: &str) -> StorageResult<Option<ReviewSubmission>>;
    /// Records a submission; [`super::StorageError::Conflict`] if its form id is
    /// already recorded (the earlier one stays).
    async fn put_review_submission(&self, s: &ReviewSubmission) -> StorageResult<()>;
}
