//! Tests of `server/src/security_headers.rs`.

use axum::http::{HeaderMap, HeaderValue, header};
use liuhen_server::security_headers::*;

#[test]
fn fills_in_missing_headers_and_keeps_a_pages_own() {
    let mut h = HeaderMap::new();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    apply(&mut h, false);
    assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(h[header::REFERRER_POLICY], REFERRER_POLICY);
    assert_eq!(h[header::CONTENT_SECURITY_POLICY], NON_HTML_CSP);
    assert!(!h.contains_key(header::STRICT_TRANSPORT_SECURITY));

    let mut h = HeaderMap::new();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    apply(&mut h, true);
    assert!(!h.contains_key(header::CONTENT_SECURITY_POLICY));
    assert_eq!(h[header::STRICT_TRANSPORT_SECURITY], HSTS);

    let mut h = HeaderMap::new();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    apply(&mut h, false);
    assert_eq!(
        h[header::CONTENT_SECURITY_POLICY],
        "default-src 'none'; sandbox"
    );
}
