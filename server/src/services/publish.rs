//! What the publishing queue and the demo share (R-POST-1): a decision's
//! publication deadline and lateness, and the enforcing body's published name.

use chrono::NaiveDate;

use liuhen_domain::calendar::WorkCalendar;
use liuhen_domain::legal::{DecisionKind, publication_due};

use crate::state::AppState;
use crate::storage::StorageError;

/// When a decision published on `published_on` was due and whether it was late
/// (R-POST-1): (deadline, late, working days late). A year without calendar data
/// gives None rather than a guess.
pub fn publication_timing(
    cal: &WorkCalendar,
    kind: DecisionKind,
    decided_on: NaiveDate,
    published_on: NaiveDate,
) -> (Option<NaiveDate>, Option<bool>, Option<u32>) {
    let Ok(due) = publication_due(cal, kind, decided_on) else {
        return (None, None, None);
    };
    if published_on <= due {
        return (Some(due), Some(false), None);
    }
    (
        Some(due),
        Some(true),
        cal.working_days_between(due, published_on).ok(),
    )
}

/// The enforcing body's name of an agency (its roster's agency name).
pub async fn agency_name(st: &AppState, agency_id: &str) -> Result<String, StorageError> {
    Ok(st
        .storage
        .roster_for(agency_id, None)
        .await?
        .map(|(r, _)| r.agency.name)
        .unwrap_or_else(|| agency_id.to_string()))
}
