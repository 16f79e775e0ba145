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
