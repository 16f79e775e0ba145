//! SQLite implementation of [`liuhen_server_store::access::AccessStorage`]: one
//! append-only table (`access_log`, migration 0006, guarded by triggers).

use async_trait::async_trait;
use rusqlite::params;
use rusqlite::types::Type;

use super::{SqliteStorage, backend, get_ts, ts};
use liuhen_server_store::access::{AccessAction, AccessEntry, AccessStorage};
use liuhen_server_store::{Role, StorageResult};

fn entry_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AccessEntry> {
    let bad = |idx: usize, what: String| {
        rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, what.into())
    };
    let role: String = r.get(5)?;
    let action: String = r.get(6)?;
    Ok(AccessEntry {
        id: r.get(0)?,
        agency_id: r.get(1)?,
        inspection_id: r.get(2)?,
        user_id: r.get(3)?,
        user_name: r.get(4)?,
        user_role: Role::parse(&role).ok_or_else(|| bad(5, format!("unknown role {role}")))?,
        action: AccessAction::parse(&action)
            .ok_or_else(|| bad(6, format!("unknown action {action}")))?,
        object: r.get(7)?,
        at: get_ts(r, 8)?,
        client_ip: r.get(9)?,
    })
}

#[async_trait]
impl AccessStorage for SqliteStorage {
    async fn log_access(&self, entry: &AccessEntry) -> StorageResult<i64> {
        let e = entry.clone();
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO access_log (agency_id, inspection_id, user_id, user_name,
                 user_role, action, object, at, client_ip)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    e.agency_id,
                    e.inspection_id,
                    e.user_id,
                    e.user_name,
                    e.user_role.as_str(),
                    e.action.as_str(),
                    e.object,
                    ts(e.at),
                    e.client_ip
                ],
            )
            .map_err(backend)?;
            Ok(tx.last_insert_rowid())
        })
        .await
    }

    async fn access_log(
        &self,
        agency_id: &str,
        inspection_id: &str,
        limit: u32,
        offset: u32,
    ) -> StorageResult<Vec<AccessEntry>> {
        let (agency_id, inspection_id) = (agency_id.to_string(), inspection_id.to_string());
        self.read(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT id, agency_id, inspection_id, user_id, user_name, user_role,
                     action, object, at, client_ip FROM access_log
                     WHERE agency_id = ?1 AND inspection_id = ?2
                     ORDER BY id DESC LIMIT ?3 OFFSET ?4",
                )
                .map_err(backend)?;
            stmt.query_map(
                params![agency_id, inspection_id, limit, offset],
                entry_from_row,
            )
            .map_err(backend)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(backend)
        })
        .await
    }

    async fn access_count(&self, agency_id: &str, inspection_id: &str) -> StorageResult<u64> {
        let (agency_id, inspection_id) = (agency_id.to_string(), inspection_id.to_string());
        self.read(move |c| {
            let n: i64 = c
                .query_row(
                    "SELECT COUNT(*) FROM access_log WHERE agency_id = ?1 AND inspection_id = ?2",
                    params![agency_id, inspection_id],
                    |r| r.get(0),
                )
                .map_err(backend)?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn entry(n: u32, action: AccessAction) -> AccessEntry {
        AccessEntry {
            id: 0,
            agency_id: "a1".into(),
            inspection_id: "i1".into(),
            user_id: "u1".into(),
            user_name: "督查员".into(),
            user_role: Role::Supervisor,
            action,
            object: Some(format!("photo:{n}")),
            at: Utc.with_ymd_and_hms(2026, 11, 20, 1, n, 0).unwrap(),
            client_ip: None,
        }
    }

    #[tokio::test]
    async fn r_rec_7_access_log_refuses_update_and_delete_even_in_raw_sql() {
        let dir = tempfile::tempdir().unwrap();
        let st = SqliteStorage::open_async(dir.path().join("db"))
            .await
            .unwrap();
        for n in 0..3 {
            st.log_access(&entry(n, AccessAction::ViewOriginal))
                .await
                .unwrap();
        }
        // Neither update nor delete gets through, even with raw SQL.
        let upd = st
            .write(|tx| {
                tx.execute("UPDATE access_log SET user_name = 'x'", [])
                    .map_err(backend)
            })
            .await;
        assert!(upd.is_err(), "{upd:?}");
        let del = st
            .write(|tx| tx.execute("DELETE FROM access_log", []).map_err(backend))
            .await;
        assert!(del.is_err(), "{del:?}");
        assert_eq!(st.access_count("a1", "i1").await.unwrap(), 3);
    }
}
