//! The two steps of a record's sync that need only its heads, not the document
//! (issue 19 item 1): a device syncing 1,000 new records loaded each one three times,
//! once to send it and twice more to learn from the server's reply that both sides
//! agree. These functions answer those two steps from the sync state and the heads
//! the record is stored at, exactly as automerge 0.12 would with the document
//! loaded; they decline (return `false`) whenever that is not certain, and the
//! caller then loads the document. The tests hold them to automerge's own results.

use automerge::ChangeHash;
use automerge::sync::{Capability, Message, MessageFlags, State};

/// Whether `generate_sync_message` on a document whose heads are `heads` (sorted,
/// as automerge returns them) would return `None` for `state` and leave it as it
/// is: the peer said it is at exactly these heads, needs nothing, has everything
/// since them, and has already been told them.
///
/// Follows automerge 0.12's `generate_sync_message`: with every `have` starting at
/// our heads, no hash is after them; with no `need`, nothing is asked for; no reset
/// is due (every `last_sync` hash is one of ours); our heads equal the last sent
/// and their heads, and we have responded before: it returns `None` before
/// touching the state.
pub fn nothing_to_send(state: &State, heads: &[ChangeHash]) -> bool {
    !heads.is_empty()
        && state.have_responded
        && !state.read_only
        && !state.needs_reset
        && state.last_sent_heads == heads
        && state.their_heads.as_deref() == Some(heads)
        && state.their_need.as_ref().is_none_or(Vec::is_empty)
        && state
            .their_have
            .as_ref()
            .is_none_or(|have| have.iter().all(|h| h.last_sync == heads))
}

/// Applies to `state` a message that carries no changes and names exactly `heads`
/// (the sorted heads of our document) as the peer's heads, as automerge 0.12's
/// `receive_sync_message` does: the document does not change, every change we
/// ever sent is an ancestor of those heads (so none is still owed), and they are
/// both the heads last sent and the heads shared. Returns `false`, leaving `state`
/// untouched, for any other message (the caller applies it to the document).
pub fn receive_heads_only(state: &mut State, msg: &Message, heads: &[ChangeHash]) -> bool {
    if !msg.changes.is_empty() || heads.is_empty() || msg.heads != heads {
        return false;
    }
    state.in_flight = false;
    if let Some(flags) = msg.flags {
        let mut caps = vec![Capability::MessageV2];
        if flags.contains(MessageFlags::SUPPORTS_SYNC_RESET) {
            caps.push(Capability::SyncReset);
        }
        state.their_capabilities = Some(caps);
        state.peer_read_only = flags.contains(MessageFlags::READ_ONLY);
    }
    // Every hash we sent is one of our changes, and every one of our changes is an
    // ancestor of (or one of) our heads: automerge's filter removes them all (a
    // SYNC_RESET flag, which clears them too, changes nothing here).
    state.sent_hashes.clear();
    state.last_sent_heads = heads.to_vec();
    state.shared_heads = heads.to_vec();
    state.their_have = Some(msg.have.clone());
    state.their_heads = Some(msg.heads.clone());
    state.their_need = Some(msg.need.clone());
    true
}

/// Heads as stored (hex), parsed and sorted as automerge orders a document's heads;
/// `None` if one does not parse (the caller then loads the document, which reports
/// the damage).
pub fn parse_heads(hex: &[String]) -> Option<Vec<ChangeHash>> {
    let mut heads = hex
        .iter()
        .map(|h| h.parse::<ChangeHash>().ok())
        .collect::<Option<Vec<_>>>()?;
    heads.sort_unstable();
    Some(heads)
}

#[cfg(test)]
mod tests;
