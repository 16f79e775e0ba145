//! Proposed decisions (决定草案) drafted on the device: one full automerge save per
//! draft, written together with the signed log entry of the step (R-REC-5), and
//! what the server said at the last sync.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError, chain_log, from_ts, ts};
use crate::audit::{LogEntry, NewLogEntry};

/// A draft as stored on the device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDraft {
    /// Draft id.
    pub id: String,
    /// Title (for lists).
    pub title: String,
    /// The automerge document (full save).
    pub bytes: Vec<u8>,
    /// Its heads (hex, sorted).
    pub heads: Vec<String>,
    /// The server's heads after the last sync; `None` if never synced.
    pub synced_heads: Option<Vec<String>>,
    /// The server's workflow status code at the last sync (e.g. `in_review`).
    pub server_status: Option<String>,
    /// Its Chinese label.
    pub server_label: Option<String>,
    /// Why the server refused the last push, if it did.
    pub refused: Option<String>,
    /// Made on this device.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl StoredDraft {
    /// Whether the device holds changes the server has not accepted yet.
    pub fn has_unsynced_changes(&self) -> bool {
        self.synced_heads.as_ref() != Some(&self.heads)
    }
}

/// A draft write: the new full save and heads.
#[derive(Debug, Clone)]
pub struct DraftWrite<'a> {
    /// Draft id.
    pub id: &'a str,
    /// Title after the write.
    pub title: &'a str,
    /// Full save after the write.
    pub bytes: &'a [u8],
    /// Heads after the write (hex, sorted).
    pub heads: &'a [String],
    /// When.
    pub at: DateTime<Utc>,
}

/// What the server said about a draft in one sync.
#[derive(Debug, Clone, Default)]
pub struct DraftServerState<'a> {
    /// The server's heads (the device now has them all).
    pub synced_heads: Option<&'a [String]>,
    /// Workflow status code.
    pub status: Option<&'a str>,
    /// Its Chinese label.
    pub label: Option<&'a str>,
    /// Why the push was refused (None: accepted).
    pub refused: Option<&'a str>,
}

const COLUMNS: &str = "id, title, bytes, heads, synced_heads, server_status, server_label, refused, created_at, updated_at";

type Row = (
    String,
    String,
    Vec<u8>,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    i64,
    i64,
);

fn heads_of(id: &str, json: &str) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(json).map_err(|e| StoreError::CorruptDocument {
        id: id.to_string(),
        chunk: -1,
        reason: format!("draft heads: {e}"),
    })
}

fn draft(row: Row) -> Result<StoredDraft, StoreError> {
    let (id, title, bytes, heads, synced, status, label, refused, created, updated) = row;
    let heads = heads_of(&id, &heads)?;
    let synced_heads = synced.map(|s| heads_of(&id, &s)).transpose()?;
    Ok(StoredDraft {
        id,
        title,
        bytes,
        heads,
        synced_heads,
        server_status: status,
        server_label: label,
        refused,
        created_at: from_ts(created),
        updated_at: from_ts(updated),
    })
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
        r.get(9)?,
    ))
}

fn json(heads: &[String]) -> String {
    serde_json::to_string(heads).unwrap_or_else(|_| "[]".into())
}

impl Store {
    /// Writes a draft made or edited on this device and the log entry of the step
    /// in one durable transaction; nothing is written if any part fails.
    pub fn write_draft(
        &mut self,
        w: &DraftWrite<'_>,
        entry: NewLogEntry,
        seal: impl FnOnce(NewLogEntry, Option<(u64, String)>) -> LogEntry,
    ) -> Result<LogEntry, StoreError> {
        let tx = self.tx()?;
        tx.execute(
            "INSERT INTO drafts (id, title, bytes, heads, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5)
             ON CONFLICT (id) DO UPDATE SET title = ?2, bytes = ?3, heads = ?4, updated_at = ?5",
            params![w.id, w.title, w.bytes, json(w.heads), ts(w.at)],
        )?;
        let sealed = chain_log(&tx, entry, seal)?;
        tx.commit()?;
        Ok(sealed)
    }

    /// Records a sync of a draft: the merged document (if the server sent changes)
    /// and what the server said. Only an existing draft is updated.
    pub fn record_draft_sync(
        &mut self,
        id: &str,
        merged: Option<(&str, &[u8], &[String])>,
        server: &DraftServerState<'_>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let tx = self.tx()?;
        if let Some((title, bytes, heads)) = merged {
            tx.execute(
                "UPDATE drafts SET title = ?2, bytes = ?3, heads = ?4, updated_at = ?5 WHERE id = ?1",
                params![id, title, bytes, json(heads), ts(at)],
            )?;
        }
        let n = tx.execute(
            "UPDATE drafts SET
               synced_heads = COALESCE(?2, synced_heads),
               server_status = COALESCE(?3, server_status),
               server_label = COALESCE(?4, server_label),
               refused = ?5
             WHERE id = ?1",
            params![
                id,
                server.synced_heads.map(json),
                server.status,
                server.label,
                server.refused
            ],
        )?;
        if n == 0 {
            return Err(StoreError::NotFound {
                what: "决定草案",
                id: id.to_string(),
            });
        }
        tx.commit()?;
        Ok(())
    }

    /// One draft, if the device has it.
    pub fn draft(&self, id: &str) -> Result<Option<StoredDraft>, StoreError> {
        let r = self
            .conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM drafts WHERE id = ?1"),
                [id],
                row,
            )
            .optional()?;
        r.map(draft).transpose()
    }

    /// Every draft on the device, newest change first.
    pub fn drafts(&self) -> Result<Vec<StoredDraft>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM drafts ORDER BY updated_at DESC, id"
        ))?;
        let rows = stmt.query_map([], row)?;
        let mut out = vec![];
        for r in rows {
            out.push(draft(r?)?);
        }
        Ok(out)
    }
}
