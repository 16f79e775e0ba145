//! Open data of published decisions (R-POST-6: data for the credit system and
//! anyone else): `GET /api/open/v1/decisions` (JSON, paged), `.csv` (UTF-8 with
//! BOM, every matching record), `GET /api/open/v1/openapi.json` (the hand-written
//! OpenAPI 3.0 description) and the human page `GET /public/open-data`. Same
//! filters and the same masking as the public search (R-POST-2); withdrawn records
//! are gone at once (R-POST-3). Answers are cacheable for a minute, carry a strong
//! ETag (SHA-256 of the body; `If-None-Match` → 304) and, on the API only,
//! `Access-Control-Allow-Origin: *`.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::pages::public::after::{MAX_PER_PAGE, QueryError, Search, parse_search, run_search};
use crate::pages::public::page::{PublicError, PublicLayout, public_headers, render_public};
use crate::services::mask::PublicDecision;
use crate::services::spreadsheet::{number_cell, text_cell};
use crate::state::AppState;

/// The OpenAPI document of the open data API.
pub const OPENAPI_JSON: &str = include_str!("../../../assets/open_data_openapi.json");
/// Most records one CSV export holds.
pub const MAX_CSV_ROWS: u64 = 100_000;

/// Routes of the open data API and its page.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/api/open/v1/decisions", get(json_list))
        .route("/api/open/v1/decisions.csv", get(csv_export))
        .route("/api/open/v1/openapi.json", get(openapi))
        .route("/public/open-data", get(page))
}

/// A page of the JSON API.
#[derive(Debug, Serialize)]
pub struct DecisionPage {
    /// Records of this page.
    pub items: Vec<PublicDecision>,
    /// Page number (from 1).
    pub page: u64,
    /// Records per page.
    pub per_page: u32,
    /// Matching records in all.
    pub total: u64,
    /// Path and query of the next page, or null on the last page.
    pub next: Option<String>,
}

/// Strong ETag of a body: the quoted SHA-256 (first 32 hex digits).
pub fn etag_of(body: &[u8]) -> String {
    let h = hex::encode(Sha256::digest(body));
    format!("\"{}\"", &h[..32])
}

/// Whether `If-None-Match` in `headers` matches `etag` (weak comparison, `*`).
pub fn not_modified(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == "*" || t == etag)
}

/// An open API answer: `body` with its content type, cache headers, ETag and
/// CORS, or 304 if the client has it.
fn cached(headers: &HeaderMap, content_type: &'static str, body: Vec<u8>) -> Response {
    let etag = etag_of(&body);
    let mut r = if not_modified(headers, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut r = (StatusCode::OK, body).into_response();
        r.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        r
    };
    public_headers(&mut r);
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    r
}

/// Why an API request failed: JSON `{"error": "..."}` with CORS.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A bad query.
    #[error("{0}")]
    Query(#[from] QueryError),
    /// Storage failed; details are logged.
    #[error("服务暂时不可用，请稍后重试")]
    Storage(#[from] crate::storage::StorageError),
    /// Writing the export failed; details are logged.
    #[error("服务暂时不可用，请稍后重试")]
    Internal(String),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = match &self {
            ApiError::Query(_) => StatusCode::BAD_REQUEST,
            ApiError::Storage(e) => {
                tracing::error!(error = %e, "open data storage failure");
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiError::Internal(d) => {
                tracing::error!(detail = %d, "open data failure");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        let body = serde_json::json!({ "error": self.to_string() });
        let mut r = (status, axum::Json(body)).into_response();
        public_headers(&mut r);
        let h = r.headers_mut();
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        h.insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
        r
    }
}

fn next_link(s: &Search, total: u64) -> Option<String> {
    let seen = s.page.saturating_mul(u64::from(s.per_page));
    (seen < total).then(|| {
        format!(
            "/api/open/v1/decisions?{}&per_page={}",
            s.form.page_query(s.page + 1),
            s.per_page
        )
    })
}

async fn json_list(
    State(st): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let s = parse_search(raw.as_deref(), true)?;
    let (items, total) = run_search(&st, &s).await?;
    let page = DecisionPage {
        next: next_link(&s, total),
        items,
        page: s.page,
        per_page: s.per_page,
        total,
    };
    let body = serde_json::to_vec(&page).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(cached(&headers, "application/json; charset=utf-8", body))
}

/// Column headings of the CSV export.
pub const CSV_HEADINGS: [&str; 14] = [
    "编号",
    "执法主体",
    "当事人",
    "统一社会信用代码",
    "执法类别",
    "决定类型",
    "标题",
    "文书编号",
    "决定日期",
    "法律依据",
    "决定内容",
    "罚款金额（元）",
    "公开日期",
    "逾期公开",
];

/// The CSV export: UTF-8 with a byte-order mark; text cells a spreadsheet would
/// run as a formula get a leading `'`, the fine stays a number
/// ([`crate::services::spreadsheet`]).
fn csv_bytes(rows: &[PublicDecision]) -> Result<Vec<u8>, csv::Error> {
    let mut out = "\u{feff}".as_bytes().to_vec();
    {
        let mut w = csv::Writer::from_writer(&mut out);
        w.write_record(CSV_HEADINGS)?;
        for d in rows {
            let fine = d
                .fine_fen
                .map(|f| {
                    liuhen_domain::legal::yuan(f)
                        .trim_end_matches(" 元")
                        .to_string()
                })
                .unwrap_or_default();
            let text = [
                d.id.as_str(),
                &d.body,
                &d.target,
                d.credit_code.as_deref().unwrap_or(""),
                &d.category,
                d.kind_label,
                &d.title,
                &d.doc_number,
                &d.decided_on,
                &d.legal_basis,
                &d.conclusion,
            ]
            .map(text_cell);
            let tail = [
                number_cell(&fine),
                text_cell(d.published_on.as_deref().unwrap_or("")),
                text_cell(if d.late { "是" } else { "否" }),
            ];
            w.write_record(text.iter().chain(&tail).map(|c| c.as_bytes()))?;
        }
        w.flush()?;
    }
    Ok(out)
}

async fn csv_export(
    State(st): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let mut s = parse_search(raw.as_deref(), false)?;
    s.per_page = MAX_PER_PAGE;
    s.page = 1;
    let mut all = vec![];
    loop {
        let (items, total) = run_search(&st, &s).await?;
        let n = items.len();
        all.extend(items);
        if n == 0 || all.len() as u64 >= total.min(MAX_CSV_ROWS) {
            break;
        }
        s.page += 1;
    }
    let body = csv_bytes(&all).map_err(|e| ApiError::Internal(e.to_string()))?;
    let mut r = cached(&headers, "text/csv; charset=utf-8", body);
    r.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"decisions.csv\""),
    );
    Ok(r)
}

async fn openapi(headers: HeaderMap) -> Response {
    cached(
        &headers,
        "application/json; charset=utf-8",
        OPENAPI_JSON.as_bytes().to_vec(),
    )
}

#[derive(Template)]
#[template(path = "public/open_data.html")]
struct OpenDataPage {
    layout: PublicLayout,
    max_per_page: u32,
    headings: Vec<&'static str>,
}

async fn page() -> Result<Response, PublicError> {
    Ok(render_public(
        StatusCode::OK,
        &OpenDataPage {
            layout: PublicLayout::new("open_data"),
            max_per_page: MAX_PER_PAGE,
            headings: CSV_HEADINGS.to_vec(),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_openapi_document_is_valid_json_describing_the_endpoints() {
        let v: serde_json::Value = serde_json::from_str(OPENAPI_JSON).unwrap();
        assert!(v["openapi"].as_str().unwrap().starts_with("3.0"));
        for p in [
            "/api/open/v1/decisions",
            "/api/open/v1/decisions.csv",
            "/api/open/v1/openapi.json",
        ] {
            assert!(v["paths"][p].is_object(), "{p}");
        }
        assert!(v["components"]["schemas"]["Decision"].is_object());
    }

    #[test]
    fn if_none_match_matches_lists_weak_tags_and_star() {
        let tag = etag_of(b"x");
        let mut h = HeaderMap::new();
        h.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_str(&format!("\"a\", W/{tag}")).unwrap(),
        );
        assert!(not_modified(&h, &tag));
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"other\""));
        assert!(!not_modified(&h, &tag));
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("*"));
        assert!(not_modified(&h, &tag));
    }

    #[test]
    fn csv_starts_with_a_bom_and_headings() {
        let b = csv_bytes(&[]).unwrap();
        assert!(b.starts_with("\u{feff}编号,执法主体".as_bytes()));
    }
}
