//! Storage of the web pages' own state: forms kept across an ended session.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StorageResult;

/// A form whose session had ended when it was sent, kept for its user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormDraft {
    /// The user it is kept for.
    pub user_id: String,
    /// The page it belongs to (e.g. `/desk/inspections/ID`).
    pub path: String,
    /// The fields as typed, in form order (the CSRF token is not kept).
    pub fields: Vec<(String, String)>,
    /// When it was kept.
    pub saved_at: DateTime<Utc>,
}

/// Storage of the web pages (implemented by every backend).
#[async_trait]
pub trait WebStorage {
    /// Keeps a draft (replacing an older one of the same user and page).
    async fn put_form_draft(&self, draft: &FormDraft) -> StorageResult<()>;
    /// The draft of a user for a page, if any (it stays until deleted).
    async fn form_draft(&self, user_id: &str, path: &str) -> StorageResult<Option<FormDraft>>;
    /// Forgets a draft (after it was sent again or dismissed).
    async fn delete_form_draft(&self, user_id: &str, path: &str) -> StorageResult<()>;
    /// Ends a session (sign-out); no error if it is gone already.
    async fn delete_session(&self, token_hash: &str) -> StorageResult<()>;
}
