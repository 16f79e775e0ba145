//! The draft form (起草 / 修改执法决定草案): `GET/POST /legal/drafts/new` and
//! `GET/POST /legal/drafts/{id}/edit`. An edit carries the heads of the draft the
//! page showed (`base_heads`), so an edit from a stale page writes only the
//! fields it changed and merges with what others changed meanwhile (CRDT).

use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

use liuhen_domain::legal::{DecisionKind, DraftContent, EvidenceLink, PartyKind};

use super::{Reply, SECTION, Typed, form_user, pairs_of, parse_yuan, yuan_input};
use crate::pages::web::page::{Layout, WebError};
use crate::pages::web::session::{SessionProbe, WebUser, forget_kept_form, kept_form};
use crate::services::legal::workflow::{self, DRAFTER_ROLES, LegalError};
use crate::state::AppState;
use crate::storage::legal::DraftStatus;

/// Routes: the new-draft and edit forms.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/legal/drafts/new", get(new_page).post(new_submit))
        .route("/legal/drafts/{id}/edit", get(edit_page).post(edit_submit))
}

/// The circumstance checkboxes: (field name, Chinese label).
pub const FLAGS: [(&str, &str); 8] = [
    ("revocation", "吊销许可证件、营业执照"),
    ("suspension", "责令停产停业、关闭"),
    ("major_coercion", "重大行政强制、征收征用"),
    ("hearing_held", "经过听证程序"),
    ("crime_suspected", "涉嫌犯罪，需移送司法机关"),
    ("public_interest", "涉及重大公共利益"),
    ("social_risk", "可能造成重大社会影响或引发社会风险"),
    ("complex", "案件情况疑难复杂、涉及多个法律关系"),
];

fn flag_of(c: &DraftContent, name: &str) -> bool {
    match name {
        "revocation" => c.revocation,
        "suspension" => c.suspension,
        "major_coercion" => c.major_coercion,
        "hearing_held" => c.hearing_held,
        "crime_suspected" => c.crime_suspected,
        "public_interest" => c.public_interest,
        "social_risk" => c.social_risk,
        "complex" => c.complex,
        _ => false,
    }
}

fn set_flag(c: &mut DraftContent, name: &str, v: bool) {
    match name {
        "revocation" => c.revocation = v,
        "suspension" => c.suspension = v,
        "major_coercion" => c.major_coercion = v,
        "hearing_held" => c.hearing_held = v,
        "crime_suspected" => c.crime_suspected = v,
        "public_interest" => c.public_interest = v,
        "social_risk" => c.social_risk = v,
        "complex" => c.complex = v,
        _ => {}
    }
}

/// One option of a select.
#[derive(Debug, Clone)]
pub struct Choice {
    /// Value sent.
    pub value: &'static str,
    /// Chinese label.
    pub label: &'static str,
    /// Selected.
    pub selected: bool,
}

/// One checkbox.
#[derive(Debug, Clone)]
pub struct Check {
    /// Field name or value.
    pub value: String,
    /// Label.
    pub label: String,
    /// Checked.
    pub checked: bool,
}

/// The form's fields as text.
#[derive(Debug, Clone, Default)]
pub struct Values {
    /// Kind value.
    pub kind: String,
    /// Title.
    pub title: String,
    /// Category.
    pub category: String,
    /// Party kind value.
    pub party_kind: String,
    /// Party name.
    pub party_name: String,
    /// Party code.
    pub party_code: String,
    /// Legal basis.
    pub legal_basis: String,
    /// Facts.
    pub facts: String,
    /// Discretion.
    pub discretion: String,
    /// Conclusion.
    pub conclusion: String,
    /// Fine in yuan as typed.
    pub fine: String,
    /// Checked flag names.
    pub flags: Vec<String>,
    /// Confidential notes.
    pub confidential: String,
    /// Inspection ids, one per line.
    pub inspection_ids: String,
    /// Checked evidence (`inspection/sha256`).
    pub evidence: Vec<String>,
    /// Selected other items of the catalogue (R-LEGAL-2).
    pub other_items: Vec<String>,
}

impl Values {
    /// The values of stored content.
    pub fn of(c: &DraftContent) -> Values {
        Values {
            kind: c.kind.as_str().into(),
            title: c.title.clone(),
            category: c.category.clone(),
            party_kind: c.party_kind.as_str().into(),
            party_name: c.party_name.clone(),
            party_code: c.party_code.clone(),
            legal_basis: c.legal_basis.clone(),
            facts: c.facts.clone(),
            discretion: c.discretion.clone(),
            conclusion: c.conclusion.clone(),
            fine: c.fine_fen.map(yuan_input).unwrap_or_default(),
            flags: FLAGS
                .iter()
                .filter(|(n, _)| flag_of(c, n))
                .map(|(n, _)| n.to_string())
                .collect(),
            confidential: c.confidential.clone(),
            inspection_ids: c.inspection_ids.join("\n"),
            evidence: c
                .evidence
                .iter()
                .map(|e| format!("{}/{}", e.inspection_id, e.sha256))
                .collect(),
            other_items: c.other_items.clone(),
        }
    }

    /// The values as typed.
    pub fn typed(t: &Typed) -> Values {
        Values {
            kind: t.get("kind").into(),
            title: t.get("title").into(),
            category: t.get("category").into(),
            party_kind: t.get("party_kind").into(),
            party_name: t.get("party_name").into(),
            party_code: t.get("party_code").into(),
            legal_basis: t.get("legal_basis").into(),
            facts: t.get("facts").into(),
            discretion: t.get("discretion").into(),
            conclusion: t.get("conclusion").into(),
            fine: t.get("fine").into(),
            flags: FLAGS
                .iter()
                .filter(|(n, _)| t.has(n))
                .map(|(n, _)| n.to_string())
                .collect(),
            confidential: t.get("confidential").into(),
            inspection_ids: t.get("inspection_ids").into(),
            evidence: t.all("evidence").into_iter().map(String::from).collect(),
            other_items: t.all("other_item").into_iter().map(String::from).collect(),
        }
    }
}

/// Inspection ids typed (one per line, or separated by commas or spaces).
fn split_ids(s: &str) -> Vec<String> {
    let mut out: Vec<String> = vec![];
    for id in s.split(|c: char| c == ',' || c == '，' || c == '、' || c.is_whitespace()) {
        if !id.is_empty() && !out.iter().any(|o| o == id) {
            out.push(id.to_string());
        }
    }
    out
}

/// The content typed; `notes_from` keeps the notes of evidence links still checked.
pub fn content_of(t: &Typed, notes_from: Option<&DraftContent>) -> Result<DraftContent, String> {
    let kind = DecisionKind::parse(t.get("kind")).ok_or("请选择决定类型")?;
    let mut c = DraftContent::empty(kind);
    c.party_kind = PartyKind::parse(t.get("party_kind")).ok_or("请选择当事人类型")?;
    c.title = t.get("title").trim().to_string();
    c.category = t.get("category").trim().to_string();
    c.party_name = t.get("party_name").trim().to_string();
    c.party_code = t.get("party_code").trim().to_string();
    c.legal_basis = t.get("legal_basis").to_string();
    c.facts = t.get("facts").to_string();
    c.discretion = t.get("discretion").to_string();
    c.conclusion = t.get("conclusion").to_string();
    c.confidential = t.get("confidential").to_string();
    c.fine_fen = parse_yuan("罚款金额", t.get("fine"))?;
    for (name, _) in FLAGS {
        set_flag(&mut c, name, t.has(name));
    }
    for item in t.all("other_item") {
        let item = item.trim();
        if !item.is_empty() && !c.other_items.iter().any(|i| i == item) {
            c.other_items.push(item.to_string());
        }
    }
    c.inspection_ids = split_ids(t.get("inspection_ids"));
    for e in t.all("evidence") {
        let Some((inspection_id, sha256)) = e.split_once('/') else {
            return Err(format!("证据“{e}”格式不正确，请刷新页面后重新勾选"));
        };
        let note = notes_from
            .and_then(|c| {
                c.evidence
                    .iter()
                    .find(|x| x.inspection_id == inspection_id && x.sha256 == sha256)
            })
            .map(|x| x.note.clone())
            .unwrap_or_default();
        c.evidence.push(EvidenceLink {
            inspection_id: inspection_id.into(),
            sha256: sha256.into(),
            note,
        });
    }
    Ok(c)
}

#[derive(Template)]
#[template(path = "legal/draft_form.html")]
struct FormPage {
    layout: Layout,
    heading: String,
    action: String,
    back: String,
    csrf: String,
    base_heads: String,
    keep_prefix: String,
    v: Values,
    kinds: Vec<Choice>,
    party_kinds: Vec<Choice>,
    flags: Vec<Check>,
    evidence: Vec<Check>,
    error: Option<String>,
    kept_notice: Option<String>,
    lockout: Option<LockoutView>,
    other_items: Vec<Check>,
}

/// The R-LEGAL-3 warning a legal reviewer sees before their edit is saved.
#[derive(Debug, Clone)]
pub struct LockoutView {
    /// What saving does.
    pub consequence: String,
    /// The ways out, one per line.
    pub ways_out: Vec<String>,
}

/// The warning for `l`: the consequence, and who else may review, or how to
/// staff reviewers per R-LEGAL-6 when nobody else may.
pub fn lockout_view(l: &workflow::Lockout) -> LockoutView {
    let mut ways_out = vec![
        "不修改草案：在审核意见中写明问题并选择“存在问题”，退回承办单位修改后重新提交（R-LEGAL-4），您仍可审核。".to_string(),
    ];
    if l.other_reviewers.is_empty() {
        ways_out.push(format!(
            "本单位除您以外没有其他可以审核此草案的法制审核人员：保存后此草案将无人可以审核。按 R-LEGAL-6，法制审核人员不少于执法人员的 5%，至少 1 人（本单位现有执法人员 {} 人，至少应配备 {} 人，现有 {} 人）；请管理员在“法制审核管理”（/admin/legal）中核对配备，并在账号管理中增设法制审核人员后再修改。",
            l.staffing.officers, l.staffing.required, l.staffing.reviewers
        ));
    } else {
        ways_out.push(format!(
            "确需修改：保存后请由其他法制审核人员审核此草案：{}。",
            l.other_reviewers.join("、")
        ));
    }
    LockoutView {
        consequence: "R-LEGAL-3：您是法制审核人员。保存修改后，您将被记录为本草案的修改人，此后不能再审核此草案（起草、修改或提交草案的人员不得审核本案）。".into(),
        ways_out,
    }
}

impl FormPage {
    fn respond(self, status: StatusCode) -> Response {
        crate::pages::web::page::render_status(&self, status)
    }
}

/// Evidence of the inspections a draft links (of the user's agency): checkboxes.
async fn evidence_choices(
    st: &AppState,
    user: &WebUser,
    v: &Values,
) -> Result<Vec<Check>, WebError> {
    let mut out = vec![];
    for id in split_ids(&v.inspection_ids) {
        let ours = st
            .storage
            .doc(&id)
            .await?
            .is_some_and(|d| d.agency_id == user.user.agency_id);
        if !ours {
            continue;
        }
        for b in st.storage.blobs_of(&id).await? {
            let value = format!("{id}/{}", b.sha256);
            out.push(Check {
                checked: v.evidence.contains(&value),
                label: format!(
                    "检查记录 {} · SHA-256 {}{}",
                    id,
                    b.sha256,
                    if b.received_at.is_some() {
                        ""
                    } else {
                        "（尚未上传）"
                    }
                ),
                value,
            });
        }
    }
    // Links already on the draft whose inspection is no longer listed stay visible.
    for e in &v.evidence {
        if !out.iter().any(|c| &c.value == e) {
            out.push(Check {
                value: e.clone(),
                label: format!("{e}（所属检查记录未在上方列出）"),
                checked: true,
            });
        }
    }
    Ok(out)
}

async fn form_page(
    st: &AppState,
    user: &WebUser,
    id: Option<&str>,
    base_heads: String,
    v: Values,
) -> Result<FormPage, WebError> {
    let kinds = DecisionKind::ALL
        .iter()
        .map(|k| Choice {
            value: k.as_str(),
            label: k.label(),
            selected: v.kind == k.as_str(),
        })
        .collect();
    let party_kinds = [PartyKind::Company, PartyKind::Person]
        .iter()
        .map(|k| Choice {
            value: k.as_str(),
            label: k.label(),
            selected: v.party_kind == k.as_str(),
        })
        .collect();
    let flags = FLAGS
        .iter()
        .map(|(n, l)| Check {
            value: n.to_string(),
            label: l.to_string(),
            checked: v.flags.iter().any(|f| f == n),
        })
        .collect();
    let evidence = evidence_choices(st, user, &v).await?;
    // The catalogue's other items (R-LEGAL-2), and any item the draft selected
    // that a newer catalogue no longer lists (kept visible, still checked).
    let mut other_items: Vec<Check> = st
        .storage
        .catalogue(&user.user.agency_id, None)
        .await?
        .map(|c| c.catalogue.other_items)
        .unwrap_or_default()
        .into_iter()
        .map(|item| Check {
            checked: v.other_items.contains(&item),
            label: item.clone(),
            value: item,
        })
        .collect();
    for item in &v.other_items {
        if !other_items.iter().any(|c| &c.value == item) {
            other_items.push(Check {
                value: item.clone(),
                label: format!("{item}（现行目录清单已无此项）"),
                checked: true,
            });
        }
    }
    Ok(match id {
        None => FormPage {
            layout: user.layout(SECTION),
            heading: "起草执法决定".into(),
            action: "/legal/drafts/new".into(),
            back: "/legal".into(),
            csrf: user.csrf.clone(),
            base_heads,
            keep_prefix: "legal-new".into(),
            v,
            kinds,
            party_kinds,
            flags,
            evidence,
            error: None,
            kept_notice: None,
            lockout: None,
            other_items: other_items.clone(),
        },
        Some(id) => FormPage {
            layout: user.layout(SECTION),
            heading: "修改执法决定草案".into(),
            action: format!("/legal/drafts/{id}/edit"),
            back: format!("/legal/drafts/{id}"),
            csrf: user.csrf.clone(),
            base_heads,
            keep_prefix: format!("legal-edit-{id}"),
            v,
            kinds,
            party_kinds,
            flags,
            evidence,
            error: None,
            kept_notice: None,
            lockout: None,
            other_items: other_items.clone(),
        },
    })
}

/// A form kept through sign-in for `path`, forgotten once shown.
async fn restore(
    st: &AppState,
    user: &WebUser,
    path: &str,
) -> Result<Option<(Typed, String)>, WebError> {
    let Some(k) = kept_form(st, user, path).await? else {
        return Ok(None);
    };
    forget_kept_form(st, user, path).await?;
    let notice = format!(
        "您在登录失效前（{}）填写的内容已恢复，尚未保存。请核对后再次提交。",
        liuhen_domain::time::beijing_text(k.saved_at)
    );
    Ok(Some((Typed::new(k.fields), notice)))
}

/// Query of the new-draft page.
#[derive(Debug, Deserialize)]
pub struct NewQuery {
    /// An inspection to build the decision on.
    pub inspection: Option<String>,
}

async fn new_page(
    State(st): State<AppState>,
    user: WebUser,
    Query(q): Query<NewQuery>,
) -> Result<Response, WebError> {
    user.require(DRAFTER_ROLES)?;
    let path = "/legal/drafts/new";
    if let Some((typed, notice)) = restore(&st, &user, path).await? {
        let mut p = form_page(&st, &user, None, String::new(), Values::typed(&typed)).await?;
        p.kept_notice = Some(notice);
        return Ok(p.respond(StatusCode::OK));
    }
    let mut v = Values::of(&DraftContent::empty(DecisionKind::Penalty));
    if let Some(i) = q
        .inspection
        .as_deref()
        .map(str::trim)
        .filter(|i| !i.is_empty())
    {
        v.inspection_ids = i.to_string();
    }
    Ok(form_page(&st, &user, None, String::new(), v)
        .await?
        .respond(StatusCode::OK))
}

async fn new_submit(
    State(st): State<AppState>,
    probe: SessionProbe,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let typed = match pairs_of(form) {
        Ok(p) => Typed::new(p),
        Err(r) => return r.into_response(),
    };
    let path = "/legal/drafts/new";
    let user = match form_user(&st, probe, path, &typed) {
        Ok(u) => u,
        Err(r) => return r.into_response(),
    };
    if let Err(e) = user.require(DRAFTER_ROLES) {
        return e.into_response();
    }
    let refused = |msg: String, status: StatusCode| {
        let st = st.clone();
        let user = user.clone();
        let typed = typed.clone();
        async move {
            match form_page(&st, &user, None, String::new(), Values::typed(&typed)).await {
                Ok(mut p) => {
                    p.error = Some(msg);
                    p.respond(status)
                }
                Err(e) => e.into_response(),
            }
        }
    };
    let content = match content_of(&typed, None) {
        Ok(c) => c,
        Err(msg) => return refused(msg, StatusCode::BAD_REQUEST).await,
    };
    match workflow::create_draft(&st, &user.user, &content).await {
        Ok(rec) => {
            let _ = forget_kept_form(&st, &user, path).await;
            Redirect::to(&format!("/legal/drafts/{}?done=created", rec.id)).into_response()
        }
        Err(e) => match page_error(e) {
            Ok((msg, status)) => refused(msg, status).await,
            Err(r) => r.into_response(),
        },
    }
}

/// A workflow refusal to show on the page (message, status), or the error page
/// for what no form can fix (missing draft, storage down).
pub fn page_error(e: LegalError) -> Result<(String, StatusCode), Reply> {
    match e {
        LegalError::NotFound(_) | LegalError::Storage(_) | LegalError::Damaged(_) => {
            Err(WebError::from(e).into())
        }
        // The reason names the field in Chinese already (请填写标题, ...).
        LegalError::Invalid { reason, .. } => Ok((reason, StatusCode::BAD_REQUEST)),
        other => {
            let status = other.status();
            Ok((other.to_string(), status))
        }
    }
}

async fn edit_page(
    State(st): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    user.require(DRAFTER_ROLES)?;
    let d = workflow::detail(&st, &user.user, &id).await?;
    if d.record.status == DraftStatus::Decided {
        return Err(WebError::BadRequest("决定已作出，草案不能再修改".into()));
    }
    let heads = d.record.heads.join(",");
    let path = format!("/legal/drafts/{id}/edit");
    let lockout = workflow::lockout_of_edit(&st, &user.user, &d.record)
        .await?
        .as_ref()
        .map(lockout_view);
    if let Some((typed, notice)) = restore(&st, &user, &path).await? {
        // The kept form keeps the heads it was shown at: its edit still merges.
        let base = typed.get("base_heads").to_string();
        let mut p = form_page(&st, &user, Some(&id), base, Values::typed(&typed)).await?;
        p.kept_notice = Some(notice);
        p.lockout = lockout;
        return Ok(p.respond(StatusCode::OK));
    }
    let mut p = form_page(&st, &user, Some(&id), heads, Values::of(&d.content)).await?;
    p.lockout = lockout;
    Ok(p.respond(StatusCode::OK))
}

async fn edit_submit(
    State(st): State<AppState>,
    Path(id): Path<String>,
    probe: SessionProbe,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let typed = match pairs_of(form) {
        Ok(p) => Typed::new(p),
        Err(r) => return r.into_response(),
    };
    let path = format!("/legal/drafts/{id}/edit");
    let user = match form_user(&st, probe, &path, &typed) {
        Ok(u) => u,
        Err(r) => return r.into_response(),
    };
    if let Err(e) = user.require(DRAFTER_ROLES) {
        return e.into_response();
    }
    let current = match workflow::detail(&st, &user.user, &id).await {
        Ok(d) => d,
        Err(e) => return WebError::from(e).into_response(),
    };
    let base_heads = typed.get("base_heads").to_string();
    let lockout = match workflow::lockout_of_edit(&st, &user.user, &current.record).await {
        Ok(l) => l.as_ref().map(lockout_view),
        Err(e) => return WebError::from(e).into_response(),
    };
    let refused = |msg: String, status: StatusCode| {
        let st = st.clone();
        let user = user.clone();
        let typed = typed.clone();
        let id = id.clone();
        let base_heads = base_heads.clone();
        let lockout = lockout.clone();
        async move {
            match form_page(&st, &user, Some(&id), base_heads, Values::typed(&typed)).await {
                Ok(mut p) => {
                    p.error = Some(msg);
                    p.lockout = lockout;
                    p.respond(status)
                }
                Err(e) => e.into_response(),
            }
        }
    };
    // R-LEGAL-3: a reviewer's edit locks them out of reviewing; they confirm first.
    if lockout.is_some() && typed.get("confirm_lockout") != "1" {
        return refused(
            "R-LEGAL-3：保存修改后您将不能再审核此草案。请阅读下方说明：如确需修改，勾选“我已了解”后再保存；本次未保存任何内容。".into(),
            StatusCode::CONFLICT,
        )
        .await;
    }
    let content = match content_of(&typed, Some(&current.content)) {
        Ok(c) => c,
        Err(msg) => return refused(msg, StatusCode::BAD_REQUEST).await,
    };
    let heads: Vec<String> = base_heads
        .split(',')
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .map(String::from)
        .collect();
    if heads.is_empty() {
        return refused(
            "无法确认您修改时所依据的草案版本（页面中的版本信息缺失），本次修改未保存。请核对当前内容后重新提交；您填写的内容已保留。".into(),
            StatusCode::CONFLICT,
        )
        .await;
    }
    match workflow::edit_draft(&st, &user.user, &id, &heads, &content).await {
        Ok(changes) => {
            let _ = forget_kept_form(&st, &user, &path).await;
            let merged = heads != current.record.heads;
            tracing::info!(draft = %id, changes = changes.len(), merged, "legal draft edited from the page");
            let done = match (changes.is_empty(), merged) {
                (true, _) => "unchanged",
                (false, true) => "merged",
                (false, false) => "edited",
            };
            Redirect::to(&format!("/legal/drafts/{id}?done={done}")).into_response()
        }
        Err(e) => match page_error(e) {
            Ok((msg, status)) => refused(msg, status).await,
            Err(r) => r.into_response(),
        },
    }
}
