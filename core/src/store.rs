//! The device store on SQLite: inspection documents (a full save followed by
//! incremental saves, compacted from time to time), the cached roster, the signed
//! step log and the device identity. Numbered, append-only migrations in
//! `core/migrations/`, version in `PRAGMA user_version`, WAL journal with full sync:
//! a step is acknowledged only after its transaction is durable.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde::{Deserialize, Serialize};

use crate::audit::{LogEntry, NewLogEntry};
use crate::model::RosterSnapshot;

mod drafts;
mod read_model;
mod whole;
pub use drafts::{DraftServerState, DraftWrite, StoredDraft};

/// Migrations in order; `MIGRATIONS[i]` brings the store from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_init.sql"),
    include_str!("../migrations/0002_unsynced_index.sql"),
    include_str!("../migrations/0003_sync.sql"),
    include_str!("../migrations/0004_drafts.sql"),
    include_str!("../migrations/0005_read_model.sql"),
    include_str!("../migrations/0006_change_hashes.sql"),
];

/// Store schema version this build writes.
pub const STORE_VERSION: u32 = MIGRATIONS.len() as u32;

/// Incremental chunks kept before a document is compacted into one full save.
pub const COMPACT_AFTER_CHUNKS: i64 = 64;

/// Errors of the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The disk (or the database's size limit) is full: nothing of this step was
    /// written, everything acknowledged before is intact.
    #[error("设备存储空间已满，本步操作未保存（此前已保存的记录完好）；请清理存储空间后重试")]
    DiskFull,
    /// The store file was written by a newer app version.
    #[error("本地数据库版本为 {found}，本应用仅支持到 {supported}；请升级应用，数据未做任何改动")]
    NewerSchema {
        /// Version in the file.
        found: u32,
        /// Highest version this build knows.
        supported: u32,
    },
    /// The file is not a SQLite database or is damaged.
    #[error("本地数据库文件 {path} 已损坏或不是本应用的数据库：{reason}")]
    CorruptFile {
        /// File path.
        path: PathBuf,
        /// SQLite's words.
        reason: String,
    },
    /// A stored document cannot be loaded; other documents are unaffected.
    #[error(
        "检查记录 {id} 的存储数据已损坏（第 {chunk} 段）：{reason}；该记录未被改动，请联系管理员导出恢复"
    )]
    CorruptDocument {
        /// Document id.
        id: String,
        /// Chunk number that failed.
        chunk: i64,
        /// Why.
        reason: String,
    },
    /// No such record.
    #[error("找不到{what} {id}")]
    NotFound {
        /// What kind of record.
        what: &'static str,
        /// Its id.
        id: String,
    },
    /// A row holds data this build cannot decode.
    #[error("本地数据库中的 {what} 数据无法解析：{reason}")]
    BadRow {
        /// Which data.
        what: &'static str,
        /// Why.
        reason: String,
    },
    /// A batch of writes was begun twice or ended without being begun (a bug in
    /// the caller, never the user's doing).
    #[error("本地数据库批量写入状态错误：{0}")]
    Batch(&'static str),
    /// Any other SQLite failure.
    #[error("本地数据库操作失败：{0}")]
    Sqlite(rusqlite::Error),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DiskFull) => StoreError::DiskFull,
            _ => StoreError::Sqlite(e),
        }
    }
}

/// Per-record sync state shown to the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncState {
    /// Has local changes the server has not confirmed.
    Pending,
    /// A sync is under way.
    Syncing,
    /// The server has everything.
    Synced,
    /// The server refused something; the user must look (reason alongside).
    NeedsAttention,
}

impl SyncState {
    fn as_str(self) -> &'static str {
        match self {
            SyncState::Pending => "pending",
            SyncState::Syncing => "syncing",
            SyncState::Synced => "synced",
            SyncState::NeedsAttention => "attention",
        }
    }
    fn parse(s: &str) -> Result<Self, StoreError> {
        Ok(match s {
            "pending" => SyncState::Pending,
            "syncing" => SyncState::Syncing,
            "synced" => SyncState::Synced,
            "attention" => SyncState::NeedsAttention,
            other => {
                return Err(StoreError::BadRow {
                    what: "sync_state",
                    reason: other.to_string(),
                });
            }
        })
    }
    /// Chinese label for lists.
    pub fn label(self) -> &'static str {
        match self {
            SyncState::Pending => "待同步",
            SyncState::Syncing => "同步中",
            SyncState::Synced => "已同步",
            SyncState::NeedsAttention => "需处理",
        }
    }
}

/// What a list of inspections shows without loading documents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentSummary {
    /// Inspection id.
    pub id: String,
    /// Target name.
    pub target_name: String,
    /// Task id, if any.
    pub task_id: Option<String>,
    /// `open` or `closed`.
    pub status: String,
    /// Schema version of the stored document.
    pub schema_version: u64,
    /// Last local change.
    pub updated_at: DateTime<Utc>,
    /// Sync state.
    pub sync_state: SyncState,
    /// Why it needs attention, if it does.
    pub sync_reason: Option<String>,
}

/// A document write: bytes to append (or a full save to replace the chunks with).
#[derive(Debug, Clone)]
pub struct DocWrite<'a> {
    /// Inspection id.
    pub id: &'a str,
    /// Target name (for lists).
    pub target_name: &'a str,
    /// Task id, if any.
    pub task_id: Option<&'a str>,
    /// `open` or `closed`.
    pub status: &'a str,
    /// Schema version of the document after the write.
    pub schema_version: u64,
    /// Heads after the write (hex).
    pub heads: &'a [String],
    /// Bytes: an incremental save, or a full save if `full` is set.
    pub bytes: &'a [u8],
    /// Whether `bytes` is a full save that replaces all chunks.
    pub full: bool,
    /// A change made on this device (marks the record pending sync); false for
    /// changes received from the server.
    pub local_change: bool,
    /// When.
    pub at: DateTime<Utc>,
    /// The read model after the write (issue 19 item 4): its version and the JSON of
    /// the hydrated inspection, written in the same transaction; `None` drops the
    /// stored one (the next read hydrates the document).
    pub view: Option<(&'a str, &'a str)>,
    /// Every change hash of the document after the write (32 bytes each,
    /// concatenated), stored with `heads` (issue 19 item 1: a new record's first
    /// sync message is then built without loading it); `None` stores none.
    pub change_hashes: Option<&'a [u8]>,
}

/// What the first sync message of a record needs, read without loading it (issue
/// 19 item 1): its stored chunks joined in order, its heads and every change hash,
/// as the last write stored them together.
#[derive(Debug, Clone)]
pub struct StoredWhole {
    /// The chunks, in order, as one byte string (what `load_incremental` reads).
    pub bytes: Vec<u8>,
    /// Heads (hex), as stored with the chunks.
    pub heads: Vec<String>,
    /// Every change hash (32 bytes each, concatenated), as stored with the heads.
    pub change_hashes: Vec<u8>,
    /// Schema version of the stored document.
    pub schema_version: u64,
}

/// The stored bytes of a document.
#[derive(Debug, Clone)]
pub struct StoredDocument {
    /// Chunks in order: a full save, then incremental saves.
    pub chunks: Vec<(i64, Vec<u8>)>,
    /// Heads persisted with the last chunk (hex).
    pub heads: Vec<String>,
}

/// The device store.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// Inside [`Store::begin_batch`]: every write joins one outer transaction.
    batch: bool,
}

/// The transaction of one store write: its own immediate transaction, or a
/// savepoint inside a batch (so a failing write still undoes only itself).
enum Tx<'c> {
    Own(rusqlite::Transaction<'c>),
    InBatch(rusqlite::Savepoint<'c>),
}

impl std::ops::Deref for Tx<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        match self {
            Tx::Own(t) => t,
            Tx::InBatch(s) => s,
        }
    }
}

impl Tx<'_> {
    fn commit(self) -> rusqlite::Result<()> {
        match self {
            Tx::Own(t) => t.commit(),
            Tx::InBatch(s) => s.commit(),
        }
    }
}

/// Runs a statement through the connection's prepared-statement cache (issue 19:
/// parsing the SQL again on every write was a tenth of a sync's device time).
fn exec<P: rusqlite::Params>(c: &Connection, sql: &str, p: P) -> rusqlite::Result<usize> {
    c.prepare_cached(sql)?.execute(p)
}

/// Reads one row through the connection's prepared-statement cache.
fn query_one<T, P, F>(c: &Connection, sql: &str, p: P, f: F) -> rusqlite::Result<T>
where
    P: rusqlite::Params,
    F: FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
{
    c.prepare_cached(sql)?.query_row(p, f)
}

/// Statements kept prepared per connection: every statement of the write and sync
/// paths (rusqlite's default of 16 is fewer than they use).
const STATEMENT_CACHE: usize = 64;

fn ts(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn from_ts(v: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(v).unwrap_or_default()
}

impl Store {
    /// Opens (creating if needed) the store at `path`, migrating it to the current
    /// version. A store from a newer version is refused untouched.
    pub fn open(path: impl AsRef<Path>) -> Result<Store, StoreError> {
        let path = path.as_ref().to_path_buf();
        let corrupt = |e: rusqlite::Error| match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::NotADatabase)
            | Some(rusqlite::ErrorCode::DatabaseCorrupt) => StoreError::CorruptFile {
                path: path.clone(),
                reason: e.to_string(),
            },
            _ => StoreError::from(e),
        };
        let conn = Connection::open(&path).map_err(corrupt)?;
        // Pragmas run outside any transaction. journal_mode reads the header, so a
        // file that is not a database fails here with a clear error.
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(corrupt)?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.pragma_update(None, "journal_size_limit", 8 * 1024 * 1024)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        let mut store = Store {
            conn,
            path,
            batch: false,
        };
        store.migrate()?;
        Ok(store)
    }

    /// Path of the database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Starts a batch: every write until [`Store::end_batch`] commits in one durable
    /// transaction (one fsync), e.g. a page of records received in a sync (issue 19
    /// item 3). Each write inside still undoes only itself when it fails.
    pub fn begin_batch(&mut self) -> Result<(), StoreError> {
        if self.batch {
            return Err(StoreError::Batch("批量写入已经开始"));
        }
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        self.batch = true;
        Ok(())
    }

    /// Ends a batch: commits it (durably) if `commit`, otherwise undoes every write
    /// made since [`Store::begin_batch`].
    pub fn end_batch(&mut self, commit: bool) -> Result<(), StoreError> {
        if !self.batch {
            return Err(StoreError::Batch("没有进行中的批量写入"));
        }
        self.batch = false;
        if commit {
            if let Err(e) = self.conn.execute_batch("COMMIT") {
                // A failed COMMIT may leave the transaction open: undo it.
                let _ = self.conn.execute_batch("ROLLBACK");
                return Err(e.into());
            }
        } else {
            self.conn.execute_batch("ROLLBACK")?;
        }
        Ok(())
    }

    /// Whether a batch is open.
    pub fn in_batch(&self) -> bool {
        self.batch
    }

    /// The transaction of one write (see [`Tx`]).
    fn tx(&mut self) -> Result<Tx<'_>, StoreError> {
        Ok(if self.batch {
            Tx::InBatch(self.conn.savepoint()?)
        } else {
            Tx::Own(
                self.conn
                    .transaction_with_behavior(TransactionBehavior::Immediate)?,
            )
        })
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        let found: u32 = self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?;
        if found > STORE_VERSION {
            return Err(StoreError::NewerSchema {
                found,
                supported: STORE_VERSION,
            });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
            let to = i as u32 + 1;
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", to)?;
            tx.commit()?;
            tracing::info!(to, "migrated device store");
        }
        Ok(())
    }

    /// Limits the database size in pages, to exercise the disk-full path in tests
    /// exactly as SQLite reports a full disk.
    #[doc(hidden)]
    pub fn set_max_page_count_for_tests(&self, pages: u64) -> Result<(), StoreError> {
        self.conn
            .pragma_update(None, "max_page_count", pages as i64)?;
        Ok(())
    }

    // ---- device ---------------------------------------------------------

    /// A device setting, if set.
    pub fn device_value(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(query_one(
            &self.conn,
            "SELECT value FROM device WHERE key = ?1",
            [key],
            |r| r.get(0),
        )
        .optional()?)
    }

    /// Sets a device setting.
    pub fn set_device_value(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        exec(
            &self.conn,
            "INSERT INTO device (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    // ---- roster ---------------------------------------------------------

    /// Replaces the cached roster and tasks.
    pub fn replace_roster(
        &self,
        snapshot: &RosterSnapshot,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let json = serde_json::to_string(snapshot).map_err(|e| StoreError::BadRow {
            what: "roster",
            reason: e.to_string(),
        })?;
        exec(&self.conn,
            "INSERT INTO roster (id, snapshot, fetched_at) VALUES (1, ?1, ?2)
             ON CONFLICT (id) DO UPDATE SET snapshot = excluded.snapshot, fetched_at = excluded.fetched_at",
            params![json, ts(at)],
        )?;
        Ok(())
    }

    /// The cached roster, if one was loaded.
    pub fn roster(&self) -> Result<Option<RosterSnapshot>, StoreError> {
        let json: Option<String> = query_one(
            &self.conn,
            "SELECT snapshot FROM roster WHERE id = 1",
            [],
            |r| r.get(0),
        )
        .optional()?;
        json.map(|j| {
            serde_json::from_str(&j).map_err(|e| StoreError::BadRow {
                what: "roster",
                reason: e.to_string(),
            })
        })
        .transpose()
    }

    // ---- documents and log ---------------------------------------------

    /// Writes a document change and its log entry in one durable transaction. The
    /// log entry is chained after the last one and signed by `seal`. Returns the
    /// sealed entry. Nothing is written if any part fails.
    pub fn write_step(
        &mut self,
        doc: &DocWrite<'_>,
        entry: NewLogEntry,
        seal: impl FnOnce(NewLogEntry, Option<(u64, String)>) -> LogEntry,
    ) -> Result<LogEntry, StoreError> {
        let tx = self.tx()?;
        let heads = serde_json::to_string(doc.heads).unwrap_or_else(|_| "[]".into());
        let existing: Option<i64> = query_one(
            &tx,
            "SELECT chunk_count FROM documents WHERE id = ?1",
            [doc.id],
            |r| r.get(0),
        )
        .optional()?;
        match existing {
            None => {
                exec(&tx,
                    "INSERT INTO documents (id, target_name, task_id, status, schema_version, heads,
                       chunk_count, created_at, updated_at, sync_state, change_hashes)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7, ?7,
                             CASE WHEN ?8 THEN 'pending' ELSE 'synced' END, ?9)",
                    params![
                        doc.id,
                        doc.target_name,
                        doc.task_id,
                        doc.status,
                        doc.schema_version as i64,
                        heads,
                        ts(doc.at),
                        doc.local_change,
                        doc.change_hashes
                    ],
                )?;
                exec(
                    &tx,
                    "INSERT INTO doc_chunks (doc_id, seq, bytes) VALUES (?1, 0, ?2)",
                    params![doc.id, doc.bytes],
                )?;
            }
            Some(count) => {
                if doc.full {
                    exec(&tx, "DELETE FROM doc_chunks WHERE doc_id = ?1", [doc.id])?;
                    exec(
                        &tx,
                        "INSERT INTO doc_chunks (doc_id, seq, bytes) VALUES (?1, 0, ?2)",
                        params![doc.id, doc.bytes],
                    )?;
                } else if !doc.bytes.is_empty() {
                    exec(&tx,
                        "INSERT INTO doc_chunks (doc_id, seq, bytes)
                         VALUES (?1, (SELECT COALESCE(MAX(seq), -1) + 1 FROM doc_chunks WHERE doc_id = ?1), ?2)",
                        params![doc.id, doc.bytes],
                    )?;
                }
                let new_count = if doc.full {
                    1
                } else {
                    count + i64::from(!doc.bytes.is_empty())
                };
                exec(
                    &tx,
                    "UPDATE documents SET target_name = ?2, task_id = ?3, status = ?4,
                       schema_version = ?5, heads = ?6, chunk_count = ?7, updated_at = ?8,
                       sync_state = CASE WHEN ?9 THEN 'pending' ELSE sync_state END,
                       sync_reason = CASE WHEN ?9 THEN NULL ELSE sync_reason END,
                       change_hashes = ?10
                     WHERE id = ?1",
                    params![
                        doc.id,
                        doc.target_name,
                        doc.task_id,
                        doc.status,
                        doc.schema_version as i64,
                        heads,
                        new_count,
                        ts(doc.at),
                        doc.local_change,
                        doc.change_hashes
                    ],
                )?;
            }
        }
        let (version, view) = match doc.view {
            Some((version, view)) => (version, Some(view)),
            None => ("", None),
        };
        read_model::write_in(&tx, doc.id, version, &heads, view)?;
        let sealed = chain_log(&tx, entry, seal)?;
        tx.commit()?;
        Ok(sealed)
    }

    /// Appends a log entry that has no document change (e.g. a roster refresh).
    pub fn append_log(
        &mut self,
        entry: NewLogEntry,
        seal: impl FnOnce(NewLogEntry, Option<(u64, String)>) -> LogEntry,
    ) -> Result<LogEntry, StoreError> {
        let tx = self.tx()?;
        let sealed = chain_log(&tx, entry, seal)?;
        tx.commit()?;
        Ok(sealed)
    }

    /// The number of chunks a document is stored in.
    pub fn chunk_count(&self, id: &str) -> Result<i64, StoreError> {
        query_one(
            &self.conn,
            "SELECT chunk_count FROM documents WHERE id = ?1",
            [id],
            |r| r.get(0),
        )
        .optional()?
        .ok_or_else(|| StoreError::NotFound {
            what: "检查记录",
            id: id.to_string(),
        })
    }

    /// The heads a document is stored at (hex), without loading it; `None` if the
    /// device does not hold it. [`Store::load_document`] refuses chunks that do not
    /// reach exactly these heads, so they are the heads of the document as stored.
    pub fn stored_heads(&self, id: &str) -> Result<Option<Vec<String>>, StoreError> {
        let Some(heads) = query_one(
            &self.conn,
            "SELECT heads FROM documents WHERE id = ?1",
            [id],
            |r| r.get::<_, String>(0),
        )
        .optional()?
        else {
            return Ok(None);
        };
        serde_json::from_str(&heads)
            .map(Some)
            .map_err(|e| StoreError::CorruptDocument {
                id: id.to_string(),
                chunk: -1,
                reason: format!("heads: {e}"),
            })
    }

    /// Replaces the chunks of document `id` with `bytes`, one whole save of it at
    /// `heads` (hex), in one transaction: later loads read one chunk instead of
    /// replaying every incremental save (issue 19: the device loads each record
    /// twice in a sync). The document does not change: nothing happens (`false`)
    /// unless it is stored at exactly `heads` in more than one chunk, and a read
    /// model made from the old chunks is carried over to the new ones.
    pub fn compact(
        &mut self,
        id: &str,
        heads: &[String],
        bytes: &[u8],
    ) -> Result<bool, StoreError> {
        let tx = self.tx()?;
        let row: Option<(String, i64)> = query_one(
            &tx,
            "SELECT heads, chunk_count FROM documents WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
        let Some((stored, count)) = row else {
            return Ok(false);
        };
        let mut stored: Vec<String> = serde_json::from_str(&stored).unwrap_or_default();
        let mut wanted = heads.to_vec();
        stored.sort();
        wanted.sort();
        if count <= 1 || stored != wanted || bytes.is_empty() {
            return Ok(false);
        }
        let before = read_model::digest_stored(&tx, id)?;
        exec(&tx, "DELETE FROM doc_chunks WHERE doc_id = ?1", [id])?;
        exec(
            &tx,
            "INSERT INTO doc_chunks (doc_id, seq, bytes) VALUES (?1, 0, ?2)",
            params![id, bytes],
        )?;
        exec(
            &tx,
            "UPDATE documents SET chunk_count = 1 WHERE id = ?1",
            [id],
        )?;
        read_model::redigest_in(&tx, id, &before)?;
        tx.commit()?;
        Ok(true)
    }

    /// The stored chunks and heads of a document.
    pub fn load_document(&self, id: &str) -> Result<StoredDocument, StoreError> {
        let heads = self.stored_heads(id)?.ok_or_else(|| StoreError::NotFound {
            what: "检查记录",
            id: id.to_string(),
        })?;
        let mut stmt = self
            .conn
            .prepare_cached("SELECT seq, bytes FROM doc_chunks WHERE doc_id = ?1 ORDER BY seq")?;
        let chunks = stmt
            .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<Vec<(i64, Vec<u8>)>, _>>()?;
        Ok(StoredDocument { chunks, heads })
    }

    /// Summaries of documents, newest change first; only those not yet synced when
    /// `pending_only`.
    pub fn list_documents(&self, pending_only: bool) -> Result<Vec<DocumentSummary>, StoreError> {
        let sql = if pending_only {
            "SELECT id, target_name, task_id, status, schema_version, updated_at, sync_state, sync_reason
             FROM documents WHERE sync_state != 'synced' ORDER BY updated_at DESC"
        } else {
            "SELECT id, target_name, task_id, status, schema_version, updated_at, sync_state, sync_reason
             FROM documents ORDER BY updated_at DESC"
        };
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, i64>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, Option<String>>(7)?,
            ))
        })?;
        let mut out = vec![];
        for row in rows {
            let (id, target_name, task_id, status, v, updated, state, reason) = row?;
            out.push(DocumentSummary {
                id,
                target_name,
                task_id,
                status,
                schema_version: v.max(0) as u64,
                updated_at: from_ts(updated),
                sync_state: SyncState::parse(&state)?,
                sync_reason: reason,
            });
        }
        Ok(out)
    }

    /// Sets a document's sync state (with a reason for `NeedsAttention`).
    pub fn set_sync_state(
        &self,
        id: &str,
        state: SyncState,
        reason: Option<&str>,
    ) -> Result<(), StoreError> {
        let n = exec(
            &self.conn,
            "UPDATE documents SET sync_state = ?2, sync_reason = ?3 WHERE id = ?1",
            params![id, state.as_str(), reason],
        )?;
        if n == 0 {
            return Err(StoreError::NotFound {
                what: "检查记录",
                id: id.to_string(),
            });
        }
        Ok(())
    }

    /// The persisted automerge sync state with the server for a document.
    pub fn peer_state(&self, doc_id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(query_one(
            &self.conn,
            "SELECT state FROM sync_peer_states WHERE doc_id = ?1",
            [doc_id],
            |r| r.get(0),
        )
        .optional()?)
    }

    /// Persists the sync state of a document.
    pub fn set_peer_state(
        &self,
        doc_id: &str,
        state: &[u8],
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        exec(&self.conn,
            "INSERT INTO sync_peer_states (doc_id, state, updated_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (doc_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
            params![doc_id, state, ts(at)],
        )?;
        Ok(())
    }

    /// The resumable upload URL of a blob, and whether the server confirmed it.
    pub fn upload_state(&self, sha256: &str) -> Result<Option<(Option<String>, bool)>, StoreError> {
        Ok(query_one(
            &self.conn,
            "SELECT upload_url, confirmed_at IS NOT NULL FROM uploads WHERE sha256 = ?1",
            [sha256],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
    }

    /// Records progress of a blob upload: its URL (to resume), an error, or confirmation.
    pub fn set_upload_state(
        &self,
        sha256: &str,
        inspection_id: &str,
        upload_url: Option<&str>,
        confirmed_at: Option<DateTime<Utc>>,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        exec(&self.conn,
            "INSERT INTO uploads (sha256, inspection_id, upload_url, confirmed_at, attempts, last_error)
             VALUES (?1, ?2, ?3, ?4, 1, ?5)
             ON CONFLICT (sha256) DO UPDATE SET
               upload_url = COALESCE(excluded.upload_url, uploads.upload_url),
               confirmed_at = COALESCE(excluded.confirmed_at, uploads.confirmed_at),
               attempts = uploads.attempts + 1,
               last_error = excluded.last_error",
            params![sha256, inspection_id, upload_url, confirmed_at.map(ts), error],
        )?;
        Ok(())
    }

    /// The whole log in order, or one inspection's entries.
    pub fn log_entries(&self, inspection_id: Option<&str>) -> Result<Vec<LogEntry>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {LOG_COLS} FROM log_entries
             WHERE (?1 IS NULL OR inspection_id = ?1) ORDER BY seq"
        ))?;
        let rows = stmt.query_map([inspection_id], log_row)?;
        rows.map(|r| log_entry(r?)).collect()
    }

    /// Up to `limit` log entries with a sequence number above `after`, in order (the
    /// next batch to upload with sync).
    pub fn log_entries_after(&self, after: u64, limit: usize) -> Result<Vec<LogEntry>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {LOG_COLS} FROM log_entries WHERE seq > ?1 ORDER BY seq LIMIT ?2"
        ))?;
        let after = i64::try_from(after).unwrap_or(i64::MAX);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt.query_map(params![after, limit], log_row)?;
        rows.map(|r| log_entry(r?)).collect()
    }

    /// Sequence number of the last log entry (0 if the log is empty).
    pub fn last_log_seq(&self) -> Result<u64, StoreError> {
        let seq: Option<i64> =
            query_one(&self.conn, "SELECT MAX(seq) FROM log_entries", [], |r| {
                r.get(0)
            })?;
        Ok(seq.unwrap_or(0).max(0) as u64)
    }

    /// Up to which sequence number the server acknowledged holding this device's log
    /// without gaps (0 if it never did). Entries are never deleted because of it.
    pub fn log_acked_seq(&self) -> Result<u64, StoreError> {
        Ok(self
            .device_value(LOG_ACKED_SEQ_KEY)?
            .and_then(|v| String::from_utf8(v).ok())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }

    /// Remembers the server's acknowledgement of the log (durable, like every write).
    pub fn set_log_acked_seq(&self, seq: u64) -> Result<(), StoreError> {
        self.set_device_value(LOG_ACKED_SEQ_KEY, seq.to_string().as_bytes())
    }

    /// Runs SQLite's integrity check; `Ok(())` when the file is sound.
    pub fn integrity_check(&self) -> Result<(), StoreError> {
        let result: String = self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        if result == "ok" {
            Ok(())
        } else {
            Err(StoreError::CorruptFile {
                path: self.path.clone(),
                reason: result,
            })
        }
    }

    /// Raw connection for tests that must damage data on purpose.
    #[doc(hidden)]
    pub fn connection_for_tests(&self) -> &Connection {
        &self.conn
    }
}

/// Device setting: the server's acknowledgement of the log (decimal text).
const LOG_ACKED_SEQ_KEY: &str = "log_acked_seq";

/// Columns of `log_entries` in the order [`log_row`] reads them.
const LOG_COLS: &str = "seq, prev_hash, at, officer_id, device_id, inspection_id, action, detail,
    evidence, doc_heads, hash, signature";

/// One `log_entries` row as stored (JSON columns still text).
type LogRow = (
    i64,
    String,
    i64,
    String,
    String,
    Option<String>,
    String,
    String,
    String,
    String,
    String,
    String,
);

fn log_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<LogRow> {
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
        r.get(10)?,
        r.get(11)?,
    ))
}

fn log_entry(row: LogRow) -> Result<LogEntry, StoreError> {
    let bad = |e: serde_json::Error| StoreError::BadRow {
        what: "log_entries",
        reason: e.to_string(),
    };
    let (
        seq,
        prev_hash,
        at,
        officer_id,
        device_id,
        inspection_id,
        action,
        detail,
        ev,
        heads,
        hash,
        signature,
    ) = row;
    Ok(LogEntry {
        seq: seq.max(0) as u64,
        prev_hash,
        at: from_ts(at),
        officer_id,
        device_id,
        inspection_id,
        action,
        detail: serde_json::from_str(&detail).map_err(bad)?,
        evidence: serde_json::from_str(&ev).map_err(bad)?,
        doc_heads: serde_json::from_str(&heads).map_err(bad)?,
        hash,
        signature,
    })
}

/// Seals `entry` after the last log entry and inserts it, inside `tx`.
fn chain_log(
    tx: &Connection,
    entry: NewLogEntry,
    seal: impl FnOnce(NewLogEntry, Option<(u64, String)>) -> LogEntry,
) -> Result<LogEntry, StoreError> {
    let prev: Option<(i64, String)> = query_one(
        tx,
        "SELECT seq, hash FROM log_entries ORDER BY seq DESC LIMIT 1",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .optional()?;
    let sealed = seal(entry, prev.map(|(s, h)| (s as u64, h)));
    insert_log(tx, &sealed)?;
    Ok(sealed)
}

fn insert_log(tx: &Connection, e: &LogEntry) -> Result<(), StoreError> {
    exec(
        tx,
        "INSERT INTO log_entries (seq, prev_hash, at, officer_id, device_id, inspection_id, action,
           detail, evidence, doc_heads, hash, signature)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        params![
            e.seq as i64,
            e.prev_hash,
            ts(e.at),
            e.officer_id,
            e.device_id,
            e.inspection_id,
            e.action,
            j(&e.detail),
            j(&e.evidence),
            j(&e.doc_heads),
            e.hash,
            e.signature
        ],
    )?;
    Ok(())
}

/// JSON text of plain data (which always serialises).
fn j<T: Serialize + ?Sized>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::SigningKey;

    #[test]
    fn log_batches_follow_the_acknowledgement_and_nothing_is_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.db");
        let mut store = Store::open(&path).unwrap();
        let key = SigningKey::from_bytes(&[5u8; 32]);
        for i in 0..25 {
            store
                .append_log(
                    NewLogEntry {
                        at: DateTime::from_timestamp_millis(1_700_000_000_000 + i).unwrap(),
                        officer_id: "o1".into(),
                        inspection_id: None,
                        action: "roster_refresh".into(),
                        detail: serde_json::json!({ "n": i }),
                        evidence: vec![],
                        doc_heads: vec![],
                    },
                    |e, prev| LogEntry::seal(e, prev, "dev-a", &key),
                )
                .unwrap();
        }
        assert_eq!(store.last_log_seq().unwrap(), 25);
        assert_eq!(store.log_acked_seq().unwrap(), 0);
        let first = store.log_entries_after(0, 10).unwrap();
        assert_eq!(
            first.iter().map(|e| e.seq).collect::<Vec<_>>(),
            (1..=10).collect::<Vec<_>>()
        );
        store.set_log_acked_seq(20).unwrap();
        drop(store);
        // Durable: a reopened store still knows the acknowledgement.
        let store = Store::open(&path).unwrap();
        assert_eq!(store.log_acked_seq().unwrap(), 20);
        let rest = store
            .log_entries_after(store.log_acked_seq().unwrap(), 10)
            .unwrap();
        assert_eq!(
            rest.iter().map(|e| e.seq).collect::<Vec<_>>(),
            (21..=25).collect::<Vec<_>>()
        );
        // Acknowledged entries stay on the device and still verify.
        let all = store.log_entries(None).unwrap();
        assert_eq!(all.len(), 25);
        assert_eq!(
            crate::audit::verify_chain(&all, &key.verifying_key()),
            Ok(())
        );
    }

    fn entry(i: i64) -> NewLogEntry {
        NewLogEntry {
            at: DateTime::from_timestamp_millis(1_700_000_000_000 + i).unwrap(),
            officer_id: "o1".into(),
            inspection_id: None,
            action: "roster_refresh".into(),
            detail: serde_json::json!({ "n": i }),
            evidence: vec![],
            doc_heads: vec![],
        }
    }

    #[test]
    fn a_batch_commits_together_or_not_at_all_and_a_failing_write_undoes_only_itself() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.db");
        let mut store = Store::open(&path).unwrap();
        let key = SigningKey::from_bytes(&[5u8; 32]);
        let seal = |e, prev| LogEntry::seal(e, prev, "dev-a", &key);

        // Undone: nothing of a rolled-back batch stays, and the chain goes on.
        store.begin_batch().unwrap();
        store.append_log(entry(1), seal).unwrap();
        store.set_device_value("k", b"undone").unwrap();
        store.end_batch(false).unwrap();
        assert_eq!(store.last_log_seq().unwrap(), 0);
        assert_eq!(store.device_value("k").unwrap(), None);

        // Committed: everything, durably (a reopened store sees it).
        store.begin_batch().unwrap();
        assert!(matches!(store.begin_batch(), Err(StoreError::Batch(_))));
        store.append_log(entry(2), seal).unwrap();
        // A write that fails inside the batch (a document that does not exist)
        // leaves the batch's other writes in place.
        assert!(matches!(
            store.set_sync_state("missing", SyncState::Synced, None),
            Err(StoreError::NotFound { .. })
        ));
        store.append_log(entry(3), seal).unwrap();
        store.set_device_value("k", b"kept").unwrap();
        store.end_batch(true).unwrap();
        assert!(matches!(store.end_batch(true), Err(StoreError::Batch(_))));
        drop(store);
        let store = Store::open(&path).unwrap();
        assert_eq!(store.last_log_seq().unwrap(), 2);
        assert_eq!(store.device_value("k").unwrap(), Some(b"kept".to_vec()));
        let all = store.log_entries(None).unwrap();
        assert_eq!(
            crate::audit::verify_chain(&all, &key.verifying_key()),
            Ok(())
        );
    }

    #[test]
    fn compaction_keeps_the_document_and_its_read_model_or_does_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path().join("store.db")).unwrap();
        let key = SigningKey::from_bytes(&[5u8; 32]);
        let at = DateTime::from_timestamp_millis(1_700_000_000_000).unwrap();
        let heads = vec!["h2".to_string(), "h1".to_string()];
        for (i, bytes) in [b"first".as_slice(), b"second".as_slice()]
            .into_iter()
            .enumerate()
        {
            let write = DocWrite {
                id: "d1",
                target_name: "t",
                task_id: None,
                status: "open",
                schema_version: 1,
                heads: &heads[..=i],
                bytes,
                full: false,
                local_change: true,
                at,
                view: Some(("v1", "{}")),
                change_hashes: None,
            };
            store
                .write_step(&write, entry(i as i64), |e, prev| {
                    LogEntry::seal(e, prev, "dev-a", &key)
                })
                .unwrap();
        }
        assert_eq!(store.chunk_count("d1").unwrap(), 2);
        assert_eq!(store.read_view("d1", "v1").unwrap().as_deref(), Some("{}"));
        // Not at the stored heads (a stale save): nothing changes.
        assert!(!store.compact("d1", &heads[..1], b"whole").unwrap());
        assert!(!store.compact("missing", &heads, b"whole").unwrap());
        assert_eq!(store.chunk_count("d1").unwrap(), 2);
        // At the stored heads (in any order): one chunk, same heads, the read model
        // still served, the record still pending, no log entry added.
        let rev: Vec<String> = heads.iter().rev().cloned().collect();
        assert!(store.compact("d1", &rev, b"whole").unwrap());
        let stored = store.load_document("d1").unwrap();
        assert_eq!(stored.chunks, vec![(0, b"whole".to_vec())]);
        assert_eq!(stored.heads, heads);
        assert_eq!(store.chunk_count("d1").unwrap(), 1);
        assert_eq!(store.read_view("d1", "v1").unwrap().as_deref(), Some("{}"));
        assert_eq!(store.last_log_seq().unwrap(), 2);
        let summary = store.list_documents(true).unwrap();
        assert_eq!(summary.len(), 1);
        assert_eq!(summary[0].sync_state, SyncState::Pending);
        // Already one chunk: nothing to do.
        assert!(!store.compact("d1", &heads, b"again").unwrap());
    }

    /// `stored_whole` (issue 19 item 1) vouches for a record's stored form only when
    /// the chunks, heads, change hashes and read model were written together and the
    /// chunks are still those bytes; otherwise `None` sends the caller to the load.
    #[test]
    fn stored_whole_vouches_only_for_chunks_written_with_their_hashes_and_read_model() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path().join("store.db")).unwrap();
        let key = SigningKey::from_bytes(&[5u8; 32]);
        let at = DateTime::from_timestamp_millis(1_700_000_000_000).unwrap();
        let heads = vec!["h1".to_string()];
        let mut hashes = vec![1u8; 32];
        let mut seq = 0;
        let mut write = |store: &mut Store,
                         id: &str,
                         bytes: &[u8],
                         hashes: Option<&[u8]>,
                         view: Option<(&str, &str)>| {
            let w = DocWrite {
                id,
                target_name: "t",
                task_id: None,
                status: "open",
                schema_version: 1,
                heads: &heads,
                bytes,
                full: false,
                local_change: true,
                at,
                view,
                change_hashes: hashes,
            };
            store
                .write_step(&w, entry(seq), |e, prev| {
                    LogEntry::seal(e, prev, "dev-a", &key)
                })
                .unwrap();
            seq += 1;
        };
        write(
            &mut store,
            "d1",
            b"first",
            Some(&hashes),
            Some(("v1", "{}")),
        );
        hashes.extend([2u8; 32]);
        write(
            &mut store,
            "d1",
            b"second",
            Some(&hashes),
            Some(("v1", "{}")),
        );
        let whole = store.stored_whole("d1").unwrap().expect("vouched for");
        assert_eq!(whole.bytes, b"firstsecond");
        assert_eq!(whole.heads, heads);
        assert_eq!(whole.change_hashes, hashes);
        assert_eq!(whole.schema_version, 1);

        // A chunk changed outside a write (damage): its digest no longer matches.
        store
            .conn
            .execute(
                "UPDATE doc_chunks SET bytes = x'00' WHERE doc_id = 'd1' AND seq = \
                 (SELECT MAX(seq) FROM doc_chunks WHERE doc_id = 'd1')",
                [],
            )
            .unwrap();
        assert!(store.stored_whole("d1").unwrap().is_none());

        // Written without change hashes (as before migration 0006), or without a
        // read model: the store cannot vouch.
        write(&mut store, "d2", b"doc", None, Some(("v1", "{}")));
        assert!(store.stored_whole("d2").unwrap().is_none());
        write(&mut store, "d3", b"doc", Some(&hashes), None);
        assert!(store.stored_whole("d3").unwrap().is_none());
        assert!(store.stored_whole("missing").unwrap().is_none());
    }
}
