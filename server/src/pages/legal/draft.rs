//! `GET /legal/drafts/{id}`: one draft with everything about it (fields,
//! classification R-LEGAL-2, versions, changes since the last review R-LEGAL-4,
//! opinions with their checklist R-LEGAL-3, deadline and extension R-LEGAL-5,
//! disputes R-LEGAL-7, decision R-LEGAL-1, audit trail) and the action forms the
//! user's role and the draft's state allow: submit, extension request and approval,
//! dispute, coordination and decision. A step done redirects back with a notice; a
//! refused step re-renders the page with the workflow's message (`#refusal`) and
//! the typed input kept; a form sent twice shows `#duplicate-notice`.

use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;
use serde::Deserialize;

use liuhen_domain::legal::{CheckItem, FieldChange, display_fields};
use liuhen_domain::time::beijing_text;

use super::draft_form::page_error;
use super::{DeadlineView, SECTION, Typed, deadline_view, form_user, new_form_id, pairs_of};
use crate::pages::web::page::{Layout, WebError};
use crate::pages::web::session::{SessionProbe, WebUser, forget_kept_form, kept_form};
use crate::services::labels::Label;
use crate::services::legal::workflow::{
    self, DECIDER_ROLES, DRAFTER_ROLES, DecideInput, DraftDetail, LEADER_ROLES, LegalError,
    READER_ROLES, REVIEWER_ROLES,
};
use crate::state::AppState;
use crate::storage::legal::{DisputeOutcome, DraftStatus, LegalEvent};

/// Routes: the draft page and its action forms.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/legal/drafts/{id}", get(page))
        .route("/legal/drafts/{id}/submit", post(submit))
        .route("/legal/drafts/{id}/extension", post(extension_request))
        .route(
            "/legal/drafts/{id}/extension/approve",
            post(extension_approve),
        )
        .route("/legal/drafts/{id}/dispute", post(dispute))
        .route("/legal/drafts/{id}/coordinate", post(coordinate))
        .route("/legal/drafts/{id}/decide", post(decide))
}

/// The draft page's path (where kept forms belong).
fn page_path(id: &str) -> String {
    format!("/legal/drafts/{id}")
}

/// One opinion as shown.
#[derive(Debug, Clone)]
pub struct ReviewView {
    /// Version reviewed.
    pub version: u32,
    /// Reviewer's name.
    pub reviewer: String,
    /// When (Beijing).
    pub at: String,
    /// `approve` or `problems`.
    pub opinion: &'static str,
    /// 同意 / 存在问题.
    pub opinion_label: &'static str,
    /// Text.
    pub text: String,
    /// (item label, passed, note).
    pub checks: Vec<(&'static str, bool, String)>,
}

/// One submitted version.
#[derive(Debug, Clone)]
pub struct VersionView {
    /// Number.
    pub version: u32,
    /// Submitter's name.
    pub by: String,
    /// When (Beijing).
    pub at: String,
    /// Receipt date.
    pub received_on: String,
    /// Catalogue version.
    pub catalogue_version: u32,
    /// Why major ("" if not).
    pub triggers: String,
    /// The unit's note.
    pub note: String,
    /// Review opened by whom and when.
    pub review_started: String,
}

/// One audit entry.
#[derive(Debug, Clone)]
pub struct EventView {
    /// Stable kind.
    pub kind: String,
    /// When (Beijing).
    pub at: String,
    /// Who.
    pub who: String,
    /// What, in Chinese.
    pub what: String,
}

/// The extension.
#[derive(Debug, Clone)]
pub struct ExtensionView {
    /// Who asked, when and why.
    pub requested: String,
    /// Reason.
    pub reason: String,
    /// Approval (empty: waiting).
    pub approved: String,
}

/// A dispute.
#[derive(Debug, Clone)]
pub struct DisputeView {
    /// Version disputed.
    pub version: u32,
    /// Who and when.
    pub raised: String,
    /// Reason.
    pub reason: String,
    /// Outcome (empty: in coordination).
    pub outcome: String,
    /// Coordination note.
    pub outcome_note: String,
}

/// The decision made.
#[derive(Debug, Clone)]
pub struct DecisionView {
    /// Document number.
    pub doc_number: String,
    /// Decision date.
    pub decided_on: String,
    /// Who and when recorded.
    pub by: String,
    /// Major or not, with the reviewed version.
    pub review: String,
}

/// The whole draft page.
#[derive(Template)]
#[template(path = "legal/draft.html")]
pub struct DraftPage {
    layout: Layout,
    id: String,
    title: String,
    status: &'static str,
    status_label: &'static str,
    version: u32,
    fields: Vec<(&'static str, &'static str, String)>,
    classification: Option<(u32, String)>,
    conflicts: Vec<(String, Vec<String>)>,
    versions: Vec<VersionView>,
    changes_since_review: Vec<FieldChange>,
    last_reviewed: u32,
    unsubmitted: Vec<FieldChange>,
    reviews: Vec<ReviewView>,
    deadline: Option<DeadlineView>,
    extension: Option<ExtensionView>,
    disputes: Vec<DisputeView>,
    decision: Option<DecisionView>,
    events: Vec<EventView>,
    csrf: String,
    submit_form_id: String,
    decide_form_id: String,
    today: String,
    can_submit: bool,
    can_edit: bool,
    can_review: bool,
    can_request_extension: bool,
    can_approve_extension: bool,
    can_dispute: bool,
    can_coordinate: bool,
    can_decide: bool,
    notice: Option<String>,
    refusal: Option<String>,
    duplicate: Option<String>,
    kept_notice: Option<String>,
    clear_kept: String,
    typed: Typed,
}

fn event_what(e: &LegalEvent, d: &DraftDetail) -> String {
    let s = |k: &str| {
        e.detail
            .get(k)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string()
    };
    let v = e.version.map(|v| format!("第 {v} 版")).unwrap_or_default();
    let labels = |k: &str| -> String {
        let fields = display_fields(&d.content);
        e.detail
            .get(k)
            .and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|f| f.as_str())
                    .map(|f| {
                        fields
                            .iter()
                            .find(|x| x.0 == f)
                            .map(|x| x.1.to_string())
                            .unwrap_or_else(|| f.to_string())
                    })
                    .collect::<Vec<_>>()
                    .join("、")
            })
            .unwrap_or_default()
    };
    match e.kind.as_str() {
        "created" => "起草决定草案".into(),
        "edited" => format!("修改草案：{}", labels("fields")),
        "submitted" => {
            let changed = labels("changed_fields");
            let mut t = format!("提交法制审核（{v}）");
            if !changed.is_empty() {
                t.push_str(&format!("，修改了：{changed}"));
            }
            if !s("note").is_empty() {
                t.push_str(&format!("，说明：{}", s("note")));
            }
            t
        }
        "review_started" => format!("开始法制审核（{v}）"),
        "opinion" => {
            let label = match s("opinion").as_str() {
                "approve" => "同意",
                "problems" => "存在问题",
                o => return format!("出具审核意见（{v}）：{o}"),
            };
            format!("出具审核意见（{v}）：{label}。{}", s("text"))
        }
        "extension_requested" => format!("申请延长审核期限：{}", s("reason")),
        "extension_approved" => format!("批准延长审核期限 3 个工作日。{}", s("note")),
        "disputed" => format!("对审核意见提出异议：{}", s("reason")),
        "coordinated" => {
            let o = DisputeOutcome::parse(&s("outcome"))
                .map(|o| o.label())
                .unwrap_or("");
            format!("协调结果：{o}。{}", s("note"))
        }
        "decided" => format!(
            "作出执法决定，文书编号 {}，决定日期 {}",
            s("doc_number"),
            s("decided_on")
        ),
        other => other.to_string(),
    }
}

/// What refused or noted a page render.
#[derive(Debug, Default)]
struct Outcome {
    notice: Option<String>,
    refusal: Option<String>,
    duplicate: Option<String>,
    kept_notice: Option<String>,
    clear_kept: String,
    typed: Typed,
}

/// Builds the page of a draft for `user`.
async fn build(st: &AppState, user: &WebUser, id: &str, o: Outcome) -> Result<DraftPage, WebError> {
    let d = workflow::detail(st, &user.user, id).await?;
    let role = user.user.role;
    let rec = &d.record;
    let status = rec.status;
    let fields = display_fields(&d.content)
        .into_iter()
        .map(|(f, l, v)| {
            (
                f,
                if f == "confidential" {
                    "保密内容（不予公开）"
                } else {
                    l
                },
                v,
            )
        })
        .collect();
    let classification = d
        .classification
        .as_ref()
        .map(|(v, t)| (*v, super::trigger_labels(t)));
    let versions = d
        .versions
        .iter()
        .map(|v| VersionView {
            version: v.version,
            by: d.name(&v.submitted_by),
            at: beijing_text(v.submitted_at),
            received_on: v.received_on.to_string(),
            catalogue_version: v.catalogue_version,
            triggers: super::trigger_labels(&v.triggers),
            note: v.note.clone(),
            review_started: match (&v.review_started_by, v.review_started_at) {
                (Some(by), Some(at)) => format!("{} 于 {} 开始审核", d.name(by), beijing_text(at)),
                _ => String::new(),
            },
        })
        .collect();
    let reviews = d
        .reviews
        .iter()
        .map(|r| ReviewView {
            version: r.version,
            reviewer: d.name(&r.reviewer),
            at: beijing_text(r.at),
            opinion: r.opinion.as_str(),
            opinion_label: r.opinion.label(),
            text: r.opinion_text.clone(),
            checks: CheckItem::ALL
                .iter()
                .map(|item| {
                    let c = r.checks.iter().find(|c| c.item == *item);
                    (
                        item.label(),
                        c.is_some_and(|c| c.passed),
                        c.map(|c| c.note.clone()).unwrap_or_default(),
                    )
                })
                .collect(),
        })
        .collect();
    let extension = d.extension.as_ref().map(|x| ExtensionView {
        requested: format!(
            "{} 于 {} 申请（第 {} 版）",
            d.name(&x.requested_by),
            beijing_text(x.requested_at),
            x.version
        ),
        reason: x.reason.clone(),
        approved: match (&x.approved_by, x.approved_at) {
            (Some(by), Some(at)) => format!(
                "{} 于 {} 批准延长 3 个工作日{}",
                d.name(by),
                beijing_text(at),
                x.leader_note
                    .as_deref()
                    .filter(|n| !n.is_empty())
                    .map(|n| format!("：{n}"))
                    .unwrap_or_default()
            ),
            _ => String::new(),
        },
    });
    let disputes = d
        .disputes
        .iter()
        .map(|x| DisputeView {
            version: x.version,
            raised: format!("{} 于 {}", d.name(&x.raised_by), beijing_text(x.raised_at)),
            reason: x.reason.clone(),
            outcome: match (x.outcome, &x.decided_by, x.decided_at) {
                (Some(o), Some(by), Some(at)) => {
                    format!(
                        "{}（{} 于 {} 记录）",
                        o.label(),
                        d.name(by),
                        beijing_text(at)
                    )
                }
                _ => String::new(),
            },
            outcome_note: x.outcome_note.clone().unwrap_or_default(),
        })
        .collect();
    let decision = d.decision.as_ref().map(|x| DecisionView {
        doc_number: x.doc_number.clone(),
        decided_on: x.decided_on.to_string(),
        by: format!(
            "{} 于 {} 记录",
            d.name(&x.decided_by),
            beijing_text(x.decided_at)
        ),
        review: match (x.major, x.reviewed_version) {
            (true, Some(v)) => format!("重大执法决定，第 {v} 版经法制审核通过（R-LEGAL-1）"),
            (true, None) => "重大执法决定".into(),
            (false, Some(v)) => format!("非重大执法决定，第 {v} 版经法制审核通过"),
            (false, None) => "非重大执法决定".into(),
        },
    });
    let events = d
        .events
        .iter()
        .map(|e| EventView {
            kind: e.kind.clone(),
            at: beijing_text(e.at),
            who: d.name(&e.by_user),
            what: event_what(e, &d),
        })
        .collect();
    let drafter = DRAFTER_ROLES.contains(&role);
    let decided = status == DraftStatus::Decided;
    let can_submit = drafter
        && match status {
            DraftStatus::Drafting | DraftStatus::Returned => true,
            DraftStatus::InReview | DraftStatus::Approved => !d.unsubmitted_changes.is_empty(),
            DraftStatus::Disputed | DraftStatus::Decided => false,
        };
    let last_reviewed = d.reviews.last().map(|r| r.version).unwrap_or(0);
    Ok(DraftPage {
        layout: user.layout(SECTION),
        id: id.to_string(),
        title: d.content.title.clone(),
        status: status.as_str(),
        status_label: status.label(),
        version: rec.version,
        fields,
        classification,
        conflicts: d
            .conflicts
            .iter()
            .map(|c| (c.field.clone(), c.values.clone()))
            .collect(),
        versions,
        changes_since_review: d.changes_since_last_review.clone(),
        last_reviewed,
        unsubmitted: d.unsubmitted_changes.clone(),
        reviews,
        deadline: d.deadline.as_ref().map(deadline_view),
        extension,
        disputes,
        decision,
        events,
        csrf: user.csrf.clone(),
        submit_form_id: new_form_id(),
        decide_form_id: new_form_id(),
        today: liuhen_domain::time::local_date(st.clock.now()).to_string(),
        can_submit,
        can_edit: drafter && !decided,
        can_review: REVIEWER_ROLES.contains(&role) && status == DraftStatus::InReview,
        can_request_extension: REVIEWER_ROLES.contains(&role)
            && status == DraftStatus::InReview
            && d.extension.is_none(),
        can_approve_extension: LEADER_ROLES.contains(&role)
            && d.extension
                .as_ref()
                .is_some_and(|x| x.approved_at.is_none()),
        can_dispute: drafter && status == DraftStatus::Returned,
        can_coordinate: LEADER_ROLES.contains(&role) && status == DraftStatus::Disputed,
        can_decide: DECIDER_ROLES.contains(&role) && !decided,
        notice: o.notice,
        refusal: o.refusal,
        duplicate: o.duplicate,
        kept_notice: o.kept_notice,
        clear_kept: o.clear_kept,
        typed: o.typed,
    })
}

fn respond(p: DraftPage, status: StatusCode) -> Response {
    crate::pages::web::page::render_status(&p, status)
}

/// Query of the draft page.
#[derive(Debug, Deserialize)]
pub struct PageQuery {
    /// What was just done (shown as a notice).
    pub done: Option<String>,
}

fn done_notice(done: &str) -> Option<&'static str> {
    Some(match done {
        "created" => "决定草案已保存。可继续修改，内容完整后提交法制审核。",
        "edited" => "修改已保存。",
        "merged" => {
            "修改已保存。您打开页面后他人也修改了草案：只写入了您改动的项目，与他人的修改已合并，请核对。"
        }
        "unchanged" => "内容没有变化，未写入。",
        "submit" => "已提交法制审核；审核期限自收到之日起 5 个工作日（R-LEGAL-5）。",
        "review" => "法制审核意见已出具（R-LEGAL-4）。",
        "extension" => "已申请延长审核期限，待机关负责人批准（R-LEGAL-5）。",
        "extension_approved" => "已批准延长审核期限 3 个工作日（R-LEGAL-5）。",
        "dispute" => "异议已提出，草案进入协调（R-LEGAL-7）。",
        "coordinate" => "协调结果已记录（R-LEGAL-7）。",
        "decide" => "执法决定已作出，公示期限自决定日期起计算。",
        _ => return None,
    })
}

async fn page(
    State(st): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response, WebError> {
    user.require(READER_ROLES)?;
    let path = page_path(&id);
    let mut o = Outcome {
        notice: q.done.as_deref().and_then(done_notice).map(String::from),
        ..Outcome::default()
    };
    match q.done.as_deref() {
        Some("created") => {
            o.clear_kept = [
                "legal_basis",
                "facts",
                "discretion",
                "conclusion",
                "confidential",
            ]
            .iter()
            .map(|f| format!("legal-new-{f}"))
            .collect::<Vec<_>>()
            .join(" ")
        }
        Some("edited" | "merged" | "unchanged") => {
            o.clear_kept = [
                "legal_basis",
                "facts",
                "discretion",
                "conclusion",
                "confidential",
            ]
            .iter()
            .map(|f| format!("legal-edit-{id}-{f}"))
            .collect::<Vec<_>>()
            .join(" ")
        }
        Some(done) => o.clear_kept = format!("legal-{done}-{id}"),
        None => {}
    }
    if let Some(k) = kept_form(&st, &user, &path).await? {
        forget_kept_form(&st, &user, &path).await?;
        o.kept_notice = Some(format!(
            "您在登录失效前（{}）填写的内容已恢复，尚未提交。请核对后再次提交。",
            beijing_text(k.saved_at)
        ));
        o.typed = Typed::new(k.fields);
    }
    Ok(respond(build(&st, &user, &id, o).await?, StatusCode::OK))
}

/// Carries out one action form: on success 303 back to the page with `done`; on a
/// refusal the page again with the message and the typed input.
async fn act<F, Fut>(
    st: AppState,
    id: String,
    probe: SessionProbe,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
    done: &'static str,
    step: F,
) -> Response
where
    F: FnOnce(AppState, WebUser, String, Typed) -> Fut,
    Fut: std::future::Future<Output = Result<(), LegalError>>,
{
    let typed = match pairs_of(form) {
        Ok(p) => Typed::new(p),
        Err(r) => return r.into_response(),
    };
    let path = page_path(&id);
    let user = match form_user(&st, probe, &path, &typed) {
        Ok(u) => u,
        Err(r) => return r.into_response(),
    };
    if let Err(e) = user.require(READER_ROLES) {
        return e.into_response();
    }
    let result = step(st.clone(), user.clone(), id.clone(), typed.clone()).await;
    let mut o = Outcome {
        typed,
        ..Outcome::default()
    };
    let status = match result {
        Ok(()) => {
            return Redirect::to(&format!("/legal/drafts/{id}?done={done}")).into_response();
        }
        Err(LegalError::Duplicate { .. }) => {
            tracing::info!(draft = %id, action = done, "repeated legal form not carried out again");
            o.duplicate = Some("此操作已完成（表单重复提交），未重复执行。".into());
            o.typed = Typed::default();
            StatusCode::OK
        }
        Err(e) => match page_error(e) {
            Ok((msg, status)) => {
                tracing::info!(draft = %id, action = done, reason = %msg, "legal step refused on the page");
                o.refusal = Some(msg);
                status
            }
            Err(r) => return r.into_response(),
        },
    };
    match build(&st, &user, &id, o).await {
        Ok(p) => respond(p, status),
        Err(e) => e.into_response(),
    }
}

async fn submit(
    State(st): State<AppState>,
    Path(id): Path<String>,
    probe: SessionProbe,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    act(st, id, probe, form, "submit", |st, u, id, t| async move {
        workflow::submit(&st, &u.user, &id, t.get("note"), t.form_id())
            .await
            .map(|_| ())
    })
    .await
}

async fn extension_request(
    State(st): State<AppState>,
    Path(id): Path<String>,
    probe: SessionProbe,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    act(
        st,
        id,
        probe,
        form,
        "extension",
        |st, u, id, t| async move {
            workflow::request_extension(&st, &u.user, &id, t.get("reason")).await
        },
    )
    .await
}

async fn extension_approve(
    State(st): State<AppState>,
    Path(id): Path<String>,
    probe: SessionProbe,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    act(
        st,
        id,
        probe,
        form,
        "extension_approved",
        |st, u, id, t| async move {
            workflow::approve_extension(&st, &u.user, &id, t.get("note")).await
        },
    )
    .await
}

async fn dispute(
    State(st): State<AppState>,
    Path(id): Path<String>,
    probe: SessionProbe,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    act(st, id, probe, form, "dispute", |st, u, id, t| async move {
        workflow::dispute(&st, &u.user, &id, t.get("reason"))
            .await
            .map(|_| ())
    })
    .await
}

async fn coordinate(
    State(st): State<AppState>,
    Path(id): Path<String>,
    probe: SessionProbe,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    act(
        st,
        id,
        probe,
        form,
        "coordinate",
        |st, u, id, t| async move {
            let outcome = DisputeOutcome::parse(t.get("outcome")).ok_or(LegalError::Invalid {
                field: "协调结果".into(),
                reason: "请选择“维持审核意见”或“采纳承办单位意见”".into(),
            })?;
            workflow::coordinate(&st, &u.user, &id, outcome, t.get("note")).await
        },
    )
    .await
}

async fn decide(
    State(st): State<AppState>,
    Path(id): Path<String>,
    probe: SessionProbe,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    act(st, id, probe, form, "decide", |st, u, id, t| async move {
        let decided_on = NaiveDate::parse_from_str(t.get("decided_on").trim(), "%Y-%m-%d")
            .map_err(|_| LegalError::Invalid {
                field: "决定日期".into(),
                reason: "请填写有效的日期，格式如 2026-03-15".into(),
            })?;
        let input = DecideInput {
            doc_number: t.get("doc_number").to_string(),
            decided_on,
        };
        workflow::decide(&st, &u.user, &id, &input, t.form_id())
            .await
            .map(|_| ())
    })
    .await
}
