//! Evidence upload over tus 1.0 (creation, checksum): protocol conformance with raw
//! requests, and the device's `TusClient` end to end — chunked upload, resume after
//! a dropped connection, hash mismatch, no second upload of a blob the server holds,
//! refused tokens, R-REC-4 late arrivals.
//!
//! The server runs in-process (the real router and SQLite storage on a loopback
//! port); documents and blob references are set up through the storage directly.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, TimeZone, Utc};
use rand::RngCore;
use reqwest::Method;
use reqwest::blocking::{Client, RequestBuilder, Response};
use serde_json::Value;
use sha2::{Digest, Sha256};

use liuhen_core::time::FixedClock;
use liuhen_core::upload::{TusClient, UploadError, encode_metadata};
use liuhen_server::api::tus::{HASH_MISMATCH_MESSAGE, is_late};
use liuhen_server::auth::{new_token, token_hash};
use liuhen_server::state::{AppState, Config};
use liuhen_server::storage::{BlobRecord, Device, DocRecord, Role, User};
use liuhen_server_blobs::{BlobsLocation, EvidenceStore};

const INSPECTION: &str = "0193a7c2-0000-7000-8000-000000000001";
const AGENCY: &str = "qy-sthjj";
const MAX_UPLOAD: u64 = 4 * 1024 * 1024;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 10, 0, 0).unwrap()
}

/// The server in-process with two officers' devices and one inspection (officer
/// `o1` only).
struct Harness {
    rt: tokio::runtime::Runtime,
    state: AppState,
    base_url: String,
    /// Device token of officer o1 (on the inspection).
    token: String,
    /// Device token of officer o2 (not on the inspection).
    other_token: String,
    dir: tempfile::TempDir,
}

impl Harness {
    fn start() -> Harness {
        Self::start_with(None, MAX_UPLOAD)
    }

    /// The server with its evidence in the S3 test store.
    fn start_s3() -> Harness {
        Self::start_with(Some(s3_store()), MAX_UPLOAD)
    }

    fn start_with(blobs: Option<EvidenceStore>, max_upload_bytes: u64) -> Harness {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let config = Config {
            data_dir: dir.path().join("data"),
            secure_cookies: false,
            max_upload_bytes,
            upload_lease: liuhen_server::api::tus::DEFAULT_LEASE,
        };
        let mut state = rt
            .block_on(liuhen_server::build_state_with_clock(
                config,
                Arc::new(FixedClock(now())),
            ))
            .unwrap();
        if let Some(blobs) = blobs {
            state = state.with_blobs(blobs);
        }
        let token = new_token();
        let other_token = new_token();
        rt.block_on(async {
            for (n, tok) in [(1, &token), (2, &other_token)] {
                let user = User {
                    id: format!("u{n}"),
                    agency_id: AGENCY.into(),
                    login: format!("officer{n}"),
                    name: format!("执法人员{n}"),
                    role: Role::Officer,
                    officer_id: Some(format!("o{n}")),
                    password_hash: "unused".into(),
                    disabled: false,
                };
                state.storage.create_user(&user).await.unwrap();
                state
                    .storage
                    .put_device(&Device {
                        id: format!("d{n}"),
                        user_id: user.id.clone(),
                        public_key: "00".repeat(32),
                        actor_id: format!("{n:032x}"),
                        token_hash: token_hash(tok),
                        enrolled_at: now(),
                        revoked_at: None,
                    })
                    .await
                    .unwrap();
            }
            state
                .storage
                .put_doc(
                    &DocRecord {
                        id: INSPECTION.into(),
                        agency_id: AGENCY.into(),
                        officer_ids: vec!["o1".into()],
                        task_id: None,
                        target_name: "清远市某化工有限公司".into(),
                        status: "open".into(),
                        heads: vec![],
                        bytes: vec![],
                        updated_at: now(),
                    },
                    None,
                )
                .await
                .unwrap();
        });
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let app = liuhen_server::app(state.clone());
        rt.spawn(async move { axum::serve(listener, app).await });
        Harness {
            rt,
            state,
            base_url: format!("http://{addr}"),
            token,
            other_token,
            dir,
        }
    }

    /// Random bytes, referenced by the inspection, captured `hours_ago`; returns
    /// (file path, sha256).
    fn evidence(&self, len: usize, hours_ago: i64) -> (PathBuf, String) {
        let mut bytes = vec![0u8; len];
        rand::thread_rng().fill_bytes(&mut bytes);
        let sha = hex::encode(Sha256::digest(&bytes));
        let path = self.dir.path().join(format!("{sha}.jpg"));
        std::fs::write(&path, &bytes).unwrap();
        self.reference(&sha, len as u64, hours_ago);
        (path, sha)
    }

    fn reference(&self, sha: &str, size: u64, hours_ago: i64) {
        self.rt
            .block_on(self.state.storage.reference_blob(&BlobRecord {
                sha256: sha.into(),
                inspection_id: INSPECTION.into(),
                captured_at: now() - chrono::Duration::hours(hours_ago),
                received_at: None,
                size,
            }))
            .unwrap();
    }

    fn blob(&self, sha: &str) -> BlobRecord {
        self.rt
            .block_on(self.state.storage.blob(AGENCY, sha))
            .unwrap()
            .unwrap()
    }

    fn missing(&self) -> Vec<String> {
        self.rt
            .block_on(self.state.storage.missing_blobs(&[INSPECTION.to_string()]))
            .unwrap()
    }

    fn files_url(&self) -> String {
        format!("{}/api/v1/files", self.base_url)
    }

    /// A request with the tus header and o1's token.
    fn tus(&self, method: Method, url: &str) -> RequestBuilder {
        http()
            .request(method, url)
            .header("Tus-Resumable", "1.0.0")
            .bearer_auth(&self.token)
    }

    /// Creates an upload with raw requests; returns its absolute URL.
    fn create(&self, len: u64, sha: &str) -> String {
        let resp = self
            .tus(Method::POST, &self.files_url())
            .header("Upload-Length", len.to_string())
            .header("Upload-Metadata", metadata(sha))
            .send()
            .unwrap();
        assert_eq!(resp.status(), 201, "{:?}", resp.text());
        let loc = header(&resp, "location").unwrap();
        assert!(loc.starts_with("/api/v1/files/"), "{loc}");
        format!("{}{loc}", self.base_url)
    }

    fn head_offset(&self, url: &str) -> u64 {
        let resp = self.tus(Method::HEAD, url).send().unwrap();
        assert_eq!(resp.status(), 200);
        header(&resp, "upload-offset").unwrap().parse().unwrap()
    }

    fn patch(&self, url: &str, offset: u64, bytes: &[u8]) -> RequestBuilder {
        self.tus(Method::PATCH, url)
            .header("Content-Type", "application/offset+octet-stream")
            .header("Upload-Offset", offset.to_string())
            .body(bytes.to_vec())
    }

    fn client(&self) -> TusClient {
        TusClient::new(&self.base_url, &self.token).with_chunk_size(64 * 1024)
    }

    /// Upload pieces left in the evidence store (`blobs/uploads/<id>/…`) and
    /// staging objects (`blobs/tmp/…`).
    fn part_files(&self) -> Vec<PathBuf> {
        let blobs = self.state.config.data_dir.join("blobs");
        let mut found = vec![];
        let mut dirs = vec![blobs.join("uploads"), blobs.join("tmp")];
        while let Some(dir) = dirs.pop() {
            let Ok(entries) = std::fs::read_dir(dir) else {
                continue;
            };
            for e in entries.flatten() {
                if e.path().is_dir() {
                    dirs.push(e.path());
                } else {
                    found.push(e.path());
                }
            }
        }
        found
    }

    fn assert_stored(&self, sha: &str, len: u64) {
        let blob = self.blob(sha);
        assert_eq!(blob.received_at, Some(now()));
        assert_eq!(blob.size, len);
        self.rt.block_on(async {
            assert!(self.state.blobs.contains(sha).await.unwrap());
            self.state.blobs.verify(sha).await.unwrap();
        });
        assert!(self.part_files().is_empty(), "{:?}", self.part_files());
        assert!(!self.missing().contains(&sha.to_string()));
    }
}

/// The S3 test store (`LIUHEN_TEST_S3` from `scripts/s3.sh start`; fails when it
/// is not set), in a prefix of its own.
fn s3_store() -> EvidenceStore {
    let url = std::env::var("LIUHEN_TEST_S3").unwrap_or_else(|_| {
        panic!(
            "LIUHEN_TEST_S3 is not set: start the S3 test server with \
             `eval \"$(bash scripts/s3.sh start)\"`"
        )
    });
    let url = format!(
        "{}/tus-{}",
        url.trim_end_matches('/'),
        uuid::Uuid::now_v7().simple()
    );
    let location = BlobsLocation::parse(Some(&url), PathBuf::new()).unwrap();
    EvidenceStore::open(&location).unwrap()
}

fn http() -> Client {
    Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

fn metadata(sha: &str) -> String {
    encode_metadata([
        ("sha256", sha),
        ("inspection_id", INSPECTION),
        ("filename", "现场照片.jpg"),
        ("media_type", "image/jpeg"),
    ])
}

fn header(resp: &Response, name: &str) -> Option<String> {
    resp.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_string())
}

fn error_code(resp: Response) -> (u16, String, String) {
    let status = resp.status().as_u16();
    let v: Value = resp.json().unwrap();
    (
        status,
        v["code"].as_str().unwrap().to_string(),
        v["message"].as_str().unwrap().to_string(),
    )
}

fn upload(
    c: &TusClient,
    path: &Path,
    sha: &str,
    resume: Option<&str>,
) -> (
    Result<liuhen_core::upload::UploadOutcome, UploadError>,
    Vec<String>,
) {
    let mut urls = Vec::new();
    let r = c.upload(path, sha, INSPECTION, "image/jpeg", resume, &mut |u| {
        urls.push(u.to_string())
    });
    (r, urls)
}

#[test]
fn options_advertises_tus_creation_and_checksum() {
    let h = Harness::start();
    let resp = http()
        .request(Method::OPTIONS, h.files_url())
        .send()
        .unwrap();
    assert_eq!(resp.status(), 204);
    assert_eq!(header(&resp, "tus-resumable").as_deref(), Some("1.0.0"));
    assert_eq!(header(&resp, "tus-version").as_deref(), Some("1.0.0"));
    assert_eq!(
        header(&resp, "tus-extension").as_deref(),
        Some("creation,checksum")
    );
    assert_eq!(
        header(&resp, "tus-checksum-algorithm").as_deref(),
        Some("sha256")
    );
    assert_eq!(
        header(&resp, "tus-max-size").as_deref(),
        Some(MAX_UPLOAD.to_string().as_str())
    );
}

#[test]
fn protocol_errors() {
    let h = Harness::start();
    let (_, sha) = h.evidence(1000, 1);

    // No Tus-Resumable: 412 with the supported versions.
    let resp = http()
        .post(h.files_url())
        .bearer_auth(&h.token)
        .header("Upload-Length", "1000")
        .header("Upload-Metadata", metadata(&sha))
        .send()
        .unwrap();
    assert_eq!(resp.status(), 412);
    assert_eq!(header(&resp, "tus-version").as_deref(), Some("1.0.0"));
    assert_eq!(header(&resp, "tus-resumable").as_deref(), Some("1.0.0"));

    // No token: 401, still with the tus header.
    let resp = http()
        .post(h.files_url())
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", "1000")
        .header("Upload-Metadata", metadata(&sha))
        .send()
        .unwrap();
    assert_eq!(header(&resp, "tus-resumable").as_deref(), Some("1.0.0"));
    assert_eq!(error_code(resp).0, 401);

    // Far over the limit: 413 before any byte is sent.
    let resp = h
        .tus(Method::POST, &h.files_url())
        .header("Upload-Length", (MAX_UPLOAD * 100).to_string())
        .header("Upload-Metadata", metadata(&sha))
        .send()
        .unwrap();
    let (status, code, message) = error_code(resp);
    assert_eq!((status, code.as_str()), (413, "upload_too_large"));
    assert!(message.contains("超过"), "{message}");

    // Missing or malformed metadata: 400.
    let resp = h
        .tus(Method::POST, &h.files_url())
        .header("Upload-Length", "1000")
        .header("Upload-Metadata", encode_metadata([("sha256", "xyz")]))
        .send()
        .unwrap();
    assert_eq!(error_code(resp).0, 400);
    let resp = h
        .tus(Method::POST, &h.files_url())
        .header("Upload-Length", "1000")
        .header("Upload-Metadata", "sha256 !!!")
        .send()
        .unwrap();
    assert_eq!(error_code(resp).0, 400);

    // A blob no document references: 403.
    let resp = h
        .tus(Method::POST, &h.files_url())
        .header("Upload-Length", "1000")
        .header("Upload-Metadata", metadata(&"ab".repeat(32)))
        .send()
        .unwrap();
    let (status, code, _) = error_code(resp);
    assert_eq!((status, code.as_str()), (403, "blob_not_referenced"));

    // An officer not on the inspection: 403.
    let resp = http()
        .post(h.files_url())
        .header("Tus-Resumable", "1.0.0")
        .bearer_auth(&h.other_token)
        .header("Upload-Length", "1000")
        .header("Upload-Metadata", metadata(&sha))
        .send()
        .unwrap();
    let (status, code, _) = error_code(resp);
    assert_eq!((status, code.as_str()), (403, "upload_forbidden"));

    let url = h.create(1000, &sha);
    let resp = h.tus(Method::HEAD, &url).send().unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(header(&resp, "upload-offset").as_deref(), Some("0"));
    assert_eq!(header(&resp, "upload-length").as_deref(), Some("1000"));
    assert_eq!(header(&resp, "cache-control").as_deref(), Some("no-store"));
    assert_eq!(header(&resp, "upload-metadata"), Some(metadata(&sha)));
    assert_eq!(header(&resp, "tus-resumable").as_deref(), Some("1.0.0"));

    // Someone else's upload, or an unknown one: 404.
    let resp = http()
        .head(&url)
        .header("Tus-Resumable", "1.0.0")
        .bearer_auth(&h.other_token)
        .send()
        .unwrap();
    assert_eq!(resp.status(), 404);
    let unknown = format!("{}/{}", h.files_url(), uuid::Uuid::now_v7());
    assert_eq!(h.tus(Method::HEAD, &unknown).send().unwrap().status(), 404);
    assert_eq!(
        h.tus(Method::HEAD, &format!("{}/..%2F..%2Fetc", h.files_url()))
            .send()
            .unwrap()
            .status(),
        404
    );

    // Wrong content type: 415.
    let resp = h
        .tus(Method::PATCH, &url)
        .header("Content-Type", "application/octet-stream")
        .header("Upload-Offset", "0")
        .body(vec![0u8; 10])
        .send()
        .unwrap();
    let (status, code, _) = error_code(resp);
    assert_eq!((status, code.as_str()), (415, "unsupported_media_type"));

    // Wrong offset: 409.
    let resp = h.patch(&url, 10, &[0u8; 10]).send().unwrap();
    let (status, code, _) = error_code(resp);
    assert_eq!((status, code.as_str()), (409, "offset_mismatch"));

    // A body far over what is left: 413, nothing kept.
    let resp = h.patch(&url, 0, &vec![0u8; 1_000_000]).send().unwrap();
    let (status, code, _) = error_code(resp);
    assert_eq!((status, code.as_str()), (413, "upload_too_large"));
    assert_eq!(h.head_offset(&url), 0);

    // A chunk that does not match its checksum: 460, discarded.
    let resp = h
        .patch(&url, 0, &[1u8; 100])
        .header(
            "Upload-Checksum",
            format!("sha256 {}", STANDARD.encode(Sha256::digest([2u8; 100]))),
        )
        .send()
        .unwrap();
    let (status, code, _) = error_code(resp);
    assert_eq!((status, code.as_str()), (460, "chunk_checksum_mismatch"));
    assert_eq!(h.head_offset(&url), 0);

    // An unsupported checksum algorithm: 400.
    let resp = h
        .patch(&url, 0, &[1u8; 100])
        .header("Upload-Checksum", "md5 AAAAAAAAAAAAAAAAAAAAAA==")
        .send()
        .unwrap();
    let (status, code, _) = error_code(resp);
    assert_eq!(
        (status, code.as_str()),
        (400, "checksum_algorithm_unsupported")
    );

    // A good chunk with its checksum: 204 and the new offset.
    let resp = h
        .patch(&url, 0, &[1u8; 100])
        .header(
            "Upload-Checksum",
            format!("sha256 {}", STANDARD.encode(Sha256::digest([1u8; 100]))),
        )
        .send()
        .unwrap();
    assert_eq!(resp.status(), 204);
    assert_eq!(header(&resp, "upload-offset").as_deref(), Some("100"));
    assert_eq!(header(&resp, "tus-resumable").as_deref(), Some("1.0.0"));
    assert_eq!(h.head_offset(&url), 100);
}

#[test]
fn client_uploads_in_chunks_and_blob_is_received() {
    let h = Harness::start();
    let len = 300_001;
    let (path, sha) = h.evidence(len, 2);
    assert_eq!(h.missing(), vec![sha.clone()]);
    let (r, urls) = upload(&h.client(), &path, &sha, None);
    let outcome = r.unwrap();
    assert_eq!(outcome.bytes_sent, len as u64);
    assert_eq!(outcome.size, len as u64);
    assert!(!outcome.already_present && !outcome.resumed);
    assert_eq!(urls, vec![outcome.url.clone()]);
    h.assert_stored(&sha, len as u64);
    assert!(!is_late(&h.blob(&sha), now()));
    assert!(h.part_files().is_empty());
    // The finished upload still answers HEAD (a client that missed the last answer).
    assert_eq!(h.head_offset(&outcome.url), len as u64);
}

/// The same upload with the evidence in a real S3 server: pieces there, the
/// blob assembled there, streamed through the hash.
#[test]
fn client_uploads_in_chunks_to_s3() {
    let h = Harness::start_s3();
    let len = 300_001;
    let (path, sha) = h.evidence(len, 2);
    let (r, _) = upload(&h.client(), &path, &sha, None);
    let outcome = r.unwrap();
    assert_eq!(outcome.bytes_sent, len as u64);
    h.assert_stored(&sha, len as u64);
    // A wrong file for another referenced blob: 460, nothing stored.
    let (other, other_sha) = h.evidence(70_000, 1);
    std::fs::write(&other, vec![9u8; 70_000]).unwrap();
    let (r, _) = upload(&h.client(), &other, &other_sha, None);
    assert!(matches!(r, Err(UploadError::HashMismatch { .. })), "{r:?}");
    assert!(!h.rt.block_on(h.state.blobs.contains(&other_sha)).unwrap());
}

/// Upload throughput, local directory against S3, printed (no timing asserts):
/// 32 MiB through the device's client in 4 MiB chunks.
#[test]
fn upload_throughput_local_and_s3() {
    let big = 64 * 1024 * 1024;
    for (name, h) in [
        ("local", Harness::start_with(None, big)),
        ("s3", Harness::start_with(Some(s3_store()), big)),
    ] {
        let len = 32 * 1024 * 1024;
        let (path, sha) = h.evidence(len, 1);
        let client = TusClient::new(&h.base_url, &h.token).with_chunk_size(4 * 1024 * 1024);
        let started = Instant::now();
        let (r, _) = upload(&client, &path, &sha, None);
        let secs = started.elapsed().as_secs_f64();
        r.unwrap();
        h.assert_stored(&sha, len as u64);
        eprintln!(
            "upload throughput ({name}): {} MiB in {secs:.2} s = {:.1} MiB/s",
            len / (1024 * 1024),
            len as f64 / (1024.0 * 1024.0) / secs
        );
    }
}

#[test]
fn dropped_connection_keeps_bytes_and_resumes_from_server_offset() {
    let h = Harness::start();
    let len = 400_000usize;
    let (path, sha) = h.evidence(len, 1);
    let bytes = std::fs::read(&path).unwrap();
    let url = h.create(len as u64, &sha);
    let half = 150_000usize;

    // Announce the whole file, send half of it, then the connection drops.
    let addr = h.base_url.trim_start_matches("http://").to_string();
    let path_part = url.trim_start_matches(&h.base_url).to_string();
    let mut tcp = TcpStream::connect(&addr).unwrap();
    write!(
        tcp,
        "PATCH {path_part} HTTP/1.1\r\nHost: {addr}\r\nTus-Resumable: 1.0.0\r\n\
         Authorization: Bearer {}\r\nContent-Type: application/offset+octet-stream\r\n\
         Upload-Offset: 0\r\nContent-Length: {len}\r\n\r\n",
        h.token
    )
    .unwrap();
    tcp.write_all(&bytes[..half]).unwrap();
    tcp.flush().unwrap();
    std::thread::sleep(Duration::from_millis(200));
    tcp.shutdown(std::net::Shutdown::Both).unwrap();
    drop(tcp);

    // The server kept what arrived.
    let deadline = Instant::now() + Duration::from_secs(10);
    while h.head_offset(&url) != half as u64 {
        assert!(
            Instant::now() < deadline,
            "offset stuck at {}",
            h.head_offset(&url)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(h.blob(&sha).received_at.is_none());

    // The client resumes from there and sends only the rest.
    let (r, urls) = upload(&h.client(), &path, &sha, Some(&url));
    let outcome = r.unwrap();
    assert!(outcome.resumed);
    assert!(urls.is_empty(), "no new upload created");
    assert_eq!(outcome.url, url);
    assert_eq!(outcome.bytes_sent, (len - half) as u64);
    h.assert_stored(&sha, len as u64);
}

#[test]
fn stalled_connection_does_not_block_resume() {
    let h = Harness::start();
    let len = 200_000usize;
    let (path, sha) = h.evidence(len, 1);
    let bytes = std::fs::read(&path).unwrap();
    let url = h.create(len as u64, &sha);

    // Half the file, then silence on a connection that stays open.
    let addr = h.base_url.trim_start_matches("http://").to_string();
    let path_part = url.trim_start_matches(&h.base_url).to_string();
    let mut tcp = TcpStream::connect(&addr).unwrap();
    write!(
        tcp,
        "PATCH {path_part} HTTP/1.1\r\nHost: {addr}\r\nTus-Resumable: 1.0.0\r\n\
         Authorization: Bearer {}\r\nContent-Type: application/offset+octet-stream\r\n\
         Upload-Offset: 0\r\nContent-Length: {len}\r\n\r\n",
        h.token
    )
    .unwrap();
    tcp.write_all(&bytes[..len / 2]).unwrap();
    tcp.flush().unwrap();
    std::thread::sleep(Duration::from_millis(300));

    // A new attempt takes over at once; the old request keeps what it wrote.
    let started = Instant::now();
    let (r, _) = upload(&h.client(), &path, &sha, Some(&url));
    let outcome = r.unwrap();
    assert!(started.elapsed() < Duration::from_secs(20));
    assert!(outcome.resumed);
    assert!(
        outcome.bytes_sent < len as u64,
        "what the stalled request wrote was kept: {}",
        outcome.bytes_sent
    );
    h.assert_stored(&sha, len as u64);

    // The old connection got an answer (not a hang).
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut answer = [0u8; 12];
    tcp.read_exact(&mut answer).unwrap();
    assert!(answer.starts_with(b"HTTP/1.1 "), "{answer:?}");
}

#[test]
fn bytes_not_matching_the_declared_hash_are_discarded() {
    let h = Harness::start();
    let len = 100_000usize;
    let (path, sha) = h.evidence(len, 1);

    // Raw: the last PATCH answers 460 with the Chinese message.
    let url = h.create(len as u64, &sha);
    let wrong = vec![7u8; len];
    let resp = h.patch(&url, 0, &wrong).send().unwrap();
    let (status, code, message) = error_code(resp);
    assert_eq!((status, code.as_str()), (460, "blob_hash_mismatch"));
    assert_eq!(message, HASH_MISMATCH_MESSAGE);
    assert_eq!(h.tus(Method::HEAD, &url).send().unwrap().status(), 404);

    // The client: the local file was altered after it was hashed.
    std::fs::write(&path, &wrong).unwrap();
    let (r, _) = upload(&h.client(), &path, &sha, None);
    match r {
        Err(UploadError::HashMismatch { sha256 }) => assert_eq!(sha256, sha),
        other => panic!("expected HashMismatch, got {other:?}"),
    }

    // Not received, no blob, nothing left behind; the server still asks for it.
    assert!(h.blob(&sha).received_at.is_none());
    assert!(!h.rt.block_on(h.state.blobs.contains(&sha)).unwrap());
    assert!(h.part_files().is_empty());
    assert_eq!(h.missing(), vec![sha]);
}

#[test]
fn a_blob_the_server_holds_is_not_sent_again() {
    let h = Harness::start();
    let len = 150_000usize;
    let (path, sha) = h.evidence(len, 1);
    let (r, _) = upload(&h.client(), &path, &sha, None);
    assert_eq!(r.unwrap().bytes_sent, len as u64);

    // Again (another device of the officer, or a lost upload state): no bytes.
    let (r, urls) = upload(&h.client(), &path, &sha, None);
    let outcome = r.unwrap();
    assert!(outcome.already_present);
    assert_eq!(outcome.bytes_sent, 0);
    assert_eq!(urls.len(), 1);
    assert!(h.part_files().is_empty(), "no part file was ever created");

    // A standard client that ignores the offset in the creation answer: HEAD says
    // complete, and a PATCH at 0 is answered with the full offset without storing.
    let url = h.create(len as u64, &sha);
    assert_eq!(h.head_offset(&url), len as u64);
    let resp = h.patch(&url, 0, &[0u8; 10]).send().unwrap();
    assert_eq!(resp.status(), 204);
    assert_eq!(
        header(&resp, "upload-offset").as_deref(),
        Some(len.to_string().as_str())
    );
    assert!(h.part_files().is_empty());
    h.assert_stored(&sha, len as u64);
}

#[test]
fn late_arrivals_are_flagged() {
    let h = Harness::start();
    let (path, sha) = h.evidence(5000, 30);
    let (r, _) = upload(&h.client(), &path, &sha, None);
    r.unwrap();
    let blob = h.blob(&sha);
    assert_eq!(blob.received_at, Some(now()));
    assert!(is_late(&blob, now()), "received 30 h after capture");

    let (_, pending) = h.evidence(5000, 25);
    assert!(
        is_late(&h.blob(&pending), now()),
        "still missing after 25 h"
    );
}

#[test]
fn refused_tokens() {
    let h = Harness::start();
    let (path, sha) = h.evidence(5000, 1);

    let bad = TusClient::new(&h.base_url, &new_token());
    let (r, _) = upload(&bad, &path, &sha, None);
    match r {
        Err(UploadError::Unauthorized { code, .. }) => assert_eq!(code, "token_invalid"),
        other => panic!("expected Unauthorized, got {other:?}"),
    }

    // Revoked half-way: resuming is refused too.
    let url = h.create(5000, &sha);
    h.rt.block_on(h.state.storage.revoke_device("d1", now()))
        .unwrap();
    let (r, _) = upload(&h.client(), &path, &sha, Some(&url));
    match r {
        Err(UploadError::Unauthorized { code, .. }) => assert_eq!(code, "token_revoked"),
        other => panic!("expected Unauthorized, got {other:?}"),
    }
    assert!(h.blob(&sha).received_at.is_none());
}
