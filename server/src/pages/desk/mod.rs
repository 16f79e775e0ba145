//! The supervisor's desk (审核工作台, issue 8): the review queue, the inspection
//! page as a 现场检查笔录, the evidence viewer, approve/return, and the access log
//! (R-REC-7). Only supervisors and admins of the inspection's agency get in.

pub mod access;
pub mod decide;
pub mod evidence;
pub mod inspection;
pub mod queue;
pub mod rule_names;

use crate::state::AppState;
use crate::storage::Role;

/// Roles that may use the desk.
pub const DESK_ROLES: &[Role] = &[Role::Supervisor, Role::Admin];

/// Routes of the desk, all under `/desk`.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .merge(queue::router())
        .merge(inspection::router())
        .merge(evidence::router())
        .merge(decide::router())
        .merge(access::router())
}
