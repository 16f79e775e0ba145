//! An inspection as the server holds it, read and checked against the rules: what
//! the inspections API, the desk's inspection page and the queue's summaries all
//! show (R-REC-4 arrival, R-REC-5 history findings, the rule check).

use serde::Serialize;

use liuhen_domain::inspection::Inspection;
use liuhen_domain::model::Officer;
use liuhen_domain::rules::{self, RuleContext, Violation};

use crate::state::AppState;
use crate::storage::{BlobRecord, DocRecord, StorageError};

/// Arrival of one evidence item on the server (R-REC-4).
#[derive(Debug, Serialize)]
pub struct EvidenceArrival {
    /// SHA-256.
    pub sha256: String,
    /// Capture time (device clock corrected by its measured skew).
    pub captured_at: chrono::DateTime<chrono::Utc>,
    /// When the verified bytes arrived, if they did.
    pub received_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Arrived (or still missing) more than 24 hours after capture.
    pub late: bool,
}

/// An inspection with its rule check.
#[derive(Debug, Serialize)]
pub struct Detail {
    /// The record.
    pub inspection: Inspection,
    /// Unmet rules, checked against the server's roster; includes R-REC-4 for
    /// evidence that reached the platform later than 24 hours after capture.
    pub violations: Vec<Violation>,
    /// Arrival of every evidence item.
    pub evidence_arrival: Vec<EvidenceArrival>,
}

/// Why an inspection could not be loaded for a reader.
#[derive(Debug, thiserror::Error)]
pub enum DetailError {
    /// No such inspection for this agency (another agency's: no existence leak).
    #[error("找不到检查记录 {0}")]
    NotFound(String),
    /// The stored document does not read (corrupt, newer schema, malformed field).
    #[error("服务器上的该检查记录无法读取：{0}")]
    Unreadable(String),
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// An inspection as the server holds it, read and checked: what the JSON API and
/// the desk's inspection page both show.
#[derive(Debug)]
pub struct LoadedDetail {
    /// The stored record (heads, status, bytes).
    pub record: DocRecord,
    /// The read document with its rule check and evidence arrival.
    pub detail: Detail,
    /// The agency's roster officers the check ran against (empty if no roster).
    pub roster: Vec<Officer>,
    /// Blob records of the inspection (referenced, received or not).
    pub blobs: Vec<BlobRecord>,
}

/// Loads inspection `id` of `agency_id`, reads it and runs the rule check against
/// the server's roster, adding R-REC-4 for evidence that reached (or has not yet
/// reached) the platform more than 24 hours after capture.
pub async fn load_detail(
    st: &AppState,
    agency_id: &str,
    id: &str,
) -> Result<LoadedDetail, DetailError> {
    let record = st
        .storage
        .doc(id)
        .await?
        .filter(|r| r.agency_id == agency_id)
        .ok_or_else(|| DetailError::NotFound(id.to_string()))?;
    let mut doc = liuhen_domain::doc::InspectionDoc::load(&record.bytes)
        .map_err(|e| DetailError::Unreadable(e.to_string()))?;
    let inspection = doc
        .read()
        .map_err(|e| DetailError::Unreadable(e.to_string()))?;
    let roster = st.storage.roster_for(agency_id, None).await?;
    let task_officers = task_officers(roster.as_ref().map(|(r, _)| r), &record);
    let officers = roster.map(|(r, _)| r.officers).unwrap_or_default();
    let blobs = st.storage.blobs_of(id).await?;
    // R-REC-5 over the whole history: what older merges let through is shown.
    let authors = crate::services::history::authors(st.storage.as_ref(), agency_id).await?;
    let history = crate::services::history::audit(
        &doc.automerge_mut().get_changes(&[]),
        &authors,
        &task_officers,
    );
    Ok(detail_from(
        record,
        inspection,
        officers,
        blobs,
        history,
        st.clock.now(),
    ))
}

/// The officers of a record's task on the roster (they may write while it is open).
pub fn task_officers(
    roster: Option<&liuhen_domain::model::RosterSnapshot>,
    record: &DocRecord,
) -> Vec<String> {
    record
        .task_id
        .as_ref()
        .and_then(|t| roster?.tasks.iter().find(|x| &x.id == t))
        .map(|t| t.officer_ids.clone())
        .unwrap_or_default()
}

/// The detail of a read inspection from what the server holds about it: the rule
/// check against the roster's officers, the R-REC-5 findings of its history
/// (`history`, from [`crate::services::history::audit`]), plus R-REC-4 for evidence that reached (or
/// has not yet reached) the platform more than 24 hours after capture. Pure, so a
/// merge can compute it from the very evidence records it commits with.
pub fn detail_from(
    record: DocRecord,
    inspection: Inspection,
    officers: Vec<Officer>,
    blobs: Vec<BlobRecord>,
    history: Vec<Violation>,
    now: chrono::DateTime<chrono::Utc>,
) -> LoadedDetail {
    let mut violations = rules::check(
        &inspection,
        &RuleContext {
            roster: Some(&officers),
            logged_evidence: &[],
        },
    );
    let evidence_arrival: Vec<EvidenceArrival> = blobs
        .iter()
        .map(|b| EvidenceArrival {
            late: crate::storage::is_late(b, now),
            sha256: b.sha256.clone(),
            captured_at: b.captured_at,
            received_at: b.received_at,
        })
        .collect();
    violations.extend(history);
    for a in evidence_arrival.iter().filter(|a| a.late) {
        let short = &a.sha256[..12.min(a.sha256.len())];
        violations.push(Violation {
            rule: "R-REC-4".into(),
            message: match a.received_at {
                Some(_) => format!("R-REC-4: 证据 {short} 超过 24 小时才上传到平台"),
                None => format!("R-REC-4: 证据 {short} 采集已超过 24 小时，仍未上传到平台"),
            },
        });
    }
    LoadedDetail {
        record,
        detail: Detail {
            inspection,
            violations,
            evidence_arrival,
        },
        roster: officers,
        blobs,
    }
}
