//! Security headers every answer carries (issue 16), added by one middleware
//! around the whole router. Page-specific headers stay where the page is made
//! (the CSP, frame and cache headers of [`crate::pages::web::page::html_response`] and
//! [`crate::pages::public::page::public_headers`], the sandbox of evidence originals);
//! this layer only fills in what an answer does not set itself:
//! - `X-Content-Type-Options: nosniff` on everything (JSON, CSV, errors, 404s);
//! - `Referrer-Policy: same-origin`: nothing of a URL (inspection ids, search
//!   terms) leaves for another site, while same-site form posts keep their
//!   `Origin`, which the CSRF check reads (`no-referrer` would make browsers send
//!   `Origin: null` on POST and refuse every form);
//! - `Content-Security-Policy: default-src 'none'; frame-ancestors 'none'` on
//!   answers that are not HTML and have none (JSON, CSV, XLSX opened directly);
//! - `Strict-Transport-Security: max-age=31536000` (one year, this host only)
//!   when served behind TLS (`serve --secure-cookies`); never over plain HTTP,
//!   where it would be ignored or, behind a misconfigured proxy, lock users out.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::state::AppState;

/// The `Referrer-Policy` of every answer.
pub const REFERRER_POLICY: &str = "same-origin";
/// The `Strict-Transport-Security` sent behind TLS.
pub const HSTS: &str = "max-age=31536000";
/// The `Content-Security-Policy` of answers that are not pages.
pub const NON_HTML_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

fn set_default(h: &mut HeaderMap, name: HeaderName, value: &'static str) {
    if !h.contains_key(&name) {
        h.insert(name, HeaderValue::from_static(value));
    }
}

/// Adds the headers of [`self`](crate::security_headers) to `h`.
pub fn apply(h: &mut HeaderMap, behind_tls: bool) {
    set_default(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set_default(h, header::REFERRER_POLICY, REFERRER_POLICY);
    let html = h
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("text/html"));
    if !html {
        set_default(h, header::CONTENT_SECURITY_POLICY, NON_HTML_CSP);
    }
    if behind_tls {
        set_default(h, header::STRICT_TRANSPORT_SECURITY, HSTS);
    }
}

/// Middleware: [`apply`] to every answer.
pub async fn layer(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let mut r = next.run(req).await;
    apply(r.headers_mut(), st.config.secure_cookies);
    r
}
