//! Tests of `server/src/api/device_identity.rs`.

use ed25519_dalek::SigningKey;
use proptest::prelude::*;

use ed25519_dalek::VerifyingKey;
use liuhen_server::api::device_identity::*;
use liuhen_server::error::AppError;

fn field(e: AppError) -> String {
    match e {
        AppError::InvalidField { field, .. } => field,
        other => panic!("not an invalid field: {other:?}"),
    }
}

#[test]
fn keys_that_are_not_canonical_points_of_full_order_are_refused() {
    // 32 bytes of 0xff decode (y ≥ p is reduced) but are not a canonical point.
    assert!(VerifyingKey::from_bytes(&[0xff; 32]).is_ok());
    assert!(!is_valid_public_key(&[0xff; 32]));
    // The identity point (small order) and y = 0 (order 4).
    let mut identity = [0u8; 32];
    identity[0] = 1;
    assert!(!is_valid_public_key(&identity));
    assert!(!is_valid_public_key(&[0u8; 32]));
    // A real key plus a small-order point: mixed order.
    let key = SigningKey::from_bytes(&[7; 32]).verifying_key();
    let torsion = VerifyingKey::from_bytes(&[0u8; 32]).unwrap().to_edwards();
    let mixed = (key.to_edwards() + torsion).compress().to_bytes();
    assert!(VerifyingKey::from_bytes(&mixed).is_ok());
    assert!(!is_valid_public_key(&mixed));
    assert!(is_valid_public_key(key.as_bytes()));
    assert_eq!(
        field(parse_public_key(&"ff".repeat(32)).unwrap_err()),
        "public_key"
    );
}

#[test]
fn the_schema_actor_is_reserved() {
    let schema = liuhen_domain::doc::schema_actor().to_hex_string();
    assert_eq!(
        parse_actor_id(&schema).unwrap_err().code(),
        "actor_id_reserved"
    );
    assert_eq!(
        parse_actor_id(&schema.to_uppercase()).unwrap_err().code(),
        "actor_id_reserved"
    );
    let user = liuhen_server::services::actors::user_actor("u-1").to_hex_string();
    assert!(is_user_actor(
        &user,
        &["u-0".to_string(), "u-1".to_string()]
    ));
    assert!(!is_user_actor(&user, &["u-2".to_string()]));
}

proptest! {
    /// Every device id core makes is taken as it is; any other text is refused
    /// naming `device_id`.
    #[test]
    fn device_ids_are_canonical_uuids(bytes in any::<[u8; 16]>(), noise in ".{0,40}") {
        let u = uuid::Uuid::from_bytes(bytes);
        prop_assume!(!u.is_nil());
        let id = u.hyphenated().to_string();
        prop_assert_eq!(parse_device_id(&id).unwrap(), id.clone());
        for other in [
            id.to_uppercase(),
            u.simple().to_string(),
            format!("{{{id}}}"),
            u.urn().to_string(),
            format!(" {id}"),
            format!("{id}{noise}"),
        ] {
            if other != id {
                prop_assert_eq!(field(parse_device_id(&other).unwrap_err()), "device_id");
            }
        }
        if uuid::Uuid::parse_str(&noise).map(|u| u.hyphenated().to_string()) != Ok(noise.clone()) {
            prop_assert!(parse_device_id(&noise).is_err());
        }
    }

    /// Keys made by signing keys are accepted; 32 random bytes only if they are a
    /// canonical point of full order; other lengths never.
    #[test]
    fn public_keys_are_checked(seed in any::<[u8; 32]>(), len in 0usize..70) {
        let good = SigningKey::from_bytes(&seed).verifying_key();
        let hex_key = hex::encode(good.as_bytes());
        prop_assert_eq!(parse_public_key(&hex_key.to_uppercase()).unwrap(), hex_key);
        let valid = is_valid_public_key(&seed);
        prop_assert_eq!(parse_public_key(&hex::encode(seed)).is_ok(), valid);
        if valid {
            let p = VerifyingKey::from_bytes(&seed).unwrap();
            prop_assert_eq!(p.to_edwards().compress().to_bytes(), seed);
        }
        if len != PUBLIC_KEY_BYTES {
            let v = hex::encode(vec![seed[0]; len]);
            prop_assert_eq!(field(parse_public_key(&v).unwrap_err()), "public_key");
        }
    }

    /// 16-byte actor ids are taken (in lower case) unless reserved; other
    /// lengths and non-hex text never.
    #[test]
    fn actor_ids_are_16_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..40), text in "[^0-9a-fA-F]{1,32}") {
        let v = hex::encode(&bytes);
        let r = parse_actor_id(&v.to_uppercase());
        if bytes.len() == ACTOR_ID_BYTES && bytes != b"liuhen.schema.cn" {
            prop_assert_eq!(r.unwrap(), v);
        } else {
            prop_assert!(r.is_err());
        }
        prop_assert_eq!(field(parse_actor_id(&text).unwrap_err()), "actor_id");
    }
}
