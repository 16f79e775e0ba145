//! Published decisions on the public portal (事后公开, R-POST-2, R-POST-3): the
//! search `GET /public/decisions` (by target name or credit code, category, kind,
//! decision date range and agency; 20 per page, newest decision first, ties by id)
//! and the record `GET /public/decisions/{id}`. Only published records that were
//! not withdrawn are listed; a withdrawn record's page says so (已撤回) without its
//! content. The query rules here are shared with the open data API.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use chrono::NaiveDate;

use liuhen_domain::legal::DecisionKind;

use crate::pages::public::page::{PublicError, PublicLayout, render_public};
use crate::services::labels::Label;
use crate::services::mask::{PublicDecision, public_decision};
use crate::state::AppState;
use crate::storage::publicity::{PublicFilter, PublishedRow};

/// Longest search text (characters).
pub const MAX_Q_CHARS: usize = 100;
/// Longest query string (bytes).
pub const MAX_QUERY_BYTES: usize = 2048;
/// Records per page of the public list.
pub const PAGE_SIZE: u32 = 20;
/// Largest `per_page` of the open data API.
pub const MAX_PER_PAGE: u32 = 100;
/// Largest page number accepted.
pub const MAX_PAGE: u64 = 1_000_000;

/// Routes: `GET /public/decisions`, `GET /public/decisions/{id}`.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/public/decisions", get(list))
        .route("/public/decisions/{id}", get(detail))
}

/// Why a search query is refused (answered with 400 and this message).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// The query string is too long.
    #[error("查询条件过长（超过 {MAX_QUERY_BYTES} 字节），请缩短后重试")]
    TooLong,
    /// The search text is too long.
    #[error("查询关键词过长：最多 {MAX_Q_CHARS} 个字")]
    QTooLong,
    /// The query string is not valid URL encoding.
    #[error("查询条件无法识别（编码错误）")]
    Encoding,
    /// A bad page number.
    #[error("页码“{0}”无效：页码须为 1 至 1000000 之间的整数")]
    Page(String),
    /// A bad page size.
    #[error("每页条数“{0}”无效：须为 1 至 100 之间的整数")]
    PerPage(String),
    /// A bad kind.
    #[error("决定类型“{0}”无效：可选 licensing、penalty、coercion、inspection、other")]
    Kind(String),
    /// A bad date.
    #[error("日期“{0}”无效：请使用 YYYY-MM-DD 格式，例如 2026-11-20")]
    Date(String),
    /// `from` after `to`.
    #[error("起始日期不能晚于结束日期")]
    DateOrder,
    /// A filter value too long.
    #[error("筛选条件“{0}”过长")]
    FieldTooLong(&'static str),
}

/// The search form as typed (to show it again), all text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchForm {
    /// Search text.
    pub q: String,
    /// Category.
    pub category: String,
    /// Kind.
    pub kind: String,
    /// From date.
    pub from: String,
    /// To date.
    pub to: String,
    /// Agency id.
    pub agency: String,
}

impl SearchForm {
    /// The query string of this search (without page), for links.
    pub fn query(&self) -> String {
        let pairs: Vec<(&str, &str)> = [
            ("q", self.q.as_str()),
            ("category", self.category.as_str()),
            ("kind", self.kind.as_str()),
            ("from", self.from.as_str()),
            ("to", self.to.as_str()),
            ("agency", self.agency.as_str()),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .collect();
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }

    /// The query string of page `page` of this search.
    pub fn page_query(&self, page: u64) -> String {
        let q = self.query();
        if q.is_empty() {
            format!("page={page}")
        } else {
            format!("{q}&page={page}")
        }
    }
}

/// A parsed search: filter, page (from 1), page size, and the form as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Search {
    /// Filter for storage.
    pub filter: PublicFilter,
    /// Page number, from 1.
    pub page: u64,
    /// Records per page.
    pub per_page: u32,
    /// The form as typed.
    pub form: SearchForm,
}

fn parse_date(s: &str) -> Result<Option<NaiveDate>, QueryError> {
    if s.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| QueryError::Date(s.chars().take(20).collect()))
}

fn clip(s: &str) -> String {
    s.chars().take(20).collect()
}

/// Parses a search query string (public list and open data API). `per_page` is
/// only read when `allow_per_page` (the API); the list always shows [`PAGE_SIZE`].
pub fn parse_search(raw: Option<&str>, allow_per_page: bool) -> Result<Search, QueryError> {
    let raw = raw.unwrap_or("");
    if raw.len() > MAX_QUERY_BYTES {
        return Err(QueryError::TooLong);
    }
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(raw).map_err(|_| QueryError::Encoding)?;
    let mut form = SearchForm::default();
    let mut page = String::new();
    let mut per_page = String::new();
    for (k, v) in pairs {
        let v = v.trim().to_string();
        match k.as_str() {
            "q" => form.q = v,
            "category" => form.category = v,
            "kind" => form.kind = v,
            "from" => form.from = v,
            "to" => form.to = v,
            "agency" => form.agency = v,
            "page" => page = v,
            "per_page" => per_page = v,
            _ => {}
        }
    }
    if form.q.chars().count() > MAX_Q_CHARS {
        return Err(QueryError::QTooLong);
    }
    if form.category.chars().count() > 100 {
        return Err(QueryError::FieldTooLong("执法类别"));
    }
    if form.agency.chars().count() > 64 {
        return Err(QueryError::FieldTooLong("执法主体"));
    }
    let page_no = if page.is_empty() {
        1
    } else {
        match page.parse::<u64>() {
            Ok(n) if (1..=MAX_PAGE).contains(&n) => n,
            _ => return Err(QueryError::Page(clip(&page))),
        }
    };
    let per = if !allow_per_page || per_page.is_empty() {
        PAGE_SIZE
    } else {
        match per_page.parse::<u32>() {
            Ok(n) if (1..=MAX_PER_PAGE).contains(&n) => n,
            _ => return Err(QueryError::PerPage(clip(&per_page))),
        }
    };
    let kind = if form.kind.is_empty() {
        None
    } else {
        Some(DecisionKind::parse(&form.kind).ok_or_else(|| QueryError::Kind(clip(&form.kind)))?)
    };
    let from = parse_date(&form.from)?;
    let to = parse_date(&form.to)?;
    if let (Some(a), Some(b)) = (from, to)
        && a > b
    {
        return Err(QueryError::DateOrder);
    }
    let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
    Ok(Search {
        filter: PublicFilter {
            q: opt(&form.q),
            category: opt(&form.category),
            kind,
            from,
            to,
            agency: opt(&form.agency),
        },
        page: page_no,
        per_page: per,
        form,
    })
}

/// Runs a search: the public view of the page's records, and the total.
pub async fn run_search(
    st: &AppState,
    s: &Search,
) -> Result<(Vec<PublicDecision>, u64), crate::storage::StorageError> {
    let offset = (s.page - 1).saturating_mul(u64::from(s.per_page));
    let (rows, total) = st
        .storage
        .search_published(&s.filter, offset, s.per_page)
        .await?;
    Ok((rows.iter().map(view_of).collect(), total))
}

/// The public view of a found row.
pub fn view_of(r: &PublishedRow) -> PublicDecision {
    public_decision(&r.source, &r.publication.public_body, Some(&r.publication))
}

impl From<QueryError> for PublicError {
    fn from(e: QueryError) -> Self {
        PublicError::BadRequest(e.to_string())
    }
}

/// An option of a select.
#[derive(Debug, Clone)]
pub struct Choice {
    /// Value.
    pub value: String,
    /// Label.
    pub label: String,
    /// Selected.
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "public/decisions.html")]
struct ListPage {
    layout: PublicLayout,
    form: SearchForm,
    kinds: Vec<Choice>,
    categories: Vec<Choice>,
    agencies: Vec<Choice>,
    rows: Vec<PublicDecision>,
    total: u64,
    page: u64,
    pages: u64,
    past_end: bool,
    first_href: String,
    prev_href: Option<String>,
    next_href: Option<String>,
}

async fn list(
    State(st): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PublicError> {
    let s = parse_search(raw.as_deref(), false)?;
    let (rows, total) = run_search(&st, &s).await?;
    let (agencies, categories) = st.storage.published_facets().await?;
    let per = u64::from(s.per_page);
    let pages = total.div_ceil(per);
    let href = |p: u64| format!("/public/decisions?{}", s.form.page_query(p));
    let kinds = DecisionKind::ALL
        .into_iter()
        .map(|k| Choice {
            value: k.as_str().into(),
            label: k.label().into(),
            selected: s.filter.kind == Some(k),
        })
        .collect();
    let categories = categories
        .into_iter()
        .map(|c| Choice {
            selected: s.filter.category.as_deref() == Some(c.as_str()),
            label: c.clone(),
            value: c,
        })
        .collect();
    let agencies = agencies
        .into_iter()
        .map(|(id, name)| Choice {
            selected: s.filter.agency.as_deref() == Some(id.as_str()),
            value: id,
            label: name,
        })
        .collect();
    let page = ListPage {
        layout: PublicLayout::new("decisions"),
        kinds,
        categories,
        agencies,
        past_end: rows.is_empty() && total > 0,
        prev_href: (s.page > 1 && s.page <= pages).then(|| href(s.page - 1)),
        next_href: (s.page < pages).then(|| href(s.page + 1)),
        first_href: href(1),
        form: s.form.clone(),
        rows,
        total,
        page: s.page,
        pages,
    };
    Ok(render_public(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "public/decision.html")]
struct DetailPage {
    layout: PublicLayout,
    d: PublicDecision,
}

#[derive(Template)]
#[template(path = "public/decision_withdrawn.html")]
struct WithdrawnPage {
    layout: PublicLayout,
    doc_number: String,
    body: String,
    withdrawn_on: String,
    reason: &'static str,
}

async fn detail(
    State(st): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, PublicError> {
    let not_found = || PublicError::NotFound("该执法决定公示信息".into());
    if id.len() > 64 {
        return Err(not_found());
    }
    let entry = st
        .storage
        .publication_entry(&id)
        .await?
        .ok_or_else(not_found)?;
    let Some(p) = entry.publication.as_ref().filter(|p| p.is_published()) else {
        return Err(not_found());
    };
    if let Some(w) = &entry.withdrawal {
        // R-POST-3: the record is gone; the notice says when and why, not what.
        let page = WithdrawnPage {
            layout: PublicLayout::new("decisions"),
            doc_number: entry.source.doc_number.clone(),
            body: p.public_body.clone(),
            withdrawn_on: w.withdrawn_on.to_string(),
            reason: w.reason_kind.label(),
        };
        return Ok(render_public(StatusCode::OK, &page));
    }
    let page = DetailPage {
        layout: PublicLayout::new("decisions"),
        d: public_decision(&entry.source, &p.public_body, Some(p)),
    };
    Ok(render_public(StatusCode::OK, &page))
}
