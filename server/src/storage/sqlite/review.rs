//! SQLite implementation of [`crate::storage::review::ReviewStorage`].

use async_trait::async_trait;

use super::SqliteStorage;
use crate::storage::review::ReviewStorage;

#[async_trait]
impl ReviewStorage for SqliteStorage {}
