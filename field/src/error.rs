//! Errors of the field client and their exit codes: 2 for refused input and rule
//! violations, 1 for every other failure. Messages are in Chinese for the officer.

use std::io;

use liuhen_core::CoreError;
use liuhen_core::store::StoreError;

/// Exit code for input the core (or the client) refused, or an unmet rule.
pub const EXIT_REFUSED: u8 = 2;
/// Exit code for any other failure (disk, database, damaged data).
pub const EXIT_FAILED: u8 = 1;

/// A failed command: what to print after `错误：`, and how to exit.
#[derive(Debug)]
pub enum CliError {
    /// Refused input or a rule violation (exit 2).
    Refused(String),
    /// Any other failure (exit 1).
    Failed(String),
}

impl CliError {
    /// Builds a refusal.
    pub fn refused(msg: impl Into<String>) -> Self {
        CliError::Refused(msg.into())
    }

    /// Builds a failure.
    pub fn failed(msg: impl Into<String>) -> Self {
        CliError::Failed(msg.into())
    }

    /// The process exit code.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Refused(_) => EXIT_REFUSED,
            CliError::Failed(_) => EXIT_FAILED,
        }
    }

    /// The message (already Chinese).
    pub fn message(&self) -> &str {
        match self {
            CliError::Refused(m) | CliError::Failed(m) => m,
        }
    }
}

impl From<CoreError> for CliError {
    fn from(e: CoreError) -> Self {
        if e.is_refusal() {
            CliError::Refused(e.to_string())
        } else {
            CliError::Failed(e.to_string())
        }
    }
}

/// A short Chinese reason for an I/O error.
pub fn io_reason(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "文件或目录不存在".to_string(),
        io::ErrorKind::PermissionDenied => "没有访问权限".to_string(),
        io::ErrorKind::AlreadyExists => "文件已存在".to_string(),
        io::ErrorKind::IsADirectory => "这是一个目录，不是文件".to_string(),
        io::ErrorKind::StorageFull => "存储空间已满".to_string(),
        io::ErrorKind::InvalidData => "内容无效".to_string(),
        _ => format!("系统错误：{e}"),
    }
}

/// Translates a command-line parsing error of clap into Chinese.
pub fn clap_message(e: &clap::Error) -> String {
    use clap::error::{ContextKind, ErrorKind};
    let ctx = |k: ContextKind| e.get(k).map(|v| v.to_string()).unwrap_or_default();
    let arg = ctx(ContextKind::InvalidArg);
    let value = ctx(ContextKind::InvalidValue);
    let mut msg = match e.kind() {
        ErrorKind::InvalidValue => {
            let valid = ctx(ContextKind::ValidValue);
            if value.is_empty() {
                format!("参数 {arg} 缺少取值")
            } else if valid.is_empty() {
                format!("参数 {arg} 的取值“{value}”无效")
            } else {
                format!("参数 {arg} 的取值“{value}”无效，可选：{valid}")
            }
        }
        ErrorKind::UnknownArgument => format!("不认识的参数 {arg}"),
        ErrorKind::InvalidSubcommand => {
            format!("不认识的命令 {}", ctx(ContextKind::InvalidSubcommand))
        }
        ErrorKind::MissingRequiredArgument => format!("缺少必需的参数：{arg}"),
        ErrorKind::MissingSubcommand => {
            let valid = ctx(ContextKind::ValidSubcommand);
            if valid.is_empty() {
                "缺少命令".to_string()
            } else {
                format!("缺少命令，可选：{valid}")
            }
        }
        ErrorKind::ArgumentConflict => {
            let prior = ctx(ContextKind::PriorArg);
            if prior.is_empty() {
                format!("参数 {arg} 不能与其他参数同时使用")
            } else {
                format!("参数 {arg} 不能与 {prior} 同时使用")
            }
        }
        ErrorKind::ValueValidation => {
            let reason = std::error::Error::source(e)
                .map(|s| format!("：{s}"))
                .unwrap_or_default();
            format!("参数 {arg} 的取值“{value}”无效{reason}")
        }
        ErrorKind::TooManyValues | ErrorKind::TooFewValues | ErrorKind::WrongNumberOfValues => {
            format!("参数 {arg} 的取值个数不正确")
        }
        ErrorKind::NoEquals => format!("参数 {arg} 的取值须用“=”连接"),
        ErrorKind::InvalidUtf8 => "参数中含有无效的 UTF-8 字符".to_string(),
        _ => {
            // Anything else: clap's own words, without its "error: " prefix.
            let raw = e.to_string();
            let first = raw.lines().next().unwrap_or_default();
            first.trim_start_matches("error: ").to_string()
        }
    };
    let suggestion = [
        ContextKind::SuggestedSubcommand,
        ContextKind::SuggestedArg,
        ContextKind::SuggestedValue,
    ]
    .into_iter()
    .map(ctx)
    .find(|s| !s.is_empty());
    if let Some(s) = suggestion {
        msg.push_str(&format!("（是否想输入 {s}？）"));
    }
    let usage = ctx(ContextKind::Usage);
    let usage = usage.trim().trim_start_matches("Usage:").trim();
    if !usage.is_empty() {
        msg.push_str(&format!("\n用法：{usage}"));
    }
    msg.push_str("\n使用 --help 查看说明");
    msg
}

impl From<StoreError> for CliError {
    fn from(e: StoreError) -> Self {
        CoreError::Store(e).into()
    }
}
