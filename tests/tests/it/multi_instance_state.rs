//! Per-process state across server instances (issue 18): two processes on one
//! data directory (one database). A holiday calendar year an admin imports through
//! one instance counts on the other within a few seconds (each instance compares
//! the stored years every `calendar_refresh::REFRESH_EVERY` and reloads when they
//! moved).

use std::time::{Duration, Instant};

use liuhen_e2e::TestServer;

/// A year the program does not carry (built in: 2024-2026).
const YEAR: i32 = 2031;

fn years(server: &TestServer, session: &str) -> Vec<i32> {
    let v: serde_json::Value = reqwest::blocking::Client::new()
        .get(format!("{}/api/v1/legal/calendar", server.base_url))
        .bearer_auth(session)
        .send()
        .expect("calendar request")
        .json()
        .expect("calendar answer");
    serde_json::from_value(v["years"].clone()).expect("years")
}

#[test]
fn a_calendar_year_imported_on_one_instance_counts_on_the_other() {
    let a = TestServer::start_demo();
    let b = a.another_instance(&[]);
    let (on_a, on_b) = (a.login("admin"), b.login("admin"));
    assert!(!years(&b, &on_b).contains(&YEAR));

    let json = format!(
        r#"{{"year": {YEAR}, "papers": ["https://www.gov.cn/"], "days": [{{"name": "元旦", "date": "{YEAR}-01-01", "isOffDay": true}}]}}"#
    );
    let resp = reqwest::blocking::Client::new()
        .post(format!("{}/api/v1/legal/calendar", a.base_url))
        .bearer_auth(&on_a)
        .json(&serde_json::json!({ "json": json }))
        .send()
        .expect("import");
    assert_eq!(resp.status(), 200, "{}", resp.text().unwrap_or_default());
    assert!(
        years(&a, &on_a).contains(&YEAR),
        "at once where it was imported"
    );

    // The other instance: within its refresh interval (waited for, generously).
    let until = Instant::now() + Duration::from_secs(60);
    while !years(&b, &on_b).contains(&YEAR) {
        assert!(
            Instant::now() < until,
            "instance B never saw the imported year"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    drop(b);
}
