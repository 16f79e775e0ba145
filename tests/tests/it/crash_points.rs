//! Crashes at every write boundary of a merge (issue 16): the server process is
//! aborted at each named crash point in turn (`FAILPOINTS`, see
//! `server/src/failpoints.rs`), restarted, and the phone syncs again. Whatever the
//! point, nothing the phone recorded is lost, nothing is stored twice, and no
//! evidence is left unrequested: the document, its evidence references, its queue
//! summary and the phone's sync state are committed together or not at all.
//! A second test plays an older server that lost evidence references: the start-up
//! repair re-derives them and the phone's next sync uploads the files.

use std::path::Path;
use std::time::Duration;

use liuhen_e2e::{Device, TestServer, png_bytes};
use liuhen_server_store::failpoints::SYNC_MERGE_POINTS;

const O1: &str = "qy-zf-001";
const O2: &str = "qy-zf-002";
const TASK: &str = "QY-2026-SJ-0117";

fn db(data_dir: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(data_dir.join("liuhen-server.db")).unwrap()
}

fn count(data_dir: &Path, sql: &str, id: &str) -> i64 {
    db(data_dir).query_row(sql, [id], |r| r.get(0)).unwrap()
}

/// A record with a finding and a photo on the phone, not yet synced.
fn record_with_photo(a: &mut Device, seed: u64) -> (String, String) {
    let id = a.core.open_for_task(TASK, O1).unwrap();
    a.core.check_in(&id, O1).unwrap();
    a.core.check_in(&id, O2).unwrap();
    let photo = a.capture_photo(&id, &png_bytes(32, 24, seed), "image/png");
    a.core
        .add_finding(&id, "危废贮存间标识不全", vec![photo.clone()], O1)
        .unwrap();
    (id, photo)
}

/// After recovery: the server holds the phone's record exactly, one evidence
/// reference, the file received, a current queue summary counting it.
fn assert_consistent(server: &TestServer, a: &mut Device, id: &str, photo: &str, point: &str) {
    let dir = &server.data_dir;
    assert_eq!(
        count(dir, "SELECT COUNT(*) FROM docs WHERE id = ?1", id),
        1,
        "{point}"
    );
    let heads: String = db(dir)
        .query_row("SELECT heads FROM docs WHERE id = ?1", [id], |r| r.get(0))
        .unwrap();
    let mut local = automerge::AutoCommit::load(&a.core.export_document(id).unwrap()).unwrap();
    let mut want: Vec<String> = local.get_heads().iter().map(|h| h.to_string()).collect();
    let mut got: Vec<String> = serde_json::from_str(&heads).unwrap();
    want.sort();
    got.sort();
    assert_eq!(got, want, "{point}: the server holds what the phone has");
    assert_eq!(
        count(
            dir,
            "SELECT COUNT(*) FROM blob_refs WHERE inspection_id = ?1",
            id
        ),
        1,
        "{point}: one evidence reference"
    );
    assert!(
        server.blob_verified(photo),
        "{point}: the photo was uploaded"
    );
    let (total, missing, summary_heads): (i64, i64, String) = db(dir)
        .query_row(
            "SELECT evidence_total, evidence_missing, doc_heads FROM queue_summaries WHERE doc_id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(
        (total, missing),
        (1, 0),
        "{point}: the queue counts the photo"
    );
    assert_eq!(
        summary_heads, heads,
        "{point}: the summary is of the stored record"
    );
    assert!(a.unsynced().is_empty(), "{point}: {:?}", a.unsynced());
}

#[test]
fn a_crash_at_every_write_boundary_of_a_merge_loses_nothing() {
    for (n, point) in SYNC_MERGE_POINTS.iter().enumerate() {
        let dir = tempfile::tempdir().unwrap();
        let env = format!("{point}=return");
        let mut server =
            TestServer::start_in_with_env(dir.path(), &[], &[("FAILPOINTS", env.as_str())]);
        let mut a = Device::enrolled(&server, O1);
        a.sync();
        let (id, photo) = record_with_photo(&mut a, 100 + n as u64);
        // The merge reaches the point and the process dies there.
        assert!(a.try_sync().is_err(), "{point}: the sync cannot complete");
        assert!(
            server.wait_for_exit(Duration::from_secs(60)),
            "{point}: the server aborted at the crash point"
        );
        assert!(
            a.core
                .list_inspections(true)
                .unwrap()
                .iter()
                .any(|d| d.id == id),
            "{point}: the phone keeps its record"
        );
        let server = server.restart();
        let (report, _) = a.sync_retrying(3);
        assert!(report.needs_attention.is_empty(), "{point}: {report:?}");
        assert_consistent(&server, &mut a, &id, &photo, point);
    }
}

#[test]
fn evidence_references_an_older_server_lost_are_re_derived_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(dir.path(), &[]);
    let mut a = Device::enrolled(&server, O1);
    a.sync();
    let (id, photo) = record_with_photo(&mut a, 7);
    a.sync();
    assert!(server.blob_verified(&photo));
    let mut server = server;
    server.kill();
    // What a crash between storing the document and its references did before:
    // no reference, so the file was never requested and never arrived.
    std::fs::remove_file(server.blob_path(&photo)).unwrap();
    {
        let conn = db(dir.path());
        // Nor any trace of the upload (its state is in the database since issue 18).
        conn.execute("DELETE FROM uploads WHERE sha256 = ?1", [&photo])
            .unwrap();
        conn.execute("DELETE FROM blob_refs WHERE inspection_id = ?1", [&id])
            .unwrap();
        conn.execute("DELETE FROM blob_grants WHERE sha256 = ?1", [&photo])
            .unwrap();
    }
    let server = server.restart();
    // The repair runs at start, before the phone's next sync is answered or after:
    // the phone syncs until the server has asked for and received the file.
    let mut received = false;
    for _ in 0..20 {
        a.sync();
        if count(
            dir.path(),
            "SELECT COUNT(*) FROM blob_refs WHERE inspection_id = ?1",
            &id,
        ) == 1
            && server.blob_verified(&photo)
            && count(
                dir.path(),
                "SELECT COUNT(*) FROM blob_grants WHERE sha256 = ?1",
                &photo,
            ) == 1
        {
            received = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    assert!(
        received,
        "the lost reference was re-derived ({} rows) and the photo uploaded ({} rows)",
        count(
            dir.path(),
            "SELECT COUNT(*) FROM blob_refs WHERE inspection_id = ?1",
            &id
        ),
        count(
            dir.path(),
            "SELECT COUNT(*) FROM blob_grants WHERE sha256 = ?1",
            &photo
        )
    );
    assert_consistent(&server, &mut a, &id, &photo, "repair");
}
