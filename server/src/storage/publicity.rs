//! Storage of publication records: the publishing queue, withdrawals, annual statistics (R-POST-1..7).

use async_trait::async_trait;

/// Storage of publication records: the publishing queue, withdrawals, annual statistics (R-POST-1..7).
#[async_trait]
pub trait PublicityStorage {}
