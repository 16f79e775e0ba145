//! The commands that talk to the server: `enroll` (register this device for an
//! officer), `sync` (one batched sync run, optionally retried) and `status` (the
//! enrollment and the sync state of every record). The records always stay on the
//! device: a failed sync only means they go up later.

use std::io::{BufRead as _, IsTerminal as _};
use std::time::Duration;

use chrono::{DateTime, Utc};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use liuhen_core::Core;
use liuhen_core::store::SyncState;
use liuhen_core::sync::http::{self, Credentials};
use liuhen_core::sync::{Backoff, SyncError, SyncReport, TransportError};
use liuhen_core::time::local_text;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::error::{CliError, io_reason};
use crate::{Ctx, out, out_json, render};

/// Device setting with the server's base URL (written by `http::enroll`).
/// Device setting: the account this device is enrolled for (JSON), kept by this client.
const ENROLLED_USER_KEY: &str = "field_enrolled_user";
/// Device setting: when the last sync run completed (RFC 3339), kept by this client.
const LAST_SYNC_KEY: &str = "field_last_sync";
/// A clock further off the server's than this gets a warning.
const SKEW_WARNING_SECS: i64 = 5 * 60;
/// Device name shown on the server when `--device-name` is not given.
const DEFAULT_DEVICE_NAME: &str = "liuhen-field 命令行客户端";
/// Most attempts `sync --retry` accepts.
pub const MAX_ATTEMPTS: u32 = 20;

/// How to enrol again, for messages.
const ENROLL_HINT: &str = "liuhen-field enroll --server <服务器地址> --login <登录名> --password-stdin，\
     或 liuhen-field enroll --code <登记码或二维码内容>";

/// The account this device is enrolled for, as the server named it at enrollment.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EnrolledOfficer {
    /// Server user id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Role.
    pub role: String,
    /// Roster officer id.
    pub officer_id: Option<String>,
}

/// The officer this device is enrolled for, if this client enrolled it.
pub fn enrolled_officer(core: &Core) -> Option<EnrolledOfficer> {
    let bytes = core.store().device_value(ENROLLED_USER_KEY).ok()??;
    serde_json::from_slice(&bytes).ok()
}

/// The server this device is enrolled with, if any.
fn server_url(core: &Core) -> Option<String> {
    liuhen_core::sync::http::server_url(core)
        .ok()
        .flatten()
        .filter(|s| !s.is_empty())
}

fn last_sync(core: &Core) -> Option<DateTime<Utc>> {
    let bytes = core.store().device_value(LAST_SYNC_KEY).ok()??;
    let text = String::from_utf8(bytes).ok()?;
    DateTime::parse_from_rfc3339(&text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Parses `--retry`: a number of attempts from 1 to [`MAX_ATTEMPTS`].
pub fn parse_attempts(s: &str) -> Result<u32, String> {
    match s.trim().parse::<u32>() {
        Ok(n) if (1..=MAX_ATTEMPTS).contains(&n) => Ok(n),
        _ => Err(format!("应为 1 到 {MAX_ATTEMPTS} 之间的整数（尝试次数）")),
    }
}

// ---- enroll ------------------------------------------------------------------------

/// The options of `enroll`.
pub struct EnrollArgs {
    /// `--server`.
    pub server: Option<String>,
    /// `--login`.
    pub login: Option<String>,
    /// `--password-stdin`.
    pub password_stdin: bool,
    /// `--code` (a code or a QR payload).
    pub code: Option<String>,
    /// `--device-name`.
    pub device_name: Option<String>,
}

/// A base URL without trailing slashes, refused unless it is http(s).
fn check_url(url: &str) -> Result<String, CliError> {
    let url = url.trim().trim_end_matches('/');
    let host = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    match host {
        Some(h) if !h.is_empty() && !h.contains(char::is_whitespace) => Ok(url.to_string()),
        _ => Err(CliError::refused(format!(
            "服务器地址“{url}”无效：应以 https:// 或 http:// 开头，例如 https://liuhen.example.gov.cn"
        ))),
    }
}

/// Turns terminal echo off or on (best effort, for typing a password).
fn set_echo(on: bool) {
    #[cfg(unix)]
    {
        let _ = std::process::Command::new("stty")
            .arg(if on { "echo" } else { "-echo" })
            .stdin(std::process::Stdio::inherit())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
    }
    #[cfg(not(unix))]
    let _ = on;
}

/// The password from the first line of standard input.
fn read_password() -> Result<String, CliError> {
    let stdin = std::io::stdin();
    let tty = stdin.is_terminal();
    if tty {
        eprint!("请输入密码：");
        set_echo(false);
    }
    let mut line = String::new();
    let read = stdin.lock().read_line(&mut line);
    if tty {
        set_echo(true);
        eprintln!();
    }
    read.map_err(|e| CliError::failed(format!("无法从标准输入读取密码：{}", io_reason(&e))))?;
    let password = line.trim_end_matches(['\r', '\n']);
    if password.is_empty() {
        return Err(CliError::refused(
            "未从标准输入读到密码：--password-stdin 读取标准输入的第一行，\
             例如 printf '%s\\n' \"$密码\" | liuhen-field enroll --server <地址> --login <登录名> --password-stdin",
        ));
    }
    Ok(password.to_string())
}

/// An enrollment failure: wrong credentials or a refused request exit 2, an
/// unreachable or failing server exits 1.
fn enroll_error(e: SyncError, url: &str) -> CliError {
    match e {
        SyncError::Transport(TransportError::Unauthorized { message, .. })
        | SyncError::Transport(TransportError::Rejected { message, .. }) => {
            CliError::refused(format!("登记未成功：{message}"))
        }
        SyncError::Core(c) => c.into(),
        e if e.is_retryable() => CliError::failed(format!(
            "登记未成功，无法连接服务器 {url}：{e}。请检查网络和服务器地址后重试"
        )),
        e => CliError::refused(format!("登记未成功：{e}")),
    }
}

/// `enroll`: registers this device with the server for an officer.
pub fn cmd_enroll(c: &mut Ctx, a: EnrollArgs) -> Result<(), CliError> {
    let (qr_server, credentials) = match (a.login, a.code) {
        (Some(login), None) => {
            let login = login.trim().to_string();
            if login.is_empty() {
                return Err(CliError::refused("登录名不能为空：请使用 --login <登录名>"));
            }
            if !a.password_stdin {
                return Err(CliError::refused(
                    "使用 --login 登记时须加 --password-stdin，从标准输入提供密码（密码不写在命令行上）",
                ));
            }
            let password = read_password()?;
            (None, Credentials::Password { login, password })
        }
        (None, Some(input)) => {
            let (server, code) = http::parse_enrollment(&input);
            if code.trim().is_empty() {
                return Err(CliError::refused(
                    "登记码为空：请使用 --code <登记码>，或二维码内容 liuhen://enroll?server=…&code=…",
                ));
            }
            let server = server.filter(|s| !s.is_empty());
            (server, Credentials::Code(code.trim().to_string()))
        }
        _ => {
            return Err(CliError::refused(format!(
                "请用以下方式之一登记：{ENROLL_HINT}"
            )));
        }
    };
    let url = match (a.server, qr_server) {
        (Some(given), Some(from_qr)) => {
            let (given, from_qr) = (check_url(&given)?, check_url(&from_qr)?);
            if given != from_qr {
                return Err(CliError::refused(format!(
                    "二维码中的服务器地址 {from_qr} 与 --server {given} 不一致：登记码只在签发它的服务器上有效"
                )));
            }
            given
        }
        (Some(url), None) | (None, Some(url)) => check_url(&url)?,
        (None, None) => {
            return Err(CliError::refused(
                "请用 --server <服务器地址> 指定服务器（使用二维码内容登记时可省略）",
            ));
        }
    };
    let device_name = a
        .device_name
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| DEFAULT_DEVICE_NAME.to_string());
    let user = http::enroll(&mut c.core, &url, credentials, &device_name)
        .map_err(|e| enroll_error(e, &url))?;
    let officer = EnrolledOfficer {
        id: user.id,
        name: user.name,
        role: user.role,
        officer_id: user.officer_id,
    };
    let saved = serde_json::to_vec(&officer)
        .map_err(|e| CliError::failed(format!("无法保存登记信息：{e}")))?;
    c.core.store().set_device_value(ENROLLED_USER_KEY, &saved)?;
    let device_id = c.core.device().device_id.clone();
    if c.json {
        return out_json(&json!({
            "enrolled": true,
            "server_url": url,
            "device_id": device_id,
            "device_name": device_name,
            "user": officer,
        }));
    }
    let number = officer
        .officer_id
        .as_deref()
        .map(|o| format!("（执法人员编号 {o}）"))
        .unwrap_or_default();
    out(&format!("执法人员：{}{number}", officer.name));
    out(&format!(
        "本设备已登记到服务器 {url}（设备编号 {device_id}，设备名称 {device_name}）"
    ));
    out("下一步：运行 sync 获取执法人员名录和检查任务");
    Ok(())
}

// ---- sync --------------------------------------------------------------------------

/// A duration for people: seconds, minutes, hours or days.
fn duration_text(secs: u64) -> String {
    match secs {
        0..60 => format!("{secs} 秒"),
        60..3600 => format!("{} 分钟", secs / 60),
        3600..86400 => format!("{} 小时 {} 分钟", secs / 3600, secs % 3600 / 60),
        _ => format!("{} 天 {} 小时", secs / 86400, secs % 86400 / 3600),
    }
}

/// The clock warning for a skew (device minus server, seconds), if it is large.
fn skew_warning(skew: i64) -> Option<String> {
    if skew.abs() <= SKEW_WARNING_SECS {
        return None;
    }
    let direction = if skew > 0 { "快" } else { "慢" };
    Some(format!(
        "注意：本设备时钟比服务器{direction} {}，请校准设备时间（服务器按时差校正证据采集时间，期限以服务器时间为准）",
        duration_text(skew.unsigned_abs())
    ))
}

/// A failed sync run. The records stay on the device in every case.
fn sync_error(e: SyncError, url: &str) -> CliError {
    match e {
        SyncError::Transport(TransportError::Unauthorized { message, .. }) => {
            CliError::refused(format!(
                "服务器不再接受本设备的授权：{message}\n请重新登记本设备：{ENROLL_HINT}\n\
                 本设备上的检查记录均已保留，重新登记后同步时会继续上传"
            ))
        }
        SyncError::Core(c) => c.into(),
        e if e.is_retryable() => CliError::failed(format!(
            "同步未完成（服务器 {url}）：{e}\n检查记录已保存在本设备上，将在下次同步时上传；\
             请稍后再运行 sync（或 sync --retry <次数>）"
        )),
        e => CliError::refused(format!(
            "同步被拒绝（服务器 {url}）：{e}\n检查记录已保存在本设备上，未丢失"
        )),
    }
}

/// A spinner on stderr (hidden when stderr is not a terminal).
fn spinner(msg: String) -> ProgressBar {
    let pb = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    pb.set_style(
        ProgressStyle::with_template("{spinner} {msg}（已用 {elapsed}）")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    pb.set_message(msg);
    pb.enable_steady_tick(Duration::from_millis(100));
    pb
}

/// `sync`: one sync run with the enrolled server, or up to `retry` attempts.
pub fn cmd_sync(c: &mut Ctx, retry: Option<u32>) -> Result<(), CliError> {
    let url = server_url(&c.core).unwrap_or_default();
    let client = http::client_for(&c.core)
        .map_err(|e| sync_error(e, &url))?
        .ok_or_else(|| {
            CliError::refused(format!(
                "本设备尚未登记到服务器，无法同步。请先登记：{ENROLL_HINT}"
            ))
        })?;
    let pb = spinner(format!("正在与服务器 {url} 同步"));
    let result = match retry {
        None => client.run(&mut c.core),
        Some(attempts) => {
            let backoff = Backoff {
                attempts,
                ..Backoff::default()
            };
            let mut next = 1;
            client.run_with_retry(&mut c.core, &backoff, |delay| {
                next += 1;
                let notice = format!(
                    "同步未成功（网络或服务器暂不可用），{}后进行第 {next} 次尝试（共 {attempts} 次）",
                    duration_text(delay.as_secs().max(1))
                );
                pb.suspend(|| eprintln!("{notice}"));
                pb.set_message(format!("等待重试（第 {next} 次，共 {attempts} 次）"));
                std::thread::sleep(delay);
                pb.set_message(format!("正在与服务器 {url} 同步（第 {next} 次尝试）"));
            })
        }
    };
    pb.finish_and_clear();
    let report = result.map_err(|e| sync_error(e, &url))?;
    let now = c.core.now();
    c.core
        .store()
        .set_device_value(LAST_SYNC_KEY, now.to_rfc3339().as_bytes())?;
    // Records refused in earlier runs wait for the officer; say so.
    let parked: Vec<(String, String, Option<String>)> = c
        .core
        .list_inspections(true)?
        .into_iter()
        .filter(|d| {
            d.sync_state == SyncState::NeedsAttention
                && !report.needs_attention.iter().any(|(id, _)| *id == d.id)
        })
        .map(|d| (d.id, d.target_name, d.sync_reason))
        .collect();
    if c.json {
        let pairs = |v: &[(String, String)]| {
            v.iter()
                .map(|(id, reason)| json!({ "id": id, "reason": reason }))
                .collect::<Vec<_>>()
        };
        return out_json(&json!({
            "server_url": url,
            "synced": report.synced,
            "received_new": report.received_new,
            "received_changes": report.received_changes,
            "needs_attention": pairs(&report.needs_attention),
            "still_pending": pairs(&report.still_pending),
            "complete": report.complete,
            "needs_attention_earlier": parked
                .iter()
                .map(|(id, _, reason)| json!({ "id": id, "reason": reason }))
                .collect::<Vec<_>>(),
            "blobs_uploaded": report.blobs_uploaded,
            "requests": report.requests,
            "rounds": report.rounds,
            "bytes_sent": report.bytes_sent,
            "bytes_received": report.bytes_received,
            "clock_skew_seconds": report.clock_skew_seconds,
            "clock_skew_warning": report
                .clock_skew_seconds
                .is_some_and(|s| s.abs() > SKEW_WARNING_SECS),
            "roster_updated": report.roster_updated,
            "drafts_synced": report.drafts_synced,
            "drafts_received": report.drafts_received,
            "drafts_refused": pairs(&report.drafts_refused),
            "drafts_pending": pairs(&report.drafts_pending),
        }));
    }
    print_report(c, &report, &url, &parked);
    Ok(())
}

/// "target（id）" of a record on the device, and what the supervisor said on it.
fn record_line(core: &mut Core, id: &str, with_review: bool) -> String {
    match core.inspection(id) {
        Ok(v) => {
            let mut s = format!("{}（{id}）", v.meta.target_name);
            if with_review {
                let r = &v.review;
                if !r.comments.is_empty() {
                    s.push_str(&format!("，审核意见 {} 条", r.comments.len()));
                }
                if let Some(d) = &r.decision {
                    s.push_str(&format!("，审核结论：{}", d.decision.label()));
                }
            }
            s
        }
        Err(_) => id.to_string(),
    }
}

fn print_report(
    c: &mut Ctx,
    r: &SyncReport,
    url: &str,
    parked: &[(String, String, Option<String>)],
) {
    let core = &mut c.core;
    out(&format!("同步完成（服务器 {url}）"));
    out(&format!("已同步记录：{} 条", r.synced.len()));
    out(&format!("收到新记录：{} 条", r.received_new.len()));
    for id in &r.received_new {
        out(&format!("  - {}", record_line(core, id, true)));
    }
    out(&format!(
        "收到更新：{} 条（如其他执法人员的修改、审核意见）",
        r.received_changes.len()
    ));
    for id in &r.received_changes {
        out(&format!("  - {}", record_line(core, id, true)));
    }
    if r.needs_attention.is_empty() {
        out("需处理：0 条");
    } else {
        out(&format!(
            "需处理：{} 条（服务器未接受，不会自动重试；记录仍保存在本设备上，请核实后联系审核人员）",
            r.needs_attention.len()
        ));
        for (id, reason) in &r.needs_attention {
            out(&format!("  - {}：{reason}", record_line(core, id, false)));
        }
    }
    if !r.still_pending.is_empty() {
        out(&format!(
            "尚未完成：{} 条（下次同步时继续）",
            r.still_pending.len()
        ));
        for (id, reason) in &r.still_pending {
            out(&format!("  - {}：{reason}", record_line(core, id, false)));
        }
    }
    if !r.complete {
        out("本次同步未全部完成（服务器上的记录仍在变化），请稍后再同步一次");
    }
    if !parked.is_empty() {
        out(&format!(
            "另有 {} 条记录此前未被服务器接受，仍需处理：",
            parked.len()
        ));
        for (id, target, reason) in parked {
            let reason = reason.as_deref().unwrap_or("（未说明原因）");
            out(&format!("  - {target}（{id}）：{reason}"));
        }
    }
    print_drafts(core, r);
    out(&format!("上传证据：{} 个", r.blobs_uploaded.len()));
    out(&format!(
        "往返请求：{} 次，发送 {}，接收 {}",
        r.requests,
        render::size_text(r.bytes_sent),
        render::size_text(r.bytes_received)
    ));
    if r.roster_updated {
        match core.store().roster() {
            Ok(Some(roster)) => out(&format!(
                "名录和任务：已更新（{}，执法人员 {} 名，检查对象 {} 个，任务 {} 项）",
                roster.agency.name,
                roster.officers.len(),
                roster.targets.len(),
                roster.tasks.len()
            )),
            _ => out("名录和任务：已更新"),
        }
    } else {
        out("名录和任务：无变化");
    }
    if let Some(w) = r.clock_skew_seconds.and_then(skew_warning) {
        out(&w);
    }
}

/// "title（id）" of a draft on the device.
fn draft_line(core: &Core, id: &str) -> String {
    match core.draft(id) {
        Ok(d) if !d.content.title.trim().is_empty() => format!("{}（{id}）", d.content.title),
        _ => id.to_string(),
    }
}

/// What the run did with the drafts of decisions (R-LEGAL-1).
fn print_drafts(core: &Core, r: &SyncReport) {
    if r.drafts_synced.is_empty()
        && r.drafts_received.is_empty()
        && r.drafts_refused.is_empty()
        && r.drafts_pending.is_empty()
    {
        return;
    }
    out(&format!("已同步决定草案：{} 份", r.drafts_synced.len()));
    if !r.drafts_received.is_empty() {
        out(&format!(
            "决定草案收到更新：{} 份（如在服务器上的修改）",
            r.drafts_received.len()
        ));
        for id in &r.drafts_received {
            out(&format!("  - {}", draft_line(core, id)));
        }
    }
    if !r.drafts_refused.is_empty() {
        out(&format!(
            "服务器未接受的决定草案：{} 份（修改仍保存在本设备上，请核实后处理）",
            r.drafts_refused.len()
        ));
        for (id, reason) in &r.drafts_refused {
            out(&format!("  - {}：{reason}", draft_line(core, id)));
        }
    }
    if !r.drafts_pending.is_empty() {
        out(&format!(
            "尚未提交的决定草案：{} 份（下次同步时继续）",
            r.drafts_pending.len()
        ));
        for (id, reason) in &r.drafts_pending {
            out(&format!("  - {}：{reason}", draft_line(core, id)));
        }
    }
}

// ---- status ------------------------------------------------------------------------

/// `status`: the enrollment, and the sync state of every record on the device.
pub fn cmd_status(c: &mut Ctx) -> Result<(), CliError> {
    let url = server_url(&c.core);
    let enrolled = http::client_for(&c.core)
        .map_err(|e| sync_error(e, url.as_deref().unwrap_or_default()))?
        .is_some();
    let officer = enrolled_officer(&c.core);
    let last = last_sync(&c.core);
    let list = c.core.list_inspections(false)?;
    if c.json {
        let records: Vec<_> = list
            .iter()
            .map(|d| {
                json!({
                    "id": d.id,
                    "target_name": d.target_name,
                    "task_id": d.task_id,
                    "status": d.status,
                    "sync_state": d.sync_state,
                    "sync_state_label": d.sync_state.label(),
                    "sync_reason": d.sync_reason,
                })
            })
            .collect();
        return out_json(&json!({
            "enrolled": enrolled,
            "server_url": if enrolled { url } else { None },
            "officer": if enrolled { officer } else { None },
            "device_id": c.core.device().device_id,
            "last_sync": last,
            "records": records,
        }));
    }
    if enrolled {
        let who = officer
            .map(|o| match o.officer_id {
                Some(id) => format!("，执法人员 {}（编号 {id}）", o.name),
                None => format!("，账号 {}", o.name),
            })
            .unwrap_or_default();
        out(&format!(
            "本设备已登记到服务器 {}{who}",
            url.as_deref().unwrap_or("（地址未知）")
        ));
        out(&match last {
            Some(t) => format!("上次同步：{}", local_text(t)),
            None => "上次同步：尚未同步".to_string(),
        });
    } else {
        out(&format!(
            "本设备尚未登记到服务器（记录只保存在本设备上）。登记：{ENROLL_HINT}"
        ));
    }
    if list.is_empty() {
        out("本设备上还没有检查记录");
        return Ok(());
    }
    let count = |s: SyncState| list.iter().filter(|d| d.sync_state == s).count();
    out(&format!(
        "检查记录 {} 条：已同步 {} 条，待同步 {} 条，需处理 {} 条",
        list.len(),
        count(SyncState::Synced),
        count(SyncState::Pending) + count(SyncState::Syncing),
        count(SyncState::NeedsAttention)
    ));
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|d| {
            vec![
                d.id.clone(),
                d.target_name.clone(),
                render::status_label(&d.status).to_string(),
                d.sync_state.label().to_string(),
                d.sync_reason
                    .clone()
                    .filter(|r| !r.is_empty())
                    .unwrap_or_else(|| "—".into()),
            ]
        })
        .collect();
    out(&render::table(
        &["检查编号", "检查对象", "状态", "同步状态", "原因"],
        &rows,
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_must_be_http() {
        assert_eq!(check_url("http://h:1/").unwrap(), "http://h:1");
        assert!(check_url("ftp://h").is_err());
        assert!(check_url("https://").is_err());
    }

    #[test]
    fn skew_warning_only_beyond_five_minutes() {
        assert!(skew_warning(300).is_none());
        assert!(skew_warning(-299).is_none());
        assert!(skew_warning(301).unwrap().contains("快"));
        assert!(skew_warning(-7200).unwrap().contains("慢 2 小时 0 分钟"));
    }
}
