//! Storage of review submissions from the desk (a decision sent twice is done once).

use async_trait::async_trait;

/// Storage of review submissions (implemented by every backend).
#[async_trait]
pub trait ReviewStorage {}
