//! `GET /legal`: the legal review queue (法制审核队列), by state, most urgent
//! first (overdue, deadline unknown, near, on time; R-LEGAL-5).

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;

use super::{DeadlineView, SECTION, deadline_view, trigger_labels};
use crate::pages::web::page::{Layout, WebError, render};
use crate::pages::web::session::WebUser;
use crate::services::labels::Label;
use crate::services::legal::workflow::{self, DRAFTER_ROLES, READER_ROLES};
use crate::state::AppState;
use crate::storage::Role;
use crate::storage::legal::DraftStatus;

/// Routes: `GET /legal`.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new().route("/legal", get(page))
}

/// The tabs, in order.
const TABS: [DraftStatus; 6] = [
    DraftStatus::InReview,
    DraftStatus::Returned,
    DraftStatus::Disputed,
    DraftStatus::Approved,
    DraftStatus::Drafting,
    DraftStatus::Decided,
];

/// Query of the queue.
#[derive(Debug, Deserialize)]
pub struct QueueQuery {
    /// A [`DraftStatus`] value or `all`.
    pub state: Option<String>,
}

/// One tab.
#[derive(Debug, Clone)]
pub struct Tab {
    /// `state` value.
    pub value: &'static str,
    /// Chinese label.
    pub label: &'static str,
    /// Drafts in it.
    pub count: usize,
    /// Shown now.
    pub current: bool,
}

/// One row of the queue.
#[derive(Debug, Clone)]
pub struct Row {
    /// Draft id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Kind label.
    pub kind: &'static str,
    /// Last submitted version (0: never).
    pub version: u32,
    /// Receipt date of the last submission.
    pub received_on: String,
    /// Deadline of the review under way.
    pub deadline: Option<DeadlineView>,
    /// Why it is major ("" if not or not yet classified).
    pub triggers: String,
    /// Whether it was classified at a submission.
    pub classified: bool,
    /// State value and label.
    pub status: &'static str,
    /// State label.
    pub status_label: &'static str,
}

#[derive(Template)]
#[template(path = "legal/queue.html")]
struct QueuePage {
    layout: Layout,
    tabs: Vec<Tab>,
    all_current: bool,
    total: usize,
    rows: Vec<Row>,
    may_draft: bool,
    is_admin: bool,
}

async fn page(
    State(st): State<AppState>,
    user: WebUser,
    Query(q): Query<QueueQuery>,
) -> Result<Response, WebError> {
    user.require(READER_ROLES)?;
    // Reviewers start on what waits for them; everyone else sees every draft.
    let default = if user.user.role == Role::LegalReviewer {
        "in_review"
    } else {
        "all"
    };
    let state = q.state.as_deref().unwrap_or(default);
    let filter = DraftStatus::parse(state);
    let all = workflow::queue(&st, &user.user, &[]).await?;
    let tabs = TABS
        .iter()
        .map(|s| Tab {
            value: s.as_str(),
            label: s.label(),
            count: all.iter().filter(|r| r.record.status == *s).count(),
            current: filter == Some(*s),
        })
        .collect();
    let rows = all
        .iter()
        .filter(|r| filter.is_none_or(|f| r.record.status == f))
        .map(|r| Row {
            id: r.record.id.clone(),
            title: r.record.title.clone(),
            kind: r.record.kind.label(),
            version: r.record.version,
            received_on: r
                .record
                .received_on
                .map(|d| d.to_string())
                .unwrap_or_default(),
            deadline: r.deadline.as_ref().map(deadline_view),
            triggers: trigger_labels(&r.record.triggers),
            classified: r.record.catalogue_version.is_some(),
            status: r.record.status.as_str(),
            status_label: r.record.status.label(),
        })
        .collect();
    Ok(render(&QueuePage {
        layout: user.layout(SECTION),
        tabs,
        all_current: filter.is_none(),
        total: all.len(),
        rows,
        may_draft: DRAFTER_ROLES.contains(&user.user.role),
        is_admin: user.user.role == Role::Admin,
    }))
}
