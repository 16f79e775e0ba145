//! SQLite implementation of [`crate::storage::publicity::PublicityStorage`].

use async_trait::async_trait;

use super::SqliteStorage;
use crate::storage::publicity::PublicityStorage;

#[async_trait]
impl PublicityStorage for SqliteStorage {}
