//! The inspection page: the whole record as a 现场检查笔录.

use crate::state::AppState;

/// Routes of this page.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
}
