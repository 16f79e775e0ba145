//! The automerge actors of server users: a supervisor's review written into a
//! record, a drafter's edit on the web, all carry the user's own actor. The write
//! rules ([`crate::write_rules`]) accept a `review` only from these actors (R-REC-1),
//! so a client or test that checks what the server wrote derives them the same way.

/// The automerge actor of a server user (supervisor): stable, distinct per user —
/// the first 16 bytes of SHA-256 of `liuhen-user:<user id>`.
pub fn user_actor(user_id: &str) -> automerge::ActorId {
    use sha2::{Digest, Sha256};
    let h = Sha256::digest(format!("liuhen-user:{user_id}").as_bytes());
    automerge::ActorId::from(&h[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_users_actor_is_stable_and_distinct() {
        // Reviews already stored carry these actors: the derivation must not change.
        assert_eq!(
            user_actor("supervisor-1").to_hex_string(),
            "6cafafb7903ddaa69cbeb367f44e076b"
        );
        assert_eq!(user_actor("supervisor-1"), user_actor("supervisor-1"));
        assert_ne!(user_actor("supervisor-1"), user_actor("supervisor-2"));
    }
}
