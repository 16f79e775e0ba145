//! Approve or return an inspection (审核通过 / 退回补正) with a general comment and
//! comments on single items of the record, written into the inspection document as
//! the supervisor in one step, so the decision and every comment reach the officers'
//! devices at their next sync (R-REC-1: the review stage is recorded in text;
//! R-POST-7: the reviewer is named on the record).
//!
//! Robustness, because a decision must be made exactly once and on what was seen:
//! - an ended session keeps what was typed and restores it after signing in
//!   (R-REC-5: nothing typed is lost);
//! - every form carries a random `form_id`, recorded with its outcome
//!   (`review_submissions`), so the same form sent again is not carried out twice;
//! - every form carries the heads of the document the page showed; if the record
//!   changed since (a device synced new findings, amendments or evidence, or another
//!   supervisor decided), nothing is written and the page shows what changed, with
//!   the typed text in a fresh form.

use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use chrono::SubsecRound;
use rand::RngCore;

use automerge::ChangeHash;
use liuhen_domain::doc::InspectionDoc;
use liuhen_domain::inspection::{Inspection, ReviewComment, ReviewDecision, ReviewOutcome};

use crate::api::inspections::{CommentError, MAX_COMMENT_CHARS, valid_comment};
use crate::api::sync::user_actor;
use crate::pages::web::page::{Layout, WebError, same_agency};
use crate::pages::web::session::{
    SessionProbe, WebUser, forget_kept_form, keep_form_and_sign_in, kept_form,
};
use crate::services::optimistic;
use crate::state::AppState;
use crate::storage::review::ReviewSubmission;
use crate::storage::{Role, StorageError};

/// Routes of this page: `POST /desk/inspections/{id}/decide`.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new().route("/desk/inspections/{id}/decide", post(decide))
}

/// The inspection page's path (where a kept form belongs).
fn page_path(id: &str) -> String {
    format!("/desk/inspections/{id}")
}

/// Prefix of the names of per-item comment fields (`item:finding:<id>`, ...).
const ITEM_PREFIX: &str = "item:";

/// One per-item comment field of the form.
#[derive(Debug, Clone, Default)]
pub struct ItemField {
    /// Field name, `item:<key>`.
    pub name: String,
    /// What the item is, in Chinese (a finding's text start, ...).
    pub label: String,
    /// Text typed (pre-filled when kept or re-shown).
    pub value: String,
    /// The key under which the browser keeps the text (`data-keep`).
    pub keep_key: String,
}

/// What the decision form shows (read by `desk/_decide.html`).
#[derive(Debug, Clone, Default)]
pub struct DecideView {
    /// The inspection.
    pub inspection_id: String,
    /// Where the form is sent.
    pub action: String,
    /// The session's CSRF token.
    pub csrf: String,
    /// Random id of this form (one per page view): sent twice, done once.
    pub form_id: String,
    /// Heads (comma-separated hex) of the document the page showed.
    pub base_heads: String,
    /// Whether this user may decide (supervisors only).
    pub may_decide: bool,
    /// Why not, when `may_decide` is false.
    pub readonly_reason: String,
    /// The key under which the browser keeps the general comment (`review-<id>`).
    pub keep_key: String,
    /// General comment typed (pre-filled when kept or re-shown).
    pub comment: String,
    /// One field per item of the record.
    pub items: Vec<ItemField>,
    /// Shown when the form was restored from an ended session.
    pub kept_notice: Option<String>,
    /// Shown when the form was refused (what to fix).
    pub error: Option<String>,
    /// The record's current decision, as text.
    pub current_decision: Option<String>,
}

impl DecideView {
    /// Every `data-keep` key of the form, space-separated (for `data-clear-kept`).
    pub fn all_keep_keys(&self) -> String {
        let mut keys = vec![self.keep_key.clone()];
        keys.extend(self.items.iter().map(|i| i.keep_key.clone()));
        keys.join(" ")
    }
}

/// The items of a record a comment may be about: (key, Chinese label).
pub fn item_keys(i: &Inspection) -> Vec<(String, String)> {
    let mut out = vec![];
    if i.identity_notice.is_some() {
        out.push(("identity_notice".to_string(), "亮证告知".to_string()));
    }
    for (n, f) in i.findings.iter().enumerate() {
        out.push((
            format!("finding:{}", f.id),
            format!("检查情况 {}：{}", n + 1, text_start(&f.text, 24)),
        ));
    }
    for e in &i.evidence {
        out.push((
            format!("evidence:{}", e.sha256),
            format!("证据（{}）{}", e.kind.label(), short(&e.sha256)),
        ));
    }
    if i.rights_notice.is_some() {
        out.push(("rights_notice".to_string(), "权利告知".to_string()));
    }
    out
}

/// Chinese label of an item key, for comments and changes (the key itself if unknown).
fn item_label(i: &Inspection, key: &str) -> String {
    item_keys(i)
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, l)| l)
        .unwrap_or_else(|| format!("记录中不存在的项目 {key}"))
}

fn text_start(s: &str, n: usize) -> String {
    let t: String = s.chars().take(n).collect();
    if s.chars().count() > n {
        format!("{t}…")
    } else {
        t
    }
}

fn short(sha: &str) -> &str {
    &sha[..12.min(sha.len())]
}

fn new_form_id() -> String {
    let mut b = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

fn decision_text(i: &Inspection) -> Option<String> {
    i.review.decision.as_ref().map(|d| {
        format!(
            "{}（{}，{}）",
            d.decision.label(),
            d.decided_by_name,
            liuhen_domain::time::local_text(d.decided_at)
        )
    })
}

/// What was typed into a decision form.
#[derive(Debug, Clone, Default)]
pub struct Typed {
    /// The form's CSRF token.
    pub csrf: Option<String>,
    /// The form's id (a repeated submission carries the same).
    pub form_id: String,
    /// The record's heads the form was rendered at.
    pub base_heads: String,
    /// The decision chosen, if any.
    pub decision: Option<String>,
    /// The supervisor's comment.
    pub comment: String,
    /// (item key, text) in form order.
    pub items: Vec<(String, String)>,
}

impl Typed {
    /// Reads the form's fields; unknown fields are ignored.
    pub fn parse(pairs: &[(String, String)]) -> Typed {
        let mut t = Typed::default();
        for (k, v) in pairs {
            match k.as_str() {
                "csrf" => t.csrf = Some(v.clone()),
                "form_id" => t.form_id = v.trim().to_string(),
                "base_heads" => t.base_heads = v.clone(),
                "decision" => t.decision = Some(v.clone()),
                "comment" => t.comment = v.clone(),
                _ => {
                    if let Some(key) = k.strip_prefix(ITEM_PREFIX) {
                        t.items.push((key.to_string(), v.clone()));
                    }
                }
            }
        }
        t
    }
}

/// Builds the form for `inspection` at `heads`, pre-filled with `typed`.
fn view_for(
    user: &WebUser,
    id: &str,
    inspection: &Inspection,
    heads: &[String],
    typed: Option<&Typed>,
) -> DecideView {
    let keep_key = format!("review-{id}");
    let mut items: Vec<ItemField> = item_keys(inspection)
        .into_iter()
        .map(|(key, label)| ItemField {
            value: typed
                .and_then(|t| t.items.iter().find(|(k, v)| *k == key && !v.is_empty()))
                .map(|(_, v)| v.clone())
                .unwrap_or_default(),
            keep_key: format!("{keep_key}-{key}"),
            name: format!("{ITEM_PREFIX}{key}"),
            label,
        })
        .collect();
    // Text typed for an item the record does not have stays visible (never lost).
    if let Some(t) = typed {
        for (key, v) in &t.items {
            let name = format!("{ITEM_PREFIX}{key}");
            if !v.trim().is_empty() && !items.iter().any(|i| i.name == name) {
                items.push(ItemField {
                    label: format!("记录中不存在的项目 {key}"),
                    keep_key: format!("{keep_key}-{key}"),
                    name,
                    value: v.clone(),
                });
            }
        }
    }
    let may_decide = user.user.role == Role::Supervisor;
    DecideView {
        inspection_id: id.to_string(),
        action: format!("/desk/inspections/{id}/decide"),
        csrf: user.csrf.clone(),
        form_id: new_form_id(),
        base_heads: heads.join(","),
        may_decide,
        readonly_reason: if may_decide {
            String::new()
        } else {
            "您的账号可以查看检查记录和审核意见，但审核决定（审核通过或退回补正）只能由审核人员作出。"
                .into()
        },
        keep_key,
        comment: typed.map(|t| t.comment.clone()).unwrap_or_default(),
        items,
        kept_notice: None,
        error: None,
        current_decision: decision_text(inspection),
    }
}

/// The decision form of the inspection page: a fresh `form_id`, the page's heads,
/// and, if a form of this user was kept when their session ended, its text (the
/// kept form is forgotten once shown).
pub async fn form_view(
    st: &AppState,
    user: &WebUser,
    inspection_id: &str,
    inspection: &Inspection,
    heads: &[String],
) -> Result<DecideView, WebError> {
    let path = page_path(inspection_id);
    let kept = if user.user.role == Role::Supervisor {
        kept_form(st, user, &path).await?
    } else {
        None
    };
    let typed = kept.as_ref().map(|k| Typed::parse(&k.fields));
    let mut view = view_for(user, inspection_id, inspection, heads, typed.as_ref());
    if let Some(k) = kept {
        view.kept_notice = Some(format!(
            "您在登录失效前（{}）填写的审核意见已恢复，尚未提交。请核对记录后再次提交。",
            liuhen_domain::time::local_text(k.saved_at)
        ));
        forget_kept_form(st, user, &path).await?;
        tracing::info!(user = %user.user.id, inspection = inspection_id, "kept review form restored");
    }
    Ok(view)
}

/// A comment as shown on a result page.
#[derive(Debug, Clone)]
pub struct CommentLine {
    /// What it is about ("总体意见" or the item's label).
    pub about: String,
    /// The text.
    pub text: String,
}

/// One change of the record since the page was opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeLine {
    /// What changed, in Chinese.
    pub what: String,
    /// The text before, if it had one.
    pub before: Option<String>,
    /// The text now, if it has one.
    pub after: Option<String>,
}

fn line(what: String, before: Option<String>, after: Option<String>) -> ChangeLine {
    ChangeLine {
        what,
        before,
        after,
    }
}

/// What changed from `old` to `new`, as a supervisor needs to re-check it.
pub fn changes_between(old: &Inspection, new: &Inspection) -> Vec<ChangeLine> {
    let mut out = vec![];
    if old.meta != new.meta {
        out.push(line("检查的基本信息有更新".into(), None, None));
    }
    if old.team != new.team {
        let names: Vec<&str> = new
            .team
            .iter()
            .filter(|m| !old.team.iter().any(|o| o.officer_id == m.officer_id))
            .map(|m| m.name.as_str())
            .collect();
        let what = if names.is_empty() {
            "检查人员信息有更新".to_string()
        } else {
            format!("新增检查人员：{}", names.join("、"))
        };
        out.push(line(what, None, None));
    }
    if old.identity_notice != new.identity_notice {
        out.push(line(
            "亮证告知有更新".into(),
            old.identity_notice.as_ref().map(|n| n.statement.clone()),
            new.identity_notice.as_ref().map(|n| n.statement.clone()),
        ));
    }
    for f in &new.findings {
        match old.findings.iter().find(|o| o.id == f.id) {
            None => out.push(line("新增检查情况".into(), None, Some(f.text.clone()))),
            Some(o) if o.text != f.text => out.push(line(
                "检查情况被修改".into(),
                Some(o.text.clone()),
                Some(f.text.clone()),
            )),
            Some(o) if o.evidence != f.evidence => out.push(line(
                "检查情况所附证据有变化".into(),
                None,
                Some(f.text.clone()),
            )),
            Some(_) => {}
        }
    }
    for o in &old.findings {
        if !new.findings.iter().any(|f| f.id == o.id) {
            out.push(line("检查情况不再显示".into(), Some(o.text.clone()), None));
        }
    }
    for e in &new.evidence {
        if !old.evidence.iter().any(|o| o.sha256 == e.sha256) {
            out.push(line(
                format!("新增证据：{} {}", e.kind.label(), short(&e.sha256)),
                None,
                None,
            ));
        }
    }
    if old.rights_notice != new.rights_notice {
        out.push(line("权利告知有更新".into(), None, None));
    }
    if old.closure != new.closure {
        let what = match &new.closure {
            Some(c) => format!(
                "现场检查已结束（{}）",
                liuhen_domain::time::local_text(c.closed_at)
            ),
            None => "现场检查的结束状态有变化".to_string(),
        };
        out.push(line(what, None, None));
    }
    for a in &new.amendments {
        if !old.amendments.iter().any(|o| o.id == a.id) {
            out.push(line(
                format!("新增补正说明（针对{}）", amended_label(new, &a.amends)),
                None,
                Some(a.text.clone()),
            ));
        }
    }
    if old.review.decision != new.review.decision {
        let what = match &new.review.decision {
            Some(d) => format!(
                "审核决定已由 {} 于 {} 作出：{}",
                d.decided_by_name,
                liuhen_domain::time::local_text(d.decided_at),
                d.decision.label()
            ),
            None => "审核决定有变化".to_string(),
        };
        out.push(line(what, None, None));
    }
    for c in &new.review.comments {
        if !old.review.comments.iter().any(|o| o.id == c.id) {
            let about = match &c.item {
                Some(k) => format!("，针对{}", item_label(new, k)),
                None => String::new(),
            };
            out.push(line(
                format!("新增审核意见（{}{about}）", c.author_name),
                None,
                Some(c.text.clone()),
            ));
        }
    }
    out
}

fn amended_label(i: &Inspection, amends: &str) -> String {
    if amends == "meta" {
        return "基本信息".into();
    }
    if let Some(id) = amends.strip_prefix("amendment:") {
        return format!("补正说明 {}", short(id));
    }
    item_label(i, amends)
}

/// The result pages of a decision form.
#[derive(Template)]
#[template(path = "desk/decide_result.html")]
struct ResultPage {
    layout: Layout,
    /// `done`, `duplicate`, `stale`, `refused` or `forbidden`.
    kind: &'static str,
    title: String,
    back: String,
    target_name: String,
    message: String,
    decision_label: String,
    comments: Vec<CommentLine>,
    changes: Vec<ChangeLine>,
    clear_kept: String,
    show_form: bool,
    decide: DecideView,
}

impl ResultPage {
    fn new(user: &WebUser, id: &str, kind: &'static str, title: &str) -> Self {
        ResultPage {
            layout: user.layout("queue"),
            kind,
            title: title.into(),
            back: page_path(id),
            target_name: String::new(),
            message: String::new(),
            decision_label: String::new(),
            comments: vec![],
            changes: vec![],
            clear_kept: String::new(),
            show_form: false,
            decide: DecideView::default(),
        }
    }

    fn respond(self, status: StatusCode) -> Response {
        crate::pages::web::page::render_status(&self, status)
    }
}

async fn decide(
    State(st): State<AppState>,
    Path(id): Path<String>,
    probe: SessionProbe,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let pairs = match form {
        Ok(Form(p)) => p,
        Err(e) => {
            tracing::warn!(error = %e, "decision form unreadable");
            return WebError::BadRequest(
                "审核表单内容无法读取，操作未执行。请返回检查记录页面重新填写。".into(),
            )
            .into_response();
        }
    };
    match decide_inner(&st, &id, probe, &pairs).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

/// Why a typed form cannot be carried out; shown above the re-shown form.
#[derive(Debug, thiserror::Error)]
enum Refusal {
    #[error("请点击「审核通过」或「退回补正」按钮提交审核决定。")]
    NoDecision,
    #[error("退回补正须至少填写一条意见（总体意见或逐项意见），说明需要补正的内容。")]
    ReturnWithoutComment,
    #[error("「{about}」的意见有 {chars} 字，超过 {MAX_COMMENT_CHARS} 字的上限，请精简后再提交。")]
    TooLong { about: String, chars: usize },
    #[error("意见所针对的项目「{0}」不在该检查记录中，请把这条意见移到总体意见或对应项目下。")]
    UnknownItem(String),
    #[error("表单缺少有效的表单编号，无法防止重复提交，本次未执行。请核对后重新提交。")]
    NoFormId,
}

/// A decision ready to be written.
struct Ready {
    outcome: ReviewOutcome,
    /// (item key, text), general comment first.
    comments: Vec<(Option<String>, String)>,
}

fn check(typed: &Typed, current: &Inspection) -> Result<Ready, Refusal> {
    let valid_form_id =
        typed.form_id.len() == 32 && typed.form_id.chars().all(|c| c.is_ascii_hexdigit());
    if !valid_form_id {
        return Err(Refusal::NoFormId);
    }
    let outcome = typed
        .decision
        .as_deref()
        .and_then(ReviewOutcome::parse)
        .ok_or(Refusal::NoDecision)?;
    let keys = item_keys(current);
    let mut comments = vec![];
    let mut add = |item: Option<&str>, text: &str, about: String| match valid_comment(text) {
        Ok(t) => {
            comments.push((item.map(str::to_string), t));
            Ok(())
        }
        Err(CommentError::Empty) => Ok(()),
        Err(CommentError::TooLong { chars }) => Err(Refusal::TooLong { about, chars }),
    };
    add(None, &typed.comment, "总体意见".into())?;
    for (key, text) in &typed.items {
        if text.trim().is_empty() {
            continue;
        }
        let Some((_, label)) = keys.iter().find(|(k, _)| k == key) else {
            return Err(Refusal::UnknownItem(key.clone()));
        };
        add(Some(key), text, label.clone())?;
    }
    if outcome == ReviewOutcome::Returned && comments.is_empty() {
        return Err(Refusal::ReturnWithoutComment);
    }
    Ok(Ready { outcome, comments })
}

/// The heads a form was rendered at, or `None` if they are missing or not heads.
pub fn parse_heads(s: &str) -> Option<Vec<ChangeHash>> {
    let heads: Option<Vec<ChangeHash>> = s
        .split(',')
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .map(|h| h.parse::<ChangeHash>().ok())
        .collect();
    heads.filter(|h| !h.is_empty())
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v.dedup();
    v
}

fn unreadable(e: liuhen_domain::doc::DocError) -> WebError {
    WebError::Internal(format!("stored document unreadable: {e}"))
}

async fn decide_inner(
    st: &AppState,
    id: &str,
    probe: SessionProbe,
    pairs: &[(String, String)],
) -> Result<Response, WebError> {
    let path = page_path(id);
    let user = match probe {
        SessionProbe::Valid(u) => u,
        SessionProbe::Ended { user, expired } => {
            tracing::info!(
                inspection = id,
                user = user.as_ref().map(|u| u.id.as_str()).unwrap_or("-"),
                expired,
                "decision form sent without a session; kept for after sign-in"
            );
            return Ok(keep_form_and_sign_in(st, &path, expired, pairs));
        }
    };
    let typed = Typed::parse(pairs);
    user.check_csrf(typed.csrf.as_deref())?;
    user.require(crate::pages::desk::DESK_ROLES)?;
    if user.user.role != Role::Supervisor {
        tracing::warn!(user = %user.user.id, inspection = id, "decision refused: not a supervisor");
        let mut page = ResultPage::new(&user, id, "forbidden", "不能作出审核决定");
        page.message = "管理员可以查看检查记录和审核意见，但不能作出审核决定；\
                        审核通过或退回补正只能由本单位的审核人员作出。本次未写入任何内容。"
            .into();
        return Ok(page.respond(StatusCode::FORBIDDEN));
    }

    // Optimistic (issue 18): the duplicate check, the staleness check and the
    // write start from one read of the record and commit with its heads; when
    // another writer (a device's sync, another supervisor, another server
    // instance) committed first, nothing was written and all of it runs again
    // on the record as it is now (the form's own heads then decide whether the
    // supervisor must look again).
    let mut attempt = 0;
    let (rec, written, ready, now, current, heads_now) = loop {
        attempt += 1;
        let mut rec = st
            .storage
            .doc(id)
            .await?
            .ok_or_else(|| WebError::NotFound("检查记录".into()))?;
        same_agency(&user.user, &rec.agency_id, "检查记录")?;
        let mut doc = InspectionDoc::load(&rec.bytes).map_err(unreadable)?;
        let current = doc.read().map_err(unreadable)?;
        let heads_now: Vec<String> = doc.heads().iter().map(|h| h.to_string()).collect();

        if !typed.form_id.is_empty()
            && let Some(done) = st.storage.review_submission(&typed.form_id).await?
        {
            if done.inspection_id != id {
                return Err(WebError::BadRequest(
                    "表单编号与检查记录不符，操作未执行。请返回检查记录页面重新提交。".into(),
                ));
            }
            tracing::info!(user = %user.user.id, inspection = id, form = %typed.form_id, "repeated decision form not carried out again");
            return Ok(duplicate_page(&user, id, &current, &done, &typed));
        }

        let stale = match parse_heads(&typed.base_heads) {
        None => Some((
            "无法确认您提交时所依据的记录版本（页面中的版本信息缺失或无效），本次审核决定未提交。\
             请核对当前记录后重新提交；您填写的意见已保留在下方表单中。"
                .to_string(),
            vec![],
        )),
        Some(base) => {
            let base_text = sorted(base.iter().map(|h| h.to_string()).collect());
            if base_text == sorted(heads_now.clone()) {
                None
            } else {
                match doc.read_at(&base) {
                    Ok(old) => {
                        let changes = changes_between(&old, &current);
                        // Changes nobody can see (e.g. a schema migration) need no re-check.
                        (!changes.is_empty()).then(|| {
                            (
                                "您打开页面后，该检查记录已有更新，本次审核决定未提交。\
                                 请核对以下变化后重新提交；您填写的意见已保留在下方表单中。"
                                    .to_string(),
                                changes,
                            )
                        })
                    }
                    Err(e) => {
                        tracing::warn!(inspection = id, error = %e, "form heads not in the document");
                        Some((
                            "无法找到您打开页面时的记录版本，无法确认此后的变化，本次审核决定未提交。\
                             请核对当前记录后重新提交；您填写的意见已保留在下方表单中。"
                                .to_string(),
                            vec![],
                        ))
                    }
                }
            }
        }
    };
        if let Some((message, changes)) = stale {
            tracing::info!(user = %user.user.id, inspection = id, changes = changes.len(), "decision form stale; nothing written");
            let mut page = ResultPage::new(&user, id, "stale", "记录已更新，请重新核对");
            page.target_name = current.meta.target_name.clone();
            page.message = message;
            page.changes = changes;
            page.show_form = true;
            page.decide = view_for(&user, id, &current, &heads_now, Some(&typed));
            return Ok(page.respond(StatusCode::CONFLICT));
        }

        let ready = match check(&typed, &current) {
            Ok(r) => r,
            Err(refusal) => {
                tracing::info!(user = %user.user.id, inspection = id, %refusal, "decision form refused");
                let mut page = ResultPage::new(&user, id, "refused", "审核决定未提交");
                page.target_name = current.meta.target_name.clone();
                page.show_form = true;
                page.decide = view_for(&user, id, &current, &heads_now, Some(&typed));
                page.decide.error = Some(refusal.to_string());
                return Ok(page.respond(StatusCode::BAD_REQUEST));
            }
        };

        // The write: every comment and the decision, as this supervisor's actor.
        // Millisecond precision, as the document stores times (the submission matches them).
        let now = st.clock.now().trunc_subsecs(3);
        doc.migrate().map_err(unreadable)?;
        doc.set_actor(user_actor(&user.user.id));
        let write = |doc: &mut InspectionDoc| -> Result<(), liuhen_domain::doc::DocError> {
            for (item, text) in &ready.comments {
                doc.add_review_comment(&ReviewComment {
                    id: uuid::Uuid::now_v7().to_string(),
                    author_id: user.user.id.clone(),
                    author_name: user.user.name.clone(),
                    at: now,
                    text: text.clone(),
                    item: item.clone(),
                })?;
            }
            doc.set_review_decision(&ReviewDecision {
                decision: ready.outcome,
                decided_by: user.user.id.clone(),
                decided_by_name: user.user.name.clone(),
                decided_at: now,
            })
        };
        write(&mut doc).map_err(|e| WebError::Internal(format!("review write: {e}")))?;
        let written = doc.read().map_err(unreadable)?;
        let read_heads = std::mem::replace(
            &mut rec.heads,
            doc.heads().iter().map(|h| h.to_string()).collect(),
        );
        rec.bytes = doc.save();
        rec.updated_at = now;
        // With its queue summary, in one transaction (the queue shows the decision at once).
        match crate::api::sync::commit_server_write(st, rec.clone(), &read_heads, written.clone())
            .await
        {
            Ok(()) => break (rec, written, ready, now, current, heads_now),
            Err(StorageError::Stale(_)) if attempt < optimistic::MAX_ATTEMPTS => {
                tracing::info!(
                    inspection = id,
                    attempt,
                    "document moved meanwhile; merging again"
                );
                optimistic::back_off(attempt).await;
            }
            Err(e) => return Err(e.into()),
        }
    };
    let submission = ReviewSubmission {
        form_id: typed.form_id.clone(),
        inspection_id: id.to_string(),
        user_id: user.user.id.clone(),
        decision: ready.outcome.as_str().to_string(),
        comments: ready.comments.len() as u32,
        heads_after: rec.heads.clone(),
        at: now,
    };
    if let Err(e) = st.storage.put_review_submission(&submission).await {
        // The decision is written; only the guard against a resend is missing.
        tracing::error!(error = %e, inspection = id, form = %typed.form_id, "decision written but its submission not recorded");
    }
    if let Err(e) = forget_kept_form(st, &user, &path).await {
        tracing::warn!(error = %e, "kept form not forgotten after sending");
    }
    tracing::info!(
        user = %user.user.id,
        inspection = id,
        decision = ready.outcome.as_str(),
        comments = ready.comments.len(),
        "review decision written"
    );

    let mut page = ResultPage::new(&user, id, "done", "审核决定已提交");
    page.target_name = written.meta.target_name.clone();
    page.decision_label = ready.outcome.label().into();
    page.message = format!(
        "审核决定已于 {} 写入检查记录，执法人员的设备在下次同步时收到。",
        liuhen_domain::time::local_text(now)
    );
    page.comments = ready
        .comments
        .iter()
        .map(|(item, text)| CommentLine {
            about: item
                .as_deref()
                .map(|k| item_label(&written, k))
                .unwrap_or_else(|| "总体意见".into()),
            text: text.clone(),
        })
        .collect();
    page.clear_kept = view_for(&user, id, &current, &heads_now, Some(&typed)).all_keep_keys();
    Ok(page.respond(StatusCode::OK))
}

fn duplicate_page(
    user: &WebUser,
    id: &str,
    current: &Inspection,
    done: &ReviewSubmission,
    typed: &Typed,
) -> Response {
    let mut page = ResultPage::new(user, id, "duplicate", "重复提交未执行");
    page.target_name = current.meta.target_name.clone();
    page.decision_label = ReviewOutcome::parse(&done.decision)
        .map(|o| o.label().to_string())
        .unwrap_or_else(|| done.decision.clone());
    page.message = format!(
        "此审核决定已于 {} 提交，重复提交未再次执行。",
        liuhen_domain::time::local_text(done.at)
    );
    // The comments of that submission: the record's comments by this user at that time.
    page.comments = current
        .review
        .comments
        .iter()
        .filter(|c| c.author_id == done.user_id && c.at == done.at)
        .map(|c| CommentLine {
            about: c
                .item
                .as_deref()
                .map(|k| item_label(current, k))
                .unwrap_or_else(|| "总体意见".into()),
            text: c.text.clone(),
        })
        .collect();
    page.clear_kept = view_for(user, id, current, &[], Some(typed)).all_keep_keys();
    page.respond(StatusCode::OK)
}
