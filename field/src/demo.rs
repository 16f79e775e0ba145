//! The demo: a realistic roster, small evidence files made on the fly (a silent WAV
//! recording and PNG images), and a complete scripted on-site inspection.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use liuhen_core::Core;
use liuhen_core::api::{CaptureInput, RightsNoticeInput};
use liuhen_core::export::{self, CaseFormat};
use liuhen_core::inspection::{Acknowledgement, EvidenceKind, InspectionStep};
use liuhen_core::model::{
    Agency, CertificateStatus, CheckItem, CreditCode, GeoPoint, Officer, RightsNoticeText,
    RosterSnapshot, Target, TargetKind, Task, TaskSource, TaskStatus,
};
use liuhen_core::time::FixedClock;

use crate::error::{CliError, io_reason};
use crate::render;

/// Task the demo inspects.
pub const DEMO_TASK: &str = "QY-2026-SJ-0117";
/// The two officers the demo task is assigned to.
pub const DEMO_OFFICERS: [&str; 2] = ["qy-zf-001", "qy-zf-002"];
const AGENCY_ID: &str = "qy-sthj";

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    // Fixed calendar dates written below; all exist.
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}

/// A credit code from a 17-character body, with the GB 32100-2015 check character.
fn credit_code(body17: &str) -> Option<CreditCode> {
    let check = CreditCode::check_char(body17)?;
    CreditCode::parse(&format!("{body17}{check}")).ok()
}

#[allow(clippy::too_many_arguments)]
fn officer(
    id: &str,
    name: &str,
    unit: &str,
    post: &str,
    cert: &str,
    from: NaiveDate,
    until: NaiveDate,
    status: CertificateStatus,
) -> Officer {
    Officer {
        id: id.into(),
        agency_id: AGENCY_ID.into(),
        name: name.into(),
        unit: unit.into(),
        post: post.into(),
        certificate_no: cert.into(),
        categories: vec!["生态环境".into()],
        areas: vec!["441800".into()],
        valid_from: from,
        valid_until: until,
        status,
    }
}

/// The agency's rights notice (R-SCENE-4): the text officers read to the party,
/// delivered to phones with the roster (the same as `core/tests/data/demo-roster.json`).
fn rights_notice() -> RightsNoticeText {
    RightsNoticeText {
        version: "清远生态环境-2026-01".into(),
        text: "清远市生态环境局执法人员依法对你（单位）进行现场检查，已出示执法证件。你（单位）享有陈述、申辩的权利；执法人员少于两人或者未出示执法证件的，你（单位）有权拒绝接受检查；执法人员与你（单位）有直接利害关系的，你（单位）有权申请回避。你（单位）应当如实回答询问，协助检查，不得拒绝、阻挠。对本次执法行为不服的，可以通过下列途径寻求救济：".into(),
        remedy_channels: vec![
            "自知道该行为之日起六十日内向清远市人民政府申请行政复议".into(),
            "自知道该行为之日起六个月内向有管辖权的人民法院提起行政诉讼".into(),
            "对执法人员的执法行为有异议的，可以向清远市生态环境局或 12345 政务服务便民热线投诉、举报".into(),
        ],
    }
}

/// A realistic demo roster of 清远市生态环境局: four officers (one with an expired
/// certificate, one suspended), two companies and one natural person, two open tasks.
pub fn roster() -> Result<RosterSnapshot, CliError> {
    let bad = || CliError::failed("演示名录中的统一社会信用代码生成失败");
    let ceramics = credit_code("91441802MA53XKP2R").ok_or_else(bad)?;
    let recycling = credit_code("91441881MA4WB8Y6J").ok_or_else(bad)?;
    Ok(RosterSnapshot {
        agency: Agency {
            id: AGENCY_ID.into(),
            name: "清远市生态环境局".into(),
            region_code: "441800".into(),
            rights_notice: Some(rights_notice()),
        },
        officers: vec![
            officer(
                "qy-zf-001",
                "李明",
                "清远市生态环境局执法监察支队",
                "副支队长",
                "44180021001",
                date(2024, 1, 1),
                date(2029, 12, 31),
                CertificateStatus::Active,
            ),
            officer(
                "qy-zf-002",
                "陈晓红",
                "清远市生态环境局执法监察支队一大队",
                "执法队员",
                "44180021002",
                date(2024, 3, 1),
                date(2029, 12, 31),
                CertificateStatus::Active,
            ),
            officer(
                "qy-zf-003",
                "黄志强",
                "清远市生态环境局执法监察支队二大队",
                "执法队员",
                "44180019003",
                date(2021, 7, 1),
                date(2026, 6, 30),
                CertificateStatus::Active,
            ),
            officer(
                "qy-zf-004",
                "吴建国",
                "清远市生态环境局执法监察支队二大队",
                "执法队员",
                "44180022004",
                date(2022, 3, 1),
                date(2029, 12, 31),
                CertificateStatus::Suspended,
            ),
        ],
        targets: vec![
            Target {
                id: "qy-dx-0001".into(),
                agency_id: AGENCY_ID.into(),
                name: "清远市鑫达陶瓷有限公司".into(),
                kind: TargetKind::Organisation,
                credit_code: Some(ceramics),
                address: "清远市清城区源潭镇陶瓷工业园 8 号".into(),
                category: "生态环境".into(),
                area: "441802".into(),
                location: Some(GeoPoint {
                    lat: 23.6312,
                    lon: 113.2405,
                }),
            },
            Target {
                id: "qy-dx-0002".into(),
                agency_id: AGENCY_ID.into(),
                name: "英德市华盈再生资源有限公司".into(),
                kind: TargetKind::Organisation,
                credit_code: Some(recycling),
                address: "英德市英红镇工业园区华盈路 3 号".into(),
                category: "生态环境".into(),
                area: "441881".into(),
                location: Some(GeoPoint {
                    lat: 24.1851,
                    lon: 113.4102,
                }),
            },
            Target {
                id: "qy-dx-0003".into(),
                agency_id: AGENCY_ID.into(),
                name: "刘建华".into(),
                kind: TargetKind::NaturalPerson,
                credit_code: None,
                address: "清远市清新区太和镇坑口村养殖场".into(),
                category: "生态环境".into(),
                area: "441803".into(),
                location: None,
            },
        ],
        tasks: vec![
            Task {
                id: DEMO_TASK.into(),
                agency_id: AGENCY_ID.into(),
                target_id: "qy-dx-0001".into(),
                item: CheckItem {
                    code: "QYHJ-SJ-03".into(),
                    name: "排污许可证执行情况检查".into(),
                    legal_basis: "《排污许可管理条例》".into(),
                },
                category: "生态环境".into(),
                officer_ids: DEMO_OFFICERS.iter().map(|s| s.to_string()).collect(),
                due_date: date(2026, 12, 31),
                source: TaskSource::Draw,
                status: TaskStatus::Open,
                note: None,
            },
            Task {
                id: "QY-2026-ZP-0042".into(),
                agency_id: AGENCY_ID.into(),
                target_id: "qy-dx-0002".into(),
                item: CheckItem {
                    code: "QYHJ-SJ-07".into(),
                    name: "危险废物规范化环境管理检查".into(),
                    legal_basis: "《中华人民共和国固体废物污染环境防治法》".into(),
                },
                category: "生态环境".into(),
                officer_ids: DEMO_OFFICERS.iter().map(|s| s.to_string()).collect(),
                due_date: date(2026, 12, 15),
                source: TaskSource::Assigned,
                status: TaskStatus::Open,
                note: None,
            },
        ],
    })
}

/// A valid WAV file: 16 kHz, mono, 16-bit PCM, `seconds` of silence.
pub fn silent_wav(seconds: u32) -> Vec<u8> {
    const RATE: u32 = 16_000;
    let data_len = RATE * 2 * seconds;
    let mut w = Vec::with_capacity(44 + data_len as usize);
    w.extend_from_slice(b"RIFF");
    w.extend_from_slice(&(36 + data_len).to_le_bytes());
    w.extend_from_slice(b"WAVE");
    w.extend_from_slice(b"fmt ");
    w.extend_from_slice(&16u32.to_le_bytes()); // fmt chunk size
    w.extend_from_slice(&1u16.to_le_bytes()); // PCM
    w.extend_from_slice(&1u16.to_le_bytes()); // mono
    w.extend_from_slice(&RATE.to_le_bytes());
    w.extend_from_slice(&(RATE * 2).to_le_bytes()); // byte rate
    w.extend_from_slice(&2u16.to_le_bytes()); // block align
    w.extend_from_slice(&16u16.to_le_bytes()); // bits per sample
    w.extend_from_slice(b"data");
    w.extend_from_slice(&data_len.to_le_bytes());
    w.resize(44 + data_len as usize, 0);
    w
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn adler32(bytes: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &x in bytes {
        a = (a + u32::from(x)) % 65_521;
        b = (b + a) % 65_521;
    }
    (b << 16) | a
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// A valid RGB PNG (zlib with stored blocks, no compression crate needed).
pub fn png(width: u32, height: u32, pixel: impl Fn(u32, u32) -> [u8; 3]) -> Vec<u8> {
    let mut raw = Vec::with_capacity(((width * 3 + 1) * height) as usize);
    for y in 0..height {
        raw.push(0); // filter: none
        for x in 0..width {
            raw.extend_from_slice(&pixel(x, y));
        }
    }
    let mut z = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = raw.chunks(65_535).collect();
    for (i, block) in blocks.iter().enumerate() {
        z.push(u8::from(i + 1 == blocks.len()));
        let len = block.len() as u16;
        z.extend_from_slice(&len.to_le_bytes());
        z.extend_from_slice(&(!len).to_le_bytes());
        z.extend_from_slice(block);
    }
    z.extend_from_slice(&adler32(&raw).to_be_bytes());
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB, deflate, no filter, no interlace
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    png_chunk(&mut out, b"IHDR", &ihdr);
    png_chunk(&mut out, b"IDAT", &z);
    png_chunk(&mut out, b"IEND", &[]);
    out
}

/// A handwritten-looking stroke on white: the party's signature.
pub fn signature_png() -> Vec<u8> {
    png(160, 48, |x, y| {
        let xf = x as f64;
        let curve = 24.0 + 10.0 * (xf / 9.0).sin() * (1.0 - xf / 200.0);
        if (8..152).contains(&x) && (y as f64 - curve).abs() < 1.6 {
            [20, 30, 90]
        } else {
            [255, 255, 255]
        }
    })
}

/// A site "photo": sky, a grey chimney and a wastewater outlet.
pub fn site_photo_png() -> Vec<u8> {
    png(96, 64, |x, y| {
        if (40..52).contains(&x) && y > 12 {
            [120, 120, 125]
        } else if y > 44 {
            if (60..90).contains(&x) && y > 52 {
                [70, 90, 60]
            } else {
                [110, 95, 70]
            }
        } else {
            [150 + (y * 2) as u8, 190 + y as u8 / 2, 230]
        }
    })
}

fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> Result<PathBuf, CliError> {
    let p = dir.join(name);
    std::fs::write(&p, bytes).map_err(|e| {
        CliError::failed(format!(
            "无法写入演示证据文件 {}：{}",
            p.display(),
            io_reason(&e)
        ))
    })?;
    Ok(p)
}

/// Moves the clock through a scripted demo: with a fixed start, each step is a few
/// minutes later; without one, the system clock is used.
struct DemoClock {
    start: Option<DateTime<Utc>>,
    minutes: i64,
}

impl DemoClock {
    fn step(&mut self, core: &mut Core, minutes: i64) {
        if let Some(t0) = self.start {
            self.minutes += minutes;
            core.set_clock(Arc::new(FixedClock(
                t0 + chrono::Duration::minutes(self.minutes),
            )));
        }
    }
}

const STEPS: u64 = 18;

/// Runs a whole scripted inspection of the demo task, printing every step, and
/// files it as a case file `<data_dir>/案卷-<id>.zip`, verified at the end.
pub fn run(
    core: &mut Core,
    start: Option<DateTime<Utc>>,
    data_dir: &Path,
    out: &dyn Fn(&str),
) -> Result<(), CliError> {
    let bar = ProgressBar::with_draw_target(Some(STEPS), ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} {wide_msg}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    bar.set_style(style);
    bar.enable_steady_tick(Duration::from_millis(120));
    let result = run_steps(core, start, data_dir, &bar, out);
    match &result {
        Ok(()) => bar.finish_and_clear(),
        Err(_) => bar.abandon_with_message("演示中断"),
    }
    result
}

fn run_steps(
    core: &mut Core,
    start: Option<DateTime<Utc>>,
    data_dir: &Path,
    bar: &ProgressBar,
    out: &dyn Fn(&str),
) -> Result<(), CliError> {
    let mut n = 0u64;
    let mut say = |bar: &ProgressBar, msg: String| {
        n += 1;
        bar.set_message(msg.clone());
        bar.suspend(|| out(&format!("[{n}/{STEPS}] {msg}")));
        bar.inc(1);
    };
    let mut clock = DemoClock { start, minutes: 0 };
    let [lead, second] = DEMO_OFFICERS;
    clock.step(core, 0);

    // 1. The roster: the demo one, loaded if the device has none.
    let roster = match core.store().roster()? {
        Some(r) => {
            if !r.tasks.iter().any(|t| t.id == DEMO_TASK) {
                return Err(CliError::refused(format!(
                    "本数据目录已加载名录（{}），其中没有演示任务 {DEMO_TASK}；请换一个空的数据目录运行演示",
                    r.agency.name
                )));
            }
            say(bar, format!("使用已加载的演示名录：{}", r.agency.name));
            r
        }
        None => {
            let r = roster()?;
            let device_id = core.device().device_id.clone();
            core.load_roster(r.clone(), &device_id)?;
            say(
                bar,
                format!(
                    "加载演示名录：{}（执法人员 {} 名，检查对象 {} 个，任务 {} 项）",
                    r.agency.name,
                    r.officers.len(),
                    r.targets.len(),
                    r.tasks.len()
                ),
            );
            r
        }
    };
    let names = render::names(None, Some(&roster));
    let name = |id: &str| names.get(id).cloned().unwrap_or_else(|| id.to_string());

    let dir = tempfile::tempdir()
        .map_err(|e| CliError::failed(format!("无法创建临时目录：{}", io_reason(&e))))?;
    let recording = write_file(dir.path(), "亮证告知录音.wav", &silent_wav(1))?;
    let photo = write_file(dir.path(), "现场照片-排污口.png", &site_photo_png())?;
    let signature = write_file(dir.path(), "当事人签名.png", &signature_png())?;

    // 2. Open the inspection for the task.
    clock.step(core, 5);
    let id = core.open_for_task(DEMO_TASK, lead)?;
    let v = core.inspection(&id)?;
    say(
        bar,
        format!(
            "开始现场检查：{}，检查事项：{}（检查编号 {id}）",
            v.meta.target_name, v.meta.item_name
        ),
    );

    // 3–4. Both officers check in (R-SCENE-1, R-SCENE-2).
    for o in [lead, second] {
        clock.step(core, 1);
        core.check_in(&id, o)?;
        let cert = roster
            .officers
            .iter()
            .find(|x| x.id == o)
            .map(|x| x.certificate_no.clone())
            .unwrap_or_default();
        say(bar, format!("签到：{}（证号 {cert}）", name(o)));
    }

    // 5. The identity statement.
    clock.step(core, 1);
    let statement = core.identity_statement(&id)?;
    say(bar, format!("亮证告知用语：{statement}"));

    // 6–7. Record it and attach the recording (R-SCENE-3, R-REC-3).
    let rec = core.capture_evidence(
        &id,
        &recording,
        CaptureInput {
            kind: EvidenceKind::Audio,
            media_type: "audio/wav".into(),
            step: InspectionStep::IdentityNotice,
            location: Some(liuhen_core::inspection::CaptureLocation {
                lat: 23.6313,
                lon: 113.2404,
                accuracy_m: 6.0,
                fixed_at: core.now(),
            }),
        },
        lead,
    )?;
    say(
        bar,
        format!(
            "采集亮证告知录音：{}（{}）",
            render::short(&rec.reference.sha256),
            render::size_text(rec.reference.size_bytes)
        ),
    );
    clock.step(core, 2);
    core.record_identity_notice(&id, None, &rec.reference.sha256, lead)?;
    say(
        bar,
        format!("记录亮证告知：{} 出示执法证件并表明身份", name(lead)),
    );

    // 8–10. Findings with a photo.
    clock.step(core, 12);
    let ph = core.capture_evidence(
        &id,
        &photo,
        CaptureInput {
            kind: EvidenceKind::Photo,
            media_type: "image/png".into(),
            step: InspectionStep::Findings,
            location: Some(liuhen_core::inspection::CaptureLocation {
                lat: 23.6309,
                lon: 113.2411,
                accuracy_m: 9.0,
                fixed_at: core.now(),
            }),
        },
        second,
    )?;
    say(
        bar,
        format!(
            "拍摄现场照片：{}（{}）",
            render::short(&ph.reference.sha256),
            render::size_text(ph.reference.size_bytes)
        ),
    );
    clock.step(core, 3);
    core.add_finding(
        &id,
        "该公司持有排污许可证（有效期内），现场生产正常。废水总排放口标识牌规范，在线监测设备正常运行；\
         厂区东侧雨水排放口有少量灰白色积水，已拍照取证。",
        vec![ph.reference.sha256.clone()],
        second,
    )?;
    say(bar, format!("记录检查发现（{}，附现场照片）", name(second)));
    clock.step(core, 6);
    core.add_finding(
        &id,
        "查阅 2026 年 10 月至 11 月排污许可执行报告和环境管理台账，台账记录完整，未发现超标排放记录。",
        vec![],
        lead,
    )?;
    say(bar, format!("记录检查发现（{}，查阅台账）", name(lead)));

    // 11–12. The rights notice, signed by the party (R-SCENE-4).
    clock.step(core, 8);
    let sig = core.capture_evidence(
        &id,
        &signature,
        CaptureInput {
            kind: EvidenceKind::Signature,
            media_type: "image/png".into(),
            step: InspectionStep::RightsNotice,
            location: None,
        },
        lead,
    )?;
    say(
        bar,
        format!("采集当事人签名：{}", render::short(&sig.reference.sha256)),
    );
    clock.step(core, 1);
    core.record_rights_notice(
        &id,
        RightsNoticeInput {
            notice_version: rights_notice().version,
            remedy_channels: rights_notice().remedy_channels,
            acknowledgement: Acknowledgement::Signed {
                signer_name: "周国栋（公司环保主管）".into(),
                signature_sha256: sig.reference.sha256.clone(),
            },
        },
        lead,
    )?;
    say(
        bar,
        "告知当事人权利义务和救济途径，当事人签字确认".to_string(),
    );

    // 13–14. Check the rules and close.
    let violations = core.violations(&id)?;
    if violations.is_empty() {
        say(bar, "规则检查：无未满足的规则".to_string());
    } else {
        let list: Vec<String> = violations.iter().map(|v| v.message.clone()).collect();
        return Err(CliError::refused(format!(
            "演示检查仍有未满足的规则：\n{}",
            list.join("\n")
        )));
    }
    clock.step(core, 2);
    core.close(&id, lead)?;
    say(bar, format!("结束现场检查（{}）", name(lead)));

    // 15–16. Show the record and verify the device log.
    let v = core.inspection(&id)?;
    let text = render::inspection_text(&v, Some(&roster));
    say(bar, "现场检查记录如下：".to_string());
    bar.suspend(|| out(&text));
    let count = core.verify_log()?;
    say(bar, format!("设备日志完整：共 {count} 条"));

    // 17–18. File the case (R-REC-6) and verify it offline against this device's key.
    clock.step(core, 10);
    let case = data_dir.join(format!("案卷-{id}.zip"));
    let summary = core.export_case(
        &id,
        &case,
        CaseFormat::Zip,
        lead,
        "演示：现场检查结束后归档案卷",
    )?;
    say(
        bar,
        format!(
            "导出案卷：{}（{} 个文件，其中证据原件 {} 个，{}）",
            case.display(),
            summary.files,
            summary.evidence_files,
            render::size_text(summary.total_bytes)
        ),
    );
    let report = export::verify_case_with_key(&case, &core.device().verifying_key().to_bytes())
        .map_err(liuhen_core::CoreError::from)?;
    if !report.is_intact() {
        bar.suspend(|| out(export::report_text(&report).trim_end()));
        return Err(CliError::failed(format!(
            "演示导出的案卷 {} 未通过核验",
            case.display()
        )));
    }
    say(
        bar,
        format!(
            "核验案卷：案卷完整，已核对 {} 个文件，全部与清单一致，日志签名与本设备公钥一致",
            report.files_checked
        ),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_roster_is_valid() {
        let r = roster().expect("roster");
        r.validate().expect("valid");
        assert_eq!(r.officers.len(), 4);
        assert_eq!(r.tasks.len(), 2);
    }

    #[test]
    fn png_has_valid_crcs() {
        let p = png(2, 2, |_, _| [1, 2, 3]);
        assert_eq!(&p[..8], b"\x89PNG\r\n\x1a\n");
        // IHDR chunk: length 13, then type, data, crc.
        let crc = u32::from_be_bytes([p[29], p[30], p[31], p[32]]);
        assert_eq!(crc, crc32(&p[12..29]));
        assert_eq!(crc32(b"IEND"), 0xAE42_6082);
    }

    #[test]
    fn wav_header_is_consistent() {
        let w = silent_wav(1);
        assert_eq!(&w[..4], b"RIFF");
        assert_eq!(&w[8..12], b"WAVE");
        assert_eq!(w.len(), 44 + 32_000);
        let riff = u32::from_le_bytes([w[4], w[5], w[6], w[7]]) as usize;
        assert_eq!(riff, w.len() - 8);
    }
}
