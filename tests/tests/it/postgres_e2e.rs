//! Issue 18: the server binary on PostgreSQL (`serve --database postgres://...`). A
//! device enrolls, records an inspection with a photo and syncs; the record reads
//! back from the server through the supervisor API and a second device of another
//! officer receives it. Needs the test cluster: `eval "$(bash scripts/postgres.sh start)"`.

use liuhen_e2e::{Device, TestServer};

const O1: &str = "qy-zf-001";
const O2: &str = "qy-zf-002";
const TASK: &str = "QY-2026-SJ-0117";

/// A fresh database on the test cluster; a missing cluster fails the test.
fn fresh_database() -> String {
    let admin = std::env::var("LIUHEN_TEST_POSTGRES").unwrap_or_else(|_| {
        panic!(
            "LIUHEN_TEST_POSTGRES is not set: start a throwaway PostgreSQL cluster with \
             `eval \"$(bash scripts/postgres.sh start)\"`"
        )
    });
    let name = format!("liuhen_e2e_{}", uuid::Uuid::now_v7().simple());
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(liuhen_server_postgres::create_database(&admin, &name))
        .unwrap_or_else(|e| panic!("cannot create database {name}: {e}"))
}

#[test]
fn a_record_synced_to_a_server_on_postgres_reads_back() {
    let url = fresh_database();
    let server = TestServer::start_demo_with(&["--database", &url]);
    assert!(server.is_healthy());
    assert!(
        !server.data_dir.join("liuhen-server.db").exists(),
        "no SQLite file when the records are in PostgreSQL"
    );
    let mut a = Device::enrolled(&server, O1);
    let r = a.sync();
    assert!(r.roster_updated, "{r:?}");
    let id = a.core.open_for_task(TASK, O1).unwrap();
    a.core.check_in(&id, O1).unwrap();
    a.core.check_in(&id, O2).unwrap();
    let sha = a.capture_photo(&id, &liuhen_e2e::png_bytes(1, 1, 18), "image/png");
    a.core
        .add_finding(&id, "危废贮存间标识不全", vec![sha.clone()], O1)
        .unwrap();
    let r = a.sync();
    assert_eq!(r.synced, vec![id.clone()], "{r:?}");
    assert_eq!(r.blobs_uploaded, vec![sha.clone()]);
    assert!(server.blob_verified(&sha));

    // The record reads back from the server, as the device wrote it.
    let session = server.login("supervisor");
    assert_eq!(server.supervisor_inspection_ids(&session), vec![id.clone()]);
    let on_server = server.supervisor_inspection(&session, &id).unwrap();
    assert_eq!(on_server, a.core.inspection(&id).unwrap());

    // Another officer's device receives it through the change cursor.
    let mut b = Device::enrolled(&server, O2);
    let r = b.sync();
    assert_eq!(r.received_new, vec![id.clone()], "{r:?}");
    assert_eq!(b.core.inspection(&id).unwrap(), on_server);
    // Nothing new the second time.
    let again = b.sync();
    assert!(again.received_new.is_empty(), "{again:?}");
}
