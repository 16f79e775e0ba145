//! SQLite implementation of [`crate::storage::public_profile::PublicProfileStorage`].

use async_trait::async_trait;

use super::SqliteStorage;
use crate::storage::public_profile::PublicProfileStorage;

#[async_trait]
impl PublicProfileStorage for SqliteStorage {}
