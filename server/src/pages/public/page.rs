//! What every public page shares (公示, no sign-in): the layout data, rendering with
//! cache headers (public pages hold no personal data and may be cached briefly),
//! and the public error page.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

/// How long browsers and proxies may keep a public page or export (seconds).
pub const PUBLIC_MAX_AGE: u32 = 60;

/// What the header of every public page shows.
#[derive(Debug, Clone)]
pub struct PublicLayout {
    /// Which menu entry is current: `home`, `bodies`, `officers`, `items`,
    /// `documents`, `catalogue`, `decisions`, `draws`, `stats`, `open_data`.
    pub section: &'static str,
    /// Program version.
    pub version: &'static str,
}

impl PublicLayout {
    /// The layout of a page in `section`.
    pub fn new(section: &'static str) -> Self {
        PublicLayout {
            section,
            version: crate::VERSION,
        }
    }
}

/// Security and cache headers of every public answer (HTML, CSV, XLSX, JSON).
pub fn public_headers(r: &mut Response) {
    let h = r.headers_mut();
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_str(&format!("public, max-age={PUBLIC_MAX_AGE}"))
            .unwrap_or_else(|_| HeaderValue::from_static("no-cache")),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
}

/// Renders a public template with `status`, or the public error page if it fails.
pub fn render_public(status: StatusCode, t: &impl Template) -> Response {
    match t.render() {
        Ok(body) => {
            let mut r = (status, Html(body)).into_response();
            public_headers(&mut r);
            r
        }
        Err(e) => PublicError::Internal(format!("template: {e}")).into_response(),
    }
}

/// Why a public page could not be shown; answered as the public error page.
#[derive(Debug, thiserror::Error)]
pub enum PublicError {
    /// Nothing here.
    #[error("找不到{0}")]
    NotFound(String),
    /// A bad query (too long, bad date, ...); the message says which.
    #[error("{0}")]
    BadRequest(String),
    /// Storage failed; details are logged.
    #[error("服务暂时不可用，请稍后重试")]
    Storage(#[from] crate::storage::StorageError),
    /// Any other failure; details are logged.
    #[error("服务暂时不可用，请稍后重试")]
    Internal(String),
}

impl PublicError {
    /// HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            PublicError::NotFound(_) => StatusCode::NOT_FOUND,
            PublicError::BadRequest(_) => StatusCode::BAD_REQUEST,
            PublicError::Storage(_) => StatusCode::SERVICE_UNAVAILABLE,
            PublicError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

#[derive(Template)]
#[template(path = "public/error.html")]
struct PublicErrorPage<'a> {
    layout: PublicLayout,
    heading: &'a str,
    message: String,
}

impl IntoResponse for PublicError {
    fn into_response(self) -> Response {
        match &self {
            PublicError::Storage(e) => tracing::error!(error = %e, "public page storage failure"),
            PublicError::Internal(d) => tracing::error!(detail = %d, "public page failure"),
            _ => {}
        }
        let heading = match &self {
            PublicError::NotFound(_) => "找不到页面",
            PublicError::BadRequest(_) => "查询条件有误",
            _ => "出错了",
        };
        let page = PublicErrorPage {
            layout: PublicLayout::new("home"),
            heading,
            message: self.to_string(),
        };
        let status = self.status();
        let body = page
            .render()
            .unwrap_or_else(|_| format!("<!doctype html><title>错误</title><p>{heading}</p>"));
        let mut r = (status, Html(body)).into_response();
        public_headers(&mut r);
        // Errors are not cached.
        r.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        r
    }
}
