//! Evidence for the desk: thumbnails and originals (each view logged, R-REC-7).

use crate::state::AppState;

/// Routes of this page.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
}
