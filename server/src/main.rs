//! `liuhen-server`: the server process and its admin commands.
//!
//! ```text
//! liuhen-server serve --listen 127.0.0.1:8080 --data-dir DIR [--database postgres://...]
//!     [--blobs s3://BUCKET/PREFIX|file:///DIR] [--demo] [--log-json] [--secure-cookies]
//!     [--trusted-proxy CIDR]... [--login-max-failures N] ...
//! liuhen-server admin create-user --data-dir D --agency A --login L --name N --role R [--officer-id O] --password-stdin
//! liuhen-server admin enrollment-code --data-dir D --login L [--server URL]
//! liuhen-server admin revoke-device --data-dir D --device ID
//! liuhen-server admin load-roster --data-dir D FILE.json
//! liuhen-server admin import-targets|import-officers|import-items --data-dir D --agency A FILE.csv|FILE.xlsx [--skip-bad-rows]
//! liuhen-server verify-draw RECORD.json|URL
//! ```
//!
//! Every command that opens the records takes `--database postgres://...` to use
//! PostgreSQL instead of the SQLite file in the data directory (issue 18).

use std::io::{BufRead, IsTerminal};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use indicatif::{ProgressBar, ProgressStyle};
use liuhen_domain::model::RosterSnapshot;
use liuhen_server::api::admin::{self, NewUser};
use liuhen_server::api::{enroll, tus};
use liuhen_server::client_addr::TrustedProxies;
use liuhen_server::error::AppError;
use liuhen_server::login_limit::{self, LoginLimits};
use liuhen_server::services::directories::{self, ListKind};
use liuhen_server::services::draws::{self, PublishedDraw};
use liuhen_server::state::{AppState, Config, Security};
use liuhen_server::storage::Role;
use liuhen_server::storage::login_attempts::LoginPolicy;
use liuhen_server::{Database, StartupError, build_state_on, demo};
use liuhen_server_blobs::{BlobsLocation, EvidenceStore};

#[derive(Debug, Parser)]
#[command(name = "liuhen-server", version, about = "liuhen 执法记录服务器")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Runs the server.
    Serve(ServeArgs),
    /// Administration without a running server (same data directory).
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Re-runs a published double random draw from its record and compares.
    VerifyDraw {
        /// The record: a file (JSON of `GET /api/v1/public/draws/{id}`) or its URL.
        record: String,
    },
}

#[derive(Debug, Args)]
struct ImportArgs {
    #[command(flatten)]
    data: DataDir,
    /// Agency id.
    #[arg(long)]
    agency: String,
    /// Import the good rows even if some rows are bad (they are listed).
    #[arg(long)]
    skip_bad_rows: bool,
    /// The file: .csv (UTF-8 or GBK) or .xlsx.
    file: PathBuf,
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// Address to listen on (`127.0.0.1:0` picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Data directory (database, blobs).
    #[arg(long)]
    data_dir: PathBuf,
    #[command(flatten)]
    database: DatabaseArg,
    /// Where evidence is stored: `file:///absolute/dir` or `s3://bucket/prefix`
    /// (an S3-compatible store configured from AWS_ENDPOINT or AWS_ENDPOINT_URL,
    /// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_ALLOW_HTTP).
    /// Default: the directory `blobs` in the data directory. Every instance
    /// serving one database must use the same store.
    #[arg(long, value_name = "URL")]
    blobs: Option<String>,
    /// Load the demo agency and accounts (password `demo-password`; demo only), and
    /// sample inspections on the supervisor's desk.
    #[arg(long)]
    demo: bool,
    /// With `--demo`: the agency and accounts only, no sample inspections (tests
    /// that count records start this way).
    #[arg(long, requires = "demo")]
    demo_without_inspections: bool,
    /// Log as JSON lines instead of text.
    #[arg(long)]
    log_json: bool,
    /// Mark cookies `Secure` and advertise https links (served behind TLS).
    #[arg(long)]
    secure_cookies: bool,
    /// Largest evidence upload accepted, in MiB.
    #[arg(long, default_value_t = 2048)]
    max_upload_mib: u64,
    /// Seconds an upload stays blocked by a request on an instance that died (or was
    /// killed) before another request may write it; a writing request renews its
    /// lease every quarter of this.
    #[arg(long, default_value_t = tus::DEFAULT_LEASE.num_seconds() as u32,
          value_parser = clap::value_parser!(u32).range(i64::from(tus::MIN_LEASE_SECS)..=3600))]
    upload_lease_secs: u32,
    /// A proxy (IP or CIDR, repeatable) whose `X-Forwarded-For` names the client,
    /// e.g. the load balancer; from other peers the header is ignored.
    #[arg(long = "trusted-proxy", value_name = "IP|CIDR")]
    trusted_proxies: Vec<String>,
    #[command(flatten)]
    login: LoginArgs,
}

/// Sign-in limits (see `liuhen_server::login_limit`).
#[derive(Debug, Args)]
struct LoginArgs {
    /// Wrong passwords for one login from one client address before that address
    /// is locked out of that login (other addresses are not).
    #[arg(long, default_value_t = login_limit::DEFAULT_MAX_FAILURES,
          value_parser = clap::value_parser!(u32).range(1..))]
    login_max_failures: u32,
    /// Minutes over which wrong passwords are counted (and a lock lasts at most).
    #[arg(long, default_value_t = login_limit::DEFAULT_WINDOW_MINUTES,
          value_parser = clap::value_parser!(u32).range(1..=1440))]
    login_window_minutes: u32,
    /// Wrong passwords for one login from all addresses before attempts on it are
    /// slowed (0: never).
    #[arg(long, default_value_t = login_limit::DEFAULT_ACCOUNT_MAX_FAILURES)]
    login_account_max_failures: u32,
    /// Seconds between attempts on a slowed login.
    #[arg(long, default_value_t = login_limit::DEFAULT_ACCOUNT_SLOW_SECS,
          value_parser = clap::value_parser!(u32).range(1..=3600))]
    login_account_slow_secs: u32,
    /// Sign-in attempts (web, API, device enrolment) per minute from one client
    /// address, after a burst of --login-burst (0: no limit).
    #[arg(long, default_value_t = login_limit::DEFAULT_RATE_PER_MINUTE)]
    login_rate_per_minute: u32,
    /// Sign-in attempts one client address may make at once.
    #[arg(long, default_value_t = login_limit::DEFAULT_BURST,
          value_parser = clap::value_parser!(u32).range(1..))]
    login_burst: u32,
}

impl LoginArgs {
    fn limits(&self) -> LoginLimits {
        LoginLimits {
            policy: LoginPolicy {
                window: chrono::Duration::minutes(i64::from(self.login_window_minutes)),
                per_address: self.login_max_failures,
                per_account: self.login_account_max_failures,
                account_interval: chrono::Duration::seconds(i64::from(
                    self.login_account_slow_secs,
                )),
            },
            rate_per_minute: self.login_rate_per_minute,
            burst: self.login_burst,
        }
    }
}

#[derive(Debug, Args)]
struct DataDir {
    /// Data directory of the server.
    #[arg(long)]
    data_dir: PathBuf,
    #[command(flatten)]
    database: DatabaseArg,
}

/// Where the records are kept (issue 18).
#[derive(Debug, Args)]
struct DatabaseArg {
    /// PostgreSQL database for the records instead of the SQLite file in the data
    /// directory: postgres://USER[:PASSWORD]@HOST:PORT/DB, optionally with
    /// `?pool_max=N` (connections per server instance, default 16). Several
    /// instances may share one database; evidence stays in the data directory.
    #[arg(long, value_name = "URL")]
    database: Option<String>,
}

impl DatabaseArg {
    fn database(&self) -> Result<Database, CliError> {
        Ok(Database::from_arg(self.database.as_deref())?)
    }
}

/// The state of an admin command: the data directory and database of `data`.
async fn open_state(data: DataDir) -> Result<AppState, CliError> {
    let database = data.database.database()?;
    Ok(build_state_on(
        Config {
            data_dir: data.data_dir,
            secure_cookies: false,
            max_upload_bytes: 0,
            upload_lease: tus::DEFAULT_LEASE,
        },
        &database,
        Arc::new(liuhen_domain::time::SystemClock),
    )
    .await?)
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// Creates an account; the password is read from standard input.
    CreateUser {
        #[command(flatten)]
        data: DataDir,
        /// Agency id.
        #[arg(long)]
        agency: String,
        /// Login name.
        #[arg(long)]
        login: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// officer | supervisor | legal_reviewer | admin
        #[arg(long)]
        role: String,
        /// Roster officer id (required for officers).
        #[arg(long)]
        officer_id: Option<String>,
        /// Read the password from the first line of standard input.
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Prints a one-time enrollment code (24 h) for an officer account.
    EnrollmentCode {
        #[command(flatten)]
        data: DataDir,
        /// Login of the officer.
        #[arg(long)]
        login: String,
        /// Base URL devices reach the server at (for the QR link).
        #[arg(long)]
        server: Option<String>,
    },
    /// Revokes a device: its token stops working at once.
    RevokeDevice {
        #[command(flatten)]
        data: DataDir,
        /// Device id.
        #[arg(long)]
        device: String,
    },
    /// Replaces an agency's roster with a RosterSnapshot JSON file.
    LoadRoster {
        #[command(flatten)]
        data: DataDir,
        /// The roster file.
        file: PathBuf,
    },
    /// Imports the target directory (检查对象名录库) from CSV or XLSX.
    ImportTargets(ImportArgs),
    /// Imports the officer directory (执法检查人员名录库) from CSV or XLSX.
    ImportOfficers(ImportArgs),
    /// Imports the spot-check item list (随机抽查事项清单) from CSV or XLSX.
    ImportItems(ImportArgs),
}

/// An error of a command, printed in Chinese.
#[derive(Debug, thiserror::Error)]
enum CliError {
    #[error(transparent)]
    Startup(#[from] StartupError),
    #[error(transparent)]
    App(#[from] AppError),
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Import(#[from] liuhen_server::services::directories::ImportError),
}

fn config(args: &ServeArgs) -> Config {
    Config {
        data_dir: args.data_dir.clone(),
        secure_cookies: args.secure_cookies,
        max_upload_bytes: args.max_upload_mib.saturating_mul(1024 * 1024),
        upload_lease: chrono::Duration::seconds(i64::from(args.upload_lease_secs)),
    }
}

fn init_logging(json: bool, default: &str) {
    let mut filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    // automerge opens an INFO span for every document it loads and every column it
    // parses (`#[instrument]`): formatting them was ~7% of the server's CPU in a
    // first sync (issue 19 item 1). Below WARN it is silent unless RUST_LOG names it.
    if !std::env::var("RUST_LOG").is_ok_and(|v| v.contains("automerge"))
        && let Ok(quiet) = "automerge=warn".parse()
    {
        filter = filter.add_directive(quiet);
    }
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.with_ansi(std::io::stderr().is_terminal()).init();
    }
}

async fn serve(args: ServeArgs) -> Result<(), CliError> {
    let proxies =
        TrustedProxies::parse(&args.trusted_proxies).map_err(|e| CliError::Usage(e.to_string()))?;
    let limits = args.login.limits();
    let database = args.database.database()?;
    let state = build_state_on(
        config(&args),
        &database,
        Arc::new(liuhen_domain::time::SystemClock),
    )
    .await?
    .with_security(Security::new(limits, proxies.clone()));
    let state = match &args.blobs {
        None => state,
        Some(spec) => {
            let location = BlobsLocation::parse(Some(spec), args.data_dir.join("blobs"))
                .map_err(StartupError::from)?;
            state.with_blobs(EvidenceStore::open(&location).map_err(StartupError::from)?)
        }
    };
    tracing::info!(
        trusted_proxies = ?proxies.0,
        max_failures = limits.policy.per_address,
        window_minutes = limits.policy.window.num_minutes(),
        account_max_failures = limits.policy.per_account,
        rate_per_minute = limits.rate_per_minute,
        burst = limits.burst,
        "sign-in limits"
    );
    tracing::info!(
        version = liuhen_server::VERSION,
        data_dir = %args.data_dir.display(),
        ?database,
        blobs = %state.blobs.describe(),
        "liuhen server starting"
    );
    if args.demo {
        let mut summary = demo::load(&state).await?;
        liuhen_server::demo::legal::load_catalogue(&state, &summary.agency_id).await?;
        liuhen_server::demo::public_profile::load(&state).await?;
        if !args.demo_without_inspections {
            let desk = demo::load_desk(&state).await?;
            let drafts = liuhen_server::demo::legal::load(&state, &summary.agency_id).await?;
            tracing::info!(
                created = drafts.len(),
                "demo decision drafts loaded for legal review (one per state, three decided)"
            );
            let draw = demo::load_draw(&state).await?;
            tracing::info!(
                ?draw,
                "demo double-random draw completed (public results, R-POST-4)"
            );
            let published = liuhen_server::demo::publish::load(&state).await?;
            tracing::info!(
                ?published,
                "demo publication records loaded for the public portal"
            );
            summary
                .logins
                .push((demo::DEMO_SUPERVISOR2.to_string(), Role::Supervisor));
            tracing::info!(
                created = desk.created.len(),
                "demo inspections loaded for the supervisor's desk (qy-sthj and yd-scjg)"
            );
        }
        tracing::warn!(
            "DEMO ONLY / 仅供演示: demo agency {} loaded; accounts {} all use the password `{}`; never run --demo on a real deployment",
            summary.agency_id,
            summary
                .logins
                .iter()
                .map(|(l, r)| format!("{l}({})", r.as_str()))
                .collect::<Vec<_>>()
                .join(", "),
            demo::DEMO_PASSWORD,
        );
        tracing::warn!(
            "DEMO ONLY / 仅供演示: one-time enrollment code for officer {}: {} (valid 24 h)",
            summary.first_officer_login,
            summary.enrollment_code,
        );
    }
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|source| StartupError::Io {
            context: format!("无法监听 {}", args.listen),
            source,
        })?;
    liuhen_server::serve(listener, state, liuhen_server::shutdown_signal()).await?;
    Ok(())
}

fn read_password() -> Result<String, CliError> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| CliError::Usage(format!("无法从标准输入读取密码：{e}")))?;
    let password = line.trim_end_matches(['\r', '\n']).to_string();
    if password.is_empty() {
        return Err(CliError::Usage("标准输入中没有密码".into()));
    }
    Ok(password)
}

async fn admin_command(cmd: AdminCommand) -> Result<(), CliError> {
    match cmd {
        AdminCommand::CreateUser {
            data,
            agency,
            login,
            name,
            role,
            officer_id,
            password_stdin: _,
        } => {
            let role = Role::parse(role.trim()).ok_or_else(|| {
                CliError::Usage("--role 应为 officer、supervisor、legal_reviewer 或 admin".into())
            })?;
            let password = read_password()?;
            let state = open_state(data).await?;
            let user = admin::create_user(
                &state,
                NewUser {
                    agency_id: agency,
                    login,
                    name,
                    role,
                    officer_id,
                    password,
                },
            )
            .await?;
            println!(
                "已创建用户 {}（{}），id {}",
                user.login,
                user.role.as_str(),
                user.id
            );
        }
        AdminCommand::EnrollmentCode {
            data,
            login,
            server,
        } => {
            let state = open_state(data).await?;
            let user = state
                .storage
                .user_by_login(&login)
                .await
                .map_err(AppError::from)?
                .ok_or_else(|| AppError::NotFound(format!("用户 {login}")))?;
            let (code, expires_at) = enroll::create_code(&state, &user).await?;
            println!("{code}");
            eprintln!(
                "登记码（一次性，有效至 {}）：{code}",
                liuhen_domain::time::local_text(expires_at)
            );
            if let Some(server) = server {
                eprintln!("二维码内容：{}", admin::qr_payload(&server, &code));
            }
        }
        AdminCommand::RevokeDevice { data, device } => {
            let state = open_state(data).await?;
            admin::revoke_device(&state, &device).await?;
            println!("已停用设备 {device}");
        }
        AdminCommand::LoadRoster { data, file } => {
            let text = std::fs::read_to_string(&file).map_err(|e| {
                CliError::Usage(format!("无法读取名单文件 {}：{e}", file.display()))
            })?;
            let roster: RosterSnapshot = serde_json::from_str(&text).map_err(|e| {
                CliError::Usage(format!("名单文件 {} 格式错误：{e}", file.display()))
            })?;
            let state = open_state(data).await?;
            let s = admin::load_roster(&state, &roster).await?;
            println!(
                "已导入机关 {} 的名单：执法人员 {} 名，检查对象 {} 个，检查任务 {} 项",
                s.agency_id, s.officers, s.targets, s.tasks
            );
        }
        AdminCommand::ImportTargets(a) => import(a, ListKind::Targets).await?,
        AdminCommand::ImportOfficers(a) => import(a, ListKind::Officers).await?,
        AdminCommand::ImportItems(a) => import(a, ListKind::Items).await?,
    }
    Ok(())
}

async fn import(args: ImportArgs, kind: ListKind) -> Result<(), CliError> {
    let state = open_state(args.data).await?;
    eprintln!("正在读取 {} ……", args.file.display());
    let path = args.file.clone();
    let table = tokio::task::spawn_blocking(move || directories::read_file(&path))
        .await
        .map_err(|e| CliError::Usage(format!("读取文件失败：{e}")))??;
    if let Some(note) = &table.encoding_note {
        eprintln!("注意：{note}");
    }
    let bar = ProgressBar::new(table.rows.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} 行 ({eta})")
            .map_err(|e| CliError::Usage(e.to_string()))?
            .progress_chars("=> "),
    );
    bar.set_message(format!("校验{}", kind.label()));
    let result = directories::import_table(
        &state,
        args.agency.trim(),
        kind,
        &table,
        args.skip_bad_rows,
        &bar,
    )
    .await;
    bar.finish_and_clear();
    let report = result?;
    println!(
        "已导入{}：共 {} 行，导入 {} 条，跳过 {} 行",
        kind.label(),
        report.rows,
        report.imported,
        report.errors.len()
    );
    if !report.errors.is_empty() {
        println!("跳过的行（行号 | 列 | 原因）：");
        for e in &report.errors {
            println!("{} | {} | {}", e.row, e.column, e.reason);
        }
    }
    Ok(())
}

/// Loads a published draw record from a file or an http(s) URL.
fn load_record(source: &str) -> Result<PublishedDraw, CliError> {
    let text = if source.starts_with("http://") || source.starts_with("https://") {
        let resp = reqwest::blocking::Client::builder()
            .timeout(std::time::Duration::from_secs(120))
            .build()
            .and_then(|c| c.get(source).send())
            .map_err(|e| CliError::Usage(format!("无法下载抽查记录 {source}：{e}")))?;
        if !resp.status().is_success() {
            return Err(CliError::Usage(format!(
                "无法下载抽查记录 {source}：服务器答复 {}",
                resp.status()
            )));
        }
        resp.text()
            .map_err(|e| CliError::Usage(format!("无法下载抽查记录 {source}：{e}")))?
    } else {
        std::fs::read_to_string(source)
            .map_err(|e| CliError::Usage(format!("无法读取抽查记录 {source}：{e}")))?
    };
    serde_json::from_str(&text)
        .map_err(|e| CliError::Usage(format!("抽查记录 {source} 格式错误：{e}")))
}

/// `verify-draw`: prints the verdict; Ok(false) on a mismatch.
fn verify_draw(source: &str) -> Result<bool, CliError> {
    let record = load_record(source)?;
    println!(
        "抽查 {}（{}，事项“{}”，抽取日期 {}）",
        record.id, record.agency_name, record.inputs.item.name, record.inputs.draw_date
    );
    let v = draws::verify(&record);
    for p in &v.passed {
        println!("  ✓ {p}");
    }
    for f in &v.failed {
        println!("  ✗ {f}");
    }
    if v.ok() {
        println!(
            "验证结论：一致。任何人用公布的输入和种子重新抽取，都得到与公布结果相同的抽查对象和检查组（R-RAND-1、R-POST-4）。"
        );
    } else {
        println!("验证结论：不一致！公布的抽查结果无法由公布的输入和种子重现，请向监督机关反映。");
    }
    Ok(v.ok())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let (json, default_level) = match &cli.command {
        Command::Serve(a) => (a.log_json, "info"),
        Command::Admin(_) | Command::VerifyDraw { .. } => (false, "warn"),
    };
    if let Command::VerifyDraw { record } = &cli.command {
        return match verify_draw(record) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::from(1),
            Err(e) => {
                eprintln!("错误：{e}");
                ExitCode::from(2)
            }
        };
    }
    init_logging(json, default_level);
    // Crash points for the crash tests, from `FAILPOINTS` (none in production).
    let _failpoints = fail::FailScenario::setup();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(16)
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("错误：无法启动运行时：{e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Serve(args) => serve(args).await,
            Command::Admin(cmd) => admin_command(cmd).await,
            Command::VerifyDraw { .. } => Ok(()),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("错误：{e}");
            ExitCode::FAILURE
        }
    }
}
