//! Which years of the State Council's holiday arrangement an agency's deadlines
//! need but the calendar lacks (R-POST-1, R-LEGAL-5), and how a page names a
//! deadline that cannot be computed: 「待导入 2027 年节假日安排」 with a link to
//! [`CALENDAR_PAGE`], never the calculation's error text.

use std::collections::BTreeMap;

use chrono::Datelike;

use liuhen_domain::calendar::CalendarError;
use liuhen_domain::legal::{DeadlineStatus, publication_due};
use liuhen_domain::time::local_date;

use crate::services::legal::workflow::{self, LegalResult};
use crate::state::AppState;
use crate::storage::legal::DraftStatus;

/// The page that lists missing years and imports them.
pub const CALENDAR_PAGE: &str = "/admin/calendar";

/// What a page shows for a deadline in `year` that cannot be computed.
pub fn pending_text(year: i32) -> String {
    format!("待导入 {year} 年节假日安排")
}

/// A deadline that cannot be computed, as a page shows it: text and link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// 「待导入 N 年节假日安排」, or a short text for another calendar failure.
    pub text: String,
    /// Where to import the year ([`CALENDAR_PAGE`] with the year).
    pub link: String,
}

/// The page text of a calendar failure (never the raw error).
pub fn pending_of(e: &CalendarError) -> Pending {
    pending_of_year(e.missing_year())
}

/// The page text for a missing `year` (None: a failure other than a missing year).
pub fn pending_of_year(year: Option<i32>) -> Pending {
    match year {
        Some(y) => Pending {
            text: pending_text(y),
            link: format!("{CALENDAR_PAGE}#year-{y}"),
        },
        None => Pending {
            text: "期限暂无法计算，请核对节假日安排数据".into(),
            link: CALENDAR_PAGE.into(),
        },
    }
}

/// One missing year and what needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingYear {
    /// The year.
    pub year: i32,
    /// Reviews in progress whose deadline falls in it (R-LEGAL-5).
    pub reviews: usize,
    /// Decisions not yet published whose deadline falls in it (R-POST-1).
    pub publications: usize,
    /// Whether it is this year or the next (needed soon whatever is pending).
    pub near: bool,
}

/// The years `agency_id`'s open deadlines need and the calendar lacks, plus this
/// year and the next when missing, ascending.
pub async fn missing_years(st: &AppState, agency_id: &str) -> LegalResult<Vec<MissingYear>> {
    let cal = st.calendar();
    let today = local_date(st.clock.now());
    let mut out: BTreeMap<i32, MissingYear> = BTreeMap::new();
    fn entry(out: &mut BTreeMap<i32, MissingYear>, year: i32) -> &mut MissingYear {
        out.entry(year).or_insert(MissingYear {
            year,
            reviews: 0,
            publications: 0,
            near: false,
        })
    }
    let loaded = cal.years();
    for year in [today.year(), today.year() + 1] {
        if !loaded.contains(&year) {
            entry(&mut out, year).near = true;
        }
    }
    let drafts = st
        .storage
        .legal_drafts(agency_id, &[DraftStatus::InReview])
        .await?;
    for rec in &drafts {
        if let Some(DeadlineStatus::Unknown {
            missing_year: Some(y),
            ..
        }) = workflow::deadline_of(st, rec)
        {
            entry(&mut out, y).reviews += 1;
        }
    }
    for e in st.storage.publication_queue(agency_id).await? {
        if e.publication.as_ref().is_some_and(|p| p.is_published()) || e.withdrawal.is_some() {
            continue;
        }
        if let Err(err) = publication_due(&cal, e.source.kind, e.source.decided_on)
            && let Some(y) = err.missing_year()
        {
            entry(&mut out, y).publications += 1;
        }
    }
    Ok(out.into_values().collect())
}
