//! The web pages, in Simplified Chinese, rendered on the server from askama
//! templates (checked at build time, HTML-escaped by default): sign-in and
//! sign-out ([`session`]), the layout and error page ([`page`]), and the static
//! assets (one stylesheet, one small script; no framework, no build step). The
//! supervisor's desk is [`crate::pages::desk`].

pub mod landing;
pub mod page;
pub mod session;

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::state::AppState;

const DESK_CSS: &str = include_str!("../../../assets/desk.css");
const DESK_JS: &str = include_str!("../../../assets/desk.js");
const FAVICON: &str = include_str!("../../../assets/favicon.svg");

/// Routes: sign-in, sign-out and `/assets/*`.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .merge(session::router())
        .merge(landing::router())
        .route("/assets/desk.css", get(css))
        .route("/assets/desk.js", get(js))
        .route("/assets/favicon.svg", get(favicon))
        .route("/favicon.ico", get(favicon))
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    r
}

async fn css() -> Response {
    asset("text/css; charset=utf-8", DESK_CSS)
}

/// Fallback for an unknown URL: the JSON 404 under `/api/` (clients parse it), the
/// public portal's 404 page under `/public`, else the Chinese 404 page of the
/// staff pages.
pub async fn not_found(uri: axum::http::Uri, user: Option<session::WebUser>) -> Response {
    let path = uri.path();
    if path == "/api" || path.starts_with("/api/") {
        crate::error::AppError::RouteNotFound(path.to_string()).into_response()
    } else if path == "/public" || path.starts_with("/public/") {
        crate::pages::public::page::PublicError::NotFound("此页面，请检查网址或从首页进入".into())
            .into_response()
    } else {
        let e = page::WebError::NotFound("此页面，请检查网址或从首页进入".into());
        match user {
            Some(u) => e.page_with(u.layout("")),
            None => e.into_response(),
        }
    }
}

async fn favicon() -> Response {
    asset("image/svg+xml", FAVICON)
}

async fn js() -> Response {
    asset("text/javascript; charset=utf-8", DESK_JS)
}
