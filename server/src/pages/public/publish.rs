//! The staff publishing queue (公示发布, R-POST-1, R-POST-3, R-POST-7): every
//! decision of the agency from the day it is made, with its deadline (7 working
//! days for licensing and penalty decisions, 20 for the rest; Chinese working days
//! with make-up workdays), and the three-person workflow: a filer (审核人员,
//! supervisor) checks the public text preview and files it, a reviewer (法制审核
//! 人员) reviews it, an approver (管理员) approves it, which publishes it at the
//! server's clock time (never back-dated; there is no date input). An admin
//! withdraws a published decision that was revoked, confirmed illegal or ordered
//! redone (R-POST-3).
//!
//! Every form carries the session's CSRF token and a random `form_id`; a form sent
//! twice is carried out once. Each step is one transaction with its history entry.

use std::collections::HashMap;

use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;
use rand::RngCore;
use serde::Deserialize;

use liuhen_domain::calendar::WorkCalendar;
use liuhen_domain::legal::publication_due;
use liuhen_domain::time::local_date;

pub use crate::services::publish::{agency_name, publication_timing};

use crate::pages::web::page::{Layout, WebError, render};
use crate::pages::web::session::WebUser;
use crate::services::labels::Label;
use crate::services::mask::{
    PublicDecision, public_code, public_decision, public_target, source_spans, unsafe_spans_message,
};
use crate::state::AppState;
use crate::storage::publicity::{
    PublicationStep, QueueEntry, StepOutcome, WithdrawReason, WithdrawalRecord,
};
use crate::storage::{Role, StorageError};

/// Roles that see the publishing queue.
pub const QUEUE_ROLES: &[Role] = &[Role::Supervisor, Role::LegalReviewer, Role::Admin];
/// Longest withdrawal reason (characters).
pub const MAX_REASON_CHARS: usize = 500;

/// Routes: `GET /publish`, `GET /publish/{id}`, `POST /publish/{id}/file`,
/// `/review`, `/approve`, `/withdraw`.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/publish", get(queue_page))
        .route("/publish/{id}", get(detail_page))
        .route("/publish/{id}/file", post(file))
        .route("/publish/{id}/review", post(review))
        .route("/publish/{id}/approve", post(approve))
        .route("/publish/{id}/withdraw", post(withdraw))
}

/// Where a decision stands in the publishing queue (R-POST-1, R-POST-3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueState {
    /// Not yet published, deadline not passed (or not computable).
    Due,
    /// Not yet published and past the deadline.
    Overdue,
    /// Published by the deadline.
    PublishedOnTime,
    /// Published after the deadline (逾期公开).
    PublishedLate,
    /// Withdrawn after publication.
    Withdrawn,
}

impl QueueState {
    /// Every state, in display order.
    pub const ALL: [QueueState; 5] = [
        QueueState::Due,
        QueueState::Overdue,
        QueueState::PublishedOnTime,
        QueueState::PublishedLate,
        QueueState::Withdrawn,
    ];
    /// Stable text (filter, CSS class).
    pub fn as_str(&self) -> &'static str {
        match self {
            QueueState::Due => "due",
            QueueState::Overdue => "overdue",
            QueueState::PublishedOnTime => "published",
            QueueState::PublishedLate => "late",
            QueueState::Withdrawn => "withdrawn",
        }
    }
    /// Chinese label.
    pub fn label(&self) -> &'static str {
        match self {
            QueueState::Due => "待公开",
            QueueState::Overdue => "逾期未公开",
            QueueState::PublishedOnTime => "按时公开",
            QueueState::PublishedLate => "逾期公开",
            QueueState::Withdrawn => "已撤回",
        }
    }
}

/// One row of the queue page (also the head of the detail page).
#[derive(Debug, Clone)]
pub struct QueueRow {
    /// Decision id.
    pub id: String,
    /// Document number.
    pub doc_number: String,
    /// Title (internal; not masked: staff page).
    pub title: String,
    /// Kind label.
    pub kind_label: &'static str,
    /// Decision date.
    pub decided_on: String,
    /// Deadline, or 「待导入 N 年节假日安排」 (R-POST-1: never a guess, never
    /// the calculation's error text).
    pub due_text: String,
    /// Whether the deadline cannot be computed.
    pub due_unknown: bool,
    /// Where to import the missing year (when `due_unknown`).
    pub due_link: String,
    /// State.
    pub state: QueueState,
    /// State text with details (working days left/over, late by).
    pub state_text: String,
    /// Next step: 待填报 / 待审核 / 待审批 / empty.
    pub step: &'static str,
    /// 填报人.
    pub filer: String,
    /// 审核人.
    pub reviewer: String,
    /// 审批人.
    pub approver: String,
    /// Publication date.
    pub published_on: String,
}

impl QueueRow {
    /// The details of the state without repeating its label (shown after the
    /// label's badge): 「已撤回（撤销，2026-11-02）」 gives 「撤销，2026-11-02」,
    /// 「按时公开」 gives "".
    pub fn state_detail(&self) -> String {
        let rest = self
            .state_text
            .strip_prefix(self.state.label())
            .unwrap_or(&self.state_text)
            .trim_start_matches(['，', ',', ' ']);
        match rest.strip_prefix('（').and_then(|r| r.strip_suffix('）')) {
            Some(inner) => inner.to_string(),
            None => rest.to_string(),
        }
    }
}

fn name_of(names: &HashMap<String, String>, id: Option<&String>) -> String {
    id.map(|i| names.get(i).cloned().unwrap_or_else(|| i.clone()))
        .unwrap_or_default()
}

/// The row of `e` as of `today`.
pub fn queue_row(
    e: &QueueEntry,
    cal: &WorkCalendar,
    today: NaiveDate,
    names: &HashMap<String, String>,
) -> QueueRow {
    let s = &e.source;
    let due = publication_due(cal, s.kind, s.decided_on);
    let p = e.publication.as_ref();
    let published = p.filter(|p| p.is_published());
    let (state, state_text) = if let Some(w) = &e.withdrawal {
        (
            QueueState::Withdrawn,
            format!("已撤回（{}，{}）", w.reason_kind.label(), w.withdrawn_on),
        )
    } else if let Some(p) = published {
        match p.late {
            Some(true) => (
                QueueState::PublishedLate,
                match p.late_working_days {
                    Some(n) => format!("逾期公开（超过期限 {n} 个工作日）"),
                    None => "逾期公开（超过期限的工作日数因缺少节假日数据无法计算）".into(),
                },
            ),
            Some(false) => (QueueState::PublishedOnTime, "按时公开".into()),
            None => (
                QueueState::PublishedOnTime,
                "已公开（公开时缺少节假日数据，是否逾期无法判断）".into(),
            ),
        }
    } else {
        match &due {
            Ok(d) if today > *d => {
                let over = cal
                    .working_days_between(*d, today)
                    .map(|n| format!("，已超过 {n} 个工作日"))
                    .unwrap_or_default();
                (QueueState::Overdue, format!("逾期未公开{over}"))
            }
            Ok(d) => {
                let left = cal
                    .working_days_between(today, *d)
                    .map(|n| format!("，剩余 {n} 个工作日"))
                    .unwrap_or_default();
                (QueueState::Due, format!("待公开{left}"))
            }
            Err(e) => (
                QueueState::Due,
                format!(
                    "待公开（{}）",
                    crate::services::legal::calendar::pending_of(e).text
                ),
            ),
        }
    };
    let step = match (p, &e.withdrawal) {
        (_, Some(_)) => "",
        (None, _) => "待填报",
        (Some(p), _) if p.reviewed_by.is_none() => "待审核",
        (Some(p), _) if p.approved_by.is_none() => "待审批",
        _ => "",
    };
    QueueRow {
        id: s.id.clone(),
        doc_number: s.doc_number.clone(),
        title: s.title.clone(),
        kind_label: s.kind.label(),
        decided_on: s.decided_on.to_string(),
        due_text: match &due {
            Ok(d) => d.to_string(),
            Err(e) => crate::services::legal::calendar::pending_of(e).text,
        },
        due_unknown: due.is_err(),
        due_link: match &due {
            Ok(_) => String::new(),
            Err(e) => crate::services::legal::calendar::pending_of(e).link,
        },
        state,
        state_text,
        step,
        filer: name_of(names, p.map(|p| &p.filed_by)),
        reviewer: name_of(names, p.and_then(|p| p.reviewed_by.as_ref())),
        approver: name_of(names, p.and_then(|p| p.approved_by.as_ref())),
        published_on: published
            .and_then(|p| p.published_on)
            .map(|d| d.to_string())
            .unwrap_or_default(),
    }
}

async fn user_names(st: &AppState, agency_id: &str) -> Result<HashMap<String, String>, WebError> {
    Ok(st
        .storage
        .users_of_agency(agency_id)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect())
}

fn new_form_id() -> String {
    let mut b = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

/// A tab of the queue page.
#[derive(Debug, Clone)]
pub struct Tab {
    /// Filter value.
    pub value: &'static str,
    /// Label.
    pub label: &'static str,
    /// Rows in this state.
    pub count: usize,
    /// Whether it is the current filter.
    pub current: bool,
}

#[derive(Template)]
#[template(path = "publish/queue.html")]
struct QueuePage {
    layout: Layout,
    tabs: Vec<Tab>,
    total: usize,
    all_current: bool,
    rows: Vec<QueueRow>,
    today: String,
}

/// Query of `GET /publish`.
#[derive(Debug, Deserialize, Default)]
pub struct QueueQuery {
    /// due | overdue | published | late | withdrawn (all if absent).
    pub state: Option<String>,
}

async fn queue_page(
    State(st): State<AppState>,
    user: WebUser,
    q: Result<Query<QueueQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, WebError> {
    user.require(QUEUE_ROLES)?;
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let filter = match q.state.as_deref().filter(|s| !s.is_empty() && *s != "all") {
        None => None,
        Some(s) => Some(
            QueueState::ALL
                .into_iter()
                .find(|x| x.as_str() == s)
                .ok_or_else(|| {
                    WebError::BadRequest(format!(
                        "公开状态“{}”无效：可选 due、overdue、published、late、withdrawn",
                        s.chars().take(20).collect::<String>()
                    ))
                })?,
        ),
    };
    let agency = user.user.agency_id.clone();
    let entries = st.storage.publication_queue(&agency).await?;
    let names = user_names(&st, &agency).await?;
    let cal = st.calendar();
    let today = local_date(st.clock.now());
    let all: Vec<QueueRow> = entries
        .iter()
        .map(|e| queue_row(e, &cal, today, &names))
        .collect();
    let tabs = QueueState::ALL
        .into_iter()
        .map(|s| Tab {
            value: s.as_str(),
            label: s.label(),
            count: all.iter().filter(|r| r.state == s).count(),
            current: filter.as_ref() == Some(&s),
        })
        .collect();
    let total = all.len();
    let rows = all
        .into_iter()
        .filter(|r| filter.as_ref().is_none_or(|f| *f == r.state))
        .collect();
    Ok(render(&QueuePage {
        layout: user.layout("publish"),
        tabs,
        total,
        all_current: filter.is_none(),
        rows,
        today: today.to_string(),
    }))
}

/// A history line of the detail page.
#[derive(Debug, Clone)]
pub struct HistoryLine {
    /// When (Beijing).
    pub at: String,
    /// What.
    pub what: String,
    /// Who.
    pub who: String,
}

#[derive(Template)]
#[template(path = "publish/detail.html")]
struct DetailPage {
    layout: Layout,
    row: QueueRow,
    preview: PublicDecision,
    history: Vec<HistoryLine>,
    error: Option<String>,
    notice: Option<String>,
    csrf: String,
    form_id: String,
    may_file: bool,
    may_review: bool,
    may_approve: bool,
    may_withdraw: bool,
    reasons: Vec<(&'static str, &'static str)>,
    withdrawal_reason: String,
    name_warnings: Vec<String>,
}

/// Query of `GET /publish/{id}` (`done=1` after a step).
#[derive(Debug, Deserialize, Default)]
pub struct DetailQuery {
    /// Set after a step was carried out.
    pub done: Option<String>,
}

async fn load_entry(st: &AppState, user: &WebUser, id: &str) -> Result<QueueEntry, WebError> {
    user.require(QUEUE_ROLES)?;
    match st.storage.publication_entry(id).await? {
        Some(e) if e.source.agency_id == user.user.agency_id => Ok(e),
        _ => Err(WebError::NotFound("该执法决定".into())),
    }
}

async fn detail_response(
    st: &AppState,
    user: &WebUser,
    id: &str,
    status: StatusCode,
    error: Option<String>,
    notice: Option<String>,
) -> Result<Response, WebError> {
    let e = load_entry(st, user, id).await?;
    let names = user_names(st, &user.user.agency_id).await?;
    let cal = st.calendar();
    let today = local_date(st.clock.now());
    let row = queue_row(&e, &cal, today, &names);
    let body = match &e.publication {
        Some(p) => p.public_body.clone(),
        None => agency_name(st, &e.source.agency_id).await?,
    };
    let preview = public_decision(&e.source, &body, e.publication.as_ref());
    let name_warnings = source_spans(&e.source)
        .iter()
        .map(|s| format!("{}，预览中为“{}”", s.message(), s.name.masked))
        .collect();
    let history = st
        .storage
        .publication_events(id)
        .await?
        .into_iter()
        .map(|ev| HistoryLine {
            at: liuhen_domain::time::local_text(ev.at),
            what: match ev.kind.as_str() {
                "filed" => "填报".to_string(),
                "reviewed" => "审核通过".to_string(),
                "published" => "审批通过，已公开".to_string(),
                "withdrawn" => format!(
                    "撤回（{}）：{}",
                    ev.detail["reason_kind"]
                        .as_str()
                        .and_then(WithdrawReason::parse)
                        .map(|r| r.label())
                        .unwrap_or(""),
                    ev.detail["reason"].as_str().unwrap_or("")
                ),
                other => other.to_string(),
            },
            who: names.get(&ev.by_user).cloned().unwrap_or(ev.by_user),
        })
        .collect();
    let p = e.publication.as_ref();
    let me = &user.user;
    let role = me.role;
    let open = e.withdrawal.is_none();
    let page = DetailPage {
        layout: user.layout("publish"),
        may_file: open && p.is_none() && role == Role::Supervisor,
        may_review: open
            && p.is_some_and(|p| p.reviewed_by.is_none())
            && role == Role::LegalReviewer,
        may_approve: open
            && p.is_some_and(|p| p.reviewed_by.is_some() && p.approved_by.is_none())
            && role == Role::Admin,
        may_withdraw: open && p.is_some_and(|p| p.is_published()) && role == Role::Admin,
        reasons: WithdrawReason::ALL
            .into_iter()
            .map(|r| (r.as_str(), r.label()))
            .collect(),
        withdrawal_reason: e
            .withdrawal
            .as_ref()
            .map(|w| format!("{}：{}", w.reason_kind.label(), w.reason))
            .unwrap_or_default(),
        name_warnings,
        row,
        preview,
        history,
        error,
        notice,
        csrf: user.csrf.clone(),
        form_id: new_form_id(),
    };
    let mut r = render(&page);
    *r.status_mut() = status;
    Ok(r)
}

async fn detail_page(
    State(st): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    q: Result<Query<DetailQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, WebError> {
    let notice = q
        .ok()
        .and_then(|Query(q)| q.done)
        .map(|d| done_notice(&d).to_string());
    detail_response(&st, &user, &id, StatusCode::OK, None, notice).await
}

/// What the page says after a step (`done` = [`PublicationStep::action`]).
fn done_notice(done: &str) -> &'static str {
    match done {
        "filed" => "已填报：公示内容已提交，等待法制审核人员审核。",
        "reviewed" => "已审核：公示内容审核通过，等待管理员审批后公开。",
        "published" => "已审批并公开：公众现在可以在公示平台查看此决定。",
        "withdrawn" => "已撤回：公示平台不再显示此决定的内容，只显示撤回说明。",
        "again" => "此操作此前已完成（表单重复提交），未重复执行。",
        _ => "操作已完成。",
    }
}

/// Fields of the publishing forms.
#[derive(Debug, Deserialize, Default)]
pub struct StepForm {
    /// CSRF token.
    pub csrf: Option<String>,
    /// Random id of the form (sent twice, done once).
    pub form_id: Option<String>,
    /// Filing: the filer confirms the preview (`1`).
    pub confirm: Option<String>,
    /// Filing: the filer checked each probable name the preview masks (`1`).
    pub confirm_names: Option<String>,
    /// Withdrawal: revoked | confirmed_illegal | redo.
    pub reason_kind: Option<String>,
    /// Withdrawal: the reason in words.
    pub reason: Option<String>,
}

fn form_of(f: Result<Form<StepForm>, FormRejection>) -> Result<StepForm, WebError> {
    f.map(|Form(f)| f)
        .map_err(|e| WebError::BadRequest(format!("表单内容无法识别：{e}")))
}

fn form_id_of(f: &StepForm) -> Result<String, WebError> {
    let id = f.form_id.as_deref().unwrap_or("").trim();
    if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(WebError::BadRequest(
            "表单缺少有效的表单编号，操作未执行；请刷新页面后重试。".into(),
        ));
    }
    Ok(id.to_string())
}

/// Carries out `step`; a refused step shows the detail page with the reason.
async fn run_step(
    st: &AppState,
    user: &WebUser,
    id: &str,
    form_id: &str,
    step: PublicationStep,
) -> Result<Response, WebError> {
    match st.storage.publication_step(Some(form_id), &step).await {
        Ok(outcome) => {
            tracing::info!(
                decision = %id,
                user = %user.user.id,
                action = step.action(),
                again = outcome == StepOutcome::AlreadyDone,
                "publication step"
            );
            let done = if outcome == StepOutcome::AlreadyDone {
                "again"
            } else {
                step.action()
            };
            Ok(Redirect::to(&format!("/publish/{id}?done={done}")).into_response())
        }
        Err(StorageError::Conflict(msg)) => {
            detail_response(st, user, id, StatusCode::CONFLICT, Some(msg), None).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Common checks of a step form: CSRF, role, own agency, form id.
async fn prepare(
    st: &AppState,
    user: &WebUser,
    id: &str,
    f: &StepForm,
    role: Role,
) -> Result<(QueueEntry, String), WebError> {
    user.check_csrf(f.csrf.as_deref())?;
    let e = load_entry(st, user, id).await?;
    user.require(&[role])?;
    let form_id = form_id_of(f)?;
    Ok((e, form_id))
}

async fn file(
    State(st): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    f: Result<Form<StepForm>, FormRejection>,
) -> Result<Response, WebError> {
    let f = form_of(f)?;
    let (e, form_id) = prepare(&st, &user, &id, &f, Role::Supervisor).await?;
    if f.confirm.as_deref() != Some("1") {
        let msg = "请先核对公开内容预览，并勾选“我已核对公开内容”后再填报。".to_string();
        return detail_response(&st, &user, &id, StatusCode::BAD_REQUEST, Some(msg), None).await;
    }
    let spans = source_spans(&e.source);
    if !spans.is_empty() && f.confirm_names.as_deref() != Some("1") {
        let msg = format!(
            "{} 此决定已作出、原文不能修改，公开时将按预览隐去；请逐项核对后勾选“我已逐项核对上述疑似姓名”再填报。",
            unsafe_spans_message(&spans)
        );
        return detail_response(&st, &user, &id, StatusCode::BAD_REQUEST, Some(msg), None).await;
    }
    let step = PublicationStep::File {
        decision_id: id.clone(),
        public_body: agency_name(&st, &e.source.agency_id).await?,
        public_target: public_target(&e.source),
        public_code: public_code(&e.source),
        by: user.user.id.clone(),
        at: st.clock.now(),
    };
    run_step(&st, &user, &id, &form_id, step).await
}

async fn review(
    State(st): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    f: Result<Form<StepForm>, FormRejection>,
) -> Result<Response, WebError> {
    let f = form_of(f)?;
    let (_, form_id) = prepare(&st, &user, &id, &f, Role::LegalReviewer).await?;
    let step = PublicationStep::Review {
        decision_id: id.clone(),
        by: user.user.id.clone(),
        at: st.clock.now(),
    };
    run_step(&st, &user, &id, &form_id, step).await
}

async fn approve(
    State(st): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    f: Result<Form<StepForm>, FormRejection>,
) -> Result<Response, WebError> {
    let f = form_of(f)?;
    let (e, form_id) = prepare(&st, &user, &id, &f, Role::Admin).await?;
    let at = st.clock.now();
    let published_on = local_date(at);
    let (due_on, late, late_working_days) = publication_timing(
        &st.calendar(),
        e.source.kind,
        e.source.decided_on,
        published_on,
    );
    let step = PublicationStep::Approve {
        decision_id: id.clone(),
        by: user.user.id.clone(),
        at,
        published_on,
        due_on,
        late,
        late_working_days,
    };
    run_step(&st, &user, &id, &form_id, step).await
}

async fn withdraw(
    State(st): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    f: Result<Form<StepForm>, FormRejection>,
) -> Result<Response, WebError> {
    let f = form_of(f)?;
    let (_, form_id) = prepare(&st, &user, &id, &f, Role::Admin).await?;
    let Some(kind) = f.reason_kind.as_deref().and_then(WithdrawReason::parse) else {
        let msg = "R-POST-3：请选择撤回原因类别（决定被撤销、被确认违法或被责令重新作出）。";
        return detail_response(
            &st,
            &user,
            &id,
            StatusCode::BAD_REQUEST,
            Some(msg.into()),
            None,
        )
        .await;
    };
    let reason = f.reason.as_deref().unwrap_or("").trim().to_string();
    if reason.is_empty() || reason.chars().count() > MAX_REASON_CHARS {
        let msg = format!("R-POST-3：请填写撤回说明（1 至 {MAX_REASON_CHARS} 个字）。");
        return detail_response(&st, &user, &id, StatusCode::BAD_REQUEST, Some(msg), None).await;
    }
    let at = st.clock.now();
    let step = PublicationStep::Withdraw(WithdrawalRecord {
        decision_id: id.clone(),
        agency_id: user.user.agency_id.clone(),
        reason_kind: kind,
        reason,
        by_user: user.user.id.clone(),
        at,
        withdrawn_on: local_date(at),
    });
    run_step(&st, &user, &id, &form_id, step).await
}
