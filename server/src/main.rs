//! `liuhen-server`: the server process and its admin commands.
//!
//! ```text
//! liuhen-server serve --listen 127.0.0.1:8080 --data-dir DIR [--demo] [--log-json]
//! liuhen-server admin create-user --data-dir D --agency A --login L --name N --role R [--officer-id O] --password-stdin
//! liuhen-server admin enrollment-code --data-dir D --login L [--server URL]
//! liuhen-server admin revoke-device --data-dir D --device ID
//! liuhen-server admin load-roster --data-dir D FILE.json
//! ```

use std::io::{BufRead, IsTerminal};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use liuhen_core::model::RosterSnapshot;
use liuhen_server::admin::{self, NewUser};
use liuhen_server::error::AppError;
use liuhen_server::state::Config;
use liuhen_server::storage::Role;
use liuhen_server::{StartupError, build_state, demo, enroll};

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
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// Address to listen on (`127.0.0.1:0` picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Data directory (database, blobs).
    #[arg(long)]
    data_dir: PathBuf,
    /// Load the demo agency and accounts (password `demo-password`; demo only).
    #[arg(long)]
    demo: bool,
    /// Log as JSON lines instead of text.
    #[arg(long)]
    log_json: bool,
    /// Mark cookies `Secure` and advertise https links (served behind TLS).
    #[arg(long)]
    secure_cookies: bool,
    /// Largest evidence upload accepted, in MiB.
    #[arg(long, default_value_t = 2048)]
    max_upload_mib: u64,
}

#[derive(Debug, Args)]
struct DataDir {
    /// Data directory of the server.
    #[arg(long)]
    data_dir: PathBuf,
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
}

fn config(data_dir: PathBuf, secure_cookies: bool, max_upload_mib: u64) -> Config {
    Config {
        data_dir,
        secure_cookies,
        max_upload_bytes: max_upload_mib.saturating_mul(1024 * 1024),
    }
}

fn init_logging(json: bool, default: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
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
    let state = build_state(config(
        args.data_dir.clone(),
        args.secure_cookies,
        args.max_upload_mib,
    ))
    .await?;
    tracing::info!(
        version = liuhen_server::VERSION,
        data_dir = %args.data_dir.display(),
        "liuhen server starting"
    );
    if args.demo {
        let summary = demo::load(&state).await?;
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
            let state = build_state(config(data.data_dir, false, 0)).await?;
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
            let state = build_state(config(data.data_dir, false, 0)).await?;
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
                liuhen_core::time::local_text(expires_at)
            );
            if let Some(server) = server {
                eprintln!("二维码内容：{}", admin::qr_payload(&server, &code));
            }
        }
        AdminCommand::RevokeDevice { data, device } => {
            let state = build_state(config(data.data_dir, false, 0)).await?;
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
            let state = build_state(config(data.data_dir, false, 0)).await?;
            let s = admin::load_roster(&state, &roster).await?;
            println!(
                "已导入机关 {} 的名单：执法人员 {} 名，检查对象 {} 个，检查任务 {} 项",
                s.agency_id, s.officers, s.targets, s.tasks
            );
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let (json, default_level) = match &cli.command {
        Command::Serve(a) => (a.log_json, "info"),
        Command::Admin(_) => (false, "warn"),
    };
    init_logging(json, default_level);
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
