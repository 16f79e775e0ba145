//! Demo publications (`serve --demo`, after the legal demo): the company penalty is
//! published on time and the penalty on the natural person 刘建华 is published
//! (masked as 刘某, R-POST-2), both through the three-person workflow (filer
//! `supervisor`, reviewer `legal`, approver `admin`, R-POST-7); the inspection
//! result stays due in the publishing queue. Last year's decisions (the demo
//! statistics year) are published on time. Idempotent: steps already taken are
//! skipped.

use chrono::{DateTime, Duration, NaiveTime, Utc};

use liuhen_domain::legal::publication_due;
use liuhen_domain::time::{beijing_instant, local_date};

use crate::demo::legal::{DEMO_DECISION_COMPANY_DOC, DEMO_DECISION_PERSON_DOC};
use crate::error::AppError;
use crate::services::mask::{public_code, public_target};
use crate::services::publish::{agency_name, publication_timing};
use crate::state::AppState;
use crate::storage::publicity::{PublicationStep, QueueEntry};

/// Agency of the demo decisions.
pub const DEMO_AGENCY: &str = "qy-sthj";

/// What the demo loader did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemoPublishSummary {
    /// Document numbers published now.
    pub published: Vec<String>,
    /// Document numbers that were already published.
    pub already: Vec<String>,
    /// Document numbers of the demo not found (the legal demo did not run).
    pub missing: Vec<String>,
}

/// 10:00 Beijing time on `d`.
fn beijing_ten(d: chrono::NaiveDate) -> DateTime<Utc> {
    beijing_instant(d, NaiveTime::from_hms_opt(10, 0, 0).unwrap_or_default())
}

/// Publishes the demo decisions (see the module documentation).
pub async fn load(state: &AppState) -> Result<DemoPublishSummary, AppError> {
    let mut summary = DemoPublishSummary::default();
    let user = |login: &'static str| async move {
        state
            .storage
            .user_by_login(login)
            .await?
            .ok_or_else(|| AppError::internal(format!("demo account {login} missing")))
    };
    let filer = user("supervisor").await?;
    let reviewer = user("legal").await?;
    let approver = user("admin").await?;
    let queue = state.storage.publication_queue(DEMO_AGENCY).await?;
    let body = agency_name(state, DEMO_AGENCY).await?;
    let now = state.clock.now();
    let cal = state.calendar();
    let stats_year = crate::demo::legal::STATS_YEAR_DECISIONS
        .iter()
        .map(|d| (d.0, true));
    for (doc, on_time) in [
        (DEMO_DECISION_COMPANY_DOC, true),
        (DEMO_DECISION_PERSON_DOC, false),
    ]
    .into_iter()
    .chain(stats_year)
    {
        let Some(e) = queue.iter().find(|e| e.source.doc_number == doc) else {
            summary.missing.push(doc.to_string());
            continue;
        };
        if e.publication.as_ref().is_some_and(|p| p.is_published()) {
            summary.already.push(doc.to_string());
            continue;
        }
        // On time: published on the deadline at the latest (demo data only; the
        // staff form always uses the clock).
        let at = match publication_due(&cal, e.source.kind, e.source.decided_on) {
            Ok(due) if on_time && local_date(now) > due => beijing_ten(due),
            _ => now,
        };
        publish(state, e, &body, &filer.id, &reviewer.id, &approver.id, at).await?;
        summary.published.push(doc.to_string());
    }
    tracing::info!(
        published = ?summary.published,
        already = ?summary.already,
        missing = ?summary.missing,
        "demo publications loaded (R-POST-1, R-POST-7)"
    );
    Ok(summary)
}

/// Takes the steps `e` still needs, ending with approval at `at`.
async fn publish(
    state: &AppState,
    e: &QueueEntry,
    body: &str,
    filer: &str,
    reviewer: &str,
    approver: &str,
    at: DateTime<Utc>,
) -> Result<(), AppError> {
    let id = e.source.id.clone();
    let p = e.publication.as_ref();
    if p.is_none() {
        let step = PublicationStep::File {
            decision_id: id.clone(),
            public_body: body.to_string(),
            public_target: public_target(&e.source),
            public_code: public_code(&e.source),
            by: filer.to_string(),
            at: at - Duration::minutes(60),
        };
        state.storage.publication_step(None, &step).await?;
    }
    if p.is_none_or(|p| p.reviewed_by.is_none()) {
        let step = PublicationStep::Review {
            decision_id: id.clone(),
            by: reviewer.to_string(),
            at: at - Duration::minutes(30),
        };
        state.storage.publication_step(None, &step).await?;
    }
    let published_on = local_date(at);
    let (due_on, late, late_working_days) = publication_timing(
        &state.calendar(),
        e.source.kind,
        e.source.decided_on,
        published_on,
    );
    let step = PublicationStep::Approve {
        decision_id: id,
        by: approver.to_string(),
        at,
        published_on,
        due_on,
        late,
        late_working_days,
    };
    state.storage.publication_step(None, &step).await?;
    Ok(())
}
