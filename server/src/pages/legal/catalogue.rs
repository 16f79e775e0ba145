//! `GET/POST /legal/catalogue`: the agency's catalogue of major decisions that need
//! legal review (重大执法决定法制审核目录清单, R-LEGAL-2), its versions, and the
//! admin's form for a new version. Drafts already submitted keep the version that
//! classified them.

use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

use liuhen_domain::legal::{Catalogue, MajorTrigger, yuan};
use liuhen_domain::time::beijing_text;

use super::draft_form::{Check, page_error};
use super::{SECTION, Typed, form_user, pairs_of, parse_yuan, yuan_input};
use crate::pages::web::page::{Layout, WebError};
use crate::pages::web::session::{SessionProbe, WebUser};
use crate::services::legal::workflow::{self, READER_ROLES};
use crate::state::AppState;
use crate::storage::Role;

/// Routes: the catalogue page.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new().route("/legal/catalogue", get(page).post(send))
}

/// One catalogue version as listed.
#[derive(Debug, Clone)]
pub struct VersionRow {
    /// Number.
    pub version: u32,
    /// Who and when.
    pub by: String,
    /// Note.
    pub note: String,
    /// Summary.
    pub summary: String,
}

#[derive(Template)]
#[template(path = "legal/catalogue.html")]
struct CataloguePage {
    layout: Layout,
    current: Option<(u32, Vec<&'static str>, String, Vec<String>)>,
    versions: Vec<VersionRow>,
    is_admin: bool,
    csrf: String,
    triggers: Vec<Check>,
    threshold: String,
    other_items: String,
    note: String,
    notice: Option<String>,
    refusal: Option<String>,
}

fn summary(c: &Catalogue) -> String {
    let mut parts: Vec<String> = c
        .triggers
        .iter()
        .map(|t| match t {
            MajorTrigger::LargeFine => format!("罚款超过 {}", yuan(c.fine_threshold_fen)),
            t => t.label().to_string(),
        })
        .collect();
    parts.extend(c.other_items.iter().cloned());
    parts.join("；")
}

async fn build(
    st: &AppState,
    user: &WebUser,
    typed: Option<&Typed>,
) -> Result<CataloguePage, WebError> {
    let versions = st.storage.catalogue_versions(&user.user.agency_id).await?;
    let names: std::collections::HashMap<String, String> = st
        .storage
        .users_of_agency(&user.user.agency_id)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let latest = versions.first();
    let base = latest
        .map(|v| v.catalogue.clone())
        .unwrap_or_else(Catalogue::default_for_agency);
    let triggers = MajorTrigger::ALL
        .iter()
        .map(|t| Check {
            value: t.as_str().into(),
            label: t.label().into(),
            checked: match typed {
                Some(ty) => ty.chose("trigger", t.as_str()),
                None => base.triggers.contains(t),
            },
        })
        .collect();
    Ok(CataloguePage {
        layout: user.layout(SECTION),
        current: latest.map(|v| {
            (
                v.version,
                v.catalogue.triggers.iter().map(|t| t.label()).collect(),
                yuan(v.catalogue.fine_threshold_fen),
                v.catalogue.other_items.clone(),
            )
        }),
        versions: versions
            .iter()
            .map(|v| VersionRow {
                version: v.version,
                by: format!(
                    "{} 于 {}",
                    names
                        .get(&v.created_by)
                        .cloned()
                        .unwrap_or_else(|| v.created_by.clone()),
                    beijing_text(v.created_at)
                ),
                note: v.note.clone(),
                summary: summary(&v.catalogue),
            })
            .collect(),
        is_admin: user.user.role == Role::Admin,
        csrf: user.csrf.clone(),
        triggers,
        threshold: match typed {
            Some(t) => t.get("fine_threshold").to_string(),
            None => yuan_input(base.fine_threshold_fen),
        },
        other_items: match typed {
            Some(t) => t.get("other_items").to_string(),
            None => base.other_items.join("\n"),
        },
        note: typed.map(|t| t.get("note").to_string()).unwrap_or_default(),
        notice: None,
        refusal: None,
    })
}

fn respond(p: CataloguePage, status: StatusCode) -> Response {
    crate::pages::web::page::render_status(&p, status)
}

/// Query of the page.
#[derive(Debug, Deserialize)]
pub struct PageQuery {
    /// The version just published.
    pub published: Option<u32>,
}

async fn page(
    State(st): State<AppState>,
    user: WebUser,
    Query(q): Query<PageQuery>,
) -> Result<Response, WebError> {
    user.require(READER_ROLES)?;
    let mut p = build(&st, &user, None).await?;
    p.notice = q.published.map(|v| {
        format!("目录清单第 {v} 版已发布。此后首次提交审核的草案依此版判断；已提交的草案仍按提交时的版本判断（R-LEGAL-2）。")
    });
    Ok(respond(p, StatusCode::OK))
}

fn catalogue_of(t: &Typed) -> Result<Catalogue, String> {
    let mut triggers = vec![];
    for v in t.all("trigger") {
        let tr = MajorTrigger::parse(v).ok_or_else(|| format!("未知的情形“{v}”，请刷新页面"))?;
        if !triggers.contains(&tr) {
            triggers.push(tr);
        }
    }
    let fine_threshold_fen = parse_yuan("较大数额罚款标准", t.get("fine_threshold"))?
        .ok_or("请填写较大数额罚款的标准（元）")?;
    let other_items = t
        .get("other_items")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect();
    Ok(Catalogue {
        triggers,
        fine_threshold_fen,
        other_items,
    })
}

async fn send(
    State(st): State<AppState>,
    probe: SessionProbe,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let typed = match pairs_of(form) {
        Ok(p) => Typed::new(p),
        Err(r) => return r.into_response(),
    };
    let user = match form_user(&st, probe, "/legal/catalogue", &typed) {
        Ok(u) => u,
        Err(r) => return r.into_response(),
    };
    if let Err(e) = user.require(READER_ROLES) {
        return e.into_response();
    }
    let (msg, status) = match catalogue_of(&typed) {
        Err(m) => (m, StatusCode::BAD_REQUEST),
        Ok(c) => match workflow::put_catalogue(&st, &user.user, &c, typed.get("note")).await {
            Ok(v) => {
                return Redirect::to(&format!("/legal/catalogue?published={v}")).into_response();
            }
            Err(e) => match page_error(e) {
                Ok(r) => r,
                Err(r) => return r.into_response(),
            },
        },
    };
    match build(&st, &user, Some(&typed)).await {
        Ok(mut p) => {
            p.refusal = Some(msg);
            respond(p, status)
        }
        Err(e) => e.into_response(),
    }
}
