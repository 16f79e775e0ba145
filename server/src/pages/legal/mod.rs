//! The pages of the legal review workflow (法制审核, R-LEGAL-1..7), in Simplified
//! Chinese, over [`crate::services::legal::workflow`], which enforces every rule: the queue
//! ([`queue`]), the draft form ([`draft_form`]), the draft page with its action
//! forms ([`draft`]), the reviewer's page ([`review`]), the catalogue of major
//! decisions ([`catalogue`]), the admin page ([`admin`]) and the holiday
//! calendar page ([`calendar`]).
//!
//! Every form carries the session's CSRF token; forms whose double sending must not
//! act twice carry a random `form_id`. A refused step re-renders its page with the
//! workflow's message and the typed input kept; nothing is written. A form sent
//! after its session ended is kept through sign-in ([`keep_form_and_sign_in`]).

pub mod admin;
pub mod calendar;
pub mod catalogue;
pub mod draft;
pub mod draft_form;
pub mod queue;
pub mod review;

use axum::extract::Form;
use axum::extract::rejection::FormRejection;
use axum::response::{IntoResponse, Response};
use rand::RngCore;

use liuhen_domain::legal::{DeadlineStatus, MajorTrigger};

use crate::pages::web::page::WebError;
use crate::pages::web::session::{SessionProbe, WebUser, keep_form_and_sign_in};
use crate::state::AppState;

/// Section of the header menu these pages belong to.
pub const SECTION: &str = "legal";

/// Routes of the legal review pages.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .merge(queue::router())
        .merge(draft_form::router())
        .merge(draft::router())
        .merge(review::router())
        .merge(catalogue::router())
        .merge(admin::router())
        .merge(calendar::router())
}

/// A random id for one rendering of a form (sent twice, done once).
pub fn new_form_id() -> String {
    let mut b = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

/// What was typed into a form, as the (name, value) pairs the browser sent.
#[derive(Debug, Clone, Default)]
pub struct Typed {
    /// The pairs, in form order.
    pub pairs: Vec<(String, String)>,
}

impl Typed {
    /// The typed pairs.
    pub fn new(pairs: Vec<(String, String)>) -> Typed {
        Typed { pairs }
    }
    /// The first value of `name` ("" if absent).
    pub fn get(&self, name: &str) -> &str {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }
    /// Whether `name` was sent at all.
    pub fn has(&self, name: &str) -> bool {
        self.pairs.iter().any(|(k, _)| k == name)
    }
    /// Every value of `name`.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
    /// Whether `name` was sent with `value` (checkboxes, radios).
    pub fn chose(&self, name: &str, value: &str) -> bool {
        self.pairs.iter().any(|(k, v)| k == name && v == value)
    }
    /// The value of `name` if these pairs belong to the form `form` (the hidden
    /// `form` field), else "" (a re-rendered page keeps only the sent form's text).
    pub fn val(&self, form: &str, name: &str) -> &str {
        if self.get("form") == form {
            self.get(name)
        } else {
            ""
        }
    }
    /// The CSRF token sent.
    pub fn csrf(&self) -> Option<&str> {
        self.has("csrf").then(|| self.get("csrf"))
    }
    /// The form id sent (None if empty).
    pub fn form_id(&self) -> Option<&str> {
        let f = self.get("form_id").trim();
        (!f.is_empty()).then_some(f)
    }
}

/// An answer that ends a handler early (an error page, the sign-in page).
#[derive(Debug)]
pub struct Reply(Box<Response>);

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        *self.0
    }
}

impl From<Response> for Reply {
    fn from(r: Response) -> Self {
        Reply(Box::new(r))
    }
}

impl From<WebError> for Reply {
    fn from(e: WebError) -> Self {
        Reply(Box::new(e.into_response()))
    }
}

/// The pairs of a form body, or the error page when it cannot be read.
pub fn pairs_of(
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Vec<(String, String)>, Reply> {
    form.map(|Form(p)| p).map_err(|e| {
        tracing::warn!(error = %e, "legal form unreadable");
        WebError::BadRequest("表单内容无法读取，操作未执行。请返回页面重新填写。".into()).into()
    })
}

/// The signed-in user sending a form whose CSRF token is valid; a form sent after
/// the session ended is kept for `path` through sign-in (nothing typed is lost).
pub fn form_user(
    st: &AppState,
    probe: SessionProbe,
    path: &str,
    typed: &Typed,
) -> Result<WebUser, Reply> {
    let user = match probe {
        SessionProbe::Valid(u) => u,
        SessionProbe::Ended { expired, .. } => {
            tracing::info!(path, expired, "legal form sent without a session; kept");
            return Err(keep_form_and_sign_in(st, path, expired, &typed.pairs).into());
        }
    };
    user.check_csrf(typed.csrf())?;
    Ok(user)
}

/// A deadline as the pages show it: CSS class and Chinese text (R-LEGAL-5).
#[derive(Debug, Clone)]
pub struct DeadlineView {
    /// `deadline-ok`, `deadline-near`, `deadline-overdue` or `deadline-unknown`.
    pub class: &'static str,
    /// Due date (empty when unknown).
    pub due: String,
    /// What it means now.
    pub text: String,
    /// Where to fix a deadline that cannot be computed (the calendar page).
    pub link: Option<String>,
}

/// The view of a review deadline.
pub fn deadline_view(d: &DeadlineStatus) -> DeadlineView {
    match d {
        DeadlineStatus::OnTime {
            due,
            working_days_left,
        } => DeadlineView {
            class: "deadline-ok",
            due: due.to_string(),
            text: format!("剩余 {working_days_left} 个工作日"),
            link: None,
        },
        DeadlineStatus::Near {
            due,
            working_days_left,
        } => DeadlineView {
            class: "deadline-near",
            due: due.to_string(),
            text: if *working_days_left == 0 {
                "今日到期".to_string()
            } else {
                format!("即将到期，剩余 {working_days_left} 个工作日")
            },
            link: None,
        },
        DeadlineStatus::Overdue {
            due,
            working_days_over,
        } => DeadlineView {
            class: "deadline-overdue",
            due: due.to_string(),
            text: format!("已超期 {working_days_over} 个工作日"),
            link: None,
        },
        // Never the calculation's error text: what to import, and where.
        DeadlineStatus::Unknown { missing_year, .. } => {
            let p = crate::services::legal::calendar::pending_of_year(*missing_year);
            DeadlineView {
                class: "deadline-unknown",
                due: String::new(),
                text: p.text,
                link: Some(p.link),
            }
        }
    }
}

/// Labels of triggers, joined (R-LEGAL-2).
pub fn trigger_labels(t: &[MajorTrigger]) -> String {
    t.iter().map(|t| t.label()).collect::<Vec<_>>().join("、")
}

/// Parses an amount in yuan (`80000`, `80000.5`, `80000.50`, optional `元`) into fen;
/// empty is None. Strict: ASCII digits, at most two decimals, no separators.
pub fn parse_yuan(field_label: &str, s: &str) -> Result<Option<i64>, String> {
    let t = s.trim();
    let t = t.strip_suffix('元').unwrap_or(t).trim();
    if t.is_empty() {
        return Ok(None);
    }
    let bad = || {
        format!(
            "{field_label}“{}”格式不正确：请填写以元为单位的数字，最多两位小数，不带逗号或其他符号，如 80000 或 80000.50",
            s.trim()
        )
    };
    let (int, frac) = match t.split_once('.') {
        Some((i, f)) => (i, f),
        None => (t, ""),
    };
    if int.is_empty()
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || frac.len() > 2
        || (t.contains('.') && frac.is_empty())
    {
        return Err(bad());
    }
    let yuan: i64 = int.parse().map_err(|_| format!("{field_label}数额过大"))?;
    let mut fen_part: i64 = if frac.is_empty() {
        0
    } else {
        frac.parse().map_err(|_| bad())?
    };
    if frac.len() == 1 {
        fen_part *= 10;
    }
    yuan.checked_mul(100)
        .and_then(|f| f.checked_add(fen_part))
        .map(Some)
        .ok_or_else(|| format!("{field_label}数额过大"))
}

/// Fen as the text of a yuan input (`80000`, `80000.50`).
pub fn yuan_input(fen: i64) -> String {
    if fen % 100 == 0 {
        (fen / 100).to_string()
    } else {
        format!("{}.{:02}", fen / 100, (fen % 100).abs())
    }
}

/// A workflow refusal as the pages show it.
impl From<crate::services::legal::workflow::LegalError> for WebError {
    fn from(e: crate::services::legal::workflow::LegalError) -> Self {
        use crate::services::legal::workflow::LegalError;
        match e {
            LegalError::NotFound(w) => WebError::NotFound(w),
            LegalError::Storage(s) => WebError::Storage(s),
            LegalError::Damaged(d) => WebError::Internal(d),
            LegalError::Forbidden(_) => WebError::Forbidden,
            other => WebError::BadRequest(other.to_string()),
        }
    }
}
