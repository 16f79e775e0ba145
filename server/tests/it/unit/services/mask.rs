//! Tests of `server/src/services/mask.rs`.

use chrono::NaiveDate;
use liuhen_domain::legal::{DecisionKind, PartyKind};
use liuhen_server::services::mask::*;
use liuhen_server::storage::publicity::PublicSource;
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

#[test]
fn r_post_2_numbers_written_with_separators_or_full_width_are_redacted() {
    for t in [
        "4401 0319 9003 0712 32",
        "4401-0319-9003-0712-32",
        "440103 19900307 1232",
        "44010319900307123X",
        "4401 0319 9003 0712 3x",
        "４４０１　０３１９　９００３　０７１２　３２",
        "138-0013-8001",
        "138 0013 8001",
        "138—0013—8001",
        "１３８－００１３－８００１",
        "+86 138 0013 8001",
        "138 - 0013 - 8001",
    ] {
        assert_eq!(redact_numbers(t), REDACTED, "{t}");
        assert_eq!(
            redact_numbers(&format!("电话：{t}。")),
            format!("电话：{REDACTED}。"),
            "{t}"
        );
    }
    // What a decision must keep: amounts, dates, document numbers, a landline.
    for t in [
        "罚款 50000 元",
        "罚款 1,000,000.00 元",
        "2026-11-10",
        "2026年11月10日至2026年11月12日",
        "清环罚〔2026〕15号",
        "第 1、2、3 项",
        "举报电话 0763-3368123",
    ] {
        assert_eq!(redact_numbers(t), t);
    }
}

#[test]
fn r_post_2_names_of_other_persons_are_found_with_their_position() {
    let t = "当事人刘某之妻王小红（身份证号略）系该店经营者，证人陈述属实。";
    let n = probable_names(t);
    assert_eq!(n.len(), 1, "{n:?}");
    assert_eq!(n[0].text, "王小红");
    assert_eq!(n[0].position, 8);
    assert_eq!(n[0].masked, "王某");
    assert_eq!(
        probable_names("法定代表人：欧阳娜娜。其子张强因故未到场。")
            .iter()
            .map(|n| n.text.as_str())
            .collect::<Vec<_>>(),
        vec!["欧阳娜娜", "张强"]
    );
    assert_eq!(
        probable_names("经查，李建国（男，1980年生）")[0].text,
        "李建国"
    );
    assert_eq!(
        mask_text("其妻王小红在场，其子张强因故未到场。", None),
        "其妻王某在场，其子张某因故未到场。"
    );
    // Boilerplate of decisions is not a name.
    for t in [
        "当事人应当自收到本决定书之日起十五日内缴纳罚款。",
        "当事人陈述申辩的理由不能成立。",
        "当事人于2026年11月10日申请听证。",
        "负责人黄某在场。证人陈述与现场检查笔录一致。",
        "责令当事人立即改正违法行为，处罚款五万元。",
        "委托代理人于当日到场。",
        "本机关依法对该公司的员工宿舍进行了检查，股东会决议已提交。",
    ] {
        assert!(probable_names(t).is_empty(), "{t}: {:?}", probable_names(t));
    }
    let spans = unsafe_spans(&[("决定内容", "其妻王小红在场")]);
    let msg = unsafe_spans_message(&spans);
    assert!(
        msg.contains("“决定内容”第 3 个字起的“王小红”")
            && unsafe_spans_fix(&spans).contains("王某"),
        "{msg}"
    );
}

fn sep() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        proptest::sample::select(vec![
            ' ', '\u{3000}', '\u{00A0}', '-', '－', '‐', '–', '—', '_', '.', '．', '·', '/',
        ]),
        0..=3,
    )
    .prop_map(|v| v.into_iter().collect())
}

/// `digits` written the way people write: each digit maybe full-width, any
/// separators between digits.
fn written(digits: String) -> impl Strategy<Value = String> {
    let n = digits.chars().count();
    (
        proptest::collection::vec(any::<bool>(), n),
        proptest::collection::vec(sep(), n),
    )
        .prop_map(move |(wide, seps)| {
            let mut out = String::new();
            for (i, c) in digits.chars().enumerate() {
                if i > 0 {
                    out.push_str(&seps[i]);
                }
                let c = if wide[i] && c.is_ascii_digit() {
                    char::from_u32(c as u32 - '0' as u32 + '０' as u32).unwrap()
                } else if wide[i] && c == 'X' {
                    'Ｘ'
                } else {
                    c
                };
                out.push(c);
            }
            out
        })
}

fn no_digit_text() -> impl Strategy<Value = String> {
    "[^0-9０-９]{0,10}"
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
    fn r_post_2_an_id_or_mobile_written_any_way_never_survives(
        pre in no_digit_text(),
        number in prop_oneof![
            "[1-9][0-9]{16}[0-9X]",
            "[1-9][0-9]{14}",
            "1[3-9][0-9]{9}",
        ].prop_flat_map(written),
        post in no_digit_text(),
    ) {
        let out = mask_text(&format!("{pre}{number}{post}"), None);
        // The surrounding text has no digits: none may be left at all.
        prop_assert!(!out.chars().any(is_digit), "{number} → {out}");
        prop_assert!(out.contains(REDACTED));
    }

    #[test]
    fn r_post_2_a_relative_named_after_a_person_word_never_survives(
        cue in proptest::sample::select(PERSON_BEFORE.to_vec()),
        surname in proptest::sample::select(SURNAMES.chars().collect::<Vec<_>>()),
        given in proptest::collection::vec(cjk(), 1..3),
        post in "[，。、]{0,1}[^0-9]{0,6}",
    ) {
        let given: String = given.into_iter().collect();
        prop_assume!(!given.chars().any(|c| NAME_STOPS.contains(c)));
        let name = format!("{surname}{given}");
        prop_assume!(!NOT_NAMES.iter().any(|w| name.starts_with(w)));
        let out = mask_text(&format!("经查，{cue}{name}{post}"), None);
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
