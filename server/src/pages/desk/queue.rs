//! The review queue (审核队列): filters, attention order, paging.
//!
//! `GET /desk` lists the signed-in user's agency's inspections from their queue
//! summaries ([`crate::services::summary`]) in attention order, 50 a page, with keyset paging
//! (`after=` / `before=` cursors), so a page deep in costs what the first does.
//! Bad filter values answer 400 with the page and a Chinese message, never a 500.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use chrono::{DateTime, NaiveDate, Utc};

use liuhen_domain::time::{beijing_day_start, beijing_text};

use crate::pages::web::page::{Layout, WebError, html_response};
use crate::pages::web::session::WebUser;
use crate::services::labels::Label;
use crate::state::AppState;
use crate::storage::queue::{PageAt, QueueCursor, QueueFilter, QueueSummary, ReviewState};

/// Rows per page.
pub const PAGE_SIZE: u32 = 50;

/// Longest target search text, in characters.
const MAX_TARGET_CHARS: usize = 50;

/// Routes of this page.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new().route("/desk", get(queue_page))
}

/// A cursor as it travels in the query string: `rank_updatedMicros_id`.
pub fn encode_cursor(c: &QueueCursor) -> String {
    format!("{}_{}_{}", c.rank, c.updated_us, c.doc_id)
}

/// Parses a cursor; None if it is not one this page wrote.
pub fn decode_cursor(s: &str) -> Option<QueueCursor> {
    let mut parts = s.splitn(3, '_');
    let rank: u8 = parts.next()?.parse().ok()?;
    let updated_us: i64 = parts.next()?.parse().ok()?;
    let doc_id = parts.next()?;
    let id_ok = !doc_id.is_empty()
        && doc_id.len() <= 64
        && doc_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-');
    (rank <= 5 && id_ok).then(|| QueueCursor {
        rank,
        updated_us,
        doc_id: doc_id.to_string(),
    })
}

/// The filter form as sent (echoed back into the page).
#[derive(Debug, Clone, Default)]
pub struct QueueForm {
    /// `all` or a state.
    pub state: String,
    /// Officer id or empty.
    pub officer: String,
    /// Target name or credit code.
    pub target: String,
    /// Opened on or after (YYYY-MM-DD, Beijing date).
    pub from: String,
    /// Opened on or before (YYYY-MM-DD, Beijing date).
    pub to: String,
    /// Only with violations.
    pub violations: bool,
    /// Only with evidence late past 24 hours (R-REC-4).
    pub late: bool,
    /// Only awaiting evidence upload.
    pub awaiting: bool,
    /// Cursor: rows after.
    pub after: String,
    /// Cursor: rows before.
    pub before: String,
}

impl QueueForm {
    /// Reads the query string; the last value of a repeated field wins, unknown
    /// fields are ignored. Returns the form and the problems with it.
    pub fn parse(query: Option<&str>) -> (QueueForm, Vec<String>) {
        let mut f = QueueForm::default();
        let mut errors = Vec::new();
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.unwrap_or(""))
            .unwrap_or_else(|_| {
                errors.push("查询参数无法解析，请重新选择筛选条件。".to_string());
                Vec::new()
            });
        let flag = |v: &str, label: &str, errors: &mut Vec<String>| match v {
            "1" | "on" | "true" => true,
            "" | "0" | "off" | "false" => false,
            _ => {
                errors.push(format!("“{label}”筛选的取值无效，只能勾选或不勾选。"));
                false
            }
        };
        for (k, v) in pairs {
            let v = v.trim().to_string();
            match k.as_str() {
                "state" => f.state = v,
                "officer" => f.officer = v,
                "target" => f.target = v,
                "from" => f.from = v,
                "to" => f.to = v,
                "violations" => f.violations = flag(&v, "存在违规", &mut errors),
                "late" => f.late = flag(&v, "证据超 24 小时", &mut errors),
                "awaiting" => f.awaiting = flag(&v, "证据待上传", &mut errors),
                "after" => f.after = v,
                "before" => f.before = v,
                _ => {}
            }
        }
        (f, errors)
    }

    /// The filter and page position, or the problems (all of them) in Chinese.
    pub fn validate(
        &self,
        officers: &[(String, String)],
    ) -> Result<(QueueFilter, PageAt), Vec<String>> {
        let mut errors = Vec::new();
        let mut filter = QueueFilter {
            violations: self.violations,
            late: self.late,
            awaiting: self.awaiting,
            ..QueueFilter::default()
        };
        match self.state.as_str() {
            "" | "all" => {}
            s => match ReviewState::parse(s) {
                Some(st) => filter.state = Some(st),
                None => errors.push(format!(
                    "未知的审核状态“{s}”，请从列表中选择（全部、现场进行中、待审核、已退回、已补正待复核、审核通过）。"
                )),
            },
        }
        if !self.officer.is_empty() {
            if officers.iter().any(|(id, _)| id == &self.officer) {
                filter.officer_id = Some(self.officer.clone());
            } else {
                errors.push(format!(
                    "本单位执法人员名录中没有编号为“{}”的人员，请从列表中选择。",
                    self.officer
                ));
            }
        }
        if !self.target.is_empty() {
            if self.target.chars().count() > MAX_TARGET_CHARS {
                errors.push(format!(
                    "检查对象的查询文字过长（最多 {MAX_TARGET_CHARS} 个字）。"
                ));
            } else {
                filter.target = Some(self.target.clone());
            }
        }
        let date = |v: &str, label: &str, errors: &mut Vec<String>| -> Option<NaiveDate> {
            if v.is_empty() {
                return None;
            }
            match NaiveDate::parse_from_str(v, "%Y-%m-%d") {
                Ok(d) if (2000..=2100).contains(&chrono::Datelike::year(&d)) => Some(d),
                _ => {
                    errors.push(format!(
                        "{label}“{v}”不是有效日期，请按“年-月-日”填写，例如 2026-11-20。"
                    ));
                    None
                }
            }
        };
        let from = date(&self.from, "开始日期", &mut errors);
        let to = date(&self.to, "结束日期", &mut errors);
        if let (Some(a), Some(b)) = (from, to)
            && a > b
        {
            errors.push("开始日期晚于结束日期，请调整日期范围。".into());
        }
        filter.opened_from = from.map(beijing_day_start);
        filter.opened_before = to.and_then(|d| d.succ_opt()).map(beijing_day_start);
        let cursor = |v: &str, errors: &mut Vec<String>| -> Option<QueueCursor> {
            if v.is_empty() {
                return None;
            }
            let c = decode_cursor(v);
            if c.is_none() {
                errors.push("翻页参数无效（链接可能被截断或改动），请从第一页重新浏览。".into());
            }
            c
        };
        let after = cursor(&self.after, &mut errors);
        let before = cursor(&self.before, &mut errors);
        let at = match (after, before) {
            (Some(_), Some(_)) => {
                errors.push("翻页参数无效（不能同时向前和向后翻页），请从第一页重新浏览。".into());
                PageAt::First
            }
            (Some(a), None) => PageAt::After(a),
            (None, Some(b)) => PageAt::Before(b),
            (None, None) => PageAt::First,
        };
        if errors.is_empty() {
            Ok((filter, at))
        } else {
            Err(errors)
        }
    }

    /// The filter fields as query pairs (no cursor), for links.
    fn filter_pairs(&self) -> Vec<(&'static str, String)> {
        let mut q = Vec::new();
        for (k, v) in [
            ("state", &self.state),
            ("officer", &self.officer),
            ("target", &self.target),
            ("from", &self.from),
            ("to", &self.to),
        ] {
            let default = v.is_empty() || (k == "state" && v == "all");
            if !default {
                q.push((k, v.clone()));
            }
        }
        for (k, on) in [
            ("violations", self.violations),
            ("late", self.late),
            ("awaiting", self.awaiting),
        ] {
            if on {
                q.push((k, "1".to_string()));
            }
        }
        q
    }

    /// `/desk?...` with the filters and one cursor.
    fn href_with(&self, key: &'static str, cursor: &QueueCursor) -> String {
        let mut q = self.filter_pairs();
        q.push((key, encode_cursor(cursor)));
        format!(
            "/desk?{}",
            serde_urlencoded::to_string(q).unwrap_or_default()
        )
    }
}

/// One state tab with its count.
struct StateTab {
    value: &'static str,
    label: &'static str,
    count: u64,
    current: bool,
}

/// An officer in the filter's select.
struct OfficerOption {
    id: String,
    label: String,
    selected: bool,
}

/// One table row.
struct RowView {
    id: String,
    target_name: String,
    target_code: String,
    officers: String,
    opened: String,
    state_value: &'static str,
    state_label: &'static str,
    violations: Vec<super::rule_names::RuleName>,
    evidence_total: u32,
    evidence_missing: u32,
    oldest_missing: String,
    missing_late: bool,
    arrived_late: bool,
}

impl RowView {
    fn of(s: &QueueSummary, now: DateTime<Utc>) -> RowView {
        RowView {
            id: s.doc_id.clone(),
            target_name: s.target_name.clone(),
            target_code: s
                .target_credit_code
                .clone()
                .unwrap_or_else(|| s.target_id.clone()),
            officers: s.officer_names.join("、"),
            opened: beijing_text(s.opened_at),
            state_value: s.state.as_str(),
            state_label: s.state.label(),
            violations: s
                .violations_at(now)
                .iter()
                .map(|v| super::rule_names::named(v))
                .collect(),
            evidence_total: s.evidence_total,
            evidence_missing: s.evidence_missing,
            oldest_missing: s.oldest_missing_at.map(beijing_text).unwrap_or_default(),
            missing_late: s.missing_late(now),
            arrived_late: s.arrived_late,
        }
    }
}

#[derive(Template)]
#[template(path = "desk/queue.html")]
struct QueuePageView {
    layout: Layout,
    form: QueueForm,
    tabs: Vec<StateTab>,
    total: u64,
    officers: Vec<OfficerOption>,
    errors: Vec<String>,
    rows: Vec<RowView>,
    next_href: Option<String>,
    prev_href: Option<String>,
    as_of: String,
    /// Whether any filter beyond the state tab is set (the filter box says so).
    filtered: bool,
}

async fn queue_page(
    State(st): State<AppState>,
    user: WebUser,
    RawQuery(query): RawQuery,
) -> Result<Response, WebError> {
    user.require(super::DESK_ROLES)?;
    let agency = user.user.agency_id.clone();
    let now = st.clock.now();
    let (form, mut errors) = QueueForm::parse(query.as_deref());
    let roster: Vec<(String, String)> = st
        .storage
        .roster_officers(&agency)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let validated = form.validate(&roster);
    let position = match validated {
        Ok(v) if errors.is_empty() => Some(v),
        Ok(_) => None,
        Err(mut e) => {
            errors.append(&mut e);
            None
        }
    };
    st.storage.promote_due_ranks(&agency, now).await?;
    let counts = st.storage.queue_counts(&agency).await?;
    let count_of = |s: ReviewState| {
        counts
            .iter()
            .find(|(c, _)| *c == s)
            .map(|(_, n)| *n)
            .unwrap_or(0)
    };
    let current_state = if form.state.is_empty() {
        "all"
    } else {
        form.state.as_str()
    };
    let tabs = ReviewState::ALL
        .iter()
        .map(|s| StateTab {
            value: s.as_str(),
            label: s.label(),
            count: count_of(*s),
            current: current_state == s.as_str(),
        })
        .collect();
    let total = counts.iter().map(|(_, n)| n).sum();
    let officers = roster
        .iter()
        .map(|(id, name)| OfficerOption {
            id: id.clone(),
            label: format!("{name}（{id}）"),
            selected: &form.officer == id,
        })
        .collect();
    let (rows, next_href, prev_href, status) = match &position {
        Some((filter, at)) => {
            let page = st
                .storage
                .queue_page(&agency, filter, at, PAGE_SIZE, now)
                .await?;
            let next = page
                .rows
                .last()
                .filter(|_| page.has_next)
                .map(|r| form.href_with("after", &r.cursor()));
            let prev = page
                .rows
                .first()
                .filter(|_| page.has_prev)
                .map(|r| form.href_with("before", &r.cursor()));
            let rows = page.rows.iter().map(|s| RowView::of(s, now)).collect();
            (rows, next, prev, StatusCode::OK)
        }
        None => {
            tracing::info!(user = %user.user.id, ?errors, "queue filters refused");
            (Vec::new(), None, None, StatusCode::BAD_REQUEST)
        }
    };
    let filtered = !form.officer.is_empty()
        || !form.target.is_empty()
        || !form.from.is_empty()
        || !form.to.is_empty()
        || form.violations
        || form.late
        || form.awaiting;
    let view = QueuePageView {
        layout: user.layout("queue"),
        filtered,
        form,
        tabs,
        total,
        officers,
        errors,
        rows,
        next_href,
        prev_href,
        as_of: beijing_text(now),
    };
    match view.render() {
        Ok(body) => Ok(html_response(status, body)),
        Err(e) => Err(WebError::Internal(format!("template: {e}"))),
    }
}
