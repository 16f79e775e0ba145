//! The server's trust boundary end to end (issue 16 items 5 and 6): a real server
//! process with two agencies (清远 `qy-sthj`, the demo, and 韶关 `sg-sthj`) and real
//! device stores.
//!
//! - A revoked phone enrolled again by its own officer keeps its device id, actor
//!   id and key, and the changes made offline meanwhile still sync; another officer,
//!   of the same or another agency, cannot take the phone over.
//! - A device of one agency cannot put entries about another agency's record into
//!   its signed log (the whole upload is refused, nothing stored), and another
//!   agency's devices never appear in a record's tamper check.
//! - Evidence belongs to the agency that uploaded it: a device that references
//!   another agency's photo by its hash does not get it (its desk cannot open it)
//!   until it uploads the bytes itself, and no tus answer depends on whether
//!   another agency holds a hash or references it.

use std::path::Path;
use std::time::Duration;

use reqwest::Method;
use reqwest::blocking::{Client, RequestBuilder, Response};
use serde_json::{Value, json};

use liuhen_core::sync::SyncError;
use liuhen_core::sync::client::TransportError;
use liuhen_core::sync::http::{Credentials, enroll};
use liuhen_core::upload::encode_metadata;
use liuhen_e2e::{
    DEMO_PASSWORD, Device, SECOND_OFFICER, SECOND_SUPERVISOR, TestServer, png_bytes, second_agency,
};

const O1: &str = "qy-zf-001";
const O2: &str = "qy-zf-002";
const TASK: &str = "QY-2026-SJ-0117";

fn http() -> Client {
    Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

/// A server with both agencies, in a new temporary directory (kept alive by the
/// returned guard).
fn two_agencies() -> (tempfile::TempDir, TestServer) {
    let dir = tempfile::tempdir().unwrap();
    second_agency(dir.path());
    let server = TestServer::start_in(dir.path(), &[]);
    (dir, server)
}

fn db(data_dir: &Path) -> rusqlite::Connection {
    let c = rusqlite::Connection::open(data_dir.join("liuhen-server.db")).unwrap();
    c.busy_timeout(Duration::from_secs(10)).unwrap();
    c
}

fn count(server: &TestServer, sql: &str, p: &str) -> i64 {
    db(&server.data_dir)
        .query_row(sql, [p], |r| r.get(0))
        .unwrap()
}

/// An officer's record of a task with a check-in, synced; returns its id.
fn synced_record(a: &mut Device) -> String {
    a.sync();
    let id = a.core.open_for_task(TASK, O1).unwrap();
    a.core.check_in(&id, O1).unwrap();
    assert_eq!(a.sync().synced, vec![id.clone()]);
    id
}

/// An ad hoc record of the second agency's officer, synced; returns its id.
fn synced_second_record(c: &mut Device) -> String {
    c.sync();
    let roster = c.core.roster().unwrap();
    assert_eq!(roster.agency.id, "sg-sthj");
    let task = &roster.tasks[0];
    let id = c
        .core
        .open_ad_hoc(&task.target_id, &task.category, &task.item, SECOND_OFFICER)
        .unwrap();
    c.core.check_in(&id, SECOND_OFFICER).unwrap();
    assert_eq!(c.sync().synced, vec![id.clone()]);
    id
}

/// A photo captured on the device whose local file is then lost: the record
/// references its hash, the device cannot upload it.
fn reference_without_bytes(d: &mut Device, id: &str, bytes: &[u8]) -> String {
    let sha = d.capture_photo(id, bytes, "image/png");
    std::fs::remove_file(d.core.blobs().path_of(&sha)).unwrap();
    sha
}

fn revoke(server: &TestServer, device_id: &str) {
    let admin = server.login("admin");
    let resp = http()
        .post(format!(
            "{}/api/v1/admin/devices/{device_id}/revoke",
            server.base_url
        ))
        .bearer_auth(admin)
        .json(&json!({}))
        .send()
        .unwrap();
    assert_eq!(resp.status(), 200);
}

fn rejected_code(e: &SyncError) -> (u16, String, String) {
    match e {
        SyncError::Transport(TransportError::Rejected {
            status,
            code,
            message,
        }) => (*status, code.clone(), message.clone()),
        SyncError::Transport(TransportError::Unauthorized { code, message }) => {
            (401, code.clone(), message.clone())
        }
        other => panic!("not a refusal: {other:?}"),
    }
}

/// `log_check` of the supervisor's JSON detail of an inspection (device ids).
fn log_devices(server: &TestServer, session: &str, id: &str) -> Vec<String> {
    let v: Value = http()
        .get(format!("{}/api/v1/inspections/{id}", server.base_url))
        .bearer_auth(session)
        .send()
        .unwrap()
        .json()
        .unwrap();
    v["log_check"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["device_id"].as_str().unwrap().to_string())
        .collect()
}

/// A desk page or file with a session cookie; returns the status and the body.
fn desk_get(server: &TestServer, session: &str, path: &str) -> (u16, Vec<u8>) {
    let resp = http()
        .get(format!("{}{path}", server.base_url))
        .header("cookie", format!("liuhen_session={session}"))
        .send()
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.bytes().unwrap().to_vec())
}

#[test]
fn a_revoked_phone_reenrolled_by_its_officer_keeps_its_identity_and_offline_changes_sync() {
    let (_dir, server) = two_agencies();
    let mut a = Device::enrolled(&server, O1);
    let id = synced_record(&mut a);
    let device_id = a.core.device().device_id.clone();
    let actor = a.core.device().actor.to_hex_string();

    // Revoked (say it was mislaid) while its officer keeps working offline.
    revoke(&server, &device_id);
    a.core
        .add_finding(&id, "停用期间离线记录的发现", vec![], O1)
        .unwrap();
    let e = a.try_sync().unwrap_err();
    assert_eq!(rejected_code(&e).1, "token_revoked");

    // Another officer of the agency, or one of another agency, cannot take it over.
    for login in [O2, SECOND_OFFICER] {
        let e = enroll(
            &mut a.core,
            &server.base_url,
            Credentials::Password {
                login: login.into(),
                password: DEMO_PASSWORD.into(),
            },
            "别人的手机",
        )
        .unwrap_err();
        let (status, code, message) = rejected_code(&e);
        assert_eq!((status, code.as_str()), (409, "device_other_person"));
        assert!(message.contains("原登记人员"), "{message}");
    }

    // Its officer enrols it again: the same device id, actor id and key.
    enroll(
        &mut a.core,
        &server.base_url,
        Credentials::Password {
            login: O1.into(),
            password: DEMO_PASSWORD.into(),
        },
        "李明的手机",
    )
    .unwrap();
    assert_eq!(a.core.device().device_id, device_id);
    let rows: Vec<(String, String, Option<String>)> = {
        let c = db(&server.data_dir);
        let mut s = c
            .prepare("SELECT actor_id, user_id, revoked_at FROM devices WHERE id = ?1")
            .unwrap();
        s.query_map([&device_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].0, actor);
    assert!(rows[0].2.is_none());

    // The offline change (made under the old enrolment, same actor) is accepted.
    let r = a.sync();
    assert!(r.needs_attention.is_empty(), "{r:?}");
    assert!(a.unsynced().is_empty(), "{r:?}");
    let session = server.login("supervisor");
    let on_server = server.supervisor_inspection(&session, &id).unwrap();
    assert!(
        on_server
            .findings
            .iter()
            .any(|f| f.text == "停用期间离线记录的发现"),
        "{on_server:?}"
    );
    // And its log, before and after the revocation, verifies under one device.
    let checks = log_devices(&server, &session, &id);
    assert_eq!(checks, vec![device_id]);
}

#[test]
fn log_entries_about_another_agencys_record_are_refused_and_never_shown() {
    let (_dir, server) = two_agencies();
    let mut a = Device::enrolled(&server, O1);
    let x = synced_record(&mut a);
    let a_id = a.core.device().device_id.clone();

    // The other agency's phone: entries about its own records (and about records
    // not on the server yet) are taken as always.
    let mut c = Device::enrolled(&server, SECOND_OFFICER);
    let y = synced_second_record(&mut c);
    let c_id = c.core.device().device_id.clone();
    let sg_session = server.login(SECOND_SUPERVISOR);
    assert_eq!(log_devices(&server, &sg_session, &y), vec![c_id.clone()]);
    let stored_before = count(
        &server,
        "SELECT COUNT(*) FROM device_log_entries WHERE device_id = ?1",
        &c_id,
    );
    assert!(stored_before > 0);

    // An entry naming the first agency's record (a false "viewed" step that would
    // break that record's tamper check): the whole upload is refused.
    c.core
        .record_access(&x, "view_record", SECOND_OFFICER, json!({}), vec![])
        .unwrap();
    c.core
        .add_finding(&y, "同一批次中的其他内容", vec![], SECOND_OFFICER)
        .unwrap();
    let e = c.try_sync().unwrap_err();
    let (status, code, message) = rejected_code(&e);
    assert_eq!((status, code.as_str()), (403, "log_entry_forbidden"));
    assert!(message.contains("其他执法主体"), "{message}");
    assert!(message.contains(&x), "{message}");
    // Nothing of that request was stored: no log entry, no document change.
    assert_eq!(
        count(
            &server,
            "SELECT COUNT(*) FROM device_log_entries WHERE device_id = ?1",
            &c_id
        ),
        stored_before
    );
    assert_eq!(
        db(&server.data_dir)
            .query_row(
                "SELECT COUNT(*) FROM device_log_entries WHERE inspection_id = ?1 AND device_id = ?2",
                [&x, &c_id],
                |r| r.get::<_, i64>(0)
            )
            .unwrap(),
        0
    );
    let sg = server.supervisor_inspection(&sg_session, &y).unwrap();
    assert!(sg.findings.is_empty(), "{sg:?}");

    // The first agency's desk: only its own device, verified.
    let qy_session = server.login("supervisor");
    assert_eq!(log_devices(&server, &qy_session, &x), vec![a_id.clone()]);

    // Entries that reached the server before this check (written straight into
    // the database here) never show on the first agency's desk either.
    let conn = db(&server.data_dir);
    conn.execute(
        "INSERT INTO device_log_entries (device_id, seq, prev_hash, at, officer_id,
           inspection_id, action, detail, evidence, doc_heads, hash, signature,
           public_key, received_at)
         SELECT device_id, 100000, prev_hash, at, officer_id, ?1, 'view_record', detail,
                evidence, doc_heads, hash, signature, public_key, received_at
         FROM device_log_entries WHERE device_id = ?2 ORDER BY seq LIMIT 1",
        [&x, &c_id],
    )
    .unwrap();
    assert_eq!(log_devices(&server, &qy_session, &x), vec![a_id.clone()]);
    let (status, page) = desk_get(&server, &qy_session, &format!("/desk/inspections/{x}"));
    assert_eq!(status, 200);
    let page = String::from_utf8(page).unwrap();
    assert!(page.contains(&a_id), "the desk shows the officer's device");
    assert!(!page.contains(&c_id), "no device of another agency");
}

/// Raw tus requests of a device.
struct Tus<'a> {
    server: &'a TestServer,
    token: String,
}

/// What a tus answer says, without what differs by nature between two uploads
/// (the upload's URL, the date, the metadata it echoes).
#[derive(Debug, PartialEq, Eq)]
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

fn answer(resp: Response, replace: &[(&str, &str)]) -> Answer {
    let status = resp.status().as_u16();
    let mut headers: Vec<(String, String)> = resp
        .headers()
        .iter()
        // The upload's URL, the date, and the echo of the request's metadata.
        .filter(|(k, _)| !matches!(k.as_str(), "location" | "date" | "upload-metadata"))
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_string()))
        .collect();
    headers.sort();
    let mut body = resp.text().unwrap_or_default();
    for (from, to) in replace {
        body = body.replace(from, to);
    }
    Answer {
        status,
        headers,
        body,
    }
}

impl Tus<'_> {
    fn req(&self, method: Method, url: &str) -> RequestBuilder {
        http()
            .request(method, url)
            .header("Tus-Resumable", "1.0.0")
            .bearer_auth(&self.token)
    }

    /// `POST`: the raw answer and the upload URL (if created).
    fn create(&self, inspection: &str, sha: &str, len: usize) -> (Response, Option<String>) {
        let resp = self
            .req(
                Method::POST,
                &format!("{}/api/v1/files", self.server.base_url),
            )
            .header("Upload-Length", len.to_string())
            .header(
                "Upload-Metadata",
                encode_metadata([
                    ("sha256", sha),
                    ("inspection_id", inspection),
                    ("filename", "现场照片.png"),
                    ("media_type", "image/png"),
                ]),
            )
            .send()
            .unwrap();
        let url = resp
            .headers()
            .get("location")
            .map(|l| format!("{}{}", self.server.base_url, l.to_str().unwrap()));
        (resp, url)
    }

    fn head(&self, url: &str) -> Response {
        self.req(Method::HEAD, url).send().unwrap()
    }

    fn patch(&self, url: &str, offset: usize, bytes: &[u8]) -> Response {
        self.req(Method::PATCH, url)
            .header("Content-Type", "application/offset+octet-stream")
            .header("Upload-Offset", offset.to_string())
            .body(bytes.to_vec())
            .send()
            .unwrap()
    }
}

#[test]
fn another_agencys_evidence_cannot_be_taken_by_its_hash() {
    let (_dir, server) = two_agencies();
    let mut a = Device::enrolled(&server, O1);
    let x = synced_record(&mut a);
    let photo = png_bytes(64, 48, 16);
    let p = a.capture_photo(&x, &photo, "image/png");
    let r = a.sync();
    assert_eq!(r.blobs_uploaded, vec![p.clone()], "{r:?}");
    assert!(server.blob_verified(&p));

    // The other agency's phone puts the hash into its own record.
    let mut c = Device::enrolled(&server, SECOND_OFFICER);
    let y = synced_second_record(&mut c);
    assert_eq!(reference_without_bytes(&mut c, &y, &photo), p);
    c.sync();

    // Its agency has not received the photo: the server asks for it, the desk
    // cannot open it, the detail says it has not arrived.
    let sync: Value = http()
        .post(format!("{}/api/v1/sync", server.base_url))
        .bearer_auth(c.token())
        .json(&json!({
            "protocol": 1, "device_time": chrono::Utc::now(), "roster_version": null,
            "docs": [{ "id": y, "msg": null }],
        }))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(sync["missing_blobs"], json!([p]), "{sync}");
    let sg_session = server.login(SECOND_SUPERVISOR);
    for path in [
        format!("/desk/inspections/{y}/evidence/{p}"),
        format!("/desk/inspections/{y}/evidence/{p}/thumb"),
    ] {
        let (status, _) = desk_get(&server, &sg_session, &path);
        assert_eq!(status, 404, "{path}");
    }
    let detail: Value = http()
        .get(format!("{}/api/v1/inspections/{y}", server.base_url))
        .bearer_auth(&sg_session)
        .send()
        .unwrap()
        .json()
        .unwrap();
    let arrival = &detail["evidence_arrival"][0];
    assert_eq!(arrival["sha256"], p.as_str());
    assert!(arrival["received_at"].is_null(), "{detail}");
    assert_eq!(
        count(
            &server,
            "SELECT COUNT(*) FROM access_log WHERE inspection_id = ?1 AND action = 'view_original'",
            &y
        ),
        0,
        "nothing was served, so no view was logged"
    );
    // The first agency opens its own photo as before.
    let qy_session = server.login("supervisor");
    let (status, bytes) = desk_get(
        &server,
        &qy_session,
        &format!("/desk/inspections/{x}/evidence/{p}"),
    );
    assert_eq!((status, bytes == photo), (200, true));

    // An upload by the other agency's phone is not complete at once: it must send
    // the bytes itself, and then its agency has the photo too (a second grant).
    let tus = Tus {
        server: &server,
        token: c.token(),
    };
    let (resp, url) = tus.create(&y, &p, photo.len());
    assert_eq!(resp.status(), 201);
    assert!(resp.headers().get("upload-offset").is_none());
    let url = url.unwrap();
    let head = tus.head(&url);
    assert_eq!(head.headers()["upload-offset"], "0");
    let resp = tus.patch(&url, 0, &photo);
    assert_eq!(resp.status(), 204);
    assert_eq!(
        resp.headers()["upload-offset"],
        photo.len().to_string().as_str()
    );
    let (status, bytes) = desk_get(
        &server,
        &sg_session,
        &format!("/desk/inspections/{y}/evidence/{p}"),
    );
    assert_eq!((status, bytes == photo), (200, true));
    let grants: Vec<String> = {
        let c = db(&server.data_dir);
        let mut s = c
            .prepare("SELECT agency_id FROM blob_grants WHERE sha256 = ?1 ORDER BY agency_id")
            .unwrap();
        s.query_map([&p], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(grants, vec!["qy-sthj", "sg-sthj"]);
}

#[test]
fn no_tus_answer_depends_on_another_agencys_evidence() {
    let (_dir, server) = two_agencies();
    // Agency qy holds photo P (received) for record X.
    let mut a = Device::enrolled(&server, O1);
    let x = synced_record(&mut a);
    let held = png_bytes(40, 30, 21);
    let p = a.capture_photo(&x, &held, "image/png");
    assert_eq!(a.sync().blobs_uploaded, vec![p.clone()]);
    // Agency sg references P and Q (held by no one), same size, in record Y.
    let fresh = png_bytes(40, 30, 22);
    assert_eq!(held.len(), fresh.len());
    let mut c = Device::enrolled(&server, SECOND_OFFICER);
    let y = synced_second_record(&mut c);
    assert_eq!(reference_without_bytes(&mut c, &y, &held), p);
    let q = reference_without_bytes(&mut c, &y, &fresh);
    c.sync();
    let tus = Tus {
        server: &server,
        token: c.token(),
    };

    // Create, HEAD, a PATCH with wrong bytes, the whole upload: the same answers
    // for the hash another agency holds and for one nobody holds.
    let mut runs = vec![];
    for (sha, bytes) in [(&p, &held), (&q, &fresh)] {
        let mut steps = vec![];
        let (resp, url) = tus.create(&y, sha, bytes.len());
        steps.push(answer(resp, &[]));
        let url = url.unwrap();
        steps.push(answer(tus.head(&url), &[]));
        steps.push(answer(tus.patch(&url, 0, &bytes[..10]), &[]));
        let mut wrong = bytes[10..].to_vec();
        wrong[0] ^= 1;
        steps.push(answer(tus.patch(&url, 10, &wrong), &[]));
        let (resp, url) = tus.create(&y, sha, bytes.len());
        steps.push(answer(resp, &[]));
        let url = url.unwrap();
        steps.push(answer(tus.patch(&url, 0, bytes), &[]));
        steps.push(answer(tus.head(&url), &[]));
        runs.push(steps);
    }
    assert_eq!(runs[0], runs[1]);
    assert_eq!(runs[0][0].status, 201);
    assert_eq!(runs[0][3].status, 460, "{:?}", runs[0][3]);
    assert_eq!(runs[0][5].status, 204);

    // Naming the other agency's record (which references P) is answered like
    // naming a record that does not exist, whichever hash.
    let nowhere = uuid::Uuid::now_v7().to_string();
    let mut refusals = vec![];
    for (inspection, sha) in [(&x, &p), (&x, &q), (&nowhere, &p), (&nowhere, &q)] {
        let (resp, url) = tus.create(inspection, sha, held.len());
        assert!(url.is_none());
        refusals.push(answer(resp, &[(inspection.as_str(), "<id>")]));
    }
    assert!(refusals.iter().all(|r| *r == refusals[0]), "{refusals:?}");
    assert_eq!(refusals[0].status, 403);
    assert!(refusals[0].body.contains("blob_not_referenced"));
}
