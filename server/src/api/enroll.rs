//! Device enrollment: an officer's phone registers its device id, ed25519 public
//! key and automerge actor id, proving who it is with a login and password or a
//! one-time enrollment code, and receives a device token (shown once).

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use rand::rngs::OsRng;
use serde::{Deserialize, Serialize};

use crate::api::device_identity::{
    actor_reserved, is_user_actor, parse_actor_id, parse_device_id, parse_public_key, refusal,
};
use crate::auth::{UserView, check_password, new_token, token_hash};
use crate::error::{ApiJson, AppError};
use crate::state::AppState;
use crate::storage::{Device, Role, User};

/// Characters of enrollment codes: no 0/O, 1/I/L look-alikes.
pub const CODE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
/// Length of an enrollment code.
pub const CODE_LEN: usize = 8;
/// How long an enrollment code stays valid.
pub const CODE_TTL: Duration = Duration::hours(24);

/// A fresh random enrollment code.
pub fn new_code() -> String {
    let mut rng = OsRng;
    (0..CODE_LEN)
        .map(|_| char::from(CODE_ALPHABET[rng.gen_range(0..CODE_ALPHABET.len())]))
        .collect()
}

/// A code as typed (any case, spaces or dashes) in its canonical form.
pub fn normalize_code(input: &str) -> String {
    input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Creates and stores a one-time enrollment code for an officer account; returns
/// the code (shown once) and when it expires.
pub async fn create_code(
    state: &AppState,
    user: &User,
) -> Result<(String, DateTime<Utc>), AppError> {
    if user.role != Role::Officer {
        return Err(AppError::custom(
            axum::http::StatusCode::BAD_REQUEST,
            "not_an_officer",
            "只有执法人员账号可以生成设备登记码",
        ));
    }
    if user.disabled {
        return Err(AppError::UserDisabled);
    }
    let code = new_code();
    let expires_at = state.clock.now() + CODE_TTL;
    state
        .storage
        .put_enrollment_code(&token_hash(&code), &user.id, expires_at)
        .await?;
    tracing::info!(user = %user.id, %expires_at, "enrollment code created");
    Ok((code, expires_at))
}

/// Body of `POST /api/v1/enroll`: either `login` + `password`, or `code`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrollRequest {
    /// Login name (with `password`).
    #[serde(default)]
    pub login: Option<String>,
    /// Password (with `login`).
    #[serde(default)]
    pub password: Option<String>,
    /// One-time enrollment code (instead of login and password).
    #[serde(default)]
    pub code: Option<String>,
    /// Device id made on the device: a UUID, lower case with hyphens.
    pub device_id: String,
    /// ed25519 public key, hex (32 bytes, a canonical point of full order).
    pub public_key: String,
    /// automerge actor id, hex (16 bytes); kept for ever by the device id.
    pub actor_id: String,
    /// Name shown to admins, e.g. "李明的手机".
    pub device_name: String,
}

/// Answer of `POST /api/v1/enroll`.
#[derive(Debug, Serialize, Deserialize)]
pub struct EnrollResponse {
    /// Device token (shown once; send as `Authorization: Bearer`).
    pub token: String,
    /// The officer's account.
    pub user: UserView,
    /// Server clock (the device may report skew).
    pub server_time: DateTime<Utc>,
}

/// Checks the device fields; returns (device_id, public_key, actor_id, name).
/// Refuses the schema chain's actor id here already (`actor_id_reserved`).
pub fn validate_device_fields(
    req: &EnrollRequest,
) -> Result<(String, String, String, String), AppError> {
    let device_id = parse_device_id(&req.device_id)?;
    let public_key = parse_public_key(&req.public_key)?;
    let actor_id = parse_actor_id(&req.actor_id)?;
    let name = req.device_name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::invalid("device_name", "应为 1 到 100 个字符"));
    }
    if name.chars().any(char::is_control) {
        return Err(AppError::invalid("device_name", "含有不可见的控制字符"));
    }
    Ok((device_id, public_key, actor_id, name.to_string()))
}

/// `POST /api/v1/enroll`.
///
/// Device identity (issue 16 item 5): a device id enrolled and not revoked is
/// refused before the credentials are checked (a retried enrolment does not burn a
/// code); the other rules need the person and are checked after: an actor id the
/// server writes with (a user's actor), an actor id another device has (ever), a
/// revoked device id of another person, or a revoked device id with another actor
/// id are refused, each with its own code (see [`crate::api::device_identity`]).
async fn enroll(
    State(state): State<AppState>,
    client: crate::client_addr::ClientAddr,
    ApiJson(req): ApiJson<EnrollRequest>,
) -> Result<Json<EnrollResponse>, AppError> {
    // Validate everything before touching credentials: a bad key must not burn a code.
    let (device_id, public_key, actor_id, name) = validate_device_fields(&req)?;
    if let Some(existing) = state.storage.device_by_id(&device_id).await?
        && existing.revoked_at.is_none()
    {
        return Err(AppError::DeviceExists);
    }
    let user = match (&req.login, &req.password, &req.code) {
        (Some(login), Some(password), None) => {
            check_password(&state, &client, login, password).await?
        }
        (None, None, Some(code)) => {
            // Codes are guessed no faster than passwords (issue 16).
            state.security.rate.check(&client)?;
            let code = normalize_code(code);
            if code.len() != CODE_LEN {
                return Err(AppError::EnrollmentCodeInvalid);
            }
            let now = state.clock.now();
            let user_id = state
                .storage
                .take_enrollment_code(&token_hash(&code), now)
                .await?
                .ok_or(AppError::EnrollmentCodeInvalid)?;
            let user = state
                .storage
                .user_by_id(&user_id)
                .await?
                .ok_or(AppError::EnrollmentCodeInvalid)?;
            if user.disabled {
                return Err(AppError::UserDisabled);
            }
            user
        }
        _ => {
            return Err(AppError::MalformedRequest(
                "请提供登录名和密码，或提供登记码（二者选一）".into(),
            ));
        }
    };
    if user.role != Role::Officer || user.officer_id.is_none() {
        return Err(AppError::NotAnOfficer);
    }
    if is_user_actor(&actor_id, &state.storage.all_user_ids().await?) {
        tracing::warn!(device = %device_id, user = %user.id, actor = %actor_id, "enrolment refused: actor id of a server user");
        return Err(actor_reserved(&actor_id));
    }
    let token = new_token();
    let now = state.clock.now();
    let device = Device {
        id: device_id,
        user_id: user.id.clone(),
        public_key,
        actor_id,
        token_hash: token_hash(&token),
        enrolled_at: now,
        revoked_at: None,
    };
    if let Err(r) = state.storage.enroll_device(&device, &name).await? {
        tracing::warn!(device = %device.id, user = %user.id, actor = %device.actor_id, refusal = ?r, "enrolment refused");
        return Err(refusal(&device.id, &device.actor_id, r));
    }
    tracing::info!(device = %device.id, user = %user.id, "device enrolled");
    Ok(Json(EnrollResponse {
        token,
        user: UserView::from(&user),
        server_time: now,
    }))
}

/// Routes: `POST /api/v1/enroll`.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/enroll", post(enroll))
}
