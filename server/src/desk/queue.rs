//! The review queue (审核队列): filters, attention order, paging.

use crate::state::AppState;

/// Routes of this page.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
}
