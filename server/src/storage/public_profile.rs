//! Storage of the agency's public profile and uploaded documents (R-PRE-1..4).

use async_trait::async_trait;

/// Storage of the agency's public profile and uploaded documents (R-PRE-1..4).
#[async_trait]
pub trait PublicProfileStorage {}
