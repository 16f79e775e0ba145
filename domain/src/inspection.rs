//! Plain types of an inspection record (检查记录) as the typed document API reads and
//! writes them. No automerge here: see [`crate::doc`] for the mapping.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// How an inspection was started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InspectionKind {
    /// For a task from a draw or an assignment.
    Task,
    /// Ad hoc, for a target without a task (e.g. a complaint on the spot).
    AdHoc,
}

impl InspectionKind {
    /// Stable text stored in the document.
    pub fn as_str(self) -> &'static str {
        match self {
            InspectionKind::Task => "task",
            InspectionKind::AdHoc => "adhoc",
        }
    }
    /// Parses the stored text.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "task" => Some(InspectionKind::Task),
            "adhoc" => Some(InspectionKind::AdHoc),
            _ => None,
        }
    }
}

/// What an inspection is about; written once when it is opened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InspectionMeta {
    /// Inspection id (UUIDv7 made on the device).
    pub id: String,
    /// Task or ad hoc.
    pub kind: InspectionKind,
    /// The task, when `kind` is `Task`.
    pub task_id: Option<String>,
    /// The agency.
    pub agency_id: String,
    /// The agency's name, for the statement and printed record.
    pub agency_name: String,
    /// Target id.
    pub target_id: String,
    /// Target name at the time of the inspection.
    pub target_name: String,
    /// Target credit code, if it has one.
    pub target_credit_code: Option<String>,
    /// Site address.
    pub target_address: String,
    /// Area (division code) of the site.
    pub target_area: String,
    /// Whether the party is a natural person (masked when published).
    pub target_is_natural_person: bool,
    /// Enforcement category.
    pub category: String,
    /// Spot-check item code.
    pub item_code: String,
    /// Spot-check item name (the action stated in the identity notice).
    pub item_name: String,
    /// Legal basis of the check (told to the party, R-SCENE-4); empty if none given.
    pub legal_basis: String,
    /// When the inspection was opened.
    pub opened_at: DateTime<Utc>,
    /// Officer who opened it.
    pub opened_by: String,
    /// Device that opened it.
    pub device_id: String,
}

/// Where a check-in or an evidence item was captured: a position fix from the
/// device's location service (GPS works offline), with its accuracy and the fix's
/// own time (R-REC-3: the record states the place of the on-site action).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CaptureLocation {
    /// Latitude, WGS-84 degrees, in [-90, 90].
    pub lat: f64,
    /// Longitude, WGS-84 degrees, in [-180, 180].
    pub lon: f64,
    /// Accuracy radius the location service reported, metres (finite, > 0).
    pub accuracy_m: f64,
    /// When the fix was taken (device clock); not after the capture time by more
    /// than [`MAX_FIX_AHEAD_MS`].
    pub fixed_at: DateTime<Utc>,
}

/// How far a fix's time may lie after the capture it is recorded with (clock
/// granularity of the location service), in milliseconds.
pub const MAX_FIX_AHEAD_MS: i64 = 60_000;

/// A location value out of its range (R-REC-3): the field (`lat`, `lon`,
/// `accuracy_m`, `fixed_at`) and the Chinese reason, starting with the rule ID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct LocationProblem {
    /// The offending field of the location.
    pub field: &'static str,
    /// Chinese explanation, starting with `R-REC-3`.
    pub reason: String,
}

impl CaptureLocation {
    /// Checks every field's range, and that the fix was not taken after
    /// `captured_at` (the check-in or capture time) by more than [`MAX_FIX_AHEAD_MS`].
    pub fn check(&self, captured_at: DateTime<Utc>) -> Result<(), LocationProblem> {
        check_location_number("lat", self.lat)?;
        check_location_number("lon", self.lon)?;
        check_location_number("accuracy_m", self.accuracy_m)?;
        check_fix_time(self.fixed_at, captured_at)
    }
}

/// Coordinates as records word them: 「北纬 23.68120，东经 113.05610」.
pub fn coordinates_text(lat: f64, lon: f64) -> String {
    let ns = if lat >= 0.0 { "北纬" } else { "南纬" };
    let ew = if lon >= 0.0 { "东经" } else { "西经" };
    format!("{ns} {:.5}，{ew} {:.5}", lat.abs(), lon.abs())
}

impl CaptureLocation {
    /// The position as records show it, with the fix time in the caller's words
    /// (Beijing time): 「北纬 23.68120，东经 113.05610，精度约 8 米，<time> 定位」.
    pub fn text(&self, time: impl Fn(DateTime<Utc>) -> String) -> String {
        format!(
            "{}，精度约 {} 米，{} 定位",
            coordinates_text(self.lat, self.lon),
            self.accuracy_m.round().max(1.0) as i64,
            time(self.fixed_at)
        )
    }
}

/// Checks one numeric field of a location (`lat`, `lon`, `accuracy_m`) as stored in
/// a document; other keys pass. The server's write rules call this for every value
/// a device writes there.
pub fn check_location_number(field: &'static str, v: f64) -> Result<(), LocationProblem> {
    let bad = |reason: String| {
        Err(LocationProblem {
            field,
            reason: format!("R-REC-3: {reason}"),
        })
    };
    match field {
        "lat" if !(v.is_finite() && (-90.0..=90.0).contains(&v)) => {
            bad(format!("位置的纬度（lat）{v} 无效，应在 -90 到 90 之间"))
        }
        "lon" if !(v.is_finite() && (-180.0..=180.0).contains(&v)) => {
            bad(format!("位置的经度（lon）{v} 无效，应在 -180 到 180 之间"))
        }
        "accuracy_m" if !(v.is_finite() && v > 0.0) => bad(format!(
            "位置的精度（accuracy_m）{v} 米无效，应为大于 0 的有限数"
        )),
        _ => Ok(()),
    }
}

/// Checks that a fix taken at `fixed_at` may go on a record made at `captured_at`.
pub fn check_fix_time(
    fixed_at: DateTime<Utc>,
    captured_at: DateTime<Utc>,
) -> Result<(), LocationProblem> {
    if (fixed_at - captured_at).num_milliseconds() > MAX_FIX_AHEAD_MS {
        return Err(LocationProblem {
            field: "fixed_at",
            reason: format!(
                "R-REC-3: 定位时间（fixed_at）{} 晚于记录时间 {}，超过允许的 {} 秒时钟误差",
                crate::time::local_text_seconds(fixed_at),
                crate::time::local_text_seconds(captured_at),
                MAX_FIX_AHEAD_MS / 1000
            ),
        });
    }
    Ok(())
}

/// One officer checked in to the team (R-SCENE-1, R-SCENE-2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeamMember {
    /// Officer id on the roster.
    pub officer_id: String,
    /// Name at check-in.
    pub name: String,
    /// Certificate number shown at check-in.
    pub certificate_no: String,
    /// Last valid day of the certificate at check-in.
    pub certificate_valid_until: chrono::NaiveDate,
    /// When the officer checked in.
    pub checked_in_at: DateTime<Utc>,
    /// Device that recorded the check-in.
    pub device_id: String,
    /// Where the officer checked in, if the device had a good fix (schema v4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<CaptureLocation>,
}

/// Kind of an evidence item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceKind {
    /// A photo.
    Photo,
    /// An audio recording.
    Audio,
    /// A video recording.
    Video,
    /// A signature image.
    Signature,
    /// Any other document (scan, PDF).
    Document,
}

impl EvidenceKind {
    /// Stable text stored in the document.
    pub fn as_str(self) -> &'static str {
        match self {
            EvidenceKind::Photo => "photo",
            EvidenceKind::Audio => "audio",
            EvidenceKind::Video => "video",
            EvidenceKind::Signature => "signature",
            EvidenceKind::Document => "document",
        }
    }
    /// Parses the stored text.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "photo" => EvidenceKind::Photo,
            "audio" => EvidenceKind::Audio,
            "video" => EvidenceKind::Video,
            "signature" => EvidenceKind::Signature,
            "document" => EvidenceKind::Document,
            _ => return None,
        })
    }
    /// Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            EvidenceKind::Photo => "照片",
            EvidenceKind::Audio => "录音",
            EvidenceKind::Video => "录像",
            EvidenceKind::Signature => "签名",
            EvidenceKind::Document => "文件",
        }
    }
}

/// The step of the inspection an item of evidence was captured for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InspectionStep {
    /// The identity notice (亮证告知).
    IdentityNotice,
    /// Findings (检查情况).
    Findings,
    /// The rights notice and signature (权利告知).
    RightsNotice,
    /// An amendment after close.
    Amendment,
}

impl InspectionStep {
    /// Stable text stored in the document.
    pub fn as_str(self) -> &'static str {
        match self {
            InspectionStep::IdentityNotice => "identity_notice",
            InspectionStep::Findings => "findings",
            InspectionStep::RightsNotice => "rights_notice",
            InspectionStep::Amendment => "amendment",
        }
    }
    /// Parses the stored text.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "identity_notice" => InspectionStep::IdentityNotice,
            "findings" => InspectionStep::Findings,
            "rights_notice" => InspectionStep::RightsNotice,
            "amendment" => InspectionStep::Amendment,
            _ => return None,
        })
    }
}

/// A reference from the document to an evidence blob, addressed by SHA-256.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvidenceRef {
    /// Lower-case hex SHA-256 of the original bytes.
    pub sha256: String,
    /// Photo, audio, ...
    pub kind: EvidenceKind,
    /// MIME type, e.g. `image/jpeg`.
    pub media_type: String,
    /// Size of the original in bytes.
    pub size_bytes: u64,
    /// When it was captured (device clock).
    pub captured_at: DateTime<Utc>,
    /// Officer who captured it.
    pub captured_by: String,
    /// Device that captured it.
    pub device_id: String,
    /// Step it belongs to.
    pub step: InspectionStep,
    /// Latitude, if the device knew it.
    pub lat: Option<f64>,
    /// Longitude, if the device knew it.
    pub lon: Option<f64>,
    /// Accuracy of `lat`/`lon` in metres (schema v4; absent on older evidence).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accuracy_m: Option<f64>,
    /// When the position was fixed (schema v4; absent on older evidence).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_at: Option<DateTime<Utc>>,
}

impl EvidenceRef {
    /// The complete capture position (schema v4), if the reference has one.
    pub fn location(&self) -> Option<CaptureLocation> {
        Some(CaptureLocation {
            lat: self.lat?,
            lon: self.lon?,
            accuracy_m: self.accuracy_m?,
            fixed_at: self.fixed_at?,
        })
    }

    /// The capture position as records show it: the whole fix (see
    /// [`CaptureLocation::text`]) or, on older evidence, the bare coordinates.
    pub fn position_text(&self, time: impl Fn(DateTime<Utc>) -> String) -> Option<String> {
        match (self.location(), self.lat, self.lon) {
            (Some(l), _, _) => Some(l.text(time)),
            (None, Some(lat), Some(lon)) => Some(coordinates_text(lat, lon)),
            _ => None,
        }
    }

    /// Sets `lat`, `lon`, `accuracy_m` and `fixed_at` from a location (or clears them).
    pub fn with_location(mut self, l: Option<CaptureLocation>) -> Self {
        self.lat = l.map(|l| l.lat);
        self.lon = l.map(|l| l.lon);
        self.accuracy_m = l.map(|l| l.accuracy_m);
        self.fixed_at = l.map(|l| l.fixed_at);
        self
    }
}

/// The spoken identity notice (亮证告知, R-SCENE-3, R-REC-3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityNotice {
    /// The statement as spoken (generated by the core, possibly adjusted).
    pub statement: String,
    /// SHA-256 of the audio (or video) recording of it.
    pub recording_sha256: String,
    /// When it was given.
    pub given_at: DateTime<Utc>,
    /// Officer who spoke it.
    pub given_by: String,
}

/// One free-text finding (检查情况).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Finding id (UUIDv7).
    pub id: String,
    /// The text.
    pub text: String,
    /// Officer who wrote it.
    pub author: String,
    /// When.
    pub at: DateTime<Utc>,
    /// Evidence hashes the finding points at.
    pub evidence: Vec<String>,
}

/// How the party reacted to the rights notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Acknowledgement {
    /// The party signed; the signature image is evidence.
    Signed {
        /// Signer's name.
        signer_name: String,
        /// SHA-256 of the signature image.
        signature_sha256: String,
    },
    /// The party refused to sign; a witness confirms it.
    Refused {
        /// Witness name.
        witness_name: String,
        /// Why (as stated), may be empty.
        reason: String,
    },
}

/// The rights notice given to the party (权利告知, R-SCENE-4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RightsNotice {
    /// Version of the notice text used, e.g. `2026-01`.
    pub notice_version: String,
    /// Remedy channels told to the party (复议、诉讼、投诉...).
    pub remedy_channels: Vec<String>,
    /// Signed or refused.
    pub acknowledgement: Acknowledgement,
    /// When.
    pub given_at: DateTime<Utc>,
    /// Officer who gave it.
    pub given_by: String,
}

/// Closing of the on-site record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Closure {
    /// When it was closed.
    pub closed_at: DateTime<Utc>,
    /// Officer who closed it.
    pub closed_by: String,
}

/// A correction after close: points at what it amends; nothing is erased (R-REC-5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Amendment {
    /// Amendment id (UUIDv7).
    pub id: String,
    /// What it amends: `finding:<id>`, `identity_notice`, `rights_notice`, `meta`
    /// or `amendment:<id>`.
    pub amends: String,
    /// The correction.
    pub text: String,
    /// Officer who wrote it.
    pub author: String,
    /// When.
    pub at: DateTime<Utc>,
    /// Evidence added with the amendment.
    pub evidence: Vec<String>,
}

/// A supervisor's decision on a synced inspection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewOutcome {
    /// Approved (审核通过).
    Approved,
    /// Returned to the officers with comments (退回补正).
    Returned,
}

impl ReviewOutcome {
    /// Stable text stored in the document.
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewOutcome::Approved => "approved",
            ReviewOutcome::Returned => "returned",
        }
    }
    /// Parses the stored text.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "approved" => Some(ReviewOutcome::Approved),
            "returned" => Some(ReviewOutcome::Returned),
            _ => None,
        }
    }
    /// Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            ReviewOutcome::Approved => "审核通过",
            ReviewOutcome::Returned => "退回补正",
        }
    }
}

/// The supervisor's decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewDecision {
    /// Approved or returned.
    pub decision: ReviewOutcome,
    /// Supervisor's user id.
    pub decided_by: String,
    /// Supervisor's name.
    pub decided_by_name: String,
    /// When.
    pub decided_at: DateTime<Utc>,
}

/// One comment of a supervisor on the record, optionally about one item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewComment {
    /// Comment id (UUIDv7).
    pub id: String,
    /// Supervisor's user id.
    pub author_id: String,
    /// Supervisor's name.
    pub author_name: String,
    /// When.
    pub at: DateTime<Utc>,
    /// The comment.
    pub text: String,
    /// What it is about (`finding:<id>`, `identity_notice`, ...), if one item.
    pub item: Option<String>,
}

/// The review part of an inspection.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    /// The latest decision, if any.
    pub decision: Option<ReviewDecision>,
    /// Comments in order.
    pub comments: Vec<ReviewComment>,
}

/// A field that holds more than one concurrent value after a merge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldConflict {
    /// Path in the document, e.g. `rights_notice.witness_name`.
    pub path: String,
    /// Every concurrent value, rendered as text; the first is the one `get` shows.
    pub values: Vec<String>,
}

/// Where the inspection is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InspectionStatus {
    /// Being recorded on site.
    Open,
    /// Closed on site; only amendments from now on.
    Closed,
}

/// A whole inspection as read from its document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inspection {
    /// Schema version of the document.
    pub schema_version: u64,
    /// What it is about.
    pub meta: InspectionMeta,
    /// Officers checked in, one entry per officer (earliest check-in wins).
    pub team: Vec<TeamMember>,
    /// The identity notice, once given.
    pub identity_notice: Option<IdentityNotice>,
    /// Findings in document order.
    pub findings: Vec<Finding>,
    /// Evidence references, one per hash (first reference wins).
    pub evidence: Vec<EvidenceRef>,
    /// The rights notice, once given.
    pub rights_notice: Option<RightsNotice>,
    /// The closure, once closed.
    pub closure: Option<Closure>,
    /// Amendments after close.
    pub amendments: Vec<Amendment>,
    /// The supervisor's review: decision and comments (written only by supervisors).
    pub review: Review,
    /// Fields with concurrent values (both kept, never dropped).
    pub conflicts: Vec<FieldConflict>,
}

impl Inspection {
    /// Open or closed.
    pub fn status(&self) -> InspectionStatus {
        if self.closure.is_some() {
            InspectionStatus::Closed
        } else {
            InspectionStatus::Open
        }
    }

    /// The evidence reference with this hash, if any.
    pub fn evidence_by_hash(&self, sha256: &str) -> Option<&EvidenceRef> {
        self.evidence.iter().find(|e| e.sha256 == sha256)
    }

    /// The first capture position out of range (R-REC-3), on a check-in or an
    /// evidence reference, with where it is; the server refuses a record with one.
    /// Evidence positions are checked field by field (older evidence has only
    /// `lat`/`lon`); a fix time is checked against the capture time.
    pub fn location_problem(&self) -> Option<(String, LocationProblem)> {
        for m in &self.team {
            if let Some(l) = &m.location
                && let Err(p) = l.check(m.checked_in_at)
            {
                return Some((format!("team[{}].location.{}", m.officer_id, p.field), p));
            }
        }
        for e in &self.evidence {
            let fields = [("lat", e.lat), ("lon", e.lon), ("accuracy_m", e.accuracy_m)];
            let checked = fields
                .into_iter()
                .filter_map(|(f, v)| v.map(|v| check_location_number(f, v)))
                .chain(e.fixed_at.map(|t| check_fix_time(t, e.captured_at)))
                .find_map(Result::err);
            if let Some(p) = checked {
                return Some((format!("evidence[{}].{}", e.sha256, p.field), p));
            }
        }
        None
    }
}
