//! The supervisor's desk (审核工作台, issue 8): the review queue, the inspection
//! page as a 现场检查笔录, the evidence viewer, approve/return, and the access log
//! (R-REC-7). Only supervisors and admins of the inspection's agency get in.

use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use crate::state::AppState;
use crate::storage::Role;
use crate::web::page::WebError;
use crate::web::session::WebUser;

/// Roles that may use the desk.
pub const DESK_ROLES: &[Role] = &[Role::Supervisor, Role::Admin];

/// Routes of the desk, all under `/desk`.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new().route("/desk", get(queue_placeholder))
}

async fn queue_placeholder(user: WebUser) -> Result<Response, WebError> {
    user.require(DESK_ROLES)?;
    Ok(Redirect::to("/").into_response())
}
