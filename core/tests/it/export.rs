//! Case file export (案卷, R-REC-6) and offline verification: a real inspection
//! recorded through `Core`, exported as a folder and as a zip, verified clean, then
//! damaged in every way the issue lists; each damage is named precisely.

use crate::common;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use common::*;
use liuhen_core::Core;
use liuhen_core::api::RightsNoticeInput;
use liuhen_core::audit::LogEntry;
use liuhen_core::export::{
    CaseFile, CaseFormat, CaseProblem, ExportError, ExportSummary, Manifest, VerifyReport,
    export_case, verify_case, verify_case_with_key, verify_entry,
};
use liuhen_core::inspection::{Acknowledgement, EvidenceKind, InspectionStep};
use liuhen_core::time::Clock;

const FORMATS: [CaseFormat; 2] = [CaseFormat::Folder, CaseFormat::Zip];

/// A recorded inspection and the hashes of its evidence.
struct Recorded {
    _dir: tempfile::TempDir,
    clock: TestClock,
    core: Core,
    id: String,
    audio: String,
    photo: String,
    sig: String,
}

/// A complete, closed inspection with an amendment; another inspection is recorded
/// in between, so this one's log entries are not a contiguous run of the chain.
fn recorded() -> Recorded {
    let dir = tempfile::tempdir().unwrap();
    let clock = TestClock::at(start_time());
    let mut core = open_core(dir.path(), &clock);
    let id = core.open_for_task("task-1", "o1").unwrap();
    core.check_in(&id, "o1").unwrap();
    clock.advance_minutes(1);
    core.check_in(&id, "o2").unwrap();

    // Another inspection's steps interleave with this one's in the device log.
    let item = liuhen_core::model::CheckItem {
        code: "HB-09".into(),
        name: "信访投诉现场核查".into(),
        legal_basis: "《中华人民共和国环境保护法》第二十四条".into(),
    };
    let other = core.open_ad_hoc("t2", "生态环境", &item, "o1").unwrap();
    core.check_in(&other, "o1").unwrap();

    let audio = file(
        dir.path(),
        "notice.wav",
        b"RIFF....WAVEfmt fake audio payload",
    );
    let audio = capture(
        &mut core,
        &id,
        &audio,
        EvidenceKind::Audio,
        InspectionStep::IdentityNotice,
        "o1",
    );
    core.record_identity_notice(&id, None, &audio, "o1")
        .unwrap();
    clock.advance_minutes(10);
    let photo = file(
        dir.path(),
        "outlet.jpg",
        b"\xff\xd8\xff\xe0 photo of the outlet",
    );
    let photo = capture(
        &mut core,
        &id,
        &photo,
        EvidenceKind::Photo,
        InspectionStep::Findings,
        "o2",
    );
    let f1 = core
        .add_finding(&id, "废水排放口未设置标志牌", vec![photo.clone()], "o2")
        .unwrap();
    core.check_in(&other, "o2").unwrap();
    core.add_finding(
        &id,
        "现场张贴的告示含 <script>alert('x')</script> & \"引号\"",
        vec![],
        "o1",
    )
    .unwrap();
    let sig = file(dir.path(), "sig.png", b"\x89PNG signature strokes");
    let sig = capture(
        &mut core,
        &id,
        &sig,
        EvidenceKind::Signature,
        InspectionStep::RightsNotice,
        "o1",
    );
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
                signature_sha256: sig.clone(),
            },
        },
        "o1",
    )
    .unwrap();
    core.close(&id, "o1").unwrap();
    clock.advance_minutes(30);
    core.amend(
        &id,
        &format!("finding:{f1}"),
        "标志牌位置应为厂区东侧总排口",
        vec![],
        "o2",
    )
    .unwrap();
    core.open_evidence_original(&id, &photo, "o1", "案卷评查前核对照片")
        .unwrap();
    clock.advance_minutes(60);
    Recorded {
        _dir: dir,
        clock,
        core,
        id,
        audio,
        photo,
        sig,
    }
}

/// Exports `id` from `core` the way `Core::export_case` will.
fn export(
    core: &mut Core,
    clock: &TestClock,
    id: &str,
    out: &Path,
    format: CaseFormat,
) -> Result<ExportSummary, ExportError> {
    let inspection = core.inspection(id).unwrap();
    let document = core.export_document(id).unwrap();
    let log = core.store().log_entries(Some(id)).unwrap();
    let case = CaseFile {
        inspection: &inspection,
        document: &document,
        log: &log,
        device_public_key: core.device().verifying_key().to_bytes(),
        exported_at: clock.now(),
        exported_by: "o1",
        reason: "年度案卷评查（R-REC-8）",
    };
    export_case(&case, core.blobs(), out, format)
}

fn case_path(dir: &Path, name: &str, format: CaseFormat) -> PathBuf {
    match format {
        CaseFormat::Folder => dir.join(name),
        CaseFormat::Zip => dir.join(format!("{name}.zip")),
    }
}

// ---- a case file as a map of path -> bytes, to damage and write back ----------

type Tree = BTreeMap<String, Vec<u8>>;

fn load_tree(path: &Path) -> Tree {
    let mut t = Tree::new();
    if path.is_dir() {
        fn walk(root: &Path, dir: &Path, t: &mut Tree) {
            for e in std::fs::read_dir(dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    walk(root, &p, t);
                } else {
                    let rel = p.strip_prefix(root).unwrap().to_string_lossy();
                    t.insert(rel.replace('\\', "/"), std::fs::read(&p).unwrap());
                }
            }
        }
        walk(path, path, &mut t);
    } else {
        let mut z = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
        for i in 0..z.len() {
            let mut f = z.by_index(i).unwrap();
            let mut v = vec![];
            f.read_to_end(&mut v).unwrap();
            t.insert(f.name().unwrap().into_owned(), v);
        }
    }
    t
}

fn save_tree(t: &Tree, path: &Path, format: CaseFormat) {
    match format {
        CaseFormat::Folder => {
            for (name, bytes) in t {
                let p = path.join(name);
                std::fs::create_dir_all(p.parent().unwrap()).unwrap();
                std::fs::write(p, bytes).unwrap();
            }
        }
        CaseFormat::Zip => {
            let mut z = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
            for (name, bytes) in t {
                z.start_file(name.as_str(), zip::write::SimpleFileOptions::default())
                    .unwrap();
                z.write_all(bytes).unwrap();
            }
            z.finish().unwrap();
        }
    }
}

fn sha(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// Updates the manifest's hash and size of `name` to match its new content, as a
/// forger covering their tracks would.
fn fix_manifest(t: &mut Tree, name: &str) {
    let mut m: Manifest = serde_json::from_slice(&t["manifest.json"]).unwrap();
    let bytes = &t[name];
    match m.files.iter_mut().find(|f| f.path == name) {
        Some(e) => {
            e.sha256 = sha(bytes);
            e.size = bytes.len() as u64;
        }
        None => panic!("{name} not in manifest"),
    }
    t.insert(
        "manifest.json".into(),
        serde_json::to_vec_pretty(&m).unwrap(),
    );
}

fn flip_byte(bytes: &mut [u8]) {
    let i = bytes.len() / 2;
    bytes[i] ^= 0x01;
}

/// Copies the case file at `src`, applies `damage`, writes it to a new case file
/// of the same format and verifies that.
fn damaged(
    src: &Path,
    format: CaseFormat,
    label: &str,
    damage: impl FnOnce(&mut Tree),
) -> VerifyReport {
    let mut t = load_tree(src);
    damage(&mut t);
    let dir = src.parent().unwrap();
    let out = case_path(dir, &format!("damaged-{label}"), format);
    save_tree(&t, &out, format);
    verify_case(&out).unwrap()
}

fn evidence_file(t: &Tree, sha: &str) -> String {
    t.keys()
        .find(|k| k.starts_with(&format!("evidence/{sha}.")))
        .unwrap_or_else(|| panic!("no evidence file for {sha}"))
        .clone()
}

fn log_lines(t: &Tree) -> Vec<LogEntry> {
    std::str::from_utf8(&t["log.jsonl"])
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn set_log(t: &mut Tree, entries: &[LogEntry]) {
    let mut out = String::new();
    for e in entries {
        out.push_str(&serde_json::to_string(e).unwrap());
        out.push('\n');
    }
    t.insert("log.jsonl".into(), out.into_bytes());
    fix_manifest(t, "log.jsonl");
}

// ---- tests --------------------------------------------------------------------

#[test]
fn r_rec_6_exported_case_files_verify_clean_as_folder_and_zip() {
    let mut r = recorded();
    let out_dir = tempfile::tempdir().unwrap();
    for format in FORMATS {
        let out = case_path(out_dir.path(), "case", format);
        let s = export(&mut r.core, &r.clock, &r.id, &out, format).unwrap();
        assert_eq!(s.path, out);
        assert_eq!(s.format, format);
        assert_eq!(s.evidence_files, 3);
        assert_eq!(
            s.files,
            3 + 4,
            "evidence + record, inspection, document, log"
        );
        let log = r.core.store().log_entries(Some(&r.id)).unwrap();
        assert_eq!(s.log_entries, log.len());
        // Not a contiguous run: the other inspection's entries sit in between.
        assert!(log.windows(2).any(|w| w[1].seq != w[0].seq + 1));
        assert_eq!(format == CaseFormat::Folder, out.is_dir());

        let report = verify_case(&out).unwrap();
        assert!(report.is_intact(), "{format:?}: {:#?}", report.problems);
        assert_eq!(report.files_checked, s.files);
        assert!(report.record_regenerated, "record.html was re-rendered");
        assert_eq!(report.inspection_id.as_deref(), Some(r.id.as_str()));
        let key = r.core.device().verifying_key().to_bytes();
        assert_eq!(report.device_public_key, Some(hex::encode(key)));
        assert!(verify_case_with_key(&out, &key).unwrap().is_intact());

        // The tree is what the issue describes; originals are byte-for-byte.
        let t = load_tree(&out);
        let names: Vec<&str> = t.keys().map(String::as_str).collect();
        for must in [
            "manifest.json",
            "record.html",
            "inspection.json",
            "document.automerge",
            "log.jsonl",
        ] {
            assert!(names.contains(&must), "{must} missing: {names:?}");
        }
        assert_eq!(
            t[&evidence_file(&t, &r.photo)],
            media_bytes("outlet.jpg", b"\xff\xd8\xff\xe0 photo of the outlet"),
            "the original is copied byte for byte"
        );
        assert!(evidence_file(&t, &r.photo).ends_with(".jpg"));
        assert!(evidence_file(&t, &r.audio).ends_with(".wav"));
        assert!(evidence_file(&t, &r.sig).ends_with(".png"));
        assert_eq!(
            t["document.automerge"],
            r.core.export_document(&r.id).unwrap()
        );
        let m: Manifest = serde_json::from_slice(&t["manifest.json"]).unwrap();
        assert_eq!(m.format_version, 1);
        assert_eq!(m.exported_by, "o1");
        assert_eq!(sha(&t["manifest.json"]), s.manifest_sha256);
        for line in log_lines(&t) {
            verify_entry(&line, &r.core.device().verifying_key()).unwrap();
        }
        // No temporary left-overs beside the case file.
        let stray: Vec<_> = std::fs::read_dir(out_dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with('.'))
            .collect();
        assert!(stray.is_empty(), "{stray:?}");
    }
}

#[test]
fn r_rec_5_each_damage_is_named_precisely_in_folder_and_zip() {
    let mut r = recorded();
    let out_dir = tempfile::tempdir().unwrap();
    for format in FORMATS {
        let src = case_path(out_dir.path(), &format!("case-{format:?}"), format);
        let s = export(&mut r.core, &r.clock, &r.id, &src, format).unwrap();
        let tree = load_tree(&src);
        let photo_file = evidence_file(&tree, &r.photo);
        let ctx = |what: &str| format!("{format:?} / {what}");

        // One byte of an evidence original.
        let rep = damaged(&src, format, "evidence-byte", |t| {
            flip_byte(t.get_mut(&photo_file).unwrap())
        });
        match rep.problems.as_slice() {
            [CaseProblem::HashMismatch { file, expected, .. }] => {
                assert_eq!(file, &photo_file);
                assert_eq!(expected, &r.photo);
            }
            other => panic!("{}: {other:#?}", ctx("evidence byte")),
        }
        assert_eq!(rep.files_checked, s.files);
        assert!(rep.problems[0].to_string().contains(&photo_file));
        assert!(rep.problems[0].to_string().contains("R-REC-5"));

        // One byte of record.html.
        let rep = damaged(&src, format, "record-byte", |t| {
            flip_byte(t.get_mut("record.html").unwrap())
        });
        assert!(
            matches!(rep.problems.as_slice(),
                [CaseProblem::HashMismatch { file, .. }] if file == "record.html"),
            "{}: {:#?}",
            ctx("record byte"),
            rep.problems
        );

        // One byte of the document, of inspection.json, of the log: the hash names
        // the file first; anything else reported is about the same file's content.
        for (name, also) in [
            ("document.automerge", "DocumentMismatch"),
            ("inspection.json", "DocumentMismatch"),
            ("log.jsonl", "log.jsonl"),
        ] {
            let rep = damaged(&src, format, &format!("{name}-byte"), |t| {
                flip_byte(t.get_mut(name).unwrap())
            });
            assert!(
                matches!(rep.problems.first(),
                    Some(CaseProblem::HashMismatch { file, .. }) if file == name),
                "{}: {:#?}",
                ctx(name),
                rep.problems
            );
            for p in &rep.problems[1..] {
                let about_it = p.file() == Some(name)
                    || (also == "DocumentMismatch"
                        && matches!(p, CaseProblem::DocumentMismatch { .. }));
                assert!(about_it, "{}: unrelated problem {p:?}", ctx(name));
            }
        }

        // A deleted evidence file.
        let rep = damaged(&src, format, "evidence-deleted", |t| {
            t.remove(&photo_file);
        });
        assert_eq!(
            rep.problems,
            vec![CaseProblem::MissingFile {
                file: photo_file.clone()
            }],
            "{}",
            ctx("deleted")
        );
        assert_eq!(rep.files_checked, s.files - 1);
        assert!(rep.problems[0].to_string().contains(&photo_file));

        // Deleted and struck from the manifest: the record still references it.
        let rep = damaged(&src, format, "evidence-struck", |t| {
            t.remove(&photo_file);
            let mut m: Manifest = serde_json::from_slice(&t["manifest.json"]).unwrap();
            m.files.retain(|f| f.path != photo_file);
            t.insert("manifest.json".into(), serde_json::to_vec(&m).unwrap());
        });
        assert_eq!(
            rep.problems,
            vec![CaseProblem::EvidenceNotInManifest {
                sha256: r.photo.clone()
            }],
            "{}",
            ctx("struck")
        );

        // Evidence swapped and the manifest fixed up: its name still tells.
        let rep = damaged(&src, format, "evidence-swapped", |t| {
            t.insert(photo_file.clone(), b"another photo".to_vec());
            fix_manifest(t, &photo_file);
        });
        assert_eq!(
            rep.problems,
            vec![CaseProblem::HashMismatch {
                file: photo_file.clone(),
                expected: r.photo.clone(),
                actual: sha(b"another photo"),
            }],
            "{}",
            ctx("swapped")
        );

        // A log entry's action edited by hand, manifest fixed: only the entry's own
        // hash can tell.
        let entries = log_lines(&tree);
        let victim = entries[3].seq;
        let rep = damaged(&src, format, "log-edited", |t| {
            let mut e = log_lines(t);
            e[3].action = "close".into();
            set_log(t, &e);
        });
        assert_eq!(
            rep.problems,
            vec![CaseProblem::LogEntryAltered { seq: victim }],
            "{}",
            ctx("log edited")
        );
        assert!(
            rep.problems[0]
                .to_string()
                .contains(&format!("第 {victim} 条"))
        );
        assert!(!rep.record_regenerated);

        // ... and with its hash recomputed: the device signature breaks.
        let rep = damaged(&src, format, "log-rehashed", |t| {
            let mut e = log_lines(t);
            e[3].action = "close".into();
            e[3].hash = e[3].compute_hash();
            set_log(t, &e);
        });
        assert_eq!(
            rep.problems,
            vec![CaseProblem::LogSignatureInvalid { seq: victim }],
            "{}",
            ctx("log rehashed")
        );

        // Two log lines swapped.
        let rep = damaged(&src, format, "log-reordered", |t| {
            let mut e = log_lines(t);
            e.swap(4, 5);
            set_log(t, &e);
        });
        assert_eq!(
            rep.problems,
            vec![CaseProblem::LogOrder {
                seq: entries[4].seq
            }],
            "{}",
            ctx("log reordered")
        );

        // A file added after export.
        let rep = damaged(&src, format, "extra", |t| {
            t.insert("evidence/extra.jpg".into(), b"planted".to_vec());
        });
        assert_eq!(
            rep.problems,
            vec![CaseProblem::UnlistedFile {
                file: "evidence/extra.jpg".into()
            }],
            "{}",
            ctx("extra")
        );

        // A file added and slipped into the manifest: it has no place in the case.
        let rep = damaged(&src, format, "extra-listed", |t| {
            t.insert("notes.txt".into(), b"planted".to_vec());
            let mut m: Manifest = serde_json::from_slice(&t["manifest.json"]).unwrap();
            m.files.push(liuhen_core::export::ManifestEntry {
                path: "notes.txt".into(),
                sha256: sha(b"planted"),
                size: 7,
            });
            t.insert("manifest.json".into(), serde_json::to_vec(&m).unwrap());
        });
        assert_eq!(
            rep.problems,
            vec![CaseProblem::UnexpectedFile {
                file: "notes.txt".into()
            }],
            "{}",
            ctx("extra listed")
        );

        // inspection.json rewritten (and manifest fixed): the document disagrees.
        let rep = damaged(&src, format, "inspection-json", |t| {
            let mut v: serde_json::Value = serde_json::from_slice(&t["inspection.json"]).unwrap();
            v["findings"][0]["text"] = "废水排放口标志牌齐全".into();
            t.insert(
                "inspection.json".into(),
                serde_json::to_vec_pretty(&v).unwrap(),
            );
            fix_manifest(t, "inspection.json");
        });
        match rep.problems.as_slice() {
            [CaseProblem::DocumentMismatch { reason }] => {
                assert!(reason.contains("findings[0].text"), "{reason}")
            }
            other => panic!("{}: {other:#?}", ctx("inspection.json")),
        }

        // record.html rewritten (and manifest fixed): regenerating it tells.
        let rep = damaged(&src, format, "record-rewritten", |t| {
            let html = String::from_utf8(t["record.html"].clone()).unwrap();
            let forged = html.replace("废水排放口未设置标志牌", "废水排放口标志牌齐全");
            assert_ne!(html, forged);
            t.insert("record.html".into(), forged.into_bytes());
            fix_manifest(t, "record.html");
        });
        assert_eq!(
            rep.problems,
            vec![CaseProblem::RecordMismatch],
            "{}",
            ctx("record")
        );

        // A case file of another device's key.
        let other = ed25519_dalek::SigningKey::from_bytes(&[9u8; 32]);
        let rep = verify_case_with_key(&src, &other.verifying_key().to_bytes()).unwrap();
        assert!(
            matches!(
                rep.problems.as_slice(),
                [CaseProblem::DeviceKeyMismatch { .. }]
            ),
            "{:#?}",
            rep.problems
        );
    }
}

#[test]
fn r_rec_5_a_byte_changed_inside_the_zip_file_itself_is_named() {
    let mut r = recorded();
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("case.zip");
    export(&mut r.core, &r.clock, &r.id, &out, CaseFormat::Zip).unwrap();
    // Evidence is stored uncompressed: its bytes appear as is in the zip.
    let mut raw = std::fs::read(&out).unwrap();
    let photo = media_bytes("outlet.jpg", b"\xff\xd8\xff\xe0 photo of the outlet");
    let needle = &photo[photo.len() / 2..photo.len() / 2 + 24];
    let at = raw
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("stored evidence bytes");
    raw[at] ^= 0x20;
    let bad = out_dir.path().join("bad.zip");
    std::fs::write(&bad, raw).unwrap();
    let rep = verify_case(&bad).unwrap();
    let photo_file = format!("evidence/{}.jpg", r.photo);
    assert_eq!(rep.problems.len(), 1, "{:#?}", rep.problems);
    assert_eq!(rep.problems[0].file(), Some(photo_file.as_str()));
    assert!(matches!(
        rep.problems[0],
        CaseProblem::UnreadableFile { .. } | CaseProblem::HashMismatch { .. }
    ));

    // Not a case file at all.
    let junk = out_dir.path().join("junk.zip");
    std::fs::write(&junk, b"not a zip").unwrap();
    let e = verify_case(&junk).unwrap_err();
    assert!(matches!(e, ExportError::NotACaseFile { .. }), "{e}");
    // A folder without a manifest.
    let empty = out_dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let rep = verify_case(&empty).unwrap();
    assert!(
        matches!(
            rep.problems.as_slice(),
            [CaseProblem::ManifestUnreadable { .. }]
        ),
        "{:#?}",
        rep.problems
    );
}

#[test]
fn r_rec_5_export_refuses_missing_or_damaged_evidence_and_leaves_nothing() {
    let mut r = recorded();
    let out_dir = tempfile::tempdir().unwrap();
    let blob = r.core.blobs().path_of(&r.photo);
    let original = std::fs::read(&blob).unwrap();

    std::fs::remove_file(&blob).unwrap();
    for format in FORMATS {
        let out = case_path(out_dir.path(), "case", format);
        let e = export(&mut r.core, &r.clock, &r.id, &out, format).unwrap_err();
        assert!(
            matches!(&e, ExportError::EvidenceMissing { sha256 } if *sha256 == r.photo),
            "{e:?}"
        );
        let msg = e.to_string();
        assert!(msg.contains(&r.photo) && msg.contains("R-REC-5"), "{msg}");
        assert!(!out.exists());
    }

    // Present but damaged: found while copying; the half-written case is removed.
    std::fs::write(&blob, b"\xff\xd8\xff\xe0 photo of the 0utlet").unwrap();
    for format in FORMATS {
        let out = case_path(out_dir.path(), "case", format);
        let e = export(&mut r.core, &r.clock, &r.id, &out, format).unwrap_err();
        assert!(
            matches!(&e, ExportError::EvidenceCorrupt { sha256 } if *sha256 == r.photo),
            "{e:?}"
        );
        assert!(!out.exists());
    }
    let left: Vec<_> = std::fs::read_dir(out_dir.path()).unwrap().collect();
    assert!(left.is_empty(), "nothing left behind: {left:?}");

    // Restored: exports; a second export to the same place is refused.
    std::fs::write(&blob, original).unwrap();
    let out = case_path(out_dir.path(), "case", CaseFormat::Zip);
    export(&mut r.core, &r.clock, &r.id, &out, CaseFormat::Zip).unwrap();
    let e = export(&mut r.core, &r.clock, &r.id, &out, CaseFormat::Zip).unwrap_err();
    assert!(matches!(e, ExportError::OutputExists { .. }), "{e}");
    assert!(verify_case(&out).unwrap().is_intact());
}

#[test]
fn export_refuses_parts_that_do_not_belong_together() {
    let mut r = recorded();
    let out_dir = tempfile::tempdir().unwrap();
    let inspection = r.core.inspection(&r.id).unwrap();
    let mut changed = inspection.clone();
    changed.findings[0].text = "改过".into();
    let document = r.core.export_document(&r.id).unwrap();
    let whole_log = r.core.store().log_entries(None).unwrap();
    let own_log = r.core.store().log_entries(Some(&r.id)).unwrap();
    let key = r.core.device().verifying_key().to_bytes();
    let out = out_dir.path().join("case");
    let attempt = |inspection, log, reason| {
        let case = CaseFile {
            inspection,
            document: &document,
            log,
            device_public_key: key,
            exported_at: r.clock.now(),
            exported_by: "o1",
            reason,
        };
        export_case(&case, r.core.blobs(), &out, CaseFormat::Folder).unwrap_err()
    };
    // The whole device log holds entries of other records.
    let e = attempt(&inspection, &whole_log, "核查");
    assert!(matches!(e, ExportError::Inconsistent(_)), "{e}");
    assert!(e.to_string().contains("不属于"), "{e}");
    let e = attempt(&inspection, &own_log, " ");
    assert!(e.to_string().contains("导出事由"), "{e}");
    let e = attempt(&changed, &own_log, "核查");
    assert!(e.to_string().contains("findings[0].text"), "{e}");
    assert!(!out.exists());
}

#[test]
fn r_rec_6_the_record_reads_as_a_chinese_inspection_record_and_escapes_text() {
    let mut r = recorded();
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("case");
    export(&mut r.core, &r.clock, &r.id, &out, CaseFormat::Folder).unwrap();
    let html = std::fs::read_to_string(out.join("record.html")).unwrap();
    for part in [
        "<title>现场检查笔录",
        "清远市生态环境局",
        "检查对象",
        "清远市某化工有限公司",
        "清远市清城区工业大道 1 号",
        "检查事项",
        "排污许可执行情况检查",
        "检查时间",
        "2026年11月20日 09时00分",
        "执法人员",
        "张伟",
        "44180020001",
        "李娜",
        "44180020002",
        "亮证告知",
        "现在开始录音录像",
        &format!("evidence/{}.wav", r.audio),
        "检查情况",
        "废水排放口未设置标志牌",
        "现场照片",
        &format!("<img src=\"evidence/{}.jpg\" width=\"240\"", r.photo),
        // Where the photo was taken, with accuracy and fix time (R-REC-3).
        "北纬 23.68000，东经 113.05000，精度约 12 米，2026年11月20日 ",
        "权利告知",
        "2026-01",
        "申请行政复议",
        "刘经理",
        &format!("<img src=\"evidence/{}.png\" width=\"240\"", r.sig),
        "更正记录",
        "检查情况第 1 条",
        "标志牌位置应为厂区东侧总排口",
        "日志",
        "结束现场检查",
        "调阅证据原件",
        "导出人：张伟",
        "年度案卷评查",
        "@page { size: A4",
    ] {
        assert!(html.contains(part), "record.html lacks {part}");
    }
    let ins = r.core.inspection(&r.id).unwrap();
    let code = ins.meta.target_credit_code.clone().unwrap();
    assert!(html.contains(&code));
    // Every log entry's hash prefix is listed.
    for e in r.core.store().log_entries(Some(&r.id)).unwrap() {
        assert!(html.contains(&e.hash[..16]), "log {} missing", e.seq);
    }
    // Text typed by people is escaped, never markup.
    assert!(!html.contains("<script>"), "unescaped script");
    assert!(html.contains("&lt;script&gt;alert("), "escaped script");
    assert!(
        !html.contains("R-REC-9"),
        "company target: no personal-data footer"
    );
}

#[test]
fn r_rec_9_natural_person_case_file_shows_the_name_and_the_footer() {
    let dir = tempfile::tempdir().unwrap();
    let clock = TestClock::at(start_time());
    let mut core = open_core(dir.path(), &clock);
    let item = liuhen_core::model::CheckItem {
        code: "HB-09".into(),
        name: "信访投诉现场核查".into(),
        legal_basis: "《中华人民共和国环境保护法》第二十四条".into(),
    };
    let id = core.open_ad_hoc("t2", "生态环境", &item, "o1").unwrap();
    core.check_in(&id, "o1").unwrap();
    core.check_in(&id, "o2").unwrap();
    core.add_finding(&id, "院内堆放废旧轮胎", vec![], "o1")
        .unwrap();
    let out = dir.path().join("case.zip");
    export(&mut core, &clock, &id, &out, CaseFormat::Zip).unwrap();
    let t = load_tree(&out);
    let html = String::from_utf8(t["record.html"].clone()).unwrap();
    assert!(html.contains("陈某某"), "internal case file: full name");
    assert!(html.contains("本案卷含个人信息，仅供执法监督使用 (R-REC-9)"));
    assert!(html.contains("检查尚未结束"));
    assert!(html.contains("未记录权利告知"));
    assert!(verify_case(&out).unwrap().is_intact());
}

#[test]
fn r_rec_6_merge_conflicts_are_shown_side_by_side_and_merged_cases_verify() {
    let clock = TestClock::at(start_time());
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut a = open_core(da.path(), &clock);
    let mut b = open_core(db.path(), &clock);
    let id = a.open_for_task("task-1", "o1").unwrap();
    a.check_in(&id, "o1").unwrap();
    a.check_in(&id, "o2").unwrap();
    let f = a.add_finding(&id, "初始记录", vec![], "o1").unwrap();
    let bytes = a.export_document(&id).unwrap();
    b.merge_document(&bytes, "o2").unwrap();
    a.edit_finding(&id, &f, "初始记录（甲修改）", "o1").unwrap();
    // Its author edits it on a second device too (only authors edit, R-REC-5).
    b.edit_finding(&id, &f, "初始记录（乙修改）", "o1").unwrap();
    let from_b = b.export_document(&id).unwrap();
    a.merge_document(&from_b, "o1").unwrap();
    assert_eq!(a.inspection(&id).unwrap().conflicts.len(), 1);

    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("case");
    export(&mut a, &clock, &id, &out, CaseFormat::Folder).unwrap();
    let html = std::fs::read_to_string(out.join("record.html")).unwrap();
    assert!(html.contains("记录合并冲突"));
    assert!(
        html.contains("<td>初始记录（甲修改）</td>")
            && html.contains("<td>初始记录（乙修改）</td>")
    );
    assert!(html.contains("合并其他设备的记录"));
    let rep = verify_case(&out).unwrap();
    assert!(rep.is_intact(), "{:#?}", rep.problems);

    // The document rolled back to before the merge: the log's merge entry points at
    // a version the document does not have.
    let mut t = load_tree(&out);
    t.insert("document.automerge".into(), bytes.clone());
    fix_manifest(&mut t, "document.automerge");
    let older = out_dir.path().join("rolled-back");
    save_tree(&t, &older, CaseFormat::Folder);
    let rep = verify_case(&older).unwrap();
    assert!(
        rep.problems
            .iter()
            .any(|p| matches!(p, CaseProblem::LogHeadsNotInDocument { .. })),
        "{:#?}",
        rep.problems
    );
    assert!(
        rep.problems
            .iter()
            .any(|p| matches!(p, CaseProblem::DocumentMismatch { .. })),
        "{:#?}",
        rep.problems
    );
}
