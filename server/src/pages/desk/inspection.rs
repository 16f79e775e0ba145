//! The inspection page (`GET /desk/inspections/{id}`): the whole record as a
//! 现场检查笔录 for the supervisor — target, team, identity notice with its
//! recording, findings with their evidence, rights notice, closure, amendments, the
//! review so far, a timeline of every step, the rule check (every rule the checker
//! covers, R-REC-4 per evidence), the device log tamper check (R-REC-5) and merged
//! conflicts side by side. Opening it is written to the access log (R-REC-7).
//!
//! Text from the document is escaped by askama; nothing from data is marked safe.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use chrono::{DateTime, Utc};

use liuhen_domain::inspection::{
    Acknowledgement, EvidenceRef, Inspection, InspectionKind, InspectionStep,
};
use liuhen_domain::time::{beijing_seconds_text, local_date};

use super::DESK_ROLES;
use super::access::{ClientIp, record_access};
use super::evidence::{original_url, thumb_url};
use crate::api::device_log::{self, LogOutcome};
use crate::api::inspections::{DetailError, LoadedDetail, load_detail};
use crate::pages::web::page::{Layout, WebError, render};
use crate::pages::web::session::WebUser;
use crate::state::AppState;
use crate::storage::BlobRecord;
use crate::storage::access::AccessAction;

/// Routes of this page.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new().route("/desk/inspections/{id}", get(page))
}

/// Every rule the server's check covers, in the order of the record, with a short
/// Chinese name. Each is shown as met or not on the page.
pub const CHECKED_RULES: &[(&str, &str)] = &[
    (
        "R-SCENE-1",
        "执法人员持证上岗，证件有效且覆盖执法类别和区域",
    ),
    ("R-SCENE-2", "至少两名执法人员参加现场检查"),
    ("R-SCENE-3", "主动出示执法证件、表明身份"),
    ("R-REC-2", "亮证告知有音像记录"),
    ("R-REC-3", "音像记录用语完整"),
    ("R-REC-1", "文字记录检查情况"),
    ("R-SCENE-4", "告知执法事由、依据、权利义务和救济途径"),
    ("R-REC-5", "记录及证据不得删改"),
    ("R-REC-4", "音像记录 24 小时内存储到平台"),
];

fn short(sha: &str) -> String {
    sha.get(..12).unwrap_or(sha).to_string()
}

fn step_label(s: InspectionStep) -> &'static str {
    match s {
        InspectionStep::IdentityNotice => "亮证告知",
        InspectionStep::Findings => "检查情况",
        InspectionStep::RightsNotice => "权利告知",
        InspectionStep::Amendment => "更正",
    }
}

fn size_text(bytes: u64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    } else if bytes >= 1024 {
        format!("{:.1} KB", bytes as f64 / 1024.0)
    } else {
        format!("{bytes} 字节")
    }
}

/// A link from a finding or amendment to a piece of evidence.
#[derive(Debug, Clone)]
pub struct EvLink {
    /// SHA-256.
    pub sha: String,
    /// First 12 hex digits.
    pub short: String,
    /// Kind in Chinese (or 未知 when the document has no such evidence).
    pub kind: &'static str,
}

/// One piece of evidence as shown.
#[derive(Debug, Clone)]
pub struct EvidenceView {
    /// SHA-256.
    pub sha: String,
    /// First 12 hex digits.
    pub short: String,
    /// `photo`, `audio`, ...
    pub kind: &'static str,
    /// Kind in Chinese.
    pub kind_label: &'static str,
    /// Declared media type.
    pub media_type: String,
    /// Size as text.
    pub size: String,
    /// Capture time (Beijing).
    pub captured_at: String,
    /// Officer who captured it.
    pub captured_by: String,
    /// Device.
    pub device_id: String,
    /// Step in Chinese.
    pub step: &'static str,
    /// Position, if known.
    pub position: String,
    /// The server holds the verified bytes.
    pub present: bool,
    /// When they arrived (Beijing), empty if not.
    pub received_at: String,
    /// R-REC-4: arrived, or still missing, more than 24 hours after capture.
    pub late: bool,
    /// URL of the original.
    pub url: String,
    /// URL of the thumbnail.
    pub thumb: String,
}

/// One officer of the team.
#[derive(Debug)]
pub struct TeamRow {
    /// Name at check-in.
    pub name: String,
    /// Roster id.
    pub officer_id: String,
    /// Certificate number.
    pub certificate_no: String,
    /// Last valid day.
    pub valid_until: String,
    /// The certificate had expired at check-in (Beijing date).
    pub expired: bool,
    /// Check-in time.
    pub checked_in_at: String,
    /// Where the officer checked in (R-REC-3): coordinates, 「精度约 N 米」 and the
    /// fix time in Beijing time; empty if the device had no good fix.
    pub position: String,
    /// Device.
    pub device_id: String,
}

/// The identity notice.
#[derive(Debug)]
pub struct IdentityView {
    /// Statement as spoken.
    pub statement: String,
    /// When.
    pub given_at: String,
    /// Who (name).
    pub given_by: String,
    /// The recording (None if the document does not reference it).
    pub recording: Option<EvidenceView>,
    /// Hash the notice points at.
    pub recording_sha: String,
}

/// A finding.
#[derive(Debug)]
pub struct FindingView {
    /// Finding id.
    pub id: String,
    /// Position (1-based).
    pub n: usize,
    /// Text.
    pub text: String,
    /// Author name.
    pub author: String,
    /// When.
    pub at: String,
    /// Evidence it points to.
    pub evidence: Vec<EvLink>,
    /// Review comments about this finding.
    pub comments: Vec<CommentView>,
}

/// The rights notice.
#[derive(Debug)]
pub struct RightsView {
    /// Notice text version.
    pub version: String,
    /// Remedy channels.
    pub channels: Vec<String>,
    /// When.
    pub given_at: String,
    /// Who (name).
    pub given_by: String,
    /// Signed: signer name.
    pub signer: Option<String>,
    /// Signed: signature image.
    pub signature: Option<EvidenceView>,
    /// Signed: the hash the notice points at.
    pub signature_sha: String,
    /// Refused: witness name.
    pub witness: Option<String>,
    /// Refused: reason as stated.
    pub refusal_reason: String,
}

/// An amendment.
#[derive(Debug)]
pub struct AmendmentView {
    /// Id.
    pub id: String,
    /// What it amends, in Chinese.
    pub amends: String,
    /// The correction.
    pub text: String,
    /// Author name.
    pub author: String,
    /// When.
    pub at: String,
    /// Evidence added with it.
    pub evidence: Vec<EvLink>,
}

/// A review comment.
#[derive(Debug, Clone)]
pub struct CommentView {
    /// Author name.
    pub author: String,
    /// When.
    pub at: String,
    /// Text.
    pub text: String,
    /// The item it is about, in Chinese (empty for the whole record).
    pub item: String,
    /// The item's key (`finding:<id>`, `identity_notice`, ...; empty for the whole
    /// record), to show the comment beside the item it concerns.
    pub key: String,
}

/// The review decision so far.
#[derive(Debug)]
pub struct DecisionView {
    /// Approved or returned, in Chinese.
    pub label: &'static str,
    /// `approved` / `returned`.
    pub class: &'static str,
    /// Supervisor's name.
    pub by: String,
    /// When.
    pub at: String,
}

/// One step of the timeline.
#[derive(Debug)]
pub struct TimelineRow {
    /// When (Beijing).
    pub at: String,
    /// What happened.
    pub what: String,
    /// Who.
    pub who: String,
    sort: DateTime<Utc>,
}

/// One rule of the check.
#[derive(Debug)]
pub struct RuleView {
    /// Rule ID.
    pub id: String,
    /// Short name.
    pub name: String,
    /// Met.
    pub ok: bool,
    /// Violation messages.
    pub messages: Vec<String>,
}

/// R-REC-4 for one piece of evidence.
#[derive(Debug)]
pub struct ArrivalView {
    /// First 12 hex digits.
    pub short: String,
    /// Kind in Chinese.
    pub kind: &'static str,
    /// Within 24 hours (or still within the window).
    pub ok: bool,
    /// What happened, in Chinese.
    pub text: String,
}

/// One device's log check.
#[derive(Debug)]
pub struct TamperView {
    /// Device name and id.
    pub device: String,
    /// Entries about this inspection.
    pub entries_for_inspection: usize,
    /// Entries checked.
    pub entries_checked: usize,
    /// Verified.
    pub ok: bool,
    /// Broken: first bad entry.
    pub seq: u64,
    /// Broken: why.
    pub reason: String,
}

/// A merged conflict.
#[derive(Debug)]
pub struct ConflictView {
    /// Field path.
    pub path: String,
    /// Field name in Chinese.
    pub label: String,
    /// Every concurrent value; `true` marks the one shown in the record.
    pub values: Vec<(String, bool)>,
}

#[derive(Template)]
#[template(path = "desk/inspection.html")]
struct InspectionPage {
    layout: Layout,
    id: String,
    status_label: &'static str,
    kind_label: &'static str,
    task_id: String,
    agency_name: String,
    target_name: String,
    credit_code: String,
    target_address: String,
    target_area: String,
    natural_person: bool,
    category: String,
    item_code: String,
    item_name: String,
    legal_basis: String,
    opened_at: String,
    opened_by: String,
    team: Vec<TeamRow>,
    identity: Option<IdentityView>,
    findings: Vec<FindingView>,
    evidence: Vec<EvidenceView>,
    rights: Option<RightsView>,
    closure: Option<(String, String)>,
    amendments: Vec<AmendmentView>,
    decision: Option<DecisionView>,
    comments: Vec<CommentView>,
    /// Review comments about the identity notice and the rights notice.
    identity_comments: Vec<CommentView>,
    rights_comments: Vec<CommentView>,
    /// Rules not met, with short names (for the review summary at the top).
    failed_rules: Vec<super::rule_names::RuleName>,
    timeline: Vec<TimelineRow>,
    rules: Vec<RuleView>,
    arrivals: Vec<ArrivalView>,
    tamper: Vec<TamperView>,
    conflicts: Vec<ConflictView>,
    decide: crate::pages::desk::decide::DecideView,
}

#[derive(Template)]
#[template(path = "error.html")]
struct UnreadablePage {
    layout: Layout,
    heading: &'static str,
    message: String,
    hint: Option<&'static str>,
    back: &'static str,
}

/// Names of officers by roster id: the team's names first, then the roster's.
struct Names(HashMap<String, String>);

impl Names {
    fn of(&self, id: &str) -> String {
        self.0.get(id).cloned().unwrap_or_else(|| id.to_string())
    }
}

/// What an amendment or comment item (`finding:<id>`, `identity_notice`, ...)
/// refers to, in Chinese.
fn item_label(i: &Inspection, item: &str) -> String {
    match item.split_once(':') {
        Some(("finding", id)) => match i.findings.iter().position(|f| f.id == id) {
            Some(n) => format!("检查情况第 {} 条", n + 1),
            None => format!("检查情况（{id}，记录中不存在）"),
        },
        Some(("amendment", id)) => match i.amendments.iter().position(|a| a.id == id) {
            Some(n) => format!("第 {} 条更正", n + 1),
            None => format!("更正（{id}，记录中不存在）"),
        },
        Some(("evidence", sha)) => format!("证据 {}", short(sha)),
        _ => match item {
            "identity_notice" => "亮证告知".into(),
            "rights_notice" => "权利告知".into(),
            "meta" => "基本信息".into(),
            "team" => "执法人员".into(),
            "findings" => "检查情况".into(),
            "evidence" => "证据".into(),
            other => other.to_string(),
        },
    }
}

fn conflict_label(path: &str) -> String {
    match path {
        "identity_notice.statement" => "亮证告知用语".into(),
        "rights_notice.witness_name" => "拒签见证人".into(),
        "rights_notice.notice_version" => "权利告知书版本".into(),
        "rights_notice.signer_name" => "签名人".into(),
        other => other.to_string(),
    }
}

fn links(i: &Inspection, hashes: &[String]) -> Vec<EvLink> {
    hashes
        .iter()
        .map(|h| EvLink {
            sha: h.clone(),
            short: short(h),
            kind: i
                .evidence_by_hash(h)
                .map(|e| e.kind.label())
                .unwrap_or("未知"),
        })
        .collect()
}

fn evidence_view(
    stored: &std::collections::HashSet<String>,
    id: &str,
    e: &EvidenceRef,
    blobs: &HashMap<&str, &BlobRecord>,
    names: &Names,
    now: DateTime<Utc>,
) -> EvidenceView {
    let rec = blobs.get(e.sha256.as_str());
    // The agency's own receipt (issue 16 item 6), not bytes of another agency.
    let received = rec.and_then(|b| b.received_at);
    let present = received.is_some() && stored.contains(&e.sha256);
    let late = match rec {
        Some(b) => crate::storage::is_late(b, now),
        None => now - e.captured_at > chrono::Duration::hours(24),
    };
    EvidenceView {
        sha: e.sha256.clone(),
        short: short(&e.sha256),
        kind: e.kind.as_str(),
        kind_label: e.kind.label(),
        media_type: e.media_type.clone(),
        size: size_text(e.size_bytes),
        captured_at: beijing_seconds_text(e.captured_at),
        captured_by: names.of(&e.captured_by),
        device_id: e.device_id.clone(),
        step: step_label(e.step),
        position: e.position_text(beijing_seconds_text).unwrap_or_default(),
        present,
        received_at: received.map(beijing_seconds_text).unwrap_or_default(),
        late,
        url: original_url(id, &e.sha256),
        thumb: thumb_url(id, &e.sha256),
    }
}

/// The comments about the item `key`.
fn comments_on(comments: &[CommentView], key: &str) -> Vec<CommentView> {
    comments.iter().filter(|c| c.key == key).cloned().collect()
}

/// Every checked rule with whether the record breaks it, in the order of
/// `CHECKED_RULES`, for the detail page's rule list.
pub fn rule_views(violations: &[liuhen_domain::rules::Violation]) -> Vec<RuleView> {
    let mut out: Vec<RuleView> = CHECKED_RULES
        .iter()
        .map(|(id, name)| RuleView {
            id: (*id).to_string(),
            name: (*name).to_string(),
            ok: true,
            messages: Vec::new(),
        })
        .collect();
    for v in violations {
        let pos = match out.iter().position(|r| r.id == v.rule) {
            Some(p) => p,
            None => {
                out.push(RuleView {
                    id: v.rule.clone(),
                    name: String::new(),
                    ok: true,
                    messages: Vec::new(),
                });
                out.len() - 1
            }
        };
        out[pos].ok = false;
        out[pos].messages.push(v.message.clone());
    }
    out
}

fn arrival_views(i: &Inspection, evidence: &[EvidenceView]) -> Vec<ArrivalView> {
    i.evidence
        .iter()
        .zip(evidence)
        .map(|(e, v)| {
            let text = match (v.received_at.is_empty(), v.late) {
                (false, false) => format!("已于 {} 上传到平台（24 小时内）", v.received_at),
                (false, true) => format!("于 {} 才上传到平台，超过 24 小时", v.received_at),
                (true, false) => format!("尚未上传，采集于 {}，仍在 24 小时内", v.captured_at),
                (true, true) => format!("采集于 {}，已超过 24 小时仍未上传", v.captured_at),
            };
            ArrivalView {
                short: short(&e.sha256),
                kind: e.kind.label(),
                ok: !v.late,
                text,
            }
        })
        .collect()
}

fn timeline(i: &Inspection, names: &Names, blobs: &[BlobRecord]) -> Vec<TimelineRow> {
    let mut rows = Vec::new();
    let mut push = |sort: DateTime<Utc>, what: String, who: String| {
        rows.push(TimelineRow {
            at: beijing_seconds_text(sort),
            what,
            who,
            sort,
        });
    };
    let m = &i.meta;
    push(
        m.opened_at,
        format!("开启检查（设备 {}）", m.device_id),
        names.of(&m.opened_by),
    );
    for t in &i.team {
        push(
            t.checked_in_at,
            format!("签到，出示执法证 {}", t.certificate_no),
            t.name.clone(),
        );
    }
    if let Some(n) = &i.identity_notice {
        push(
            n.given_at,
            "亮证告知（录音录像）".into(),
            names.of(&n.given_by),
        );
    }
    for (k, f) in i.findings.iter().enumerate() {
        push(
            f.at,
            format!("记录检查情况第 {} 条", k + 1),
            names.of(&f.author),
        );
    }
    for e in &i.evidence {
        push(
            e.captured_at,
            format!(
                "采集{}（{}）{}",
                e.kind.label(),
                step_label(e.step),
                short(&e.sha256)
            ),
            names.of(&e.captured_by),
        );
    }
    for b in blobs {
        if let Some(at) = b.received_at {
            push(
                at,
                format!("证据 {} 上传到平台", short(&b.sha256)),
                "平台".into(),
            );
        }
    }
    if let Some(r) = &i.rights_notice {
        let what = match &r.acknowledgement {
            Acknowledgement::Signed { signer_name, .. } => {
                format!("权利告知，当事人 {signer_name} 签字")
            }
            Acknowledgement::Refused { witness_name, .. } => {
                format!("权利告知，当事人拒绝签字（见证人 {witness_name}）")
            }
        };
        push(r.given_at, what, names.of(&r.given_by));
    }
    if let Some(c) = &i.closure {
        push(
            c.closed_at,
            "结束现场检查记录".into(),
            names.of(&c.closed_by),
        );
    }
    for a in &i.amendments {
        push(
            a.at,
            format!("更正：{}", item_label(i, &a.amends)),
            names.of(&a.author),
        );
    }
    for c in &i.review.comments {
        let what = match &c.item {
            Some(item) => format!("审核意见（{}）", item_label(i, item)),
            None => "审核意见".into(),
        };
        push(c.at, what, c.author_name.clone());
    }
    if let Some(d) = &i.review.decision {
        push(
            d.decided_at,
            format!("审核决定：{}", d.decision.label()),
            d.decided_by_name.clone(),
        );
    }
    rows.sort_by_key(|r| r.sort);
    rows
}

fn unreadable(id: &str, detail: &str, layout: Layout) -> Response {
    tracing::error!(inspection = id, detail, "inspection document unreadable");
    let page = UnreadablePage {
        layout,
        heading: "检查记录无法读取",
        message: format!(
            "服务器上的检查记录 {id} 无法读取（{detail}）。原始数据仍完整保存在服务器上，未被修改。"
        ),
        hint: Some("请联系本单位管理员处理；如为新版本设备上传的记录，请先升级服务器程序。"),
        back: "/desk",
    };
    crate::pages::web::page::render_status(&page, StatusCode::INTERNAL_SERVER_ERROR)
}

async fn page(
    State(st): State<AppState>,
    user: WebUser,
    ip: ClientIp,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    user.require(DESK_ROLES)?;
    let loaded = match load_detail(&st, &user.user.agency_id, &id).await {
        Ok(l) => l,
        Err(DetailError::NotFound(_)) => return Err(WebError::NotFound("该检查记录".into())),
        Err(DetailError::Storage(e)) => return Err(e.into()),
        Err(DetailError::Unreadable(d)) => return Ok(unreadable(&id, &d, user.layout("queue"))),
    };
    let checks = device_log::check_inspection(&st, &user.user.agency_id, &id).await?;
    let LoadedDetail {
        record,
        detail,
        roster,
        blobs,
    } = loaded;
    let i = &detail.inspection;
    let decide = crate::pages::desk::decide::form_view(&st, &user, &id, i, &record.heads).await?;
    // R-REC-7: the view is recorded before the page is sent.
    record_access(&st, &user.user, &id, AccessAction::ViewRecord, None, ip.0).await?;

    let mut names: HashMap<String, String> = roster
        .iter()
        .map(|o| (o.id.clone(), o.name.clone()))
        .collect();
    for t in &i.team {
        names.insert(t.officer_id.clone(), t.name.clone());
    }
    let names = Names(names);
    let now = st.clock.now();
    let by_sha: HashMap<&str, &BlobRecord> = blobs.iter().map(|b| (b.sha256.as_str(), b)).collect();
    // Which received blobs the evidence store holds (one look-up each).
    let mut stored = std::collections::HashSet::new();
    for b in &blobs {
        if b.received_at.is_none() {
            continue;
        }
        match st.blobs.contains(&b.sha256).await {
            Ok(true) => {
                stored.insert(b.sha256.clone());
            }
            Ok(false) => {}
            Err(e) => tracing::warn!(sha256 = %b.sha256, error = %e, "evidence store unreadable"),
        }
    }
    let evidence: Vec<EvidenceView> = i
        .evidence
        .iter()
        .map(|e| evidence_view(&stored, &id, e, &by_sha, &names, now))
        .collect();
    let ev_of = |sha: &str| evidence.iter().find(|v| v.sha == sha).cloned();
    let comments: Vec<CommentView> = i
        .review
        .comments
        .iter()
        .map(|c| CommentView {
            author: c.author_name.clone(),
            at: beijing_seconds_text(c.at),
            text: c.text.clone(),
            item: c
                .item
                .as_deref()
                .map(|it| item_label(i, it))
                .unwrap_or_default(),
            key: c.item.clone().unwrap_or_default(),
        })
        .collect();
    let mut failed_rules: Vec<super::rule_names::RuleName> = Vec::new();
    for v in &detail.violations {
        if !failed_rules.iter().any(|r| r.id == v.rule) {
            failed_rules.push(super::rule_names::named(&v.rule));
        }
    }
    let m = &i.meta;
    let page = InspectionPage {
        layout: user.layout("queue"),
        id: id.clone(),
        status_label: if i.closure.is_some() {
            "现场记录已结束"
        } else {
            "现场检查进行中"
        },
        kind_label: match m.kind {
            InspectionKind::Task => "检查任务",
            InspectionKind::AdHoc => "临时检查",
        },
        task_id: m.task_id.clone().unwrap_or_default(),
        agency_name: m.agency_name.clone(),
        target_name: m.target_name.clone(),
        credit_code: m.target_credit_code.clone().unwrap_or_default(),
        target_address: m.target_address.clone(),
        target_area: m.target_area.clone(),
        natural_person: m.target_is_natural_person,
        category: m.category.clone(),
        item_code: m.item_code.clone(),
        item_name: m.item_name.clone(),
        legal_basis: m.legal_basis.clone(),
        opened_at: beijing_seconds_text(m.opened_at),
        opened_by: names.of(&m.opened_by),
        team: i
            .team
            .iter()
            .map(|t| TeamRow {
                name: t.name.clone(),
                officer_id: t.officer_id.clone(),
                certificate_no: t.certificate_no.clone(),
                valid_until: t.certificate_valid_until.format("%Y-%m-%d").to_string(),
                expired: t.certificate_valid_until < local_date(t.checked_in_at),
                checked_in_at: beijing_seconds_text(t.checked_in_at),
                position: t
                    .location
                    .map(|l| l.text(beijing_seconds_text))
                    .unwrap_or_default(),
                device_id: t.device_id.clone(),
            })
            .collect(),
        identity: i.identity_notice.as_ref().map(|n| IdentityView {
            statement: n.statement.clone(),
            given_at: beijing_seconds_text(n.given_at),
            given_by: names.of(&n.given_by),
            recording: ev_of(&n.recording_sha256),
            recording_sha: n.recording_sha256.clone(),
        }),
        findings: i
            .findings
            .iter()
            .enumerate()
            .map(|(k, f)| FindingView {
                id: f.id.clone(),
                n: k + 1,
                text: f.text.clone(),
                author: names.of(&f.author),
                at: beijing_seconds_text(f.at),
                evidence: links(i, &f.evidence),
                comments: comments_on(&comments, &format!("finding:{}", f.id)),
            })
            .collect(),
        identity_comments: comments_on(&comments, "identity_notice"),
        rights_comments: comments_on(&comments, "rights_notice"),
        rights: i.rights_notice.as_ref().map(|r| {
            let (signer, signature_sha, witness, refusal_reason) = match &r.acknowledgement {
                Acknowledgement::Signed {
                    signer_name,
                    signature_sha256,
                } => (
                    Some(signer_name.clone()),
                    signature_sha256.clone(),
                    None,
                    String::new(),
                ),
                Acknowledgement::Refused {
                    witness_name,
                    reason,
                } => (
                    None,
                    String::new(),
                    Some(witness_name.clone()),
                    reason.clone(),
                ),
            };
            RightsView {
                version: r.notice_version.clone(),
                channels: r.remedy_channels.clone(),
                given_at: beijing_seconds_text(r.given_at),
                given_by: names.of(&r.given_by),
                signer,
                signature: ev_of(&signature_sha),
                signature_sha,
                witness,
                refusal_reason,
            }
        }),
        closure: i
            .closure
            .as_ref()
            .map(|c| (beijing_seconds_text(c.closed_at), names.of(&c.closed_by))),
        amendments: i
            .amendments
            .iter()
            .map(|a| AmendmentView {
                id: a.id.clone(),
                amends: item_label(i, &a.amends),
                text: a.text.clone(),
                author: names.of(&a.author),
                at: beijing_seconds_text(a.at),
                evidence: links(i, &a.evidence),
            })
            .collect(),
        decision: i.review.decision.as_ref().map(|d| DecisionView {
            label: d.decision.label(),
            class: d.decision.as_str(),
            by: d.decided_by_name.clone(),
            at: beijing_seconds_text(d.decided_at),
        }),
        comments,
        failed_rules,
        timeline: timeline(i, &names, &blobs),
        rules: rule_views(&detail.violations),
        arrivals: arrival_views(i, &evidence),
        tamper: checks
            .into_iter()
            .map(|c| {
                let device = if c.device_name.is_empty() {
                    c.device_id.clone()
                } else {
                    format!("{}（{}）", c.device_name, c.device_id)
                };
                let (ok, seq, reason) = match c.outcome {
                    LogOutcome::Verified => (true, 0, String::new()),
                    LogOutcome::Broken { seq, reason } => (false, seq, reason),
                };
                TamperView {
                    device,
                    entries_for_inspection: c.entries_for_inspection,
                    entries_checked: c.entries_checked,
                    ok,
                    seq,
                    reason,
                }
            })
            .collect(),
        conflicts: i
            .conflicts
            .iter()
            .map(|c| ConflictView {
                path: c.path.clone(),
                label: conflict_label(&c.path),
                values: c
                    .values
                    .iter()
                    .enumerate()
                    .map(|(k, v)| (v.clone(), k == 0))
                    .collect(),
            })
            .collect(),
        evidence,
        decide,
    };
    Ok(render(&page))
}
