//! SQLite implementation of [`crate::storage::queue::QueueStorage`].

use async_trait::async_trait;

use super::SqliteStorage;
use crate::storage::queue::QueueStorage;

#[async_trait]
impl QueueStorage for SqliteStorage {}
