//! The identity a device registers at enrolment (issue 16 item 5, issue 22 item 4):
//! its id (a UUID made on the device), its ed25519 public key (a valid, canonical
//! point of full order) and its automerge actor id (16 bytes, never an actor the
//! server writes with). Parsing of the three fields, the actor ids reserved for the
//! server, and the refusals of a registration, each with a stable code and a
//! Chinese message.

use axum::http::StatusCode;
use ed25519_dalek::VerifyingKey;

use crate::error::AppError;
use crate::storage::DeviceRefusal;

/// Length of an automerge actor id made by a device (`ActorId::random()`, a UUID).
pub const ACTOR_ID_BYTES: usize = 16;

/// Length of an ed25519 public key.
pub const PUBLIC_KEY_BYTES: usize = 32;

/// A device id as the device made it (`Uuid::now_v7().to_string()`): a UUID in its
/// canonical form, lower-case with hyphens, not the nil UUID. Other spellings of a
/// UUID are refused rather than rewritten: the device names itself with exactly
/// this text in every log entry it signs.
pub fn parse_device_id(value: &str) -> Result<String, AppError> {
    let canonical = uuid::Uuid::parse_str(value)
        .ok()
        .filter(|u| !u.is_nil())
        .map(|u| u.hyphenated().to_string());
    match canonical {
        Some(c) if c == value => Ok(c),
        _ => Err(AppError::invalid(
            "device_id",
            "应为设备生成的 UUID（36 个字符：小写十六进制与连字符，如 0193a5b0-7c2e-7000-8000-0123456789ab）",
        )),
    }
}

/// Lower-case hex of exactly `bytes` bytes, or an error naming `field`.
fn hex_bytes(field: &str, value: &str, bytes: usize, what: &str) -> Result<Vec<u8>, AppError> {
    let v = value.trim();
    match hex::decode(v) {
        Ok(b) if b.len() == bytes => Ok(b),
        _ => Err(AppError::invalid(
            field,
            format!("应为 {} 位十六进制字符（{what}，{bytes} 字节）", bytes * 2),
        )),
    }
}

/// An ed25519 public key as 64 hex characters (returned in lower case): a point on
/// the curve, in its canonical encoding, of full order (not a weak, small-order or
/// mixed-order key) — what a key made by `SigningKey::generate` always is.
pub fn parse_public_key(value: &str) -> Result<String, AppError> {
    let raw = hex_bytes("public_key", value, PUBLIC_KEY_BYTES, "ed25519 公钥")?;
    let mut bytes = [0u8; PUBLIC_KEY_BYTES];
    bytes.copy_from_slice(&raw);
    if !is_valid_public_key(&bytes) {
        return Err(AppError::invalid(
            "public_key",
            "不是有效的 ed25519 公钥（不在曲线上、编码不规范或为弱密钥）",
        ));
    }
    Ok(hex::encode(bytes))
}

/// Whether 32 bytes are an ed25519 public key a device may register.
pub fn is_valid_public_key(bytes: &[u8; PUBLIC_KEY_BYTES]) -> bool {
    let Ok(key) = VerifyingKey::from_bytes(bytes) else {
        return false;
    };
    let point = key.to_edwards();
    // `from_bytes` also takes a y coordinate of p or more (e.g. 32 bytes of 0xff);
    // only the canonical encoding of a point is a key.
    point.compress().to_bytes() == *bytes && !key.is_weak() && point.is_torsion_free()
}

/// An automerge actor id as 32 hex characters (returned in lower case), refused if
/// it is the schema chain's actor (`liuhen_domain::doc::schema_actor`).
pub fn parse_actor_id(value: &str) -> Result<String, AppError> {
    let raw = hex_bytes("actor_id", value, ACTOR_ID_BYTES, "automerge actor id")?;
    let actor = hex::encode(raw);
    if actor == liuhen_domain::doc::schema_actor().to_hex_string() {
        return Err(actor_reserved(&actor));
    }
    Ok(actor)
}

/// Whether `actor` (hex) is the server actor of one of `user_ids`
/// ([`crate::services::actors::user_actor`]: supervisors and legal reviewers write with it).
pub fn is_user_actor<'a>(actor: &str, user_ids: impl IntoIterator<Item = &'a String>) -> bool {
    user_ids
        .into_iter()
        .any(|id| crate::services::actors::user_actor(id).to_hex_string() == actor)
}

/// 409 `actor_id_reserved`: an actor id the server writes with.
pub fn actor_reserved(actor: &str) -> AppError {
    AppError::custom(
        StatusCode::CONFLICT,
        "actor_id_reserved",
        format!(
            "写入标识（actor id）{actor} 为服务器保留（审核人员或记录结构使用），设备不能登记；请更新应用后重新登记"
        ),
    )
}

/// The answer to a registration the store refused (all 409).
pub fn refusal(device_id: &str, actor: &str, r: DeviceRefusal) -> AppError {
    match r {
        DeviceRefusal::Active => AppError::DeviceExists,
        DeviceRefusal::OtherPerson => AppError::custom(
            StatusCode::CONFLICT,
            "device_other_person",
            format!(
                "设备 {device_id} 曾登记给其他人员；停用后只能由原登记人员重新登记，请使用本人的设备或联系管理员"
            ),
        ),
        DeviceRefusal::ActorChanged(registered) => AppError::custom(
            StatusCode::CONFLICT,
            "actor_id_changed",
            format!(
                "设备 {device_id} 此前登记的写入标识（actor id）为 {registered}，重新登记须沿用同一标识（否则此前离线作出的修改无法同步）；本次提交的为 {actor}"
            ),
        ),
        DeviceRefusal::ActorTaken => AppError::custom(
            StatusCode::CONFLICT,
            "actor_id_taken",
            format!(
                "写入标识（actor id）{actor} 已被其他设备使用（包括已停用的设备），每台设备的标识必须唯一"
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use ed25519_dalek::SigningKey;
    use proptest::prelude::*;

    use super::*;

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
        let user = crate::services::actors::user_actor("u-1").to_hex_string();
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
}
