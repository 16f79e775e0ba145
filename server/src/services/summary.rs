//! The review queue's summary of each inspection, kept up to date whenever a
//! document or its evidence changes on the server.
//!
//! The summary is derived data: [`refresh`] recomputes it from the stored document,
//! the server's roster and the evidence records (the same rule check as the JSON
//! API, [`crate::services::detail::load_detail`]), and [`backfill`] catches documents
//! stored before the queue existed or whose refresh failed.

use chrono::{DateTime, Utc};

use liuhen_domain::inspection::{Inspection, ReviewOutcome};

use crate::services::detail::{DetailError, LoadedDetail, load_detail};
use crate::state::AppState;
use crate::storage::StorageError;
use crate::storage::queue::{QueueSummary, ReviewState};
use crate::storage::{UPLOAD_DEADLINE, is_late};

/// The review state of an inspection, from its document: a decision decides
/// (returned becomes amended once an amendment is written after it); without one,
/// closed on site means pending, otherwise open.
pub fn review_state(i: &Inspection) -> ReviewState {
    match &i.review.decision {
        Some(d) if d.decision == ReviewOutcome::Approved => ReviewState::Approved,
        Some(d) => {
            if i.amendments.iter().any(|a| a.at > d.decided_at) {
                ReviewState::Amended
            } else {
                ReviewState::Returned
            }
        }
        None if i.closure.is_some() => ReviewState::Pending,
        None => ReviewState::Open,
    }
}

/// Attention rank (0 comes first): amended records and pending ones with
/// violations; then pending; then open or returned records with evidence late
/// past 24 hours (R-REC-4); then returned (waiting for the officers); then open;
/// approved last.
pub fn rank(state: ReviewState, violations: bool, evidence_late: bool) -> u8 {
    match state {
        ReviewState::Amended => 0,
        ReviewState::Pending if violations => 0,
        ReviewState::Pending => 1,
        ReviewState::Approved => 5,
        ReviewState::Open | ReviewState::Returned if evidence_late => 2,
        ReviewState::Returned => 3,
        ReviewState::Open => 4,
    }
}

/// The summary of a loaded inspection at `now`.
pub fn summarize(loaded: &LoadedDetail, now: DateTime<Utc>) -> QueueSummary {
    let i = &loaded.detail.inspection;
    let state = review_state(i);
    let mut violations: Vec<String> = loaded
        .detail
        .violations
        .iter()
        .map(|v| v.rule.clone())
        .collect();
    violations.sort();
    violations.dedup();
    let missing: Vec<DateTime<Utc>> = loaded
        .blobs
        .iter()
        .filter(|b| b.received_at.is_none())
        .map(|b| b.captured_at)
        .collect();
    let oldest_missing_at = missing.iter().min().copied();
    let arrived_late = loaded
        .blobs
        .iter()
        .any(|b| b.received_at.is_some() && is_late(b, now));
    let evidence_late = loaded.blobs.iter().any(|b| is_late(b, now));
    let current = rank(state, !violations.is_empty(), evidence_late);
    // Missing evidence not late yet turns late (R-REC-4) just after 24 hours.
    let (rank_late, rank_due_at) = match oldest_missing_at {
        Some(t) if !evidence_late => {
            let later = rank(state, true, true);
            let due = t + UPLOAD_DEADLINE + chrono::Duration::microseconds(1);
            (later, (later != current).then_some(due))
        }
        _ => (current, None),
    };
    let officer_names = loaded
        .record
        .officer_ids
        .iter()
        .map(|id| {
            i.team
                .iter()
                .find(|m| &m.officer_id == id)
                .map(|m| m.name.clone())
                .or_else(|| {
                    loaded
                        .roster
                        .iter()
                        .find(|o| &o.id == id)
                        .map(|o| o.name.clone())
                })
                .unwrap_or_else(|| id.clone())
        })
        .collect();
    QueueSummary {
        doc_id: loaded.record.id.clone(),
        agency_id: loaded.record.agency_id.clone(),
        state,
        rank: current,
        rank_late,
        rank_due_at,
        opened_at: i.meta.opened_at,
        target_id: i.meta.target_id.clone(),
        target_name: i.meta.target_name.clone(),
        target_credit_code: i.meta.target_credit_code.clone(),
        officer_ids: loaded.record.officer_ids.clone(),
        officer_names,
        violations,
        evidence_total: u32::try_from(loaded.blobs.len()).unwrap_or(u32::MAX),
        evidence_missing: u32::try_from(missing.len()).unwrap_or(u32::MAX),
        oldest_missing_at,
        arrived_late,
        updated_at: loaded.record.updated_at,
        doc_heads: loaded.record.heads.clone(),
    }
}

/// Recomputes and stores the queue summary of one inspection document.
/// Call after every change of the document or of its evidence on the server.
/// A document that is not stored or does not read is skipped (and logged).
pub async fn refresh(st: &AppState, doc_id: &str) -> Result<(), StorageError> {
    let Some(rec) = st.storage.doc(doc_id).await? else {
        return Ok(());
    };
    let loaded = match load_detail(st, &rec.agency_id, doc_id).await {
        Ok(l) => l,
        Err(DetailError::Storage(e)) => return Err(e),
        Err(DetailError::NotFound(_)) => return Ok(()),
        Err(DetailError::Unreadable(detail)) => {
            tracing::warn!(doc = %doc_id, %detail, "queue summary skipped: document does not read");
            return Ok(());
        }
    };
    let summary = summarize(&loaded, st.clock.now());
    if !st.storage.put_queue_summary(&summary).await? {
        // The document or its evidence changed meanwhile; the refresh that follows
        // that change stores the newer summary.
        tracing::debug!(doc = %doc_id, "queue summary superseded by a newer change");
    }
    Ok(())
}

/// [`refresh`], logging a failure instead of returning it: the change itself has
/// been stored, and the summary is caught up at the next change or start.
pub async fn refresh_or_log(st: &AppState, doc_id: &str) {
    if let Err(e) = refresh(st, doc_id).await {
        tracing::error!(doc = %doc_id, error = %e, "queue summary refresh failed");
    }
}

/// Refreshes every inspection of an agency that references a blob the agency just
/// received.
pub async fn blob_received(st: &AppState, agency_id: &str, sha256: &str) {
    match st.storage.inspections_referencing(agency_id, sha256).await {
        Ok(ids) => {
            for id in ids {
                refresh_or_log(st, &id).await;
            }
        }
        Err(e) => tracing::error!(sha256, error = %e, "queue summary refresh failed"),
    }
}

/// Summarises every document without a current summary (run once at start).
pub async fn backfill(st: AppState) {
    let mut after = String::new();
    let mut done = 0u64;
    loop {
        let ids = match st.storage.docs_needing_summary(&after, 200).await {
            Ok(ids) => ids,
            Err(e) => {
                tracing::error!(error = %e, "queue summary backfill stopped");
                return;
            }
        };
        let Some(last) = ids.last() else { break };
        after = last.clone();
        for id in &ids {
            refresh_or_log(&st, id).await;
        }
        done += ids.len() as u64;
    }
    if done > 0 {
        tracing::info!(documents = done, "queue summaries backfilled");
    }
}
