//! JSON API of the legal workflow (`/api/v1/legal/...`, session token). A thin
//! layer over [`crate::services::legal::workflow`], which enforces every rule for the API and the
//! pages alike: a major decision cannot be made through this API without a
//! passed review either (R-LEGAL-1).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use liuhen_domain::legal::{
    Catalogue, CheckResult, DeadlineStatus, DraftContent, FieldChange, MajorTrigger, Opinion,
};

use crate::auth::UserAuth;
use crate::error::{ApiJson, AppError};
use crate::services::legal::workflow::{self, DecideInput, DraftDetail, ReviewInput, Staffing};
use crate::state::AppState;
use crate::storage::legal::{DisputeOutcome, DraftRecord, DraftStatus};

/// Routes under `/api/v1/legal`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/legal/drafts", get(list).post(create))
        .route("/api/v1/legal/drafts/{id}", get(show).put(edit))
        .route("/api/v1/legal/drafts/{id}/submit", post(submit))
        .route("/api/v1/legal/drafts/{id}/review/start", post(start_review))
        .route("/api/v1/legal/drafts/{id}/review", post(review))
        .route(
            "/api/v1/legal/drafts/{id}/extension",
            post(request_extension),
        )
        .route(
            "/api/v1/legal/drafts/{id}/extension/approve",
            post(approve_extension),
        )
        .route("/api/v1/legal/drafts/{id}/dispute", post(dispute))
        .route("/api/v1/legal/drafts/{id}/coordinate", post(coordinate))
        .route("/api/v1/legal/drafts/{id}/decide", post(decide))
        .route("/api/v1/legal/catalogue", get(catalogue).put(put_catalogue))
        .route("/api/v1/legal/staffing", get(staffing))
        .route(
            "/api/v1/legal/calendar",
            get(calendar_years).post(import_calendar),
        )
}

/// A draft in lists.
#[derive(Debug, Serialize, Deserialize)]
pub struct DraftSummary {
    /// Draft id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Kind.
    pub kind: String,
    /// Workflow state.
    pub status: DraftStatus,
    /// Last submitted version.
    pub version: u32,
    /// Receipt date of the last submission.
    pub received_on: Option<NaiveDate>,
    /// Whether the review was extended.
    pub extended: bool,
    /// Catalogue version that classified it.
    pub catalogue_version: Option<u32>,
    /// Why it is major (empty: not major or not yet classified).
    pub triggers: Vec<MajorTrigger>,
    /// Review deadline, while in review.
    pub deadline: Option<DeadlineStatus>,
    /// Drafter.
    pub created_by: String,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Document heads (send back as `base_heads` when editing).
    pub heads: Vec<String>,
}

fn summary(r: &DraftRecord, deadline: Option<DeadlineStatus>) -> DraftSummary {
    DraftSummary {
        id: r.id.clone(),
        title: r.title.clone(),
        kind: r.kind.as_str().into(),
        status: r.status,
        version: r.version,
        received_on: r.received_on,
        extended: r.extended,
        catalogue_version: r.catalogue_version,
        triggers: r.triggers.clone(),
        deadline,
        created_by: r.created_by.clone(),
        updated_at: r.updated_at,
        heads: r.heads.clone(),
    }
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    state: Option<String>,
}

async fn list(
    State(st): State<AppState>,
    UserAuth { user }: UserAuth,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<DraftSummary>>, AppError> {
    let states = match q.state.as_deref() {
        None | Some("") => vec![],
        Some(s) => vec![DraftStatus::parse(s).ok_or_else(|| AppError::InvalidField {
            field: "state".into(),
            reason: "应为 drafting/in_review/returned/disputed/approved/decided".into(),
        })?],
    };
    let rows = workflow::queue(&st, &user, &states).await?;
    Ok(Json(
        rows.iter()
            .map(|r| summary(&r.record, r.deadline.clone()))
            .collect(),
    ))
}

/// Body of `POST /api/v1/legal/drafts`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateDraft {
    /// The draft's content.
    pub content: DraftContent,
}

async fn create(
    State(st): State<AppState>,
    UserAuth { user }: UserAuth,
    ApiJson(body): ApiJson<CreateDraft>,
) -> Result<(StatusCode, Json<DraftSummary>), AppError> {
    let rec = workflow::create_draft(&st, &user, &body.content).await?;
    Ok((StatusCode::CREATED, Json(summary(&rec, None))))
}

/// A submitted version in the detail answer.
#[derive(Debug, Serialize, Deserialize)]
pub struct VersionView {
    /// Number.
    pub version: u32,
    /// Submitter.
    pub submitted_by: String,
    /// When.
    pub submitted_at: DateTime<Utc>,
    /// Receipt date.
    pub received_on: NaiveDate,
    /// Catalogue version.
    pub catalogue_version: u32,
    /// Classification.
    pub triggers: Vec<MajorTrigger>,
    /// Content submitted.
    pub content: DraftContent,
    /// Reviewer who opened it.
    pub review_started_by: Option<String>,
}

/// An opinion in the detail answer.
#[derive(Debug, Serialize, Deserialize)]
pub struct ReviewView {
    /// Version reviewed.
    pub version: u32,
    /// Reviewer.
    pub reviewer: String,
    /// Opinion.
    pub opinion: Opinion,
    /// Text.
    pub opinion_text: String,
    /// Checklist.
    pub checks: Vec<CheckResult>,
    /// When.
    pub at: DateTime<Utc>,
}

/// An audit entry in the detail answer.
#[derive(Debug, Serialize, Deserialize)]
pub struct EventView {
    /// What.
    pub kind: String,
    /// Version.
    pub version: Option<u32>,
    /// Who (user id).
    pub by_user: String,
    /// Who (name).
    pub by_name: String,
    /// When.
    pub at: DateTime<Utc>,
    /// Details.
    pub detail: serde_json::Value,
}

/// Answer of `GET /api/v1/legal/drafts/{id}`.
#[derive(Debug, Serialize, Deserialize)]
pub struct DetailView {
    /// Summary.
    pub draft: DraftSummary,
    /// Content now.
    pub content: DraftContent,
    /// Fields with concurrent values: (field, values).
    pub conflicts: Vec<(String, Vec<String>)>,
    /// Versions.
    pub versions: Vec<VersionView>,
    /// Opinions.
    pub reviews: Vec<ReviewView>,
    /// Extension: (requested_by, reason, approved_by).
    pub extension: Option<(String, String, Option<String>)>,
    /// Disputes: (reason, outcome).
    pub disputes: Vec<(String, Option<DisputeOutcome>)>,
    /// Changes in the current version since the last reviewed one.
    pub changes_since_last_review: Vec<FieldChange>,
    /// Edits not yet submitted.
    pub unsubmitted_changes: Vec<FieldChange>,
    /// Classification of the current content: (catalogue version, triggers).
    pub classification: Option<(u32, Vec<MajorTrigger>)>,
    /// Decision: (id, document number, date).
    pub decision: Option<(String, String, NaiveDate)>,
    /// Audit trail.
    pub events: Vec<EventView>,
}

fn detail_view(d: DraftDetail) -> DetailView {
    DetailView {
        draft: summary(&d.record, d.deadline.clone()),
        content: d.content.clone(),
        conflicts: d
            .conflicts
            .iter()
            .map(|c| (c.field.clone(), c.values.clone()))
            .collect(),
        versions: d
            .versions
            .iter()
            .map(|v| VersionView {
                version: v.version,
                submitted_by: v.submitted_by.clone(),
                submitted_at: v.submitted_at,
                received_on: v.received_on,
                catalogue_version: v.catalogue_version,
                triggers: v.triggers.clone(),
                content: v.content.clone(),
                review_started_by: v.review_started_by.clone(),
            })
            .collect(),
        reviews: d
            .reviews
            .iter()
            .map(|r| ReviewView {
                version: r.version,
                reviewer: r.reviewer.clone(),
                opinion: r.opinion,
                opinion_text: r.opinion_text.clone(),
                checks: r.checks.clone(),
                at: r.at,
            })
            .collect(),
        extension: d.extension.as_ref().map(|x| {
            (
                x.requested_by.clone(),
                x.reason.clone(),
                x.approved_by.clone(),
            )
        }),
        disputes: d
            .disputes
            .iter()
            .map(|x| (x.reason.clone(), x.outcome))
            .collect(),
        changes_since_last_review: d.changes_since_last_review.clone(),
        unsubmitted_changes: d.unsubmitted_changes.clone(),
        classification: d.classification.clone(),
        decision: d
            .decision
            .as_ref()
            .map(|x| (x.id.clone(), x.doc_number.clone(), x.decided_on)),
        events: d
            .events
            .iter()
            .map(|e| EventView {
                kind: e.kind.clone(),
                version: e.version,
                by_user: e.by_user.clone(),
                by_name: d.name(&e.by_user),
                at: e.at,
                detail: e.detail.clone(),
            })
            .collect(),
    }
}

async fn show(
    State(st): State<AppState>,
    UserAuth { user }: UserAuth,
    Path(id): Path<String>,
) -> Result<Json<DetailView>, AppError> {
    Ok(Json(detail_view(workflow::detail(&st, &user, &id).await?)))
}

/// Body of `PUT /api/v1/legal/drafts/{id}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EditDraft {
    /// Heads the edit is based on (from the last read).
    pub base_heads: Vec<String>,
    /// The content as the editor wants it.
    pub content: DraftContent,
}

/// Answer of an edit.
#[derive(Debug, Serialize, Deserialize)]
pub struct EditResult {
    /// Fields that changed.
    pub changes: Vec<FieldChange>,
    /// Heads now.
    pub heads: Vec<String>,
}

async fn edit(
    State(st): State<AppState>,
    UserAuth { user }: UserAuth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<EditDraft>,
) -> Result<Json<EditResult>, AppError> {
    let changes = workflow::edit_draft(&st, &user, &id, &body.base_heads, &body.content).await?;
    let heads = workflow::load(&st, &user, &id).await?.0.heads;
    Ok(Json(EditResult { changes, heads }))
}

/// Body of submit.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmitBody {
    /// The unit's note.
    #[serde(default)]
    pub note: String,
    /// Random id making a resend harmless.
    pub form_id: Option<String>,
}

async fn submit(
    State(st): State<AppState>,
    UserAuth { user }: UserAuth,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<SubmitBody>,
) -> Result<Json<VersionView>, AppError> {
    let v = workflow::submit(&st, &user, &id, &b.note, b.form_id.as_deref()).await?;
    Ok(Json(VersionView {
        version: v.version,
        submitted_by: v.submitted_by,
        submitted_at: v.submitted_at,
        received_on: v.received_on,
        catalogue_version: v.catalogue_version,
        triggers: v.triggers,
        content: v.content,
        review_started_by: None,
    }))
}

async fn start_review(
    State(st): State<AppState>,
    UserAuth { user }: UserAuth,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    workflow::start_review(&st, &user, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Body of a review.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewBody {
    /// Version reviewed.
    pub version: u32,
    /// Checklist.
    pub checks: Vec<CheckResult>,
    /// Opinion.
    pub opinion: Opinion,
    /// Text.
    #[serde(default)]
    pub opinion_text: String,
    /// Random id making a resend harmless.
    pub form_id: Option<String>,
}

async fn review(
    State(st): State<AppState>,
    UserAuth { user }: UserAuth,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ReviewBody>,
) -> Result<Json<ReviewView>, AppError> {
    let input = ReviewInput {
        version: b.version,
        checks: b.checks,
        opinion: b.opinion,
        opinion_text: b.opinion_text,
    };
    let r = workflow::review(&st, &user, &id, &input, b.form_id.as_deref()).await?;
    Ok(Json(ReviewView {
        version: r.version,
        reviewer: r.reviewer,
        opinion: r.opinion,
        opinion_text: r.opinion_text,
        checks: r.checks,
        at: r.at,
    }))
}

/// A body with one reason or note.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoteBody {
    /// The text.
    #[serde(alias = "reason")]
    pub note: String,
}

async fn request_extension(
    State(st): State<AppState>,
    UserAuth { user }: UserAuth,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<NoteBody>,
) -> Result<StatusCode, AppError> {
    workflow::request_extension(&st, &user, &id, &b.note).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn approve_extension(
    State(st): State<AppState>,
    UserAuth { user }: UserAuth,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<NoteBody>,
) -> Result<StatusCode, AppError> {
    workflow::approve_extension(&st, &user, &id, &b.note).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn dispute(
    State(st): State<AppState>,
    UserAuth { user }: UserAuth,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<NoteBody>,
) -> Result<StatusCode, AppError> {
    workflow::dispute(&st, &user, &id, &b.note).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Body of a coordination outcome.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoordinateBody {
    /// upheld | overturned.
    pub outcome: DisputeOutcome,
    /// The coordination's record.
    pub note: String,
}

async fn coordinate(
    State(st): State<AppState>,
    UserAuth { user }: UserAuth,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<CoordinateBody>,
) -> Result<StatusCode, AppError> {
    workflow::coordinate(&st, &user, &id, b.outcome, &b.note).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Body of a decision.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecideBody {
    /// Document number.
    pub doc_number: String,
    /// Decision date.
    pub decided_on: NaiveDate,
    /// Random id making a resend harmless.
    pub form_id: Option<String>,
}

/// Answer of a decision.
#[derive(Debug, Serialize, Deserialize)]
pub struct DecisionView {
    /// Decision id.
    pub id: String,
    /// Document number.
    pub doc_number: String,
    /// Decision date.
    pub decided_on: NaiveDate,
    /// Whether it was major.
    pub major: bool,
    /// Catalogue version that classified it.
    pub catalogue_version: Option<u32>,
    /// Version whose review passed.
    pub reviewed_version: Option<u32>,
}

async fn decide(
    State(st): State<AppState>,
    UserAuth { user }: UserAuth,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<DecideBody>,
) -> Result<(StatusCode, Json<DecisionView>), AppError> {
    let input = DecideInput {
        doc_number: b.doc_number,
        decided_on: b.decided_on,
    };
    let d = workflow::decide(&st, &user, &id, &input, b.form_id.as_deref()).await?;
    Ok((
        StatusCode::CREATED,
        Json(DecisionView {
            id: d.id,
            doc_number: d.doc_number,
            decided_on: d.decided_on,
            major: d.major,
            catalogue_version: d.catalogue_version,
            reviewed_version: d.reviewed_version,
        }),
    ))
}

/// Answer of `GET /api/v1/legal/catalogue`.
#[derive(Debug, Serialize, Deserialize)]
pub struct CatalogueView {
    /// Version number.
    pub version: u32,
    /// The catalogue.
    pub catalogue: Catalogue,
    /// What changed.
    pub note: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

async fn catalogue(
    State(st): State<AppState>,
    UserAuth { user }: UserAuth,
) -> Result<Json<CatalogueView>, AppError> {
    let c = st
        .storage
        .catalogue(&user.agency_id, None)
        .await?
        .ok_or_else(|| AppError::NotFound("本单位的目录清单（尚未发布）".into()))?;
    Ok(Json(CatalogueView {
        version: c.version,
        catalogue: c.catalogue,
        note: c.note,
        created_at: c.created_at,
    }))
}

/// Body of `PUT /api/v1/legal/catalogue`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PutCatalogue {
    /// The new catalogue.
    pub catalogue: Catalogue,
    /// What changed and why.
    pub note: String,
}

/// Answer of a catalogue edit.
#[derive(Debug, Serialize, Deserialize)]
pub struct CatalogueVersionNumber {
    /// The new version number.
    pub version: u32,
}

async fn put_catalogue(
    State(st): State<AppState>,
    UserAuth { user }: UserAuth,
    ApiJson(b): ApiJson<PutCatalogue>,
) -> Result<Json<CatalogueVersionNumber>, AppError> {
    let version = workflow::put_catalogue(&st, &user, &b.catalogue, &b.note).await?;
    Ok(Json(CatalogueVersionNumber { version }))
}

async fn staffing(
    State(st): State<AppState>,
    UserAuth { user }: UserAuth,
) -> Result<Json<Staffing>, AppError> {
    crate::auth::require_role(&user, &[crate::storage::Role::Admin])?;
    Ok(Json(workflow::staffing(&st, &user.agency_id).await?))
}

/// Body of a calendar import.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarBody {
    /// holiday-cn shaped JSON of one year.
    pub json: String,
}

/// Answer of a calendar import.
#[derive(Debug, Serialize, Deserialize)]
pub struct CalendarImported {
    /// The year imported.
    pub year: i32,
}

/// The years the working-day calendar covers (built in or imported).
#[derive(Debug, Serialize, Deserialize)]
pub struct CalendarYears {
    /// Years, ascending.
    pub years: Vec<i32>,
}

/// `GET /api/v1/legal/calendar`: the years this server's calendar covers (any
/// signed-in user; a year imported through another instance appears within
/// [`crate::calendar_refresh::REFRESH_EVERY`]).
async fn calendar_years(
    State(st): State<AppState>,
    UserAuth { user: _ }: UserAuth,
) -> Json<CalendarYears> {
    Json(CalendarYears {
        years: st.calendar().years(),
    })
}

async fn import_calendar(
    State(st): State<AppState>,
    UserAuth { user }: UserAuth,
    ApiJson(b): ApiJson<CalendarBody>,
) -> Result<Json<CalendarImported>, AppError> {
    let year = workflow::import_calendar_year(&st, &user, &b.json).await?;
    Ok(Json(CalendarImported { year }))
}
