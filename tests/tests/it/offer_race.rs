//! A write that lands on the server while a device's sync request is being answered
//! (a supervisor's comment between this request's reply and its offer). The request
//! hands back a change cursor that already covers that write; before the fix the
//! record was left out of the offer because it was an entry of the request, so the
//! device stored the cursor and never heard of the write until the record was written
//! again (seen as a rare stall in `multi_writer`). Now the server offers an entry
//! whose heads moved after its reply was made, and the device asks for it again in
//! its next round.
//!
//! The failpoint `sync.before_offer=2*sleep(1500)->off` holds the first two sync
//! requests after it is set for 1.5 s each between their replies and their offer
//! (a known record's change goes up in a run's second request, after the first
//! exchanged heads): the test waits until the phone's change is on
//! the server (its merge committed, its request now inside that window) and then
//! writes the same record through the review API, which commits at once. The
//! server runs without the failpoint until that sync, and only that run's first two
//! requests wait: the others would wait 1.5 s each for nothing (issue 17).

use std::time::{Duration, Instant};

use liuhen_e2e::{Device, TestServer};

const O1: &str = "qy-zf-001";
const TASK: &str = "QY-2026-SJ-0117";
const COMMENT: &str = "请补充现场照片";

fn comments(d: &mut Device, id: &str) -> Vec<String> {
    let held = d.core.inspection(id).unwrap();
    held.review
        .comments
        .iter()
        .map(|c| c.text.clone())
        .collect()
}

#[test]
fn a_write_during_a_devices_sync_request_reaches_that_device_in_the_same_run() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(dir.path(), &[]);
    let mut phone = Device::enrolled(&server, O1);
    phone.sync();
    let id = phone.core.open_for_task(TASK, O1).unwrap();
    phone.core.check_in(&id, O1).unwrap();
    phone.core.add_finding(&id, "开始检查", vec![], O1).unwrap();
    phone.sync();

    phone.core.add_finding(&id, "现场发现", vec![], O1).unwrap();
    // The same data and port, now with the next two sync requests held before their
    // offer.
    let server = server
        .restart_after_kill_with_env(&[("FAILPOINTS", "sync.before_offer=2*sleep(1500)->off")]);
    let session = server.login("supervisor");
    let run = std::thread::scope(|s| {
        let phone = &mut phone;
        let run = s.spawn(move || phone.sync());
        // The phone's change is on the server: its request is inside the window.
        let deadline = Instant::now() + Duration::from_secs(60);
        while !server
            .supervisor_inspection(&session, &id)
            .is_some_and(|i| i.findings.iter().any(|f| f.text == "现场发现"))
        {
            assert!(
                Instant::now() < deadline,
                "the change never reached the server"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        let resp = reqwest::blocking::Client::new()
            .post(format!(
                "{}/api/v1/inspections/{id}/review",
                server.base_url
            ))
            .bearer_auth(&session)
            .json(&serde_json::json!({ "comment": COMMENT }))
            .send()
            .unwrap();
        assert_eq!(
            resp.status().as_u16(),
            200,
            "{}",
            resp.text().unwrap_or_default()
        );
        run.join().unwrap()
    });
    // The run that raced with the comment did not end believing it was done: it
    // asked for the record again and received the comment.
    assert!(run.received_changes.contains(&id), "{run:?}");
    assert_eq!(comments(&mut phone, &id), vec![COMMENT.to_string()]);
    assert!(run.synced.contains(&id), "{run:?}");
    // And nothing is left for a later run.
    let again = phone.sync();
    assert!(again.received_changes.is_empty(), "{again:?}");
    assert_eq!(comments(&mut phone, &id), vec![COMMENT.to_string()]);
}
