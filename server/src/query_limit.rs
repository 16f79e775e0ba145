//! Over-long query strings get a clear Chinese answer (issue 10, bad input).
//!
//! [`refuse_long_query`], a middleware, answers a query string longer than
//! [`MAX_QUERY_BYTES`] with 414 and a short Chinese page, or the API's JSON error
//! `{code, message}` under `/api/`.
//!
//! Request lines and heads hyper refuses itself before any middleware runs (a
//! URI of 64 KiB or more: 414; a head over its buffer of about 400 KiB: 431) get
//! hyper's own answer, with an empty body: hyper offers no hook for that answer,
//! and rewriting it on the socket is not worth its risk (issue 17).

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Longest query string served (8 KiB); longer ones get 414.
pub const MAX_QUERY_BYTES: usize = 8 * 1024;

/// Stable code of the JSON answer.
pub const CODE: &str = "query_too_long";

/// The Chinese message of a refused query string.
pub const MESSAGE: &str = "查询内容过长（超过 8 KB），请缩短搜索条件后重试";

fn page(title: &str, message: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} - 留痕</title></head>\n<body>\n<main>\n<h1>{title}</h1>\n\
         <p id=\"error-message\">{message}</p>\n<p><a href=\"/public\">返回公开首页</a></p>\n\
         </main>\n</body>\n</html>\n"
    )
}

fn json(code: &str, message: &str) -> String {
    serde_json::json!({ "code": code, "message": message }).to_string()
}

/// Middleware: refuses a query string longer than [`MAX_QUERY_BYTES`] with 414.
pub async fn refuse_long_query(req: Request, next: Next) -> Response {
    let len = req.uri().query().map_or(0, str::len);
    if len <= MAX_QUERY_BYTES {
        return next.run(req).await;
    }
    tracing::info!(
        path = req.uri().path(),
        query_bytes = len,
        "query string too long"
    );
    let (body, content_type) = if req.uri().path().starts_with("/api/") {
        (json(CODE, MESSAGE), "application/json")
    } else {
        (page("查询内容过长", MESSAGE), "text/html; charset=utf-8")
    };
    let mut r = (StatusCode::URI_TOO_LONG, body).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}
