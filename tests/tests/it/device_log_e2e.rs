//! The signed device log reaches the server with sync (R-REC-5): a real server
//! process on loopback and real device stores. The server keeps every entry, checks
//! each device's chain for the supervisor's desk (verified / broken at entry N),
//! takes a repeated upload as a no-op, refuses entries that claim another device,
//! and a device with thousands of entries catches up in batches.

use liuhen_core::audit::LogEntry;
use liuhen_core::sync::protocol::{
    MAX_LOG_ENTRIES_PER_REQUEST, PROTOCOL_VERSION, SYNC_PATH, SyncRequest, SyncResponse,
};
use liuhen_e2e::{Device, TestServer};

const O1: &str = "qy-zf-001";
const O2: &str = "qy-zf-002";
const TASK: &str = "QY-2026-SJ-0117";

fn db(server: &TestServer) -> rusqlite::Connection {
    let c = rusqlite::Connection::open(server.data_dir.join("liuhen-server.db")).unwrap();
    c.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
    c
}

/// The server's copy of a device's log: (seq, hash), in order.
fn server_log(server: &TestServer, device_id: &str) -> Vec<(u64, String)> {
    let c = db(server);
    let mut stmt = c
        .prepare("SELECT seq, hash FROM device_log_entries WHERE device_id = ?1 ORDER BY seq")
        .unwrap();
    stmt.query_map([device_id], |r| Ok((r.get::<_, i64>(0)? as u64, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn count(server: &TestServer, sql: &str) -> i64 {
    db(server).query_row(sql, [], |r| r.get(0)).unwrap()
}

/// `log_check` of the supervisor's JSON detail of an inspection.
fn log_check(server: &TestServer, session: &str, id: &str) -> Vec<serde_json::Value> {
    let resp = reqwest::blocking::Client::new()
        .get(format!("{}/api/v1/inspections/{id}", server.base_url))
        .bearer_auth(session)
        .send()
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());
    let v: serde_json::Value = resp.json().unwrap();
    v["log_check"].as_array().cloned().unwrap_or_default()
}

/// Sends a sync request with only `log` (the device's token), as a device would.
fn upload(server: &TestServer, device: &Device, log: Vec<LogEntry>) -> SyncResponse {
    let req = SyncRequest {
        protocol: PROTOCOL_VERSION,
        device_time: chrono::Utc::now(),
        roster_version: None,
        docs: vec![],
        log,
        drafts: vec![],
        offer_since: None,
    };
    let resp = reqwest::blocking::Client::new()
        .post(format!("{}{SYNC_PATH}", server.base_url))
        .bearer_auth(device.token())
        .json(&req)
        .send()
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());
    resp.json().unwrap()
}

fn local_log(device: &Device) -> Vec<(u64, String)> {
    device
        .core
        .store()
        .log_entries(None)
        .unwrap()
        .into_iter()
        .map(|e| (e.seq, e.hash))
        .collect()
}

#[test]
fn the_log_reaches_the_server_verifies_and_tampering_is_named() {
    let server = TestServer::start_demo();
    let mut a = Device::enrolled(&server, O1);
    let device_id = a.core.device().device_id.clone();
    a.sync();
    let id = a.core.open_for_task(TASK, O1).unwrap();
    a.core.check_in(&id, O1).unwrap();
    a.core
        .add_finding(&id, "危废贮存间标识不全", vec![], O1)
        .unwrap();
    let r = a.sync();
    assert_eq!(r.synced, vec![id.clone()], "{r:?}");

    // Every entry of the device is on the server, exactly.
    let local = local_log(&a);
    let last = local.last().unwrap().0;
    assert!(
        last >= 4,
        "roster refresh, open, check-in, finding: {local:?}"
    );
    assert_eq!(server_log(&server, &device_id), local);
    assert_eq!(a.core.store().log_acked_seq().unwrap(), last);
    assert_eq!(r.log_acked_seq, Some(last));

    let session = server.login("supervisor");
    let check = log_check(&server, &session, &id);
    assert_eq!(check.len(), 1, "{check:?}");
    assert_eq!(check[0]["device_id"], device_id.as_str());
    assert_eq!(check[0]["outcome"]["kind"], "verified", "{check:?}");
    assert_eq!(check[0]["entries_checked"], last);
    let for_inspection = a.core.store().log_entries(Some(&id)).unwrap().len();
    assert_eq!(check[0]["entries_for_inspection"], for_inspection);

    // A later sync sends nothing again.
    let again = a.sync();
    assert_eq!(again.log_entries_sent, 0, "{again:?}");

    // The whole log uploaded again: acknowledged, nothing stored twice, nothing
    // divergent, still verified.
    let all = a.core.store().log_entries(None).unwrap();
    let resp = upload(&server, &a, all.clone());
    assert_eq!(resp.log_acked_seq, Some(last));
    assert_eq!(server_log(&server, &device_id), local);
    assert_eq!(
        count(&server, "SELECT COUNT(*) FROM device_log_divergent"),
        0
    );
    assert_eq!(
        log_check(&server, &session, &id)[0]["outcome"]["kind"],
        "verified"
    );

    // An entry that claims another device is refused: not stored, not acknowledged.
    let mut foreign = all.last().unwrap().clone();
    foreign.seq = last + 1;
    foreign.device_id = "0193a5b0-0000-7000-8000-000000000000".into();
    let resp = upload(&server, &a, vec![foreign]);
    assert_eq!(resp.log_acked_seq, Some(last));
    assert_eq!(
        count(
            &server,
            "SELECT COUNT(*) FROM device_log_entries WHERE device_id LIKE '0193a5b0-%'"
        ),
        0
    );
    assert_eq!(server_log(&server, &device_id).len() as u64, last);

    // A rewritten entry under a stored number is kept aside, never over the first.
    let mut rewritten = all[1].clone();
    rewritten.action = "close".into();
    rewritten.hash = rewritten.compute_hash();
    let resp = upload(&server, &a, vec![rewritten]);
    assert_eq!(resp.log_acked_seq, Some(last));
    assert_eq!(server_log(&server, &device_id), local);
    assert_eq!(
        count(&server, "SELECT COUNT(*) FROM device_log_divergent"),
        1
    );
    let check = log_check(&server, &session, &id);
    assert_eq!(check[0]["outcome"]["kind"], "broken", "{check:?}");
    assert_eq!(check[0]["outcome"]["seq"], 2);
    let reason = check[0]["outcome"]["reason"].as_str().unwrap();
    assert!(reason.contains("与此前上传的第 2 条不一致"), "{reason}");

    // Someone edits a stored entry in the server's database: the check names it,
    // even though it comes before the divergent one.
    let c = db(&server);
    let changed = c
        .execute(
            "UPDATE device_log_entries SET detail = '{\"text\":\"改过的内容\"}'
             WHERE device_id = ?1 AND seq = 1",
            [&device_id],
        )
        .unwrap();
    assert_eq!(changed, 1);
    drop(c);
    let check = log_check(&server, &session, &id);
    assert_eq!(check[0]["outcome"]["kind"], "broken", "{check:?}");
    assert_eq!(check[0]["outcome"]["seq"], 1);
    let reason = check[0]["outcome"]["reason"].as_str().unwrap();
    assert!(reason.contains("第 1 条记录内容被改动"), "{reason}");
}

#[test]
fn a_device_with_thousands_of_entries_catches_up_in_batches() {
    let server = TestServer::start_demo();
    let mut b = Device::enrolled(&server, O2);
    let device_id = b.core.device().device_id.clone();
    b.sync();
    let id = b.core.open_for_task(TASK, O2).unwrap();
    // Each view of the record is an entry of the signed log (R-REC-7).
    for i in 0..(2 * MAX_LOG_ENTRIES_PER_REQUEST + 100) {
        b.core
            .record_access(&id, "view", O2, serde_json::json!({ "n": i }), vec![])
            .unwrap();
    }
    let local = local_log(&b);
    let last = local.last().unwrap().0;
    assert!(last as usize > 2 * MAX_LOG_ENTRIES_PER_REQUEST);
    let acked_before = b.core.store().log_acked_seq().unwrap();

    let r = b.sync();
    assert_eq!(r.log_acked_seq, Some(last), "{r:?}");
    // Sent in batches of at most MAX_LOG_ENTRIES_PER_REQUEST.
    let backlog = last - acked_before;
    assert_eq!(r.log_entries_sent, backlog);
    assert!(
        u64::from(r.requests) >= backlog.div_ceil(MAX_LOG_ENTRIES_PER_REQUEST as u64),
        "{r:?}"
    );
    assert_eq!(server_log(&server, &device_id), local);
    assert_eq!(b.core.store().log_acked_seq().unwrap(), last);
    // Nothing on the device is deleted.
    assert_eq!(local_log(&b), local);

    let session = server.login("supervisor");
    let check = log_check(&server, &session, &id);
    assert_eq!(check.len(), 1, "{check:?}");
    assert_eq!(check[0]["outcome"]["kind"], "verified", "{check:?}");
    assert_eq!(check[0]["entries_checked"], last);
}

#[test]
fn an_oversized_log_batch_is_refused_with_a_clear_error() {
    let server = TestServer::start_demo();
    let mut a = Device::enrolled(&server, O1);
    a.sync();
    let one = a.core.store().log_entries(None).unwrap().remove(0);
    let req = SyncRequest {
        protocol: PROTOCOL_VERSION,
        device_time: chrono::Utc::now(),
        roster_version: None,
        docs: vec![],
        log: vec![one; MAX_LOG_ENTRIES_PER_REQUEST + 1],
        drafts: vec![],
        offer_since: None,
    };
    let resp = reqwest::blocking::Client::new()
        .post(format!("{}{SYNC_PATH}", server.base_url))
        .bearer_auth(a.token())
        .json(&req)
        .send()
        .unwrap();
    assert_eq!(resp.status(), 400);
    let v: serde_json::Value = resp.json().unwrap();
    assert_eq!(v["code"], "too_many_log_entries");
    assert!(v["message"].as_str().unwrap().contains("2000"), "{v}");
}
