//! Legal review of major decisions (重大执法决定法制审核, R-LEGAL-1..7): the plain
//! types of a proposed decision, the agency's catalogue of major decisions
//! (R-LEGAL-2) and the classification of a draft against it, the review checklist
//! (R-LEGAL-3), the field-by-field difference between two submitted versions, and
//! the review deadline in Chinese working days (R-LEGAL-5).
//!
//! Pure functions only: the automerge document of a draft is [`crate::draft_doc`],
//! the workflow (who may do what, when) lives on the server.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::calendar::{CalendarError, WorkCalendar};

/// Working days a legal review may take from receipt (R-LEGAL-5).
pub const REVIEW_WORKING_DAYS: u32 = 5;
/// Working days one extension adds, with a leader's approval (R-LEGAL-5).
pub const EXTENSION_WORKING_DAYS: u32 = 3;
/// Working days left at which a review is flagged as near its deadline.
pub const NEAR_DEADLINE_WORKING_DAYS: u32 = 1;
/// Publication deadline of licensing and penalty decisions (R-POST-1).
pub const PUBLISH_WORKING_DAYS_LICENSING_PENALTY: u32 = 7;
/// Publication deadline of every other decision (R-POST-1).
pub const PUBLISH_WORKING_DAYS_OTHER: u32 = 20;
/// Longest accepted free text of a draft field (characters).
pub const MAX_TEXT_CHARS: usize = 20_000;

/// The kind of decision, as published (R-POST-1, R-POST-2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionKind {
    /// 行政许可.
    Licensing,
    /// 行政处罚.
    Penalty,
    /// 行政强制.
    Coercion,
    /// 行政检查结果.
    Inspection,
    /// 其他行政执法决定.
    Other,
}

impl DecisionKind {
    /// Every kind, in display order.
    pub const ALL: [DecisionKind; 5] = [
        DecisionKind::Licensing,
        DecisionKind::Penalty,
        DecisionKind::Coercion,
        DecisionKind::Inspection,
        DecisionKind::Other,
    ];
    /// Stable text (database, forms, API).
    pub fn as_str(self) -> &'static str {
        match self {
            DecisionKind::Licensing => "licensing",
            DecisionKind::Penalty => "penalty",
            DecisionKind::Coercion => "coercion",
            DecisionKind::Inspection => "inspection",
            DecisionKind::Other => "other",
        }
    }
    /// Parses the stable text.
    pub fn parse(s: &str) -> Option<DecisionKind> {
        DecisionKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
    /// Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            DecisionKind::Licensing => "行政许可",
            DecisionKind::Penalty => "行政处罚",
            DecisionKind::Coercion => "行政强制",
            DecisionKind::Inspection => "行政检查",
            DecisionKind::Other => "其他",
        }
    }
    /// Working days from the decision date to publication (R-POST-1).
    pub fn publish_working_days(self) -> u32 {
        match self {
            DecisionKind::Licensing | DecisionKind::Penalty => {
                PUBLISH_WORKING_DAYS_LICENSING_PENALTY
            }
            _ => PUBLISH_WORKING_DAYS_OTHER,
        }
    }
}

/// Who the decision is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartyKind {
    /// A legal person or other organisation (name and 统一社会信用代码 are public).
    Company,
    /// A natural person (name masked as 张某 in public, ID number never shown; R-POST-2).
    Person,
}

impl PartyKind {
    /// Stable text.
    pub fn as_str(self) -> &'static str {
        match self {
            PartyKind::Company => "company",
            PartyKind::Person => "person",
        }
    }
    /// Parses the stable text.
    pub fn parse(s: &str) -> Option<PartyKind> {
        match s {
            "company" => Some(PartyKind::Company),
            "person" => Some(PartyKind::Person),
            _ => None,
        }
    }
    /// Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            PartyKind::Company => "法人或其他组织",
            PartyKind::Person => "自然人",
        }
    }
}

/// A measure or circumstance that can make a decision major (R-LEGAL-2). The
/// catalogue says which of them count for an agency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MajorTrigger {
    /// 吊销许可证件或营业执照.
    Revocation,
    /// 责令停产停业、关闭.
    Suspension,
    /// 经过听证程序作出.
    HearingHeld,
    /// 移送司法机关（涉嫌犯罪）.
    JudicialTransfer,
    /// 重大行政强制、征收征用.
    MajorCoercion,
    /// 涉及重大公共利益.
    PublicInterest,
    /// 可能造成重大社会影响或引发社会风险.
    SocialRisk,
    /// 案件情况疑难复杂、涉及多个法律关系.
    Complex,
    /// 罚款数额超过目录规定的标准.
    LargeFine,
    /// 目录清单所列其他事项 (an item of [`Catalogue::other_items`] the draft says
    /// applies). Not switchable: a listed item always counts (R-LEGAL-2).
    CatalogueItem,
}

impl MajorTrigger {
    /// Every switchable trigger, in display order (without
    /// [`MajorTrigger::CatalogueItem`], which the catalogue's own items drive).
    pub const ALL: [MajorTrigger; 9] = [
        MajorTrigger::Revocation,
        MajorTrigger::Suspension,
        MajorTrigger::HearingHeld,
        MajorTrigger::JudicialTransfer,
        MajorTrigger::MajorCoercion,
        MajorTrigger::PublicInterest,
        MajorTrigger::SocialRisk,
        MajorTrigger::Complex,
        MajorTrigger::LargeFine,
    ];
    /// Stable text.
    pub fn as_str(self) -> &'static str {
        match self {
            MajorTrigger::Revocation => "revocation",
            MajorTrigger::Suspension => "suspension",
            MajorTrigger::HearingHeld => "hearing_held",
            MajorTrigger::JudicialTransfer => "judicial_transfer",
            MajorTrigger::MajorCoercion => "major_coercion",
            MajorTrigger::PublicInterest => "public_interest",
            MajorTrigger::SocialRisk => "social_risk",
            MajorTrigger::Complex => "complex",
            MajorTrigger::LargeFine => "large_fine",
            MajorTrigger::CatalogueItem => "catalogue_item",
        }
    }
    /// Parses the stable text.
    pub fn parse(s: &str) -> Option<MajorTrigger> {
        MajorTrigger::ALL
            .into_iter()
            .chain([MajorTrigger::CatalogueItem])
            .find(|t| t.as_str() == s)
    }
    /// Chinese label (as in the published catalogue).
    pub fn label(self) -> &'static str {
        match self {
            MajorTrigger::Revocation => "吊销许可证件、营业执照",
            MajorTrigger::Suspension => "责令停产停业、关闭",
            MajorTrigger::HearingHeld => "经过听证程序作出的决定",
            MajorTrigger::JudicialTransfer => "涉嫌犯罪移送司法机关",
            MajorTrigger::MajorCoercion => "重大行政强制、征收征用",
            MajorTrigger::PublicInterest => "涉及重大公共利益",
            MajorTrigger::SocialRisk => "可能造成重大社会影响或引发社会风险",
            MajorTrigger::Complex => "案件情况疑难复杂、涉及多个法律关系",
            MajorTrigger::LargeFine => "较大数额罚款",
            MajorTrigger::CatalogueItem => "目录清单所列其他事项",
        }
    }
}

/// An agency's catalogue of major decisions that need legal review (重大执法决定法制
/// 审核目录清单, R-LEGAL-2). Stored in numbered versions; published (R-PRE-4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Catalogue {
    /// Which triggers make a decision major for this agency.
    pub triggers: Vec<MajorTrigger>,
    /// A fine strictly above this many fen (分) is major (when `LargeFine` is on).
    pub fine_threshold_fen: i64,
    /// Further matters the agency lists in words (shown in the published catalogue).
    pub other_items: Vec<String>,
}

impl Catalogue {
    /// The default catalogue: every trigger of R-LEGAL-2, fines above ¥50,000.
    pub fn default_for_agency() -> Catalogue {
        Catalogue {
            triggers: MajorTrigger::ALL.to_vec(),
            fine_threshold_fen: 5_000_000,
            other_items: Vec::new(),
        }
    }

    /// Checks the catalogue itself (an admin's edit).
    pub fn validate(&self) -> Result<(), LegalInputError> {
        if self.fine_threshold_fen < 0 {
            return Err(LegalInputError::Invalid {
                field: "fine_threshold_fen",
                reason: "罚款标准不能为负数".into(),
            });
        }
        let mut seen = std::collections::BTreeSet::new();
        for t in &self.triggers {
            if !seen.insert(*t) {
                return Err(LegalInputError::Invalid {
                    field: "triggers",
                    reason: format!("“{}”重复", t.label()),
                });
            }
        }
        for item in &self.other_items {
            if item.trim().is_empty() || item.chars().count() > 500 {
                return Err(LegalInputError::Invalid {
                    field: "other_items",
                    reason: "其他事项每项需为 1 至 500 个字".into(),
                });
            }
        }
        Ok(())
    }

    /// The catalogue's other items `draft` says apply (R-LEGAL-2), compared
    /// after trimming; an item no longer in the catalogue does not count.
    pub fn matching_items(&self, draft: &DraftContent) -> Vec<String> {
        self.other_items
            .iter()
            .filter(|i| draft.other_items.iter().any(|d| d.trim() == i.trim()))
            .cloned()
            .collect()
    }

    /// Why `draft` is major under this catalogue (empty: not major). R-LEGAL-2:
    /// the switched-on triggers present in the draft, and
    /// [`MajorTrigger::CatalogueItem`] when the draft selects one of the
    /// catalogue's other items (其他事项).
    pub fn classify(&self, draft: &DraftContent) -> Vec<MajorTrigger> {
        let present = |t: MajorTrigger| -> bool {
            match t {
                MajorTrigger::Revocation => draft.revocation,
                MajorTrigger::Suspension => draft.suspension,
                MajorTrigger::HearingHeld => draft.hearing_held,
                MajorTrigger::JudicialTransfer => draft.crime_suspected,
                MajorTrigger::MajorCoercion => draft.major_coercion,
                MajorTrigger::PublicInterest => draft.public_interest,
                MajorTrigger::SocialRisk => draft.social_risk,
                MajorTrigger::Complex => draft.complex,
                MajorTrigger::LargeFine => {
                    draft.fine_fen.is_some_and(|f| f > self.fine_threshold_fen)
                }
                MajorTrigger::CatalogueItem => false,
            }
        };
        let mut out: Vec<MajorTrigger> = self
            .triggers
            .iter()
            .copied()
            .filter(|t| present(*t))
            .collect();
        if !self.matching_items(draft).is_empty() {
            out.push(MajorTrigger::CatalogueItem);
        }
        out.sort();
        out.dedup();
        out
    }
}

/// A link from a draft to one piece of recorded evidence (事实 → 证据).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EvidenceLink {
    /// The inspection that holds the evidence.
    pub inspection_id: String,
    /// SHA-256 (hex) of the evidence blob.
    pub sha256: String,
    /// What this evidence shows.
    pub note: String,
}

/// The content of a proposed decision (拟作出的执法决定) at one moment: what the
/// handling unit drafts, what a reviewer reviews, what the decision publishes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DraftContent {
    /// Kind of decision.
    pub kind: DecisionKind,
    /// Short title, e.g. 关于某公司超标排放的行政处罚决定.
    pub title: String,
    /// Enforcement category (执法类别), e.g. 生态环境.
    pub category: String,
    /// Who the decision is about.
    pub party_kind: PartyKind,
    /// Party name (a person's real name stays on the server; R-POST-2).
    pub party_name: String,
    /// 统一社会信用代码 of a company, or a person's ID number (never published).
    pub party_code: String,
    /// Legal basis (法律依据).
    pub legal_basis: String,
    /// Facts found (认定的事实).
    pub facts: String,
    /// Discretion benchmark applied (适用的裁量基准).
    pub discretion: String,
    /// The decision itself, as it would be published (处理结论/决定内容).
    pub conclusion: String,
    /// Fine in fen (分), for fines.
    pub fine_fen: Option<i64>,
    /// Revokes a licence or business licence.
    pub revocation: bool,
    /// Orders suspension of production or business, or closure.
    pub suspension: bool,
    /// Major coercion or expropriation.
    pub major_coercion: bool,
    /// A hearing was held (听证).
    pub hearing_held: bool,
    /// A crime is suspected (the case goes to judicial organs).
    pub crime_suspected: bool,
    /// Major public interest.
    pub public_interest: bool,
    /// Social risk.
    pub social_risk: bool,
    /// Complex case with several legal relations.
    pub complex: bool,
    /// The catalogue's other items (其他事项, [`Catalogue::other_items`]) that
    /// apply to this decision, by their text (R-LEGAL-2).
    #[serde(default)]
    pub other_items: Vec<String>,
    /// Material that must never be published: trade secrets, personal data
    /// (商业秘密、个人隐私; R-POST-2, R-REC-9).
    pub confidential: String,
    /// Inspections the decision is built on.
    pub inspection_ids: Vec<String>,
    /// Evidence the facts rest on.
    pub evidence: Vec<EvidenceLink>,
}

/// A bad value in a draft or catalogue, named by field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LegalInputError {
    /// A field is missing or invalid.
    #[error("{field}：{reason}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// Why, in Chinese.
        reason: String,
    },
}

fn check_text(
    field: &'static str,
    label: &str,
    v: &str,
    required: bool,
) -> Result<(), LegalInputError> {
    if required && v.trim().is_empty() {
        return Err(LegalInputError::Invalid {
            field,
            reason: format!("请填写{label}"),
        });
    }
    if v.chars().count() > MAX_TEXT_CHARS {
        return Err(LegalInputError::Invalid {
            field,
            reason: format!("{label}不能超过 {MAX_TEXT_CHARS} 个字"),
        });
    }
    if v.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(LegalInputError::Invalid {
            field,
            reason: format!("{label}含有不可见的控制字符"),
        });
    }
    Ok(())
}

impl DraftContent {
    /// An empty draft of `kind` about nobody yet (the form fills it in).
    pub fn empty(kind: DecisionKind) -> DraftContent {
        DraftContent {
            kind,
            title: String::new(),
            category: String::new(),
            party_kind: PartyKind::Company,
            party_name: String::new(),
            party_code: String::new(),
            legal_basis: String::new(),
            facts: String::new(),
            discretion: String::new(),
            conclusion: String::new(),
            fine_fen: None,
            revocation: false,
            suspension: false,
            major_coercion: false,
            hearing_held: false,
            crime_suspected: false,
            public_interest: false,
            social_risk: false,
            complex: false,
            other_items: Vec::new(),
            confidential: String::new(),
            inspection_ids: Vec::new(),
            evidence: Vec::new(),
        }
    }

    /// Checks what can be checked while drafting (lengths, amounts, codes).
    pub fn validate_draft(&self) -> Result<(), LegalInputError> {
        check_text("title", "标题", &self.title, false)?;
        check_text("category", "执法类别", &self.category, false)?;
        check_text("party_name", "当事人名称", &self.party_name, false)?;
        check_text("party_code", "当事人证照号码", &self.party_code, false)?;
        check_text("legal_basis", "法律依据", &self.legal_basis, false)?;
        check_text("facts", "认定事实", &self.facts, false)?;
        check_text("discretion", "裁量基准", &self.discretion, false)?;
        check_text("conclusion", "决定内容", &self.conclusion, false)?;
        check_text("confidential", "保密内容", &self.confidential, false)?;
        for item in &self.other_items {
            if item.trim().is_empty() || item.chars().count() > 500 || item.contains('\n') {
                return Err(LegalInputError::Invalid {
                    field: "other_items",
                    reason: "目录清单其他事项每项需为 1 至 500 个字，且不含换行".into(),
                });
            }
        }
        if let Some(f) = self.fine_fen {
            if f <= 0 {
                return Err(LegalInputError::Invalid {
                    field: "fine_fen",
                    reason: "罚款金额须大于零".into(),
                });
            }
            if f > 1_000_000_000_000 {
                return Err(LegalInputError::Invalid {
                    field: "fine_fen",
                    reason: "罚款金额超出可记录范围".into(),
                });
            }
        }
        if !self.party_code.is_empty() && self.party_kind == PartyKind::Company {
            crate::model::CreditCode::parse(&self.party_code).map_err(|e| {
                LegalInputError::Invalid {
                    field: "party_code",
                    reason: e.to_string(),
                }
            })?;
        }
        for e in &self.evidence {
            if e.sha256.len() != 64 || !e.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(LegalInputError::Invalid {
                    field: "evidence",
                    reason: format!("证据摘要 {} 不是 SHA-256", e.sha256),
                });
            }
            check_text("evidence", "证据说明", &e.note, false)?;
        }
        Ok(())
    }

    /// Checks that the draft is complete enough to submit for review or decide.
    pub fn validate_complete(&self) -> Result<(), LegalInputError> {
        self.validate_draft()?;
        check_text("title", "标题", &self.title, true)?;
        check_text("category", "执法类别", &self.category, true)?;
        check_text("party_name", "当事人名称", &self.party_name, true)?;
        check_text("legal_basis", "法律依据", &self.legal_basis, true)?;
        check_text("facts", "认定事实", &self.facts, true)?;
        check_text("conclusion", "决定内容", &self.conclusion, true)?;
        if self.kind == DecisionKind::Penalty && self.fine_fen.is_some() {
            check_text("discretion", "裁量基准", &self.discretion, true)?;
        }
        Ok(())
    }
}

/// One item of the legal review checklist (R-LEGAL-3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckItem {
    /// 执法主体与执法人员资格.
    Qualification,
    /// 执法权限，是否超越权限.
    Authority,
    /// 执法程序.
    Procedure,
    /// 事实是否清楚、证据是否确凿充分.
    FactsEvidence,
    /// 适用法律与裁量基准.
    LawDiscretion,
    /// 执法文书是否完备规范.
    Documents,
    /// 是否涉嫌犯罪需移送司法机关.
    CrimeTransfer,
}

impl CheckItem {
    /// Every item, in checklist order.
    pub const ALL: [CheckItem; 7] = [
        CheckItem::Qualification,
        CheckItem::Authority,
        CheckItem::Procedure,
        CheckItem::FactsEvidence,
        CheckItem::LawDiscretion,
        CheckItem::Documents,
        CheckItem::CrimeTransfer,
    ];
    /// Stable text.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckItem::Qualification => "qualification",
            CheckItem::Authority => "authority",
            CheckItem::Procedure => "procedure",
            CheckItem::FactsEvidence => "facts_evidence",
            CheckItem::LawDiscretion => "law_discretion",
            CheckItem::Documents => "documents",
            CheckItem::CrimeTransfer => "crime_transfer",
        }
    }
    /// Parses the stable text.
    pub fn parse(s: &str) -> Option<CheckItem> {
        CheckItem::ALL.into_iter().find(|c| c.as_str() == s)
    }
    /// Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            CheckItem::Qualification => "执法主体是否合法，执法人员是否具备执法资格",
            CheckItem::Authority => "是否在法定职权范围内，有无超越执法权限",
            CheckItem::Procedure => "执法程序是否合法",
            CheckItem::FactsEvidence => "案件事实是否清楚，证据是否合法充分",
            CheckItem::LawDiscretion => "适用法律是否准确，裁量基准运用是否适当",
            CheckItem::Documents => "执法文书是否完备、规范",
            CheckItem::CrimeTransfer => "是否涉嫌犯罪、需要移送司法机关",
        }
    }
}

/// The result of one checklist item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckResult {
    /// Which item.
    pub item: CheckItem,
    /// Passed (true) or failed (false).
    pub passed: bool,
    /// The reviewer's note (required when failed).
    pub note: String,
}

/// The written opinion of a legal review (R-LEGAL-4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Opinion {
    /// 同意.
    Approve,
    /// 存在问题 (goes back to the handling unit).
    Problems,
}

impl Opinion {
    /// Stable text.
    pub fn as_str(self) -> &'static str {
        match self {
            Opinion::Approve => "approve",
            Opinion::Problems => "problems",
        }
    }
    /// Parses the stable text.
    pub fn parse(s: &str) -> Option<Opinion> {
        match s {
            "approve" => Some(Opinion::Approve),
            "problems" => Some(Opinion::Problems),
            _ => None,
        }
    }
    /// Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            Opinion::Approve => "同意",
            Opinion::Problems => "存在问题",
        }
    }
}

/// Checks a reviewer's checklist and opinion together (R-LEGAL-3, R-LEGAL-4):
/// every item answered once, a note on every failed item, and no 同意 with a
/// failed item; 存在问题 needs an opinion text.
pub fn validate_review(
    checks: &[CheckResult],
    opinion: Opinion,
    opinion_text: &str,
) -> Result<(), LegalInputError> {
    for item in CheckItem::ALL {
        let n = checks.iter().filter(|c| c.item == item).count();
        if n != 1 {
            return Err(LegalInputError::Invalid {
                field: "checks",
                reason: format!("R-LEGAL-3：审核项“{}”须且只能填写一次", item.label()),
            });
        }
    }
    for c in checks {
        check_text("checks", "审核说明", &c.note, !c.passed)?;
    }
    check_text(
        "opinion_text",
        "审核意见",
        opinion_text,
        opinion == Opinion::Problems,
    )?;
    if opinion == Opinion::Approve
        && let Some(failed) = checks.iter().find(|c| !c.passed)
    {
        return Err(LegalInputError::Invalid {
            field: "opinion",
            reason: format!(
                "R-LEGAL-4：审核项“{}”未通过，不能出具“同意”意见",
                failed.item.label()
            ),
        });
    }
    Ok(())
}

/// One field that differs between two versions of a draft.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    /// Field name (stable).
    pub field: String,
    /// Chinese label.
    pub label: String,
    /// Value before (display text).
    pub before: String,
    /// Value after (display text).
    pub after: String,
}

fn yes_no(b: bool) -> String {
    if b { "是" } else { "否" }.into()
}

/// Fen as yuan text, e.g. 1234567 → `12345.67 元`.
pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let a = fen.unsigned_abs();
    format!("{sign}{}.{:02} 元", a / 100, a % 100)
}

/// Every field of a draft as (field, label, display text), in form order.
pub fn display_fields(d: &DraftContent) -> Vec<(&'static str, &'static str, String)> {
    let evidence: Vec<String> = d
        .evidence
        .iter()
        .map(|e| {
            format!(
                "{}/{}：{}",
                e.inspection_id,
                &e.sha256[..e.sha256.len().min(12)],
                e.note
            )
        })
        .collect();
    vec![
        ("kind", "决定类型", d.kind.label().to_string()),
        ("title", "标题", d.title.clone()),
        ("category", "执法类别", d.category.clone()),
        ("party_kind", "当事人类型", d.party_kind.label().to_string()),
        ("party_name", "当事人", d.party_name.clone()),
        ("party_code", "证照号码", d.party_code.clone()),
        ("legal_basis", "法律依据", d.legal_basis.clone()),
        ("facts", "认定事实", d.facts.clone()),
        ("discretion", "裁量基准", d.discretion.clone()),
        ("conclusion", "决定内容", d.conclusion.clone()),
        (
            "fine_fen",
            "罚款金额",
            d.fine_fen.map(yuan).unwrap_or_default(),
        ),
        ("revocation", "吊销证照", yes_no(d.revocation)),
        ("suspension", "责令停产停业", yes_no(d.suspension)),
        ("major_coercion", "重大强制", yes_no(d.major_coercion)),
        ("hearing_held", "经过听证", yes_no(d.hearing_held)),
        ("crime_suspected", "涉嫌犯罪", yes_no(d.crime_suspected)),
        ("public_interest", "重大公共利益", yes_no(d.public_interest)),
        ("social_risk", "社会风险", yes_no(d.social_risk)),
        ("complex", "疑难复杂", yes_no(d.complex)),
        ("other_items", "目录清单其他事项", d.other_items.join("；")),
        ("confidential", "保密内容", d.confidential.clone()),
        ("inspection_ids", "关联检查", d.inspection_ids.join("、")),
        ("evidence", "证据", evidence.join("\n")),
    ]
}

/// What changed from `old` to `new`, field by field (the next review sees what
/// changed since the last one; R-LEGAL-4).
pub fn diff(old: &DraftContent, new: &DraftContent) -> Vec<FieldChange> {
    display_fields(old)
        .into_iter()
        .zip(display_fields(new))
        .filter(|(a, b)| a.2 != b.2)
        .map(|(a, b)| FieldChange {
            field: a.0.to_string(),
            label: a.1.to_string(),
            before: a.2,
            after: b.2,
        })
        .collect()
}

/// Where a review stands against its deadline (R-LEGAL-5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum DeadlineStatus {
    /// More than [`NEAR_DEADLINE_WORKING_DAYS`] working days left.
    OnTime {
        /// Last day of the review.
        due: NaiveDate,
        /// Working days left after today.
        working_days_left: u32,
    },
    /// Today is the last day or the one before it.
    Near {
        /// Last day of the review.
        due: NaiveDate,
        /// Working days left after today.
        working_days_left: u32,
    },
    /// Past the last day.
    Overdue {
        /// Last day of the review.
        due: NaiveDate,
        /// Working days past it.
        working_days_over: u32,
    },
    /// The deadline cannot be computed (no guess): a year without calendar data.
    Unknown {
        /// The calendar's error, in Chinese.
        reason: String,
        /// The year whose holiday arrangement is missing, when that is why.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        missing_year: Option<i32>,
    },
}

/// The last day of a review received on `received` (5 working days after it, plus
/// 3 with an approved extension; R-LEGAL-5).
pub fn review_due(
    cal: &WorkCalendar,
    received: NaiveDate,
    extended: bool,
) -> Result<NaiveDate, CalendarError> {
    let n = REVIEW_WORKING_DAYS + if extended { EXTENSION_WORKING_DAYS } else { 0 };
    cal.add_working_days(received, n)
}

/// Where a review received on `received` stands on `today`.
pub fn review_deadline_status(
    cal: &WorkCalendar,
    received: NaiveDate,
    extended: bool,
    today: NaiveDate,
) -> DeadlineStatus {
    let due = match review_due(cal, received, extended) {
        Ok(d) => d,
        Err(e) => {
            return DeadlineStatus::Unknown {
                reason: e.to_string(),
                missing_year: e.missing_year(),
            };
        }
    };
    if today > due {
        return match cal.working_days_between(due, today) {
            Ok(n) => DeadlineStatus::Overdue {
                due,
                working_days_over: n,
            },
            Err(e) => DeadlineStatus::Unknown {
                reason: e.to_string(),
                missing_year: e.missing_year(),
            },
        };
    }
    match cal.working_days_between(today, due) {
        Ok(n) if n <= NEAR_DEADLINE_WORKING_DAYS => DeadlineStatus::Near {
            due,
            working_days_left: n,
        },
        Ok(n) => DeadlineStatus::OnTime {
            due,
            working_days_left: n,
        },
        Err(e) => DeadlineStatus::Unknown {
            reason: e.to_string(),
            missing_year: e.missing_year(),
        },
    }
}

/// The last day to publish a decision of `kind` made on `decided_on` (R-POST-1).
pub fn publication_due(
    cal: &WorkCalendar,
    kind: DecisionKind,
    decided_on: NaiveDate,
) -> Result<NaiveDate, CalendarError> {
    cal.add_working_days(decided_on, kind.publish_working_days())
}

/// Reviewers an agency needs: 5% of its officers, at least 1 (R-LEGAL-6).
pub fn reviewers_required(officers: u32) -> u32 {
    officers.div_ceil(20).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn sample() -> DraftContent {
        let mut c = DraftContent::empty(DecisionKind::Penalty);
        c.title = "关于某公司超标排放的行政处罚决定".into();
        c.category = "生态环境".into();
        c.party_name = "清远市某化工有限公司".into();
        c.legal_basis = "《大气污染防治法》第九十九条".into();
        c.facts = "超标排放".into();
        c.discretion = "一般情节".into();
        c.conclusion = "罚款".into();
        c.fine_fen = Some(10_000_000);
        c
    }

    #[test]
    fn r_legal_2_a_fine_above_the_threshold_is_major_and_at_it_is_not() {
        let cat = Catalogue::default_for_agency();
        let mut c = sample();
        assert_eq!(cat.classify(&c), vec![MajorTrigger::LargeFine]);
        c.fine_fen = Some(cat.fine_threshold_fen);
        assert!(cat.classify(&c).is_empty());
        let mut no_fines = cat.clone();
        no_fines.triggers.retain(|t| *t != MajorTrigger::LargeFine);
        c.fine_fen = Some(i64::MAX / 2);
        assert!(no_fines.classify(&c).is_empty());
    }

    #[test]
    fn r_legal_2_each_trigger_counts_only_when_the_catalogue_lists_it() {
        let mut c = sample();
        c.fine_fen = None;
        c.revocation = true;
        c.hearing_held = true;
        c.crime_suspected = true;
        let cat = Catalogue::default_for_agency();
        assert_eq!(
            cat.classify(&c),
            vec![
                MajorTrigger::Revocation,
                MajorTrigger::HearingHeld,
                MajorTrigger::JudicialTransfer
            ]
        );
        let narrow = Catalogue {
            triggers: vec![MajorTrigger::Revocation],
            ..cat
        };
        assert_eq!(narrow.classify(&c), vec![MajorTrigger::Revocation]);
    }

    #[test]
    fn r_legal_2_a_selected_other_item_of_the_catalogue_makes_a_decision_major() {
        let mut cat = Catalogue::default_for_agency();
        cat.other_items = vec![
            "涉及新污染物的处理决定".into(),
            "跨行政区域污染的处理决定".into(),
        ];
        let mut c = sample();
        c.fine_fen = None;
        assert!(cat.classify(&c).is_empty());
        c.other_items = vec![" 跨行政区域污染的处理决定 ".into()];
        assert_eq!(cat.classify(&c), vec![MajorTrigger::CatalogueItem]);
        assert_eq!(cat.matching_items(&c), vec!["跨行政区域污染的处理决定"]);
        // Counts even when every switchable trigger is off.
        let bare = Catalogue {
            triggers: vec![],
            ..cat.clone()
        };
        assert_eq!(bare.classify(&c), vec![MajorTrigger::CatalogueItem]);
        // An item the (newer) catalogue no longer lists does not count.
        c.other_items = vec!["已删除的事项".into()];
        assert!(cat.classify(&c).is_empty());
        assert_eq!(
            MajorTrigger::parse("catalogue_item"),
            Some(MajorTrigger::CatalogueItem)
        );
        assert!(!MajorTrigger::ALL.contains(&MajorTrigger::CatalogueItem));
    }

    #[test]
    fn r_legal_3_approve_with_a_failed_item_is_refused() {
        let mut checks: Vec<CheckResult> = CheckItem::ALL
            .into_iter()
            .map(|item| CheckResult {
                item,
                passed: true,
                note: String::new(),
            })
            .collect();
        assert!(validate_review(&checks, Opinion::Approve, "").is_ok());
        assert!(validate_review(&checks, Opinion::Problems, "").is_err());
        checks[3].passed = false;
        assert!(validate_review(&checks, Opinion::Problems, "证据不足").is_err());
        checks[3].note = "缺少采样记录".into();
        assert!(validate_review(&checks, Opinion::Problems, "证据不足").is_ok());
        assert!(validate_review(&checks, Opinion::Approve, "").is_err());
        checks.pop();
        assert!(validate_review(&checks, Opinion::Problems, "x").is_err());
    }

    #[test]
    fn r_legal_5_review_over_national_day_2025_counts_make_up_workdays() {
        let cal = WorkCalendar::builtin().unwrap();
        // Received Tuesday 2025-09-30, the last working day before the National Day
        // and Mid-Autumn holiday (10-01..10-08); Saturday 10-11 is a make-up workday.
        // Working days after receipt: 10-09 (Thu), 10-10 (Fri), 10-11 (Sat, 调休),
        // 10-13 (Mon), 10-14 (Tue).
        assert_eq!(
            review_due(&cal, d(2025, 9, 30), false).unwrap(),
            d(2025, 10, 14)
        );
        // Extension: + 10-15, 10-16, 10-17.
        assert_eq!(
            review_due(&cal, d(2025, 9, 30), true).unwrap(),
            d(2025, 10, 17)
        );
        assert!(matches!(
            review_deadline_status(&cal, d(2025, 9, 30), false, d(2025, 10, 13)),
            DeadlineStatus::Near {
                working_days_left: 1,
                ..
            }
        ));
        assert!(matches!(
            review_deadline_status(&cal, d(2025, 9, 30), false, d(2025, 10, 9)),
            DeadlineStatus::OnTime {
                working_days_left: 4,
                ..
            }
        ));
        assert!(matches!(
            review_deadline_status(&cal, d(2025, 9, 30), false, d(2025, 10, 16)),
            DeadlineStatus::Overdue {
                working_days_over: 2,
                ..
            }
        ));
    }

    #[test]
    fn r_legal_5_a_deadline_in_a_year_without_data_is_unknown_never_guessed() {
        let cal = WorkCalendar::builtin().unwrap();
        match review_deadline_status(&cal, d(2026, 12, 28), false, d(2026, 12, 28)) {
            DeadlineStatus::Unknown {
                reason,
                missing_year,
            } => {
                assert!(reason.contains("2027"), "{reason}");
                assert_eq!(missing_year, Some(2027));
            }
            other => panic!("expected unknown, got {other:?}"),
        }
        assert!(review_due(&cal, d(2026, 12, 28), false).is_err());
    }

    #[test]
    fn r_legal_6_reviewers_required_is_five_percent_rounded_up_minimum_one() {
        assert_eq!(reviewers_required(0), 1);
        assert_eq!(reviewers_required(4), 1);
        assert_eq!(reviewers_required(20), 1);
        assert_eq!(reviewers_required(21), 2);
        assert_eq!(reviewers_required(100), 5);
    }

    #[test]
    fn diff_lists_only_changed_fields() {
        let a = sample();
        let mut b = a.clone();
        assert!(diff(&a, &b).is_empty());
        b.facts = "超标排放，且拒不改正".into();
        b.fine_fen = Some(20_000_000);
        let ch = diff(&a, &b);
        assert_eq!(
            ch.iter().map(|c| c.field.as_str()).collect::<Vec<_>>(),
            vec!["facts", "fine_fen"]
        );
        assert_eq!(ch[1].after, "200000.00 元");
    }

    #[test]
    fn r_post_1_publication_deadlines_by_kind() {
        let cal = WorkCalendar::builtin().unwrap();
        // Decided Tuesday 2025-09-30, just before the National Day holiday.
        let due = publication_due(&cal, DecisionKind::Penalty, d(2025, 9, 30)).unwrap();
        // 10-09, 10-10, 10-11 (调休), 10-13, 10-14, 10-15, 10-16 → 7th working day.
        assert_eq!(due, d(2025, 10, 16));
        let due = publication_due(&cal, DecisionKind::Inspection, d(2025, 9, 30)).unwrap();
        assert!(due > d(2025, 10, 16));
    }
}
