//! Tests of `server/src/pages/desk/decide.rs`.

use liuhen_server::pages::desk::decide::*;

#[test]
fn heads_that_are_not_heads_are_none() {
    assert!(parse_heads("").is_none());
    assert!(parse_heads("zz,12").is_none());
    assert!(parse_heads(",,").is_none());
    let h = "ab".repeat(32);
    assert_eq!(parse_heads(&format!("{h}, ")).map(|v| v.len()), Some(1));
}

#[test]
fn typed_fields_are_sorted_by_name() {
    let pairs: Vec<(String, String)> = [
        ("csrf", "c"),
        ("form_id", " f "),
        ("comment", "总体"),
        ("item:finding:1", "一"),
        ("other", "x"),
        ("decision", "returned"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    let t = Typed::parse(&pairs);
    assert_eq!(t.csrf.as_deref(), Some("c"));
    assert_eq!(t.form_id, "f");
    assert_eq!(t.items, vec![("finding:1".to_string(), "一".to_string())]);
    assert_eq!(t.decision.as_deref(), Some("returned"));
}
