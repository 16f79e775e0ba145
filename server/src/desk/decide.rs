//! Approve or return an inspection with per-item comments.

use crate::state::AppState;

/// Routes of this page.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
}
