//! `liuhen-field`: the thin command-line field client over [`liuhen_core::Core`].
//!
//! It runs the whole on-site lifecycle from a shell: open an inspection, check in
//! officers, capture evidence, record the identity and rights notices, add findings,
//! close, amend, verify the device log, export and merge documents; it files case
//! files (`export-case`, checked offline by `verify-case`, which needs no data
//! directory), opens evidence originals on the record (`open-original`,
//! `access-log`) and checks the originals on the device (`verify-evidence`). With a
//! server it enrolls the device (`enroll`), syncs records, evidence and the roster
//! (`sync`, which also sends the drafts of decisions made with `draft`) and shows
//! what is synced (`status`); an enrolled device acts for its
//! officer unless `--as` says otherwise. The global `--max-photo-mb` and
//! `--allow-upload-copy` set the evidence limits. It has
//! no domain logic of its own; every rule is checked by the core. What the officer
//! reads is Chinese; refused input and unmet rules exit with code 2, other failures
//! with code 1.

mod demo;
mod drafts;
mod error;
mod online;
mod render;

use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use clap::{Arg, ArgAction, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use liuhen_core::Core;
use liuhen_core::api::{CaptureInput, RightsNoticeInput};
use liuhen_core::doc::DocError;
use liuhen_core::evidence::{EvidenceError, EvidenceLimits, MIB};
use liuhen_core::export::{self, CaseFormat};
use liuhen_core::inspection::{Acknowledgement, CaptureLocation, EvidenceKind, InspectionStep};
use liuhen_core::model::{CheckItem, RosterSnapshot};
use liuhen_core::time::{Clock, FixedClock, SystemClock, local_date, local_text};
use serde::Serialize;
use serde_json::json;

use crate::error::{CliError, clap_message, io_reason};

/// Default data directory.
const DEFAULT_DATA_DIR: &str = "./liuhen-data";
/// Evidence files larger than this get a progress spinner.
const SPINNER_THRESHOLD: u64 = 8 * 1024 * 1024;

/// 留痕现场执法记录命令行客户端 (liuhen field client: offline on-site inspection records)
#[derive(Debug, Parser)]
#[command(
    name = "liuhen-field",
    arg_required_else_help = true,
    after_help = "示例 (example)：\n  liuhen-field --data-dir ./d roster load 名录.json\n  \
                  ID=$(liuhen-field --as qy-zf-001 open --task QY-2026-SJ-0117 | tail -n1)\n  \
                  liuhen-field check-in \"$ID\" qy-zf-001"
)]
struct Cli {
    /// 数据目录，也可用环境变量 LIUHEN_DATA_DIR，默认 ./liuhen-data (data directory)
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// 当前执法人员编号，也可用环境变量 LIUHEN_OFFICER；已登记的设备默认为登记的执法人员 (acting officer id)
    #[arg(long = "as", global = true, value_name = "OFFICER_ID")]
    as_officer: Option<String>,
    /// 固定时间（RFC3339，如 2026-11-20T09:00:00+08:00），用于脚本演示 (fixed time)
    #[arg(long, global = true, value_name = "RFC3339")]
    at: Option<String>,
    /// 以 JSON 格式输出 (machine-readable output)
    #[arg(long, global = true)]
    json: bool,
    /// 允许为超大照片生成压缩上传副本，原件仍保留在本设备 (allow reduced upload copies)
    #[arg(long, global = true)]
    allow_upload_copy: bool,
    /// 照片文件大小上限（MB，可为小数），默认 30 (largest photo, MiB)
    #[arg(
        long,
        global = true,
        allow_negative_numbers = true,
        value_name = "MB",
        value_parser = parse_mb
    )]
    max_photo_mb: Option<f64>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// 初始化数据目录，显示设备编号和设备公钥 (open/create the data dir)
    Init,
    /// 执法人员名录和任务 (roster and tasks)
    Roster {
        #[command(subcommand)]
        action: RosterAction,
    },
    /// 输出演示用名录 JSON (print a demo roster)
    DemoRoster,
    /// 当前执法人员的待办检查任务 (open tasks of the acting officer)
    Tasks,
    /// 开始现场检查：按任务，或对检查对象现场发起 (open an inspection)
    Open {
        /// 检查任务编号 (task id)
        #[arg(long, value_name = "TASK_ID")]
        task: Option<String>,
        /// 检查对象编号（现场发起时）(target id, ad hoc)
        #[arg(long, value_name = "TARGET_ID")]
        target: Option<String>,
        /// 执法类别（现场发起时）(category, ad hoc)
        #[arg(long, value_name = "CATEGORY")]
        category: Option<String>,
        /// 抽查事项编码（现场发起时）(item code, ad hoc)
        #[arg(long, value_name = "CODE")]
        item_code: Option<String>,
        /// 抽查事项名称（现场发起时）(item name, ad hoc)
        #[arg(long, value_name = "NAME")]
        item_name: Option<String>,
        /// 检查依据（现场发起时）(legal basis, ad hoc)
        #[arg(long, value_name = "BASIS")]
        legal_basis: Option<String>,
    },
    /// 执法人员签到（核验执法证件）(check an officer in)
    CheckIn {
        /// 检查编号 (inspection id)
        #[arg(value_name = "ID")]
        id: String,
        /// 执法人员编号 (officer id)
        #[arg(value_name = "OFFICER_ID")]
        officer: String,
    },
    /// 显示亮证告知用语 (print the identity statement)
    Statement {
        /// 检查编号 (inspection id)
        #[arg(value_name = "ID")]
        id: String,
    },
    /// 采集证据文件 (capture an evidence file)
    Evidence {
        /// 检查编号 (inspection id)
        #[arg(value_name = "ID")]
        id: String,
        /// 证据文件 (file)
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// 证据类别 (kind)
        #[arg(long, value_enum, value_name = "KIND")]
        kind: KindArg,
        /// 所属步骤 (step)
        #[arg(long, value_enum, value_name = "STEP")]
        step: StepArg,
        /// 媒体类型，默认按扩展名推断 (MIME type; guessed from the extension)
        #[arg(long, value_name = "TYPE")]
        media_type: Option<String>,
        /// 纬度 (latitude)
        #[arg(
            long,
            requires_all = ["lon", "accuracy_m"],
            allow_negative_numbers = true,
            value_name = "LAT"
        )]
        lat: Option<f64>,
        /// 经度 (longitude)
        #[arg(
            long,
            requires = "lat",
            allow_negative_numbers = true,
            value_name = "LON"
        )]
        lon: Option<f64>,
        /// 定位精度（米），与经纬度一起记录，定位时间记为当前时间
        /// (accuracy in metres; the fix time recorded is now)
        #[arg(long, requires = "lat", value_name = "METRES")]
        accuracy_m: Option<f64>,
    },
    /// 记录亮证告知 (record the identity notice)
    IdentityNotice {
        /// 检查编号 (inspection id)
        #[arg(value_name = "ID")]
        id: String,
        /// 亮证告知录音录像的 SHA-256 (recording hash)
        #[arg(long, value_name = "SHA256")]
        recording: String,
        /// 实际告知用语，默认使用标准用语 (statement as spoken)
        #[arg(long, value_name = "TEXT")]
        statement: Option<String>,
    },
    /// 记录检查发现 (add a finding)
    Finding {
        /// 检查编号 (inspection id)
        #[arg(value_name = "ID")]
        id: String,
        /// 检查情况 (text)
        #[arg(value_name = "TEXT")]
        text: String,
        /// 关联证据的 SHA-256，可多次使用 (evidence hash, repeatable)
        #[arg(long = "evidence", value_name = "SHA256")]
        evidence: Vec<String>,
    },
    /// 修改检查发现（结束检查前）(edit a finding before close)
    EditFinding {
        /// 检查编号 (inspection id)
        #[arg(value_name = "ID")]
        id: String,
        /// 检查发现编号 (finding id)
        #[arg(value_name = "FINDING_ID")]
        finding_id: String,
        /// 新的文字 (new text)
        #[arg(value_name = "TEXT")]
        text: String,
    },
    /// 记录权利告知及当事人签字或拒签 (record the rights notice)
    RightsNotice {
        /// 检查编号 (inspection id)
        #[arg(value_name = "ID")]
        id: String,
        /// 告知书版本 (notice version)
        #[arg(long, value_name = "VERSION")]
        notice_version: String,
        /// 告知的救济途径，可多次使用 (remedy channel, repeatable)
        #[arg(long = "channel", num_args = 1.., value_name = "CHANNEL")]
        channels: Vec<String>,
        /// 签字人姓名 (signer's name)
        #[arg(long, value_name = "NAME")]
        signed_by: Option<String>,
        /// 签名图像的 SHA-256 (signature hash)
        #[arg(long, value_name = "SHA256")]
        signature: Option<String>,
        /// 当事人拒绝签字 (the party refused to sign)
        #[arg(long)]
        refused: bool,
        /// 见证人姓名（拒签时）(witness name)
        #[arg(long, value_name = "NAME")]
        witness: Option<String>,
        /// 拒签理由 (reason for refusing)
        #[arg(long, value_name = "REASON")]
        reason: Option<String>,
    },
    /// 列出尚未满足的规则 (list unmet rules)
    Violations {
        /// 检查编号 (inspection id)
        #[arg(value_name = "ID")]
        id: String,
    },
    /// 结束现场检查 (close the inspection)
    Close {
        /// 检查编号 (inspection id)
        #[arg(value_name = "ID")]
        id: String,
    },
    /// 对已结束的检查添加更正记录 (amend a closed inspection)
    Amend {
        /// 检查编号 (inspection id)
        #[arg(value_name = "ID")]
        id: String,
        /// 更正对象：finding:<编号>、identity_notice、rights_notice、meta、team、amendment:<编号>
        #[arg(long, value_name = "TARGET")]
        amends: String,
        /// 更正内容 (text)
        #[arg(value_name = "TEXT")]
        text: String,
        /// 关联证据的 SHA-256，可多次使用 (evidence hash, repeatable)
        #[arg(long = "evidence", value_name = "SHA256")]
        evidence: Vec<String>,
    },
    /// 显示检查记录 (show the record)
    Show {
        /// 检查编号 (inspection id)
        #[arg(value_name = "ID")]
        id: String,
    },
    /// 列出本设备上的检查记录 (list inspections)
    List {
        /// 只列出待同步的记录 (only records not yet synced)
        #[arg(long)]
        pending: bool,
    },
    /// 设备日志；`log verify` 验证日志完整性 (device log; `log verify`)
    Log {
        #[command(subcommand)]
        action: Option<LogAction>,
        /// 只显示某次检查的日志 (only one inspection)
        #[arg(long, value_name = "ID")]
        inspection: Option<String>,
    },
    /// 导出检查记录文档（供其他设备合并）(export the document bytes)
    Export {
        /// 检查编号 (inspection id)
        #[arg(value_name = "ID")]
        id: String,
        /// 输出文件 (output file)
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// 合并其他设备导出的检查记录 (merge a copy from another device)
    Merge {
        /// 导出的文件 (exported file)
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// 导出案卷（现场检查笔录、证据原件、日志和哈希清单），导出记入设备日志 (export a case file)
    ExportCase {
        /// 检查编号 (inspection id)
        #[arg(value_name = "ID")]
        id: String,
        /// 输出位置（文件夹，或 zip 文件），不得已存在 (output folder or zip file)
        #[arg(long, value_name = "PATH")]
        out: PathBuf,
        /// 输出为 zip 文件（输出路径以 .zip 结尾时自动使用）(write a zip file)
        #[arg(long)]
        zip: bool,
        /// 导出事由（必填，记入日志和案卷）(reason, required)
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
    },
    /// 离线核验导出的案卷（文件夹或 zip），无需数据目录 (verify a case file offline)
    VerifyCase {
        /// 案卷文件夹或 zip 文件 (case folder or zip)
        #[arg(value_name = "PATH")]
        path: PathBuf,
        /// 记录设备登记的公钥（64 位十六进制），核对案卷中的设备公钥 (expected device key)
        #[arg(long, value_name = "HEX")]
        device_key: Option<String>,
    },
    /// 核验本设备上某次检查的证据原件是否齐全、未被改动 (verify evidence on this device)
    VerifyEvidence {
        /// 检查编号 (inspection id)
        #[arg(value_name = "ID")]
        id: String,
    },
    /// 查看证据原件：记录查看人、时间和事由后给出原件路径 (open an evidence original)
    OpenOriginal {
        /// 检查编号 (inspection id)
        #[arg(value_name = "ID")]
        id: String,
        /// 证据的 SHA-256 (evidence hash)
        #[arg(value_name = "SHA256")]
        sha256: String,
        /// 查看事由（必填，记入日志）(reason, required)
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
    },
    /// 查看原件和导出案卷的记录 (accesses to an inspection's records)
    AccessLog {
        /// 检查编号 (inspection id)
        #[arg(value_name = "ID")]
        id: String,
    },
    /// 向服务器登记本设备：登录名和密码，或管理员发放的登记码（二维码内容）(enroll this device)
    #[command(group(
        clap::ArgGroup::new("credentials")
            .required(true)
            .args(["login", "code"])
    ))]
    Enroll {
        /// 服务器地址，如 https://liuhen.example.gov.cn（使用二维码内容登记时可省略）(server URL)
        #[arg(long, value_name = "URL")]
        server: Option<String>,
        /// 登录名，须同时使用 --password-stdin (login)
        #[arg(long, value_name = "LOGIN", requires = "password_stdin")]
        login: Option<String>,
        /// 从标准输入的第一行读取密码 (read the password from stdin)
        #[arg(long, requires = "login")]
        password_stdin: bool,
        /// 登记码，或二维码内容 liuhen://enroll?server=…&code=… (enrollment code or QR payload)
        #[arg(long, value_name = "CODE_OR_QR")]
        code: Option<String>,
        /// 设备名称（服务器上显示）(device name)
        #[arg(long, value_name = "NAME")]
        device_name: Option<String>,
    },
    /// 与服务器同步检查记录、证据、名录和任务 (sync with the server)
    Sync {
        /// 网络或服务器故障时最多尝试 N 次，间隔逐次加长 (attempts, with backoff)
        #[arg(long, value_name = "N", value_parser = online::parse_attempts)]
        retry: Option<u32>,
    },
    /// 同步状态：本设备的登记情况和每条记录的同步状态 (sync status)
    Status,
    /// 决定草案：离线起草、修改、查看拟作出的执法决定，随 sync 提交服务器 (drafts of decisions)
    Draft {
        #[command(subcommand)]
        action: drafts::DraftAction,
    },
    /// 运行完整的演示检查 (run a scripted demo inspection)
    Demo,
}

#[derive(Debug, Subcommand)]
enum RosterAction {
    /// 从 JSON 文件加载名录 (load a roster JSON file)
    Load {
        /// 名录文件 (file)
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// 显示执法人员和检查对象 (show officers and targets)
    Show,
}

#[derive(Debug, Subcommand)]
enum LogAction {
    /// 验证设备日志的哈希链和签名 (verify the chain)
    Verify,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum KindArg {
    /// 照片
    Photo,
    /// 录音
    Audio,
    /// 录像
    Video,
    /// 签名
    Signature,
    /// 文件
    Document,
}

impl From<KindArg> for EvidenceKind {
    fn from(k: KindArg) -> Self {
        match k {
            KindArg::Photo => EvidenceKind::Photo,
            KindArg::Audio => EvidenceKind::Audio,
            KindArg::Video => EvidenceKind::Video,
            KindArg::Signature => EvidenceKind::Signature,
            KindArg::Document => EvidenceKind::Document,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum StepArg {
    /// 亮证告知
    #[value(name = "identity_notice")]
    IdentityNotice,
    /// 检查情况
    #[value(name = "findings")]
    Findings,
    /// 权利告知
    #[value(name = "rights_notice")]
    RightsNotice,
    /// 更正
    #[value(name = "amendment")]
    Amendment,
}

impl From<StepArg> for InspectionStep {
    fn from(s: StepArg) -> Self {
        match s {
            StepArg::IdentityNotice => InspectionStep::IdentityNotice,
            StepArg::Findings => InspectionStep::Findings,
            StepArg::RightsNotice => InspectionStep::RightsNotice,
            StepArg::Amendment => InspectionStep::Amendment,
        }
    }
}

const HELP_TEMPLATE: &str = "{about-with-newline}\n用法：{usage}\n\n{all-args}{after-help}";

/// Chinese headings and help flag for a command and all its subcommands.
fn localize(cmd: clap::Command, root: bool) -> clap::Command {
    let cmd = cmd
        .help_template(HELP_TEMPLATE)
        .disable_help_flag(true)
        .disable_help_subcommand(true)
        .subcommand_help_heading("命令")
        .subcommand_value_name("命令")
        .mut_args(move |a| {
            let heading = if a.is_positional() {
                "参数"
            } else if root && a.is_global_set() {
                "全局选项"
            } else {
                "选项"
            };
            a.help_heading(heading)
        })
        .arg(
            Arg::new("help")
                .short('h')
                .long("help")
                .action(ArgAction::Help)
                .help("显示帮助 (print help)")
                .help_heading(if root { "全局选项" } else { "选项" }),
        );
    cmd.mut_subcommands(|s| localize(s, false))
}

/// Parses the command line; on error prints Chinese text and gives the exit code.
fn parse() -> Result<Cli, ExitCode> {
    let cmd = localize(Cli::command(), true);
    let matches = cmd
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m));
    match matches {
        Ok(cli) => Ok(cli),
        Err(e) => {
            use clap::error::ErrorKind;
            match e.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
                    let _ = e.print();
                    Err(ExitCode::SUCCESS)
                }
                ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                    let _ = e.print();
                    Err(ExitCode::from(error::EXIT_REFUSED))
                }
                _ => {
                    eprintln!("错误：{}", clap_message(&e));
                    Err(ExitCode::from(error::EXIT_REFUSED))
                }
            }
        }
    }
}

fn init_tracing() {
    // Default: warnings only, and not automerge's own (English) errors, which the
    // core already reports in Chinese.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        // The sync client's retry warnings are told in Chinese by `sync --retry`.
        tracing_subscriber::EnvFilter::new("warn,automerge=off,liuhen_core::sync=error")
    });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .try_init();
}

fn main() -> ExitCode {
    let cli = match parse() {
        Ok(c) => c,
        Err(code) => return code,
    };
    init_tracing();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::debug!(error = ?e, "command failed");
            eprintln!("错误：{}", e.message());
            ExitCode::from(e.exit_code())
        }
    }
}

/// Writes one block of text to stdout (a closed pipe is not an error of the step).
fn out(text: &str) {
    let mut o = std::io::stdout().lock();
    let _ = writeln!(o, "{text}");
    let _ = o.flush();
}

/// Prints a value as pretty JSON on stdout.
fn out_json(v: &impl Serialize) -> Result<(), CliError> {
    let s = serde_json::to_string_pretty(v)
        .map_err(|e| CliError::failed(format!("无法生成 JSON 输出：{e}")))?;
    out(&s);
    Ok(())
}

/// Everything a command needs: the core and the global options.
struct Ctx {
    core: Core,
    clock: Arc<dyn Clock>,
    at: Option<DateTime<Utc>>,
    officer: Option<String>,
    json: bool,
    data_dir: PathBuf,
}

impl Ctx {
    /// The acting officer (`--as` or `LIUHEN_OFFICER`), required for this step.
    fn officer(&self) -> Result<String, CliError> {
        self.officer.clone().ok_or_else(|| {
            CliError::refused(
                "此步骤需要指明执法人员：请使用 --as <执法人员编号> 或设置环境变量 LIUHEN_OFFICER",
            )
        })
    }

    /// Who a log entry names for steps that need no officer: the acting officer if
    /// given, else this device.
    fn actor(&self) -> String {
        self.officer
            .clone()
            .unwrap_or_else(|| self.core.device().device_id.clone())
    }

    fn roster(&self) -> Option<RosterSnapshot> {
        self.core.store().roster().ok().flatten()
    }
}

fn env_nonempty(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.trim().is_empty())
}

fn parse_at(s: &str) -> Result<DateTime<Utc>, CliError> {
    DateTime::parse_from_rfc3339(s.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            CliError::refused(format!(
                "时间“{s}”格式无效：--at 应为 RFC3339 格式，例如 2026-11-20T09:00:00+08:00"
            ))
        })
}

/// Parses `--max-photo-mb`: a non-negative number of MiB.
fn parse_mb(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err("应为不小于 0 的数字（单位 MB）".to_string()),
    }
}

/// The evidence limits the global options ask for (defaults otherwise).
fn evidence_limits(allow_upload_copy: bool, max_photo_mb: Option<f64>) -> EvidenceLimits {
    let defaults = EvidenceLimits::default();
    EvidenceLimits {
        allow_reduced_upload_copy: allow_upload_copy,
        // `as` saturates for absurdly large values.
        photo_max_bytes: max_photo_mb.map_or(defaults.photo_max_bytes, |mb| {
            (mb * MIB as f64).round() as u64
        }),
        ..defaults
    }
}

fn run(cli: Cli) -> Result<(), CliError> {
    // Commands that need no data directory.
    match &cli.command {
        Command::DemoRoster => {
            let r = demo::roster()?;
            return out_json(&r);
        }
        Command::VerifyCase { path, device_key } => {
            return cmd_verify_case(cli.json, path, device_key.as_deref());
        }
        Command::Draft {
            action: drafts::DraftAction::Template { kind },
        } => return drafts::template(*kind),
        _ => {}
    }
    let at = cli.at.as_deref().map(parse_at).transpose()?;
    let data_dir = cli
        .data_dir
        .or_else(|| env_nonempty("LIUHEN_DATA_DIR").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
    let officer = cli
        .as_officer
        .filter(|o| !o.trim().is_empty())
        .or_else(|| env_nonempty("LIUHEN_OFFICER"));
    let clock: Arc<dyn Clock> = match at {
        Some(t) => Arc::new(FixedClock(t)),
        None => Arc::new(SystemClock),
    };
    tracing::debug!(data_dir = %data_dir.display(), ?at, ?officer, "opening data dir");
    let mut core = Core::open_with_clock(&data_dir, clock.clone())?;
    core.set_evidence_limits(evidence_limits(cli.allow_upload_copy, cli.max_photo_mb));
    // An enrolled device acts for its officer unless told otherwise.
    let officer = officer.or_else(|| online::enrolled_officer(&core).and_then(|o| o.officer_id));
    let mut ctx = Ctx {
        core,
        clock,
        at,
        officer,
        json: cli.json,
        data_dir,
    };
    let c = &mut ctx;
    match cli.command {
        Command::DemoRoster | Command::VerifyCase { .. } => Ok(()),
        Command::Init => cmd_init(c),
        Command::Roster { action } => match action {
            RosterAction::Load { file } => cmd_roster_load(c, &file),
            RosterAction::Show => cmd_roster_show(c),
        },
        Command::Tasks => cmd_tasks(c),
        Command::Open {
            task,
            target,
            category,
            item_code,
            item_name,
            legal_basis,
        } => cmd_open(
            c,
            task,
            AdHoc {
                target,
                category,
                item_code,
                item_name,
                legal_basis,
            },
        ),
        Command::CheckIn { id, officer } => cmd_check_in(c, &id, &officer),
        Command::Statement { id } => cmd_statement(c, &id),
        Command::Evidence {
            id,
            file,
            kind,
            step,
            media_type,
            lat,
            lon,
            accuracy_m,
        } => cmd_evidence(
            c,
            &id,
            &file,
            kind.into(),
            step.into(),
            media_type,
            (lat, lon, accuracy_m),
        ),
        Command::IdentityNotice {
            id,
            recording,
            statement,
        } => cmd_identity_notice(c, &id, &recording, statement),
        Command::Finding { id, text, evidence } => cmd_finding(c, &id, &text, evidence),
        Command::EditFinding {
            id,
            finding_id,
            text,
        } => cmd_edit_finding(c, &id, &finding_id, &text),
        Command::RightsNotice {
            id,
            notice_version,
            channels,
            signed_by,
            signature,
            refused,
            witness,
            reason,
        } => cmd_rights_notice(
            c,
            &id,
            notice_version,
            channels,
            Ack {
                signed_by,
                signature,
                refused,
                witness,
                reason,
            },
        ),
        Command::Violations { id } => cmd_violations(c, &id),
        Command::Close { id } => cmd_close(c, &id),
        Command::Amend {
            id,
            amends,
            text,
            evidence,
        } => cmd_amend(c, &id, &amends, &text, evidence),
        Command::Show { id } => cmd_show(c, &id),
        Command::List { pending } => cmd_list(c, pending),
        Command::Log { action, inspection } => match action {
            Some(LogAction::Verify) => cmd_log_verify(c),
            None => cmd_log(c, inspection.as_deref()),
        },
        Command::Export { id, out } => cmd_export(c, &id, &out),
        Command::Merge { file } => cmd_merge(c, &file),
        Command::ExportCase {
            id,
            out,
            zip,
            reason,
        } => cmd_export_case(c, &id, &out, zip, reason.as_deref()),
        Command::VerifyEvidence { id } => cmd_verify_evidence(c, &id),
        Command::OpenOriginal { id, sha256, reason } => {
            cmd_open_original(c, &id, &sha256, reason.as_deref())
        }
        Command::AccessLog { id } => cmd_access_log(c, &id),
        Command::Enroll {
            server,
            login,
            password_stdin,
            code,
            device_name,
        } => online::cmd_enroll(
            c,
            online::EnrollArgs {
                server,
                login,
                password_stdin,
                code,
                device_name,
            },
        ),
        Command::Sync { retry } => online::cmd_sync(c, retry),
        Command::Status => online::cmd_status(c),
        Command::Draft { action } => drafts::run(c, action),
        Command::Demo => cmd_demo(c),
    }
}

// ---- setup -----------------------------------------------------------------

fn cmd_init(c: &mut Ctx) -> Result<(), CliError> {
    let device_id = c.core.device().device_id.clone();
    let key = hex::encode(c.core.device().verifying_key().to_bytes());
    let roster = c.core.store().roster()?;
    if c.json {
        return out_json(&json!({
            "data_dir": c.data_dir,
            "device_id": device_id,
            "public_key": key,
            "roster_loaded": roster.is_some(),
        }));
    }
    out(&format!("数据目录：{}", c.data_dir.display()));
    out(&format!("设备编号：{device_id}"));
    out(&format!("设备公钥：{key}"));
    match roster {
        Some(r) => out(&format!(
            "执法人员名录：已加载（{}，执法人员 {} 名，检查对象 {} 个，任务 {} 项）",
            r.agency.name,
            r.officers.len(),
            r.targets.len(),
            r.tasks.len()
        )),
        None => out(
            "执法人员名录：尚未加载，请使用 roster load <文件> 加载（可用 demo-roster 生成演示名录）",
        ),
    }
    Ok(())
}

/// Reads and parses a roster file, naming the record and field that is wrong.
fn read_roster(path: &Path) -> Result<RosterSnapshot, CliError> {
    let shown = path.display();
    let bytes = std::fs::read(path)
        .map_err(|e| CliError::refused(format!("无法读取名录文件 {shown}：{}", io_reason(&e))))?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
        let what = match e.classify() {
            serde_json::error::Category::Eof => "内容不完整（文件提前结束）",
            serde_json::error::Category::Io => "读取失败",
            _ => "不是有效的 JSON",
        };
        CliError::refused(format!(
            "名录文件 {shown} {what}（第 {} 行第 {} 列）",
            e.line(),
            e.column()
        ))
    })?;
    serde_json::from_value::<RosterSnapshot>(value.clone()).map_err(|e| {
        CliError::refused(format!("名录文件 {shown} 内容有误：{}", locate(&value, &e)))
    })
}

/// Names the list entry (and its display name) a roster parse error comes from.
fn locate(value: &serde_json::Value, whole: &serde_json::Error) -> String {
    use liuhen_core::model::{Agency, Officer, Target, Task};
    fn first_bad<T: serde::de::DeserializeOwned>(
        value: &serde_json::Value,
        list: &str,
    ) -> Option<String> {
        let items = value.get(list)?.as_array()?;
        items.iter().enumerate().find_map(|(i, item)| {
            let e = serde_json::from_value::<T>(item.clone()).err()?;
            let name = item
                .get("name")
                .and_then(|n| n.as_str())
                .map(|n| format!("（{n}）"))
                .unwrap_or_default();
            Some(format!("{list}[{i}]{name}：{}", serde_message(&e)))
        })
    }
    if let Some(agency) = value.get("agency")
        && let Err(e) = serde_json::from_value::<Agency>(agency.clone())
    {
        return format!("agency：{}", serde_message(&e));
    }
    first_bad::<Officer>(value, "officers")
        .or_else(|| first_bad::<Target>(value, "targets"))
        .or_else(|| first_bad::<Task>(value, "tasks"))
        .unwrap_or_else(|| serde_message(whole))
}

/// A serde error in Chinese where its words are serde's own.
fn serde_message(e: &serde_json::Error) -> String {
    let s = e.to_string();
    let s = s.split(" at line ").next().unwrap_or(&s).to_string();
    let quoted = |s: &str| s.split('`').nth(1).unwrap_or_default().to_string();
    if s.starts_with("missing field") {
        format!("缺少字段 {}", quoted(&s))
    } else if s.starts_with("unknown variant") {
        let expected = s.split("expected ").nth(1).unwrap_or_default();
        format!(
            "取值 {} 无效（可选：{}）",
            quoted(&s),
            expected.replace("one of ", "").replace('`', "")
        )
    } else if s.starts_with("invalid type") {
        format!("字段类型不正确（{s}）")
    } else if s.starts_with("input contains invalid characters")
        || s.starts_with("premature end of input")
        || s.starts_with("input is out of range")
        || s.starts_with("trailing input")
    {
        format!("日期格式不正确，应为 YYYY-MM-DD（{s}）")
    } else {
        s
    }
}

fn cmd_roster_load(c: &mut Ctx, file: &Path) -> Result<(), CliError> {
    let r = read_roster(file)?;
    let by = c.actor();
    c.core.load_roster(r.clone(), &by)?;
    if c.json {
        return out_json(&json!({
            "agency": r.agency.name,
            "officers": r.officers.len(),
            "targets": r.targets.len(),
            "tasks": r.tasks.len(),
        }));
    }
    out(&format!(
        "已加载名录：{}（执法人员 {} 名，检查对象 {} 个，任务 {} 项）",
        r.agency.name,
        r.officers.len(),
        r.targets.len(),
        r.tasks.len()
    ));
    Ok(())
}

fn cmd_roster_show(c: &mut Ctx) -> Result<(), CliError> {
    let r = c.core.roster()?;
    if c.json {
        return out_json(&r);
    }
    let today = local_date(c.clock.now());
    out(&format!(
        "执法主体：{}（区划 {}）\n\n执法人员：",
        r.agency.name, r.agency.region_code
    ));
    let rows: Vec<Vec<String>> = r
        .officers
        .iter()
        .map(|o| {
            vec![
                o.id.clone(),
                o.name.clone(),
                o.certificate_no.clone(),
                o.categories.join("、"),
                o.areas.join("、"),
                format!("{} 至 {}", o.valid_from, o.valid_until),
                render::certificate_state(o, today),
            ]
        })
        .collect();
    out(&render::table(
        &["编号", "姓名", "证号", "类别", "区域", "有效期", "状态"],
        &rows,
    ));
    out("检查对象：");
    let rows: Vec<Vec<String>> = r
        .targets
        .iter()
        .map(|t| {
            vec![
                t.id.clone(),
                t.name.clone(),
                render::target_kind_label(t.kind).to_string(),
                t.credit_code
                    .as_ref()
                    .map(|c| c.to_string())
                    .unwrap_or_else(|| "—".into()),
                t.category.clone(),
                t.area.clone(),
                t.address.clone(),
            ]
        })
        .collect();
    out(&render::table(
        &[
            "编号",
            "名称",
            "类型",
            "统一社会信用代码",
            "类别",
            "区域",
            "地址",
        ],
        &rows,
    ));
    Ok(())
}

fn cmd_tasks(c: &mut Ctx) -> Result<(), CliError> {
    let tasks = c.core.tasks(c.officer.as_deref())?;
    if c.json {
        return out_json(&tasks);
    }
    let roster = c.core.roster()?;
    let names = render::names(None, Some(&roster));
    match &c.officer {
        Some(o) => out(&format!(
            "{} 的待办检查任务：",
            names.get(o).map(|s| s.as_str()).unwrap_or(o)
        )),
        None => out("全部待办检查任务（未指定 --as）："),
    }
    if tasks.is_empty() {
        out("（没有待办任务）");
        return Ok(());
    }
    let rows: Vec<Vec<String>> = tasks
        .iter()
        .map(|t| {
            let target = roster
                .targets
                .iter()
                .find(|x| x.id == t.target_id)
                .map(|x| x.name.clone())
                .unwrap_or_else(|| t.target_id.clone());
            let team: Vec<&str> = t
                .officer_ids
                .iter()
                .map(|o| names.get(o).map(|s| s.as_str()).unwrap_or(o))
                .collect();
            vec![
                t.id.clone(),
                target,
                t.item.name.clone(),
                t.category.clone(),
                team.join("、"),
                t.due_date.to_string(),
                render::task_source_label(t.source).to_string(),
            ]
        })
        .collect();
    out(&render::table(
        &[
            "任务编号",
            "检查对象",
            "检查事项",
            "类别",
            "执法人员",
            "截止日期",
            "来源",
        ],
        &rows,
    ));
    Ok(())
}

// ---- on-site lifecycle -------------------------------------------------------

/// The ad hoc fields of `open`.
struct AdHoc {
    target: Option<String>,
    category: Option<String>,
    item_code: Option<String>,
    item_name: Option<String>,
    legal_basis: Option<String>,
}

fn cmd_open(c: &mut Ctx, task: Option<String>, adhoc: AdHoc) -> Result<(), CliError> {
    let by = c.officer()?;
    let id = match task {
        Some(task) => {
            if adhoc.target.is_some()
                || adhoc.category.is_some()
                || adhoc.item_code.is_some()
                || adhoc.item_name.is_some()
                || adhoc.legal_basis.is_some()
            {
                return Err(CliError::refused(
                    "按任务开始检查时不能同时指定 --target、--category、--item-code、--item-name 或 --legal-basis",
                ));
            }
            c.core.open_for_task(&task, &by)?
        }
        None => {
            let missing: Vec<&str> = [
                ("--target", adhoc.target.is_none()),
                ("--category", adhoc.category.is_none()),
                ("--item-code", adhoc.item_code.is_none()),
                ("--item-name", adhoc.item_name.is_none()),
            ]
            .into_iter()
            .filter_map(|(n, m)| m.then_some(n))
            .collect();
            if !missing.is_empty() {
                return Err(CliError::refused(format!(
                    "请用 --task 指定检查任务；现场发起检查时须提供 {}",
                    missing.join("、")
                )));
            }
            let item = CheckItem {
                code: adhoc.item_code.unwrap_or_default(),
                name: adhoc.item_name.unwrap_or_default(),
                legal_basis: adhoc.legal_basis.unwrap_or_default(),
            };
            c.core.open_ad_hoc(
                &adhoc.target.unwrap_or_default(),
                &adhoc.category.unwrap_or_default(),
                &item,
                &by,
            )?
        }
    };
    if c.json {
        return out_json(&json!({ "inspection_id": id }));
    }
    let v = c.core.inspection(&id)?;
    out(&format!(
        "已开始现场检查：{}，检查事项：{}",
        v.meta.target_name, v.meta.item_name
    ));
    out(&id);
    Ok(())
}

fn cmd_check_in(c: &mut Ctx, id: &str, officer: &str) -> Result<(), CliError> {
    c.core.check_in(id, officer)?;
    let v = c.core.inspection(id)?;
    if c.json {
        return out_json(&json!({ "inspection_id": id, "team": v.team }));
    }
    let m = v.team.iter().find(|m| m.officer_id == officer);
    let who = m
        .map(|m| format!("{}（证号 {}）", m.name, m.certificate_no))
        .unwrap_or_else(|| officer.to_string());
    out(&format!(
        "{who} 已签到，本次检查现有 {} 名执法人员",
        v.team.len()
    ));
    if v.team.len() < liuhen_core::rules::MIN_TEAM {
        out(&format!(
            "提示：R-SCENE-2 现场检查至少需要 {} 名执法人员签到",
            liuhen_core::rules::MIN_TEAM
        ));
    }
    Ok(())
}

fn cmd_statement(c: &mut Ctx, id: &str) -> Result<(), CliError> {
    let s = c.core.identity_statement(id)?;
    if c.json {
        return out_json(&json!({ "statement": s }));
    }
    out(&s);
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn cmd_evidence(
    c: &mut Ctx,
    id: &str,
    file: &Path,
    kind: EvidenceKind,
    step: InspectionStep,
    media_type: Option<String>,
    (lat, lon, accuracy_m): (Option<f64>, Option<f64>, Option<f64>),
) -> Result<(), CliError> {
    let by = c.officer()?;
    for (name, v, max) in [("纬度", lat, 90.0), ("经度", lon, 180.0)] {
        if let Some(v) = v
            && !(v.is_finite() && (-max..=max).contains(&v))
        {
            return Err(CliError::refused(format!(
                "{name} {v} 无效，应在 -{max} 到 {max} 之间"
            )));
        }
    }
    let media_type = media_type.unwrap_or_else(|| render::guess_media_type(file).to_string());
    if !render::media_fits(kind, &media_type) {
        eprintln!(
            "注意：文件类型 {media_type} 与证据类别“{}”不一致，请确认",
            kind.label()
        );
    }
    let size = std::fs::metadata(file)
        .map_err(|e| {
            CliError::refused(format!(
                "无法读取证据文件 {}：{}",
                file.display(),
                io_reason(&e)
            ))
        })?
        .len();
    let spinner = (size > SPINNER_THRESHOLD).then(|| {
        let pb = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        pb.set_style(
            ProgressStyle::with_template("{spinner} {msg}（已用 {elapsed}）")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        pb.set_message(format!(
            "正在计算哈希并保存证据文件 {}（{}）",
            file.display(),
            render::size_text(size)
        ));
        pb.enable_steady_tick(Duration::from_millis(100));
        pb
    });
    // clap makes --lat, --lon and --accuracy-m come together.
    let location = match (lat, lon, accuracy_m) {
        (Some(lat), Some(lon), Some(accuracy_m)) => Some(CaptureLocation {
            lat,
            lon,
            accuracy_m,
            fixed_at: c.core.now(),
        }),
        _ => None,
    };
    let input = CaptureInput {
        kind,
        media_type,
        step,
        location,
    };
    let result = c.core.capture_evidence(id, file, input, &by);
    if let Some(pb) = spinner {
        pb.finish_and_clear();
    }
    let captured = result.map_err(|e| match e {
        liuhen_core::CoreError::Evidence(EvidenceError::TooLarge {
            kind: EvidenceKind::Photo,
            ..
        }) => CliError::refused(format!(
            "{e}\n提示：照片大小上限可用全局选项 --max-photo-mb <MB> 设置"
        )),
        other => other.into(),
    })?;
    let r = &captured.reference;
    if c.json {
        let mut v = serde_json::to_value(r)
            .map_err(|e| CliError::failed(format!("无法生成 JSON 输出：{e}")))?;
        if let (Some(u), Some(obj)) = (&captured.upload_copy, v.as_object_mut()) {
            obj.insert(
                "upload_copy".into(),
                json!({
                    "sha256": u.sha256,
                    "size_bytes": u.size,
                    "width": u.width,
                    "height": u.height,
                }),
            );
        }
        return out_json(&v);
    }
    out(&format!(
        "已保存证据：{}（{}，{}，{}）",
        r.kind.label(),
        render::step_label(r.step),
        r.media_type,
        render::size_text(r.size_bytes)
    ));
    if let Some(p) = &captured.photo {
        out(&format!(
            "照片 {}×{}，已生成展示图和缩略图{}",
            p.width,
            p.height,
            p.exif_time
                .map(|t| format!("；拍摄时间（EXIF）{t}"))
                .unwrap_or_default()
        ));
    }
    if let Some(u) = &captured.upload_copy {
        out(&format!(
            "已生成压缩上传副本 {}×{}（{}），原件保留在本设备；上传副本 SHA-256 {}",
            u.width,
            u.height,
            render::size_text(u.size),
            u.sha256
        ));
    }
    if let Some(w) = &captured.exif_warning {
        out(&format!("注意：{w}"));
    }
    out(&r.sha256);
    Ok(())
}

fn cmd_identity_notice(
    c: &mut Ctx,
    id: &str,
    recording: &str,
    statement: Option<String>,
) -> Result<(), CliError> {
    let by = c.officer()?;
    c.core
        .record_identity_notice(id, statement, recording.trim(), &by)?;
    if c.json {
        return out_json(&json!({ "inspection_id": id, "identity_notice": "recorded" }));
    }
    out(&format!(
        "已记录亮证告知（录音录像 {}）",
        render::short(recording.trim())
    ));
    Ok(())
}

fn cmd_finding(c: &mut Ctx, id: &str, text: &str, evidence: Vec<String>) -> Result<(), CliError> {
    let by = c.officer()?;
    let evidence = evidence.into_iter().map(|e| e.trim().to_string()).collect();
    let fid = c.core.add_finding(id, text, evidence, &by)?;
    if c.json {
        return out_json(&json!({ "finding_id": fid }));
    }
    out("已记录检查发现");
    out(&fid);
    Ok(())
}

fn cmd_edit_finding(c: &mut Ctx, id: &str, finding_id: &str, text: &str) -> Result<(), CliError> {
    let by = c.officer()?;
    c.core.edit_finding(id, finding_id, text, &by)?;
    if c.json {
        return out_json(&json!({ "finding_id": finding_id, "edited": true }));
    }
    out(&format!("已修改检查发现 {finding_id}"));
    Ok(())
}

/// The acknowledgement options of `rights-notice`.
struct Ack {
    signed_by: Option<String>,
    signature: Option<String>,
    refused: bool,
    witness: Option<String>,
    reason: Option<String>,
}

fn cmd_rights_notice(
    c: &mut Ctx,
    id: &str,
    notice_version: String,
    channels: Vec<String>,
    ack: Ack,
) -> Result<(), CliError> {
    let by = c.officer()?;
    let acknowledgement = if ack.refused {
        if ack.signed_by.is_some() || ack.signature.is_some() {
            return Err(CliError::refused(
                "--refused 不能与 --signed-by、--signature 同时使用：当事人要么签字，要么拒签",
            ));
        }
        // The core refuses a missing witness with the rule (R-SCENE-4).
        Acknowledgement::Refused {
            witness_name: ack.witness.unwrap_or_default(),
            reason: ack.reason.unwrap_or_default(),
        }
    } else {
        if ack.witness.is_some() || ack.reason.is_some() {
            return Err(CliError::refused(
                "--witness 和 --reason 仅用于当事人拒绝签字（--refused）的情形",
            ));
        }
        match (ack.signed_by, ack.signature) {
            (Some(signer_name), Some(signature_sha256)) => Acknowledgement::Signed {
                signer_name,
                signature_sha256: signature_sha256.trim().to_string(),
            },
            _ => {
                return Err(CliError::refused(
                    "R-SCENE-4: 请记录当事人签字（--signed-by <姓名> --signature <签名SHA256>），\
                     或当事人拒签（--refused --witness <见证人姓名> [--reason <理由>]）",
                ));
            }
        }
    };
    let signed = matches!(acknowledgement, Acknowledgement::Signed { .. });
    c.core.record_rights_notice(
        id,
        RightsNoticeInput {
            notice_version,
            remedy_channels: channels,
            acknowledgement,
        },
        &by,
    )?;
    if c.json {
        return out_json(&json!({ "inspection_id": id, "signed": signed }));
    }
    out(if signed {
        "已记录权利告知，当事人已签字确认"
    } else {
        "已记录权利告知，当事人拒绝签字，已记录见证人"
    });
    Ok(())
}

fn cmd_violations(c: &mut Ctx, id: &str) -> Result<(), CliError> {
    let vs = c.core.violations(id)?;
    if c.json {
        return out_json(&vs);
    }
    if vs.is_empty() {
        out("无未满足的规则");
    } else {
        out(&format!("尚有 {} 项要求未满足：", vs.len()));
        for v in &vs {
            out(&format!("  - {}", v.message));
        }
    }
    Ok(())
}

fn cmd_close(c: &mut Ctx, id: &str) -> Result<(), CliError> {
    let by = c.officer()?;
    c.core.close(id, &by)?;
    if c.json {
        return out_json(&json!({ "inspection_id": id, "status": "closed" }));
    }
    out(&format!("现场检查已结束：{id}"));
    Ok(())
}

fn cmd_amend(
    c: &mut Ctx,
    id: &str,
    amends: &str,
    text: &str,
    evidence: Vec<String>,
) -> Result<(), CliError> {
    let by = c.officer()?;
    let evidence = evidence.into_iter().map(|e| e.trim().to_string()).collect();
    let aid = c.core.amend(id, amends.trim(), text, evidence, &by)?;
    if c.json {
        return out_json(&json!({ "amendment_id": aid }));
    }
    out("已添加更正记录（原记录保留不变）");
    out(&aid);
    Ok(())
}

// ---- reading -------------------------------------------------------------------

fn cmd_show(c: &mut Ctx, id: &str) -> Result<(), CliError> {
    let v = c.core.inspection(id)?;
    if c.json {
        return out_json(&v);
    }
    let roster = c.roster();
    out(&render::inspection_text(&v, roster.as_ref()));
    Ok(())
}

fn cmd_list(c: &mut Ctx, pending: bool) -> Result<(), CliError> {
    let list = c.core.list_inspections(pending)?;
    if c.json {
        return out_json(&list);
    }
    if list.is_empty() {
        out(if pending {
            "没有待同步的检查记录"
        } else {
            "本设备上还没有检查记录"
        });
        return Ok(());
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|d| {
            let sync = match &d.sync_reason {
                Some(r) if !r.is_empty() => format!("{}（{r}）", d.sync_state.label()),
                _ => d.sync_state.label().to_string(),
            };
            vec![
                d.id.clone(),
                d.target_name.clone(),
                d.task_id.clone().unwrap_or_else(|| "现场发起".into()),
                render::status_label(&d.status).to_string(),
                local_text(d.updated_at),
                sync,
            ]
        })
        .collect();
    out(&render::table(
        &[
            "检查编号",
            "检查对象",
            "任务",
            "状态",
            "最后修改",
            "同步状态",
        ],
        &rows,
    ));
    Ok(())
}

fn cmd_log(c: &mut Ctx, inspection: Option<&str>) -> Result<(), CliError> {
    let entries = c.core.store().log_entries(inspection)?;
    if c.json {
        return out_json(&entries);
    }
    if entries.is_empty() {
        out("设备日志为空");
        return Ok(());
    }
    let mut names = render::names(None, c.roster().as_ref());
    names.insert(c.core.device().device_id.clone(), "本设备".to_string());
    let rows: Vec<Vec<String>> = entries
        .iter()
        .map(|e| {
            vec![
                e.seq.to_string(),
                local_text(e.at),
                names
                    .get(&e.officer_id)
                    .cloned()
                    .unwrap_or_else(|| e.officer_id.clone()),
                render::action_label(&e.action).to_string(),
                e.inspection_id.clone().unwrap_or_else(|| "—".into()),
                e.evidence
                    .iter()
                    .map(|h| render::short(h))
                    .collect::<Vec<_>>()
                    .join(" "),
                render::short(&e.hash).to_string(),
            ]
        })
        .collect();
    out(&render::table(
        &["序号", "时间", "执法人员", "操作", "检查", "证据", "哈希"],
        &rows,
    ));
    Ok(())
}

fn cmd_log_verify(c: &mut Ctx) -> Result<(), CliError> {
    let n = c.core.verify_log()?;
    if c.json {
        return out_json(&json!({ "ok": true, "entries": n }));
    }
    out(&format!("设备日志完整：共 {n} 条"));
    Ok(())
}

// ---- exchange --------------------------------------------------------------------

fn cmd_export(c: &mut Ctx, id: &str, path: &Path) -> Result<(), CliError> {
    let bytes = c.core.export_document(id)?;
    // Written next to the target and renamed, so a reader never sees half a file.
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let write_err = |e: std::io::Error| {
        CliError::failed(format!(
            "无法写入导出文件 {}：{}",
            path.display(),
            io_reason(&e)
        ))
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(write_err)?;
    tmp.write_all(&bytes).map_err(write_err)?;
    tmp.as_file().sync_all().map_err(write_err)?;
    tmp.persist(path).map_err(|e| write_err(e.error))?;
    if c.json {
        return out_json(&json!({ "inspection_id": id, "file": path, "bytes": bytes.len() }));
    }
    out(&format!(
        "已导出检查记录 {id} 到 {}（{}）",
        path.display(),
        render::size_text(bytes.len() as u64)
    ));
    Ok(())
}

fn cmd_merge(c: &mut Ctx, path: &Path) -> Result<(), CliError> {
    let bytes = std::fs::read(path).map_err(|e| {
        CliError::refused(format!(
            "无法读取文件 {}：{}",
            path.display(),
            io_reason(&e)
        ))
    })?;
    let by = c.actor();
    let id = c.core.merge_document(&bytes, &by).map_err(|e| match e {
        // The file given is not a loadable inspection document: refused input.
        liuhen_core::CoreError::Doc(DocError::Corrupt(_)) => CliError::refused(format!(
            "文件 {} 不是有效的检查记录文档，无法读取",
            path.display()
        )),
        liuhen_core::CoreError::Doc(d) => {
            CliError::refused(format!("文件 {} 不能合并：{d}", path.display()))
        }
        other => other.into(),
    })?;
    let v = c.core.inspection(&id)?;
    if c.json {
        return out_json(&json!({ "inspection_id": id, "conflicts": v.conflicts }));
    }
    out(&format!(
        "已合并检查记录：{}（{}）",
        v.meta.target_name,
        render::status_label(match v.closure {
            Some(_) => "closed",
            None => "open",
        })
    ));
    if !v.conflicts.is_empty() {
        out(&format!(
            "注意：合并后有 {} 处并发修改，两个取值均已保留，请用 show 查看并核实",
            v.conflicts.len()
        ));
    }
    out(&id);
    Ok(())
}

fn cmd_demo(c: &mut Ctx) -> Result<(), CliError> {
    let start = c.at;
    demo::run(&mut c.core, start, &c.data_dir, &|s| out(s))
}

// ---- case files, access and integrity ----------------------------------------------

/// `--reason` of a step that must say why (R-REC-7).
fn reason_given<'a>(reason: Option<&'a str>, what: &str) -> Result<&'a str, CliError> {
    match reason.map(str::trim) {
        Some(r) if !r.is_empty() => Ok(r),
        _ => Err(CliError::refused(format!(
            "R-REC-7: {what}必须说明事由，请使用 --reason <事由>"
        ))),
    }
}

fn cmd_export_case(
    c: &mut Ctx,
    id: &str,
    path: &Path,
    zip: bool,
    reason: Option<&str>,
) -> Result<(), CliError> {
    let by = c.officer()?;
    let reason = reason_given(reason, "导出案卷")?;
    let by_extension = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"));
    let format = if zip || by_extension {
        CaseFormat::Zip
    } else {
        CaseFormat::Folder
    };
    let summary = c.core.export_case(id, path, format, &by, reason)?;
    if c.json {
        return out_json(&json!({
            "inspection_id": id,
            "exported_by": by,
            "reason": reason,
            "summary": summary,
        }));
    }
    let names = render::names(None, c.roster().as_ref());
    out(&format!(
        "已导出案卷：检查 {id}（{}）",
        match summary.format {
            CaseFormat::Zip => "zip 文件",
            CaseFormat::Folder => "文件夹",
        }
    ));
    out(&format!(
        "共 {} 个文件（其中证据原件 {} 个），日志 {} 条，合计 {}",
        summary.files,
        summary.evidence_files,
        summary.log_entries,
        render::size_text(summary.total_bytes)
    ));
    out(&format!("案卷清单 SHA-256：{}", summary.manifest_sha256));
    out(&format!(
        "导出已记入设备日志（导出人 {}，事由：{reason}）",
        names.get(&by).map(String::as_str).unwrap_or(&by)
    ));
    out(&summary.path.display().to_string());
    Ok(())
}

/// Parses `--device-key`: 64 hex characters.
fn parse_device_key(hex_key: &str) -> Result<[u8; 32], CliError> {
    let bad = || {
        CliError::refused(format!(
            "设备公钥“{hex_key}”无效：--device-key 应为 64 位十六进制（可用 init 查看设备公钥）"
        ))
    };
    let bytes = hex::decode(hex_key.trim()).map_err(|_| bad())?;
    bytes.try_into().map_err(|_| bad())
}

fn cmd_verify_case(json: bool, path: &Path, device_key: Option<&str>) -> Result<(), CliError> {
    let key = device_key.map(parse_device_key).transpose()?;
    let result = match &key {
        Some(k) => export::verify_case_with_key(path, k),
        None => export::verify_case(path),
    };
    let report = result.map_err(|e| match e {
        export::ExportError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
            CliError::refused(format!("无法读取案卷 {}：文件或目录不存在", path.display()))
        }
        other => liuhen_core::CoreError::from(other).into(),
    })?;
    if json {
        out_json(&report)?;
    } else if report.is_intact() {
        out(&format!(
            "案卷完整：已核对 {} 个文件，全部与清单一致，日志签名有效",
            report.files_checked
        ));
        if let Some(id) = &report.inspection_id {
            out(&format!("检查编号：{id}"));
        }
        if let Some(k) = &report.device_public_key {
            out(&if key.is_some() {
                format!("设备公钥：{k}（与 --device-key 一致）")
            } else {
                format!("设备公钥：{k}（请与记录设备登记的公钥核对，或用 --device-key 指定后核验）")
            });
        }
        out(if report.record_regenerated {
            "现场检查笔录 record.html：已根据数据重新生成，内容一致"
        } else {
            "现场检查笔录 record.html：由其他版本生成，未重新生成比对（文件哈希已核对）"
        });
    } else {
        out(export::report_text(&report).trim_end());
    }
    if report.is_intact() {
        Ok(())
    } else {
        Err(CliError::refused(format!(
            "案卷 {} 未通过核验：发现 {} 处问题",
            path.display(),
            report.problems.len()
        )))
    }
}

fn cmd_verify_evidence(c: &mut Ctx, id: &str) -> Result<(), CliError> {
    let problems = c.core.verify_evidence(id)?;
    let count = c.core.inspection(id)?.evidence.len();
    if c.json {
        out_json(&json!({
            "inspection_id": id,
            "ok": problems.is_empty(),
            "evidence": count,
            "problems": problems,
        }))?;
    } else if problems.is_empty() {
        out(&format!(
            "证据完整：{count} 个证据原件均在本设备上，且与记录的哈希一致"
        ));
    } else {
        out(&format!("证据有 {} 处问题：", problems.len()));
        for (n, p) in problems.iter().enumerate() {
            out(&format!("{}. {}", n + 1, p.message));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(CliError::refused(format!(
            "检查 {id} 的证据未通过核验：发现 {} 处问题",
            problems.len()
        )))
    }
}

fn cmd_open_original(
    c: &mut Ctx,
    id: &str,
    sha256: &str,
    reason: Option<&str>,
) -> Result<(), CliError> {
    let by = c.officer()?;
    let reason = reason_given(reason, "查看证据原件")?;
    let sha256 = sha256.trim();
    let path = c.core.open_evidence_original(id, sha256, &by, reason)?;
    let v = c.core.inspection(id)?;
    let evidence = v.evidence_by_hash(sha256);
    if c.json {
        return out_json(&json!({
            "inspection_id": id,
            "sha256": sha256,
            "media_type": evidence.map(|e| e.media_type.clone()),
            "path": path,
        }));
    }
    let names = render::names(Some(&v), c.roster().as_ref());
    out(&format!(
        "已记录查看原件（{}，事由：{reason}）",
        names.get(&by).map(String::as_str).unwrap_or(&by)
    ));
    if let Some(e) = evidence {
        out(&format!(
            "证据：{}（{}，{}），SHA-256 {}",
            e.kind.label(),
            e.media_type,
            render::size_text(e.size_bytes),
            e.sha256
        ));
    }
    out("原件只读，请勿修改或移动；需要副本时请复制后使用");
    out(&path.display().to_string());
    Ok(())
}

fn cmd_access_log(c: &mut Ctx, id: &str) -> Result<(), CliError> {
    // Names an unknown inspection instead of printing an empty list.
    let v = c.core.inspection(id)?;
    let entries = c.core.access_log(id)?;
    if c.json {
        return out_json(&entries);
    }
    if entries.is_empty() {
        out(&format!("检查 {id} 尚无查看原件或导出案卷的记录"));
        return Ok(());
    }
    let names = render::names(Some(&v), c.roster().as_ref());
    let rows: Vec<Vec<String>> = entries
        .iter()
        .map(|e| {
            let detail = |k: &str| e.detail.get(k).and_then(|x| x.as_str()).map(str::to_string);
            let what = if e.evidence.is_empty() {
                detail("manifest_sha256")
                    .map(|m| format!("案卷清单 {}", render::short(&m)))
                    .unwrap_or_else(|| "—".into())
            } else {
                e.evidence
                    .iter()
                    .map(|h| render::short(h))
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            vec![
                local_text(e.at),
                names
                    .get(&e.officer_id)
                    .cloned()
                    .unwrap_or_else(|| e.officer_id.clone()),
                render::action_label(&e.action).to_string(),
                detail("reason").unwrap_or_else(|| "—".into()),
                what,
            ]
        })
        .collect();
    out(&render::table(
        &["时间", "执法人员", "操作", "事由", "证据"],
        &rows,
    ));
    Ok(())
}
