//! Browser sessions: sign-in with the argon2id password check and its limits
//! ([`crate::auth::check_password`], [`crate::login_limit`]; a refused attempt
//! answers 429 with the page, the typed login and any kept form), the session
//! cookie (HttpOnly, SameSite=Lax, `Secure` when served over TLS), CSRF tokens on
//! every form, sign-out, and keeping a form that was sent after its session ended
//! (nothing typed is lost).
//!
//! The session token is the same kind as an API session (random, stored only as
//! SHA-256). A form's CSRF token is derived from the session token, so it is bound
//! to the session and needs no storage; the sign-in form uses a double-submit
//! cookie instead (there is no session yet).

use askama::Template;
use axum::extract::{Form, FromRequestParts, OptionalFromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::Utc;
use cookie::{Cookie, SameSite};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::page::{Layout, WebError, html_response, landing, nav_for, role_label};
use crate::auth::{self, SESSION_TTL, new_token, token_hash};
use crate::client_addr::ClientAddr;
use crate::error::AppError;
use crate::state::AppState;
use crate::storage::web::FormDraft;
use crate::storage::{Role, User};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "liuhen_session";
/// Name of the sign-in form's double-submit cookie.
pub const LOGIN_CSRF_COOKIE: &str = "liuhen_login_csrf";
/// Largest kept form (bytes of JSON); larger drafts are refused, not truncated.
pub const MAX_DRAFT_BYTES: usize = 64 * 1024;

/// Routes: `GET/POST /login`, `POST /logout`.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/login", get(login_page).post(login_submit))
        .route("/logout", post(logout))
}

/// The CSRF token of forms in a session: derived from the session token.
pub fn csrf_for(session_token: &str) -> String {
    let h = Sha256::digest(format!("liuhen-csrf:{session_token}").as_bytes());
    hex::encode(&h[..16])
}

/// Compares two secrets without leaking where they differ (compares their hashes).
pub fn same_secret(a: &str, b: &str) -> bool {
    Sha256::digest(a.as_bytes()) == Sha256::digest(b.as_bytes())
}

/// A cookie's value from the request headers.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_string())
}

fn build_cookie(st: &AppState, name: &str, value: String, same_site: SameSite) -> HeaderValue {
    let c = Cookie::build((name.to_string(), value))
        .path("/")
        .http_only(true)
        .same_site(same_site)
        .secure(st.config.secure_cookies)
        .build();
    // Cookie values here are base64url or hex: always a valid header value.
    HeaderValue::from_str(&c.to_string()).unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn removal_cookie(st: &AppState, name: &str) -> HeaderValue {
    let mut c = Cookie::build((name.to_string(), ""))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(st.config.secure_cookies)
        .build();
    c.make_removal();
    HeaderValue::from_str(&c.to_string()).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// A signed-in browser user with a valid session.
#[derive(Debug, Clone)]
pub struct WebUser {
    /// The account.
    pub user: User,
    /// SHA-256 of the session token.
    pub token_hash: String,
    /// The CSRF token every form of this session carries.
    pub csrf: String,
}

impl WebUser {
    /// The header data of a page in `section`.
    pub fn layout(&self, section: &'static str) -> Layout {
        Layout {
            signed_in: true,
            user_name: self.user.name.clone(),
            role_label: role_label(self.user.role).into(),
            csrf: self.csrf.clone(),
            section,
            version: crate::VERSION,
            home: landing(self.user.role),
            nav: super::page::nav_items(self.user.role, section),
        }
    }

    /// [`WebError::Forbidden`] unless the user has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), WebError> {
        if roles.contains(&self.user.role) {
            Ok(())
        } else {
            Err(WebError::Forbidden)
        }
    }

    /// [`WebError::Csrf`] unless `sent` is this session's CSRF token.
    pub fn check_csrf(&self, sent: Option<&str>) -> Result<(), WebError> {
        match sent {
            Some(t) if same_secret(t, &self.csrf) => Ok(()),
            _ => {
                tracing::warn!(user = %self.user.id, "form refused: CSRF token missing or wrong");
                Err(WebError::Csrf)
            }
        }
    }
}

/// What the request's session cookie is worth.
#[derive(Debug, Clone)]
pub enum SessionProbe {
    /// A valid session.
    Valid(WebUser),
    /// No valid session: missing, unknown, expired (`user` is known) or of a
    /// disabled account.
    Ended {
        /// The account of an expired session.
        user: Option<User>,
        /// The session existed and expired.
        expired: bool,
    },
}

/// Refuses a state-changing request whose `Origin` is another site.
fn check_origin(parts: &Parts) -> Result<(), WebError> {
    if parts.method == Method::GET || parts.method == Method::HEAD {
        return Ok(());
    }
    let Some(origin) = parts.headers.get(header::ORIGIN) else {
        return Ok(());
    };
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let origin = origin.to_str().unwrap_or_default();
    let origin_host = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
        .unwrap_or("");
    if !host.is_empty() && origin_host == host {
        Ok(())
    } else {
        tracing::warn!(origin, host, "form refused: sent from another site");
        Err(WebError::Csrf)
    }
}

async fn probe(parts: &Parts, st: &AppState) -> Result<SessionProbe, WebError> {
    let Some(token) = cookie_value(&parts.headers, SESSION_COOKIE) else {
        return Ok(SessionProbe::Ended {
            user: None,
            expired: false,
        });
    };
    let hash = token_hash(&token);
    let Some((user, expires_at)) = st.storage.session_info(&hash).await? else {
        return Ok(SessionProbe::Ended {
            user: None,
            expired: false,
        });
    };
    if expires_at <= st.clock.now() {
        return Ok(SessionProbe::Ended {
            user: Some(user),
            expired: true,
        });
    }
    if user.disabled {
        return Ok(SessionProbe::Ended {
            user: None,
            expired: false,
        });
    }
    Ok(SessionProbe::Valid(WebUser {
        user,
        token_hash: hash,
        csrf: csrf_for(&token),
    }))
}

/// The path (and query) of the request, to come back to after signing in.
fn here(parts: &Parts) -> String {
    if parts.method == Method::GET {
        parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_default()
    } else {
        String::new()
    }
}

impl FromRequestParts<AppState> for SessionProbe {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, WebError> {
        check_origin(parts)?;
        probe(parts, st).await
    }
}

impl FromRequestParts<AppState> for WebUser {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, WebError> {
        check_origin(parts)?;
        match probe(parts, st).await? {
            SessionProbe::Valid(u) => Ok(u),
            SessionProbe::Ended { expired, .. } => Err(WebError::SignIn {
                next: here(parts),
                expired,
            }),
        }
    }
}

impl OptionalFromRequestParts<AppState> for WebUser {
    type Rejection = WebError;

    async fn from_request_parts(
        parts: &mut Parts,
        st: &AppState,
    ) -> Result<Option<Self>, WebError> {
        match probe(parts, st).await? {
            SessionProbe::Valid(u) => Ok(Some(u)),
            SessionProbe::Ended { .. } => Ok(None),
        }
    }
}

/// A local path to return to; anything else (other sites, `//host`, nothing)
/// becomes "" (the signed-in role's own landing page, [`destination`]).
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.chars().any(char::is_control) =>
        {
            n.to_string()
        }
        _ => String::new(),
    }
}

/// Whether `role` may open the page at `path`: a path under a menu section
/// (`/desk`, `/legal`, `/publish`, `/admin`, `/start`) only if the role's menu
/// ([`nav_for`]) has that section. Other paths are left to their handler.
fn may_open(role: Role, path: &str) -> bool {
    let first = path
        .trim_start_matches('/')
        .split(['/', '?', '#'])
        .next()
        .unwrap_or("");
    let sections = ["desk", "legal", "publish", "admin", "start"];
    if !sections.contains(&first) {
        return true;
    }
    nav_for(role)
        .iter()
        .any(|(_, href, _)| href.trim_start_matches('/') == first)
}

/// Where to send `role` after signing in: `next` if given and open to the role,
/// else the role's own landing page (never a page that answers 403).
pub fn destination(next: &str, role: Role) -> String {
    if next.is_empty() || !may_open(role, next) {
        landing(role).to_string()
    } else {
        next.to_string()
    }
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    layout: Layout,
    login_csrf: String,
    next: String,
    login: String,
    notice: Option<String>,
    error: Option<String>,
    draft: Option<String>,
}

/// Renders the sign-in page with a fresh double-submit cookie.
fn login_response(st: &AppState, status: StatusCode, mut page: LoginPage) -> Response {
    let token = new_token();
    page.login_csrf = csrf_for(&token);
    let body = match page.render() {
        Ok(b) => b,
        Err(e) => return WebError::Internal(format!("template: {e}")).into_response(),
    };
    let mut r = html_response(status, body);
    r.headers_mut().append(
        header::SET_COOKIE,
        build_cookie(st, LOGIN_CSRF_COOKIE, token, SameSite::Strict),
    );
    r
}

/// Query of `GET /login`.
#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    /// Where to go after signing in.
    pub next: Option<String>,
    /// `1` when sent here because the session expired.
    pub expired: Option<String>,
    /// `1` after signing out.
    pub signed_out: Option<String>,
}

async fn login_page(
    State(st): State<AppState>,
    user: Option<WebUser>,
    Query(q): Query<LoginQuery>,
) -> Response {
    let next = safe_next(q.next.as_deref());
    if let Some(u) = &user {
        return Redirect::to(&destination(&next, u.user.role)).into_response();
    }
    let notice = if q.expired.as_deref() == Some("1") {
        Some("登录已过期，请重新登录。".to_string())
    } else if q.signed_out.as_deref() == Some("1") {
        Some("已安全签退。".to_string())
    } else {
        None
    };
    login_response(
        &st,
        StatusCode::OK,
        LoginPage {
            layout: Layout::anonymous(),
            login_csrf: String::new(),
            next,
            login: String::new(),
            notice,
            error: None,
            draft: None,
        },
    )
}

/// The sign-in form.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    /// Double-submit token (must equal the cookie's derived token).
    pub csrf: Option<String>,
    /// Where to go after signing in.
    pub next: Option<String>,
    /// Login name.
    #[serde(default)]
    pub login: String,
    /// Password.
    #[serde(default)]
    pub password: String,
    /// A form kept from an ended session (JSON of `[name, value]` pairs).
    pub draft: Option<String>,
}

async fn login_submit(
    State(st): State<AppState>,
    client: ClientAddr,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let next = safe_next(form.next.as_deref());
    let draft = form.draft.clone().filter(|d| !d.is_empty());
    let retry = |status: StatusCode, error: String| {
        login_response(
            &st,
            status,
            LoginPage {
                layout: Layout::anonymous(),
                login_csrf: String::new(),
                next: next.clone(),
                login: form.login.clone(),
                notice: draft
                    .as_ref()
                    .map(|_| "您填写的内容已保留，登录后可核对并重新提交。".to_string()),
                error: Some(error),
                draft: draft.clone(),
            },
        )
    };
    let cookie_token = cookie_value(&headers, LOGIN_CSRF_COOKIE);
    let csrf_ok = match (&cookie_token, form.csrf.as_deref()) {
        (Some(c), Some(sent)) => same_secret(&csrf_for(c), sent),
        _ => false,
    };
    if !csrf_ok {
        return retry(
            StatusCode::FORBIDDEN,
            "登录页面已失效（安全校验码不符），请重新输入后再登录。".into(),
        );
    }
    let user = match auth::check_password(&st, &client, &form.login, &form.password).await {
        Ok(u) => u,
        Err(e) => {
            let status = match e {
                AppError::TooManyAttempts { .. }
                | AppError::TooManyRequests { .. }
                | AppError::AccountThrottled { .. } => StatusCode::TOO_MANY_REQUESTS,
                AppError::InvalidCredentials => StatusCode::UNAUTHORIZED,
                AppError::UserDisabled => StatusCode::FORBIDDEN,
                _ => StatusCode::SERVICE_UNAVAILABLE,
            };
            let mut r = retry(status, e.user_message());
            if let Some(secs) = e.retry_after_secs() {
                r.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(secs));
            }
            return r;
        }
    };
    let token = new_token();
    let expires_at = st.clock.now() + SESSION_TTL;
    if let Err(e) = st
        .storage
        .put_session(&token_hash(&token), &user.id, expires_at)
        .await
    {
        return retry(
            StatusCode::SERVICE_UNAVAILABLE,
            AppError::from(e).user_message(),
        );
    }
    if let Some(d) = &draft {
        let fields = if d.len() > MAX_DRAFT_BYTES {
            None
        } else {
            serde_json::from_str::<Vec<(String, String)>>(d).ok()
        };
        match fields {
            Some(fields) => {
                let kept = FormDraft {
                    user_id: user.id.clone(),
                    path: next.clone(),
                    fields,
                    saved_at: st.clock.now(),
                };
                if let Err(e) = st.storage.put_form_draft(&kept).await {
                    tracing::error!(error = %e, "could not keep a form draft");
                }
            }
            None => tracing::warn!("a kept form did not parse; ignored"),
        }
    }
    tracing::info!(user = %user.id, role = user.role.as_str(), "web session opened");
    let mut r = Redirect::to(&destination(&next, user.role)).into_response();
    let h = r.headers_mut();
    h.append(
        header::SET_COOKIE,
        build_cookie(&st, SESSION_COOKIE, token, SameSite::Lax),
    );
    h.append(header::SET_COOKIE, removal_cookie(&st, LOGIN_CSRF_COOKIE));
    r
}

/// The sign-out form.
#[derive(Debug, Deserialize)]
pub struct CsrfOnly {
    /// CSRF token.
    pub csrf: Option<String>,
}

async fn logout(
    State(st): State<AppState>,
    user: WebUser,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, WebError> {
    user.check_csrf(form.csrf.as_deref())?;
    st.storage.delete_session(&user.token_hash).await?;
    tracing::info!(user = %user.user.id, "web session closed");
    let mut r = Redirect::to("/login?signed_out=1").into_response();
    r.headers_mut()
        .append(header::SET_COOKIE, removal_cookie(&st, SESSION_COOKIE));
    Ok(r)
}

/// Answers a form that arrived after its session ended: the sign-in page, with the
/// typed fields carried along so that signing in keeps them for `path` (the page
/// then shows them to be checked and sent again). The CSRF token is not kept.
pub fn keep_form_and_sign_in(
    st: &AppState,
    path: &str,
    expired: bool,
    fields: &[(String, String)],
) -> Response {
    let kept: Vec<&(String, String)> = fields.iter().filter(|(k, _)| k != "csrf").collect();
    let draft = serde_json::to_string(&kept).ok();
    let notice = if expired {
        "登录已过期，操作尚未执行。您填写的内容已保留，重新登录后可核对并再次提交。"
    } else {
        "您尚未登录或已签退，操作尚未执行。您填写的内容已保留，登录后可核对并再次提交。"
    };
    login_response(
        st,
        StatusCode::UNAUTHORIZED,
        LoginPage {
            layout: Layout::anonymous(),
            login_csrf: String::new(),
            next: safe_next(Some(path)),
            login: String::new(),
            notice: Some(notice.into()),
            error: None,
            draft,
        },
    )
}

/// The form kept for this user and page, if any (see [`keep_form_and_sign_in`]).
pub async fn kept_form(
    st: &AppState,
    user: &WebUser,
    path: &str,
) -> Result<Option<FormDraft>, WebError> {
    Ok(st.storage.form_draft(&user.user.id, path).await?)
}

/// Forgets the form kept for this user and page.
pub async fn forget_kept_form(st: &AppState, user: &WebUser, path: &str) -> Result<(), WebError> {
    Ok(st.storage.delete_form_draft(&user.user.id, path).await?)
}

/// Current time, for pages that show "as of".
pub fn now(st: &AppState) -> chrono::DateTime<Utc> {
    st.clock.now()
}
