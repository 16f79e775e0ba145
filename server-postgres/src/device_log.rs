//! PostgreSQL implementation of [`liuhen_server_store::device_log::DeviceLogStorage`]:
//! signed device logs kept as they arrived (R-REC-5); an entry is never written
//! over, a different one under a stored number goes aside.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tokio_postgres::{Row, Transaction};

use liuhen_domain::audit::LogEntry;

use super::{LOCK_CLASS_DEVICE_LOG, PgStorage, col, pg};
use liuhen_server_store::device_log::{
    DeviceLogStorage, LogDevice, LogUploadOutcome, StoredLogEntry,
};
use liuhen_server_store::{StorageError, StorageResult};

const ENTRY_COLS: &str = "seq, prev_hash, at, officer_id, device_id, inspection_id, action, \
     detail, evidence, doc_heads, hash, signature, public_key, received_at";

fn bad_json(e: serde_json::Error) -> StorageError {
    StorageError::Backend(format!("bad stored JSON: {e}"))
}

fn entry_from_row(r: &Row) -> StorageResult<StoredLogEntry> {
    let seq: i64 = col(r, 0)?;
    let detail: String = col(r, 7)?;
    Ok(StoredLogEntry {
        entry: LogEntry {
            seq: u64::try_from(seq).unwrap_or(0),
            prev_hash: col(r, 1)?,
            at: col(r, 2)?,
            officer_id: col(r, 3)?,
            device_id: col(r, 4)?,
            inspection_id: col(r, 5)?,
            action: col(r, 6)?,
            detail: serde_json::from_str(&detail).map_err(bad_json)?,
            evidence: col(r, 8)?,
            doc_heads: col(r, 9)?,
            hash: col(r, 10)?,
            signature: col(r, 11)?,
        },
        public_key: col(r, 12)?,
        received_at: col(r, 13)?,
    })
}

fn seq_i64(seq: u64) -> StorageResult<i64> {
    i64::try_from(seq).map_err(|_| StorageError::Backend(format!("log seq {seq} out of range")))
}

/// Whether `new` is the stored entry again (same hash and signature, and content
/// that hashes the same: an edited copy claiming the old hash is not a duplicate).
fn same_entry(stored: &LogEntry, new: &LogEntry) -> bool {
    stored.hash == new.hash
        && stored.signature == new.signature
        && stored.compute_hash() == new.compute_hash()
}

async fn put_one(
    tx: &Transaction<'_>,
    public_key: &str,
    e: &LogEntry,
    at: DateTime<Utc>,
    out: &mut LogUploadOutcome,
) -> StorageResult<()> {
    let seq = seq_i64(e.seq)?;
    let stored = tx
        .query_opt(
            &format!(
                "SELECT {ENTRY_COLS} FROM device_log_entries WHERE device_id = $1 AND seq = $2"
            ),
            &[&e.device_id, &seq],
        )
        .await
        .map_err(pg)?
        .as_ref()
        .map(entry_from_row)
        .transpose()?;
    match stored {
        None => {
            let detail = serde_json::to_string(&e.detail).map_err(bad_json)?;
            tx.execute(
                "INSERT INTO device_log_entries (device_id, seq, prev_hash, at, officer_id,
                   inspection_id, action, detail, evidence, doc_heads, hash, signature,
                   public_key, received_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
                &[
                    &e.device_id,
                    &seq,
                    &e.prev_hash,
                    &e.at,
                    &e.officer_id,
                    &e.inspection_id,
                    &e.action,
                    &detail,
                    &e.evidence,
                    &e.doc_heads,
                    &e.hash,
                    &e.signature,
                    &public_key,
                    &at,
                ],
            )
            .await
            .map_err(pg)?;
            out.stored += 1;
        }
        Some(s) if same_entry(&s.entry, e) => out.duplicates += 1,
        Some(_) => {
            // Keyed by (device, seq, hash): the same divergent entry sent again is
            // kept once.
            let whole = serde_json::to_string(e).map_err(bad_json)?;
            tx.execute(
                "INSERT INTO device_log_divergent
                   (device_id, seq, hash, entry, public_key, received_at)
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                &[&e.device_id, &seq, &e.hash, &whole, &public_key, &at],
            )
            .await
            .map_err(pg)?;
            out.divergent.push(e.seq);
        }
    }
    Ok(())
}

/// Advances the stored contiguous sequence number of a device as far as its
/// entries go, and returns it.
async fn advance_ack(tx: &Transaction<'_>, device_id: &str) -> StorageResult<u64> {
    let start: i64 = match tx
        .query_opt(
            "SELECT contiguous_seq FROM device_log_acks WHERE device_id = $1",
            &[&device_id],
        )
        .await
        .map_err(pg)?
    {
        Some(r) => col(&r, 0)?,
        None => 0,
    };
    // The end of the run of consecutive numbers that starts right after `start`
    // (none if `start + 1` is not stored): the first stored number past `start`
    // whose successor is not stored.
    let row = tx
        .query_one(
            "SELECT CASE WHEN EXISTS (SELECT 1 FROM device_log_entries
                                      WHERE device_id = $1 AND seq = $2::bigint + 1)
                    THEN (SELECT MIN(e.seq) FROM device_log_entries e
                          WHERE e.device_id = $1 AND e.seq > $2::bigint AND NOT EXISTS
                            (SELECT 1 FROM device_log_entries n
                             WHERE n.device_id = $1 AND n.seq = e.seq + 1))
                    ELSE $2 END",
            &[&device_id, &start],
        )
        .await
        .map_err(pg)?;
    let seq: i64 = col(&row, 0)?;
    if seq != start {
        tx.execute(
            "INSERT INTO device_log_acks (device_id, contiguous_seq) VALUES ($1, $2)
             ON CONFLICT (device_id) DO UPDATE SET contiguous_seq = excluded.contiguous_seq",
            &[&device_id, &seq],
        )
        .await
        .map_err(pg)?;
    }
    Ok(u64::try_from(seq).unwrap_or(0))
}

#[async_trait]
impl DeviceLogStorage for PgStorage {
    async fn put_log_entries(
        &self,
        device_id: &str,
        public_key: &str,
        entries: &[LogEntry],
        received_at: DateTime<Utc>,
    ) -> StorageResult<LogUploadOutcome> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(pg)?;
        // Uploads of one device are done one at a time (two instances may receive
        // a retry of the same upload at once).
        tx.execute(
            "SELECT pg_advisory_xact_lock($1, hashtext($2))",
            &[&LOCK_CLASS_DEVICE_LOG, &device_id],
        )
        .await
        .map_err(pg)?;
        let mut out = LogUploadOutcome::default();
        for e in entries {
            if e.device_id != device_id {
                return Err(StorageError::Backend(format!(
                    "log entry {} is of device {}, not {device_id}",
                    e.seq, e.device_id
                )));
            }
            put_one(&tx, public_key, e, received_at, &mut out).await?;
        }
        out.acked_seq = advance_ack(&tx, device_id).await?;
        tx.commit().await.map_err(pg)?;
        Ok(out)
    }

    async fn log_acked_seq(&self, device_id: &str) -> StorageResult<u64> {
        let seq: i64 = match self
            .client()
            .await?
            .query_opt(
                "SELECT contiguous_seq FROM device_log_acks WHERE device_id = $1",
                &[&device_id],
            )
            .await
            .map_err(pg)?
        {
            Some(r) => col(&r, 0)?,
            None => 0,
        };
        Ok(u64::try_from(seq).unwrap_or(0))
    }

    async fn log_devices_for_inspection(
        &self,
        agency_id: &str,
        inspection_id: &str,
    ) -> StorageResult<Vec<LogDevice>> {
        // A device keeps its person for ever, so the account's agency is the
        // agency of every entry the device uploaded.
        self.client()
            .await?
            .query(
                "SELECT e.device_id, d.name, COUNT(*)
                 FROM device_log_entries e JOIN devices d ON d.id = e.device_id
                 JOIN users u ON u.id = d.user_id
                 WHERE e.inspection_id = $1 AND u.agency_id = $2
                 GROUP BY e.device_id, d.name ORDER BY e.device_id",
                &[&inspection_id, &agency_id],
            )
            .await
            .map_err(pg)?
            .iter()
            .map(|r| {
                let n: i64 = col(r, 2)?;
                Ok(LogDevice {
                    device_id: col(r, 0)?,
                    device_name: col(r, 1)?,
                    entries_for_inspection: usize::try_from(n).unwrap_or(0),
                })
            })
            .collect()
    }

    async fn doc_agencies(&self, ids: &[String]) -> StorageResult<Vec<(String, String)>> {
        let rows = self
            .client()
            .await?
            .query("SELECT id, agency_id FROM docs WHERE id = ANY($1)", &[&ids])
            .await
            .map_err(pg)?;
        let mut found = std::collections::HashMap::new();
        for r in &rows {
            found.insert(col::<String>(r, 0)?, col::<String>(r, 1)?);
        }
        // In the order asked, as the other backends answer.
        Ok(ids
            .iter()
            .filter_map(|id| found.get(id).map(|a| (id.clone(), a.clone())))
            .collect())
    }

    async fn device_log(&self, device_id: &str) -> StorageResult<Vec<StoredLogEntry>> {
        self.client()
            .await?
            .query(
                &format!(
                    "SELECT {ENTRY_COLS} FROM device_log_entries WHERE device_id = $1 ORDER BY seq"
                ),
                &[&device_id],
            )
            .await
            .map_err(pg)?
            .iter()
            .map(entry_from_row)
            .collect()
    }

    async fn divergent_log_entries(&self, device_id: &str) -> StorageResult<Vec<StoredLogEntry>> {
        self.client()
            .await?
            .query(
                "SELECT entry, public_key, received_at FROM device_log_divergent
                 WHERE device_id = $1 ORDER BY seq, received_at",
                &[&device_id],
            )
            .await
            .map_err(pg)?
            .iter()
            .map(|r| {
                let entry: String = col(r, 0)?;
                Ok(StoredLogEntry {
                    entry: serde_json::from_str(&entry).map_err(bad_json)?,
                    public_key: col(r, 1)?,
                    received_at: col(r, 2)?,
                })
            })
            .collect()
    }
}
