//! Tests of `server/src/pages/legal/mod.rs`.

use liuhen_server::pages::legal::*;

#[test]
fn yuan_is_parsed_strictly() {
    assert_eq!(parse_yuan("罚款", "80000"), Ok(Some(8_000_000)));
    assert_eq!(parse_yuan("罚款", " 80000.50 "), Ok(Some(8_000_050)));
    assert_eq!(parse_yuan("罚款", "80000.5元"), Ok(Some(8_000_050)));
    assert_eq!(parse_yuan("罚款", ""), Ok(None));
    for bad in ["8万", "80,000", "-5", "1.234", "1.", ".5", "１２", "1e5"] {
        assert!(parse_yuan("罚款", bad).is_err(), "{bad}");
    }
    assert!(parse_yuan("罚款", "99999999999999999999").is_err());
    assert_eq!(yuan_input(8_000_000), "80000");
    assert_eq!(yuan_input(8_000_050), "80000.50");
}

#[test]
fn typed_keeps_only_its_form() {
    let t = Typed::new(vec![
        ("form".into(), "submit".into()),
        ("note".into(), "补正".into()),
    ]);
    assert_eq!(t.val("submit", "note"), "补正");
    assert_eq!(t.val("dispute", "note"), "");
    assert_eq!(t.csrf(), None);
}
