//! PostgreSQL implementation of [`liuhen_server_store::uploads::UploadStorage`]
//! over `uploads` and `upload_pieces` (migration 0003). Several instances: the
//! offset moves by one conditional UPDATE (under READ COMMITTED a second update of
//! the row waits for the first to commit and re-checks `"offset" = $from` on the
//! new version, so exactly one of two racing requests wins), and the lease is
//! decided on the row locked FOR UPDATE.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tokio_postgres::Row;

use super::docs::size_to_sql;
use super::{PgStorage, col, pg};
use liuhen_server_store::uploads::{Lease, UploadPiece, UploadRecord, UploadStorage};
use liuhen_server_store::{StorageError, StorageResult};

const COLS: &str = r#"id, sha256, inspection_id, filename, media_type, metadata, length, "offset",
     user_id, device_id, created_at, updated_at, completed_at, verified"#;

fn u64_col(row: &Row, idx: usize) -> StorageResult<u64> {
    let v: i64 = col(row, idx)?;
    Ok(u64::try_from(v).unwrap_or(0))
}

fn from_row(row: &Row) -> StorageResult<UploadRecord> {
    Ok(UploadRecord {
        id: col(row, 0)?,
        sha256: col(row, 1)?,
        inspection_id: col(row, 2)?,
        filename: col(row, 3)?,
        media_type: col(row, 4)?,
        metadata: col(row, 5)?,
        length: u64_col(row, 6)?,
        offset: u64_col(row, 7)?,
        user_id: col(row, 8)?,
        device_id: col(row, 9)?,
        created_at: col(row, 10)?,
        updated_at: col(row, 11)?,
        completed_at: col(row, 12)?,
        verified: col(row, 13)?,
    })
}

fn piece_from_row(row: &Row) -> StorageResult<UploadPiece> {
    Ok(UploadPiece {
        start: u64_col(row, 0)?,
        end: u64_col(row, 1)?,
        key: col(row, 2)?,
    })
}

const PIECES: &str =
    "SELECT start, end_offset, key FROM upload_pieces WHERE upload_id = $1 ORDER BY start";

#[async_trait]
impl UploadStorage for PgStorage {
    async fn create_upload(&self, u: &UploadRecord) -> StorageResult<()> {
        let (length, offset) = (size_to_sql(u.length)?, size_to_sql(u.offset)?);
        let c = self.client().await?;
        c.execute(
            &format!(
                "INSERT INTO uploads ({COLS}) VALUES
                 ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
            ),
            &[
                &u.id,
                &u.sha256,
                &u.inspection_id,
                &u.filename,
                &u.media_type,
                &u.metadata,
                &length,
                &offset,
                &u.user_id,
                &u.device_id,
                &u.created_at,
                &u.updated_at,
                &u.completed_at,
                &u.verified,
            ],
        )
        .await
        .map_err(|e| match pg(e) {
            StorageError::Conflict(_) => StorageError::Conflict(format!("上传 {}", u.id)),
            other => other,
        })?;
        Ok(())
    }

    async fn upload(&self, id: &str) -> StorageResult<Option<UploadRecord>> {
        let c = self.client().await?;
        c.query_opt(&format!("SELECT {COLS} FROM uploads WHERE id = $1"), &[&id])
            .await
            .map_err(pg)?
            .as_ref()
            .map(from_row)
            .transpose()
    }

    async fn claim_upload(&self, id: &str, writer: &str) -> StorageResult<bool> {
        let c = self.client().await?;
        let n = c
            .execute(
                "UPDATE uploads SET claimed_by = $2 WHERE id = $1",
                &[&id, &writer],
            )
            .await
            .map_err(pg)?;
        Ok(n == 1)
    }

    async fn upload_claimant(&self, id: &str) -> StorageResult<Option<String>> {
        let c = self.client().await?;
        match c
            .query_opt("SELECT claimed_by FROM uploads WHERE id = $1", &[&id])
            .await
            .map_err(pg)?
        {
            Some(r) => col(&r, 0),
            None => Ok(None),
        }
    }

    async fn take_upload_lease(
        &self,
        id: &str,
        writer: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StorageResult<Lease> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(pg)?;
        let Some(r) = tx
            .query_opt(
                "SELECT claimed_by, lease_holder, lease_until FROM uploads
                 WHERE id = $1 FOR UPDATE",
                &[&id],
            )
            .await
            .map_err(pg)?
        else {
            return Ok(Lease::Gone);
        };
        let claimed: Option<String> = col(&r, 0)?;
        let holder: Option<String> = col(&r, 1)?;
        let lease_until: Option<DateTime<Utc>> = col(&r, 2)?;
        let lease = Lease::decide(
            writer,
            claimed.as_deref(),
            holder.as_deref(),
            lease_until.is_some_and(|u| u > now),
        );
        if lease != Lease::Held {
            return Ok(lease);
        }
        tx.execute(
            "UPDATE uploads SET lease_holder = $2, lease_until = $3 WHERE id = $1",
            &[&id, &writer, &until],
        )
        .await
        .map_err(pg)?;
        tx.commit().await.map_err(pg)?;
        Ok(Lease::Held)
    }

    async fn release_upload_lease(&self, id: &str, writer: &str) -> StorageResult<()> {
        let c = self.client().await?;
        c.execute(
            "UPDATE uploads SET lease_holder = NULL, lease_until = NULL
             WHERE id = $1 AND lease_holder = $2",
            &[&id, &writer],
        )
        .await
        .map_err(pg)?;
        Ok(())
    }

    async fn advance_upload(
        &self,
        id: &str,
        from: u64,
        pieces: &[UploadPiece],
        now: DateTime<Utc>,
    ) -> StorageResult<bool> {
        let mut at = from;
        for p in pieces {
            if p.start != at || p.end <= p.start {
                return Err(StorageError::Backend(format!(
                    "upload {id}: pieces not contiguous from {from}"
                )));
            }
            at = p.end;
        }
        let (from_sql, to_sql) = (size_to_sql(from)?, size_to_sql(at)?);
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(pg)?;
        let n = tx
            .execute(
                r#"UPDATE uploads SET "offset" = $3, updated_at = $4
                   WHERE id = $1 AND "offset" = $2 AND completed_at IS NULL AND $3 <= length"#,
                &[&id, &from_sql, &to_sql, &now],
            )
            .await
            .map_err(pg)?;
        if n == 0 {
            return Ok(false);
        }
        for p in pieces {
            let (start, end) = (size_to_sql(p.start)?, size_to_sql(p.end)?);
            tx.execute(
                "INSERT INTO upload_pieces (upload_id, start, end_offset, key)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (upload_id, start) DO UPDATE
                 SET end_offset = excluded.end_offset, key = excluded.key",
                &[&id, &start, &end, &p.key],
            )
            .await
            .map_err(pg)?;
        }
        tx.commit().await.map_err(pg)?;
        Ok(true)
    }

    async fn upload_pieces(&self, id: &str) -> StorageResult<Vec<UploadPiece>> {
        let c = self.client().await?;
        c.query(PIECES, &[&id])
            .await
            .map_err(pg)?
            .iter()
            .map(piece_from_row)
            .collect()
    }

    async fn set_upload_verified(&self, id: &str) -> StorageResult<()> {
        let c = self.client().await?;
        c.execute("UPDATE uploads SET verified = TRUE WHERE id = $1", &[&id])
            .await
            .map_err(pg)?;
        Ok(())
    }

    async fn complete_upload(&self, id: &str, now: DateTime<Utc>) -> StorageResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(pg)?;
        tx.execute(
            r#"UPDATE uploads SET "offset" = length, completed_at = $2, updated_at = $2
               WHERE id = $1"#,
            &[&id, &now],
        )
        .await
        .map_err(pg)?;
        tx.execute("DELETE FROM upload_pieces WHERE upload_id = $1", &[&id])
            .await
            .map_err(pg)?;
        tx.commit().await.map_err(pg)
    }

    async fn restart_upload(
        &self,
        id: &str,
        now: DateTime<Utc>,
    ) -> StorageResult<Vec<UploadPiece>> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(pg)?;
        // The row first: a concurrent advance waits for this transaction.
        tx.execute(
            r#"UPDATE uploads SET "offset" = 0, verified = FALSE, updated_at = $2
               WHERE id = $1 AND completed_at IS NULL"#,
            &[&id, &now],
        )
        .await
        .map_err(pg)?;
        let pieces = tx
            .query(PIECES, &[&id])
            .await
            .map_err(pg)?
            .iter()
            .map(piece_from_row)
            .collect::<StorageResult<Vec<_>>>()?;
        tx.execute("DELETE FROM upload_pieces WHERE upload_id = $1", &[&id])
            .await
            .map_err(pg)?;
        tx.commit().await.map_err(pg)?;
        Ok(pieces)
    }

    async fn delete_upload(&self, id: &str) -> StorageResult<()> {
        let c = self.client().await?;
        // The pieces go with the row (ON DELETE CASCADE).
        c.execute("DELETE FROM uploads WHERE id = $1", &[&id])
            .await
            .map_err(pg)?;
        Ok(())
    }

    async fn stale_uploads(
        &self,
        idle_before: DateTime<Utc>,
        completed_before: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StorageResult<Vec<String>> {
        let c = self.client().await?;
        c.query(
            "SELECT id FROM uploads
             WHERE ((completed_at IS NULL AND updated_at < $1)
                    OR (completed_at IS NOT NULL AND completed_at < $2))
               AND (lease_until IS NULL OR lease_until <= $3)
             ORDER BY id",
            &[&idle_before, &completed_before, &now],
        )
        .await
        .map_err(pg)?
        .iter()
        .map(|r| col(r, 0))
        .collect()
    }
}
