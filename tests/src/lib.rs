//! Helpers for the end-to-end tests: start a real `liuhen-server` process on a
//! loopback port, and simulated devices that are real `liuhen_core::Core` stores.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use liuhen_core::Core;
use liuhen_core::sync::http::{Credentials, HttpTransport, client_for, enroll};
use liuhen_core::sync::{SyncClient, SyncReport};

/// Password of every demo account.
pub const DEMO_PASSWORD: &str = "demo-password";

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

    /// Starts a server on `data_dir` (demo data loaded idempotently), on `listen` if
    /// given (to restart on the same port), else a random port.
    pub fn start_in(data_dir: &Path, listen: &[&str]) -> TestServer {
        let addr = listen.first().copied().unwrap_or("127.0.0.1:0");
        let mut child = Command::new(server_binary())
            .args(["serve", "--listen", addr, "--demo", "--data-dir"])
            .arg(data_dir)
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start liuhen-server");
        let (tx, rx) = mpsc::channel();
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
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
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
        let base_url = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("server printed its address");
        TestServer {
            base_url,
            data_dir: data_dir.to_path_buf(),
            child,
            _dir: None,
        }
    }

    /// Kills the process with SIGKILL (no graceful shutdown).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Kills the server and starts it again on the same port and data.
    pub fn restart_after_kill(mut self) -> TestServer {
        self.kill();
        let listen = self.base_url.trim_start_matches("http://").to_string();
        let dir = self._dir.take();
        let mut s = Self::start_in(&self.data_dir.clone(), &[&listen]);
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
        client_for(&self.core).expect("settings").expect("enrolled")
    }

    /// Runs one sync.
    pub fn sync(&mut self) -> SyncReport {
        let client = self.client();
        client.run(&mut self.core).expect("sync")
    }
}
