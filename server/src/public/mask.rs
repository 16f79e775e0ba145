//! Masking of personal data in published decisions (R-POST-2): a natural person's
//! name becomes surname + 某 (刘建华 → 刘某, 欧阳娜娜 → 欧阳某), an ID number or a
//! mobile number anywhere in the published text becomes `[已隐去]`, and the public
//! view of a decision is built only from [`PublicSource`], which never holds a
//! person's ID number or the decision's confidential notes.

use serde::Serialize;

use liuhen_core::legal::{PartyKind, yuan};

use crate::storage::publicity::{PublicSource, PublicationRecord};

/// What replaces an ID number or a mobile number in published text.
pub const REDACTED: &str = "[已隐去]";

/// Two-character surnames (复姓) kept whole when a name is masked.
const COMPOUND_SURNAMES: &[&str] = &[
    "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "夏侯", "长孙",
    "宇文", "司徒", "端木", "司空", "西门", "南宫", "独孤", "轩辕", "呼延", "申屠", "太史", "澹台",
    "公冶", "宗政", "濮阳", "淳于", "单于", "钟离", "闻人", "万俟", "赫连", "第五", "拓跋", "百里",
    "东郭", "左丘", "谷梁", "段干", "司寇", "鲜于", "闾丘", "仲孙", "公羊", "巫马", "公西", "漆雕",
    "乐正", "壤驷", "公良", "夹谷", "宰父", "颛孙", "子车", "梁丘", "羊舌", "微生", "东门", "南门",
];

/// The public form of a natural person's name (R-POST-2): the surname followed by
/// 某 (`刘建华` → `刘某`, `欧阳娜娜` → `欧阳某`); an empty name → `某某`.
pub fn mask_person_name(name: &str) -> String {
    let name = name.trim();
    if name.is_empty() {
        return "某某".into();
    }
    if let Some(s) = COMPOUND_SURNAMES.iter().find(|s| name.starts_with(**s)) {
        return format!("{s}某");
    }
    let first: String = name.chars().take(1).collect();
    format!("{first}某")
}

fn is_digit(c: char) -> bool {
    c.is_ascii_digit() || ('０'..='９').contains(&c)
}

/// Replaces every run shaped like a PRC ID number (15 or more digits, or 17 digits
/// followed by X) or an 11-digit mobile number (starting with 1) by [`REDACTED`].
pub fn redact_numbers(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if !is_digit(chars[i]) {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && is_digit(chars[i]) {
            i += 1;
        }
        let mut end = i;
        let len = end - start;
        // 17 digits + check character X.
        if len == 17 && end < chars.len() && matches!(chars[end], 'X' | 'x' | 'Ｘ' | 'ｘ') {
            end += 1;
            i = end;
        }
        let run = &chars[start..end];
        let id_like = end - start >= 15;
        let mobile_like = len == 11 && matches!(run[0], '1' | '１');
        if id_like || mobile_like {
            out.push_str(REDACTED);
        } else {
            out.extend(run.iter());
        }
    }
    out
}

/// `text` with every occurrence of a person's full `name` replaced by `masked`
/// (repeated until none is left), then numbers redacted ([`redact_numbers`]).
pub fn mask_text(text: &str, name: Option<(&str, &str)>) -> String {
    let mut t = text.to_string();
    if let Some((name, masked)) = name {
        let name = name.trim();
        // A one-character "name" cannot be told from ordinary text.
        if name.chars().count() >= 2 {
            // A name that is its own masked form's prefix (e.g. just a compound
            // surname) would survive inside it: use 某某 instead.
            let masked = if masked.contains(name) {
                "某某"
            } else {
                masked
            };
            // A replacement can in theory form a new occurrence: repeat, bounded.
            let mut passes = 0;
            while t.contains(name) && passes < 64 {
                t = t.replace(name, masked);
                passes += 1;
            }
            if t.contains(name) {
                t = t.replace(name, "某某");
            }
        }
    }
    redact_numbers(&t)
}

/// A published decision as the public sees it (R-POST-2): body, target, category,
/// document number, decision date and conclusion; personal data masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicDecision {
    /// Decision id.
    pub id: String,
    /// Agency id.
    pub agency_id: String,
    /// 执法主体 (the enforcing body's name).
    pub body: String,
    /// 当事人: a company's name, or a natural person's masked name.
    pub target: String,
    /// `company` or `person`.
    pub party_kind: &'static str,
    /// 统一社会信用代码 of a company (None for a natural person).
    pub credit_code: Option<String>,
    /// 执法类别.
    pub category: String,
    /// Kind (stable text).
    pub kind: &'static str,
    /// Kind in Chinese.
    pub kind_label: &'static str,
    /// Title (masked).
    pub title: String,
    /// 文书编号.
    pub doc_number: String,
    /// 决定日期 (YYYY-MM-DD).
    pub decided_on: String,
    /// 法律依据 (masked).
    pub legal_basis: String,
    /// 决定内容 (masked).
    pub conclusion: String,
    /// Fine in fen.
    pub fine_fen: Option<i64>,
    /// Fine as yuan text (`12345.67 元`).
    pub fine_yuan: Option<String>,
    /// 公开日期 (YYYY-MM-DD); None in a preview before publication.
    pub published_on: Option<String>,
    /// 逾期公开 (published after the R-POST-1 deadline).
    pub late: bool,
    /// Working days late, if known.
    pub late_working_days: Option<u32>,
}

/// The public target of a decision: a company's name, or the masked name of a
/// person (R-POST-2).
pub fn public_target(src: &PublicSource) -> String {
    match src.party_kind {
        PartyKind::Company => src.party_name.trim().to_string(),
        PartyKind::Person => mask_person_name(&src.party_name),
    }
}

/// The public credit code: a company's; never anything for a person.
pub fn public_code(src: &PublicSource) -> String {
    match src.party_kind {
        PartyKind::Company => src.company_code.trim().to_uppercase(),
        PartyKind::Person => String::new(),
    }
}

/// The public view of a decision (R-POST-2), for the preview before filing
/// (`publication` None) or a published record. Reads only [`PublicSource`].
pub fn public_decision(
    src: &PublicSource,
    body: &str,
    publication: Option<&PublicationRecord>,
) -> PublicDecision {
    let target = public_target(src);
    let person = match src.party_kind {
        PartyKind::Person => Some((src.party_name.as_str(), target.as_str())),
        PartyKind::Company => None,
    };
    let code = public_code(src);
    PublicDecision {
        id: src.id.clone(),
        agency_id: src.agency_id.clone(),
        body: body.to_string(),
        target: redact_numbers(&target),
        party_kind: src.party_kind.as_str(),
        credit_code: (!code.is_empty()).then_some(code),
        category: mask_text(&src.category, person),
        kind: src.kind.as_str(),
        kind_label: src.kind.label(),
        title: mask_text(&src.title, person),
        doc_number: mask_text(&src.doc_number, person),
        decided_on: src.decided_on.format("%Y-%m-%d").to_string(),
        legal_basis: mask_text(&src.legal_basis, person),
        conclusion: mask_text(&src.conclusion, person),
        fine_fen: src.fine_fen,
        fine_yuan: src.fine_fen.map(yuan),
        published_on: publication
            .and_then(|p| p.published_on)
            .map(|d| d.format("%Y-%m-%d").to_string()),
        late: publication.and_then(|p| p.late).unwrap_or(false),
        late_working_days: publication.and_then(|p| p.late_working_days),
    }
}

/// The public columns of a decision record (R-POST-2): a person's ID number and
/// the confidential notes are not copied.
pub fn source_of(d: &crate::storage::legal::DecisionRecord) -> PublicSource {
    PublicSource {
        id: d.id.clone(),
        agency_id: d.agency_id.clone(),
        kind: d.kind,
        title: d.title.clone(),
        doc_number: d.doc_number.clone(),
        decided_on: d.decided_on,
        category: d.category.clone(),
        party_kind: d.party_kind,
        party_name: d.party_name.clone(),
        company_code: match d.party_kind {
            PartyKind::Company => d.party_code.clone(),
            PartyKind::Person => String::new(),
        },
        legal_basis: d.legal_basis.clone(),
        conclusion: d.conclusion.clone(),
        fine_fen: d.fine_fen,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use liuhen_core::legal::DecisionKind;
    use proptest::prelude::*;

    /// Whether `s` holds an ID-number-shaped run (17 digits + digit or X).
    fn has_id_shape(s: &str) -> bool {
        let c: Vec<char> = s.chars().collect();
        (0..c.len()).any(|i| {
            c.len() >= i + 18
                && c[i..i + 17].iter().all(|x| x.is_ascii_digit())
                && (c[i + 17].is_ascii_digit() || c[i + 17] == 'X' || c[i + 17] == 'x')
        })
    }

    #[test]
    fn r_post_2_names_are_masked_to_surname_and_mou() {
        assert_eq!(mask_person_name("刘建华"), "刘某");
        assert_eq!(mask_person_name("王五"), "王某");
        assert_eq!(mask_person_name("欧阳娜娜"), "欧阳某");
        assert_eq!(mask_person_name("诸葛亮"), "诸葛某");
        assert_eq!(mask_person_name("司马光"), "司马某");
        assert_eq!(mask_person_name(" 上官婉儿 "), "上官某");
        assert_eq!(mask_person_name(""), "某某");
        assert_eq!(mask_person_name("   "), "某某");
    }

    #[test]
    fn r_post_2_id_and_mobile_numbers_are_redacted() {
        assert_eq!(
            redact_numbers("身份证号441802198505120317，电话13902221234。"),
            "身份证号[已隐去]，电话[已隐去]。"
        );
        assert_eq!(redact_numbers("44180219850512031X"), REDACTED);
        assert_eq!(redact_numbers("罚款 50000 元"), "罚款 50000 元");
        assert_eq!(redact_numbers("清环罚〔2026〕15号"), "清环罚〔2026〕15号");
        assert_eq!(
            redact_numbers("４４１８０２１９８５０５１２０３１７"),
            REDACTED
        );
    }

    #[test]
    fn r_post_2_public_view_masks_the_person_everywhere() {
        let src = PublicSource {
            id: "d1".into(),
            agency_id: "qy".into(),
            kind: DecisionKind::Penalty,
            title: "对刘建华的行政处罚决定".into(),
            doc_number: "清环罚〔2026〕16号".into(),
            decided_on: NaiveDate::from_ymd_opt(2026, 11, 10).unwrap(),
            category: "生态环境".into(),
            party_kind: PartyKind::Person,
            party_name: "刘建华".into(),
            company_code: String::new(),
            legal_basis: "《固体废物污染环境防治法》".into(),
            conclusion: "当事人刘建华（身份证号441802198505120317）罚款".into(),
            fine_fen: Some(500_000),
        };
        let v = public_decision(&src, "清远市生态环境局", None);
        assert_eq!(v.target, "刘某");
        assert_eq!(v.title, "对刘某的行政处罚决定");
        assert_eq!(v.conclusion, "当事人刘某（身份证号[已隐去]）罚款");
        assert_eq!(v.credit_code, None);
        assert_eq!(v.fine_yuan.as_deref(), Some("5000.00 元"));
        let json = serde_json::to_string(&v).unwrap();
        assert!(!json.contains("刘建华") && !json.contains("441802198505120317"));
    }

    fn cjk() -> impl Strategy<Value = char> {
        // Common CJK ideographs without 某.
        (0x4E00u32..0x9FA5).prop_filter_map("not 某", |c| char::from_u32(c).filter(|c| *c != '某'))
    }

    proptest! {
        #[test]
        fn r_post_2_the_full_name_never_survives_masking(
            name in proptest::collection::vec(cjk(), 2..5).prop_map(|v| v.into_iter().collect::<String>()),
            parts in proptest::collection::vec("[a-z0-9 ，。]{0,8}", 0..6),
        ) {
            let masked = mask_person_name(&name);
            let text = parts.join(&name);
            let out = mask_text(&format!("{name}{text}{name}"), Some((&name, &masked)));
            prop_assert!(!out.contains(&name), "{out}");
        }

        #[test]
        fn r_post_2_no_id_number_shape_survives(text in "[0-9Xx 刘某，]{0,80}") {
            let out = mask_text(&text, None);
            prop_assert!(!has_id_shape(&out), "{out}");
        }

        #[test]
        fn r_post_2_an_embedded_id_number_is_always_redacted(
            pre in "[^0-9０-９]{0,10}",
            id in "[1-9][0-9]{16}[0-9X]",
            post in "[^0-9０-９]{0,10}",
        ) {
            let out = mask_text(&format!("{pre}{id}{post}"), None);
            prop_assert!(!out.contains(&id));
            prop_assert!(!has_id_shape(&out));
        }
    }
}
