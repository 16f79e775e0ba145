//! Authentication and administration against a real `liuhen-server --demo`:
//! enrollment (password, one-time code), sessions, lockout, revocation, field
//! validation, agency scoping, and the endpoint × role matrix.

use crate::common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{Duration, Utc};
use reqwest::Method;
use serde_json::{Value, json};

use common::{DEMO_PASSWORD, TestDevice, TestServer, new_identity, status_json};
use liuhen_core::time::FixedClock;
use liuhen_server::state::Config;
use liuhen_server::storage::Role;
use liuhen_server::storage::sqlite::DB_FILE_NAME;

fn me(server: &TestServer, token: &str) -> (u16, Value) {
    status_json(server.get("/api/v1/me").bearer_auth(token).send().unwrap())
}

/// Runs `f` on an in-process state over the server's data directory, with a clock
/// `offset` away from now.
fn with_state<T>(
    server: &TestServer,
    offset: Duration,
    f: impl AsyncFnOnce(&liuhen_server::state::AppState) -> T,
) -> T {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let config = Config {
            data_dir: server.data_dir.clone(),
            secure_cookies: false,
            max_upload_bytes: 0,
            upload_lease: liuhen_server::api::tus::DEFAULT_LEASE,
        };
        let state = liuhen_server::build_state_with_clock(
            config,
            Arc::new(FixedClock(Utc::now() + offset)),
        )
        .await
        .unwrap();
        f(&state).await
    })
}

fn enroll_body(credentials: Value) -> Value {
    let (device_id, key, actor) = new_identity();
    let mut body = credentials;
    body["device_id"] = json!(device_id);
    body["public_key"] = json!(hex::encode(key.verifying_key().as_bytes()));
    body["actor_id"] = json!(actor);
    body["device_name"] = json!("测试手机");
    body
}

#[test]
fn enroll_with_password_returns_a_device_token_once() {
    let server = TestServer::start(true);
    let device = server.enroll_password("qy-zf-001", DEMO_PASSWORD);
    assert_eq!(device.token.len(), 43);
    assert_eq!(device.user["role"], "officer");
    assert_eq!(device.user["officer_id"], "qy-zf-001");
    assert_eq!(device.user["name"], "李明");
    assert!(device.user["id"].is_string());

    let (status, body) = me(&server, &device.token);
    assert_eq!(status, 200);
    assert_eq!(body["device_id"], device.device_id.as_str());
    assert_eq!(body["agency_id"], "qy-sthj");

    // The same device id cannot enroll twice while active.
    let mut again = enroll_body(json!({"login": "qy-zf-001", "password": DEMO_PASSWORD}));
    again["device_id"] = json!(device.device_id);
    let (status, body) = status_json(server.post_json("/api/v1/enroll", &again).send().unwrap());
    assert_eq!(status, 409);
    assert_eq!(body["code"], "device_exists");

    // The token is stored only as a hash.
    let db = rusqlite::Connection::open(server.data_dir.join(DB_FILE_NAME)).unwrap();
    let found: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM devices WHERE token_hash = ?1",
            [&device.token],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(found, 0);
}

#[test]
fn only_officers_enroll_devices() {
    let server = TestServer::start(true);
    let body = enroll_body(json!({"login": "supervisor", "password": DEMO_PASSWORD}));
    let (status, body) = status_json(server.post_json("/api/v1/enroll", &body).send().unwrap());
    assert_eq!(status, 403);
    assert_eq!(body["code"], "not_an_officer");
}

#[test]
fn enrollment_codes_are_single_use() {
    let server = TestServer::start(true);
    let code = server.demo_enrollment_code();
    let device = server.enroll_code(&code);
    assert_eq!(device.user["officer_id"], "qy-zf-001");

    let body = enroll_body(json!({"code": code}));
    let (status, body) = status_json(server.post_json("/api/v1/enroll", &body).send().unwrap());
    assert_eq!(status, 401);
    assert_eq!(body["code"], "enrollment_code_invalid");
    assert!(body["message"].as_str().unwrap().contains("登记码"));

    // An admin makes a code for another officer; it is typed loosely.
    let admin = server.login("admin", DEMO_PASSWORD);
    let officer = server.enroll_password("qy-zf-002", DEMO_PASSWORD);
    let user_id = officer.user["id"].as_str().unwrap();
    let (status, body) = status_json(
        server
            .post_json(
                &format!("/api/v1/admin/users/{user_id}/enrollment-code"),
                &json!({}),
            )
            .bearer_auth(&admin)
            .send()
            .unwrap(),
    );
    assert_eq!(status, 200, "{body}");
    let code = body["code"].as_str().unwrap().to_string();
    assert_eq!(code.len(), 8);
    assert!(
        code.bytes()
            .all(|b| b"23456789ABCDEFGHJKMNPQRSTUVWXYZ".contains(&b))
    );
    let expected_server = server.base_url.replace(':', "%3A").replace('/', "%2F");
    assert_eq!(
        body["qr_payload"],
        format!("liuhen://enroll?server={expected_server}&code={code}")
    );
    let expires: chrono::DateTime<Utc> = body["expires_at"].as_str().unwrap().parse().unwrap();
    let left = expires - Utc::now();
    assert!(
        left > Duration::hours(23) && left <= Duration::hours(24),
        "{left}"
    );
    let loose = format!("{}-{}", &code[..4], &code[4..]).to_lowercase();
    let second = server.enroll_code(&loose);
    assert_eq!(second.user["officer_id"], "qy-zf-002");

    // Codes are for officer accounts only.
    let (_, users) = status_json(
        server
            .get("/api/v1/admin/users")
            .bearer_auth(&admin)
            .send()
            .unwrap(),
    );
    let supervisor = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["login"] == "supervisor")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, body) = status_json(
        server
            .post_json(
                &format!("/api/v1/admin/users/{supervisor}/enrollment-code"),
                &json!({}),
            )
            .bearer_auth(&admin)
            .send()
            .unwrap(),
    );
    assert_eq!(status, 400);
    assert_eq!(body["code"], "not_an_officer");
}

#[test]
fn expired_enrollment_code_is_refused() {
    let server = TestServer::start(true);
    // A code made 25 hours ago expired an hour ago.
    let code = with_state(&server, -Duration::hours(25), async |state| {
        let user = state
            .storage
            .user_by_login("qy-zf-003")
            .await
            .unwrap()
            .unwrap();
        liuhen_server::api::enroll::create_code(state, &user)
            .await
            .unwrap()
            .0
    });
    let body = enroll_body(json!({"code": code}));
    let (status, body) = status_json(server.post_json("/api/v1/enroll", &body).send().unwrap());
    assert_eq!(status, 401);
    assert_eq!(body["code"], "enrollment_code_invalid");
}

#[test]
fn wrong_password_and_unknown_login_look_the_same() {
    let server = TestServer::start(true);
    let try_login = |login: &str, password: &str| {
        status_json(
            server
                .post_json(
                    "/api/v1/login",
                    &json!({"login": login, "password": password}),
                )
                .send()
                .unwrap(),
        )
    };
    let (s1, b1) = try_login("supervisor", "wrong-password");
    let (s2, b2) = try_login("nobody", "wrong-password");
    assert_eq!((s1, s2), (401, 401));
    assert_eq!(b1, b2);
    assert_eq!(b1["code"], "invalid_credentials");
    assert_eq!(b1["message"], "登录名或密码错误");

    let body = enroll_body(json!({"login": "qy-zf-001", "password": "nope-nope"}));
    let (status, body) = status_json(server.post_json("/api/v1/enroll", &body).send().unwrap());
    assert_eq!(status, 401);
    assert_eq!(body["code"], "invalid_credentials");

    // A session works with the right password (logins ignore ASCII case).
    let token = server.login("Supervisor", DEMO_PASSWORD);
    let (status, body) = me(&server, &token);
    assert_eq!(status, 200);
    assert_eq!(body["role"], "supervisor");
    assert_eq!(body["device_id"], Value::Null);
}

#[test]
fn five_failures_lock_the_login_for_a_while() {
    let server = TestServer::start(true);
    let attempt = |login: &str, password: &str| {
        server
            .post_json(
                "/api/v1/login",
                &json!({"login": login, "password": password}),
            )
            .send()
            .unwrap()
    };
    for i in 0..5 {
        let (status, _) = status_json(attempt("legal", &format!("wrong-{i}")));
        assert_eq!(status, 401, "attempt {i}");
    }
    // Even the right password is refused now.
    let resp = attempt("legal", DEMO_PASSWORD);
    assert_eq!(resp.status().as_u16(), 429);
    let retry: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&retry), "{retry}");
    let (_, body) = status_json(resp);
    assert_eq!(body["code"], "too_many_attempts");
    assert!(
        body["message"].as_str().unwrap().contains("分钟后再试"),
        "{body}"
    );
    // Case does not get around it; enrolling with the password neither.
    let (status, _) = status_json(attempt("LEGAL", DEMO_PASSWORD));
    assert_eq!(status, 429);
    // Other logins are not affected.
    server.login("supervisor", DEMO_PASSWORD);
    // An officer locked out cannot enroll with the password either.
    for i in 0..5 {
        let body = enroll_body(json!({"login": "qy-zf-002", "password": format!("x-{i}")}));
        let (status, _) = status_json(server.post_json("/api/v1/enroll", &body).send().unwrap());
        assert_eq!(status, 401);
    }
    let body = enroll_body(json!({"login": "qy-zf-002", "password": DEMO_PASSWORD}));
    let (status, _) = status_json(server.post_json("/api/v1/enroll", &body).send().unwrap());
    assert_eq!(status, 429);
}

/// The JSON body of a refused sign-in: its code, after checking it is a 429 that
/// says in Chinese when to try again and carries `Retry-After`.
fn refused_code(status: u16, retry: Option<u64>, body: &str) -> String {
    assert_eq!(status, 429, "{body}");
    let v: Value = serde_json::from_str(body).unwrap_or_else(|_| panic!("JSON: {body}"));
    assert!(v["message"].as_str().unwrap().contains("后再试"), "{v}");
    assert!(retry.is_some_and(|s| s >= 1), "Retry-After: {retry:?}");
    v["code"].as_str().unwrap().to_string()
}

fn login_body(login: &str, password: &str) -> Value {
    json!({"login": login, "password": password})
}

/// Issue 16: the failure is counted before the password is checked, so 40 wrong
/// passwords at once give exactly the threshold of 401s; the attacking address is
/// locked out of the account, its owner at another address is not.
#[test]
fn parallel_wrong_passwords_lock_only_the_attacking_address() {
    use liuhen_server::auth::LOCKOUT_THRESHOLD;
    let server = TestServer::start(true);
    let url = server.url("/api/v1/login");
    let attacker = common::client_from("127.0.0.1");
    let out = common::send_at_once(40, &attacker, |c| {
        c.post(&url).json(&login_body("admin", "wrong-password"))
    });
    assert_eq!(
        common::count_status(&out, 401),
        LOCKOUT_THRESHOLD,
        "{out:?}"
    );
    assert_eq!(common::count_status(&out, 429), 40 - LOCKOUT_THRESHOLD);
    for (status, retry, body) in out.iter().filter(|o| o.0 == 429) {
        let code = refused_code(*status, *retry, body);
        assert!(
            code == "too_many_attempts" || code == "too_many_requests",
            "{code}"
        );
    }
    // Even the right password waits at the attacking address...
    let r = attacker
        .post(&url)
        .json(&login_body("admin", DEMO_PASSWORD))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 429);
    // ...while the admin at another address signs in.
    let owner = common::client_from("127.0.0.2");
    let (status, body) = status_json(
        owner
            .post(&url)
            .json(&login_body("admin", DEMO_PASSWORD))
            .send()
            .unwrap(),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(me(&server, body["token"].as_str().unwrap()).0, 200);

    // Device enrolment with a password is counted the same way.
    let url = server.url("/api/v1/enroll");
    let out = common::send_at_once(40, &common::client_from("127.0.0.3"), |c| {
        c.post(&url)
            .json(&enroll_body(login_body("qy-zf-002", "wrong-password")))
    });
    assert_eq!(
        common::count_status(&out, 401),
        LOCKOUT_THRESHOLD,
        "{out:?}"
    );
    assert_eq!(common::count_status(&out, 429), 40 - LOCKOUT_THRESHOLD);
    let (status, body) = status_json(
        common::client_from("127.0.0.4")
            .post(&url)
            .json(&enroll_body(login_body("qy-zf-002", DEMO_PASSWORD)))
            .send()
            .unwrap(),
    );
    assert_eq!(status, 200, "{body}");
}

/// Issue 16: one address gets a bucket of sign-in attempts across all accounts
/// (and enrolment codes); other addresses have their own.
#[test]
fn one_address_is_rate_limited_across_all_accounts() {
    let tmp = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(
        tmp.path(),
        &[
            "--demo",
            "--demo-without-inspections",
            "--login-rate-per-minute",
            "1",
            "--login-burst",
            "3",
        ],
    )
    .unwrap_or_else(|l| panic!("{}", l.join("\n")));
    let url = server.url("/api/v1/login");
    let n = AtomicUsize::new(0);
    let out = common::send_at_once(8, &common::client_from("127.0.0.1"), |c| {
        let i = n.fetch_add(1, Ordering::SeqCst);
        c.post(&url)
            .json(&login_body(&format!("nobody-{i}"), "wrong-password"))
    });
    assert_eq!(common::count_status(&out, 401), 3, "{out:?}");
    for (status, retry, body) in out.iter().filter(|o| o.0 != 401) {
        assert_eq!(refused_code(*status, *retry, body), "too_many_requests");
    }
    let code = enroll_body(json!({"code": "ABCD2345"}));
    let r = common::client_from("127.0.0.1")
        .post(server.url("/api/v1/enroll"))
        .json(&code)
        .send()
        .unwrap();
    let (status, retry) = (
        r.status().as_u16(),
        r.headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()?.parse().ok()),
    );
    assert_eq!(
        refused_code(status, retry, &r.text().unwrap()),
        "too_many_requests"
    );
    let (status, body) = status_json(
        common::client_from("127.0.0.2")
            .post(&url)
            .json(&login_body("supervisor", DEMO_PASSWORD))
            .send()
            .unwrap(),
    );
    assert_eq!(status, 200, "{body}");
}

/// Issue 16: failures from many addresses slow the account down (one attempt per
/// interval) instead of locking it; other accounts are not touched.
#[test]
fn failures_from_many_addresses_slow_the_account_instead_of_locking_it() {
    let tmp = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(
        tmp.path(),
        &[
            "--demo",
            "--demo-without-inspections",
            "--login-max-failures",
            "2",
            "--login-account-max-failures",
            "4",
            "--login-account-slow-secs",
            "3600",
        ],
    )
    .unwrap_or_else(|l| panic!("{}", l.join("\n")));
    let url = server.url("/api/v1/login");
    for ip in ["127.0.0.1", "127.0.0.2"] {
        let c = common::client_from(ip);
        for _ in 0..2 {
            let r = c.post(&url).json(&login_body("legal", "wrong")).send();
            assert_eq!(r.unwrap().status().as_u16(), 401, "{ip}");
        }
    }
    let c = common::client_from("127.0.0.3");
    let r = c
        .post(&url)
        .json(&login_body("legal", DEMO_PASSWORD))
        .send()
        .unwrap();
    let (status, retry) = (
        r.status().as_u16(),
        r.headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()?.parse::<u64>().ok()),
    );
    let text = r.text().unwrap();
    assert_eq!(refused_code(status, retry, &text), "account_throttled");
    assert!(retry.unwrap() > 60 && retry.unwrap() <= 3600, "{retry:?}");
    assert!(text.contains("放慢"), "{text}");
    let r = c
        .post(&url)
        .json(&login_body("supervisor", DEMO_PASSWORD))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
}

/// Issue 16: `X-Forwarded-For` names the client only when a `--trusted-proxy`
/// sends it; from anyone else it is ignored.
#[test]
fn forwarded_for_counts_only_from_a_trusted_proxy() {
    let tmp = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(
        tmp.path(),
        &[
            "--demo",
            "--demo-without-inspections",
            "--trusted-proxy",
            "127.0.0.1",
        ],
    )
    .unwrap_or_else(|l| panic!("{}", l.join("\n")));
    let url = server.url("/api/v1/login");
    let attempt = |from: &str, client_ip: &str, password: &str| {
        common::client_from(from)
            .post(&url)
            .header("X-Forwarded-For", format!("203.0.113.50, {client_ip}"))
            .json(&login_body("supervisor", password))
            .send()
            .unwrap()
            .status()
            .as_u16()
    };
    // Behind the proxy: the forwarded client is locked, its neighbour is not.
    for _ in 0..5 {
        assert_eq!(attempt("127.0.0.1", "198.51.100.7", "wrong"), 401);
    }
    assert_eq!(attempt("127.0.0.1", "198.51.100.7", DEMO_PASSWORD), 429);
    assert_eq!(attempt("127.0.0.1", "198.51.100.8", DEMO_PASSWORD), 200);
    // Not a proxy: changing the header does not get around the lock.
    for _ in 0..5 {
        assert_eq!(attempt("127.0.0.2", "198.51.100.9", "wrong"), 401);
    }
    assert_eq!(attempt("127.0.0.2", "198.51.100.10", DEMO_PASSWORD), 429);
}

#[test]
fn tokens_missing_invalid_revoked_expired_or_of_a_disabled_user() {
    let server = TestServer::start(true);
    let (status, body) = status_json(server.get("/api/v1/me").send().unwrap());
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("token_missing"))
    );
    let (status, body) = me(&server, "not-a-token");
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("token_invalid"))
    );
    let (status, body) = status_json(
        server
            .get("/api/v1/me")
            .header("authorization", "Basic abc")
            .send()
            .unwrap(),
    );
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("token_invalid"))
    );

    let kept = server.enroll_password("qy-zf-001", DEMO_PASSWORD);
    let revoked = server.enroll_password("qy-zf-001", DEMO_PASSWORD);
    let admin = server.login("admin", DEMO_PASSWORD);
    let (status, body) = status_json(
        server
            .post_json(
                &format!("/api/v1/admin/devices/{}/revoke", revoked.device_id),
                &json!({}),
            )
            .bearer_auth(&admin)
            .send()
            .unwrap(),
    );
    assert_eq!(status, 200, "{body}");
    assert!(body["revoked_at"].is_string());
    // The answer names the device's owner, as the device list does.
    assert!(
        !body["name"].as_str().unwrap_or_default().is_empty(),
        "{body}"
    );
    let (status, body) = me(&server, &revoked.token);
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("token_revoked"))
    );
    assert!(body["message"].as_str().unwrap().contains("停用"));
    assert_eq!(me(&server, &kept.token).0, 200);
    let (_, devices) = status_json(
        server
            .get("/api/v1/admin/devices")
            .bearer_auth(&admin)
            .send()
            .unwrap(),
    );
    let listed: Vec<&Value> = devices.as_array().unwrap().iter().collect();
    assert_eq!(listed.len(), 2);
    assert!(listed.iter().any(|d| d["id"] == revoked.device_id.as_str()
        && d["revoked_at"].is_string()
        && d["name"] == "测试手机"));
    // A revoked device id may enroll again (a new token), as the same person with
    // the same actor id.
    let mut again = enroll_body(json!({"login": "qy-zf-001", "password": DEMO_PASSWORD}));
    again["device_id"] = json!(revoked.device_id);
    again["actor_id"] = json!(revoked.actor_id);
    let (status, body) = status_json(server.post_json("/api/v1/enroll", &again).send().unwrap());
    assert_eq!(status, 200, "{body}");
    assert_eq!(me(&server, &revoked.token).0, 401);

    // An expired session.
    let token = liuhen_server::auth::new_token();
    let hash = liuhen_server::auth::token_hash(&token);
    with_state(&server, Duration::zero(), async |state| {
        let user = state
            .storage
            .user_by_login("supervisor")
            .await
            .unwrap()
            .unwrap();
        state
            .storage
            .put_session(&hash, &user.id, Utc::now() - Duration::minutes(1))
            .await
            .unwrap();
    });
    let (status, body) = me(&server, &token);
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("session_expired"))
    );

    // A disabled account: its device and its sessions stop, login says why.
    let session = server.login("qy-zf-001", DEMO_PASSWORD);
    let db = rusqlite::Connection::open(server.data_dir.join(DB_FILE_NAME)).unwrap();
    db.execute(
        "UPDATE users SET disabled = 1 WHERE login = 'qy-zf-001'",
        [],
    )
    .unwrap();
    for token in [&kept.token, &session] {
        let (status, body) = me(&server, token);
        assert_eq!(
            (status, body["code"].as_str()),
            (403, Some("user_disabled"))
        );
    }
    let (status, body) = status_json(
        server
            .post_json(
                "/api/v1/login",
                &json!({"login": "qy-zf-001", "password": DEMO_PASSWORD}),
            )
            .send()
            .unwrap(),
    );
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("user_disabled"))
    );
}

/// A 32-byte value that is not an ed25519 point.
fn invalid_point_hex() -> String {
    (0u8..=255)
        .map(|i| [i; 32])
        .find(|b| ed25519_dalek::VerifyingKey::from_bytes(b).is_err())
        .map(hex::encode)
        .expect("some byte pattern is not a point")
}

#[test]
fn bad_device_fields_are_refused_naming_the_field_without_burning_the_code() {
    let server = TestServer::start(true);
    let code = server.demo_enrollment_code();
    let cases = [
        ("public_key", json!("abcd")),
        ("public_key", json!("zz".repeat(32))),
        ("public_key", json!(invalid_point_hex())),
        // Decodes (y ≥ p is reduced) but is no canonical point (issue 22 item 4).
        ("public_key", json!("ff".repeat(32))),
        // The identity point: small order, a weak key.
        ("public_key", json!(format!("01{}", "00".repeat(31)))),
        ("actor_id", json!("ab".repeat(15))),
        ("actor_id", json!("not hex at all, not hex at all!!")),
        ("device_id", json!("")),
        ("device_id", json!("a/b")),
        // Not a UUID (issue 22 item 4), or not in the form the device made it.
        ("device_id", json!("phone-1")),
        (
            "device_id",
            json!(uuid::Uuid::now_v7().to_string().to_uppercase()),
        ),
        (
            "device_id",
            json!(uuid::Uuid::now_v7().simple().to_string()),
        ),
        ("device_id", json!(uuid::Uuid::nil().to_string())),
        ("device_name", json!("  ")),
    ];
    for (field, value) in cases {
        let mut body = enroll_body(json!({"code": code}));
        body[field] = value.clone();
        let (status, resp) = status_json(server.post_json("/api/v1/enroll", &body).send().unwrap());
        assert_eq!(status, 400, "{field} = {value}: {resp}");
        assert_eq!(resp["code"], "invalid_field");
        let message = resp["message"].as_str().unwrap();
        assert!(message.contains(&format!("字段 {field} 无效")), "{message}");
    }
    // Both credentials or neither.
    let body = enroll_body(json!({"code": code, "login": "qy-zf-001", "password": DEMO_PASSWORD}));
    let (status, resp) = status_json(server.post_json("/api/v1/enroll", &body).send().unwrap());
    assert_eq!(
        (status, resp["code"].as_str()),
        (400, Some("malformed_request"))
    );
    // The code still works.
    server.enroll_code(&code);
}

#[test]
fn admins_manage_only_their_own_agency() {
    let server = TestServer::start(true);
    let admin = server.login("admin", DEMO_PASSWORD);
    let post = |path: &str, body: Value| {
        status_json(
            server
                .post_json(path, &body)
                .bearer_auth(&admin)
                .send()
                .unwrap(),
        )
    };

    let (status, body) = post(
        "/api/v1/admin/users",
        json!({"login": "new-sup", "name": "新督查员", "role": "supervisor", "password": "long-enough"}),
    );
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["agency_id"], "qy-sthj");
    assert!(body.get("password_hash").is_none());
    server.login("new-sup", "long-enough");

    let (status, body) = post(
        "/api/v1/admin/users",
        json!({"login": "new-sup", "name": "重名", "role": "supervisor", "password": "long-enough"}),
    );
    assert_eq!((status, body["code"].as_str()), (409, Some("login_taken")));

    let (status, _) = post(
        "/api/v1/admin/users",
        json!({"login": "elsewhere", "name": "外单位", "role": "admin", "password": "long-enough", "agency_id": "other-agency"}),
    );
    assert_eq!(status, 403);

    for (body, field) in [
        (
            json!({"login": "o", "name": "某", "role": "officer", "password": "long-enough"}),
            "officer_id",
        ),
        (
            json!({"login": "o", "name": "某", "role": "officer", "password": "long-enough", "officer_id": "ghost"}),
            "officer_id",
        ),
        (
            json!({"login": "o", "name": "某", "role": "chief", "password": "long-enough"}),
            "role",
        ),
        (
            json!({"login": "o", "name": "某", "role": "supervisor", "password": "short"}),
            "password",
        ),
        (
            json!({"login": "has space", "name": "某", "role": "supervisor", "password": "long-enough"}),
            "login",
        ),
    ] {
        let (status, resp) = post("/api/v1/admin/users", body);
        assert_eq!(status, 400, "{resp}");
        assert!(
            resp["message"]
                .as_str()
                .unwrap()
                .contains(&format!("字段 {field} ")),
            "{resp}"
        );
    }

    // The roster: validated, named fields, own agency only.
    let roster: Value = serde_json::from_str(liuhen_server::demo::DEMO_ROSTER_JSON).unwrap();
    let put = |body: &Value| {
        status_json(
            common::client()
                .put(server.url("/api/v1/admin/roster"))
                .json(body)
                .bearer_auth(&admin)
                .send()
                .unwrap(),
        )
    };
    let (status, body) = put(&roster);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["officers"], 4);
    let mut bad = roster.clone();
    bad["officers"][1]["certificate_no"] = json!("证件 1");
    let (status, body) = put(&bad);
    assert_eq!(status, 400);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("officers[1].officer.certificate_no"),
        "{body}"
    );
    let mut bad = roster.clone();
    bad["tasks"][0]["officer_ids"][0] = json!("ghost");
    let (status, body) = put(&bad);
    assert_eq!(status, 400);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("tasks[0].officer_ids[0]"),
        "{body}"
    );
    let mut other = roster.clone();
    other["agency"]["id"] = json!("other-agency");
    assert_eq!(put(&other).0, 403);

    // An admin of another agency sees nothing of this one.
    with_state(&server, Duration::zero(), async |state| {
        liuhen_server::api::admin::create_user(
            state,
            liuhen_server::api::admin::NewUser {
                agency_id: "other-agency".into(),
                login: "other-admin".into(),
                name: "外单位管理员".into(),
                role: Role::Admin,
                officer_id: None,
                password: "long-enough".into(),
            },
        )
        .await
        .unwrap();
    });
    let device = server.enroll_password("qy-zf-001", DEMO_PASSWORD);
    let other_admin = server.login("other-admin", "long-enough");
    let user_id = device.user["id"].as_str().unwrap();
    let other_post = |path: &str| {
        status_json(
            server
                .post_json(path, &json!({}))
                .bearer_auth(&other_admin)
                .send()
                .unwrap(),
        )
    };
    let (status, _) = other_post(&format!("/api/v1/admin/users/{user_id}/enrollment-code"));
    assert_eq!(status, 404);
    let (status, _) = other_post(&format!(
        "/api/v1/admin/devices/{}/revoke",
        device.device_id
    ));
    assert_eq!(status, 404);
    assert_eq!(me(&server, &device.token).0, 200);
    let (_, users) = status_json(
        server
            .get("/api/v1/admin/users")
            .bearer_auth(&other_admin)
            .send()
            .unwrap(),
    );
    assert_eq!(users.as_array().unwrap().len(), 1);
}

// ---- endpoint × role matrix ------------------------------------------------------

/// Who calls, one column each.
const COLUMNS: [&str; 6] = [
    "no token",
    "officer device",
    "officer session",
    "supervisor",
    "legal reviewer",
    "admin",
];

/// Tokens and ids the rows use.
struct Ctx {
    /// Token per column (None: no Authorization header).
    tokens: [Option<String>; 6],
    /// User id of an officer (qy-zf-003).
    officer_user: String,
    /// A device that the revoke row may revoke.
    spare_device: String,
    /// The demo roster.
    roster: Value,
    /// Counter for unique values.
    n: AtomicUsize,
}

impl Ctx {
    fn unique(&self) -> usize {
        self.n.fetch_add(1, Ordering::Relaxed)
    }
}

/// One endpoint: method, path (with `{officer_user}` / `{spare_device}`), body,
/// and the expected status per column of [`COLUMNS`].
struct Row {
    method: Method,
    path: &'static str,
    body: fn(&Ctx) -> Option<Value>,
    expect: [u16; 6],
}

fn no_body(_: &Ctx) -> Option<Value> {
    None
}
fn empty_sync(_: &Ctx) -> Option<Value> {
    Some(json!({
        "protocol": liuhen_core::sync::protocol::PROTOCOL_VERSION,
        "device_time": chrono::Utc::now(),
        "roster_version": null,
        "docs": [],
    }))
}
fn review_comment(_: &Ctx) -> Option<Value> {
    Some(json!({ "comment": "请补充照片" }))
}
fn cancel_reason(_: &Ctx) -> Option<Value> {
    Some(json!({ "reason": "矩阵测试" }))
}
fn empty_object(_: &Ctx) -> Option<Value> {
    Some(json!({}))
}
fn new_user(c: &Ctx) -> Option<Value> {
    Some(json!({
        "login": format!("matrix-{}", c.unique()),
        "name": "矩阵用户",
        "role": "supervisor",
        "password": "long-enough",
    }))
}
fn roster(c: &Ctx) -> Option<Value> {
    Some(c.roster.clone())
}

/// Every API endpoint that exists (sync and tus rows are added with them).
fn rows() -> Vec<Row> {
    use Method as M;
    const PUBLIC: [u16; 6] = [200; 6];
    const ADMIN_ONLY: [u16; 6] = [401, 401, 403, 403, 403, 200];
    vec![
        Row {
            method: M::GET,
            path: "/healthz",
            body: no_body,
            expect: PUBLIC,
        },
        // Credentials travel in the body; the token is ignored. `{}` is malformed.
        Row {
            method: M::POST,
            path: "/api/v1/login",
            body: empty_object,
            expect: [400; 6],
        },
        Row {
            method: M::POST,
            path: "/api/v1/enroll",
            body: empty_object,
            expect: [400; 6],
        },
        Row {
            method: M::GET,
            path: "/api/v1/me",
            body: no_body,
            expect: [401, 200, 200, 200, 200, 200],
        },
        Row {
            method: M::GET,
            path: "/api/v1/admin/users",
            body: no_body,
            expect: ADMIN_ONLY,
        },
        Row {
            method: M::POST,
            path: "/api/v1/admin/users",
            body: new_user,
            expect: [401, 401, 403, 403, 403, 201],
        },
        Row {
            method: M::POST,
            path: "/api/v1/admin/users/{officer_user}/enrollment-code",
            body: empty_object,
            expect: ADMIN_ONLY,
        },
        Row {
            method: M::GET,
            path: "/api/v1/admin/devices",
            body: no_body,
            expect: ADMIN_ONLY,
        },
        Row {
            method: M::POST,
            path: "/api/v1/admin/devices/{spare_device}/revoke",
            body: empty_object,
            expect: ADMIN_ONLY,
        },
        Row {
            method: M::PUT,
            path: "/api/v1/admin/roster",
            body: roster,
            expect: ADMIN_ONLY,
        },
        // Sync: officers' devices only.
        Row {
            method: M::POST,
            path: liuhen_core::sync::protocol::SYNC_PATH,
            body: empty_sync,
            expect: [401, 200, 401, 401, 401, 401],
        },
        // Inspections: supervisors and admins of the agency read; supervisors review.
        Row {
            method: M::GET,
            path: "/api/v1/inspections",
            body: no_body,
            expect: [401, 401, 403, 200, 403, 200],
        },
        Row {
            method: M::GET,
            path: "/api/v1/inspections/0193a5c0-0000-7000-8000-000000000000",
            body: no_body,
            expect: [401, 401, 403, 404, 403, 404],
        },
        Row {
            method: M::POST,
            path: "/api/v1/inspections/0193a5c0-0000-7000-8000-000000000000/review",
            body: review_comment,
            expect: [401, 401, 403, 404, 403, 403],
        },
        // Double random draws (issue 7).
        Row {
            method: M::GET,
            path: "/api/v1/admin/directory/targets",
            body: no_body,
            expect: ADMIN_ONLY,
        },
        Row {
            method: M::GET,
            path: "/api/v1/admin/directory/officers",
            body: no_body,
            expect: ADMIN_ONLY,
        },
        Row {
            method: M::GET,
            path: "/api/v1/admin/categories",
            body: no_body,
            expect: ADMIN_ONLY,
        },
        Row {
            method: M::GET,
            path: "/api/v1/admin/check-items",
            body: no_body,
            expect: [401, 401, 403, 200, 403, 200],
        },
        Row {
            method: M::GET,
            path: "/api/v1/conflicts",
            body: no_body,
            expect: [401, 401, 200, 200, 403, 200],
        },
        Row {
            method: M::GET,
            path: "/api/v1/draws",
            body: no_body,
            expect: [401, 401, 403, 200, 403, 200],
        },
        Row {
            method: M::POST,
            path: "/api/v1/draws/no-such-draw/run",
            body: empty_object,
            expect: [401, 401, 403, 404, 403, 404],
        },
        Row {
            method: M::POST,
            path: "/api/v1/tasks/no-such-task/cancel",
            body: cancel_reason,
            expect: [401, 401, 403, 404, 403, 404],
        },
        Row {
            method: M::GET,
            path: "/api/v1/public/draws",
            body: no_body,
            expect: PUBLIC,
        },
        Row {
            method: M::GET,
            path: "/api/v1/public/draws/no-such-draw",
            body: no_body,
            expect: [404; 6],
        },
        Row {
            method: M::GET,
            path: "/api/v1/no-such-endpoint",
            body: no_body,
            expect: [404; 6],
        },
    ]
}

#[test]
fn endpoint_role_matrix() {
    let server = TestServer::start(true);
    let device: TestDevice = server.enroll_password("qy-zf-002", DEMO_PASSWORD);
    let spare = server.enroll_password("qy-zf-003", DEMO_PASSWORD);
    let ctx = Ctx {
        tokens: [
            None,
            Some(device.token.clone()),
            Some(server.login("qy-zf-001", DEMO_PASSWORD)),
            Some(server.login("supervisor", DEMO_PASSWORD)),
            Some(server.login("legal", DEMO_PASSWORD)),
            Some(server.login("admin", DEMO_PASSWORD)),
        ],
        officer_user: spare.user["id"].as_str().unwrap().to_string(),
        spare_device: spare.device_id.clone(),
        roster: serde_json::from_str(liuhen_server::demo::DEMO_ROSTER_JSON).unwrap(),
        n: AtomicUsize::new(0),
    };
    let client = common::client();
    let mut failures = Vec::new();
    for row in rows() {
        let path = row
            .path
            .replace("{officer_user}", &ctx.officer_user)
            .replace("{spare_device}", &ctx.spare_device);
        for (col, expected) in row.expect.iter().enumerate() {
            let mut req = client.request(row.method.clone(), server.url(&path));
            if let Some(token) = &ctx.tokens[col] {
                req = req.bearer_auth(token);
            }
            if let Some(body) = (row.body)(&ctx) {
                req = req.json(&body);
            }
            let (status, body) = status_json(req.send().unwrap());
            if status != *expected {
                failures.push(format!(
                    "{} {} as {}: expected {expected}, got {status} {body}",
                    row.method, row.path, COLUMNS[col]
                ));
            } else if status >= 400 {
                // Every refusal is a JSON error with a code and a message.
                if !(body["code"].is_string() && body["message"].is_string()) {
                    failures.push(format!(
                        "{} {} as {}: refusal without a JSON error: {body}",
                        row.method, row.path, COLUMNS[col]
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}
