//! Start-up repairs of what older server versions lost (issue 16).
//!
//! Before merges became one transaction, a crash between storing a document and
//! recording its evidence references left evidence the server never asked for:
//! the phone said synced and R-REC-4 never flagged the missing files. At every
//! start the server re-derives the evidence references from the stored documents,
//! adds the missing ones, refreshes those records' queue summaries and forgets the
//! devices' sync states of them, so each device is offered the record again and
//! told which files to upload.

use liuhen_domain::doc::InspectionDoc;

use crate::state::AppState;
use crate::storage::{BlobRecord, StorageError};

/// Documents read per page.
const PAGE: u32 = 200;

/// Re-derives every stored document's evidence references and adds those missing.
/// Returns how many references were added.
pub async fn evidence_references(st: &AppState) -> Result<u64, StorageError> {
    let mut after = String::new();
    let mut added = 0u64;
    loop {
        let ids = st.storage.doc_ids_after(&after, PAGE).await?;
        let Some(last) = ids.last() else { break };
        after = last.clone();
        for id in &ids {
            let Some(rec) = st.storage.doc(id).await? else {
                continue;
            };
            let inspection = match InspectionDoc::load(&rec.bytes).and_then(|d| d.read()) {
                Ok(i) => i,
                Err(e) => {
                    tracing::error!(doc = %id, error = %e, "stored document does not read; evidence not re-derived");
                    continue;
                }
            };
            let known = st.storage.blobs_of(id).await?;
            let mut repaired = false;
            for e in &inspection.evidence {
                if known.iter().any(|b| b.sha256 == e.sha256) {
                    continue;
                }
                // The device's clock skew at that sync is not known any more; the
                // capture time as recorded is the best there is.
                st.storage
                    .reference_blob(&BlobRecord {
                        sha256: e.sha256.clone(),
                        inspection_id: id.clone(),
                        captured_at: e.captured_at,
                        received_at: None,
                        size: e.size_bytes,
                    })
                    .await?;
                added += 1;
                repaired = true;
            }
            if repaired {
                tracing::warn!(doc = %id, "evidence references re-derived from the stored document");
                // The devices that hold the record are offered it again at their
                // next sync, and so learn which files the server still needs.
                st.storage.forget_peer_states(id).await?;
                crate::services::summary::refresh_or_log(st, id).await;
            }
        }
    }
    Ok(added)
}

/// Runs the start-up repairs, then the queue summary backfill (so the summaries
/// count the repaired references).
pub async fn at_start(st: AppState) {
    match evidence_references(&st).await {
        Ok(0) => {}
        Ok(n) => tracing::warn!(added = n, "evidence references repaired at start"),
        Err(e) => tracing::error!(error = %e, "evidence reference repair stopped"),
    }
    crate::services::summary::backfill(st).await;
}
