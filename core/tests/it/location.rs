//! The capture position on check-ins and evidence (schema v4, R-REC-3): every valid
//! position round-trips exactly through the document and the `Core`, every value
//! out of range is refused naming its field and the rule, and a record without a
//! position stays a schema-3 document.

use crate::common;

use chrono::Duration;
use common::*;
use liuhen_core::CoreError;
use liuhen_core::api::CaptureInput;
use liuhen_core::doc::{BASE_SCHEMA_VERSION, InspectionDoc, LOCATION_SCHEMA_VERSION};
use liuhen_core::inspection::{CaptureLocation, EvidenceKind, InspectionStep, MAX_FIX_AHEAD_MS};
use proptest::prelude::*;

fn valid_location() -> impl Strategy<Value = (f64, f64, f64, i64)> {
    (
        -90.0f64..=90.0,
        -180.0f64..=180.0,
        0.001f64..100_000.0,
        // Fix time relative to the capture: up to a day before, up to the allowed
        // skew after.
        -86_400_000i64..=MAX_FIX_AHEAD_MS,
    )
}

fn bad_number() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        180.000_001f64..1e12,
        -1e12f64..-180.000_001,
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn every_valid_location_passes_and_round_trips((lat, lon, acc, ahead) in valid_location()) {
        let at = start_time();
        let l = CaptureLocation { lat, lon, accuracy_m: acc, fixed_at: at + Duration::milliseconds(ahead) };
        prop_assert!(l.check(at).is_ok());
        let json = serde_json::to_string(&l).unwrap();
        let back: CaptureLocation = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(back, l);
    }

    #[test]
    fn every_value_out_of_range_is_refused_with_its_field(
        (lat, lon, acc, _) in valid_location(),
        bad in bad_number(),
        which in 0usize..3,
    ) {
        let at = start_time();
        let mut l = CaptureLocation { lat, lon, accuracy_m: acc, fixed_at: at };
        let field = match which {
            0 => { l.lat = if bad.is_finite() { bad.signum() * 90.5 + bad / 1e6 } else { bad }; "lat" }
            1 => { l.lon = bad; "lon" }
            _ => { l.accuracy_m = if bad.is_finite() { -bad.abs() } else { bad }; "accuracy_m" }
        };
        let e = l.check(at).unwrap_err();
        prop_assert_eq!(e.field, field);
        prop_assert!(e.reason.starts_with("R-REC-3: "), "{}", e.reason);
    }

    #[test]
    fn a_fix_taken_after_the_capture_beyond_the_skew_is_refused(late in (MAX_FIX_AHEAD_MS + 1)..86_400_000i64) {
        let at = start_time();
        let l = CaptureLocation { lat: 23.68, lon: 113.05, accuracy_m: 9.0, fixed_at: at + Duration::milliseconds(late) };
        let e = l.check(at).unwrap_err();
        prop_assert_eq!(e.field, "fixed_at");
        prop_assert!(e.reason.contains("R-REC-3"));
    }
}

#[test]
fn zero_accuracy_is_refused() {
    let at = start_time();
    let l = CaptureLocation {
        lat: 0.0,
        lon: 0.0,
        accuracy_m: 0.0,
        fixed_at: at,
    };
    assert_eq!(l.check(at).unwrap_err().field, "accuracy_m");
}

fn fix(core: &liuhen_core::Core) -> CaptureLocation {
    CaptureLocation {
        lat: 23.681_234,
        lon: 113.056_789,
        accuracy_m: 7.5,
        fixed_at: core.now() - Duration::seconds(15),
    }
}

#[test]
fn check_in_and_photo_keep_their_position_and_older_records_stay_v3() {
    let dir = tempfile::tempdir().unwrap();
    let clock = TestClock::at(start_time());
    let mut core = open_core(dir.path(), &clock);

    // A record without any position is a schema-3 document, as before.
    let plain = core.open_for_task("task-1", "o1").unwrap();
    core.check_in(&plain, "o1").unwrap();
    let v = core.inspection(&plain).unwrap();
    assert_eq!(v.schema_version, BASE_SCHEMA_VERSION);
    assert_eq!(v.team[0].location, None);
    let bytes = core.export_document(&plain).unwrap();
    let reloaded = InspectionDoc::load(&bytes).unwrap();
    assert_eq!(reloaded.schema_version().unwrap(), BASE_SCHEMA_VERSION);

    let item = liuhen_core::model::CheckItem {
        code: "HB-09".into(),
        name: "信访投诉现场核查".into(),
        legal_basis: "《中华人民共和国环境保护法》第二十四条".into(),
    };
    let id = core.open_ad_hoc("t2", "生态环境", &item, "o1").unwrap();
    let at_check_in = fix(&core);
    core.check_in_at(&id, "o1", Some(at_check_in)).unwrap();
    let photo = file(dir.path(), "outlet.jpg", b"outlet");
    let at_photo = fix(&core);
    let captured = core
        .capture_evidence(
            &id,
            &photo,
            CaptureInput {
                kind: EvidenceKind::Photo,
                media_type: "image/jpeg".into(),
                step: InspectionStep::Findings,
                location: Some(at_photo),
            },
            "o1",
        )
        .unwrap();
    let v = core.inspection(&id).unwrap();
    assert_eq!(v.schema_version, LOCATION_SCHEMA_VERSION);
    assert_eq!(v.team[0].location, Some(at_check_in));
    let e = v.evidence_by_hash(&captured.reference.sha256).unwrap();
    assert_eq!(e.location(), Some(at_photo));
    // And from the saved document, as another device or the server reads it.
    let doc = InspectionDoc::load(&core.export_document(&id).unwrap()).unwrap();
    let read = doc.read().unwrap();
    assert_eq!(read.team[0].location, Some(at_check_in));
    assert_eq!(read.evidence[0].location(), Some(at_photo));
}

#[test]
fn the_core_refuses_a_bad_position_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let clock = TestClock::at(start_time());
    let mut core = open_core(dir.path(), &clock);
    let id = core.open_for_task("task-1", "o1").unwrap();
    let before = core.inspection(&id).unwrap();

    let mut bad = fix(&core);
    bad.lat = 91.0;
    let e = core.check_in_at(&id, "o1", Some(bad)).unwrap_err();
    assert!(
        matches!(e, CoreError::Invalid(ref m) if m.field == "team.location.lat"),
        "{e}"
    );
    assert!(e.to_string().contains("R-REC-3"), "{e}");

    let mut late = fix(&core);
    late.fixed_at = core.now() + Duration::minutes(5);
    let e = core.check_in_at(&id, "o1", Some(late)).unwrap_err();
    assert!(e.to_string().contains("fixed_at"), "{e}");
    assert_eq!(core.inspection(&id).unwrap(), before, "nothing written");

    core.check_in(&id, "o1").unwrap();
    let photo = file(dir.path(), "p.jpg", b"p");
    let mut coarse = fix(&core);
    coarse.accuracy_m = f64::NAN;
    let e = core
        .capture_evidence(
            &id,
            &photo,
            CaptureInput {
                kind: EvidenceKind::Photo,
                media_type: "image/jpeg".into(),
                step: InspectionStep::Findings,
                location: Some(coarse),
            },
            "o1",
        )
        .unwrap_err();
    assert!(
        matches!(e, CoreError::Invalid(ref m) if m.field == "evidence.accuracy_m"),
        "{e}"
    );
    assert!(core.inspection(&id).unwrap().evidence.is_empty());
}
