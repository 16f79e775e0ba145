//! Authentication: passwords (argon2id), device tokens and session tokens (32
//! random bytes, base64url, stored only as SHA-256 hex), the login lockout, and the
//! extractors handlers use: [`DeviceAuth`] for devices, [`UserAuth`] for API
//! sessions, [`Caller`] for either.

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng as PhcOsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::{FromRequestParts, State};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use rand::rngs::OsRng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::client_addr::ClientAddr;
use crate::error::{ApiJson, AppError};
use crate::state::AppState;
use crate::storage::login_attempts::LoginGate;
use crate::storage::{Device, Role, User};

/// How long an API session lasts.
pub const SESSION_TTL: Duration = Duration::hours(12);
/// Failed logins allowed for one login from one address within
/// [`LOCKOUT_WINDOW`] before that address is locked out of it (the default of
/// `serve --login-max-failures`; see [`crate::login_limit`]).
pub const LOCKOUT_THRESHOLD: usize = crate::login_limit::DEFAULT_MAX_FAILURES as usize;
/// Default window over which failed logins are counted.
pub const LOCKOUT_WINDOW: Duration =
    Duration::minutes(crate::login_limit::DEFAULT_WINDOW_MINUTES as i64);
/// Shortest password accepted for new accounts.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// A new random token: 32 bytes from the OS, base64url without padding (43 chars).
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The stored form of a token or code: SHA-256, lower-case hex.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A password's argon2id PHC string at the default cost (blocking: run it off the
/// async workers).
pub fn hash_password_blocking(password: &str) -> Result<String, AppError> {
    hash_password_with(&Argon2::default(), password)
}

/// A password's argon2 PHC string with a fresh salt, made with `argon2`'s algorithm
/// and cost (the demo accounts use the smallest; every other account the default).
pub(crate) fn hash_password_with(argon2: &Argon2<'_>, password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut PhcOsRng);
    argon2
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::internal(format!("argon2 hash: {e}")))
}

/// Whether `password` matches the stored PHC string (blocking); a hash that does
/// not parse never matches and is logged.
pub fn verify_password_blocking(hash: &str, password: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(e) => {
            tracing::error!(error = %e, "stored password hash is not a PHC string");
            false
        }
    }
}

/// Hashes a password with argon2id (default parameters), on the blocking pool.
pub async fn hash_password(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || hash_password_blocking(&password))
        .await
        .map_err(AppError::internal)?
}

/// Checks a password against a stored argon2 PHC string, on the blocking pool.
pub async fn verify_password(hash: String, password: String) -> Result<bool, AppError> {
    tokio::task::spawn_blocking(move || verify_password_blocking(&hash, &password))
        .await
        .map_err(AppError::internal)
}

/// A hash to verify against when the login does not exist, so that an unknown
/// login costs as much time as a wrong password.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        hash_password_blocking("liuhen-dummy-password").unwrap_or_else(|_| String::new())
    })
}

/// The key of a login in the lockout table.
fn lockout_key(login: &str) -> String {
    login.trim().to_lowercase()
}

/// Seconds from `now` until `until` (at least 1), for `Retry-After`.
fn secs_until(now: DateTime<Utc>, until: DateTime<Utc>) -> u64 {
    u64::try_from((until - now).num_seconds().max(1)).unwrap_or(1)
}

/// Checks a login and password from `client`, with the limits of
/// [`crate::login_limit`]: the per-address rate first, then the attempt is counted
/// as a failure in one storage transaction that also decides whether the login
/// is locked for this address or slowed, and only then is the password verified
/// (so parallel attempts cannot all pass the check). The right password forgets
/// this address's failures. Unknown logins and wrong passwords look the same. A
/// disabled account with the right password gets `user_disabled`.
pub async fn check_password(
    state: &AppState,
    client: &ClientAddr,
    login: &str,
    password: &str,
) -> Result<User, AppError> {
    state.security.rate.check(client)?;
    let key = lockout_key(login);
    let addr = client.limit_text();
    let now = state.clock.now();
    let policy = state.security.login.policy;
    match state
        .storage
        .begin_login_attempt(&key, &addr, now, policy)
        .await?
    {
        LoginGate::Allowed => {}
        LoginGate::AddressLocked { until } => {
            tracing::warn!(login = %key, client = %addr, "login locked for this address after repeated failures");
            return Err(AppError::TooManyAttempts {
                retry_after_secs: secs_until(now, until),
            });
        }
        LoginGate::AccountSlowed { until } => {
            tracing::warn!(login = %key, client = %addr, "login slowed after failures from many addresses");
            return Err(AppError::AccountThrottled {
                retry_after_secs: secs_until(now, until),
            });
        }
    }
    let user = state.storage.user_by_login(login.trim()).await?;
    let hash = match &user {
        Some(u) => u.password_hash.clone(),
        None => tokio::task::spawn_blocking(|| dummy_hash().to_string())
            .await
            .map_err(AppError::internal)?,
    };
    let ok = verify_password(hash, password.to_string()).await?;
    match user {
        Some(user) if ok => {
            state.storage.login_succeeded(&key, &addr).await?;
            if user.disabled {
                return Err(AppError::UserDisabled);
            }
            Ok(user)
        }
        _ => Err(AppError::InvalidCredentials),
    }
}

/// The bearer token of a request.
fn bearer(parts: &Parts) -> Result<&str, AppError> {
    let value = parts
        .headers
        .get(AUTHORIZATION)
        .ok_or(AppError::TokenMissing)?;
    let value = value.to_str().map_err(|_| AppError::TokenInvalid)?;
    let (scheme, token) = value.trim().split_once(' ').ok_or(AppError::TokenInvalid)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(AppError::TokenInvalid);
    }
    let token = token.trim();
    if token.is_empty()
        || token.len() > 128
        || !token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(AppError::TokenInvalid);
    }
    Ok(token)
}

/// A request from an enrolled, unrevoked device of an enabled officer.
#[derive(Debug, Clone)]
pub struct DeviceAuth {
    /// The device.
    pub device: Device,
    /// Its officer's account.
    pub user: User,
}

/// A request with a valid API session (any role).
#[derive(Debug, Clone)]
pub struct UserAuth {
    /// The signed-in user.
    pub user: User,
}

async fn device_auth(token: &str, state: &AppState) -> Result<Option<DeviceAuth>, AppError> {
    let Some(device) = state
        .storage
        .device_by_token_hash(&token_hash(token))
        .await?
    else {
        return Ok(None);
    };
    if device.revoked_at.is_some() {
        return Err(AppError::TokenRevoked);
    }
    let user = state
        .storage
        .user_by_id(&device.user_id)
        .await?
        .ok_or(AppError::TokenInvalid)?;
    if user.disabled {
        return Err(AppError::UserDisabled);
    }
    Ok(Some(DeviceAuth { device, user }))
}

async fn user_auth(token: &str, state: &AppState) -> Result<Option<UserAuth>, AppError> {
    let Some((user, expires_at)) = state.storage.session_info(&token_hash(token)).await? else {
        return Ok(None);
    };
    if expires_at <= state.clock.now() {
        return Err(AppError::SessionExpired);
    }
    if user.disabled {
        return Err(AppError::UserDisabled);
    }
    Ok(Some(UserAuth { user }))
}

impl FromRequestParts<AppState> for DeviceAuth {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let token = bearer(parts)?;
        device_auth(token, state)
            .await?
            .ok_or(AppError::TokenInvalid)
    }
}

impl FromRequestParts<AppState> for UserAuth {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let token = bearer(parts)?;
        user_auth(token, state).await?.ok_or(AppError::TokenInvalid)
    }
}

/// Either kind of caller (for endpoints both devices and sessions use).
#[derive(Debug, Clone)]
pub enum Caller {
    /// A device token.
    Device(DeviceAuth),
    /// A session token.
    User(UserAuth),
}

impl Caller {
    /// The account behind the call.
    pub fn user(&self) -> &User {
        match self {
            Caller::Device(d) => &d.user,
            Caller::User(u) => &u.user,
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let token = bearer(parts)?;
        if let Some(u) = user_auth(token, state).await? {
            return Ok(Caller::User(u));
        }
        device_auth(token, state)
            .await?
            .map(Caller::Device)
            .ok_or(AppError::TokenInvalid)
    }
}

/// 403 `forbidden` unless the user has one of `roles`.
pub fn require_role(user: &User, roles: &[Role]) -> Result<(), AppError> {
    if roles.contains(&user.role) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// Body of `POST /api/v1/login`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// Login name.
    pub login: String,
    /// Password.
    pub password: String,
}

/// Answer of `POST /api/v1/login`.
#[derive(Debug, Serialize, Deserialize)]
pub struct LoginResponse {
    /// Session token (shown once; send as `Authorization: Bearer`).
    pub token: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

/// The public view of an account.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserView {
    /// User id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Roster officer id, for officers.
    pub officer_id: Option<String>,
}

impl From<&User> for UserView {
    fn from(u: &User) -> Self {
        UserView {
            id: u.id.clone(),
            name: u.name.clone(),
            role: u.role,
            officer_id: u.officer_id.clone(),
        }
    }
}

/// `POST /api/v1/login`: a 12-hour API session for any role.
async fn login(
    State(state): State<AppState>,
    client: ClientAddr,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Json<LoginResponse>, AppError> {
    let user = check_password(&state, &client, &req.login, &req.password).await?;
    let token = new_token();
    let expires_at = state.clock.now() + SESSION_TTL;
    state
        .storage
        .put_session(&token_hash(&token), &user.id, expires_at)
        .await?;
    tracing::info!(user = %user.id, role = user.role.as_str(), "session opened");
    Ok(Json(LoginResponse { token, expires_at }))
}

/// Answer of `GET /api/v1/me`.
#[derive(Debug, Serialize, Deserialize)]
pub struct MeResponse {
    /// User id.
    pub id: String,
    /// Login name.
    pub login: String,
    /// Display name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Roster officer id, for officers.
    pub officer_id: Option<String>,
    /// Agency.
    pub agency_id: String,
    /// The device, when called with a device token.
    pub device_id: Option<String>,
}

/// `GET /api/v1/me`: who the token belongs to (device or session).
async fn me(caller: Caller) -> Json<MeResponse> {
    let u = caller.user();
    Json(MeResponse {
        id: u.id.clone(),
        login: u.login.clone(),
        name: u.name.clone(),
        role: u.role,
        officer_id: u.officer_id.clone(),
        agency_id: u.agency_id.clone(),
        device_id: match &caller {
            Caller::Device(d) => Some(d.device.id.clone()),
            Caller::User(_) => None,
        },
    })
}

/// Routes: `POST /api/v1/login`, `GET /api/v1/me`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/login", post(login))
        .route("/api/v1/me", get(me))
}
