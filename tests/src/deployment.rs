//! A deployment at scale for the end-to-end tests (issue 18 item 4): two
//! `liuhen-server serve` processes on one database and one blob store, behind nginx
//! (`scripts/nginx.sh`), reached only through nginx's address.
//!
//! The stores are chosen by [`Backends`]: one shared SQLite data directory with local
//! blobs (what a single machine can do), or PostgreSQL (`--database`, a database of
//! its own per deployment on the cluster of `LIUHEN_TEST_POSTGRES`, started by
//! `scripts/postgres.sh`) and S3 (`--blobs`, a prefix of its own per deployment under
//! `LIUHEN_TEST_S3`, from `scripts/s3.sh`). A backend that is asked for and not
//! configured fails the test with a message naming the script; nothing is skipped.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::{DEMO_PASSWORD, TestServer};

/// Where the server keeps its records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    /// Both instances on one SQLite data directory (and its local blob directory).
    SharedSqlite,
    /// A new database on the PostgreSQL cluster at this superuser URL.
    Postgres {
        /// `postgres://user@host:port/db` of the cluster (`LIUHEN_TEST_POSTGRES`).
        admin_url: String,
    },
}

/// Where the server keeps evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Blobs {
    /// The data directory, shared by both instances.
    Local,
    /// A new prefix under this `s3://bucket/prefix` (`LIUHEN_TEST_S3`; the endpoint and
    /// keys come from the `AWS_*` variables that `scripts/s3.sh start` prints).
    S3 {
        /// `s3://bucket/prefix`.
        url: String,
    },
}

/// The stores of a deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backends {
    /// Records.
    pub database: Database,
    /// Evidence.
    pub blobs: Blobs,
}

/// The database used when `LIUHEN_DEPLOY_DATABASE` is unset: the deployment issue 18
/// asks for, several instances on one PostgreSQL (`sqlite` runs the same tests on
/// one shared SQLite file).
pub const DEFAULT_DATABASE: &str = "postgres";

/// The blob store used when `LIUHEN_DEPLOY_BLOBS` is unset: one S3 bucket (`local`:
/// the data directory the instances share).
pub const DEFAULT_BLOBS: &str = "s3";

fn required_env(name: &str, script: &str) -> String {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => v,
        _ => panic!(
            "{name} is not set: the deployment tests need it. Start the service with \
             `eval \"$(bash {script} start)\"` (scripts/test-all.sh does) and run the tests again"
        ),
    }
}

impl Backends {
    /// From `LIUHEN_DEPLOY_DATABASE` (`sqlite` | `postgres`) and `LIUHEN_DEPLOY_BLOBS`
    /// (`local` | `s3`), defaulting to [`DEFAULT_DATABASE`] and [`DEFAULT_BLOBS`].
    /// Panics with a clear message when a chosen service is not configured.
    pub fn from_env() -> Backends {
        let db = std::env::var("LIUHEN_DEPLOY_DATABASE")
            .unwrap_or_else(|_| DEFAULT_DATABASE.to_string());
        let blobs =
            std::env::var("LIUHEN_DEPLOY_BLOBS").unwrap_or_else(|_| DEFAULT_BLOBS.to_string());
        let database = match db.as_str() {
            "sqlite" => Database::SharedSqlite,
            "postgres" => Database::Postgres {
                admin_url: required_env("LIUHEN_TEST_POSTGRES", "scripts/postgres.sh"),
            },
            other => panic!("LIUHEN_DEPLOY_DATABASE={other}: expected sqlite or postgres"),
        };
        let blobs = match blobs.as_str() {
            "local" => Blobs::Local,
            "s3" => Blobs::S3 {
                url: required_env("LIUHEN_TEST_S3", "scripts/s3.sh"),
            },
            other => panic!("LIUHEN_DEPLOY_BLOBS={other}: expected local or s3"),
        };
        Backends { database, blobs }
    }
}

/// One instance: its port (kept across restarts, nginx knows it), its data
/// directory and the process, if running.
struct Instance {
    listen: String,
    data_dir: PathBuf,
    server: Option<TestServer>,
}

/// Two server instances behind nginx. Everything is stopped on drop (the
/// PostgreSQL database and the S3 prefix are left to the throwaway services).
pub struct Deployment {
    /// nginx's address, `http://127.0.0.1:PORT`: the only address devices use.
    pub base_url: String,
    /// The stores.
    pub backends: Backends,
    instances: Vec<Instance>,
    args: Vec<String>,
    nginx_dir: PathBuf,
    _dir: tempfile::TempDir,
}

/// The repository's root (scripts/ lives there).
fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(".."))
}

/// A name unique enough for a database or a prefix of one test run.
fn unique_name() -> String {
    format!(
        "liuhen_deploy_{}_{}",
        std::process::id(),
        chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default()
    )
}

/// Creates database `name` on the cluster at `admin_url` with `psql`; returns its URL.
pub fn create_database(admin_url: &str, name: &str) -> String {
    let out = Command::new("psql")
        .arg(admin_url)
        .args(["-v", "ON_ERROR_STOP=1", "-q", "-c"])
        .arg(format!("CREATE DATABASE {name}"))
        .output()
        .expect("psql (Debian's postgresql-client; bash scripts/postgres.sh installs it)");
    assert!(
        out.status.success(),
        "CREATE DATABASE {name} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Replace the database of the URL (the part after the last '/', before '?').
    let (base, query) = match admin_url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (admin_url, String::new()),
    };
    let authority_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match base[authority_end..].rfind('/') {
        Some(i) => &base[..authority_end + i],
        None => base,
    };
    format!("{base}/{name}{query}")
}

impl Deployment {
    /// A deployment on the stores of [`Backends::from_env`].
    pub fn start() -> Deployment {
        Self::start_on(Backends::from_env())
    }

    /// Two instances on `backends` behind nginx. The first instance loads the demo
    /// agency and accounts before the second starts (both would otherwise seed the
    /// same database at once).
    pub fn start_on(backends: Backends) -> Deployment {
        let dir = tempfile::tempdir().expect("tempdir");
        let name = unique_name();
        let mut args: Vec<String> = vec![
            "--demo".into(),
            "--demo-without-inspections".into(),
            // nginx is on loopback: believe its X-Forwarded-For.
            "--trusted-proxy".into(),
            "127.0.0.1".into(),
        ];
        match &backends.database {
            Database::SharedSqlite => {}
            Database::Postgres { admin_url } => {
                args.push("--database".into());
                args.push(create_database(admin_url, &name));
            }
        }
        match &backends.blobs {
            Blobs::Local => {}
            Blobs::S3 { url } => {
                args.push("--blobs".into());
                args.push(format!("{}/{name}", url.trim_end_matches('/')));
            }
        }
        let instances = (0..2)
            .map(|i| Instance {
                // A port the kernel picks when the instance first binds (a port
                // probed free beforehand could be taken by any connection meanwhile);
                // restarts reuse it.
                listen: "127.0.0.1:0".into(),
                // Local blobs (and the SQLite file) are shared through one data
                // directory; with both stores elsewhere each instance has its own.
                data_dir: if backends.blobs == Blobs::Local
                    || backends.database == Database::SharedSqlite
                {
                    dir.path().join("shared")
                } else {
                    dir.path().join(format!("instance-{i}"))
                },
                server: None,
            })
            .collect();
        let nginx_dir = dir.path().join("nginx");
        let mut d = Deployment {
            base_url: String::new(),
            backends,
            instances,
            args,
            nginx_dir,
            _dir: dir,
        };
        for i in 0..2 {
            d.start_instance(i, &[]);
        }
        d.base_url = d.start_nginx();
        d
    }

    fn start_nginx(&self) -> String {
        let ports: Vec<String> = self
            .instances
            .iter()
            .map(|i| i.listen.rsplit(':').next().unwrap_or_default().to_string())
            .collect();
        let out = Command::new("bash")
            .arg(repo_root().join("scripts/nginx.sh"))
            .arg("start")
            .args(&ports)
            .env("LIUHEN_NGINX_DIR", &self.nginx_dir)
            .output()
            .expect("run scripts/nginx.sh");
        assert!(
            out.status.success(),
            "scripts/nginx.sh start failed (nginx is needed for the deployment tests): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let url = String::from_utf8_lossy(&out.stdout).trim().to_string();
        assert!(url.starts_with("http://"), "nginx.sh printed {url:?}");
        url
    }

    /// Starts instance `i` (0 or 1) on its port with extra environment variables
    /// (e.g. `FAILPOINTS` to abort it at a write boundary of a merge).
    pub fn start_instance(&mut self, i: usize, env: &[(&str, &str)]) {
        let inst = &mut self.instances[i];
        if let Some(mut s) = inst.server.take() {
            s.kill();
        }
        std::fs::create_dir_all(&inst.data_dir).expect("instance data dir");
        let args: Vec<&str> = self.args.iter().map(String::as_str).collect();
        let server = TestServer::start_with(&inst.data_dir, &inst.listen, &args, env);
        inst.listen = server.base_url.trim_start_matches("http://").to_string();
        inst.server = Some(server);
    }

    /// Kills instance `i` with SIGKILL (no graceful shutdown); the other goes on.
    pub fn kill(&mut self, i: usize) {
        if let Some(mut s) = self.instances[i].server.take() {
            s.kill();
        }
    }

    /// Whether instance `i` is running (it may have aborted at a crash point).
    pub fn is_running(&mut self, i: usize) -> bool {
        match self.instances[i].server.as_mut() {
            Some(s) => !s.has_exited(),
            None => false,
        }
    }

    /// Waits up to `timeout` for instance `i` to end by itself; true if it did.
    pub fn wait_for_exit(&mut self, i: usize, timeout: Duration) -> bool {
        match self.instances[i].server.as_mut() {
            Some(s) => s.wait_for_exit(timeout),
            None => true,
        }
    }

    /// The direct address of instance `i` (for checks that bypass nginx).
    pub fn instance_url(&self, i: usize) -> String {
        format!("http://{}", self.instances[i].listen)
    }

    /// The lines of nginx's access log (client, request, status, instances tried),
    /// oldest first.
    fn access_log(&self) -> Vec<String> {
        std::fs::read_to_string(self.nginx_dir.join("access.log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// The upstream address of each request nginx passed on (the last instance it
    /// tried), oldest first.
    fn upstreams(&self) -> Vec<String> {
        self.access_log()
            .iter()
            .filter_map(|l| l.rsplit(' ').next())
            .map(|up| up.trim_end_matches(',').to_string())
            .collect()
    }

    /// The last `n` lines of nginx's access log, for failure messages.
    pub fn access_log_tail(&self, n: usize) -> Vec<String> {
        let mut lines = self.access_log();
        lines.drain(..lines.len().saturating_sub(n));
        lines
    }

    /// Requests nginx passed to each instance so far (from its access log), in
    /// instance order.
    pub fn requests_per_instance(&self) -> Vec<usize> {
        let upstreams = self.upstreams();
        self.instances
            .iter()
            .map(|inst| upstreams.iter().filter(|up| **up == inst.listen).count())
            .collect()
    }

    /// Turns nginx's round robin so that the next request goes to instance `i`:
    /// `GET /healthz` until one was answered by the other instance (at most eight).
    /// nginx writes a request's log line after the answer went out, so each try
    /// waits for its own line before reading which instance answered it.
    pub fn next_request_to(&self, i: usize) {
        let other = &self.instances[1 - i].listen;
        for _ in 0..8 {
            let before = self.upstreams().len();
            self.healthz();
            let deadline = std::time::Instant::now() + Duration::from_secs(2);
            let mut seen = self.upstreams();
            while seen.len() <= before && std::time::Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
                seen = self.upstreams();
            }
            if seen.len() > before && seen.last() == Some(other) {
                return;
            }
        }
        let seen = self.upstreams();
        let tail = &seen[seen.len().saturating_sub(10)..];
        panic!(
            "nginx did not pass a request to instance {} ({other}); last upstreams: {tail:?}",
            1 - i
        );
    }

    /// `GET /healthz` through nginx (answered by the next instance in turn); true if
    /// it answered 200.
    pub fn healthz(&self) -> bool {
        reqwest::blocking::Client::new()
            .get(format!("{}/healthz", self.base_url))
            .timeout(Duration::from_secs(10))
            .send()
            .is_ok_and(|r| r.status().is_success())
    }

    /// Signs in through nginx with the demo password; returns the session token.
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

    /// Ids of every inspection of the demo agency (supervisor API through nginx).
    pub fn supervisor_inspection_ids(&self, session: &str) -> Vec<String> {
        crate::supervisor_inspection_ids_at(&self.base_url, session)
    }

    /// The server's copy of an inspection (supervisor API through nginx).
    pub fn supervisor_inspection(
        &self,
        session: &str,
        id: &str,
    ) -> Option<liuhen_core::inspection::Inspection> {
        crate::supervisor_inspection_at(&self.base_url, session, id)
    }

    /// The original bytes of evidence `sha` of inspection `id` as the desk serves
    /// them through nginx (from whichever instance and store), if it has them.
    pub fn evidence_bytes(&self, session: &str, id: &str, sha: &str) -> Option<Vec<u8>> {
        let resp = reqwest::blocking::Client::new()
            .get(format!(
                "{}/desk/inspections/{id}/evidence/{sha}",
                self.base_url
            ))
            .header("cookie", format!("liuhen_session={session}"))
            .timeout(Duration::from_secs(60))
            .send()
            .expect("get evidence");
        if !resp.status().is_success() {
            return None;
        }
        Some(resp.bytes().expect("evidence bytes").to_vec())
    }

    /// Whether the deployment serves evidence `sha` of inspection `id` and its bytes
    /// hash to `sha`.
    pub fn evidence_verified(&self, session: &str, id: &str, sha: &str) -> bool {
        let Some(bytes) = self.evidence_bytes(session, id, sha) else {
            return false;
        };
        crate::sha256_of(&bytes) == sha
    }
}

impl Drop for Deployment {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(repo_root().join("scripts/nginx.sh"))
            .arg("stop")
            .env("LIUHEN_NGINX_DIR", &self.nginx_dir)
            .output();
        for i in 0..self.instances.len() {
            self.kill(i);
        }
    }
}
