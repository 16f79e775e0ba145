//! Tests of `server/src/api/tus.rs`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::Duration;
use chrono::{TimeZone, Utc};
use liuhen_server::api::tus::*;
use liuhen_server::storage::BlobRecord;
use sha2::{Digest, Sha256};

#[test]
fn late_means_more_than_24_hours() {
    let t = Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap();
    let mut b = BlobRecord {
        sha256: "0".repeat(64),
        inspection_id: "i".into(),
        captured_at: t,
        received_at: Some(t + Duration::hours(24)),
        size: 1,
    };
    assert!(!is_late(&b, t));
    b.received_at = Some(t + Duration::hours(24) + Duration::seconds(1));
    assert!(is_late(&b, t));
    b.received_at = None;
    assert!(!is_late(&b, t + Duration::hours(23)));
    assert!(is_late(&b, t + Duration::hours(25)));
}

#[test]
fn checksum_header() {
    let d = Sha256::digest(b"abc");
    let v = format!("sha256 {}", STANDARD.encode(d));
    assert_eq!(parse_checksum(&v).unwrap().as_slice(), d.as_slice());
    assert_eq!(
        parse_checksum("md5 AAAA").unwrap_err().code(),
        "checksum_algorithm_unsupported"
    );
    assert!(parse_checksum("sha256 !!").is_err());
    assert!(parse_checksum("sha256").is_err());
}

#[test]
fn ids_are_uuids_only() {
    assert!(valid_id("../../etc/passwd").is_err());
    let id = uuid::Uuid::now_v7().to_string();
    assert_eq!(valid_id(&id).unwrap(), id);
}
