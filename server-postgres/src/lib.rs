//! The PostgreSQL backend (issue 18): several server instances on one database.
//!
//! A deadpool pool of tokio-postgres connections; every trait method is one unit of
//! work, and every write of several statements is one transaction. Numbered
//! migrations (`migrations/NNNN_*.sql`) are tracked in `schema_migrations` and run
//! under a transaction-level advisory lock, so instances starting together migrate
//! once. Errors are mapped once ([`pg`]): a unique violation is a
//! [`StorageError::Conflict`]; serialization failures, deadlocks, lock timeouts,
//! pool timeouts and lost connections are [`StorageError::Busy`] (retryable).

use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, PoolError, RecyclingMethod, Runtime};
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{FromSql, Json};
use tokio_postgres::{NoTls, Row};

use liuhen_server_store::{StorageError, StorageResult};

mod access;
mod accounts;
mod device_log;
mod docs;
mod legal;
mod login_attempts;
mod public_profile;
mod publicity;
mod queue;
mod review;
mod roster;
mod storage;
mod uploads;
mod web;

/// Migrations, in order: migration `i` (0-based) brings the schema to version `i + 1`.
const MIGRATIONS: &[(&str, &str)] = &[
    ("0001_core", include_str!("../migrations/0001_core.sql")),
    (
        "0002_legal_publicity",
        include_str!("../migrations/0002_legal_publicity.sql"),
    ),
    (
        "0003_uploads",
        include_str!("../migrations/0003_uploads.sql"),
    ),
];

/// The schema version this program writes (the number of migrations).
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// Pool size when the URL does not say (`?pool_max=N`).
pub const DEFAULT_POOL_MAX: usize = 16;

/// Advisory lock class of this program (the first key of the two-key locks).
const LOCK_CLASS: i32 = 0x6c68; // "lh"
/// Second key of the migration lock.
const LOCK_MIGRATE: i32 = 1;
/// First key of the per-login locks of sign-in attempts (second: hash of the login).
pub(crate) const LOCK_CLASS_LOGIN: i32 = 0x6c69; // "li"
/// First key of the per-device locks of log uploads (second: hash of the device id).
pub(crate) const LOCK_CLASS_DEVICE_LOG: i32 = 0x6c6a; // "lj"

/// How long a request waits for a pooled connection before it is told "busy".
const POOL_WAIT: Duration = Duration::from_secs(30);

/// The PostgreSQL storage backend.
#[derive(Clone)]
pub struct PgStorage {
    pool: Pool,
}

impl std::fmt::Debug for PgStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let status = self.pool.status();
        f.debug_struct("PgStorage")
            .field("pool_max", &status.max_size)
            .field("pool_size", &status.size)
            .finish_non_exhaustive()
    }
}

/// A tokio-postgres error as a storage error: a unique violation is a Conflict;
/// serialization failures, deadlocks, lock timeouts, a server shutting down or too
/// many connections, and a lost connection are Busy (the unit of work may be run
/// again); anything else is Backend.
pub(crate) fn pg(e: tokio_postgres::Error) -> StorageError {
    match e.code() {
        Some(c) if *c == SqlState::UNIQUE_VIOLATION => StorageError::Conflict(e.to_string()),
        Some(c) if is_transient(c) => StorageError::Busy(e.to_string()),
        Some(_) => StorageError::Backend(db_message(&e)),
        None if e.is_closed() || is_io(&e) => StorageError::Busy(e.to_string()),
        None => StorageError::Backend(db_message(&e)),
    }
}

fn is_transient(c: &SqlState) -> bool {
    [
        SqlState::T_R_SERIALIZATION_FAILURE,
        SqlState::T_R_DEADLOCK_DETECTED,
        SqlState::LOCK_NOT_AVAILABLE,
        SqlState::ADMIN_SHUTDOWN,
        SqlState::CANNOT_CONNECT_NOW,
        SqlState::TOO_MANY_CONNECTIONS,
        SqlState::CONNECTION_EXCEPTION,
        SqlState::CONNECTION_FAILURE,
    ]
    .contains(c)
}

fn is_io(e: &tokio_postgres::Error) -> bool {
    std::error::Error::source(e).is_some_and(|s| s.is::<std::io::Error>())
}

/// The server's own words for a database error (tokio-postgres' Display says only
/// "db error").
fn db_message(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{}: {}", db.code().code(), db.message()),
        None => match std::error::Error::source(e) {
            Some(source) => format!("{e}: {source}"),
            None => e.to_string(),
        },
    }
}

/// Whether the error is a unique violation (for callers that name what is taken).
pub(crate) fn is_unique(e: &tokio_postgres::Error) -> bool {
    e.code() == Some(&SqlState::UNIQUE_VIOLATION)
}

/// The error mapping of an insert whose unique key names `what`: a unique
/// violation is a Conflict about `what` (in Chinese, for the person who reads it),
/// anything else as [`pg`].
pub(crate) fn conflict_or(e: tokio_postgres::Error, what: impl Into<String>) -> StorageError {
    if is_unique(&e) {
        StorageError::Conflict(what.into())
    } else {
        pg(e)
    }
}

/// A pool error: waiting too long or failing to connect is Busy (retryable).
pub(crate) fn pool_error(e: PoolError) -> StorageError {
    match e {
        PoolError::Backend(e) => pg(e),
        PoolError::Timeout(_) => StorageError::Busy(format!("数据库连接池已满：{e}")),
        other => StorageError::Busy(other.to_string()),
    }
}

/// Column `idx` of a row (a type mismatch is a Backend error, never a panic).
pub(crate) fn col<'a, T: FromSql<'a>>(row: &'a Row, idx: usize) -> StorageResult<T> {
    row.try_get(idx).map_err(pg)
}

/// Column `idx` of a row, JSON (jsonb) of `T`.
pub(crate) fn json_col<T: serde::de::DeserializeOwned>(row: &Row, idx: usize) -> StorageResult<T> {
    let Json(v) = row.try_get::<_, Json<T>>(idx).map_err(pg)?;
    Ok(v)
}

/// Splits `pool_max=N` off a connection URL (tokio-postgres refuses options it
/// does not know); returns the URL without it and the pool size.
fn split_pool_max(url: &str) -> StorageResult<(String, usize)> {
    let Some((base, query)) = url.split_once('?') else {
        return Ok((url.to_string(), DEFAULT_POOL_MAX));
    };
    let mut max = DEFAULT_POOL_MAX;
    let mut rest = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.strip_prefix("pool_max=") {
            Some(n) => {
                max = n.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
                    StorageError::Backend(format!("数据库地址中的 pool_max={n} 不是正整数"))
                })?;
            }
            None => rest.push(pair),
        }
    }
    let url = if rest.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", rest.join("&"))
    };
    Ok((url, max))
}

impl PgStorage {
    /// Connects to `url` (`postgres://user@host:port/db`, optionally
    /// `?pool_max=N`, default [`DEFAULT_POOL_MAX`]) and brings the schema up to
    /// [`SCHEMA_VERSION`], or refuses a newer schema.
    pub async fn connect(url: &str) -> StorageResult<Self> {
        let (url, pool_max) = split_pool_max(url)?;
        let config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| StorageError::Backend(format!("数据库地址无效：{e}")))?;
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(pool_max)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(POOL_WAIT))
            .create_timeout(Some(Duration::from_secs(10)))
            .build()
            .map_err(|e| StorageError::Backend(format!("cannot build the pool: {e}")))?;
        let storage = PgStorage { pool };
        storage.migrate().await?;
        Ok(storage)
    }

    /// A pooled connection.
    pub(crate) async fn client(&self) -> StorageResult<deadpool_postgres::Object> {
        self.pool.get().await.map_err(pool_error)
    }

    /// Applies the missing migrations in one transaction under the migration
    /// advisory lock (another instance starting at once waits, then finds them
    /// applied).
    async fn migrate(&self) -> StorageResult<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(pg)?;
        tx.execute(
            "SELECT pg_advisory_xact_lock($1, $2)",
            &[&LOCK_CLASS, &LOCK_MIGRATE],
        )
        .await
        .map_err(pg)?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                 version     integer PRIMARY KEY,
                 name        text NOT NULL,
                 applied_at  timestamptz NOT NULL DEFAULT now()
             )",
        )
        .await
        .map_err(pg)?;
        let found: i32 = tx
            .query_one(
                "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                &[],
            )
            .await
            .map_err(pg)?
            .get(0);
        let found = u32::try_from(found).unwrap_or(0);
        if found > SCHEMA_VERSION {
            return Err(StorageError::NewerSchema {
                found,
                supported: SCHEMA_VERSION,
            });
        }
        for (i, (name, sql)) in MIGRATIONS.iter().enumerate().skip(found as usize) {
            let version = i as i32 + 1;
            tx.batch_execute(sql).await.map_err(|e| {
                StorageError::Backend(format!("migration {name}: {}", db_message(&e)))
            })?;
            tx.execute(
                "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                &[&version, name],
            )
            .await
            .map_err(pg)?;
            tracing::info!(version, name, "applied PostgreSQL migration");
        }
        tx.commit().await.map_err(pg)
    }
}

/// Creates database `name` on the cluster of `admin_url` (a role allowed to create
/// databases) and returns the URL of the new database, for tests and first setup.
/// `name` must be a plain identifier (letters, digits, `_`).
pub async fn create_database(admin_url: &str, name: &str) -> StorageResult<String> {
    create_database_from(admin_url, name, None).await
}

/// [`create_database`] as a copy of database `template` (no one may be connected to
/// it): the tests copy one migrated database instead of migrating each new one.
pub async fn create_database_from(
    admin_url: &str,
    name: &str,
    template: Option<&str>,
) -> StorageResult<String> {
    let plain = |n: &str| !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !plain(name) {
        return Err(StorageError::Backend(format!("数据库名 {name} 无效")));
    }
    if let Some(t) = template.filter(|t| !plain(t)) {
        return Err(StorageError::Backend(format!("模板数据库名 {t} 无效")));
    }
    let (admin, _) = split_pool_max(admin_url)?;
    let (client, connection) = tokio_postgres::connect(&admin, NoTls).await.map_err(pg)?;
    let conn = tokio::spawn(connection);
    let sql = match template {
        Some(t) => format!("CREATE DATABASE {name} TEMPLATE {t}"),
        None => format!("CREATE DATABASE {name}"),
    };
    client.batch_execute(&sql).await.map_err(pg)?;
    drop(client);
    let _ = conn.await;
    let (base, query) = match admin.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (admin.as_str(), None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let mut url = format!("{}/{name}", &base[..host_end]);
    if let Some(q) = query {
        url = format!("{url}?{q}");
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::{DEFAULT_POOL_MAX, split_pool_max};

    #[test]
    fn pool_max_is_taken_off_the_url_and_other_options_stay() {
        let base = "postgres://u@127.0.0.1:5432/db";
        assert_eq!(
            split_pool_max(base).unwrap(),
            (base.to_string(), DEFAULT_POOL_MAX)
        );
        assert_eq!(
            split_pool_max(&format!("{base}?pool_max=40")).unwrap(),
            (base.to_string(), 40)
        );
        assert_eq!(
            split_pool_max(&format!(
                "{base}?connect_timeout=5&pool_max=3&application_name=x"
            ))
            .unwrap(),
            (format!("{base}?connect_timeout=5&application_name=x"), 3)
        );
        for bad in ["0", "-1", "many", ""] {
            assert!(
                split_pool_max(&format!("{base}?pool_max={bad}")).is_err(),
                "{bad}"
            );
        }
    }
}
