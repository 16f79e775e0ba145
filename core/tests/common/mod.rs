//! Shared fixtures for the core integration tests: a roster, a clock that tests can
//! move, and small evidence files.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use liuhen_core::Core;
use liuhen_core::api::CaptureInput;
use liuhen_core::inspection::{EvidenceKind, InspectionStep};
use liuhen_core::model::{
    Agency, CertificateStatus, CheckItem, CreditCode, Officer, RightsNoticeText, RosterSnapshot,
    Target, TargetKind, Task, TaskSource, TaskStatus,
};
use liuhen_core::time::Clock;

/// A clock the test moves forward by hand.
#[derive(Debug, Clone)]
pub struct TestClock(pub Arc<Mutex<DateTime<Utc>>>);

impl TestClock {
    pub fn at(t: DateTime<Utc>) -> Self {
        TestClock(Arc::new(Mutex::new(t)))
    }
    pub fn advance_minutes(&self, m: i64) {
        let mut g = self.0.lock().unwrap();
        *g += chrono::Duration::minutes(m);
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

/// 2026-11-20 09:00 Beijing time.
pub fn start_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 1, 0, 0).unwrap()
}

pub fn credit_code(body16: &str) -> CreditCode {
    let body = format!("{body16}X");
    let c = CreditCode::check_char(&body).unwrap();
    CreditCode::parse(&format!("{body}{c}")).unwrap()
}

fn officer(
    id: &str,
    name: &str,
    cert: &str,
    until: (i32, u32, u32),
    status: CertificateStatus,
) -> Officer {
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
        valid_until: NaiveDate::from_ymd_opt(until.0, until.1, until.2).unwrap(),
        status,
    }
}

/// The agency's rights notice in the test roster (R-SCENE-4).
pub fn rights_notice_text() -> RightsNoticeText {
    RightsNoticeText {
        version: "清远生态环境-2026-01".into(),
        text: "你（单位）享有陈述、申辩的权利……".into(),
        remedy_channels: vec![
            "六十日内申请行政复议".into(),
            "六个月内提起行政诉讼".into(),
            "向 12345 投诉".into(),
        ],
    }
}

pub fn roster() -> RosterSnapshot {
    RosterSnapshot {
        agency: Agency {
            id: "qy-sthj".into(),
            name: "清远市生态环境局".into(),
            region_code: "441800".into(),
            rights_notice: Some(rights_notice_text()),
        },
        officers: vec![
            officer(
                "o1",
                "张伟",
                "44180020001",
                (2027, 12, 31),
                CertificateStatus::Active,
            ),
            officer(
                "o2",
                "李娜",
                "44180020002",
                (2027, 12, 31),
                CertificateStatus::Active,
            ),
            officer(
                "o3",
                "王强",
                "44180020003",
                (2026, 6, 30),
                CertificateStatus::Active,
            ),
            officer(
                "o4",
                "赵敏",
                "44180020004",
                (2027, 12, 31),
                CertificateStatus::Suspended,
            ),
        ],
        targets: vec![
            Target {
                id: "t1".into(),
                agency_id: "qy-sthj".into(),
                name: "清远市某化工有限公司".into(),
                kind: TargetKind::Organisation,
                credit_code: Some(credit_code("91441800MA4UJ0E1")),
                address: "清远市清城区工业大道 1 号".into(),
                category: "生态环境".into(),
                area: "441802".into(),
                location: None,
            },
            Target {
                id: "t2".into(),
                agency_id: "qy-sthj".into(),
                name: "陈某某".into(),
                kind: TargetKind::NaturalPerson,
                credit_code: None,
                address: "清远市清新区某村".into(),
                category: "生态环境".into(),
                area: "441803".into(),
                location: None,
            },
        ],
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
    }
}

pub fn open_core(dir: &Path, clock: &TestClock) -> Core {
    let mut c = Core::open_with_clock(dir, Arc::new(clock.clone())).unwrap();
    if c.roster().is_err() {
        c.load_roster(roster(), "o1").unwrap();
    }
    c
}

/// Writes a real media file to `dir` and returns its path. For `.jpg`, `.png` and
/// `.wav` names the content is a valid image or recording whose pixels/samples derive
/// from `seed` (different seeds, different files); an empty seed gives an empty file;
/// any other name gets `seed` as its bytes.
pub fn file(dir: &Path, name: &str, seed: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, media_bytes(name, seed)).unwrap();
    p
}

/// The bytes [`file`] writes.
pub fn media_bytes(name: &str, seed: &[u8]) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    if seed.is_empty() {
        return vec![];
    }
    let h = Sha256::digest(seed);
    let ext = name.rsplit('.').next().unwrap_or("");
    match ext {
        "jpg" | "jpeg" | "png" => {
            let img = image::RgbImage::from_fn(64, 48, |x, y| {
                let i = ((x + y * 3) as usize) % 32;
                image::Rgb([
                    h[i],
                    h[(i + 7) % 32].wrapping_add(x as u8),
                    h[(i + 13) % 32].wrapping_add(y as u8),
                ])
            });
            let mut out = std::io::Cursor::new(Vec::new());
            let fmt = if ext == "png" {
                image::ImageFormat::Png
            } else {
                image::ImageFormat::Jpeg
            };
            img.write_to(&mut out, fmt).unwrap();
            out.into_inner()
        }
        "wav" => {
            let samples: Vec<u8> = (0..8000u32)
                .flat_map(|i| [h[(i % 32) as usize], 0])
                .collect();
            let mut w = Vec::with_capacity(44 + samples.len());
            w.extend_from_slice(b"RIFF");
            w.extend_from_slice(&(36 + samples.len() as u32).to_le_bytes());
            w.extend_from_slice(b"WAVEfmt ");
            w.extend_from_slice(&16u32.to_le_bytes());
            w.extend_from_slice(&1u16.to_le_bytes()); // PCM
            w.extend_from_slice(&1u16.to_le_bytes()); // mono
            w.extend_from_slice(&8000u32.to_le_bytes());
            w.extend_from_slice(&16000u32.to_le_bytes());
            w.extend_from_slice(&2u16.to_le_bytes());
            w.extend_from_slice(&16u16.to_le_bytes());
            w.extend_from_slice(b"data");
            w.extend_from_slice(&(samples.len() as u32).to_le_bytes());
            w.extend_from_slice(&samples);
            w
        }
        _ => seed.to_vec(),
    }
}

pub fn capture(
    core: &mut Core,
    id: &str,
    path: &Path,
    kind: EvidenceKind,
    step: InspectionStep,
    by: &str,
) -> String {
    let media_type = match kind {
        EvidenceKind::Audio => "audio/wav",
        EvidenceKind::Photo => "image/jpeg",
        EvidenceKind::Signature => "image/png",
        EvidenceKind::Video => "video/mp4",
        EvidenceKind::Document => "application/pdf",
    };
    core.capture_evidence(
        id,
        path,
        CaptureInput {
            kind,
            media_type: media_type.into(),
            step,
            location: Some(liuhen_core::inspection::CaptureLocation {
                lat: 23.68,
                lon: 113.05,
                accuracy_m: 12.0,
                fixed_at: core.now(),
            }),
        },
        by,
    )
    .unwrap()
    .reference
    .sha256
}
