//! The server's intake of one device sync message, as a function of the bytes:
//! the guard (`server/src/api/sync_guard.rs`, included as it is), then automerge's
//! decode, `receive_sync_message` on a fork of a small fixed document (and on an
//! empty one: the first upload of an inspection), then what `server/src/api/sync.rs`
//! does with a fork whose heads moved (changes since, diff, save and load, the
//! document at the old heads) and the reply (`generate_sync_message`).
//!
//! Used by the libFuzzer target (`fuzz_targets/sync_intake.rs`, nightly) and by
//! the stable replay binary (`src/bin/replay.rs`) that CI runs.

use std::sync::OnceLock;

use automerge::sync::{Message, State, SyncDoc};
use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, AutoCommit, ObjType, ROOT, ReadDoc};

// The server's file as it is (its tests: server/tests/it/unit/api/sync_guard.rs).
#[path = "../../server/src/api/sync_guard.rs"]
#[allow(dead_code)]
pub mod sync_guard;

pub mod mutate;

/// What happened to one input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    /// Refused by the guard with this code.
    Refused(&'static str),
    /// Passed the guard, refused by automerge's decoder (a guard gap worth noting).
    DecodeFailed,
    /// Decoded, refused by `receive_sync_message` on the fixed document.
    ReceiveFailed,
    /// Applied to the fixed document.
    Applied,
}

/// The fixed server-side document: an inspection-like map with a list, text and
/// a counter, written by one actor at time 0 (identical in every process).
pub fn fixed_doc() -> &'static AutoCommit {
    static DOC: OnceLock<AutoCommit> = OnceLock::new();
    DOC.get_or_init(|| {
        let mut doc = AutoCommit::new().with_actor(ActorId::from([0x5a; 16]));
        // Building from constants cannot fail; if it did, the harness would
        // still run on whatever was built.
        let _ = build_fixed(&mut doc);
        doc
    })
}

fn build_fixed(doc: &mut AutoCommit) -> Result<(), automerge::AutomergeError> {
    doc.put(ROOT, "id", "0191a7e0-0000-7000-8000-000000000001")?;
    let team = doc.put_object(ROOT, "team", ObjType::List)?;
    let member = doc.insert_object(&team, 0, ObjType::Map)?;
    doc.put(&member, "officer_id", "o-1")?;
    let text = doc.put_object(ROOT, "findings", ObjType::Text)?;
    doc.splice_text(&text, 0, 0, "现场检查：消防通道畅通")?;
    doc.put(ROOT, "photos", automerge::ScalarValue::counter(0))?;
    let review = doc.put_object(ROOT, "review", ObjType::Map)?;
    doc.put_object(&review, "comments", ObjType::List)?;
    doc.commit_with(CommitOptions::default().with_time(0));
    doc.splice_text(&text, 0, 0, "【初稿】")?;
    doc.increment(ROOT, "photos", 2)?;
    doc.commit_with(CommitOptions::default().with_time(1));
    Ok(())
}

/// Runs one input through the intake; panics only if automerge (or the guard)
/// panics, which is what the fuzzers look for.
pub fn intake(data: &[u8]) -> Outcome {
    let limits = sync_guard::Limits::default();
    if let Err(e) = sync_guard::check(data, &limits) {
        return Outcome::Refused(e.code());
    }
    let existing = receive(fixed_doc().clone(), data);
    let _ = receive(AutoCommit::new(), data);
    existing
}

fn receive(mut doc: AutoCommit, data: &[u8]) -> Outcome {
    let Ok(msg) = Message::decode(data) else {
        return Outcome::DecodeFailed;
    };
    let before = doc.get_heads();
    let mut fork = doc.fork();
    let mut state = State::new();
    if fork.sync().receive_sync_message(&mut state, msg).is_err() {
        return Outcome::ReceiveFailed;
    }
    let after = fork.get_heads();
    if after != before {
        // check_write_rules and record_of in server/src/api/sync.rs.
        for change in fork.get_changes(&before) {
            let _ = (change.actor_id().to_hex_string(), change.hash());
        }
        let _ = fork.diff(&before, &after);
        let saved = fork.save();
        if let Ok(mut loaded) = AutoCommit::load(&saved) {
            let _ = loaded.get_heads();
        }
        if let Ok(mut at) = fork.fork_at(&before) {
            let _ = at.length(ROOT);
            let _ = at.save();
        }
        doc = fork;
    }
    let _ = doc
        .sync()
        .generate_sync_message(&mut state)
        .map(|m| m.encode());
    let _ = state.encode();
    Outcome::Applied
}
