//! The server process: health, error bodies, graceful shutdown, `--demo`, schema
//! versions and the admin commands, against a real `liuhen-server` on loopback.

use crate::common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::json;

use common::{DEMO_PASSWORD, TestServer, raw_http, run_cli, status_json};
use liuhen_server::storage::sqlite::{DB_FILE_NAME, SCHEMA_VERSION};

#[test]
fn healthz_reports_version_and_schema() {
    let server = TestServer::start(false);
    let (status, body) = status_json(server.get("/healthz").send().unwrap());
    assert_eq!(status, 200);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(body["schema_version"], SCHEMA_VERSION);
}

#[test]
fn home_page_is_chinese_html_with_the_record_count() {
    let server = TestServer::start(true);
    let resp = server.get("/").send().unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = resp.text().unwrap();
    assert!(html.contains("留痕 · 行政执法全过程记录服务器"), "{html}");
    assert!(html.contains("已同步的检查记录</th><td>0</td>"), "{html}");
}

#[test]
fn errors_are_json_with_chinese_messages() {
    let server = TestServer::start(false);
    let (status, body) = status_json(server.get("/api/v1/nothing-here").send().unwrap());
    assert_eq!(status, 404);
    assert_eq!(body["code"], "not_found");
    assert!(body["message"].as_str().unwrap().contains("找不到"));

    let (status, body) = status_json(server.get("/api/v1/login").send().unwrap());
    assert_eq!(status, 405);
    assert_eq!(body["code"], "method_not_allowed");

    let resp = common::client()
        .post(server.url("/api/v1/login"))
        .header("content-type", "application/json")
        .body("{\"login\": ")
        .send()
        .unwrap();
    let (status, body) = status_json(resp);
    assert_eq!(status, 400);
    assert_eq!(body["code"], "malformed_request");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("请求内容格式错误")
    );

    let resp = common::client()
        .post(server.url("/api/v1/login"))
        .header("content-type", "application/json")
        .body("{\"login\": \"a\"}")
        .send()
        .unwrap();
    let (status, body) = status_json(resp);
    assert_eq!(status, 400);
    assert!(
        body["message"].as_str().unwrap().contains("password"),
        "{body}"
    );

    let resp = common::client()
        .post(server.url("/api/v1/login"))
        .body("{}")
        .send()
        .unwrap();
    let (status, body) = status_json(resp);
    assert_eq!(status, 415);
    assert_eq!(body["code"], "unsupported_media_type");

    // Declared larger than 8 MiB: refused before the body is read.
    let req = format!(
        "POST /api/v1/login HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n",
        server.addr(),
        9 * 1024 * 1024
    );
    let resp = raw_http(&server.addr(), req.as_bytes());
    assert!(resp.starts_with("HTTP/1.1 413"), "{resp}");
    assert!(resp.contains("body_too_large"), "{resp}");
}

#[test]
fn sigterm_finishes_the_request_in_flight_then_exits_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = TestServer::start_in_with_log(
        dir.path(),
        &["--demo", "--demo-without-inspections"],
        "info,tower_http=debug",
    )
    .unwrap();
    let body = json!({"login": "supervisor", "password": DEMO_PASSWORD}).to_string();
    let (first, second) = body.as_bytes().split_at(10);
    let seen = server.logs().len();
    let mut conn = TcpStream::connect(server.addr()).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    write!(
        conn,
        "POST /api/v1/login HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n",
        server.addr(),
        body.len()
    )
    .unwrap();
    conn.write_all(first).unwrap();
    conn.flush().unwrap();
    // Once the request started, the handler waits for the rest of the body.
    assert!(server.wait_for_log("started processing request", seen, Duration::from_secs(20)));
    std::thread::sleep(Duration::from_millis(100));
    server.sigterm();
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        server.child.try_wait().unwrap().is_none(),
        "the server quit with a request in flight"
    );
    conn.write_all(second).unwrap();
    let mut resp = String::new();
    conn.read_to_string(&mut resp).unwrap();
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    assert!(resp.contains("\"token\""), "{resp}");

    let started = Instant::now();
    let status = server
        .wait_exit(Duration::from_secs(15))
        .expect("no exit after SIGTERM");
    assert!(status.success(), "exit status {status}");
    assert!(started.elapsed() < Duration::from_secs(15));
    assert!(
        server.logs().iter().any(|l| l.contains("server stopped")),
        "{:?}",
        server.logs()
    );

    // The database opens cleanly afterwards.
    let conn = rusqlite::Connection::open(server.data_dir.join(DB_FILE_NAME)).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    drop(conn);
    server.restart();
    server.login("supervisor", DEMO_PASSWORD);
}

#[test]
fn demo_twice_is_idempotent() {
    let mut server = TestServer::start(true);
    let first_code = server.demo_enrollment_code();
    let admin = server.login("admin", DEMO_PASSWORD);
    let (status, users) = status_json(
        server
            .get("/api/v1/admin/users")
            .bearer_auth(&admin)
            .send()
            .unwrap(),
    );
    assert_eq!(status, 200);
    let logins = |v: &serde_json::Value| {
        let mut l: Vec<String> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|u| format!("{}:{}", u["login"], u["role"]))
            .collect();
        l.sort();
        l
    };
    let before = logins(&users);
    // 4 roster officers + supervisor + legal reviewer + admin.
    assert_eq!(before.len(), 7, "{before:?}");
    assert!(server.logs().iter().any(|l| l.contains("DEMO ONLY")));

    server.restart();
    let second_code = server.demo_enrollment_code();
    assert_ne!(first_code, second_code);
    let admin = server.login("admin", DEMO_PASSWORD);
    let (_, users) = status_json(
        server
            .get("/api/v1/admin/users")
            .bearer_auth(&admin)
            .send()
            .unwrap(),
    );
    assert_eq!(logins(&users), before);
    // Both codes work (each once).
    server.enroll_code(&first_code);
    server.enroll_code(&second_code);
}

#[test]
fn a_newer_database_schema_is_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let conn = rusqlite::Connection::open(dir.path().join(DB_FILE_NAME)).unwrap();
    conn.pragma_update(None, "user_version", 999).unwrap();
    drop(conn);
    let logs = match TestServer::start_in(dir.path(), &[]) {
        Ok(_) => panic!("the server started on a newer schema"),
        Err(logs) => logs.join("\n"),
    };
    assert!(logs.contains("999"), "{logs}");
    assert!(logs.contains("请升级服务器程序"), "{logs}");
    // The file was left alone.
    let conn = rusqlite::Connection::open(dir.path().join(DB_FILE_NAME)).unwrap();
    let v: u32 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, 999);
}

#[test]
fn admin_commands_work_on_the_data_dir_of_a_running_server() {
    let server = TestServer::start(false);
    let dir = server.data_dir.to_str().unwrap().to_string();
    let roster = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../core/tests/data/demo-roster.json"
    );

    // An officer account needs the roster first.
    let (ok, _, err) = run_cli(
        &[
            "admin",
            "create-user",
            "--data-dir",
            &dir,
            "--agency",
            "qy-sthj",
            "--login",
            "li",
            "--name",
            "李明",
            "--role",
            "officer",
            "--officer-id",
            "qy-zf-001",
            "--password-stdin",
        ],
        Some("a-long-password\n"),
    );
    assert!(!ok);
    assert!(err.contains("officer_id"), "{err}");

    let (ok, out, err) = run_cli(&["admin", "load-roster", "--data-dir", &dir, roster], None);
    assert!(ok, "{err}");
    assert!(out.contains("执法人员 4 名"), "{out}");

    let (ok, _, err) = run_cli(
        &[
            "admin",
            "create-user",
            "--data-dir",
            &dir,
            "--agency",
            "qy-sthj",
            "--login",
            "li",
            "--name",
            "李明",
            "--role",
            "officer",
            "--officer-id",
            "qy-zf-001",
            "--password-stdin",
        ],
        Some("a-long-password\n"),
    );
    assert!(ok, "{err}");
    server.login("li", "a-long-password");

    let (ok, out, err) = run_cli(
        &[
            "admin",
            "enrollment-code",
            "--data-dir",
            &dir,
            "--login",
            "li",
            "--server",
            &server.base_url,
        ],
        None,
    );
    assert!(ok, "{err}");
    assert!(
        err.contains("liuhen://enroll?server=http%3A%2F%2F127.0.0.1"),
        "{err}"
    );
    let device = server.enroll_code(out.trim());
    assert_eq!(device.user["officer_id"], "qy-zf-001");

    let (ok, _, err) = run_cli(
        &[
            "admin",
            "revoke-device",
            "--data-dir",
            &dir,
            "--device",
            &device.device_id,
        ],
        None,
    );
    assert!(ok, "{err}");
    let (status, body) = status_json(
        server
            .get("/api/v1/me")
            .bearer_auth(&device.token)
            .send()
            .unwrap(),
    );
    assert_eq!(status, 401);
    assert_eq!(body["code"], "token_revoked");

    let (ok, _, err) = run_cli(
        &[
            "admin",
            "revoke-device",
            "--data-dir",
            &dir,
            "--device",
            "no-such-device",
        ],
        None,
    );
    assert!(!ok);
    assert!(err.contains("找不到设备"), "{err}");
}

#[test]
fn log_json_prints_json_lines() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(dir.path(), &["--log-json"]).unwrap();
    server.get("/healthz").send().unwrap();
    let logs = server.logs();
    let line = logs
        .iter()
        .find(|l| l.contains("listening on"))
        .expect("listening line");
    let v: serde_json::Value = serde_json::from_str(line).expect("a JSON log line");
    assert_eq!(v["level"], "INFO");
}
