//! Double random draws against a real `liuhen-server --demo` process over real HTTP:
//! commit–reveal, delivery of drawn tasks only to the two officers' devices at sync,
//! cancellation and reassignment reaching the devices, the public record (natural
//! persons masked, R-POST-2/R-POST-4), `verify-draw`, and bad input.

use crate::common;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use common::{DEMO_PASSWORD, TestServer, run_cli, status_json};

fn sync(server: &TestServer, token: &str, roster_version: Option<&str>) -> Value {
    let (status, body) = status_json(
        server
            .post_json(
                liuhen_core::sync::protocol::SYNC_PATH,
                &json!({
                    "protocol": liuhen_core::sync::protocol::PROTOCOL_VERSION,
                    "device_time": chrono::Utc::now(),
                    "roster_version": roster_version,
                    "docs": [],
                }),
            )
            .bearer_auth(token)
            .send()
            .unwrap(),
    );
    assert_eq!(status, 200, "sync: {body}");
    body
}

fn task_ids(sync_answer: &Value, prefix: &str) -> Vec<String> {
    sync_answer["roster"]["tasks"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|t| t["id"].as_str())
                .filter(|id| id.starts_with(prefix))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn post(server: &TestServer, token: &str, path: &str, body: Value) -> (u16, Value) {
    status_json(
        server
            .post_json(path, &body)
            .bearer_auth(token)
            .send()
            .unwrap(),
    )
}

/// Commits and runs a draw of the demo item QYHJ-SJ-07 (100 %, every demo target);
/// returns the run answer.
fn draw_07(server: &TestServer, supervisor: &str) -> Value {
    let (status, committed) = post(
        server,
        supervisor,
        "/api/v1/draws",
        json!({"item_code": "QYHJ-SJ-07"}),
    );
    assert_eq!(status, 201, "{committed}");
    let id = committed["id"].as_str().unwrap().to_string();
    let (status, ran) = post(
        server,
        supervisor,
        &format!("/api/v1/draws/{id}/run"),
        json!({"public_entropy": "2026135"}),
    );
    assert_eq!(status, 200, "{ran}");
    ran
}

#[test]
fn drawn_tasks_reach_only_the_two_officers_devices_and_changes_reach_them_too() {
    let server = TestServer::start(true);
    let d1 = server.enroll_password("qy-zf-001", DEMO_PASSWORD);
    let d2 = server.enroll_password("qy-zf-002", DEMO_PASSWORD);
    let d3 = server.enroll_password("qy-zf-003", DEMO_PASSWORD);
    let before: Vec<Value> = [&d1, &d2, &d3]
        .iter()
        .map(|d| sync(&server, &d.token, None))
        .collect();
    let supervisor = server.login("supervisor", DEMO_PASSWORD);
    let ran = draw_07(&server, &supervisor);
    let draw_id = ran["id"].as_str().unwrap();
    // Today only 李明 and 陈晓红 hold valid certificates (黄志强's expired, 吴建国's is
    // suspended); 陈晓红 declared a conflict with qy-dx-0002, so it is unstaffed.
    let teams = ran["teams"].as_array().unwrap();
    assert_eq!(teams.len(), 3);
    let staffed: Vec<String> = teams
        .iter()
        .filter(|t| t["status"] == "open")
        .map(|t| t["task_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(staffed.len(), 2);
    let unstaffed = teams.iter().find(|t| t["status"] == "unstaffed").unwrap();
    assert_eq!(unstaffed["target_id"], "qy-dx-0002");
    assert!(
        unstaffed["note"].as_str().unwrap().starts_with("R-RAND-2"),
        "{unstaffed}"
    );

    // Officers 1 and 2 get both tasks at their next sync (new roster version); 3 none.
    let mut versions = vec![];
    for (d, old) in [&d1, &d2, &d3].iter().zip(&before) {
        let old_version = old["roster_version"].as_str().unwrap();
        let now = sync(&server, &d.token, Some(old_version));
        let mine = task_ids(&now, draw_id);
        if d.device_id == d3.device_id {
            assert!(now["roster"].is_null(), "officer 3's roster did not change");
            assert!(mine.is_empty());
        } else {
            let mut mine = mine;
            mine.sort();
            assert_eq!(mine, staffed);
            let t = &now["roster"]["tasks"]
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["id"] == staffed[0].as_str())
                .unwrap()
                .clone();
            assert_eq!(t["source"], "draw");
            assert_eq!(t["status"], "open");
            assert_eq!(t["item"]["code"], "QYHJ-SJ-07");
        }
        versions.push(now["roster_version"].as_str().unwrap().to_string());
    }
    // Unchanged rosters are not sent again.
    assert!(sync(&server, &d1.token, Some(&versions[0]))["roster"].is_null());

    // Cancel the first task with a reason: both devices get it as cancelled.
    let (status, body) = post(
        &server,
        &supervisor,
        &format!("/api/v1/tasks/{}/cancel", staffed[0]),
        json!({"reason": "企业已停产，经局务会研究取消"}),
    );
    assert_eq!(status, 200, "{body}");
    for (d, v) in [(&d1, &versions[0]), (&d2, &versions[1])] {
        let now = sync(&server, &d.token, Some(v));
        let t = now["roster"]["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == staffed[0].as_str())
            .unwrap()
            .clone();
        assert_eq!(t["status"], "cancelled");
        assert!(t["note"].as_str().unwrap().contains("企业已停产"), "{t}");
    }
    assert!(
        sync(&server, &d3.token, Some(&versions[2]))["roster"].is_null(),
        "officer 3 learns nothing"
    );
    // A reason is required; a cancelled task cannot be cancelled again.
    let (status, body) = post(
        &server,
        &supervisor,
        &format!("/api/v1/tasks/{}/cancel", staffed[1]),
        json!({"reason": "  "}),
    );
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("invalid_field"))
    );
    let (status, _) = post(
        &server,
        &supervisor,
        &format!("/api/v1/tasks/{}/cancel", staffed[0]),
        json!({"reason": "again"}),
    );
    assert_eq!(status, 409);

    // Reassign the second task to two newly listed officers: checked like a draw.
    let admin = server.login("admin", DEMO_PASSWORD);
    for (id, name, cert) in [
        ("qy-zf-005", "周敏", "44180025005"),
        ("qy-zf-006", "郑凯", "44180025006"),
    ] {
        let (status, body) = post(
            &server,
            &admin,
            "/api/v1/admin/directory/officers",
            json!({
                "id": id, "agency_id": "qy-sthj", "name": name,
                "unit": "清远市生态环境局执法监察支队", "post": "执法队员",
                "certificate_no": cert, "categories": ["生态环境"], "areas": ["441800"],
                "valid_from": "2025-01-01", "valid_until": "2030-12-31", "status": "active"
            }),
        );
        assert_eq!(status, 200, "{body}");
        let (status, body) = post(
            &server,
            &admin,
            "/api/v1/admin/users",
            json!({"login": id, "name": name, "role": "officer", "officer_id": id,
                   "password": DEMO_PASSWORD}),
        );
        assert_eq!(status, 201, "{body}");
    }
    // R-SCENE-1: 黄志强's certificate has expired: refused, naming him.
    let (status, body) = post(
        &server,
        &supervisor,
        &format!("/api/v1/tasks/{}/reassign", staffed[1]),
        json!({"officer_ids": ["qy-zf-005", "qy-zf-003"], "reason": "人员调整"}),
    );
    assert_eq!(status, 400, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("R-SCENE-1"),
        "{body}"
    );
    let (status, body) = post(
        &server,
        &supervisor,
        &format!("/api/v1/tasks/{}/reassign", staffed[1]),
        json!({"officer_ids": ["qy-zf-005", "qy-zf-006"], "reason": "原检查组成员借调省厅"}),
    );
    assert_eq!(status, 200, "{body}");
    let d5 = server.enroll_password("qy-zf-005", DEMO_PASSWORD);
    let now5 = sync(&server, &d5.token, None);
    assert_eq!(task_ids(&now5, draw_id), vec![staffed[1].clone()]);
    // The former officers' devices learn of it (and check-in would refuse them).
    let now1 = sync(&server, &d1.token, None);
    let t = now1["roster"]["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == staffed[1].as_str())
        .unwrap()
        .clone();
    assert_eq!(t["officer_ids"], json!(["qy-zf-005", "qy-zf-006"]));
    assert!(t["note"].as_str().unwrap().contains("借调省厅"), "{t}");

    // The public record shows both events and stays verifiable.
    let (status, record) = status_json(
        server
            .get(&format!("/api/v1/public/draws/{draw_id}"))
            .send()
            .unwrap(),
    );
    assert_eq!(status, 200);
    assert_eq!(record["events"].as_array().unwrap().len(), 2);
    let path = server.data_dir.join("record.json");
    std::fs::write(&path, record.to_string()).unwrap();
    let (ok, out, err) = run_cli(&["verify-draw", path.to_str().unwrap()], None);
    assert!(ok, "{out}\n{err}");
}

#[test]
fn commit_reveal_public_record_and_verify_draw() {
    let server = TestServer::start(true);
    let supervisor = server.login("supervisor", DEMO_PASSWORD);
    let (status, committed) = post(
        &server,
        &supervisor,
        "/api/v1/draws",
        json!({"item_code": "QYHJ-SJ-07", "due_date": "2026-12-31"}),
    );
    assert_eq!(status, 201, "{committed}");
    let id = committed["id"].as_str().unwrap().to_string();
    // Before the run: the commitment and inputs hash are public, the seed is not.
    assert!(committed["seed"].is_null());
    assert_eq!(committed["status"], "committed");
    let commitment = committed["seed_commitment"].as_str().unwrap().to_string();
    let (_, list) = status_json(server.get("/api/v1/public/draws").send().unwrap());
    let row = list
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id.as_str())
        .unwrap()
        .clone();
    assert_eq!(row["seed_commitment"], commitment.as_str());
    assert_eq!(row["inputs_hash"], committed["inputs_hash"]);
    let (_, public) = status_json(
        server
            .get(&format!("/api/v1/public/draws/{id}"))
            .send()
            .unwrap(),
    );
    assert!(public["seed"].is_null());
    // verify-draw on an unrun draw says so and fails.
    let early = server.data_dir.join("early.json");
    std::fs::write(&early, public.to_string()).unwrap();
    let (ok, out, _) = run_cli(&["verify-draw", early.to_str().unwrap()], None);
    assert!(!ok);
    assert!(out.contains("尚未执行"), "{out}");

    let (status, ran) = post(
        &server,
        &supervisor,
        &format!("/api/v1/draws/{id}/run"),
        json!({}),
    );
    assert_eq!(status, 200, "{ran}");
    let seed = ran["seed"].as_str().unwrap();
    assert_eq!(
        hex::encode(Sha256::digest(hex::decode(seed).unwrap())),
        commitment
    );
    // Running twice is refused.
    let (status, body) = post(
        &server,
        &supervisor,
        &format!("/api/v1/draws/{id}/run"),
        json!({}),
    );
    assert_eq!(status, 409, "{body}");

    // The public record: officers by name and certificate number; the natural
    // person 刘建华 only as 刘某, no address or ID number of anyone.
    let resp = server
        .get(&format!("/api/v1/public/draws/{id}"))
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let text = resp.text().unwrap();
    assert!(!text.contains("刘建华"), "natural person named");
    assert!(text.contains("刘某"));
    assert!(
        !text.contains("坑口村"),
        "natural person's address published"
    );
    assert!(!text.contains("\"address\""));
    assert!(text.contains("44180021001") && text.contains("李明"));
    let record: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(record["agency_name"], "清远市生态环境局");

    // Anyone can re-run it: from a file and from the URL.
    let path = server.data_dir.join("record.json");
    std::fs::write(&path, &text).unwrap();
    let (ok, out, err) = run_cli(&["verify-draw", path.to_str().unwrap()], None);
    assert!(ok, "{out}\n{err}");
    assert!(out.contains("验证结论：一致"), "{out}");
    let (ok, out, _) = run_cli(
        &[
            "verify-draw",
            &server.url(&format!("/api/v1/public/draws/{id}")),
        ],
        None,
    );
    assert!(ok, "{out}");

    // Tampering is caught: a changed team, a changed input, a changed seed.
    let mut team = record.clone();
    team["outcome"]["drawn"][1]["officer_ids"] = json!(["qy-zf-001", "qy-zf-003"]);
    let mut input = record.clone();
    input["inputs"]["targets"][0]["area"] = json!("441881");
    let mut seed_swap = record.clone();
    seed_swap["seed"] = json!("00".repeat(32));
    for (name, bad, needle) in [
        ("team", team, "重新抽取结果与公布结果不一致"),
        ("input", input, "输入数据哈希不一致"),
        ("seed", seed_swap, "随机种子与抽取前公布的承诺值不一致"),
    ] {
        let p = server.data_dir.join(format!("bad-{name}.json"));
        std::fs::write(&p, bad.to_string()).unwrap();
        let (ok, out, _) = run_cli(&["verify-draw", p.to_str().unwrap()], None);
        assert!(!ok, "{name} tampering not caught:\n{out}");
        assert!(out.contains(needle), "{name}: {out}");
        assert!(out.contains("验证结论：不一致"), "{out}");
    }
    let (ok, _, err) = run_cli(&["verify-draw", "/nonexistent/record.json"], None);
    assert!(!ok);
    assert!(err.contains("无法读取抽查记录"), "{err}");
}

#[test]
fn bad_input_gets_a_clear_error_and_changes_nothing() {
    let server = TestServer::start(true);
    let supervisor = server.login("supervisor", DEMO_PASSWORD);
    let admin = server.login("admin", DEMO_PASSWORD);
    let item = |code: &str, ratio: u32, areas: Value| {
        json!({
            "code": code, "name": "测试事项", "checking_body": "清远市生态环境局",
            "legal_basis": "《环境保护法》", "category": "生态环境",
            "target_kinds": [], "target_areas": areas, "content": "检查",
            "ratio_bp": ratio, "method": "现场检查", "frequency": "每年一次"
        })
    };
    // A ratio over 100 %.
    let (status, body) = post(
        &server,
        &admin,
        "/api/v1/admin/check-items",
        item("T-120", 12_000, json!([])),
    );
    assert_eq!(status, 400, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("R-PRE-3"),
        "{body}"
    );
    assert!(
        body["message"].as_str().unwrap().contains("抽查比例"),
        "{body}"
    );
    // An unknown category.
    let mut unknown = item("T-CAT", 500, json!([]));
    unknown["category"] = json!("生态环竟");
    let (status, body) = post(&server, &admin, "/api/v1/admin/check-items", unknown);
    assert_eq!(status, 400);
    assert!(
        body["message"].as_str().unwrap().contains("未知的执法类别"),
        "{body}"
    );
    let (_, items) = status_json(
        server
            .get("/api/v1/admin/check-items")
            .bearer_auth(&supervisor)
            .send()
            .unwrap(),
    );
    assert_eq!(items.as_array().unwrap().len(), 2, "nothing stored");

    // A draw over an empty population (no target in 440100).
    let (status, _) = post(
        &server,
        &admin,
        "/api/v1/admin/check-items",
        item("T-EMPTY", 500, json!(["440100"])),
    );
    assert_eq!(status, 200);
    let (status, body) = post(
        &server,
        &supervisor,
        "/api/v1/draws",
        json!({"item_code": "T-EMPTY"}),
    );
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["code"], "draw_invalid");
    assert!(
        body["message"].as_str().unwrap().starts_with("R-RAND-1"),
        "{body}"
    );
    // An unknown item; a due date before the draw; an officer may not draw.
    let (status, _) = post(
        &server,
        &supervisor,
        "/api/v1/draws",
        json!({"item_code": "NOPE"}),
    );
    assert_eq!(status, 404);
    let (status, body) = post(
        &server,
        &supervisor,
        "/api/v1/draws",
        json!({"item_code": "QYHJ-SJ-07", "due_date": "2020-01-01"}),
    );
    assert_eq!(status, 400, "{body}");
    let officer = server.login("qy-zf-001", DEMO_PASSWORD);
    let (status, _) = post(
        &server,
        &officer,
        "/api/v1/draws",
        json!({"item_code": "QYHJ-SJ-07"}),
    );
    assert_eq!(status, 403);
    let (_, list) = status_json(server.get("/api/v1/public/draws").send().unwrap());
    assert_eq!(list.as_array().unwrap().len(), 0, "no draw was stored");

    // A duplicate certificate number through the API.
    let (status, body) = post(
        &server,
        &admin,
        "/api/v1/admin/directory/officers",
        json!({
            "id": "qy-zf-009", "agency_id": "qy-sthj", "name": "重复证号",
            "unit": "支队", "post": "队员", "certificate_no": "44180021001",
            "categories": ["生态环境"], "areas": ["441800"],
            "valid_from": "2025-01-01", "valid_until": "2030-12-31", "status": "active"
        }),
    );
    assert_eq!(status, 409, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("44180021001"),
        "{body}"
    );
    // A bad credit code through the API.
    let (status, body) = post(
        &server,
        &admin,
        "/api/v1/admin/directory/targets",
        json!({
            "id": "qy-dx-0009", "agency_id": "qy-sthj", "name": "某公司",
            "kind": "organisation", "credit_code": "91441802MA53XKP2R8",
            "address": "清远市", "category": "生态环境", "area": "441802", "location": null
        }),
    );
    assert_eq!(status, 400, "{body}");

    // An officer declares their own conflict, not someone else's.
    let (status, body) = post(
        &server,
        &officer,
        "/api/v1/conflicts",
        json!({"officer_id": "qy-zf-001", "target_id": "qy-dx-0003", "reason": "同村亲属"}),
    );
    assert_eq!(status, 201, "{body}");
    let (status, _) = post(
        &server,
        &officer,
        "/api/v1/conflicts",
        json!({"officer_id": "qy-zf-002", "target_id": "qy-dx-0003", "reason": "代为申报"}),
    );
    assert_eq!(status, 403);
}
