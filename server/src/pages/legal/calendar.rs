//! `GET /admin/calendar`: which years of the State Council's holiday arrangement
//! the agency's deadlines need and the calendar lacks, where to get them and how
//! to import them (R-POST-1, R-LEGAL-5). Every staff member may read it (pages
//! link here from 「待导入 N 年节假日安排」); only an admin imports
//! (`POST /admin/calendar`).

use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

use super::draft_form::page_error;
use super::{SECTION, Typed, form_user, pairs_of};
use crate::pages::web::page::{Layout, WebError};
use crate::pages::web::session::{SessionProbe, WebUser};
use crate::services::legal::calendar::{CALENDAR_PAGE, MissingYear, missing_years, pending_text};
use crate::services::legal::workflow::{self, LEADER_ROLES, READER_ROLES};
use crate::state::AppState;
use crate::storage::Role;

/// Routes: the page and its import.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new().route(CALENDAR_PAGE, get(page).post(import))
}

/// One missing year as the page lists it.
#[derive(Debug, Clone)]
pub struct MissingRow {
    /// The year.
    pub year: i32,
    /// 「待导入 N 年节假日安排」.
    pub text: String,
    /// What needs it, in words.
    pub needed_by: String,
}

fn row(m: &MissingYear) -> MissingRow {
    let mut why = vec![];
    if m.reviews > 0 {
        why.push(format!("{} 件法制审核的审核期限（R-LEGAL-5）", m.reviews));
    }
    if m.publications > 0 {
        why.push(format!(
            "{} 项执法决定的公示期限（R-POST-1）",
            m.publications
        ));
    }
    if why.is_empty() && m.near {
        why.push("本年度或下一年度：期限一旦跨入该年即无法计算".into());
    }
    MissingRow {
        year: m.year,
        text: pending_text(m.year),
        needed_by: why.join("；"),
    }
}

#[derive(Template)]
#[template(path = "legal/calendar.html")]
struct CalendarPage {
    layout: Layout,
    years: String,
    missing: Vec<MissingRow>,
    may_import: bool,
    csrf: String,
    json: String,
    notice: Option<String>,
    error: Option<String>,
}

async fn build(st: &AppState, user: &WebUser) -> Result<CalendarPage, WebError> {
    let missing = missing_years(st, &user.user.agency_id)
        .await?
        .iter()
        .map(row)
        .collect();
    let years = st
        .calendar()
        .years()
        .iter()
        .map(|y| y.to_string())
        .collect::<Vec<_>>()
        .join("、");
    Ok(CalendarPage {
        layout: user.layout(SECTION),
        years,
        missing,
        may_import: user.user.role == Role::Admin,
        csrf: user.csrf.clone(),
        json: String::new(),
        notice: None,
        error: None,
    })
}

fn respond(p: CalendarPage, status: StatusCode) -> Response {
    crate::pages::web::page::render_status(&p, status)
}

/// Query of the page.
#[derive(Debug, Deserialize)]
pub struct PageQuery {
    /// The year just imported.
    pub imported: Option<i32>,
}

async fn page(
    State(st): State<AppState>,
    user: WebUser,
    q: Result<Query<PageQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, WebError> {
    user.require(READER_ROLES)?;
    let mut p = build(&st, &user).await?;
    p.notice = q
        .ok()
        .and_then(|Query(q)| q.imported)
        .map(|y| format!("{y} 年节假日安排已导入，该年的审核和公示期限可以计算了。"));
    Ok(respond(p, StatusCode::OK))
}

async fn import(
    State(st): State<AppState>,
    probe: SessionProbe,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let typed = match pairs_of(form) {
        Ok(p) => Typed::new(p),
        Err(r) => return r.into_response(),
    };
    let user = match form_user(&st, probe, CALENDAR_PAGE, &typed) {
        Ok(u) => u,
        Err(r) => return r.into_response(),
    };
    if let Err(e) = user.require(LEADER_ROLES) {
        return e.into_response();
    }
    let (msg, status) =
        match workflow::import_calendar_year(&st, &user.user, typed.get("json")).await {
            Ok(year) => {
                return Redirect::to(&format!("{CALENDAR_PAGE}?imported={year}")).into_response();
            }
            Err(e) => match page_error(e) {
                Ok(r) => r,
                Err(r) => return r.into_response(),
            },
        };
    match build(&st, &user).await {
        Ok(mut p) => {
            p.error = Some(msg);
            p.json = typed.get("json").to_string();
            respond(p, status)
        }
        Err(e) => e.into_response(),
    }
}
