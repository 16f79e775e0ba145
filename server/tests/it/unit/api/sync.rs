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

/// A device's record as its store keeps it: the first write's whole save, then
/// one incremental save per later write (`n` findings).
fn stored_chunks(actor: &automerge::ActorId, n: usize) -> (InspectionDoc, Vec<Vec<u8>>) {
    let mut doc = device_doc(actor);
    let mut chunks = vec![doc.save()];
    for i in 0..n {
        let heads = doc.heads();
        doc.add_finding(&liuhen_domain::inspection::Finding {
            id: format!("0193a5c0-0000-7000-8000-00000000010{i}"),
            text: format!("第 {i} 项"),
            author: "o1".into(),
            at: Utc.timestamp_opt(1_790_000_010 + i as i64, 0).unwrap(),
            evidence: vec![],
        })
        .unwrap();
        chunks.push(doc.save_after(&heads));
    }
    (doc, chunks)
}

/// The first message of a new record as the device sends it from its store
/// (core/src/sync/whole.rs): automerge's message with the stored chunks, joined,
/// as its one entry.
fn message_from_chunks(doc: InspectionDoc, entry: Vec<u8>) -> automerge::sync::Message {
    let mut am = doc.into_automerge();
    let mut msg = am.sync().generate_sync_message(&mut first_state()).unwrap();
    msg.changes = entry.into();
    msg
}

/// A new record sent as its stored chunks (a document chunk, then changes) is
/// stored as sent, and those bytes load strictly to the merged record.
#[test]
fn a_new_record_sent_as_stored_chunks_is_stored_as_sent() {
    let actor = automerge::ActorId::from(vec![7u8; 16]);
    let (mut doc, chunks) = stored_chunks(&actor, 3);
    let heads: Vec<String> = doc.heads().iter().map(|h| h.to_string()).collect();
    let entry = chunks.concat();
    let msg = message_from_chunks(doc, entry.clone());
    let record = stored(merge(input(&actor, msg.encode())).unwrap());
    assert_eq!(record.bytes, entry);
    assert_eq!(record.heads, heads);
    let back = InspectionDoc::load(&record.bytes).unwrap();
    assert_eq!(back.read().unwrap().findings.len(), 3);
}

/// A change chunk that does not load (damaged) while the device names the heads
/// of what did load: the merged document is saved by the server, never the bytes
/// a strict load would refuse.
#[test]
fn a_damaged_change_chunk_is_never_stored_as_sent() {
    let actor = automerge::ActorId::from(vec![7u8; 16]);
    let (_, chunks) = stored_chunks(&actor, 2);
    let mut damaged = chunks.clone();
    let last = damaged.last_mut().unwrap();
    let mid = last.len() / 2;
    last[mid] ^= 0x55;
    let entry = damaged.concat();
    let mut first = InspectionDoc::load(&chunks[..2].concat()).unwrap();
    let first_heads = first.heads();
    let mut msg = message_from_chunks(first, entry.clone());
    msg.heads = first_heads;
    match merge(input(&actor, msg.encode())).unwrap() {
        Merged::Refused(_) => {}
        Merged::Unchanged { .. } => panic!("unchanged"),
        Merged::Changed { record, .. } => {
            assert_ne!(record.bytes, entry, "not stored as sent");
            let mut back = AutoCommit::load(&record.bytes).unwrap();
            let heads: Vec<String> = back.get_heads().iter().map(|h| h.to_string()).collect();
            assert_eq!(heads, record.heads);
        }
    }
}

#[test]
fn stored_as_sent_needs_every_counted_change_and_the_sent_heads() {
    let h = |b: u8| automerge::ChangeHash([b; 32]);
    assert!(
        stored_as_sent((0, 9), 3, &[h(1)], &[h(2)]),
        "a lone document"
    );
    assert!(stored_as_sent((2, 5), 5, &[h(1)], &[h(1)]));
    assert!(!stored_as_sent((2, 5), 4, &[h(1)], &[h(1)]));
    assert!(!stored_as_sent((2, 5), 5, &[h(1)], &[h(2)]));
}

mod chunkings {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Damage {
        None,
        /// One byte of chunk `i` (modulo the count) changed.
        Flip(usize, usize, u8),
        /// Chunk `i` (not the first) left out: a later change misses its dependency.
        Drop(usize),
        /// Chunk `i` sent twice.
        Twice(usize),
        /// The last two chunks swapped.
        Swap,
    }

    fn damage() -> impl Strategy<Value = Damage> {
        prop_oneof![
            Just(Damage::None),
            (any::<usize>(), any::<usize>(), 1u8..=255).prop_map(|(i, p, x)| Damage::Flip(i, p, x)),
            any::<usize>().prop_map(Damage::Drop),
            any::<usize>().prop_map(Damage::Twice),
            Just(Damage::Swap),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Whatever a new record's entry holds (damaged, missing, repeated or
        /// reordered chunks, heads named to match what loads), what the server
        /// stores loads strictly to the heads it records for the merged record.
        #[test]
        fn what_is_stored_loads_strictly(
            n in 0usize..4,
            damage in damage(),
            claim_loaded_heads in any::<bool>(),
        ) {
            let actor = automerge::ActorId::from(vec![7u8; 16]);
            let (doc, mut chunks) = stored_chunks(&actor, n);
            let count = chunks.len();
            match damage {
                Damage::None => {}
                Damage::Flip(i, p, x) => {
                    let c = &mut chunks[i % count];
                    let p = p % c.len();
                    c[p] ^= x;
                }
                Damage::Drop(i) if count > 1 => {
                    chunks.remove(1 + i % (count - 1));
                }
                Damage::Drop(_) => {}
                Damage::Twice(i) => {
                    let c = chunks[i % count].clone();
                    chunks.insert(i % count, c);
                }
                Damage::Swap if count > 2 => chunks.swap(count - 1, count - 2),
                Damage::Swap => {}
            }
            let entry = chunks.concat();
            let mut msg = message_from_chunks(doc, entry.clone());
            if claim_loaded_heads {
                // The device names the heads of what automerge manages to load.
                let mut loaded = AutoCommit::new();
                if loaded.load_incremental(&entry).is_ok() {
                    msg.heads = loaded.get_heads();
                }
            }
            if let Merged::Changed { record, .. } = merge(input(&actor, msg.encode())).unwrap() {
                let mut back = AutoCommit::load(&record.bytes).expect("stored bytes load strictly");
                let heads: Vec<String> = back.get_heads().iter().map(|h| h.to_string()).collect();
                prop_assert_eq!(heads, record.heads);
            }
        }
    }
}
