//! SQLite implementation of [`liuhen_server_store::device_log::DeviceLogStorage`].

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Row, Transaction, params};

use liuhen_domain::audit::LogEntry;

use super::{SqliteStorage, backend, exec, get_json, get_ts, query_one, to_json, ts};
use liuhen_server_store::device_log::{
    DeviceLogStorage, LogDevice, LogUploadOutcome, StoredLogEntry,
};
use liuhen_server_store::{StorageError, StorageResult};

const ENTRY_COLS: &str = "seq, prev_hash, at, officer_id, device_id, inspection_id, action, \
     detail, evidence, doc_heads, hash, signature, public_key, received_at";

fn entry_from_row(r: &Row<'_>) -> rusqlite::Result<StoredLogEntry> {
    let seq: i64 = r.get(0)?;
    Ok(StoredLogEntry {
        entry: LogEntry {
            seq: seq.max(0) as u64,
            prev_hash: r.get(1)?,
            at: get_ts(r, 2)?,
            officer_id: r.get(3)?,
            device_id: r.get(4)?,
            inspection_id: r.get(5)?,
            action: r.get(6)?,
            detail: get_json(r, 7)?,
            evidence: get_json(r, 8)?,
            doc_heads: get_json(r, 9)?,
            hash: r.get(10)?,
            signature: r.get(11)?,
        },
        public_key: r.get(12)?,
        received_at: get_ts(r, 13)?,
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

fn put_one(
    tx: &Transaction<'_>,
    device_id: &str,
    public_key: &str,
    e: &LogEntry,
    at: &str,
    out: &mut LogUploadOutcome,
) -> StorageResult<()> {
    let seq = seq_i64(e.seq)?;
    // Through the statement cache: one look-up per entry of an upload (issue 19).
    let stored = query_one(
        tx,
        &format!("SELECT {ENTRY_COLS} FROM device_log_entries WHERE device_id = ?1 AND seq = ?2"),
        params![device_id, seq],
        entry_from_row,
    )
    .optional()
    .map_err(backend)?;
    match stored {
        None => {
            exec(
                tx,
                "INSERT INTO device_log_entries (device_id, seq, prev_hash, at, officer_id,
                   inspection_id, action, detail, evidence, doc_heads, hash, signature,
                   public_key, received_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                params![
                    device_id,
                    seq,
                    e.prev_hash,
                    ts(e.at),
                    e.officer_id,
                    e.inspection_id,
                    e.action,
                    to_json(&e.detail)?,
                    to_json(&e.evidence)?,
                    to_json(&e.doc_heads)?,
                    e.hash,
                    e.signature,
                    public_key,
                    at,
                ],
            )
            .map_err(backend)?;
            out.stored += 1;
        }
        Some(s) if same_entry(&s.entry, e) => out.duplicates += 1,
        Some(_) => {
            // Keyed by (device, seq, hash): the same divergent entry sent again is
            // kept once.
            exec(
                tx,
                "INSERT OR IGNORE INTO device_log_divergent
                   (device_id, seq, hash, entry, public_key, received_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![device_id, seq, e.hash, to_json(e)?, public_key, at],
            )
            .map_err(backend)?;
            out.divergent.push(e.seq);
        }
    }
    Ok(())
}

/// Advances the stored contiguous sequence number of a device as far as its entries
/// go, and returns it.
fn advance_ack(tx: &Transaction<'_>, device_id: &str) -> StorageResult<u64> {
    let mut seq: i64 = tx
        .query_row(
            "SELECT contiguous_seq FROM device_log_acks WHERE device_id = ?1",
            [device_id],
            |r| r.get(0),
        )
        .optional()
        .map_err(backend)?
        .unwrap_or(0);
    let start = seq;
    let mut next = tx
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM device_log_entries WHERE device_id = ?1 AND seq = ?2)",
        )
        .map_err(backend)?;
    while next
        .query_row(params![device_id, seq + 1], |r| r.get::<_, bool>(0))
        .map_err(backend)?
    {
        seq += 1;
    }
    if seq != start {
        exec(
            tx,
            "INSERT INTO device_log_acks (device_id, contiguous_seq) VALUES (?1, ?2)
             ON CONFLICT (device_id) DO UPDATE SET contiguous_seq = excluded.contiguous_seq",
            params![device_id, seq],
        )
        .map_err(backend)?;
    }
    Ok(seq.max(0) as u64)
}

#[async_trait]
impl DeviceLogStorage for SqliteStorage {
    async fn put_log_entries(
        &self,
        device_id: &str,
        public_key: &str,
        entries: &[LogEntry],
        received_at: DateTime<Utc>,
    ) -> StorageResult<LogUploadOutcome> {
        let (device_id, public_key) = (device_id.to_string(), public_key.to_string());
        let entries = entries.to_vec();
        self.write(move |tx| {
            let at = ts(received_at);
            let mut out = LogUploadOutcome::default();
            for e in &entries {
                if e.device_id != device_id {
                    return Err(StorageError::Backend(format!(
                        "log entry {} is of device {}, not {device_id}",
                        e.seq, e.device_id
                    )));
                }
                put_one(tx, &device_id, &public_key, e, &at, &mut out)?;
            }
            out.acked_seq = advance_ack(tx, &device_id)?;
            Ok(out)
        })
        .await
    }

    async fn log_acked_seq(&self, device_id: &str) -> StorageResult<u64> {
        let device_id = device_id.to_string();
        self.read(move |c| {
            let seq: Option<i64> = c
                .query_row(
                    "SELECT contiguous_seq FROM device_log_acks WHERE device_id = ?1",
                    [device_id],
                    |r| r.get(0),
                )
                .optional()
                .map_err(backend)?;
            Ok(seq.unwrap_or(0).max(0) as u64)
        })
        .await
    }

    async fn log_devices_for_inspection(
        &self,
        agency_id: &str,
        inspection_id: &str,
    ) -> StorageResult<Vec<LogDevice>> {
        let (agency_id, inspection_id) = (agency_id.to_string(), inspection_id.to_string());
        self.read(move |c| {
            // A device keeps its person for ever (migration 0011), so the account's
            // agency is the agency of every entry the device uploaded.
            let mut stmt = c
                .prepare_cached(
                    "SELECT e.device_id, d.name, COUNT(*)
                     FROM device_log_entries e JOIN devices d ON d.id = e.device_id
                     JOIN users u ON u.id = d.user_id
                     WHERE e.inspection_id = ?1 AND u.agency_id = ?2
                     GROUP BY e.device_id ORDER BY e.device_id",
                )
                .map_err(backend)?;
            let rows = stmt
                .query_map(params![inspection_id, agency_id], |r| {
                    Ok(LogDevice {
                        device_id: r.get(0)?,
                        device_name: r.get(1)?,
                        entries_for_inspection: r.get::<_, i64>(2)?.max(0) as usize,
                    })
                })
                .map_err(backend)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(backend)
        })
        .await
    }

    async fn doc_agencies(&self, ids: &[String]) -> StorageResult<Vec<(String, String)>> {
        let ids = ids.to_vec();
        self.read(move |c| {
            let mut stmt = c
                .prepare_cached("SELECT agency_id FROM docs WHERE id = ?1")
                .map_err(backend)?;
            let mut out = Vec::new();
            for id in ids {
                let agency: Option<String> = stmt
                    .query_row([&id], |r| r.get(0))
                    .optional()
                    .map_err(backend)?;
                if let Some(agency) = agency {
                    out.push((id, agency));
                }
            }
            Ok(out)
        })
        .await
    }

    async fn device_log(&self, device_id: &str) -> StorageResult<Vec<StoredLogEntry>> {
        let device_id = device_id.to_string();
        self.read(move |c| {
            let mut stmt = c
                .prepare_cached(&format!(
                    "SELECT {ENTRY_COLS} FROM device_log_entries WHERE device_id = ?1 ORDER BY seq"
                ))
                .map_err(backend)?;
            let rows = stmt
                .query_map([device_id], entry_from_row)
                .map_err(backend)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(backend)
        })
        .await
    }

    async fn divergent_log_entries(&self, device_id: &str) -> StorageResult<Vec<StoredLogEntry>> {
        let device_id = device_id.to_string();
        self.read(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT entry, public_key, received_at FROM device_log_divergent
                     WHERE device_id = ?1 ORDER BY seq, received_at",
                )
                .map_err(backend)?;
            let rows = stmt
                .query_map([device_id], |r| {
                    Ok(StoredLogEntry {
                        entry: get_json(r, 0)?,
                        public_key: r.get(1)?,
                        received_at: get_ts(r, 2)?,
                    })
                })
                .map_err(backend)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(backend)
        })
        .await
    }
}
