//! The rights notice officers read to the party (R-SCENE-4) is the agency's data on
//! the server, never the apps' text: the demo seeds it, the admin edits it with the
//! roster, the phone receives it with its roster at sync, and the record keeps the
//! version and channels of the text actually read. A real server process on loopback.

use liuhen_core::inspection::Acknowledgement;
use liuhen_core::model::RosterSnapshot;
use liuhen_e2e::{Device, TestServer};
use serde_json::{Value, json};

const O1: &str = "qy-zf-001";
const O2: &str = "qy-zf-002";
const TASK: &str = "QY-2026-SJ-0117";

/// The demo roster the server loads (`serve --demo`; its `DEMO_ROSTER_JSON`).
const DEMO_ROSTER_JSON: &str = include_str!("../../../core/tests/data/demo-roster.json");

fn refused() -> Acknowledgement {
    Acknowledgement::Refused {
        witness_name: "村委会主任 陈国强".into(),
        reason: "当事人不愿签字".into(),
    }
}

fn put_roster(server: &TestServer, admin: &str, roster: &Value) -> (u16, Value) {
    let resp = reqwest::blocking::Client::new()
        .put(format!("{}/api/v1/admin/roster", server.base_url))
        .bearer_auth(admin)
        .json(roster)
        .send()
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().unwrap())
}

#[test]
fn the_notice_comes_from_the_server_and_the_record_keeps_the_version_read() {
    let server = TestServer::start_demo();
    let demo: RosterSnapshot = serde_json::from_str(DEMO_ROSTER_JSON).unwrap();
    let seeded = demo
        .agency
        .rights_notice
        .clone()
        .expect("the demo seeds a notice");
    let mut phone = Device::enrolled(&server, O1);
    assert!(phone.core.rights_notice_text().is_err(), "no roster yet");
    phone.sync();
    assert_eq!(
        phone.core.rights_notice_text().unwrap(),
        Some(seeded.clone())
    );

    let id = phone.core.open_for_task(TASK, O1).unwrap();
    phone.core.check_in(&id, O1).unwrap();
    phone.core.check_in(&id, O2).unwrap();

    // The admin publishes a new version; a notice without channels is refused.
    let admin = server.login("admin");
    let mut roster: Value = serde_json::from_str(DEMO_ROSTER_JSON).unwrap();
    roster["agency"]["rights_notice"]["remedy_channels"] = json!([]);
    let (status, body) = put_roster(&server, &admin, &roster);
    assert_eq!(status, 400, "{body}");
    assert!(body.to_string().contains("R-SCENE-4"), "{body}");
    roster["agency"]["rights_notice"] = json!({
        "version": "清远生态环境-2026-02",
        "text": "（2026 年 2 月修订）你（单位）享有陈述、申辩的权利……",
        "remedy_channels": ["六十日内申请行政复议", "六个月内提起行政诉讼"],
    });
    let (status, body) = put_roster(&server, &admin, &roster);
    assert_eq!(status, 200, "{body}");

    // Offline, the phone still holds the seeded text and records it by its version.
    phone
        .core
        .give_rights_notice(&id, &seeded.version, refused(), O1)
        .unwrap();
    let r = phone.core.inspection(&id).unwrap().rights_notice.unwrap();
    assert_eq!(r.notice_version, seeded.version);
    assert_eq!(r.remedy_channels, seeded.remedy_channels);

    // The next sync brings the new text; the old version can no longer be given.
    let report = phone.sync();
    assert!(report.roster_updated, "{report:?}");
    let new = phone.core.rights_notice_text().unwrap().unwrap();
    assert_eq!(new.version, "清远生态环境-2026-02");
    assert_eq!(new.remedy_channels.len(), 2);
    let e = phone
        .core
        .give_rights_notice(&id, &seeded.version, refused(), O1)
        .unwrap_err();
    assert!(e.to_string().contains("清远生态环境-2026-02"), "{e}");

    // The supervisor sees the version the party actually heard.
    let supervisor = server.login("supervisor");
    let held = server.supervisor_inspection(&supervisor, &id).unwrap();
    let r = held.rights_notice.unwrap();
    assert_eq!(r.notice_version, seeded.version);
    assert_eq!(r.remedy_channels, seeded.remedy_channels);
}
