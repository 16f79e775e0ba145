//! End-to-end tests, one binary (issue 17: one link instead of one per file). Each
//! module is one former `tests/*.rs` file; the harness (real server processes, devices,
//! fault proxy) is the `liuhen_e2e` library.

mod agency_boundary;
mod bad_input;
mod browser;
mod convergence_props;
mod crash_points;
mod deployment;
mod desk_browser;
/// The demo's fixed inspection ids, from the server's own source file: these tests
/// drive the server binary and do not link its library (issue 17).
#[path = "../../../server/src/demo/desk_ids.rs"]
#[allow(dead_code)]
mod desk_ids;
mod device_log_e2e;
mod draft_sync_e2e;
mod draws_e2e;
mod faults;
mod field_cli;
mod js_client;
mod legal_browser;
mod multi_instance_state;
mod multi_writer;
mod offer_race;
mod pages_browser;
mod postgres_e2e;
mod public_browser_after;
mod public_browser_before;
mod rights_notice_e2e;
mod rules_browser;
mod sync_e2e;
mod trust_boundary;
mod uploads_e2e;
