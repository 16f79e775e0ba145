//! Tests of `server/src/pages/desk/inspection.rs`.

use liuhen_server::pages::desk::inspection::*;

#[test]
fn every_violation_lands_on_its_rule() {
    let v = vec![
        liuhen_domain::rules::Violation {
            rule: "R-SCENE-2".into(),
            message: "R-SCENE-2: 少".into(),
        },
        liuhen_domain::rules::Violation {
            rule: "R-X-9".into(),
            message: "R-X-9: 新规则".into(),
        },
    ];
    let r = rule_views(&v);
    assert_eq!(r.len(), CHECKED_RULES.len() + 1);
    assert!(r.iter().any(|x| x.id == "R-SCENE-2" && !x.ok));
    assert!(r.iter().any(|x| x.id == "R-SCENE-1" && x.ok));
    assert!(r.iter().any(|x| x.id == "R-X-9" && !x.ok));
}
