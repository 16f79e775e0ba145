//! Device identity at enrolment (issue 16 item 5, issue 22 item 4) against a real
//! `liuhen-server --demo` process with a second agency: a device cannot take a
//! supervisor's server actor id or the schema chain's, an actor id belongs to one
//! device for ever (revoked or not), a revoked device id enrols again only as the
//! same person with the same actor id, and the device id, public key and actor id
//! are checked (property test over HTTP).

use crate::common;

use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestRunner};
use serde_json::{Value, json};

use common::{DEMO_PASSWORD, TestDevice, TestServer, new_identity, run_cli, status_json};

const SECOND_OFFICER: &str = "sg-zf-001";

/// A demo server (no sample inspections) with a second agency (韶关, `sg-sthj`) and
/// its officer [`SECOND_OFFICER`], written with the admin commands before start.
fn server_with_second_agency() -> (tempfile::TempDir, TestServer) {
    let dir = tempfile::tempdir().unwrap();
    let roster = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../core/tests/data/demo-roster.json"),
    )
    .unwrap()
    .replace("qy-", "sg-")
    .replace("QY-", "SG-")
    .replace("QYHJ", "SGHJ")
    .replace("清远", "韶关")
    .replace("清城", "浈江")
    .replace("441800", "440200");
    let file = dir.path().join("sg-roster.json");
    std::fs::write(&file, roster).unwrap();
    let data = dir.path().to_str().unwrap().to_string();
    let (ok, _, err) = run_cli(
        &[
            "admin",
            "load-roster",
            "--data-dir",
            &data,
            file.to_str().unwrap(),
        ],
        None,
    );
    assert!(ok, "{err}");
    let (ok, _, err) = run_cli(
        &[
            "admin",
            "create-user",
            "--agency",
            "sg-sthj",
            "--login",
            SECOND_OFFICER,
            "--name",
            "韶关执法员",
            "--role",
            "officer",
            "--officer-id",
            SECOND_OFFICER,
            "--password-stdin",
            "--data-dir",
            &data,
        ],
        Some(&format!("{DEMO_PASSWORD}\n")),
    );
    assert!(ok, "{err}");
    let server = TestServer::start_in(dir.path(), &["--demo", "--demo-without-inspections"])
        .unwrap_or_else(|logs| panic!("server did not start:\n{}", logs.join("\n")));
    (dir, server)
}

/// An enrolment body for `login` with a fresh identity.
fn body(login: &str) -> Value {
    let (device_id, key, actor) = new_identity();
    json!({
        "login": login,
        "password": DEMO_PASSWORD,
        "device_id": device_id,
        "public_key": hex::encode(key.verifying_key().as_bytes()),
        "actor_id": actor,
        "device_name": "测试手机",
    })
}

fn enroll(server: &TestServer, body: &Value) -> (u16, Value) {
    status_json(server.post_json("/api/v1/enroll", body).send().unwrap())
}

/// Asserts a refusal: status, code, and a Chinese message containing `words`.
fn assert_refused(got: (u16, Value), status: u16, code: &str, words: &str) {
    let (s, v) = got;
    assert_eq!((s, v["code"].as_str()), (status, Some(code)), "{v}");
    let message = v["message"].as_str().unwrap_or_default();
    assert!(message.contains(words), "{message}");
}

fn revoke(server: &TestServer, device_id: &str) {
    let admin = server.login("admin", DEMO_PASSWORD);
    let (status, v) = status_json(
        server
            .post_json(
                &format!("/api/v1/admin/devices/{device_id}/revoke"),
                &json!({}),
            )
            .bearer_auth(&admin)
            .send()
            .unwrap(),
    );
    assert_eq!(status, 200, "{v}");
}

/// The user id of a login, through `GET /api/v1/me`.
fn user_id(server: &TestServer, login: &str) -> String {
    let token = server.login(login, DEMO_PASSWORD);
    let (_, v) = status_json(server.get("/api/v1/me").bearer_auth(&token).send().unwrap());
    v["id"].as_str().unwrap().to_string()
}

/// Whether `token` is a working device token.
fn works(server: &TestServer, token: &str) -> bool {
    server
        .get("/api/v1/me")
        .bearer_auth(token)
        .send()
        .unwrap()
        .status()
        == 200
}

#[test]
fn a_device_cannot_take_a_server_actor_id() {
    let (_dir, server) = server_with_second_agency();
    // The supervisor's server actor (`sync::user_actor`), and the admin's and the
    // other agency's officer's: refused, whoever enrols.
    for login in ["supervisor", "admin", SECOND_OFFICER] {
        let actor = liuhen_server::api::sync::user_actor(&user_id(&server, login)).to_hex_string();
        for (officer, actor) in [
            ("qy-zf-001", actor.clone()),
            ("qy-zf-002", actor.to_uppercase()),
        ] {
            let mut b = body(officer);
            b["actor_id"] = json!(actor);
            assert_refused(
                enroll(&server, &b),
                409,
                "actor_id_reserved",
                "为服务器保留",
            );
        }
    }
    // The schema chain's actor: refused before the credentials are looked at, so
    // a one-time code is not used up.
    let code = server.demo_enrollment_code();
    let mut b = body("qy-zf-001");
    b.as_object_mut().unwrap().remove("login");
    b.as_object_mut().unwrap().remove("password");
    b["code"] = json!(code);
    b["actor_id"] = json!(liuhen_core::doc::schema_actor().to_hex_string());
    assert_refused(enroll(&server, &b), 409, "actor_id_reserved", "actor id");
    let device = server.enroll_code(&code);
    assert!(works(&server, &device.token));
}

#[test]
fn an_actor_id_belongs_to_one_device_for_ever() {
    let (_dir, server) = server_with_second_agency();
    let first = server.enroll_password("qy-zf-001", DEMO_PASSWORD);
    let taken = |login: &str| {
        let mut b = body(login);
        b["actor_id"] = json!(first.actor_id);
        assert_refused(
            enroll(&server, &b),
            409,
            "actor_id_taken",
            "已被其他设备使用",
        );
    };
    // Active: neither the same officer's other phone nor anyone else's.
    taken("qy-zf-001");
    taken("qy-zf-002");
    taken(SECOND_OFFICER);
    // Revoked: still its own.
    revoke(&server, &first.device_id);
    taken("qy-zf-001");
    taken("qy-zf-002");
    taken(SECOND_OFFICER);
}

#[test]
fn a_revoked_device_id_enrols_again_only_as_the_same_person_with_the_same_actor_id() {
    let (_dir, server) = server_with_second_agency();
    let device: TestDevice = server.enroll_password("qy-zf-001", DEMO_PASSWORD);
    revoke(&server, &device.device_id);
    let again = |login: &str, actor: &str| {
        let mut b = body(login);
        b["device_id"] = json!(device.device_id);
        b["actor_id"] = json!(actor);
        enroll(&server, &b)
    };
    // Another officer of the same agency, and an officer of another agency.
    for login in ["qy-zf-002", SECOND_OFFICER] {
        assert_refused(
            again(login, &device.actor_id),
            409,
            "device_other_person",
            "只能由原登记人员重新登记",
        );
    }
    // The same person with another actor id: its offline changes would be lost.
    let (status, v) = again("qy-zf-001", &common::random_hex(16));
    assert_refused((status, v.clone()), 409, "actor_id_changed", "沿用同一标识");
    assert!(
        v["message"].as_str().unwrap().contains(&device.actor_id),
        "{v}"
    );
    assert!(!works(&server, &device.token));

    // The same person, the same actor id (a new key is allowed): enrolled again.
    let (status, v) = again("qy-zf-001", &device.actor_id);
    assert_eq!(status, 200, "{v}");
    let token = v["token"].as_str().unwrap();
    assert!(works(&server, token));
    let (_, me) = status_json(server.get("/api/v1/me").bearer_auth(token).send().unwrap());
    assert_eq!(me["device_id"], device.device_id.as_str());
    assert_eq!(me["officer_id"], "qy-zf-001");
    let admin = server.login("admin", DEMO_PASSWORD);
    let (_, devices) = status_json(
        server
            .get("/api/v1/admin/devices")
            .bearer_auth(&admin)
            .send()
            .unwrap(),
    );
    let rows: Vec<&Value> = devices
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["id"] == device.device_id.as_str())
        .collect();
    assert_eq!(rows.len(), 1, "{devices}");
    assert_eq!(rows[0]["actor_id"], device.actor_id.as_str());
    assert!(rows[0]["revoked_at"].is_null());
    // Active again: a second enrolment of the id is `device_exists`.
    assert_refused(
        again("qy-zf-001", &device.actor_id),
        409,
        "device_exists",
        "此设备已登记",
    );
}

/// Device ids, public keys and actor ids over HTTP: whatever is sent, the answer
/// is 200 exactly when all three are well formed, else 400 `invalid_field` naming
/// the first bad field (issue 22 item 4).
#[test]
fn enrolment_fields_are_checked_property() {
    let server = TestServer::start(true);
    // Which field varies (device id, public key, actor id); the others are good.
    let strategy = (
        0u8..3,
        any::<[u8; 16]>(),
        "[ -~]{0,40}",
        any::<[u8; 32]>(),
        any::<bool>(),
    );
    let mut runner = TestRunner::new(ProptestConfig {
        cases: 48,
        ..ProptestConfig::default()
    });
    runner
        .run(
            &strategy,
            |(which, uuid_bytes, text, key_bytes, as_text)| {
                let mut b = body("qy-zf-001");
                let expected_bad = match which {
                    0 => {
                        let u = uuid::Uuid::from_bytes(uuid_bytes);
                        let canonical = u.hyphenated().to_string();
                        let value = if as_text {
                            text.clone()
                        } else {
                            canonical.clone()
                        };
                        b["device_id"] = json!(value);
                        let ok = uuid::Uuid::parse_str(&value)
                            .is_ok_and(|p| !p.is_nil() && p.hyphenated().to_string() == value);
                        (!ok).then_some("device_id")
                    }
                    1 => {
                        // 32 random bytes are a key only if a canonical point of full
                        // order; a signing key's public half always is.
                        let value = if as_text {
                            hex::encode(key_bytes)
                        } else {
                            hex::encode(
                                ed25519_dalek::SigningKey::from_bytes(&key_bytes)
                                    .verifying_key()
                                    .as_bytes(),
                            )
                        };
                        b["public_key"] = json!(value);
                        let ok = !as_text
                            || liuhen_server::api::device_identity::is_valid_public_key(&key_bytes);
                        (!ok).then_some("public_key")
                    }
                    _ => {
                        let value = if as_text {
                            text.clone()
                        } else {
                            hex::encode(uuid_bytes)
                        };
                        b["actor_id"] = json!(value);
                        let ok = hex::decode(value.trim()).is_ok_and(|v| v.len() == 16);
                        (!ok).then_some("actor_id")
                    }
                };
                let (status, v) = enroll(&server, &b);
                match expected_bad {
                    None => prop_assert_eq!(status, 200, "{}", v),
                    Some(f) => {
                        prop_assert_eq!(status, 400, "{}", v);
                        prop_assert_eq!(v["code"].as_str(), Some("invalid_field"));
                        let m = v["message"].as_str().unwrap_or_default();
                        prop_assert!(m.contains(&format!("字段 {f} 无效")), "{}", m);
                    }
                }
                Ok(())
            },
        )
        .unwrap();
}
