//! Tests of `server/src/api/admin.rs`.

use liuhen_domain::model::RosterSnapshot;
use liuhen_server::api::admin::*;
use liuhen_server::error::AppError;

fn roster() -> RosterSnapshot {
    serde_json::from_str(include_str!(
        "../../../../../core/tests/data/demo-roster.json"
    ))
    .unwrap()
}

#[test]
fn demo_roster_passes() {
    check_roster(&roster()).unwrap();
}

fn field_of(e: AppError) -> String {
    match e {
        AppError::InvalidField { field, .. } => field,
        other => panic!("{other:?}"),
    }
}

#[test]
fn roster_errors_name_the_field() {
    let mut r = roster();
    r.officers[1].agency_id = "other".into();
    assert_eq!(
        field_of(check_roster(&r).unwrap_err()),
        "officers[1].agency_id"
    );
    let mut r = roster();
    r.officers[0].name = String::new();
    assert_eq!(
        field_of(check_roster(&r).unwrap_err()),
        "officers[0].officer.name"
    );
    let mut r = roster();
    r.tasks[0].officer_ids[1] = "ghost".into();
    assert_eq!(
        field_of(check_roster(&r).unwrap_err()),
        "tasks[0].officer_ids[1]"
    );
    let mut r = roster();
    r.tasks[0].target_id = "ghost".into();
    assert_eq!(
        field_of(check_roster(&r).unwrap_err()),
        "tasks[0].target_id"
    );
}

#[test]
fn qr_payload_encodes_the_server() {
    assert_eq!(
        qr_payload("http://127.0.0.1:8080", "ABCD2345"),
        "liuhen://enroll?server=http%3A%2F%2F127.0.0.1%3A8080&code=ABCD2345"
    );
}
