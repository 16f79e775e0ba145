//! (being written) The legal review pages.

use crate::state::AppState;

/// Routes of the legal review pages.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
}
