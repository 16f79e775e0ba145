//! What every page shares: the layout data of the header, rendering a template,
//! and [`WebError`], the HTML error page (with its status) of every page handler.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};

use crate::api::sync::SyncFailure;
use crate::storage::{Role, StorageError, User};

/// What the header of every page shows.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    /// Whether a user is signed in (the header shows the menu and sign-out).
    pub signed_in: bool,
    /// Display name.
    pub user_name: String,
    /// Role in Chinese.
    pub role_label: String,
    /// The session's CSRF token, for the sign-out form.
    pub csrf: String,
    /// Which menu entry is current (`queue`, ...).
    pub section: &'static str,
    /// Program version.
    pub version: &'static str,
    /// Where the brand link leads: the role's own landing page (`/` signed out).
    pub home: &'static str,
    /// The header menu entries this role may open.
    pub nav: Vec<NavItem>,
}

/// One entry of the header menu.
#[derive(Debug, Clone)]
pub struct NavItem {
    /// Path it opens.
    pub href: &'static str,
    /// Chinese label.
    pub label: &'static str,
    /// Whether the page shown belongs to it (`aria-current`).
    pub current: bool,
}

impl Layout {
    /// The layout of a page nobody is signed in to.
    pub fn anonymous() -> Self {
        Layout {
            version: crate::VERSION,
            home: "/",
            ..Layout::default()
        }
    }
}

/// Where a role lands after signing in: its own work, never a page it may not open.
pub fn landing(role: Role) -> &'static str {
    match role {
        Role::Supervisor => "/desk",
        Role::LegalReviewer => "/legal",
        Role::Admin => "/admin",
        Role::Officer => "/start",
    }
}

/// The header menu of a role, with `section` marked current.
pub fn nav_items(role: Role, section: &str) -> Vec<NavItem> {
    nav_for(role)
        .into_iter()
        .map(|(s, href, label)| NavItem {
            href,
            label,
            current: s == section,
        })
        .collect()
}

/// The header menu of a role: only the pages it may open (section, path, label).
/// Must agree with the role checks of each page (`crate::pages::desk::DESK_ROLES`,
/// `crate::services::legal::workflow::READER_ROLES`, `crate::pages::public::publish::QUEUE_ROLES`).
pub fn nav_for(role: Role) -> Vec<(&'static str, &'static str, &'static str)> {
    const DESK: (&str, &str, &str) = ("queue", "/desk", "审核队列");
    const LEGAL: (&str, &str, &str) = ("legal", "/legal", "法制审核");
    const PUBLISH: (&str, &str, &str) = ("publish", "/publish", "公示发布");
    const ADMIN: (&str, &str, &str) = ("admin", "/admin", "管理");
    const START: (&str, &str, &str) = ("start", "/start", "我的工作");
    match role {
        Role::Supervisor => vec![DESK, LEGAL, PUBLISH],
        Role::LegalReviewer => vec![LEGAL, PUBLISH],
        Role::Admin => vec![DESK, LEGAL, PUBLISH, ADMIN],
        Role::Officer => vec![START, LEGAL],
    }
}

pub use crate::services::labels::role_label;

/// Renders a template as an HTML page (200), or the error page if it fails.
pub fn render(t: &impl Template) -> Response {
    render_status(t, StatusCode::OK)
}

/// Renders a template as an HTML page with `status`, or the error page if it fails.
pub fn render_status(t: &impl Template, status: StatusCode) -> Response {
    match t.render() {
        Ok(body) => html_response(status, body),
        Err(e) => WebError::Internal(format!("template: {e}")).into_response(),
    }
}

/// An HTML response that is never cached (pages carry personal data and tokens).
pub fn html_response(status: StatusCode, body: String) -> Response {
    let mut r = (status, Html(body)).into_response();
    let h = r.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; media-src 'self'; \
             style-src 'self'; script-src 'self'; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    r
}

/// Why a page could not be shown; answered as the HTML error page.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// No valid session: sign in first (GET pages redirect to the sign-in page).
    #[error("请先登录")]
    SignIn {
        /// Where to return after signing in.
        next: String,
        /// The session existed but has expired.
        expired: bool,
    },
    /// The role may not see this page.
    #[error("您的账号无权查看此页面")]
    Forbidden,
    /// A form without a valid CSRF token, or sent from another site.
    #[error("表单安全校验失败（缺少或错误的校验码），操作未执行。请返回页面、刷新后重试。")]
    Csrf,
    /// Nothing here (or another agency's record: no existence leak).
    #[error("找不到{0}")]
    NotFound(String),
    /// A form field is wrong; the message says which and how.
    #[error("{0}")]
    BadRequest(String),
    /// Storage failed; details are logged.
    #[error("服务器存储暂时不可用，请稍后重试")]
    Storage(#[from] StorageError),
    /// Any other failure; details are logged.
    #[error("服务器内部错误，请稍后重试")]
    Internal(String),
}

impl WebError {
    /// HTTP status of the error page.
    pub fn status(&self) -> StatusCode {
        match self {
            WebError::SignIn { .. } => StatusCode::UNAUTHORIZED,
            WebError::Forbidden | WebError::Csrf => StatusCode::FORBIDDEN,
            WebError::NotFound(_) => StatusCode::NOT_FOUND,
            WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::Storage(StorageError::NotFound(_)) => StatusCode::NOT_FOUND,
            WebError::Storage(_) => StatusCode::SERVICE_UNAVAILABLE,
            WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<SyncFailure> for WebError {
    fn from(f: SyncFailure) -> Self {
        match f.status() {
            StatusCode::NOT_FOUND => {
                WebError::NotFound(f.message().trim_start_matches("找不到").into())
            }
            StatusCode::FORBIDDEN => WebError::Forbidden,
            StatusCode::BAD_REQUEST => WebError::BadRequest(f.message().into()),
            StatusCode::SERVICE_UNAVAILABLE => {
                WebError::Storage(StorageError::Backend(f.message().into()))
            }
            _ => WebError::Internal(f.message().into()),
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    layout: Layout,
    heading: &'a str,
    message: String,
    hint: Option<&'a str>,
    back: &'a str,
}

impl WebError {
    /// The error page with the header of `layout` (a signed-in user keeps their
    /// menu and a way back to their own work).
    pub fn page_with(self, layout: Layout) -> Response {
        if matches!(self, WebError::SignIn { .. }) {
            return self.into_response();
        }
        let status = self.status();
        let heading = match &self {
            WebError::Forbidden => "无权访问",
            WebError::NotFound(_) => "找不到页面",
            _ => "出错了",
        };
        let back = layout.home;
        let page = ErrorPage {
            layout,
            heading,
            message: self.to_string(),
            hint: None,
            back,
        };
        match page.render() {
            Ok(body) => html_response(status, body),
            Err(_) => self.into_response(),
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        match &self {
            WebError::SignIn { next, expired } => {
                let mut q = vec![("next", next.as_str())];
                if *expired {
                    q.push(("expired", "1"));
                }
                let query = serde_urlencoded::to_string(q).unwrap_or_default();
                return Redirect::to(&format!("/login?{query}")).into_response();
            }
            WebError::Storage(e) => tracing::error!(error = %e, "page storage failure"),
            WebError::Internal(d) => tracing::error!(detail = %d, "page failure"),
            _ => {}
        }
        let heading = match &self {
            WebError::Forbidden => "无权访问",
            WebError::Csrf => "操作未执行",
            WebError::NotFound(_) => "找不到页面",
            WebError::BadRequest(_) => "填写有误",
            _ => "出错了",
        };
        let hint = match &self {
            WebError::Forbidden => Some("如需此权限，请联系本单位管理员。"),
            WebError::Storage(_) | WebError::Internal(_) => {
                Some("已记录在服务器日志中；您已填写的内容请先自行保存。")
            }
            _ => None,
        };
        let page = ErrorPage {
            layout: Layout::anonymous(),
            heading,
            message: self.to_string(),
            hint,
            back: "/",
        };
        let body = page
            .render()
            .unwrap_or_else(|_| format!("<!doctype html><title>错误</title><p>{heading}</p>"));
        html_response(self.status(), body)
    }
}

/// The user's agency must own the record; otherwise it does not exist for them.
pub fn same_agency(user: &User, agency_id: &str, what: &str) -> Result<(), WebError> {
    if user.agency_id == agency_id {
        Ok(())
    } else {
        Err(WebError::NotFound(what.to_string()))
    }
}
