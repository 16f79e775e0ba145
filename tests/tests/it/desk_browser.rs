//! The supervisor's desk in a real browser (headless Chromium driven by
//! playwright-core, `tests/browser/desk.spec.mjs`) against a real server process
//! with the demo data, and a real officer's device: the officer syncs an inspection
//! with a real photo, recording and signature; the supervisor signs in, filters the
//! queue, plays the recording, opens the photo (the access log lists it), returns
//! the inspection with a general and a per-finding comment; the device syncs and
//! holds the decision and both comments. The script also checks sign-in on every
//! desk URL, agency separation, CSRF refusal, escaping of an injected `<script>`,
//! a form kept across an ended session, and sign-out; it takes screenshots into
//! `target/browser-artifacts/`.
//!
//! Needs Chromium's headless shell at /usr/bin/chromium-headless-shell and tests/browser/node_modules: run
//! `scripts/browser-tools.sh` once (scripts/test-all.sh does).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::desk_ids;
use liuhen_core::api::RightsNoticeInput;
use liuhen_core::inspection::{Acknowledgement, EvidenceKind, InspectionStep, ReviewOutcome};
use liuhen_e2e::{Device, TestServer, wav_bytes};

const O1: &str = "qy-zf-001";
const O2: &str = "qy-zf-002";
const TASK: &str = "QY-2026-SJ-0117";

/// Ids of seeded desk inspections (`server/src/demo/desk_ids.rs`), as the browser
/// script's environment.
const DEMO_IDS: &[(&str, &str)] = &[
    ("DEMO_PENDING_CLEAN", desk_ids::PENDING_CLEAN),
    ("DEMO_VIOLATIONS", desk_ids::VIOLATIONS),
    ("DEMO_LATE_PHOTO", desk_ids::LATE_PHOTO),
    ("DEMO_AWAITING_UPLOAD", desk_ids::AWAITING_UPLOAD),
    ("DEMO_RETURNED", desk_ids::RETURNED),
    ("DEMO_AMENDED", desk_ids::AMENDED),
    ("DEMO_APPROVED", desk_ids::APPROVED),
    ("DEMO_OPEN", desk_ids::OPEN),
    ("DEMO_CONFLICT", desk_ids::CONFLICT),
    ("DEMO_SCRIPT_TEXT", desk_ids::SCRIPT_TEXT),
    ("DEMO_OTHER_AGENCY", desk_ids::OTHER_AGENCY),
];

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("repository root")
        .to_path_buf()
}

/// Fails with what to run when the browser tools are missing (never skips).
fn require_browser_tools(root: &Path) {
    let missing: Vec<String> = [
        PathBuf::from("/usr/bin/chromium-headless-shell"),
        root.join("tests/browser/node_modules/playwright-core/package.json"),
    ]
    .into_iter()
    .filter(|p| !p.exists())
    .map(|p| p.display().to_string())
    .collect();
    assert!(
        missing.is_empty(),
        "the browser test needs {} — run `bash scripts/browser-tools.sh` first \
         (installs Chromium and tests/browser/node_modules)",
        missing.join(" and ")
    );
    let node = Command::new("node").arg("--version").output();
    assert!(
        node.is_ok_and(|o| o.status.success()),
        "the browser test needs Node.js (`node`) on PATH; then run `bash scripts/browser-tools.sh`"
    );
}

/// A real JPEG photo of 1600x1200 (a gradient with a grid), as a phone takes.
fn jpeg_photo() -> Vec<u8> {
    let img = image::RgbImage::from_fn(1600, 1200, |x, y| {
        let grid = if x % 100 < 3 || y % 100 < 3 { 60 } else { 0 };
        image::Rgb([
            (x * 255 / 1600) as u8,
            (y * 255 / 1200) as u8,
            (200 - grid) as u8,
        ])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Jpeg)
        .unwrap();
    out.into_inner()
}

#[test]
fn supervisor_reviews_and_returns_an_inspection_in_a_real_browser() {
    let root = repo_root();
    require_browser_tools(&root);
    let server = TestServer::start_demo_desk();

    // The officers' phone: a full on-site inspection with real media, synced.
    let mut phone = Device::enrolled(&server, O1);
    phone.sync();
    let id = phone.core.open_for_task(TASK, O1).unwrap();
    phone.core.check_in(&id, O1).unwrap();
    phone.core.check_in(&id, O2).unwrap();
    let audio = phone.capture_file(
        &id,
        &wav_bytes(3, 330.0),
        EvidenceKind::Audio,
        "audio/wav",
        InspectionStep::IdentityNotice,
    );
    phone
        .core
        .record_identity_notice(&id, None, &audio, O1)
        .unwrap();
    let photo = phone.capture_photo(&id, &jpeg_photo(), "image/jpeg");
    let finding = phone
        .core
        .add_finding(
            &id,
            "危废贮存间门口未设置警示标志，已拍照。",
            vec![photo.clone()],
            O1,
        )
        .unwrap();
    let signature = phone.capture_file(
        &id,
        &liuhen_e2e::png_bytes(320, 120, 7),
        EvidenceKind::Signature,
        "image/png",
        InspectionStep::RightsNotice,
    );
    phone
        .core
        .record_rights_notice(
            &id,
            RightsNoticeInput {
                notice_version: "QYHJ-2026-01".into(),
                remedy_channels: vec!["自收到决定之日起六十日内申请行政复议".into()],
                acknowledgement: Acknowledgement::Signed {
                    signer_name: "周国栋".into(),
                    signature_sha256: signature.clone(),
                },
            },
            O1,
        )
        .unwrap();
    phone.core.close(&id, O1).unwrap();
    let report = phone.sync();
    assert!(report.synced.contains(&id), "{report:?}");
    for sha in [&audio, &photo, &signature] {
        if !server.blob_verified(sha) {
            phone.sync();
        }
        assert!(
            server.blob_verified(sha),
            "evidence {sha} reached the server"
        );
    }

    // The supervisor's desk in Chromium.
    let artifacts = root.join("target/browser-artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    // One Chromium at a time: the suites share this test binary (see browser.rs). The
    // slot is taken only now, so the server and the data above are set up while
    // another suite's browser runs.
    let _browser = crate::browser::exclusive();
    let out = Command::new("node")
        .arg(root.join("tests/browser/desk.spec.mjs"))
        .current_dir(root.join("tests/browser"))
        .env("BASE_URL", &server.base_url)
        .env("INSPECTION_ID", &id)
        .env("FINDING_ID", &finding)
        .env("PHOTO_SHA", &photo)
        .env("AUDIO_SHA", &audio)
        .env("ARTIFACTS_DIR", &artifacts)
        .envs(DEMO_IDS.iter().copied())
        .env("DEMO_STATS_YEAR", desk_ids::STATS_YEAR.join(","))
        .output()
        .expect("run node tests/browser/desk.spec.mjs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("{stderr}");
    assert!(
        out.status.success(),
        "desk.spec.mjs failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    let result: serde_json::Value = stdout
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str(l).ok())
        .unwrap_or_else(|| panic!("no JSON result on stdout:\n{stdout}"));
    let general = result["comment"].as_str().expect("comment").to_string();
    let on_finding = result["finding_comment"]
        .as_str()
        .expect("finding_comment")
        .to_string();
    let csrf_probe = result["csrf_probe"]
        .as_str()
        .expect("csrf_probe")
        .to_string();
    for shot in result["screenshots"].as_array().expect("screenshots") {
        let path = shot.as_str().unwrap();
        assert!(Path::new(path).is_file(), "screenshot {path}");
        println!("screenshot: {path}");
    }

    // The decision and both comments reach the phone through sync.
    phone.sync();
    let i = phone.core.inspection(&id).unwrap();
    let decision = i
        .review
        .decision
        .as_ref()
        .expect("a decision on the device");
    assert_eq!(decision.decision, ReviewOutcome::Returned, "{:?}", i.review);
    assert_eq!(decision.decided_by_name, "演示督查员", "{:?}", i.review);
    let texts: Vec<(Option<&str>, &str)> = i
        .review
        .comments
        .iter()
        .map(|c| (c.item.as_deref(), c.text.as_str()))
        .collect();
    assert!(
        texts.contains(&(None, general.as_str())),
        "general comment on the device: {texts:?}"
    );
    let item = format!("finding:{finding}");
    assert!(
        texts.contains(&(Some(item.as_str()), on_finding.as_str())),
        "comment on the finding on the device: {texts:?}"
    );
    assert!(
        !texts.iter().any(|(_, t)| t.contains(&csrf_probe)),
        "the form without CSRF token changed nothing: {texts:?}"
    );
    assert_eq!(texts.len(), 2, "exactly the two comments: {texts:?}");
}
