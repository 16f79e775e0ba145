//! Plain records and enums crossing the FFI boundary, and their conversions from the
//! core's types. No decisions are made here: every value is copied as the core holds it.

use std::time::SystemTime;

use chrono::{DateTime, Utc};
use liuhen_core::api::Captured;
use liuhen_core::inspection::{
    Acknowledgement, EvidenceKind, EvidenceRef, Inspection, InspectionKind, InspectionStep,
    ReviewOutcome,
};
use liuhen_core::model::{
    CertificateStatus, Officer, RightsNoticeText, RosterSnapshot, Task, TaskSource, TaskStatus,
};
use liuhen_core::rules::Violation;
use liuhen_core::store::{DocumentSummary, SyncState};
use liuhen_core::sync::SyncReport;

fn time(t: DateTime<Utc>) -> SystemTime {
    SystemTime::from(t)
}

/// A time from the app, if chrono can represent it (any real clock reading can).
fn from_time(t: SystemTime) -> Option<DateTime<Utc>> {
    match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => DateTime::from_timestamp(i64::try_from(d.as_secs()).ok()?, d.subsec_nanos()),
        Err(e) => {
            let d = e.duration();
            let at = DateTime::from_timestamp(-i64::try_from(d.as_secs()).ok()?, 0)?;
            at.checked_sub_signed(chrono::Duration::nanoseconds(i64::from(d.subsec_nanos())))
        }
    }
}

/// Where a check-in or an evidence item was captured: a fix of the phone's
/// location service (GPS works offline), with its accuracy and the fix's own time.
/// The core refuses values out of range (R-REC-3); the apps pass a fix only when it
/// is fresh and precise enough, else nothing (「未取得位置」).
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct CaptureLocation {
    /// Latitude, WGS-84 degrees (-90 to 90).
    pub lat: f64,
    /// Longitude, WGS-84 degrees (-180 to 180).
    pub lon: f64,
    /// Accuracy radius the location service reported, metres (> 0).
    pub accuracy_m: f64,
    /// When the fix was taken (not the time it reached the app).
    pub fixed_at: SystemTime,
}

impl From<liuhen_core::inspection::CaptureLocation> for CaptureLocation {
    fn from(l: liuhen_core::inspection::CaptureLocation) -> Self {
        CaptureLocation {
            lat: l.lat,
            lon: l.lon,
            accuracy_m: l.accuracy_m,
            fixed_at: time(l.fixed_at),
        }
    }
}

impl TryFrom<CaptureLocation> for liuhen_core::inspection::CaptureLocation {
    type Error = crate::LiuhenError;

    fn try_from(l: CaptureLocation) -> Result<Self, Self::Error> {
        let fixed_at = from_time(l.fixed_at).ok_or_else(|| crate::LiuhenError::InvalidInput {
            field: "location.fixed_at".into(),
            detail: "R-REC-3: 定位时间无效".into(),
        })?;
        Ok(liuhen_core::inspection::CaptureLocation {
            lat: l.lat,
            lon: l.lon,
            accuracy_m: l.accuracy_m,
            fixed_at,
        })
    }
}

/// One unmet rule: its ID and the Chinese message (which starts with the ID).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RuleViolation {
    /// Rule ID, e.g. `R-SCENE-4`.
    pub rule: String,
    /// Message to show.
    pub message: String,
}

impl From<Violation> for RuleViolation {
    fn from(v: Violation) -> Self {
        RuleViolation {
            rule: v.rule,
            message: v.message,
        }
    }
}

/// An officer of the cached roster (执法人员).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct OfficerView {
    /// Roster id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Unit.
    pub unit: String,
    /// Post.
    pub post: String,
    /// Certificate number.
    pub certificate_no: String,
    /// Enforcement categories.
    pub categories: Vec<String>,
    /// Area codes.
    pub areas: Vec<String>,
    /// Last valid day, `YYYY-MM-DD`.
    pub valid_until: String,
    /// Whether the certificate is active (not suspended or revoked).
    pub active: bool,
}

impl From<&Officer> for OfficerView {
    fn from(o: &Officer) -> Self {
        OfficerView {
            id: o.id.clone(),
            name: o.name.clone(),
            unit: o.unit.clone(),
            post: o.post.clone(),
            certificate_no: o.certificate_no.clone(),
            categories: o.categories.clone(),
            areas: o.areas.clone(),
            valid_until: o.valid_until.to_string(),
            active: o.status == CertificateStatus::Active,
        }
    }
}

/// A task from the draws (or assigned by hand), as the officer's task list shows it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct TaskView {
    /// Task id.
    pub id: String,
    /// Target id.
    pub target_id: String,
    /// Target name.
    pub target_name: String,
    /// Target address.
    pub target_address: String,
    /// Spot-check item code.
    pub item_code: String,
    /// Spot-check item name.
    pub item_name: String,
    /// Legal basis of the item.
    pub legal_basis: String,
    /// Enforcement category.
    pub category: String,
    /// Officers assigned.
    pub officer_ids: Vec<String>,
    /// Their names, in the same order (empty when not in the roster).
    pub officer_names: Vec<String>,
    /// Last day, `YYYY-MM-DD`.
    pub due_date: String,
    /// Whether it came from a double-random draw (双随机).
    pub from_draw: bool,
    /// Whether the agency cancelled it.
    pub cancelled: bool,
    /// Reason for a cancellation or reassignment.
    pub note: Option<String>,
    /// The inspection recorded for it on this device, if any (latest first).
    pub inspection_id: Option<String>,
}

/// Builds the task list rows from the roster and the device's inspections.
pub fn task_views(
    roster: &RosterSnapshot,
    tasks: Vec<Task>,
    docs: &[DocumentSummary],
) -> Vec<TaskView> {
    tasks
        .into_iter()
        .map(|t| {
            let target = roster.targets.iter().find(|x| x.id == t.target_id);
            let officer_names = t
                .officer_ids
                .iter()
                .map(|id| {
                    roster
                        .officers
                        .iter()
                        .find(|o| &o.id == id)
                        .map(|o| o.name.clone())
                        .unwrap_or_default()
                })
                .collect();
            let inspection_id = docs
                .iter()
                .filter(|d| d.task_id.as_deref() == Some(t.id.as_str()))
                .max_by_key(|d| d.updated_at)
                .map(|d| d.id.clone());
            TaskView {
                target_name: target.map(|x| x.name.clone()).unwrap_or_default(),
                target_address: target.map(|x| x.address.clone()).unwrap_or_default(),
                item_code: t.item.code,
                item_name: t.item.name,
                legal_basis: t.item.legal_basis,
                category: t.category,
                officer_names,
                due_date: t.due_date.to_string(),
                from_draw: t.source == TaskSource::Draw,
                cancelled: t.status == TaskStatus::Cancelled,
                note: t.note,
                inspection_id,
                officer_ids: t.officer_ids,
                target_id: t.target_id,
                id: t.id,
            }
        })
        .collect()
}

/// Sync state of one record on this device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum SyncStatus {
    /// Changed here, not yet confirmed by the server.
    Pending,
    /// Being synced now.
    Syncing,
    /// The server has everything.
    Synced,
    /// The server refused it; see the reason.
    NeedsAttention,
}

impl From<SyncState> for SyncStatus {
    fn from(s: SyncState) -> Self {
        match s {
            SyncState::Pending => SyncStatus::Pending,
            SyncState::Syncing => SyncStatus::Syncing,
            SyncState::Synced => SyncStatus::Synced,
            SyncState::NeedsAttention => SyncStatus::NeedsAttention,
        }
    }
}

/// One row of the device's record list, with its sync state.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RecordSummary {
    /// Inspection id.
    pub id: String,
    /// Target name.
    pub target_name: String,
    /// Task id, if any.
    pub task_id: Option<String>,
    /// Whether it was closed on site.
    pub closed: bool,
    /// Last change on this device.
    pub updated_at: SystemTime,
    /// Sync state.
    pub sync_status: SyncStatus,
    /// Why it needs attention, if it does.
    pub sync_reason: Option<String>,
}

impl From<DocumentSummary> for RecordSummary {
    fn from(d: DocumentSummary) -> Self {
        RecordSummary {
            closed: d.status == "closed",
            updated_at: time(d.updated_at),
            sync_status: d.sync_state.into(),
            id: d.id,
            target_name: d.target_name,
            task_id: d.task_id,
            sync_reason: d.sync_reason,
        }
    }
}

/// Kind of an evidence file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum EvidenceType {
    /// Photo.
    Photo,
    /// Audio recording.
    Audio,
    /// Video recording.
    Video,
    /// Signature image.
    Signature,
    /// Other document (scan, PDF).
    Document,
}

impl From<EvidenceType> for EvidenceKind {
    fn from(k: EvidenceType) -> Self {
        match k {
            EvidenceType::Photo => EvidenceKind::Photo,
            EvidenceType::Audio => EvidenceKind::Audio,
            EvidenceType::Video => EvidenceKind::Video,
            EvidenceType::Signature => EvidenceKind::Signature,
            EvidenceType::Document => EvidenceKind::Document,
        }
    }
}

impl From<EvidenceKind> for EvidenceType {
    fn from(k: EvidenceKind) -> Self {
        match k {
            EvidenceKind::Photo => EvidenceType::Photo,
            EvidenceKind::Audio => EvidenceType::Audio,
            EvidenceKind::Video => EvidenceType::Video,
            EvidenceKind::Signature => EvidenceType::Signature,
            EvidenceKind::Document => EvidenceType::Document,
        }
    }
}

/// Step of the inspection a piece of evidence belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Step {
    /// Identity notice (亮证告知).
    IdentityNotice,
    /// Findings (检查情况).
    Findings,
    /// Rights notice and signature (权利告知).
    RightsNotice,
    /// Amendment after close (更正).
    Amendment,
}

impl From<Step> for InspectionStep {
    fn from(s: Step) -> Self {
        match s {
            Step::IdentityNotice => InspectionStep::IdentityNotice,
            Step::Findings => InspectionStep::Findings,
            Step::RightsNotice => InspectionStep::RightsNotice,
            Step::Amendment => InspectionStep::Amendment,
        }
    }
}

impl From<InspectionStep> for Step {
    fn from(s: InspectionStep) -> Self {
        match s {
            InspectionStep::IdentityNotice => Step::IdentityNotice,
            InspectionStep::Findings => Step::Findings,
            InspectionStep::RightsNotice => Step::RightsNotice,
            InspectionStep::Amendment => Step::Amendment,
        }
    }
}

/// What the app knows about a file it hands to the core.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct CaptureRequest {
    /// Kind of evidence.
    pub kind: EvidenceType,
    /// MIME type as the camera or recorder gave it.
    pub media_type: String,
    /// Step it belongs to.
    pub step: Step,
    /// Where it was captured, if the phone had a good fix; none otherwise.
    #[uniffi(default = None)]
    pub location: Option<CaptureLocation>,
}

/// What capturing produced: the evidence hash and, for images, what to display.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct CapturedEvidence {
    /// SHA-256 of the original (the evidence reference).
    pub sha256: String,
    /// Kind.
    pub kind: EvidenceType,
    /// Size of the original.
    pub size_bytes: u64,
    /// Width as displayed (images).
    pub width: Option<u32>,
    /// Height as displayed (images).
    pub height: Option<u32>,
    /// SHA-256 of the thumbnail JPEG (images); its file via `evidence_file`.
    pub thumbnail_sha256: Option<String>,
    /// SHA-256 of the display copy JPEG (images).
    pub display_sha256: Option<String>,
    /// Set when the photo's EXIF was unreadable (the photo was still kept).
    pub exif_warning: Option<String>,
}

impl From<Captured> for CapturedEvidence {
    fn from(c: Captured) -> Self {
        let photo = c.photo.as_ref();
        CapturedEvidence {
            sha256: c.reference.sha256.clone(),
            kind: c.reference.kind.into(),
            size_bytes: c.reference.size_bytes,
            width: photo.map(|p| p.width),
            height: photo.map(|p| p.height),
            thumbnail_sha256: photo.map(|p| p.thumbnail.sha256.clone()),
            display_sha256: photo.map(|p| p.display.sha256.clone()),
            exif_warning: c.exif_warning,
        }
    }
}

/// How the party reacted to the rights notice.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum PartyResponse {
    /// The party signed on the signature pad.
    Signed {
        /// Signer's name.
        signer_name: String,
        /// SHA-256 of the captured signature image.
        signature_sha256: String,
    },
    /// The party refused to sign; a witness confirms.
    Refused {
        /// Witness name.
        witness_name: String,
        /// Reason as stated (may be empty).
        reason: String,
    },
}

impl From<PartyResponse> for Acknowledgement {
    fn from(p: PartyResponse) -> Self {
        match p {
            PartyResponse::Signed {
                signer_name,
                signature_sha256,
            } => Acknowledgement::Signed {
                signer_name,
                signature_sha256,
            },
            PartyResponse::Refused {
                witness_name,
                reason,
            } => Acknowledgement::Refused {
                witness_name,
                reason,
            },
        }
    }
}

impl From<Acknowledgement> for PartyResponse {
    fn from(a: Acknowledgement) -> Self {
        match a {
            Acknowledgement::Signed {
                signer_name,
                signature_sha256,
            } => PartyResponse::Signed {
                signer_name,
                signature_sha256,
            },
            Acknowledgement::Refused {
                witness_name,
                reason,
            } => PartyResponse::Refused {
                witness_name,
                reason,
            },
        }
    }
}

/// The rights-notice step as the app records it (R-SCENE-4): the version of the
/// agency's notice the officer read (from `agency_rights_notice`) and the party's
/// response. The core records that text's remedy channels itself.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RightsNoticeRequest {
    /// Version of the agency's notice that was shown or read.
    pub notice_version: String,
    /// Signed or refused.
    pub response: PartyResponse,
}

/// The agency's rights notice (权利告知书, R-SCENE-4) as the server sent it with the
/// roster: both apps show this text, never their own.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AgencyRightsNotice {
    /// Version tag recorded with each notice given.
    pub version: String,
    /// The full text read to the party.
    pub text: String,
    /// Remedy channels it tells (行政复议、行政诉讼 ...), in reading order.
    pub remedy_channels: Vec<String>,
}

impl From<RightsNoticeText> for AgencyRightsNotice {
    fn from(t: RightsNoticeText) -> Self {
        AgencyRightsNotice {
            version: t.version,
            text: t.text,
            remedy_channels: t.remedy_channels,
        }
    }
}

/// An officer checked in to an inspection.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct TeamMemberView {
    /// Roster id.
    pub officer_id: String,
    /// Name.
    pub name: String,
    /// Certificate number.
    pub certificate_no: String,
    /// When they checked in.
    pub checked_in_at: SystemTime,
    /// Where they checked in, if the phone had a good fix (R-REC-3).
    #[uniffi(default = None)]
    pub location: Option<CaptureLocation>,
}

/// The identity notice as given.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct IdentityNoticeView {
    /// Statement spoken.
    pub statement: String,
    /// SHA-256 of the recording.
    pub recording_sha256: String,
    /// When.
    pub given_at: SystemTime,
    /// Officer who spoke.
    pub given_by: String,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FindingView {
    /// Finding id.
    pub id: String,
    /// Text.
    pub text: String,
    /// Author officer id.
    pub author: String,
    /// When.
    pub at: SystemTime,
    /// Evidence hashes it points at.
    pub evidence: Vec<String>,
}

/// One evidence item attached to the inspection.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct EvidenceView {
    /// SHA-256 of the original.
    pub sha256: String,
    /// Kind.
    pub kind: EvidenceType,
    /// MIME type.
    pub media_type: String,
    /// Size in bytes.
    pub size_bytes: u64,
    /// When it was captured.
    pub captured_at: SystemTime,
    /// Officer who captured it.
    pub captured_by: String,
    /// Step.
    pub step: Step,
    /// Where it was captured (with accuracy and fix time), if recorded; evidence
    /// of older app versions may have bare coordinates only, not shown here.
    #[uniffi(default = None)]
    pub location: Option<CaptureLocation>,
}

impl From<EvidenceRef> for EvidenceView {
    fn from(e: EvidenceRef) -> Self {
        let location = e.location().map(CaptureLocation::from);
        EvidenceView {
            location,
            sha256: e.sha256,
            kind: e.kind.into(),
            media_type: e.media_type,
            size_bytes: e.size_bytes,
            captured_at: time(e.captured_at),
            captured_by: e.captured_by,
            step: e.step.into(),
        }
    }
}

/// The rights notice as given.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RightsNoticeView {
    /// Notice text version.
    pub notice_version: String,
    /// Remedy channels told.
    pub remedy_channels: Vec<String>,
    /// Signed or refused.
    pub response: PartyResponse,
    /// When.
    pub given_at: SystemTime,
    /// Officer who gave it.
    pub given_by: String,
}

/// An amendment after close (更正).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AmendmentView {
    /// Amendment id.
    pub id: String,
    /// What it corrects (finding id or field).
    pub amends: String,
    /// Text.
    pub text: String,
    /// Author officer id.
    pub author: String,
    /// When.
    pub at: SystemTime,
}

/// The supervisor's decision on the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ReviewVerdict {
    /// Approved (审核通过).
    Approved,
    /// Returned with comments (退回补正).
    Returned,
}

/// A supervisor's comment, shown on the record.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ReviewCommentView {
    /// Comment id.
    pub id: String,
    /// Supervisor's name.
    pub author_name: String,
    /// When.
    pub at: SystemTime,
    /// Text.
    pub text: String,
    /// The item it is about (finding id, step), if any.
    pub item: Option<String>,
}

/// Two values written concurrently for one field; both are kept (shown one first).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ConflictView {
    /// Field path.
    pub path: String,
    /// The values.
    pub values: Vec<String>,
}

/// A whole inspection as the record screen shows it.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct InspectionView {
    /// Inspection id.
    pub id: String,
    /// Whether it belongs to a task (else ad hoc).
    pub from_task: bool,
    /// Task id, if any.
    pub task_id: Option<String>,
    /// Agency name.
    pub agency_name: String,
    /// Target name.
    pub target_name: String,
    /// Target address.
    pub target_address: String,
    /// Whether the target is a natural person.
    pub target_is_natural_person: bool,
    /// Enforcement category.
    pub category: String,
    /// Item name.
    pub item_name: String,
    /// Legal basis.
    pub legal_basis: String,
    /// When it was opened.
    pub opened_at: SystemTime,
    /// Officers checked in.
    pub team: Vec<TeamMemberView>,
    /// The identity notice, once given.
    pub identity_notice: Option<IdentityNoticeView>,
    /// Findings.
    pub findings: Vec<FindingView>,
    /// Evidence.
    pub evidence: Vec<EvidenceView>,
    /// The rights notice, once given.
    pub rights_notice: Option<RightsNoticeView>,
    /// When it was closed on site.
    pub closed_at: Option<SystemTime>,
    /// Amendments after close.
    pub amendments: Vec<AmendmentView>,
    /// The supervisor's decision, once made.
    pub review_verdict: Option<ReviewVerdict>,
    /// Name of the supervisor who decided.
    pub reviewed_by: Option<String>,
    /// Supervisor comments.
    pub review_comments: Vec<ReviewCommentView>,
    /// Concurrent values kept side by side.
    pub conflicts: Vec<ConflictView>,
}

impl From<Inspection> for InspectionView {
    fn from(i: Inspection) -> Self {
        let m = i.meta;
        InspectionView {
            id: m.id,
            from_task: m.kind == InspectionKind::Task,
            task_id: m.task_id,
            agency_name: m.agency_name,
            target_name: m.target_name,
            target_address: m.target_address,
            target_is_natural_person: m.target_is_natural_person,
            category: m.category,
            item_name: m.item_name,
            legal_basis: m.legal_basis,
            opened_at: time(m.opened_at),
            team: i
                .team
                .into_iter()
                .map(|t| TeamMemberView {
                    officer_id: t.officer_id,
                    name: t.name,
                    certificate_no: t.certificate_no,
                    checked_in_at: time(t.checked_in_at),
                    location: t.location.map(CaptureLocation::from),
                })
                .collect(),
            identity_notice: i.identity_notice.map(|n| IdentityNoticeView {
                statement: n.statement,
                recording_sha256: n.recording_sha256,
                given_at: time(n.given_at),
                given_by: n.given_by,
            }),
            findings: i
                .findings
                .into_iter()
                .map(|f| FindingView {
                    id: f.id,
                    text: f.text,
                    author: f.author,
                    at: time(f.at),
                    evidence: f.evidence,
                })
                .collect(),
            evidence: i.evidence.into_iter().map(EvidenceView::from).collect(),
            rights_notice: i.rights_notice.map(|r| RightsNoticeView {
                notice_version: r.notice_version,
                remedy_channels: r.remedy_channels,
                response: r.acknowledgement.into(),
                given_at: time(r.given_at),
                given_by: r.given_by,
            }),
            closed_at: i.closure.map(|c| time(c.closed_at)),
            amendments: i
                .amendments
                .into_iter()
                .map(|a| AmendmentView {
                    id: a.id,
                    amends: a.amends,
                    text: a.text,
                    author: a.author,
                    at: time(a.at),
                })
                .collect(),
            review_verdict: i.review.decision.as_ref().map(|d| match d.decision {
                ReviewOutcome::Approved => ReviewVerdict::Approved,
                ReviewOutcome::Returned => ReviewVerdict::Returned,
            }),
            reviewed_by: i.review.decision.map(|d| d.decided_by_name),
            review_comments: i
                .review
                .comments
                .into_iter()
                .map(|c| ReviewCommentView {
                    id: c.id,
                    author_name: c.author_name,
                    at: time(c.at),
                    text: c.text,
                    item: c.item,
                })
                .collect(),
            conflicts: i
                .conflicts
                .into_iter()
                .map(|c| ConflictView {
                    path: c.path,
                    values: c.values,
                })
                .collect(),
        }
    }
}

/// A record the server refused or that stays pending, with why.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RecordProblem {
    /// Inspection id.
    pub id: String,
    /// Why, in Chinese.
    pub reason: String,
}

/// What one sync run did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SyncSummary {
    /// HTTP requests made.
    pub requests: u32,
    /// Bytes sent.
    pub bytes_sent: u64,
    /// Bytes received.
    pub bytes_received: u64,
    /// Records the server now has in full.
    pub synced: Vec<String>,
    /// Records the server refused (the officer must look).
    pub needs_attention: Vec<RecordProblem>,
    /// Records still waiting (e.g. an upload failed), with why.
    pub still_pending: Vec<RecordProblem>,
    /// Records that arrived for the first time.
    pub received_new: Vec<String>,
    /// Records that received changes (e.g. a supervisor's comment).
    pub received_changes: Vec<String>,
    /// Evidence files uploaded.
    pub blobs_uploaded: u32,
    /// Whether a new roster or task list arrived.
    pub roster_updated: bool,
    /// Device clock minus server clock, in seconds, if measured.
    pub clock_skew_seconds: Option<i64>,
    /// Drafts of decisions the server now has in full.
    pub drafts_synced: Vec<String>,
    /// Drafts that received changes made on the server.
    pub drafts_received: Vec<String>,
    /// Drafts whose changes the server refused (kept on the phone), with why.
    pub drafts_refused: Vec<RecordProblem>,
    /// Drafts not sent this time, with why.
    pub drafts_pending: Vec<RecordProblem>,
    /// Whether the run finished; `false` when it stopped at its round bound with
    /// exchanges still due (the app says so and syncs again soon).
    pub complete: bool,
}

impl From<SyncReport> for SyncSummary {
    fn from(r: SyncReport) -> Self {
        let problems = |v: Vec<(String, String)>| {
            v.into_iter()
                .map(|(id, reason)| RecordProblem { id, reason })
                .collect()
        };
        SyncSummary {
            requests: r.requests,
            bytes_sent: r.bytes_sent,
            bytes_received: r.bytes_received,
            synced: r.synced,
            needs_attention: problems(r.needs_attention),
            still_pending: problems(r.still_pending),
            received_new: r.received_new,
            received_changes: r.received_changes,
            blobs_uploaded: u32::try_from(r.blobs_uploaded.len()).unwrap_or(u32::MAX),
            roster_updated: r.roster_updated,
            clock_skew_seconds: r.clock_skew_seconds,
            drafts_synced: r.drafts_synced,
            drafts_received: r.drafts_received,
            drafts_refused: problems(r.drafts_refused),
            drafts_pending: problems(r.drafts_pending),
            complete: r.complete,
        }
    }
}

/// The officer a device was enrolled for.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Enrollment {
    /// Server address.
    pub server_url: String,
    /// User name.
    pub user_name: String,
    /// Roster officer id, for officers.
    pub officer_id: Option<String>,
}

/// What the records list observer receives: every record with its sync state, and
/// whether a sync is under way.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RecordsSnapshot {
    /// Every record on the device, latest change first.
    pub records: Vec<RecordSummary>,
    /// Whether a sync run is under way.
    pub syncing: bool,
}
