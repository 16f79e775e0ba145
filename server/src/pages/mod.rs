//! The HTML pages, in Simplified Chinese: sign-in and the layout ([`web`]), the
//! home page, the supervisor's desk, the legal review pages, the public portal and
//! the staff pages that feed it, and the open data API beside it.
//!
//! Layer rule (issue 17): nothing outside `pages` imports it (checked by
//! `tests/layers.rs`); pages use `services`, `storage` and the infrastructure.

pub mod desk;
pub mod home;
pub mod legal;
pub mod public;
pub mod web;

use axum::routing::get;

use crate::state::AppState;

/// Every page route and the admin API.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/", get(home::home))
        .merge(web::router())
        .merge(desk::router())
        .merge(legal::router())
        .merge(public::router())
}
