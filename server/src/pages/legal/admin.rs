//! `GET /admin/legal` (admin): reviewer staffing (R-LEGAL-6), importing one year of
//! the State Council's holiday arrangement (so review and publication deadlines in
//! that year can be computed, R-LEGAL-5), and the agency's legal events.

use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::draft_form::page_error;
use super::{Typed, form_user, pairs_of};
use crate::pages::web::page::{Layout, WebError};
use crate::pages::web::session::{SessionProbe, WebUser};
use crate::services::legal::workflow::{self, LEADER_ROLES, Staffing};
use crate::state::AppState;
use liuhen_domain::time::beijing_text;

/// Routes: the admin page and its calendar import.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/admin/legal", get(page))
        .route("/admin/legal/calendar", post(import))
}

/// One agency event.
#[derive(Debug, Clone)]
pub struct EventRow {
    /// When (Beijing).
    pub at: String,
    /// Who.
    pub who: String,
    /// What.
    pub what: String,
}

#[derive(Template)]
#[template(path = "legal/admin.html")]
struct AdminPage {
    layout: Layout,
    staffing: Staffing,
    years: String,
    events: Vec<EventRow>,
    csrf: String,
    json: String,
    notice: Option<String>,
    error: Option<String>,
}

async fn build(st: &AppState, user: &WebUser) -> Result<AdminPage, WebError> {
    let staffing = workflow::staffing(st, &user.user.agency_id).await?;
    let names: std::collections::HashMap<String, String> = st
        .storage
        .users_of_agency(&user.user.agency_id)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let events = st
        .storage
        .legal_agency_events(&user.user.agency_id, 100)
        .await?
        .into_iter()
        .map(|e| {
            let what = match e.kind.as_str() {
                "calendar_imported" => format!(
                    "导入 {} 年节假日安排",
                    e.detail.get("year").and_then(|y| y.as_i64()).unwrap_or(0)
                ),
                "catalogue_edited" => format!(
                    "发布目录清单第 {} 版：{}",
                    e.version.unwrap_or(0),
                    e.detail.get("note").and_then(|n| n.as_str()).unwrap_or("")
                ),
                other => other.to_string(),
            };
            EventRow {
                at: beijing_text(e.at),
                who: names.get(&e.by_user).cloned().unwrap_or(e.by_user),
                what,
            }
        })
        .collect();
    let years = st
        .calendar()
        .years()
        .iter()
        .map(|y| y.to_string())
        .collect::<Vec<_>>()
        .join("、");
    Ok(AdminPage {
        layout: user.layout("admin"),
        staffing,
        years,
        events,
        csrf: user.csrf.clone(),
        json: String::new(),
        notice: None,
        error: None,
    })
}

fn respond(p: AdminPage, status: StatusCode) -> Response {
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
    Query(q): Query<PageQuery>,
) -> Result<Response, WebError> {
    user.require(LEADER_ROLES)?;
    let mut p = build(&st, &user).await?;
    p.notice = q
        .imported
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
    let user = match form_user(&st, probe, "/admin/legal", &typed) {
        Ok(u) => u,
        Err(r) => return r.into_response(),
    };
    if let Err(e) = user.require(LEADER_ROLES) {
        return e.into_response();
    }
    let (msg, status) = match workflow::import_calendar_year(&st, &user.user, typed.get("json"))
        .await
    {
        Ok(year) => return Redirect::to(&format!("/admin/legal?imported={year}")).into_response(),
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
