//! Helpers for the end-to-end tests: start a real `liuhen-server` process on a
//! loopback port, and simulated devices that are real `liuhen_core::Core` stores.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use liuhen_core::Core;
use liuhen_core::sync::http::{Credentials, HttpTransport, client_for, enroll};
use liuhen_core::sync::{SyncClient, SyncReport};

pub mod deployment;
pub mod proxy;
pub mod wire;

/// Password of every demo account.
pub const DEMO_PASSWORD: &str = "demo-password";

/// The upload lease of every test server (`serve --upload-lease-secs`): how long an
/// upload a killed server was writing stays blocked (production default: 20 s).
pub const TEST_UPLOAD_LEASE_SECS: &str = "4";

/// The first wait between an upload's retries on a test device (doubling, four
/// waits before the run gives the upload up): 0.05 s instead of the phone's 0.4 s,
/// on loopback (issue 17).
pub const TEST_UPLOAD_RETRY_BASE: Duration = Duration::from_millis(50);

/// Path of the server binary built by this workspace (same profile as the tests).
pub fn server_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    // target/<profile>/deps/<test> → target/<profile>/liuhen-server
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target profile directory");
    let bin = dir.join("liuhen-server");
    assert!(
        bin.is_file(),
        "{} is missing: build it with `cargo build -p liuhen-server` (cargo test --workspace does)",
        bin.display()
    );
    bin
}

/// A server process on a random loopback port, killed on drop.
pub struct TestServer {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// Its data directory.
    pub data_dir: PathBuf,
    child: Child,
    _dir: Option<tempfile::TempDir>,
    /// Every line the process printed (stdout and stderr), in arrival order.
    log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl TestServer {
    /// Starts a server with the demo agency in a new temporary data directory.
    pub fn start_demo() -> TestServer {
        let dir = tempfile::tempdir().expect("tempdir");
        let data_dir = dir.path().to_path_buf();
        let mut s = Self::start_in(&data_dir, &[]);
        s._dir = Some(dir);
        s
    }

    /// Starts a server on `data_dir` (demo agency and accounts loaded idempotently,
    /// no sample inspections), on `listen` if given (to restart on the same port),
    /// else a random port.
    pub fn start_in(data_dir: &Path, listen: &[&str]) -> TestServer {
        let addr = listen.first().copied().unwrap_or("127.0.0.1:0");
        Self::spawn(data_dir, addr, &["--demo", "--demo-without-inspections"])
    }

    /// [`TestServer::start_demo`] with extra environment variables (e.g. `FAILPOINTS`).
    pub fn start_demo_with_env(env: &[(&str, &str)]) -> TestServer {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut s = Self::start_in_with_env(dir.path(), &[], env);
        s._dir = Some(dir);
        s
    }

    /// Starts a server with the demo agency (no sample inspections) in a new
    /// temporary data directory, with extra `serve` arguments (e.g. `--database URL`).
    pub fn start_demo_with(args: &[&str]) -> TestServer {
        let dir = tempfile::tempdir().expect("tempdir");
        let data_dir = dir.path().to_path_buf();
        let mut all = vec!["--demo", "--demo-without-inspections"];
        all.extend_from_slice(args);
        let mut s = Self::spawn(&data_dir, "127.0.0.1:0", &all);
        s._dir = Some(dir);
        s
    }

    /// [`TestServer::start_in`] with extra environment variables (e.g. `FAILPOINTS`
    /// to crash the process at a write boundary).
    pub fn start_in_with_env(data_dir: &Path, listen: &[&str], env: &[(&str, &str)]) -> TestServer {
        let addr = listen.first().copied().unwrap_or("127.0.0.1:0");
        Self::spawn_env(
            data_dir,
            addr,
            &["--demo", "--demo-without-inspections"],
            env,
        )
    }

    /// Runs `liuhen-server serve --listen ADDR ARGS --data-dir DIR` with extra
    /// environment variables and waits until it prints its address (the deployment
    /// tests pass `--database`, `--blobs`, `--trusted-proxy`).
    pub fn start_with(
        data_dir: &Path,
        listen: &str,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> TestServer {
        Self::spawn_env(data_dir, listen, args, env)
    }

    /// Whether the process has ended (e.g. aborted at a crash point).
    pub fn has_exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)) | Err(_))
    }

    /// Runs `liuhen-server serve --listen ADDR ARGS --data-dir DIR` and waits until it
    /// prints its address.
    fn spawn(data_dir: &Path, addr: &str, args: &[&str]) -> TestServer {
        Self::spawn_env(data_dir, addr, args, &[])
    }

    fn spawn_env(data_dir: &Path, addr: &str, args: &[&str], env: &[(&str, &str)]) -> TestServer {
        let mut child = Command::new(server_binary())
            .args(["serve", "--listen", addr])
            // An upload held by a killed server unblocks after 4 s instead of the
            // production default of 20 (the kill tests wait for it; issue 17).
            .args(["--upload-lease-secs", TEST_UPLOAD_LEASE_SECS])
            .args(args)
            .arg("--data-dir")
            .arg(data_dir)
            .envs(env.iter().copied())
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start liuhen-server");
        let (tx, rx) = mpsc::channel();
        let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        for pipe in [
            child
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
            child
                .stderr
                .take()
                .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
        ]
        .into_iter()
        .flatten()
        {
            let tx = tx.clone();
            let log = log.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    if let Ok(mut l) = log.lock() {
                        l.push(line.clone());
                    }
                    if let Some(i) = line.find("listening on http://") {
                        let url: String = line[i + "listening on ".len()..]
                            .chars()
                            .take_while(|c| !c.is_whitespace() && *c != '"')
                            .collect();
                        let _ = tx.send(url);
                    }
                }
            });
        }
        // Only the readers hold senders now: a process that ends before printing
        // its address ends the wait at once, with what it printed.
        drop(tx);
        // Seeding the desk's sample inspections takes a few seconds in a debug build.
        let base_url = match rx.recv_timeout(Duration::from_secs(120)) {
            Ok(url) => url,
            Err(e) => {
                let status = match child.try_wait() {
                    Ok(Some(s)) => format!("it ended: {s}"),
                    _ => "it is still running".to_string(),
                };
                let _ = child.kill();
                let _ = child.wait();
                let printed = log.lock().map(|l| l.join("\n")).unwrap_or_default();
                panic!(
                    "liuhen-server serve --listen {addr} {args:?} did not print its address \
                     ({e}; {status}); it printed:\n{printed}"
                );
            }
        };
        TestServer {
            base_url,
            data_dir: data_dir.to_path_buf(),
            child,
            _dir: None,
            log,
        }
    }

    /// How many lines the process printed so far contain `pattern`.
    pub fn log_count(&self, pattern: &str) -> usize {
        self.log
            .lock()
            .map(|l| l.iter().filter(|line| line.contains(pattern)).count())
            .unwrap_or(0)
    }

    /// Starts a second server process on this one's data directory (the same
    /// database: several instances, issue 18), on a random port, with `env`.
    pub fn another_instance(&self, env: &[(&str, &str)]) -> TestServer {
        Self::spawn_env(
            &self.data_dir,
            "127.0.0.1:0",
            &["--demo", "--demo-without-inspections"],
            env,
        )
    }

    /// Waits up to `timeout` for the process to end by itself (e.g. at a crash
    /// point); true if it ended.
    pub fn wait_for_exit(&mut self, timeout: Duration) -> bool {
        let until = std::time::Instant::now() + timeout;
        while std::time::Instant::now() < until {
            if let Ok(Some(_)) = self.child.try_wait() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    /// Starts the server again on the same port and data, without extra environment
    /// (after it ended or was killed).
    pub fn restart(mut self) -> TestServer {
        self.kill();
        let listen = self.base_url.trim_start_matches("http://").to_string();
        let dir = self._dir.take();
        let mut s = Self::start_in(&self.data_dir.clone(), &[&listen]);
        s._dir = dir;
        s
    }

    /// Stops the process with SIGTERM (graceful shutdown) and waits for it to end.
    /// The server installs its handler before it prints its address, so it must end
    /// cleanly.
    pub fn terminate(&mut self) {
        let stopped = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .is_ok_and(|s| s.success());
        assert!(stopped, "kill -TERM {} failed", self.child.id());
        let status = self.child.wait().expect("wait for the server");
        assert!(
            status.success(),
            "the server did not stop cleanly: {status}"
        );
    }

    /// Kills the process with SIGKILL (no graceful shutdown).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Kills the server and starts it again on the same port and data.
    pub fn restart_after_kill(self) -> TestServer {
        self.restart_after_kill_with_env(&[])
    }

    /// [`TestServer::restart_after_kill`] with extra environment variables for the
    /// new process (e.g. the `FAILPOINTS` the killed one ran with).
    pub fn restart_after_kill_with_env(mut self, env: &[(&str, &str)]) -> TestServer {
        self.kill();
        let listen = self.base_url.trim_start_matches("http://").to_string();
        let dir = self._dir.take();
        let mut s = Self::start_in_with_env(&self.data_dir.clone(), &[&listen], env);
        s._dir = dir;
        s
    }

    /// Signs in a user with the demo password; returns the session token.
    pub fn login(&self, login: &str) -> String {
        let resp: serde_json::Value = reqwest::blocking::Client::new()
            .post(format!("{}/api/v1/login", self.base_url))
            .json(&serde_json::json!({ "login": login, "password": DEMO_PASSWORD }))
            .send()
            .expect("login request")
            .json()
            .expect("login answer");
        resp["token"].as_str().expect("session token").to_string()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A simulated phone: a real device store in a temporary directory.
pub struct Device {
    /// The core.
    pub core: Core,
    /// Officer id of the enrolled officer.
    pub officer_id: String,
    _dir: tempfile::TempDir,
}

impl Device {
    /// A new device enrolled as `officer_id` (demo password) with the server.
    pub fn enrolled(server: &TestServer, officer_id: &str) -> Device {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut core = Core::open(dir.path()).expect("device store");
        enroll(
            &mut core,
            &server.base_url,
            Credentials::Password {
                login: officer_id.to_string(),
                password: DEMO_PASSWORD.to_string(),
            },
            &format!("{officer_id} 的测试手机"),
        )
        .expect("enroll");
        Device {
            core,
            officer_id: officer_id.to_string(),
            _dir: dir,
        }
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        self._dir.path()
    }

    /// A sync client for the enrolled server.
    pub fn client(&self) -> SyncClient<HttpTransport> {
        let client = client_for(&self.core).expect("settings").expect("enrolled");
        SyncClient::new(
            client
                .into_transport()
                .with_upload_retry_base(TEST_UPLOAD_RETRY_BASE),
        )
    }

    /// Runs one sync.
    pub fn sync(&mut self) -> SyncReport {
        let client = self.client();
        client.run(&mut self.core).expect("sync")
    }
}

// ---- Helpers for the fault, bad-input and property tests ----------------------

/// Device settings key of the device token (`core/src/sync/http.rs`).
const DEVICE_TOKEN_KEY: &str = "device_token";

impl TestServer {
    /// Where the server keeps a verified blob.
    pub fn blob_path(&self, sha256: &str) -> PathBuf {
        self.data_dir
            .join("blobs")
            .join(&sha256[..2.min(sha256.len())])
            .join(sha256)
    }

    /// Whether the server holds the blob and its bytes hash to its name. Hashes a
    /// copy through a private [`liuhen_core::blobs::BlobStore`] (opening one on the
    /// server's own directory would empty the server's temporary area).
    pub fn blob_verified(&self, sha256: &str) -> bool {
        let path = self.blob_path(sha256);
        if !path.is_file() {
            return false;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let store = liuhen_core::blobs::BlobStore::open(dir.path()).expect("blob store");
        store
            .put_file(&path)
            .map(|b| b.sha256 == sha256)
            .unwrap_or(false)
    }

    /// `GET /healthz` answers 200.
    pub fn is_healthy(&self) -> bool {
        reqwest::blocking::Client::new()
            .get(format!("{}/healthz", self.base_url))
            .timeout(Duration::from_secs(10))
            .send()
            .is_ok_and(|r| r.status().is_success())
    }

    /// Ids of every inspection of the demo agency on the server, through the
    /// supervisor API (`GET /api/v1/inspections`, paged by 200).
    pub fn supervisor_inspection_ids(&self, session: &str) -> Vec<String> {
        supervisor_inspection_ids_at(&self.base_url, session)
    }

    /// The server's copy of an inspection (supervisor API), or `None` if it has none.
    pub fn supervisor_inspection(
        &self,
        session: &str,
        id: &str,
    ) -> Option<liuhen_core::inspection::Inspection> {
        supervisor_inspection_at(&self.base_url, session, id)
    }
}

/// What the end-to-end scenarios need of "the server": one process
/// ([`TestServer`]) or two behind nginx ([`deployment::Deployment`]).
pub trait Served {
    /// The address devices use.
    fn base_url(&self) -> &str;
    /// Signs in with the demo password; returns the session token.
    fn login(&self, login: &str) -> String;
    /// The server's copy of an inspection (supervisor API).
    fn supervisor_inspection(
        &self,
        session: &str,
        id: &str,
    ) -> Option<liuhen_core::inspection::Inspection>;
    /// Whether evidence `sha` of inspection `id` was received whole (its bytes hash
    /// to `sha`).
    fn evidence_verified(&self, session: &str, id: &str, sha: &str) -> bool;
}

impl Served for TestServer {
    fn base_url(&self) -> &str {
        &self.base_url
    }
    fn login(&self, login: &str) -> String {
        TestServer::login(self, login)
    }
    fn supervisor_inspection(
        &self,
        session: &str,
        id: &str,
    ) -> Option<liuhen_core::inspection::Inspection> {
        TestServer::supervisor_inspection(self, session, id)
    }
    fn evidence_verified(&self, _session: &str, _id: &str, sha: &str) -> bool {
        self.blob_verified(sha)
    }
}

impl Served for deployment::Deployment {
    fn base_url(&self) -> &str {
        &self.base_url
    }
    fn login(&self, login: &str) -> String {
        deployment::Deployment::login(self, login)
    }
    fn supervisor_inspection(
        &self,
        session: &str,
        id: &str,
    ) -> Option<liuhen_core::inspection::Inspection> {
        deployment::Deployment::supervisor_inspection(self, session, id)
    }
    fn evidence_verified(&self, session: &str, id: &str, sha: &str) -> bool {
        deployment::Deployment::evidence_verified(self, session, id, sha)
    }
}

/// Ids of every inspection of the demo agency at `base_url` (a server or the
/// deployment's nginx), through the supervisor API (`GET /api/v1/inspections`,
/// paged by 200).
pub fn supervisor_inspection_ids_at(base_url: &str, session: &str) -> Vec<String> {
    let client = reqwest::blocking::Client::new();
    let mut ids = Vec::new();
    loop {
        let page: Vec<serde_json::Value> = client
            .get(format!(
                "{base_url}/api/v1/inspections?limit=200&offset={}",
                ids.len()
            ))
            .bearer_auth(session)
            .send()
            .expect("list inspections")
            .json()
            .expect("inspection list");
        let n = page.len();
        ids.extend(
            page.iter()
                .filter_map(|r| r["id"].as_str().map(str::to_string)),
        );
        if n < 200 {
            return ids;
        }
    }
}

/// The copy of an inspection at `base_url` (supervisor API), or `None` if it has none.
pub fn supervisor_inspection_at(
    base_url: &str,
    session: &str,
    id: &str,
) -> Option<liuhen_core::inspection::Inspection> {
    let resp = reqwest::blocking::Client::new()
        .get(format!("{base_url}/api/v1/inspections/{id}"))
        .bearer_auth(session)
        .send()
        .expect("get inspection");
    if resp.status() == 404 {
        return None;
    }
    assert!(resp.status().is_success(), "{}", resp.status());
    let mut v: serde_json::Value = resp.json().expect("inspection json");
    Some(serde_json::from_value(v["inspection"].take()).expect("inspection"))
}

/// SHA-256 of `bytes` in hex, through a private [`liuhen_core::blobs::BlobStore`].
pub fn sha256_of(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("bytes");
    std::fs::write(&file, bytes).expect("write bytes");
    let store = liuhen_core::blobs::BlobStore::open(dir.path().join("store")).expect("blob store");
    store.put_file(&file).expect("hash bytes").sha256
}

/// Evidence metadata for a photo capture of the findings step.
pub fn photo_input(media_type: &str) -> liuhen_core::api::CaptureInput {
    liuhen_core::api::CaptureInput {
        kind: liuhen_core::inspection::EvidenceKind::Photo,
        media_type: media_type.to_string(),
        step: liuhen_core::inspection::InspectionStep::Findings,
        location: None,
    }
}

/// A real PNG of `width` x `height` RGB noise from `seed` (deflate "stored" blocks,
/// so its size is about 3 x width x height bytes and it does not compress).
pub fn png_bytes(width: u32, height: u32, seed: u64) -> Vec<u8> {
    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xffff_ffffu32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 != 0 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut c = kind.to_vec();
        c.extend_from_slice(data);
        out.extend_from_slice(&c);
        out.extend_from_slice(&crc32(&c).to_be_bytes());
    }
    let mut rng = proxy::SplitMix64::new(seed ^ 0x5eed);
    let mut raw = Vec::with_capacity((height * (1 + 3 * width)) as usize);
    for _ in 0..height {
        // Filter type of the row: none.
        raw.extend_from_slice(&[0]);
        for _ in 0..width {
            let px = rng.next_u64().to_le_bytes();
            raw.extend_from_slice(&px[..3]);
        }
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &d in &raw {
        a = (a + u32::from(d)) % 65521;
        b = (b + a) % 65521;
    }
    let mut z = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = raw.chunks(65535).collect();
    for (i, block) in blocks.iter().enumerate() {
        z.push(u8::from(i + 1 == blocks.len()));
        let len = block.len() as u16;
        z.extend_from_slice(&len.to_le_bytes());
        z.extend_from_slice(&(!len).to_le_bytes());
        z.extend_from_slice(block);
    }
    z.extend_from_slice(&((b << 16) | a).to_be_bytes());
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = vec![];
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &z);
    chunk(&mut out, b"IEND", &[]);
    out
}

impl Device {
    /// A new device enrolled as `officer_id` (demo password) with the server at
    /// `base_url` (e.g. a [`proxy::FaultProxy`] in front of a [`TestServer`]).
    pub fn enrolled_at(base_url: &str, officer_id: &str) -> Device {
        Self::enrolled_at_with_clock(
            base_url,
            officer_id,
            std::sync::Arc::new(liuhen_core::time::SystemClock),
        )
    }

    /// As [`Device::enrolled_at`], with the device's clock.
    pub fn enrolled_at_with_clock(
        base_url: &str,
        officer_id: &str,
        clock: std::sync::Arc<dyn liuhen_core::time::Clock>,
    ) -> Device {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut core = Core::open_with_clock(dir.path(), clock).expect("device store");
        enroll(
            &mut core,
            base_url,
            Credentials::Password {
                login: officer_id.to_string(),
                password: DEMO_PASSWORD.to_string(),
            },
            &format!("{officer_id} 的测试手机"),
        )
        .expect("enroll");
        Device {
            core,
            officer_id: officer_id.to_string(),
            _dir: dir,
        }
    }

    /// The device token the server issued at enrollment.
    pub fn token(&self) -> String {
        let v = self
            .core
            .store()
            .device_value(DEVICE_TOKEN_KEY)
            .expect("settings")
            .expect("enrolled");
        String::from_utf8(v).expect("token text")
    }

    /// One sync run, returning its error instead of panicking.
    pub fn try_sync(&mut self) -> Result<SyncReport, liuhen_core::sync::SyncError> {
        let client = self.client();
        client.run(&mut self.core)
    }

    /// Syncs until a run succeeds, at most `attempts` runs; retryable failures
    /// (a dropped or cut connection, a server that is down) are expected and
    /// retried, anything else panics. Returns the successful report and the
    /// number of failed runs.
    pub fn sync_retrying(&mut self, attempts: u32) -> (SyncReport, u32) {
        let mut failed = 0;
        loop {
            match self.try_sync() {
                Ok(r) => return (r, failed),
                Err(e) if e.is_retryable() && failed + 1 < attempts => failed += 1,
                Err(e) => panic!("sync failed after {failed} retries: {e}"),
            }
        }
    }

    /// Writes `bytes` to a file in the device directory and captures it as a photo
    /// of inspection `id` by the device's officer; returns its SHA-256.
    pub fn capture_photo(&mut self, id: &str, bytes: &[u8], media_type: &str) -> String {
        let name = format!(
            "capture-{}.{}",
            self.core.now().timestamp_nanos_opt().unwrap_or_default(),
            if media_type == "image/jpeg" {
                "jpg"
            } else {
                "png"
            }
        );
        let path = self.dir().join(name);
        std::fs::write(&path, bytes).expect("write photo");
        let officer = self.officer_id.clone();
        let shot = self
            .core
            .capture_evidence(id, &path, photo_input(media_type), &officer)
            .expect("capture photo");
        let _ = std::fs::remove_file(&path);
        shot.reference.sha256
    }

    /// Records not synced yet (pending, syncing or needing attention).
    pub fn unsynced(&self) -> Vec<liuhen_core::store::DocumentSummary> {
        self.core.list_inspections(true).expect("list inspections")
    }
}

// ---- A second agency ---------------------------------------------------------------

/// Agency id of [`second_agency`].
pub const SECOND_AGENCY: &str = "sg-sthj";

/// Officer login (and officer id) of [`second_agency`].
pub const SECOND_OFFICER: &str = "sg-zf-001";

/// Supervisor login of [`second_agency`].
pub const SECOND_SUPERVISOR: &str = "sg-supervisor";

/// Writes a second agency (韶关, [`SECOND_AGENCY`]) next to the demo agency with the
/// admin commands, before the server starts: the demo roster renamed, an officer
/// account ([`SECOND_OFFICER`]) and a supervisor ([`SECOND_SUPERVISOR`]), all with
/// the demo password.
pub fn second_agency(data_dir: &Path) {
    let roster = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../core/tests/data/demo-roster.json"),
    )
    .expect("demo roster")
    .replace("qy-", "sg-")
    .replace("QY-", "SG-")
    .replace("QYHJ", "SGHJ")
    .replace("清远", "韶关")
    .replace("清城", "浈江")
    .replace("441800", "440200")
    // Targets in the agency's own area, so its officers' certificates cover them.
    .replace("\"area\": \"4418", "\"area\": \"4402");
    let file = data_dir.join("sg-roster.json");
    std::fs::create_dir_all(data_dir).expect("data dir");
    std::fs::write(&file, roster).expect("write roster");
    let out = Command::new(server_binary())
        .args(["admin", "load-roster", "--data-dir"])
        .arg(data_dir)
        .arg(&file)
        .output()
        .expect("run load-roster");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (login, name, role, officer) in [
        (
            SECOND_OFFICER,
            "韶关执法员",
            "officer",
            Some(SECOND_OFFICER),
        ),
        (SECOND_SUPERVISOR, "韶关督查员", "supervisor", None),
    ] {
        let mut cmd = Command::new(server_binary());
        cmd.args([
            "admin",
            "create-user",
            "--agency",
            SECOND_AGENCY,
            "--login",
            login,
            "--name",
            name,
            "--role",
            role,
        ]);
        if let Some(o) = officer {
            cmd.args(["--officer-id", o]);
        }
        let mut child = cmd
            .arg("--password-stdin")
            .arg("--data-dir")
            .arg(data_dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run create-user");
        if let Some(mut stdin) = child.stdin.take() {
            writeln!(stdin, "{DEMO_PASSWORD}").expect("password");
        }
        let out = child.wait_with_output().expect("create-user");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

// ---- Helpers for the desk's browser test ----------------------------------------

impl TestServer {
    /// Starts a server with the demo agency and the desk demo data (inspections in
    /// every review state, a second agency with `supervisor2`) in a new temporary
    /// data directory.
    ///
    /// The data directory is a copy of one seeded once per test process: seeding the
    /// desk demo costs ~2 CPU-s, starting `--demo` on a seeded copy ~0.05 (the demo
    /// load is idempotent), and five browser tests start one (issue 17).
    pub fn start_demo_desk() -> TestServer {
        let dir = tempfile::tempdir().expect("tempdir");
        copy_data_dir(desk_demo_template(), dir.path());
        let mut s = Self::spawn(dir.path(), "127.0.0.1:0", &["--demo"]);
        s._dir = Some(dir);
        s
    }
}

/// The desk demo's data directory, seeded by a server of its own the first time it
/// is asked for in this process, then left alone (the server is gone; the tests
/// start theirs on copies). It lives in the system temporary directory under the
/// process id; directories of processes that ended are removed here.
fn desk_demo_template() -> &'static Path {
    static TEMPLATE: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    TEMPLATE.get_or_init(|| {
        const PREFIX: &str = "liuhen-desk-demo-";
        let tmp = std::env::temp_dir();
        // (Where there is no /proc, nothing is removed.)
        let proc_fs = Path::new("/proc/self").exists();
        if let Some(entries) = std::fs::read_dir(&tmp).ok().filter(|_| proc_fs) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                let ended = name
                    .strip_prefix(PREFIX)
                    .and_then(|pid| pid.parse::<u32>().ok())
                    .is_some_and(|pid| !Path::new(&format!("/proc/{pid}")).exists());
                if ended {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
        let dir = tmp.join(format!("{PREFIX}{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("desk demo template directory");
        // The server prints its address after the demo is loaded and committed; it is
        // then stopped as an operator would (SIGTERM, graceful shutdown), so the files
        // are at rest when they are copied.
        let mut seeding = TestServer::spawn(&dir, "127.0.0.1:0", &["--demo"]);
        seeding.terminate();
        dir
    })
}

/// Copies a stopped server's data directory, without SQLite's shared-memory index
/// (`*-shm`, rebuilt from the WAL when the copy is opened).
fn copy_data_dir(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).expect("read data directory") {
        let e = e.expect("data directory entry");
        let target = to.join(e.file_name());
        if e.file_type().expect("file type").is_dir() {
            std::fs::create_dir_all(&target).expect("create directory");
            copy_data_dir(&e.path(), &target);
        } else if !e.file_name().to_string_lossy().ends_with("-shm") {
            std::fs::copy(e.path(), &target).expect("copy data file");
        }
    }
}

/// A real WAV recording (16-bit PCM mono, 8 kHz) of `seconds` of a tone at `hz`
/// with a syllable-like envelope.
pub fn wav_bytes(seconds: u32, hz: f64) -> Vec<u8> {
    const RATE: u32 = 8000;
    let mut data = Vec::new();
    for i in 0..RATE * seconds {
        let t = f64::from(i) / f64::from(RATE);
        let env = (t * 4.0 * std::f64::consts::PI).sin().abs();
        let v = env * (2.0 * std::f64::consts::PI * hz * t).sin();
        data.extend_from_slice(&((v * 12_000.0) as i16).to_le_bytes());
    }
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&RATE.to_le_bytes());
    out.extend_from_slice(&(RATE * 2).to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out.extend_from_slice(&data);
    out
}

impl Device {
    /// Writes `bytes` to a file in the device directory and captures it as evidence
    /// of `kind` (`media_type`) for `step` of inspection `id` by the device's
    /// officer; returns its SHA-256.
    pub fn capture_file(
        &mut self,
        id: &str,
        bytes: &[u8],
        kind: liuhen_core::inspection::EvidenceKind,
        media_type: &str,
        step: liuhen_core::inspection::InspectionStep,
    ) -> String {
        let path = self.dir().join(format!(
            "capture-{}.bin",
            self.core.now().timestamp_nanos_opt().unwrap_or_default()
        ));
        std::fs::write(&path, bytes).expect("write capture");
        let officer = self.officer_id.clone();
        let input = liuhen_core::api::CaptureInput {
            kind,
            media_type: media_type.to_string(),
            step,
            location: None,
        };
        let shot = self
            .core
            .capture_evidence(id, &path, input, &officer)
            .expect("capture evidence");
        let _ = std::fs::remove_file(&path);
        shot.reference.sha256
    }
}
