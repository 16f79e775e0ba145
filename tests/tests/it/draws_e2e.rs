//! Double random draws end to end (R-RAND-1..3): a real `liuhen-server --demo`
//! process and real device stores syncing over loopback. A drawn task reaches only
//! the two drawn officers' devices, appears in their offline task list, links to
//! the inspection they record, and a cancellation reaches the devices too.

use liuhen_core::api::CoreError;
use liuhen_e2e::{Device, TestServer};
use serde_json::{Value, json};

fn post(server: &TestServer, token: &str, path: &str, body: Value) -> Value {
    let resp = reqwest::blocking::Client::new()
        .post(format!("{}{path}", server.base_url))
        .bearer_auth(token)
        .json(&body)
        .send()
        .expect("request");
    let status = resp.status();
    let body: Value = resp.json().expect("json answer");
    assert!(status.is_success(), "{path}: {status} {body}");
    body
}

#[test]
fn drawn_task_reaches_only_its_officers_and_links_to_their_inspection() {
    let server = TestServer::start_demo();
    let mut d1 = Device::enrolled(&server, "qy-zf-001");
    let mut d2 = Device::enrolled(&server, "qy-zf-002");
    let mut d3 = Device::enrolled(&server, "qy-zf-003");
    for d in [&mut d1, &mut d2, &mut d3] {
        d.sync();
    }

    let supervisor = server.login("supervisor");
    let committed = post(
        &server,
        &supervisor,
        "/api/v1/draws",
        json!({"item_code": "QYHJ-SJ-07"}),
    );
    let draw_id = committed["id"].as_str().expect("draw id").to_string();
    let ran = post(
        &server,
        &supervisor,
        &format!("/api/v1/draws/{draw_id}/run"),
        json!({}),
    );
    let drawn: Vec<String> = ran["teams"]
        .as_array()
        .expect("teams")
        .iter()
        .filter_map(|t| t["task_id"].as_str().map(str::to_string))
        .collect();
    assert_eq!(drawn.len(), 2, "{ran}");

    // Next sync: the drawn tasks are in officers 1 and 2's offline task lists only.
    for d in [&mut d1, &mut d2, &mut d3] {
        d.sync();
    }
    let mine = |d: &Device| -> Vec<String> {
        let mut v: Vec<String> = d
            .core
            .tasks(Some(&d.officer_id))
            .expect("tasks")
            .into_iter()
            .map(|t| t.id)
            .filter(|id| id.starts_with(&draw_id))
            .collect();
        v.sort();
        v
    };
    assert_eq!(mine(&d1), drawn);
    assert_eq!(mine(&d2), drawn);
    assert!(mine(&d3).is_empty());
    let roster3 = d3.core.roster().expect("roster");
    assert!(
        !roster3.tasks.iter().any(|t| t.id.starts_with(&draw_id)),
        "officer 3's device holds no drawn task at all"
    );

    // Offline on site: officer 1 opens the first drawn task, both check in
    // (R-SCENE-1 against the cached roster, R-RAND-2 the drawn team).
    let id = d1
        .core
        .open_for_task(&drawn[0], "qy-zf-001")
        .expect("open drawn task");
    d1.core.check_in(&id, "qy-zf-001").expect("check in 1");
    d1.core.check_in(&id, "qy-zf-002").expect("check in 2");
    // Officer 3 is not on the team.
    assert!(d1.core.check_in(&id, "qy-zf-003").is_err());
    d1.sync();
    let inspections: Vec<Value> = reqwest::blocking::Client::new()
        .get(format!("{}/api/v1/inspections", server.base_url))
        .bearer_auth(&supervisor)
        .send()
        .expect("list")
        .json()
        .expect("list json");
    let row = inspections
        .iter()
        .find(|r| r["id"] == id.as_str())
        .expect("inspection on the server");
    assert_eq!(row["task_id"], drawn[0].as_str());

    // The second task is cancelled with a reason; the devices learn it at sync and
    // refuse to open it.
    post(
        &server,
        &supervisor,
        &format!("/api/v1/tasks/{}/cancel", drawn[1]),
        json!({"reason": "该单位已注销"}),
    );
    // Cancelling a task that already has an inspection is refused.
    let resp = reqwest::blocking::Client::new()
        .post(format!(
            "{}/api/v1/tasks/{}/cancel",
            server.base_url, drawn[0]
        ))
        .bearer_auth(&supervisor)
        .json(&json!({"reason": "x"}))
        .send()
        .expect("cancel");
    assert_eq!(resp.status().as_u16(), 409);
    d2.sync();
    match d2.core.open_for_task(&drawn[1], "qy-zf-002") {
        Err(CoreError::TaskCancelled { id, reason }) => {
            assert_eq!(id, drawn[1]);
            assert!(reason.contains("该单位已注销"), "{reason}");
        }
        other => panic!("expected TaskCancelled, got {other:?}"),
    }
    assert_eq!(
        mine(&d2),
        vec![drawn[0].clone()],
        "cancelled task left the list"
    );
}
