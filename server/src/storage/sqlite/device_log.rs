//! SQLite implementation of [`crate::storage::device_log::DeviceLogStorage`].

use async_trait::async_trait;

use super::SqliteStorage;
use crate::storage::device_log::DeviceLogStorage;

#[async_trait]
impl DeviceLogStorage for SqliteStorage {}
