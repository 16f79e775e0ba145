//! Upgrade from a database an older server wrote (issue 17): `data/v10-demo.db` was
//! made by the server of commit 671dca7 (schema 10, before migrations 0011–0013)
//! running `serve --demo`, then compacted with `VACUUM INTO`. The current code opens
//! a copy, migrates it and must find the same accounts, roster, records, drafts
//! and draws.

use liuhen_server_sqlite::{DB_FILE_NAME, SCHEMA_VERSION, SqliteStorage};
use liuhen_server_store::Storage;
use liuhen_server_store::legal::LegalStorage;
use liuhen_server_store::queue::QueueStorage;

const OLD_DB: &[u8] = include_bytes!("data/v10-demo.db");

/// The number of stored records, read with plain SQL (before and after migrating).
fn stored_records(path: &std::path::Path) -> u64 {
    let c = rusqlite::Connection::open(path).expect("open the database file");
    c.query_row("SELECT COUNT(*) FROM docs", [], |r| r.get(0))
        .expect("count the records")
}

fn user_version(path: &std::path::Path) -> u32 {
    let c = rusqlite::Connection::open(path).expect("open the database file");
    c.query_row("PRAGMA user_version", [], |r| r.get(0))
        .expect("read user_version")
}

#[tokio::test]
async fn a_schema_10_demo_database_opens_migrated_with_its_data() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join(DB_FILE_NAME);
    std::fs::write(&path, OLD_DB).expect("copy the old database");
    assert_eq!(user_version(&path), 10, "the committed file is schema 10");
    let before = stored_records(&path);
    assert!(before > 0, "the committed file holds the demo records");

    let s = SqliteStorage::open_async(path.clone())
        .await
        .expect("the current code opens and migrates it");
    assert_eq!(s.schema_version().await.expect("schema"), SCHEMA_VERSION);

    // Accounts and their passwords' hashes survive.
    for login in ["admin", "supervisor", "legal"] {
        let u = s
            .user_by_login(login)
            .await
            .expect("read user")
            .unwrap_or_else(|| panic!("demo account {login} after the upgrade"));
        assert!(u.password_hash.starts_with("$argon2id$"), "{login}");
        assert_eq!(u.agency_id, "qy-sthj");
    }
    let users = s.users_of_agency("qy-sthj").await.expect("users");
    assert!(users.len() >= 4, "{} users", users.len());

    // The roster, the records with their queue summaries, drafts and draws.
    let (roster, _) = s
        .roster_for("qy-sthj", None)
        .await
        .expect("roster")
        .expect("the demo roster after the upgrade");
    assert!(!roster.officers.is_empty() && !roster.targets.is_empty());
    let docs = s.docs_for_agency("qy-sthj", 1000, 0).await.expect("docs");
    assert!(!docs.is_empty(), "the demo inspections after the upgrade");
    // Every record survives (the demo also has records of another agency).
    assert_eq!(s.total_docs().await.expect("count"), before);
    for d in &docs {
        let stored = s.doc(&d.id).await.expect("doc").expect("each record reads");
        assert!(!stored.bytes.is_empty(), "{}", d.id);
        assert!(
            s.queue_summary(&d.id).await.expect("summary").is_some(),
            "{}",
            d.id
        );
    }
    let drafts = s.legal_drafts("qy-sthj", &[]).await.expect("drafts");
    assert!(!drafts.is_empty(), "the demo drafts after the upgrade");
    assert!(!s.draws(Some("qy-sthj")).await.expect("draws").is_empty());

    // Migration 0013's change cursor offers every record of an officer once.
    let officer = &roster.officers[0].id;
    let offered = s
        .offer_scan("qy-sthj", officer, "a-new-device", 0)
        .await
        .expect("offer scan");
    assert!(offered.cursor > 0 || offered.docs.is_empty());

    // Reopening the migrated file is a no-op.
    drop(s);
    assert_eq!(user_version(&path), SCHEMA_VERSION);
    let again = SqliteStorage::open_async(path.clone())
        .await
        .expect("reopen");
    assert_eq!(again.total_docs().await.expect("count"), before);
}
