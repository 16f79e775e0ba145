//! Optimistic per-document writes (issue 18): every writer of a document reads it,
//! merges or changes it, and commits with the heads it read; when another writer
//! (a request of this process or of another server instance on the same database)
//! committed first, the store refuses the write as [`StorageError::Stale`] and
//! writes nothing, and the writer starts again from a fresh read. This replaces
//! the per-process lock map: nothing here is shared between requests.

use std::future::Future;
use std::time::Duration;

use rand::Rng;

use crate::storage::StorageError;

/// Attempts of one write before the request gives up with a retryable error
/// (503 `storage_busy`: the device or the page tries again later).
pub const MAX_ATTEMPTS: u32 = 8;

/// Errors that may say "the document moved since it was read".
pub trait Staleness {
    /// Whether this is a refused optimistic write (re-read and redo).
    fn is_stale(&self) -> bool;
}

impl Staleness for StorageError {
    fn is_stale(&self) -> bool {
        matches!(self, StorageError::Stale(_))
    }
}

/// Waits before attempt `attempt + 1` (1-based `attempt` just failed): a jittered,
/// growing pause of at most about 100 ms, so writers that collided do not collide
/// again in lockstep.
pub async fn back_off(attempt: u32) {
    let ceiling_ms = (2u64 << attempt.min(5)).min(100);
    let ms = rand::thread_rng().gen_range(0..=ceiling_ms);
    tokio::time::sleep(Duration::from_millis(ms)).await;
}

/// Runs `attempt` (read, change, commit with the heads read) until it is not
/// stale, at most [`MAX_ATTEMPTS`] times; the last stale error is returned when
/// every attempt was. `what` and `id` name the write in the log.
pub async fn retry_stale<T, E, F, Fut>(what: &str, id: &str, mut attempt: F) -> Result<T, E>
where
    E: Staleness + std::fmt::Display,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let mut n = 1;
    loop {
        match attempt().await {
            Err(e) if e.is_stale() && n < MAX_ATTEMPTS => {
                tracing::info!(
                    what,
                    id,
                    attempt = n,
                    "document moved meanwhile; merging again"
                );
                back_off(n).await;
                n += 1;
            }
            Err(e) if e.is_stale() => {
                tracing::warn!(what, id, attempts = n, error = %e, "document kept moving; giving up for now");
                return Err(e);
            }
            other => return other,
        }
    }
}
