//! The read model (issue 19 item 4): whatever the sequence of local edits and merges
//! on two devices, every record's stored read model is there after each write and
//! equals a fresh hydration of its stored document (conflicts included); a row made
//! by other code or from other bytes is never served.

use crate::common;

use common::{TestClock, open_core, start_time};
use liuhen_core::api::Core;
use proptest::prelude::*;
use tempfile::TempDir;

/// One step on device 0 or 1.
#[derive(Debug, Clone)]
enum Op {
    AddFinding(usize, u8),
    /// Edit the n-th finding this device sees (modulo their number).
    EditFinding(usize, usize, u8),
    CheckIn(usize, usize),
    /// Merge device `from`'s copy into the other device.
    Merge(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0usize..2, any::<u8>()).prop_map(|(d, t)| Op::AddFinding(d, t)),
        (0usize..2, 0usize..8, any::<u8>()).prop_map(|(d, n, t)| Op::EditFinding(d, n, t)),
        (0usize..2, 0usize..2).prop_map(|(d, o)| Op::CheckIn(d, o)),
        (0usize..2).prop_map(Op::Merge),
    ]
}

const OFFICERS: [&str; 2] = ["o1", "o2"];

/// The read model is there and equals a fresh hydration of the stored document.
fn assert_in_step(core: &mut Core, id: &str) -> Result<(), TestCaseError> {
    let stored = core.stored_inspection(id).unwrap();
    let fresh = core.inspection_hydrated(id).unwrap();
    prop_assert_eq!(
        stored.as_ref(),
        Some(&fresh),
        "read model differs from the document"
    );
    prop_assert_eq!(core.inspection(id).unwrap(), fresh);
    Ok(())
}

fn apply(devices: &mut [Core; 2], id: &str, op: &Op) {
    match *op {
        Op::AddFinding(d, t) => {
            devices[d]
                .add_finding(id, &format!("检查情况 {t}：现场核查。"), vec![], "o1")
                .unwrap();
        }
        Op::EditFinding(d, n, t) => {
            let findings = devices[d].inspection(id).unwrap().findings;
            if let Some(f) = findings.get(n % findings.len().max(1)) {
                devices[d]
                    .edit_finding(id, &f.id, &format!("修改 {t}"), "o1")
                    .unwrap();
            }
        }
        Op::CheckIn(d, o) => {
            // Checking in twice is refused; either way nothing is half-written.
            let _ = devices[d].check_in(id, OFFICERS[o]);
        }
        Op::Merge(from) => {
            let bytes = devices[from].export_document(id).unwrap();
            devices[1 - from].merge_document(&bytes, "o1").unwrap();
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn read_model_equals_a_fresh_hydration(ops in proptest::collection::vec(op(), 1..12)) {
        let clock = TestClock::at(start_time());
        let dirs = [TempDir::new().unwrap(), TempDir::new().unwrap()];
        let mut devices = [open_core(dirs[0].path(), &clock), open_core(dirs[1].path(), &clock)];
        let id = devices[0].open_for_task("task-1", "o1").unwrap();
        devices[0].check_in(&id, "o1").unwrap();
        let bytes = devices[0].export_document(&id).unwrap();
        devices[1].merge_document(&bytes, "o1").unwrap();
        for op in &ops {
            clock.advance_minutes(1);
            apply(&mut devices, &id, op);
            for d in devices.iter_mut() {
                assert_in_step(d, &id)?;
            }
        }
        // A fresh process reads the same from the read model.
        drop(devices);
        for dir in &dirs {
            let mut core = open_core(dir.path(), &clock);
            assert_in_step(&mut core, &id)?;
        }
    }
}

#[test]
fn a_row_from_other_code_or_other_bytes_is_not_served_and_is_rebuilt() {
    let dir = TempDir::new().unwrap();
    let clock = TestClock::at(start_time());
    let mut core = open_core(dir.path(), &clock);
    let id = core.open_for_task("task-1", "o1").unwrap();
    core.check_in(&id, "o1").unwrap();
    let expected = core.inspection_hydrated(&id).unwrap();
    assert_eq!(
        core.stored_inspection(&id).unwrap().as_ref(),
        Some(&expected)
    );

    // Written by another version of the code: hydrated, then rebuilt.
    core.store()
        .connection_for_tests()
        .execute("UPDATE doc_views SET model_version = '0/0/0'", [])
        .unwrap();
    assert_eq!(core.stored_inspection(&id).unwrap(), None);
    assert_eq!(core.inspection(&id).unwrap(), expected);
    assert_eq!(
        core.stored_inspection(&id).unwrap().as_ref(),
        Some(&expected)
    );

    // A store from before the read model (no row): the same.
    core.store()
        .connection_for_tests()
        .execute("DELETE FROM doc_views", [])
        .unwrap();
    assert_eq!(core.stored_inspection(&id).unwrap(), None);
    assert_eq!(core.inspection(&id).unwrap(), expected);
    assert_eq!(
        core.stored_inspection(&id).unwrap().as_ref(),
        Some(&expected)
    );

    // The view edited behind the code's back is not what the document says, but the
    // bytes it was made from are unchanged: the row is served only while the
    // document's chunks hash to its digest, so editing the chunks disables it.
    let conn = core.store().connection_for_tests();
    let mut bytes: Vec<u8> = conn
        .query_row(
            "SELECT bytes FROM doc_chunks WHERE doc_id = ?1 AND seq = 0",
            [&id],
            |r| r.get(0),
        )
        .unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    conn.execute(
        "UPDATE doc_chunks SET bytes = ?2 WHERE doc_id = ?1 AND seq = 0",
        rusqlite::params![&id, bytes],
    )
    .unwrap();
    assert_eq!(core.stored_inspection(&id).unwrap(), None);
}
