//! Two officers record one inspection offline on two phones; both sync with a real
//! server process over loopback and converge; a supervisor's comment flows back to
//! both phones; evidence goes up once and is verified; a change that breaks a write
//! rule is refused and shown as needing attention instead of being retried forever.

use liuhen_core::store::SyncState;
use liuhen_e2e::{Device, TestServer};

const O1: &str = "qy-zf-001";
const O2: &str = "qy-zf-002";
const TASK: &str = "QY-2026-SJ-0117";

/// A small real PNG (ingest checks the content).
fn image_bytes(seed: u8) -> Vec<u8> {
    liuhen_e2e::png_bytes(1, 1, u64::from(seed))
}

#[test]
fn two_devices_converge_and_a_supervisor_comment_reaches_both() {
    let server = TestServer::start_demo();
    let mut a = Device::enrolled(&server, O1);
    let mut b = Device::enrolled(&server, O2);

    // The first sync brings the roster and the tasks of each officer.
    let r = a.sync();
    assert!(r.roster_updated);
    assert!(a.core.tasks(Some(O1)).unwrap().iter().any(|t| t.id == TASK));
    b.sync();

    // A opens the inspection offline, both officers check in on A, a photo is taken.
    let id = a.core.open_for_task(TASK, O1).unwrap();
    a.core.check_in(&id, O1).unwrap();
    a.core.check_in(&id, O2).unwrap();
    let sha = a.capture_photo(&id, &image_bytes(7), "image/png");
    a.core
        .add_finding(&id, "危废贮存间标识不全", vec![sha.clone()], O1)
        .unwrap();
    let r = a.sync();
    assert_eq!(r.synced, vec![id.clone()], "{r:?}");
    assert_eq!(r.blobs_uploaded, vec![sha.clone()]);
    assert!(r.requests <= 4, "a few round trips: {r:?}");
    assert!(
        server
            .data_dir
            .join("blobs")
            .join(&sha[..2])
            .join(&sha)
            .is_file(),
        "the verified blob is on the server"
    );
    // Syncing again sends nothing new and uploads nothing again.
    let again = a.sync();
    assert!(again.blobs_uploaded.is_empty(), "{again:?}");

    // B receives the record it takes part in.
    let r = b.sync();
    assert_eq!(r.received_new, vec![id.clone()], "{r:?}");

    // Both offline: each adds a finding.
    a.core
        .add_finding(&id, "甲：雨水排口有积水", vec![], O1)
        .unwrap();
    b.core
        .add_finding(&id, "乙：在线监测数据正常", vec![], O2)
        .unwrap();
    assert_eq!(b.core.list_inspections(true).unwrap().len(), 1);
    a.sync();
    b.sync();
    a.sync();
    let (ia, ib) = (
        a.core.inspection(&id).unwrap(),
        b.core.inspection(&id).unwrap(),
    );
    assert_eq!(ia, ib, "both devices converge to the same document");
    assert_eq!(ia.findings.len(), 3);
    assert!(
        a.core.list_inspections(true).unwrap().is_empty(),
        "nothing pending on A"
    );
    assert!(
        b.core.list_inspections(true).unwrap().is_empty(),
        "nothing pending on B"
    );

    // A supervisor comments on the server; the comment reaches both phones.
    let session = server.login("supervisor");
    let resp = reqwest::blocking::Client::new()
        .post(format!(
            "{}/api/v1/inspections/{id}/review",
            server.base_url
        ))
        .bearer_auth(&session)
        .json(&serde_json::json!({ "comment": "请补充危废台账照片", "decision": "returned" }))
        .send()
        .unwrap();
    assert_eq!(resp.status(), 200, "{}", resp.text().unwrap_or_default());
    let ra = a.sync();
    assert_eq!(ra.received_changes, vec![id.clone()], "{ra:?}");
    b.sync();
    for d in [&mut a, &mut b] {
        let review = d.core.inspection(&id).unwrap().review;
        assert_eq!(review.comments.len(), 1);
        assert_eq!(review.comments[0].text, "请补充危废台账照片");
        assert_eq!(
            review.decision.unwrap().decision,
            liuhen_core::inspection::ReviewOutcome::Returned
        );
        assert_eq!(
            d.core.list_inspections(false).unwrap()[0].sync_state,
            SyncState::Synced
        );
    }
}

#[test]
fn a_new_record_is_kept_as_the_whole_document_it_was_sent_as() {
    // Issue 19: a record's first message is the whole document; the device keeps
    // that save as the record's stored form (one chunk instead of one per step), so
    // the server's reply is applied to a document that loads at once. Nothing of
    // the record changes: same heads, the read model still served, every log entry.
    let server = TestServer::start_demo();
    let mut a = Device::enrolled(&server, O1);
    a.sync();
    let id = a.core.open_for_task(TASK, O1).unwrap();
    a.core.check_in(&id, O1).unwrap();
    a.core.check_in(&id, O2).unwrap();
    a.core
        .add_finding(&id, "危废贮存间标识不全", vec![], O1)
        .unwrap();
    assert!(a.core.store().chunk_count(&id).unwrap() > 1);
    let before = a.core.inspection(&id).unwrap();
    let heads = a.core.store().stored_heads(&id).unwrap();
    let log = a.core.store().last_log_seq().unwrap();
    let r = a.sync();
    assert_eq!(r.synced, vec![id.clone()], "{r:?}");
    assert_eq!(a.core.store().chunk_count(&id).unwrap(), 1);
    assert_eq!(a.core.store().stored_heads(&id).unwrap(), heads);
    assert_eq!(a.core.store().last_log_seq().unwrap(), log);
    assert_eq!(a.core.stored_inspection(&id).unwrap(), Some(before.clone()));
    assert_eq!(a.core.inspection_hydrated(&id).unwrap(), before);
    // It goes on as any record: a later step is merged on the server.
    a.core
        .add_finding(&id, "应急预案未备案", vec![], O1)
        .unwrap();
    let r = a.sync();
    assert_eq!(r.synced, vec![id.clone()], "{r:?}");
    let mut b = Device::enrolled(&server, O2);
    let r = b.sync();
    assert_eq!(r.received_new, vec![id.clone()], "{r:?}");
    assert_eq!(
        b.core.inspection(&id).unwrap().findings.len(),
        a.core.inspection(&id).unwrap().findings.len()
    );
}

#[test]
fn a_change_that_breaks_a_write_rule_is_refused_and_needs_attention() {
    use automerge::ReadDoc;
    use automerge::transaction::Transactable;
    let server = TestServer::start_demo();
    let mut a = Device::enrolled(&server, O1);
    a.sync();
    let id = a.core.open_for_task(TASK, O1).unwrap();
    a.core.check_in(&id, O1).unwrap();
    a.sync();

    // A tampered copy writes a review decision from the device.
    let bytes = a.core.export_document(&id).unwrap();
    let mut doc = automerge::AutoCommit::load(&bytes).unwrap();
    doc.set_actor(a.core.device().actor.clone());
    let (_, review) = doc.get(automerge::ROOT, "review").unwrap().unwrap();
    // A forged approval, complete enough to read as a real one.
    doc.put(&review, "decision", "approved").unwrap();
    doc.put(&review, "decided_by", "supervisor").unwrap();
    doc.put(&review, "decided_by_name", "伪造").unwrap();
    doc.put(&review, "decided_at", 1_790_000_000_000i64)
        .unwrap();
    doc.commit();
    a.core.merge_document(&doc.save(), O1).unwrap();

    let r = a.sync();
    assert_eq!(r.needs_attention.len(), 1, "{r:?}");
    assert!(r.needs_attention[0].1.contains("审核"), "{r:?}");
    let listed = a.core.list_inspections(false).unwrap();
    assert_eq!(listed[0].sync_state, SyncState::NeedsAttention);
    assert!(
        listed[0]
            .sync_reason
            .as_deref()
            .unwrap_or("")
            .contains("审核")
    );
    // Not retried automatically: the next run leaves it alone.
    let r = a.sync();
    assert_eq!(
        r.requests, 1,
        "only the empty exchange for offers/roster: {r:?}"
    );
    assert!(r.needs_attention.is_empty());
}

#[test]
fn revoked_device_gets_a_clear_error_and_keeps_its_records() {
    let server = TestServer::start_demo();
    let mut a = Device::enrolled(&server, O1);
    a.sync();
    let id = a.core.open_for_task(TASK, O1).unwrap();
    let admin = server.login("admin");
    let resp = reqwest::blocking::Client::new()
        .post(format!(
            "{}/api/v1/admin/devices/{}/revoke",
            server.base_url,
            a.core.device().device_id
        ))
        .bearer_auth(&admin)
        .send()
        .unwrap();
    assert!(
        resp.status().is_success(),
        "{}",
        resp.text().unwrap_or_default()
    );
    let err = a.client().run(&mut a.core).unwrap_err();
    assert!(!err.is_retryable());
    assert!(err.to_string().contains("token_revoked"), "{err}");
    // Nothing lost, nothing stuck in "syncing".
    let listed = a.core.list_inspections(false).unwrap();
    assert_eq!(listed[0].id, id);
    assert_eq!(listed[0].sync_state, SyncState::Pending);
}

#[test]
fn a_device_receives_only_what_its_officer_may_see() {
    let server = TestServer::start_demo();
    let mut a = Device::enrolled(&server, O1);
    // 黄志强 is on the roster but on no task and no inspection.
    let mut c = Device::enrolled(&server, "qy-zf-003");
    a.sync();
    let id = a.core.open_for_task(TASK, O1).unwrap();
    a.core.check_in(&id, O1).unwrap();
    a.core.add_finding(&id, "现场检查情况", vec![], O1).unwrap();
    assert_eq!(a.sync().synced, vec![id.clone()]);

    let r = c.sync();
    assert!(r.roster_updated);
    assert!(r.received_new.is_empty(), "{r:?}");
    assert!(c.core.list_inspections(false).unwrap().is_empty());
    assert!(
        c.core.tasks(Some("qy-zf-003")).unwrap().is_empty(),
        "no task of other officers reaches this device"
    );
    let roster = c.core.roster().unwrap();
    assert!(roster.tasks.is_empty(), "{:?}", roster.tasks);
}

#[test]
fn a_damaged_local_evidence_file_is_refused_by_the_server_and_needs_attention() {
    let server = TestServer::start_demo();
    let mut a = Device::enrolled(&server, O1);
    a.sync();
    let id = a.core.open_for_task(TASK, O1).unwrap();
    a.core.check_in(&id, O1).unwrap();
    let sha = a.capture_photo(&id, &image_bytes(42), "image/png");
    // The stored original changes on the device after capture (disk damage).
    std::fs::write(a.core.blobs().path_of(&sha), b"damaged bytes").unwrap();
    let r = a.sync();
    assert!(r.blobs_uploaded.is_empty(), "{r:?}");
    assert_eq!(r.needs_attention.len(), 1, "{r:?}");
    assert!(r.needs_attention[0].1.contains(&sha[..12]), "{r:?}");
    let listed = a.core.list_inspections(false).unwrap();
    assert_eq!(listed[0].sync_state, SyncState::NeedsAttention);
    // The server did not accept the bytes as that evidence.
    assert!(
        !server
            .data_dir
            .join("blobs")
            .join(&sha[..2])
            .join(&sha)
            .exists()
    );
}

#[test]
fn evidence_uploaded_more_than_a_day_after_capture_is_flagged() {
    use std::sync::Arc;
    let server = TestServer::start_demo();
    let mut a = Device::enrolled(&server, O1);
    a.sync();
    // Captured 30 hours ago on a phone that stayed without signal since.
    let then = chrono::Utc::now() - chrono::Duration::hours(30);
    a.core
        .set_clock(Arc::new(liuhen_core::time::FixedClock(then)));
    let id = a.core.open_for_task(TASK, O1).unwrap();
    a.core.check_in(&id, O1).unwrap();
    let sha = a.capture_photo(&id, &image_bytes(9), "image/png");
    a.core.set_clock(Arc::new(liuhen_core::time::SystemClock));
    let r = a.sync();
    assert_eq!(r.blobs_uploaded, vec![sha.clone()]);

    let session = server.login("supervisor");
    let detail: serde_json::Value = reqwest::blocking::Client::new()
        .get(format!("{}/api/v1/inspections/{id}", server.base_url))
        .bearer_auth(&session)
        .send()
        .unwrap()
        .json()
        .unwrap();
    let arrival = &detail["evidence_arrival"][0];
    assert_eq!(arrival["sha256"], sha.as_str());
    assert_eq!(arrival["late"], true, "{detail}");
    let rules: Vec<&str> = detail["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["rule"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"R-REC-4"), "{rules:?}");
}

/// Issue 19, the change cursor: after a complete sync a device's idle sync is
/// offered nothing; a colleague's write is offered once; a client without a cursor
/// (an older or hand-written client) still compares every record and is never sent
/// `offer_cursor`.
#[test]
fn offers_follow_the_change_cursor_and_clients_without_one_see_everything() {
    use liuhen_e2e::wire::{post_sync, sync_body};
    let server = TestServer::start_demo();
    let mut a = Device::enrolled(&server, O1);
    let mut b = Device::enrolled(&server, O2);
    a.sync();
    b.sync();
    let id = a.core.open_for_task(TASK, O1).unwrap();
    a.core.check_in(&id, O1).unwrap();
    a.core.check_in(&id, O2).unwrap();
    a.sync();
    assert_eq!(b.sync().received_new, vec![id.clone()]);

    // Idle: B's cursor is past every record; the server names the cursor it holds.
    let token_b = b.token();
    let cursor: u64 = String::from_utf8(
        b.core
            .store()
            .device_value("offer_cursor")
            .unwrap()
            .expect("a complete sync stores the cursor"),
    )
    .unwrap()
    .parse()
    .unwrap();
    let mut idle: serde_json::Value =
        serde_json::from_str(&sync_body(serde_json::json!([]))).unwrap();
    idle["offer_since"] = cursor.into();
    let (status, resp) = post_sync(&server, &token_b, idle.to_string());
    assert_eq!(status, 200, "{resp}");
    assert_eq!(resp["offer"], serde_json::json!([]), "{resp}");
    assert_eq!(resp["offer_cursor"].as_u64(), Some(cursor), "{resp}");

    // A colleague writes: offered past the cursor, once.
    a.core
        .add_finding(&id, "消防通道堆放杂物", vec![], O1)
        .unwrap();
    a.sync();
    let (_, resp) = post_sync(&server, &token_b, idle.to_string());
    assert_eq!(resp["offer"], serde_json::json!([id.clone()]), "{resp}");
    let r = b.sync();
    assert_eq!(r.received_changes, vec![id.clone()], "{r:?}");
    let (_, resp) = post_sync(&server, &token_b, {
        let mut v = idle.clone();
        v["offer_since"] = String::from_utf8(
            b.core
                .store()
                .device_value("offer_cursor")
                .unwrap()
                .unwrap(),
        )
        .unwrap()
        .parse::<u64>()
        .unwrap()
        .into();
        v.to_string()
    });
    assert_eq!(resp["offer"], serde_json::json!([]), "{resp}");

    // Without a cursor: every record whose heads this device has not shared, and no
    // cursor field in the answer. A's device has shared the record; a fresh token of
    // B's officer on a new device has not.
    let c = Device::enrolled(&server, O2);
    let (status, resp) = post_sync(&server, &c.token(), sync_body(serde_json::json!([])));
    assert_eq!(status, 200, "{resp}");
    assert_eq!(resp["offer"], serde_json::json!([id.clone()]), "{resp}");
    assert!(resp.get("offer_cursor").is_none(), "{resp}");
}

#[test]
fn a_run_stopped_at_its_round_bound_says_so_and_the_next_run_finishes() {
    let server = TestServer::start_demo();
    let mut a = Device::enrolled(&server, O1);
    let mut b = Device::enrolled(&server, O2);
    assert!(
        a.sync().complete,
        "a first sync with nothing to send completes"
    );
    b.sync();
    let id = a.core.open_for_task(TASK, O1).unwrap();
    a.core.check_in(&id, O1).unwrap();
    assert!(a.sync().complete);

    // One round: B asks, the server offers A's record, and the run ends there.
    let mut short = b.client();
    short.max_rounds = 1;
    let r = short.run(&mut b.core).expect("sync");
    assert!(
        !r.complete,
        "a run cut at its round bound is reported incomplete: {r:?}"
    );
    assert!(
        b.core.inspection(&id).is_err(),
        "the offered record is not on B yet"
    );

    // The next run goes on from there (the change cursor did not move).
    let r = b.sync();
    assert!(r.complete, "{r:?}");
    assert_eq!(r.received_new, vec![id.clone()]);
    assert_eq!(
        b.core.inspection(&id).unwrap(),
        a.core.inspection(&id).unwrap()
    );
}
