//! The backend-agnostic store test suite (feature `testsuite`): every backend runs
//! the same tests of the [`Storage`] trait's behaviour, one per method family
//! (roster and draws, users, enrollment, devices, sessions, documents and the
//! change cursor, evidence, device logs, access log, sign-in attempts, review
//! queue, review submissions, form drafts, legal calendar and catalogue, public
//! profile and statistics). A backend invokes [`store_test_suite!`](crate::store_test_suite)
//! in its tests with a function that makes an empty store:
//!
//! ```ignore
//! async fn make() -> (tempfile::TempDir, SqliteStorage) { ... }
//! liuhen_server_store::store_test_suite!(make);
//! ```
//!
//! Each test gets a fresh store; the first element of the pair (a temporary
//! directory, a throwaway database) is kept alive until the test ends. What only
//! one backend can check (its schema, triggers, migrations, writer) stays in that
//! backend's own tests.

use chrono::{DateTime, Duration, TimeZone, Utc};

pub use crate::testsuite_uploads::*;
use ed25519_dalek::SigningKey;

use liuhen_domain::audit::{LogEntry, NewLogEntry};
use liuhen_domain::model::RosterSnapshot;

use crate::access::{AccessAction, AccessEntry};
use crate::device_log::LogUploadOutcome;
use crate::legal::{DraftBase, DraftRecord, DraftStatus, LegalEvent, LegalWrite};
use crate::login_attempts::{LoginGate, LoginPolicy};
use crate::public_profile::{Actor, AppealCounts, AppealKind, StatsPublication, YearCounts};
use crate::queue::{QueueSummary, ReviewState};
use crate::review::ReviewSubmission;
pub use crate::testsuite_publication::*;
use crate::web::FormDraft;
use crate::{
    BlobRecord, Device, DeviceRefusal, DocRecord, DrawStatus, ErrorKind, Role, Storage,
    StorageError, StoredDraw, SyncWrite, User,
};

/// Generates one `#[tokio::test]` per suite test, each on a fresh store made by
/// `$make` (an `async fn() -> (Guard, S)` with `S: Storage`).
#[macro_export]
macro_rules! store_test_suite {
    ($make:path) => {
        $crate::store_test_suite!(@tests $make;
            roster_round_trips_and_filters_tasks_per_officer,
            duplicate_roster_ids_are_a_conflict_and_change_nothing,
            drawn_tasks_survive_a_roster_reload_and_move_the_version,
            users_are_unique_by_login_ignoring_case,
            enrollment_codes_are_single_use_and_expire,
            device_identity_is_fixed_and_reenrolling_forgets_sync_state,
            sessions_expire,
            offer_scan_returns_what_was_written_after_the_cursor,
            docs_and_blobs,
            optimistic_doc_writes_refuse_stale_heads_and_write_nothing,
            optimistic_draft_writes_refuse_a_changed_draft_and_write_nothing,
            device_log_keeps_divergent_entries_aside,
            device_log_ack_stops_at_a_gap,
            r_rec_7_access_log_is_newest_first_and_per_agency,
            an_address_is_locked_out_of_a_login_until_its_oldest_failure_leaves_the_window,
            many_addresses_failing_one_login_slow_it_down_without_locking_it,
            parallel_login_attempts_are_counted_one_by_one,
            queue_summary_round_trips_and_is_refused_for_stale_heads,
            review_submissions_are_once_per_form,
            form_drafts_replace_and_delete,
            calendar_years_replace_an_earlier_import,
            r_post_5_publication_is_once_and_appeals_are_kept,
            // testsuite_publication.rs
            r_legal_3_workflow_steps_check_state_form_and_numbers,
            r_legal_2_catalogue_versions_are_numbered_in_turn,
            legal_steps_at_once_pass_the_state_check_once,
            draft_steps_based_on_one_read_at_once_pass_once,
            r_post_7_publication_steps_need_three_people_in_order,
            publication_steps_at_once_are_done_once,
            r_post_2_public_search_finds_only_what_is_published,
            r_post_5_year_counts_add_up_per_category,
            r_post_4_task_outcomes_are_the_newest_inspection,
            r_pre_4_public_profile_and_documents_keep_their_history,
            queue_pages_walk_both_ways_and_filter,
            queue_summary_is_refused_when_its_evidence_changed,
            // uploads
            uploads_advance_only_from_the_current_offset,
            parallel_advances_from_one_offset_have_one_winner,
            upload_lease_goes_to_the_newest_claimant,
            uploads_restart_and_go_stale,
        );
    };
    (@tests $make:path; $($name:ident,)*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let (_keep, store) = $make().await;
                $crate::testsuite::$name(&store).await;
            }
        )*
    };
}

fn t(h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, h, 0, 0).unwrap()
}

fn roster() -> RosterSnapshot {
    serde_json::from_str(include_str!("../../core/tests/data/demo-roster.json")).unwrap()
}

fn user(id: &str, login: &str) -> User {
    User {
        id: id.into(),
        agency_id: "qy-sthj".into(),
        login: login.into(),
        name: "李明".into(),
        role: Role::Officer,
        officer_id: Some("qy-zf-001".into()),
        password_hash: "$argon2id$x".into(),
        disabled: false,
    }
}

fn device(id: &str, token_hash: &str, actor: &str) -> Device {
    Device {
        id: id.into(),
        user_id: "u1".into(),
        public_key: "ab".repeat(32),
        actor_id: actor.into(),
        token_hash: token_hash.into(),
        enrolled_at: t(1),
        revoked_at: None,
    }
}

fn doc_rec(id: &str, agency: &str, officers: &[&str], heads: &[&str]) -> DocRecord {
    DocRecord {
        id: id.into(),
        agency_id: agency.into(),
        officer_ids: officers.iter().map(|o| o.to_string()).collect(),
        task_id: None,
        target_name: "某公司".into(),
        status: "open".into(),
        heads: heads.iter().map(|h| h.to_string()).collect(),
        bytes: vec![1],
        updated_at: t(1),
    }
}

/// Roster round trips and filters tasks per officer.
pub async fn roster_round_trips_and_filters_tasks_per_officer(s: &dyn Storage) {
    let r = roster();
    s.put_roster(&r).await.unwrap();
    let (all, v_all) = s.roster_for("qy-sthj", None).await.unwrap().unwrap();
    assert_eq!(all, r);
    let officer = &r.tasks[0].officer_ids[0];
    let (mine, v_mine) = s
        .roster_for("qy-sthj", Some(officer))
        .await
        .unwrap()
        .unwrap();
    assert!(mine.tasks.iter().all(|t| t.officer_ids.contains(officer)));
    assert_eq!(mine.officers, r.officers);
    // Putting the same roster again keeps the version; a change moves it.
    s.put_roster(&r).await.unwrap();
    let (_, v_again) = s.roster_for("qy-sthj", None).await.unwrap().unwrap();
    assert_eq!(v_all, v_again);
    let mut changed = r.clone();
    changed.tasks.clear();
    s.put_roster(&changed).await.unwrap();
    let (_, v_changed) = s
        .roster_for("qy-sthj", Some(officer))
        .await
        .unwrap()
        .unwrap();
    assert_ne!(v_mine, v_changed);
    assert!(s.roster_for("other", None).await.unwrap().is_none());
}

/// Duplicate roster ids are a conflict and change nothing.
pub async fn duplicate_roster_ids_are_a_conflict_and_change_nothing(s: &dyn Storage) {
    let r = roster();
    s.put_roster(&r).await.unwrap();
    let mut bad = r.clone();
    bad.officers.push(bad.officers[0].clone());
    assert!(matches!(
        s.put_roster(&bad).await,
        Err(StorageError::Conflict(_))
    ));
    let (still, _) = s.roster_for("qy-sthj", None).await.unwrap().unwrap();
    assert_eq!(still, r);
}

/// Drawn tasks survive a roster reload and move the version.
pub async fn drawn_tasks_survive_a_roster_reload_and_move_the_version(s: &dyn Storage) {
    use liuhen_domain::draw::{self as algorithm, DrawInputs, SpotCheckItem};
    let r = roster();
    s.put_roster(&r).await.unwrap();
    let (_, v0) = s
        .roster_for("qy-sthj", Some("qy-zf-003"))
        .await
        .unwrap()
        .unwrap();
    let draw = StoredDraw {
        id: "SJ-1".into(),
        agency_id: "qy-sthj".into(),
        status: DrawStatus::Committed,
        created_at: t(1),
        created_by: "u".into(),
        inputs_hash: "h".into(),
        seed_commitment: "c".into(),
        seed: "00".repeat(32),
        public_entropy: None,
        inputs: DrawInputs {
            format: algorithm::FORMAT.into(),
            agency_id: "qy-sthj".into(),
            draw_date: r.tasks[0].due_date,
            due_date: r.tasks[0].due_date,
            item: SpotCheckItem {
                code: "QYHJ-SJ-03".into(),
                name: "排污许可证执行情况检查".into(),
                checking_body: "清远市生态环境局".into(),
                legal_basis: "《排污许可管理条例》".into(),
                category: "生态环境".into(),
                target_kinds: vec![],
                target_areas: vec![],
                content: "排污许可证载明事项执行情况".into(),
                ratio_bp: 5_000,
                method: "现场检查".into(),
                frequency: "每年一次".into(),
            },
            targets: vec![],
            officers: vec![],
            conflicts: vec![],
            last_teams: vec![],
        },
        outcome: None,
        completed_at: None,
    };
    s.create_draw(&draw).await.unwrap();
    let mut task = r.tasks[0].clone();
    task.id = "SJ-1-0001".into();
    task.officer_ids = vec!["qy-zf-003".into(), "qy-zf-001".into()];
    let done = StoredDraw {
        status: DrawStatus::Completed,
        completed_at: Some(t(2)),
        ..draw.clone()
    };
    s.complete_draw(&done, &[(1, task.clone())]).await.unwrap();
    // Completing twice is a conflict and adds nothing.
    assert!(matches!(
        s.complete_draw(&done, &[(1, task.clone())]).await,
        Err(StorageError::Conflict(_))
    ));
    let (mine, v1) = s
        .roster_for("qy-sthj", Some("qy-zf-003"))
        .await
        .unwrap()
        .unwrap();
    assert_ne!(v0, v1);
    assert_eq!(mine.tasks, vec![task.clone()]);
    // A roster reload replaces manual tasks but keeps the drawn one.
    s.put_roster(&r).await.unwrap();
    let (all, _) = s.roster_for("qy-sthj", None).await.unwrap().unwrap();
    assert_eq!(all.tasks.len(), r.tasks.len() + 1);
    assert_eq!(s.draw_tasks("SJ-1").await.unwrap()[0].task, task);
    assert_eq!(
        s.last_teams("qy-sthj").await.unwrap(),
        vec![(
            task.target_id.clone(),
            vec!["qy-zf-001".to_string(), "qy-zf-003".to_string()]
        )]
    );
}

/// Users are unique by login ignoring case.
pub async fn users_are_unique_by_login_ignoring_case(s: &dyn Storage) {
    s.create_user(&user("u1", "qy-zf-001")).await.unwrap();
    assert!(matches!(
        s.create_user(&user("u2", "QY-ZF-001")).await,
        Err(StorageError::Conflict(_))
    ));
    assert_eq!(
        s.user_by_login("Qy-Zf-001").await.unwrap().unwrap().id,
        "u1"
    );
    assert_eq!(
        s.user_by_id("u1").await.unwrap().unwrap().login,
        "qy-zf-001"
    );
    assert_eq!(s.users_of_agency("qy-sthj").await.unwrap().len(), 1);
}

/// Enrollment codes are single use and expire.
pub async fn enrollment_codes_are_single_use_and_expire(s: &dyn Storage) {
    s.create_user(&user("u1", "a")).await.unwrap();
    s.put_enrollment_code("h1", "u1", t(5)).await.unwrap();
    s.put_enrollment_code("h2", "u1", t(5)).await.unwrap();
    assert_eq!(
        s.take_enrollment_code("h1", t(4)).await.unwrap().as_deref(),
        Some("u1")
    );
    assert_eq!(s.take_enrollment_code("h1", t(4)).await.unwrap(), None);
    assert_eq!(s.take_enrollment_code("h2", t(5)).await.unwrap(), None);
    assert_eq!(s.take_enrollment_code("nope", t(1)).await.unwrap(), None);
}

/// Device identity is fixed and reenrolling forgets sync state.
pub async fn device_identity_is_fixed_and_reenrolling_forgets_sync_state(s: &dyn Storage) {
    s.create_user(&user("u1", "a")).await.unwrap();
    s.create_user(&user("u2", "b")).await.unwrap();
    let actor = "00".repeat(16);
    let enroll = |d: Device| async move { s.enroll_device(&d, "手机").await.unwrap() };
    assert_eq!(enroll(device("d1", "t1", &actor)).await, Ok(()));
    assert_eq!(
        s.device_with_actor(&actor).await.unwrap().as_deref(),
        Some("d1")
    );
    assert_eq!(
        enroll(device("d1", "t2", &"11".repeat(16))).await,
        Err(DeviceRefusal::Active)
    );
    // Same actor id on another device, active or revoked.
    assert_eq!(
        enroll(device("d2", "t3", &actor)).await,
        Err(DeviceRefusal::ActorTaken)
    );
    s.put_peer_state("d1", "doc", b"state").await.unwrap();
    s.revoke_device("d1", t(2)).await.unwrap();
    s.revoke_device("d1", t(3)).await.unwrap();
    let d = s.device_by_token_hash("t1").await.unwrap().unwrap();
    assert_eq!(d.revoked_at, Some(t(2)));
    assert!(matches!(
        s.revoke_device("zz", t(2)).await,
        Err(StorageError::NotFound(_))
    ));
    assert_eq!(
        enroll(device("d2", "t3", &actor)).await,
        Err(DeviceRefusal::ActorTaken)
    );
    // The revoked id: not for another person, not with another actor id.
    let mut other = device("d1", "t5", &actor);
    other.user_id = "u2".into();
    assert_eq!(enroll(other).await, Err(DeviceRefusal::OtherPerson));
    assert_eq!(
        enroll(device("d1", "t5", &"22".repeat(16))).await,
        Err(DeviceRefusal::ActorChanged(actor.clone()))
    );
    // The same person, the same actor id: a new token, the sync state forgotten.
    s.put_device(&device("d1", "t4", &actor)).await.unwrap();
    assert!(s.device_by_token_hash("t1").await.unwrap().is_none());
    assert_eq!(
        s.device_by_id("d1").await.unwrap().unwrap().token_hash,
        "t4"
    );
    assert_eq!(s.peer_state("d1", "doc").await.unwrap(), None);
    assert_eq!(s.devices_of_agency("qy-sthj").await.unwrap().len(), 1);
    assert_eq!(s.all_user_ids().await.unwrap(), vec!["u1", "u2"]);
}

/// Sessions expire.
pub async fn sessions_expire(s: &dyn Storage) {
    s.create_user(&user("u1", "a")).await.unwrap();
    s.put_session("s1", "u1", t(5)).await.unwrap();
    assert_eq!(s.session_user("s1", t(4)).await.unwrap().unwrap().id, "u1");
    assert!(s.session_user("s1", t(5)).await.unwrap().is_none());
    assert_eq!(s.session_info("s1").await.unwrap().unwrap().1, t(5));
    s.purge_expired(t(6), t(6)).await.unwrap();
    assert!(s.session_info("s1").await.unwrap().is_none());
}

/// Issue 19: the change cursor offers only records written after it, with the
/// device's own sync state, only to officers who may see them, per agency.
pub async fn offer_scan_returns_what_was_written_after_the_cursor(s: &dyn Storage) {
    s.put_doc(&doc_rec("i1", "qy", &["o1"], &["a1"]), None)
        .await
        .unwrap();
    s.put_doc(&doc_rec("i2", "qy", &["o1", "o2"], &["b1"]), None)
        .await
        .unwrap();
    s.put_doc(&doc_rec("x1", "yd", &["o1"], &["c1"]), None)
        .await
        .unwrap();
    s.put_peer_state("d1", "i2", b"st").await.unwrap();
    let all = s.offer_scan("qy", "o1", "d1", 0).await.unwrap();
    assert_eq!(
        all.docs,
        vec![
            ("i1".to_string(), vec!["a1".to_string()], None),
            (
                "i2".to_string(),
                vec!["b1".to_string()],
                Some(b"st".to_vec())
            ),
        ]
    );
    assert!(s.offer_scan("qy", "o2", "d1", 0).await.unwrap().docs.len() == 1);
    let cursor = all.cursor;
    assert!(
        s.offer_scan("qy", "o1", "d1", cursor)
            .await
            .unwrap()
            .docs
            .is_empty()
    );
    // A rewrite moves the record past the cursor; the others stay behind it.
    s.put_doc(
        &doc_rec("i1", "qy", &["o1"], &["a2"]),
        Some(&["a1".to_string()]),
    )
    .await
    .unwrap();
    let next = s.offer_scan("qy", "o1", "d1", cursor).await.unwrap();
    assert_eq!(
        next.docs,
        vec![("i1".to_string(), vec!["a2".to_string()], None)]
    );
    assert!(next.cursor > cursor);
    assert!(
        s.offer_scan("qy", "o1", "d1", next.cursor)
            .await
            .unwrap()
            .docs
            .is_empty()
    );
}

fn heads(h: &[&str]) -> Vec<String> {
    h.iter().map(|h| h.to_string()).collect()
}

/// A sync commit of `doc` expecting `expected`, with one evidence reference, a
/// queue summary and a device's sync state (all or nothing).
fn sync_write(doc: &DocRecord, expected: Option<&[&str]>) -> SyncWrite {
    let sum = summary(doc);
    SyncWrite {
        doc: doc.clone(),
        expected_heads: expected.map(heads),
        blobs: vec![BlobRecord {
            sha256: "cd".repeat(32),
            inspection_id: doc.id.clone(),
            captured_at: t(1),
            received_at: None,
            size: 5,
        }],
        peer_state: Some(("d1".into(), doc.heads.join(",").into_bytes())),
        summary: Box::new(move |_| Some(sum)),
    }
}

/// Issue 18: optimistic per-document writes. A write whose expected heads are not
/// the stored ones (as sets), or that expects no document where one exists, or
/// one where none exists, is `Stale` and writes nothing (not the document, its
/// evidence, its queue summary nor the device's sync state); the matching heads
/// are accepted in any order.
pub async fn optimistic_doc_writes_refuse_stale_heads_and_write_nothing(s: &dyn Storage) {
    let stale = |r: Result<(), StorageError>| match r {
        Err(e @ StorageError::Stale(_)) => {
            assert_eq!(e.kind(), ErrorKind::Stale);
            assert!(!e.is_retryable(), "a stale write is rebuilt, not rerun");
        }
        other => panic!("expected Stale, got {other:?}"),
    };
    // Expecting a document that does not exist.
    let v1 = doc_rec("i1", "qy", &["o1"], &["h1", "h2"]);
    stale(s.put_doc(&v1, Some(&heads(&["h0"]))).await);
    stale(s.commit_sync(sync_write(&v1, Some(&["h0"]))).await);
    assert!(s.doc("i1").await.unwrap().is_none());
    assert!(s.blobs_of("i1").await.unwrap().is_empty());
    assert!(s.peer_state("d1", "i1").await.unwrap().is_none());
    assert!(s.queue_summary("i1").await.unwrap().is_none());

    // Creating it (None), then None again on the existing document is refused.
    s.commit_sync(sync_write(&v1, None)).await.unwrap();
    assert_eq!(s.doc("i1").await.unwrap().unwrap(), v1);
    let cursor = s.offer_scan("qy", "o1", "d2", 0).await.unwrap().cursor;
    let other = doc_rec("i1", "qy", &["o1", "o2"], &["x9"]);
    stale(s.put_doc(&other, None).await);
    stale(s.commit_sync(sync_write(&other, None)).await);

    // Stale heads (a subset, a superset, other heads): nothing changes.
    for expected in [&["h1"][..], &["h1", "h2", "h3"], &["h3"], &[]] {
        stale(s.put_doc(&other, Some(&heads(expected))).await);
        stale(s.commit_sync(sync_write(&other, Some(expected))).await);
    }
    assert_eq!(s.doc("i1").await.unwrap().unwrap(), v1);
    assert_eq!(s.blobs_of("i1").await.unwrap().len(), 1);
    assert_eq!(
        s.peer_state("d1", "i1").await.unwrap(),
        Some(b"h1,h2".to_vec())
    );
    assert_eq!(
        s.queue_summary("i1").await.unwrap().unwrap().doc_heads,
        heads(&["h1", "h2"])
    );
    assert!(
        s.offer_scan("qy", "o1", "d2", cursor)
            .await
            .unwrap()
            .docs
            .is_empty(),
        "a refused write does not move the change cursor"
    );
    assert!(
        s.offer_scan("qy", "o2", "d2", 0)
            .await
            .unwrap()
            .docs
            .is_empty()
    );

    // The heads read, in any order, are accepted.
    let v2 = doc_rec("i1", "qy", &["o1", "o2"], &["h3"]);
    s.commit_sync(sync_write(&v2, Some(&["h2", "h1"])))
        .await
        .unwrap();
    assert_eq!(s.doc("i1").await.unwrap().unwrap(), v2);
    assert_eq!(
        s.peer_state("d1", "i1").await.unwrap(),
        Some(b"h3".to_vec())
    );
    // What a merge reads: the document with this device's state, or each missing.
    assert_eq!(
        s.doc_for_sync("d1", "i1").await.unwrap(),
        (Some(v2.clone()), Some(b"h3".to_vec()))
    );
    assert_eq!(
        s.doc_for_sync("d9", "i1").await.unwrap(),
        (Some(v2.clone()), None)
    );
    assert_eq!(s.doc_for_sync("d1", "i9").await.unwrap(), (None, None));
    let v3 = doc_rec("i1", "qy", &["o1", "o2"], &["h4", "h5"]);
    stale(s.put_doc(&v3, Some(&heads(&["h1", "h2"]))).await);
    s.put_doc(&v3, Some(&heads(&["h3"]))).await.unwrap();
    assert_eq!(s.doc("i1").await.unwrap().unwrap(), v3);
    let v4 = doc_rec("i1", "qy", &["o1", "o2"], &["h6"]);
    s.put_doc(&v4, Some(&heads(&["h5", "h4"]))).await.unwrap();
    assert_eq!(s.doc("i1").await.unwrap().unwrap().heads, heads(&["h6"]));
}

fn draft(id: &str, heads: &[&str]) -> DraftRecord {
    DraftRecord {
        id: id.into(),
        agency_id: "qy".into(),
        created_by: "u1".into(),
        created_at: t(1),
        updated_at: t(1),
        status: DraftStatus::Drafting,
        title: "行政处罚决定".into(),
        kind: liuhen_domain::legal::DecisionKind::Penalty,
        catalogue_version: None,
        triggers: vec![],
        version: 0,
        received_on: None,
        extended: false,
        heads: heads.iter().map(|h| h.to_string()).collect(),
        bytes: vec![7],
    }
}

fn draft_step(base: DraftBase, d: &DraftRecord, form: Option<&str>) -> LegalWrite {
    LegalWrite {
        form: form.map(|f| (f.to_string(), "edit".to_string())),
        base: Some(base),
        draft: Some(d.clone()),
        events: vec![LegalEvent {
            seq: 0,
            agency_id: d.agency_id.clone(),
            draft_id: Some(d.id.clone()),
            kind: "edited".into(),
            version: None,
            by_user: "u1".into(),
            at: t(2),
            detail: serde_json::json!({}),
        }],
        ..LegalWrite::default()
    }
}

/// Issue 18: optimistic writes of decision drafts. A step based on a draft that
/// changed since it was read -- in any column, not only its document's heads --
/// or creating one that exists, is `Stale` and writes nothing (not the draft, its
/// audit entry nor its form id); a step based on the draft as stored goes ahead.
pub async fn optimistic_draft_writes_refuse_a_changed_draft_and_write_nothing(s: &dyn Storage) {
    let stale = |r: Result<(), StorageError>| match r {
        Err(e @ StorageError::Stale(_)) => assert_eq!(e.kind(), ErrorKind::Stale),
        other => panic!("expected Stale, got {other:?}"),
    };
    s.create_user(&user("u1", "a")).await.unwrap();
    let d1 = draft("g1", &["h1"]);
    s.apply_legal(&draft_step(DraftBase::New, &d1, None))
        .await
        .unwrap();
    stale(
        s.apply_legal(&draft_step(DraftBase::New, &draft("g1", &["x"]), None))
            .await,
    );
    let read = s.legal_draft("g1").await.unwrap().unwrap();
    assert_eq!(read, d1);
    assert_eq!(s.legal_events("g1").await.unwrap().len(), 1);

    // Another step changes only the workflow columns (same heads): a step based
    // on the earlier read is refused all the same.
    let mut moved = read.clone();
    moved.extended = true;
    s.apply_legal(&draft_step(
        DraftBase::Read(Box::new(read.clone())),
        &moved,
        None,
    ))
    .await
    .unwrap();
    let mut edit = read.clone();
    edit.heads = vec!["h2".into()];
    edit.bytes = vec![8];
    stale(
        s.apply_legal(&draft_step(
            DraftBase::Read(Box::new(read.clone())),
            &edit,
            Some("form-0000000000000001"),
        ))
        .await,
    );
    assert_eq!(s.legal_draft("g1").await.unwrap().unwrap(), moved);
    assert_eq!(s.legal_events("g1").await.unwrap().len(), 2);
    assert!(
        s.legal_form("form-0000000000000001")
            .await
            .unwrap()
            .is_none()
    );
    // Based on a draft that does not exist.
    stale(
        s.apply_legal(&draft_step(
            DraftBase::Read(Box::new(draft("g2", &["h1"]))),
            &draft("g2", &["h2"]),
            None,
        ))
        .await,
    );
    assert!(s.legal_draft("g2").await.unwrap().is_none());

    // Read again and redone: accepted.
    let fresh = s.legal_draft("g1").await.unwrap().unwrap();
    let mut edit = fresh.clone();
    edit.heads = vec!["h2".into()];
    edit.bytes = vec![8];
    s.apply_legal(&draft_step(
        DraftBase::Read(Box::new(fresh)),
        &edit,
        Some("form-0000000000000001"),
    ))
    .await
    .unwrap();
    let stored = s.legal_draft("g1").await.unwrap().unwrap();
    assert_eq!(
        (stored.heads, stored.extended),
        (vec!["h2".to_string()], true)
    );
    assert_eq!(s.legal_events("g1").await.unwrap().len(), 3);
}

/// Docs and blobs.
pub async fn docs_and_blobs(s: &dyn Storage) {
    let mut doc = DocRecord {
        id: "i1".into(),
        agency_id: "qy-sthj".into(),
        officer_ids: vec!["o2".into(), "o1".into()],
        task_id: None,
        target_name: "某公司".into(),
        status: "open".into(),
        heads: vec!["aa".into()],
        bytes: vec![1, 2, 3],
        updated_at: t(1),
    };
    s.put_doc(&doc, None).await.unwrap();
    assert_eq!(s.doc("i1").await.unwrap().unwrap(), doc);
    doc.officer_ids = vec!["o1".into()];
    doc.updated_at = t(2);
    s.put_doc(&doc, Some(&["aa".to_string()])).await.unwrap();
    assert_eq!(s.doc("i1").await.unwrap().unwrap(), doc);
    assert!(
        s.offer_scan("qy-sthj", "o2", "d1", 0)
            .await
            .unwrap()
            .docs
            .is_empty()
    );
    assert_eq!(
        s.offer_scan("qy-sthj", "o1", "d1", 0).await.unwrap().docs,
        vec![("i1".to_string(), vec!["aa".to_string()], None)]
    );
    assert_eq!(s.docs_for_agency("qy-sthj", 10, 0).await.unwrap().len(), 1);
    assert!(
        s.docs_for_agency("qy-sthj", 10, 1)
            .await
            .unwrap()
            .is_empty()
    );

    let sha = "ab".repeat(32);
    assert!(
        !s.mark_blob_received("qy-sthj", &sha, 3, t(2))
            .await
            .unwrap()
    );
    let blob = BlobRecord {
        sha256: sha.clone(),
        inspection_id: "i1".into(),
        captured_at: t(1),
        received_at: None,
        size: 3,
    };
    s.reference_blob(&blob).await.unwrap();
    s.reference_blob(&blob).await.unwrap();
    assert_eq!(
        s.missing_blobs(&["i1".into()]).await.unwrap(),
        vec![sha.clone()]
    );
    // Another agency cannot receive it for the first (none of its records
    // references it).
    assert!(
        !s.mark_blob_received("yd-scjg", &sha, 3, t(2))
            .await
            .unwrap()
    );
    assert!(
        s.mark_blob_received("qy-sthj", &sha, 3, t(2))
            .await
            .unwrap()
    );
    assert!(s.missing_blobs(&["i1".into()]).await.unwrap().is_empty());
    // A second document of the agency referencing a received blob does not ask
    // for it again.
    for (id, agency) in [("i2", "qy-sthj"), ("i3", "yd-scjg")] {
        s.put_doc(
            &DocRecord {
                id: id.into(),
                agency_id: agency.into(),
                ..doc.clone()
            },
            None,
        )
        .await
        .unwrap();
        s.reference_blob(&BlobRecord {
            inspection_id: id.into(),
            captured_at: t(3),
            ..blob.clone()
        })
        .await
        .unwrap();
    }
    assert!(s.missing_blobs(&["i2".into()]).await.unwrap().is_empty());
    let got = s.blob("qy-sthj", &sha).await.unwrap().unwrap();
    assert_eq!(got.received_at, Some(t(2)));
    assert_eq!(got.inspection_id, "i1");
    assert_eq!(s.blobs_of("i2").await.unwrap().len(), 1);
    // Another agency's record of the same bytes: not received for that agency
    // (issue 16 item 6) until its own device uploads them.
    assert_eq!(
        s.missing_blobs(&["i3".into()]).await.unwrap(),
        vec![sha.clone()]
    );
    let theirs = s.blob("yd-scjg", &sha).await.unwrap().unwrap();
    assert_eq!(
        (theirs.inspection_id.as_str(), theirs.received_at),
        ("i3", None)
    );
    assert_eq!(s.blobs_of("i3").await.unwrap()[0].received_at, None);
    assert!(
        s.mark_blob_received("yd-scjg", &sha, 3, t(4))
            .await
            .unwrap()
    );
    assert_eq!(s.blobs_of("i3").await.unwrap()[0].received_at, Some(t(4)));
    assert_eq!(s.blobs_of("i1").await.unwrap()[0].received_at, Some(t(2)));
}

// ---- device logs (R-REC-5) --------------------------------------------------

fn key(b: u8) -> SigningKey {
    SigningKey::from_bytes(&[b; 32])
}

fn hex_key(k: &SigningKey) -> String {
    k.verifying_key()
        .to_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Entries `1..=to` of device `dev-a`, signed with `k`.
fn chain(to: u64, k: &SigningKey) -> Vec<LogEntry> {
    let mut out: Vec<LogEntry> = vec![];
    let mut last: Option<(u64, String)> = None;
    for n in 1..=to {
        let new = NewLogEntry {
            at: Utc
                .timestamp_millis_opt(1_763_600_000_000 + n as i64)
                .unwrap(),
            officer_id: "qy-zf-001".into(),
            inspection_id: Some("insp-1".into()),
            action: "finding".into(),
            detail: serde_json::json!({ "text": format!("第 {n} 步") }),
            evidence: vec![],
            doc_heads: vec![],
        };
        let e = LogEntry::seal(new, last, "dev-a", k);
        last = Some((e.seq, e.hash.clone()));
        out.push(e);
    }
    out
}

/// A different entry under a stored number is kept aside, never written over the
/// first; uploads are idempotent.
pub async fn device_log_keeps_divergent_entries_aside(s: &dyn Storage) {
    let k = key(1);
    let pk = hex_key(&k);
    let entries = chain(5, &k);
    let out = s
        .put_log_entries("dev-a", &pk, &entries, t(1))
        .await
        .unwrap();
    assert_eq!((out.stored, out.acked_seq), (5, 5));
    let again = s
        .put_log_entries("dev-a", &pk, &entries, t(1))
        .await
        .unwrap();
    assert_eq!(
        again,
        LogUploadOutcome {
            stored: 0,
            duplicates: 5,
            divergent: vec![],
            acked_seq: 5
        }
    );
    let mut edited = entries[3].clone();
    edited.detail = serde_json::json!({ "text": "被改动" });
    let out = s
        .put_log_entries("dev-a", &pk, std::slice::from_ref(&edited), t(2))
        .await
        .unwrap();
    assert_eq!(
        (out.stored, out.divergent.clone(), out.acked_seq),
        (0, vec![4], 5)
    );
    s.put_log_entries("dev-a", &pk, std::slice::from_ref(&edited), t(2))
        .await
        .unwrap();
    let stored: Vec<LogEntry> = s
        .device_log("dev-a")
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.entry)
        .collect();
    assert_eq!(stored, entries);
    let divergent = s.divergent_log_entries("dev-a").await.unwrap();
    assert_eq!(divergent.len(), 1);
    assert_eq!(divergent[0].entry, edited);
    assert_eq!(divergent[0].public_key, pk);
    assert!(s.device_log("dev-b").await.unwrap().is_empty());
}

/// The acknowledged number stops at a gap and jumps once the gap is filled.
pub async fn device_log_ack_stops_at_a_gap(s: &dyn Storage) {
    let k = key(2);
    let pk = hex_key(&k);
    let entries = chain(8, &k);
    let without_6: Vec<LogEntry> = entries.iter().filter(|e| e.seq != 6).cloned().collect();
    let out = s
        .put_log_entries("dev-a", &pk, &without_6, t(1))
        .await
        .unwrap();
    assert_eq!((out.stored, out.acked_seq), (7, 5));
    assert_eq!(s.log_acked_seq("dev-a").await.unwrap(), 5);
    let out = s
        .put_log_entries("dev-a", &pk, &entries[5..6], t(2))
        .await
        .unwrap();
    assert_eq!(out.acked_seq, 8);
    assert_eq!(s.log_acked_seq("dev-a").await.unwrap(), 8);
    assert_eq!(s.log_acked_seq("nobody").await.unwrap(), 0);
}

// ---- access log (R-REC-7) ---------------------------------------------------

fn access(n: u32, action: AccessAction) -> AccessEntry {
    AccessEntry {
        id: 0,
        agency_id: "a1".into(),
        inspection_id: "i1".into(),
        user_id: "u1".into(),
        user_name: "督查员".into(),
        user_role: Role::Supervisor,
        action,
        object: Some(format!("photo:{n}")),
        at: Utc.with_ymd_and_hms(2026, 11, 20, 1, n, 0).unwrap(),
        client_ip: None,
    }
}

/// R-REC-7: the access log pages newest first and counts per agency.
pub async fn r_rec_7_access_log_is_newest_first_and_per_agency(s: &dyn Storage) {
    for n in 0..3 {
        s.log_access(&access(n, AccessAction::ViewOriginal))
            .await
            .unwrap();
    }
    s.log_access(&access(3, AccessAction::PlayRecording))
        .await
        .unwrap();
    assert_eq!(s.access_count("a1", "i1").await.unwrap(), 4);
    assert_eq!(s.access_count("a2", "i1").await.unwrap(), 0);
    let page = s.access_log("a1", "i1", 2, 0).await.unwrap();
    assert_eq!(page.len(), 2);
    assert_eq!(page[0].action, AccessAction::PlayRecording);
    assert_eq!(page[1].object.as_deref(), Some("photo:2"));
    assert_eq!(s.access_log("a1", "i1", 10, 2).await.unwrap().len(), 2);
}

// ---- sign-in attempts (issue 16) ---------------------------------------------

fn tm(min: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 8, 0, 0).unwrap() + Duration::minutes(min)
}

const POLICY: LoginPolicy = LoginPolicy {
    window: Duration::minutes(15),
    per_address: 3,
    per_account: 5,
    account_interval: Duration::seconds(30),
};

/// An address is locked out of a login until its oldest failure leaves the window.
pub async fn an_address_is_locked_out_of_a_login_until_its_oldest_failure_leaves_the_window(
    s: &dyn Storage,
) {
    for m in 0..3 {
        let gate = s.begin_login_attempt("a", "1.1.1.1", tm(m), POLICY).await;
        assert_eq!(gate.unwrap(), LoginGate::Allowed);
    }
    assert_eq!(
        s.begin_login_attempt("a", "1.1.1.1", tm(3), POLICY)
            .await
            .unwrap(),
        LoginGate::AddressLocked { until: tm(15) }
    );
    // Another address, and another login from the same address, may try.
    for (login, addr) in [("a", "2.2.2.2"), ("b", "1.1.1.1")] {
        let gate = s.begin_login_attempt(login, addr, tm(3), POLICY).await;
        assert_eq!(gate.unwrap(), LoginGate::Allowed, "{login} {addr}");
    }
    // The refused attempt was not counted: at 15 minutes the first failure left.
    assert_eq!(
        s.begin_login_attempt("a", "1.1.1.1", tm(15), POLICY)
            .await
            .unwrap(),
        LoginGate::Allowed
    );
    // A success forgets this address's failures only.
    s.login_succeeded("a", "1.1.1.1").await.unwrap();
    for m in 16..19 {
        let gate = s.begin_login_attempt("a", "1.1.1.1", tm(m), POLICY).await;
        assert_eq!(gate.unwrap(), LoginGate::Allowed);
    }
}

/// Many addresses failing one login slow it down without locking it.
pub async fn many_addresses_failing_one_login_slow_it_down_without_locking_it(s: &dyn Storage) {
    for i in 0..5 {
        let gate = s
            .begin_login_attempt("a", &format!("10.0.0.{i}"), tm(0), POLICY)
            .await;
        assert_eq!(gate.unwrap(), LoginGate::Allowed);
    }
    let at = tm(0) + Duration::seconds(10);
    assert_eq!(
        s.begin_login_attempt("a", "10.0.0.9", at, POLICY)
            .await
            .unwrap(),
        LoginGate::AccountSlowed {
            until: tm(0) + Duration::seconds(30)
        }
    );
    // After the interval one attempt goes through, then the next waits again.
    let at = tm(0) + Duration::seconds(30);
    assert_eq!(
        s.begin_login_attempt("a", "10.0.0.9", at, POLICY)
            .await
            .unwrap(),
        LoginGate::Allowed
    );
    assert_eq!(
        s.begin_login_attempt("a", "10.0.0.8", at, POLICY)
            .await
            .unwrap(),
        LoginGate::AccountSlowed {
            until: at + Duration::seconds(30)
        }
    );
    let gate = s.begin_login_attempt("b", "10.0.0.8", at, POLICY).await;
    assert_eq!(gate.unwrap(), LoginGate::Allowed);
}

/// Parallel attempts are counted one by one: exactly the allowed number passes.
pub async fn parallel_login_attempts_are_counted_one_by_one(s: &dyn Storage) {
    let results = futures_util::future::join_all(
        (0..40).map(|_| s.begin_login_attempt("a", "1.1.1.1", tm(0), POLICY)),
    )
    .await;
    let allowed = results
        .into_iter()
        .filter(|r| r.as_ref().unwrap() == &LoginGate::Allowed)
        .count();
    assert_eq!(allowed as u32, POLICY.per_address);
}

// ---- review queue, submissions, form drafts ----------------------------------

fn summary(doc: &DocRecord) -> QueueSummary {
    QueueSummary {
        doc_id: doc.id.clone(),
        agency_id: doc.agency_id.clone(),
        state: ReviewState::Pending,
        rank: 1,
        rank_late: 1,
        rank_due_at: None,
        opened_at: t(1),
        target_id: "t1".into(),
        target_name: doc.target_name.clone(),
        target_credit_code: None,
        officer_ids: doc.officer_ids.clone(),
        officer_names: vec!["李明".into()],
        violations: vec![],
        evidence_total: 0,
        evidence_missing: 0,
        oldest_missing_at: None,
        arrived_late: false,
        updated_at: doc.updated_at,
        doc_heads: doc.heads.clone(),
    }
}

/// A queue summary round-trips, counts by state, and is refused once the
/// document moved past the heads it was computed from.
pub async fn queue_summary_round_trips_and_is_refused_for_stale_heads(s: &dyn Storage) {
    let doc = doc_rec("i1", "qy", &["o1"], &["h1"]);
    s.put_doc(&doc, None).await.unwrap();
    let sum = summary(&doc);
    assert!(s.put_queue_summary(&sum).await.unwrap());
    assert_eq!(s.queue_summary("i1").await.unwrap(), Some(sum.clone()));
    assert_eq!(
        s.queue_counts("qy").await.unwrap(),
        vec![(ReviewState::Pending, 1)]
    );
    assert!(s.queue_counts("yd").await.unwrap().is_empty());
    s.put_doc(
        &doc_rec("i1", "qy", &["o1"], &["h2"]),
        Some(&["h1".to_string()]),
    )
    .await
    .unwrap();
    assert!(!s.put_queue_summary(&sum).await.unwrap());
    assert_eq!(s.queue_summary("i1").await.unwrap(), Some(sum));
}

/// A review submission is recorded once per form id; the first one stays.
pub async fn review_submissions_are_once_per_form(s: &dyn Storage) {
    s.create_user(&user("u1", "a")).await.unwrap();
    let sub = ReviewSubmission {
        form_id: "f1".into(),
        inspection_id: "i1".into(),
        user_id: "u1".into(),
        decision: "approved".into(),
        comments: 2,
        heads_after: vec!["aa".into()],
        at: t(2),
    };
    s.put_review_submission(&sub).await.unwrap();
    let again = ReviewSubmission {
        decision: "returned".into(),
        ..sub.clone()
    };
    assert!(matches!(
        s.put_review_submission(&again).await,
        Err(StorageError::Conflict(_))
    ));
    assert_eq!(s.review_submission("f1").await.unwrap(), Some(sub));
    assert_eq!(s.review_submission("f2").await.unwrap(), None);
}

/// A form draft replaces the older one of the same user and page; deleting it
/// (or a session) twice is no error.
pub async fn form_drafts_replace_and_delete(s: &dyn Storage) {
    s.create_user(&user("u1", "a")).await.unwrap();
    let draft = FormDraft {
        user_id: "u1".into(),
        path: "/desk/inspections/i1".into(),
        fields: vec![("comment".into(), "第一稿".into())],
        saved_at: t(1),
    };
    s.put_form_draft(&draft).await.unwrap();
    let newer = FormDraft {
        fields: vec![("comment".into(), "第二稿".into())],
        saved_at: t(2),
        ..draft.clone()
    };
    s.put_form_draft(&newer).await.unwrap();
    assert_eq!(
        s.form_draft("u1", "/desk/inspections/i1").await.unwrap(),
        Some(newer)
    );
    assert_eq!(s.form_draft("u1", "/other").await.unwrap(), None);
    s.delete_form_draft("u1", "/desk/inspections/i1")
        .await
        .unwrap();
    s.delete_form_draft("u1", "/desk/inspections/i1")
        .await
        .unwrap();
    assert_eq!(
        s.form_draft("u1", "/desk/inspections/i1").await.unwrap(),
        None
    );
    s.put_session("s1", "u1", t(5)).await.unwrap();
    s.delete_session("s1").await.unwrap();
    s.delete_session("s1").await.unwrap();
    assert!(s.session_user("s1", t(4)).await.unwrap().is_none());
}

// ---- legal calendar, public profile and statistics ---------------------------

/// An imported calendar year replaces an earlier import of the same year.
pub async fn calendar_years_replace_an_earlier_import(s: &dyn Storage) {
    s.create_user(&user("u-admin", "admin")).await.unwrap();
    let event = |y: i32| LegalEvent {
        seq: 0,
        agency_id: "qy-sthj".into(),
        draft_id: None,
        kind: "calendar_imported".into(),
        version: None,
        by_user: "u-admin".into(),
        at: t(1),
        detail: serde_json::json!({ "year": y }),
    };
    s.put_calendar_year(2026, "{\"v\":1}", &event(2026))
        .await
        .unwrap();
    s.put_calendar_year(2027, "{\"v\":1}", &event(2027))
        .await
        .unwrap();
    s.put_calendar_year(2026, "{\"v\":2}", &event(2026))
        .await
        .unwrap();
    assert_eq!(
        s.calendar_years().await.unwrap(),
        vec![
            (2026, "{\"v\":2}".to_string()),
            (2027, "{\"v\":1}".to_string())
        ]
    );
}

/// R-POST-5: a year's statistics are published once; appeal numbers are kept
/// with their history entry.
pub async fn r_post_5_publication_is_once_and_appeals_are_kept(s: &dyn Storage) {
    let actor = |min: u32| Actor {
        user_id: "u-admin".into(),
        name: "管理员".into(),
        at: Utc.with_ymd_and_hms(2026, 1, 10, 2, min, 0).unwrap(),
    };
    let a = actor(0);
    let p = StatsPublication {
        agency_id: "a1".into(),
        year: 2025,
        published_by: a.user_id.clone(),
        by_name: a.name.clone(),
        published_at: a.at,
    };
    s.publish_stats(&p).await.unwrap();
    let again = s.publish_stats(&p).await;
    assert!(matches!(again, Err(StorageError::Conflict(_))), "{again:?}");
    assert_eq!(s.stats_publications(Some(2025)).await.unwrap(), vec![p]);
    let counts = AppealCounts {
        total: 3,
        upheld: 1,
        corrected: 1,
        other: 0,
    };
    s.put_appeal_stats(
        "a1",
        2025,
        AppealKind::Litigation,
        &counts,
        &actor(1),
        "2025 年行政诉讼：受理 3",
    )
    .await
    .unwrap();
    let appeals = s.appeal_stats(Some("a1"), 2025).await.unwrap();
    assert_eq!(
        appeals,
        vec![("a1".to_string(), AppealKind::Litigation, counts)]
    );
    assert_eq!(appeals[0].2.pending(), 1);
    let events = s.public_profile_events("a1", 10).await.unwrap();
    assert_eq!(events.len(), 2);
    assert!(events.iter().any(|e| e.detail == "2025 年行政诉讼：受理 3"));
    let counts = s
        .year_counts("a1", 2025, a.at - Duration::days(400), a.at)
        .await
        .unwrap();
    assert_eq!(counts, YearCounts::default());
}
