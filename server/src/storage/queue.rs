//! Storage of the supervisors' review queue: one summary row per inspection.

use async_trait::async_trait;

/// Storage of the review queue (implemented by every backend).
#[async_trait]
pub trait QueueStorage {}
