//! Document size report (not a timed benchmark): runs one typical full inspection
//! lifecycle through `Core` in a temp dir and prints, for that inspection, the
//! automerge document size (compact full save, and the incremental chunks the store
//! holds before compaction) against plain JSON of the same data.
//!
//! Lifecycle: open for a task, two officers check in, identity notice with an audio
//! recording, 6 photos, 5 findings (some citing photos), rights notice signed (with a
//! signature image), close, one amendment.
//!
//! Run: `cargo bench -p liuhen-benches --no-default-features --bench doc_size`

#[path = "../../core/tests/common/mod.rs"]
mod common;

use std::error::Error;
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use liuhen_core::Core;
use liuhen_core::api::{CaptureInput, RightsNoticeInput};
use liuhen_core::inspection::{Acknowledgement, EvidenceKind, InspectionStep};
use liuhen_core::model::{
    Agency, CertificateStatus, CheckItem, CreditCode, Officer, RosterSnapshot, Target, TargetKind,
    Task, TaskSource, TaskStatus,
};
use liuhen_core::time::FixedClock;

type Res<T> = Result<T, Box<dyn Error>>;

/// 2026-11-20 09:00 Beijing time; the certificates are valid then.
fn start_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 1, 0, 0).unwrap()
}

fn officer(id: &str, name: &str, cert: &str) -> Officer {
    Officer {
        id: id.into(),
        agency_id: "qy-sthj".into(),
        name: name.into(),
        unit: "执法监察支队".into(),
        post: "执法人员".into(),
        certificate_no: cert.into(),
        categories: vec!["生态环境".into()],
        areas: vec!["441800".into()],
        valid_from: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
        valid_until: NaiveDate::from_ymd_opt(2027, 12, 31).unwrap(),
        status: CertificateStatus::Active,
    }
}

fn roster() -> Res<RosterSnapshot> {
    let body = "91441800MA4UJ0E1X";
    let check = CreditCode::check_char(body).ok_or("credit code body")?;
    Ok(RosterSnapshot {
        agency: Agency {
            id: "qy-sthj".into(),
            name: "清远市生态环境局".into(),
            region_code: "441800".into(),
            rights_notice: None,
        },
        officers: vec![
            officer("o1", "张伟", "44180020001"),
            officer("o2", "李娜", "44180020002"),
        ],
        targets: vec![Target {
            id: "t1".into(),
            agency_id: "qy-sthj".into(),
            name: "清远市某化工有限公司".into(),
            kind: TargetKind::Organisation,
            credit_code: Some(CreditCode::parse(&format!("{body}{check}"))?),
            address: "清远市清城区工业大道 1 号".into(),
            category: "生态环境".into(),
            area: "441802".into(),
            location: None,
        }],
        tasks: vec![Task {
            id: "task-1".into(),
            agency_id: "qy-sthj".into(),
            target_id: "t1".into(),
            item: CheckItem {
                code: "HB-01".into(),
                name: "排污许可执行情况检查".into(),
                legal_basis: "《排污许可管理条例》第二十五条".into(),
            },
            category: "生态环境".into(),
            officer_ids: vec!["o1".into(), "o2".into()],
            due_date: NaiveDate::from_ymd_opt(2026, 12, 15).unwrap(),
            source: TaskSource::Draw,
            status: TaskStatus::Open,
            note: None,
        }],
    })
}

/// Moves the core's clock `minutes` past the start.
fn at(core: &mut Core, minutes: i64) {
    core.set_clock(Arc::new(FixedClock(
        start_time() + Duration::minutes(minutes),
    )));
}

/// Writes a small evidence file and captures it; returns its SHA-256.
fn capture(
    core: &mut Core,
    dir: &Path,
    id: &str,
    name: &str,
    kind: EvidenceKind,
    step: InspectionStep,
    by: &str,
) -> Res<String> {
    let path = dir.join(name);
    // Real media (valid JPEG/PNG/WAV) so that ingest accepts it, as on a phone.
    std::fs::write(&path, common::media_bytes(name, name.as_bytes()))?;
    let media_type = match kind {
        EvidenceKind::Audio => "audio/wav",
        EvidenceKind::Photo => "image/jpeg",
        EvidenceKind::Signature => "image/png",
        EvidenceKind::Video => "video/mp4",
        EvidenceKind::Document => "application/pdf",
    };
    let r = core.capture_evidence(
        id,
        &path,
        CaptureInput {
            kind,
            media_type: media_type.into(),
            step,
            location: Some(liuhen_core::inspection::CaptureLocation {
                lat: 23.6817,
                lon: 113.0562,
                accuracy_m: 8.0,
                fixed_at: core.now(),
            }),
        },
        by,
    )?;
    Ok(r.reference.sha256)
}

const FINDINGS: [&str; 5] = [
    "企业持有有效排污许可证（证书编号 91441800MA4UJ0E1XY001P），许可排放口 3 个，与现场一致。",
    "1 号废水总排口标识牌完整，在线监测设备运行正常，现场查阅近三个月数据未见超标。",
    "危险废物贮存间防渗、防流失措施到位，但十月份危废台账缺少两次出库记录。",
    "2 号废气排放口旁路阀门处于关闭状态，已加铅封，铅封编号与台账记录一致。",
    "企业环境应急预案已于 2025 年备案，现场抽问值班人员，能说明应急处置流程。",
];

fn lifecycle(core: &mut Core, files: &Path) -> Res<String> {
    core.load_roster(roster()?, "o1")?;
    at(core, 0);
    let id = core.open_for_task("task-1", "o1")?;
    core.check_in(&id, "o1")?;
    at(core, 1);
    core.check_in(&id, "o2")?;

    at(core, 2);
    let audio = capture(
        core,
        files,
        &id,
        "notice.wav",
        EvidenceKind::Audio,
        InspectionStep::IdentityNotice,
        "o1",
    )?;
    core.record_identity_notice(&id, None, &audio, "o1")?;

    let mut photos = vec![];
    for n in 0..6 {
        at(core, 5 + 3 * n);
        photos.push(capture(
            core,
            files,
            &id,
            &format!("photo-{n}.jpg"),
            EvidenceKind::Photo,
            InspectionStep::Findings,
            if n % 2 == 0 { "o1" } else { "o2" },
        )?);
    }
    for (n, text) in FINDINGS.iter().enumerate() {
        at(core, 25 + 2 * n as i64);
        // Findings 0-2 cite two photos each; 3-4 cite none.
        let evidence = photos.get(2 * n..2 * n + 2).unwrap_or(&[]).to_vec();
        core.add_finding(&id, text, evidence, if n % 2 == 0 { "o1" } else { "o2" })?;
    }

    at(core, 40);
    let signature = capture(
        core,
        files,
        &id,
        "signature.png",
        EvidenceKind::Signature,
        InspectionStep::RightsNotice,
        "o1",
    )?;
    core.record_rights_notice(
        &id,
        RightsNoticeInput {
            notice_version: "2026-01".into(),
            remedy_channels: vec![
                "自收到决定之日起六十日内向清远市人民政府申请行政复议".into(),
                "自收到决定之日起六个月内向人民法院提起行政诉讼".into(),
            ],
            acknowledgement: Acknowledgement::Signed {
                signer_name: "刘经理".into(),
                signature_sha256: signature,
            },
        },
        "o1",
    )?;
    at(core, 45);
    core.close(&id, "o1")?;

    at(core, 24 * 60);
    let ledger_finding = core.inspection(&id)?.findings[2].id.clone();
    core.amend(
        &id,
        &format!("finding:{ledger_finding}"),
        "更正：危废台账缺少的是十月份三次出库记录，不是两次。",
        vec![],
        "o2",
    )?;
    Ok(id)
}

fn main() -> Res<()> {
    let tmp = tempfile::tempdir()?;
    let files = tmp.path().join("files");
    std::fs::create_dir_all(&files)?;
    let mut core =
        Core::open_with_clock(tmp.path().join("data"), Arc::new(FixedClock(start_time())))?;
    let id = lifecycle(&mut core, &files)?;

    let stored = core.store().load_document(&id)?;
    let chunk_bytes: usize = stored.chunks.iter().map(|(_, b)| b.len()).sum();
    let chunks = stored.chunks.len();
    let full_save = core.export_document(&id)?.len();
    let view = core.inspection(&id)?;
    let json = serde_json::to_vec(&view)?.len();
    let json_pretty = serde_json::to_vec_pretty(&view)?.len();

    println!("Document size after one typical full lifecycle (inspection {id})");
    println!(
        "  {} team, {} findings, {} evidence refs, {} amendment(s), {} log steps",
        view.team.len(),
        view.findings.len(),
        view.evidence.len(),
        view.amendments.len(),
        core.store().log_entries(Some(&id))?.len(),
    );
    println!();
    println!(
        "  {:<48} {:>8}  {:>9}",
        "representation", "bytes", "vs JSON"
    );
    let row = |name: &str, bytes: usize| {
        println!(
            "  {:<48} {:>8}  {:>8.2}x",
            name,
            bytes,
            bytes as f64 / json as f64
        );
    };
    row("automerge full save (export_document)", full_save);
    row(
        &format!("stored incremental chunks before compaction ({chunks})"),
        chunk_bytes,
    );
    row("plain JSON (serde_json::to_vec of Inspection)", json);
    row("pretty JSON (for reference)", json_pretty);
    println!();
    println!(
        "  stored chunks / full save: {:.2}x",
        chunk_bytes as f64 / full_save as f64
    );
    Ok(())
}
