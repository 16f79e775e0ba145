//! A whole on-site inspection recorded offline through the `Core` facade, and every
//! bad input the issue lists: each gets a clear error and loses nothing.

use crate::common;

use common::*;
use liuhen_core::CoreError;
use liuhen_core::api::RightsNoticeInput;
use liuhen_core::inspection::{Acknowledgement, EvidenceKind, InspectionStatus, InspectionStep};
use liuhen_core::model::CertificateProblem;
use liuhen_core::store::SyncState;

fn rights(sig: &str) -> RightsNoticeInput {
    RightsNoticeInput {
        notice_version: "2026-01".into(),
        remedy_channels: vec![
            "自收到决定之日起六十日内向清远市人民政府申请行政复议".into(),
            "自收到决定之日起六个月内向人民法院提起行政诉讼".into(),
        ],
        acknowledgement: Acknowledgement::Signed {
            signer_name: "刘经理".into(),
            signature_sha256: sig.into(),
        },
    }
}

#[test]
fn a_complete_inspection_recorded_offline() {
    let dir = tempfile::tempdir().unwrap();
    let clock = TestClock::at(start_time());
    let mut core = open_core(dir.path(), &clock);

    assert_eq!(core.tasks(Some("o1")).unwrap().len(), 1);
    let id = core.open_for_task("task-1", "o1").unwrap();
    assert_eq!(uuid::Uuid::parse_str(&id).unwrap().get_version_num(), 7);

    core.check_in(&id, "o1").unwrap();
    clock.advance_minutes(1);
    core.check_in(&id, "o2").unwrap();

    let statement = core.identity_statement(&id).unwrap();
    for part in [
        "2026年11月20日 09时01分",
        "清远市清城区工业大道 1 号",
        "张伟（执法证号：44180020001）",
        "李娜（执法证号：44180020002）",
        "排污许可执行情况检查",
        "现在开始录音录像",
    ] {
        assert!(
            statement.contains(part),
            "statement lacks {part}: {statement}"
        );
    }
    let audio = file(
        dir.path(),
        "notice.wav",
        b"RIFF....WAVEfmt fake audio payload",
    );
    let audio_sha = capture(
        &mut core,
        &id,
        &audio,
        EvidenceKind::Audio,
        InspectionStep::IdentityNotice,
        "o1",
    );
    core.record_identity_notice(&id, None, &audio_sha, "o1")
        .unwrap();

    clock.advance_minutes(10);
    let photo = file(
        dir.path(),
        "outlet.jpg",
        b"\xff\xd8\xff\xe0 photo of the outlet",
    );
    let photo_sha = capture(
        &mut core,
        &id,
        &photo,
        EvidenceKind::Photo,
        InspectionStep::Findings,
        "o2",
    );
    let f1 = core
        .add_finding(&id, "废水排放口未设置标志牌", vec![photo_sha.clone()], "o2")
        .unwrap();
    core.add_finding(&id, "污染防治设施运行记录完整", vec![], "o1")
        .unwrap();
    core.edit_finding(&id, &f1, "废水总排放口未按规定设置环境保护图形标志牌", "o2")
        .unwrap();

    // Not yet closable: the rights notice is missing.
    let v = core.violations(&id).unwrap();
    assert_eq!(
        v.iter().map(|v| v.rule.as_str()).collect::<Vec<_>>(),
        vec!["R-SCENE-4"]
    );

    let sig = file(dir.path(), "sig.png", b"\x89PNG signature strokes");
    let sig_sha = capture(
        &mut core,
        &id,
        &sig,
        EvidenceKind::Signature,
        InspectionStep::RightsNotice,
        "o1",
    );
    core.record_rights_notice(&id, rights(&sig_sha), "o1")
        .unwrap();
    assert!(core.violations(&id).unwrap().is_empty());
    core.close(&id, "o1").unwrap();

    // Closed: no more edits, only amendments that point at what they amend.
    let e = core.add_finding(&id, "补充", vec![], "o1").unwrap_err();
    assert!(matches!(e, CoreError::Closed { .. }), "{e}");
    assert!(e.to_string().contains("R-REC-5"));
    let a = core
        .amend(
            &id,
            &format!("finding:{f1}"),
            "标志牌位置应为厂区东侧总排口",
            vec![],
            "o2",
        )
        .unwrap();
    let bad = core
        .amend(&id, "finding:nope", "x", vec![], "o2")
        .unwrap_err();
    assert!(bad.to_string().contains("不存在"), "{bad}");

    // Everything survives a restart.
    drop(core);
    let mut core = open_core(dir.path(), &clock);
    let i = core.inspection(&id).unwrap();
    assert_eq!(i.status(), InspectionStatus::Closed);
    assert_eq!(i.team.len(), 2);
    assert_eq!(i.findings.len(), 2);
    assert!(i.findings[0].text.contains("环境保护图形标志牌"));
    assert_eq!(i.evidence.len(), 3);
    assert_eq!(i.amendments.len(), 1);
    assert_eq!(i.amendments[0].id, a);
    assert_eq!(i.amendments[0].amends, format!("finding:{f1}"));
    assert_eq!(i.identity_notice.unwrap().statement, statement);
    assert!(core.blobs().contains(&photo_sha));

    // Every step is in the signed log, and the log verifies.
    let actions: Vec<String> = core
        .store()
        .log_entries(Some(&id))
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(
        actions,
        [
            "open",
            "check_in",
            "check_in",
            "evidence",
            "identity_notice",
            "evidence",
            "finding",
            "finding",
            "edit_finding",
            "evidence",
            "rights_notice",
            "close",
            "amendment"
        ]
    );
    assert_eq!(core.verify_log().unwrap(), 14); // + the roster refresh
    let listed = core.list_inspections(true).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].status, "closed");
    assert_eq!(listed[0].sync_state, SyncState::Pending);
}

#[test]
fn ad_hoc_inspection_of_a_natural_person() {
    let dir = tempfile::tempdir().unwrap();
    let clock = TestClock::at(start_time());
    let mut core = open_core(dir.path(), &clock);
    let item = liuhen_core::model::CheckItem {
        code: "HB-09".into(),
        name: "信访投诉现场核查".into(),
        legal_basis: "《中华人民共和国环境保护法》第二十四条".into(),
    };
    let id = core.open_ad_hoc("t2", "生态环境", &item, "o1").unwrap();
    let i = core.inspection(&id).unwrap();
    assert!(i.meta.target_is_natural_person);
    assert!(i.meta.task_id.is_none());
    assert!(matches!(
        core.open_ad_hoc("nope", "生态环境", &item, "o1"),
        Err(CoreError::NotFound {
            what: "检查对象",
            ..
        })
    ));
}

#[test]
fn officer_without_valid_certificate_is_refused_and_nothing_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let clock = TestClock::at(start_time());
    let mut core = open_core(dir.path(), &clock);
    let item = liuhen_core::model::CheckItem {
        code: "HB-01".into(),
        name: "排污许可执行情况检查".into(),
        legal_basis: "".into(),
    };
    let id = core.open_ad_hoc("t1", "生态环境", &item, "o1").unwrap();
    core.check_in(&id, "o1").unwrap();

    // o3's certificate expired on 2026-06-30.
    let e = core.check_in(&id, "o3").unwrap_err();
    assert!(
        matches!(
            e,
            CoreError::Certificate(CertificateProblem::OutOfDate { .. })
        ),
        "{e}"
    );
    assert!(e.to_string().starts_with("R-SCENE-1"), "{e}");
    assert!(e.to_string().contains("2026-06-30"), "{e}");
    // o4's certificate is suspended.
    let e = core.check_in(&id, "o4").unwrap_err();
    assert!(e.to_string().contains("暂扣"), "{e}");
    // Wrong category: an ad hoc safety inspection with environmental certificates.
    let id2 = core.open_ad_hoc("t1", "安全生产", &item, "o1").unwrap();
    let e = core.check_in(&id2, "o1").unwrap_err();
    assert!(matches!(
        e,
        CoreError::Certificate(CertificateProblem::CategoryNotCovered { .. })
    ));
    // An officer not on the roster at all.
    assert!(matches!(
        core.check_in(&id, "o99"),
        Err(CoreError::NotFound { .. })
    ));
    // Checking in twice.
    assert!(matches!(
        core.check_in(&id, "o1"),
        Err(CoreError::AlreadyCheckedIn { .. })
    ));

    let i = core.inspection(&id).unwrap();
    assert_eq!(
        i.team.len(),
        1,
        "o1's check-in is kept, no refused one was added"
    );
    core.verify_log().unwrap();
}

#[test]
fn task_officers_only_and_cancelled_tasks() {
    let dir = tempfile::tempdir().unwrap();
    let clock = TestClock::at(start_time());
    let mut core = open_core(dir.path(), &clock);
    // o3 is not on task-1.
    let e = core.open_for_task("task-1", "o3").unwrap_err();
    assert!(e.to_string().starts_with("R-RAND-2"), "{e}");
    let id = core.open_for_task("task-1", "o1").unwrap();
    let mut r = roster();
    r.officers[2].valid_until = chrono::NaiveDate::from_ymd_opt(2027, 1, 1).unwrap();
    r.tasks[0].status = liuhen_core::model::TaskStatus::Cancelled;
    r.tasks[0].note = Some("对象已注销".into());
    core.load_roster(r, "o1").unwrap();
    let e = core.check_in(&id, "o3").unwrap_err();
    assert!(e.to_string().starts_with("R-RAND-2"), "{e}");
    let e = core.open_for_task("task-1", "o1").unwrap_err();
    assert!(e.to_string().contains("对象已注销"), "{e}");
}

#[test]
fn one_officer_only_cannot_give_the_identity_notice_or_close() {
    let dir = tempfile::tempdir().unwrap();
    let clock = TestClock::at(start_time());
    let mut core = open_core(dir.path(), &clock);
    let id = core.open_for_task("task-1", "o1").unwrap();
    core.check_in(&id, "o1").unwrap();
    let audio = file(dir.path(), "a.wav", b"audio bytes");
    let sha = capture(
        &mut core,
        &id,
        &audio,
        EvidenceKind::Audio,
        InspectionStep::IdentityNotice,
        "o1",
    );
    let e = core
        .record_identity_notice(&id, None, &sha, "o1")
        .unwrap_err();
    assert!(matches!(e, CoreError::TeamIncomplete { count: 1 }), "{e}");
    core.add_finding(&id, "现场无人值守", vec![], "o1").unwrap();

    let e = core.close(&id, "o1").unwrap_err();
    let CoreError::CloseRefused { violations } = &e else {
        panic!("expected CloseRefused, got {e}");
    };
    let rules: Vec<&str> = violations.iter().map(|v| v.rule.as_str()).collect();
    assert_eq!(rules, vec!["R-SCENE-2", "R-SCENE-3", "R-SCENE-4"], "{e}");
    let text = e.to_string();
    assert!(text.contains("当前仅 1 名"), "{text}");
    assert!(text.contains("亮证告知"), "{text}");
    assert!(text.contains("救济途径"), "{text}");
    // Officers not in the team cannot record steps.
    let e = core.add_finding(&id, "x", vec![], "o2").unwrap_err();
    assert!(matches!(e, CoreError::NotInTeam { .. }));
    assert_eq!(core.inspection(&id).unwrap().findings.len(), 1);
}

#[test]
fn closing_with_identity_notice_missing_lists_the_rule() {
    let dir = tempfile::tempdir().unwrap();
    let clock = TestClock::at(start_time());
    let mut core = open_core(dir.path(), &clock);
    let id = core.open_for_task("task-1", "o1").unwrap();
    core.check_in(&id, "o1").unwrap();
    core.check_in(&id, "o2").unwrap();
    core.add_finding(&id, "未发现问题", vec![], "o1").unwrap();
    let sig = file(dir.path(), "s.png", b"sig");
    let sig_sha = capture(
        &mut core,
        &id,
        &sig,
        EvidenceKind::Signature,
        InspectionStep::RightsNotice,
        "o1",
    );
    core.record_rights_notice(&id, rights(&sig_sha), "o1")
        .unwrap();
    let e = core.close(&id, "o1").unwrap_err();
    let CoreError::CloseRefused { violations } = &e else {
        panic!("{e}")
    };
    assert_eq!(violations.len(), 1);
    assert_eq!(violations[0].rule, "R-SCENE-3");
    assert_eq!(
        core.inspection(&id).unwrap().status(),
        InspectionStatus::Open
    );
}

#[test]
fn bad_evidence_references_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let clock = TestClock::at(start_time());
    let mut core = open_core(dir.path(), &clock);
    let id = core.open_for_task("task-1", "o1").unwrap();
    core.check_in(&id, "o1").unwrap();
    core.check_in(&id, "o2").unwrap();
    let missing = "ab".repeat(32);
    let e = core
        .add_finding(&id, "x", vec![missing.clone()], "o1")
        .unwrap_err();
    assert!(matches!(e, CoreError::EvidenceNotAttached { .. }), "{e}");
    let e = core
        .add_finding(&id, "x", vec!["not-a-hash".into()], "o1")
        .unwrap_err();
    assert!(e.to_string().contains("evidence.sha256"), "{e}");
    // A photo is not a recording of the identity notice.
    let photo = file(dir.path(), "p.jpg", b"photo");
    let p = capture(
        &mut core,
        &id,
        &photo,
        EvidenceKind::Photo,
        InspectionStep::Findings,
        "o1",
    );
    let e = core
        .record_identity_notice(&id, None, &p, "o1")
        .unwrap_err();
    assert!(e.to_string().starts_with("R-REC-3"), "{e}");
    // Zero-byte evidence.
    let empty = file(dir.path(), "empty.wav", b"");
    let e = core
        .capture_evidence(
            &id,
            &empty,
            liuhen_core::api::CaptureInput {
                kind: EvidenceKind::Audio,
                media_type: "audio/wav".into(),
                step: InspectionStep::IdentityNotice,
                location: None,
            },
            "o1",
        )
        .unwrap_err();
    assert!(e.to_string().contains("0 字节"), "{e}");
    // Refusal to sign needs a witness.
    let e = core
        .record_rights_notice(
            &id,
            RightsNoticeInput {
                notice_version: "2026-01".into(),
                remedy_channels: vec!["行政复议".into()],
                acknowledgement: Acknowledgement::Refused {
                    witness_name: " ".into(),
                    reason: "".into(),
                },
            },
            "o1",
        )
        .unwrap_err();
    assert!(e.to_string().contains("见证人"), "{e}");
    let e = core
        .record_rights_notice(
            &id,
            RightsNoticeInput {
                notice_version: "2026-01".into(),
                remedy_channels: vec![],
                acknowledgement: Acknowledgement::Refused {
                    witness_name: "村委会主任".into(),
                    reason: "".into(),
                },
            },
            "o1",
        )
        .unwrap_err();
    assert!(e.to_string().contains("救济途径"), "{e}");
    assert!(core.inspection(&id).unwrap().rights_notice.is_none());
}

#[test]
fn malformed_roster_is_refused_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let clock = TestClock::at(start_time());
    let mut core = open_core(dir.path(), &clock);
    let before = core.roster().unwrap();
    // A malformed credit code cannot even be deserialised into the model.
    let mut json = serde_json::to_value(roster()).unwrap();
    json["targets"][0]["credit_code"] = "91441800MA4UJ0E1X0".into();
    let err = serde_json::from_value::<liuhen_core::model::RosterSnapshot>(json).unwrap_err();
    assert!(err.to_string().contains("校验码错误"), "{err}");
    // A task with one officer is refused by validation, naming the record and field.
    let mut r = roster();
    r.tasks[0].officer_ids.truncate(1);
    let e = core.load_roster(r, "o1").unwrap_err();
    assert!(e.to_string().contains("tasks[0].task.officer_ids"), "{e}");
    assert_eq!(
        core.roster().unwrap(),
        before,
        "the cached roster is unchanged"
    );
}

#[test]
fn two_devices_edit_one_inspection_offline_and_merge() {
    let clock = TestClock::at(start_time());
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut a = open_core(da.path(), &clock);
    let mut b = open_core(db.path(), &clock);
    let id = a.open_for_task("task-1", "o1").unwrap();
    a.check_in(&id, "o1").unwrap();
    a.check_in(&id, "o2").unwrap();
    let f = a.add_finding(&id, "初始记录", vec![], "o1").unwrap();
    let bytes = a.export_document(&id).unwrap();
    assert_eq!(b.merge_document(&bytes, "o2").unwrap(), id);

    // Offline on both: each adds a finding, both edit the same finding.
    a.add_finding(&id, "甲设备：危废贮存间防渗层破损", vec![], "o1")
        .unwrap();
    b.add_finding(&id, "乙设备：在线监测数据正常", vec![], "o2")
        .unwrap();
    a.edit_finding(&id, &f, "初始记录（甲修改）", "o1").unwrap();
    // The same officer (o1) edits it again on a second device of theirs: only a
    // finding's author edits it (R-REC-5), so that is how a conflict arises.
    b.edit_finding(&id, &f, "初始记录（乙修改）", "o1").unwrap();

    let from_a = a.export_document(&id).unwrap();
    let from_b = b.export_document(&id).unwrap();
    a.merge_document(&from_b, "o1").unwrap();
    b.merge_document(&from_a, "o2").unwrap();
    let (ia, ib) = (a.inspection(&id).unwrap(), b.inspection(&id).unwrap());
    assert_eq!(ia, ib, "both devices converge");
    assert_eq!(ia.findings.len(), 3);
    // The concurrent edit is a conflict with both values, never silently dropped.
    assert_eq!(ia.conflicts.len(), 1, "{:?}", ia.conflicts);
    assert!(ia.conflicts[0].path.ends_with(".text"));
    let mut vals = ia.conflicts[0].values.clone();
    vals.sort();
    assert_eq!(vals, vec!["初始记录（乙修改）", "初始记录（甲修改）"]);
    // Writing it again resolves it on both after another merge.
    a.edit_finding(&id, &f, "初始记录（两人确认）", "o1")
        .unwrap();
    let again = a.export_document(&id).unwrap();
    b.merge_document(&again, "o2").unwrap();
    assert!(b.inspection(&id).unwrap().conflicts.is_empty());
    a.verify_log().unwrap();
    b.verify_log().unwrap();
}

/// A record of another agency is not merged (its log entry would name another
/// agency's record, which the server refuses; issue 16 item 6).
#[test]
fn a_record_of_another_agency_is_not_merged() {
    let clock = TestClock::at(start_time());
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut a = open_core(da.path(), &clock);
    let id = a.open_for_task("task-1", "o1").unwrap();
    let bytes = a.export_document(&id).unwrap();
    let mut b = open_core(db.path(), &clock);
    let mut other = roster();
    other.agency.id = "another-agency".into();
    for o in &mut other.officers {
        o.agency_id = "another-agency".into();
    }
    for t in &mut other.targets {
        t.agency_id = "another-agency".into();
    }
    for t in &mut other.tasks {
        t.agency_id = "another-agency".into();
    }
    b.load_roster(other, "o2").unwrap();
    let log_before = b.store().log_entries(None).unwrap().len();
    let e = b.merge_document(&bytes, "o2").unwrap_err();
    assert!(e.to_string().contains("meta.agency_id"), "{e}");
    assert!(e.to_string().contains("其他执法主体"), "{e}");
    assert!(b.list_inspections(false).unwrap().is_empty());
    assert_eq!(b.store().log_entries(None).unwrap().len(), log_before);
}

#[test]
fn documents_are_saved_incrementally_and_compacted() {
    let dir = tempfile::tempdir().unwrap();
    let clock = TestClock::at(start_time());
    let mut core = open_core(dir.path(), &clock);
    let id = core.open_for_task("task-1", "o1").unwrap();
    core.check_in(&id, "o1").unwrap();
    core.check_in(&id, "o2").unwrap();
    let mut sizes = vec![];
    for n in 0..(liuhen_core::store::COMPACT_AFTER_CHUNKS + 5) {
        core.add_finding(&id, &format!("记录 {n}"), vec![], "o1")
            .unwrap();
        let stored = core.store().load_document(&id).unwrap();
        sizes.push((stored.chunks.len(), stored.chunks.last().unwrap().1.len()));
    }
    // Each step appended one small chunk, not a rewrite of the whole document...
    assert_eq!(sizes[0].0, 4);
    assert_eq!(sizes[10].0, 14);
    assert!(
        sizes[10].1 < 400,
        "incremental chunk is small: {:?}",
        sizes[10]
    );
    // ...until the compaction threshold, where the chunks were folded into one.
    assert!(sizes.iter().any(|(n, _)| *n == 1), "{sizes:?}");
    drop(core);
    let mut core = open_core(dir.path(), &clock);
    assert_eq!(
        core.inspection(&id).unwrap().findings.len() as i64,
        liuhen_core::store::COMPACT_AFTER_CHUNKS + 5
    );
}

#[test]
fn evidence_access_is_logged_and_deleted_files_are_detected() {
    let dir = tempfile::tempdir().unwrap();
    let clock = TestClock::at(start_time());
    let mut core = open_core(dir.path(), &clock);
    let id = core.open_for_task("task-1", "o1").unwrap();
    core.check_in(&id, "o1").unwrap();
    core.check_in(&id, "o2").unwrap();
    let p1 = file(dir.path(), "1.jpg", b"first photo");
    let p2 = file(dir.path(), "2.jpg", b"second photo");
    let h1 = capture(
        &mut core,
        &id,
        &p1,
        EvidenceKind::Photo,
        InspectionStep::Findings,
        "o1",
    );
    let h2 = capture(
        &mut core,
        &id,
        &p2,
        EvidenceKind::Photo,
        InspectionStep::Findings,
        "o1",
    );
    assert!(core.verify_evidence(&id).unwrap().is_empty());

    // R-REC-7: viewing an original is recorded with who and why.
    let path = core
        .open_evidence_original(&id, &h1, "o2", "核对现场照片")
        .unwrap();
    assert_eq!(std::fs::read(path).unwrap(), std::fs::read(&p1).unwrap());
    let log = core.access_log(&id).unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].officer_id, "o2");
    assert_eq!(log[0].detail["reason"], "核对现场照片");
    assert_eq!(log[0].evidence, vec![h1.clone()]);
    assert!(
        core.open_evidence_original(&id, &h1, "o2", " ").is_err(),
        "a reason is required"
    );

    // A file removed from disk, or changed, is detected at verify time (R-REC-5).
    std::fs::remove_file(core.blobs().path_of(&h1)).unwrap();
    std::fs::write(core.blobs().path_of(&h2), b"swapped photo").unwrap();
    let problems = core.verify_evidence(&id).unwrap();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems[0].message.contains(&h1) && problems[0].message.contains("没有证据文件"));
    assert!(problems[1].message.contains(&h2) && problems[1].message.contains("不符"));
    assert!(core.open_evidence_original(&id, &h1, "o2", "复核").is_err());
}

#[test]
fn exporting_a_case_file_is_logged_with_its_manifest_hash() {
    use liuhen_core::export::{CaseFormat, verify_case_with_key};
    let dir = tempfile::tempdir().unwrap();
    let clock = TestClock::at(start_time());
    let mut core = open_core(dir.path(), &clock);
    let id = core.open_for_task("task-1", "o1").unwrap();
    core.check_in(&id, "o1").unwrap();
    core.check_in(&id, "o2").unwrap();
    let p = file(dir.path(), "p.jpg", b"outlet");
    capture(
        &mut core,
        &id,
        &p,
        EvidenceKind::Photo,
        InspectionStep::Findings,
        "o1",
    );
    let out = dir.path().join("case.zip");
    let e = core
        .export_case(&id, &out, CaseFormat::Zip, "o1", "")
        .unwrap_err();
    assert!(e.to_string().contains("export.reason"), "{e}");
    assert!(!out.exists());
    let summary = core
        .export_case(&id, &out, CaseFormat::Zip, "o1", "案卷评查")
        .unwrap();
    let log = core.access_log(&id).unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].action, "export_case");
    assert_eq!(log[0].detail["manifest_sha256"], summary.manifest_sha256);
    let report = verify_case_with_key(&out, &core.device().verifying_key().to_bytes()).unwrap();
    assert!(report.is_intact(), "{:?}", report.problems);
    // Exporting over an existing file is refused, the file is untouched.
    let before = std::fs::read(&out).unwrap();
    let e = core
        .export_case(&id, &out, CaseFormat::Zip, "o1", "再次导出")
        .unwrap_err();
    assert!(e.is_refusal(), "{e}");
    assert_eq!(std::fs::read(&out).unwrap(), before);
}

/// R-SCENE-4: the phones record the agency's notice (from the roster the server
/// sent) by the version read; the channels are the agency's, not the app's; a missing
/// notice or a stale version is refused and nothing is written.
#[test]
fn the_rights_notice_given_is_the_agencys_text_by_version() {
    let dir = tempfile::tempdir().unwrap();
    let clock = TestClock::at(start_time());
    let mut core = open_core(dir.path(), &clock);
    let held = rights_notice_text();
    assert_eq!(core.rights_notice_text().unwrap(), Some(held.clone()));
    let id = core.open_for_task("task-1", "o1").unwrap();
    core.check_in(&id, "o1").unwrap();
    let refused = || Acknowledgement::Refused {
        witness_name: "村委会主任".into(),
        reason: "不愿签字".into(),
    };

    // A roster without a notice: the device cannot give one.
    let mut bare = roster();
    bare.agency.rights_notice = None;
    core.load_roster(bare, "o1").unwrap();
    assert_eq!(core.rights_notice_text().unwrap(), None);
    let e = core
        .give_rights_notice(&id, &held.version, refused(), "o1")
        .unwrap_err();
    assert!(e.to_string().contains("尚未下发"), "{e}");
    core.load_roster(roster(), "o1").unwrap();

    let e = core
        .give_rights_notice(&id, "通用-2026-01", refused(), "o1")
        .unwrap_err();
    assert!(e.to_string().contains("R-SCENE-4"), "{e}");
    assert!(e.to_string().contains("清远生态环境-2026-01"), "{e}");
    assert!(core.inspection(&id).unwrap().rights_notice.is_none());

    core.give_rights_notice(&id, " 清远生态环境-2026-01 ", refused(), "o1")
        .unwrap();
    let r = core.inspection(&id).unwrap().rights_notice.unwrap();
    assert_eq!(r.notice_version, held.version);
    assert_eq!(r.remedy_channels, held.remedy_channels);
    assert_eq!(r.given_by, "o1");
}

/// R-SCENE-4: a notice without remedy channels is not agency data.
#[test]
fn an_agency_notice_without_channels_is_refused() {
    let mut r = roster();
    if let Some(n) = r.agency.rights_notice.as_mut() {
        n.remedy_channels.clear();
    }
    let e = r.validate().unwrap_err();
    assert_eq!(e.field, "agency.rights_notice.remedy_channels");
    assert!(e.reason.contains("R-SCENE-4"), "{e:?}");
}

/// A record the server refused waits for the officer; `resend` queues it again without
/// changing it (R-REC-5), and does nothing to a record that is not waiting.
#[test]
fn a_refused_record_is_resent_only_when_the_officer_asks() {
    let dir = tempfile::tempdir().unwrap();
    let clock = TestClock::at(start_time());
    let mut core = open_core(dir.path(), &clock);
    let id = core.open_for_task("task-1", "o1").unwrap();
    let before = core.inspection(&id).unwrap();
    assert!(!core.resend(&id).unwrap(), "pending: nothing to resend");
    assert!(!core.resend("no-such-record").unwrap());
    core.set_sync_state(&id, SyncState::NeedsAttention, Some("R-REC-5: 服务器拒绝"))
        .unwrap();
    assert!(core.resend(&id).unwrap());
    let doc = core
        .list_inspections(true)
        .unwrap()
        .into_iter()
        .find(|d| d.id == id)
        .unwrap();
    assert_eq!(doc.sync_state, SyncState::Pending);
    assert_eq!(
        core.inspection(&id).unwrap(),
        before,
        "the record is unchanged"
    );
    assert!(!core.resend(&id).unwrap(), "already queued");
}
