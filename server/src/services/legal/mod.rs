//! Legal review of major decisions (重大执法决定法制审核, R-LEGAL-1..7): the workflow
//! rules ([`workflow`]), the JSON API ([`api`]), the pages ([`pages`]) and the demo
//! drafts ([`demo`]).

pub mod api;
pub mod calendar;
pub mod demo;
pub mod device;
pub mod pages;
pub mod workflow;

use crate::state::AppState;

/// Routes of the legal workflow (JSON API and pages).
pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .merge(api::router())
        .merge(pages::router())
}
