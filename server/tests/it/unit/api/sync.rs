//! Tests of `server/src/api/sync.rs`.

use automerge::AutoCommit;
use automerge::sync::{State, SyncDoc};
use chrono::TimeZone;
use chrono::Utc;
use liuhen_domain::doc::InspectionDoc;
use liuhen_domain::doc::NewInspection;
use liuhen_domain::inspection::{InspectionKind, InspectionMeta};
use liuhen_domain::write_rules::DeviceAuthor;
use liuhen_server::api::sync::*;
use liuhen_server::storage::DocRecord;

const ID: &str = "0193a5c0-0000-7000-8000-0000000000aa";

fn device_doc(actor: &automerge::ActorId) -> InspectionDoc {
    let at = Utc.timestamp_opt(1_790_000_000, 0).unwrap();
    InspectionDoc::create(
        actor.clone(),
        NewInspection {
            meta: InspectionMeta {
                id: ID.into(),
                kind: InspectionKind::AdHoc,
                task_id: None,
                agency_id: "a".into(),
                agency_name: "某局".into(),
                target_id: "t".into(),
                target_name: "某公司".into(),
                target_credit_code: None,
                target_address: "某地".into(),
                target_area: "441802".into(),
                target_is_natural_person: false,
                category: "生态环境".into(),
                item_code: "X".into(),
                item_name: "检查".into(),
                legal_basis: String::new(),
                opened_at: at,
                opened_by: "o1".into(),
                device_id: "d1".into(),
            },
        },
    )
    .unwrap()
}

fn input(actor: &automerge::ActorId, msg: Vec<u8>) -> MergeInput {
    MergeInput {
        id: ID.into(),
        existing: None,
        peer_state: None,
        msg: Some(msg),
        device_actor: actor.to_hex_string(),
        author: DeviceAuthor {
            officer_id: "o1".into(),
            device_id: "d1".into(),
        },
        agency_id: "a".into(),
        tasks: Default::default(),
        authors: Default::default(),
        now: Utc.timestamp_opt(1_790_000_100, 0).unwrap(),
        skew: 0,
    }
}

/// The device's first message for a record the server holds nothing of, as the
/// device client builds it.
fn first_state() -> State {
    liuhen_core::sync::client::state_for_new_record()
}

fn stored(merged: Merged) -> DocRecord {
    match merged {
        Merged::Changed { record, .. } => *record,
        Merged::Refused(r) => panic!("refused: {:?}", r.reason),
        Merged::Unchanged { .. } => panic!("unchanged"),
    }
}

/// A new record sent whole is stored as the device's own document bytes, which
/// load to exactly the merged record (heads and reading).
#[test]
fn a_new_record_sent_whole_is_stored_as_sent() {
    let actor = automerge::ActorId::from(vec![7u8; 16]);
    let mut doc = device_doc(&actor);
    let saved = doc.save();
    let mut am = doc.into_automerge();
    let msg = am.sync().generate_sync_message(&mut first_state()).unwrap();
    assert_eq!(msg.changes.len(), 1);
    let sent = msg.changes.iter().next().unwrap().to_vec();
    let record = stored(merge(input(&actor, msg.encode())).unwrap());
    assert_eq!(record.bytes, sent);
    assert_eq!(record.bytes, saved, "automerge sends its save()");
    let mut back = InspectionDoc::load(&record.bytes).unwrap();
    let heads: Vec<String> = back.heads().iter().map(|h| h.to_string()).collect();
    assert_eq!(heads, record.heads);
    assert_eq!(back.read().unwrap().meta.id, ID);
}

/// Changes sent one by one (a v1 message, or a peer that holds some of the
/// record) are applied and the merged document is saved as before.
#[test]
fn a_new_record_sent_as_changes_is_saved_by_the_server() {
    let actor = automerge::ActorId::from(vec![7u8; 16]);
    let mut am = device_doc(&actor).into_automerge();
    let changes: Vec<automerge::Change> = am.get_changes(&[]);
    let mut msg = am.sync().generate_sync_message(&mut first_state()).unwrap();
    msg.changes = changes
        .into_iter()
        .map(|mut c| c.bytes().to_vec())
        .collect::<Vec<_>>()
        .into();
    msg.version = automerge::sync::MessageVersion::V1;
    let record = stored(merge(input(&actor, msg.encode())).unwrap());
    let mut back = AutoCommit::load(&record.bytes).unwrap();
    assert_eq!(record.bytes, back.save());
    let heads: Vec<String> = back.get_heads().iter().map(|h| h.to_string()).collect();
    assert_eq!(heads, record.heads);
}
