//! The automerge actors of server users: a supervisor's review written into a
//! record, a drafter's edit on the web, all carry the user's own actor. Derived in
//! the domain ([`liuhen_domain::actors`]), where the write rules and any client that
//! checks the server's writes find it.

pub use liuhen_domain::actors::user_actor;
