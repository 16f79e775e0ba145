//! Property tests for merging inspection documents: whatever the interleaving of
//! local edits and merges across three devices, all copies converge to the same
//! record, no finding, check-in or evidence reference is lost, and every concurrent
//! scalar write stays visible as a conflict until it is written again.

use automerge::ActorId;
use chrono::{DateTime, TimeZone, Utc};
use liuhen_domain::doc::{InspectionDoc, NewInspection};
use liuhen_domain::inspection::{
    EvidenceKind, EvidenceRef, Finding, IdentityNotice, InspectionKind, InspectionMeta,
    InspectionStep, TeamMember,
};
use proptest::prelude::*;

fn at(n: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_790_000_000 + n, 0).unwrap()
}

fn meta() -> InspectionMeta {
    InspectionMeta {
        id: "0193a5c0-0000-7000-8000-0000000000aa".into(),
        kind: InspectionKind::AdHoc,
        task_id: None,
        agency_id: "a".into(),
        agency_name: "某局".into(),
        target_id: "t".into(),
        target_name: "某公司".into(),
        target_credit_code: None,
        target_address: "某地".into(),
        target_area: "441802".into(),
        target_is_natural_person: false,
        category: "生态环境".into(),
        item_code: "X".into(),
        item_name: "检查".into(),
        legal_basis: String::new(),
        opened_at: at(0),
        opened_by: "o1".into(),
        device_id: "d0".into(),
    }
}

#[derive(Debug, Clone)]
enum Op {
    Finding { dev: usize },
    Evidence { dev: usize, n: u8 },
    CheckIn { dev: usize, officer: u8 },
    Statement { dev: usize, text: u8 },
    Merge { from: usize, to: usize },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0usize..3).prop_map(|dev| Op::Finding { dev }),
        (0usize..3, 0u8..4).prop_map(|(dev, n)| Op::Evidence { dev, n }),
        (0usize..3, 0u8..3).prop_map(|(dev, officer)| Op::CheckIn { dev, officer }),
        (0usize..3, 0u8..3).prop_map(|(dev, text)| Op::Statement { dev, text }),
        (0usize..3, 0usize..3).prop_map(|(from, to)| Op::Merge { from, to }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn replicas_converge_and_lose_nothing(ops in proptest::collection::vec(op(), 1..40)) {
        let mut origin = InspectionDoc::create(ActorId::from(vec![1u8; 16]), NewInspection { meta: meta() }).unwrap();
        let mut devs: Vec<InspectionDoc> = (0..3u8)
            .map(|i| origin.fork_as(ActorId::from(vec![10 + i; 16])))
            .collect();
        let mut findings = std::collections::BTreeSet::new();
        let mut hashes = std::collections::BTreeSet::new();
        let mut officers = std::collections::BTreeSet::new();
        let mut wrote_statement = false;
        for (step, o) in ops.iter().enumerate() {
            let t = at(step as i64 + 1);
            match o.clone() {
                Op::Finding { dev } => {
                    let id = format!("f{step}");
                    devs[dev].add_finding(&Finding { id: id.clone(), text: format!("发现 {step}"), author: "o1".into(), at: t, evidence: vec![] }).unwrap();
                    findings.insert(id);
                }
                Op::Evidence { dev, n } => {
                    let sha = format!("{n:02x}").repeat(32);
                    devs[dev].add_evidence(&EvidenceRef {
                        sha256: sha.clone(), kind: EvidenceKind::Photo, media_type: "image/jpeg".into(),
                        size_bytes: 10, captured_at: t, captured_by: "o1".into(), device_id: format!("d{dev}"),
                        step: InspectionStep::Findings, lat: None, lon: None,
                        accuracy_m: None,
                        fixed_at: None,
                    }).unwrap();
                    hashes.insert(sha);
                }
                Op::CheckIn { dev, officer } => {
                    devs[dev].add_team_member(&TeamMember {
                        officer_id: format!("o{officer}"), name: format!("官{officer}"),
                        certificate_no: format!("C{officer}"),
                        certificate_valid_until: chrono::NaiveDate::from_ymd_opt(2030, 1, 1).unwrap(),
                        checked_in_at: t, device_id: format!("d{dev}"),
                        location: None,
                    }).unwrap();
                    officers.insert(format!("o{officer}"));
                }
                Op::Statement { dev, text } => {
                    devs[dev].set_identity_notice(&IdentityNotice {
                        statement: format!("用语 {text}"),
                        recording_sha256: "ee".repeat(32),
                        given_at: t,
                        given_by: format!("o{dev}"),
                    }).unwrap();
                    wrote_statement = true;
                }
                Op::Merge { from, to } if from != to => {
                    let mut src = devs[from].fork_as(ActorId::from(vec![99u8; 16]));
                    devs[to].merge(&mut src).unwrap();
                }
                Op::Merge { .. } => {}
            }
        }
        // Full exchange: everyone merges everyone.
        for i in 0..3 {
            for j in 0..3 {
                if i != j {
                    let mut src = devs[j].fork_as(ActorId::from(vec![98u8; 16]));
                    devs[i].merge(&mut src).unwrap();
                }
            }
        }
        let reads: Vec<_> = devs.iter().map(|d| d.read()).collect::<Result<_, _>>().unwrap();
        prop_assert_eq!(&reads[0], &reads[1]);
        prop_assert_eq!(&reads[1], &reads[2]);
        let r = &reads[0];
        let got: std::collections::BTreeSet<String> = r.findings.iter().map(|f| f.id.clone()).collect();
        prop_assert_eq!(got, findings);
        let got: std::collections::BTreeSet<String> = r.evidence.iter().map(|e| e.sha256.clone()).collect();
        prop_assert_eq!(got, hashes);
        let got: std::collections::BTreeSet<String> = r.team.iter().map(|m| m.officer_id.clone()).collect();
        prop_assert_eq!(got, officers);
        // A statement written anywhere is visible; concurrent ones are all listed.
        if wrote_statement {
            let c = devs[0].conflicts().unwrap();
            prop_assert!(r.identity_notice.is_some());
            for conflict in &c {
                prop_assert!(conflict.path.starts_with("identity_notice."), "{:?}", conflict);
                prop_assert!(conflict.values.len() >= 2);
            }
        } else {
            prop_assert!(devs[0].conflicts().unwrap().is_empty());
        }
    }
}
