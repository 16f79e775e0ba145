//! Storage of publication records (公示, R-POST-1..3, R-POST-7): the publishing
//! queue (every decision, with its publication state), the three-person workflow
//! (filer, reviewer, approver), withdrawals (append-only) and the public search.
//!
//! Rows read for public use are [`PublicSource`]s: they carry only the columns a
//! public record may be built from. A natural person's ID number (`party_code`)
//! and the confidential notes of a decision are never selected into them (R-POST-2).

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use liuhen_domain::legal::{DecisionKind, PartyKind};

use super::StorageResult;
use super::public_profile::YearCounts;

/// Why a published decision is withdrawn (R-POST-3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WithdrawReason {
    /// 撤销.
    Revoked,
    /// 确认违法.
    ConfirmedIllegal,
    /// 责令重新作出.
    Redo,
}

impl WithdrawReason {
    /// Every reason, in display order.
    pub const ALL: [WithdrawReason; 3] = [
        WithdrawReason::Revoked,
        WithdrawReason::ConfirmedIllegal,
        WithdrawReason::Redo,
    ];
    /// Stable text (database, forms).
    pub fn as_str(self) -> &'static str {
        match self {
            WithdrawReason::Revoked => "revoked",
            WithdrawReason::ConfirmedIllegal => "confirmed_illegal",
            WithdrawReason::Redo => "redo",
        }
    }
    /// Parses the stable text.
    pub fn parse(s: &str) -> Option<WithdrawReason> {
        WithdrawReason::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// The publication of one decision (exists once a filer filed it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicationRecord {
    /// Decision id.
    pub decision_id: String,
    /// Agency.
    pub agency_id: String,
    /// The enforcing body's name as published.
    pub public_body: String,
    /// The target as published (a natural person's name masked, R-POST-2).
    pub public_target: String,
    /// The company's credit code as published (empty for a natural person).
    pub public_code: String,
    /// 填报人 (user id).
    pub filed_by: String,
    /// When filed.
    pub filed_at: DateTime<Utc>,
    /// 审核人 (user id).
    pub reviewed_by: Option<String>,
    /// When reviewed.
    pub reviewed_at: Option<DateTime<Utc>>,
    /// 审批人 (user id); set = published.
    pub approved_by: Option<String>,
    /// When approved = published (server clock).
    pub approved_at: Option<DateTime<Utc>>,
    /// Beijing date of publication.
    pub published_on: Option<NaiveDate>,
    /// Deadline at publication (None: no calendar data for that year).
    pub due_on: Option<NaiveDate>,
    /// Published after the deadline (None: unknown, no calendar data).
    pub late: Option<bool>,
    /// Working days after the deadline (None: on time or unknown).
    pub late_working_days: Option<u32>,
}

impl PublicationRecord {
    /// Whether it is published (approved).
    pub fn is_published(&self) -> bool {
        self.approved_at.is_some()
    }
}

/// The withdrawal of a published decision (R-POST-3); never changed or deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WithdrawalRecord {
    /// Decision id.
    pub decision_id: String,
    /// Agency.
    pub agency_id: String,
    /// Category of the reason (public).
    pub reason_kind: WithdrawReason,
    /// The reason in words (staff only).
    pub reason: String,
    /// Who withdrew it (user id).
    pub by_user: String,
    /// When.
    pub at: DateTime<Utc>,
    /// Beijing date.
    pub withdrawn_on: NaiveDate,
}

/// The columns of a decision a public record may be built from (R-POST-2): no
/// ID number of a person and no confidential notes are ever in here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicSource {
    /// Decision id.
    pub id: String,
    /// Agency.
    pub agency_id: String,
    /// Kind.
    pub kind: DecisionKind,
    /// Title (masked before it is shown).
    pub title: String,
    /// Document number.
    pub doc_number: String,
    /// Decision date.
    pub decided_on: NaiveDate,
    /// Enforcement category.
    pub category: String,
    /// Company or natural person.
    pub party_kind: PartyKind,
    /// The party's name (a person's real name: only used to mask it, R-POST-2).
    pub party_name: String,
    /// The credit code of a company; always empty for a natural person.
    pub company_code: String,
    /// Legal basis (masked before it is shown).
    pub legal_basis: String,
    /// The decision's conclusion (masked before it is shown).
    pub conclusion: String,
    /// Fine in fen.
    pub fine_fen: Option<i64>,
}

/// One line of the staff publishing queue: a decision and where its publication stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueEntry {
    /// The decision (public columns only).
    pub source: PublicSource,
    /// The publication, once filed.
    pub publication: Option<PublicationRecord>,
    /// The withdrawal, if withdrawn.
    pub withdrawal: Option<WithdrawalRecord>,
}

/// One entry of the publication history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicationEvent {
    /// Order.
    pub seq: i64,
    /// Decision id.
    pub decision_id: String,
    /// filed | reviewed | published | withdrawn.
    pub kind: String,
    /// Who (user id).
    pub by_user: String,
    /// When.
    pub at: DateTime<Utc>,
    /// Details (JSON object).
    pub detail: serde_json::Value,
}

/// One step of the publishing workflow (R-POST-7), carried out in one transaction
/// with its history entry; the state it needs is checked inside the transaction.
#[derive(Debug, Clone)]
pub enum PublicationStep {
    /// 填报: creates the publication (Conflict if it exists).
    File {
        /// Decision id.
        decision_id: String,
        /// The body's name as published.
        public_body: String,
        /// The target as published (masked).
        public_target: String,
        /// The company's credit code (empty for a person).
        public_code: String,
        /// Filer.
        by: String,
        /// When.
        at: DateTime<Utc>,
    },
    /// 审核: needs a filed, unreviewed publication and a reviewer who is not the filer.
    Review {
        /// Decision id.
        decision_id: String,
        /// Reviewer.
        by: String,
        /// When.
        at: DateTime<Utc>,
    },
    /// 审批 = publication: needs a reviewed, unapproved publication and an approver
    /// who is neither the filer nor the reviewer.
    Approve {
        /// Decision id.
        decision_id: String,
        /// Approver.
        by: String,
        /// When (the server's clock; never back-dated).
        at: DateTime<Utc>,
        /// Beijing date of `at`.
        published_on: NaiveDate,
        /// Deadline (None: no calendar data).
        due_on: Option<NaiveDate>,
        /// Late (None: unknown).
        late: Option<bool>,
        /// Working days late.
        late_working_days: Option<u32>,
    },
    /// 撤回 (R-POST-3): needs a published, not yet withdrawn decision.
    Withdraw(WithdrawalRecord),
}

impl PublicationStep {
    /// The decision concerned.
    pub fn decision_id(&self) -> &str {
        match self {
            PublicationStep::File { decision_id, .. }
            | PublicationStep::Review { decision_id, .. }
            | PublicationStep::Approve { decision_id, .. } => decision_id,
            PublicationStep::Withdraw(w) => &w.decision_id,
        }
    }
    /// Stable action name (forms, history).
    pub fn action(&self) -> &'static str {
        match self {
            PublicationStep::File { .. } => "filed",
            PublicationStep::Review { .. } => "reviewed",
            PublicationStep::Approve { .. } => "published",
            PublicationStep::Withdraw(_) => "withdrawn",
        }
    }
}

/// What became of a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepOutcome {
    /// Carried out now.
    Done,
    /// The same form was already carried out (a double submit); nothing written.
    AlreadyDone,
}

/// Filters of the public search and the open data API.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublicFilter {
    /// Part of the published target name or credit code.
    pub q: Option<String>,
    /// Enforcement category (exact).
    pub category: Option<String>,
    /// Kind.
    pub kind: Option<DecisionKind>,
    /// Decided on or after.
    pub from: Option<NaiveDate>,
    /// Decided on or before.
    pub to: Option<NaiveDate>,
    /// Agency id (exact).
    pub agency: Option<String>,
}

/// A published, not withdrawn record as found by the public search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedRow {
    /// The decision (public columns only).
    pub source: PublicSource,
    /// Its publication.
    pub publication: PublicationRecord,
}

/// The counts of one enforcement category (执法类别) of an agency in one year
/// (R-POST-5), computed from the stored records. Appeals are entered per agency
/// and are not part of it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CategoryCounts {
    /// The category as stored (e.g. 生态环境); empty: no category could be found
    /// for the record (shown as 未分类).
    pub category: String,
    /// Inspections, decisions by kind, fines and legal review opinions.
    pub counts: YearCounts,
}

/// Storage of publication records (implemented by every backend).
#[async_trait]
pub trait PublicityStorage {
    /// Carries out one workflow step; `form` is the random id of the form that
    /// asked for it (the same form again: [`StepOutcome::AlreadyDone`]). A state
    /// that does not allow the step, or a person who already took part (R-POST-7),
    /// is [`super::StorageError::Conflict`] with a Chinese message.
    async fn publication_step(
        &self,
        form: Option<&str>,
        step: &PublicationStep,
    ) -> StorageResult<StepOutcome>;
    /// The publishing queue of an agency: every decision, newest decision first.
    async fn publication_queue(&self, agency_id: &str) -> StorageResult<Vec<QueueEntry>>;
    /// One decision of the queue (None: no such decision).
    async fn publication_entry(&self, decision_id: &str) -> StorageResult<Option<QueueEntry>>;
    /// The history of a decision's publication, oldest first.
    async fn publication_events(&self, decision_id: &str) -> StorageResult<Vec<PublicationEvent>>;
    /// Published, not withdrawn records matching `filter`, newest decision first
    /// (ties by id), and how many match in all.
    async fn search_published(
        &self,
        filter: &PublicFilter,
        offset: u64,
        limit: u32,
    ) -> StorageResult<(Vec<PublishedRow>, u64)>;
    /// Agencies (id, body name) and categories that have published records.
    async fn published_facets(&self) -> StorageResult<(Vec<(String, String)>, Vec<String>)>;
    /// The counts of an agency in `year` per enforcement category (R-POST-5),
    /// ordered by category; every record counts in exactly one category, so the
    /// categories add up to the agency's total. Inspections (opened between `from`
    /// inclusive and `to` exclusive, the year's bounds in Beijing time) count under
    /// their task's category, an inspection without a task under its target's
    /// catalogued category; decisions (decided in `year`) under their own category;
    /// legal review opinions (given between `from` and `to`) under the category of
    /// the version reviewed. A record whose category cannot be found counts under
    /// the empty category.
    async fn year_counts_by_category(
        &self,
        agency_id: &str,
        year: i32,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StorageResult<Vec<CategoryCounts>>;
}
