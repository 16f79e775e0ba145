//! The store under bad conditions: a full disk during a write, a corrupted document
//! blob, a store file from a newer version, a file that is not a database, and a
//! document from a newer schema. Each gets a clear error and loses nothing.

use crate::common;

use automerge::transaction::Transactable;
use common::*;
use liuhen_core::CoreError;
use liuhen_core::doc::DocError;
use liuhen_core::store::StoreError;

#[test]
fn full_disk_during_a_write_keeps_every_acknowledged_step() {
    let dir = tempfile::tempdir().unwrap();
    let clock = TestClock::at(start_time());
    let mut core = open_core(dir.path(), &clock);
    let id = core.open_for_task("task-1", "o1").unwrap();
    core.check_in(&id, "o1").unwrap();
    core.check_in(&id, "o2").unwrap();
    let pages: i64 = core
        .store()
        .connection_for_tests()
        .query_row("PRAGMA page_count", [], |r| r.get(0))
        .unwrap();
    core.store_mut()
        .set_max_page_count_for_tests(pages as u64 + 8)
        .unwrap();

    let mut acked = vec![];
    let err = loop {
        let text = format!("{} 第 {} 条", "长篇检查记录".repeat(600), acked.len());
        match core.add_finding(&id, &text, vec![], "o1") {
            Ok(_) => acked.push(text),
            Err(e) => break e,
        }
        assert!(acked.len() < 1000, "the page limit never hit");
    };
    assert!(
        matches!(err, CoreError::Store(StoreError::DiskFull)),
        "{err:?}"
    );
    assert!(err.to_string().contains("存储空间已满"), "{err}");
    assert!(!acked.is_empty());

    let log_len = core.store().log_entries(None).unwrap().len();
    let i = core.inspection(&id).unwrap();
    assert_eq!(
        i.findings.len(),
        acked.len(),
        "the refused step left nothing behind"
    );
    core.verify_log().unwrap();

    // Space is freed: the officer retries and it works, and it all survives a restart.
    core.store_mut()
        .set_max_page_count_for_tests(1 << 30)
        .unwrap();
    core.add_finding(&id, "清理空间后重试", vec![], "o1")
        .unwrap();
    drop(core);
    let mut core = open_core(dir.path(), &clock);
    let i = core.inspection(&id).unwrap();
    assert_eq!(i.findings.len(), acked.len() + 1);
    for (f, a) in i.findings.iter().zip(&acked) {
        assert_eq!(&f.text, a);
    }
    assert_eq!(core.store().log_entries(None).unwrap().len(), log_len + 1);
    core.verify_log().unwrap();
}

#[test]
fn corrupted_document_blob_is_reported_and_others_still_open() {
    let dir = tempfile::tempdir().unwrap();
    let clock = TestClock::at(start_time());
    let (good, bad) = {
        let mut core = open_core(dir.path(), &clock);
        let good = core.open_for_task("task-1", "o1").unwrap();
        let item = liuhen_core::model::CheckItem {
            code: "HB-09".into(),
            name: "信访投诉现场核查".into(),
            legal_basis: String::new(),
        };
        let bad = core.open_ad_hoc("t1", "生态环境", &item, "o1").unwrap();
        core.check_in(&bad, "o1").unwrap();
        (good, bad)
    };
    let db = dir.path().join("liuhen.db");
    let original: Vec<u8> = {
        let conn = rusqlite::Connection::open(&db).unwrap();
        let original: Vec<u8> = conn
            .query_row(
                "SELECT bytes FROM doc_chunks WHERE doc_id = ?1 AND seq = 1",
                [&bad],
                |r| r.get(0),
            )
            .unwrap();
        let mut damaged = original.clone();
        let mid = damaged.len() / 2;
        damaged[mid] ^= 0x5a;
        damaged.truncate(damaged.len() - 3);
        conn.execute(
            "UPDATE doc_chunks SET bytes = ?2 WHERE doc_id = ?1 AND seq = 1",
            rusqlite::params![&bad, damaged],
        )
        .unwrap();
        original
    };
    let mut core = open_core(dir.path(), &clock);
    assert_eq!(
        core.list_inspections(false).unwrap().len(),
        2,
        "the list still works"
    );
    let e = core.inspection(&bad).unwrap_err();
    assert!(
        matches!(
            &e,
            CoreError::Store(StoreError::CorruptDocument { chunk: 1, .. })
        ),
        "{e:?}"
    );
    assert!(
        e.to_string().contains(&bad) && e.to_string().contains("已损坏"),
        "{e}"
    );
    assert!(core.inspection(&good).is_ok());
    // Steps on the damaged record are refused, nothing is overwritten.
    assert!(core.add_finding(&bad, "x", vec![], "o1").is_err());
    let stored = core.store().load_document(&bad).unwrap();
    assert_eq!(
        stored.chunks.len(),
        2,
        "the damaged chunk is kept for recovery"
    );
    assert_ne!(stored.chunks[1].1, original);
}

#[test]
fn store_from_a_newer_version_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let clock = TestClock::at(start_time());
    {
        let mut core = open_core(dir.path(), &clock);
        core.open_for_task("task-1", "o1").unwrap();
    }
    let db = dir.path().join("liuhen.db");
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
    }
    let e = liuhen_core::Core::open(dir.path()).unwrap_err();
    assert!(
        matches!(
            e,
            CoreError::Store(StoreError::NewerSchema {
                found: 99,
                supported: liuhen_core::store::STORE_VERSION
            })
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("请升级应用"), "{e}");
    let conn = rusqlite::Connection::open(&db).unwrap();
    let v: u32 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(v, 99);
    let n: i64 = conn
        .query_row("SELECT COUNT(*) FROM documents", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 1, "the data is untouched");
}

#[test]
fn a_file_that_is_not_a_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("liuhen.db"),
        b"this is not sqlite, just some text. ".repeat(200),
    )
    .unwrap();
    let e = liuhen_core::Core::open(dir.path()).unwrap_err();
    assert!(
        matches!(e, CoreError::Store(StoreError::CorruptFile { .. })),
        "{e:?}"
    );
    assert!(e.to_string().contains("已损坏"), "{e}");
}

#[test]
fn document_from_a_newer_schema_is_refused_on_merge() {
    let dir = tempfile::tempdir().unwrap();
    let clock = TestClock::at(start_time());
    let mut core = open_core(dir.path(), &clock);
    let id = core.open_for_task("task-1", "o1").unwrap();
    let bytes = core.export_document(&id).unwrap();
    let mut doc = automerge::AutoCommit::load(&bytes).unwrap();
    doc.put(automerge::ROOT, "schema_version", 7i64).unwrap();
    let newer = doc.save();
    let e = core.merge_document(&newer, "o1").unwrap_err();
    assert!(
        matches!(e, CoreError::Doc(DocError::NewerSchema { found: 7, .. })),
        "{e:?}"
    );
    assert_eq!(
        core.inspection(&id).unwrap().schema_version,
        liuhen_core::doc::BASE_SCHEMA_VERSION
    );
    let e = core.merge_document(b"garbage", "o1").unwrap_err();
    assert!(matches!(e, CoreError::Doc(DocError::Corrupt(_))), "{e:?}");
}

#[test]
fn evidence_dropped_from_the_document_is_reported_by_the_rules() {
    use liuhen_core::inspection::{EvidenceKind, InspectionStep};
    let dir = tempfile::tempdir().unwrap();
    let clock = TestClock::at(start_time());
    let mut core = open_core(dir.path(), &clock);
    let id = core.open_for_task("task-1", "o1").unwrap();
    core.check_in(&id, "o1").unwrap();
    core.check_in(&id, "o2").unwrap();
    let p = file(dir.path(), "p.jpg", b"photo of the leak");
    let h = capture(
        &mut core,
        &id,
        &p,
        EvidenceKind::Photo,
        InspectionStep::Findings,
        "o1",
    );
    assert!(core.verify_evidence(&id).unwrap().is_empty());

    // A rogue copy deletes the evidence reference and is merged back in.
    let bytes = core.export_document(&id).unwrap();
    let mut rogue = automerge::AutoCommit::load(&bytes).unwrap();
    let (_, list) = automerge::ReadDoc::get(&rogue, automerge::ROOT, "evidence")
        .unwrap()
        .unwrap();
    rogue.delete(&list, 0usize).unwrap();
    let rogue = rogue.save();
    core.merge_document(&rogue, "o1").unwrap();
    assert!(core.inspection(&id).unwrap().evidence.is_empty());

    let problems = core.verify_evidence(&id).unwrap();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].rule, "R-REC-5");
    assert!(
        problems[0].message.contains(&h[..12]),
        "{}",
        problems[0].message
    );
    assert!(problems[0].message.contains("不得删除"));
    // And closing is refused for the same reason.
    let v = core.violations(&id).unwrap();
    assert!(v.iter().any(|x| x.rule == "R-REC-5"));
}

/// Upgrade from a committed store written by the version-1 code (the CLI `demo`,
/// before migration 0002 existed): it migrates, keeps every record, and the log
/// signed under version 1 still verifies.
#[test]
fn committed_v1_store_upgrades_and_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/store_v1.db"),
        dir.path().join("liuhen.db"),
    )
    .unwrap();
    {
        let conn = rusqlite::Connection::open(dir.path().join("liuhen.db")).unwrap();
        let v: u32 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, 1, "the fixture is a version-1 store");
    }
    let mut core = liuhen_core::Core::open(dir.path()).unwrap();
    let v: u32 = core
        .store()
        .connection_for_tests()
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(v, liuhen_core::store::STORE_VERSION);
    let index: i64 = core
        .store()
        .connection_for_tests()
        .query_row(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = 'documents_unsynced'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(index, 1);
    let list = core.list_inspections(true).unwrap();
    assert_eq!(list.len(), 1);
    let i = core.inspection(&list[0].id).unwrap();
    assert_eq!(i.team.len(), 2);
    assert!(i.closure.is_some());
    assert!(!i.findings.is_empty());
    // The document written at schema v2 was migrated on load: one more signed entry.
    assert_eq!(core.verify_log().unwrap(), 13);
    let last = core.store().log_entries(None).unwrap().pop().unwrap();
    assert_eq!(last.action, "migrate");
    // Migration brings it to the base version; v4 comes with a first position.
    assert_eq!(i.schema_version, liuhen_core::doc::BASE_SCHEMA_VERSION);
    assert!(core.roster().unwrap().officers.len() >= 4);
}
