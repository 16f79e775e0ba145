//! Open data of published decisions (R-POST-6: data for the credit system and
//! anyone else): `GET /api/open/v1/decisions` (JSON, paged), `.csv` (UTF-8 with
//! BOM, every matching record), `GET /api/open/v1/openapi.json` (the OpenAPI 3.1
//! description) and the human page `GET /public/open-data`. Same
//! filters and the same masking as the public search (R-POST-2); withdrawn records
//! are gone at once (R-POST-3). Answers are cacheable for a minute, carry a strong
//! ETag (SHA-256 of the body; `If-None-Match` → 304) and, on the API only,
//! `Access-Control-Allow-Origin: *`.
//!
//! The OpenAPI document is derived with utoipa (issue 17: it cannot drift): the API
//! routes are registered through one [`OpenApiRouter`], which records each
//! handler's `#[utoipa::path]` beside its route; the response types derive
//! `ToSchema`; the query parameters are [`FilterParams`] and [`PageParams`], whose
//! names the tests check against the real parser ([`parse_search`]).

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa::{IntoParams, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::pages::public::after::{MAX_PER_PAGE, QueryError, Search, parse_search, run_search};
use crate::pages::public::page::{PublicError, PublicLayout, public_headers, render_public};
use crate::services::mask::PublicDecision;
use crate::services::spreadsheet::{number_cell, text_cell};
use crate::state::AppState;

/// Most records one CSV export holds.
pub const MAX_CSV_ROWS: u64 = 100_000;

/// The document's top: title, version and description of the API.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "行政执法决定公示开放数据接口",
        version = "1.0.0",
        description = "公开已公示、未撤回的行政执法决定（R-POST-1、R-POST-2、R-POST-6）。自然人当事人姓名隐名（如“刘某”），身份证件号码、手机号码不予公开；已撤回的决定（R-POST-3）不再出现在任何结果中。"
    ),
    components(schemas(ErrorBody))
)]
struct OpenDataApi;

/// The open data API's routes, each registered with its OpenAPI operation.
pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(OpenDataApi::openapi())
        .routes(routes!(json_list))
        .routes(routes!(csv_export))
        .routes(routes!(openapi))
}

/// The OpenAPI document of the open data API, generated from [`api_router`].
pub fn openapi_document() -> OpenApiDoc {
    api_router().into_openapi()
}

/// The OpenAPI document as served (pretty JSON, built once).
pub fn openapi_json() -> &'static str {
    static JSON: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        openapi_document().to_pretty_json().unwrap_or_else(|e| {
            tracing::error!(error = %e, "OpenAPI document does not serialize");
            "{}".into()
        })
    });
    &JSON
}

/// Routes of the open data API and its page.
pub fn router() -> axum::Router<AppState> {
    let (api, _) = api_router().split_for_parts();
    api.route("/public/open-data", get(page))
}

/// A page of the JSON API (schema `DecisionPage`).
#[derive(Debug, Serialize, ToSchema)]
#[schema(description = "一页查询结果")]
pub struct DecisionPage {
    /// 本页记录，按决定日期从新到旧（同日按编号）排列
    pub items: Vec<PublicDecision>,
    /// 页码，从 1 开始
    pub page: u64,
    /// 每页条数
    pub per_page: u32,
    /// 符合条件的记录总数
    pub total: u64,
    /// 下一页的路径和查询串；最后一页为 null
    #[schema(required = true)]
    pub next: Option<String>,
}

/// The body of a refused API request (schema `Error`).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Error, description = "查询被拒绝时的说明")]
pub struct ErrorBody {
    /// 错误说明（中文）
    pub error: String,
}

/// The filters of the JSON list and the CSV export, as documented; the handlers
/// read them with [`parse_search`] (tests check the two agree, and that the limits
/// written here are the parser's constants: utoipa drops a parameter's description
/// when its schema comes from a function, so they are literals).
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct FilterParams {
    /// 当事人名称（自然人为隐名后的名称，如“刘某”）或统一社会信用代码的一部分
    #[param(max_length = 100)]
    q: Option<String>,
    /// 执法类别（完全匹配）
    category: Option<String>,
    /// 决定类型
    #[param(inline, value_type = Option<DecisionKindText>)]
    kind: Option<String>,
    /// 决定日期起（含），YYYY-MM-DD
    #[param(format = Date)]
    from: Option<String>,
    /// 决定日期止（含），YYYY-MM-DD
    #[param(format = Date)]
    to: Option<String>,
    /// 执法主体编号
    agency: Option<String>,
}

/// The paging of the JSON list, as documented (read by [`parse_search`]).
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct PageParams {
    /// 页码，从 1 开始
    #[param(minimum = 1, maximum = 1_000_000, default = 1)]
    page: Option<u64>,
    /// 每页条数，最多 100
    #[param(minimum = 1, maximum = 100, default = 20)]
    per_page: Option<u32>,
}

/// The schema of a decision kind in a query: the stable texts of every kind.
pub struct DecisionKindText;

impl utoipa::PartialSchema for DecisionKindText {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        crate::services::mask::decision_kind_schema().into()
    }
}

impl ToSchema for DecisionKindText {}

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

/// The link to the next page of the open-data search, or `None` on the last page.
pub fn next_link(s: &Search, total: u64) -> Option<String> {
    let seen = s.page.saturating_mul(u64::from(s.per_page));
    (seen < total).then(|| {
        format!(
            "/api/open/v1/decisions?{}&per_page={}",
            s.form.page_query(s.page + 1),
            s.per_page
        )
    })
}

/// 分页查询已公示的执法决定
#[utoipa::path(
    get,
    path = "/api/open/v1/decisions",
    operation_id = "listDecisions",
    params(FilterParams, PageParams),
    responses(
        (status = 200, description = "一页记录，按决定日期从新到旧（同日按编号）排列",
            body = DecisionPage, content_type = "application/json",
            headers(
                ("ETag" = String, description = "响应内容的 SHA-256 强校验值；请求时以 If-None-Match 携带可得到 304"),
                ("Cache-Control" = String, description = "public, max-age=60"),
                ("Access-Control-Allow-Origin" = String, description = "*")
            )),
        (status = 304, description = "内容未变化（If-None-Match 命中）"),
        (status = 400, description = "查询条件有误（页码、每页条数、日期、查询词过长等）", body = ErrorBody)
    )
)]
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
pub fn csv_bytes(rows: &[PublicDecision]) -> Result<Vec<u8>, csv::Error> {
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

/// 导出全部符合条件的执法决定（CSV，UTF-8 带 BOM）
#[utoipa::path(
    get,
    path = "/api/open/v1/decisions.csv",
    operation_id = "exportDecisionsCsv",
    params(FilterParams),
    responses(
        (status = 200, description = "CSV 文件；列：编号、执法主体、当事人、统一社会信用代码、执法类别、决定类型、标题、文书编号、决定日期、法律依据、决定内容、罚款金额（元）、公开日期、逾期公开。以 = + - @、制表符或回车开头的文字前加英文单引号 '（防止电子表格执行公式）；罚款金额是数字，原样输出",
            body = String, content_type = "text/csv",
            headers(
                ("ETag" = String, description = "响应内容的 SHA-256 强校验值；请求时以 If-None-Match 携带可得到 304"),
                ("Cache-Control" = String, description = "public, max-age=60"),
                ("Access-Control-Allow-Origin" = String, description = "*")
            )),
        (status = 304, description = "内容未变化（If-None-Match 命中）"),
        (status = 400, description = "查询条件有误（页码、每页条数、日期、查询词过长等）", body = ErrorBody)
    )
)]
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

/// 本接口说明（OpenAPI 3.1）
#[utoipa::path(
    get,
    path = "/api/open/v1/openapi.json",
    operation_id = "openapi",
    responses(
        (status = 200, description = "OpenAPI 文档", body = Object, content_type = "application/json",
            headers(
                ("ETag" = String, description = "响应内容的 SHA-256 强校验值；请求时以 If-None-Match 携带可得到 304"),
                ("Cache-Control" = String, description = "public, max-age=60"),
                ("Access-Control-Allow-Origin" = String, description = "*")
            )),
        (status = 304, description = "内容未变化（If-None-Match 命中）")
    )
)]
async fn openapi(headers: HeaderMap) -> Response {
    cached(
        &headers,
        "application/json; charset=utf-8",
        openapi_json().as_bytes().to_vec(),
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
