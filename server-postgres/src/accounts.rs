//! Users and devices: row conversions and the device identity rules of enrolment
//! (helpers of the `Storage` impl in `storage.rs`).

use chrono::{DateTime, Utc};
use tokio_postgres::{Row, Transaction};

use liuhen_server_store::{Device, DeviceRefusal, Role, StorageError, StorageResult, User};

use super::{col, is_unique, pg};

/// Columns of [`user_from_row`].
pub(crate) const USER_COLS: &str =
    "u.id, u.agency_id, u.login, u.name, u.role, u.officer_id, u.password_hash, u.disabled";

/// A user from a row of [`USER_COLS`].
pub(crate) fn user_from_row(r: &Row) -> StorageResult<User> {
    let role: String = col(r, 4)?;
    Ok(User {
        id: col(r, 0)?,
        agency_id: col(r, 1)?,
        login: col(r, 2)?,
        name: col(r, 3)?,
        role: Role::parse(&role)
            .ok_or_else(|| StorageError::Backend(format!("unknown role {role}")))?,
        officer_id: col(r, 5)?,
        password_hash: col(r, 6)?,
        disabled: col(r, 7)?,
    })
}

/// Columns of [`device_from_row`] (the name is column 7).
pub(crate) const DEVICE_COLS: &str =
    "d.id, d.user_id, d.public_key, d.actor_id, d.token_hash, d.enrolled_at, d.revoked_at, d.name";

/// A device from a row of [`DEVICE_COLS`].
pub(crate) fn device_from_row(r: &Row) -> StorageResult<Device> {
    Ok(Device {
        id: col(r, 0)?,
        user_id: col(r, 1)?,
        public_key: col(r, 2)?,
        actor_id: col(r, 3)?,
        token_hash: col(r, 4)?,
        enrolled_at: col(r, 5)?,
        revoked_at: col(r, 6)?,
    })
}

/// Registers a device unless a rule of device identity refuses it (issue 16 item
/// 5, see `Storage::enroll_device`). The device row, if any, is locked; an actor id
/// taken by a concurrent enrolment is caught by its unique constraint.
pub(crate) async fn insert_device(
    tx: &Transaction<'_>,
    device: &Device,
    name: &str,
) -> StorageResult<Result<(), DeviceRefusal>> {
    let existing = tx
        .query_opt(
            "SELECT user_id, actor_id, revoked_at FROM devices WHERE id = $1 FOR UPDATE",
            &[&device.id],
        )
        .await
        .map_err(pg)?;
    let existing: Option<(String, String, Option<DateTime<Utc>>)> = match existing {
        Some(r) => Some((col(&r, 0)?, col(&r, 1)?, col(&r, 2)?)),
        None => None,
    };
    match &existing {
        Some((_, _, None)) => return Ok(Err(DeviceRefusal::Active)),
        Some((user, _, Some(_))) if *user != device.user_id => {
            return Ok(Err(DeviceRefusal::OtherPerson));
        }
        Some((_, actor, Some(_))) if *actor != device.actor_id => {
            return Ok(Err(DeviceRefusal::ActorChanged(actor.clone())));
        }
        _ => {}
    }
    let taken = tx
        .query_opt(
            "SELECT 1 FROM devices WHERE actor_id = $1 AND id <> $2",
            &[&device.actor_id, &device.id],
        )
        .await
        .map_err(pg)?
        .is_some();
    if taken {
        return Ok(Err(DeviceRefusal::ActorTaken));
    }
    let values: [&(dyn tokio_postgres::types::ToSql + Sync); 8] = [
        &device.id,
        &device.user_id,
        &device.public_key,
        &device.actor_id,
        &device.token_hash,
        &name,
        &device.enrolled_at,
        &device.revoked_at,
    ];
    if existing.is_some() {
        // The same person's revoked device enrols again with the same actor id: its
        // old sync states describe a peer that may no longer hold what they claim.
        tx.execute(
            "DELETE FROM peer_states WHERE device_id = $1",
            &[&device.id],
        )
        .await
        .map_err(pg)?;
        tx.execute(
            "UPDATE devices SET user_id = $2, public_key = $3, actor_id = $4,
             token_hash = $5, name = $6, enrolled_at = $7, revoked_at = $8 WHERE id = $1",
            &values,
        )
        .await
        .map_err(|e| token_taken(e, device))?;
        return Ok(Ok(()));
    }
    match tx
        .execute(
            "INSERT INTO devices (id, user_id, public_key, actor_id, token_hash, name,
             enrolled_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &values,
        )
        .await
    {
        Ok(_) => Ok(Ok(())),
        Err(e) if constraint(&e) == Some("devices_actor_id_key") => {
            Ok(Err(DeviceRefusal::ActorTaken))
        }
        // Enrolled meanwhile by a concurrent request.
        Err(e) if constraint(&e) == Some("devices_pkey") => Ok(Err(DeviceRefusal::Active)),
        Err(e) => Err(token_taken(e, device)),
    }
}

fn constraint(e: &tokio_postgres::Error) -> Option<&str> {
    if !is_unique(e) {
        return None;
    }
    e.as_db_error().and_then(|d| d.constraint())
}

fn token_taken(e: tokio_postgres::Error, device: &Device) -> StorageError {
    if is_unique(&e) {
        StorageError::Conflict(format!("设备 {}（令牌重复）", device.id))
    } else {
        pg(e)
    }
}
