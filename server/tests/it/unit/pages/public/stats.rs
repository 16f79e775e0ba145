//! Tests of `server/src/pages/public/stats.rs`.

use chrono::TimeZone;
use chrono::Utc;
use liuhen_server::pages::public::page::PublicError;
use liuhen_server::pages::public::stats::*;

#[test]
fn r_post_5_due_by_january_31_beijing_time() {
    assert_eq!(deadline(2025).to_string(), "2026-01-31");
    // 23:59 on Jan 31 in Beijing is 15:59 UTC: on time.
    assert!(!is_late(
        2025,
        Utc.with_ymd_and_hms(2026, 1, 31, 15, 59, 0).unwrap()
    ));
    // 00:01 on Feb 1 in Beijing is still Jan 31 in UTC: late.
    assert!(is_late(
        2025,
        Utc.with_ymd_and_hms(2026, 1, 31, 16, 1, 0).unwrap()
    ));
    assert!(is_late(
        2025,
        Utc.with_ymd_and_hms(2026, 3, 2, 1, 0, 0).unwrap()
    ));
}

#[test]
fn r_post_5_years_in_urls() {
    assert_eq!(parse_year("2025", 2026).unwrap(), 2025);
    assert!(matches!(
        parse_year("99999", 2026),
        Err(PublicError::BadRequest(_))
    ));
    assert!(matches!(
        parse_year("20x5", 2026),
        Err(PublicError::BadRequest(_))
    ));
    assert!(matches!(
        parse_year("1900", 2026),
        Err(PublicError::BadRequest(_))
    ));
    assert!(matches!(
        parse_year("2030", 2026),
        Err(PublicError::NotFound(_))
    ));
}

#[test]
fn appeal_results_cannot_exceed_cases() {
    let s = |v: &str| Some(v.to_string());
    assert!(appeal_counts("行政复议", [&s("2"), &s("1"), &s("1"), &s("1")]).is_err());
    let n = appeal_counts("行政复议", [&s("3"), &s("1"), &s(""), &None]).unwrap();
    assert_eq!(n.pending(), 2);
    assert!(number("x", &s("-1")).unwrap_err().contains("x"));
}
