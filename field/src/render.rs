//! Text the officer reads: tables (aligned for Chinese characters), labels and the
//! printed inspection record.

use std::collections::HashMap;
use std::fmt::Write as _;

use chrono::{DateTime, NaiveDate, Utc};
use liuhen_core::inspection::{Acknowledgement, EvidenceKind, Inspection, InspectionStep};
use liuhen_core::model::{CertificateStatus, Officer, RosterSnapshot, TargetKind, TaskSource};
use liuhen_core::time::local_text;

/// Terminal columns a character takes: 2 for CJK and full-width forms, else 1.
fn char_width(c: char) -> usize {
    let u = c as u32;
    let wide = matches!(u,
        0x1100..=0x115F
        | 0x2E80..=0x303E
        | 0x3041..=0x33FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x20000..=0x3FFFD);
    if wide {
        2
    } else if c.is_control() {
        0
    } else {
        1
    }
}

/// Terminal columns a string takes.
pub fn width(s: &str) -> usize {
    s.chars().map(char_width).sum()
}

/// A table with a header row; columns separated by two spaces, padded by display
/// width so Chinese text lines up.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| width(h)).collect();
    for r in rows {
        for (i, cell) in r.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(width(cell));
            }
        }
    }
    let mut out = String::new();
    let mut line = |cells: Vec<&str>| {
        let mut l = String::new();
        let last = cells.len().saturating_sub(1);
        for (i, c) in cells.iter().enumerate() {
            l.push_str(c);
            if i < last {
                let pad = widths.get(i).copied().unwrap_or(0).saturating_sub(width(c));
                l.push_str(&" ".repeat(pad + 2));
            }
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(headers.to_vec());
    line(
        widths
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .iter()
            .map(|s| s.as_str())
            .collect(),
    );
    for r in rows {
        line(r.iter().map(|s| s.as_str()).collect());
    }
    out
}

/// A byte count for people.
pub fn size_text(bytes: u64) -> String {
    const KIB: f64 = 1024.0;
    let b = bytes as f64;
    if bytes < 1024 {
        format!("{bytes} 字节")
    } else if b < KIB * KIB {
        format!("{:.1} KiB", b / KIB)
    } else if b < KIB * KIB * KIB {
        format!("{:.1} MiB", b / KIB / KIB)
    } else {
        format!("{:.2} GiB", b / KIB / KIB / KIB)
    }
}

/// Chinese name of an inspection step.
pub fn step_label(s: InspectionStep) -> &'static str {
    match s {
        InspectionStep::IdentityNotice => "亮证告知",
        InspectionStep::Findings => "检查情况",
        InspectionStep::RightsNotice => "权利告知",
        InspectionStep::Amendment => "更正",
    }
}

/// Chinese name of a device-log action.
pub fn action_label(action: &str) -> &str {
    match action {
        "open" => "开始检查",
        "check_in" => "签到",
        "evidence" => "采集证据",
        "identity_notice" => "亮证告知",
        "finding" => "记录检查发现",
        "edit_finding" => "修改检查发现",
        "rights_notice" => "权利告知",
        "close" => "结束检查",
        "amendment" => "更正",
        "roster_refresh" => "更新名录",
        "merge" => "合并其他设备的记录",
        "merge_new" => "导入其他设备的记录",
        "migrate" => "升级记录格式",
        "access_original" => "查看原件",
        "export_case" => "导出案卷",
        "draft_create" => "起草决定草案",
        "draft_edit" => "修改决定草案",
        other => other,
    }
}

/// Chinese label of a stored status text (`open` / `closed`).
pub fn status_label(status: &str) -> &str {
    match status {
        "open" => "进行中",
        "closed" => "已结束",
        other => other,
    }
}

/// Chinese label of a target's legal form.
pub fn target_kind_label(k: TargetKind) -> &'static str {
    match k {
        TargetKind::Organisation => "单位",
        TargetKind::IndividualBusiness => "个体工商户",
        TargetKind::NaturalPerson => "自然人",
    }
}

/// Chinese label of a task's source.
pub fn task_source_label(s: TaskSource) -> &'static str {
    match s {
        TaskSource::Draw => "双随机抽取",
        TaskSource::Assigned => "指派",
    }
}

/// The certificate status as of `today`: the roster status, or whether an active
/// certificate is outside its dates.
pub fn certificate_state(o: &Officer, today: NaiveDate) -> String {
    match o.status {
        CertificateStatus::Active if today > o.valid_until => "已过期".to_string(),
        CertificateStatus::Active if today < o.valid_from => "未生效".to_string(),
        s => s.label().to_string(),
    }
}

/// The first 12 characters of a hash, for lists.
pub fn short(h: &str) -> &str {
    h.get(..12).unwrap_or(h)
}

/// Officer names by id, from the record's team and the roster.
pub fn names(i: Option<&Inspection>, roster: Option<&RosterSnapshot>) -> HashMap<String, String> {
    let mut m = HashMap::new();
    if let Some(r) = roster {
        for o in &r.officers {
            m.insert(o.id.clone(), o.name.clone());
        }
    }
    if let Some(i) = i {
        for t in &i.team {
            m.insert(t.officer_id.clone(), t.name.clone());
        }
    }
    m
}

fn who<'a>(names: &'a HashMap<String, String>, id: &'a str) -> &'a str {
    names.get(id).map(|s| s.as_str()).unwrap_or(id)
}

fn when(t: DateTime<Utc>) -> String {
    local_text(t)
}

/// The inspection record as readable Chinese text.
pub fn inspection_text(i: &Inspection, roster: Option<&RosterSnapshot>) -> String {
    let names = names(Some(i), roster);
    let m = &i.meta;
    let mut s = String::new();
    let _ = writeln!(s, "现场检查记录 {}", m.id);
    let status = match &i.closure {
        Some(c) => format!(
            "已结束（{}，{} 结束）",
            when(c.closed_at),
            who(&names, &c.closed_by)
        ),
        None => "进行中".to_string(),
    };
    let _ = writeln!(s, "状态：{status}");
    let _ = writeln!(s, "执法主体：{}", m.agency_name);
    let code = match &m.target_credit_code {
        Some(c) => format!("，统一社会信用代码 {c}"),
        None if m.target_is_natural_person => "，自然人".to_string(),
        None => String::new(),
    };
    let _ = writeln!(s, "检查对象：{}{code}", m.target_name);
    let _ = writeln!(
        s,
        "检查地点：{}（区划 {}）",
        m.target_address, m.target_area
    );
    let _ = writeln!(
        s,
        "检查事项：{}（事项编码 {}，执法类别 {}）",
        m.item_name, m.item_code, m.category
    );
    let source = match &m.task_id {
        Some(t) => format!("检查任务 {t}"),
        None => "现场发起（无任务）".to_string(),
    };
    let _ = writeln!(s, "检查来源：{source}");
    let _ = writeln!(
        s,
        "开始时间：{}，由 {} 开始",
        when(m.opened_at),
        who(&names, &m.opened_by)
    );

    let _ = writeln!(s, "\n执法人员：");
    if i.team.is_empty() {
        let _ = writeln!(s, "  （尚无执法人员签到）");
    }
    for t in &i.team {
        let _ = writeln!(
            s,
            "  - {}（编号 {}，证号 {}，有效期至 {}），{} 签到",
            t.name,
            t.officer_id,
            t.certificate_no,
            t.certificate_valid_until,
            when(t.checked_in_at)
        );
    }

    let _ = writeln!(s, "\n亮证告知：");
    match &i.identity_notice {
        None => {
            let _ = writeln!(s, "  （尚未记录）");
        }
        Some(n) => {
            let _ = writeln!(s, "  {}，{}", when(n.given_at), who(&names, &n.given_by));
            let _ = writeln!(s, "  告知用语：{}", n.statement);
            let _ = writeln!(s, "  录音录像：{}", n.recording_sha256);
        }
    }

    let _ = writeln!(s, "\n检查情况：");
    if i.findings.is_empty() {
        let _ = writeln!(s, "  （尚无检查发现）");
    }
    for (n, f) in i.findings.iter().enumerate() {
        let _ = writeln!(s, "  {}. {}", n + 1, f.text);
        let _ = writeln!(
            s,
            "     —— {}，{}（编号 {}）",
            who(&names, &f.author),
            when(f.at),
            f.id
        );
        for e in &f.evidence {
            let kind = i
                .evidence_by_hash(e)
                .map(|r| r.kind.label())
                .unwrap_or("（记录中没有此证据）");
            let _ = writeln!(s, "     证据：{kind} {e}");
        }
    }

    let _ = writeln!(s, "\n证据：");
    if i.evidence.is_empty() {
        let _ = writeln!(s, "  （尚无证据）");
    }
    for (n, e) in i.evidence.iter().enumerate() {
        let place = match (e.lat, e.lon) {
            (Some(lat), Some(lon)) => format!("，位置 {lat:.6},{lon:.6}"),
            _ => String::new(),
        };
        let _ = writeln!(
            s,
            "  {}. {}（{}，{}，{}），{} 由 {} 采集{place}",
            n + 1,
            e.kind.label(),
            step_label(e.step),
            e.media_type,
            size_text(e.size_bytes),
            when(e.captured_at),
            who(&names, &e.captured_by)
        );
        let _ = writeln!(s, "     SHA-256 {}", e.sha256);
    }

    let _ = writeln!(s, "\n权利告知：");
    match &i.rights_notice {
        None => {
            let _ = writeln!(s, "  （尚未记录）");
        }
        Some(r) => {
            let _ = writeln!(
                s,
                "  {}，{}，告知书版本 {}",
                when(r.given_at),
                who(&names, &r.given_by),
                r.notice_version
            );
            let _ = writeln!(s, "  救济途径：{}", r.remedy_channels.join("；"));
            match &r.acknowledgement {
                Acknowledgement::Signed {
                    signer_name,
                    signature_sha256,
                } => {
                    let _ = writeln!(s, "  当事人签字：{signer_name}（签名 {signature_sha256}）");
                }
                Acknowledgement::Refused {
                    witness_name,
                    reason,
                } => {
                    let reason = if reason.trim().is_empty() {
                        String::new()
                    } else {
                        format!("，理由：{reason}")
                    };
                    let _ = writeln!(s, "  当事人拒绝签字，见证人：{witness_name}{reason}");
                }
            }
        }
    }

    if !i.amendments.is_empty() {
        let _ = writeln!(s, "\n更正：");
        for (n, a) in i.amendments.iter().enumerate() {
            let _ = writeln!(
                s,
                "  {}. 更正 {}：{}",
                n + 1,
                amends_label(i, &a.amends),
                a.text
            );
            let _ = writeln!(
                s,
                "     —— {}，{}（编号 {}）",
                who(&names, &a.author),
                when(a.at),
                a.id
            );
            for e in &a.evidence {
                let _ = writeln!(s, "     证据：{e}");
            }
        }
    }

    review_text(&mut s, i);

    if !i.conflicts.is_empty() {
        let _ = writeln!(s, "\n并发修改（合并后保留全部取值，请核实）：");
        for c in &i.conflicts {
            let values: Vec<&str> = c
                .values
                .iter()
                .map(|v| {
                    if v.is_empty() {
                        "（空）"
                    } else {
                        v.as_str()
                    }
                })
                .collect();
            let _ = writeln!(s, "  字段 {} 有并发修改：{}", c.path, values.join(" / "));
        }
    }
    s
}

/// The supervisor's review (written on the server, received by sync): the decision
/// and every comment with its author and time (China time).
fn review_text(s: &mut String, i: &Inspection) {
    let r = &i.review;
    let _ = writeln!(s, "\n审核意见：");
    if r.decision.is_none() && r.comments.is_empty() {
        let _ = writeln!(s, "  （尚无审核意见）");
        return;
    }
    if let Some(d) = &r.decision {
        let _ = writeln!(
            s,
            "  审核结论：{}（{}，{}）",
            d.decision.label(),
            name_or_id(&d.decided_by_name, &d.decided_by),
            when(d.decided_at)
        );
    }
    for (n, c) in r.comments.iter().enumerate() {
        let about = c
            .item
            .as_deref()
            .filter(|item| !item.is_empty())
            .map(|item| format!("（关于{}）", amends_label(i, item)))
            .unwrap_or_default();
        let _ = writeln!(s, "  {}. {}{about}", n + 1, c.text);
        let _ = writeln!(
            s,
            "     —— {}，{}",
            name_or_id(&c.author_name, &c.author_id),
            when(c.at)
        );
    }
}

fn name_or_id<'a>(name: &'a str, id: &'a str) -> &'a str {
    if name.trim().is_empty() { id } else { name }
}

/// What an amendment points at, in words.
fn amends_label(i: &Inspection, amends: &str) -> String {
    match amends.split_once(':') {
        Some(("finding", id)) => match i.findings.iter().position(|f| f.id == id) {
            Some(n) => format!("检查情况第 {} 条", n + 1),
            None => format!("检查发现 {id}"),
        },
        Some(("amendment", id)) => match i.amendments.iter().position(|a| a.id == id) {
            Some(n) => format!("更正第 {} 条", n + 1),
            None => format!("更正 {id}"),
        },
        _ => match amends {
            "identity_notice" => "亮证告知".to_string(),
            "rights_notice" => "权利告知".to_string(),
            "meta" => "检查基本信息".to_string(),
            "team" => "执法人员".to_string(),
            other => other.to_string(),
        },
    }
}

/// Whether a media type fits the evidence kind (only used for a warning).
pub fn media_fits(kind: EvidenceKind, media_type: &str) -> bool {
    match kind {
        EvidenceKind::Photo | EvidenceKind::Signature => media_type.starts_with("image/"),
        EvidenceKind::Audio => media_type.starts_with("audio/"),
        EvidenceKind::Video => media_type.starts_with("video/"),
        EvidenceKind::Document => true,
    }
}

/// The media type for a file name's extension.
pub fn guess_media_type(path: &std::path::Path) -> &'static str {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "heic" => "image/heic",
        "heif" => "image/heif",
        "webp" => "image/webp",
        "gif" => "image/gif",
        "bmp" => "image/bmp",
        "tif" | "tiff" => "image/tiff",
        "wav" => "audio/wav",
        "mp3" => "audio/mpeg",
        "m4a" => "audio/mp4",
        "aac" => "audio/aac",
        "amr" => "audio/amr",
        "ogg" | "oga" => "audio/ogg",
        "opus" => "audio/opus",
        "flac" => "audio/flac",
        "mp4" | "m4v" => "video/mp4",
        "mov" => "video/quicktime",
        "3gp" => "video/3gpp",
        "avi" => "video/x-msvideo",
        "mkv" => "video/x-matroska",
        "webm" => "video/webm",
        "pdf" => "application/pdf",
        "ofd" => "application/ofd",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "txt" => "text/plain",
        "json" => "application/json",
        "xml" => "application/xml",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_text_counts_double() {
        assert_eq!(width("abc"), 3);
        assert_eq!(width("姓名"), 4);
        assert_eq!(width("证号：1"), 7);
    }

    #[test]
    fn table_aligns_by_display_width() {
        let t = table(
            &["姓名", "证号"],
            &[
                vec!["李明".into(), "1".into()],
                vec!["Li".into(), "22".into()],
            ],
        );
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines[0], "姓名  证号");
        assert_eq!(lines[2], "李明  1");
        assert_eq!(lines[3], "Li    22");
    }
}
