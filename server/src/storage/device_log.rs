//! Storage of the signed device logs that devices upload with sync (R-REC-5).

use async_trait::async_trait;

/// Storage of device logs (implemented by every backend).
#[async_trait]
pub trait DeviceLogStorage {}
