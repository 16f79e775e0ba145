//! Storage of the agency's public profile and uploaded documents (R-PRE-1..4), the
//! appeal numbers and publications of the annual statistics (R-POST-5), and the
//! append-only history of every change to them.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use liuhen_domain::model::Agency;

use super::StorageResult;

/// What an agency publishes about itself before enforcement (R-PRE-1, R-PRE-4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicProfile {
    /// Agency.
    pub agency_id: String,
    /// Enforcement bodies (执法主体), one per line.
    pub bodies: String,
    /// Duties and powers (职责权限).
    pub duties: String,
    /// Supervision channels (监督方式).
    pub supervision: String,
    /// Remedy channels (救济渠道).
    pub remedy: String,
    /// Steps recorded on audio/video (音像记录清单, R-PRE-4 / R-REC-2).
    pub recording_steps: Vec<String>,
    /// User id of the last editor.
    pub updated_by: String,
    /// When it was last changed.
    pub updated_at: DateTime<Utc>,
}

/// Kind of an uploaded public document (R-PRE-4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    /// 流程图.
    FlowChart,
    /// 服务指南.
    ServiceGuide,
}

impl DocumentKind {
    /// Stable text stored in the table.
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::FlowChart => "flow_chart",
            DocumentKind::ServiceGuide => "service_guide",
        }
    }
    /// Parses the stored text.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "flow_chart" => Some(DocumentKind::FlowChart),
            "service_guide" => Some(DocumentKind::ServiceGuide),
            _ => None,
        }
    }
}

/// An uploaded flow chart or service guide; its bytes are in the data directory
/// under `public-docs/<sha256>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicDocument {
    /// Document id.
    pub id: String,
    /// Agency.
    pub agency_id: String,
    /// Flow chart or service guide.
    pub kind: DocumentKind,
    /// Title shown on the portal.
    pub title: String,
    /// File name offered on download.
    pub file_name: String,
    /// `application/pdf`, `image/png` or `image/jpeg` (checked by magic bytes).
    pub content_type: String,
    /// SHA-256 (hex) of the bytes.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
    /// Uploader's user id.
    pub uploaded_by: String,
    /// When it was uploaded.
    pub uploaded_at: DateTime<Utc>,
    /// When it was withdrawn from the portal, if it was.
    pub deleted_at: Option<DateTime<Utc>>,
}

/// Kind of appeal against the agency's decisions (R-POST-5 statistics).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppealKind {
    /// 行政复议.
    Reconsideration,
    /// 行政诉讼.
    Litigation,
}

impl AppealKind {
    /// Both kinds, in display order.
    pub const ALL: [AppealKind; 2] = [AppealKind::Reconsideration, AppealKind::Litigation];
    /// Stable text stored in the table.
    pub fn as_str(self) -> &'static str {
        match self {
            AppealKind::Reconsideration => "reconsideration",
            AppealKind::Litigation => "litigation",
        }
    }
    /// Parses the stored text.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "reconsideration" => Some(AppealKind::Reconsideration),
            "litigation" => Some(AppealKind::Litigation),
            _ => None,
        }
    }
}

/// Appeal numbers of one kind, agency and year, with their results.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppealCounts {
    /// Cases received.
    pub total: u32,
    /// Decision upheld or claim dismissed (维持/驳回).
    pub upheld: u32,
    /// Decision revoked, changed or confirmed illegal (撤销/变更/确认违法).
    pub corrected: u32,
    /// Ended otherwise (终止/调解/和解/撤回).
    pub other: u32,
}

impl AppealCounts {
    /// Cases without a result yet (审理中).
    pub fn pending(&self) -> u32 {
        self.total
            .saturating_sub(self.upheld + self.corrected + self.other)
    }
}

/// The publication of an agency's statistics of a year (R-POST-5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatsPublication {
    /// Agency.
    pub agency_id: String,
    /// Year of the statistics.
    pub year: i32,
    /// User id of the admin who published.
    pub published_by: String,
    /// Their display name at the time.
    pub by_name: String,
    /// When (server clock; never back-dated).
    pub published_at: DateTime<Utc>,
}

/// Who changes something, and when (recorded in the history).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// User id.
    pub user_id: String,
    /// Display name at the time.
    pub name: String,
    /// When (server clock).
    pub at: DateTime<Utc>,
}

/// One entry of the history of public profile changes (append-only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileEvent {
    /// Sequence number.
    pub seq: i64,
    /// Agency.
    pub agency_id: String,
    /// `profile`, `document_added`, `document_withdrawn`, `appeals`, `stats_published`.
    pub kind: String,
    /// What changed, in Chinese.
    pub detail: String,
    /// User id.
    pub by_user: String,
    /// Display name at the time.
    pub by_name: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// Counts of one agency in one year computed from the records (R-POST-5, R-REC-8).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct YearCounts {
    /// Inspections opened in the year (inspection documents).
    pub inspections: u64,
    /// Decisions by kind: licensing, penalty, coercion, inspection, other.
    pub decisions: [u64; 5],
    /// Sum of fines decided, in fen.
    pub fines_fen: i64,
    /// Legal review opinions given (R-LEGAL-4).
    pub legal_reviews: u64,
}

/// The outcome of a drawn task's inspection (R-POST-4, R-RAND-3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskOutcome {
    /// Task id.
    pub task_id: String,
    /// Review state of the inspection.
    pub state: String,
    /// Whether rule violations were found.
    pub has_violations: bool,
}

/// Decision kinds in the order of [`YearCounts::decisions`], with Chinese labels.
pub const DECISION_KINDS: [(&str, &str); 5] = [
    ("licensing", "行政许可"),
    ("penalty", "行政处罚"),
    ("coercion", "行政强制"),
    ("inspection", "行政检查"),
    ("other", "其他"),
];

/// Storage of the agency's public profile and uploaded documents (R-PRE-1..4) and
/// of the annual statistics (R-POST-5).
#[async_trait]
pub trait PublicProfileStorage {
    /// Every agency with a roster, by id.
    async fn public_agencies(&self) -> StorageResult<Vec<Agency>>;
    /// The profile of an agency, if one was entered.
    async fn public_profile(&self, agency_id: &str) -> StorageResult<Option<PublicProfile>>;
    /// Replaces the profile (who/when inside it) and records `detail` in the history.
    async fn put_public_profile(
        &self,
        profile: &PublicProfile,
        by_name: &str,
        detail: &str,
    ) -> StorageResult<()>;
    /// Documents of an agency, oldest first; withdrawn ones only if asked.
    async fn public_documents(
        &self,
        agency_id: &str,
        include_withdrawn: bool,
    ) -> StorageResult<Vec<PublicDocument>>;
    /// One document (withdrawn or not).
    async fn public_document(&self, id: &str) -> StorageResult<Option<PublicDocument>>;
    /// Adds a document (its file is already in place) and records it in the history.
    async fn add_public_document(
        &self,
        doc: &PublicDocument,
        by_name: &str,
        detail: &str,
    ) -> StorageResult<()>;
    /// Withdraws a document of the agency from the portal; `NotFound` if there is
    /// no such current document.
    async fn withdraw_public_document(
        &self,
        agency_id: &str,
        id: &str,
        by: &Actor,
    ) -> StorageResult<()>;
    /// Appeal numbers of a year (of one agency, or of all), by agency and kind.
    async fn appeal_stats(
        &self,
        agency_id: Option<&str>,
        year: i32,
    ) -> StorageResult<Vec<(String, AppealKind, AppealCounts)>>;
    /// Sets the appeal numbers of an agency, year and kind, recorded in the history
    /// as `detail` (the caller's words).
    async fn put_appeal_stats(
        &self,
        agency_id: &str,
        year: i32,
        kind: AppealKind,
        counts: &AppealCounts,
        by: &Actor,
        detail: &str,
    ) -> StorageResult<()>;
    /// Publications (of one year, or of all years), by year then agency.
    async fn stats_publications(&self, year: Option<i32>) -> StorageResult<Vec<StatsPublication>>;
    /// Records a publication (once: `Conflict` if the year is already published).
    async fn publish_stats(&self, publication: &StatsPublication) -> StorageResult<()>;
    /// Counts of an agency for records between `from` (inclusive) and `to`
    /// (exclusive) — the year's bounds in Beijing time — and decision dates in `year`.
    async fn year_counts(
        &self,
        agency_id: &str,
        year: i32,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StorageResult<YearCounts>;
    /// The inspection outcome of each task that has an inspection (R-POST-4): task
    /// id, review state (`open`, `pending`, `returned`, `amended`, `approved`) and
    /// whether rule violations were found; the newest inspection per task.
    async fn task_outcomes(&self, task_ids: &[String]) -> StorageResult<Vec<TaskOutcome>>;
    /// The newest `limit` entries of the agency's history, newest first.
    async fn public_profile_events(
        &self,
        agency_id: &str,
        limit: u32,
    ) -> StorageResult<Vec<ProfileEvent>>;
}
