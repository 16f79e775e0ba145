//! Storage of the access log (R-REC-7) and of review submissions.

use async_trait::async_trait;

/// Storage of the access log (implemented by every backend).
#[async_trait]
pub trait AccessStorage {}
