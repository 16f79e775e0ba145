//! Plain domain types (agency, officer, target, task) and their validation.
//!
//! Everything here is data the device caches from the server (the roster and the
//! task list) or that an officer types in. Bad values are refused with a
//! [`ModelError`] that names the field, so a screen can point at it.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// A value that failed validation; `field` is the dotted name of the offending field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("字段 {field} 无效：{reason}")]
pub struct ModelError {
    /// Dotted path of the field, e.g. `officer.certificate_no`.
    pub field: String,
    /// What is wrong with it, in Chinese for the officer.
    pub reason: String,
}

impl ModelError {
    /// Builds an error for `field` with a reason.
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        ModelError {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

fn require_text(field: &str, value: &str, max_chars: usize) -> Result<(), ModelError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(ModelError::new(field, "不能为空"));
    }
    if trimmed.chars().count() > max_chars {
        return Err(ModelError::new(
            field,
            format!("过长（最多 {max_chars} 个字符）"),
        ));
    }
    if value.chars().any(|c| c.is_control() && c != '\n') {
        return Err(ModelError::new(field, "含有不可见的控制字符"));
    }
    Ok(())
}

fn require_list(field: &str, values: &[String]) -> Result<(), ModelError> {
    if values.is_empty() {
        return Err(ModelError::new(field, "至少需要一项"));
    }
    for (i, v) in values.iter().enumerate() {
        require_text(&format!("{field}[{i}]"), v, 64)?;
    }
    Ok(())
}

/// An enforcing body (执法主体): owns officers, targets and item lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agency {
    /// Stable identifier assigned by the server.
    pub id: String,
    /// Official name, e.g. 清远市生态环境局.
    pub name: String,
    /// Administrative division code (6 digits) of the agency's seat.
    pub region_code: String,
    /// The rights notice its officers read to the party (R-SCENE-4), edited by the
    /// agency's admin with the roster; both apps show this text, never their own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rights_notice: Option<RightsNoticeText>,
}

/// The text of an agency's rights notice (权利告知书, R-SCENE-4): what officers read to
/// the party, and the remedy channels it tells. The version is recorded with each
/// notice given, so a record says which text the party heard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RightsNoticeText {
    /// Version tag of the text, e.g. `清远生态环境-2026-01`.
    pub version: String,
    /// The full text read to the party.
    pub text: String,
    /// Remedy channels it tells (行政复议、行政诉讼 ...), in reading order.
    pub remedy_channels: Vec<String>,
}

impl RightsNoticeText {
    /// Checks every field; the error names the first bad one (R-SCENE-4).
    pub fn validate(&self) -> Result<(), ModelError> {
        require_text("agency.rights_notice.version", &self.version, 64)?;
        require_text("agency.rights_notice.text", &self.text, 5000)?;
        if self.remedy_channels.is_empty() {
            return Err(ModelError::new(
                "agency.rights_notice.remedy_channels",
                "R-SCENE-4: 应列出至少一种救济途径（行政复议、行政诉讼等）",
            ));
        }
        for (i, c) in self.remedy_channels.iter().enumerate() {
            require_text(
                &format!("agency.rights_notice.remedy_channels[{i}]"),
                c,
                100,
            )?;
        }
        Ok(())
    }
}

impl Agency {
    /// Checks every field; the error names the first bad one.
    pub fn validate(&self) -> Result<(), ModelError> {
        require_text("agency.id", &self.id, 64)?;
        require_text("agency.name", &self.name, 100)?;
        if self.region_code.len() != 6 || !self.region_code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ModelError::new(
                "agency.region_code",
                "行政区划代码应为 6 位数字",
            ));
        }
        if let Some(n) = &self.rights_notice {
            n.validate()?;
        }
        Ok(())
    }
}

/// Status of an officer's enforcement certificate (执法证件).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CertificateStatus {
    /// Valid and usable within its dates.
    Active,
    /// Temporarily suspended (暂扣).
    Suspended,
    /// Revoked (吊销/注销).
    Revoked,
}

impl CertificateStatus {
    /// Chinese label shown to officers.
    pub fn label(self) -> &'static str {
        match self {
            CertificateStatus::Active => "有效",
            CertificateStatus::Suspended => "暂扣",
            CertificateStatus::Revoked => "注销",
        }
    }
}

/// A certified enforcement officer (执法人员) as published on the roster (R-PRE-2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Officer {
    /// Stable identifier assigned by the server.
    pub id: String,
    /// Agency the officer belongs to.
    pub agency_id: String,
    /// Full name.
    pub name: String,
    /// Unit (所在单位/科室).
    pub unit: String,
    /// Post (职务/岗位).
    pub post: String,
    /// Enforcement certificate number (执法证件编号).
    pub certificate_no: String,
    /// Enforcement categories the certificate covers (执法类别).
    pub categories: Vec<String>,
    /// Areas the certificate covers (执法区域), as division codes or names.
    pub areas: Vec<String>,
    /// First day the certificate is valid.
    pub valid_from: NaiveDate,
    /// Last day the certificate is valid (inclusive).
    pub valid_until: NaiveDate,
    /// Certificate status.
    pub status: CertificateStatus,
}

/// Why a certificate does not count for a given date, category and area (R-SCENE-1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum CertificateProblem {
    /// The certificate is suspended or revoked.
    #[error("R-SCENE-1: {name}（证号 {certificate_no}）的执法证件状态为“{status}”，不得执法")]
    NotActive {
        /// Officer name.
        name: String,
        /// Certificate number.
        certificate_no: String,
        /// Status label.
        status: String,
    },
    /// The date lies before `valid_from` or after `valid_until`.
    #[error(
        "R-SCENE-1: {name}（证号 {certificate_no}）的执法证件有效期为 {valid_from} 至 {valid_until}，{date} 不在有效期内"
    )]
    OutOfDate {
        /// Officer name.
        name: String,
        /// Certificate number.
        certificate_no: String,
        /// First valid day.
        valid_from: NaiveDate,
        /// Last valid day.
        valid_until: NaiveDate,
        /// The date asked about.
        date: NaiveDate,
    },
    /// The certificate does not cover the category.
    #[error("R-SCENE-1: {name}（证号 {certificate_no}）的执法类别不包含“{category}”")]
    CategoryNotCovered {
        /// Officer name.
        name: String,
        /// Certificate number.
        certificate_no: String,
        /// The category asked about.
        category: String,
    },
    /// The certificate does not cover the area.
    #[error("R-SCENE-1: {name}（证号 {certificate_no}）的执法区域不包含“{area}”")]
    AreaNotCovered {
        /// Officer name.
        name: String,
        /// Certificate number.
        certificate_no: String,
        /// The area asked about.
        area: String,
    },
}

/// Whether `area` is covered by an officer area entry: equal, or a division code that
/// is a prefix of the target's code at province (2) / city (4) level, e.g. `4418`
/// covers `441802`.
fn area_covers(officer_area: &str, area: &str) -> bool {
    if officer_area == area {
        return true;
    }
    let trimmed = officer_area.trim_end_matches("00");
    let is_code = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    is_code(officer_area)
        && is_code(area)
        && !trimmed.is_empty()
        && area.len() > trimmed.len()
        && area.starts_with(trimmed)
}

impl Officer {
    /// Checks every field; the error names the first bad one.
    pub fn validate(&self) -> Result<(), ModelError> {
        require_text("officer.id", &self.id, 64)?;
        require_text("officer.agency_id", &self.agency_id, 64)?;
        require_text("officer.name", &self.name, 50)?;
        require_text("officer.unit", &self.unit, 100)?;
        require_text("officer.post", &self.post, 50)?;
        require_text("officer.certificate_no", &self.certificate_no, 32)?;
        if !self
            .certificate_no
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(ModelError::new(
                "officer.certificate_no",
                "执法证件编号只能包含字母、数字和连字符",
            ));
        }
        require_list("officer.categories", &self.categories)?;
        require_list("officer.areas", &self.areas)?;
        if self.valid_until < self.valid_from {
            return Err(ModelError::new(
                "officer.valid_until",
                format!(
                    "有效期截止日 {} 早于起始日 {}",
                    self.valid_until, self.valid_from
                ),
            ));
        }
        Ok(())
    }

    /// Whether this officer may enforce `category` in `area` on `date` (R-SCENE-1).
    pub fn certificate_check(
        &self,
        date: NaiveDate,
        category: &str,
        area: &str,
    ) -> Result<(), CertificateProblem> {
        if self.status != CertificateStatus::Active {
            return Err(CertificateProblem::NotActive {
                name: self.name.clone(),
                certificate_no: self.certificate_no.clone(),
                status: self.status.label().to_string(),
            });
        }
        if date < self.valid_from || date > self.valid_until {
            return Err(CertificateProblem::OutOfDate {
                name: self.name.clone(),
                certificate_no: self.certificate_no.clone(),
                valid_from: self.valid_from,
                valid_until: self.valid_until,
                date,
            });
        }
        if !self.categories.iter().any(|c| c == category) {
            return Err(CertificateProblem::CategoryNotCovered {
                name: self.name.clone(),
                certificate_no: self.certificate_no.clone(),
                category: category.to_string(),
            });
        }
        if !self.areas.iter().any(|a| area_covers(a, area)) {
            return Err(CertificateProblem::AreaNotCovered {
                name: self.name.clone(),
                certificate_no: self.certificate_no.clone(),
                area: area.to_string(),
            });
        }
        Ok(())
    }
}

/// The 31 characters of the GB 32100-2015 code alphabet, in value order.
const CREDIT_CODE_ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
/// Position weights for the first 17 characters (GB 32100-2015, 4.3).
const CREDIT_CODE_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// A validated 统一社会信用代码 (unified social credit code, GB 32100-2015).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CreditCode(String);

impl CreditCode {
    /// Parses and validates a code: 18 characters from the GB 32100-2015 alphabet,
    /// a 6-digit division code in positions 3–8, and a matching check digit.
    /// Lower-case input and surrounding spaces are accepted and normalised.
    pub fn parse(input: &str) -> Result<Self, ModelError> {
        const FIELD: &str = "target.credit_code";
        let code = input.trim().to_ascii_uppercase();
        let chars: Vec<char> = code.chars().collect();
        if chars.len() != 18 {
            return Err(ModelError::new(
                FIELD,
                format!("统一社会信用代码应为 18 位，实际为 {} 位", chars.len()),
            ));
        }
        let mut values = [0u32; 18];
        for (i, c) in chars.iter().enumerate() {
            let v = CREDIT_CODE_ALPHABET
                .iter()
                .position(|&a| a as char == *c)
                .ok_or_else(|| {
                    ModelError::new(
                        FIELD,
                        format!(
                            "第 {} 位“{c}”不是统一社会信用代码允许的字符（不含 I、O、Z、S、V）",
                            i + 1
                        ),
                    )
                })?;
            values[i] = v as u32;
        }
        if !chars[2..8].iter().all(|c| c.is_ascii_digit()) {
            return Err(ModelError::new(
                FIELD,
                "第 3–8 位应为登记管理机关行政区划码（数字）",
            ));
        }
        let expected = Self::check_value(&values[..17]);
        if values[17] != expected {
            return Err(ModelError::new(
                FIELD,
                format!(
                    "校验码错误：第 18 位应为“{}”，实际为“{}”",
                    CREDIT_CODE_ALPHABET[expected as usize] as char, chars[17]
                ),
            ));
        }
        Ok(CreditCode(code))
    }

    /// The check character for a 17-character body (the caller ensures the alphabet).
    pub fn check_char(body: &str) -> Option<char> {
        let values: Option<Vec<u32>> = body
            .chars()
            .map(|c| {
                CREDIT_CODE_ALPHABET
                    .iter()
                    .position(|&a| a as char == c)
                    .map(|p| p as u32)
            })
            .collect();
        let values = values?;
        if values.len() != 17 {
            return None;
        }
        Some(CREDIT_CODE_ALPHABET[Self::check_value(&values) as usize] as char)
    }

    fn check_value(body: &[u32]) -> u32 {
        let sum: u32 = body
            .iter()
            .zip(CREDIT_CODE_WEIGHTS.iter())
            .map(|(v, w)| v * w)
            .sum();
        (31 - sum % 31) % 31
    }

    /// The normalised code text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for CreditCode {
    type Error = ModelError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        CreditCode::parse(&value)
    }
}

impl From<CreditCode> for String {
    fn from(value: CreditCode) -> Self {
        value.0
    }
}

impl std::fmt::Display for CreditCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Legal form of an inspected party; natural persons get masked on public pages (R-POST-2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    /// A legal person or other organisation with a credit code.
    Organisation,
    /// An individual business (个体工商户), also with a credit code.
    IndividualBusiness,
    /// A natural person (no credit code).
    NaturalPerson,
}

/// WGS-84 coordinates of a site.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GeoPoint {
    /// Latitude in degrees, −90..=90.
    pub lat: f64,
    /// Longitude in degrees, −180..=180.
    pub lon: f64,
}

/// An inspected entity (检查对象) from the target directory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Target {
    /// Stable identifier assigned by the server.
    pub id: String,
    /// Agency whose directory lists the target.
    pub agency_id: String,
    /// Name (company name or person's name).
    pub name: String,
    /// Legal form.
    pub kind: TargetKind,
    /// 统一社会信用代码; required for organisations and individual businesses.
    pub credit_code: Option<CreditCode>,
    /// Street address of the site.
    pub address: String,
    /// Enforcement category the target falls under.
    pub category: String,
    /// Area (division code) the site lies in.
    pub area: String,
    /// Optional site coordinates.
    pub location: Option<GeoPoint>,
}

impl Target {
    /// Checks every field; the error names the first bad one.
    pub fn validate(&self) -> Result<(), ModelError> {
        require_text("target.id", &self.id, 64)?;
        require_text("target.agency_id", &self.agency_id, 64)?;
        require_text("target.name", &self.name, 200)?;
        require_text("target.address", &self.address, 200)?;
        require_text("target.category", &self.category, 64)?;
        require_text("target.area", &self.area, 64)?;
        match (self.kind, &self.credit_code) {
            (TargetKind::NaturalPerson, _) => {}
            (_, None) => {
                return Err(ModelError::new(
                    "target.credit_code",
                    "单位和个体工商户必须填写统一社会信用代码",
                ));
            }
            (_, Some(code)) => {
                CreditCode::parse(code.as_str())?;
            }
        }
        if let Some(p) = self.location {
            if !(p.lat.is_finite() && (-90.0..=90.0).contains(&p.lat)) {
                return Err(ModelError::new(
                    "target.location.lat",
                    "纬度应在 -90 到 90 之间",
                ));
            }
            if !(p.lon.is_finite() && (-180.0..=180.0).contains(&p.lon)) {
                return Err(ModelError::new(
                    "target.location.lon",
                    "经度应在 -180 到 180 之间",
                ));
            }
        }
        Ok(())
    }
}

/// An item of the random spot-check list (随机抽查事项, R-PRE-3) as a task refers to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckItem {
    /// Item code in the agency's list.
    pub code: String,
    /// Item name, e.g. 排污许可执行情况检查.
    pub name: String,
    /// Legal basis (抽查依据).
    pub legal_basis: String,
}

/// Where a task came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskSource {
    /// A double-random draw (双随机, R-RAND-1).
    Draw,
    /// Assigned by a supervisor.
    Assigned,
}

/// Lifecycle of a task as the server publishes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    /// To be done.
    Open,
    /// Cancelled by the server (with a reason on the task).
    Cancelled,
}

/// One planned inspection of one target by a team (检查任务).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    /// Stable identifier assigned by the server.
    pub id: String,
    /// Agency that owns the task.
    pub agency_id: String,
    /// Target to inspect.
    pub target_id: String,
    /// Item of the spot-check list.
    pub item: CheckItem,
    /// Enforcement category the task requires certificates for.
    pub category: String,
    /// Officers assigned (at least two, R-SCENE-2).
    pub officer_ids: Vec<String>,
    /// Last day the inspection should take place.
    pub due_date: NaiveDate,
    /// Draw or manual assignment.
    pub source: TaskSource,
    /// Open or cancelled.
    pub status: TaskStatus,
    /// Why the task was cancelled or reassigned, if it was.
    pub note: Option<String>,
}

impl Task {
    /// Checks every field; the error names the first bad one.
    pub fn validate(&self) -> Result<(), ModelError> {
        require_text("task.id", &self.id, 64)?;
        require_text("task.agency_id", &self.agency_id, 64)?;
        require_text("task.target_id", &self.target_id, 64)?;
        require_text("task.item.code", &self.item.code, 64)?;
        require_text("task.item.name", &self.item.name, 200)?;
        require_text("task.category", &self.category, 64)?;
        if self.officer_ids.len() < 2 {
            return Err(ModelError::new(
                "task.officer_ids",
                "R-SCENE-2: 检查任务至少需要指派两名执法人员",
            ));
        }
        let mut seen = std::collections::BTreeSet::new();
        for id in &self.officer_ids {
            if !seen.insert(id) {
                return Err(ModelError::new(
                    "task.officer_ids",
                    format!("执法人员 {id} 重复指派"),
                ));
            }
        }
        Ok(())
    }
}

/// Everything the device caches from the server to work offline: the agency, its
/// roster, its targets and the tasks assigned to this device's officer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RosterSnapshot {
    /// The agency.
    pub agency: Agency,
    /// Officers on the roster.
    pub officers: Vec<Officer>,
    /// Targets in the directory the device may visit.
    pub targets: Vec<Target>,
    /// Tasks assigned to this device's officer.
    pub tasks: Vec<Task>,
}

impl RosterSnapshot {
    /// Validates every record; the error names the record and field.
    pub fn validate(&self) -> Result<(), ModelError> {
        self.agency.validate()?;
        for (i, o) in self.officers.iter().enumerate() {
            o.validate().map_err(|e| prefix(e, "officers", i))?;
        }
        for (i, t) in self.targets.iter().enumerate() {
            t.validate().map_err(|e| prefix(e, "targets", i))?;
        }
        for (i, t) in self.tasks.iter().enumerate() {
            t.validate().map_err(|e| prefix(e, "tasks", i))?;
        }
        Ok(())
    }
}

fn prefix(e: ModelError, list: &str, i: usize) -> ModelError {
    ModelError::new(format!("{list}[{i}].{}", e.field), e.reason)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    pub(crate) fn officer() -> Officer {
        Officer {
            id: "o1".into(),
            agency_id: "a1".into(),
            name: "张伟".into(),
            unit: "执法监察大队".into(),
            post: "科员".into(),
            certificate_no: "44180020001".into(),
            categories: vec!["生态环境".into()],
            areas: vec!["441800".into()],
            valid_from: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
            valid_until: NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
            status: CertificateStatus::Active,
        }
    }

    #[test]
    fn credit_code_with_correct_check_digit_is_accepted() {
        let body = "91441800MA4UJ0E1";
        // Build a 17-character body and append its check char.
        let body17 = format!("{body}X");
        let check = CreditCode::check_char(&body17).unwrap();
        let code = format!("{body17}{check}");
        assert_eq!(CreditCode::parse(&code).unwrap().as_str(), code);
        assert_eq!(
            CreditCode::parse(&format!(" {} ", code.to_lowercase()))
                .unwrap()
                .as_str(),
            code
        );
    }

    #[test]
    fn known_published_credit_code_validates() {
        // 91350100M000100Y43 is the worked example of GB 32100-2015 Appendix.
        assert!(CreditCode::parse("91350100M000100Y43").is_ok());
    }

    #[test]
    fn malformed_credit_codes_name_the_field_and_reason() {
        let e = CreditCode::parse("9135010").unwrap_err();
        assert_eq!(e.field, "target.credit_code");
        assert!(e.reason.contains("18 位"), "{e}");
        let e = CreditCode::parse("91350100M000100YI3").unwrap_err();
        assert!(e.reason.contains("第 17 位"), "{e}");
        let e = CreditCode::parse("91350100M000100Y44").unwrap_err();
        assert!(e.reason.contains("校验码错误"), "{e}");
        assert!(e.reason.contains("“3”"), "{e}");
        let e = CreditCode::parse("91A50100M000100Y43").unwrap_err();
        assert!(e.reason.contains("行政区划码"), "{e}");
    }

    proptest! {
        #[test]
        fn any_single_substitution_is_detected(
            region in 0u32..999_999,
            org in proptest::collection::vec(0usize..31, 9),
            pos in 0usize..18,
            delta in 1usize..31,
        ) {
            let mut body = format!("91{region:06}");
            for v in &org { body.push(CREDIT_CODE_ALPHABET[*v] as char); }
            let check = CreditCode::check_char(&body).unwrap();
            let code = format!("{body}{check}");
            prop_assert!(CreditCode::parse(&code).is_ok());
            let mut chars: Vec<u8> = code.into_bytes();
            let old = CREDIT_CODE_ALPHABET.iter().position(|&a| a == chars[pos]).unwrap();
            chars[pos] = CREDIT_CODE_ALPHABET[(old + delta) % 31];
            let tampered = String::from_utf8(chars).unwrap();
            prop_assert!(CreditCode::parse(&tampered).is_err());
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,40}") {
            let _ = CreditCode::parse(&s);
        }
    }

    #[test]
    fn certificate_checks_follow_r_scene_1() {
        let o = officer();
        let d = NaiveDate::from_ymd_opt(2025, 6, 1).unwrap();
        assert!(o.certificate_check(d, "生态环境", "441802").is_ok());
        assert!(o.certificate_check(d, "生态环境", "441800").is_ok());
        assert!(matches!(
            o.certificate_check(d, "安全生产", "441802"),
            Err(CertificateProblem::CategoryNotCovered { .. })
        ));
        assert!(matches!(
            o.certificate_check(d, "生态环境", "440100"),
            Err(CertificateProblem::AreaNotCovered { .. })
        ));
        let late = NaiveDate::from_ymd_opt(2027, 1, 1).unwrap();
        let e = o.certificate_check(late, "生态环境", "441802").unwrap_err();
        assert!(e.to_string().starts_with("R-SCENE-1"));
        let mut revoked = o.clone();
        revoked.status = CertificateStatus::Revoked;
        assert!(matches!(
            revoked.certificate_check(d, "生态环境", "441802"),
            Err(CertificateProblem::NotActive { .. })
        ));
    }

    #[test]
    fn officer_validation_names_the_field() {
        let mut o = officer();
        o.certificate_no = "证 123".into();
        assert_eq!(o.validate().unwrap_err().field, "officer.certificate_no");
        let mut o = officer();
        o.valid_until = NaiveDate::from_ymd_opt(2023, 1, 1).unwrap();
        assert_eq!(o.validate().unwrap_err().field, "officer.valid_until");
        let mut o = officer();
        o.categories.clear();
        assert_eq!(o.validate().unwrap_err().field, "officer.categories");
        let mut o = officer();
        o.name = "  ".into();
        assert_eq!(o.validate().unwrap_err().field, "officer.name");
    }

    #[test]
    fn target_and_task_validation() {
        let t = Target {
            id: "t1".into(),
            agency_id: "a1".into(),
            name: "清远某化工有限公司".into(),
            kind: TargetKind::Organisation,
            credit_code: None,
            address: "清远市清城区".into(),
            category: "生态环境".into(),
            area: "441802".into(),
            location: Some(GeoPoint {
                lat: 23.7,
                lon: 113.0,
            }),
        };
        assert_eq!(t.validate().unwrap_err().field, "target.credit_code");
        let mut t2 = t.clone();
        t2.credit_code = Some(CreditCode::parse("91350100M000100Y43").unwrap());
        assert!(t2.validate().is_ok());
        t2.location = Some(GeoPoint {
            lat: 123.0,
            lon: 0.0,
        });
        assert_eq!(t2.validate().unwrap_err().field, "target.location.lat");
        let bad: Result<Target, _> = serde_json::from_str(
            &serde_json::to_string(&t)
                .unwrap()
                .replace("\"credit_code\":null", "\"credit_code\":\"123\""),
        );
        assert!(bad.is_err());

        let task = Task {
            id: "k1".into(),
            agency_id: "a1".into(),
            target_id: "t1".into(),
            item: CheckItem {
                code: "HB-01".into(),
                name: "排污许可执行情况检查".into(),
                legal_basis: "《排污许可管理条例》".into(),
            },
            category: "生态环境".into(),
            officer_ids: vec!["o1".into()],
            due_date: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
            source: TaskSource::Draw,
            status: TaskStatus::Open,
            note: None,
        };
        let e = task.validate().unwrap_err();
        assert!(e.reason.starts_with("R-SCENE-2"), "{e}");
    }
}
