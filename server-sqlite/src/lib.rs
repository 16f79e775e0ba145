//! The embedded SQLite backend: one file in the data directory, WAL, `synchronous =
//! FULL`, numbered append-only migrations tracked with `PRAGMA user_version`.
//!
//! One writer connection owned by a writer thread that commits the writes waiting
//! at one moment together (`group_commit`: one IMMEDIATE transaction and one fsync
//! per group, each write under its own savepoint), and a few reader connections on
//! tokio's blocking pool.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::types::Type;
use rusqlite::{Connection, OptionalExtension, Row, Transaction, TransactionBehavior, params};
use sha2::{Digest, Sha256};

use liuhen_domain::model::{Agency, Officer, RosterSnapshot, Target, Task};

use liuhen_domain::draw::SpotCheckItem;
use liuhen_domain::model::TaskStatus;
use liuhen_server_store::{
    BlobRecord, ConflictRecord, Device, DeviceRefusal, DocRecord, DrawStatus, DrawSummary,
    DrawTask, OfferScan, Role, Storage, StorageError, StorageResult, StoredDraw, SyncWrite,
    TaskEvent, TaskEventKind, User,
};

mod access;
mod device_log;
mod group_commit;
mod legal;
mod login_attempts;
mod public_profile;
mod publicity;
mod queue;
mod review;
mod uploads;
mod web;

/// File name of the database inside the data directory.
pub const DB_FILE_NAME: &str = "liuhen-server.db";

/// Migrations, in order: migration `i` (0-based) brings the schema to version `i + 1`.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_init.sql"),
    include_str!("../migrations/0002_draws.sql"),
    include_str!("../migrations/0003_web.sql"),
    include_str!("../migrations/0004_device_log.sql"),
    include_str!("../migrations/0005_review_queue.sql"),
    include_str!("../migrations/0006_access_log.sql"),
    include_str!("../migrations/0007_review_submissions.sql"),
    include_str!("../migrations/0008_legal.sql"),
    include_str!("../migrations/0009_publicity.sql"),
    include_str!("../migrations/0010_public_profile.sql"),
    include_str!("../migrations/0011_trust_boundary.sql"),
    include_str!("../migrations/0012_login_addresses.sql"),
    include_str!("../migrations/0013_change_cursor.sql"),
    include_str!("../migrations/0014_uploads.sql"),
];

/// The schema version this program writes (the number of migrations).
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// Most idle reader connections kept open: at least as many as reads a sync
/// request has in flight (16 documents at once), so none is opened per read.
const MAX_IDLE_READERS: usize = 32;

/// Prepared statements kept per connection (issue 19): every statement of the
/// sync write path is prepared once per connection, not once per record.
const STATEMENT_CACHE: usize = 128;

/// Executes one statement through the connection's prepared-statement cache.
fn exec<P: rusqlite::Params>(c: &Connection, sql: &str, p: P) -> rusqlite::Result<usize> {
    c.prepare_cached(sql)?.execute(p)
}

/// Reads one row through the connection's prepared-statement cache.
fn query_one<T, P, F>(c: &Connection, sql: &str, p: P, f: F) -> rusqlite::Result<T>
where
    P: rusqlite::Params,
    F: FnOnce(&Row<'_>) -> rusqlite::Result<T>,
{
    c.prepare_cached(sql)?.query_row(p, f)
}

/// The SQLite storage backend.
#[derive(Clone)]
pub struct SqliteStorage {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    writer: group_commit::Writer,
    readers: Mutex<Vec<Connection>>,
}

impl std::fmt::Debug for SqliteStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStorage")
            .field("path", &self.inner.path)
            .finish_non_exhaustive()
    }
}

/// A rusqlite error as a storage error: a locked or busy database (past the busy
/// timeout) is [`StorageError::Busy`], which callers may retry.
fn backend(e: rusqlite::Error) -> StorageError {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
            StorageError::Busy(e.to_string())
        }
        _ => StorageError::Backend(e.to_string()),
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock leaves the connection usable: every unit of
    // work is a transaction that was rolled back when it unwound.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(
        e,
        rusqlite::Error::SqliteFailure(f, _)
            if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
    )
}

/// A unique or primary-key violation is a `Conflict` about `what` (a duplicate the
/// caller can name); anything else is a backend error.
fn conflict_or(e: rusqlite::Error, what: String) -> StorageError {
    if is_unique_violation(&e) {
        StorageError::Conflict(what)
    } else {
        backend(e)
    }
}

/// Formats an instant the way every table stores it (sortable as text).
fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn parse_ts(s: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
    DateTime::parse_from_rfc3339(s).map(|d| d.with_timezone(&Utc))
}

fn get_ts(row: &Row<'_>, idx: usize) -> rusqlite::Result<DateTime<Utc>> {
    let s: String = row.get(idx)?;
    parse_ts(&s)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, Box::new(e)))
}

fn get_opt_ts(row: &Row<'_>, idx: usize) -> rusqlite::Result<Option<DateTime<Utc>>> {
    let s: Option<String> = row.get(idx)?;
    s.map(|s| {
        parse_ts(&s)
            .map_err(|e| rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, Box::new(e)))
    })
    .transpose()
}

fn get_json<T: serde::de::DeserializeOwned>(row: &Row<'_>, idx: usize) -> rusqlite::Result<T> {
    let s: String = row.get(idx)?;
    serde_json::from_str(&s)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, Box::new(e)))
}

fn to_json<T: serde::Serialize>(v: &T) -> StorageResult<String> {
    serde_json::to_string(v).map_err(|e| StorageError::Backend(e.to_string()))
}

const USER_COLS: &str =
    "u.id, u.agency_id, u.login, u.name, u.role, u.officer_id, u.password_hash, u.disabled";

fn user_from_row(row: &Row<'_>) -> rusqlite::Result<User> {
    let role: String = row.get(4)?;
    let role = Role::parse(&role).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            4,
            Type::Text,
            format!("unknown role {role}").into(),
        )
    })?;
    Ok(User {
        id: row.get(0)?,
        agency_id: row.get(1)?,
        login: row.get(2)?,
        name: row.get(3)?,
        role,
        officer_id: row.get(5)?,
        password_hash: row.get(6)?,
        disabled: row.get(7)?,
    })
}

const DEVICE_COLS: &str =
    "d.id, d.user_id, d.public_key, d.actor_id, d.token_hash, d.enrolled_at, d.revoked_at, d.name";

fn device_from_row(row: &Row<'_>) -> rusqlite::Result<Device> {
    Ok(Device {
        id: row.get(0)?,
        user_id: row.get(1)?,
        public_key: row.get(2)?,
        actor_id: row.get(3)?,
        token_hash: row.get(4)?,
        enrolled_at: get_ts(row, 5)?,
        revoked_at: get_opt_ts(row, 6)?,
    })
}

const DOC_COLS: &str = "id, agency_id, task_id, target_name, status, heads, bytes, updated_at";

fn doc_from_row(conn: &Connection, row: &Row<'_>) -> rusqlite::Result<DocRecord> {
    let id: String = row.get(0)?;
    let officer_ids = doc_officers(conn, &id)?;
    Ok(DocRecord {
        id,
        agency_id: row.get(1)?,
        officer_ids,
        task_id: row.get(2)?,
        target_name: row.get(3)?,
        status: row.get(4)?,
        heads: get_json(row, 5)?,
        bytes: row.get(6)?,
        updated_at: get_ts(row, 7)?,
    })
}

/// Document `id` as stored, if the server holds it.
fn doc_in(c: &Connection, id: &str) -> StorageResult<Option<DocRecord>> {
    query_one(
        c,
        &format!("SELECT {DOC_COLS} FROM docs WHERE id = ?1"),
        [id],
        |r| doc_from_row(c, r),
    )
    .optional()
    .map_err(backend)
}

/// The persisted automerge sync state of document `doc_id` with device `device_id`.
fn peer_state_in(c: &Connection, device_id: &str, doc_id: &str) -> StorageResult<Option<Vec<u8>>> {
    query_one(
        c,
        "SELECT state FROM peer_states WHERE device_id = ?1 AND doc_id = ?2",
        params![device_id, doc_id],
        |r| r.get(0),
    )
    .optional()
    .map_err(backend)
}

fn doc_officers(conn: &Connection, doc_id: &str) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT officer_id FROM doc_officers WHERE doc_id = ?1 ORDER BY position",
    )?;
    stmt.query_map([doc_id], |r| r.get(0))?.collect()
}

const BLOB_COLS: &str = "r.sha256, r.inspection_id, r.captured_at, g.received_at, \
                         COALESCE(g.size, r.size)";

/// Blob references with the grant of the referencing inspection's agency (issue 16
/// item 6: receipt is per agency, never another agency's).
const BLOB_FROM: &str = "blob_refs r LEFT JOIN docs d ON d.id = r.inspection_id
     LEFT JOIN blob_grants g ON g.agency_id = d.agency_id AND g.sha256 = r.sha256";

fn blob_from_row(row: &Row<'_>) -> rusqlite::Result<BlobRecord> {
    let size: i64 = row.get(4)?;
    Ok(BlobRecord {
        sha256: row.get(0)?,
        inspection_id: row.get(1)?,
        captured_at: get_ts(row, 2)?,
        received_at: get_opt_ts(row, 3)?,
        size: u64::try_from(size).unwrap_or(0),
    })
}

fn size_to_sql(size: u64) -> StorageResult<i64> {
    i64::try_from(size).map_err(|_| StorageError::Backend(format!("size {size} out of range")))
}

/// Opens a connection with the pragmas every connection needs.
fn open_connection(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "foreign_keys", true)?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    Ok(conn)
}

/// Reads `PRAGMA user_version`.
fn user_version(conn: &Connection) -> rusqlite::Result<u32> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
}

/// Brings the schema up to [`SCHEMA_VERSION`] in one IMMEDIATE transaction, or
/// refuses a schema newer than this program.
fn migrate(conn: &mut Connection) -> StorageResult<()> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(backend)?;
    // Read inside the write lock: another process may have migrated meanwhile.
    let found = user_version(&tx).map_err(backend)?;
    if found > SCHEMA_VERSION {
        return Err(StorageError::NewerSchema {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let version = i as u32 + 1;
        tx.execute_batch(sql)
            .map_err(|e| StorageError::Backend(format!("migration {version}: {e}")))?;
        tx.pragma_update(None, "user_version", version)
            .map_err(backend)?;
        tracing::info!(version, "applied database migration");
    }
    tx.commit().map_err(backend)
}

impl SqliteStorage {
    /// Opens (creating and migrating) the database at `path`. Blocking: call it
    /// before the runtime serves requests, or through [`SqliteStorage::open_async`].
    pub fn open(path: &Path) -> StorageResult<Self> {
        let mut writer = open_connection(path).map_err(backend)?;
        // Pragmas that cannot run inside a transaction.
        let mode: String = writer
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(backend)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StorageError::Backend(format!(
                "journal_mode is {mode}, WAL needed"
            )));
        }
        writer
            .pragma_update(None, "journal_size_limit", 64 * 1024 * 1024)
            .map_err(backend)?;
        // Every job of the group commit (and every record of a sync job) runs under
        // its own savepoint, whose undo journal SQLite keeps in a temporary file by
        // default: a write() of each page a savepoint first touches, 9% of the
        // server's CPU in a first sync (issue 19 item 1). That journal only serves
        // ROLLBACK TO within the open transaction, never crash recovery (the WAL
        // does that), so it is kept in memory: nothing becomes less durable.
        writer
            .pragma_update(None, "temp_store", "MEMORY")
            .map_err(backend)?;
        // Refuse a newer schema before taking any write lock.
        let found = user_version(&writer).map_err(backend)?;
        if found > SCHEMA_VERSION {
            return Err(StorageError::NewerSchema {
                found,
                supported: SCHEMA_VERSION,
            });
        }
        migrate(&mut writer)?;
        Ok(SqliteStorage {
            inner: Arc::new(Inner {
                path: path.to_path_buf(),
                writer: group_commit::Writer::start(writer).map_err(|e| {
                    StorageError::Backend(format!("cannot start the database writer: {e}"))
                })?,
                readers: Mutex::new(Vec::new()),
            }),
        })
    }

    /// [`SqliteStorage::open`] on the blocking pool.
    pub async fn open_async(path: PathBuf) -> StorageResult<Self> {
        tokio::task::spawn_blocking(move || Self::open(&path))
            .await
            .map_err(|e| StorageError::Backend(format!("blocking task failed: {e}")))?
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Runs `f` on a reader connection, on the blocking pool.
    async fn read<T, F>(&self, f: F) -> StorageResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StorageResult<T> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let conn = lock(&inner.readers).pop();
            let conn = match conn {
                Some(c) => c,
                None => {
                    let c = open_connection(&inner.path).map_err(backend)?;
                    c.pragma_update(None, "query_only", true).map_err(backend)?;
                    c
                }
            };
            let out = f(&conn);
            let mut idle = lock(&inner.readers);
            if idle.len() < MAX_IDLE_READERS {
                idle.push(conn);
            }
            out
        })
        .await
        .map_err(|e| StorageError::Backend(format!("blocking task failed: {e}")))?
    }

    /// Runs `f` in an IMMEDIATE transaction on the writer thread, together with the
    /// other writes waiting at that moment; resolves once the group has committed.
    /// `f`'s writes are rolled back alone if it fails.
    async fn write<T, F>(&self, f: F) -> StorageResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> StorageResult<T> + Send + 'static,
    {
        self.inner.writer.write(f).await
    }
}

/// Version tag of a roster view: SHA-256 of its JSON (changes whenever it changes).
fn roster_version(snapshot: &RosterSnapshot) -> StorageResult<String> {
    let json = to_json(snapshot)?;
    Ok(hex::encode(Sha256::digest(json.as_bytes())))
}

fn put_roster_tx(tx: &Transaction<'_>, roster: &RosterSnapshot, now: &str) -> StorageResult<()> {
    let agency_id = roster.agency.id.as_str();
    exec(
        tx,
        "INSERT INTO agencies (id, data, updated_at) VALUES (?1, ?2, ?3)
         ON CONFLICT(id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at",
        params![agency_id, to_json(&roster.agency)?, now],
    )
    .map_err(backend)?;
    // Drawn tasks (issue 7) are not part of a roster file: they survive a reload.
    for table in ["roster_task_officers", "roster_tasks"] {
        let id_col = if table == "roster_tasks" {
            "id"
        } else {
            "task_id"
        };
        exec(
            tx,
            &format!(
                "DELETE FROM {table} WHERE agency_id = ?1 AND {id_col} NOT IN
                 (SELECT task_id FROM draw_tasks WHERE agency_id = ?1)"
            ),
            [agency_id],
        )
        .map_err(backend)?;
    }
    for table in ["roster_targets", "roster_officers"] {
        exec(
            tx,
            &format!("DELETE FROM {table} WHERE agency_id = ?1"),
            [agency_id],
        )
        .map_err(backend)?;
    }
    let dup = |what: &str, id: &str| format!("名单中重复的{what}编号 {id}");
    for (i, o) in roster.officers.iter().enumerate() {
        exec(
            tx,
            "INSERT INTO roster_officers (agency_id, id, position, data) VALUES (?1, ?2, ?3, ?4)",
            params![agency_id, o.id, i as i64, to_json(o)?],
        )
        .map_err(|e| conflict_or(e, dup("执法人员", &o.id)))?;
    }
    for (i, t) in roster.targets.iter().enumerate() {
        exec(
            tx,
            "INSERT INTO roster_targets (agency_id, id, position, data) VALUES (?1, ?2, ?3, ?4)",
            params![agency_id, t.id, i as i64, to_json(t)?],
        )
        .map_err(|e| conflict_or(e, dup("检查对象", &t.id)))?;
    }
    for (i, t) in roster.tasks.iter().enumerate() {
        exec(
            tx,
            "INSERT INTO roster_tasks (agency_id, id, position, data) VALUES (?1, ?2, ?3, ?4)",
            params![agency_id, t.id, i as i64, to_json(t)?],
        )
        .map_err(|e| conflict_or(e, dup("检查任务", &t.id)))?;
        for officer_id in &t.officer_ids {
            exec(
                tx,
                "INSERT OR IGNORE INTO roster_task_officers (agency_id, task_id, officer_id)
                 VALUES (?1, ?2, ?3)",
                params![agency_id, t.id, officer_id],
            )
            .map_err(backend)?;
        }
    }
    Ok(())
}

fn roster_for_conn(
    conn: &Connection,
    agency_id: &str,
    officer_id: Option<&str>,
) -> StorageResult<Option<(RosterSnapshot, String)>> {
    let agency: Option<Agency> = conn
        .query_row(
            "SELECT data FROM agencies WHERE id = ?1",
            [agency_id],
            |r| get_json(r, 0),
        )
        .optional()
        .map_err(backend)?;
    let Some(agency) = agency else {
        return Ok(None);
    };
    let officers: Vec<Officer> = conn
        .prepare_cached("SELECT data FROM roster_officers WHERE agency_id = ?1 ORDER BY position")
        .and_then(|mut s| s.query_map([agency_id], |r| get_json(r, 0))?.collect())
        .map_err(backend)?;
    let targets: Vec<Target> = conn
        .prepare_cached("SELECT data FROM roster_targets WHERE agency_id = ?1 ORDER BY position")
        .and_then(|mut s| s.query_map([agency_id], |r| get_json(r, 0))?.collect())
        .map_err(backend)?;
    let tasks: Vec<Task> = match officer_id {
        None => conn
            .prepare_cached("SELECT data FROM roster_tasks WHERE agency_id = ?1 ORDER BY position")
            .and_then(|mut s| s.query_map([agency_id], |r| get_json(r, 0))?.collect()),
        Some(officer_id) => conn
            .prepare_cached(
                "SELECT t.data FROM roster_tasks t
                 JOIN roster_task_officers o ON o.agency_id = t.agency_id AND o.task_id = t.id
                 WHERE t.agency_id = ?1 AND o.officer_id = ?2 ORDER BY t.position",
            )
            .and_then(|mut s| {
                s.query_map(params![agency_id, officer_id], |r| get_json(r, 0))?
                    .collect()
            }),
    }
    .map_err(backend)?;
    let snapshot = RosterSnapshot {
        agency,
        officers,
        targets,
        tasks,
    };
    let version = roster_version(&snapshot)?;
    Ok(Some((snapshot, version)))
}

fn agency_exists(conn: &Connection, agency_id: &str) -> StorageResult<()> {
    let found: Option<i64> = conn
        .query_row("SELECT 1 FROM agencies WHERE id = ?1", [agency_id], |r| {
            r.get(0)
        })
        .optional()
        .map_err(backend)?;
    match found {
        Some(_) => Ok(()),
        None => Err(StorageError::NotFound(format!(
            "执法主体 {agency_id}（请先导入该机关的名单）"
        ))),
    }
}

fn next_position(tx: &Transaction<'_>, table: &str, agency_id: &str) -> StorageResult<i64> {
    tx.query_row(
        &format!("SELECT COALESCE(MAX(position), -1) + 1 FROM {table} WHERE agency_id = ?1"),
        [agency_id],
        |r| r.get(0),
    )
    .map_err(backend)
}

fn upsert_directory_tx(
    tx: &Transaction<'_>,
    agency_id: &str,
    officers: &[Officer],
    targets: &[Target],
) -> StorageResult<()> {
    agency_exists(tx, agency_id)?;
    // Certificate numbers stay unique across the officer directory.
    let mut certs: std::collections::HashMap<String, String> = tx
        .prepare_cached("SELECT id, data FROM roster_officers WHERE agency_id = ?1")
        .and_then(|mut s| {
            s.query_map([agency_id], |r| {
                let o: Officer = get_json(r, 1)?;
                Ok((o.certificate_no, r.get::<_, String>(0)?))
            })?
            .collect()
        })
        .map_err(backend)?;
    let replaced: std::collections::HashSet<&str> =
        officers.iter().map(|o| o.id.as_str()).collect();
    certs.retain(|_, id| !replaced.contains(id.as_str()));
    let first = next_position(tx, "roster_officers", agency_id)?;
    for (pos, o) in (first..).zip(officers) {
        if let Some(other) = certs.insert(o.certificate_no.clone(), o.id.clone())
            && other != o.id
        {
            return Err(StorageError::Conflict(format!(
                "执法证件编号 {} 已属于执法人员 {other}",
                o.certificate_no
            )));
        }
        exec(
            tx,
            "INSERT INTO roster_officers (agency_id, id, position, data) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(agency_id, id) DO UPDATE SET data = excluded.data",
            params![agency_id, o.id, pos, to_json(o)?],
        )
        .map_err(backend)?;
    }
    let first = next_position(tx, "roster_targets", agency_id)?;
    let mut stmt = tx
        .prepare_cached(
            "INSERT INTO roster_targets (agency_id, id, position, data) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(agency_id, id) DO UPDATE SET data = excluded.data",
        )
        .map_err(backend)?;
    for (pos, t) in (first..).zip(targets) {
        stmt.execute(params![agency_id, t.id, pos, to_json(t)?])
            .map_err(backend)?;
    }
    Ok(())
}

const DRAW_COLS: &str = "id, agency_id, status, created_at, created_by, inputs_hash, \
                         seed_commitment, seed, public_entropy, inputs, outcome, completed_at";

fn draw_status(row: &Row<'_>, idx: usize) -> rusqlite::Result<DrawStatus> {
    let s: String = row.get(idx)?;
    match s.as_str() {
        "committed" => Ok(DrawStatus::Committed),
        "completed" => Ok(DrawStatus::Completed),
        other => Err(rusqlite::Error::FromSqlConversionFailure(
            idx,
            Type::Text,
            format!("unknown draw status {other}").into(),
        )),
    }
}

fn draw_from_row(row: &Row<'_>) -> rusqlite::Result<StoredDraw> {
    let outcome: Option<String> = row.get(10)?;
    let outcome = outcome
        .map(|s| {
            serde_json::from_str(&s)
                .map_err(|e| rusqlite::Error::FromSqlConversionFailure(10, Type::Text, Box::new(e)))
        })
        .transpose()?;
    Ok(StoredDraw {
        id: row.get(0)?,
        agency_id: row.get(1)?,
        status: draw_status(row, 2)?,
        created_at: get_ts(row, 3)?,
        created_by: row.get(4)?,
        inputs_hash: row.get(5)?,
        seed_commitment: row.get(6)?,
        seed: row.get(7)?,
        public_entropy: row.get(8)?,
        inputs: get_json(row, 9)?,
        outcome,
        completed_at: get_opt_ts(row, 11)?,
    })
}

fn get_date(row: &Row<'_>, idx: usize) -> rusqlite::Result<chrono::NaiveDate> {
    let s: String = row.get(idx)?;
    s.parse()
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, Box::new(e)))
}

fn summary_from_row(row: &Row<'_>) -> rusqlite::Result<DrawSummary> {
    Ok(DrawSummary {
        id: row.get(0)?,
        agency_id: row.get(1)?,
        item_code: row.get(2)?,
        item_name: row.get(3)?,
        status: draw_status(row, 4)?,
        draw_date: get_date(row, 5)?,
        due_date: get_date(row, 6)?,
        created_at: get_ts(row, 7)?,
        inputs_hash: row.get(8)?,
        seed_commitment: row.get(9)?,
        completed_at: get_opt_ts(row, 10)?,
    })
}

fn insert_task_tx(tx: &Transaction<'_>, task: &Task, position: i64) -> StorageResult<()> {
    exec(
        tx,
        "INSERT INTO roster_tasks (agency_id, id, position, data) VALUES (?1, ?2, ?3, ?4)",
        params![task.agency_id, task.id, position, to_json(task)?],
    )
    .map_err(|e| conflict_or(e, format!("检查任务编号 {}", task.id)))?;
    for officer_id in &task.officer_ids {
        exec(
            tx,
            "INSERT OR IGNORE INTO roster_task_officers (agency_id, task_id, officer_id)
             VALUES (?1, ?2, ?3)",
            params![task.agency_id, task.id, officer_id],
        )
        .map_err(backend)?;
    }
    Ok(())
}

fn event_kind(kind: TaskEventKind) -> &'static str {
    match kind {
        TaskEventKind::Cancelled => "cancelled",
        TaskEventKind::Reassigned => "reassigned",
    }
}

fn last_teams_conn(
    conn: &Connection,
    agency_id: &str,
) -> StorageResult<Vec<(String, Vec<String>)>> {
    let mut out: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    // Drawn tasks first (older draws first, so the latest wins), not cancelled.
    let drawn: Vec<(String, Task)> = conn
        .prepare_cached(
            "SELECT dt.target_id, t.data FROM draw_tasks dt
             JOIN draws d ON d.id = dt.draw_id
             JOIN roster_tasks t ON t.agency_id = dt.agency_id AND t.id = dt.task_id
             WHERE dt.agency_id = ?1 ORDER BY d.completed_at, dt.seq",
        )
        .and_then(|mut s| {
            s.query_map([agency_id], |r| Ok((r.get(0)?, get_json(r, 1)?)))?
                .collect()
        })
        .map_err(backend)?;
    for (target, task) in drawn {
        if task.status == TaskStatus::Open {
            out.insert(target, task.officer_ids);
        }
    }
    // Inspections recorded for tasks of a target win over drawn tasks.
    let docs: Vec<(String, String)> = conn
        .prepare_cached(
            "SELECT json_extract(t.data, '$.target_id'), d.id FROM docs d
             JOIN roster_tasks t ON t.agency_id = d.agency_id AND t.id = d.task_id
             WHERE d.agency_id = ?1 ORDER BY d.updated_at, d.id",
        )
        .and_then(|mut s| {
            s.query_map([agency_id], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect()
        })
        .map_err(backend)?;
    for (target, doc_id) in docs {
        let officers = doc_officers(conn, &doc_id).map_err(backend)?;
        if !officers.is_empty() {
            out.insert(target, officers);
        }
    }
    Ok(out
        .into_iter()
        .map(|(t, mut o)| {
            o.sort();
            o.dedup();
            (t, o)
        })
        .collect())
}

fn delete_one(
    tx: &Transaction<'_>,
    sql: &str,
    p: &[&dyn rusqlite::ToSql],
    what: String,
) -> StorageResult<()> {
    let n = exec(tx, sql, p).map_err(backend)?;
    if n == 0 {
        return Err(StorageError::NotFound(what));
    }
    Ok(())
}

/// Registers a device unless a rule of device identity refuses it (see
/// [`Storage::enroll_device`]).
fn insert_device(
    tx: &Transaction<'_>,
    device: &Device,
    name: &str,
) -> StorageResult<Result<(), DeviceRefusal>> {
    let existing: Option<(String, String, Option<String>)> = tx
        .query_row(
            "SELECT user_id, actor_id, revoked_at FROM devices WHERE id = ?1",
            [&device.id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()
        .map_err(backend)?;
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
    let taken: bool = tx
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM devices WHERE actor_id = ?1 AND id <> ?2)",
            params![device.actor_id, device.id],
            |r| r.get(0),
        )
        .map_err(backend)?;
    if taken {
        return Ok(Err(DeviceRefusal::ActorTaken));
    }
    let values = params![
        device.id,
        device.user_id,
        device.public_key,
        device.actor_id,
        device.token_hash,
        name,
        ts(device.enrolled_at),
        device.revoked_at.map(ts),
    ];
    if existing.is_some() {
        // The same person's revoked device enrols again, with the same actor id:
        // its old sync states describe a peer that may no longer hold what they
        // claim.
        exec(
            tx,
            "DELETE FROM peer_states WHERE device_id = ?1",
            [&device.id],
        )
        .map_err(backend)?;
        exec(
            tx,
            "UPDATE devices SET user_id = ?2, public_key = ?3, actor_id = ?4,
             token_hash = ?5, name = ?6, enrolled_at = ?7, revoked_at = ?8 WHERE id = ?1",
            values,
        )
        .map_err(backend)?;
    } else {
        exec(
            tx,
            "INSERT INTO devices (id, user_id, public_key, actor_id, token_hash, name,
             enrolled_at, revoked_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            values,
        )
        .map_err(|e| conflict_or(e, format!("设备 {}（令牌重复）", device.id)))?;
    }
    Ok(Ok(()))
}

#[async_trait]
impl Storage for SqliteStorage {
    async fn put_roster(&self, roster: &RosterSnapshot) -> StorageResult<()> {
        let roster = roster.clone();
        let now = ts(Utc::now());
        self.write(move |tx| put_roster_tx(tx, &roster, &now)).await
    }

    async fn roster_for(
        &self,
        agency_id: &str,
        officer_id: Option<&str>,
    ) -> StorageResult<Option<(RosterSnapshot, String)>> {
        let agency_id = agency_id.to_string();
        let officer_id = officer_id.map(str::to_string);
        self.read(move |c| roster_for_conn(c, &agency_id, officer_id.as_deref()))
            .await
    }

    async fn upsert_directory(
        &self,
        agency_id: &str,
        officers: &[Officer],
        targets: &[Target],
    ) -> StorageResult<()> {
        let (agency_id, officers, targets) =
            (agency_id.to_string(), officers.to_vec(), targets.to_vec());
        self.write(move |tx| upsert_directory_tx(tx, &agency_id, &officers, &targets))
            .await
    }

    async fn delete_officer(&self, agency_id: &str, officer_id: &str) -> StorageResult<()> {
        let (a, o) = (agency_id.to_string(), officer_id.to_string());
        self.write(move |tx| {
            delete_one(
                tx,
                "DELETE FROM roster_officers WHERE agency_id = ?1 AND id = ?2",
                &[&a, &o],
                format!("执法人员 {o}"),
            )
        })
        .await
    }

    async fn delete_target(&self, agency_id: &str, target_id: &str) -> StorageResult<()> {
        let (a, t) = (agency_id.to_string(), target_id.to_string());
        self.write(move |tx| {
            delete_one(
                tx,
                "DELETE FROM roster_targets WHERE agency_id = ?1 AND id = ?2",
                &[&a, &t],
                format!("检查对象 {t}"),
            )
        })
        .await
    }

    async fn check_items(&self, agency_id: &str) -> StorageResult<Vec<SpotCheckItem>> {
        let agency_id = agency_id.to_string();
        self.read(move |c| {
            c.prepare_cached("SELECT data FROM check_items WHERE agency_id = ?1 ORDER BY position")
                .and_then(|mut s| s.query_map([agency_id], |r| get_json(r, 0))?.collect())
                .map_err(backend)
        })
        .await
    }

    async fn upsert_check_items(
        &self,
        agency_id: &str,
        items: &[SpotCheckItem],
    ) -> StorageResult<()> {
        let (agency_id, items) = (agency_id.to_string(), items.to_vec());
        self.write(move |tx| {
            agency_exists(tx, &agency_id)?;
            let first = next_position(tx, "check_items", &agency_id)?;
            for (pos, item) in (first..).zip(&items) {
                exec(
                    tx,
                    "INSERT INTO check_items (agency_id, code, position, data)
                     VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT(agency_id, code) DO UPDATE SET data = excluded.data",
                    params![agency_id, item.code, pos, to_json(item)?],
                )
                .map_err(backend)?;
            }
            Ok(())
        })
        .await
    }

    async fn delete_check_item(&self, agency_id: &str, code: &str) -> StorageResult<()> {
        let (a, c) = (agency_id.to_string(), code.to_string());
        self.write(move |tx| {
            delete_one(
                tx,
                "DELETE FROM check_items WHERE agency_id = ?1 AND code = ?2",
                &[&a, &c],
                format!("抽查事项 {c}"),
            )
        })
        .await
    }

    async fn categories(&self, agency_id: &str) -> StorageResult<Vec<String>> {
        let agency_id = agency_id.to_string();
        self.read(move |c| {
            c.prepare_cached(
                "SELECT name FROM enforcement_categories WHERE agency_id = ?1 ORDER BY name",
            )
            .and_then(|mut s| s.query_map([agency_id], |r| r.get(0))?.collect())
            .map_err(backend)
        })
        .await
    }

    async fn put_categories(&self, agency_id: &str, names: &[String]) -> StorageResult<()> {
        let (agency_id, names) = (agency_id.to_string(), names.to_vec());
        self.write(move |tx| {
            exec(
                tx,
                "DELETE FROM enforcement_categories WHERE agency_id = ?1",
                [&agency_id],
            )
            .map_err(backend)?;
            for n in &names {
                exec(
                    tx,
                    "INSERT OR IGNORE INTO enforcement_categories (agency_id, name) VALUES (?1, ?2)",
                    params![agency_id, n],
                )
                .map_err(backend)?;
            }
            Ok(())
        })
        .await
    }

    async fn conflicts(&self, agency_id: &str) -> StorageResult<Vec<ConflictRecord>> {
        let agency_id = agency_id.to_string();
        self.read(move |c| {
            c.prepare_cached(
                "SELECT agency_id, officer_id, target_id, reason, declared_at
                 FROM officer_conflicts WHERE agency_id = ?1 ORDER BY officer_id, target_id",
            )
            .and_then(|mut s| {
                s.query_map([agency_id], |r| {
                    Ok(ConflictRecord {
                        agency_id: r.get(0)?,
                        officer_id: r.get(1)?,
                        target_id: r.get(2)?,
                        reason: r.get(3)?,
                        declared_at: get_ts(r, 4)?,
                    })
                })?
                .collect()
            })
            .map_err(backend)
        })
        .await
    }

    async fn put_conflict(&self, conflict: &ConflictRecord) -> StorageResult<()> {
        let c = conflict.clone();
        self.write(move |tx| {
            exec(
                tx,
                "INSERT INTO officer_conflicts (agency_id, officer_id, target_id, reason, declared_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT(agency_id, officer_id, target_id) DO UPDATE SET reason = excluded.reason",
                params![c.agency_id, c.officer_id, c.target_id, c.reason, ts(c.declared_at)],
            )
            .map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn delete_conflict(
        &self,
        agency_id: &str,
        officer_id: &str,
        target_id: &str,
    ) -> StorageResult<()> {
        let (a, o, t) = (
            agency_id.to_string(),
            officer_id.to_string(),
            target_id.to_string(),
        );
        self.write(move |tx| {
            delete_one(
                tx,
                "DELETE FROM officer_conflicts WHERE agency_id = ?1 AND officer_id = ?2 AND target_id = ?3",
                &[&a, &o, &t],
                format!("回避申报（{o} / {t}）"),
            )
        })
        .await
    }

    async fn last_teams(&self, agency_id: &str) -> StorageResult<Vec<(String, Vec<String>)>> {
        let agency_id = agency_id.to_string();
        self.read(move |c| last_teams_conn(c, &agency_id)).await
    }

    async fn create_draw(&self, draw: &StoredDraw) -> StorageResult<()> {
        let d = draw.clone();
        self.write(move |tx| {
            exec(
                tx,
                "INSERT INTO draws (id, agency_id, item_code, item_name, status, draw_date,
                 due_date, created_at, created_by, inputs_hash, seed_commitment, seed,
                 public_entropy, inputs, outcome, completed_at)
                 VALUES (?1, ?2, ?3, ?4, 'committed', ?5, ?6, ?7, ?8, ?9, ?10, ?11, NULL, ?12, NULL, NULL)",
                params![
                    d.id,
                    d.agency_id,
                    d.inputs.item.code,
                    d.inputs.item.name,
                    d.inputs.draw_date.to_string(),
                    d.inputs.due_date.to_string(),
                    ts(d.created_at),
                    d.created_by,
                    d.inputs_hash,
                    d.seed_commitment,
                    d.seed,
                    to_json(&d.inputs)?,
                ],
            )
            .map_err(|e| conflict_or(e, format!("抽查编号 {}", d.id)))?;
            Ok(())
        })
        .await
    }

    async fn draw(&self, agency_id: Option<&str>, id: &str) -> StorageResult<Option<StoredDraw>> {
        let (agency_id, id) = (agency_id.map(str::to_string), id.to_string());
        self.read(move |c| {
            c.query_row(
                &format!(
                    "SELECT {DRAW_COLS} FROM draws WHERE id = ?1 AND (?2 IS NULL OR agency_id = ?2)"
                ),
                params![id, agency_id],
                draw_from_row,
            )
            .optional()
            .map_err(backend)
        })
        .await
    }

    async fn draws(&self, agency_id: Option<&str>) -> StorageResult<Vec<DrawSummary>> {
        let agency_id = agency_id.map(str::to_string);
        self.read(move |c| {
            c.prepare_cached(
                "SELECT id, agency_id, item_code, item_name, status, draw_date, due_date,
                 created_at, inputs_hash, seed_commitment, completed_at FROM draws
                 WHERE ?1 IS NULL OR agency_id = ?1 ORDER BY created_at DESC, id",
            )
            .and_then(|mut s| s.query_map([agency_id], summary_from_row)?.collect())
            .map_err(backend)
        })
        .await
    }

    async fn complete_draw(&self, draw: &StoredDraw, tasks: &[(u32, Task)]) -> StorageResult<()> {
        let (d, tasks) = (draw.clone(), tasks.to_vec());
        self.write(move |tx| {
            let outcome = d.outcome.as_ref().map(to_json).transpose()?;
            let n = tx
                .execute(
                    "UPDATE draws SET status = 'completed', public_entropy = ?2, outcome = ?3,
                     completed_at = ?4 WHERE id = ?1 AND status = 'committed'",
                    params![d.id, d.public_entropy, outcome, d.completed_at.map(ts)],
                )
                .map_err(backend)?;
            if n == 0 {
                return Err(StorageError::Conflict(format!(
                    "抽查 {} 已经执行过，不能再次执行",
                    d.id
                )));
            }
            let first = next_position(tx, "roster_tasks", &d.agency_id)?;
            for (pos, (seq, task)) in (first..).zip(&tasks) {
                insert_task_tx(tx, task, pos)?;
                exec(
                    tx,
                    "INSERT INTO draw_tasks (draw_id, agency_id, seq, task_id, target_id)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![d.id, d.agency_id, seq, task.id, task.target_id],
                )
                .map_err(backend)?;
            }
            Ok(())
        })
        .await
    }

    async fn draw_tasks(&self, draw_id: &str) -> StorageResult<Vec<DrawTask>> {
        let draw_id = draw_id.to_string();
        self.read(move |c| {
            c.prepare_cached(
                "SELECT dt.seq, t.data FROM draw_tasks dt
                 JOIN roster_tasks t ON t.agency_id = dt.agency_id AND t.id = dt.task_id
                 WHERE dt.draw_id = ?1 ORDER BY dt.seq",
            )
            .and_then(|mut s| {
                s.query_map([draw_id], |r| {
                    Ok(DrawTask {
                        seq: r.get(0)?,
                        task: get_json(r, 1)?,
                    })
                })?
                .collect()
            })
            .map_err(backend)
        })
        .await
    }

    async fn task(&self, agency_id: &str, task_id: &str) -> StorageResult<Option<Task>> {
        let (a, t) = (agency_id.to_string(), task_id.to_string());
        self.read(move |c| {
            c.query_row(
                "SELECT data FROM roster_tasks WHERE agency_id = ?1 AND id = ?2",
                params![a, t],
                |r| get_json(r, 0),
            )
            .optional()
            .map_err(backend)
        })
        .await
    }

    async fn update_task(&self, task: &Task, event: &TaskEvent) -> StorageResult<()> {
        let (task, e) = (task.clone(), event.clone());
        self.write(move |tx| {
            let n = tx
                .execute(
                    "UPDATE roster_tasks SET data = ?3 WHERE agency_id = ?1 AND id = ?2",
                    params![task.agency_id, task.id, to_json(&task)?],
                )
                .map_err(backend)?;
            if n == 0 {
                return Err(StorageError::NotFound(format!("检查任务 {}", task.id)));
            }
            for officer_id in &task.officer_ids {
                exec(
                    tx,
                    "INSERT OR IGNORE INTO roster_task_officers (agency_id, task_id, officer_id)
                     VALUES (?1, ?2, ?3)",
                    params![task.agency_id, task.id, officer_id],
                )
                .map_err(backend)?;
            }
            exec(
                tx,
                "INSERT INTO task_events (agency_id, task_id, at, kind, reason, before_ids,
                 after_ids, by_user) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    e.agency_id,
                    e.task_id,
                    ts(e.at),
                    event_kind(e.kind),
                    e.reason,
                    to_json(&e.before)?,
                    to_json(&e.after)?,
                    e.by_user
                ],
            )
            .map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn task_events(
        &self,
        agency_id: &str,
        task_ids: &[String],
    ) -> StorageResult<Vec<TaskEvent>> {
        let (agency_id, task_ids) = (agency_id.to_string(), task_ids.to_vec());
        self.read(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT agency_id, task_id, at, kind, reason, before_ids, after_ids, by_user
                     FROM task_events WHERE agency_id = ?1 AND task_id = ?2 ORDER BY at",
                )
                .map_err(backend)?;
            let mut out = Vec::new();
            for id in &task_ids {
                let rows: Vec<TaskEvent> = stmt
                    .query_map(params![agency_id, id], |r| {
                        let kind: String = r.get(3)?;
                        Ok(TaskEvent {
                            agency_id: r.get(0)?,
                            task_id: r.get(1)?,
                            at: get_ts(r, 2)?,
                            kind: if kind == "cancelled" {
                                TaskEventKind::Cancelled
                            } else {
                                TaskEventKind::Reassigned
                            },
                            reason: r.get(4)?,
                            before: get_json(r, 5)?,
                            after: get_json(r, 6)?,
                            by_user: r.get(7)?,
                        })
                    })
                    .and_then(|rows| rows.collect())
                    .map_err(backend)?;
                out.extend(rows);
            }
            out.sort_by_key(|e| e.at);
            Ok(out)
        })
        .await
    }

    async fn task_has_inspection(&self, task_id: &str) -> StorageResult<bool> {
        let task_id = task_id.to_string();
        self.read(move |c| {
            c.query_row(
                "SELECT EXISTS (SELECT 1 FROM docs WHERE task_id = ?1)",
                [task_id],
                |r| r.get(0),
            )
            .map_err(backend)
        })
        .await
    }

    async fn create_user(&self, user: &User) -> StorageResult<()> {
        let user = user.clone();
        let now = ts(Utc::now());
        self.write(move |tx| {
            exec(
                tx,
                "INSERT INTO users (id, agency_id, login, name, role, officer_id, password_hash,
                 disabled, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    user.id,
                    user.agency_id,
                    user.login,
                    user.name,
                    user.role.as_str(),
                    user.officer_id,
                    user.password_hash,
                    user.disabled,
                    now
                ],
            )
            .map_err(|e| conflict_or(e, format!("登录名 {}", user.login)))?;
            Ok(())
        })
        .await
    }

    async fn user_by_login(&self, login: &str) -> StorageResult<Option<User>> {
        let login = login.to_string();
        self.read(move |c| {
            c.query_row(
                &format!("SELECT {USER_COLS} FROM users u WHERE u.login = ?1"),
                [login],
                user_from_row,
            )
            .optional()
            .map_err(backend)
        })
        .await
    }

    async fn user_by_id(&self, id: &str) -> StorageResult<Option<User>> {
        let id = id.to_string();
        self.read(move |c| {
            c.query_row(
                &format!("SELECT {USER_COLS} FROM users u WHERE u.id = ?1"),
                [id],
                user_from_row,
            )
            .optional()
            .map_err(backend)
        })
        .await
    }

    async fn put_enrollment_code(
        &self,
        code_hash: &str,
        user_id: &str,
        expires_at: DateTime<Utc>,
    ) -> StorageResult<()> {
        let (code_hash, user_id) = (code_hash.to_string(), user_id.to_string());
        self.write(move |tx| {
            exec(
                tx,
                "INSERT INTO enrollment_codes (code_hash, user_id, expires_at) VALUES (?1, ?2, ?3)",
                params![code_hash, user_id, ts(expires_at)],
            )
            .map_err(|e| conflict_or(e, "登记码".into()))?;
            Ok(())
        })
        .await
    }

    async fn take_enrollment_code(
        &self,
        code_hash: &str,
        now: DateTime<Utc>,
    ) -> StorageResult<Option<String>> {
        let code_hash = code_hash.to_string();
        self.write(move |tx| {
            let now = ts(now);
            let user_id: Option<String> = tx
                .query_row(
                    "SELECT user_id FROM enrollment_codes
                     WHERE code_hash = ?1 AND used_at IS NULL AND expires_at > ?2",
                    params![code_hash, now],
                    |r| r.get(0),
                )
                .optional()
                .map_err(backend)?;
            if user_id.is_some() {
                exec(
                    tx,
                    "UPDATE enrollment_codes SET used_at = ?2 WHERE code_hash = ?1",
                    params![code_hash, now],
                )
                .map_err(backend)?;
            }
            Ok(user_id)
        })
        .await
    }

    async fn put_device(&self, device: &Device) -> StorageResult<()> {
        self.enroll_device(device, "")
            .await?
            .map_err(|refusal| StorageError::Conflict(format!("设备 {}（{refusal:?}）", device.id)))
    }

    async fn device_by_token_hash(&self, token_hash: &str) -> StorageResult<Option<Device>> {
        let token_hash = token_hash.to_string();
        self.read(move |c| {
            c.query_row(
                &format!("SELECT {DEVICE_COLS} FROM devices d WHERE d.token_hash = ?1"),
                [token_hash],
                device_from_row,
            )
            .optional()
            .map_err(backend)
        })
        .await
    }

    async fn revoke_device(&self, device_id: &str, at: DateTime<Utc>) -> StorageResult<()> {
        let device_id = device_id.to_string();
        self.write(move |tx| {
            let exists: bool = tx
                .query_row(
                    "SELECT EXISTS (SELECT 1 FROM devices WHERE id = ?1)",
                    [&device_id],
                    |r| r.get(0),
                )
                .map_err(backend)?;
            if !exists {
                return Err(StorageError::NotFound(format!("设备 {device_id}")));
            }
            // Revoking twice keeps the first instant.
            exec(
                tx,
                "UPDATE devices SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
                params![device_id, ts(at)],
            )
            .map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn put_session(
        &self,
        token_hash: &str,
        user_id: &str,
        expires_at: DateTime<Utc>,
    ) -> StorageResult<()> {
        let (token_hash, user_id) = (token_hash.to_string(), user_id.to_string());
        self.write(move |tx| {
            exec(
                tx,
                "INSERT INTO sessions (token_hash, user_id, expires_at) VALUES (?1, ?2, ?3)",
                params![token_hash, user_id, ts(expires_at)],
            )
            .map_err(|e| conflict_or(e, "会话".into()))?;
            Ok(())
        })
        .await
    }

    async fn session_user(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StorageResult<Option<User>> {
        Ok(self
            .session_info(token_hash)
            .await?
            .filter(|(_, expires_at)| *expires_at > now)
            .map(|(user, _)| user))
    }

    async fn doc(&self, id: &str) -> StorageResult<Option<DocRecord>> {
        let id = id.to_string();
        self.read(move |c| doc_in(c, &id)).await
    }

    async fn put_doc(
        &self,
        doc: &DocRecord,
        expected_heads: Option<&[String]>,
    ) -> StorageResult<()> {
        let doc = doc.clone();
        let expected = expected_heads.map(<[String]>::to_vec);
        self.write(move |tx| {
            check_heads(tx, &doc.id, expected.as_deref())?;
            write_doc(tx, &doc)
        })
        .await
    }

    async fn doc_ids_after(&self, after: &str, limit: u32) -> StorageResult<Vec<String>> {
        let after = after.to_string();
        self.read(move |c| {
            c.prepare_cached("SELECT id FROM docs WHERE id > ?1 ORDER BY id LIMIT ?2")
                .and_then(|mut s| s.query_map(params![after, limit], |r| r.get(0))?.collect())
                .map_err(backend)
        })
        .await
    }

    async fn offer_scan(
        &self,
        agency_id: &str,
        officer_id: &str,
        device_id: &str,
        since: u64,
    ) -> StorageResult<OfferScan> {
        let (agency_id, officer_id, device_id) = (
            agency_id.to_string(),
            officer_id.to_string(),
            device_id.to_string(),
        );
        let since = i64::try_from(since).unwrap_or(i64::MAX);
        self.read(move |c| {
            let cursor: i64 = c
                .query_row("SELECT COALESCE(MAX(change_seq), 0) FROM docs", [], |r| {
                    r.get(0)
                })
                .map_err(backend)?;
            // `+d.agency_id`: walk the change index, not the agency's records.
            let docs = c
                .prepare_cached(
                    "SELECT d.id, d.heads, p.state FROM docs d
                     JOIN doc_officers o ON o.doc_id = d.id AND o.officer_id = ?2
                     LEFT JOIN peer_states p ON p.doc_id = d.id AND p.device_id = ?3
                     WHERE d.change_seq > ?4 AND +d.agency_id = ?1 ORDER BY d.id",
                )
                .and_then(|mut s| {
                    s.query_map(params![agency_id, officer_id, device_id, since], |r| {
                        Ok((r.get(0)?, get_json(r, 1)?, r.get(2)?))
                    })?
                    .collect()
                })
                .map_err(backend)?;
            Ok(OfferScan {
                cursor: u64::try_from(cursor).unwrap_or(0),
                docs,
            })
        })
        .await
    }

    async fn docs_for_agency(
        &self,
        agency_id: &str,
        limit: u32,
        offset: u32,
    ) -> StorageResult<Vec<DocRecord>> {
        let agency_id = agency_id.to_string();
        self.read(move |c| {
            c.prepare_cached(&format!(
                "SELECT {DOC_COLS} FROM docs WHERE agency_id = ?1
                 ORDER BY updated_at DESC, id LIMIT ?2 OFFSET ?3"
            ))
            .and_then(|mut s| {
                s.query_map(params![agency_id, limit, offset], |r| doc_from_row(c, r))?
                    .collect()
            })
            .map_err(backend)
        })
        .await
    }

    async fn peer_state(&self, device_id: &str, doc_id: &str) -> StorageResult<Option<Vec<u8>>> {
        let (device_id, doc_id) = (device_id.to_string(), doc_id.to_string());
        self.read(move |c| peer_state_in(c, &device_id, &doc_id))
            .await
    }

    async fn doc_for_sync(
        &self,
        device_id: &str,
        doc_id: &str,
    ) -> StorageResult<(Option<DocRecord>, Option<Vec<u8>>)> {
        // One reader task and connection for both (one hop to the blocking pool
        // per merged record instead of two; perf showed the hops' scheduling).
        let (device_id, doc_id) = (device_id.to_string(), doc_id.to_string());
        self.read(move |c| Ok((doc_in(c, &doc_id)?, peer_state_in(c, &device_id, &doc_id)?)))
            .await
    }

    async fn forget_peer_states(&self, doc_id: &str) -> StorageResult<()> {
        let doc_id = doc_id.to_string();
        self.write(move |tx| {
            exec(tx, "DELETE FROM peer_states WHERE doc_id = ?1", [&doc_id]).map_err(backend)?;
            // Every device must compare the record again: past their cursors.
            exec(
                tx,
                "UPDATE docs SET change_seq = (SELECT MAX(change_seq) + 1 FROM docs)
                 WHERE id = ?1",
                [&doc_id],
            )
            .map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn put_peer_state(
        &self,
        device_id: &str,
        doc_id: &str,
        state: &[u8],
    ) -> StorageResult<()> {
        let (device_id, doc_id, state) =
            (device_id.to_string(), doc_id.to_string(), state.to_vec());
        let now = ts(Utc::now());
        self.write(move |tx| write_peer_state(tx, &device_id, &doc_id, &state, &now))
            .await
    }

    async fn commit_sync(&self, write: SyncWrite) -> StorageResult<()> {
        let now = ts(Utc::now());
        self.write(move |tx| commit_one(tx, write, &now)).await
    }

    async fn commit_syncs(&self, writes: Vec<SyncWrite>) -> StorageResult<Vec<StorageResult<()>>> {
        let now = ts(Utc::now());
        // One job of the group commit: every write under its own savepoint, so a
        // stale or failing one is rolled back alone and the others commit.
        self.write(move |tx| {
            let mut out = Vec::with_capacity(writes.len());
            for write in writes {
                exec(tx, "SAVEPOINT sync_doc", []).map_err(backend)?;
                let r = commit_one(tx, write, &now);
                if r.is_err() {
                    exec(tx, "ROLLBACK TO sync_doc", []).map_err(backend)?;
                }
                exec(tx, "RELEASE sync_doc", []).map_err(backend)?;
                out.push(r);
            }
            Ok(out)
        })
        .await
    }

    async fn reference_blob(&self, blob: &BlobRecord) -> StorageResult<()> {
        let blob = blob.clone();
        self.write(move |tx| write_blob_ref(tx, &blob)).await
    }

    async fn mark_blob_received(
        &self,
        agency_id: &str,
        sha256: &str,
        size: u64,
        at: DateTime<Utc>,
    ) -> StorageResult<bool> {
        let (agency_id, sha256) = (agency_id.to_string(), sha256.to_string());
        let size = size_to_sql(size)?;
        self.write(move |tx| {
            let known: bool = tx
                .query_row(
                    "SELECT EXISTS (SELECT 1 FROM blob_refs r JOIN docs d ON d.id = r.inspection_id
                     WHERE r.sha256 = ?1 AND d.agency_id = ?2)",
                    params![sha256, agency_id],
                    |r| r.get(0),
                )
                .map_err(backend)?;
            if !known {
                return Ok(false);
            }
            // Receiving twice keeps the first instant.
            exec(
                tx,
                "INSERT OR IGNORE INTO blob_grants (agency_id, sha256, size, received_at)
                 VALUES (?1, ?2, ?3, ?4)",
                params![agency_id, sha256, size, ts(at)],
            )
            .map_err(backend)?;
            Ok(true)
        })
        .await
    }

    async fn missing_blobs(&self, doc_ids: &[String]) -> StorageResult<Vec<String>> {
        let doc_ids = doc_ids.to_vec();
        self.read(move |c| {
            let mut stmt = c
                .prepare_cached(&format!(
                    "SELECT r.sha256 FROM {BLOB_FROM}
                     WHERE r.inspection_id = ?1 AND g.sha256 IS NULL"
                ))
                .map_err(backend)?;
            let mut out = std::collections::BTreeSet::new();
            for id in &doc_ids {
                let rows: Vec<String> = stmt
                    .query_map([id], |r| r.get(0))
                    .and_then(|rows| rows.collect())
                    .map_err(backend)?;
                out.extend(rows);
            }
            Ok(out.into_iter().collect())
        })
        .await
    }

    async fn blob(&self, agency_id: &str, sha256: &str) -> StorageResult<Option<BlobRecord>> {
        let (agency_id, sha256) = (agency_id.to_string(), sha256.to_string());
        self.read(move |c| {
            c.query_row(
                &format!(
                    "SELECT {BLOB_COLS} FROM {BLOB_FROM}
                     WHERE r.sha256 = ?1 AND d.agency_id = ?2 ORDER BY r.rowid LIMIT 1"
                ),
                params![sha256, agency_id],
                blob_from_row,
            )
            .optional()
            .map_err(backend)
        })
        .await
    }

    async fn blobs_of(&self, inspection_id: &str) -> StorageResult<Vec<BlobRecord>> {
        let inspection_id = inspection_id.to_string();
        self.read(move |c| read_blobs_of(c, &inspection_id)).await
    }

    async fn schema_version(&self) -> StorageResult<u32> {
        self.read(|c| user_version(c).map_err(backend)).await
    }

    async fn total_docs(&self) -> StorageResult<u64> {
        self.read(|c| {
            c.query_row("SELECT COUNT(*) FROM docs", [], |r| r.get::<_, i64>(0))
                .map(|n| n.max(0) as u64)
                .map_err(backend)
        })
        .await
    }

    async fn enroll_device(
        &self,
        device: &Device,
        name: &str,
    ) -> StorageResult<Result<(), DeviceRefusal>> {
        let (device, name) = (device.clone(), name.to_string());
        self.write(move |tx| insert_device(tx, &device, &name))
            .await
    }

    async fn device_with_actor(&self, actor_id: &str) -> StorageResult<Option<String>> {
        let actor_id = actor_id.to_string();
        self.read(move |c| {
            c.query_row(
                "SELECT id FROM devices WHERE actor_id = ?1 ORDER BY enrolled_at LIMIT 1",
                [actor_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(backend)
        })
        .await
    }

    async fn all_user_ids(&self) -> StorageResult<Vec<String>> {
        self.read(|c| {
            c.prepare_cached("SELECT id FROM users ORDER BY id")
                .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
                .map_err(backend)
        })
        .await
    }

    async fn device_by_id(&self, id: &str) -> StorageResult<Option<Device>> {
        let id = id.to_string();
        self.read(move |c| {
            c.query_row(
                &format!("SELECT {DEVICE_COLS} FROM devices d WHERE d.id = ?1"),
                [id],
                device_from_row,
            )
            .optional()
            .map_err(backend)
        })
        .await
    }

    async fn devices_of_agency(&self, agency_id: &str) -> StorageResult<Vec<(Device, String)>> {
        let agency_id = agency_id.to_string();
        self.read(move |c| {
            c.prepare_cached(&format!(
                "SELECT {DEVICE_COLS} FROM devices d JOIN users u ON u.id = d.user_id
                 WHERE u.agency_id = ?1 ORDER BY d.enrolled_at DESC, d.id"
            ))
            .and_then(|mut s| {
                s.query_map([agency_id], |r| Ok((device_from_row(r)?, r.get(7)?)))?
                    .collect()
            })
            .map_err(backend)
        })
        .await
    }

    async fn users_of_agency(&self, agency_id: &str) -> StorageResult<Vec<User>> {
        let agency_id = agency_id.to_string();
        self.read(move |c| {
            c.prepare_cached(&format!(
                "SELECT {USER_COLS} FROM users u WHERE u.agency_id = ?1 ORDER BY u.login"
            ))
            .and_then(|mut s| s.query_map([agency_id], user_from_row)?.collect())
            .map_err(backend)
        })
        .await
    }

    async fn session_info(&self, token_hash: &str) -> StorageResult<Option<(User, DateTime<Utc>)>> {
        let token_hash = token_hash.to_string();
        self.read(move |c| {
            c.query_row(
                &format!(
                    "SELECT {USER_COLS}, s.expires_at FROM sessions s
                     JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?1"
                ),
                [token_hash],
                |r| Ok((user_from_row(r)?, get_ts(r, 8)?)),
            )
            .optional()
            .map_err(backend)
        })
        .await
    }

    async fn purge_expired(
        &self,
        now: DateTime<Utc>,
        failures_before: DateTime<Utc>,
    ) -> StorageResult<()> {
        self.write(move |tx| {
            let now = ts(now);
            exec(tx, "DELETE FROM sessions WHERE expires_at <= ?1", [&now]).map_err(backend)?;
            exec(
                tx,
                "DELETE FROM enrollment_codes WHERE expires_at <= ?1",
                [&now],
            )
            .map_err(backend)?;
            exec(
                tx,
                "DELETE FROM login_failures WHERE at < ?1",
                [ts(failures_before)],
            )
            .map_err(backend)?;
            Ok(())
        })
        .await
    }
}

/// One merged document with its evidence references, queue summary and sync
/// state, inside the caller's transaction ([`Storage::commit_sync`]).
fn commit_one(tx: &Transaction<'_>, write: SyncWrite, now: &str) -> StorageResult<()> {
    let SyncWrite {
        doc,
        expected_heads,
        blobs,
        peer_state,
        summary,
    } = write;
    // Failpoints (issue 16): the crash test aborts the process at each write
    // boundary; everything below is one transaction, so a crash leaves either
    // all of it or none of it.
    liuhen_server_store::failpoints::crash_point("sync.commit.begin");
    check_heads(tx, &doc.id, expected_heads.as_deref())?;
    write_doc(tx, &doc)?;
    liuhen_server_store::failpoints::crash_point("sync.commit.after_doc");
    for b in &blobs {
        write_blob_ref(tx, b)?;
    }
    liuhen_server_store::failpoints::crash_point("sync.commit.after_evidence");
    let all = read_blobs_of(tx, &doc.id)?;
    if let Some(s) = summary(all) {
        queue::upsert(tx, &s)?;
    }
    liuhen_server_store::failpoints::crash_point("sync.commit.after_summary");
    if let Some((device_id, state)) = &peer_state {
        write_peer_state(tx, device_id, &doc.id, state, now)?;
    }
    liuhen_server_store::failpoints::crash_point("sync.commit.after_peer_state");
    Ok(())
}

/// The optimistic check of a document write (issue 18), inside the write's
/// transaction (an IMMEDIATE one: no other connection, in this process or another,
/// writes between this read and the write): the stored heads must equal
/// `expected` as sets, and with `expected` None no document may be stored.
fn check_heads(tx: &Transaction<'_>, id: &str, expected: Option<&[String]>) -> StorageResult<()> {
    let stored: Option<String> = query_one(tx, "SELECT heads FROM docs WHERE id = ?1", [id], |r| {
        r.get(0)
    })
    .optional()
    .map_err(backend)?;
    let stored: Option<Vec<String>> = stored
        .map(|s| serde_json::from_str(&s))
        .transpose()
        .map_err(|e| StorageError::Backend(format!("heads of {id} unreadable: {e}")))?;
    let same = match (stored, expected) {
        (None, None) => true,
        (Some(stored), Some(expected)) => {
            let stored: std::collections::BTreeSet<&String> = stored.iter().collect();
            let expected: std::collections::BTreeSet<&String> = expected.iter().collect();
            stored == expected
        }
        _ => false,
    };
    if same {
        Ok(())
    } else {
        Err(StorageError::Stale(format!(
            "document {id} changed since it was read"
        )))
    }
}

/// Inserts or replaces a document and its officer list inside a transaction.
fn write_doc(tx: &Transaction<'_>, doc: &DocRecord) -> StorageResult<()> {
    exec(
        tx,
        "INSERT INTO docs (id, agency_id, task_id, target_name, status, heads, bytes,
         updated_at, change_seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,
         (SELECT COALESCE(MAX(change_seq), 0) + 1 FROM docs))
         ON CONFLICT(id) DO UPDATE SET agency_id = excluded.agency_id,
         task_id = excluded.task_id, target_name = excluded.target_name,
         status = excluded.status, heads = excluded.heads, bytes = excluded.bytes,
         updated_at = excluded.updated_at, change_seq = excluded.change_seq",
        params![
            doc.id,
            doc.agency_id,
            doc.task_id,
            doc.target_name,
            doc.status,
            to_json(&doc.heads)?,
            doc.bytes,
            ts(doc.updated_at)
        ],
    )
    .map_err(backend)?;
    exec(tx, "DELETE FROM doc_officers WHERE doc_id = ?1", [&doc.id]).map_err(backend)?;
    for (i, officer_id) in doc.officer_ids.iter().enumerate() {
        exec(
            tx,
            "INSERT OR IGNORE INTO doc_officers (doc_id, officer_id, position)
             VALUES (?1, ?2, ?3)",
            params![doc.id, officer_id, i as i64],
        )
        .map_err(backend)?;
    }
    Ok(())
}

/// Records that a document references a blob (idempotent) inside a transaction.
fn write_blob_ref(tx: &Transaction<'_>, blob: &BlobRecord) -> StorageResult<()> {
    exec(
        tx,
        "INSERT OR IGNORE INTO blob_refs (sha256, inspection_id, captured_at, size)
         VALUES (?1, ?2, ?3, ?4)",
        params![
            blob.sha256,
            blob.inspection_id,
            ts(blob.captured_at),
            size_to_sql(blob.size)?
        ],
    )
    .map_err(backend)?;
    if let Some(at) = blob.received_at {
        // A grant to the agency of the (stored) inspection (issue 16 item 6).
        exec(
            tx,
            "INSERT OR IGNORE INTO blob_grants (agency_id, sha256, size, received_at)
             SELECT agency_id, ?2, ?3, ?4 FROM docs WHERE id = ?1",
            params![
                blob.inspection_id,
                blob.sha256,
                size_to_sql(blob.size)?,
                ts(at)
            ],
        )
        .map_err(backend)?;
    }
    Ok(())
}

/// The blob records of one inspection, received as far as its agency is concerned,
/// on any connection (also inside a write).
fn read_blobs_of(c: &Connection, inspection_id: &str) -> StorageResult<Vec<BlobRecord>> {
    c.prepare_cached(&format!(
        "SELECT {BLOB_COLS} FROM {BLOB_FROM}
         WHERE r.inspection_id = ?1 ORDER BY r.captured_at, r.sha256"
    ))
    .and_then(|mut s| s.query_map([inspection_id], blob_from_row)?.collect())
    .map_err(backend)
}

/// Inserts or replaces the sync state of a device for a document.
fn write_peer_state(
    tx: &Transaction<'_>,
    device_id: &str,
    doc_id: &str,
    state: &[u8],
    now: &str,
) -> StorageResult<()> {
    exec(
        tx,
        "INSERT INTO peer_states (device_id, doc_id, state, updated_at)
         VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(device_id, doc_id) DO UPDATE SET state = excluded.state,
         updated_at = excluded.updated_at",
        params![device_id, doc_id, state, now],
    )
    .map_err(backend)?;
    Ok(())
}

/// The backend-agnostic store suite on a fresh SQLite file per test.
#[cfg(test)]
mod suite {
    use super::{DB_FILE_NAME, SqliteStorage};

    async fn make() -> (tempfile::TempDir, SqliteStorage) {
        let dir = tempfile::tempdir().expect("temporary directory");
        let s = SqliteStorage::open_async(dir.path().join(DB_FILE_NAME))
            .await
            .expect("open a fresh database");
        (dir, s)
    }

    liuhen_server_store::store_test_suite!(make);
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, h, 0, 0).unwrap()
    }

    fn user(id: &str, login: &str) -> User {
        User {
            id: id.into(),
            agency_id: "qy-sthj".into(),
            login: login.into(),
            name: "李明".into(),
            role: Role::Officer,
            officer_id: Some("qy-zf-001".into()),
            password_hash: "$argon2id$x".into(),
            disabled: false,
        }
    }

    fn device(id: &str, token_hash: &str, actor: &str) -> Device {
        Device {
            id: id.into(),
            user_id: "u1".into(),
            public_key: "ab".repeat(32),
            actor_id: actor.into(),
            token_hash: token_hash.into(),
            enrolled_at: t(1),
            revoked_at: None,
        }
    }

    async fn open() -> (tempfile::TempDir, SqliteStorage) {
        let dir = tempfile::tempdir().unwrap();
        let s = SqliteStorage::open_async(dir.path().join(DB_FILE_NAME))
            .await
            .unwrap();
        (dir, s)
    }

    #[tokio::test]
    async fn migrates_to_current_version_and_reopens() {
        let (dir, s) = open().await;
        assert_eq!(s.schema_version().await.unwrap(), SCHEMA_VERSION);
        drop(s);
        let s = SqliteStorage::open(&dir.path().join(DB_FILE_NAME)).unwrap();
        assert_eq!(s.schema_version().await.unwrap(), SCHEMA_VERSION);
    }

    #[tokio::test]
    async fn refuses_newer_schema() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(DB_FILE_NAME);
        Connection::open(&path)
            .unwrap()
            .pragma_update(None, "user_version", 999)
            .unwrap();
        let err = SqliteStorage::open(&path).unwrap_err();
        assert!(matches!(
            err,
            StorageError::NewerSchema {
                found: 999,
                supported: SCHEMA_VERSION
            }
        ));
    }

    #[tokio::test]
    async fn the_database_keeps_actor_ids_unique_forever_and_device_identity_fixed() {
        let (_d, s) = open().await;
        s.create_user(&user("u1", "a")).await.unwrap();
        s.create_user(&user("u2", "b")).await.unwrap();
        s.put_device(&device("d1", "t1", &"00".repeat(16)))
            .await
            .unwrap();
        s.revoke_device("d1", t(2)).await.unwrap();
        // Past the checks of `enroll_device`: the triggers of migration 0011 refuse.
        let raw = |sql: &'static str| {
            let s = s.clone();
            async move { s.write(move |tx| exec(tx, sql, []).map_err(backend)).await }
        };
        assert!(
            raw(
                "INSERT INTO devices (id, user_id, public_key, actor_id, token_hash, name,
                 enrolled_at) VALUES ('d2', 'u1', '', '00000000000000000000000000000000',
                 't2', '', '2026-01-01T00:00:00.000000Z')"
            )
            .await
            .is_err()
        );
        assert!(
            raw("UPDATE devices SET user_id = 'u2' WHERE id = 'd1'")
                .await
                .is_err()
        );
        assert!(
            raw("UPDATE devices SET actor_id = '11111111111111111111111111111111' WHERE id = 'd1'")
                .await
                .is_err()
        );
        assert!(
            raw("UPDATE devices SET revoked_at = NULL WHERE id = 'd1'")
                .await
                .is_ok()
        );
    }

    fn doc_rec(id: &str, agency: &str, officers: &[&str], heads: &[&str]) -> DocRecord {
        DocRecord {
            id: id.into(),
            agency_id: agency.into(),
            officer_ids: officers.iter().map(|o| o.to_string()).collect(),
            task_id: None,
            target_name: "某公司".into(),
            status: "open".into(),
            heads: heads.iter().map(|h| h.to_string()).collect(),
            bytes: vec![1],
            updated_at: t(1),
        }
    }

    /// Issue 19, group commit: writes that arrive together commit together, a
    /// failing one is rolled back alone (its savepoint), and every caller hears
    /// its own result.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_writes_commit_together_and_fail_alone() {
        let (_d, s) = open().await;
        let mut calls = vec![];
        for i in 0..64 {
            let s = s.clone();
            calls.push(tokio::spawn(async move {
                let doc = doc_rec(&format!("g{i:02}"), "qy", &["o1"], &["h"]);
                s.write(move |tx| {
                    write_doc(tx, &doc)?;
                    if i % 7 == 3 {
                        // Half-written, then refused: must leave nothing behind.
                        return Err(StorageError::Conflict(format!("g{i:02}")));
                    }
                    Ok(i)
                })
                .await
            }));
        }
        for (i, call) in calls.into_iter().enumerate() {
            let out = call.await.unwrap();
            let stored = s.doc(&format!("g{i:02}")).await.unwrap();
            if i % 7 == 3 {
                assert!(
                    matches!(out, Err(StorageError::Conflict(_))),
                    "{i}: {out:?}"
                );
                assert!(stored.is_none(), "{i} was rolled back");
            } else {
                assert_eq!(out.unwrap(), i);
                assert!(stored.is_some(), "{i} was committed");
            }
        }
        // A panicking write is refused and the writer goes on.
        let boom: StorageResult<()> = s.write(|_| -> StorageResult<()> { panic!("boom") }).await;
        assert!(boom.is_err());
        s.put_doc(&doc_rec("after", "qy", &["o1"], &["h"]), None)
            .await
            .unwrap();
        assert!(s.doc("after").await.unwrap().is_some());
    }

    /// Migration 0011 gives an existing receipt to the agency of the inspection that
    /// referenced the hash first, not to a later reference of another agency.
    #[test]
    fn migration_0011_grants_receipts_to_the_first_referencing_agency() {
        let dir = tempfile::tempdir().unwrap();
        let c = Connection::open(dir.path().join(DB_FILE_NAME)).unwrap();
        for m in &MIGRATIONS[..10] {
            c.execute_batch(m).unwrap();
        }
        c.execute_batch(
            "INSERT INTO docs VALUES ('a1', 'qy', NULL, 't', 'open', '[]', x'', '2026'),
                                     ('b1', 'yd', NULL, 't', 'open', '[]', x'', '2026');
             INSERT INTO blob_refs VALUES ('s1', 'a1', '2026', 3), ('s1', 'b1', '2026', 3),
                                          ('s2', 'b1', '2026', 4);
             INSERT INTO blobs_received VALUES ('s1', 3, 'r1'), ('s2', 4, 'r2');",
        )
        .unwrap();
        c.execute_batch(MIGRATIONS[10]).unwrap();
        let mut stmt = c
            .prepare("SELECT agency_id, sha256, received_at FROM blob_grants ORDER BY sha256")
            .unwrap();
        let grants: Vec<(String, String, String)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(
            grants,
            vec![
                ("qy".into(), "s1".into(), "r1".into()),
                ("yd".into(), "s2".into(), "r2".into())
            ]
        );
    }
}
