//! Wire conformance vectors (`docs/vectors/enroll.json`, `sync.json`, `tus.json`):
//! a real server process with the demo agency, driven with the exact requests of the
//! vectors. The device is the vectors' device (fixed id, actor and the RFC 8032
//! test key); its inspection and log entries are the committed
//! `docs/vectors/inspection.json` and `device-log.json`. Every request and every
//! (normalised) answer is compared with the committed vector, so the document
//! (`docs/protocol/`) and the server cannot drift apart.
//!
//! Values that differ per run are normalised before comparing: times, the clock
//! skew, tokens, the roster and its version tag, upload URLs and the Chinese
//! `reason`/`message` texts (their codes and statuses are compared).
//!
//! Regenerate after a deliberate change with
//! `LIUHEN_WRITE_VECTORS=1 cargo test -p liuhen-server --test it protocol_vectors::`.

use crate::common;

use std::path::PathBuf;

use automerge::sync::{Message, State, SyncDoc};
use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ROOT, ReadDoc};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::SigningKey;
use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use common::{DEMO_PASSWORD, TestServer, client};

fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/vectors")
}

fn read_vector(name: &str) -> Value {
    let path = vectors_dir().join(name);
    serde_json::from_slice(
        &std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .expect("vector json")
}

/// Compares with the committed vector, or rewrites it with `LIUHEN_WRITE_VECTORS=1`.
fn check_vector(name: &str, value: Value) {
    let path = vectors_dir().join(name);
    if std::env::var("LIUHEN_WRITE_VECTORS").as_deref() == Ok("1") {
        let text = serde_json::to_string_pretty(&value).expect("json") + "\n";
        std::fs::write(&path, text).expect("write vector");
        return;
    }
    let committed = read_vector(name);
    if committed == value {
        return;
    }
    // Name the first step that differs, then show what the server does now.
    let (a, b) = (&committed["steps"], &value["steps"]);
    let first = (0..a
        .as_array()
        .map_or(0, Vec::len)
        .max(b.as_array().map_or(0, Vec::len)))
        .find(|i| a.get(i) != b.get(i));
    panic!(
        "docs/vectors/{name} differs from what the server does (first differing step: {first:?}). \
         If the change is deliberate, regenerate with LIUHEN_WRITE_VECTORS=1 cargo test -p \
         liuhen-server --test it protocol_vectors::, update docs/protocol/ and bump its version.\n\
         committed: {}\nserver now: {}",
        first
            .and_then(|i| a.get(i))
            .map(|v| v.to_string())
            .unwrap_or_default(),
        first
            .and_then(|i| b.get(i))
            .map(|v| v.to_string())
            .unwrap_or_default(),
    );
}

/// The fixed device of the vectors.
struct VectorDevice {
    device_id: String,
    actor_id: String,
    key: SigningKey,
}

fn vector_device() -> VectorDevice {
    let log = read_vector("device-log.json");
    let insp = read_vector("inspection.json");
    let seed: [u8; 32] = hex::decode(log["secret_key_seed_hex"].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    VectorDevice {
        device_id: insp["device"]["device_id"].as_str().unwrap().to_string(),
        actor_id: insp["device"]["actor_id"].as_str().unwrap().to_string(),
        key: SigningKey::from_bytes(&seed),
    }
}

/// Replaces the values that differ per run with placeholders.
fn normalise(v: &mut Value, uploads: &[String]) {
    match v {
        Value::Object(map) => {
            for (k, val) in map.iter_mut() {
                let placeholder = match k.as_str() {
                    "server_time" | "expires_at" => Some("<time>"),
                    "clock_skew_seconds" => Some("<seconds>"),
                    "token" => Some("<token>"),
                    "roster_version" if val.is_string() => Some("<roster version>"),
                    "roster" if val.is_object() => {
                        Some("<roster: agency, officers, targets, tasks>")
                    }
                    "reason" | "message" if val.is_string() => Some("<Chinese text>"),
                    _ => None,
                };
                match placeholder {
                    Some(p) => *val = json!(p),
                    None => normalise(val, uploads),
                }
            }
            if let Some(user) = map.get_mut("user")
                && let Some(id) = user.get_mut("id")
            {
                *id = json!("<account id>");
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| normalise(i, uploads)),
        Value::String(s) => {
            for (i, u) in uploads.iter().enumerate() {
                if s.contains(u.as_str()) {
                    *s = s.replace(u.as_str(), &format!("{{upload-{}}}", i + 1));
                }
            }
        }
        _ => {}
    }
}

fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

// ---- sync ------------------------------------------------------------------------------

struct Steps {
    steps: Vec<Value>,
}

impl Steps {
    /// Sends `body` to `path` (POST, JSON) with `token`, records the step, returns
    /// (status, raw answer).
    fn post(
        &mut self,
        server: &TestServer,
        name: &str,
        note: &str,
        path: &str,
        token: Option<&str>,
        body: Value,
    ) -> (u16, Value) {
        let mut req = client().post(server.url(path)).json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().expect("request");
        let status = resp.status().as_u16();
        let answer: Value = resp.json().unwrap_or(Value::Null);
        let mut request = body;
        normalise(&mut request, &[]);
        let mut response = answer.clone();
        normalise(&mut response, &[]);
        self.steps.push(json!({
            "name": name,
            "note": note,
            "http": format!("POST {path}"),
            "authorization": token.map(|_| "Bearer <device token>"),
            "request": request,
            "status": status,
            "response": response,
        }));
        (status, answer)
    }
}

fn sync_request(roster_version: Option<&str>, docs: Vec<Value>, log: Option<Value>) -> Value {
    let mut r = json!({
        "protocol": 1,
        "device_time": "2026-11-20T02:05:00Z",
        "roster_version": roster_version,
        "docs": docs,
    });
    if let Some(log) = log {
        r["log"] = log;
    }
    r
}

#[test]
fn enrolment_sync_and_tus_vectors() {
    let server = TestServer::start(true);
    let dev = vector_device();
    let public_key = hex::encode(dev.key.verifying_key().as_bytes());

    // ---- enrolment ----
    let mut enroll = Steps { steps: vec![] };
    let body = |creds: Value, device_id: &str, public_key: &str| {
        let mut b = creds;
        b["device_id"] = json!(device_id);
        b["public_key"] = json!(public_key);
        b["actor_id"] = json!(dev.actor_id);
        b["device_name"] = json!("李明的手机");
        b
    };
    let pw = json!({ "login": "qy-zf-001", "password": DEMO_PASSWORD });
    enroll.post(
        &server,
        "bad_public_key",
        "A public key that is not 64 hex characters: 400 invalid_field, nothing is stored and no code is used up.",
        "/api/v1/enroll",
        None,
        body(pw.clone(), &dev.device_id, "abc"),
    );
    enroll.post(
        &server,
        "wrong_password",
        "Wrong login or password: 401 invalid_credentials (counts towards the login lockout).",
        "/api/v1/enroll",
        None,
        body(
            json!({ "login": "qy-zf-001", "password": "wrong-password" }),
            &dev.device_id,
            &public_key,
        ),
    );
    enroll.post(
        &server,
        "unknown_code",
        "An enrollment code that is unknown, used or expired: 401 enrollment_code_invalid.",
        "/api/v1/enroll",
        None,
        body(json!({ "code": "K7PM2QXA" }), &dev.device_id, &public_key),
    );
    enroll.post(
        &server,
        "not_an_officer",
        "A supervisor's account cannot enrol a device: 403 not_an_officer.",
        "/api/v1/enroll",
        None,
        body(
            json!({ "login": "supervisor", "password": DEMO_PASSWORD }),
            &dev.device_id,
            &public_key,
        ),
    );
    let (status, answer) = enroll.post(
        &server,
        "enrol",
        "The officer enrols the device with login and password; the token is shown once.",
        "/api/v1/enroll",
        None,
        body(pw.clone(), &dev.device_id, &public_key),
    );
    assert_eq!(status, 200, "{answer}");
    let token = answer["token"].as_str().expect("token").to_string();
    enroll.post(
        &server,
        "enrol_again",
        "The same device id again while its enrolment is active: 409 device_exists.",
        "/api/v1/enroll",
        None,
        body(pw, &dev.device_id, &public_key),
    );
    check_vector(
        "enroll.json",
        json!({
            "description": "Enrolment of the vectors' device (docs/sync-protocol.md, Enrolment; errors in docs/protocol/errors.md). Times, tokens and the account id are placeholders; `message` texts are Chinese and not compared.",
            "steps": enroll.steps,
        }),
    );

    // ---- sync ----
    let insp = read_vector("inspection.json");
    let log = read_vector("device-log.json");
    let id = insp["inspection_id"].as_str().unwrap().to_string();
    let mut doc =
        AutoCommit::load(&hex::decode(insp["document_hex"].as_str().unwrap()).unwrap()).unwrap();
    let mut state = State::new();
    let mut sync = Steps { steps: vec![] };
    let (status, first) = sync.post(
        &server,
        "first_contact",
        "No documents and no roster yet: the answer carries the roster and its version tag.",
        "/api/v1/sync",
        Some(&token),
        sync_request(None, vec![], None),
    );
    assert_eq!(status, 200, "{first}");
    let roster_version = first["roster_version"].as_str().unwrap().to_string();

    let entries: Vec<Value> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["entry"].clone())
        .collect();
    let mut round = 0;
    let mut missing: Vec<String> = vec![];
    loop {
        let next = doc.sync().generate_sync_message(&mut state);
        let Some(msg) = next else { break };
        round += 1;
        assert!(round <= 4, "sync did not converge");
        let note = match round {
            1 => {
                "The device's first message for a new inspection (heads and a bloom filter, no changes yet) and its signed log entries: the server answers with its own message and acknowledges the log."
            }
            2 => {
                "The device sends the changes the server lacks: the schema chain and every step. The server checks and stores the inspection; missing_blobs lists the evidence it has not received."
            }
            _ => "The peers confirm they hold the same heads.",
        };
        let (status, answer) = sync.post(
            &server,
            &format!("send_inspection_round_{round}"),
            note,
            "/api/v1/sync",
            Some(&token),
            sync_request(
                Some(&roster_version),
                vec![json!({ "id": id, "msg": b64(&msg.encode()) })],
                (round == 1).then(|| json!(entries)),
            ),
        );
        assert_eq!(status, 200, "{answer}");
        let reply = &answer["docs"][0];
        assert_eq!(reply["status"], "ok", "{answer}");
        for h in answer["missing_blobs"].as_array().unwrap() {
            missing.push(h.as_str().unwrap().to_string());
        }
        if let Some(m) = reply["msg"].as_str() {
            let m = Message::decode(&STANDARD.decode(m).unwrap()).unwrap();
            doc.sync().receive_sync_message(&mut state, m).unwrap();
        }
    }
    missing.sort();
    missing.dedup();
    assert_eq!(
        missing.len(),
        3,
        "the three blobs of the inspection: {missing:?}"
    );

    // Per-entry problems answer that entry only.
    let unknown = "0193a5c0-0000-7000-8000-00000000dead";
    sync.post(
        &server,
        "per_entry_problems",
        "One request, four entries: an id that is not a UUID (malformed), a null msg for a document the server does not hold (not_found), a msg that is not base64 (malformed), and a null msg for the device's own inspection (ok, with the server's message: its heads; missing_blobs lists the inspection's blobs not received yet).",
        "/api/v1/sync",
        Some(&token),
        sync_request(
            Some(&roster_version),
            vec![
                json!({ "id": "not-a-uuid", "msg": null }),
                json!({ "id": unknown, "msg": null }),
                json!({ "id": unknown, "msg": "%%% not base64 %%%" }),
                json!({ "id": id, "msg": null }),
            ],
            None,
        ),
    );

    // A change by an actor that is not the device's registered one is refused.
    let mut forged = doc
        .fork()
        .with_actor(automerge::ActorId::from(vec![0xee; 16]));
    let findings = match forged.get(ROOT, "findings").unwrap() {
        Some((automerge::Value::Object(ObjType::List), o)) => o,
        other => panic!("findings: {other:?}"),
    };
    let f = forged
        .insert_object(&findings, forged.length(&findings), ObjType::Map)
        .unwrap();
    forged
        .put(&f, "id", "0193a5c0-0000-7000-8000-0000000000f9")
        .unwrap();
    forged.put(&f, "text", "不是本设备写的").unwrap();
    forged.put(&f, "author", "qy-zf-001").unwrap();
    forged.put(&f, "at", 1_795_137_600_000i64).unwrap();
    forged.put_object(&f, "evidence", ObjType::List).unwrap();
    forged.commit_with(
        automerge::transaction::CommitOptions::default()
            .with_message("finding")
            .with_time(1_795_137_600),
    );
    let mut forged_state = state.clone();
    let msg = forged
        .sync()
        .generate_sync_message(&mut forged_state)
        .expect("a message with the new change");
    let (_, answer) = sync.post(
        &server,
        "foreign_actor_rejected",
        "A change whose actor is not the device's registered actor id (here ee…ee): status rejected, nothing of the message is applied; the reason (Chinese) names the rule.",
        "/api/v1/sync",
        Some(&token),
        sync_request(
            Some(&roster_version),
            vec![json!({ "id": id, "msg": b64(&msg.encode()) })],
            None,
        ),
    );
    assert_eq!(answer["docs"][0]["status"], "rejected", "{answer}");

    // Errors of the whole request.
    sync.post(
        &server,
        "protocol_mismatch",
        "Another protocol version: 400 protocol_mismatch.",
        "/api/v1/sync",
        Some(&token),
        json!({ "protocol": 2, "device_time": "2026-11-20T02:05:00Z", "roster_version": null, "docs": [] }),
    );
    sync.post(
        &server,
        "malformed_request",
        "A body that is not the request (here `docs` is missing): 400 malformed_request.",
        "/api/v1/sync",
        Some(&token),
        json!({ "protocol": 1, "device_time": "2026-11-20T02:05:00Z", "roster_version": null }),
    );
    sync.post(
        &server,
        "token_missing",
        "No Authorization header: 401 token_missing.",
        "/api/v1/sync",
        None,
        sync_request(None, vec![], None),
    );

    // ---- tus ----
    let blobs = insp["blobs"].as_array().unwrap().clone();
    let tus = tus_steps(&server, &token, &id, &blobs);

    // The verified blob is no longer missing.
    let (_, answer) = sync.post(
        &server,
        "after_upload",
        "After the photo's upload completed (tus.json) it is no longer in missing_blobs; the two blobs not uploaded still are.",
        "/api/v1/sync",
        Some(&token),
        sync_request(Some(&roster_version), vec![json!({ "id": id, "msg": null })], None),
    );
    assert_eq!(
        answer["missing_blobs"].as_array().unwrap().len(),
        2,
        "{answer}"
    );

    check_vector(
        "sync.json",
        json!({
            "description": "Sync exchanges of the vectors' device (docs/sync-protocol.md) after it enrolled (enroll.json): the inspection of inspection.json and the log entries of device-log.json. Messages are the exact bytes (base64); times, the skew, the roster, its version tag and reason texts are placeholders.",
            "steps": sync.steps,
        }),
    );
    check_vector(
        "tus.json",
        json!({
            "description": "The tus profile (docs/protocol/tus.md) with the vectors' device and the blobs of inspection.json, after the inspection synced. Upload URLs are placeholders ({upload-N}); `body_hex` is the request body; `error` is the `code` of a JSON error answer.",
            "steps": tus,
        }),
    );

    // The supervisor's tamper check of the vectors' log says verified.
    let session = server.login("supervisor", DEMO_PASSWORD);
    let detail: Value = client()
        .get(server.url(&format!("/api/v1/inspections/{id}")))
        .bearer_auth(&session)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(
        detail["log_check"][0]["outcome"]["kind"], "verified",
        "{detail}"
    );
    assert_eq!(detail["log_check"][0]["entries_checked"], 3, "{detail}");
}

// ---- tus -------------------------------------------------------------------------------

struct TusReq<'a> {
    name: &'a str,
    note: &'a str,
    method: &'a str,
    path: String,
    headers: Vec<(&'a str, String)>,
    body: Vec<u8>,
}

/// Headers of a tus answer that the profile specifies.
const ANSWER_HEADERS: &[&str] = &[
    "tus-resumable",
    "tus-version",
    "tus-extension",
    "tus-max-size",
    "tus-checksum-algorithm",
    "location",
    "upload-offset",
    "upload-length",
    "upload-metadata",
    "liuhen-error-code",
];

fn tus_send(server: &TestServer, token: &str, r: &TusReq<'_>, uploads: &mut Vec<String>) -> Value {
    let method = Method::from_bytes(r.method.as_bytes()).unwrap();
    let mut req = client()
        .request(method, server.url(&r.path))
        .bearer_auth(token)
        .body(r.body.clone());
    for (k, v) in &r.headers {
        req = req.header(*k, v);
    }
    let resp = req.send().expect("tus request");
    let status = resp.status().as_u16();
    let mut headers = serde_json::Map::new();
    for h in ANSWER_HEADERS {
        if let Some(v) = resp.headers().get(*h) {
            headers.insert(h.to_string(), json!(v.to_str().unwrap_or_default()));
        }
    }
    if let Some(loc) = resp.headers().get("location") {
        let loc = loc.to_str().unwrap().to_string();
        uploads.push(loc);
    }
    let text = resp.text().unwrap_or_default();
    let error = serde_json::from_str::<Value>(&text)
        .ok()
        .and_then(|v| v.get("code").cloned());
    let mut request = json!({
        "method": r.method,
        "path": r.path,
        "headers": r.headers.iter().map(|(k, v)| json!([k, v])).collect::<Vec<_>>(),
        "body_hex": hex::encode(&r.body),
    });
    let mut response = json!({ "status": status, "headers": headers, "error": error });
    normalise(&mut request, uploads);
    normalise(&mut response, uploads);
    json!({ "name": r.name, "note": r.note, "authorization": "Bearer <device token>", "request": request, "response": response })
}

fn meta(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k} {}", STANDARD.encode(v.as_bytes())))
        .collect::<Vec<_>>()
        .join(",")
}

fn tus_steps(server: &TestServer, token: &str, id: &str, blobs: &[Value]) -> Vec<Value> {
    let photo = blobs.iter().find(|b| b["name"] == "finding-photo").unwrap();
    let audio = blobs.iter().find(|b| b["name"] == "notice-audio").unwrap();
    let photo_bytes = hex::decode(photo["bytes_hex"].as_str().unwrap()).unwrap();
    let photo_sha = photo["sha256"].as_str().unwrap();
    let audio_bytes = hex::decode(audio["bytes_hex"].as_str().unwrap()).unwrap();
    let audio_sha = audio["sha256"].as_str().unwrap();
    let tr = ("Tus-Resumable", "1.0.0".to_string());
    let octets = (
        "Content-Type",
        "application/offset+octet-stream".to_string(),
    );
    let photo_meta = meta(&[
        ("sha256", photo_sha),
        ("inspection_id", id),
        ("filename", "finding-photo.jpg"),
        ("media_type", "image/jpeg"),
    ]);
    let len = |b: &[u8]| b.len().to_string();
    let half = photo_bytes.len() / 2;
    let checksum = |b: &[u8]| format!("sha256 {}", STANDARD.encode(Sha256::digest(b)));
    let mut uploads: Vec<String> = vec![];
    let mut out = vec![];
    let mut step = |r: TusReq<'_>, uploads: &mut Vec<String>| {
        out.push(tus_send(server, token, &r, uploads));
    };

    step(
        TusReq {
            name: "options",
            note: "What the server supports (no Tus-Resumable needed).",
            method: "OPTIONS",
            path: "/api/v1/files".into(),
            headers: vec![],
            body: vec![],
        },
        &mut uploads,
    );
    step(
        TusReq {
            name: "missing_tus_resumable",
            note: "A request without Tus-Resumable: 1.0.0 is refused with 412 tus_version_unsupported.",
            method: "POST",
            path: "/api/v1/files".into(),
            headers: vec![
                ("Upload-Length", len(&photo_bytes)),
                ("Upload-Metadata", photo_meta.clone()),
            ],
            body: vec![],
        },
        &mut uploads,
    );
    step(
        TusReq {
            name: "raw_digest_metadata",
            note: "The sha256 metadata value must be base64 of the 64-character HEX text, not of the 32 raw digest bytes: 400 invalid_field.",
            method: "POST",
            path: "/api/v1/files".into(),
            headers: vec![
                tr.clone(),
                ("Upload-Length", len(&photo_bytes)),
                (
                    "Upload-Metadata",
                    format!(
                        "sha256 {},inspection_id {}",
                        STANDARD.encode(hex::decode(photo_sha).unwrap()),
                        STANDARD.encode(id)
                    ),
                ),
            ],
            body: vec![],
        },
        &mut uploads,
    );
    let unreferenced = hex::encode(Sha256::digest(b"a blob no document references"));
    step(
        TusReq {
            name: "blob_not_referenced",
            note: "A blob the inspection's document (as synced) does not reference: 403 blob_not_referenced. Sync the document first.",
            method: "POST",
            path: "/api/v1/files".into(),
            headers: vec![
                tr.clone(),
                ("Upload-Length", "29".into()),
                (
                    "Upload-Metadata",
                    meta(&[("sha256", &unreferenced), ("inspection_id", id)]),
                ),
            ],
            body: vec![],
        },
        &mut uploads,
    );
    step(
        TusReq {
            name: "create",
            note: "Creates the photo's upload: 201 with its URL in Location.",
            method: "POST",
            path: "/api/v1/files".into(),
            headers: vec![
                tr.clone(),
                ("Upload-Length", len(&photo_bytes)),
                ("Upload-Metadata", photo_meta.clone()),
            ],
            body: vec![],
        },
        &mut uploads,
    );
    let url = uploads.first().cloned().expect("upload url");
    step(
        TusReq {
            name: "wrong_offset",
            note: "A PATCH whose Upload-Offset is not what the server holds: 409 offset_mismatch (ask with HEAD, then continue from there).",
            method: "PATCH",
            path: url.clone(),
            headers: vec![tr.clone(), octets.clone(), ("Upload-Offset", "5".into())],
            body: photo_bytes[5..half].to_vec(),
        },
        &mut uploads,
    );
    step(
        TusReq {
            name: "unsupported_checksum",
            note: "Upload-Checksum with an algorithm other than sha256: 400 checksum_algorithm_unsupported.",
            method: "PATCH",
            path: url.clone(),
            headers: vec![
                tr.clone(),
                octets.clone(),
                ("Upload-Offset", "0".into()),
                ("Upload-Checksum", "md5 AAAAAAAAAAAAAAAAAAAAAA==".into()),
            ],
            body: photo_bytes[..half].to_vec(),
        },
        &mut uploads,
    );
    step(
        TusReq {
            name: "chunk_checksum_mismatch",
            note: "A chunk whose bytes do not match its Upload-Checksum: 460 chunk_checksum_mismatch, the chunk is discarded (offset unchanged).",
            method: "PATCH",
            path: url.clone(),
            headers: vec![
                tr.clone(),
                octets.clone(),
                ("Upload-Offset", "0".into()),
                ("Upload-Checksum", checksum(b"other bytes")),
            ],
            body: photo_bytes[..half].to_vec(),
        },
        &mut uploads,
    );
    step(
        TusReq {
            name: "first_chunk",
            note: "The first half with its checksum: 204, Upload-Offset is the new offset.",
            method: "PATCH",
            path: url.clone(),
            headers: vec![
                tr.clone(),
                octets.clone(),
                ("Upload-Offset", "0".into()),
                ("Upload-Checksum", checksum(&photo_bytes[..half])),
            ],
            body: photo_bytes[..half].to_vec(),
        },
        &mut uploads,
    );
    step(
        TusReq {
            name: "resume_head",
            note: "After an interruption the client asks where the upload got to.",
            method: "HEAD",
            path: url.clone(),
            headers: vec![tr.clone()],
            body: vec![],
        },
        &mut uploads,
    );
    step(
        TusReq {
            name: "last_chunk",
            note: "The rest: 204 with Upload-Offset equal to Upload-Length. The server hashed the whole file before answering: the blob is received and verified.",
            method: "PATCH",
            path: url.clone(),
            headers: vec![
                tr.clone(),
                octets.clone(),
                ("Upload-Offset", half.to_string()),
            ],
            body: photo_bytes[half..].to_vec(),
        },
        &mut uploads,
    );
    step(
        TusReq {
            name: "complete_head",
            note: "HEAD of a completed upload: Upload-Offset equals Upload-Length, which always means verified and received.",
            method: "HEAD",
            path: url.clone(),
            headers: vec![tr.clone()],
            body: vec![],
        },
        &mut uploads,
    );
    step(
        TusReq {
            name: "already_held",
            note: "Creating an upload for a blob the server already holds: 201 and complete at once (Upload-Offset equals Upload-Length); send nothing.",
            method: "POST",
            path: "/api/v1/files".into(),
            headers: vec![
                tr.clone(),
                ("Upload-Length", len(&photo_bytes)),
                ("Upload-Metadata", photo_meta.clone()),
            ],
            body: vec![],
        },
        &mut uploads,
    );
    step(
        TusReq {
            name: "create_audio",
            note: "An upload for the identity notice's recording.",
            method: "POST",
            path: "/api/v1/files".into(),
            headers: vec![
                tr.clone(),
                ("Upload-Length", len(&audio_bytes)),
                (
                    "Upload-Metadata",
                    meta(&[
                        ("sha256", audio_sha),
                        ("inspection_id", id),
                        ("media_type", "audio/wav"),
                    ]),
                ),
            ],
            body: vec![],
        },
        &mut uploads,
    );
    let audio_url = uploads.last().cloned().expect("audio upload url");
    let mut wrong = audio_bytes.clone();
    wrong[0] ^= 0xff;
    step(
        TusReq {
            name: "blob_hash_mismatch",
            note: "All bytes sent, but the file's SHA-256 is not the declared one: 460 blob_hash_mismatch; the upload is discarded (start a new one).",
            method: "PATCH",
            path: audio_url.clone(),
            headers: vec![tr.clone(), octets.clone(), ("Upload-Offset", "0".into())],
            body: wrong,
        },
        &mut uploads,
    );
    step(
        TusReq {
            name: "discarded_upload",
            note: "The discarded upload is gone: 404 upload_not_found (for HEAD the code is in the Liuhen-Error-Code header).",
            method: "HEAD",
            path: audio_url,
            headers: vec![tr.clone()],
            body: vec![],
        },
        &mut uploads,
    );
    out
}
