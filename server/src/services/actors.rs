//! The automerge actors of server users: a supervisor's review written into a
//! record, a drafter's edit on the web, all carry the user's own actor.

/// The automerge actor of a server user (supervisor): stable, distinct per user.
pub fn user_actor(user_id: &str) -> automerge::ActorId {
    use sha2::{Digest, Sha256};
    let h = Sha256::digest(format!("liuhen-user:{user_id}").as_bytes());
    automerge::ActorId::from(&h[..16])
}
