//! Storage of the legal review workflow (R-LEGAL-1..7): drafts of decisions (their
//! automerge documents), submitted versions, opinions, extensions, disputes, the
//! catalogue versions, the decisions made, imported calendar years, and the
//! append-only audit trail. Every workflow step is one [`LegalWrite`], stored in
//! one transaction together with its audit events.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use liuhen_domain::legal::{
    Catalogue, CheckResult, DecisionKind, DraftContent, MajorTrigger, Opinion, PartyKind,
};

use super::StorageResult;

/// Where a draft stands in the workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DraftStatus {
    /// Being drafted by the handling unit (never submitted).
    Drafting,
    /// Submitted; waiting for or under legal review.
    InReview,
    /// The opinion found problems; back with the unit (R-LEGAL-4).
    Returned,
    /// The unit disputes the opinion; in coordination (R-LEGAL-7).
    Disputed,
    /// Review passed (or coordination adopted the unit's view).
    Approved,
    /// The decision was made.
    Decided,
}

impl DraftStatus {
    /// Stable text.
    pub fn as_str(self) -> &'static str {
        match self {
            DraftStatus::Drafting => "drafting",
            DraftStatus::InReview => "in_review",
            DraftStatus::Returned => "returned",
            DraftStatus::Disputed => "disputed",
            DraftStatus::Approved => "approved",
            DraftStatus::Decided => "decided",
        }
    }
    /// Parses the stable text.
    pub fn parse(s: &str) -> Option<DraftStatus> {
        [
            DraftStatus::Drafting,
            DraftStatus::InReview,
            DraftStatus::Returned,
            DraftStatus::Disputed,
            DraftStatus::Approved,
            DraftStatus::Decided,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }
}

/// A draft of a decision as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftRecord {
    /// Draft id (UUIDv7; also the automerge document's id).
    pub id: String,
    /// Agency.
    pub agency_id: String,
    /// The drafter's user id (never its reviewer).
    pub created_by: String,
    /// Created at.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Workflow state.
    pub status: DraftStatus,
    /// Title (copied from the document for lists).
    pub title: String,
    /// Kind (copied from the document for lists).
    pub kind: DecisionKind,
    /// Catalogue version that classified it (fixed at first submission).
    pub catalogue_version: Option<u32>,
    /// What made it major under that version (empty: not major).
    pub triggers: Vec<MajorTrigger>,
    /// Last submitted version (0: never submitted).
    pub version: u32,
    /// Receipt date of the last submission (Beijing date; R-LEGAL-5).
    pub received_on: Option<NaiveDate>,
    /// Whether the review deadline was extended (once, R-LEGAL-5).
    pub extended: bool,
    /// Heads (hex) of `bytes`.
    pub heads: Vec<String>,
    /// The automerge document (full save).
    pub bytes: Vec<u8>,
}

/// One submission of a draft for review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionRecord {
    /// Draft id.
    pub draft_id: String,
    /// Version number (1, 2, ...).
    pub version: u32,
    /// Who submitted it.
    pub submitted_by: String,
    /// When.
    pub submitted_at: DateTime<Utc>,
    /// Receipt date (Beijing) the review deadline counts from.
    pub received_on: NaiveDate,
    /// Document heads submitted.
    pub heads: Vec<String>,
    /// Content submitted.
    pub content: DraftContent,
    /// Catalogue version that classified it.
    pub catalogue_version: u32,
    /// Classification under it.
    pub triggers: Vec<MajorTrigger>,
    /// The unit's note with the submission (e.g. what was fixed).
    pub note: String,
    /// The reviewer who opened the review.
    pub review_started_by: Option<String>,
    /// When the review was opened.
    pub review_started_at: Option<DateTime<Utc>>,
}

/// A written opinion on one version (R-LEGAL-3, R-LEGAL-4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewRecord {
    /// Draft id.
    pub draft_id: String,
    /// Version reviewed.
    pub version: u32,
    /// Reviewer user id.
    pub reviewer: String,
    /// 同意 or 存在问题.
    pub opinion: Opinion,
    /// The opinion in words.
    pub opinion_text: String,
    /// The checklist.
    pub checks: Vec<CheckResult>,
    /// When.
    pub at: DateTime<Utc>,
}

/// The one extension of a review (R-LEGAL-5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtensionRecord {
    /// Draft id.
    pub draft_id: String,
    /// Version under review when asked.
    pub version: u32,
    /// Reviewer who asked.
    pub requested_by: String,
    /// When.
    pub requested_at: DateTime<Utc>,
    /// Why (complex case...).
    pub reason: String,
    /// Leader who approved.
    pub approved_by: Option<String>,
    /// When approved.
    pub approved_at: Option<DateTime<Utc>>,
    /// The leader's note.
    pub leader_note: Option<String>,
}

/// Outcome of a coordination (R-LEGAL-7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisputeOutcome {
    /// The opinion stands; the unit amends and resubmits.
    Upheld,
    /// The unit's view is adopted; the review counts as passed.
    Overturned,
}

impl DisputeOutcome {
    /// Stable text.
    pub fn as_str(self) -> &'static str {
        match self {
            DisputeOutcome::Upheld => "upheld",
            DisputeOutcome::Overturned => "overturned",
        }
    }
    /// Parses the stable text.
    pub fn parse(s: &str) -> Option<DisputeOutcome> {
        match s {
            "upheld" => Some(DisputeOutcome::Upheld),
            "overturned" => Some(DisputeOutcome::Overturned),
            _ => None,
        }
    }
}

/// A disagreement with an opinion (R-LEGAL-7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisputeRecord {
    /// Dispute id.
    pub id: String,
    /// Draft id.
    pub draft_id: String,
    /// Version whose opinion is disputed.
    pub version: u32,
    /// Who raised it (the unit).
    pub raised_by: String,
    /// When.
    pub raised_at: DateTime<Utc>,
    /// The unit's reasons.
    pub reason: String,
    /// Outcome, once coordinated.
    pub outcome: Option<DisputeOutcome>,
    /// The coordination's record.
    pub outcome_note: Option<String>,
    /// Who recorded the outcome.
    pub decided_by: Option<String>,
    /// When.
    pub decided_at: Option<DateTime<Utc>>,
}

/// One version of an agency's catalogue (R-LEGAL-2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogueVersion {
    /// Agency.
    pub agency_id: String,
    /// Version number (1, 2, ...).
    pub version: u32,
    /// The catalogue.
    pub catalogue: Catalogue,
    /// What changed and why.
    pub note: String,
    /// Admin who made it.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// A decision made (作出的执法决定); the decision date starts the publication clock
/// (R-POST-1). `party_code` and `confidential` are never public (R-POST-2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionRecord {
    /// Decision id.
    pub id: String,
    /// Agency.
    pub agency_id: String,
    /// The draft it came from.
    pub draft_id: String,
    /// Kind.
    pub kind: DecisionKind,
    /// Title.
    pub title: String,
    /// Document number (文书编号), unique in the agency.
    pub doc_number: String,
    /// Decision date.
    pub decided_on: NaiveDate,
    /// When it was recorded.
    pub decided_at: DateTime<Utc>,
    /// Who made it.
    pub decided_by: String,
    /// Enforcement category.
    pub category: String,
    /// Party kind.
    pub party_kind: PartyKind,
    /// Party name (a person's real name: masked in public).
    pub party_name: String,
    /// Credit code or ID number (an ID number is never public).
    pub party_code: String,
    /// Legal basis.
    pub legal_basis: String,
    /// The decision as published.
    pub conclusion: String,
    /// Fine in fen.
    pub fine_fen: Option<i64>,
    /// Whether it was major (R-LEGAL-2).
    pub major: bool,
    /// Catalogue version that classified it.
    pub catalogue_version: Option<u32>,
    /// Version whose review passed (None: not major, no review).
    pub reviewed_version: Option<u32>,
    /// Inspections it rests on.
    pub inspection_ids: Vec<String>,
    /// Never public.
    pub confidential: String,
}

/// An entry of the legal audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegalEvent {
    /// Order (0 for a new one).
    pub seq: i64,
    /// Agency.
    pub agency_id: String,
    /// Draft, if about one.
    pub draft_id: Option<String>,
    /// What happened: created, edited, submitted, review_started, opinion,
    /// extension_requested, extension_approved, disputed, coordinated, decided,
    /// catalogue_edited, calendar_imported.
    pub kind: String,
    /// Version concerned.
    pub version: Option<u32>,
    /// Who.
    pub by_user: String,
    /// When.
    pub at: DateTime<Utc>,
    /// Details (JSON object).
    pub detail: serde_json::Value,
}

/// What the stored draft must be for a workflow step to go ahead (issue 18:
/// optimistic writes instead of a per-process lock): otherwise the step writes
/// nothing and is [`super::StorageError::Stale`], and the caller reads again and
/// redoes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DraftBase {
    /// No draft with the id of [`LegalWrite::draft`] may exist yet.
    New,
    /// The stored draft must still be exactly this record, as the step read it
    /// (every column: the document's heads and bytes, status, version, ...).
    Read(Box<DraftRecord>),
}

/// One workflow step, written in one transaction with its audit events.
#[derive(Debug, Clone, Default)]
pub struct LegalWrite {
    /// The random id of the form that asked for it, and the action name:
    /// [`super::StorageError::Conflict`] if this form was already carried out.
    pub form: Option<(String, String)>,
    /// The draft must be in one of these states (checked inside the transaction;
    /// Conflict otherwise): (draft id, states).
    pub expect: Option<(String, Vec<DraftStatus>)>,
    /// The optimistic check of the draft (None: none; a step that writes
    /// `draft` always sets it). Checked before anything is written.
    pub base: Option<DraftBase>,
    /// Inserts or replaces the draft.
    pub draft: Option<DraftRecord>,
    /// Inserts a submitted version (Conflict if that number exists).
    pub version: Option<VersionRecord>,
    /// Marks a version's review as started (draft id, version, by, at), if not yet.
    pub review_started: Option<(String, u32, String, DateTime<Utc>)>,
    /// Inserts an opinion (Conflict if that version already has one).
    pub review: Option<ReviewRecord>,
    /// Inserts or replaces the extension.
    pub extension: Option<ExtensionRecord>,
    /// Inserts or replaces a dispute (Conflict if a second one is opened).
    pub dispute: Option<DisputeRecord>,
    /// Inserts a decision (Conflict if the document number exists in the agency).
    pub decision: Option<DecisionRecord>,
    /// Audit entries.
    pub events: Vec<LegalEvent>,
}

/// Storage of the legal workflow (implemented by every backend).
#[async_trait]
pub trait LegalStorage {
    /// Carries out one workflow step in one transaction.
    async fn apply_legal(&self, w: &LegalWrite) -> StorageResult<()>;
    /// A draft.
    async fn legal_draft(&self, id: &str) -> StorageResult<Option<DraftRecord>>;
    /// Drafts of an agency in the given states (all if empty), newest change first,
    /// without their document bytes (`bytes` is empty; use [`LegalStorage::legal_draft`]).
    async fn legal_drafts(
        &self,
        agency_id: &str,
        states: &[DraftStatus],
    ) -> StorageResult<Vec<DraftRecord>>;
    /// Submitted versions of a draft, oldest first.
    async fn legal_versions(&self, draft_id: &str) -> StorageResult<Vec<VersionRecord>>;
    /// Opinions on a draft, oldest first.
    async fn legal_reviews(&self, draft_id: &str) -> StorageResult<Vec<ReviewRecord>>;
    /// The extension of a draft's review, if any.
    async fn legal_extension(&self, draft_id: &str) -> StorageResult<Option<ExtensionRecord>>;
    /// Disputes of a draft, oldest first.
    async fn legal_disputes(&self, draft_id: &str) -> StorageResult<Vec<DisputeRecord>>;
    /// The action recorded for a form id (draft id, action), if any.
    async fn legal_form(&self, form_id: &str) -> StorageResult<Option<(String, String)>>;
    /// Audit entries of a draft, oldest first.
    async fn legal_events(&self, draft_id: &str) -> StorageResult<Vec<LegalEvent>>;
    /// Audit entries of an agency not about one draft (catalogue, calendar), newest first.
    async fn legal_agency_events(
        &self,
        agency_id: &str,
        limit: u32,
    ) -> StorageResult<Vec<LegalEvent>>;

    /// A catalogue version of an agency (the latest if `version` is None).
    async fn catalogue(
        &self,
        agency_id: &str,
        version: Option<u32>,
    ) -> StorageResult<Option<CatalogueVersion>>;
    /// All catalogue versions of an agency, newest first.
    async fn catalogue_versions(&self, agency_id: &str) -> StorageResult<Vec<CatalogueVersion>>;
    /// Adds the next catalogue version (its number is chosen inside the
    /// transaction) with its audit entry; returns the number.
    async fn add_catalogue(
        &self,
        agency_id: &str,
        catalogue: &Catalogue,
        note: &str,
        by_user: &str,
        at: DateTime<Utc>,
    ) -> StorageResult<u32>;

    /// A decision.
    async fn decision(&self, id: &str) -> StorageResult<Option<DecisionRecord>>;
    /// The decision made from a draft.
    async fn decision_of_draft(&self, draft_id: &str) -> StorageResult<Option<DecisionRecord>>;
    /// Decisions of an agency, newest decision date first.
    async fn decisions_of_agency(&self, agency_id: &str) -> StorageResult<Vec<DecisionRecord>>;

    /// Imported calendar years (year, JSON).
    async fn calendar_years(&self) -> StorageResult<Vec<(i32, String)>>;
    /// Stores an imported year (replacing an earlier import of it) with its audit entry.
    async fn put_calendar_year(
        &self,
        year: i32,
        json: &str,
        event: &LegalEvent,
    ) -> StorageResult<()>;
}
