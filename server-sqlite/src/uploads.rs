//! SQLite implementation of [`liuhen_server_store::uploads::UploadStorage`] over
//! `uploads` and `upload_pieces` (migration 0015). Every write is an IMMEDIATE
//! transaction of the single writer, so the conditional offset update and the
//! lease checks cannot interleave with another request's.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Row, params};

use super::{SqliteStorage, backend, conflict_or, get_opt_ts, get_ts, size_to_sql, ts};
use liuhen_server_store::uploads::{Lease, UploadPiece, UploadRecord, UploadStorage};
use liuhen_server_store::{StorageError, StorageResult};

const COLS: &str = "id, sha256, inspection_id, filename, media_type, metadata, length, offset,
     user_id, device_id, created_at, updated_at, completed_at, verified";

fn u64_of(row: &Row<'_>, idx: usize) -> rusqlite::Result<u64> {
    let v: i64 = row.get(idx)?;
    Ok(u64::try_from(v).unwrap_or(0))
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<UploadRecord> {
    Ok(UploadRecord {
        id: row.get(0)?,
        sha256: row.get(1)?,
        inspection_id: row.get(2)?,
        filename: row.get(3)?,
        media_type: row.get(4)?,
        metadata: row.get(5)?,
        length: u64_of(row, 6)?,
        offset: u64_of(row, 7)?,
        user_id: row.get(8)?,
        device_id: row.get(9)?,
        created_at: get_ts(row, 10)?,
        updated_at: get_ts(row, 11)?,
        completed_at: get_opt_ts(row, 12)?,
        verified: row.get(13)?,
    })
}

fn piece_from_row(row: &Row<'_>) -> rusqlite::Result<UploadPiece> {
    Ok(UploadPiece {
        start: u64_of(row, 0)?,
        end: u64_of(row, 1)?,
        key: row.get(2)?,
    })
}

fn pieces_of(conn: &rusqlite::Connection, id: &str) -> rusqlite::Result<Vec<UploadPiece>> {
    let mut stmt = conn.prepare_cached(
        "SELECT start, end_offset, key FROM upload_pieces WHERE upload_id = ?1 ORDER BY start",
    )?;
    stmt.query_map([id], piece_from_row)?.collect()
}

#[async_trait]
impl UploadStorage for SqliteStorage {
    async fn create_upload(&self, upload: &UploadRecord) -> StorageResult<()> {
        let u = upload.clone();
        let (length, offset) = (size_to_sql(u.length)?, size_to_sql(u.offset)?);
        self.write(move |tx| {
            tx.execute(
                &format!(
                    "INSERT INTO uploads ({COLS}) VALUES
                     (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"
                ),
                params![
                    u.id,
                    u.sha256,
                    u.inspection_id,
                    u.filename,
                    u.media_type,
                    u.metadata,
                    length,
                    offset,
                    u.user_id,
                    u.device_id,
                    ts(u.created_at),
                    ts(u.updated_at),
                    u.completed_at.map(ts),
                    u.verified,
                ],
            )
            .map_err(|e| conflict_or(e, format!("上传 {}", u.id)))?;
            Ok(())
        })
        .await
    }

    async fn upload(&self, id: &str) -> StorageResult<Option<UploadRecord>> {
        let id = id.to_string();
        self.read(move |c| {
            c.query_row(
                &format!("SELECT {COLS} FROM uploads WHERE id = ?1"),
                [&id],
                from_row,
            )
            .optional()
            .map_err(backend)
        })
        .await
    }

    async fn claim_upload(&self, id: &str, writer: &str) -> StorageResult<bool> {
        let (id, writer) = (id.to_string(), writer.to_string());
        self.write(move |tx| {
            let n = tx
                .execute(
                    "UPDATE uploads SET claimed_by = ?2 WHERE id = ?1",
                    params![id, writer],
                )
                .map_err(backend)?;
            Ok(n == 1)
        })
        .await
    }

    async fn upload_claimant(&self, id: &str) -> StorageResult<Option<String>> {
        let id = id.to_string();
        self.read(move |c| {
            c.query_row("SELECT claimed_by FROM uploads WHERE id = ?1", [&id], |r| {
                r.get::<_, Option<String>>(0)
            })
            .optional()
            .map(Option::flatten)
            .map_err(backend)
        })
        .await
    }

    async fn take_upload_lease(
        &self,
        id: &str,
        writer: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StorageResult<Lease> {
        let (id, writer) = (id.to_string(), writer.to_string());
        self.write(move |tx| {
            let row: Option<(Option<String>, Option<String>, Option<String>)> = tx
                .query_row(
                    "SELECT claimed_by, lease_holder, lease_until FROM uploads WHERE id = ?1",
                    [&id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()
                .map_err(backend)?;
            let Some((claimed, holder, lease_until)) = row else {
                return Ok(Lease::Gone);
            };
            let lease = Lease::decide(
                &writer,
                claimed.as_deref(),
                holder.as_deref(),
                lease_until.is_some_and(|u| u > ts(now)),
            );
            if lease != Lease::Held {
                return Ok(lease);
            }
            tx.execute(
                "UPDATE uploads SET lease_holder = ?2, lease_until = ?3 WHERE id = ?1",
                params![id, writer, ts(until)],
            )
            .map_err(backend)?;
            Ok(Lease::Held)
        })
        .await
    }

    async fn release_upload_lease(&self, id: &str, writer: &str) -> StorageResult<()> {
        let (id, writer) = (id.to_string(), writer.to_string());
        self.write(move |tx| {
            tx.execute(
                "UPDATE uploads SET lease_holder = NULL, lease_until = NULL
                 WHERE id = ?1 AND lease_holder = ?2",
                params![id, writer],
            )
            .map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn advance_upload(
        &self,
        id: &str,
        from: u64,
        pieces: &[UploadPiece],
        now: DateTime<Utc>,
    ) -> StorageResult<bool> {
        let id = id.to_string();
        let pieces = pieces.to_vec();
        let from_sql = size_to_sql(from)?;
        let mut at = from;
        for p in &pieces {
            if p.start != at || p.end <= p.start {
                return Err(StorageError::Backend(format!(
                    "upload {id}: pieces not contiguous from {from}"
                )));
            }
            at = p.end;
        }
        let to_sql = size_to_sql(at)?;
        self.write(move |tx| {
            let n = tx
                .execute(
                    "UPDATE uploads SET offset = ?3, updated_at = ?4
                     WHERE id = ?1 AND offset = ?2 AND completed_at IS NULL AND ?3 <= length",
                    params![id, from_sql, to_sql, ts(now)],
                )
                .map_err(backend)?;
            if n == 0 {
                return Ok(false);
            }
            for p in &pieces {
                tx.execute(
                    "INSERT OR REPLACE INTO upload_pieces (upload_id, start, end_offset, key)
                     VALUES (?1, ?2, ?3, ?4)",
                    params![id, size_to_sql(p.start)?, size_to_sql(p.end)?, p.key],
                )
                .map_err(backend)?;
            }
            Ok(true)
        })
        .await
    }

    async fn upload_pieces(&self, id: &str) -> StorageResult<Vec<UploadPiece>> {
        let id = id.to_string();
        self.read(move |c| pieces_of(c, &id).map_err(backend)).await
    }

    async fn set_upload_verified(&self, id: &str) -> StorageResult<()> {
        let id = id.to_string();
        self.write(move |tx| {
            tx.execute("UPDATE uploads SET verified = 1 WHERE id = ?1", [&id])
                .map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn complete_upload(&self, id: &str, now: DateTime<Utc>) -> StorageResult<()> {
        let id = id.to_string();
        self.write(move |tx| {
            tx.execute(
                "UPDATE uploads SET offset = length, completed_at = ?2, updated_at = ?2
                 WHERE id = ?1",
                params![id, ts(now)],
            )
            .map_err(backend)?;
            tx.execute("DELETE FROM upload_pieces WHERE upload_id = ?1", [&id])
                .map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn restart_upload(
        &self,
        id: &str,
        now: DateTime<Utc>,
    ) -> StorageResult<Vec<UploadPiece>> {
        let id = id.to_string();
        self.write(move |tx| {
            let pieces = pieces_of(tx, &id).map_err(backend)?;
            tx.execute("DELETE FROM upload_pieces WHERE upload_id = ?1", [&id])
                .map_err(backend)?;
            tx.execute(
                "UPDATE uploads SET offset = 0, verified = 0, updated_at = ?2
                 WHERE id = ?1 AND completed_at IS NULL",
                params![id, ts(now)],
            )
            .map_err(backend)?;
            Ok(pieces)
        })
        .await
    }

    async fn delete_upload(&self, id: &str) -> StorageResult<()> {
        let id = id.to_string();
        self.write(move |tx| {
            tx.execute("DELETE FROM upload_pieces WHERE upload_id = ?1", [&id])
                .map_err(backend)?;
            tx.execute("DELETE FROM uploads WHERE id = ?1", [&id])
                .map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn stale_uploads(
        &self,
        idle_before: DateTime<Utc>,
        completed_before: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StorageResult<Vec<String>> {
        self.read(move |c| {
            let mut stmt = c
                .prepare(
                    "SELECT id FROM uploads
                     WHERE ((completed_at IS NULL AND updated_at < ?1)
                            OR (completed_at IS NOT NULL AND completed_at < ?2))
                       AND (lease_until IS NULL OR lease_until <= ?3)
                     ORDER BY id",
                )
                .map_err(backend)?;
            stmt.query_map(
                params![ts(idle_before), ts(completed_before), ts(now)],
                |r| r.get(0),
            )
            .map_err(backend)?
            .collect::<rusqlite::Result<Vec<String>>>()
            .map_err(backend)
        })
        .await
    }
}
