//! Evidence uploads across server processes (issue 18 item 2): the tus state is in
//! the database and the bytes of an unfinished upload in the evidence store, so
//! - two server processes on one data directory take the `PATCH`es of one upload
//!   alternately, and a `PATCH` at a stale offset is refused by either;
//! - an upload survives its server being SIGKILLed half-way: the restarted
//!   process resumes it from the confirmed offset.
//!
//! Real processes on loopback, raw tus requests, the device's own sync to check
//! that the server no longer asks for the blob.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::blocking::{Client, RequestBuilder, Response};
use serde_json::json;
use sha2::{Digest, Sha256};

use liuhen_e2e::wire::{post_sync, sync_body};
use liuhen_e2e::{Device, TestServer, png_bytes};

const O1: &str = "qy-zf-001";
const TASK: &str = "QY-2026-SJ-0117";

fn client() -> Client {
    Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

fn tus(c: &Client, method: reqwest::Method, url: &str, token: &str) -> RequestBuilder {
    c.request(method, url)
        .header("Tus-Resumable", "1.0.0")
        .bearer_auth(token)
}

fn offset_of(resp: &Response) -> u64 {
    resp.headers()["upload-offset"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

/// A device whose record with one photo is on the server, the photo itself not:
/// (device, inspection id, photo bytes, sha256).
fn record_awaiting_its_photo(server: &TestServer) -> (Device, String, Vec<u8>, String) {
    let mut d = Device::enrolled(server, O1);
    d.sync();
    let id = d.core.open_for_task(TASK, O1).unwrap();
    d.core.check_in(&id, O1).unwrap();
    // About 480 KB (stored PNG blocks): several PATCHes of 100 KB.
    let bytes = png_bytes(400, 400, 18);
    let sha = d.capture_photo(&id, &bytes, "image/png");
    // The original leaves the phone's store for now, so the sync sends the record
    // only and the test sends the bytes itself.
    std::fs::remove_file(d.core.blobs().path_of(&sha)).unwrap();
    d.sync();
    assert_eq!(missing(server, &d, &id), vec![sha.clone()]);
    (d, id, bytes, sha)
}

fn missing(server: &TestServer, d: &Device, id: &str) -> Vec<String> {
    let (_, v) = post_sync(
        server,
        &d.token(),
        sync_body(json!([{ "id": id, "msg": null }])),
    );
    v["missing_blobs"]
        .as_array()
        .unwrap_or_else(|| panic!("{v}"))
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

fn create(c: &Client, base: &str, token: &str, id: &str, sha: &str, len: usize) -> String {
    let meta = format!(
        "sha256 {},inspection_id {},filename {}",
        STANDARD.encode(sha),
        STANDARD.encode(id),
        STANDARD.encode("现场照片.png")
    );
    let resp = tus(
        c,
        reqwest::Method::POST,
        &format!("{base}/api/v1/files"),
        token,
    )
    .header("Upload-Length", len.to_string())
    .header("Upload-Metadata", meta)
    .send()
    .unwrap();
    assert_eq!(resp.status(), 201);
    resp.headers()["location"].to_str().unwrap().to_string()
}

fn patch(c: &Client, url: &str, token: &str, offset: usize, bytes: &[u8]) -> Response {
    let sum = STANDARD.encode(Sha256::digest(bytes));
    tus(c, reqwest::Method::PATCH, url, token)
        .header("Content-Type", "application/offset+octet-stream")
        .header("Upload-Offset", offset.to_string())
        .header("Upload-Checksum", format!("sha256 {sum}"))
        .body(bytes.to_vec())
        .send()
        .unwrap()
}

#[test]
fn two_server_processes_take_the_patches_of_one_upload_alternately() {
    let dir = tempfile::tempdir().unwrap();
    let a = TestServer::start_in(dir.path(), &[]);
    let b = TestServer::start_in(dir.path(), &[]);
    let (d, id, bytes, sha) = record_awaiting_its_photo(&a);
    let token = d.token();
    let c = client();
    let location = create(&c, &a.base_url, &token, &id, &sha, bytes.len());

    let servers = [&a, &b];
    let chunk = 100_000;
    let mut offset = 0;
    let mut turn = 0;
    while offset < bytes.len() {
        let end = (offset + chunk).min(bytes.len());
        let here = servers[turn % 2];
        let url = format!("{}{location}", here.base_url);
        // The other process knows how far the upload got.
        let there = servers[(turn + 1) % 2];
        let head = tus(
            &c,
            reqwest::Method::HEAD,
            &format!("{}{location}", there.base_url),
            &token,
        )
        .send()
        .unwrap();
        assert_eq!(head.status(), 200);
        assert_eq!(offset_of(&head), offset as u64);
        if offset > 0 {
            // A request at an offset already passed is refused by either process.
            let stale = patch(&c, &url, &token, offset - chunk, &bytes[..chunk]);
            assert_eq!(stale.status(), 409, "{:?}", stale.text());
        }
        let resp = patch(&c, &url, &token, offset, &bytes[offset..end]);
        assert_eq!(resp.status(), 204, "turn {turn}: {:?}", resp.text());
        assert_eq!(offset_of(&resp), end as u64);
        offset = end;
        turn += 1;
    }
    assert!(turn >= 4, "several PATCHes: {turn}");
    // Verified and received, whichever process is asked.
    assert!(a.blob_verified(&sha));
    assert!(missing(&b, &d, &id).is_empty());
    assert!(missing(&a, &d, &id).is_empty());
    // The pieces are gone; only the blob stays.
    let pieces = dir.path().join("blobs").join("uploads");
    let left: Vec<_> = std::fs::read_dir(&pieces)
        .map(|r| r.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(
        left.iter().all(|p| std::fs::read_dir(p)
            .map(|mut r| r.next().is_none())
            .unwrap_or(true)),
        "{left:?}"
    );
}

#[test]
fn an_upload_survives_its_server_being_killed_half_way() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(dir.path(), &[]);
    let (d, id, bytes, sha) = record_awaiting_its_photo(&server);
    let token = d.token();
    let c = client();
    let location = create(&c, &server.base_url, &token, &id, &sha, bytes.len());
    let half = bytes.len() / 2;
    let resp = patch(
        &c,
        &format!("{}{location}", server.base_url),
        &token,
        0,
        &bytes[..half],
    );
    assert_eq!(resp.status(), 204);

    // SIGKILL, then the same data directory again.
    let server = server.restart_after_kill();
    let url = format!("{}{location}", server.base_url);
    let head = tus(&c, reqwest::Method::HEAD, &url, &token).send().unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(offset_of(&head), half as u64, "the confirmed half is kept");
    let resp = patch(&c, &url, &token, half, &bytes[half..]);
    assert_eq!(resp.status(), 204, "{:?}", resp.text());
    assert_eq!(offset_of(&resp), bytes.len() as u64);
    assert!(server.blob_verified(&sha));
    assert!(missing(&server, &d, &id).is_empty());
}
