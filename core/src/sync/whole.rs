//! The first sync message of a record the server has never acknowledged, built from
//! what the store keeps with it instead of loading it (issue 19 item 1: loading was
//! more than half of a device's CPU in a first sync).
//!
//! From [`state_for_new_record`](super::client::state_for_new_record) automerge 0.12's
//! `generate_sync_message` sends the whole document: the peer holds nothing and reads
//! v2 messages. Its message is the document's sorted heads, no need, one `have` with
//! no last sync point and a bloom filter of every change hash, one entry holding
//! `save()`, the flag "supports sync reset", version 2; and it leaves the state with
//! every change hash sent, the heads as last sent, a response given and a message in
//! flight. [`first_message`] builds exactly that message and state, except that its
//! one entry holds the stored chunks joined (a document chunk and the incremental
//! changes after it) rather than one fresh save: the peer applies the entry with
//! `load_incremental`, which reaches the same changes and content from either. The tests hold
//! it to automerge's own message, state and the receiving peer's result.

use automerge::ChangeHash;
use automerge::sync::{Have, Message, MessageFlags, MessageVersion, State};

use super::client::state_for_new_record;

/// The record's stored form, as the store keeps it with every write.
pub struct Stored<'a> {
    /// Its heads, sorted as automerge sorts a document's heads.
    pub heads: &'a [ChangeHash],
    /// Every change hash of the document, in any order.
    pub hashes: &'a [ChangeHash],
    /// Its chunks joined in order (what `load_incremental` reads).
    pub bytes: Vec<u8>,
}

/// The message automerge would send for the stored record from `state`, with
/// `state` updated as automerge updates it; `None` (state untouched) unless
/// `state` is exactly the state of a new record and the stored form is coherent
/// (heads and bytes present, every head among the hashes, no hash twice): the
/// caller then loads the document.
pub fn first_message(state: &mut State, stored: Stored<'_>) -> Option<Message> {
    let Stored {
        heads,
        hashes,
        bytes,
    } = stored;
    if heads.is_empty() || bytes.is_empty() || *state != state_for_new_record() {
        return None;
    }
    if !heads.is_sorted() || heads.iter().any(|h| !hashes.contains(h)) {
        return None;
    }
    let mut unique = hashes.to_vec();
    unique.sort_unstable();
    unique.dedup();
    if unique.len() != hashes.len() {
        return None;
    }
    // automerge: `have` is a bloom filter of every hash since the shared heads
    // (none yet), the changes are the whole document and all their hashes count as
    // sent; the heads are sent and remembered, and a message is now in flight.
    let have = Have {
        last_sync: vec![],
        bloom: automerge::sync::BloomFilter::from_hashes(unique.iter()),
    };
    state.have_responded = true;
    state.last_sent_heads = heads.to_vec();
    state.sent_hashes.extend(unique);
    state.in_flight = true;
    let mut flags = MessageFlags::new();
    flags.set(MessageFlags::SUPPORTS_SYNC_RESET);
    Some(Message {
        heads: heads.to_vec(),
        need: vec![],
        have: vec![have],
        changes: bytes.into(),
        flags: Some(flags),
        version: MessageVersion::V2,
    })
}

/// Change hashes as stored (32 bytes each, concatenated); `None` if the bytes are
/// not a whole number of hashes.
pub fn parse_hashes(bytes: &[u8]) -> Option<Vec<ChangeHash>> {
    if !bytes.len().is_multiple_of(32) {
        return None;
    }
    bytes
        .chunks_exact(32)
        .map(|c| ChangeHash::try_from(c).ok())
        .collect()
}

#[cfg(test)]
mod tests;
