//! Annual enforcement statistics (R-POST-5, R-REC-8): per agency and year, broken
//! down by enforcement category (执法类别) with the agency's total as the sum of its
//! categories, the inspections recorded, decisions by kind, fines, legal review
//! opinions, and the appeals (行政复议/行政诉讼) staff enter per agency (not per
//! category: a case is entered once, as the court or reconsideration body counts
//! it); a server-rendered SVG bar chart (no
//! script, no inline style), CSV (UTF-8 with BOM for Excel) and XLSX downloads; and
//! the admin page that enters appeals and publishes a year. A year's statistics are
//! due by January 31 of the next year; a later publication is shown as 逾期公布,
//! with the server clock's time (never back-dated).

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::Deserialize;

use crate::pages::public::before::beijing_today;
use crate::pages::public::page::{PublicError, PublicLayout, public_headers, render_public};
use crate::pages::web::page::{Layout, WebError};
use crate::pages::web::session::WebUser;
use crate::services::labels::Label;
use crate::services::spreadsheet;
use crate::state::AppState;
use crate::storage::public_profile::{
    Actor, AppealCounts, AppealKind, DECISION_KINDS, StatsPublication, YearCounts,
};
use crate::storage::publicity::CategoryCounts;
use crate::storage::{Role, StorageError};
use liuhen_domain::time::{beijing_day_start, beijing_text};

/// First year the portal has statistics for.
pub const FIRST_YEAR: i32 = 2019;

/// Routes: `GET /public/stats`, `GET /public/stats/{year}` (and `{year}.csv`,
/// `{year}.xlsx`), `GET/POST /admin/public-stats`, `POST /admin/public-stats/publish`.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/public/stats", get(index))
        .route("/public/stats/{file}", get(year_file))
        .route("/admin/public-stats", get(admin_page).post(save_appeals))
        .route("/admin/public-stats/publish", post(publish))
}

/// The day by which the statistics of `year` must be published (R-POST-5).
pub fn deadline(year: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year + 1, 1, 31).unwrap_or(NaiveDate::MAX)
}

/// Whether a publication at `at` is late for `year` (R-POST-5), by Beijing date.
pub fn is_late(year: i32, at: DateTime<Utc>) -> bool {
    liuhen_domain::time::local_date(at) > deadline(year)
}

/// A year asked for in a URL: four digits from [`FIRST_YEAR`] to `current`.
pub fn parse_year(s: &str, current: i32) -> Result<i32, PublicError> {
    let bad = || {
        PublicError::BadRequest(format!(
            "年份“{s}”无效，应为 {FIRST_YEAR} 至 {current} 之间的四位年份"
        ))
    };
    if s.len() != 4 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let y: i32 = s.parse().map_err(|_| bad())?;
    if y > current {
        return Err(PublicError::NotFound(format!(
            "{y} 年度统计（该年度尚未到来）"
        )));
    }
    if y < FIRST_YEAR {
        return Err(bad());
    }
    Ok(y)
}

/// What a record without a category is counted under (R-POST-5).
pub const UNCATEGORISED: &str = "未分类";
/// The category cell of an agency's total row.
pub const TOTAL_LABEL: &str = "合计";

/// Fen as yuan without unit (`1234.50`).
fn yuan(f: i64) -> String {
    format!(
        "{}{}.{:02}",
        if f < 0 { "-" } else { "" },
        f.unsigned_abs() / 100,
        f.unsigned_abs() % 100
    )
}

/// `a + b`, field by field (saturating).
fn add_counts(a: &YearCounts, b: &YearCounts) -> YearCounts {
    let mut decisions = a.decisions;
    for (d, n) in decisions.iter_mut().zip(b.decisions) {
        *d = d.saturating_add(n);
    }
    YearCounts {
        inspections: a.inspections.saturating_add(b.inspections),
        decisions,
        fines_fen: a.fines_fen.saturating_add(b.fines_fen),
        legal_reviews: a.legal_reviews.saturating_add(b.legal_reviews),
    }
}

/// The statistics of one enforcement category (执法类别) of an agency (R-POST-5).
#[derive(Debug, Clone)]
pub struct CategoryStats {
    /// Category as shown (未分类 for a record without one).
    pub category: String,
    /// Computed counts.
    pub counts: YearCounts,
}

impl CategoryStats {
    fn from_storage(c: CategoryCounts) -> CategoryStats {
        CategoryStats {
            category: if c.category.trim().is_empty() {
                UNCATEGORISED.to_string()
            } else {
                c.category
            },
            counts: c.counts,
        }
    }
    /// Decisions of every kind.
    pub fn decisions_total(&self) -> u64 {
        self.counts.decisions.iter().sum()
    }
    /// Fines as yuan without unit (`1234.50`).
    pub fn fines_yuan(&self) -> String {
        yuan(self.counts.fines_fen)
    }
}

/// One agency's statistics of one year.
#[derive(Debug, Clone)]
pub struct AgencyStats {
    /// Year of the statistics.
    pub year: i32,
    /// Agency id.
    pub agency_id: String,
    /// Agency name.
    pub name: String,
    /// Computed counts: the agency total, the sum of `categories`.
    pub counts: YearCounts,
    /// Computed counts per enforcement category, by category.
    pub categories: Vec<CategoryStats>,
    /// 行政复议, 行政诉讼.
    pub appeals: [AppealCounts; 2],
    /// Publication, if published.
    pub publication: Option<StatsPublication>,
}

impl AgencyStats {
    /// Decisions of every kind.
    pub fn decisions_total(&self) -> u64 {
        self.counts.decisions.iter().sum()
    }
    /// Fines as yuan without unit (`1234.50`).
    pub fn fines_yuan(&self) -> String {
        yuan(self.counts.fines_fen)
    }
    /// Publication time in Beijing, or empty.
    pub fn published_text(&self) -> String {
        self.publication
            .as_ref()
            .map(|p| beijing_text(p.published_at))
            .unwrap_or_default()
    }
    /// Whether the publication was late (R-POST-5).
    pub fn late(&self) -> bool {
        self.publication
            .as_ref()
            .is_some_and(|p| is_late(self.year, p.published_at))
    }
}

/// Statistics of every agency (or one) in `year`.
pub async fn year_stats(
    st: &AppState,
    year: i32,
    only: Option<&str>,
) -> Result<Vec<AgencyStats>, StorageError> {
    let from = beijing_day_start(NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(NaiveDate::MIN));
    let to = beijing_day_start(NaiveDate::from_ymd_opt(year + 1, 1, 1).unwrap_or(NaiveDate::MAX));
    let pubs = st.storage.stats_publications(Some(year)).await?;
    let appeals = st.storage.appeal_stats(only, year).await?;
    let mut out = Vec::new();
    for a in st.storage.public_agencies().await? {
        if only.is_some_and(|o| o != a.id) {
            continue;
        }
        // R-POST-5: per category, and the agency total as their sum (every record
        // counts in exactly one category, so the total never disagrees with them).
        let categories: Vec<CategoryStats> = st
            .storage
            .year_counts_by_category(&a.id, year, from, to)
            .await?
            .into_iter()
            .map(CategoryStats::from_storage)
            .collect();
        let counts = categories
            .iter()
            .fold(YearCounts::default(), |t, c| add_counts(&t, &c.counts));
        let mut ap = [AppealCounts::default(); 2];
        for (agency, kind, n) in &appeals {
            if *agency == a.id {
                ap[if *kind == AppealKind::Reconsideration {
                    0
                } else {
                    1
                }] = *n;
            }
        }
        out.push(AgencyStats {
            year,
            publication: pubs.iter().find(|p| p.agency_id == a.id).cloned(),
            agency_id: a.id,
            name: a.name,
            counts,
            categories,
            appeals: ap,
        });
    }
    Ok(out)
}

// ---- public pages --------------------------------------------------------------

struct YearLink {
    year: i32,
    published: usize,
}

#[derive(Template)]
#[template(path = "public/stats_index.html")]
struct IndexPage {
    layout: PublicLayout,
    years: Vec<YearLink>,
}

async fn index(State(st): State<AppState>) -> Result<Response, PublicError> {
    let current = beijing_today(&st).year();
    let pubs = st.storage.stats_publications(None).await?;
    let years = (FIRST_YEAR.max(current - 6)..current)
        .rev()
        .map(|y| YearLink {
            year: y,
            published: pubs.iter().filter(|p| p.year == y).count(),
        })
        .collect();
    Ok(render_public(
        StatusCode::OK,
        &IndexPage {
            layout: PublicLayout::new("stats"),
            years,
        },
    ))
}

/// One bar of the chart (SVG coordinates).
struct Bar {
    /// Length in percent of the longest bar (at least 1).
    percent: u64,
    label: String,
    value: u64,
    fill: &'static str,
    /// The first bar of an agency (a gap above it).
    first: bool,
}

/// The chart: per published agency, four bars of its totals (检查, 决定, 法制审核,
/// 复议诉讼), then the decisions of each enforcement category (R-POST-5).
fn chart(rows: &[&AgencyStats]) -> Vec<Bar> {
    const COLORS: [&str; 4] = ["#2b6cb0", "#c05621", "#2f855a", "#6b46c1"];
    const CATEGORY_COLOR: &str = "#dd6b20";
    let mut bars = Vec::new();
    let max = rows
        .iter()
        .flat_map(|r| {
            [
                r.counts.inspections,
                r.decisions_total(),
                r.counts.legal_reviews,
                u64::from(r.appeals[0].total + r.appeals[1].total),
            ]
        })
        .max()
        .unwrap_or(0)
        .max(1);
    let percent = |v: u64| (v * 100 / max).max(1);
    for r in rows {
        let values = [
            ("检查", r.counts.inspections),
            ("决定", r.decisions_total()),
            ("法制审核", r.counts.legal_reviews),
            (
                "复议诉讼",
                u64::from(r.appeals[0].total + r.appeals[1].total),
            ),
        ];
        for (i, (what, v)) in values.into_iter().enumerate() {
            bars.push(Bar {
                percent: percent(v),
                label: format!("{} · {what}", r.name),
                value: v,
                fill: COLORS[i],
                first: i == 0,
            });
        }
        for c in &r.categories {
            let v = c.decisions_total();
            bars.push(Bar {
                percent: percent(v),
                label: format!("{} · {}决定", r.name, c.category),
                value: v,
                fill: CATEGORY_COLOR,
                first: false,
            });
        }
    }
    bars
}

#[derive(Template)]
#[template(path = "public/stats_year.html")]
struct YearPage {
    layout: PublicLayout,
    year: i32,
    deadline: String,
    rows: Vec<AgencyStats>,
    unpublished: Vec<String>,
    bars: Vec<Bar>,
    kinds: Vec<&'static str>,
}

async fn year_file(
    State(st): State<AppState>,
    Path(file): Path<String>,
) -> Result<Response, PublicError> {
    let current = beijing_today(&st).year();
    let (stem, ext) = match file.rsplit_once('.') {
        Some((s, e)) => (s, Some(e)),
        None => (file.as_str(), None),
    };
    let year = parse_year(stem, current)?;
    let all = year_stats(&st, year, None).await?;
    let (published, unpublished): (Vec<AgencyStats>, Vec<AgencyStats>) =
        all.into_iter().partition(|a| a.publication.is_some());
    match ext {
        None => {
            let refs: Vec<&AgencyStats> = published.iter().collect();
            let bars = chart(&refs);
            Ok(render_public(
                StatusCode::OK,
                &YearPage {
                    layout: PublicLayout::new("stats"),
                    year,
                    deadline: deadline(year).to_string(),
                    unpublished: unpublished.into_iter().map(|a| a.name).collect(),
                    rows: published,
                    bars,
                    kinds: DECISION_KINDS.iter().map(|(_, l)| *l).collect(),
                },
            ))
        }
        Some("csv") => {
            let body = csv_bytes(year, &published)
                .map_err(|e| PublicError::Internal(format!("stats csv: {e}")))?;
            Ok(download(
                body,
                "text/csv; charset=utf-8",
                &format!("{year}.csv"),
            ))
        }
        Some("xlsx") => {
            let body = xlsx_bytes(year, &published)
                .map_err(|e| PublicError::Internal(format!("stats xlsx: {e}")))?;
            Ok(download(
                body,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                &format!("{year}.xlsx"),
            ))
        }
        Some(_) => Err(PublicError::NotFound(
            "该格式（仅提供 .csv 和 .xlsx 下载）".into(),
        )),
    }
}

fn download(body: Vec<u8>, content_type: &'static str, name: &str) -> Response {
    let mut r = body.into_response();
    public_headers(&mut r);
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"liuhen-stats-{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

/// Column headers of the downloads.
pub const COLUMNS: [&str; 21] = [
    "执法主体",
    "执法类别",
    "年度",
    "行政检查记录数",
    "行政许可决定数",
    "行政处罚决定数",
    "行政强制决定数",
    "行政检查决定数",
    "其他决定数",
    "罚款金额（元）",
    "法制审核意见数",
    "行政复议受理数",
    "行政复议维持或驳回",
    "行政复议撤销变更或确认违法",
    "行政复议其他",
    "行政诉讼受理数",
    "行政诉讼维持或驳回",
    "行政诉讼撤销变更或确认违法",
    "行政诉讼其他",
    "公布时间",
    "是否逾期公布",
];

/// Columns of the downloads holding numbers (the rest is text).
const NUMERIC_COLUMNS: std::ops::RangeInclusive<usize> = 2..=18;

/// One row of the downloads, as text, in [`COLUMNS`] order: a category's counts
/// (`category` set; the appeals, entered per agency, left empty) or the agency's
/// total (`category` None: 合计, with the appeals).
fn row_cells(year: i32, a: &AgencyStats, category: Option<&CategoryStats>) -> Vec<String> {
    let (label, counts) = match category {
        Some(c) => (c.category.as_str(), &c.counts),
        None => (TOTAL_LABEL, &a.counts),
    };
    let mut v = vec![
        a.name.clone(),
        label.to_string(),
        year.to_string(),
        counts.inspections.to_string(),
    ];
    v.extend(counts.decisions.iter().map(u64::to_string));
    v.push(yuan(counts.fines_fen));
    v.push(counts.legal_reviews.to_string());
    for ap in &a.appeals {
        let cells = [ap.total, ap.upheld, ap.corrected, ap.other].map(|n| match category {
            Some(_) => String::new(),
            None => n.to_string(),
        });
        v.extend(cells);
    }
    v.push(a.published_text());
    v.push(if a.late() { "是" } else { "否" }.into());
    v
}

/// Every row of the downloads: per agency its categories, then its total (合计).
fn all_rows(year: i32, rows: &[AgencyStats]) -> Vec<Vec<String>> {
    rows.iter()
        .flat_map(|a| {
            a.categories
                .iter()
                .map(move |c| row_cells(year, a, Some(c)))
                .chain(std::iter::once(row_cells(year, a, None)))
        })
        .collect()
}

/// The CSV download: UTF-8 with a byte-order mark so Excel reads the Chinese.
/// Text cells that a spreadsheet would run as a formula are neutralised, numbers
/// stay numbers ([`crate::services::spreadsheet`]).
pub fn csv_bytes(year: i32, rows: &[AgencyStats]) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    w.write_record(COLUMNS)?;
    for cells in all_rows(year, rows) {
        let safe: Vec<_> = cells
            .iter()
            .enumerate()
            .map(|(c, cell)| {
                if NUMERIC_COLUMNS.contains(&c) {
                    spreadsheet::number_cell(cell)
                } else {
                    spreadsheet::text_cell(cell)
                }
            })
            .collect();
        w.write_record(safe.iter().map(|c| c.as_bytes()))?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

/// The XLSX download: one sheet named `{year}年度统计`, numbers as numbers, text
/// cells neutralised as in the CSV ([`crate::services::spreadsheet::text_cell`]).
pub fn xlsx_bytes(year: i32, rows: &[AgencyStats]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name(format!("{year}年度统计"))?;
    for (c, h) in COLUMNS.iter().enumerate() {
        sheet.write_string(0, c as u16, *h)?;
    }
    for (r, cells) in all_rows(year, rows).into_iter().enumerate() {
        let row = r as u32 + 1;
        for (c, cell) in cells.into_iter().enumerate() {
            let numeric = NUMERIC_COLUMNS.contains(&c);
            let c = c as u16;
            match cell.parse::<f64>() {
                Ok(n) if numeric => sheet.write_number(row, c, n)?,
                // Appeals of a category row: entered per agency, left blank.
                _ if cell.is_empty() => continue,
                _ => sheet.write_string(row, c, spreadsheet::text_cell(&cell))?,
            };
        }
    }
    book.save_to_buffer()
}

// ---- admin page ------------------------------------------------------------------

#[derive(Template)]
#[template(path = "admin_public/stats.html")]
struct AdminPage {
    layout: Layout,
    year: i32,
    years: Vec<i32>,
    deadline: String,
    overdue: bool,
    published: String,
    published_late: bool,
    published_by: String,
    can_publish: bool,
    row: Option<AgencyStats>,
    kinds: Vec<&'static str>,
    appeal_labels: [&'static str; 2],
    notice: Option<String>,
    error: Option<String>,
}

/// `?year=2025&saved=...`.
#[derive(Debug, Deserialize)]
pub struct AdminQuery {
    /// Year shown (default: last year).
    pub year: Option<String>,
    /// What was just saved.
    pub saved: Option<String>,
}

async fn build_admin(st: &AppState, user: &WebUser, year: i32) -> Result<AdminPage, WebError> {
    let today = beijing_today(st);
    let current = today.year();
    let row = year_stats(st, year, Some(&user.user.agency_id))
        .await?
        .into_iter()
        .next();
    let publication = row.as_ref().and_then(|r| r.publication.clone());
    Ok(AdminPage {
        layout: user.layout("admin"),
        year,
        years: (FIRST_YEAR.max(current - 6)..current).rev().collect(),
        deadline: deadline(year).to_string(),
        overdue: publication.is_none() && today > deadline(year),
        published: publication
            .as_ref()
            .map(|p| beijing_text(p.published_at))
            .unwrap_or_default(),
        published_late: publication
            .as_ref()
            .is_some_and(|p| is_late(year, p.published_at)),
        published_by: publication.map(|p| p.by_name).unwrap_or_default(),
        can_publish: year < current,
        row,
        kinds: DECISION_KINDS.iter().map(|(_, l)| *l).collect(),
        appeal_labels: [
            AppealKind::Reconsideration.label(),
            AppealKind::Litigation.label(),
        ],
        notice: None,
        error: None,
    })
}

fn admin_year(st: &AppState, s: Option<&str>) -> Result<i32, WebError> {
    let current = beijing_today(st).year();
    match s {
        None | Some("") => Ok(current - 1),
        Some(s) => parse_year(s, current - 1).map_err(|e| WebError::BadRequest(e.to_string())),
    }
}

fn render_admin(status: StatusCode, p: &AdminPage) -> Response {
    crate::pages::web::page::render_status(&p, status)
}

async fn admin_page(
    State(st): State<AppState>,
    user: WebUser,
    Query(q): Query<AdminQuery>,
) -> Result<Response, WebError> {
    user.require(&[Role::Admin])?;
    let year = admin_year(&st, q.year.as_deref())?;
    let mut p = build_admin(&st, &user, year).await?;
    p.notice = match q.saved.as_deref() {
        Some("appeals") => Some("复议、诉讼数据已保存。".into()),
        Some("published") => Some(format!("{year} 年度统计已公布。")),
        _ => None,
    };
    Ok(render_admin(StatusCode::OK, &p))
}

/// The appeals form.
#[derive(Debug, Deserialize)]
pub struct AppealsForm {
    /// CSRF token.
    pub csrf: Option<String>,
    /// Year.
    pub year: Option<String>,
    /// 行政复议: received, upheld, corrected, other.
    pub rc_total: Option<String>,
    /// See `rc_total`.
    pub rc_upheld: Option<String>,
    /// See `rc_total`.
    pub rc_corrected: Option<String>,
    /// See `rc_total`.
    pub rc_other: Option<String>,
    /// 行政诉讼: received, upheld, corrected, other.
    pub lt_total: Option<String>,
    /// See `lt_total`.
    pub lt_upheld: Option<String>,
    /// See `lt_total`.
    pub lt_corrected: Option<String>,
    /// See `lt_total`.
    pub lt_other: Option<String>,
}

/// A form field as a count: empty is 0, otherwise 0..=100000; the error names `label`.
pub fn number(label: &str, v: &Option<String>) -> Result<u32, String> {
    let t = v.as_deref().unwrap_or("").trim();
    if t.is_empty() {
        return Ok(0);
    }
    t.parse::<u32>()
        .ok()
        .filter(|n| *n <= 100_000)
        .ok_or_else(|| format!("“{label}”应为 0 至 100000 之间的整数（现为“{t}”）"))
}

/// One row of appeal figures (received, upheld, corrected, other) read from the
/// form; the error names the field that is not a number.
pub fn appeal_counts(label: &str, v: [&Option<String>; 4]) -> Result<AppealCounts, String> {
    let n = AppealCounts {
        total: number(&format!("{label}受理数"), v[0])?,
        upheld: number(&format!("{label}维持或驳回"), v[1])?,
        corrected: number(&format!("{label}撤销、变更或确认违法"), v[2])?,
        other: number(&format!("{label}其他"), v[3])?,
    };
    if n.upheld + n.corrected + n.other > n.total {
        return Err(format!("“{label}”各项结果之和不能超过受理数 {}", n.total));
    }
    Ok(n)
}

async fn save_appeals(
    State(st): State<AppState>,
    user: WebUser,
    Form(f): Form<AppealsForm>,
) -> Result<Response, WebError> {
    user.require(&[Role::Admin])?;
    user.check_csrf(f.csrf.as_deref())?;
    let year = admin_year(&st, f.year.as_deref())?;
    let mut page = build_admin(&st, &user, year).await?;
    if !page.published.is_empty() {
        page.error = Some(format!(
            "R-POST-5：{year} 年度统计已于 {} 公布，数据不能再修改",
            page.published
        ));
        return Ok(render_admin(StatusCode::CONFLICT, &page));
    }
    let parsed = appeal_counts(
        "行政复议",
        [&f.rc_total, &f.rc_upheld, &f.rc_corrected, &f.rc_other],
    )
    .and_then(|rc| {
        appeal_counts(
            "行政诉讼",
            [&f.lt_total, &f.lt_upheld, &f.lt_corrected, &f.lt_other],
        )
        .map(|lt| (rc, lt))
    });
    let (rc, lt) = match parsed {
        Ok(v) => v,
        Err(msg) => {
            page.error = Some(msg);
            return Ok(render_admin(StatusCode::BAD_REQUEST, &page));
        }
    };
    let by = Actor {
        user_id: user.user.id.clone(),
        name: user.user.name.clone(),
        at: st.clock.now(),
    };
    for (kind, n) in [
        (AppealKind::Reconsideration, rc),
        (AppealKind::Litigation, lt),
    ] {
        st.storage
            .put_appeal_stats(
                &user.user.agency_id,
                year,
                kind,
                &n,
                &by,
                &crate::services::labels::appeals_detail(year, kind, &n),
            )
            .await?;
    }
    tracing::info!(user = %user.user.id, year, "appeal statistics saved");
    Ok(Redirect::to(&format!("/admin/public-stats?year={year}&saved=appeals")).into_response())
}

/// The publish form.
#[derive(Debug, Deserialize)]
pub struct PublishForm {
    /// CSRF token.
    pub csrf: Option<String>,
    /// Year.
    pub year: Option<String>,
}

async fn publish(
    State(st): State<AppState>,
    user: WebUser,
    Form(f): Form<PublishForm>,
) -> Result<Response, WebError> {
    user.require(&[Role::Admin])?;
    user.check_csrf(f.csrf.as_deref())?;
    let year = admin_year(&st, f.year.as_deref())?;
    let p = StatsPublication {
        agency_id: user.user.agency_id.clone(),
        year,
        published_by: user.user.id.clone(),
        by_name: user.user.name.clone(),
        published_at: st.clock.now(),
    };
    match st.storage.publish_stats(&p).await {
        Ok(()) => {}
        Err(StorageError::Conflict(_)) => {
            let mut page = build_admin(&st, &user, year).await?;
            page.error = Some(format!(
                "R-POST-5：{year} 年度统计已于 {} 公布，不能重复公布",
                page.published
            ));
            return Ok(render_admin(StatusCode::CONFLICT, &page));
        }
        Err(e) => return Err(e.into()),
    }
    tracing::info!(user = %user.user.id, year, late = is_late(year, p.published_at), "annual statistics published");
    Ok(Redirect::to(&format!("/admin/public-stats?year={year}&saved=published")).into_response())
}
