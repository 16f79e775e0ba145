//! The public portal (公示, R-PRE-1..4, R-POST-1..7): pages in Simplified Chinese
//! without sign-in, the open data API, and the staff pages that feed them.

pub mod after;
pub mod before;
pub mod open_data;
pub mod page;
pub mod profile_admin;
pub mod publish;
pub mod stats;

use crate::state::AppState;

/// Every public route and the staff publishing pages.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .merge(before::router())
        .merge(stats::router())
        .merge(profile_admin::router())
        .merge(after::router())
        .merge(publish::router())
        .merge(open_data::router())
}
