//! The store suite's tests of the legal workflow (R-LEGAL-1..7), publication
//! (R-POST-1..3, R-POST-7), the public profile and statistics (R-PRE-4, R-POST-4,
//! R-POST-5) and the review queue's pages, filters and freshness: every method of
//! those traits at least once, refusals included, on every backend. Listed in
//! [`store_test_suite!`](crate::store_test_suite) beside the other tests.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use futures_util::future::join_all;

use liuhen_domain::legal::{
    Catalogue, CheckItem, CheckResult, DecisionKind, DraftContent, MajorTrigger, Opinion, PartyKind,
};
use liuhen_domain::model::RosterSnapshot;

use crate::legal::{
    DecisionRecord, DisputeOutcome, DisputeRecord, DraftRecord, DraftStatus, ExtensionRecord,
    LegalEvent, LegalWrite, ReviewRecord, VersionRecord,
};
use crate::public_profile::{
    Actor, AppealCounts, AppealKind, DocumentKind, PublicDocument, PublicProfile, StatsPublication,
    TaskOutcome, YearCounts,
};
use crate::publicity::{
    CategoryCounts, PublicFilter, PublicationStep, StepOutcome, WithdrawReason, WithdrawalRecord,
};
use crate::queue::{PageAt, QueueFilter, QueueSummary, ReviewState};
use crate::{BlobRecord, DocRecord, Role, Storage, StorageError, User};

/// The demo roster's agency.
const AG: &str = "qy-sthj";

/// An instant in March 2026 (UTC).
fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, day, hour, 0, 0).unwrap()
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn roster() -> RosterSnapshot {
    serde_json::from_str(include_str!("../../core/tests/data/demo-roster.json")).unwrap()
}

/// Staff accounts of the demo agency.
async fn staff(s: &dyn Storage, ids: &[(&str, Role)]) {
    for (id, role) in ids {
        s.create_user(&User {
            id: id.to_string(),
            agency_id: AG.into(),
            login: id.to_string(),
            name: format!("员工{id}"),
            role: *role,
            officer_id: None,
            password_hash: "$argon2id$x".into(),
            disabled: false,
        })
        .await
        .unwrap();
    }
}

/// Stores a new inspection document (none of that id stored before).
async fn new_doc(s: &dyn Storage, doc: &DocRecord) {
    s.put_doc(doc, None).await.unwrap();
}

fn doc(id: &str, agency: &str, task: Option<&str>, heads: &[&str]) -> DocRecord {
    DocRecord {
        id: id.into(),
        agency_id: agency.into(),
        officer_ids: vec!["qy-zf-001".into()],
        task_id: task.map(str::to_string),
        target_name: "某公司".into(),
        status: "closed".into(),
        heads: heads.iter().map(|h| h.to_string()).collect(),
        bytes: vec![7],
        updated_at: at(1, 1),
    }
}

/// A summary of `d` that matches it (no evidence), in state `state`.
fn summary(d: &DocRecord, state: ReviewState, opened: DateTime<Utc>) -> QueueSummary {
    QueueSummary {
        doc_id: d.id.clone(),
        agency_id: d.agency_id.clone(),
        state,
        rank: 1,
        rank_late: 1,
        rank_due_at: None,
        opened_at: opened,
        target_id: "qy-dx-0001".into(),
        target_name: d.target_name.clone(),
        target_credit_code: None,
        officer_ids: d.officer_ids.clone(),
        officer_names: vec!["李明".into()],
        violations: vec![],
        evidence_total: 0,
        evidence_missing: 0,
        oldest_missing_at: None,
        arrived_late: false,
        updated_at: d.updated_at,
        doc_heads: d.heads.clone(),
    }
}

fn content(category: &str, party: PartyKind) -> DraftContent {
    DraftContent {
        kind: DecisionKind::Penalty,
        title: "关于某公司超标排放的行政处罚决定".into(),
        category: category.into(),
        party_kind: party,
        party_name: "某公司".into(),
        party_code: "91441800MA0000000X".into(),
        legal_basis: "《大气污染防治法》第九十九条".into(),
        facts: "超标排放".into(),
        discretion: "一般情节".into(),
        conclusion: "罚款十万元".into(),
        fine_fen: Some(10_000_000),
        revocation: false,
        suspension: false,
        major_coercion: false,
        hearing_held: true,
        crime_suspected: false,
        public_interest: false,
        social_risk: false,
        complex: false,
        other_items: vec![],
        confidential: "举报人：王某".into(),
        inspection_ids: vec!["i1".into()],
        evidence: vec![],
    }
}

fn draft(id: &str, status: DraftStatus, version: u32, updated: DateTime<Utc>) -> DraftRecord {
    DraftRecord {
        id: id.into(),
        agency_id: AG.into(),
        created_by: "u-drafter".into(),
        created_at: at(1, 1),
        updated_at: updated,
        status,
        title: "关于某公司超标排放的行政处罚决定".into(),
        kind: DecisionKind::Penalty,
        catalogue_version: (version > 0).then_some(1),
        triggers: if version > 0 {
            vec![MajorTrigger::HearingHeld]
        } else {
            vec![]
        },
        version,
        received_on: (version > 0).then(|| day(2026, 3, 2)),
        extended: false,
        heads: vec![format!("{id}-h{version}")],
        bytes: vec![1, 2, 3],
    }
}

fn version(draft_id: &str, n: u32, when: DateTime<Utc>, category: &str) -> VersionRecord {
    VersionRecord {
        draft_id: draft_id.into(),
        version: n,
        submitted_by: "u-drafter".into(),
        submitted_at: when,
        received_on: when.date_naive(),
        heads: vec![format!("{draft_id}-h{n}")],
        content: content(category, PartyKind::Company),
        catalogue_version: 1,
        triggers: vec![MajorTrigger::HearingHeld],
        note: format!("第 {n} 次提交"),
        review_started_by: None,
        review_started_at: None,
    }
}

fn event(
    kind: &str,
    draft_id: Option<&str>,
    v: Option<u32>,
    by: &str,
    when: DateTime<Utc>,
) -> LegalEvent {
    LegalEvent {
        seq: 0,
        agency_id: AG.into(),
        draft_id: draft_id.map(str::to_string),
        kind: kind.into(),
        version: v,
        by_user: by.into(),
        at: when,
        detail: serde_json::json!({ "kind": kind }),
    }
}

#[allow(clippy::too_many_arguments)]
fn decision_rec(
    id: &str,
    draft_id: &str,
    number: &str,
    kind: DecisionKind,
    category: &str,
    party: PartyKind,
    decided_on: NaiveDate,
    fine_fen: Option<i64>,
) -> DecisionRecord {
    let (party_name, party_code) = match party {
        PartyKind::Company => ("清远某化工有限公司", "91441800MA4UABCD1X"),
        PartyKind::Person => ("张三", "441802199001011234"),
    };
    DecisionRecord {
        id: id.into(),
        agency_id: AG.into(),
        draft_id: draft_id.into(),
        kind,
        title: format!("关于{party_name}的决定"),
        doc_number: number.into(),
        decided_on,
        decided_at: at(1, 9),
        decided_by: "u-drafter".into(),
        category: category.into(),
        party_kind: party,
        party_name: party_name.into(),
        party_code: party_code.into(),
        legal_basis: "依据".into(),
        conclusion: "结论".into(),
        fine_fen,
        major: true,
        catalogue_version: Some(1),
        reviewed_version: Some(1),
        inspection_ids: vec!["i1".into(), "i2".into()],
        confidential: "举报人：王某".into(),
    }
}

/// Stores a draft and the decision made from it (one workflow step).
async fn decided(s: &dyn Storage, d: &DecisionRecord) {
    s.apply_legal(&LegalWrite {
        draft: Some(draft(&d.draft_id, DraftStatus::Decided, 1, at(1, 9))),
        decision: Some(d.clone()),
        events: vec![event(
            "decided",
            Some(&d.draft_id),
            Some(1),
            "u-drafter",
            at(1, 9),
        )],
        ..Default::default()
    })
    .await
    .unwrap();
}

fn is_conflict<T: std::fmt::Debug>(r: &Result<T, StorageError>) -> bool {
    matches!(r, Err(StorageError::Conflict(_)))
}

// ---- legal workflow (R-LEGAL-1..7) --------------------------------------------

/// R-LEGAL-3..7: each step checks the draft's state inside its transaction, a form
/// is carried out once, versions, opinions and open disputes are one each, and a
/// refused step writes nothing of itself.
pub async fn r_legal_3_workflow_steps_check_state_form_and_numbers(s: &dyn Storage) {
    staff(
        s,
        &[
            ("u-drafter", Role::Supervisor),
            ("u-rev", Role::LegalReviewer),
            ("u-lead", Role::Admin),
        ],
    )
    .await;
    let d0 = draft("d1", DraftStatus::Drafting, 0, at(1, 1));
    let create = LegalWrite {
        form: Some(("f-create".into(), "create".into())),
        draft: Some(d0.clone()),
        events: vec![event("created", Some("d1"), None, "u-drafter", at(1, 1))],
        ..Default::default()
    };
    s.apply_legal(&create).await.unwrap();
    assert_eq!(s.legal_draft("d1").await.unwrap(), Some(d0.clone()));
    assert_eq!(s.legal_draft("nope").await.unwrap(), None);
    assert_eq!(
        s.legal_form("f-create").await.unwrap(),
        Some(("d1".to_string(), "create".to_string()))
    );
    assert_eq!(s.legal_form("f-other").await.unwrap(), None);
    // Lists leave the document bytes out.
    let listed = s.legal_drafts(AG, &[]).await.unwrap();
    assert_eq!(
        listed,
        vec![DraftRecord {
            bytes: vec![],
            ..d0.clone()
        }]
    );
    assert!(
        s.legal_drafts(AG, &[DraftStatus::InReview])
            .await
            .unwrap()
            .is_empty()
    );
    assert!(s.legal_drafts("yd", &[]).await.unwrap().is_empty());

    // The same form again: refused, nothing of it written.
    let twice = LegalWrite {
        draft: Some(DraftRecord {
            title: "第二次".into(),
            ..d0.clone()
        }),
        ..create.clone()
    };
    assert!(is_conflict(&s.apply_legal(&twice).await));
    assert_eq!(s.legal_draft("d1").await.unwrap(), Some(d0.clone()));
    assert_eq!(s.legal_events("d1").await.unwrap().len(), 1);

    // Submission of version 1.
    let d1 = draft("d1", DraftStatus::InReview, 1, at(1, 2));
    let v1 = version("d1", 1, at(1, 2), "生态环境");
    let submit = LegalWrite {
        form: Some(("f-submit".into(), "submit".into())),
        expect: Some((
            "d1".into(),
            vec![DraftStatus::Drafting, DraftStatus::Returned],
        )),
        draft: Some(d1.clone()),
        version: Some(v1.clone()),
        events: vec![event(
            "submitted",
            Some("d1"),
            Some(1),
            "u-drafter",
            at(1, 2),
        )],
        ..Default::default()
    };
    s.apply_legal(&submit).await.unwrap();
    assert_eq!(s.legal_draft("d1").await.unwrap(), Some(d1.clone()));
    assert_eq!(
        s.legal_drafts(AG, &[DraftStatus::InReview, DraftStatus::Approved])
            .await
            .unwrap()
            .len(),
        1
    );
    // The same step again with a new form: the draft is no longer in a state
    // that allows it (someone else already submitted).
    let stale = LegalWrite {
        form: Some(("f-submit-2".into(), "submit".into())),
        draft: Some(DraftRecord {
            title: "过时".into(),
            ..d1.clone()
        }),
        version: None,
        ..submit.clone()
    };
    assert!(is_conflict(&s.apply_legal(&stale).await));
    assert_eq!(s.legal_draft("d1").await.unwrap(), Some(d1.clone()));
    assert_eq!(s.legal_form("f-submit-2").await.unwrap(), None);
    // An unknown draft is NotFound.
    let unknown = LegalWrite {
        expect: Some(("d-unknown".into(), vec![DraftStatus::Drafting])),
        ..Default::default()
    };
    assert!(matches!(
        s.apply_legal(&unknown).await,
        Err(StorageError::NotFound(_))
    ));
    // A version number is used once; the whole step is refused with it.
    let dup_version = LegalWrite {
        expect: Some(("d1".into(), vec![DraftStatus::InReview])),
        draft: Some(DraftRecord {
            title: "重复版本".into(),
            ..d1.clone()
        }),
        version: Some(v1.clone()),
        ..Default::default()
    };
    assert!(is_conflict(&s.apply_legal(&dup_version).await));
    assert_eq!(s.legal_draft("d1").await.unwrap(), Some(d1.clone()));

    // Review started (R-LEGAL-5): the first opener stays.
    for (by, h) in [("u-rev", 3), ("u-lead", 4)] {
        s.apply_legal(&LegalWrite {
            expect: Some(("d1".into(), vec![DraftStatus::InReview])),
            review_started: Some(("d1".into(), 1, by.into(), at(1, h))),
            events: vec![event("review_started", Some("d1"), Some(1), by, at(1, h))],
            ..Default::default()
        })
        .await
        .unwrap();
    }
    let versions = s.legal_versions("d1").await.unwrap();
    assert_eq!(
        versions,
        vec![VersionRecord {
            review_started_by: Some("u-rev".into()),
            review_started_at: Some(at(1, 3)),
            ..v1.clone()
        }]
    );

    // The opinion (R-LEGAL-4): one per version.
    let opinion = ReviewRecord {
        draft_id: "d1".into(),
        version: 1,
        reviewer: "u-rev".into(),
        opinion: Opinion::Problems,
        opinion_text: "证据不足".into(),
        checks: vec![CheckResult {
            item: CheckItem::ALL[0],
            passed: false,
            note: "缺少询问笔录".into(),
        }],
        at: at(1, 5),
    };
    let returned = draft("d1", DraftStatus::Returned, 1, at(1, 5));
    s.apply_legal(&LegalWrite {
        expect: Some(("d1".into(), vec![DraftStatus::InReview])),
        draft: Some(returned.clone()),
        review: Some(opinion.clone()),
        events: vec![event("opinion", Some("d1"), Some(1), "u-rev", at(1, 5))],
        ..Default::default()
    })
    .await
    .unwrap();
    let second_opinion = LegalWrite {
        review: Some(ReviewRecord {
            opinion: Opinion::Approve,
            ..opinion.clone()
        }),
        ..Default::default()
    };
    assert!(is_conflict(&s.apply_legal(&second_opinion).await));
    assert_eq!(s.legal_reviews("d1").await.unwrap(), vec![opinion.clone()]);

    // The extension (R-LEGAL-5): asked, then approved by a leader.
    assert_eq!(s.legal_extension("d1").await.unwrap(), None);
    let asked = ExtensionRecord {
        draft_id: "d1".into(),
        version: 1,
        requested_by: "u-rev".into(),
        requested_at: at(1, 6),
        reason: "案情复杂".into(),
        approved_by: None,
        approved_at: None,
        leader_note: None,
    };
    s.apply_legal(&LegalWrite {
        extension: Some(asked.clone()),
        events: vec![event(
            "extension_requested",
            Some("d1"),
            Some(1),
            "u-rev",
            at(1, 6),
        )],
        ..Default::default()
    })
    .await
    .unwrap();
    let approved = ExtensionRecord {
        approved_by: Some("u-lead".into()),
        approved_at: Some(at(1, 7)),
        leader_note: Some("同意延长".into()),
        ..asked.clone()
    };
    s.apply_legal(&LegalWrite {
        extension: Some(ExtensionRecord {
            // The request itself is never rewritten by the approval.
            reason: "被改写".into(),
            ..approved.clone()
        }),
        events: vec![event(
            "extension_approved",
            Some("d1"),
            Some(1),
            "u-lead",
            at(1, 7),
        )],
        ..Default::default()
    })
    .await
    .unwrap();
    assert_eq!(s.legal_extension("d1").await.unwrap(), Some(approved));

    // Disputes (R-LEGAL-7): one open at a time; its outcome is recorded on it.
    let dispute = DisputeRecord {
        id: "x1".into(),
        draft_id: "d1".into(),
        version: 1,
        raised_by: "u-drafter".into(),
        raised_at: at(1, 8),
        reason: "证据充分".into(),
        outcome: None,
        outcome_note: None,
        decided_by: None,
        decided_at: None,
    };
    s.apply_legal(&LegalWrite {
        expect: Some(("d1".into(), vec![DraftStatus::Returned])),
        draft: Some(draft("d1", DraftStatus::Disputed, 1, at(1, 8))),
        dispute: Some(dispute.clone()),
        events: vec![event(
            "disputed",
            Some("d1"),
            Some(1),
            "u-drafter",
            at(1, 8),
        )],
        ..Default::default()
    })
    .await
    .unwrap();
    let second = LegalWrite {
        dispute: Some(DisputeRecord {
            id: "x2".into(),
            raised_at: at(1, 9),
            ..dispute.clone()
        }),
        ..Default::default()
    };
    assert!(is_conflict(&s.apply_legal(&second).await));
    let settled = DisputeRecord {
        outcome: Some(DisputeOutcome::Overturned),
        outcome_note: Some("采纳承办机构意见".into()),
        decided_by: Some("u-lead".into()),
        decided_at: Some(at(1, 10)),
        ..dispute.clone()
    };
    s.apply_legal(&LegalWrite {
        expect: Some(("d1".into(), vec![DraftStatus::Disputed])),
        draft: Some(draft("d1", DraftStatus::Approved, 1, at(1, 10))),
        dispute: Some(settled.clone()),
        events: vec![event(
            "coordinated",
            Some("d1"),
            Some(1),
            "u-lead",
            at(1, 10),
        )],
        ..Default::default()
    })
    .await
    .unwrap();
    assert_eq!(s.legal_disputes("d1").await.unwrap(), vec![settled]);

    // The decision: its document number is unique within the agency.
    let made = decision_rec(
        "dec1",
        "d1",
        "清环罚〔2026〕1号",
        DecisionKind::Penalty,
        "生态环境",
        PartyKind::Company,
        day(2026, 3, 2),
        Some(10_000_000),
    );
    s.apply_legal(&LegalWrite {
        expect: Some(("d1".into(), vec![DraftStatus::Approved])),
        draft: Some(draft("d1", DraftStatus::Decided, 1, at(1, 11))),
        decision: Some(made.clone()),
        events: vec![event(
            "decided",
            Some("d1"),
            Some(1),
            "u-drafter",
            at(1, 11),
        )],
        ..Default::default()
    })
    .await
    .unwrap();
    s.apply_legal(&LegalWrite {
        draft: Some(draft("d2", DraftStatus::Approved, 1, at(1, 12))),
        ..Default::default()
    })
    .await
    .unwrap();
    let same_number = decision_rec(
        "dec2",
        "d2",
        "清环罚〔2026〕1号",
        DecisionKind::Licensing,
        "生态环境",
        PartyKind::Person,
        day(2026, 3, 3),
        None,
    );
    let refused = LegalWrite {
        expect: Some(("d2".into(), vec![DraftStatus::Approved])),
        draft: Some(draft("d2", DraftStatus::Decided, 1, at(1, 13))),
        decision: Some(same_number.clone()),
        ..Default::default()
    };
    assert!(is_conflict(&s.apply_legal(&refused).await));
    assert_eq!(
        s.legal_draft("d2").await.unwrap().map(|d| d.status),
        Some(DraftStatus::Approved)
    );
    let numbered = DecisionRecord {
        doc_number: "清环许〔2026〕2号".into(),
        ..same_number
    };
    s.apply_legal(&LegalWrite {
        decision: Some(numbered.clone()),
        ..refused
    })
    .await
    .unwrap();
    assert_eq!(s.decision("dec1").await.unwrap(), Some(made.clone()));
    assert_eq!(s.decision("nope").await.unwrap(), None);
    assert_eq!(
        s.decision_of_draft("d2").await.unwrap(),
        Some(numbered.clone())
    );
    assert_eq!(s.decision_of_draft("d-none").await.unwrap(), None);
    // Newest decision date first.
    assert_eq!(
        s.decisions_of_agency(AG).await.unwrap(),
        vec![numbered, made]
    );
    assert!(s.decisions_of_agency("yd").await.unwrap().is_empty());

    // The audit trail of the draft, oldest first; none of the refused steps.
    let kinds: Vec<String> = s
        .legal_events("d1")
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            "created",
            "submitted",
            "review_started",
            "review_started",
            "opinion",
            "extension_requested",
            "extension_approved",
            "disputed",
            "coordinated",
            "decided"
        ]
    );
    let first = &s.legal_events("d1").await.unwrap()[0];
    assert_eq!(first.detail, serde_json::json!({ "kind": "created" }));
    assert_eq!(first.at, at(1, 1));
    assert!(s.legal_agency_events(AG, 10).await.unwrap().is_empty());
}

/// R-LEGAL-2: catalogue versions are numbered 1, 2, ... per agency inside the
/// write, even when several are saved at once, and are listed newest first with
/// their audit entries.
pub async fn r_legal_2_catalogue_versions_are_numbered_in_turn(s: &dyn Storage) {
    staff(s, &[("u-admin", Role::Admin)]).await;
    assert_eq!(s.catalogue(AG, None).await.unwrap(), None);
    let first = Catalogue::default_for_agency();
    assert_eq!(
        s.add_catalogue(AG, &first, "初版", "u-admin", at(2, 1))
            .await
            .unwrap(),
        1
    );
    let second = Catalogue {
        fine_threshold_fen: 100_000,
        other_items: vec!["涉及重大公共利益".into()],
        ..first.clone()
    };
    assert_eq!(
        s.add_catalogue(AG, &second, "降低罚款标准", "u-admin", at(2, 2))
            .await
            .unwrap(),
        2
    );
    let notes: Vec<String> = (0..4).map(|i| format!("同时保存 {i}")).collect();
    let saves = notes
        .iter()
        .map(|n| s.add_catalogue(AG, &second, n, "u-admin", at(2, 3)));
    let mut numbers: Vec<u32> = join_all(saves)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    numbers.sort();
    assert_eq!(numbers, vec![3, 4, 5, 6]);
    let latest = s.catalogue(AG, None).await.unwrap().unwrap();
    assert_eq!((latest.version, &latest.catalogue), (6, &second));
    let v1 = s.catalogue(AG, Some(1)).await.unwrap().unwrap();
    assert_eq!(
        (
            v1.catalogue,
            v1.note.as_str(),
            v1.created_by.as_str(),
            v1.created_at
        ),
        (first, "初版", "u-admin", at(2, 1))
    );
    assert_eq!(s.catalogue(AG, Some(7)).await.unwrap(), None);
    let all: Vec<u32> = s
        .catalogue_versions(AG)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.version)
        .collect();
    assert_eq!(all, vec![6, 5, 4, 3, 2, 1]);
    // Audit entries about the agency (not a draft), newest first.
    let events = s.legal_agency_events(AG, 3).await.unwrap();
    assert_eq!(events.len(), 3);
    assert!(events.iter().all(|e| e.kind == "catalogue_edited"));
    assert!(events.windows(2).all(|w| w[0].seq > w[1].seq));
    let last = s.legal_agency_events(AG, 10).await.unwrap();
    assert_eq!(last.last().unwrap().version, Some(1));
    assert_eq!(
        last.last().unwrap().detail,
        serde_json::json!({ "note": "初版" })
    );
    // Another agency counts from 1.
    assert!(s.catalogue_versions("yd").await.unwrap().is_empty());
    assert_eq!(
        s.add_catalogue(
            "yd",
            &Catalogue::default_for_agency(),
            "初版",
            "u-admin",
            at(2, 4)
        )
        .await
        .unwrap(),
        1
    );
}

// ---- publication (R-POST-1..3, R-POST-7) ---------------------------------------

fn file_step(id: &str, by: &str, when: DateTime<Utc>) -> PublicationStep {
    PublicationStep::File {
        decision_id: id.into(),
        public_body: "清远市生态环境局".into(),
        public_target: "清远某化工有限公司".into(),
        public_code: "91441800MA4UABCD1X".into(),
        by: by.into(),
        at: when,
    }
}

fn review_step(id: &str, by: &str, when: DateTime<Utc>) -> PublicationStep {
    PublicationStep::Review {
        decision_id: id.into(),
        by: by.into(),
        at: when,
    }
}

fn approve_step(id: &str, by: &str, when: DateTime<Utc>) -> PublicationStep {
    PublicationStep::Approve {
        decision_id: id.into(),
        by: by.into(),
        at: when,
        published_on: when.date_naive(),
        due_on: Some(day(2026, 3, 9)),
        late: Some(false),
        late_working_days: None,
    }
}

fn withdraw_step(id: &str, by: &str, when: DateTime<Utc>) -> PublicationStep {
    PublicationStep::Withdraw(WithdrawalRecord {
        decision_id: id.into(),
        agency_id: AG.into(),
        reason_kind: WithdrawReason::Revoked,
        reason: "复议决定撤销".into(),
        by_user: by.into(),
        at: when,
        withdrawn_on: when.date_naive(),
    })
}

async fn publication_staff(s: &dyn Storage) {
    staff(
        s,
        &[
            ("u-drafter", Role::Supervisor),
            ("u-f", Role::Supervisor),
            ("u-r", Role::Supervisor),
            ("u-a", Role::Admin),
        ],
    )
    .await;
}

/// R-POST-7, R-POST-3: filing, review and approval happen in that order by three
/// different people; a published record can be withdrawn once; a form sent again
/// is done once, and a refused step records neither its form nor its history.
pub async fn r_post_7_publication_steps_need_three_people_in_order(s: &dyn Storage) {
    publication_staff(s).await;
    let a = decision_rec(
        "dec-a",
        "dr-a",
        "清环罚〔2026〕10号",
        DecisionKind::Penalty,
        "生态环境",
        PartyKind::Company,
        day(2026, 3, 2),
        Some(500_000),
    );
    let b = decision_rec(
        "dec-b",
        "dr-b",
        "清环罚〔2026〕11号",
        DecisionKind::Penalty,
        "生态环境",
        PartyKind::Person,
        day(2026, 3, 1),
        None,
    );
    decided(s, &a).await;
    decided(s, &b).await;
    let step = |st: PublicationStep| async move { s.publication_step(None, &st).await };

    assert!(matches!(
        step(file_step("dec-none", "u-f", at(3, 1))).await,
        Err(StorageError::NotFound(_))
    ));
    // Nothing before filing.
    assert!(is_conflict(
        &step(review_step("dec-a", "u-r", at(3, 1))).await
    ));
    assert!(is_conflict(
        &step(approve_step("dec-a", "u-a", at(3, 1))).await
    ));
    assert!(is_conflict(
        &step(withdraw_step("dec-a", "u-a", at(3, 1))).await
    ));
    // Filing, once; the same form again is done already.
    let filed = s
        .publication_step(Some("p1"), &file_step("dec-a", "u-f", at(3, 2)))
        .await
        .unwrap();
    assert_eq!(filed, StepOutcome::Done);
    let again = s
        .publication_step(Some("p1"), &file_step("dec-a", "u-f", at(3, 3)))
        .await
        .unwrap();
    assert_eq!(again, StepOutcome::AlreadyDone);
    assert!(is_conflict(
        &s.publication_step(Some("p2"), &file_step("dec-a", "u-r", at(3, 3)))
            .await
    ));
    // Approval needs a review first; the filer may not review (R-POST-7).
    assert!(is_conflict(
        &step(approve_step("dec-a", "u-a", at(3, 3))).await
    ));
    assert!(is_conflict(
        &step(review_step("dec-a", "u-f", at(3, 3))).await
    ));
    // Form p2 was refused above: it is free for the review.
    assert_eq!(
        s.publication_step(Some("p2"), &review_step("dec-a", "u-r", at(3, 4)))
            .await
            .unwrap(),
        StepOutcome::Done
    );
    assert!(is_conflict(
        &step(review_step("dec-a", "u-a", at(3, 4))).await
    ));
    // Neither the filer nor the reviewer may approve.
    assert!(is_conflict(
        &step(approve_step("dec-a", "u-r", at(3, 5))).await
    ));
    assert!(is_conflict(
        &step(approve_step("dec-a", "u-f", at(3, 5))).await
    ));
    assert_eq!(
        step(approve_step("dec-a", "u-a", at(3, 5))).await.unwrap(),
        StepOutcome::Done
    );
    assert!(is_conflict(
        &step(approve_step("dec-a", "u-drafter", at(3, 6))).await
    ));

    let entry = s.publication_entry("dec-a").await.unwrap().unwrap();
    let p = entry.publication.clone().unwrap();
    assert!(p.is_published());
    assert_eq!(
        (
            p.filed_by.as_str(),
            p.reviewed_by.as_deref(),
            p.approved_by.as_deref()
        ),
        ("u-f", Some("u-r"), Some("u-a"))
    );
    assert_eq!(
        (p.filed_at, p.reviewed_at, p.approved_at),
        (at(3, 2), Some(at(3, 4)), Some(at(3, 5)))
    );
    assert_eq!(
        (p.published_on, p.due_on, p.late, p.late_working_days),
        (
            Some(day(2026, 3, 3)),
            Some(day(2026, 3, 9)),
            Some(false),
            None
        )
    );
    assert_eq!(p.public_code, "91441800MA4UABCD1X");
    assert_eq!(entry.withdrawal, None);
    assert_eq!(entry.source.company_code, "91441800MA4UABCD1X");

    // Withdrawal (R-POST-3), once.
    assert_eq!(
        step(withdraw_step("dec-a", "u-a", at(4, 1))).await.unwrap(),
        StepOutcome::Done
    );
    assert!(is_conflict(
        &step(withdraw_step("dec-a", "u-a", at(4, 2))).await
    ));
    let w = s
        .publication_entry("dec-a")
        .await
        .unwrap()
        .unwrap()
        .withdrawal
        .unwrap();
    assert_eq!(
        (w.reason_kind, w.by_user.as_str(), w.at, w.withdrawn_on),
        (WithdrawReason::Revoked, "u-a", at(4, 1), day(2026, 3, 4))
    );

    // The queue: every decision, newest decision date first; a person's ID number
    // is never selected (R-POST-2).
    let queue = s.publication_queue(AG).await.unwrap();
    let ids: Vec<&str> = queue.iter().map(|e| e.source.id.as_str()).collect();
    assert_eq!(ids, ["dec-a", "dec-b"]);
    assert_eq!(queue[1].publication, None);
    assert_eq!(queue[1].source.company_code, "");
    assert_eq!(queue[1].source.party_kind, PartyKind::Person);
    assert!(s.publication_queue("yd").await.unwrap().is_empty());
    assert_eq!(s.publication_entry("dec-none").await.unwrap(), None);

    // The history: each step once, in order.
    let history = s.publication_events("dec-a").await.unwrap();
    let kinds: Vec<&str> = history.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["filed", "reviewed", "published", "withdrawn"]);
    assert_eq!(history[2].by_user, "u-a");
    assert_eq!(history[2].detail["published_on"], "2026-03-03");
    assert_eq!(history[3].detail["reason_kind"], "revoked");
    assert!(s.publication_events("dec-b").await.unwrap().is_empty());
}

/// A form sent twice at once is done once; two reviewers at once: one reviews,
/// the other is refused (R-POST-7), whichever backend and instance they reach.
pub async fn publication_steps_at_once_are_done_once(s: &dyn Storage) {
    publication_staff(s).await;
    staff(s, &[("u-r2", Role::Supervisor)]).await;
    let a = decision_rec(
        "dec-a",
        "dr-a",
        "清环罚〔2026〕20号",
        DecisionKind::Penalty,
        "生态环境",
        PartyKind::Company,
        day(2026, 3, 2),
        None,
    );
    decided(s, &a).await;
    let file = file_step("dec-a", "u-f", at(3, 2));
    let outcomes = join_all((0..3).map(|_| s.publication_step(Some("same-form"), &file))).await;
    let mut outcomes: Vec<StepOutcome> = outcomes.into_iter().map(|r| r.unwrap()).collect();
    outcomes.sort_by_key(|o| *o == StepOutcome::Done);
    assert_eq!(
        outcomes,
        [
            StepOutcome::AlreadyDone,
            StepOutcome::AlreadyDone,
            StepOutcome::Done
        ]
    );
    let reviews = [
        review_step("dec-a", "u-r", at(3, 3)),
        review_step("dec-a", "u-r2", at(3, 3)),
    ];
    let results = join_all(reviews.iter().map(|r| s.publication_step(None, r))).await;
    let done = results.iter().filter(|r| r.is_ok()).count();
    let refused = results.iter().filter(|r| is_conflict(r)).count();
    assert_eq!((done, refused), (1, 1), "{results:?}");
    let kinds: Vec<String> = s
        .publication_events("dec-a")
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds, ["filed", "reviewed"]);
}

/// R-POST-2: the public search finds only published, not withdrawn records, by
/// what is public (the masked name, a company's credit code in any case), never by
/// a person's ID number; its filters, paging and facets.
pub async fn r_post_2_public_search_finds_only_what_is_published(s: &dyn Storage) {
    publication_staff(s).await;
    let company = decision_rec(
        "dec-a",
        "dr-a",
        "清环罚〔2026〕30号",
        DecisionKind::Penalty,
        "生态环境",
        PartyKind::Company,
        day(2026, 3, 5),
        Some(100),
    );
    let person = decision_rec(
        "dec-b",
        "dr-b",
        "清环许〔2026〕31号",
        DecisionKind::Licensing,
        "建设项目",
        PartyKind::Person,
        day(2026, 3, 1),
        None,
    );
    let withdrawn = decision_rec(
        "dec-c",
        "dr-c",
        "清环罚〔2026〕32号",
        DecisionKind::Penalty,
        "生态环境",
        PartyKind::Company,
        day(2026, 3, 3),
        None,
    );
    let filed_only = decision_rec(
        "dec-d",
        "dr-d",
        "清环罚〔2026〕33号",
        DecisionKind::Penalty,
        "危险废物",
        PartyKind::Company,
        day(2026, 3, 4),
        None,
    );
    for d in [&company, &person, &withdrawn, &filed_only] {
        decided(s, d).await;
        let mut file = file_step(&d.id, "u-f", at(6, 1));
        if d.party_kind == PartyKind::Person
            && let PublicationStep::File {
                public_target,
                public_code,
                ..
            } = &mut file
        {
            *public_target = "张*".into();
            *public_code = String::new();
        }
        s.publication_step(None, &file).await.unwrap();
        if d.id == "dec-d" {
            continue;
        }
        s.publication_step(None, &review_step(&d.id, "u-r", at(6, 2)))
            .await
            .unwrap();
        s.publication_step(None, &approve_step(&d.id, "u-a", at(6, 3)))
            .await
            .unwrap();
    }
    s.publication_step(None, &withdraw_step("dec-c", "u-a", at(7, 1)))
        .await
        .unwrap();

    let ids = |rows: &[crate::publicity::PublishedRow]| -> Vec<String> {
        rows.iter().map(|r| r.source.id.clone()).collect()
    };
    let (rows, total) = s
        .search_published(&PublicFilter::default(), 0, 10)
        .await
        .unwrap();
    assert_eq!(
        (ids(&rows), total),
        (vec!["dec-a".into(), "dec-b".into()], 2)
    );
    // Paging keeps the total.
    let (rows, total) = s
        .search_published(&PublicFilter::default(), 1, 1)
        .await
        .unwrap();
    assert_eq!((ids(&rows), total), (vec!["dec-b".into()], 2));
    let find = |f: PublicFilter| async move {
        let (rows, total) = s.search_published(&f, 0, 10).await.unwrap();
        assert_eq!(rows.len() as u64, total);
        ids(&rows)
    };
    let q = |text: &str| PublicFilter {
        q: Some(text.into()),
        ..Default::default()
    };
    assert_eq!(find(q("91441800ma4u")).await, ["dec-a"]);
    assert_eq!(find(q("张*")).await, ["dec-b"]);
    // Never by what is not public.
    assert!(find(q("441802199001011234")).await.is_empty());
    assert!(find(q("张三")).await.is_empty());
    let (found, _) = s.search_published(&q("张*"), 0, 10).await.unwrap();
    let person_row = &found[0];
    assert_eq!(person_row.source.company_code, "");
    assert_eq!(person_row.publication.public_target, "张*");
    assert_eq!(
        find(PublicFilter {
            category: Some("建设项目".into()),
            ..Default::default()
        })
        .await,
        ["dec-b"]
    );
    assert_eq!(
        find(PublicFilter {
            kind: Some(DecisionKind::Penalty),
            ..Default::default()
        })
        .await,
        ["dec-a"]
    );
    assert_eq!(
        find(PublicFilter {
            from: Some(day(2026, 3, 2)),
            to: Some(day(2026, 3, 5)),
            ..Default::default()
        })
        .await,
        ["dec-a"]
    );
    assert_eq!(
        find(PublicFilter {
            to: Some(day(2026, 3, 4)),
            ..Default::default()
        })
        .await,
        ["dec-b"]
    );
    assert_eq!(
        find(PublicFilter {
            agency: Some(AG.into()),
            ..Default::default()
        })
        .await
        .len(),
        2
    );
    assert!(
        find(PublicFilter {
            agency: Some("yd".into()),
            ..Default::default()
        })
        .await
        .is_empty()
    );
    let (agencies, categories) = s.published_facets().await.unwrap();
    assert_eq!(
        agencies,
        vec![(AG.to_string(), "清远市生态环境局".to_string())]
    );
    assert_eq!(
        categories,
        vec!["建设项目".to_string(), "生态环境".to_string()]
    );
}

// ---- statistics (R-POST-4, R-POST-5) --------------------------------------------

/// R-POST-5: the year's counts from the records (inspections opened, decisions by
/// kind and fines, legal opinions), in total and per enforcement category, where
/// the categories add up to the total; records outside the year do not count.
pub async fn r_post_5_year_counts_add_up_per_category(s: &dyn Storage) {
    s.put_roster(&roster()).await.unwrap();
    staff(
        s,
        &[
            ("u-drafter", Role::Supervisor),
            ("u-rev", Role::LegalReviewer),
        ],
    )
    .await;
    // Beijing's 2026: from 2025-12-31T16:00Z to 2026-12-31T16:00Z.
    let from = Utc.with_ymd_and_hms(2025, 12, 31, 16, 0, 0).unwrap();
    let to = Utc.with_ymd_and_hms(2026, 12, 31, 16, 0, 0).unwrap();
    // Inspections: with a drafted task (its category), without a task (the
    // target's category), of an unknown target (no category), and one of 2025.
    let inspections = [
        ("i1", Some("QY-2026-SJ-0117"), "qy-dx-0001", at(2, 1)),
        ("i2", None, "qy-dx-0002", at(2, 2)),
        ("i3", None, "target-unknown", at(2, 3)),
        ("i4", None, "qy-dx-0001", from - Duration::hours(1)),
    ];
    for (id, task, target, opened) in inspections {
        let d = doc(id, AG, task, &["h1"]);
        new_doc(s, &d).await;
        let sum = QueueSummary {
            target_id: target.into(),
            ..summary(&d, ReviewState::Pending, opened)
        };
        assert!(s.put_queue_summary(&sum).await.unwrap());
    }
    for d in [
        decision_rec(
            "dec-1",
            "dr-1",
            "罚1",
            DecisionKind::Penalty,
            "生态环境",
            PartyKind::Company,
            day(2026, 3, 2),
            Some(1_000),
        ),
        decision_rec(
            "dec-2",
            "dr-2",
            "许2",
            DecisionKind::Licensing,
            "市场监管",
            PartyKind::Person,
            day(2026, 12, 31),
            None,
        ),
        decision_rec(
            "dec-3",
            "dr-3",
            "罚3",
            DecisionKind::Penalty,
            "生态环境",
            PartyKind::Company,
            day(2025, 12, 31),
            Some(7),
        ),
    ] {
        decided(s, &d).await;
    }
    // A legal opinion on a version of category 生态环境.
    s.apply_legal(&LegalWrite {
        draft: Some(draft("dr-r", DraftStatus::InReview, 1, at(2, 5))),
        version: Some(version("dr-r", 1, at(2, 5), "生态环境")),
        ..Default::default()
    })
    .await
    .unwrap();
    s.apply_legal(&LegalWrite {
        review: Some(ReviewRecord {
            draft_id: "dr-r".into(),
            version: 1,
            reviewer: "u-rev".into(),
            opinion: Opinion::Approve,
            opinion_text: "同意".into(),
            checks: vec![],
            at: at(2, 6),
        }),
        ..Default::default()
    })
    .await
    .unwrap();

    let total = s.year_counts(AG, 2026, from, to).await.unwrap();
    assert_eq!(
        total,
        YearCounts {
            inspections: 3,
            decisions: [1, 1, 0, 0, 0],
            fines_fen: 1_000,
            legal_reviews: 1,
        }
    );
    assert_eq!(
        s.year_counts("yd", 2026, from, to).await.unwrap(),
        YearCounts::default()
    );
    let by = s.year_counts_by_category(AG, 2026, from, to).await.unwrap();
    assert_eq!(
        by,
        vec![
            CategoryCounts {
                category: String::new(),
                counts: YearCounts {
                    inspections: 1,
                    ..Default::default()
                },
            },
            CategoryCounts {
                category: "市场监管".into(),
                counts: YearCounts {
                    decisions: [1, 0, 0, 0, 0],
                    ..Default::default()
                },
            },
            CategoryCounts {
                category: "生态环境".into(),
                counts: YearCounts {
                    inspections: 2,
                    decisions: [0, 1, 0, 0, 0],
                    fines_fen: 1_000,
                    legal_reviews: 1,
                },
            },
        ]
    );
    let sum: u64 = by.iter().map(|c| c.counts.inspections).sum();
    assert_eq!(sum, total.inspections);
    assert!(
        s.year_counts_by_category("yd", 2026, from, to)
            .await
            .unwrap()
            .is_empty()
    );
}

/// R-POST-4: a drawn task's outcome is its newest inspection's review state and
/// whether violations were found; tasks without an inspection are left out.
pub async fn r_post_4_task_outcomes_are_the_newest_inspection(s: &dyn Storage) {
    let rows = [
        ("i1", "T1", ReviewState::Pending, at(1, 1), vec![]),
        (
            "i2",
            "T1",
            ReviewState::Approved,
            at(2, 1),
            vec!["R-REC-2".to_string()],
        ),
        ("i3", "T2", ReviewState::Returned, at(1, 1), vec![]),
    ];
    for (id, task, state, opened, violations) in rows {
        let d = doc(id, AG, Some(task), &["h1"]);
        new_doc(s, &d).await;
        let sum = QueueSummary {
            violations,
            ..summary(&d, state, opened)
        };
        assert!(s.put_queue_summary(&sum).await.unwrap());
    }
    let asked = ["T3", "T2", "T1"].map(String::from);
    assert_eq!(
        s.task_outcomes(&asked).await.unwrap(),
        vec![
            TaskOutcome {
                task_id: "T2".into(),
                state: "returned".into(),
                has_violations: false,
            },
            TaskOutcome {
                task_id: "T1".into(),
                state: "approved".into(),
                has_violations: true,
            },
        ]
    );
    assert!(s.task_outcomes(&[]).await.unwrap().is_empty());
}

// ---- public profile (R-PRE-1, R-PRE-4) ------------------------------------------

/// R-PRE-4: the profile is replaced, documents are added once and withdrawn once,
/// appeal numbers replace each other per agency, year and kind, and every change
/// is in the newest-first history.
pub async fn r_pre_4_public_profile_and_documents_keep_their_history(s: &dyn Storage) {
    assert!(s.public_agencies().await.unwrap().is_empty());
    s.put_roster(&roster()).await.unwrap();
    let agencies = s.public_agencies().await.unwrap();
    assert_eq!(agencies, vec![roster().agency]);

    let actor = |h: u32| Actor {
        user_id: "u-admin".into(),
        name: "管理员".into(),
        at: at(5, h),
    };
    assert_eq!(s.public_profile(AG).await.unwrap(), None);
    let profile = PublicProfile {
        agency_id: AG.into(),
        bodies: "清远市生态环境局".into(),
        duties: "环境执法".into(),
        supervision: "12345".into(),
        remedy: "行政复议、行政诉讼".into(),
        recording_steps: vec!["现场检查".into(), "查封扣押".into()],
        updated_by: "u-admin".into(),
        updated_at: at(5, 1),
    };
    s.put_public_profile(&profile, "管理员", "首次填写")
        .await
        .unwrap();
    let changed = PublicProfile {
        duties: "生态环境保护执法".into(),
        recording_steps: vec![],
        updated_at: at(5, 2),
        ..profile
    };
    s.put_public_profile(&changed, "管理员", "修改职责")
        .await
        .unwrap();
    assert_eq!(s.public_profile(AG).await.unwrap(), Some(changed));
    assert_eq!(s.public_profile("yd").await.unwrap(), None);

    let document = |id: &str, h: u32| PublicDocument {
        id: id.into(),
        agency_id: AG.into(),
        kind: DocumentKind::FlowChart,
        title: format!("流程图{id}"),
        file_name: format!("{id}.pdf"),
        content_type: "application/pdf".into(),
        sha256: "ab".repeat(32),
        size: 1234,
        uploaded_by: "u-admin".into(),
        uploaded_at: at(5, h),
        deleted_at: None,
    };
    let (one, two) = (document("doc1", 3), document("doc2", 4));
    s.add_public_document(&one, "管理员", "上传流程图")
        .await
        .unwrap();
    s.add_public_document(&two, "管理员", "上传流程图二")
        .await
        .unwrap();
    assert!(is_conflict(
        &s.add_public_document(&one, "管理员", "再次上传").await
    ));
    // Only the agency's own current documents can be withdrawn, once.
    assert!(matches!(
        s.withdraw_public_document("yd", "doc1", &actor(5)).await,
        Err(StorageError::NotFound(_))
    ));
    s.withdraw_public_document(AG, "doc1", &actor(5))
        .await
        .unwrap();
    assert!(matches!(
        s.withdraw_public_document(AG, "doc1", &actor(6)).await,
        Err(StorageError::NotFound(_))
    ));
    let gone = PublicDocument {
        deleted_at: Some(at(5, 5)),
        ..one
    };
    assert_eq!(
        s.public_documents(AG, false).await.unwrap(),
        vec![two.clone()]
    );
    assert_eq!(
        s.public_documents(AG, true).await.unwrap(),
        vec![gone.clone(), two]
    );
    assert_eq!(s.public_document("doc1").await.unwrap(), Some(gone));
    assert_eq!(s.public_document("doc9").await.unwrap(), None);

    // Appeal numbers per agency, year and kind; the last entry stays.
    let n = |total, upheld| AppealCounts {
        total,
        upheld,
        corrected: 0,
        other: 0,
    };
    let puts = [
        (AG, AppealKind::Litigation, n(5, 1)),
        (AG, AppealKind::Reconsideration, n(2, 2)),
        ("yd", AppealKind::Litigation, n(1, 0)),
        (AG, AppealKind::Litigation, n(6, 2)),
    ];
    for (i, (agency, kind, counts)) in puts.into_iter().enumerate() {
        s.put_appeal_stats(
            agency,
            2025,
            kind,
            &counts,
            &actor(7 + i as u32),
            "复议诉讼",
        )
        .await
        .unwrap();
    }
    // More results than cases: refused, no history entry.
    let before = s.public_profile_events(AG, 100).await.unwrap().len();
    assert!(
        s.put_appeal_stats(
            AG,
            2025,
            AppealKind::Litigation,
            &n(1, 3),
            &actor(12),
            "错误"
        )
        .await
        .is_err()
    );
    assert_eq!(
        s.public_profile_events(AG, 100).await.unwrap().len(),
        before
    );
    assert_eq!(
        s.appeal_stats(None, 2025).await.unwrap(),
        vec![
            (AG.to_string(), AppealKind::Reconsideration, n(2, 2)),
            (AG.to_string(), AppealKind::Litigation, n(6, 2)),
            ("yd".to_string(), AppealKind::Litigation, n(1, 0)),
        ]
    );
    assert_eq!(
        s.appeal_stats(Some("yd"), 2025).await.unwrap(),
        vec![("yd".to_string(), AppealKind::Litigation, n(1, 0))]
    );
    assert!(s.appeal_stats(None, 2024).await.unwrap().is_empty());

    // Publications of the statistics, by year (newest first) then agency.
    let publication = |agency: &str, year: i32| StatsPublication {
        agency_id: agency.into(),
        year,
        published_by: "u-admin".into(),
        by_name: "管理员".into(),
        published_at: at(6, 1),
    };
    for (agency, year) in [("yd", 2025), (AG, 2025), (AG, 2024)] {
        s.publish_stats(&publication(agency, year)).await.unwrap();
    }
    assert_eq!(
        s.stats_publications(None).await.unwrap(),
        vec![
            publication(AG, 2025),
            publication("yd", 2025),
            publication(AG, 2024)
        ]
    );
    assert_eq!(
        s.stats_publications(Some(2024)).await.unwrap(),
        vec![publication(AG, 2024)]
    );

    // The history, newest first, with who and when.
    let history = s.public_profile_events(AG, 4).await.unwrap();
    let kinds: Vec<&str> = history.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        ["stats_published", "stats_published", "appeals", "appeals"]
    );
    let all = s.public_profile_events(AG, 100).await.unwrap();
    let kinds: Vec<&str> = all.iter().rev().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "profile",
            "profile",
            "document_added",
            "document_added",
            "document_withdrawn",
            "appeals",
            "appeals",
            "appeals",
            "stats_published",
            "stats_published"
        ]
    );
    let withdrawn = &all[all.len() - 5];
    assert_eq!(withdrawn.detail, "撤下公开文件《流程图doc1》");
    assert_eq!(
        (
            withdrawn.by_user.as_str(),
            withdrawn.by_name.as_str(),
            withdrawn.at
        ),
        ("u-admin", "管理员", at(5, 5))
    );
    assert_eq!(all.last().unwrap().detail, "首次填写");
    assert_eq!(s.public_profile_events("yd", 10).await.unwrap().len(), 2);
}

// ---- review queue ---------------------------------------------------------------

/// Id, rank, hour of the last change, state, officers and target of a queue row.
type QueueSpec<'a> = (&'a str, u8, u32, ReviewState, &'a [&'a str], &'a str);

/// Summaries of five inspections of agency `qy` (and one of `yd`) in a known
/// attention order: q1, q2, q3, q4, q5.
async fn queue_rows(s: &dyn Storage) -> Vec<QueueSummary> {
    let mut out = Vec::new();
    let specs: [QueueSpec<'_>; 5] = [
        ("q1", 0, 10, ReviewState::Pending, &["o1"], "甲公司"),
        ("q2", 1, 12, ReviewState::Pending, &["o2"], "乙公司"),
        ("q3", 1, 11, ReviewState::Returned, &["o1", "o2"], "丙公司"),
        ("q4", 2, 9, ReviewState::Approved, &["o3"], "丁公司"),
        ("q5", 2, 9, ReviewState::Open, &["o3"], "戊公司"),
    ];
    for (i, (id, rank, hour, state, officers, target)) in specs.into_iter().enumerate() {
        let d = DocRecord {
            officer_ids: officers.iter().map(|o| o.to_string()).collect(),
            target_name: target.into(),
            updated_at: at(1, hour),
            ..doc(id, "qy", None, &["h1"])
        };
        new_doc(s, &d).await;
        let mut sum = QueueSummary {
            rank,
            rank_late: rank,
            ..summary(&d, state, at(1, i as u32))
        };
        match id {
            "q1" => sum.violations = vec!["R-REC-1".into()],
            "q2" => sum.target_credit_code = Some("91ABC".into()),
            "q3" => {
                // Evidence captured at 00:00 not received yet: late at 24:00.
                s.reference_blob(&BlobRecord {
                    sha256: "cd".repeat(32),
                    inspection_id: id.into(),
                    captured_at: at(1, 0),
                    received_at: None,
                    size: 10,
                })
                .await
                .unwrap();
                sum.evidence_total = 1;
                sum.evidence_missing = 1;
                sum.oldest_missing_at = Some(at(1, 0));
                sum.rank_late = 0;
                sum.rank_due_at = Some(at(2, 0));
            }
            "q4" => sum.arrived_late = true,
            _ => {}
        }
        assert!(s.put_queue_summary(&sum).await.unwrap(), "{id}");
        out.push(sum);
    }
    let other = doc("y1", "yd", None, &["h1"]);
    new_doc(s, &other).await;
    assert!(
        s.put_queue_summary(&summary(&other, ReviewState::Pending, at(1, 1)))
            .await
            .unwrap()
    );
    out
}

/// The queue is read in attention order (rank, newest first, id) by keyset pages
/// in both directions, filtered by state, officer, target (ignoring ASCII case),
/// opening time, violations, late and awaited evidence as of `now`; its counts
/// follow state changes, and due ranks are applied once (R-REC-4).
pub async fn queue_pages_walk_both_ways_and_filter(s: &dyn Storage) {
    let rows = queue_rows(s).await;
    let now = at(1, 13);
    let page = |f: QueueFilter, p: PageAt, limit: u32, now: DateTime<Utc>| async move {
        let page = s.queue_page("qy", &f, &p, limit, now).await.unwrap();
        let ids: Vec<String> = page.rows.iter().map(|r| r.doc_id.clone()).collect();
        (ids, page.has_prev, page.has_next)
    };
    let all = QueueFilter::default;
    let ids = |v: &[&str]| -> Vec<String> { v.iter().map(|s| s.to_string()).collect() };
    let full = s
        .queue_page("qy", &all(), &PageAt::First, 10, now)
        .await
        .unwrap();
    assert_eq!(full.rows, rows);
    assert_eq!(
        page(all(), PageAt::First, 2, now).await,
        (ids(&["q1", "q2"]), false, true)
    );
    assert_eq!(
        page(all(), PageAt::After(rows[1].cursor()), 2, now).await,
        (ids(&["q3", "q4"]), true, true)
    );
    assert_eq!(
        page(all(), PageAt::After(rows[3].cursor()), 2, now).await,
        (ids(&["q5"]), true, false)
    );
    assert_eq!(
        page(all(), PageAt::Before(rows[2].cursor()), 2, now).await,
        (ids(&["q1", "q2"]), false, true)
    );
    assert_eq!(
        page(all(), PageAt::Before(rows[4].cursor()), 2, now).await,
        (ids(&["q3", "q4"]), true, true)
    );
    let only =
        |f: QueueFilter, now: DateTime<Utc>| async move { page(f, PageAt::First, 10, now).await.0 };
    assert_eq!(
        only(
            QueueFilter {
                state: Some(ReviewState::Pending),
                ..all()
            },
            now
        )
        .await,
        ids(&["q1", "q2"])
    );
    assert_eq!(
        only(
            QueueFilter {
                officer_id: Some("o1".into()),
                ..all()
            },
            now
        )
        .await,
        ids(&["q1", "q3"])
    );
    for (text, want) in [
        ("乙", ids(&["q2"])),
        ("91abc", ids(&["q2"])),
        ("公司", ids(&["q1", "q2", "q3", "q4", "q5"])),
        ("%", vec![]),
        ("_", vec![]),
    ] {
        let f = QueueFilter {
            target: Some(text.into()),
            ..all()
        };
        assert_eq!(only(f, now).await, want, "target {text}");
    }
    assert_eq!(
        only(
            QueueFilter {
                opened_from: Some(at(1, 1)),
                opened_before: Some(at(1, 3)),
                ..all()
            },
            now
        )
        .await,
        ids(&["q2", "q3"])
    );
    let violations = QueueFilter {
        violations: true,
        ..all()
    };
    assert_eq!(only(violations.clone(), now).await, ids(&["q1"]));
    assert_eq!(only(violations, at(2, 1)).await, ids(&["q1", "q3"]));
    let late = QueueFilter {
        late: true,
        ..all()
    };
    assert_eq!(only(late.clone(), now).await, ids(&["q4"]));
    assert_eq!(only(late, at(2, 1)).await, ids(&["q3", "q4"]));
    assert_eq!(
        only(
            QueueFilter {
                awaiting: true,
                ..all()
            },
            now
        )
        .await,
        ids(&["q3"])
    );
    assert_eq!(
        only(
            QueueFilter {
                state: Some(ReviewState::Pending),
                officer_id: Some("o1".into()),
                ..all()
            },
            now
        )
        .await,
        ids(&["q1"])
    );

    // Counts per state follow a state change.
    let counts = |agency: &'static str| async move {
        let mut c = s.queue_counts(agency).await.unwrap();
        c.sort();
        c
    };
    assert_eq!(
        counts("qy").await,
        vec![
            (ReviewState::Open, 1),
            (ReviewState::Pending, 2),
            (ReviewState::Returned, 1),
            (ReviewState::Approved, 1),
        ]
    );
    let approved = QueueSummary {
        state: ReviewState::Approved,
        ..rows[1].clone()
    };
    assert!(s.put_queue_summary(&approved).await.unwrap());
    assert_eq!(s.queue_summary("q2").await.unwrap(), Some(approved));
    assert_eq!(
        counts("qy").await,
        vec![
            (ReviewState::Open, 1),
            (ReviewState::Pending, 1),
            (ReviewState::Returned, 1),
            (ReviewState::Approved, 2),
        ]
    );
    assert_eq!(counts("yd").await, vec![(ReviewState::Pending, 1)]);
    assert!(s.queue_counts("none").await.unwrap().is_empty());

    // Due ranks (R-REC-4): applied when due, once.
    assert_eq!(s.promote_due_ranks("qy", at(1, 23)).await.unwrap(), 0);
    assert_eq!(s.promote_due_ranks("yd", at(2, 0)).await.unwrap(), 0);
    assert_eq!(s.promote_due_ranks("qy", at(2, 0)).await.unwrap(), 1);
    assert_eq!(s.promote_due_ranks("qy", at(3, 0)).await.unwrap(), 0);
    let q3 = s.queue_summary("q3").await.unwrap().unwrap();
    assert_eq!((q3.rank, q3.rank_due_at), (0, None));
    // q3 is now as urgent as q1 and newer.
    assert_eq!(
        page(all(), PageAt::First, 2, now).await.0,
        ids(&["q3", "q1"])
    );
    assert_eq!(s.queue_summary("nope").await.unwrap(), None);
}

/// A summary is refused when the evidence it counted changed (a reference added,
/// a blob received) or its document is unknown; the backfill lists documents
/// without a current summary; a blob's referencing inspections are per agency;
/// the roster's officers come in roster order.
pub async fn queue_summary_is_refused_when_its_evidence_changed(s: &dyn Storage) {
    let sha = "ef".repeat(32);
    let e1 = doc("e1", "qy", None, &["h1"]);
    new_doc(s, &e1).await;
    let blob = |inspection: &str| BlobRecord {
        sha256: sha.clone(),
        inspection_id: inspection.into(),
        captured_at: at(1, 0),
        received_at: None,
        size: 10,
    };
    s.reference_blob(&blob("e1")).await.unwrap();
    let missing = QueueSummary {
        evidence_total: 1,
        evidence_missing: 1,
        oldest_missing_at: Some(at(1, 0)),
        ..summary(&e1, ReviewState::Pending, at(1, 0))
    };
    // What it counted does not match the stored evidence: refused.
    for wrong in [
        QueueSummary {
            evidence_missing: 0,
            ..missing.clone()
        },
        summary(&e1, ReviewState::Pending, at(1, 0)),
        QueueSummary {
            doc_id: "unknown".into(),
            ..missing.clone()
        },
    ] {
        assert!(!s.put_queue_summary(&wrong).await.unwrap());
    }
    assert_eq!(s.queue_summary("e1").await.unwrap(), None);
    assert!(s.put_queue_summary(&missing).await.unwrap());
    // The blob arrives: the summary that counted it missing is stale.
    assert!(
        s.mark_blob_received("qy", &sha, 10, at(1, 2))
            .await
            .unwrap()
    );
    assert!(!s.put_queue_summary(&missing).await.unwrap());
    let received = QueueSummary {
        evidence_missing: 0,
        oldest_missing_at: None,
        ..missing.clone()
    };
    assert!(s.put_queue_summary(&received).await.unwrap());
    assert_eq!(s.queue_summary("e1").await.unwrap(), Some(received));

    // Inspections referencing the blob, per agency.
    let e2 = doc("e2", "qy", None, &["h1"]);
    let y1 = doc("e0-yd", "yd", None, &["h1"]);
    new_doc(s, &e2).await;
    new_doc(s, &y1).await;
    s.reference_blob(&blob("e2")).await.unwrap();
    s.reference_blob(&blob("e0-yd")).await.unwrap();
    assert_eq!(
        s.inspections_referencing("qy", &sha).await.unwrap(),
        vec!["e1".to_string(), "e2".to_string()]
    );
    assert_eq!(
        s.inspections_referencing("yd", &sha).await.unwrap(),
        vec!["e0-yd".to_string()]
    );
    assert!(
        s.inspections_referencing("qy", &"00".repeat(32))
            .await
            .unwrap()
            .is_empty()
    );

    // The backfill: documents without a summary, or with one of older heads.
    assert_eq!(
        s.docs_needing_summary("", 10).await.unwrap(),
        vec!["e0-yd".to_string(), "e2".to_string()]
    );
    assert_eq!(
        s.docs_needing_summary("", 1).await.unwrap(),
        vec!["e0-yd".to_string()]
    );
    let moved = DocRecord {
        heads: vec!["h2".into()],
        ..e1.clone()
    };
    s.put_doc(&moved, Some(&e1.heads)).await.unwrap();
    assert_eq!(
        s.docs_needing_summary("e0-yd", 10).await.unwrap(),
        vec!["e1".to_string(), "e2".to_string()]
    );

    // The roster's officers, in roster order.
    assert!(s.roster_officers(AG).await.unwrap().is_empty());
    let r = roster();
    s.put_roster(&r).await.unwrap();
    assert_eq!(s.roster_officers(AG).await.unwrap(), r.officers);
    assert!(s.roster_officers("yd").await.unwrap().is_empty());
}
