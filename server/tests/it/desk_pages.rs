//! The supervisor's desk inspection page, evidence viewer and access log
//! (R-REC-7), over real HTTP on loopback against the real app (`liuhen_server::serve`
//! on a 127.0.0.1:0 listener, real SQLite file and blob directory in a temporary
//! data dir). Users sign in through the sign-in form. The inspection is written with
//! core's `InspectionDoc` API and carries a real JPEG, a WAV, a signature PNG, a
//! photo that does not decode, a photo the device never uploaded, script-injection
//! text and a conflict made by two devices writing the same field concurrently.

use std::io::Cursor;
use std::sync::Arc;

use automerge::ActorId;
use chrono::{DateTime, Duration, TimeZone, Utc};
use reqwest::header::{CONTENT_DISPOSITION, CONTENT_TYPE, COOKIE, LOCATION, RANGE, SET_COOKIE};
use reqwest::{Client, Response, StatusCode};
use sha2::{Digest, Sha256};

use liuhen_core::doc::{InspectionDoc, NewInspection, ScalarField};
use liuhen_core::inspection::{
    Acknowledgement, Closure, EvidenceKind, EvidenceRef, Finding, IdentityNotice, InspectionKind,
    InspectionMeta, InspectionStep, ReviewComment, RightsNotice, TeamMember,
};
use liuhen_core::time::FixedClock;
use liuhen_server::api::admin::{NewUser, create_user, load_roster};
use liuhen_server::state::{AppState, Config};
use liuhen_server::storage::access::{AccessAction, AccessEntry};
use liuhen_server::storage::{BlobRecord, DocRecord, Role};

const PASSWORD: &str = "demo-password";
const XSS_SCRIPT: &str = "<script>alert(1)</script>";
const XSS_ATTR: &str = "\"><img src=x onerror=alert(1)>";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 21, 2, 0, 0).unwrap()
}

fn at(h: i64) -> DateTime<Utc> {
    now() - Duration::hours(h)
}

fn sha_hex(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

/// A real 800×600 JPEG photo.
fn jpeg_photo() -> Vec<u8> {
    let img = image::RgbImage::from_fn(800, 600, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
        .encode_image(&img)
        .unwrap();
    out
}

/// A signature: black strokes on a transparent 400×150 PNG.
fn signature_png() -> Vec<u8> {
    let img = image::RgbaImage::from_fn(400, 150, |x, y| {
        if (x as i32 - 2 * y as i32).abs() < 4 {
            image::Rgba([0, 0, 0, 255])
        } else {
            image::Rgba([0, 0, 0, 0])
        }
    });
    let mut out = Vec::new();
    image::DynamicImage::ImageRgba8(img)
        .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

/// One second of a 440 Hz tone, 8 kHz mono 16-bit PCM WAV.
fn wav() -> Vec<u8> {
    let rate = 8000u32;
    let samples: Vec<i16> = (0..rate)
        .map(|i| ((i as f32 * 440.0 * std::f32::consts::TAU / rate as f32).sin() * 8000.0) as i16)
        .collect();
    let data_len = (samples.len() * 2) as u32;
    let mut b = Vec::new();
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&(36 + data_len).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&rate.to_le_bytes());
    b.extend_from_slice(&(rate * 2).to_le_bytes());
    b.extend_from_slice(&2u16.to_le_bytes());
    b.extend_from_slice(&16u16.to_le_bytes());
    b.extend_from_slice(b"data");
    b.extend_from_slice(&data_len.to_le_bytes());
    for s in samples {
        b.extend_from_slice(&s.to_le_bytes());
    }
    b
}

struct Desk {
    base: String,
    state: AppState,
    agency: String,
    client: Client,
    _stop: tokio::sync::oneshot::Sender<()>,
    _tmp: tempfile::TempDir,
}

impl Desk {
    async fn start() -> Desk {
        let tmp = tempfile::tempdir().unwrap();
        let config = Config {
            data_dir: tmp.path().to_path_buf(),
            secure_cookies: false,
            max_upload_bytes: 1 << 30,
            upload_lease: liuhen_server::api::tus::DEFAULT_LEASE,
        };
        let state = liuhen_server::build_state_with_clock(config, Arc::new(FixedClock(now())))
            .await
            .unwrap();
        let demo = liuhen_server::demo::load(&state).await.unwrap();
        // A second agency with its own supervisor.
        let mut other = liuhen_server::demo::demo_roster().unwrap();
        other.agency.id = "other-agency".into();
        other.agency.name = "另一执法局".into();
        for o in &mut other.officers {
            o.agency_id = "other-agency".into();
        }
        for t in &mut other.targets {
            t.agency_id = "other-agency".into();
        }
        other.tasks.clear();
        load_roster(&state, &other).await.unwrap();
        create_user(
            &state,
            NewUser {
                agency_id: "other-agency".into(),
                login: "other-supervisor".into(),
                name: "外单位督查员".into(),
                role: Role::Supervisor,
                officer_id: None,
                password: PASSWORD.into(),
            },
        )
        .await
        .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let st = state.clone();
        tokio::spawn(async move {
            liuhen_server::serve(listener, st, async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
        });
        let client = Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(60))
            .build()
            .unwrap();
        Desk {
            base,
            state,
            agency: demo.agency_id,
            client,
            _stop: stop,
            _tmp: tmp,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Signs in through the form; returns the session cookie (`name=value`).
    async fn sign_in(&self, login: &str) -> String {
        let r = self.client.get(self.url("/login")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let login_cookie = cookie_pair(&r, "liuhen_login_csrf").expect("login csrf cookie");
        let html = r.text().await.unwrap();
        let csrf = hidden(&html, "csrf");
        let r = self
            .client
            .post(self.url("/login"))
            .header(COOKIE, &login_cookie)
            .form(&[
                ("csrf", csrf.as_str()),
                ("next", "/desk"),
                ("login", login),
                ("password", PASSWORD),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "sign-in of {login}");
        cookie_pair(&r, "liuhen_session").expect("session cookie")
    }

    async fn get(&self, cookie: &str, path: &str) -> Response {
        self.client
            .get(self.url(path))
            .header(COOKIE, cookie)
            .send()
            .await
            .unwrap()
    }

    async fn access_count(&self, id: &str) -> u64 {
        self.state
            .storage
            .access_count(&self.agency, id)
            .await
            .unwrap()
    }

    /// Stores the verified bytes of a blob referenced by inspection `id`; they count
    /// as received once [`Desk::receive`] runs after the document is stored (receipt
    /// is per agency, the agency of the stored inspection).
    async fn put_blob(&self, id: &str, bytes: &[u8], captured_at: DateTime<Utc>) -> String {
        let stored = self.state.blobs.put_bytes(bytes.to_vec()).await.unwrap();
        self.reference(id, &stored.sha256, bytes.len() as u64, captured_at)
            .await;
        stored.sha256
    }

    /// Marks blobs received by the agency an hour after `captured_at`.
    async fn receive(&self, shas: &[(&str, DateTime<Utc>)]) {
        for (sha, captured_at) in shas {
            let size = self.state.blobs.size(sha).await.unwrap().unwrap();
            assert!(
                self.state
                    .storage
                    .mark_blob_received(&self.agency, sha, size, *captured_at + Duration::hours(1))
                    .await
                    .unwrap()
            );
        }
    }

    async fn reference(&self, id: &str, sha: &str, size: u64, captured_at: DateTime<Utc>) {
        self.state
            .storage
            .reference_blob(&BlobRecord {
                sha256: sha.into(),
                inspection_id: id.into(),
                captured_at,
                received_at: None,
                size,
            })
            .await
            .unwrap();
    }

    async fn put_doc(&self, id: &str, doc: &mut InspectionDoc, target_name: &str) {
        let read = self.state.storage.doc(id).await.unwrap().map(|r| r.heads);
        self.state
            .storage
            .put_doc(
                &DocRecord {
                    id: id.into(),
                    agency_id: self.agency.clone(),
                    officer_ids: vec!["qy-zf-001".into(), "qy-zf-002".into()],
                    task_id: None,
                    target_name: target_name.into(),
                    status: "closed".into(),
                    heads: doc.heads().iter().map(|h| h.to_string()).collect(),
                    bytes: doc.save(),
                    updated_at: now(),
                },
                read.as_deref(),
            )
            .await
            .unwrap();
    }
}

fn cookie_pair(r: &Response, name: &str) -> Option<String> {
    r.headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{name}=")))
        .map(|c| c.split(';').next().unwrap().to_string())
}

fn hidden(html: &str, name: &str) -> String {
    let needle = format!("name=\"{name}\" value=\"");
    let start = html.find(&needle).unwrap_or_else(|| panic!("no {name}")) + needle.len();
    html[start..start + html[start..].find('"').unwrap()].to_string()
}

fn meta(id: &str, agency: &str, target_name: &str) -> InspectionMeta {
    InspectionMeta {
        id: id.into(),
        kind: InspectionKind::AdHoc,
        task_id: None,
        agency_id: agency.into(),
        agency_name: "清远市生态环境局".into(),
        target_id: "t-person".into(),
        target_name: target_name.into(),
        target_credit_code: Some("91441800MA4UXXXX1X".into()),
        target_address: "清远市清城区东城街道 8 号".into(),
        target_area: "441800".into(),
        target_is_natural_person: true,
        category: "生态环境".into(),
        item_code: "HB-01".into(),
        item_name: "排污许可执行情况检查".into(),
        legal_basis: "《排污许可管理条例》第二十八条".into(),
        opened_at: at(30),
        opened_by: "qy-zf-001".into(),
        device_id: "dev-a".into(),
    }
}

fn evidence(sha: &str, kind: EvidenceKind, media: &str, size: u64, h: i64) -> EvidenceRef {
    EvidenceRef {
        sha256: sha.into(),
        kind,
        media_type: media.into(),
        size_bytes: size,
        captured_at: at(h),
        captured_by: "qy-zf-002".into(),
        device_id: "dev-a".into(),
        step: match kind {
            EvidenceKind::Audio => InspectionStep::IdentityNotice,
            EvidenceKind::Signature => InspectionStep::RightsNotice,
            _ => InspectionStep::Findings,
        },
        lat: Some(23.68),
        lon: Some(113.05),
        accuracy_m: None,
        fixed_at: None,
    }
}

/// Where 李明 checked in (R-REC-3).
fn check_in_fix() -> liuhen_core::inspection::CaptureLocation {
    liuhen_core::inspection::CaptureLocation {
        lat: 23.6812,
        lon: 113.0561,
        accuracy_m: 8.4,
        fixed_at: at(30) - Duration::seconds(20),
    }
}

/// Where the photo was taken (R-REC-3).
fn photo_fix() -> liuhen_core::inspection::CaptureLocation {
    liuhen_core::inspection::CaptureLocation {
        lat: 23.6815,
        lon: 113.0566,
        accuracy_m: 15.0,
        fixed_at: at(29) - Duration::seconds(3),
    }
}

/// The shas of the test inspection.
struct Fixture {
    id: String,
    photo: String,
    photo_bytes: Vec<u8>,
    audio: String,
    audio_bytes: Vec<u8>,
    signature: String,
    broken: String,
    missing: String,
}

/// Writes the test inspection: two devices, real evidence, injection text, a
/// conflict on the identity statement.
async fn seed(desk: &Desk) -> Fixture {
    let id = "0193a5c0-0000-7000-8000-00000000d001".to_string();
    let photo_bytes = jpeg_photo();
    let audio_bytes = wav();
    let sig_bytes = signature_png();
    let broken_bytes = b"this is not a JPEG at all".to_vec();
    let photo = desk.put_blob(&id, &photo_bytes, at(29)).await;
    let audio = desk.put_blob(&id, &audio_bytes, at(29)).await;
    let signature = desk.put_blob(&id, &sig_bytes, at(28)).await;
    let broken = desk.put_blob(&id, &broken_bytes, at(28)).await;
    // Captured 27 hours ago and never uploaded: R-REC-4.
    let missing = sha_hex(b"never uploaded");
    desk.reference(&id, &missing, 1234, at(27)).await;

    let mut a = InspectionDoc::create(
        ActorId::from(vec![1u8; 16]),
        NewInspection {
            meta: meta(&id, &desk.agency, "张三丰"),
        },
    )
    .unwrap();
    for (oid, name, cert) in [
        ("qy-zf-001", "李明", "44180021001"),
        ("qy-zf-002", "陈晓红", "44180021002"),
    ] {
        a.add_team_member(&TeamMember {
            officer_id: oid.into(),
            name: name.into(),
            certificate_no: cert.into(),
            certificate_valid_until: chrono::NaiveDate::from_ymd_opt(2029, 12, 31).unwrap(),
            checked_in_at: at(30),
            device_id: "dev-a".into(),
            // R-REC-3: the first officer's phone had a fix, the second's none.
            location: (oid == "qy-zf-001").then(check_in_fix),
        })
        .unwrap();
    }
    for e in [
        evidence(
            &photo,
            EvidenceKind::Photo,
            "image/jpeg",
            photo_bytes.len() as u64,
            29,
        )
        .with_location(Some(photo_fix())),
        evidence(
            &audio,
            EvidenceKind::Audio,
            "audio/wav",
            audio_bytes.len() as u64,
            29,
        ),
        evidence(
            &signature,
            EvidenceKind::Signature,
            "image/png",
            sig_bytes.len() as u64,
            28,
        ),
        evidence(
            &broken,
            EvidenceKind::Photo,
            "image/jpeg",
            broken_bytes.len() as u64,
            28,
        ),
        evidence(&missing, EvidenceKind::Photo, "image/jpeg", 1234, 27),
    ] {
        a.add_evidence(&e).unwrap();
    }
    a.set_identity_notice(&IdentityNotice {
        statement: "我们是清远市生态环境局执法人员，现依法进行检查，全程录音录像。".into(),
        recording_sha256: audio.clone(),
        given_at: at(29),
        given_by: "qy-zf-001".into(),
    })
    .unwrap();
    a.add_finding(&Finding {
        id: "f-script".into(),
        text: format!("排污口标识缺失{XSS_SCRIPT}"),
        author: "qy-zf-002".into(),
        at: at(29),
        evidence: vec![photo.clone(), missing.clone()],
    })
    .unwrap();
    a.add_finding(&Finding {
        id: "f-attr".into(),
        text: format!("台账不全{XSS_ATTR}"),
        author: "qy-zf-001".into(),
        at: at(28),
        evidence: vec![broken.clone()],
    })
    .unwrap();
    a.set_rights_notice(&RightsNotice {
        notice_version: "2026-01".into(),
        remedy_channels: vec!["行政复议".into(), "行政诉讼".into()],
        acknowledgement: Acknowledgement::Signed {
            signer_name: "张三丰".into(),
            signature_sha256: signature.clone(),
        },
        given_at: at(28),
        given_by: "qy-zf-001".into(),
    })
    .unwrap();
    a.set_closure(&Closure {
        closed_at: at(27),
        closed_by: "qy-zf-001".into(),
    })
    .unwrap();
    a.add_review_comment(&ReviewComment {
        id: "c1".into(),
        author_id: "u-sup".into(),
        author_name: "演示督查员".into(),
        at: at(2),
        text: format!("请补充照片{XSS_SCRIPT}"),
        item: Some("finding:f-script".into()),
    })
    .unwrap();
    // Two devices write the identity statement concurrently (a conflict).
    let mut b = a.fork_as(ActorId::from(vec![2u8; 16]));
    a.set_scalar(ScalarField::IdentityStatement, "甲设备的告知用语", at(26))
        .unwrap();
    b.set_scalar(
        ScalarField::IdentityStatement,
        "乙设备的告知用语<b>乙</b>",
        at(26),
    )
    .unwrap();
    a.merge(&mut b).unwrap();
    assert_eq!(a.conflicts().unwrap().len(), 1);
    desk.put_doc(&id, &mut a, "张三丰").await;
    desk.receive(&[
        (&photo, at(29)),
        (&audio, at(29)),
        (&signature, at(28)),
        (&broken, at(28)),
    ])
    .await;
    Fixture {
        id,
        photo,
        photo_bytes,
        audio,
        audio_bytes,
        signature,
        broken,
        missing,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inspection_page_shows_the_whole_record_escaped_with_every_contract_selector() {
    let desk = Desk::start().await;
    let f = seed(&desk).await;
    let sup = desk.sign_in("supervisor").await;
    let before = desk.access_count(&f.id).await;
    let r = desk.get(&sup, &format!("/desk/inspections/{}", f.id)).await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();

    // Script injection is escaped everywhere, never raw.
    assert!(!html.contains(XSS_SCRIPT), "raw script tag on the page");
    assert!(!html.contains("<img src=x"), "raw injected img on the page");
    assert!(!html.contains("<b>乙</b>"));
    // askama writes numeric entities: the finding, and the review comment (in the
    // review panel and again beside the finding it concerns).
    assert_eq!(
        html.matches("&#60;script&#62;alert(1)&#60;/script&#62;")
            .count(),
        3
    );
    assert!(html.contains("&#34;&#62;&#60;img src=x onerror=alert(1)&#62;"));
    assert!(html.contains("&#60;b&#62;乙&#60;/b&#62;"));

    // The record: target in full (staff-only page), Beijing time, team with certs.
    assert!(html.contains("张三丰"));
    assert!(html.contains("91441800MA4UXXXX1X"));
    assert!(html.contains("《排污许可管理条例》第二十八条"));
    // Opened 2026-11-19 20:00 UTC = 11-20 04:00 in Beijing.
    assert!(html.contains("2026-11-20 04:00:00"), "Beijing time");
    for sel in [
        "id=\"team\"",
        "id=\"identity-notice\"",
        "id=\"findings\"",
        "id=\"evidence\"",
        "id=\"rights-notice\"",
        "id=\"timeline\"",
        "id=\"rule-results\"",
        "id=\"tamper-check\"",
        "id=\"conflicts\"",
        "id=\"review\"",
        "id=\"decide-section\"",
    ] {
        assert!(html.contains(sel), "missing {sel}");
    }
    assert!(html.contains("44180021001") && html.contains("2029-12-31"));
    // Capture positions (R-REC-3): coordinates, accuracy and the fix time in Beijing
    // time for the check-in and the photo; 「未取得位置」 where the phone had none.
    use liuhen_domain::time::beijing_seconds_text as beijing_time;
    let fixed = beijing_time(check_in_fix().fixed_at);
    assert!(
        html.contains(&format!(
            "北纬 23.68120，东经 113.05610，精度约 8 米，{fixed} 定位"
        )),
        "check-in position"
    );
    let fixed = beijing_time(photo_fix().fixed_at);
    assert!(
        html.contains(&format!(
            "北纬 23.68150，东经 113.05660，精度约 15 米，{fixed} 定位"
        )),
        "photo position"
    );
    // Older evidence with bare coordinates shows them without accuracy.
    assert!(html.contains("<span class=\"position\">北纬 23.68000，东经 113.05000</span>"));
    assert!(
        html.contains("未取得位置"),
        "陈晓红 checked in without a fix"
    );
    let ev = |sha: &str| format!("/desk/inspections/{}/evidence/{sha}", f.id);
    assert!(html.contains(&format!(
        "<audio controls preload=\"none\" src=\"{}\"></audio>",
        ev(&f.audio)
    )));
    assert!(html.contains("class=\"finding\" data-id=\"f-script\""));
    assert!(html.contains("class=\"finding\" data-id=\"f-attr\""));
    for sha in [&f.photo, &f.broken] {
        assert!(
            html.contains(&format!(
                "<a class=\"photo\" href=\"{}\" target=\"_blank\" rel=\"noopener\"><img src=\"{}/thumb\"",
                ev(sha),
                ev(sha)
            )),
            "photo {sha}"
        );
    }
    // The signature image in the rights notice, with remedy channels.
    assert!(html.contains(&format!(
        "<img src=\"{}/thumb\" alt=\"张三丰 的签名\"",
        ev(&f.signature)
    )));
    assert!(html.contains("行政复议") && html.contains("行政诉讼"));
    // The missing blob: no link to it, a .evidence-missing with R-REC-4.
    assert!(!html.contains(&format!("href=\"{}\"", ev(&f.missing))));
    assert!(html.contains("class=\"evidence-missing\""));
    assert!(html.contains("证据文件尚未上传"));
    // Rules: every covered rule listed, R-REC-4 violated by the missing photo.
    for rule in [
        "R-SCENE-1",
        "R-SCENE-2",
        "R-SCENE-3",
        "R-REC-1",
        "R-REC-2",
        "R-REC-3",
        "R-SCENE-4",
        "R-REC-5",
    ] {
        assert!(
            html.contains(&format!("class=\"rule ok\" data-rule=\"{rule}\"")),
            "{rule} ok"
        );
    }
    assert!(html.contains("class=\"rule bad\" data-rule=\"R-REC-4\""));
    assert!(html.contains("仍未上传到平台"));
    // Device log not uploaded yet.
    assert!(html.contains("设备日志尚未上传"));
    // The conflict: both values side by side, the shown one marked.
    assert_eq!(html.matches("class=\"conflict\"").count(), 1);
    assert!(html.contains("甲设备的告知用语") && html.contains("乙设备的告知用语"));
    assert!(html.contains("当前显示"));
    // The review so far: comment with its item; the timeline names people.
    assert!(html.contains("检查情况第 1 条"));
    assert!(html.contains("<span class=\"who\">陈晓红</span>"));
    assert!(html.contains("<span class=\"who\">演示督查员</span>"));
    assert!(!html.contains("<span class=\"who\">qy-zf-002</span>"));
    assert!(html.contains(&format!(
        "id=\"access-log-link\" href=\"/desk/inspections/{}/access\"",
        f.id
    )));
    // R-REC-7: opening the page is one access.
    assert_eq!(desk.access_count(&f.id).await, before + 1);
    let log = desk
        .state
        .storage
        .access_log(&desk.agency, &f.id, 1, 0)
        .await
        .unwrap();
    assert_eq!(log[0].action, AccessAction::ViewRecord);
    assert_eq!(log[0].user_name, "演示督查员");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn originals_are_served_and_logged_once_per_view_thumbnails_are_not() {
    let desk = Desk::start().await;
    let f = seed(&desk).await;
    let sup = desk.sign_in("supervisor").await;
    let ev = |sha: &str| format!("/desk/inspections/{}/evidence/{sha}", f.id);

    // Thumbnail: a JPEG of at most 320 px, cached on disk, not an access.
    let n0 = desk.access_count(&f.id).await;
    let r = desk.get(&sup, &format!("{}/thumb", ev(&f.photo))).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()[CONTENT_TYPE], "image/jpeg");
    let thumb = r.bytes().await.unwrap();
    let img = image::load_from_memory_with_format(&thumb, image::ImageFormat::Jpeg).unwrap();
    assert!(img.width() <= 320 && img.height() <= 320);
    assert_eq!((img.width(), img.height()), (320, 240));
    let cached = desk
        .state
        .config
        .data_dir
        .join("thumbs")
        .join(format!("{}.jpg", f.photo));
    assert_eq!(std::fs::read(&cached).unwrap(), thumb.to_vec());
    let again = desk.get(&sup, &format!("{}/thumb", ev(&f.photo))).await;
    assert_eq!(again.bytes().await.unwrap(), thumb);
    // The transparent signature becomes a JPEG too.
    let r = desk.get(&sup, &format!("{}/thumb", ev(&f.signature))).await;
    let sig =
        image::load_from_memory_with_format(&r.bytes().await.unwrap(), image::ImageFormat::Jpeg)
            .unwrap();
    assert!(sig.width() <= 320 && sig.height() <= 320);
    // Laid on white: the transparent top-right corner (the stroke starts top left)
    // is white, not black (JPEG has no alpha).
    let corner = sig.to_rgb8().get_pixel(sig.width() - 1, 0).0;
    assert!(
        corner.iter().all(|&c| c >= 240),
        "transparent corner {corner:?}"
    );
    // A file that does not decode: the placeholder, not an error.
    let r = desk.get(&sup, &format!("{}/thumb", ev(&f.broken))).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()[CONTENT_TYPE], "image/svg+xml");
    assert!(r.text().await.unwrap().contains("无法预览"));
    assert_eq!(
        desk.access_count(&f.id).await,
        n0,
        "previews are not accesses"
    );

    // The original: same bytes, declared type, inline; one access each time.
    let r = desk.get(&sup, &ev(&f.photo)).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()[CONTENT_TYPE], "image/jpeg");
    assert_eq!(r.headers()[CONTENT_DISPOSITION], "inline");
    let body = r.bytes().await.unwrap();
    assert_eq!(body.to_vec(), f.photo_bytes);
    assert_eq!(sha_hex(&body), f.photo);
    assert_eq!(desk.access_count(&f.id).await, n0 + 1);
    let _ = desk.get(&sup, &ev(&f.photo)).await.bytes().await.unwrap();
    assert_eq!(desk.access_count(&f.id).await, n0 + 2);

    // Audio: a player's first range request counts, a seek into the middle does not.
    let r = desk
        .client
        .get(desk.url(&ev(&f.audio)))
        .header(COOKIE, &sup)
        .header(RANGE, "bytes=0-")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(r.headers()[CONTENT_TYPE], "audio/wav");
    assert_eq!(r.bytes().await.unwrap().to_vec(), f.audio_bytes);
    assert_eq!(desk.access_count(&f.id).await, n0 + 3);
    let r = desk
        .client
        .get(desk.url(&ev(&f.audio)))
        .header(COOKIE, &sup)
        .header(RANGE, "bytes=1000-1999")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(r.bytes().await.unwrap().to_vec(), f.audio_bytes[1000..2000]);
    assert_eq!(
        desk.access_count(&f.id).await,
        n0 + 3,
        "a seek is not a new view"
    );

    // The log names the actions and objects, newest first.
    let log = desk
        .state
        .storage
        .access_log(&desk.agency, &f.id, 10, 0)
        .await
        .unwrap();
    assert_eq!(log[0].action, AccessAction::PlayRecording);
    assert_eq!(log[0].object, Some(format!("audio:{}", f.audio)));
    assert_eq!(log[1].action, AccessAction::ViewOriginal);
    assert_eq!(log[1].object, Some(format!("photo:{}", f.photo)));
    let r = desk
        .get(&sup, &format!("/desk/inspections/{}/access", f.id))
        .await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"access-log\""));
    assert_eq!(html.matches("class=\"access-entry\"").count(), 3);
    let table = &html[html.find("id=\"access-log\"").unwrap()..];
    let play = table.find("播放录音").unwrap();
    let view = table.find("查看原件").unwrap();
    assert!(play < view, "newest first");

    // The JSON API logs its view too.
    let r = desk
        .client
        .post(desk.url("/api/v1/login"))
        .json(&serde_json::json!({"login": "supervisor", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let token = r.json::<serde_json::Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();
    let r = desk
        .client
        .get(desk.url(&format!("/api/v1/inspections/{}", f.id)))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(desk.access_count(&f.id).await, n0 + 4);

    // No route edits or deletes the log.
    for method in [
        reqwest::Method::POST,
        reqwest::Method::DELETE,
        reqwest::Method::PUT,
    ] {
        let r = desk
            .client
            .request(
                method.clone(),
                desk.url(&format!("/desk/inspections/{}/access", f.id)),
            )
            .header(COOKIE, &sup)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED, "{method}");
    }
    assert_eq!(desk.access_count(&f.id).await, n0 + 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_foreign_and_bad_evidence_urls_answer_404_pages() {
    let desk = Desk::start().await;
    let f = seed(&desk).await;
    let sup = desk.sign_in("supervisor").await;
    let ev = |sha: &str| format!("/desk/inspections/{}/evidence/{sha}", f.id);
    let n0 = desk.access_count(&f.id).await;
    // Not uploaded yet: a Chinese 404 page, for the original and the thumbnail.
    for path in [ev(&f.missing), format!("{}/thumb", ev(&f.missing))] {
        let r = desk.get(&sup, &path).await;
        assert_eq!(r.status(), 404, "{path}");
        assert!(
            r.headers()[CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        assert!(r.text().await.unwrap().contains("尚未把它上传到平台"));
    }
    // A blob of the store that this inspection does not reference, a bad hash.
    let other = desk
        .state
        .blobs
        .put_bytes(b"someone else's evidence".to_vec())
        .await
        .unwrap()
        .sha256;
    for path in [ev(&other), ev("not-a-hash"), ev(&"A".repeat(64))] {
        assert_eq!(desk.get(&sup, &path).await.status(), 404, "{path}");
    }
    assert_eq!(
        desk.access_count(&f.id).await,
        n0,
        "refused views are not logged"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_agency_gets_404_officer_403_and_no_session_a_redirect() {
    let desk = Desk::start().await;
    let f = seed(&desk).await;
    let paths = [
        format!("/desk/inspections/{}", f.id),
        format!("/desk/inspections/{}/evidence/{}", f.id, f.photo),
        format!("/desk/inspections/{}/evidence/{}/thumb", f.id, f.photo),
        format!("/desk/inspections/{}/access", f.id),
    ];
    let outsider = desk.sign_in("other-supervisor").await;
    let unknown = desk
        .get(
            &outsider,
            "/desk/inspections/0193a5c0-0000-7000-8000-0000000000ff",
        )
        .await;
    assert_eq!(unknown.status(), 404);
    let unknown_body = unknown.text().await.unwrap();
    for p in &paths {
        let r = desk.get(&outsider, p).await;
        assert_eq!(r.status(), 404, "{p}");
        let body = r.text().await.unwrap();
        assert!(!body.contains("张三丰"), "{p} leaks the record");
        if p.ends_with(&f.id) {
            assert_eq!(body, unknown_body, "no existence leak");
        }
    }
    let officer = desk.sign_in("qy-zf-001").await;
    for p in &paths {
        let r = desk.get(&officer, p).await;
        assert_eq!(r.status(), 403, "{p}");
        assert!(r.text().await.unwrap().contains("无权"));
    }
    for p in &paths {
        let r = desk.client.get(desk.url(p)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{p}");
        assert!(
            r.headers()[LOCATION]
                .to_str()
                .unwrap()
                .starts_with("/login?next=")
        );
    }
    assert_eq!(desk.access_count(&f.id).await, 0, "nothing was shown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_document_gets_a_clear_page_and_the_log_pages() {
    let desk = Desk::start().await;
    let sup = desk.sign_in("supervisor").await;
    let id = "0193a5c0-0000-7000-8000-00000000dead";
    desk.state
        .storage
        .put_doc(
            &DocRecord {
                id: id.into(),
                agency_id: desk.agency.clone(),
                officer_ids: vec![],
                task_id: None,
                target_name: "损坏的记录".into(),
                status: "open".into(),
                heads: vec![],
                bytes: b"definitely not automerge".to_vec(),
                updated_at: now(),
            },
            None,
        )
        .await
        .unwrap();
    let r = desk.get(&sup, &format!("/desk/inspections/{id}")).await;
    assert_eq!(r.status(), 500);
    let html = r.text().await.unwrap();
    assert!(html.contains("检查记录无法读取"));
    assert!(html.contains("原始数据仍完整保存"));

    // The access log pages: 50 a page, newest first; a bad page number is a 400.
    for n in 0..55 {
        desk.state
            .storage
            .log_access(&AccessEntry {
                id: 0,
                agency_id: desk.agency.clone(),
                inspection_id: id.into(),
                user_id: "u".into(),
                user_name: format!("人员{n}"),
                user_role: Role::Supervisor,
                action: AccessAction::Export,
                object: None,
                at: now(),
                client_ip: Some("10.0.0.9".into()),
            })
            .await
            .unwrap();
    }
    let page1 = desk
        .get(&sup, &format!("/desk/inspections/{id}/access"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(page1.matches("class=\"access-entry\"").count(), 50);
    assert!(page1.contains(">人员54<") && !page1.contains(">人员4<"));
    // Sequence numbers of this record only, without gaps: 55 down to 6, then 5..1.
    assert!(page1.contains("data-label=\"序号\">55<") && page1.contains("data-label=\"序号\">6<"));
    assert!(page1.contains("导出") && page1.contains("10.0.0.9"));
    let page2 = desk
        .get(&sup, &format!("/desk/inspections/{id}/access?page=2"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(page2.matches("class=\"access-entry\"").count(), 5);
    assert!(page2.contains(">人员0<") && page2.contains("data-label=\"序号\">1<"));
    let bad = desk
        .get(&sup, &format!("/desk/inspections/{id}/access?page=x"))
        .await;
    assert_eq!(bad.status(), 400);
}
