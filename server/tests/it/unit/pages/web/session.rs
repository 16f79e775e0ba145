//! Tests of `server/src/pages/web/session.rs`.

use liuhen_server::auth::new_token;
use liuhen_server::pages::web::session::*;
use liuhen_server::storage::Role;

#[test]
fn next_stays_on_this_site() {
    assert_eq!(
        safe_next(Some("/desk/inspections/x?a=1")),
        "/desk/inspections/x?a=1"
    );
    assert_eq!(safe_next(Some("//evil.example/")), "");
    assert_eq!(safe_next(Some("https://evil.example/")), "");
    assert_eq!(safe_next(Some("/\\evil")), "");
    assert_eq!(safe_next(None), "");
}

#[test]
fn each_role_lands_on_its_own_work_never_on_a_refusal() {
    assert_eq!(destination("", Role::Supervisor), "/desk");
    assert_eq!(destination("", Role::LegalReviewer), "/legal");
    assert_eq!(destination("", Role::Admin), "/admin");
    assert_eq!(destination("", Role::Officer), "/start");
    assert_eq!(destination("/desk", Role::LegalReviewer), "/legal");
    assert_eq!(destination("/desk?state=pending", Role::Officer), "/start");
    assert_eq!(destination("/admin/legal", Role::Supervisor), "/desk");
    assert_eq!(
        destination("/legal/drafts/x", Role::Officer),
        "/legal/drafts/x"
    );
    assert_eq!(
        destination("/desk/inspections/x", Role::Admin),
        "/desk/inspections/x"
    );
}

#[test]
fn csrf_tokens_are_bound_to_the_session() {
    let a = new_token();
    let b = new_token();
    assert_eq!(csrf_for(&a), csrf_for(&a));
    assert_ne!(csrf_for(&a), csrf_for(&b));
    assert!(same_secret(&csrf_for(&a), &csrf_for(&a)));
    assert!(!same_secret(&csrf_for(&a), &csrf_for(&b)));
}
