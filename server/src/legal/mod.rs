//! Legal review of major decisions (重大执法决定法制审核, R-LEGAL-1..7).

pub mod demo;

use crate::state::AppState;

/// Routes of the legal workflow (JSON API and pages).
pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
}
