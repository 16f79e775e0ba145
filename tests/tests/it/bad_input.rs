//! Bad inputs against a real server process: each gets a clear error (a JSON body
//! with a stable code and a Chinese message, or a per-document status) and loses
//! nothing, neither on the server nor on the device.
//!
//! - a malformed sync body (not JSON, the wrong shape, an unknown field, another
//!   protocol version, too many documents, a `msg` that is not base64: the whole
//!   request is refused; a `msg` that is base64 of garbage or an id that is not a
//!   UUID: that document is `malformed`, the others in the request still apply);
//! - hostile sync messages (bloom filters with absurd probe counts or zero bits
//!   per entry, a compressed change that inflates to 64 MiB, a run-length encoded
//!   column claiming 2^40 operations): `malformed` with the guard's code, the
//!   server stays up and the record unchanged (issue 16);
//! - a message for an unknown document, and one whose id is not the document's;
//! - a document of another agency (and of the same agency, not the officer's);
//! - a token that is missing, garbage or revoked (device tokens do not expire, so
//!   there is no expired device token to send; API sessions expire after 12 hours,
//!   which needs control of the server's clock);
//! - a request body far over the limit (with and without `Content-Length`);
//! - a device clock hours ahead or behind;
//! - evidence whose bytes do not match its hash (damaged on the phone, or on the
//!   way), and an upload that stops halfway, then the app restarts (through the
//!   sync client, end to end; the tus details are in `server/tests/it/tus_upload.rs`).

use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use automerge::sync::{State, SyncDoc};
use automerge::transaction::Transactable;
use automerge::{AutoCommit, ReadDoc};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use liuhen_core::store::SyncState;
use liuhen_core::sync::client::{Exchange, Transport, TransportError};
use liuhen_core::sync::http::HttpTransport;
use liuhen_core::sync::protocol::{DocMessage, DocReply, DocStatus, SyncRequest};
use liuhen_core::sync::{SyncClient, SyncError};
use liuhen_core::time::FixedClock;
use liuhen_e2e::proxy::{Fault, FaultProxy, Plan, Target};
use liuhen_e2e::wire::{http, post_sync, raw_sync, sync_body};
use liuhen_e2e::{Device, TestServer, png_bytes, second_agency};

const O1: &str = "qy-zf-001";
const O2: &str = "qy-zf-002";
const TASK: &str = "QY-2026-SJ-0117";

/// An error answer: the code, and a message in Chinese.
fn assert_api_error(status: u16, body: &Value, want_status: u16, want_code: &str) {
    assert_eq!(status, want_status, "{body}");
    assert_eq!(body["code"], want_code, "{body}");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(
        message
            .chars()
            .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "a Chinese message: {body}"
    );
}

fn server_doc_count(data_dir: &Path) -> i64 {
    let db = rusqlite::Connection::open_with_flags(
        data_dir.join("liuhen-server.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    db.query_row("SELECT COUNT(*) FROM docs", [], |r| r.get(0))
        .unwrap()
}

/// A demo officer's device with one synced inspection carrying a finding.
fn device_with_record(server: &TestServer) -> (Device, String) {
    let mut a = Device::enrolled(server, O1);
    a.sync();
    let id = a.core.open_for_task(TASK, O1).unwrap();
    a.core.check_in(&id, O1).unwrap();
    a.core.check_in(&id, O2).unwrap();
    a.core
        .add_finding(&id, "危废贮存间标识不全", vec![], O1)
        .unwrap();
    assert_eq!(a.sync().synced, vec![id.clone()]);
    (a, id)
}

#[test]
fn malformed_sync_bodies_get_a_clear_error_and_change_nothing() {
    let server = TestServer::start_demo();
    let (mut a, id) = device_with_record(&server);
    let token = a.token();
    let session = server.login("supervisor");
    let before = server.supervisor_inspection(&session, &id).unwrap();

    // Not JSON.
    let (status, body) = post_sync(&server, &token, "这不是 JSON {");
    assert_api_error(status, &body, 400, "malformed_request");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("同步请求格式错误")
    );
    // JSON of the wrong shape.
    let (status, body) = post_sync(&server, &token, r#"{"protocol": 1, "docs": "全部"}"#);
    assert_api_error(status, &body, 400, "malformed_request");
    let (status, body) = post_sync(&server, &token, "[1, 2, 3]");
    assert_api_error(status, &body, 400, "malformed_request");
    // A field the protocol does not have.
    let mut v: Value = serde_json::from_str(&sync_body(json!([]))).unwrap();
    v["extra"] = json!(true);
    let (status, body) = post_sync(&server, &token, v.to_string());
    assert_api_error(status, &body, 400, "malformed_request");
    // Another protocol version.
    let mut v: Value = serde_json::from_str(&sync_body(json!([]))).unwrap();
    v["protocol"] = json!(2);
    let (status, body) = post_sync(&server, &token, v.to_string());
    assert_api_error(status, &body, 400, "protocol_mismatch");
    // Too many documents in one request.
    let many: Vec<Value> = (0..501)
        .map(|_| json!({ "id": uuid::Uuid::now_v7().to_string(), "msg": null }))
        .collect();
    let (status, body) = post_sync(&server, &token, sync_body(Value::Array(many)));
    assert_api_error(status, &body, 400, "too_many_documents");

    // A `msg` that is not base64 spoils only its own entry (docs/sync-protocol.md,
    // revision 2): that entry is `malformed` with a Chinese reason, nothing of it
    // is applied, and the valid entry beside it is answered as usual.
    let fresh = uuid::Uuid::now_v7().to_string();
    let mut doc = AutoCommit::new();
    doc.put(automerge::ROOT, "x", 1).unwrap();
    let good = doc.sync().generate_sync_message(&mut State::new()).unwrap();
    let (status, body) = post_sync(
        &server,
        &token,
        sync_body(json!([
            { "id": fresh, "msg": STANDARD.encode(good.encode()) },
            { "id": id, "msg": "这不是 base64!!" },
        ])),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["docs"][0]["status"], "ok", "{body}");
    assert_eq!(body["docs"][1]["status"], "malformed", "{body}");
    assert!(
        body["docs"][1]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("base64")),
        "{body}"
    );

    // Nothing changed; the server is healthy and the device syncs as before.
    assert!(server.is_healthy());
    assert_eq!(server.supervisor_inspection(&session, &id).unwrap(), before);
    assert_eq!(server.supervisor_inspection_ids(&session), vec![id.clone()]);
    a.core
        .add_finding(&id, "乙：在线监测数据正常", vec![], O1)
        .unwrap();
    assert_eq!(a.sync().synced, vec![id.clone()]);
    assert_eq!(
        server.supervisor_inspection(&session, &id).unwrap(),
        a.core.inspection(&id).unwrap()
    );
}

/// The HTTP transport, plus extra entries in every request whose replies it
/// keeps aside (the client never sees them).
struct Injecting {
    inner: HttpTransport,
    extra: Vec<DocMessage>,
    replies: Mutex<Vec<DocReply>>,
}

impl Transport for Injecting {
    fn exchange(&self, req: &SyncRequest) -> Result<Exchange, TransportError> {
        let mut req = req.clone();
        req.docs.extend(self.extra.iter().cloned());
        let mut ex = self.inner.exchange(&req)?;
        let injected: BTreeSet<&str> = self.extra.iter().map(|d| d.id.as_str()).collect();
        let (extra, rest): (Vec<DocReply>, Vec<DocReply>) = ex
            .response
            .docs
            .into_iter()
            .partition(|r| injected.contains(r.id.as_str()));
        self.replies.lock().unwrap().extend(extra);
        ex.response.docs = rest;
        Ok(ex)
    }

    fn upload(
        &self,
        path: &Path,
        sha256: &str,
        inspection_id: &str,
        media_type: &str,
        resume_url: Option<&str>,
        on_url: &mut dyn FnMut(&str),
    ) -> Result<u64, TransportError> {
        self.inner
            .upload(path, sha256, inspection_id, media_type, resume_url, on_url)
    }
}

#[test]
fn garbage_messages_are_malformed_per_document_and_the_others_still_apply() {
    let server = TestServer::start_demo();
    let mut a = Device::enrolled(&server, O1);
    a.sync();
    let id = a.core.open_for_task(TASK, O1).unwrap();
    a.core.check_in(&id, O1).unwrap();
    a.core.add_finding(&id, "现场检查情况", vec![], O1).unwrap();

    let garbage_id = uuid::Uuid::now_v7().to_string();
    let client = SyncClient::new(Injecting {
        inner: HttpTransport::new(&server.base_url, &a.token()).unwrap(),
        extra: vec![
            // Base64 of bytes that are no automerge sync message.
            DocMessage {
                id: garbage_id.clone(),
                msg: Some(b"\x42\x00garbage, not an automerge message\xff\xfe".to_vec()),
                invalid_msg: None,
            },
            DocMessage {
                id: "不是-uuid".into(),
                msg: None,
                invalid_msg: None,
            },
        ],
        replies: Mutex::new(vec![]),
    });
    let r = client.run(&mut a.core).unwrap();
    assert_eq!(
        r.synced,
        vec![id.clone()],
        "the real record went through: {r:?}"
    );
    assert!(r.needs_attention.is_empty(), "{r:?}");

    let replies = client.transport().replies.lock().unwrap().clone();
    // A new record goes up in one round (issue 19), so one request may be all.
    assert!(r.requests >= 1, "{r:?}");
    assert_eq!(
        replies.len(),
        2 * r.requests as usize,
        "every request carried both: {replies:?}"
    );
    for reply in &replies {
        assert_eq!(reply.status, DocStatus::Malformed, "{reply:?}");
        assert!(reply.msg.is_none());
        let reason = reply.reason.as_deref().unwrap_or_default();
        if reply.id == garbage_id {
            // Refused by the guard before automerge decodes it (issue 16).
            assert!(reason.contains("同步消息被拒绝（truncated）"), "{reason}");
        } else {
            assert!(reason.contains("UUID"), "{reason}");
        }
    }
    let session = server.login("supervisor");
    assert_eq!(server.supervisor_inspection_ids(&session), vec![id.clone()]);
    assert_eq!(
        server.supervisor_inspection(&session, &id).unwrap(),
        a.core.inspection(&id).unwrap()
    );
}

fn uleb(mut v: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return out;
        }
        out.push(b | 0x80);
    }
}

/// A v1 sync message with one `have` whose bloom filter is `filter`, and `changes`.
fn hostile_message(filter: &[u8], changes: &[Vec<u8>]) -> Vec<u8> {
    let mut m = vec![0x42, 0, 0];
    if filter.is_empty() {
        m.push(0);
    } else {
        m.extend([1, 0]);
        m.extend(uleb(filter.len() as u64));
        m.extend(filter);
    }
    m.extend(uleb(changes.len() as u64));
    for c in changes {
        m.extend(uleb(c.len() as u64));
        m.extend(c);
    }
    m
}

/// An automerge chunk of `chunk_type` around `body` (checksum not checked first).
fn chunk(chunk_type: u8, body: &[u8]) -> Vec<u8> {
    let mut c = vec![0x85, 0x6f, 0x4a, 0x83, 0, 0, 0, 0, chunk_type];
    c.extend(uleb(body.len() as u64));
    c.extend(body);
    c
}

#[test]
fn hostile_sync_messages_are_refused_with_a_code_and_the_server_stays_up() {
    let server = TestServer::start_demo();
    let (mut a, id) = device_with_record(&server);
    let token = a.token();
    let session = server.login("supervisor");
    let before = server.supervisor_inspection(&session, &id).unwrap();

    let bloom = |entries: u64, bits: u64, probes: u64, bytes: usize| {
        let mut f = uleb(entries);
        f.extend(uleb(bits));
        f.extend(uleb(probes));
        f.extend(vec![0xff; bytes]);
        f
    };
    let mut deflater = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
    deflater.write_all(&vec![0u8; 64 << 20]).unwrap();
    let zip_bomb = chunk(2, &deflater.finish().unwrap());
    // A change whose one column is a run of 2^40 rows.
    let mut change = vec![0, 16];
    change.extend([1u8; 16]);
    change.extend([1, 1, 0, 0, 0, 1, 0x42]);
    let mut run = vec![0x80, 0x80, 0x80, 0x80, 0x80, 0x20]; // 2^40, signed LEB128
    run.push(1);
    change.extend(uleb(run.len() as u64));
    change.extend(run);
    let cases: Vec<(Vec<u8>, &str)> = vec![
        // Before the guard this one made the server allocate 16 GiB and die.
        (
            hostile_message(&bloom(1, 10, u64::from(u32::MAX), 2), &[]),
            "bloom_probes",
        ),
        (
            hostile_message(&bloom(1, 10, 60_000_000, 2), &[]),
            "bloom_probes",
        ),
        (
            hostile_message(&bloom(5, 0, 7, 0), &[]),
            "bloom_bits_per_entry",
        ),
        (hostile_message(&[], &[zip_bomb]), "change_too_large"),
        (hostile_message(&[], &[chunk(1, &change)]), "too_many_ops"),
    ];
    for (msg, code) in &cases {
        let (status, v) = post_sync(
            &server,
            &token,
            sync_body(json!([{ "id": id, "msg": STANDARD.encode(msg) }])),
        );
        assert_eq!(status, 200, "{v}");
        let reply = &v["docs"][0];
        assert_eq!(reply["status"], "malformed", "{v}");
        let reason = reply["reason"].as_str().unwrap_or_default();
        assert!(
            reason.contains(&format!("同步消息被拒绝（{code}）")),
            "{code}: {reason}"
        );
    }
    // Still up, the record unchanged, and the device syncs as before.
    assert_eq!(server.supervisor_inspection(&session, &id).unwrap(), before);
    a.core
        .add_finding(&id, "整改通知已送达", vec![], O1)
        .unwrap();
    assert_eq!(a.sync().synced, vec![id.clone()]);
}

#[test]
fn a_message_for_an_unknown_document_stores_nothing_until_a_record_arrives() {
    let server = TestServer::start_demo();
    let (a, id) = device_with_record(&server);
    let token = a.token();
    let docs_before = server_doc_count(&server.data_dir);

    // A fresh UUID with a first sync message (an empty document): fine, the
    // server answers with its own first message and stores nothing.
    let fresh = uuid::Uuid::now_v7().to_string();
    let first = AutoCommit::new()
        .sync()
        .generate_sync_message(&mut State::new())
        .unwrap();
    let (status, v) = post_sync(
        &server,
        &token,
        sync_body(json!([{ "id": fresh, "msg": STANDARD.encode(first.encode()) }])),
    );
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["docs"][0]["status"], "ok", "{v}");
    assert!(v["offer"].as_array().unwrap().is_empty(), "{v}");
    // `msg: null` for an unknown document: nothing to sync, `not_found`, nothing
    // stored (docs/sync-protocol.md, revision 2).
    let (status, v) = post_sync(
        &server,
        &token,
        sync_body(json!([{ "id": uuid::Uuid::now_v7().to_string(), "msg": null }])),
    );
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["docs"][0]["status"], "not_found", "{v}");
    assert!(v["docs"][0]["msg"].is_null(), "{v}");

    // Real changes under a fresh UUID that do not make an inspection (by the
    // device's own actor): refused with the rule, never acknowledged, nothing stored.
    let mut junk = AutoCommit::new();
    junk.set_actor(a.core.device().actor.clone());
    junk.put(automerge::ROOT, "not_an_inspection", "随便写点什么")
        .unwrap();
    junk.commit();
    let replies = raw_sync(
        &server,
        &token,
        &uuid::Uuid::now_v7().to_string(),
        &mut junk,
        4,
    );
    assert!(
        replies.iter().any(|r| r.status == DocStatus::Rejected
            && r.reason
                .as_deref()
                .is_some_and(|why| why.contains("R-REC-5"))),
        "{replies:?}"
    );

    assert_eq!(server_doc_count(&server.data_dir), docs_before);
    let session = server.login("supervisor");
    assert_eq!(server.supervisor_inspection_ids(&session), vec![id]);
}

/// A device sends a stale copy of record X under a fresh id Y. Every change in it
/// is by the device's own actor, so it passes the write rules; the server then
/// stores the record under the id *inside* the document (X), replacing the
/// server's newer copy of X: the other officer's finding and the supervisor's
/// comment are gone from the server.
#[test]
fn a_message_under_another_id_cannot_overwrite_a_record() {
    let server = TestServer::start_demo();
    let (mut a, x) = device_with_record(&server);
    let mut b = Device::enrolled(&server, O2);
    b.sync();
    // A keeps a stale copy; B adds a finding; the supervisor comments.
    let stale = a.core.export_document(&x).unwrap();
    b.core
        .add_finding(&x, "乙：在线监测数据正常", vec![], O2)
        .unwrap();
    b.sync();
    let session = server.login("supervisor");
    let resp = http()
        .post(format!("{}/api/v1/inspections/{x}/review", server.base_url))
        .bearer_auth(&session)
        .json(&json!({ "comment": "请补充危废台账照片" }))
        .send()
        .unwrap();
    assert_eq!(resp.status(), 200);
    let before = server.supervisor_inspection(&session, &x).unwrap();
    assert_eq!(before.findings.len(), 2);
    assert_eq!(before.review.comments.len(), 1);

    let y = uuid::Uuid::now_v7().to_string();
    let mut doc = AutoCommit::load(&stale).unwrap();
    let replies = raw_sync(&server, &a.token(), &y, &mut doc, 4);

    // Expected: refused (the id is not the record's), and X unchanged.
    let after = server.supervisor_inspection(&session, &x).unwrap();
    assert_eq!(
        after, before,
        "record {x} was overwritten through id {y}: {replies:?}"
    );
    assert!(
        replies.iter().any(|r| r.status != DocStatus::Ok),
        "a message whose document is another record is refused: {replies:?}"
    );
    // And nothing lost for the devices either.
    a.sync();
    assert_eq!(a.core.inspection(&x).unwrap(), after);
}

#[test]
fn a_document_of_another_agency_is_forbidden_and_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    second_agency(dir.path());
    let server = TestServer::start_in(dir.path(), &[]);
    let (mut a, x) = device_with_record(&server);
    let session = server.login("supervisor");
    let before = server.supervisor_inspection(&session, &x).unwrap();

    let mut c = Device::enrolled(&server, "sg-zf-001");
    let r = c.sync();
    assert!(r.roster_updated);
    assert!(
        r.received_new.is_empty(),
        "nothing of another agency offered: {r:?}"
    );
    assert_eq!(c.core.roster().unwrap().agency.id, "sg-sthj");

    // Asking for the record by id: the same answer as for an id the server does
    // not hold (its existence does not leak), and nothing of it is sent.
    let (status, v) = post_sync(
        &server,
        &c.token(),
        sync_body(json!([{ "id": x, "msg": null }])),
    );
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["docs"][0]["status"], "not_found", "{v}");
    assert!(v["docs"][0]["msg"].is_null(), "no content leaks: {v}");
    assert!(
        !v["docs"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("其他执法主体"),
        "{v}"
    );

    // The record's content, changed on the other agency's phone and synced: refused,
    // and the server's copy unchanged. (The phone's own app does not merge another
    // agency's record at all: see the end of this test.)
    let mut doc = AutoCommit::load(&a.core.export_document(&x).unwrap()).unwrap();
    doc.set_actor(c.core.device().actor.clone());
    let Some((_, findings)) = doc.get(automerge::ROOT, "findings").unwrap() else {
        panic!("findings")
    };
    let n = doc.length(&findings);
    let f = doc
        .insert_object(&findings, n, automerge::ObjType::Map)
        .unwrap();
    doc.put(&f, "id", uuid::Uuid::now_v7().to_string()).unwrap();
    doc.put(&f, "text", "外单位写入的内容").unwrap();
    doc.put(&f, "author", "sg-zf-001").unwrap();
    doc.put(&f, "at", Utc::now().timestamp_millis()).unwrap();
    doc.put_object(&f, "evidence", automerge::ObjType::List)
        .unwrap();
    doc.commit();
    let foreign = doc.save();
    let replies = raw_sync(&server, &c.token(), &x, &mut doc, 4);
    let last = replies.last().unwrap();
    assert_eq!(last.status, DocStatus::Forbidden, "{replies:?}");
    assert!(
        last.reason
            .as_deref()
            .unwrap_or_default()
            .contains("其他执法主体"),
        "{replies:?}"
    );
    // The same content under a fresh id: refused too.
    let replies = raw_sync(
        &server,
        &c.token(),
        &uuid::Uuid::now_v7().to_string(),
        &mut doc,
        4,
    );
    assert!(
        replies.iter().any(|r| r.status != DocStatus::Ok),
        "{replies:?}"
    );

    // A record made on the other agency's phone that claims the demo agency:
    // refused (every change is the phone's own; rewriting meta breaks R-REC-5).
    let roster = c.core.roster().unwrap();
    let task = &roster.tasks[0];
    let forged = c
        .core
        .open_ad_hoc(&task.target_id, &task.category, &task.item, "sg-zf-001")
        .unwrap();
    let mut fdoc = AutoCommit::load(&c.core.export_document(&forged).unwrap()).unwrap();
    fdoc.set_actor(c.core.device().actor.clone());
    let Some((_, meta)) = fdoc.get(automerge::ROOT, "meta").unwrap() else {
        panic!("meta")
    };
    fdoc.put(&meta, "agency_id", "qy-sthj").unwrap();
    fdoc.commit();
    let replies = raw_sync(&server, &c.token(), &forged, &mut fdoc, 4);
    let last = replies.last().unwrap();
    assert_eq!(last.status, DocStatus::Rejected, "{replies:?}");
    assert!(
        last.reason
            .as_deref()
            .is_some_and(|why| why.contains("R-REC-5") && why.contains("meta.agency_id")),
        "{replies:?}"
    );

    // The phone's app refuses to merge either copy (issue 16 item 6: its signed log
    // would name another agency's record, which the server refuses), and keeps
    // syncing its own records.
    for bytes in [&foreign, &fdoc.save()] {
        let e = c.core.merge_document(bytes, "sg-zf-001").unwrap_err();
        assert!(e.to_string().contains("其他执法主体"), "{e}");
    }
    let r = c.sync();
    assert!(r.needs_attention.is_empty(), "{r:?}");
    assert!(
        c.core
            .list_inspections(false)
            .unwrap()
            .iter()
            .all(|i| i.id == forged && i.sync_state != SyncState::NeedsAttention),
        "only its own record"
    );

    // An officer of the same agency who is not on the record: the same answer.
    let mut d = Device::enrolled(&server, "qy-zf-003");
    d.sync();
    let (status, v) = post_sync(
        &server,
        &d.token(),
        sync_body(json!([{ "id": x, "msg": null }])),
    );
    assert_eq!(status, 200);
    assert_eq!(v["docs"][0]["status"], "not_found", "{v}");

    assert_eq!(server.supervisor_inspection(&session, &x).unwrap(), before);
    assert_eq!(server.supervisor_inspection_ids(&session), vec![x]);
}

/// A device of another agency that names a record it may not see learns nothing
/// about it: not its content, and not the hashes of its evidence.
#[test]
fn a_forbidden_record_leaks_no_evidence_hashes() {
    let dir = tempfile::tempdir().unwrap();
    second_agency(dir.path());
    let server = TestServer::start_in(dir.path(), &[]);
    let mut a = Device::enrolled(&server, O1);
    a.sync();
    let x = a.core.open_for_task(TASK, O1).unwrap();
    a.core.check_in(&x, O1).unwrap();
    let sha = a.capture_photo(&x, &png_bytes(20, 20, 4), "image/png");
    // The photo stays on the phone for now (its original went missing locally):
    // the record syncs, the server waits for the blob.
    std::fs::remove_file(a.core.blobs().path_of(&sha)).unwrap();
    a.sync();
    let (_, v) = post_sync(
        &server,
        &a.token(),
        sync_body(json!([{ "id": x, "msg": null }])),
    );
    assert_eq!(
        v["missing_blobs"],
        json!([sha]),
        "the server waits for it: {v}"
    );

    let mut c = Device::enrolled(&server, "sg-zf-001");
    c.sync();
    let (status, v) = post_sync(
        &server,
        &c.token(),
        sync_body(json!([{ "id": x, "msg": null }])),
    );
    assert_eq!(status, 200);
    assert_eq!(v["docs"][0]["status"], "not_found", "{v}");
    assert_eq!(
        v["missing_blobs"],
        json!([]),
        "no hash of another agency's evidence: {v}"
    );
}

#[test]
fn garbage_and_revoked_tokens_get_a_clear_non_retryable_error_and_keep_the_records() {
    let server = TestServer::start_demo();
    let (mut a, id) = device_with_record(&server);

    // No token, a garbage token, a token-shaped unknown token.
    let resp = http()
        .post(format!("{}/api/v1/sync", server.base_url))
        .body(sync_body(json!([])))
        .send()
        .unwrap();
    let status = resp.status().as_u16();
    assert_api_error(status, &resp.json().unwrap(), 401, "token_missing");
    for token in [
        "垃圾令牌",
        "not a token at all",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    ] {
        let resp = http()
            .post(format!("{}/api/v1/sync", server.base_url))
            .header("authorization", format!("Bearer {token}").as_bytes())
            .body(sync_body(json!([])))
            .send()
            .unwrap();
        let status = resp.status().as_u16();
        assert_api_error(status, &resp.json().unwrap(), 401, "token_invalid");
    }
    // The sync client with a garbage token: Unauthorized, not retryable.
    let mut stranger = Device::enrolled(&server, O2);
    let bogus = SyncClient::new(HttpTransport::new(&server.base_url, "AAAAbogus").unwrap());
    let err = bogus.run(&mut stranger.core).unwrap_err();
    assert!(!err.is_retryable(), "{err}");
    assert!(err.to_string().contains("token_invalid"), "{err}");

    // Revoked: sync and upload both refused with token_revoked; records kept.
    a.core.add_finding(&id, "撤销前的记录", vec![], O1).unwrap();
    let sha = a.capture_photo(&id, &png_bytes(16, 16, 5), "image/png");
    let admin = server.login("admin");
    let resp = http()
        .post(format!(
            "{}/api/v1/admin/devices/{}/revoke",
            server.base_url,
            a.core.device().device_id
        ))
        .bearer_auth(&admin)
        .send()
        .unwrap();
    assert!(resp.status().is_success());
    let err = a.try_sync().unwrap_err();
    assert!(
        matches!(&err, SyncError::Transport(TransportError::Unauthorized { code, .. }) if code == "token_revoked"),
        "{err}"
    );
    assert!(!err.is_retryable());
    let tus = liuhen_core::upload::TusClient::new(&server.base_url, &a.token());
    let up = tus
        .upload(
            &a.core.blobs().path_of(&sha),
            &sha,
            &id,
            "image/png",
            None,
            &mut |_| {},
        )
        .unwrap_err();
    assert!(
        matches!(&up, liuhen_core::upload::UploadError::Unauthorized { code, .. } if code == "token_revoked"),
        "{up}"
    );
    let listed = a.core.list_inspections(false).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].sync_state, SyncState::Pending);
    assert_eq!(a.core.inspection(&id).unwrap().findings.len(), 2);
    assert!(a.core.blobs().contains(&sha));
}

/// Sends a request head and then body bytes from `body` over a raw connection
/// (stopping quietly when the server stops reading), then reads the answer: the
/// status and the JSON (or text) body.
fn raw_request(
    server: &TestServer,
    head: &str,
    body: impl Iterator<Item = Vec<u8>>,
) -> (u16, Value) {
    use std::io::Read;
    let addr = server.base_url.trim_start_matches("http://");
    let mut conn = std::net::TcpStream::connect(addr).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    conn.set_write_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    conn.write_all(head.as_bytes()).unwrap();
    for piece in body {
        if conn.write_all(&piece).is_err() {
            break;
        }
    }
    let mut answer = Vec::new();
    let _ = conn.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    // A chunked answer: take the first JSON-looking part.
    let json_part = body
        .find('{')
        .and_then(|i| body.rfind('}').map(|j| &body[i..=j]))
        .unwrap_or(body);
    let v = serde_json::from_str(json_part).unwrap_or(Value::String(text.clone()));
    (status, v)
}

const TWENTY_MIB: usize = 20 * 1024 * 1024;

#[test]
fn a_body_far_over_the_limit_gets_413_and_the_server_stays_healthy() {
    let server = TestServer::start_demo();
    let (mut a, id) = device_with_record(&server);
    let token = a.token();

    // A declared 20 MiB body is refused before it is read: only 64 KiB are sent.
    for (path, auth) in [
        ("/api/v1/sync", format!("Authorization: Bearer {token}\r\n")),
        ("/api/v1/enroll", String::new()),
    ] {
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: test\r\n{auth}Content-Type: application/json\r\n\
             Content-Length: {TWENTY_MIB}\r\nConnection: close\r\n\r\n"
        );
        let (status, body) = raw_request(&server, &head, std::iter::once(vec![b' '; 64 * 1024]));
        assert_api_error(status, &body, 413, "body_too_large");
    }

    assert!(server.is_healthy());
    a.core
        .add_finding(&id, "限额之后的记录", vec![], O1)
        .unwrap();
    assert_eq!(a.sync().synced, vec![id]);
}

/// What a device's HTTP client (reqwest, as in the sync transport) sees when it
/// sends a whole body over the limit: it writes the body before reading the
/// answer, and the server closes the connection as soon as it has refused it.
#[test]
fn a_device_client_sending_a_body_over_the_limit_sees_the_413() {
    let server = TestServer::start_demo();
    let (a, _) = device_with_record(&server);
    // It is a race (the answer sometimes arrives before the connection is reset):
    // every one of a few attempts must see the answer.
    for attempt in 0..5 {
        let result = http()
            .post(format!("{}/api/v1/sync", server.base_url))
            .bearer_auth(a.token())
            .header("content-type", "application/json")
            .body(vec![b' '; TWENTY_MIB])
            .send();
        assert!(server.is_healthy());
        let resp = result.unwrap_or_else(|e| panic!("attempt {attempt}: no answer: {e}"));
        let status = resp.status().as_u16();
        assert_api_error(status, &resp.json().unwrap(), 413, "body_too_large");
    }
}

/// A body over the limit without `Content-Length` (chunked): the limit applies
/// while reading, and the answer should be the same JSON error.
#[test]
fn a_chunked_body_over_the_limit_gets_the_same_json_413() {
    let server = TestServer::start_demo();
    let (a, _) = device_with_record(&server);
    let head = format!(
        "POST /api/v1/sync HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        a.token()
    );
    // 9 MiB in chunks of 64 KiB (over the 8 MiB limit), then the last chunk.
    let chunk = {
        let mut c = format!("{:x}\r\n", 64 * 1024).into_bytes();
        c.extend(vec![b' '; 64 * 1024]);
        c.extend_from_slice(b"\r\n");
        c
    };
    let pieces = std::iter::repeat_n(chunk, 9 * 16).chain(std::iter::once(b"0\r\n\r\n".to_vec()));
    let (status, body) = raw_request(&server, &head, pieces);
    assert!(server.is_healthy());
    assert_api_error(status, &body, 413, "body_too_large");
}

/// A phone whose clock is 5 hours ahead, and one 30 hours behind: both sync; the
/// server measures the skew and keeps the capture times corrected by it (so the
/// phone 30 hours behind is not flagged as uploading more than 24 hours late).
#[test]
fn a_device_clock_hours_off_syncs_and_capture_times_are_corrected() {
    let server = TestServer::start_demo();
    let session = server.login("supervisor");
    for (n, skew) in [chrono::Duration::hours(5), chrono::Duration::hours(-30)]
        .into_iter()
        .enumerate()
    {
        let clock = Arc::new(FixedClock(Utc::now() + skew));
        let mut a = Device::enrolled_at_with_clock(&server.base_url, O1, clock);
        a.sync();
        let roster = a.core.roster().unwrap();
        let task = roster.tasks.iter().find(|t| t.id == TASK).unwrap();
        let id = a
            .core
            .open_ad_hoc(&task.target_id, &task.category, &task.item, O1)
            .unwrap();
        a.core.check_in(&id, O1).unwrap();
        let sha = a.capture_photo(&id, &png_bytes(32, 32, 9 + n as u64), "image/png");
        let captured_on_device = a.core.inspection(&id).unwrap().evidence[0].captured_at;
        let r = a.sync();
        assert_eq!(r.synced, vec![id.clone()], "{r:?}");
        assert_eq!(r.blobs_uploaded, vec![sha.clone()]);
        let measured = r.clock_skew_seconds.expect("skew reported");
        assert!(
            (measured - skew.num_seconds()).abs() < 120,
            "skew {measured} s, expected about {}",
            skew.num_seconds()
        );
        assert!(server.blob_verified(&sha));

        // The server keeps the capture time corrected by the skew (within minutes
        // of the real time), and when the blob arrived.
        let db = rusqlite::Connection::open_with_flags(
            server.data_dir.join("liuhen-server.db"),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .unwrap();
        let (captured, received): (String, String) = db
            .query_row(
                "SELECT r.captured_at, b.received_at FROM blob_refs r
                 JOIN blob_grants b ON b.sha256 = r.sha256 WHERE r.sha256 = ?1",
                [&sha],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .unwrap();
        let captured: DateTime<Utc> = captured.parse().unwrap();
        let received: DateTime<Utc> = received.parse().unwrap();
        let now = Utc::now();
        assert!(
            (now - captured).num_minutes().abs() < 5,
            "captured_at {captured} corrected to about now {now} (device said {captured_on_device})"
        );
        assert!((now - received).num_minutes().abs() < 5, "{received}");
        assert!(received - captured < chrono::Duration::hours(1), "not late");
        // The document keeps what the device's clock said (the officer's record).
        assert_eq!(
            server
                .supervisor_inspection(&session, &id)
                .unwrap()
                .evidence[0]
                .captured_at,
            captured_on_device
        );
    }
}

/// A local evidence file whose bytes changed after capture (same size): the
/// server refuses it as that evidence; the record needs attention with the hash
/// in the reason; the other records of the same sync go through.
#[test]
fn evidence_whose_bytes_do_not_match_its_hash_is_refused_and_others_still_sync() {
    let server = TestServer::start_demo();
    let mut a = Device::enrolled(&server, O1);
    a.sync();
    let roster = a.core.roster().unwrap();
    let task = roster.tasks.iter().find(|t| t.id == TASK).unwrap().clone();
    let bad = a
        .core
        .open_ad_hoc(&task.target_id, &task.category, &task.item, O1)
        .unwrap();
    let good = a
        .core
        .open_ad_hoc(&task.target_id, &task.category, &task.item, O1)
        .unwrap();
    for id in [&bad, &good] {
        a.core.check_in(id, O1).unwrap();
    }
    let bad_sha = a.capture_photo(&bad, &png_bytes(40, 30, 1), "image/png");
    let good_sha = a.capture_photo(&good, &png_bytes(40, 30, 2), "image/png");
    let path = a.core.blobs().path_of(&bad_sha);
    let mut bytes = std::fs::read(&path).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&path, bytes).unwrap();

    let r = a.sync();
    assert_eq!(r.synced, vec![good.clone()], "{r:?}");
    assert_eq!(r.blobs_uploaded, vec![good_sha.clone()], "{r:?}");
    assert_eq!(r.needs_attention.len(), 1, "{r:?}");
    assert_eq!(r.needs_attention[0].0, bad);
    assert!(r.needs_attention[0].1.contains(&bad_sha[..12]), "{r:?}");
    assert!(r.needs_attention[0].1.contains("哈希不符"), "{r:?}");
    assert!(server.blob_verified(&good_sha));
    assert!(!server.blob_path(&bad_sha).exists());
    // The record itself reached the server (only its evidence is missing).
    let session = server.login("supervisor");
    let ids: BTreeSet<String> = server
        .supervisor_inspection_ids(&session)
        .into_iter()
        .collect();
    assert_eq!(ids, [bad.clone(), good].into_iter().collect());
    // Nothing of the failed upload is left half-done on the server.
    let leftovers: Vec<_> = std::fs::read_dir(server.data_dir.join("uploads"))
        .map(|d| {
            d.flatten()
                .filter(|e| e.path().extension().is_some_and(|x| x == "part"))
                .collect()
        })
        .unwrap_or_default();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// Evidence bytes damaged on the way: the server checks every chunk against its
/// checksum, discards the damaged one, and the client sends it again; the blob
/// the server keeps is the photo's.
#[test]
fn evidence_bytes_damaged_on_the_way_are_discarded_and_sent_again() {
    let server = TestServer::start_demo();
    let proxy = FaultProxy::start(&server.base_url);
    let mut a = Device::enrolled_at(&proxy.base_url, O1);
    a.sync();
    let id = a.core.open_for_task(TASK, O1).unwrap();
    a.core.check_in(&id, O1).unwrap();
    let sha = a.capture_photo(&id, &png_bytes(64, 64, 8), "image/png");
    proxy.set_plan(Plan::script([(Target::Patch, Fault::CorruptBody)]));
    let r = a.sync();
    assert_eq!(r.synced, vec![id.clone()], "{r:?}");
    assert_eq!(r.blobs_uploaded, vec![sha.clone()]);
    let patches: Vec<(Fault, Option<u16>)> = proxy
        .events()
        .iter()
        .filter(|e| e.request.method == "PATCH")
        .map(|e| (e.fault, e.status))
        .collect();
    assert_eq!(
        patches,
        vec![(Fault::CorruptBody, Some(460)), (Fault::Pass, Some(204))]
    );
    assert!(server.blob_verified(&sha));
}

/// An upload stops halfway (the connection is cut in the second chunk and the
/// server stays unreachable), then the app is closed. After a restart of the app
/// the next sync resumes the same upload from the server's offset.
#[test]
fn an_upload_that_stops_halfway_resumes_after_the_app_restarts() {
    let server = TestServer::start_demo();
    let proxy = FaultProxy::start(&server.base_url);
    let mut a = Device::enrolled_at(&proxy.base_url, O1);
    a.sync();
    let id = a.core.open_for_task(TASK, O1).unwrap();
    a.core.check_in(&id, O1).unwrap();
    let sha = a.capture_photo(&id, &png_bytes(700, 600, 3), "image/png");
    proxy.set_plan(Plan::script([
        (Target::Patch, Fault::Pass),
        (Target::Patch, Fault::CutBody { after: 100_000 }),
        (Target::Files, Fault::DropResponse),
        (Target::Files, Fault::DropResponse),
        (Target::Files, Fault::DropResponse),
        (Target::Files, Fault::DropResponse),
    ]));
    let r = a.try_sync().unwrap();
    assert!(r.synced.is_empty() && r.still_pending.len() == 1, "{r:?}");
    assert!(r.still_pending[0].1.contains("上传未完成"), "{r:?}");
    // The app is closed and opened again on the same data.
    a.core = liuhen_core::Core::open(a.dir()).unwrap();
    assert_eq!(a.unsynced()[0].sync_state, SyncState::Pending);
    proxy.pass_all();
    let r = a.sync();
    assert_eq!(r.synced, vec![id.clone()], "{r:?}");
    assert_eq!(r.blobs_uploaded, vec![sha.clone()]);
    assert!(server.blob_verified(&sha));
    let events = proxy.events();
    let creates = events
        .iter()
        .filter(|e| e.request.method == "POST" && e.request.path == "/api/v1/files")
        .count();
    assert_eq!(creates, 1, "resumed, not created again");
    let sent_again_from_zero = events
        .iter()
        .filter(|e| e.request.method == "PATCH" && e.request.upload_offset == Some(0))
        .count();
    assert_eq!(sent_again_from_zero, 1, "the first chunk was sent once");
}
