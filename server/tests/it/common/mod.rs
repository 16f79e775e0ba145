//! Helpers shared by the server's integration tests: a real `liuhen-server` process
//! on loopback with a temporary data directory, plus small HTTP helpers.
//!
//! ```ignore
//! mod common;
//! let server = common::TestServer::start(true); // --demo
//! let token = server.login("admin", common::DEMO_PASSWORD);
//! let device = server.enroll_password("qy-zf-001", common::DEMO_PASSWORD);
//! ```
#![allow(dead_code)]

pub mod browser;
pub mod legal;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ed25519_dalek::SigningKey;
use rand::RngCore;
use reqwest::blocking::{Client, RequestBuilder, Response};
use serde_json::{Value, json};

/// Password of every demo account.
pub const DEMO_PASSWORD: &str = "demo-password";

/// How long a server may take to print its listening address.
const START_TIMEOUT: Duration = Duration::from_secs(120);

/// A running `liuhen-server serve` process; killed when dropped.
pub struct TestServer {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// The data directory (kept across [`TestServer::restart`]).
    pub data_dir: PathBuf,
    /// The process.
    pub child: Child,
    /// Extra arguments given to `serve` (e.g. `--demo`).
    args: Vec<String>,
    /// `RUST_LOG` of the process.
    rust_log: String,
    /// Everything the process printed (stderr and stdout), line by line.
    logs: Arc<Mutex<Vec<String>>>,
    /// Owns the temporary directory when the server made it.
    _tmp: Option<tempfile::TempDir>,
}

/// A device enrolled in a test: its token and the keys it registered.
pub struct TestDevice {
    /// Device id.
    pub device_id: String,
    /// Device token.
    pub token: String,
    /// ed25519 key whose public half was registered.
    pub signing_key: SigningKey,
    /// automerge actor id (hex) registered.
    pub actor_id: String,
    /// The `user` object of the enroll answer.
    pub user: Value,
}

/// A blocking HTTP client with a sane timeout.
pub fn client() -> Client {
    Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .expect("http client")
}

/// A blocking HTTP client whose connections come from the loopback address `ip`
/// (e.g. `127.0.0.2`: Linux routes all of 127.0.0.0/8 to `lo`), so that a test
/// can play several client addresses against one server.
pub fn client_from(ip: &str) -> Client {
    let ip: std::net::IpAddr = ip.parse().expect("loopback address");
    Client::builder()
        .local_address(ip)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(120))
        .build()
        .expect("http client")
}

/// Sends `n` requests at once (threads released together by a barrier), each
/// built by `request` from a clone of `client`; returns each response's status,
/// `Retry-After` seconds and body text, in no particular order.
pub fn send_at_once(
    n: usize,
    client: &Client,
    request: impl Fn(&Client) -> RequestBuilder + Sync,
) -> Vec<(u16, Option<u64>, String)> {
    let barrier = std::sync::Barrier::new(n);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..n)
            .map(|_| {
                let (c, barrier, request) = (client.clone(), &barrier, &request);
                scope.spawn(move || {
                    let rq = request(&c);
                    barrier.wait();
                    let r = rq.send().expect("request");
                    let status = r.status().as_u16();
                    let retry = r
                        .headers()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.parse().ok());
                    (status, retry, r.text().unwrap_or_default())
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("request thread"))
            .collect()
    })
}

/// How many of `results` have `status`.
pub fn count_status(results: &[(u16, Option<u64>, String)], status: u16) -> usize {
    results.iter().filter(|(s, _, _)| *s == status).count()
}

/// Random bytes as lower-case hex.
pub fn random_hex(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

/// A fresh device identity as a phone makes it (`liuhen_core::api`): (device id, a
/// UUIDv7; signing key; actor id hex, 16 random bytes).
pub fn new_identity() -> (String, SigningKey, String) {
    let mut seed = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut seed);
    (
        uuid::Uuid::now_v7().to_string(),
        SigningKey::from_bytes(&seed),
        random_hex(16),
    )
}

/// Reads lines from a pipe into `logs`; reports the listening URL on `tx`.
fn pump(pipe: impl Read + Send + 'static, logs: Arc<Mutex<Vec<String>>>, tx: mpsc::Sender<String>) {
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            if let Some(i) = line.find("listening on http://") {
                let rest = &line[i + "listening on ".len()..];
                let url: String = rest
                    .chars()
                    .take_while(|c| !c.is_whitespace() && *c != '"')
                    .collect();
                let _ = tx.send(url);
            }
            logs.lock().unwrap_or_else(|p| p.into_inner()).push(line);
        }
    });
}

impl TestServer {
    /// Starts a server on a random loopback port with a new temporary data
    /// directory; `demo` adds `--demo`.
    pub fn start(demo: bool) -> TestServer {
        let tmp = tempfile::tempdir().expect("tempdir");
        let args: &[&str] = if demo {
            &["--demo", "--demo-without-inspections"]
        } else {
            &[]
        };
        let mut s = Self::start_in(tmp.path(), args)
            .unwrap_or_else(|logs| panic!("server did not start:\n{}", logs.join("\n")));
        s._tmp = Some(tmp);
        s
    }

    /// Starts a server on an existing data directory with extra `serve` arguments;
    /// on failure returns everything it printed.
    pub fn start_in(data_dir: &Path, args: &[&str]) -> Result<TestServer, Vec<String>> {
        Self::start_in_with_log(data_dir, args, "info")
    }

    /// [`TestServer::start_in`] with a given `RUST_LOG` (e.g. `info,tower_http=debug`
    /// to see "started processing request" lines).
    pub fn start_in_with_log(
        data_dir: &Path,
        args: &[&str],
        rust_log: &str,
    ) -> Result<TestServer, Vec<String>> {
        let logs = Arc::new(Mutex::new(Vec::new()));
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let (child, base_url) = spawn(data_dir, &args, rust_log, &logs)?;
        Ok(TestServer {
            base_url,
            data_dir: data_dir.to_path_buf(),
            child,
            args,
            rust_log: rust_log.to_string(),
            logs,
            _tmp: None,
        })
    }

    /// Stops the server gracefully and starts it again on the same data directory
    /// (with a new port: `base_url` changes).
    pub fn restart(&mut self) {
        let status = match self.child.try_wait() {
            Ok(Some(status)) => status,
            _ => self.stop(),
        };
        assert!(status.success(), "server exited with {status}");
        let (child, base_url) = spawn(&self.data_dir, &self.args, &self.rust_log, &self.logs)
            .unwrap_or_else(|logs| panic!("server did not restart:\n{}", logs.join("\n")));
        self.child = child;
        self.base_url = base_url;
    }

    /// Sends SIGTERM and waits for the exit (panics after 30 s).
    pub fn stop(&mut self) -> ExitStatus {
        self.sigterm();
        self.wait_exit(Duration::from_secs(30))
            .expect("server did not exit within 30 s of SIGTERM")
    }

    /// Sends SIGTERM without waiting.
    pub fn sigterm(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM failed");
    }

    /// Waits for the process to exit, at most `timeout`.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// Everything the process printed so far (all runs).
    pub fn logs(&self) -> Vec<String> {
        self.logs.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Waits until a log line containing `needle` appears after the first `skip`
    /// lines; false after `timeout`.
    pub fn wait_for_log(&self, needle: &str, skip: usize, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if self.logs().iter().skip(skip).any(|l| l.contains(needle)) {
                return true;
            }
            if Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `host:port` of the server.
    pub fn addr(&self) -> String {
        self.base_url.trim_start_matches("http://").to_string()
    }

    /// Full URL of a path.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// A GET request.
    pub fn get(&self, path: &str) -> RequestBuilder {
        client().get(self.url(path))
    }

    /// A POST request with a JSON body.
    pub fn post_json(&self, path: &str, body: &Value) -> RequestBuilder {
        client().post(self.url(path)).json(body)
    }

    /// The last enrollment code `--demo` printed.
    pub fn demo_enrollment_code(&self) -> String {
        let logs = self.logs();
        let line = logs
            .iter()
            .rev()
            .find(|l| l.contains("one-time enrollment code"))
            .expect("no demo enrollment code in the logs");
        let after = line.split("code for officer ").nth(1).expect("code line");
        after
            .split(": ")
            .nth(1)
            .and_then(|s| s.split_whitespace().next())
            .expect("code")
            .to_string()
    }

    /// Opens an API session; panics unless it succeeds.
    pub fn login(&self, login: &str, password: &str) -> String {
        let resp = self
            .post_json(
                "/api/v1/login",
                &json!({"login": login, "password": password}),
            )
            .send()
            .expect("login request");
        let (status, body) = status_json(resp);
        assert_eq!(status, 200, "login {login}: {body}");
        body["token"].as_str().expect("token").to_string()
    }

    /// Enrolls a new device with a login and password; panics unless it succeeds.
    pub fn enroll_password(&self, login: &str, password: &str) -> TestDevice {
        self.enroll(json!({"login": login, "password": password}))
    }

    /// Enrolls a new device with a one-time code; panics unless it succeeds.
    pub fn enroll_code(&self, code: &str) -> TestDevice {
        self.enroll(json!({"code": code}))
    }

    fn enroll(&self, mut credentials: Value) -> TestDevice {
        let (device_id, signing_key, actor_id) = new_identity();
        credentials["device_id"] = json!(device_id);
        credentials["public_key"] = json!(hex::encode(signing_key.verifying_key().as_bytes()));
        credentials["actor_id"] = json!(actor_id);
        credentials["device_name"] = json!("测试手机");
        let resp = self
            .post_json("/api/v1/enroll", &credentials)
            .send()
            .expect("enroll request");
        let (status, body) = status_json(resp);
        assert_eq!(status, 200, "enroll: {body}");
        TestDevice {
            device_id,
            token: body["token"].as_str().expect("token").to_string(),
            signing_key,
            actor_id,
            user: body["user"].clone(),
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Spawns `liuhen-server serve` and waits for its listening line.
fn spawn(
    data_dir: &Path,
    args: &[String],
    rust_log: &str,
    logs: &Arc<Mutex<Vec<String>>>,
) -> Result<(Child, String), Vec<String>> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_liuhen-server"))
        .arg("serve")
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .args(args)
        .env("RUST_LOG", rust_log)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn liuhen-server");
    let (tx, rx) = mpsc::channel();
    if let Some(out) = child.stdout.take() {
        pump(out, logs.clone(), tx.clone());
    }
    if let Some(err) = child.stderr.take() {
        pump(err, logs.clone(), tx);
    }
    // Both pumps end (disconnecting the channel) when the process exits early.
    match rx.recv_timeout(START_TIMEOUT) {
        Ok(url) => Ok((child, url)),
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            // Give the pumps a moment to drain what is left.
            std::thread::sleep(Duration::from_millis(100));
            Err(logs.lock().unwrap_or_else(|p| p.into_inner()).clone())
        }
    }
}

/// Status and JSON body (Null if the body is not JSON).
pub fn status_json(resp: Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    let text = resp.text().unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Sends raw bytes to `addr` and reads until the server closes or 10 s pass.
pub fn raw_http(addr: &str, request: &[u8]) -> String {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    s.write_all(request).expect("write");
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// Runs `liuhen-server` with arguments and optional stdin; returns (success, stdout, stderr).
pub fn run_cli(args: &[&str], stdin: Option<&str>) -> (bool, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_liuhen-server"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn liuhen-server");
    if let (Some(mut input), Some(text)) = (child.stdin.take(), stdin) {
        input.write_all(text.as_bytes()).expect("write stdin");
    }
    let out = child.wait_with_output().expect("wait");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
