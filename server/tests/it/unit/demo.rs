//! Tests of `server/src/demo/mod.rs`.

use liuhen_domain::doc::InspectionDoc;
use liuhen_domain::inspection::{Inspection, ReviewOutcome};
use liuhen_domain::rules::{RuleContext, check};
use liuhen_server::demo::*;
use liuhen_server::state::AppState;

async fn read(state: &AppState, id: &str) -> Inspection {
    let rec = state.storage.doc(id).await.unwrap().expect(id);
    InspectionDoc::load(&rec.bytes).unwrap().read().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn desk_demo_is_idempotent_and_covers_every_review_state() {
    let dir = tempfile::tempdir().unwrap();
    let state = liuhen_server::build_state(liuhen_server::state::Config {
        data_dir: dir.path().to_path_buf(),
        secure_cookies: false,
        max_upload_bytes: 1 << 30,
        upload_lease: liuhen_server::api::tus::DEFAULT_LEASE,
    })
    .await
    .unwrap();
    load(&state).await.unwrap();
    let first = load_desk(&state).await.unwrap();
    assert_eq!(first.created.len(), 17, "{first:?}");
    assert!(first.created_logins.contains(&DEMO_SUPERVISOR2.to_string()));
    let again = load_desk(&state).await.unwrap();
    assert!(again.created.is_empty() && again.created_logins.is_empty());
    let qy = state
        .storage
        .docs_for_agency("qy-sthj", 200, 0)
        .await
        .unwrap();
    assert_eq!(qy.len(), 16);
    let yd = state
        .storage
        .docs_for_agency("yd-scjg", 200, 0)
        .await
        .unwrap();
    assert_eq!(yd.len(), 1);

    let roster = demo_roster().unwrap();
    let rules = |i: &Inspection| -> Vec<String> {
        let ctx = RuleContext {
            roster: Some(&roster.officers),
            logged_evidence: &[],
        };
        check(i, &ctx).into_iter().map(|v| v.rule).collect()
    };
    let clean = read(&state, desk_ids::PENDING_CLEAN).await;
    assert_eq!(rules(&clean), Vec::<String>::new());
    assert!(clean.closure.is_some() && clean.review.decision.is_none());
    // Every evidence file of the clean record is in the blob store, verified,
    // and decodes as what it claims to be.
    for e in &clean.evidence {
        state.blobs.verify(&e.sha256).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let copy = dir.path().join("blob");
        state.blobs.copy_to_file(&e.sha256, &copy).await.unwrap();
        let bytes = std::fs::read(&copy).unwrap();
        match e.media_type.as_str() {
            "audio/wav" => assert_eq!(&bytes[..4], b"RIFF"),
            _ => {
                image::load_from_memory(&bytes).unwrap();
            }
        }
    }
    let bad = rules(&read(&state, desk_ids::VIOLATIONS).await);
    for r in ["R-SCENE-1", "R-SCENE-2", "R-SCENE-4"] {
        assert!(bad.iter().any(|b| b == r), "{r} in {bad:?}");
    }
    let late = state.storage.blobs_of(desk_ids::LATE_PHOTO).await.unwrap();
    let now = state.clock.now();
    assert_eq!(
        late.iter()
            .filter(|b| liuhen_server::api::tus::is_late(b, now))
            .count(),
        1
    );
    let awaiting = state
        .storage
        .blobs_of(desk_ids::AWAITING_UPLOAD)
        .await
        .unwrap();
    assert_eq!(
        awaiting.iter().filter(|b| b.received_at.is_none()).count(),
        1
    );
    let returned = read(&state, desk_ids::RETURNED).await;
    let d = returned.review.decision.unwrap();
    assert_eq!(d.decision, ReviewOutcome::Returned);
    assert_eq!(returned.review.comments.len(), 2);
    let amended = read(&state, desk_ids::AMENDED).await;
    assert!(amended.amendments[0].at > amended.review.decision.unwrap().decided_at);
    let approved = read(&state, desk_ids::APPROVED).await;
    assert_eq!(
        approved.review.decision.unwrap().decision,
        ReviewOutcome::Approved
    );
    assert!(read(&state, desk_ids::OPEN).await.closure.is_none());
    let conflict = read(&state, desk_ids::CONFLICT).await;
    assert_eq!(conflict.conflicts.len(), 1, "{:?}", conflict.conflicts);
    assert_eq!(conflict.conflicts[0].path, "identity_notice.statement");
    let script = read(&state, desk_ids::SCRIPT_TEXT).await;
    assert_eq!(script.findings[0].text, SCRIPT_FINDING_TEXT);
    // The 2025 statistics year: approved, opened in 2025, and clean, so the
    // solid-waste ones are covered by the officers' certificates (R-SCENE-1).
    for id in desk_ids::STATS_YEAR {
        let i = read(&state, id).await;
        assert_eq!(chrono::Datelike::year(&i.meta.opened_at), 2025, "{id}");
        assert_eq!(
            i.review.decision.as_ref().map(|d| d.decision),
            Some(ReviewOutcome::Approved),
            "{id}"
        );
        assert_eq!(rules(&i), Vec::<String>::new(), "{id}");
    }
    let waste_targets: Vec<String> = roster
        .targets
        .iter()
        .filter(|t| t.category == SOLID_WASTE)
        .map(|t| t.id.clone())
        .collect();
    assert_eq!(waste_targets, ["qy-dx-0004", "qy-dx-0005"]);
}
