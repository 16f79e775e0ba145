//! Administration of one agency: accounts, enrollment codes, devices, the roster.
//! The HTTP handlers (admin sessions only, scoped to the admin's own agency) and the
//! `liuhen-server admin ...` commands share the functions here.

use std::collections::HashSet;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use liuhen_domain::model::RosterSnapshot;

use crate::api::enroll::create_code;
use crate::auth::{MIN_PASSWORD_CHARS, UserAuth, hash_password, require_role};
use crate::error::{ApiJson, AppError};
use crate::state::AppState;
use crate::storage::{Device, Role, StorageError, User};

/// A new account as an admin (or the CLI) describes it.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Agency.
    pub agency_id: String,
    /// Login name.
    pub login: String,
    /// Display name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Roster officer id (required for officers).
    pub officer_id: Option<String>,
    /// Initial password.
    pub password: String,
}

fn check_text(field: &str, value: &str, max: usize) -> Result<(), AppError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(AppError::invalid(field, "不能为空"));
    }
    if v.chars().count() > max {
        return Err(AppError::invalid(
            field,
            format!("过长（最多 {max} 个字符）"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(AppError::invalid(field, "含有不可见的控制字符"));
    }
    Ok(())
}

/// Creates an account after checking every field; officers must be on the
/// agency's roster (R-SCENE-1: only certified officers enforce).
pub async fn create_user(state: &AppState, new: NewUser) -> Result<User, AppError> {
    create_user_hashed(state, new, None).await
}

/// [`create_user`] with the hash of `new.password` already made when `Some` (the demo
/// accounts share one public password and hash it once per process); `None` hashes
/// it afresh with a salt of its own.
pub async fn create_user_hashed(
    state: &AppState,
    new: NewUser,
    password_hash: Option<String>,
) -> Result<User, AppError> {
    check_text("agency_id", &new.agency_id, 64)?;
    check_text("login", &new.login, 64)?;
    if !new
        .login
        .trim()
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'@'))
    {
        return Err(AppError::invalid("login", "只能包含字母、数字和 - _ . @"));
    }
    check_text("name", &new.name, 50)?;
    let chars = new.password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(AppError::invalid(
            "password",
            format!("至少需要 {MIN_PASSWORD_CHARS} 个字符"),
        ));
    }
    if chars > 1024 {
        return Err(AppError::invalid("password", "过长（最多 1024 个字符）"));
    }
    let officer_id = new
        .officer_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    match (&officer_id, new.role) {
        (None, Role::Officer) => {
            return Err(AppError::invalid(
                "officer_id",
                "执法人员账号必须对应执法人员名单中的编号",
            ));
        }
        (Some(id), _) => {
            let roster = state.storage.roster_for(&new.agency_id, Some(id)).await?;
            let Some((roster, _)) = roster else {
                return Err(AppError::invalid(
                    "officer_id",
                    "本机关尚未导入执法人员名单，请先导入名单",
                ));
            };
            if !roster.officers.iter().any(|o| &o.id == id) {
                return Err(AppError::invalid(
                    "officer_id",
                    format!("执法人员名单中没有编号 {id}"),
                ));
            }
        }
        (None, _) => {}
    }
    if state
        .storage
        .user_by_login(new.login.trim())
        .await?
        .is_some()
    {
        return Err(login_taken(new.login.trim()));
    }
    let user = User {
        id: fresh_user_id(state).await?,
        agency_id: new.agency_id.trim().to_string(),
        login: new.login.trim().to_string(),
        name: new.name.trim().to_string(),
        role: new.role,
        officer_id,
        password_hash: match password_hash {
            Some(h) => h,
            None => hash_password(new.password).await?,
        },
        disabled: false,
    };
    state
        .storage
        .create_user(&user)
        .await
        .map_err(|e| match e {
            StorageError::Conflict(_) => login_taken(&user.login),
            other => other.into(),
        })?;
    tracing::info!(user = %user.id, login = %user.login, role = user.role.as_str(), "user created");
    Ok(user)
}

/// A new user id whose server actor ([`crate::services::actors::user_actor`]) no enrolled
/// device has registered (issue 16 item 5: a device never writes as a user; the
/// ids are random, so a clash means someone registered a guessed one).
async fn fresh_user_id(state: &AppState) -> Result<String, AppError> {
    for _ in 0..8 {
        let id = uuid::Uuid::now_v7().to_string();
        let actor = crate::services::actors::user_actor(&id).to_hex_string();
        match state.storage.device_with_actor(&actor).await? {
            None => return Ok(id),
            Some(device) => {
                tracing::warn!(%device, %actor, "a device registered the actor id of a new user id; another id is drawn");
            }
        }
    }
    Err(AppError::internal(
        "no user id with a free actor id after 8 draws",
    ))
}

fn login_taken(login: &str) -> AppError {
    AppError::custom(
        StatusCode::CONFLICT,
        "login_taken",
        format!("登录名 {login} 已被使用"),
    )
}

/// Checks a roster before it replaces the stored one: every record valid
/// ([`RosterSnapshot::validate`]), every record of the roster's agency, ids unique,
/// tasks pointing at listed officers and targets. Errors name the field.
pub fn check_roster(roster: &RosterSnapshot) -> Result<(), AppError> {
    roster.validate()?;
    let agency = &roster.agency.id;
    let mut officers = HashSet::new();
    for (i, o) in roster.officers.iter().enumerate() {
        if &o.agency_id != agency {
            return Err(AppError::invalid(
                format!("officers[{i}].agency_id"),
                format!("应为本名单的机关 {agency}"),
            ));
        }
        if !officers.insert(o.id.as_str()) {
            return Err(AppError::invalid(
                format!("officers[{i}].id"),
                format!("编号 {} 重复", o.id),
            ));
        }
    }
    let mut targets = HashSet::new();
    for (i, t) in roster.targets.iter().enumerate() {
        if &t.agency_id != agency {
            return Err(AppError::invalid(
                format!("targets[{i}].agency_id"),
                format!("应为本名单的机关 {agency}"),
            ));
        }
        if !targets.insert(t.id.as_str()) {
            return Err(AppError::invalid(
                format!("targets[{i}].id"),
                format!("编号 {} 重复", t.id),
            ));
        }
    }
    let mut tasks = HashSet::new();
    for (i, t) in roster.tasks.iter().enumerate() {
        if &t.agency_id != agency {
            return Err(AppError::invalid(
                format!("tasks[{i}].agency_id"),
                format!("应为本名单的机关 {agency}"),
            ));
        }
        if !tasks.insert(t.id.as_str()) {
            return Err(AppError::invalid(
                format!("tasks[{i}].id"),
                format!("编号 {} 重复", t.id),
            ));
        }
        if !targets.contains(t.target_id.as_str()) {
            return Err(AppError::invalid(
                format!("tasks[{i}].target_id"),
                format!("检查对象名录中没有 {}", t.target_id),
            ));
        }
        if let Some((j, id)) = t
            .officer_ids
            .iter()
            .enumerate()
            .find(|(_, id)| !officers.contains(id.as_str()))
        {
            return Err(AppError::invalid(
                format!("tasks[{i}].officer_ids[{j}]"),
                format!("执法人员名单中没有 {id}"),
            ));
        }
    }
    Ok(())
}

/// What a roster load stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RosterSummary {
    /// Agency.
    pub agency_id: String,
    /// Officers stored.
    pub officers: usize,
    /// Targets stored.
    pub targets: usize,
    /// Tasks stored.
    pub tasks: usize,
    /// Version tag of the whole roster.
    pub version: String,
}

/// Checks and stores a roster, replacing the agency's previous one.
pub async fn load_roster(
    state: &AppState,
    roster: &RosterSnapshot,
) -> Result<RosterSummary, AppError> {
    check_roster(roster)?;
    state.storage.put_roster(roster).await?;
    let version = state
        .storage
        .roster_for(&roster.agency.id, None)
        .await?
        .map(|(_, v)| v)
        .unwrap_or_default();
    tracing::info!(agency = %roster.agency.id, %version, "roster loaded");
    Ok(RosterSummary {
        agency_id: roster.agency.id.clone(),
        officers: roster.officers.len(),
        targets: roster.targets.len(),
        tasks: roster.tasks.len(),
        version,
    })
}

/// Revokes a device; its token stops working at once. Revoking twice is harmless.
pub async fn revoke_device(state: &AppState, device_id: &str) -> Result<Device, AppError> {
    state
        .storage
        .revoke_device(device_id, state.clock.now())
        .await?;
    let device = state
        .storage
        .device_by_id(device_id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("设备 {device_id}")))?;
    tracing::info!(device = %device_id, "device revoked");
    Ok(device)
}

/// The `liuhen://enroll` link a phone scans.
pub fn qr_payload(base_url: &str, code: &str) -> String {
    format!(
        "liuhen://enroll?server={}&code={code}",
        percent_encode(base_url)
    )
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// An account as the admin API shows it (no password hash).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserSummary {
    /// User id.
    pub id: String,
    /// Agency.
    pub agency_id: String,
    /// Login.
    pub login: String,
    /// Display name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Roster officer id.
    pub officer_id: Option<String>,
    /// Disabled.
    pub disabled: bool,
}

impl From<&User> for UserSummary {
    fn from(u: &User) -> Self {
        UserSummary {
            id: u.id.clone(),
            agency_id: u.agency_id.clone(),
            login: u.login.clone(),
            name: u.name.clone(),
            role: u.role,
            officer_id: u.officer_id.clone(),
            disabled: u.disabled,
        }
    }
}

/// A device as the admin API shows it (no token hash).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeviceSummary {
    /// Device id.
    pub id: String,
    /// Officer's user id.
    pub user_id: String,
    /// Name given at enrollment.
    pub name: String,
    /// automerge actor id.
    pub actor_id: String,
    /// When it enrolled.
    pub enrolled_at: DateTime<Utc>,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl DeviceSummary {
    fn new(d: &Device, name: &str) -> Self {
        DeviceSummary {
            id: d.id.clone(),
            user_id: d.user_id.clone(),
            name: name.to_string(),
            actor_id: d.actor_id.clone(),
            enrolled_at: d.enrolled_at,
            revoked_at: d.revoked_at,
        }
    }
}

/// Body of `POST /api/v1/admin/users`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateUserRequest {
    /// Login name.
    pub login: String,
    /// Display name.
    pub name: String,
    /// `officer`, `supervisor`, `legal_reviewer` or `admin`.
    pub role: String,
    /// Initial password.
    pub password: String,
    /// Roster officer id (officers).
    #[serde(default)]
    pub officer_id: Option<String>,
    /// Agency; must be the admin's own if given.
    #[serde(default)]
    pub agency_id: Option<String>,
}

/// Answer of `POST /api/v1/admin/users/{id}/enrollment-code`.
#[derive(Debug, Serialize, Deserialize)]
pub struct EnrollmentCodeResponse {
    /// The code (shown once).
    pub code: String,
    /// Valid until.
    pub expires_at: DateTime<Utc>,
    /// Link for a QR code: `liuhen://enroll?server=<base url>&code=<code>`.
    pub qr_payload: String,
}

fn admin(auth: &UserAuth) -> Result<&User, AppError> {
    require_role(&auth.user, &[Role::Admin])?;
    Ok(&auth.user)
}

async fn create_user_handler(
    State(state): State<AppState>,
    auth: UserAuth,
    ApiJson(req): ApiJson<CreateUserRequest>,
) -> Result<(StatusCode, Json<UserSummary>), AppError> {
    let admin = admin(&auth)?;
    if let Some(agency) = &req.agency_id
        && agency != &admin.agency_id
    {
        return Err(AppError::Forbidden);
    }
    let role = Role::parse(req.role.trim()).ok_or_else(|| {
        AppError::invalid("role", "应为 officer、supervisor、legal_reviewer 或 admin")
    })?;
    let user = create_user(
        &state,
        NewUser {
            agency_id: admin.agency_id.clone(),
            login: req.login,
            name: req.name,
            role,
            officer_id: req.officer_id,
            password: req.password,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(UserSummary::from(&user))))
}

async fn list_users(
    State(state): State<AppState>,
    auth: UserAuth,
) -> Result<Json<Vec<UserSummary>>, AppError> {
    let admin = admin(&auth)?;
    let users = state.storage.users_of_agency(&admin.agency_id).await?;
    Ok(Json(users.iter().map(UserSummary::from).collect()))
}

/// The base URL clients reach this server at, from the Host header.
fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    let scheme = if state.config.secure_cookies {
        "https"
    } else {
        "http"
    };
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.bytes().all(|b| {
                    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']')
                })
        })
        .unwrap_or("localhost");
    format!("{scheme}://{host}")
}

async fn enrollment_code_handler(
    State(state): State<AppState>,
    auth: UserAuth,
    headers: HeaderMap,
    Path(user_id): Path<String>,
) -> Result<Json<EnrollmentCodeResponse>, AppError> {
    let admin = admin(&auth)?;
    let user = state
        .storage
        .user_by_id(&user_id)
        .await?
        .filter(|u| u.agency_id == admin.agency_id)
        .ok_or_else(|| AppError::NotFound(format!("用户 {user_id}")))?;
    let (code, expires_at) = create_code(&state, &user).await?;
    let qr_payload = qr_payload(&base_url(&state, &headers), &code);
    Ok(Json(EnrollmentCodeResponse {
        code,
        expires_at,
        qr_payload,
    }))
}

async fn list_devices(
    State(state): State<AppState>,
    auth: UserAuth,
) -> Result<Json<Vec<DeviceSummary>>, AppError> {
    let admin = admin(&auth)?;
    let devices = state.storage.devices_of_agency(&admin.agency_id).await?;
    Ok(Json(
        devices
            .iter()
            .map(|(d, name)| DeviceSummary::new(d, name))
            .collect(),
    ))
}

async fn revoke_device_handler(
    State(state): State<AppState>,
    auth: UserAuth,
    Path(device_id): Path<String>,
) -> Result<Json<DeviceSummary>, AppError> {
    let admin = admin(&auth)?;
    let not_found = || AppError::NotFound(format!("设备 {device_id}"));
    let device = state
        .storage
        .device_by_id(&device_id)
        .await?
        .ok_or_else(not_found)?;
    let owner = state.storage.user_by_id(&device.user_id).await?;
    let Some(owner) = owner.filter(|u| u.agency_id == admin.agency_id) else {
        return Err(not_found());
    };
    let device = revoke_device(&state, &device_id).await?;
    Ok(Json(DeviceSummary::new(&device, &owner.name)))
}

async fn put_roster_handler(
    State(state): State<AppState>,
    auth: UserAuth,
    ApiJson(roster): ApiJson<RosterSnapshot>,
) -> Result<Json<RosterSummary>, AppError> {
    let admin = admin(&auth)?;
    if roster.agency.id != admin.agency_id {
        return Err(AppError::Forbidden);
    }
    Ok(Json(load_roster(&state, &roster).await?))
}

/// Routes under `/api/v1/admin` (admin sessions only).
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/admin/users",
            post(create_user_handler).get(list_users),
        )
        .route(
            "/api/v1/admin/users/{id}/enrollment-code",
            post(enrollment_code_handler),
        )
        .route("/api/v1/admin/devices", get(list_devices))
        .route(
            "/api/v1/admin/devices/{id}/revoke",
            post(revoke_device_handler),
        )
        .route("/api/v1/admin/roster", put(put_roster_handler))
}
