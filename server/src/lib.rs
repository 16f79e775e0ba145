//! liuhen server: merges inspection documents from officers' devices, stores
//! evidence, and serves supervisors, legal reviewers and admins.
//!
//! [`build_state`] opens the storage ([`storage::sqlite`] by default, PostgreSQL
//! with [`Database::Postgres`], issue 18) and the blob directory; [`app`] is the whole HTTP API as one axum router; [`serve`] runs it
//! until SIGTERM/SIGINT and lets in-flight requests finish. Errors are
//! [`error::AppError`], answered as JSON `{ code, message }` with Chinese messages.

pub mod api;
pub mod auth;
pub mod body_limit;
pub mod calendar_refresh;
pub mod client_addr;
pub mod demo;
pub mod error;
pub use storage::failpoints;
pub mod login_limit;
pub mod pages;
pub mod query_limit;
pub mod security_headers;
pub mod services;
pub mod state;
pub mod storage;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use tower_http::trace::{DefaultMakeSpan, DefaultOnFailure, DefaultOnResponse, TraceLayer};
use tracing::Level;

use liuhen_domain::calendar::WorkCalendar;
use liuhen_domain::time::{Clock, SystemClock};
use liuhen_server_blobs::{BlobsError, EvidenceStore};

use crate::error::AppError;
use crate::state::{AppState, Config};
use crate::storage::sqlite::{DB_FILE_NAME, SqliteStorage};
use crate::storage::{Storage, StorageError};

/// Version of this program.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Default request body limit for JSON endpoints (the tus router sets its own).
pub const JSON_BODY_LIMIT: usize = liuhen_domain::protocol::MAX_REQUEST_BYTES;

/// How long graceful shutdown waits for in-flight requests before giving up.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// The storage could not be opened (includes a newer schema).
    #[error("{0}")]
    Storage(#[from] StorageError),
    /// The evidence store could not be opened.
    #[error("证据存储无法打开：{0}")]
    Blobs(#[from] BlobsError),
    /// File system or network error.
    #[error("{context}：{source}")]
    Io {
        /// What was being done.
        context: String,
        /// OS error.
        source: std::io::Error,
    },
}

/// Where the server keeps its records (issue 18).
#[derive(Clone, PartialEq, Eq)]
pub enum Database {
    /// The embedded SQLite file in the data directory (the default).
    Sqlite,
    /// A PostgreSQL database (`postgres://user@host:port/db[?pool_max=N]`), which
    /// several server instances may share.
    Postgres(String),
}

impl std::fmt::Debug for Database {
    // The URL may hold a password: only its scheme and host are shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Database::Sqlite => f.write_str("Sqlite"),
            Database::Postgres(url) => {
                let host = url.rsplit_once('@').map_or(url.as_str(), |(_, h)| h);
                let host = host.trim_start_matches("postgres://");
                let host = host.trim_start_matches("postgresql://");
                write!(
                    f,
                    "Postgres({})",
                    host.split(['/', '?']).next().unwrap_or("")
                )
            }
        }
    }
}

impl Database {
    /// The database named by `--database` (None: SQLite in the data directory).
    pub fn from_arg(arg: Option<&str>) -> Result<Database, StartupError> {
        match arg.map(str::trim) {
            None | Some("") => Ok(Database::Sqlite),
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Ok(Database::Postgres(url.to_string()))
            }
            Some(_) => Err(StartupError::Storage(StorageError::Backend(
                "--database 须为 postgres://用户@主机:端口/数据库 形式的地址；\
                 不指定时使用数据目录中的 SQLite 数据库"
                    .into(),
            ))),
        }
    }

    /// Opens the storage (migrating it) for the data directory `data_dir`.
    pub async fn open(&self, data_dir: &std::path::Path) -> Result<Arc<dyn Storage>, StartupError> {
        Ok(match self {
            Database::Sqlite => {
                Arc::new(SqliteStorage::open_async(data_dir.join(DB_FILE_NAME)).await?)
            }
            Database::Postgres(url) => {
                Arc::new(liuhen_server_postgres::PgStorage::connect(url).await?)
            }
        })
    }
}

/// Opens the storage and the evidence store (the directory `blobs`) under
/// `config.data_dir` with the system clock; [`AppState::with_blobs`] puts
/// evidence elsewhere.
pub async fn build_state(config: Config) -> Result<AppState, StartupError> {
    build_state_with_clock(config, Arc::new(SystemClock)).await
}

/// [`build_state`] with a given clock (tests).
pub async fn build_state_with_clock(
    config: Config,
    clock: Arc<dyn Clock>,
) -> Result<AppState, StartupError> {
    build_state_on(config, &Database::Sqlite, clock).await
}

/// [`build_state`] on the given database (SQLite in the data directory, or
/// PostgreSQL); blobs stay under `config.data_dir`.
pub async fn build_state_on(
    config: Config,
    database: &Database,
    clock: Arc<dyn Clock>,
) -> Result<AppState, StartupError> {
    std::fs::create_dir_all(&config.data_dir).map_err(|source| StartupError::Io {
        context: format!("无法创建数据目录 {}", config.data_dir.display()),
        source,
    })?;
    let storage = database.open(&config.data_dir).await?;
    let blobs_dir = config.data_dir.join("blobs");
    let blobs = tokio::task::spawn_blocking(move || EvidenceStore::local(&blobs_dir))
        .await
        .map_err(|e| StartupError::Io {
            context: "证据目录无法打开".into(),
            source: std::io::Error::other(e),
        })??;
    let calendar = load_calendar(storage.as_ref()).await?;
    Ok(AppState {
        storage,
        blobs,
        clock,
        config: Arc::new(config),
        calendar: Arc::new(std::sync::RwLock::new(Arc::new(calendar))),
        security: Arc::new(state::Security::default()),
    })
}

/// The built-in working-day calendar plus the years admins imported. An imported
/// year that no longer validates is skipped with an error in the log (the built-in
/// years still work; deadlines in that year say the data is missing).
async fn load_calendar(storage: &dyn Storage) -> Result<WorkCalendar, StartupError> {
    let rows = storage.calendar_years().await?;
    calendar_refresh::build(&rows).map_err(|e| StartupError::Io {
        context: "内置节假日数据无效".into(),
        source: std::io::Error::other(e.to_string()),
    })
}

/// Answer of `GET /healthz`.
#[derive(Debug, Serialize, Deserialize)]
pub struct Health {
    /// `ok`.
    pub status: String,
    /// Program version.
    pub version: String,
    /// Database schema version.
    pub schema_version: u32,
}

async fn healthz(State(state): State<AppState>) -> Result<axum::Json<Health>, AppError> {
    let schema_version = state.storage.schema_version().await?;
    Ok(axum::Json(Health {
        status: "ok".into(),
        version: VERSION.into(),
        schema_version,
    }))
}

/// The whole HTTP API. Routes:
/// `GET /healthz`, `POST /api/v1/login`, `GET /api/v1/me`, `POST /api/v1/enroll`,
/// `/api/v1/admin/...` ([`api::admin::router`]), plus [`api::sync::router`] and
/// [`api::tus::router`]. Unknown routes answer 404 JSON under `/api/` and a Chinese
/// 404 page elsewhere ([`pages::web::not_found`]); wrong methods 405 JSON.
pub fn app(state: AppState) -> Router {
    // JSON endpoints: tower-http's body limit (a declared oversized body is refused
    // before the handler runs, a chunked one while read), and a refused body is
    // still read for a while so that the client sees the 413. The tus routes and
    // the public-profile upload handle their own sizes.
    let json_api = Router::new()
        .route("/healthz", get(healthz))
        .merge(auth::router())
        .merge(api::router())
        .merge(pages::router())
        .layer(body_limit::RequestBodyLimitLayer::new(JSON_BODY_LIMIT))
        .layer(axum::middleware::map_request(body_limit::drain_on_drop));
    Router::new()
        .merge(json_api)
        .merge(api::tus::router())
        .merge(pages::public::profile_admin::upload_router())
        .fallback(pages::web::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(DefaultBodyLimit::max(JSON_BODY_LIMIT))
        // A plain-text 413 (tower-http, axum extractors) answers the JSON error.
        .layer(axum::middleware::map_response(body_limit::in_chinese))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            client_addr::resolve_layer,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security_headers::layer,
        ))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_response(DefaultOnResponse::new().level(Level::INFO))
                .on_failure(DefaultOnFailure::new().level(Level::ERROR)),
        )
        .with_state(state)
}

/// Deletes expired sessions, codes and old login failures, and forgets idle
/// sign-in rate buckets (at start, then hourly).
async fn housekeeping(state: AppState) {
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tick.tick().await;
        let now = state.clock.now();
        let window = state.security.login.policy.window;
        if let Err(e) = state.storage.purge_expired(now, now - window).await {
            tracing::warn!(error = %e, "housekeeping failed");
        }
        state.security.rate.forget_idle();
        match api::tus::purge_stale(&state).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(purged = n, "stale uploads purged"),
            Err(e) => tracing::warn!(error = %e, "purging stale uploads failed"),
        }
    }
}

/// Resolves on SIGTERM or SIGINT (Ctrl-C). The handlers are installed when this is
/// called, not when the future is first polled: `main` calls it before the server
/// prints its address, so a stop that follows the address (a supervisor, a test)
/// always finds them and shuts down gracefully.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send {
    #[cfg(unix)]
    let term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate());
    #[cfg(unix)]
    let int = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt());
    async move {
        #[cfg(unix)]
        let (ctrl_c, term) = {
            let wait = |sig: std::io::Result<tokio::signal::unix::Signal>, name: &'static str| async move {
                match sig {
                    Ok(mut s) => {
                        s.recv().await;
                    }
                    Err(e) => {
                        tracing::error!(error = %e, signal = name, "cannot listen for the signal");
                        std::future::pending::<()>().await;
                    }
                }
            };
            (wait(int, "SIGINT"), wait(term, "SIGTERM"))
        };
        #[cfg(not(unix))]
        let ctrl_c = async {
            if let Err(e) = tokio::signal::ctrl_c().await {
                tracing::error!(error = %e, "cannot listen for Ctrl-C");
                std::future::pending::<()>().await;
            }
        };
        #[cfg(not(unix))]
        let term = std::future::pending::<()>();
        tokio::select! {
            () = ctrl_c => tracing::info!("SIGINT received, shutting down"),
            () = term => tracing::info!("SIGTERM received, shutting down"),
        }
    }
}

/// Serves [`app`] on `listener` until `shutdown` resolves, then stops accepting
/// connections and waits (at most [`SHUTDOWN_GRACE`]) for in-flight requests.
/// Logs `listening on http://ADDR` once the socket is ready.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), StartupError> {
    let addr = listener.local_addr().map_err(|source| StartupError::Io {
        context: "无法读取监听地址".into(),
        source,
    })?;
    let keeper = tokio::spawn(housekeeping(state.clone()));
    // Years imported through another instance count here too (issue 18).
    let calendar = calendar_refresh::spawn(state.clone(), calendar_refresh::REFRESH_EVERY);
    tokio::spawn(services::repair::at_start(state.clone()));
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    // With connect info, the access log (R-REC-7) records the client's address.
    // Over-long query strings get a Chinese 414 (issue 10); request lines and
    // heads too long for hyper itself get hyper's own 414/431.
    let make_service = app(state)
        .layer(axum::middleware::from_fn(query_limit::refuse_long_query))
        .into_make_service_with_connect_info::<std::net::SocketAddr>();
    let server = axum::serve(listener, make_service).with_graceful_shutdown(async move {
        let _ = stop_rx.await;
    });
    let mut server = tokio::spawn(async move { server.await });
    tracing::info!("listening on http://{addr}");
    let result = tokio::select! {
        res = &mut server => res,
        () = shutdown => {
            let _ = stop_tx.send(());
            match tokio::time::timeout(SHUTDOWN_GRACE, &mut server).await {
                Ok(res) => res,
                Err(_) => {
                    tracing::warn!("in-flight requests did not finish in time; stopping anyway");
                    server.abort();
                    Ok(Ok(()))
                }
            }
        }
    };
    keeper.abort();
    calendar.abort();
    match result {
        Ok(Ok(())) => {
            tracing::info!("server stopped");
            Ok(())
        }
        Ok(Err(source)) => Err(StartupError::Io {
            context: "服务器运行出错".into(),
            source,
        }),
        Err(e) => Err(StartupError::Io {
            context: "服务器任务异常结束".into(),
            source: std::io::Error::other(e),
        }),
    }
}
