//! The server's merge is the trust boundary (issue 16): nothing a device sends can
//! rewrite a record, and nothing is acknowledged that is not stored. Every attack an
//! independent tester made with hand-made sync messages, against a real server
//! process, plus adversarial devices as a property test.

use std::collections::BTreeSet;
use std::path::Path;

use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, ChangeHash, ObjId, ROOT, ReadDoc};
use proptest::prelude::*;
use serde_json::json;

use liuhen_core::api::RightsNoticeInput;
use liuhen_core::doc::{schema_actor, schema_chain_hashes};
use liuhen_core::inspection::{Acknowledgement, EvidenceKind, InspectionStep};
use liuhen_core::sync::protocol::{DocReply, DocStatus};
use liuhen_core::write_rules::{DeviceAuthor, Judge, RecordContext, check_history};
use liuhen_e2e::wire::{http, raw_sync};
use liuhen_e2e::{Device, TestServer, png_bytes, wav_bytes};

const O1: &str = "qy-zf-001";
const O2: &str = "qy-zf-002";
const O3: &str = "qy-zf-003";
const TASK: &str = "QY-2026-SJ-0117";

fn db(data_dir: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open_with_flags(
        data_dir.join("liuhen-server.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap()
}

/// The stored bytes of a record (None if the server holds none).
fn stored(server: &TestServer, id: &str) -> Option<Vec<u8>> {
    use rusqlite::OptionalExtension;
    db(&server.data_dir)
        .query_row("SELECT bytes FROM docs WHERE id = ?1", [id], |r| r.get(0))
        .optional()
        .unwrap()
}

fn heads_of(bytes: &[u8]) -> Vec<ChangeHash> {
    AutoCommit::load(bytes).unwrap().get_heads()
}

/// Every write rule, judged over the whole stored history: device actors are the
/// registered devices (by their officer), supervisors and the schema chain trusted.
fn violations_in_store(server: &TestServer, id: &str) -> Vec<String> {
    let Some(bytes) = stored(server, id) else {
        return vec![];
    };
    let conn = db(&server.data_dir);
    let mut stmt = conn
        .prepare(
            "SELECT d.actor_id, d.id, u.officer_id FROM devices d JOIN users u ON u.id = d.user_id",
        )
        .unwrap();
    let devices: Vec<(String, String, Option<String>)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let users: Vec<String> = conn
        .prepare("SELECT id FROM users")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let supervisors: BTreeSet<String> = users
        .iter()
        .map(|u| liuhen_domain::actors::user_actor(u).to_hex_string())
        .collect();
    let chain: BTreeSet<ChangeHash> = schema_chain_hashes().unwrap().into_iter().collect();
    let mut doc = AutoCommit::load(&bytes).unwrap();
    let changes = doc.get_changes(&[]);
    let ctx = RecordContext {
        task_officers: vec![O1.into(), O2.into()],
    };
    check_history(&changes, &ctx, |c| {
        let actor = c.actor_id().to_hex_string();
        if chain.contains(&c.hash()) || supervisors.contains(&actor) {
            return Judge::Trusted;
        }
        match devices.iter().find(|(a, _, _)| *a == actor) {
            Some((_, device, Some(officer))) => Judge::Device(DeviceAuthor {
                officer_id: officer.clone(),
                device_id: device.clone(),
            }),
            _ => Judge::Unknown,
        }
    })
    .into_iter()
    .map(|v| v.message)
    .collect()
}

fn container(doc: &AutoCommit, key: &str) -> ObjId {
    doc.get(ROOT, key).unwrap().unwrap().1
}

fn item(doc: &AutoCommit, list: &str, i: usize) -> ObjId {
    let l = container(doc, list);
    doc.get(&l, i).unwrap().unwrap().1
}

/// A record closed on site by two officers with media, synced from both phones,
/// and approved by the supervisor: the state the tester attacked.
fn approved_record(server: &TestServer) -> (Device, Device, String) {
    let mut a = Device::enrolled(server, O1);
    let mut b = Device::enrolled(server, O2);
    a.sync();
    let id = a.core.open_for_task(TASK, O1).unwrap();
    a.core.check_in(&id, O1).unwrap();
    a.core.check_in(&id, O2).unwrap();
    let audio = a.capture_file(
        &id,
        &wav_bytes(1, 330.0),
        EvidenceKind::Audio,
        "audio/wav",
        InspectionStep::IdentityNotice,
    );
    a.core
        .record_identity_notice(&id, None, &audio, O1)
        .unwrap();
    let photo = a.capture_photo(&id, &png_bytes(24, 16, 11), "image/png");
    a.core
        .add_finding(&id, "危废贮存间标识不全", vec![photo], O1)
        .unwrap();
    a.sync();
    b.sync();
    b.core
        .add_finding(&id, "乙：雨水排口有积水", vec![], O2)
        .unwrap();
    b.sync();
    a.sync();
    let signature = a.capture_file(
        &id,
        &png_bytes(64, 24, 12),
        EvidenceKind::Signature,
        "image/png",
        InspectionStep::RightsNotice,
    );
    a.core
        .record_rights_notice(
            &id,
            RightsNoticeInput {
                notice_version: "QYHJ-2026-01".into(),
                remedy_channels: vec!["自收到决定之日起六十日内申请行政复议".into()],
                acknowledgement: Acknowledgement::Signed {
                    signer_name: "周国栋".into(),
                    signature_sha256: signature,
                },
            },
            O1,
        )
        .unwrap();
    a.core.close(&id, O1).unwrap();
    assert!(a.sync().synced.contains(&id));
    let session = server.login("supervisor");
    let resp = http()
        .post(format!(
            "{}/api/v1/inspections/{id}/review",
            server.base_url
        ))
        .bearer_auth(&session)
        .json(&json!({ "decision": "approved" }))
        .send()
        .unwrap();
    assert_eq!(resp.status(), 200);
    a.sync();
    b.sync();
    (a, b, id)
}

/// The opener's phone with an open record, both officers checked in, synced.
fn synced_open_record(server: &TestServer) -> (Device, String) {
    let mut a = Device::enrolled(server, O1);
    a.sync();
    let id = a.core.open_for_task(TASK, O1).unwrap();
    a.core.check_in(&id, O1).unwrap();
    a.core.check_in(&id, O2).unwrap();
    assert!(a.sync().synced.contains(&id));
    (a, id)
}

/// Sends the device's copy of `id`, changed by `edit` as the device's own actor,
/// with raw sync messages; returns the replies.
fn attack(
    server: &TestServer,
    dev: &mut Device,
    id: &str,
    edit: impl FnOnce(&mut AutoCommit),
) -> Vec<DocReply> {
    let mut doc = AutoCommit::load(&dev.core.export_document(id).unwrap()).unwrap();
    doc.set_actor(dev.core.device().actor.clone());
    edit(&mut doc);
    doc.commit();
    raw_sync(server, &dev.token(), id, &mut doc, 6)
}

fn assert_refused(replies: &[DocReply], rule: &str) {
    let last = replies.last().expect("a reply");
    assert_eq!(last.status, DocStatus::Rejected, "{replies:?}");
    let why = last.reason.as_deref().unwrap_or_default();
    assert!(why.contains(rule), "{rule} in {why}");
    assert!(last.msg.is_none(), "a refusal carries no heads: {last:?}");
}

#[test]
fn closed_and_approved_records_cannot_be_rewritten_by_a_team_officer() {
    let server = TestServer::start_demo();
    let (mut a, mut b, id) = approved_record(&server);
    let before = stored(&server, &id).unwrap();
    let session = server.login("supervisor");
    let shown = server.supervisor_inspection(&session, &id).unwrap();

    type Edit = Box<dyn FnOnce(&mut AutoCommit)>;
    let attacks: Vec<(&str, &str, Edit)> = vec![
        (
            "a finding's text and author",
            "R-REC-5",
            Box::new(|d: &mut AutoCommit| {
                let f = item(d, "findings", 0);
                d.put(&f, "text", "没有发现问题").unwrap();
                d.put(&f, "author", O2).unwrap();
            }),
        ),
        (
            "a finding deleted",
            "R-REC-5",
            Box::new(|d: &mut AutoCommit| {
                let l = container(d, "findings");
                d.delete(&l, 1).unwrap();
            }),
        ),
        (
            "closure removed",
            "R-REC-5",
            Box::new(|d: &mut AutoCommit| {
                let c = container(d, "closure");
                d.delete(&c, "closed_at").unwrap();
                d.delete(&c, "closed_by").unwrap();
            }),
        ),
        (
            "target name and opening time",
            "R-REC-5",
            Box::new(|d: &mut AutoCommit| {
                let m = container(d, "meta");
                d.put(&m, "target_name", "另一家公司").unwrap();
                d.put(&m, "opened_at", 1_000_i64).unwrap();
            }),
        ),
        (
            "an officer removed from the team, opened_by changed",
            "R-REC-5",
            Box::new(|d: &mut AutoCommit| {
                let t = container(d, "team");
                d.delete(&t, 1).unwrap();
                let m = container(d, "meta");
                d.put(&m, "opened_by", O2).unwrap();
            }),
        ),
        (
            "a review written by a phone",
            "R-REC-1",
            Box::new(|d: &mut AutoCommit| {
                let r = container(d, "review");
                d.put(&r, "decision", "returned").unwrap();
            }),
        ),
        (
            "a finding added after close",
            "R-REC-5",
            Box::new(|d: &mut AutoCommit| {
                let l = container(d, "findings");
                let n = d.length(&l);
                let f = d.insert_object(&l, n, automerge::ObjType::Map).unwrap();
                d.put(&f, "id", "0193a5c0-0000-7000-8000-00000000ffff")
                    .unwrap();
                d.put(&f, "text", "结案后补写").unwrap();
                d.put(&f, "author", O1).unwrap();
                d.put(&f, "at", 1_790_000_000_000_i64).unwrap();
                d.put_object(&f, "evidence", automerge::ObjType::List)
                    .unwrap();
            }),
        ),
    ];
    for (what, rule, edit) in attacks {
        let replies = attack(&server, &mut a, &id, edit);
        assert_refused(&replies, rule);
        assert_eq!(
            stored(&server, &id).unwrap(),
            before,
            "{what}: nothing stored"
        );
    }
    // The other officer of the team edits the first officer's finding.
    let replies = attack(&server, &mut b, &id, |d| {
        let f = item(d, "findings", 0);
        d.put(&f, "text", "乙改写甲的发现").unwrap();
    });
    assert_refused(&replies, "R-REC-5");
    assert_eq!(stored(&server, &id).unwrap(), before);

    // The desk shows the record as it was, approved, and breaking no rule.
    assert_eq!(server.supervisor_inspection(&session, &id).unwrap(), shown);
    assert_eq!(violations_in_store(&server, &id), Vec::<String>::new());
    // The honest phones go on: an amendment after close is stored.
    a.core
        .amend(&id, "team", "补充：乙方负责人到场时间为 10:20", vec![], O1)
        .unwrap();
    let r = a.sync();
    assert!(r.synced.contains(&id), "{r:?}");
    assert_ne!(stored(&server, &id).unwrap(), before);
    assert_eq!(violations_in_store(&server, &id), Vec::<String>::new());
}

#[test]
fn a_change_that_leaves_the_record_unreadable_is_rejected_not_acknowledged() {
    let server = TestServer::start_demo();
    let (mut a, id) = synced_open_record(&server);
    let before = stored(&server, &id).unwrap();

    // A finding whose time is text, as a client guessing the schema wrote it.
    let replies = attack(&server, &mut a, &id, |d| {
        let l = container(d, "findings");
        let f = d.insert_object(&l, 0, automerge::ObjType::Map).unwrap();
        d.put(&f, "id", "0193a5c0-0000-7000-8000-00000000aaaa")
            .unwrap();
        d.put(&f, "text", "现场检查情况").unwrap();
        d.put(&f, "author", O1).unwrap();
        d.put(&f, "at", "昨天下午").unwrap();
        d.put_object(&f, "evidence", automerge::ObjType::List)
            .unwrap();
    });
    assert_refused(&replies, "findings[].at");
    assert_eq!(stored(&server, &id).unwrap(), before);

    // A record without meta under a fresh id (only the schema chain): refused,
    // nothing stored.
    let fresh = uuid::Uuid::now_v7().to_string();
    let chain: Vec<ChangeHash> = schema_chain_hashes().unwrap();
    let mut bare = AutoCommit::load(&a.core.export_document(&id).unwrap())
        .unwrap()
        .fork_at(&chain[..liuhen_core::doc::BASE_SCHEMA_VERSION as usize])
        .unwrap();
    bare.set_actor(a.core.device().actor.clone());
    let replies = raw_sync(&server, &a.token(), &fresh, &mut bare, 6);
    assert_refused(&replies, "无法读取");
    assert_eq!(stored(&server, &fresh), None);

    // Later valid changes to the record are stored and acknowledged as before
    // (an older server acknowledged and dropped every one of them).
    a.core
        .add_finding(&id, "危废贮存间标识不全", vec![], O1)
        .unwrap();
    let r = a.sync();
    assert!(r.synced.contains(&id), "{r:?}");
    let session = server.login("supervisor");
    let i = server.supervisor_inspection(&session, &id).unwrap();
    assert_eq!(i.findings.len(), 1, "{i:?}");
    assert_eq!(
        heads_of(&stored(&server, &id).unwrap()),
        heads_of(&a.core.export_document(&id).unwrap())
    );
}

#[test]
fn changes_under_another_actor_are_refused_whoever_sends_them() {
    let server = TestServer::start_demo();
    let (mut a, _b, id) = approved_record(&server);
    let before = stored(&server, &id).unwrap();
    let supervisor_id: String = db(&server.data_dir)
        .query_row("SELECT id FROM users WHERE login = 'supervisor'", [], |r| {
            r.get(0)
        })
        .unwrap();
    for actor in [
        liuhen_domain::actors::user_actor(&supervisor_id),
        schema_actor(),
        ActorId::random(),
    ] {
        let mut doc = AutoCommit::load(&a.core.export_document(&id).unwrap()).unwrap();
        doc.set_actor(actor);
        let r = container(&doc, "review");
        doc.put(&r, "decision", "returned").unwrap();
        doc.commit();
        let replies = raw_sync(&server, &a.token(), &id, &mut doc, 6);
        assert_refused(&replies, "不是由本设备作出的修改");
        assert_eq!(stored(&server, &id).unwrap(), before);
    }
}

#[test]
fn acknowledged_and_dropped_changes_of_an_older_server_are_stored_on_the_next_sync() {
    let server = TestServer::start_demo();
    let (mut a, id) = synced_open_record(&server);
    let old: (Vec<u8>, String) = db(&server.data_dir)
        .query_row("SELECT bytes, heads FROM docs WHERE id = ?1", [&id], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    a.core
        .add_finding(&id, "旧版服务器确认了却没有保存的发现", vec![], O1)
        .unwrap();
    assert!(a.sync().synced.contains(&id));
    let mut server = server;
    server.kill();
    // What an older server did: the peer's sync state names the new change, the
    // stored document does not have it.
    {
        let conn = rusqlite::Connection::open(server.data_dir.join("liuhen-server.db")).unwrap();
        conn.execute(
            "UPDATE docs SET bytes = ?1, heads = ?2 WHERE id = ?3",
            rusqlite::params![old.0, old.1, id],
        )
        .unwrap();
    }
    // An older server never handed out a change cursor (issue 19), so the phone's
    // first sync with the repaired server compares every record.
    a.core
        .store()
        .set_device_value("offer_cursor", b"0")
        .unwrap();
    let server = server.restart();
    let r = a.sync();
    assert!(r.needs_attention.is_empty(), "{r:?}");
    let session = server.login("supervisor");
    let i = server.supervisor_inspection(&session, &id).unwrap();
    assert!(
        i.findings
            .iter()
            .any(|f| f.text == "旧版服务器确认了却没有保存的发现"),
        "{i:?}"
    );
}

/// Who sends an adversarial change.
#[derive(Debug, Clone, Copy)]
enum Who {
    /// The officer who opened the record, on their phone.
    Opener,
    /// The other officer of the team.
    TeamMember,
    /// An officer of the agency not on the record.
    OtherOfficer,
    /// The opener's token, a supervisor's actor.
    SupervisorActor,
    /// The opener's token, the schema chain's actor.
    SchemaActor,
}

/// What the adversarial change does.
#[derive(Debug, Clone)]
enum Edit {
    PutMeta(&'static str),
    DeleteFinding(usize),
    RewriteFinding(usize),
    AddFinding { author_is_self: bool },
    DeleteTeam,
    AddTeam,
    WriteReview,
    RemoveClosure,
    AddAmendment,
    AddEvidence { amendment: bool },
}

fn who() -> impl Strategy<Value = Who> {
    prop_oneof![
        3 => Just(Who::Opener),
        3 => Just(Who::TeamMember),
        1 => Just(Who::OtherOfficer),
        1 => Just(Who::SupervisorActor),
        1 => Just(Who::SchemaActor),
    ]
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        prop_oneof![
            Just("target_name"),
            Just("opened_by"),
            Just("task_id"),
            Just("agency_id")
        ]
        .prop_map(Edit::PutMeta),
        (0usize..2).prop_map(Edit::DeleteFinding),
        (0usize..2).prop_map(Edit::RewriteFinding),
        any::<bool>().prop_map(|author_is_self| Edit::AddFinding { author_is_self }),
        Just(Edit::DeleteTeam),
        Just(Edit::AddTeam),
        Just(Edit::WriteReview),
        Just(Edit::RemoveClosure),
        Just(Edit::AddAmendment),
        any::<bool>().prop_map(|amendment| Edit::AddEvidence { amendment }),
    ]
}

fn apply(doc: &mut AutoCommit, e: &Edit, officer: &str, device: &str, n: u64) {
    let now = 1_790_000_000_000_i64 + n as i64;
    match e {
        Edit::PutMeta(k) => {
            let m = container(doc, "meta");
            doc.put(&m, *k, format!("篡改-{n}")).unwrap();
        }
        Edit::DeleteFinding(i) | Edit::RewriteFinding(i) => {
            let l = container(doc, "findings");
            let len = doc.length(&l);
            if len == 0 {
                return;
            }
            if let Edit::DeleteFinding(_) = e {
                doc.delete(&l, i % len).unwrap();
            } else {
                let f = doc.get(&l, i % len).unwrap().unwrap().1;
                doc.put(&f, "text", format!("改写-{n}")).unwrap();
            }
        }
        Edit::AddFinding { author_is_self } => {
            let l = container(doc, "findings");
            let len = doc.length(&l);
            let f = doc.insert_object(&l, len, automerge::ObjType::Map).unwrap();
            doc.put(&f, "id", uuid::Uuid::now_v7().to_string()).unwrap();
            doc.put(&f, "text", format!("新发现-{n}")).unwrap();
            doc.put(&f, "author", if *author_is_self { officer } else { O1 })
                .unwrap();
            doc.put(&f, "at", now).unwrap();
            doc.put_object(&f, "evidence", automerge::ObjType::List)
                .unwrap();
        }
        Edit::DeleteTeam => {
            let t = container(doc, "team");
            if doc.length(&t) > 0 {
                doc.delete(&t, 0).unwrap();
            }
        }
        Edit::AddTeam => {
            let t = container(doc, "team");
            let len = doc.length(&t);
            let m = doc.insert_object(&t, len, automerge::ObjType::Map).unwrap();
            doc.put(&m, "officer_id", officer).unwrap();
            doc.put(&m, "name", "加入者").unwrap();
            doc.put(&m, "certificate_no", "44000000").unwrap();
            doc.put(&m, "certificate_valid_until", "2030-01-01")
                .unwrap();
            doc.put(&m, "at", now).unwrap();
            doc.put(&m, "device_id", device).unwrap();
        }
        Edit::WriteReview => {
            let r = container(doc, "review");
            doc.put(&r, "decision", "approved").unwrap();
            doc.put(&r, "decided_by", "u").unwrap();
            doc.put(&r, "decided_by_name", "伪造").unwrap();
            doc.put(&r, "decided_at", now).unwrap();
        }
        Edit::RemoveClosure => {
            let c = container(doc, "closure");
            if doc.get(&c, "closed_at").unwrap().is_some() {
                doc.delete(&c, "closed_at").unwrap();
            } else {
                doc.put(&c, "closed_at", now).unwrap();
                doc.put(&c, "closed_by", officer).unwrap();
            }
        }
        Edit::AddAmendment => {
            let l = container(doc, "amendments");
            let len = doc.length(&l);
            let a = doc.insert_object(&l, len, automerge::ObjType::Map).unwrap();
            doc.put(&a, "id", uuid::Uuid::now_v7().to_string()).unwrap();
            doc.put(&a, "amends", "team").unwrap();
            doc.put(&a, "text", format!("更正-{n}")).unwrap();
            doc.put(&a, "author", officer).unwrap();
            doc.put(&a, "at", now).unwrap();
            doc.put_object(&a, "evidence", automerge::ObjType::List)
                .unwrap();
        }
        Edit::AddEvidence { amendment } => {
            let l = container(doc, "evidence");
            let len = doc.length(&l);
            let x = doc.insert_object(&l, len, automerge::ObjType::Map).unwrap();
            doc.put(&x, "sha256", format!("{n:064x}")).unwrap();
            doc.put(&x, "kind", "photo").unwrap();
            doc.put(&x, "media_type", "image/png").unwrap();
            doc.put(&x, "size_bytes", 100_i64).unwrap();
            doc.put(&x, "captured_at", now).unwrap();
            doc.put(&x, "captured_by", officer).unwrap();
            doc.put(&x, "device_id", device).unwrap();
            doc.put(
                &x,
                "step",
                if *amendment { "amendment" } else { "findings" },
            )
            .unwrap();
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 24,
        max_shrink_iters: 4,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Random edits by random actors to a record open or closed: what the server
    /// stores breaks no write rule, and it acknowledges exactly what it stores.
    #[test]
    fn adversarial_devices_never_store_what_breaks_a_rule(
        closed in any::<bool>(),
        attacks in prop::collection::vec((who(), edit()), 1..4),
    ) {
        let server = TestServer::start_demo();
        let mut a = Device::enrolled(&server, O1);
        let mut b = Device::enrolled(&server, O2);
        let mut c = Device::enrolled(&server, O3);
        a.sync();
        let id = a.core.open_for_task(TASK, O1).unwrap();
        a.core.check_in(&id, O1).unwrap();
        a.core.check_in(&id, O2).unwrap();
        a.core.add_finding(&id, "甲的发现", vec![], O1).unwrap();
        a.sync();
        b.sync();
        b.core.add_finding(&id, "乙的发现", vec![], O2).unwrap();
        b.sync();
        a.sync();
        if closed {
            a.core.close(&id, O1).ok();
            a.sync();
        }
        let supervisor_id: String = db(&server.data_dir)
            .query_row("SELECT id FROM users WHERE login = 'supervisor'", [], |r| r.get(0))
            .unwrap();
        for (n, (w, e)) in attacks.iter().enumerate() {
            let (dev, actor) = match w {
                Who::Opener => (&mut a, None),
                Who::TeamMember => (&mut b, None),
                Who::OtherOfficer => (&mut c, None),
                Who::SupervisorActor => (&mut a, Some(liuhen_domain::actors::user_actor(&supervisor_id))),
                Who::SchemaActor => (&mut a, Some(schema_actor())),
            };
            // The attacker's copy: what the server holds now.
            let Some(now) = stored(&server, &id) else { continue };
            let mut doc = AutoCommit::load(&now).unwrap();
            doc.set_actor(actor.unwrap_or_else(|| dev.core.device().actor.clone()));
            let device_id = dev.core.device().device_id.clone();
            let officer = dev.officer_id.clone();
            apply(&mut doc, e, &officer, &device_id, n as u64);
            doc.commit();
            let sent = doc.get_heads();
            let replies = raw_sync(&server, &dev.token(), &id, &mut doc, 6);
            let after = stored(&server, &id).unwrap();
            let all_ok = replies.iter().all(|r| r.status == DocStatus::Ok);
            if all_ok {
                // Acknowledged: stored, all of it.
                let mut held = AutoCommit::load(&after).unwrap();
                for h in &sent {
                    prop_assert!(held.get_change_meta_by_hash(h).is_some(), "{w:?} {e:?}: acknowledged but not stored");
                }
            } else {
                prop_assert_eq!(heads_of(&after), heads_of(&now), "{:?} {:?}: refused yet stored", w, e);
            }
            let v = violations_in_store(&server, &id);
            prop_assert!(v.is_empty(), "{:?} {:?}: stored history breaks {:?}", w, e, v);
        }
    }
}

#[test]
fn the_desk_shows_rewrites_that_older_merges_let_through_with_who_and_when() {
    let server = TestServer::start_demo();
    let (mut a, _b, id) = approved_record(&server);
    // An older server stored this: the first finding rewritten after close by the
    // opener's own phone (a change that is not an amendment).
    let mut doc = AutoCommit::load(&stored(&server, &id).unwrap()).unwrap();
    doc.set_actor(a.core.device().actor.clone());
    let f = item(&doc, "findings", 0);
    doc.put(&f, "text", "结案后悄悄改写").unwrap();
    doc.commit();
    let heads: Vec<String> = doc.get_heads().iter().map(|h| h.to_string()).collect();
    let mut server = server;
    server.kill();
    rusqlite::Connection::open(server.data_dir.join("liuhen-server.db"))
        .unwrap()
        .execute(
            "UPDATE docs SET bytes = ?1, heads = ?2 WHERE id = ?3",
            rusqlite::params![doc.save(), serde_json::to_string(&heads).unwrap(), id],
        )
        .unwrap();
    let server = server.restart();
    let session = server.login("supervisor");
    let detail: serde_json::Value = http()
        .get(format!("{}/api/v1/inspections/{id}", server.base_url))
        .bearer_auth(&session)
        .send()
        .unwrap()
        .json()
        .unwrap();
    let found: Vec<String> = detail["violations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["rule"] == "R-REC-5")
        .map(|v| v["message"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(found.len(), 1, "{detail}");
    assert!(
        found[0].contains(O1) && found[0].contains("结案后"),
        "{found:?}"
    );
    assert!(found[0].contains("年"), "when: {found:?}");
    // The honest phone syncing again does not make the finding go away.
    a.sync();
    let detail: serde_json::Value = http()
        .get(format!("{}/api/v1/inspections/{id}", server.base_url))
        .bearer_auth(&session)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert!(
        detail["violations"].to_string().contains("结案后"),
        "{detail}"
    );
}

/// The capture position (R-REC-3): an honest phone's check-in and photo positions
/// reach the server whole; a position out of range, or fixed after its capture
/// beyond the clock skew, is refused and nothing of it stored.
#[test]
fn positions_out_of_range_are_refused_r_rec_3() {
    use liuhen_core::inspection::CaptureLocation;
    let server = TestServer::start_demo();
    let mut a = Device::enrolled(&server, O1);
    a.sync();
    let id = a.core.open_for_task(TASK, O1).unwrap();
    // Fix times as the document stores them: whole milliseconds.
    let ms = |t: chrono::DateTime<chrono::Utc>| {
        chrono::DateTime::from_timestamp_millis(t.timestamp_millis()).unwrap()
    };
    let at_check_in = CaptureLocation {
        lat: 23.681_2,
        lon: 113.056_1,
        accuracy_m: 8.0,
        fixed_at: ms(a.core.now() - chrono::Duration::seconds(20)),
    };
    a.core.check_in_at(&id, O1, Some(at_check_in)).unwrap();
    a.core.check_in(&id, O2).unwrap();
    let photo_file = std::env::temp_dir().join(format!("liuhen-loc-{id}.png"));
    std::fs::write(&photo_file, png_bytes(24, 16, 31)).unwrap();
    let at_photo = CaptureLocation {
        lat: 23.681_5,
        lon: 113.056_4,
        accuracy_m: 11.5,
        fixed_at: ms(a.core.now() - chrono::Duration::seconds(5)),
    };
    let mut input = liuhen_e2e::photo_input("image/png");
    input.location = Some(at_photo);
    let photo = a
        .core
        .capture_evidence(&id, &photo_file, input, O1)
        .unwrap()
        .reference
        .sha256;
    let _ = std::fs::remove_file(&photo_file);
    assert!(a.sync().synced.contains(&id));
    let session = server.login("supervisor");
    let shown = server.supervisor_inspection(&session, &id).unwrap();
    let o1 = shown.team.iter().find(|m| m.officer_id == O1).unwrap();
    assert_eq!(o1.location, Some(at_check_in));
    assert_eq!(
        shown.evidence_by_hash(&photo).unwrap().location(),
        Some(at_photo)
    );
    let before = stored(&server, &id).unwrap();

    let device_id = a.core.device().device_id.clone();
    let now_ms = a.core.now().timestamp_millis();
    type Edit = Box<dyn FnOnce(&mut AutoCommit)>;
    let evidence_with = |lat: f64, lon: f64, accuracy: f64, device_id: String| -> Edit {
        Box::new(move |d: &mut AutoCommit| {
            let l = container(d, "evidence");
            let n = d.length(&l);
            let e = d.insert_object(&l, n, automerge::ObjType::Map).unwrap();
            d.put(&e, "sha256", "e".repeat(64)).unwrap();
            d.put(&e, "kind", "photo").unwrap();
            d.put(&e, "media_type", "image/jpeg").unwrap();
            d.put(&e, "size_bytes", 100_i64).unwrap();
            d.put(&e, "captured_at", now_ms).unwrap();
            d.put(&e, "captured_by", O1).unwrap();
            d.put(&e, "device_id", device_id.as_str()).unwrap();
            d.put(&e, "step", "findings").unwrap();
            d.put(&e, "lat", lat).unwrap();
            d.put(&e, "lon", lon).unwrap();
            d.put(&e, "accuracy_m", accuracy).unwrap();
            d.put(&e, "fixed_at", now_ms).unwrap();
        })
    };
    let attacks: Vec<(&str, &str, Edit)> = vec![
        (
            "latitude beyond the pole",
            "纬度",
            evidence_with(123.0, 113.0, 5.0, device_id.clone()),
        ),
        (
            "longitude beyond 180",
            "经度",
            evidence_with(23.0, -200.0, 5.0, device_id.clone()),
        ),
        (
            "a negative accuracy",
            "精度",
            evidence_with(23.0, 113.0, -3.0, device_id.clone()),
        ),
        (
            "a check-in fixed ten minutes after it was made",
            "fixed_at",
            Box::new(move |d: &mut AutoCommit| {
                let t = container(d, "team");
                let n = d.length(&t);
                let m = d.insert_object(&t, n, automerge::ObjType::Map).unwrap();
                d.put(&m, "officer_id", O3).unwrap();
                d.put(&m, "name", "第三人").unwrap();
                d.put(&m, "certificate_no", "44180021003").unwrap();
                d.put(&m, "certificate_valid_until", "2029-12-31").unwrap();
                d.put(&m, "at", now_ms).unwrap();
                d.put(&m, "device_id", device_id.as_str()).unwrap();
                let l = d
                    .put_object(&m, "location", automerge::ObjType::Map)
                    .unwrap();
                d.put(&l, "lat", 23.68).unwrap();
                d.put(&l, "lon", 113.05).unwrap();
                d.put(&l, "accuracy_m", 6.0).unwrap();
                d.put(&l, "fixed_at", now_ms + 600_000).unwrap();
            }),
        ),
    ];
    for (what, says, edit) in attacks {
        let replies = attack(&server, &mut a, &id, edit);
        assert_refused(&replies, "R-REC-3");
        let why = replies
            .last()
            .and_then(|r| r.reason.clone())
            .unwrap_or_default();
        assert!(why.contains(says), "{what}: {why}");
        assert_eq!(
            stored(&server, &id).unwrap(),
            before,
            "{what}: nothing stored"
        );
    }
    assert_eq!(server.supervisor_inspection(&session, &id).unwrap(), shown);
}
