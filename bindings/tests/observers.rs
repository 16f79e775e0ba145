//! Observers in Rust (the same objects the apps use): the current value at once, then
//! every change; nothing after cancel or drop; a refused step notifies nobody.

use std::sync::{Arc, Mutex};

use liuhen_ffi::{
    InspectionObserver, InspectionView, LiuhenCore, LiuhenError, RecordsObserver, RecordsSnapshot,
    SyncStatus,
};

#[derive(Default)]
struct Seen {
    inspections: Mutex<Vec<InspectionView>>,
    errors: Mutex<Vec<String>>,
    records: Mutex<Vec<RecordsSnapshot>>,
}

impl InspectionObserver for Seen {
    fn on_update(&self, inspection: InspectionView) {
        self.inspections.lock().unwrap().push(inspection);
    }
    fn on_error(&self, detail: String) {
        self.errors.lock().unwrap().push(detail);
    }
}

impl RecordsObserver for Seen {
    fn on_update(&self, snapshot: RecordsSnapshot) {
        self.records.lock().unwrap().push(snapshot);
    }
}

/// A device directory with the demo roster cached (as after a first sync).
fn device_with_roster() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let roster =
        serde_json::from_str(include_str!("../../core/tests/data/demo-roster.json")).unwrap();
    let mut core = liuhen_core::Core::open(dir.path()).unwrap();
    core.load_roster(roster, "test").unwrap();
    dir
}

fn ad_hoc(core: &LiuhenCore) -> String {
    core.open_ad_hoc(
        "qy-dx-0001".into(),
        "生态环境".into(),
        "QYHJ-ZX-01".into(),
        "信访投诉核查".into(),
        "《中华人民共和国环境保护法》".into(),
        "qy-zf-001".into(),
    )
    .unwrap()
}

#[test]
fn inspection_observer_gets_the_current_value_then_every_change_until_cancelled() {
    let dir = device_with_roster();
    let core = LiuhenCore::open(dir.path().to_string_lossy().into()).unwrap();
    let id = ad_hoc(&core);
    let seen = Arc::new(Seen::default());
    let sub = core.observe_inspection(id.clone(), seen.clone());
    assert_eq!(
        seen.inspections.lock().unwrap().len(),
        1,
        "current value at once"
    );

    core.check_in(id.clone(), "qy-zf-001".into(), None).unwrap();
    core.check_in(id.clone(), "qy-zf-002".into(), None).unwrap();
    {
        let got = seen.inspections.lock().unwrap();
        assert_eq!(got.len(), 3);
        assert_eq!(got[2].team.len(), 2);
    }

    // A refused step changes nothing and notifies nobody.
    let refused = core.check_in(id.clone(), "qy-zf-003".into(), None);
    assert!(
        matches!(refused, Err(LiuhenError::RuleNotMet { ref rule, .. }) if rule == "R-SCENE-1")
    );
    assert_eq!(seen.inspections.lock().unwrap().len(), 3);

    // Another inspection's change is not delivered to this observer.
    let other = ad_hoc(&core);
    core.check_in(other, "qy-zf-001".into(), None).unwrap();
    assert_eq!(seen.inspections.lock().unwrap().len(), 3);

    sub.cancel();
    core.add_finding(id.clone(), "现场无异常".into(), vec![], "qy-zf-001".into())
        .unwrap();
    assert_eq!(
        seen.inspections.lock().unwrap().len(),
        3,
        "nothing after cancel"
    );

    drop(sub);
    let sub2 = core.observe_inspection(id.clone(), seen.clone());
    assert_eq!(
        seen.inspections
            .lock()
            .unwrap()
            .last()
            .unwrap()
            .findings
            .len(),
        1
    );
    drop(sub2);
    core.edit_finding(
        id.clone(),
        seen.inspections.lock().unwrap().last().unwrap().findings[0]
            .id
            .clone(),
        "现场无异常，已拍照".into(),
        "qy-zf-001".into(),
    )
    .unwrap();
    assert_eq!(
        seen.inspections.lock().unwrap().len(),
        4,
        "nothing after drop"
    );

    // Observing an unknown record reports an error instead of a value.
    let _missing = core.observe_inspection("no-such-record".into(), seen.clone());
    assert_eq!(seen.errors.lock().unwrap().len(), 1);
}

#[test]
fn records_observer_sees_each_records_sync_state() {
    let dir = device_with_roster();
    let core = LiuhenCore::open(dir.path().to_string_lossy().into()).unwrap();
    let seen = Arc::new(Seen::default());
    let _sub = core.observe_records(seen.clone());
    assert!(seen.records.lock().unwrap()[0].records.is_empty());
    let a = ad_hoc(&core);
    let b = ad_hoc(&core);
    let last = seen.records.lock().unwrap().last().unwrap().clone();
    assert_eq!(last.records.len(), 2);
    assert_eq!(last.records[0].id, b, "latest change first");
    assert!(
        last.records
            .iter()
            .all(|r| r.sync_status == SyncStatus::Pending)
    );
    assert!(!last.syncing);
    assert!(core.records(true).unwrap().iter().any(|r| r.id == a));
}

#[tokio::test(flavor = "current_thread")]
async fn sync_without_enrolment_says_so_and_keeps_records() {
    let dir = device_with_roster();
    let core = LiuhenCore::open(dir.path().to_string_lossy().into()).unwrap();
    let id = ad_hoc(&core);
    let err = core.clone().sync_now().await.unwrap_err();
    assert!(matches!(err, LiuhenError::NotEnrolled { .. }), "{err:?}");
    let records = core.records(true).unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].id, id);
    assert_eq!(records[0].sync_status, SyncStatus::Pending);
}
