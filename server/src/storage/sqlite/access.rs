//! SQLite implementation of [`crate::storage::access::AccessStorage`].

use async_trait::async_trait;

use super::SqliteStorage;
use crate::storage::access::AccessStorage;

#[async_trait]
impl AccessStorage for SqliteStorage {}
