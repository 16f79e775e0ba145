//! HTTP API of draws, directories, the item list and conflicts.
//!
//! | route | who |
//! |---|---|
//! | `GET/POST /api/v1/admin/directory/targets`, `DELETE .../{id}` | admin |
//! | `GET/POST /api/v1/admin/directory/officers`, `DELETE .../{id}` | admin |
//! | `GET/POST /api/v1/admin/check-items`, `DELETE .../{code}` | admin (GET: supervisor too) |
//! | `GET/PUT /api/v1/admin/categories` | admin |
//! | `GET/POST /api/v1/conflicts`, `DELETE /api/v1/conflicts/{officer}/{target}` | admin; an officer for themself (GET: supervisor too) |
//! | `GET/POST /api/v1/draws`, `GET /api/v1/draws/{id}`, `POST /api/v1/draws/{id}/run` | supervisor, admin |
//! | `POST /api/v1/tasks/{id}/cancel`, `POST /api/v1/tasks/{id}/reassign` | supervisor, admin |
//! | `GET /api/v1/public/draws`, `GET /api/v1/public/draws/{id}` | anyone (R-POST-4) |

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use liuhen_domain::model::{Officer, Target, Task};

use crate::auth::{UserAuth, require_role};
use crate::error::{ApiJson, AppError};
use crate::services::directories::{
    BUILTIN_CATEGORIES, check_item, check_officer, check_target, known_categories,
};
use crate::services::draws::algorithm::SpotCheckItem;
use crate::services::draws::{
    CancelRequest, CreateDrawRequest, PublicDrawRow, PublishedDraw, ReassignRequest, publish,
};
use crate::state::AppState;
use crate::storage::{ConflictRecord, DrawStatus, Role, StorageError, User};

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/admin/directory/targets",
            get(list_targets).post(put_target),
        )
        .route(
            "/api/v1/admin/directory/targets/{id}",
            delete(delete_target),
        )
        .route(
            "/api/v1/admin/directory/officers",
            get(list_officers).post(put_officer),
        )
        .route(
            "/api/v1/admin/directory/officers/{id}",
            delete(delete_officer),
        )
        .route("/api/v1/admin/check-items", get(list_items).post(put_item))
        .route("/api/v1/admin/check-items/{code}", delete(delete_item))
        .route(
            "/api/v1/admin/categories",
            get(list_categories).put(put_categories),
        )
        .route("/api/v1/conflicts", get(list_conflicts).post(put_conflict))
        .route(
            "/api/v1/conflicts/{officer_id}/{target_id}",
            delete(delete_conflict),
        )
        .route("/api/v1/draws", get(list_draws).post(create_draw))
        .route("/api/v1/draws/{id}", get(get_draw))
        .route("/api/v1/draws/{id}/run", post(run_draw))
        .route("/api/v1/tasks/{id}/cancel", post(cancel_task))
        .route("/api/v1/tasks/{id}/reassign", post(reassign_task))
        .route("/api/v1/public/draws", get(public_draws))
        .route("/api/v1/public/draws/{id}", get(public_draw))
}

fn admin(auth: &UserAuth) -> Result<&User, AppError> {
    require_role(&auth.user, &[Role::Admin])?;
    Ok(&auth.user)
}

fn drawer(auth: &UserAuth) -> Result<&User, AppError> {
    require_role(&auth.user, &[Role::Supervisor, Role::Admin])?;
    Ok(&auth.user)
}

fn invalid((field, reason): (String, String)) -> AppError {
    AppError::invalid(field, reason)
}

fn storage_conflict(e: StorageError) -> AppError {
    match e {
        StorageError::Conflict(m) => AppError::Conflict(m),
        other => other.into(),
    }
}

async fn list_targets(
    State(st): State<AppState>,
    auth: UserAuth,
) -> Result<Json<Vec<Target>>, AppError> {
    let u = admin(&auth)?;
    let roster = st.storage.roster_for(&u.agency_id, Some("")).await?;
    Ok(Json(roster.map(|(r, _)| r.targets).unwrap_or_default()))
}

async fn put_target(
    State(st): State<AppState>,
    auth: UserAuth,
    ApiJson(mut t): ApiJson<Target>,
) -> Result<Json<Target>, AppError> {
    let u = admin(&auth)?;
    t.agency_id = u.agency_id.clone();
    check_target(&t, &known_categories(&st, &u.agency_id).await?).map_err(invalid)?;
    st.storage
        .upsert_directory(&u.agency_id, &[], std::slice::from_ref(&t))
        .await?;
    Ok(Json(t))
}

async fn delete_target(
    State(st): State<AppState>,
    auth: UserAuth,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    let u = admin(&auth)?;
    st.storage.delete_target(&u.agency_id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_officers(
    State(st): State<AppState>,
    auth: UserAuth,
) -> Result<Json<Vec<Officer>>, AppError> {
    let u = admin(&auth)?;
    let roster = st.storage.roster_for(&u.agency_id, Some("")).await?;
    Ok(Json(roster.map(|(r, _)| r.officers).unwrap_or_default()))
}

async fn put_officer(
    State(st): State<AppState>,
    auth: UserAuth,
    ApiJson(mut o): ApiJson<Officer>,
) -> Result<Json<Officer>, AppError> {
    let u = admin(&auth)?;
    o.agency_id = u.agency_id.clone();
    check_officer(&o, &known_categories(&st, &u.agency_id).await?).map_err(invalid)?;
    st.storage
        .upsert_directory(&u.agency_id, std::slice::from_ref(&o), &[])
        .await
        .map_err(storage_conflict)?;
    Ok(Json(o))
}

async fn delete_officer(
    State(st): State<AppState>,
    auth: UserAuth,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    let u = admin(&auth)?;
    st.storage.delete_officer(&u.agency_id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_items(
    State(st): State<AppState>,
    auth: UserAuth,
) -> Result<Json<Vec<SpotCheckItem>>, AppError> {
    let u = drawer(&auth)?;
    Ok(Json(st.storage.check_items(&u.agency_id).await?))
}

async fn put_item(
    State(st): State<AppState>,
    auth: UserAuth,
    ApiJson(item): ApiJson<SpotCheckItem>,
) -> Result<Json<SpotCheckItem>, AppError> {
    let u = admin(&auth)?;
    check_item(&item, &known_categories(&st, &u.agency_id).await?).map_err(invalid)?;
    st.storage
        .upsert_check_items(&u.agency_id, std::slice::from_ref(&item))
        .await?;
    Ok(Json(item))
}

async fn delete_item(
    State(st): State<AppState>,
    auth: UserAuth,
    Path(code): Path<String>,
) -> Result<StatusCode, AppError> {
    let u = admin(&auth)?;
    st.storage.delete_check_item(&u.agency_id, &code).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Answer of `GET /api/v1/admin/categories`.
#[derive(Debug, Serialize, Deserialize)]
pub struct Categories {
    /// Built-in catalogue.
    pub builtin: Vec<String>,
    /// The agency's own.
    pub agency: Vec<String>,
}

async fn list_categories(
    State(st): State<AppState>,
    auth: UserAuth,
) -> Result<Json<Categories>, AppError> {
    let u = admin(&auth)?;
    Ok(Json(Categories {
        builtin: BUILTIN_CATEGORIES.iter().map(|s| s.to_string()).collect(),
        agency: st.storage.categories(&u.agency_id).await?,
    }))
}

async fn put_categories(
    State(st): State<AppState>,
    auth: UserAuth,
    ApiJson(names): ApiJson<Vec<String>>,
) -> Result<Json<Vec<String>>, AppError> {
    let u = admin(&auth)?;
    let mut clean = Vec::new();
    for (i, n) in names.iter().enumerate() {
        let n = n.trim();
        if n.is_empty() || n.chars().count() > 64 || n.chars().any(char::is_control) {
            return Err(AppError::invalid(
                format!("[{i}]"),
                "执法类别名称不能为空、不超过 64 个字符",
            ));
        }
        clean.push(n.to_string());
    }
    st.storage.put_categories(&u.agency_id, &clean).await?;
    Ok(Json(st.storage.categories(&u.agency_id).await?))
}

/// Body of `POST /api/v1/conflicts`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConflictRequest {
    /// Officer (an officer may only declare for themself).
    pub officer_id: String,
    /// Target.
    pub target_id: String,
    /// Why (e.g. 近亲属在该单位任职).
    pub reason: String,
}

fn conflict_caller(user: &User, officer_id: &str) -> Result<(), AppError> {
    match user.role {
        Role::Admin => Ok(()),
        Role::Officer if user.officer_id.as_deref() == Some(officer_id) => Ok(()),
        _ => Err(AppError::Forbidden),
    }
}

async fn list_conflicts(
    State(st): State<AppState>,
    auth: UserAuth,
) -> Result<Json<Vec<ConflictRecord>>, AppError> {
    let u = &auth.user;
    let all = st.storage.conflicts(&u.agency_id).await?;
    match u.role {
        Role::Admin | Role::Supervisor => Ok(Json(all)),
        Role::Officer => Ok(Json(
            all.into_iter()
                .filter(|c| Some(&c.officer_id) == u.officer_id.as_ref())
                .collect(),
        )),
        Role::LegalReviewer => Err(AppError::Forbidden),
    }
}

async fn put_conflict(
    State(st): State<AppState>,
    auth: UserAuth,
    ApiJson(req): ApiJson<ConflictRequest>,
) -> Result<(StatusCode, Json<ConflictRecord>), AppError> {
    let u = &auth.user;
    conflict_caller(u, req.officer_id.trim())?;
    let reason = req.reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(AppError::invalid(
            "reason",
            "回避理由不能为空，最多 500 个字符",
        ));
    }
    let (roster, _) = st
        .storage
        .roster_for(&u.agency_id, Some(""))
        .await?
        .ok_or_else(|| AppError::NotFound(format!("执法主体 {} 的名录库", u.agency_id)))?;
    if !roster
        .officers
        .iter()
        .any(|o| o.id == req.officer_id.trim())
    {
        return Err(AppError::invalid(
            "officer_id",
            format!("执法检查人员名录库中没有 {}", req.officer_id),
        ));
    }
    if !roster.targets.iter().any(|t| t.id == req.target_id.trim()) {
        return Err(AppError::invalid(
            "target_id",
            format!("检查对象名录库中没有 {}", req.target_id),
        ));
    }
    let c = ConflictRecord {
        agency_id: u.agency_id.clone(),
        officer_id: req.officer_id.trim().to_string(),
        target_id: req.target_id.trim().to_string(),
        reason: reason.to_string(),
        declared_at: st.clock.now(),
    };
    st.storage.put_conflict(&c).await?;
    Ok((StatusCode::CREATED, Json(c)))
}

async fn delete_conflict(
    State(st): State<AppState>,
    auth: UserAuth,
    Path((officer_id, target_id)): Path<(String, String)>,
) -> Result<StatusCode, AppError> {
    let u = &auth.user;
    conflict_caller(u, &officer_id)?;
    st.storage
        .delete_conflict(&u.agency_id, &officer_id, &target_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

fn row(s: crate::storage::DrawSummary) -> PublicDrawRow {
    PublicDrawRow {
        id: s.id,
        agency_id: s.agency_id,
        item_code: s.item_code,
        item_name: s.item_name,
        status: s.status,
        draw_date: s.draw_date,
        due_date: s.due_date,
        inputs_hash: s.inputs_hash,
        seed_commitment: s.seed_commitment,
        completed_at: s.completed_at,
    }
}

async fn list_draws(
    State(st): State<AppState>,
    auth: UserAuth,
) -> Result<Json<Vec<PublicDrawRow>>, AppError> {
    let u = drawer(&auth)?;
    let rows = st.storage.draws(Some(&u.agency_id)).await?;
    Ok(Json(rows.into_iter().map(row).collect()))
}

async fn create_draw(
    State(st): State<AppState>,
    auth: UserAuth,
    ApiJson(req): ApiJson<CreateDrawRequest>,
) -> Result<(StatusCode, Json<PublishedDraw>), AppError> {
    let d = crate::services::draws::create_draw(&st, &auth.user, &req).await?;
    Ok((StatusCode::CREATED, Json(publish(&st, d).await?)))
}

async fn get_draw(
    State(st): State<AppState>,
    auth: UserAuth,
    Path(id): Path<String>,
) -> Result<Json<PublishedDraw>, AppError> {
    let u = drawer(&auth)?;
    let d = st
        .storage
        .draw(Some(&u.agency_id), &id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("抽查 {id}")))?;
    Ok(Json(publish(&st, d).await?))
}

/// Body of `POST /api/v1/draws/{id}/run`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunRequest {
    /// Public entropy known only after the commitment (e.g. a witnessed dice roll).
    #[serde(default)]
    pub public_entropy: Option<String>,
}

async fn run_draw(
    State(st): State<AppState>,
    auth: UserAuth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<RunRequest>,
) -> Result<Json<PublishedDraw>, AppError> {
    let d = crate::services::draws::run_draw(&st, &auth.user, &id, req.public_entropy).await?;
    Ok(Json(publish(&st, d).await?))
}

async fn cancel_task(
    State(st): State<AppState>,
    auth: UserAuth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<CancelRequest>,
) -> Result<Json<Task>, AppError> {
    Ok(Json(
        crate::services::draws::cancel_task(&st, &auth.user, &id, &req.reason).await?,
    ))
}

async fn reassign_task(
    State(st): State<AppState>,
    auth: UserAuth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<ReassignRequest>,
) -> Result<Json<Task>, AppError> {
    Ok(Json(
        crate::services::draws::reassign_task(&st, &auth.user, &id, &req).await?,
    ))
}

async fn public_draws(State(st): State<AppState>) -> Result<Json<Vec<PublicDrawRow>>, AppError> {
    let rows = st.storage.draws(None).await?;
    Ok(Json(rows.into_iter().map(row).collect()))
}

async fn public_draw(
    State(st): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<PublishedDraw>, AppError> {
    let d = st
        .storage
        .draw(None, &id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("抽查 {id}")))?;
    let published = publish(&st, d).await?;
    debug_assert!(published.status == DrawStatus::Completed || published.seed.is_none());
    Ok(Json(published))
}
