//! Tests of `server/src/pages/public/after.rs`.

use liuhen_server::pages::public::after::*;

#[test]
fn bad_queries_are_refused_with_a_reason() {
    assert_eq!(
        parse_search(Some("page=abc"), false),
        Err(QueryError::Page("abc".into()))
    );
    assert_eq!(
        parse_search(Some("page=0"), false),
        Err(QueryError::Page("0".into()))
    );
    assert_eq!(
        parse_search(Some("per_page=1000"), true),
        Err(QueryError::PerPage("1000".into()))
    );
    assert!(parse_search(Some("per_page=1000"), false).is_ok());
    assert_eq!(
        parse_search(Some("from=2026-13-01"), false),
        Err(QueryError::Date("2026-13-01".into()))
    );
    assert_eq!(
        parse_search(Some("from=2026-11-02&to=2026-11-01"), false),
        Err(QueryError::DateOrder)
    );
    let long = format!("q={}", "a".repeat(101));
    assert_eq!(parse_search(Some(&long), false), Err(QueryError::QTooLong));
    let huge = format!("q={}", "a".repeat(100_000));
    assert_eq!(parse_search(Some(&huge), false), Err(QueryError::TooLong));
    let s = parse_search(Some("q=%3Cscript%3E&kind=penalty&page=2"), false).unwrap();
    assert_eq!(s.filter.q.as_deref(), Some("<script>"));
    assert_eq!(s.page, 2);
    assert_eq!(s.form.page_query(3), "q=%3Cscript%3E&kind=penalty&page=3");
}
