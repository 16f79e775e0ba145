//! The web pages, in Simplified Chinese, rendered on the server from askama
//! templates (checked at build time, HTML-escaped by default): sign-in and
//! sign-out ([`session`]), the layout and error page ([`page`]), and the static
//! assets (one stylesheet, one small script; no framework, no build step). The
//! supervisor's desk is [`crate::desk`].

pub mod page;
pub mod session;

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::state::AppState;

const DESK_CSS: &str = include_str!("../../assets/desk.css");
const DESK_JS: &str = include_str!("../../assets/desk.js");

/// Routes: sign-in, sign-out and `/assets/*`.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .merge(session::router())
        .route("/assets/desk.css", get(css))
        .route("/assets/desk.js", get(js))
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

async fn js() -> Response {
    asset("text/javascript; charset=utf-8", DESK_JS)
}
