//! The server's storage: the traits and record types of `liuhen-server-store`,
//! and the embedded SQLite backend (`liuhen-server-sqlite`) as [`sqlite`].
//! A thin re-export so that handlers keep writing `crate::storage::...`.

pub use liuhen_server_sqlite as sqlite;
pub use liuhen_server_store::*;
