//! Tests of `server/src/auth.rs`.

use liuhen_server::auth::*;

#[test]
fn tokens_are_43_base64url_chars_and_hash_to_hex() {
    let t = new_token();
    assert_eq!(t.len(), 43);
    assert_ne!(t, new_token());
    let h = token_hash(&t);
    assert_eq!(h.len(), 64);
    assert!(h.bytes().all(|b| b.is_ascii_hexdigit()));
}

#[test]
fn passwords_verify() {
    let h = hash_password_blocking("demo-password").unwrap();
    assert!(h.starts_with("$argon2id$"));
    assert!(verify_password_blocking(&h, "demo-password"));
    assert!(!verify_password_blocking(&h, "demo-passwort"));
    assert!(!verify_password_blocking("garbage", "demo-password"));
}
