//! The inspections API for supervisors (and admins): list an agency's synced
//! inspections, read one with its rule check, and write a review comment or
//! decision into the document, which reaches the officers' devices at next sync.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use liuhen_domain::inspection::{Inspection, ReviewComment, ReviewDecision, ReviewOutcome};

use crate::api::sync::{SyncFailure, write_review};
use crate::auth::UserAuth;
use crate::error::ApiJson;
use crate::services::access_log::{ClientIp, record_access};
use crate::state::AppState;
use crate::storage::Role;
use crate::storage::access::AccessAction;

/// Routes of this module.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/api/v1/inspections", get(list))
        .route("/api/v1/inspections/{id}", get(one))
        .route("/api/v1/inspections/{id}/review", post(review))
}

fn forbid(user: &crate::storage::User) -> Result<(), SyncFailure> {
    if matches!(user.role, Role::Supervisor | Role::Admin) {
        Ok(())
    } else {
        Err(SyncFailure::forbidden(
            "只有审核人员和管理员可以查看本单位的检查记录",
        ))
    }
}

/// Paging of the list.
#[derive(Debug, Deserialize)]
pub struct Page {
    /// Page size (default 50, at most 200).
    pub limit: Option<u32>,
    /// Offset.
    pub offset: Option<u32>,
}

/// One row of the list.
#[derive(Debug, Serialize)]
pub struct Row {
    /// Inspection id.
    pub id: String,
    /// Target name.
    pub target_name: String,
    /// open | closed.
    pub status: String,
    /// Task id.
    pub task_id: Option<String>,
    /// Last change on the server.
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

async fn list(
    State(st): State<AppState>,
    auth: UserAuth,
    Query(page): Query<Page>,
) -> Result<Json<Vec<Row>>, SyncFailure> {
    forbid(&auth.user)?;
    let limit = page.limit.unwrap_or(50).clamp(1, 200);
    let rows = st
        .storage
        .docs_for_agency(&auth.user.agency_id, limit, page.offset.unwrap_or(0))
        .await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| Row {
                id: r.id,
                target_name: r.target_name,
                status: r.status,
                task_id: r.task_id,
                updated_at: r.updated_at,
            })
            .collect(),
    ))
}

pub use crate::services::detail::{
    Detail, DetailError, EvidenceArrival, LoadedDetail, detail_from, load_detail, task_officers,
};

impl From<DetailError> for SyncFailure {
    fn from(e: DetailError) -> Self {
        match e {
            DetailError::NotFound(id) => SyncFailure::not_found(&id),
            DetailError::Unreadable(d) => SyncFailure::unreadable(&d),
            DetailError::Storage(e) => e.into(),
        }
    }
}

async fn one(
    State(st): State<AppState>,
    auth: UserAuth,
    ip: ClientIp,
    Path(id): Path<String>,
) -> Result<Json<DetailJson>, SyncFailure> {
    forbid(&auth.user)?;
    let loaded = load_detail(&st, &auth.user.agency_id, &id).await?;
    let log_check =
        crate::api::device_log::check_inspection(&st, &auth.user.agency_id, &id).await?;
    // R-REC-7: the view is recorded before the record is handed out.
    record_access(&st, &auth.user, &id, AccessAction::ViewRecord, None, ip.0).await?;
    Ok(Json(DetailJson {
        detail: loaded.detail,
        log_check,
    }))
}

/// What `GET /api/v1/inspections/{id}` answers: the detail and the device log check.
#[derive(Debug, Serialize)]
pub struct DetailJson {
    /// The inspection with its rule check and evidence arrival.
    #[serde(flatten)]
    pub detail: Detail,
    /// The tamper check of each device log that recorded steps of it (R-REC-5):
    /// verified, or broken at entry N and why.
    pub log_check: Vec<crate::api::device_log::DeviceLogCheck>,
}

/// Longest review comment, in characters (the API and the desk share it).
pub const MAX_COMMENT_CHARS: usize = 2000;

/// Why a review comment is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommentError {
    /// Nothing but white space.
    #[error("审核意见不能为空")]
    Empty,
    /// Longer than [`MAX_COMMENT_CHARS`].
    #[error("审核意见有 {chars} 字，超过 {MAX_COMMENT_CHARS} 字的上限")]
    TooLong {
        /// Characters after trimming.
        chars: usize,
    },
}

/// A review comment as stored: trimmed, not empty, at most [`MAX_COMMENT_CHARS`].
pub fn valid_comment(text: &str) -> Result<String, CommentError> {
    let t = text.trim();
    let chars = t.chars().count();
    if chars == 0 {
        Err(CommentError::Empty)
    } else if chars > MAX_COMMENT_CHARS {
        Err(CommentError::TooLong { chars })
    } else {
        Ok(t.to_string())
    }
}

/// A review action.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewInput {
    /// A comment to add (optional when only deciding).
    pub comment: Option<String>,
    /// What the comment is about (`finding:<id>`, ...).
    pub item: Option<String>,
    /// `approved` or `returned`.
    pub decision: Option<ReviewOutcome>,
}

async fn review(
    State(st): State<AppState>,
    auth: UserAuth,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ReviewInput>,
) -> Result<Json<Inspection>, SyncFailure> {
    if auth.user.role != Role::Supervisor {
        return Err(SyncFailure::forbidden("只有审核人员可以填写审核意见"));
    }
    let comment = input
        .comment
        .map(|c| valid_comment(&c))
        .transpose()
        .map_err(|_| {
            SyncFailure::bad_request("invalid_comment", "审核意见不能为空，且不超过 2000 字")
        })?;
    if comment.is_none() && input.decision.is_none() {
        return Err(SyncFailure::bad_request(
            "invalid_review",
            "请填写审核意见或作出审核决定",
        ));
    }
    let now = st.clock.now();
    let user = auth.user.clone();
    let storage = st.storage.clone();
    let inspection = write_review(storage.as_ref(), &st, &auth.user, &id, move |doc| {
        if let Some(text) = &comment {
            doc.add_review_comment(&ReviewComment {
                id: uuid::Uuid::now_v7().to_string(),
                author_id: user.id.clone(),
                author_name: user.name.clone(),
                at: now,
                text: text.clone(),
                item: input.item.clone(),
            })?;
        }
        if let Some(decision) = input.decision {
            doc.set_review_decision(&ReviewDecision {
                decision,
                decided_by: user.id.clone(),
                decided_by_name: user.name.clone(),
                decided_at: now,
            })?;
        }
        Ok(())
    })
    .await?;
    Ok(Json(inspection))
}
