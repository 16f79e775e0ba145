//! Tests of `server/src/api/enroll.rs`.

use liuhen_server::api::enroll::*;
use liuhen_server::error::AppError;

#[test]
fn codes_use_the_unambiguous_alphabet() {
    for _ in 0..100 {
        let c = new_code();
        assert_eq!(c.len(), CODE_LEN);
        assert!(c.bytes().all(|b| CODE_ALPHABET.contains(&b)));
    }
    assert_eq!(normalize_code(" abcd-efgh "), "ABCDEFGH");
}

fn req(public_key: &str, actor_id: &str) -> EnrollRequest {
    EnrollRequest {
        login: None,
        password: None,
        code: None,
        device_id: "0193a5b0-7c2e-7000-8000-0123456789ab".into(),
        public_key: public_key.into(),
        actor_id: actor_id.into(),
        device_name: "手机".into(),
    }
}

#[test]
fn device_fields_name_the_bad_field() {
    let key = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]).verifying_key();
    let good_key = hex::encode(key.as_bytes());
    let actor = "ab".repeat(16);
    assert!(validate_device_fields(&req(&good_key, &actor)).is_ok());
    let e = validate_device_fields(&req("abc", &actor)).unwrap_err();
    assert!(matches!(e, AppError::InvalidField { ref field, .. } if field == "public_key"));
    let e = validate_device_fields(&req(&"ff".repeat(32), &actor)).unwrap_err();
    assert!(matches!(e, AppError::InvalidField { ref field, .. } if field == "public_key"));
    let e = validate_device_fields(&req(&good_key, "xyz")).unwrap_err();
    assert!(matches!(e, AppError::InvalidField { ref field, .. } if field == "actor_id"));
    let mut phone = req(&good_key, &actor);
    phone.device_id = "phone-1".into();
    let e = validate_device_fields(&phone).unwrap_err();
    assert!(matches!(e, AppError::InvalidField { ref field, .. } if field == "device_id"));
    let schema = liuhen_domain::doc::schema_actor().to_hex_string();
    let e = validate_device_fields(&req(&good_key, &schema)).unwrap_err();
    assert_eq!(e.code(), "actor_id_reserved");
}
