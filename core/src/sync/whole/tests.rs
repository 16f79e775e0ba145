//! [`first_message`] is held to automerge 0.12: for any stored record, automerge
//! with the record loaded from the same chunks sends the same heads, need, have,
//! flags and version, leaves the same sync state, and the peer that receives either
//! message ends with the same changes and content, the same state and the same reply.

use super::*;
use crate::sync::client::state_for_new_record;
use automerge::sync::SyncDoc;
use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, ObjType, ROOT, ReadDoc};
use proptest::prelude::*;

/// A record as the device store keeps it: a whole save, then incremental saves.
struct Record {
    doc: AutoCommit,
    chunks: Vec<Vec<u8>>,
    persisted: Vec<ChangeHash>,
}

impl Record {
    fn new() -> Record {
        let mut doc = AutoCommit::new().with_actor(ActorId::from(vec![1u8; 16]));
        doc.put(ROOT, "id", "r1").expect("put");
        doc.put_object(ROOT, "notes", ObjType::Text).expect("text");
        doc.commit();
        Record {
            doc,
            chunks: vec![],
            persisted: vec![],
        }
    }

    /// A write: the first stores a whole save, later ones what came after.
    fn persist(&mut self) {
        let bytes = if self.chunks.is_empty() {
            self.doc.save()
        } else {
            self.doc.save_after(&self.persisted)
        };
        if !bytes.is_empty() {
            self.chunks.push(bytes);
        }
        self.persisted = self.doc.get_heads();
    }

    /// A compaction: one whole save replaces the chunks.
    fn compact(&mut self) {
        self.chunks = vec![self.doc.save()];
        self.persisted = self.doc.get_heads();
    }

    /// Loaded from its chunks, as the device loads it.
    fn load(&self) -> AutoCommit {
        let mut doc = AutoCommit::load(&self.chunks[0]).expect("load");
        for c in &self.chunks[1..] {
            doc.load_incremental(c).expect("incremental");
        }
        doc
    }

    /// The change hashes as the store keeps them (from the change graph).
    fn hashes(&mut self) -> Vec<ChangeHash> {
        self.doc
            .get_changes_meta(&[])
            .iter()
            .map(|m| m.hash)
            .collect()
    }
}

/// Both messages for `record`, automerge's first, with the states they leave.
fn both(record: &mut Record, reverse: bool) -> ((Message, State), (Message, State)) {
    let mut loaded = record.load();
    let mut sa = state_for_new_record();
    let ma = loaded
        .sync()
        .generate_sync_message(&mut sa)
        .expect("automerge sends the record");
    let heads = loaded.get_heads();
    let mut hashes = record.hashes();
    if reverse {
        hashes.reverse();
    }
    let mut sb = state_for_new_record();
    let mb = first_message(
        &mut sb,
        Stored {
            heads: &heads,
            hashes: &hashes,
            bytes: record.chunks.concat(),
        },
    )
    .expect("the shortcut answers for a new record");
    ((ma, sa), (mb, sb))
}

/// Checks the shortcut against automerge for `record`.
fn agree(record: &mut Record, reverse: bool) {
    let ((ma, sa), (mb, sb)) = both(record, reverse);
    assert_eq!(sa, sb, "the same sync state");
    assert_eq!(ma.heads, mb.heads);
    assert_eq!(ma.need, mb.need);
    assert_eq!(ma.have, mb.have);
    assert_eq!(ma.flags, mb.flags);
    assert_eq!(ma.version, mb.version);
    // Through the wire format, to a server that holds nothing.
    let ma = Message::decode(&ma.encode()).expect("decode");
    let mb = Message::decode(&mb.encode()).expect("decode");
    let (mut pa, mut pb) = (AutoCommit::new(), AutoCommit::new());
    let (mut qa, mut qb) = (State::new(), State::new());
    pa.sync()
        .receive_sync_message(&mut qa, ma)
        .expect("receive");
    pb.sync()
        .receive_sync_message(&mut qb, mb)
        .expect("receive");
    assert_eq!(pa.get_heads(), record.doc.get_heads(), "the whole record");
    assert_eq!(pa.get_heads(), pb.get_heads());
    assert_eq!(qa, qb, "the receiver's state");
    // The same changes (a save may list them in another order) and the same content.
    let changes = |d: &mut AutoCommit| {
        let mut c: Vec<Vec<u8>> = d
            .get_changes(&[])
            .iter()
            .map(|c| c.raw_bytes().to_vec())
            .collect();
        c.sort();
        c
    };
    assert_eq!(changes(&mut pa), changes(&mut pb), "the same changes");
    assert_eq!(pa.hydrate(&ROOT, None).ok(), pb.hydrate(&ROOT, None).ok());
    let ra = pa.sync().generate_sync_message(&mut qa);
    let rb = pb.sync().generate_sync_message(&mut qb);
    assert_eq!(ra, rb, "the same reply");
    assert_eq!(qa, qb);
}

#[test]
fn a_record_of_several_writes_is_sent_as_automerge_sends_it() {
    let mut r = Record::new();
    r.persist();
    for i in 0..4_i64 {
        r.doc.put(ROOT, format!("k{i}"), i).expect("put");
        r.doc.commit();
        r.persist();
    }
    assert_eq!(r.chunks.len(), 5);
    agree(&mut r, false);
    r.compact();
    agree(&mut r, true);
}

#[test]
fn it_declines_unless_the_state_and_the_stored_form_are_certain() {
    let mut r = Record::new();
    r.persist();
    r.doc.put(ROOT, "k", 1).expect("put");
    r.doc.commit();
    r.persist();
    let heads = r.doc.get_heads();
    let hashes = r.hashes();
    let bytes = r.chunks.concat();
    let try_with = |state: &mut State, heads: &[ChangeHash], hashes: &[ChangeHash], b: &[u8]| {
        let before = state.clone();
        let m = first_message(
            state,
            Stored {
                heads,
                hashes,
                bytes: b.to_vec(),
            },
        );
        if m.is_none() {
            assert_eq!(*state, before, "a declined call leaves the state");
        }
        m.is_some()
    };
    let new = state_for_new_record;
    assert!(try_with(&mut new(), &heads, &hashes, &bytes));
    // Another state: a fresh session, a stored one, one already sent.
    assert!(!try_with(&mut State::new(), &heads, &hashes, &bytes));
    let mut sent = new();
    assert!(try_with(&mut sent, &heads, &hashes, &bytes));
    assert!(!try_with(&mut sent, &heads, &hashes, &bytes));
    // An incoherent stored form.
    assert!(!try_with(&mut new(), &[], &hashes, &bytes));
    assert!(!try_with(&mut new(), &heads, &hashes, &[]));
    assert!(!try_with(&mut new(), &heads, &hashes[..1], &bytes));
    let twice: Vec<ChangeHash> = hashes.iter().chain(&hashes[..1]).copied().collect();
    assert!(!try_with(&mut new(), &heads, &twice, &bytes));
    assert_eq!(parse_hashes(&[0u8; 33]), None);
    let raw: Vec<u8> = hashes.iter().flat_map(|h| h.0).collect();
    assert_eq!(parse_hashes(&raw), Some(hashes));
}

#[derive(Debug, Clone)]
enum Step {
    /// A change by actor `a` (0 is the device) on its own copy.
    Put(usize, u8, i64),
    /// Text typed by actor `a`.
    Type(usize, String),
    /// The device merges actor `a`'s copy (a supervisor's change, say).
    Merge(usize),
    /// A store write of the device's copy.
    Persist,
    /// A compaction.
    Compact,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (0usize..3, 0u8..6, any::<i64>()).prop_map(|(a, k, v)| Step::Put(a, k, v)),
        2 => (0usize..3, "[a-z一-龥]{0,6}").prop_map(|(a, s)| Step::Type(a, s)),
        1 => (1usize..3).prop_map(Step::Merge),
        3 => Just(Step::Persist),
        1 => Just(Step::Compact),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Random histories (several actors, concurrent branches, text), stored in
    /// random chunkings: the shortcut's message and state are automerge's.
    #[test]
    fn the_first_message_agrees_with_automerge(
        steps in proptest::collection::vec(step(), 0..24),
        reverse in any::<bool>(),
    ) {
        let mut r = Record::new();
        r.persist();
        let mut others: Vec<AutoCommit> = (2..4u8)
            .map(|a| r.doc.fork().with_actor(ActorId::from(vec![a; 16])))
            .collect();
        for s in steps {
            match s {
                Step::Put(a, k, v) => {
                    let d = if a == 0 { &mut r.doc } else { &mut others[a - 1] };
                    d.put(ROOT, format!("k{k}"), v).expect("put");
                    d.commit();
                }
                Step::Type(a, text) => {
                    let d = if a == 0 { &mut r.doc } else { &mut others[a - 1] };
                    let (_, notes) = d.get(ROOT, "notes").expect("get").expect("notes");
                    let len = d.length(&notes);
                    d.splice_text(&notes, len, 0, &text).expect("splice");
                    d.commit();
                }
                Step::Merge(a) => {
                    r.doc.merge(&mut others[a - 1]).expect("merge");
                }
                Step::Persist => r.persist(),
                Step::Compact => r.compact(),
            }
        }
        r.persist();
        agree(&mut r, reverse);
    }
}
