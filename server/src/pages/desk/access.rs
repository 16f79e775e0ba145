//! The access log of an inspection (R-REC-7): every view of the record or of an
//! original piece of evidence, and every export, is written here; the page
//! `GET /desk/inspections/{id}/access` lists it, newest first. There is no route that
//! edits or deletes an entry (the table refuses it too, migration 0006).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;

use super::DESK_ROLES;
use crate::pages::web::page::{Layout, WebError, render, role_label, same_agency};
use crate::pages::web::session::WebUser;
use crate::services::labels::Label;
use crate::state::AppState;
use liuhen_domain::time::beijing_seconds_text;

/// Entries per page of the access log.
pub const PAGE_SIZE: u32 = 50;

/// Routes of this page.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new().route("/desk/inspections/{id}/access", get(page))
}

pub use crate::services::access_log::{ClientIp, record_access};

/// Query of the page.
#[derive(Debug, Deserialize)]
pub struct PageQuery {
    /// 1-based page number.
    pub page: Option<String>,
}

/// One row as shown.
#[derive(Debug)]
pub struct Row {
    /// Sequence number within this record's log (1 = first access, no gaps).
    pub seq: u64,
    /// Beijing time.
    pub at: String,
    /// Name of the user.
    pub user_name: String,
    /// Role in Chinese.
    pub role: &'static str,
    /// Action in Chinese.
    pub action: &'static str,
    /// Object (evidence kind and hash), empty for the record itself.
    pub object: String,
    /// Client address or empty.
    pub client_ip: String,
}

#[derive(Template)]
#[template(path = "desk/access_log.html")]
struct AccessLogPage {
    layout: Layout,
    inspection_id: String,
    target_name: String,
    rows: Vec<Row>,
    total: u64,
    page: u32,
    pages: u32,
}

/// An object as stored (`photo:<sha>`) in Chinese (`照片 <sha>`).
fn object_text(object: Option<&str>) -> String {
    let Some(o) = object else {
        return String::new();
    };
    match o.split_once(':') {
        Some((kind, sha)) => {
            let label = liuhen_domain::inspection::EvidenceKind::parse(kind)
                .map(|k| k.label())
                .unwrap_or(kind);
            format!("{label} {sha}")
        }
        None => o.to_string(),
    }
}

async fn page(
    State(st): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response, WebError> {
    user.require(DESK_ROLES)?;
    let page = match q.page.as_deref().map(str::trim) {
        None | Some("") => 1,
        Some(p) => match p.parse::<u32>() {
            Ok(n) if n >= 1 => n,
            _ => return Err(WebError::BadRequest("页码应为正整数".into())),
        },
    };
    let rec = st
        .storage
        .doc(&id)
        .await?
        .ok_or_else(|| WebError::NotFound("该检查记录".into()))?;
    same_agency(&user.user, &rec.agency_id, "该检查记录")?;
    let agency = &user.user.agency_id;
    let total = st.storage.access_count(agency, &id).await?;
    let pages = u32::try_from(total.div_ceil(u64::from(PAGE_SIZE)))
        .unwrap_or(u32::MAX)
        .max(1);
    let offset = (page - 1).saturating_mul(PAGE_SIZE);
    let rows = st
        .storage
        .access_log(agency, &id, PAGE_SIZE, offset)
        .await?
        .into_iter()
        .enumerate()
        .map(|(k, e)| Row {
            // Newest first: the first row of page 1 is entry number `total`.
            seq: total.saturating_sub(u64::from(offset) + k as u64),
            at: beijing_seconds_text(e.at),
            user_name: e.user_name,
            role: role_label(e.user_role),
            action: e.action.label(),
            object: object_text(e.object.as_deref()),
            client_ip: e.client_ip.unwrap_or_default(),
        })
        .collect();
    Ok(render(&AccessLogPage {
        layout: user.layout("queue"),
        inspection_id: id,
        target_name: rec.target_name,
        rows,
        total,
        page,
        pages,
    }))
}
