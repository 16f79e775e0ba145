//! The "before enforcement" pages of the public portal (事前公开, R-PRE-1..4), and
//! the double random results (R-POST-4, R-RAND-3). No sign-in; nothing personal:
//! only officers whose certificate counts today are listed (R-PRE-2, R-SCENE-1), a
//! natural person drawn as a target shows as 刘某 (R-POST-2), and a draw that is
//! committed but not run is never shown (its seed is still secret).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::NaiveDate;
use serde::Deserialize;

use liuhen_domain::model::{Agency, CertificateStatus, Officer, RosterSnapshot};
use liuhen_domain::time::beijing_text;

use crate::pages::public::page::{PublicError, PublicLayout, public_headers, render_public};
use crate::pages::public::profile_admin::public_docs_dir;
use crate::services::labels::Label;
use crate::services::mask::mask_person_name;
use crate::state::AppState;
use crate::storage::DrawStatus;

/// Routes: `/public`, `/public/agencies/{id}` (+ `/officers`, `/items`,
/// `/documents`, `/catalogue`), `/public/documents/{id}`, `/public/draws`,
/// `/public/draws/{id}`.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/public", get(home))
        .route("/public/agencies/{agency}", get(agency_page))
        .route("/public/agencies/{agency}/officers", get(officers_page))
        .route("/public/agencies/{agency}/items", get(items_page))
        .route("/public/agencies/{agency}/documents", get(documents_page))
        .route("/public/agencies/{agency}/catalogue", get(catalogue_page))
        .route("/public/documents/{id}", get(download))
        .route("/public/draws", get(draws_page))
        .route("/public/draws/{id}", get(draw_page))
}

/// Today's date in Beijing.
pub fn beijing_today(st: &AppState) -> NaiveDate {
    liuhen_domain::time::local_date(st.clock.now())
}

/// Whether an officer may be listed on the public roster on `date` (R-PRE-2): the
/// certificate is active and `date` lies in its validity (the date and status part
/// of R-SCENE-1; category and area depend on the task, not on the roster).
pub fn listed_on_roster(o: &Officer, date: NaiveDate) -> bool {
    o.status == CertificateStatus::Active && o.valid_from <= date && date <= o.valid_until
}

/// The roster of an agency, or the public "not found" page.
async fn roster(st: &AppState, agency_id: &str) -> Result<RosterSnapshot, PublicError> {
    if agency_id.len() > 64 {
        return Err(PublicError::NotFound("该执法主体".into()));
    }
    st.storage
        .roster_for(agency_id, None)
        .await?
        .map(|(r, _)| r)
        .ok_or_else(|| PublicError::NotFound(format!("执法主体“{agency_id}”")))
}

/// One line per paragraph of an admin's text.
fn paragraphs(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

// ---- portal home ---------------------------------------------------------------

#[derive(Template)]
#[template(path = "public/before_home.html")]
struct HomePage {
    layout: PublicLayout,
    agencies: Vec<Agency>,
}

async fn home(State(st): State<AppState>) -> Result<Response, PublicError> {
    let agencies = st.storage.public_agencies().await?;
    Ok(render_public(
        StatusCode::OK,
        &HomePage {
            layout: PublicLayout::new("home"),
            agencies,
        },
    ))
}

// ---- 执法主体 (R-PRE-1) -----------------------------------------------------------

#[derive(Template)]
#[template(path = "public/before_agency.html")]
struct AgencyPage {
    layout: PublicLayout,
    agency: Agency,
    tab: &'static str,
    has_profile: bool,
    bodies: Vec<String>,
    duties: Vec<String>,
    supervision: Vec<String>,
    remedy: Vec<String>,
    updated: String,
}

async fn agency_page(
    State(st): State<AppState>,
    Path(agency): Path<String>,
) -> Result<Response, PublicError> {
    let r = roster(&st, &agency).await?;
    let p = st.storage.public_profile(&agency).await?;
    let page = AgencyPage {
        layout: PublicLayout::new("bodies"),
        tab: "bodies",
        has_profile: p.is_some(),
        bodies: p
            .as_ref()
            .map(|p| paragraphs(&p.bodies))
            .unwrap_or_default(),
        duties: p
            .as_ref()
            .map(|p| paragraphs(&p.duties))
            .unwrap_or_default(),
        supervision: p
            .as_ref()
            .map(|p| paragraphs(&p.supervision))
            .unwrap_or_default(),
        remedy: p
            .as_ref()
            .map(|p| paragraphs(&p.remedy))
            .unwrap_or_default(),
        updated: p.map(|p| beijing_text(p.updated_at)).unwrap_or_default(),
        agency: r.agency,
    };
    Ok(render_public(StatusCode::OK, &page))
}

// ---- 执法人员清单 (R-PRE-2) --------------------------------------------------------

struct OfficerRow {
    id: String,
    name: String,
    unit: String,
    post: String,
    certificate_no: String,
    categories: String,
    areas: String,
    valid_until: String,
}

#[derive(Template)]
#[template(path = "public/before_officers.html")]
struct OfficersPage {
    layout: PublicLayout,
    agency: Agency,
    tab: &'static str,
    today: String,
    officers: Vec<OfficerRow>,
}

async fn officers_page(
    State(st): State<AppState>,
    Path(agency): Path<String>,
) -> Result<Response, PublicError> {
    let r = roster(&st, &agency).await?;
    let today = beijing_today(&st);
    let officers = r
        .officers
        .iter()
        .filter(|o| listed_on_roster(o, today))
        .map(|o| OfficerRow {
            id: o.id.clone(),
            name: o.name.clone(),
            unit: o.unit.clone(),
            post: o.post.clone(),
            certificate_no: o.certificate_no.clone(),
            categories: o.categories.join("、"),
            areas: o.areas.join("、"),
            valid_until: o.valid_until.to_string(),
        })
        .collect();
    Ok(render_public(
        StatusCode::OK,
        &OfficersPage {
            layout: PublicLayout::new("officers"),
            tab: "officers",
            today: today.to_string(),
            officers,
            agency: r.agency,
        },
    ))
}

// ---- 随机抽查事项清单 (R-PRE-3) ------------------------------------------------------

struct ItemRow {
    code: String,
    name: String,
    body: String,
    basis: String,
    population: String,
    content: String,
    ratio: String,
    method: String,
    frequency: String,
}

#[derive(Template)]
#[template(path = "public/before_items.html")]
struct ItemsPage {
    layout: PublicLayout,
    agency: Agency,
    tab: &'static str,
    items: Vec<ItemRow>,
}

/// A ratio in basis points as a percentage (500 → `5%`, 1250 → `12.5%`).
pub fn percent(bp: u32) -> String {
    if bp.is_multiple_of(100) {
        format!("{}%", bp / 100)
    } else {
        let s = format!("{:.2}", f64::from(bp) / 100.0);
        format!("{}%", s.trim_end_matches('0').trim_end_matches('.'))
    }
}

async fn items_page(
    State(st): State<AppState>,
    Path(agency): Path<String>,
) -> Result<Response, PublicError> {
    use liuhen_domain::model::TargetKind;
    let r = roster(&st, &agency).await?;
    let items = st
        .storage
        .check_items(&agency)
        .await?
        .into_iter()
        .map(|i| {
            let kinds: Vec<&str> = i
                .target_kinds
                .iter()
                .map(|k| match k {
                    TargetKind::Organisation => "企业及其他组织",
                    TargetKind::IndividualBusiness => "个体工商户",
                    TargetKind::NaturalPerson => "自然人",
                })
                .collect();
            let mut population = format!(
                "{}类检查对象（{}）",
                i.category,
                if kinds.is_empty() {
                    "全部类型".to_string()
                } else {
                    kinds.join("、")
                }
            );
            if !i.target_areas.is_empty() {
                population.push_str(&format!("，区域 {}", i.target_areas.join("、")));
            }
            ItemRow {
                ratio: percent(i.ratio_bp),
                code: i.code,
                name: i.name,
                body: i.checking_body,
                basis: i.legal_basis,
                population,
                content: i.content,
                method: i.method,
                frequency: i.frequency,
            }
        })
        .collect();
    Ok(render_public(
        StatusCode::OK,
        &ItemsPage {
            layout: PublicLayout::new("items"),
            tab: "items",
            items,
            agency: r.agency,
        },
    ))
}

// ---- 流程图、服务指南、音像记录清单 (R-PRE-4) ------------------------------------------

struct DocRow {
    id: String,
    kind: &'static str,
    title: String,
    file_name: String,
    size: String,
    uploaded: String,
}

#[derive(Template)]
#[template(path = "public/before_documents.html")]
struct DocumentsPage {
    layout: PublicLayout,
    agency: Agency,
    tab: &'static str,
    docs: Vec<DocRow>,
    steps: Vec<String>,
}

/// A size as `12.3 KB` / `4.5 MB`.
pub fn size_text(n: u64) -> String {
    if n < 1024 {
        format!("{n} 字节")
    } else if n < 1024 * 1024 {
        format!("{:.1} KB", n as f64 / 1024.0)
    } else {
        format!("{:.1} MB", n as f64 / (1024.0 * 1024.0))
    }
}

async fn documents_page(
    State(st): State<AppState>,
    Path(agency): Path<String>,
) -> Result<Response, PublicError> {
    let r = roster(&st, &agency).await?;
    let docs = st
        .storage
        .public_documents(&agency, false)
        .await?
        .into_iter()
        .map(|d| DocRow {
            kind: d.kind.label(),
            size: size_text(d.size),
            uploaded: beijing_text(d.uploaded_at),
            id: d.id,
            title: d.title,
            file_name: d.file_name,
        })
        .collect();
    let steps = st
        .storage
        .public_profile(&agency)
        .await?
        .map(|p| p.recording_steps)
        .unwrap_or_default();
    Ok(render_public(
        StatusCode::OK,
        &DocumentsPage {
            layout: PublicLayout::new("documents"),
            tab: "documents",
            docs,
            steps,
            agency: r.agency,
        },
    ))
}

/// RFC 5987 percent-encoding of a file name for `filename*=`.
fn rfc5987(name: &str) -> String {
    let mut out = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Query of a public document: `?download=1` saves it instead of showing it.
#[derive(Debug, Deserialize)]
pub struct DocumentQuery {
    /// `1`: served as an attachment (saved), else shown in the browser.
    pub download: Option<String>,
}

/// `GET /public/documents/{id}`: a flow chart, guide or list (PDF, PNG or JPEG,
/// sniffed at upload) shown in the browser, or saved with `?download=1`.
async fn download(
    State(st): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<DocumentQuery>,
) -> Result<Response, PublicError> {
    let not_found = || PublicError::NotFound("该公开文件".into());
    if id.len() > 64 {
        return Err(not_found());
    }
    let doc = st
        .storage
        .public_document(&id)
        .await?
        .filter(|d| d.deleted_at.is_none())
        .ok_or_else(not_found)?;
    let path = public_docs_dir(&st).join(&doc.sha256);
    let bytes = tokio::fs::read(&path).await.map_err(|e| {
        PublicError::Internal(format!(
            "public document {} at {}: {e}",
            doc.id,
            path.display()
        ))
    })?;
    let ascii: String = doc
        .file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    // Only the sniffed types are ever stored, all safe to show inline.
    let how = if q.download.as_deref() == Some("1") {
        "attachment"
    } else {
        "inline"
    };
    let disposition = format!(
        "{how}; filename=\"{ascii}\"; filename*=UTF-8''{}",
        rfc5987(&doc.file_name)
    );
    let mut r = bytes.into_response();
    public_headers(&mut r);
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&doc.content_type)
            .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream")),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(r)
}

// ---- 重大执法决定法制审核目录清单 (R-PRE-4, R-LEGAL-2) -----------------------------------

struct CatalogueView {
    version: u32,
    date: String,
    triggers: Vec<&'static str>,
    threshold: String,
    other_items: Vec<String>,
    note: String,
}

#[derive(Template)]
#[template(path = "public/before_catalogue.html")]
struct CataloguePage {
    layout: PublicLayout,
    agency: Agency,
    tab: &'static str,
    current: Option<CatalogueView>,
    earlier: Vec<CatalogueView>,
}

async fn catalogue_page(
    State(st): State<AppState>,
    Path(agency): Path<String>,
) -> Result<Response, PublicError> {
    let r = roster(&st, &agency).await?;
    let mut versions: Vec<CatalogueView> = st
        .storage
        .catalogue_versions(&agency)
        .await?
        .into_iter()
        .map(|v| CatalogueView {
            version: v.version,
            date: beijing_text(v.created_at),
            triggers: v.catalogue.triggers.iter().map(|t| t.label()).collect(),
            threshold: liuhen_domain::legal::yuan(v.catalogue.fine_threshold_fen),
            other_items: v.catalogue.other_items,
            note: v.note,
        })
        .collect();
    versions.sort_by_key(|v| std::cmp::Reverse(v.version));
    let current = if versions.is_empty() {
        None
    } else {
        Some(versions.remove(0))
    };
    Ok(render_public(
        StatusCode::OK,
        &CataloguePage {
            layout: PublicLayout::new("catalogue"),
            tab: "catalogue",
            current,
            earlier: versions,
            agency: r.agency,
        },
    ))
}

// ---- 双随机抽查结果 (R-POST-4, R-RAND-3) ---------------------------------------------

struct DrawRow {
    id: String,
    agency: String,
    item: String,
    date: String,
    completed: String,
}

#[derive(Template)]
#[template(path = "public/before_draws.html")]
struct DrawsPage {
    layout: PublicLayout,
    draws: Vec<DrawRow>,
}

async fn draws_page(State(st): State<AppState>) -> Result<Response, PublicError> {
    let names: HashMap<String, String> = st
        .storage
        .public_agencies()
        .await?
        .into_iter()
        .map(|a| (a.id, a.name))
        .collect();
    let mut draws: Vec<DrawRow> = st
        .storage
        .draws(None)
        .await?
        .into_iter()
        .filter(|d| d.status == DrawStatus::Completed)
        .map(|d| DrawRow {
            agency: names.get(&d.agency_id).cloned().unwrap_or(d.agency_id),
            item: format!("{}（{}）", d.item_name, d.item_code),
            date: d.draw_date.to_string(),
            completed: d.completed_at.map(beijing_text).unwrap_or_default(),
            id: d.id,
        })
        .collect();
    draws.sort_by(|a, b| b.date.cmp(&a.date).then(b.completed.cmp(&a.completed)));
    Ok(render_public(
        StatusCode::OK,
        &DrawsPage {
            layout: PublicLayout::new("draws"),
            draws,
        },
    ))
}

struct DrawnRow {
    seq: u32,
    target: String,
    credit_code: String,
    team: String,
    outcome: &'static str,
    violations: &'static str,
}

#[derive(Template)]
#[template(path = "public/before_draw.html")]
struct DrawPage {
    layout: PublicLayout,
    id: String,
    agency: Agency,
    item: String,
    date: String,
    due: String,
    completed: String,
    population: usize,
    rows: Vec<DrawnRow>,
}

/// Public wording of an inspection's review state (R-POST-4).
fn outcome_label(state: Option<&str>) -> &'static str {
    match state {
        None => "未检查",
        Some("approved") => "已审核通过",
        Some("returned") | Some("amended") => "检查中（补正）",
        Some(_) => "检查中",
    }
}

async fn draw_page(
    State(st): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, PublicError> {
    let not_found = || PublicError::NotFound("该抽查记录".into());
    if id.len() > 100 {
        return Err(not_found());
    }
    // A committed draw is not public: its seed is still secret (R-RAND-1).
    let d = st
        .storage
        .draw(None, &id)
        .await?
        .filter(|d| d.status == DrawStatus::Completed)
        .ok_or_else(not_found)?;
    let outcome = d.outcome.clone().ok_or_else(not_found)?;
    let r = roster(&st, &d.agency_id).await?;
    let targets: HashMap<&str, &liuhen_domain::model::Target> =
        r.targets.iter().map(|t| (t.id.as_str(), t)).collect();
    let officers: HashMap<&str, &str> = r
        .officers
        .iter()
        .map(|o| (o.id.as_str(), o.name.as_str()))
        .collect();
    let tasks = st.storage.draw_tasks(&d.id).await?;
    let task_of: HashMap<u32, String> = tasks.iter().map(|t| (t.seq, t.task.id.clone())).collect();
    let ids: Vec<String> = task_of.values().cloned().collect();
    let outcomes: HashMap<String, (String, bool)> = st
        .storage
        .task_outcomes(&ids)
        .await?
        .into_iter()
        .map(|o| (o.task_id, (o.state, o.has_violations)))
        .collect();
    let rows = outcome
        .drawn
        .iter()
        .map(|t| {
            let (target, credit_code) = match targets.get(t.target_id.as_str()) {
                Some(tg) => match &tg.credit_code {
                    Some(code) => (tg.name.clone(), code.as_str().to_string()),
                    None => (mask_person_name(&tg.name), String::new()),
                },
                None => ("（该对象已移出名录）".to_string(), String::new()),
            };
            let team = if t.officer_ids.is_empty() {
                "未能组成执法小组".to_string()
            } else {
                t.officer_ids
                    .iter()
                    .map(|o| officers.get(o.as_str()).copied().unwrap_or("（已调离）"))
                    .collect::<Vec<_>>()
                    .join("、")
            };
            let state = task_of.get(&t.seq).and_then(|task| outcomes.get(task));
            let violations = match state {
                None => "—",
                Some((_, true)) => "发现问题",
                Some((_, false)) => "未发现问题",
            };
            DrawnRow {
                seq: t.seq,
                target,
                credit_code,
                team,
                outcome: outcome_label(state.map(|(s, _)| s.as_str())),
                violations,
            }
        })
        .collect();
    let page = DrawPage {
        layout: PublicLayout::new("draws"),
        id: d.id.clone(),
        item: format!("{}（{}）", d.inputs.item.name, d.inputs.item.code),
        date: d.inputs.draw_date.to_string(),
        due: d.inputs.due_date.to_string(),
        completed: d.completed_at.map(beijing_text).unwrap_or_default(),
        population: outcome.population,
        rows,
        agency: r.agency,
    };
    Ok(render_public(StatusCode::OK, &page))
}
