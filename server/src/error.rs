//! Errors of the HTTP API: one enum, one mapping to status, stable code and Chinese
//! message. Every failed call answers with a JSON [`ApiError`] `{ code, message }`.
//! Backend details (SQL, paths) are logged, never sent.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use liuhen_domain::model::ModelError;
use liuhen_domain::protocol::ApiError;

use crate::storage::StorageError;

/// An error any handler or extractor can return.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No `Authorization: Bearer` header.
    #[error("缺少访问令牌，请先登录或登记设备")]
    TokenMissing,
    /// The token is unknown or malformed.
    #[error("访问令牌无效，请重新登录或重新登记设备")]
    TokenInvalid,
    /// The device token belongs to a revoked device.
    #[error("此设备已被管理员停用，请联系管理员重新登记")]
    TokenRevoked,
    /// The session token has expired.
    #[error("登录已过期，请重新登录")]
    SessionExpired,
    /// The account is disabled.
    #[error("账号已停用，请联系管理员")]
    UserDisabled,
    /// The caller's role may not do this.
    #[error("无权执行此操作")]
    Forbidden,
    /// Wrong login or password.
    #[error("登录名或密码错误")]
    InvalidCredentials,
    /// The enrollment code is unknown, used or expired.
    #[error("登记码无效、已使用或已过期，请向管理员索取新的登记码")]
    EnrollmentCodeInvalid,
    /// Only officers enroll devices.
    #[error("只有执法人员账号可以登记设备")]
    NotAnOfficer,
    /// The device id is enrolled already (and not revoked).
    #[error("此设备已登记；如需重新登记，请先由管理员停用原登记")]
    DeviceExists,
    /// Too many failed logins: locked for a while.
    #[error("登录失败次数过多，请 {} 分钟后再试", minutes(*.retry_after_secs))]
    TooManyAttempts {
        /// Seconds until the next attempt is allowed.
        retry_after_secs: u64,
    },
    /// Too many sign-in attempts from one client address (any account).
    #[error("来自您所在网络地址的登录尝试过于频繁，请 {}后再试", wait_text(*.retry_after_secs))]
    TooManyRequests {
        /// Seconds until the next attempt is allowed.
        retry_after_secs: u64,
    },
    /// The login failed too often from many addresses: attempts are spaced out.
    #[error("该账号近期在多处登录失败次数过多，为保护账号已放慢登录，请 {}后再试", wait_text(*.retry_after_secs))]
    AccountThrottled {
        /// Seconds until the next attempt is allowed.
        retry_after_secs: u64,
    },
    /// A field of the request is invalid; `field` names it.
    #[error("字段 {field} 无效：{reason}")]
    InvalidField {
        /// Dotted field name, e.g. `public_key`, `officers[2].agency_id`.
        field: String,
        /// Why, in Chinese.
        reason: String,
    },
    /// The body is not the JSON this endpoint expects.
    #[error("请求内容格式错误：{0}")]
    MalformedRequest(String),
    /// The body is larger than the limit.
    #[error("请求内容过大，超过服务器允许的上限")]
    BodyTooLarge,
    /// The body is not declared as JSON.
    #[error("请求内容类型应为 application/json")]
    UnsupportedMediaType,
    /// A named record does not exist (or is not visible to the caller).
    #[error("找不到{0}")]
    NotFound(String),
    /// No such endpoint.
    #[error("找不到此接口：{0}")]
    RouteNotFound(String),
    /// The endpoint exists but not with this method.
    #[error("此接口不支持该请求方法")]
    MethodNotAllowed,
    /// A record with the same key exists.
    #[error("{0}")]
    Conflict(String),
    /// Any other error with its own status and code (for other modules).
    #[error("{message}")]
    Custom {
        /// HTTP status.
        status: StatusCode,
        /// Stable snake_case code.
        code: &'static str,
        /// Chinese message.
        message: String,
    },
    /// An internal failure; the detail is logged, the user sees a generic message.
    #[error("服务器内部错误，请稍后重试")]
    Internal(String),
    /// A storage failure.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

fn minutes(secs: u64) -> u64 {
    secs.div_ceil(60).max(1)
}

/// A wait in Chinese: seconds under a minute, else whole minutes (rounded up).
fn wait_text(secs: u64) -> String {
    if secs < 60 {
        format!("{} 秒", secs.max(1))
    } else {
        format!("{} 分钟", minutes(secs))
    }
}

impl AppError {
    /// An invalid field.
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        AppError::InvalidField {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// An error with its own status, code and Chinese message.
    pub fn custom(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        AppError::Custom {
            status,
            code,
            message: message.into(),
        }
    }

    /// An internal error; `detail` goes to the log only.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        AppError::Internal(detail.to_string())
    }

    /// HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::TokenMissing
            | AppError::TokenInvalid
            | AppError::TokenRevoked
            | AppError::SessionExpired
            | AppError::InvalidCredentials
            | AppError::EnrollmentCodeInvalid => StatusCode::UNAUTHORIZED,
            AppError::UserDisabled | AppError::Forbidden | AppError::NotAnOfficer => {
                StatusCode::FORBIDDEN
            }
            AppError::DeviceExists | AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::TooManyAttempts { .. }
            | AppError::TooManyRequests { .. }
            | AppError::AccountThrottled { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::InvalidField { .. } | AppError::MalformedRequest(_) => {
                StatusCode::BAD_REQUEST
            }
            AppError::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::NotFound(_) | AppError::RouteNotFound(_) => StatusCode::NOT_FOUND,
            AppError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            AppError::Custom { status, .. } => *status,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            AppError::Storage(e) => match e {
                StorageError::Conflict(_) => StatusCode::CONFLICT,
                StorageError::NotFound(_) => StatusCode::NOT_FOUND,
                StorageError::Busy(_) | StorageError::Stale(_) => StatusCode::SERVICE_UNAVAILABLE,
                StorageError::Backend(_) | StorageError::NewerSchema { .. } => {
                    StatusCode::INTERNAL_SERVER_ERROR
                }
            },
        }
    }

    /// Stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::TokenMissing => "token_missing",
            AppError::TokenInvalid => "token_invalid",
            AppError::TokenRevoked => "token_revoked",
            AppError::SessionExpired => "session_expired",
            AppError::UserDisabled => "user_disabled",
            AppError::Forbidden => "forbidden",
            AppError::InvalidCredentials => "invalid_credentials",
            AppError::EnrollmentCodeInvalid => "enrollment_code_invalid",
            AppError::NotAnOfficer => "not_an_officer",
            AppError::DeviceExists => "device_exists",
            AppError::TooManyAttempts { .. } => "too_many_attempts",
            AppError::TooManyRequests { .. } => "too_many_requests",
            AppError::AccountThrottled { .. } => "account_throttled",
            AppError::InvalidField { .. } => "invalid_field",
            AppError::MalformedRequest(_) => "malformed_request",
            AppError::BodyTooLarge => "body_too_large",
            AppError::UnsupportedMediaType => "unsupported_media_type",
            AppError::NotFound(_) | AppError::RouteNotFound(_) => "not_found",
            AppError::MethodNotAllowed => "method_not_allowed",
            AppError::Conflict(_) => "conflict",
            AppError::Custom { code, .. } => code,
            AppError::Internal(_) => "internal",
            AppError::Storage(e) => match e {
                StorageError::Conflict(_) => "conflict",
                StorageError::NotFound(_) => "not_found",
                // A write that stayed stale after its retries (issue 18): as retryable.
                StorageError::Busy(_) | StorageError::Stale(_) => "storage_busy",
                StorageError::Backend(_) => "internal",
                StorageError::NewerSchema { .. } => "schema_newer",
            },
        }
    }

    /// The Chinese message a user sees (never backend details).
    pub fn user_message(&self) -> String {
        match self {
            AppError::Storage(StorageError::Backend(_)) => {
                AppError::Internal(String::new()).to_string()
            }
            AppError::Storage(StorageError::Busy(_) | StorageError::Stale(_)) => {
                "服务器繁忙，请稍后重试".into()
            }
            other => other.to_string(),
        }
    }

    /// Seconds to wait before trying again, for the sign-in limits (`Retry-After`).
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            AppError::TooManyAttempts { retry_after_secs }
            | AppError::TooManyRequests { retry_after_secs }
            | AppError::AccountThrottled { retry_after_secs } => Some((*retry_after_secs).max(1)),
            _ => None,
        }
    }

    /// The JSON body.
    pub fn body(&self) -> ApiError {
        ApiError {
            code: self.code().to_string(),
            message: self.user_message(),
        }
    }
}

impl From<ModelError> for AppError {
    fn from(e: ModelError) -> Self {
        AppError::InvalidField {
            field: e.field,
            reason: e.reason,
        }
    }
}

impl From<JsonRejection> for AppError {
    fn from(e: JsonRejection) -> Self {
        match e.status() {
            StatusCode::PAYLOAD_TOO_LARGE => AppError::BodyTooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => AppError::UnsupportedMediaType,
            _ => AppError::MalformedRequest(innermost(&e)),
        }
    }
}

/// The innermost cause of an error (serde's words: which field, which line).
fn innermost(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        match &self {
            AppError::Internal(detail) => tracing::error!(%detail, "internal error"),
            AppError::Storage(
                e @ (StorageError::Backend(_)
                | StorageError::Busy(_)
                | StorageError::Stale(_)
                | StorageError::NewerSchema { .. }),
            ) => {
                tracing::error!(error = %e, "storage error")
            }
            _ => tracing::debug!(code = self.code(), "request refused"),
        }
        let mut resp = (status, axum::Json(self.body())).into_response();
        if let Some(secs) = self.retry_after_secs()
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        resp
    }
}

/// A JSON body extractor whose rejections are [`AppError`]s (400
/// `malformed_request`, 413 `body_too_large`, 415 `unsupported_media_type`) instead
/// of axum's plain-text ones. Use it instead of `axum::Json` in handlers.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let axum::Json(v) = axum::Json::<T>::from_request(req, state).await?;
        Ok(ApiJson(v))
    }
}

/// Fallback for a known path with another method: 405 JSON.
pub async fn method_not_allowed() -> AppError {
    AppError::MethodNotAllowed
}
