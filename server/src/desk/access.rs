//! The access log page of an inspection (R-REC-7).

use crate::state::AppState;

/// Routes of this page.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
}
