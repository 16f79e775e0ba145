//! Write-rule tests: legitimate histories of two devices pass; every attack an
//! independent tester made through the sync endpoint is refused with its rule ID.

use std::collections::BTreeSet;

use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, ChangeHash, ObjType, ROOT, ReadDoc};
use chrono::{DateTime, Utc};
use proptest::prelude::*;

use super::*;
use crate::doc::tests::{meta, t};
use crate::doc::{InspectionDoc, NewInspection, schema_chain_hashes};
use crate::inspection::{
    Amendment, Closure, EvidenceKind, EvidenceRef, Finding, IdentityNotice, InspectionStep,
    ReviewDecision, ReviewOutcome, TeamMember,
};

const A: u8 = 1;
const B: u8 = 2;

fn actor(n: u8) -> ActorId {
    ActorId::from(vec![n; 16])
}

fn author(n: u8) -> DeviceAuthor {
    match n {
        A => DeviceAuthor {
            officer_id: "o1".into(),
            device_id: "dev-a".into(),
        },
        B => DeviceAuthor {
            officer_id: "o2".into(),
            device_id: "dev-b".into(),
        },
        _ => DeviceAuthor {
            officer_id: format!("o{n}"),
            device_id: format!("dev-{n}"),
        },
    }
}

fn member(officer: &str, device: &str, at: DateTime<Utc>) -> TeamMember {
    TeamMember {
        officer_id: officer.into(),
        name: format!("{officer} 姓名"),
        certificate_no: format!("44{officer}"),
        certificate_valid_until: chrono::NaiveDate::from_ymd_opt(2030, 1, 1).unwrap(),
        checked_in_at: at,
        device_id: device.into(),
        location: None,
    }
}

fn finding(id: &str, who: &str, at: DateTime<Utc>) -> Finding {
    Finding {
        id: id.into(),
        text: format!("{who} 记录的检查发现"),
        author: who.into(),
        at,
        evidence: vec![],
    }
}

fn evidence(sha: char, who: &str, device: &str, step: InspectionStep) -> EvidenceRef {
    EvidenceRef {
        sha256: sha.to_string().repeat(64),
        kind: EvidenceKind::Photo,
        media_type: "image/jpeg".into(),
        size_bytes: 1000,
        captured_at: t(2, 0),
        captured_by: who.into(),
        device_id: device.into(),
        step,
        lat: None,
        lon: None,
        accuracy_m: None,
        fixed_at: None,
    }
}

/// A record opened on device A, both officers checked in by A, B holding a copy.
fn opened() -> (InspectionDoc, InspectionDoc) {
    let mut a = InspectionDoc::create(actor(A), NewInspection { meta: meta() }).unwrap();
    a.add_team_member(&member("o1", "dev-a", t(1, 1))).unwrap();
    a.add_team_member(&member("o2", "dev-a", t(1, 2))).unwrap();
    a.add_finding(&finding("f1", "o1", t(1, 5))).unwrap();
    let b = a.fork_as(actor(B));
    (a, b)
}

fn judge_all(doc: &mut InspectionDoc) -> Vec<Violation> {
    let chain: BTreeSet<ChangeHash> = schema_chain_hashes().unwrap().into_iter().collect();
    let changes = doc.automerge_mut().get_changes(&[]);
    check_history(&changes, &RecordContext::default(), |c| {
        if chain.contains(&c.hash()) {
            return Judge::Trusted;
        }
        match c.actor_id().to_bytes().first() {
            Some(&n) if n == A || n == B || n == 3 => Judge::Device(author(n)),
            Some(&9) => Judge::Trusted, // a supervisor on the server
            _ => Judge::Unknown,
        }
    })
}

/// The rule of the single violation, or panics with what was found.
fn only_violation(doc: &mut InspectionDoc) -> Violation {
    let v = judge_all(doc);
    assert_eq!(v.len(), 1, "{v:#?}");
    v.into_iter().next().unwrap()
}

fn raw(doc: &mut InspectionDoc) -> &mut AutoCommit {
    doc.automerge_mut()
}

fn container(doc: &mut InspectionDoc, key: &str) -> automerge::ObjId {
    raw(doc).get(ROOT, key).unwrap().unwrap().1
}

fn list_item(doc: &mut InspectionDoc, list: &str, i: usize) -> automerge::ObjId {
    let l = container(doc, list);
    raw(doc).get(&l, i).unwrap().unwrap().1
}

fn close(doc: &mut InspectionDoc, by: &str) {
    doc.set_closure(&Closure {
        closed_at: t(3, 0),
        closed_by: by.into(),
    })
    .unwrap();
}

#[test]
fn a_whole_inspection_by_two_devices_breaks_no_rule() {
    let (mut a, mut b) = opened();
    a.set_identity_notice(&IdentityNotice {
        statement: "我们是清远市生态环境局的执法人员".into(),
        recording_sha256: "a".repeat(64),
        given_at: t(1, 10),
        given_by: "o1".into(),
    })
    .unwrap();
    a.add_evidence(&evidence(
        'a',
        "o1",
        "dev-a",
        InspectionStep::IdentityNotice,
    ))
    .unwrap();
    b.add_finding(&finding("f2", "o2", t(1, 20))).unwrap();
    b.add_evidence(&evidence('b', "o2", "dev-b", InspectionStep::Findings))
        .unwrap();
    assert!(
        b.edit_finding("f2", "乙修改了自己的发现", t(1, 25))
            .unwrap()
    );
    a.merge(&mut b).unwrap();
    assert!(
        a.edit_finding("f1", "甲修改了自己的发现", t(1, 30))
            .unwrap()
    );
    close(&mut a, "o1");
    b.merge(&mut a).unwrap();
    b.add_evidence(&evidence('c', "o2", "dev-b", InspectionStep::Amendment))
        .unwrap();
    b.add_amendment(&Amendment {
        id: "am1".into(),
        amends: "finding:f1".into(),
        text: "补充说明".into(),
        author: "o2".into(),
        at: t(4, 0),
        evidence: vec!["c".repeat(64)],
    })
    .unwrap();
    // A supervisor's decision on the server is trusted.
    let mut s = b.fork_as(actor(9));
    s.set_review_decision(&ReviewDecision {
        decision: ReviewOutcome::Approved,
        decided_by: "u-sup".into(),
        decided_by_name: "审核员".into(),
        decided_at: t(5, 0),
    })
    .unwrap();
    b.merge(&mut s).unwrap();
    assert_eq!(judge_all(&mut b), vec![]);
}

#[test]
fn editing_another_officers_finding_is_refused() {
    let (_a, mut b) = opened();
    assert!(b.edit_finding("f1", "乙改了甲的发现", t(1, 30)).unwrap());
    let v = only_violation(&mut b);
    assert_eq!(v.rule, "R-REC-5");
    assert!(v.message.contains("只能修改自己记录的检查发现"), "{v:?}");
    assert_eq!(v.officer_id.as_deref(), Some("o2"));
}

#[test]
fn rewriting_a_findings_author_is_refused() {
    let (_a, mut b) = opened();
    let f = list_item(&mut b, "findings", 0);
    raw(&mut b).put(&f, "author", "o2").unwrap();
    raw(&mut b).commit();
    assert!(only_violation(&mut b).message.contains("author"));
}

#[test]
fn a_finding_written_in_another_officers_name_is_refused() {
    let (_a, mut b) = opened();
    b.add_finding(&finding("f9", "o1", t(1, 40))).unwrap();
    let v = only_violation(&mut b);
    assert!(
        v.message.contains("author 必须是本设备登记的执法人员 o2"),
        "{v:?}"
    );
}

#[test]
fn deleting_a_finding_or_the_closure_is_refused() {
    let (mut a, _b) = opened();
    let list = container(&mut a, "findings");
    raw(&mut a).delete(&list, 0).unwrap();
    raw(&mut a).commit();
    assert!(only_violation(&mut a).message.contains("不能删改"));

    let (mut a, _b) = opened();
    close(&mut a, "o1");
    let cl = container(&mut a, "closure");
    raw(&mut a).delete(&cl, "closed_at").unwrap();
    raw(&mut a).commit();
    let v = only_violation(&mut a);
    assert!(v.after_closure, "{v:?}");
}

#[test]
fn meta_never_changes_after_the_record_is_opened() {
    for (key, value) in [
        ("target_name", "另一家公司"),
        ("opened_by", "o2"),
        ("task_id", "task-2"),
    ] {
        let (mut a, _b) = opened();
        let m = container(&mut a, "meta");
        raw(&mut a).put(&m, key, value).unwrap();
        raw(&mut a).commit();
        let v = only_violation(&mut a);
        assert!(v.message.contains(&format!("meta.{key}")), "{v:?}");
    }
    let (mut a, _b) = opened();
    let m = container(&mut a, "meta");
    raw(&mut a).put(&m, "opened_at", 0_i64).unwrap();
    raw(&mut a).commit();
    only_violation(&mut a);
}

#[test]
fn opening_a_record_in_another_officers_name_is_refused() {
    let mut m = meta();
    m.opened_by = "o2".into();
    let mut d = InspectionDoc::create(actor(A), NewInspection { meta: m }).unwrap();
    assert!(only_violation(&mut d).message.contains("opened_by"));
}

#[test]
fn the_team_only_grows() {
    let (mut a, _b) = opened();
    let team = container(&mut a, "team");
    raw(&mut a).delete(&team, 1).unwrap();
    raw(&mut a).commit();
    only_violation(&mut a);

    let (mut a, _b) = opened();
    let entry = list_item(&mut a, "team", 1);
    raw(&mut a).put(&entry, "officer_id", "o7").unwrap();
    raw(&mut a).commit();
    assert_eq!(only_violation(&mut a).rule, "R-SCENE-2");
}

#[test]
fn after_close_only_amendments_are_appended() {
    let (mut a, _b) = opened();
    close(&mut a, "o1");
    a.add_finding(&finding("f3", "o1", t(3, 30))).unwrap();
    let v = only_violation(&mut a);
    assert!(v.after_closure && v.message.contains("已结案"), "{v:?}");

    let (mut a, _b) = opened();
    close(&mut a, "o1");
    assert!(a.edit_finding("f1", "结案后改写", t(3, 30)).unwrap());
    only_violation(&mut a);

    let (mut a, _b) = opened();
    close(&mut a, "o1");
    a.add_evidence(&evidence('d', "o1", "dev-a", InspectionStep::Findings))
        .unwrap();
    assert!(only_violation(&mut a).message.contains("amendment"));
}

#[test]
fn an_amendment_before_close_is_refused() {
    let (mut a, _b) = opened();
    a.add_amendment(&Amendment {
        id: "am1".into(),
        amends: "finding:f1".into(),
        text: "未结案就更正".into(),
        author: "o1".into(),
        at: t(2, 0),
        evidence: vec![],
    })
    .unwrap();
    assert!(only_violation(&mut a).message.contains("结案后追加"));
}

#[test]
fn a_finding_made_offline_while_the_other_phone_closed_is_kept() {
    // B never saw the closure: its finding is concurrent with it, not after it.
    let (mut a, mut b) = opened();
    close(&mut a, "o1");
    b.add_finding(&finding("f2", "o2", t(2, 50))).unwrap();
    a.merge(&mut b).unwrap();
    assert_eq!(judge_all(&mut a), vec![]);
}

#[test]
fn a_device_cannot_write_the_review() {
    let (mut a, _b) = opened();
    a.set_review_decision(&ReviewDecision {
        decision: ReviewOutcome::Approved,
        decided_by: "o1".into(),
        decided_by_name: "自己批准".into(),
        decided_at: t(5, 0),
    })
    .unwrap();
    assert_eq!(only_violation(&mut a).rule, "R-REC-1");
}

#[test]
fn an_officer_outside_the_team_cannot_write() {
    let (mut a, _b) = opened();
    let mut c = a.fork_as(actor(3));
    c.add_finding(&finding("f7", "o3", t(2, 0))).unwrap();
    a.merge(&mut c).unwrap();
    assert_eq!(only_violation(&mut a).rule, "R-SCENE-2");
}

#[test]
fn new_root_keys_text_objects_and_unknown_authors_are_refused() {
    let (mut a, _b) = opened();
    raw(&mut a).put(ROOT, "extra", "x").unwrap();
    raw(&mut a).commit();
    only_violation(&mut a);

    let (mut a, _b) = opened();
    let f = list_item(&mut a, "findings", 0);
    raw(&mut a).put_object(&f, "note", ObjType::Text).unwrap();
    raw(&mut a).commit();
    only_violation(&mut a);

    let (mut a, _b) = opened();
    let mut x = a.fork_as(actor(7));
    x.add_finding(&finding("f8", "o1", t(2, 0))).unwrap();
    a.merge(&mut x).unwrap();
    assert!(only_violation(&mut a).message.contains("不是登记过的设备"));
}

#[test]
fn a_notice_given_by_another_device_cannot_be_rewritten() {
    let (mut a, mut b) = opened();
    a.set_identity_notice(&IdentityNotice {
        statement: "甲宣读".into(),
        recording_sha256: "a".repeat(64),
        given_at: t(1, 10),
        given_by: "o1".into(),
    })
    .unwrap();
    b.merge(&mut a).unwrap();
    b.set_identity_notice(&IdentityNotice {
        statement: "乙改写".into(),
        recording_sha256: "b".repeat(64),
        given_at: t(1, 11),
        given_by: "o2".into(),
    })
    .unwrap();
    assert!(!judge_all(&mut b).is_empty());
}

#[test]
fn check_new_changes_judges_only_what_is_new() {
    let (mut a, _b) = opened();
    let before = a.heads();
    assert!(a.edit_finding("f1", "甲修改", t(2, 0)).unwrap());
    let all = a.automerge_mut().get_changes(&[]);
    let new: BTreeSet<ChangeHash> = a
        .automerge_mut()
        .get_changes(&before)
        .iter()
        .map(|c| c.hash())
        .collect();
    let chain: BTreeSet<ChangeHash> = schema_chain_hashes().unwrap().into_iter().collect();
    let ctx = RecordContext::default();
    assert_eq!(
        check_new_changes(&all, &new, &author(A), &chain, &ctx),
        None
    );
    // The same new change judged as B's is refused: B did not write f1.
    assert!(check_new_changes(&all, &new, &author(B), &chain, &ctx).is_some());
}

/// One legitimate step of a device (what the core's API does).
#[derive(Debug, Clone)]
enum Legit {
    Finding(u8),
    EditOwn(u8),
    Evidence(u8),
    Sync,
    Close(u8),
    Amend(u8),
}

fn legit() -> impl Strategy<Value = Legit> {
    let dev = prop_oneof![Just(A), Just(B)];
    prop_oneof![
        dev.clone().prop_map(Legit::Finding),
        dev.clone().prop_map(Legit::EditOwn),
        dev.clone().prop_map(Legit::Evidence),
        Just(Legit::Sync),
        dev.clone().prop_map(Legit::Close),
        dev.prop_map(Legit::Amend),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever two devices do through the core's own operations, in any order and
    /// with any syncs between, breaks no write rule.
    #[test]
    fn legitimate_histories_break_no_rule(steps in prop::collection::vec(legit(), 1..25)) {
        let (a, b) = opened();
        let mut docs = [a, b];
        for (n, step) in steps.iter().enumerate() {
            let at = t(2, 0) + chrono::Duration::seconds(n as i64);
            let idx = |d: u8| usize::from(d - 1);
            match step {
                Legit::Sync => {
                    let [x, y] = &mut docs;
                    x.merge(y).unwrap();
                    y.merge(x).unwrap();
                }
                Legit::Finding(d) | Legit::EditOwn(d) | Legit::Evidence(d)
                | Legit::Close(d) | Legit::Amend(d) => {
                    let au = author(*d);
                    let doc = &mut docs[idx(*d)];
                    let i = doc.read().unwrap();
                    let closed = i.closure.is_some();
                    match step {
                        Legit::Finding(_) if !closed => doc
                            .add_finding(&finding(&format!("step-{n}"), &au.officer_id, at))
                            .unwrap(),
                        Legit::EditOwn(_) if !closed => {
                            if let Some(f) = i.findings.iter().find(|f| f.author == au.officer_id) {
                                doc.edit_finding(&f.id, &format!("改{n}"), at).unwrap();
                            }
                        }
                        Legit::Evidence(_) => {
                            let step = if closed { InspectionStep::Amendment } else { InspectionStep::Findings };
                            let mut e = evidence('e', &au.officer_id, &au.device_id, step);
                            e.sha256 = format!("{n:064x}");
                            doc.add_evidence(&e).unwrap();
                        }
                        Legit::Close(_) if !closed => close(doc, &au.officer_id),
                        Legit::Amend(_) if closed => doc
                            .add_amendment(&Amendment {
                                id: format!("am{n}"),
                                amends: "finding:f1".into(),
                                text: "更正".into(),
                                author: au.officer_id.clone(),
                                at,
                                evidence: vec![],
                            })
                            .unwrap(),
                        _ => {}
                    }
                }
            }
        }
        let [x, y] = &mut docs;
        x.merge(y).unwrap();
        prop_assert_eq!(judge_all(x), vec![]);
    }

    /// Any delete, by any device, of any list item or map key is refused.
    #[test]
    fn every_delete_is_refused(which in 0usize..4, dev in prop_oneof![Just(A), Just(B)]) {
        let (a, b) = opened();
        let mut doc = if dev == A { a } else { b };
        close(&mut doc, &author(dev).officer_id);
        let (obj, key): (automerge::ObjId, automerge::Prop) = match which {
            0 => (container(&mut doc, "findings"), 0usize.into()),
            1 => (container(&mut doc, "team"), 0usize.into()),
            2 => (container(&mut doc, "meta"), "target_name".into()),
            _ => (container(&mut doc, "closure"), "closed_by".into()),
        };
        raw(&mut doc).delete(&obj, key).unwrap();
        raw(&mut doc).commit();
        let v = judge_all(&mut doc);
        prop_assert_eq!(v.len(), 1, "{:?}", v);
        prop_assert!(v[0].message.contains("不能删改"));
    }
}

fn fix(at: DateTime<Utc>) -> crate::inspection::CaptureLocation {
    crate::inspection::CaptureLocation {
        lat: 23.68,
        lon: 113.05,
        accuracy_m: 9.0,
        fixed_at: at,
    }
}

#[test]
fn positions_on_check_in_and_evidence_break_no_rule() {
    let (mut a, mut b) = opened();
    let mut m = member("o3", "dev-a", t(1, 6));
    m.location = Some(fix(t(1, 6)));
    a.add_team_member(&m).unwrap();
    b.add_evidence(
        &evidence('b', "o2", "dev-b", InspectionStep::Findings).with_location(Some(fix(t(2, 0)))),
    )
    .unwrap();
    a.merge(&mut b).unwrap();
    assert_eq!(judge_all(&mut a), vec![]);
}

/// Writes a check-in whose location holds `key: value`, by device A, raw.
fn check_in_with_raw_location(doc: &mut InspectionDoc, key: &str, value: ScalarValue) {
    let team = container(doc, "team");
    let d = raw(doc);
    let n = d.length(&team);
    let entry = d.insert_object(&team, n, ObjType::Map).unwrap();
    d.put(&entry, "officer_id", "o1").unwrap();
    d.put(&entry, "device_id", "dev-a").unwrap();
    let loc = d.put_object(&entry, "location", ObjType::Map).unwrap();
    for (k, v) in [
        ("lat", ScalarValue::F64(23.68)),
        ("lon", ScalarValue::F64(113.05)),
        ("accuracy_m", ScalarValue::F64(9.0)),
        ("fixed_at", ScalarValue::Int(t(1, 6).timestamp_millis())),
    ] {
        let v = if k == key { value.clone() } else { v };
        d.put(&loc, k, v).unwrap();
    }
    if !["lat", "lon", "accuracy_m", "fixed_at"].contains(&key) {
        d.put(&loc, key, value).unwrap();
    }
    d.commit();
}

#[test]
fn a_check_in_position_out_of_range_is_refused_r_rec_3() {
    for (key, value, says) in [
        ("lat", ScalarValue::F64(90.5), "lat"),
        ("lon", ScalarValue::F64(-181.0), "lon"),
        ("accuracy_m", ScalarValue::F64(0.0), "accuracy_m"),
        ("accuracy_m", ScalarValue::F64(f64::NAN), "accuracy_m"),
        ("lat", ScalarValue::Str("北纬23度".into()), "必须是数值"),
        ("fixed_at", ScalarValue::F64(1.5), "整数毫秒"),
        ("altitude", ScalarValue::F64(12.0), "altitude"),
    ] {
        let (mut a, _) = opened();
        check_in_with_raw_location(&mut a, key, value);
        let v = only_violation(&mut a);
        assert_eq!(v.rule, "R-REC-3", "{key}: {v:?}");
        assert!(v.message.contains(says), "{key}: {}", v.message);
    }
}

#[test]
fn an_evidence_position_out_of_range_is_refused_r_rec_3() {
    let (mut a, _) = opened();
    let mut e = evidence('c', "o1", "dev-a", InspectionStep::Findings);
    e.lat = Some(23.0);
    e.lon = Some(200.0);
    a.add_evidence(&e).unwrap();
    let v = only_violation(&mut a);
    assert_eq!(v.rule, "R-REC-3");
    assert!(v.message.contains("evidence[].lon"), "{}", v.message);
}

#[test]
fn a_check_in_position_is_never_rewritten() {
    let (mut a, _) = opened();
    let mut m = member("o3", "dev-a", t(1, 6));
    m.location = Some(fix(t(1, 6)));
    a.add_team_member(&m).unwrap();
    let entry = list_item(&mut a, "team", 2);
    let d = raw(&mut a);
    let loc = d.get(&entry, "location").unwrap().unwrap().1;
    d.put(&loc, "lat", 24.0).unwrap();
    d.commit();
    let v = only_violation(&mut a);
    assert_eq!(v.rule, "R-SCENE-2");
}
