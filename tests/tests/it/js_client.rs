//! A second, independent device client (issue 22): `tests/js-client/run.mjs`,
//! written from `docs/sync-protocol.md` and `docs/protocol/` on the unmodified npm
//! packages `@automerge/automerge` and `tus-js-client`, against a real server
//! process with the demo agency. It first checks itself against the conformance
//! vectors (`docs/vectors/`: it reproduces the reference implementation's changes
//! byte for byte, and the log's canonical encodings, hashes and signatures); then it
//! enrols, opens a task inspection from scratch and records every step (check-ins,
//! identity notice with its recording, a finding with a photo, the rights notice
//! with a signature, close) and an ad hoc one, syncs with its signed log, uploads
//! the photo with an interruption and a resume and the other blobs, and confirms
//! with a sync that nothing is missing. The server must hold a complete inspection
//! without rule violations, every blob verified, and the device log verified. A
//! supervisor returns the record with a comment; the client receives both and
//! answers with an amendment.
//!
//! Needs Node.js and tests/js-client/node_modules: run
//! `bash scripts/js-client-tools.sh` once (it runs `npm ci`).

use std::path::{Path, PathBuf};
use std::process::Command;

use liuhen_e2e::{DEMO_PASSWORD, TestServer};
use serde_json::Value;

const O1: &str = "qy-zf-001";

fn client_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("js-client")
}

/// Fails with what to run when Node or the client's packages are missing.
fn require_node_client() {
    let node = Command::new("node").arg("--version").output();
    assert!(
        node.is_ok_and(|o| o.status.success()),
        "the JS client test needs Node.js (`node`, 20 or newer) on PATH"
    );
    for pkg in ["@automerge/automerge", "tus-js-client"] {
        let p = client_dir()
            .join("node_modules")
            .join(pkg)
            .join("package.json");
        assert!(
            p.is_file(),
            "{} is missing — run `bash scripts/js-client-tools.sh` first (npm ci in tests/js-client)",
            p.display()
        );
    }
}

/// Runs `node run.mjs ARGS`; returns the JSON of its `RESULT` line (panics with its
/// output unless it reports ok).
fn run(args: &[&str]) -> Value {
    let out = Command::new("node")
        .arg("run.mjs")
        .args(args)
        .current_dir(client_dir())
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let result: Value = stdout
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("RESULT "))
        .and_then(|l| serde_json::from_str(l).ok())
        .unwrap_or_else(|| panic!("no RESULT line from run.mjs {args:?}\n{stdout}\n{stderr}"));
    assert!(
        out.status.success() && result["ok"] == true,
        "run.mjs {args:?} failed: {result}\n{stderr}"
    );
    result
}

/// A real JPEG of 800x600 noisy pixels (a few hundred KB: several tus chunks).
fn jpeg_photo() -> Vec<u8> {
    let img = image::RgbImage::from_fn(800, 600, |x, y| {
        let h =
            (x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(40_503)).wrapping_mul(2_246_822_519);
        image::Rgb([(h >> 24) as u8, (h >> 16) as u8, ((x + y) % 256) as u8])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg)
        .expect("encode jpeg");
    out.into_inner()
}

fn supervisor_get(server: &TestServer, session: &str, path: &str) -> Value {
    let resp = reqwest::blocking::Client::new()
        .get(format!("{}{path}", server.base_url))
        .bearer_auth(session)
        .send()
        .expect("supervisor request");
    assert!(resp.status().is_success(), "{path}: {}", resp.status());
    resp.json().expect("json")
}

#[test]
fn an_independent_js_client_records_syncs_uploads_and_receives_a_review() {
    require_node_client();

    // The client reproduces the conformance vectors exactly.
    let conformance = run(&["conformance"]);
    assert!(
        conformance["checks"].as_u64().unwrap() >= 30,
        "{conformance}"
    );

    let server = TestServer::start_demo();
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("device");
    let state = state.to_str().expect("utf-8 path");
    let photo = dir.path().join("photo.jpg");
    let photo_bytes = jpeg_photo();
    assert!(photo_bytes.len() > 3 * 64 * 1024, "{}", photo_bytes.len());
    std::fs::write(&photo, &photo_bytes).expect("write photo");

    // Enrolment with login and password; a UUID device id and its own keys.
    let enrolled = run(&["enroll", &server.base_url, state, O1, DEMO_PASSWORD]);
    let device_id = enrolled["device_id"].as_str().unwrap().to_string();
    assert!(uuid::Uuid::parse_str(&device_id).is_ok(), "{enrolled}");
    assert_eq!(enrolled["user"]["officer_id"], O1);

    // Record, sync, upload with a resume, confirm.
    let r = run(&["record", state, photo.to_str().unwrap()]);
    let id = r["inspection_id"].as_str().unwrap().to_string();
    let adhoc = r["adhoc_id"].as_str().unwrap().to_string();
    let finding_id = r["finding_id"].as_str().unwrap().to_string();
    let photo_sha = r["blobs"]["photo"].as_str().unwrap().to_string();
    assert_eq!(r["first_sync"]["roster_updated"], true, "{r}");
    for (doc, status) in r["sync_statuses"].as_object().unwrap() {
        assert_eq!(status, "ok", "{doc}: {r}");
    }
    assert_eq!(
        r["missing_before_upload"].as_array().unwrap().len(),
        3,
        "{r}"
    );
    assert_eq!(r["missing_after_upload"], serde_json::json!([]), "{r}");
    let up = &r["photo_upload"];
    assert_eq!(up["size"], photo_bytes.len());
    assert_eq!(
        up["offset_at_resume"],
        64 * 1024,
        "one chunk before the cut: {up}"
    );
    assert_eq!(
        up["first_offset_after_resume"],
        2 * 64 * 1024,
        "the resume sent the second chunk, not the first again: {up}"
    );
    assert_eq!(up["final_offset"], photo_bytes.len());
    assert_eq!(r["pending"], serde_json::json!([]), "{r}");
    assert_eq!(r["attention"], serde_json::json!({}), "{r}");
    assert_eq!(r["log_acked_seq"], r["log_entries"], "{r}");

    // The server holds a complete, rule-abiding inspection with verified blobs.
    assert!(server.blob_verified(&photo_sha));
    let session = server.login("supervisor");
    let detail = supervisor_get(&server, &session, &format!("/api/v1/inspections/{id}"));
    let insp = &detail["inspection"];
    assert_eq!(insp["schema_version"], 3);
    assert_eq!(insp["meta"]["kind"], "task");
    assert_eq!(insp["meta"]["device_id"], device_id.as_str());
    assert_eq!(insp["team"].as_array().unwrap().len(), 2, "{insp}");
    assert_eq!(insp["evidence"].as_array().unwrap().len(), 3, "{insp}");
    assert_eq!(insp["findings"][0]["id"], finding_id.as_str());
    assert!(
        insp["findings"][0]["text"]
            .as_str()
            .unwrap()
            .contains("台账缺两天"),
        "the edited text: {insp}"
    );
    assert_eq!(insp["evidence"][1]["lat"], 23.6312);
    assert_eq!(insp["rights_notice"]["acknowledgement"]["kind"], "signed");
    assert!(insp["closure"].is_object(), "{insp}");
    assert_eq!(insp["conflicts"], serde_json::json!([]));
    assert_eq!(detail["violations"], serde_json::json!([]), "{detail}");
    for a in detail["evidence_arrival"].as_array().unwrap() {
        assert!(a["received_at"].is_string(), "{a}");
    }
    let check = &detail["log_check"];
    assert_eq!(check.as_array().unwrap().len(), 1, "{check}");
    assert_eq!(check[0]["device_id"], device_id.as_str());
    assert_eq!(check[0]["outcome"]["kind"], "verified", "{check}");
    assert_eq!(check[0]["entries_checked"], r["log_acked_seq"]);
    let other = supervisor_get(&server, &session, &format!("/api/v1/inspections/{adhoc}"));
    // The document stores `adhoc`; the JSON reading of the API spells the enum `ad_hoc`.
    assert_eq!(other["inspection"]["meta"]["kind"], "ad_hoc");
    assert!(other["inspection"]["meta"]["task_id"].is_null());

    // The supervisor returns it with a comment on the finding.
    let resp = reqwest::blocking::Client::new()
        .post(format!(
            "{}/api/v1/inspections/{id}/review",
            server.base_url
        ))
        .bearer_auth(&session)
        .json(&serde_json::json!({
            "comment": "请补充台账缺失的具体日期",
            "item": format!("finding:{finding_id}"),
            "decision": "returned",
        }))
        .send()
        .expect("review");
    assert!(resp.status().is_success(), "{}", resp.status());

    // The client receives the comment and the decision, and answers.
    let got = run(&["receive", state, &id, &finding_id]);
    assert_eq!(got["received"], serde_json::json!([id]), "{got}");
    assert_eq!(got["review"]["decision"]["decision"], "returned", "{got}");
    let comments = got["review"]["comments"].as_array().unwrap();
    assert_eq!(comments.len(), 1, "{got}");
    assert_eq!(comments[0]["text"], "请补充台账缺失的具体日期");
    assert_eq!(comments[0]["item"], format!("finding:{finding_id}"));
    assert_eq!(got["amendment_sync"][&id], "ok", "{got}");
    assert_eq!(got["log_acked_seq"], got["log_entries"], "{got}");

    let detail = supervisor_get(&server, &session, &format!("/api/v1/inspections/{id}"));
    let amendments = detail["inspection"]["amendments"].as_array().unwrap();
    assert_eq!(amendments.len(), 1, "{detail}");
    assert_eq!(amendments[0]["id"], got["amendment_id"]);
    assert_eq!(detail["log_check"][0]["outcome"]["kind"], "verified");
    assert_eq!(detail["violations"], serde_json::json!([]), "{detail}");
}
