//! Storage of the supervisors' review queue: one summary row per inspection.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use liuhen_domain::model::Officer;

use super::StorageResult;

/// Where an inspection stands in review, derived from its document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewState {
    /// Not closed on site yet.
    Open,
    /// Closed on site, no decision yet.
    Pending,
    /// Returned to the officers, not amended since.
    Returned,
    /// Returned, then amended by the officers: back in the queue (issue 8 item 4).
    Amended,
    /// Approved.
    Approved,
}

impl ReviewState {
    /// Every state, in the order the page lists them.
    pub const ALL: [ReviewState; 5] = [
        ReviewState::Pending,
        ReviewState::Amended,
        ReviewState::Returned,
        ReviewState::Open,
        ReviewState::Approved,
    ];

    /// Stable text (stored, and the `state` filter value).
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewState::Open => "open",
            ReviewState::Pending => "pending",
            ReviewState::Returned => "returned",
            ReviewState::Amended => "amended",
            ReviewState::Approved => "approved",
        }
    }

    /// Parses the stable text.
    pub fn parse(s: &str) -> Option<ReviewState> {
        Some(match s {
            "open" => ReviewState::Open,
            "pending" => ReviewState::Pending,
            "returned" => ReviewState::Returned,
            "amended" => ReviewState::Amended,
            "approved" => ReviewState::Approved,
            _ => return None,
        })
    }
}

/// The queue's summary of one inspection document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueSummary {
    /// Inspection id.
    pub doc_id: String,
    /// Agency.
    pub agency_id: String,
    /// Review state.
    pub state: ReviewState,
    /// Attention rank at the last refresh (0 = most urgent).
    pub rank: u8,
    /// The rank once the oldest missing evidence is more than 24 hours old.
    pub rank_late: u8,
    /// When `rank` becomes `rank_late` (None if it never changes by time alone).
    pub rank_due_at: Option<DateTime<Utc>>,
    /// When the inspection was opened.
    pub opened_at: DateTime<Utc>,
    /// Target id.
    pub target_id: String,
    /// Target name.
    pub target_name: String,
    /// Target credit code (统一社会信用代码), if any.
    pub target_credit_code: Option<String>,
    /// Officer ids (opener, team, task officers).
    pub officer_ids: Vec<String>,
    /// Their names, same order.
    pub officer_names: Vec<String>,
    /// Violated rule ids at the last refresh, sorted, without duplicates.
    pub violations: Vec<String>,
    /// Evidence items referenced.
    pub evidence_total: u32,
    /// Evidence items not received yet.
    pub evidence_missing: u32,
    /// Oldest capture time of an evidence item not received yet.
    pub oldest_missing_at: Option<DateTime<Utc>>,
    /// Some evidence reached the platform more than 24 hours after capture (R-REC-4).
    pub arrived_late: bool,
    /// Last change of the document on the server.
    pub updated_at: DateTime<Utc>,
    /// Heads of the document the summary was computed from.
    pub doc_heads: Vec<String>,
}

impl QueueSummary {
    /// Whether a missing evidence item is more than 24 hours old at `now` (R-REC-4).
    pub fn missing_late(&self, now: DateTime<Utc>) -> bool {
        self.oldest_missing_at
            .is_some_and(|t| now - t > crate::UPLOAD_DEADLINE)
    }

    /// Violated rule ids at `now`: the stored ones, plus R-REC-4 once missing
    /// evidence has turned late since the last refresh.
    pub fn violations_at(&self, now: DateTime<Utc>) -> Vec<String> {
        let mut v = self.violations.clone();
        if self.missing_late(now) && !v.iter().any(|r| r == "R-REC-4") {
            v.push("R-REC-4".into());
            v.sort();
        }
        v
    }

    /// The keyset position of this row.
    pub fn cursor(&self) -> QueueCursor {
        QueueCursor {
            rank: self.rank,
            updated_us: self.updated_at.timestamp_micros(),
            doc_id: self.doc_id.clone(),
        }
    }
}

/// The filters of the queue page (all conjunctive; None/false = no filter).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueFilter {
    /// Only this state.
    pub state: Option<ReviewState>,
    /// Only inspections of this officer.
    pub officer_id: Option<String>,
    /// Target name or credit code contains this text.
    pub target: Option<String>,
    /// Opened at or after.
    pub opened_from: Option<DateTime<Utc>>,
    /// Opened before.
    pub opened_before: Option<DateTime<Utc>>,
    /// Only inspections with violated rules (at query time).
    pub violations: bool,
    /// Only inspections with evidence late past 24 hours (R-REC-4, at query time).
    pub late: bool,
    /// Only inspections with evidence not uploaded yet.
    pub awaiting: bool,
}

/// A keyset position in attention order: (rank, newest first, id).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct QueueCursor {
    /// Attention rank.
    pub rank: u8,
    /// `updated_at` in microseconds since the epoch.
    pub updated_us: i64,
    /// Inspection id.
    pub doc_id: String,
}

/// Which page to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageAt {
    /// The first page.
    First,
    /// The rows after this position.
    After(QueueCursor),
    /// The rows before this position.
    Before(QueueCursor),
}

/// One page of the queue, in attention order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuePage {
    /// The rows.
    pub rows: Vec<QueueSummary>,
    /// More rows follow the last one.
    pub has_next: bool,
    /// Rows precede the first one.
    pub has_prev: bool,
}

/// Storage of the review queue (implemented by every backend).
#[async_trait]
pub trait QueueStorage {
    /// Stores a summary (replacing the old one) unless the document's heads or its
    /// received evidence changed since the summary was computed: then returns false
    /// (the refresh that follows that change writes a newer one).
    async fn put_queue_summary(&self, summary: &QueueSummary) -> StorageResult<bool>;
    /// The summary of one inspection.
    async fn queue_summary(&self, doc_id: &str) -> StorageResult<Option<QueueSummary>>;
    /// Applies the ranks that became due at `now` (missing evidence turned late);
    /// returns how many rows changed.
    async fn promote_due_ranks(&self, agency_id: &str, now: DateTime<Utc>) -> StorageResult<u64>;
    /// One page of an agency's queue in attention order; `now` decides R-REC-4 for
    /// evidence still missing.
    async fn queue_page(
        &self,
        agency_id: &str,
        filter: &QueueFilter,
        at: &PageAt,
        limit: u32,
        now: DateTime<Utc>,
    ) -> StorageResult<QueuePage>;
    /// Number of an agency's inspections in each state.
    async fn queue_counts(&self, agency_id: &str) -> StorageResult<Vec<(ReviewState, u64)>>;
    /// Ids (greater than `after`, ascending) of documents without a summary, or
    /// whose summary is of older heads.
    async fn docs_needing_summary(&self, after: &str, limit: u32) -> StorageResult<Vec<String>>;
    /// An agency's inspections that reference a blob.
    async fn inspections_referencing(
        &self,
        agency_id: &str,
        sha256: &str,
    ) -> StorageResult<Vec<String>>;
    /// The officers of an agency's roster (no targets or tasks), in roster order.
    async fn roster_officers(&self, agency_id: &str) -> StorageResult<Vec<Officer>>;
}
