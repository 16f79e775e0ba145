//! The working-day calendar across server instances (issue 18). Each process
//! keeps the calendar in memory (built-in years plus the years admins imported,
//! R-POST-1, R-LEGAL-5); the imported years live in the database. An import
//! replaces the importing process's copy at once; every process also re-reads the
//! imported years every [`REFRESH_EVERY`] and rebuilds its copy when they differ
//! from the ones it last built from, so a year imported through another instance
//! counts here within a few seconds. The check reads one small row per imported
//! year (a handful), which is cheaper than keeping a version counter in step.

use std::time::Duration;

use sha2::{Digest, Sha256};

use liuhen_domain::calendar::{CalendarError, WorkCalendar};

use crate::state::AppState;
use crate::storage::{Storage, StorageError};

/// How often a process compares the imported years with the ones it built from.
pub const REFRESH_EVERY: Duration = Duration::from_secs(5);

/// The built-in calendar plus the imported years `rows` (year, JSON). An imported
/// year that no longer validates is skipped with an error in the log (the built-in
/// years still work; deadlines in that year say the data is missing).
pub fn build(rows: &[(i32, String)]) -> Result<WorkCalendar, CalendarError> {
    let mut cal = WorkCalendar::builtin()?;
    for (year, json) in rows {
        if let Err(e) = cal.load_year_json(json, &format!("imported {year}")) {
            tracing::error!(year, error = %e, "imported calendar year does not load; skipped");
        }
    }
    Ok(cal)
}

/// A digest of the imported years, to tell whether they moved.
fn digest(rows: &[(i32, String)]) -> [u8; 32] {
    let mut h = Sha256::new();
    for (year, json) in rows {
        h.update(year.to_be_bytes());
        h.update((json.len() as u64).to_be_bytes());
        h.update(json.as_bytes());
    }
    h.finalize().into()
}

/// Rebuilds the state's calendar if the imported years differ from `last` (the
/// digest of those it was last built from, updated here); true if it rebuilt.
pub async fn refresh(state: &AppState, last: &mut Option<[u8; 32]>) -> Result<bool, StorageError> {
    let storage: &dyn Storage = state.storage.as_ref();
    let rows = storage.calendar_years().await?;
    let now = digest(&rows);
    if *last == Some(now) {
        return Ok(false);
    }
    match build(&rows) {
        Ok(cal) => {
            let years = cal.years();
            state.set_calendar(cal);
            if last.is_some() {
                tracing::info!(?years, "calendar years changed in the database; reloaded");
            }
            *last = Some(now);
            Ok(true)
        }
        Err(e) => {
            tracing::error!(error = %e, "built-in calendar invalid; calendar not reloaded");
            Ok(false)
        }
    }
}

/// Keeps the state's calendar in step with the database every `every`, for as
/// long as the process runs.
pub fn spawn(state: AppState, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut last = None;
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = refresh(&state, &mut last).await {
                tracing::warn!(error = %e, "calendar years not read; trying again later");
            }
        }
    })
}
