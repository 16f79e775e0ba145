//! The inspections API for supervisors (and admins): list an agency's synced
//! inspections, read one with its rule check, and write a review comment or
//! decision into the document, which reaches the officers' devices at next sync.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use liuhen_domain::inspection::{Inspection, ReviewComment, ReviewDecision, ReviewOutcome};
use liuhen_domain::rules::{self, RuleContext, Violation};

use liuhen_domain::model::Officer;

use crate::api::sync::{SyncFailure, write_review};
use crate::auth::UserAuth;
use crate::services::access_log::{ClientIp, record_access};
use crate::state::AppState;
use crate::storage::access::AccessAction;
use crate::storage::{BlobRecord, DocRecord, Role, StorageError};

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

/// Arrival of one evidence item on the server (R-REC-4).
#[derive(Debug, Serialize)]
pub struct EvidenceArrival {
    /// SHA-256.
    pub sha256: String,
    /// Capture time (device clock corrected by its measured skew).
    pub captured_at: chrono::DateTime<chrono::Utc>,
    /// When the verified bytes arrived, if they did.
    pub received_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Arrived (or still missing) more than 24 hours after capture.
    pub late: bool,
}

/// An inspection with its rule check.
#[derive(Debug, Serialize)]
pub struct Detail {
    /// The record.
    pub inspection: Inspection,
    /// Unmet rules, checked against the server's roster; includes R-REC-4 for
    /// evidence that reached the platform later than 24 hours after capture.
    pub violations: Vec<Violation>,
    /// Arrival of every evidence item.
    pub evidence_arrival: Vec<EvidenceArrival>,
}

/// Why an inspection could not be loaded for a reader.
#[derive(Debug, thiserror::Error)]
pub enum DetailError {
    /// No such inspection for this agency (another agency's: no existence leak).
    #[error("找不到检查记录 {0}")]
    NotFound(String),
    /// The stored document does not read (corrupt, newer schema, malformed field).
    #[error("服务器上的该检查记录无法读取：{0}")]
    Unreadable(String),
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<DetailError> for SyncFailure {
    fn from(e: DetailError) -> Self {
        match e {
            DetailError::NotFound(id) => SyncFailure::not_found(&id),
            DetailError::Unreadable(d) => SyncFailure::unreadable(&d),
            DetailError::Storage(e) => e.into(),
        }
    }
}

/// An inspection as the server holds it, read and checked: what the JSON API and
/// the desk's inspection page both show.
#[derive(Debug)]
pub struct LoadedDetail {
    /// The stored record (heads, status, bytes).
    pub record: DocRecord,
    /// The read document with its rule check and evidence arrival.
    pub detail: Detail,
    /// The agency's roster officers the check ran against (empty if no roster).
    pub roster: Vec<Officer>,
    /// Blob records of the inspection (referenced, received or not).
    pub blobs: Vec<BlobRecord>,
}

/// Loads inspection `id` of `agency_id`, reads it and runs the rule check against
/// the server's roster, adding R-REC-4 for evidence that reached (or has not yet
/// reached) the platform more than 24 hours after capture.
pub async fn load_detail(
    st: &AppState,
    agency_id: &str,
    id: &str,
) -> Result<LoadedDetail, DetailError> {
    let record = st
        .storage
        .doc(id)
        .await?
        .filter(|r| r.agency_id == agency_id)
        .ok_or_else(|| DetailError::NotFound(id.to_string()))?;
    let mut doc = liuhen_domain::doc::InspectionDoc::load(&record.bytes)
        .map_err(|e| DetailError::Unreadable(e.to_string()))?;
    let inspection = doc
        .read()
        .map_err(|e| DetailError::Unreadable(e.to_string()))?;
    let roster = st.storage.roster_for(agency_id, None).await?;
    let task_officers = task_officers(roster.as_ref().map(|(r, _)| r), &record);
    let officers = roster.map(|(r, _)| r.officers).unwrap_or_default();
    let blobs = st.storage.blobs_of(id).await?;
    // R-REC-5 over the whole history: what older merges let through is shown.
    let authors = crate::services::history::authors(st.storage.as_ref(), agency_id).await?;
    let history = crate::services::history::audit(
        &doc.automerge_mut().get_changes(&[]),
        &authors,
        &task_officers,
    );
    Ok(detail_from(
        record,
        inspection,
        officers,
        blobs,
        history,
        st.clock.now(),
    ))
}

/// The officers of a record's task on the roster (they may write while it is open).
pub fn task_officers(
    roster: Option<&liuhen_domain::model::RosterSnapshot>,
    record: &DocRecord,
) -> Vec<String> {
    record
        .task_id
        .as_ref()
        .and_then(|t| roster?.tasks.iter().find(|x| &x.id == t))
        .map(|t| t.officer_ids.clone())
        .unwrap_or_default()
}

/// The detail of a read inspection from what the server holds about it: the rule
/// check against the roster's officers, the R-REC-5 findings of its history
/// (`history`, from [`crate::services::history::audit`]), plus R-REC-4 for evidence that reached (or
/// has not yet reached) the platform more than 24 hours after capture. Pure, so a
/// merge can compute it from the very evidence records it commits with.
pub fn detail_from(
    record: DocRecord,
    inspection: Inspection,
    officers: Vec<Officer>,
    blobs: Vec<BlobRecord>,
    history: Vec<Violation>,
    now: chrono::DateTime<chrono::Utc>,
) -> LoadedDetail {
    let mut violations = rules::check(
        &inspection,
        &RuleContext {
            roster: Some(&officers),
            logged_evidence: &[],
        },
    );
    let evidence_arrival: Vec<EvidenceArrival> = blobs
        .iter()
        .map(|b| EvidenceArrival {
            late: crate::storage::is_late(b, now),
            sha256: b.sha256.clone(),
            captured_at: b.captured_at,
            received_at: b.received_at,
        })
        .collect();
    violations.extend(history);
    for a in evidence_arrival.iter().filter(|a| a.late) {
        let short = &a.sha256[..12.min(a.sha256.len())];
        violations.push(Violation {
            rule: "R-REC-4".into(),
            message: match a.received_at {
                Some(_) => format!("R-REC-4: 证据 {short} 超过 24 小时才上传到平台"),
                None => format!("R-REC-4: 证据 {short} 采集已超过 24 小时，仍未上传到平台"),
            },
        });
    }
    LoadedDetail {
        record,
        detail: Detail {
            inspection,
            violations,
            evidence_arrival,
        },
        roster: officers,
        blobs,
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
    Json(input): Json<ReviewInput>,
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
        if let Some(text) = comment {
            doc.add_review_comment(&ReviewComment {
                id: uuid::Uuid::now_v7().to_string(),
                author_id: user.id.clone(),
                author_name: user.name.clone(),
                at: now,
                text,
                item: input.item,
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
