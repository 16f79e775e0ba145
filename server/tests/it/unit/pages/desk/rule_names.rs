//! Tests of `server/src/pages/desk/rule_names.rs`.

use liuhen_server::pages::desk::rule_names::*;

#[test]
fn every_checked_rule_has_a_short_name() {
    for (id, _) in liuhen_server::pages::desk::inspection::CHECKED_RULES {
        assert!(!short_name(id).is_empty(), "{id} has no short name");
    }
    assert_eq!(named("R-X-9").short, "");
}
