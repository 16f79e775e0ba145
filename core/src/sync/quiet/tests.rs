//! The shortcuts are held to automerge's own `generate_sync_message` and
//! `receive_sync_message`: whenever one answers, automerge with the document loaded
//! gives the same answer and leaves the sync state exactly as the shortcut does.

use super::*;
use automerge::sync::SyncDoc;
use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, ROOT};
use proptest::prelude::*;

/// Checks `nothing_to_send` against automerge; returns the message and whether
/// the shortcut answered.
fn generate(doc: &mut AutoCommit, state: &mut State) -> (Option<Message>, bool) {
    let heads = doc.get_heads();
    let quiet = nothing_to_send(state, &heads);
    let before = state.clone();
    let msg = doc.sync().generate_sync_message(state);
    if quiet {
        assert!(msg.is_none(), "automerge had a message to send");
        assert_eq!(*state, before, "automerge changed the state");
    }
    (msg, quiet)
}

/// Checks `receive_heads_only` against automerge; returns whether it answered.
fn receive(doc: &mut AutoCommit, state: &mut State, msg: Message) -> bool {
    let heads = doc.get_heads();
    let mut fast = state.clone();
    let took = receive_heads_only(&mut fast, &msg, &heads);
    if !took {
        assert_eq!(fast, *state, "a declined message left the state as it was");
    }
    doc.sync()
        .receive_sync_message(state, msg)
        .expect("automerge applies the message");
    if took {
        assert_eq!(doc.get_heads(), heads, "the document did not change");
        assert_eq!(fast, *state, "the same state as automerge's");
    }
    took
}

fn change(doc: &mut AutoCommit, key: u8, value: i64) {
    doc.put(ROOT, format!("k{key}"), value).expect("put");
    doc.commit();
}

/// One device's new record synced as the client does it (its whole document in the
/// first message): the server's reply and the next round are both answered without
/// the document.
#[test]
fn a_new_record_needs_no_document_after_it_is_sent() {
    let mut device = AutoCommit::new().with_actor(ActorId::from(vec![1u8; 16]));
    for i in 0..5 {
        change(&mut device, i, i64::from(i));
    }
    let mut server = AutoCommit::new();
    let mut ds = crate::sync::client::state_for_new_record();
    let mut ss = State::new();
    let (up, quiet) = generate(&mut device, &mut ds);
    assert!(!quiet);
    let up = up.expect("the whole record");
    server.sync().receive_sync_message(&mut ss, up).unwrap();
    let down = server.sync().generate_sync_message(&mut ss).expect("reply");
    assert!(
        receive(&mut device, &mut ds, down),
        "the reply needs no document"
    );
    let (next, quiet) = generate(&mut device, &mut ds);
    assert!(quiet && next.is_none(), "nothing is left to send");
    // Decoded from storage the state is a fresh session: the shortcut declines.
    let stored = State::decode(&ds.encode()).unwrap();
    assert!(!nothing_to_send(&stored, &device.get_heads()));
}

/// A server reply that brings changes, or heads the device does not have, is not
/// answered by the shortcut.
#[test]
fn a_reply_with_changes_is_left_to_automerge() {
    let mut device = AutoCommit::new().with_actor(ActorId::from(vec![1u8; 16]));
    change(&mut device, 0, 0);
    let mut server = device.fork().with_actor(ActorId::from(vec![2u8; 16]));
    change(&mut server, 1, 1);
    let (mut ds, mut ss) = (State::new(), State::new());
    let (up, _) = generate(&mut device, &mut ds);
    server
        .sync()
        .receive_sync_message(&mut ss, up.unwrap())
        .unwrap();
    let down = server.sync().generate_sync_message(&mut ss).unwrap();
    assert!(!receive(&mut device, &mut ds, down));
}

#[derive(Debug, Clone)]
enum Step {
    Device(u8, i64),
    Server(u8, i64),
    /// Messages both ways, `n` times; the bool drops the message of that turn.
    Sync(Vec<bool>),
    /// The device's state as stored and decoded (a new run).
    Restart,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0u8..4, any::<i64>()).prop_map(|(k, v)| Step::Device(k, v)),
        (0u8..4, any::<i64>()).prop_map(|(k, v)| Step::Server(k, v)),
        proptest::collection::vec(proptest::bool::weighted(0.15), 1..8).prop_map(Step::Sync),
        Just(Step::Restart),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Random histories on both sides, lost messages and restarts: every answer of
    /// a shortcut is automerge's answer, on both sides of the exchange.
    #[test]
    fn the_shortcuts_agree_with_automerge(
        whole in any::<bool>(),
        steps in proptest::collection::vec(step(), 1..24),
    ) {
        let mut device = AutoCommit::new().with_actor(ActorId::from(vec![1u8; 16]));
        change(&mut device, 9, 9);
        let mut server = AutoCommit::new().with_actor(ActorId::from(vec![2u8; 16]));
        let mut ds = if whole {
            crate::sync::client::state_for_new_record()
        } else {
            State::new()
        };
        let mut ss = State::new();
        for s in steps {
            match s {
                Step::Device(k, v) => change(&mut device, k, v),
                Step::Server(k, v) => change(&mut server, k, v),
                Step::Restart => ds = State::decode(&ds.encode()).unwrap(),
                Step::Sync(turns) => {
                    for drop in turns {
                        let (up, _) = generate(&mut device, &mut ds);
                        if let Some(m) = up && !drop {
                            receive(&mut server, &mut ss, m);
                        }
                        let (down, _) = generate(&mut server, &mut ss);
                        if let Some(m) = down && !drop {
                            receive(&mut device, &mut ds, m);
                        }
                    }
                }
            }
        }
    }
}
