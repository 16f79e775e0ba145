//! (being written)

use crate::state::AppState;

/// Routes of this part of the portal.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
}
