//! The `draft` commands: draft a proposed administrative decision (决定草案,
//! R-LEGAL-1) on the device, offline, from a JSON file of its content; edit it from
//! what the officer sees now; show and list the drafts with their sync state; print
//! an empty skeleton to fill in. Drafts go to the server with the normal `sync`.

use std::io::Read as _;
use std::path::Path;

use clap::Subcommand;
use liuhen_core::drafting::DeviceDraft;
use liuhen_core::legal::{DecisionKind, DraftContent};
use liuhen_core::time::local_text;
use serde_json::json;

use crate::error::{CliError, io_reason};
use crate::{Ctx, out, out_json, render, serde_message};

/// Longest content file read (bytes); every text field is limited anyway.
const MAX_CONTENT_BYTES: u64 = 4 * 1024 * 1024;

#[derive(Debug, Subcommand)]
pub enum DraftAction {
    /// 起草决定草案：从 JSON 文件读取草案内容，最后一行输出草案编号 (new draft from a JSON file)
    New {
        /// 草案内容 JSON 文件，“-” 表示标准输入（可用 draft template 生成）(content file, - for stdin)
        #[arg(long, value_name = "FILE")]
        file: String,
    },
    /// 修改决定草案：只写入改动的字段 (edit a draft)
    Edit {
        /// 草案编号 (draft id)
        #[arg(value_name = "ID")]
        id: String,
        /// 草案内容 JSON 文件，“-” 表示标准输入 (content file, - for stdin)
        #[arg(long, value_name = "FILE")]
        file: String,
        /// 修改所依据的版本（draft show 显示的版本标识，逗号分隔），默认为当前版本 (base heads)
        #[arg(long, value_name = "H1,H2", value_delimiter = ',')]
        base_heads: Option<Vec<String>>,
    },
    /// 显示决定草案的内容、版本、冲突和同步状态 (show a draft)
    Show {
        /// 草案编号 (draft id)
        #[arg(value_name = "ID")]
        id: String,
    },
    /// 列出本设备上的决定草案 (list drafts)
    List,
    /// 输出空白草案内容 JSON，填写后用于 draft new (print an empty content skeleton)
    Template {
        /// 决定类别 (decision kind)
        #[arg(long, value_name = "KIND", default_value = "penalty", value_parser = parse_kind)]
        kind: DecisionKind,
    },
}

/// Parses a decision kind by its stable text.
fn parse_kind(s: &str) -> Result<DecisionKind, String> {
    DecisionKind::parse(s.trim()).ok_or_else(|| {
        let valid: Vec<String> = DecisionKind::ALL
            .iter()
            .map(|k| format!("{}（{}）", k.as_str(), k.label()))
            .collect();
        format!("可选：{}", valid.join("、"))
    })
}

/// Runs one `draft` command.
pub fn run(c: &mut Ctx, action: DraftAction) -> Result<(), CliError> {
    match action {
        DraftAction::New { file } => cmd_new(c, &file),
        DraftAction::Edit {
            id,
            file,
            base_heads,
        } => cmd_edit(c, &id, &file, base_heads),
        DraftAction::Show { id } => cmd_show(c, &id),
        DraftAction::List => cmd_list(c),
        DraftAction::Template { kind } => template(kind),
    }
}

/// `draft template` (needs no data directory): always JSON, to be filled in.
pub fn template(kind: DecisionKind) -> Result<(), CliError> {
    out_json(&DraftContent::empty(kind))
}

/// Reads a draft's content from a JSON file or standard input (`-`).
fn read_content(file: &str) -> Result<DraftContent, CliError> {
    let (shown, bytes) = if file == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .take(MAX_CONTENT_BYTES + 1)
            .read_to_end(&mut buf)
            .map_err(|e| {
                CliError::refused(format!("无法从标准输入读取草案内容：{}", io_reason(&e)))
            })?;
        ("（标准输入）".to_string(), buf)
    } else {
        let path = Path::new(file);
        let shown = path.display().to_string();
        let f = std::fs::File::open(path).map_err(|e| {
            CliError::refused(format!("无法读取草案内容文件 {shown}：{}", io_reason(&e)))
        })?;
        let mut buf = Vec::new();
        f.take(MAX_CONTENT_BYTES + 1)
            .read_to_end(&mut buf)
            .map_err(|e| {
                CliError::refused(format!("无法读取草案内容文件 {shown}：{}", io_reason(&e)))
            })?;
        (shown, buf)
    };
    if bytes.len() as u64 > MAX_CONTENT_BYTES {
        return Err(CliError::refused(format!(
            "草案内容 {shown} 过大（超过 {}）",
            render::size_text(MAX_CONTENT_BYTES)
        )));
    }
    let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
        let what = match e.classify() {
            serde_json::error::Category::Eof => "内容不完整（提前结束）",
            serde_json::error::Category::Io => "读取失败",
            _ => "不是有效的 JSON",
        };
        CliError::refused(format!(
            "草案内容 {shown} {what}（第 {} 行第 {} 列）；可用 draft template 生成空白草案",
            e.line(),
            e.column()
        ))
    })?;
    serde_json::from_value::<DraftContent>(value).map_err(|e| {
        CliError::refused(format!(
            "草案内容 {shown} 有误：{}；可用 draft template 生成空白草案",
            serde_message(&e)
        ))
    })
}

/// The Chinese message of a draft the core refused, naming the file.
fn refused_in(file: &str, e: liuhen_core::CoreError) -> CliError {
    match e {
        liuhen_core::CoreError::DraftInvalid(inner) => {
            let shown = if file == "-" {
                "（标准输入）"
            } else {
                file
            };
            CliError::refused(format!("草案内容 {shown} 有误：{inner}"))
        }
        other => other.into(),
    }
}

fn cmd_new(c: &mut Ctx, file: &str) -> Result<(), CliError> {
    let content = read_content(file)?;
    let by = c.officer()?;
    let id = c
        .core
        .create_draft(&by, &content)
        .map_err(|e| refused_in(file, e))?;
    if c.json {
        return out_json(&json!({ "draft_id": id }));
    }
    let title = if content.title.trim().is_empty() {
        "（未填写标题）"
    } else {
        content.title.as_str()
    };
    out(&format!(
        "已起草决定草案：{title}（{}），将在下次同步时提交服务器",
        content.kind.label()
    ));
    out(&id);
    Ok(())
}

fn cmd_edit(
    c: &mut Ctx,
    id: &str,
    file: &str,
    base_heads: Option<Vec<String>>,
) -> Result<(), CliError> {
    let content = read_content(file)?;
    let by = c.officer()?;
    let base = match base_heads {
        Some(h) => h
            .into_iter()
            .map(|h| h.trim().to_string())
            .filter(|h| !h.is_empty())
            .collect(),
        None => c.core.draft(id)?.heads,
    };
    let changed = c
        .core
        .edit_draft(id, &by, &base, &content)
        .map_err(|e| refused_in(file, e))?;
    if c.json {
        return out_json(&json!({ "draft_id": id, "changed": changed }));
    }
    out(if changed { "已修改" } else { "无改动" });
    Ok(())
}

fn sync_json(d: &liuhen_core::drafting::DraftSync) -> serde_json::Value {
    json!({
        "state": match d.state {
            liuhen_core::drafting::DraftSyncState::Pending => "pending",
            liuhen_core::drafting::DraftSyncState::Synced => "synced",
            liuhen_core::drafting::DraftSyncState::Refused => "refused",
        },
        "label": d.state.label(),
        "server_status": d.server_status,
        "server_label": d.server_label,
        "refused": d.refused,
    })
}

fn draft_json(d: &DeviceDraft) -> serde_json::Value {
    json!({
        "id": d.id,
        "agency_id": d.meta.agency_id,
        "created_by": d.meta.created_by,
        "created_at": d.meta.created_at,
        "updated_at": d.updated_at,
        "content": d.content,
        "heads": d.heads,
        "conflicts": d
            .conflicts
            .iter()
            .map(|k| json!({ "field": k.field, "values": k.values }))
            .collect::<Vec<_>>(),
        "sync": sync_json(&d.sync),
    })
}

/// A yes/no flag for people.
fn yes(b: bool) -> &'static str {
    if b { "是" } else { "否" }
}

/// A text field, or 未填写.
fn filled(s: &str) -> &str {
    if s.trim().is_empty() {
        "（未填写）"
    } else {
        s
    }
}

/// Fen as yuan, e.g. 12345.60 元 (amounts are positive).
fn yuan(fen: i64) -> String {
    format!("{}.{:02} 元", fen / 100, (fen % 100).abs())
}

fn draft_text(d: &DeviceDraft) -> String {
    let k = &d.content;
    let mut lines = vec![
        format!("决定草案：{}", filled(&k.title)),
        format!("草案编号：{}", d.id),
        format!("决定类别：{}", k.kind.label()),
        format!("执法类别：{}", filled(&k.category)),
        format!(
            "当事人：{}（{}）",
            filled(&k.party_name),
            k.party_kind.label()
        ),
        format!("当事人证照号码：{}", filled(&k.party_code)),
        format!("法律依据：{}", filled(&k.legal_basis)),
        format!("认定事实：{}", filled(&k.facts)),
        format!("裁量基准：{}", filled(&k.discretion)),
        format!("决定内容：{}", filled(&k.conclusion)),
        format!(
            "罚款金额：{}",
            k.fine_fen.map_or_else(|| "无".to_string(), yuan)
        ),
        format!(
            "吊销许可证照：{}；责令停产停业或关闭：{}；重大强制或征收：{}；已举行听证：{}",
            yes(k.revocation),
            yes(k.suspension),
            yes(k.major_coercion),
            yes(k.hearing_held)
        ),
        format!(
            "涉嫌犯罪：{}；涉及重大公共利益：{}；可能引发社会风险：{}；案情复杂：{}",
            yes(k.crime_suspected),
            yes(k.public_interest),
            yes(k.social_risk),
            yes(k.complex)
        ),
        format!("不予公开的内容：{}", filled(&k.confidential)),
    ];
    if k.inspection_ids.is_empty() {
        lines.push("关联检查：无".into());
    } else {
        lines.push(format!("关联检查：{}", k.inspection_ids.join("、")));
    }
    if k.evidence.is_empty() {
        lines.push("关联证据：无".into());
    } else {
        lines.push(format!("关联证据：{} 项", k.evidence.len()));
        for e in &k.evidence {
            lines.push(format!(
                "  - {}（检查 {}）{}",
                render::short(&e.sha256),
                e.inspection_id,
                if e.note.is_empty() {
                    String::new()
                } else {
                    format!("：{}", e.note)
                }
            ));
        }
    }
    lines.push(format!(
        "起草人账号：{}，起草时间：{}",
        d.meta.created_by,
        local_text(d.meta.created_at)
    ));
    lines.push(format!("最后修改：{}", local_text(d.updated_at)));
    lines.push(format!("当前版本：{}", d.heads.join(",")));
    if d.conflicts.is_empty() {
        lines.push("修改冲突：无".into());
    } else {
        lines.push(format!(
            "修改冲突：{} 个字段被同时改为不同内容（均已保留，显示第一个；请核对后修改）",
            d.conflicts.len()
        ));
        for k in &d.conflicts {
            lines.push(format!("  - {}：{}", k.field, k.values.join(" | ")));
        }
    }
    lines.push(format!("同步状态：{}", d.sync.state.label()));
    if let Some(r) = &d.sync.refused {
        lines.push(format!("服务器拒绝原因：{r}（修改仍保存在本设备上）"));
    }
    lines.push(format!(
        "服务器办理状态：{}",
        server_status_text(&d.sync.server_label, &d.sync.server_status)
    ));
    lines.join("\n")
}

fn server_status_text(label: &Option<String>, status: &Option<String>) -> String {
    match (label, status) {
        (Some(l), _) if !l.is_empty() => l.clone(),
        (_, Some(s)) if !s.is_empty() => s.clone(),
        _ => "尚未提交服务器".to_string(),
    }
}

fn cmd_show(c: &mut Ctx, id: &str) -> Result<(), CliError> {
    let d = c.core.draft(id)?;
    if c.json {
        return out_json(&draft_json(&d));
    }
    out(&draft_text(&d));
    Ok(())
}

fn cmd_list(c: &mut Ctx) -> Result<(), CliError> {
    let list = c.core.drafts()?;
    if c.json {
        let v: Vec<serde_json::Value> = list
            .iter()
            .map(|d| {
                json!({
                    "id": d.id,
                    "title": d.title,
                    "sync": sync_json(&d.sync),
                    "updated_at": d.updated_at,
                })
            })
            .collect();
        return out_json(&v);
    }
    if list.is_empty() {
        out("本设备上还没有决定草案（可用 draft template 生成空白草案，再用 draft new 起草）");
        return Ok(());
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|d| {
            let sync = match &d.sync.refused {
                Some(r) if !r.is_empty() => format!("{}（{r}）", d.sync.state.label()),
                _ => d.sync.state.label().to_string(),
            };
            vec![
                d.id.clone(),
                filled(&d.title).to_string(),
                sync,
                server_status_text(&d.sync.server_label, &d.sync.server_status),
                local_text(d.updated_at),
            ]
        })
        .collect();
    out(&render::table(
        &["草案编号", "标题", "同步状态", "服务器办理状态", "最后修改"],
        &rows,
    ));
    Ok(())
}
