//! PostgreSQL implementation of [`liuhen_server_store::access::AccessStorage`]: one
//! append-only table (`access_log`, guarded by a trigger, R-REC-7).

use async_trait::async_trait;
use tokio_postgres::Row;

use super::{PgStorage, col, pg};
use liuhen_server_store::access::{AccessAction, AccessEntry, AccessStorage};
use liuhen_server_store::{Role, StorageError, StorageResult};

fn entry_from_row(r: &Row) -> StorageResult<AccessEntry> {
    let role: String = col(r, 5)?;
    let action: String = col(r, 6)?;
    Ok(AccessEntry {
        id: col(r, 0)?,
        agency_id: col(r, 1)?,
        inspection_id: col(r, 2)?,
        user_id: col(r, 3)?,
        user_name: col(r, 4)?,
        user_role: Role::parse(&role)
            .ok_or_else(|| StorageError::Backend(format!("unknown role {role}")))?,
        action: AccessAction::parse(&action)
            .ok_or_else(|| StorageError::Backend(format!("unknown action {action}")))?,
        object: col(r, 7)?,
        at: col(r, 8)?,
        client_ip: col(r, 9)?,
    })
}

#[async_trait]
impl AccessStorage for PgStorage {
    async fn log_access(&self, e: &AccessEntry) -> StorageResult<i64> {
        let row = self
            .client()
            .await?
            .query_one(
                "INSERT INTO access_log (agency_id, inspection_id, user_id, user_name,
                 user_role, action, object, at, client_ip)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
                &[
                    &e.agency_id,
                    &e.inspection_id,
                    &e.user_id,
                    &e.user_name,
                    &e.user_role.as_str(),
                    &e.action.as_str(),
                    &e.object,
                    &e.at,
                    &e.client_ip,
                ],
            )
            .await
            .map_err(pg)?;
        col(&row, 0)
    }

    async fn access_log(
        &self,
        agency_id: &str,
        inspection_id: &str,
        limit: u32,
        offset: u32,
    ) -> StorageResult<Vec<AccessEntry>> {
        self.client()
            .await?
            .query(
                "SELECT id, agency_id, inspection_id, user_id, user_name, user_role,
                 action, object, at, client_ip FROM access_log
                 WHERE agency_id = $1 AND inspection_id = $2
                 ORDER BY id DESC LIMIT $3 OFFSET $4",
                &[
                    &agency_id,
                    &inspection_id,
                    &i64::from(limit),
                    &i64::from(offset),
                ],
            )
            .await
            .map_err(pg)?
            .iter()
            .map(entry_from_row)
            .collect()
    }

    async fn access_count(&self, agency_id: &str, inspection_id: &str) -> StorageResult<u64> {
        let row = self
            .client()
            .await?
            .query_one(
                "SELECT COUNT(*) FROM access_log WHERE agency_id = $1 AND inspection_id = $2",
                &[&agency_id, &inspection_id],
            )
            .await
            .map_err(pg)?;
        let n: i64 = col(&row, 0)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}
