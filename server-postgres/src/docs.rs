//! Documents, evidence references, sync states and the change cursor inside a
//! transaction (helpers of the `Storage` impl in `storage.rs`).

use chrono::{DateTime, Utc};
use tokio_postgres::{GenericClient, Row, Transaction};

use liuhen_server_store::{BlobRecord, DocRecord, StorageError, StorageResult};

use super::{col, pg};

/// Columns of [`doc_from_row`]: the officer list comes along as an array.
pub(crate) const DOC_COLS: &str = "d.id, d.agency_id, d.task_id, d.target_name, d.status, \
     d.heads, d.bytes, d.updated_at, \
     ARRAY(SELECT o.officer_id FROM doc_officers o WHERE o.doc_id = d.id ORDER BY o.position)";

/// A document from a row of [`DOC_COLS`].
pub(crate) fn doc_from_row(r: &Row) -> StorageResult<DocRecord> {
    Ok(DocRecord {
        id: col(r, 0)?,
        agency_id: col(r, 1)?,
        task_id: col(r, 2)?,
        target_name: col(r, 3)?,
        status: col(r, 4)?,
        heads: col(r, 5)?,
        bytes: col(r, 6)?,
        updated_at: col(r, 7)?,
        officer_ids: col(r, 8)?,
    })
}

/// Whether two head lists name the same heads (order aside).
fn same_heads(a: &[String], b: &[String]) -> bool {
    let (mut a, mut b) = (a.to_vec(), b.to_vec());
    a.sort();
    b.sort();
    a == b
}

/// Inserts or replaces a document and its officer list, if the stored heads are
/// `expected` (the optimistic contract of issue 18: the heads the writer read;
/// None: the document must not exist yet), else [`StorageError::Stale`] and
/// nothing written. The document row is locked for the rest of the transaction; its change cursor is set by
/// [`bump_cursor`], the last statement before the commit.
pub(crate) async fn write_doc(
    tx: &Transaction<'_>,
    doc: &DocRecord,
    expected: Option<&[String]>,
) -> StorageResult<()> {
    {
        // A missing row takes no row lock: writers that expect none serialize on
        // an advisory lock of the id instead, so the second one sees the first's
        // row and is Stale rather than overwriting it.
        if expected.is_none() {
            create_lock(tx, &doc.id).await?;
        }
        let stored: Option<Vec<String>> = tx
            .query_opt(
                "SELECT heads FROM docs WHERE id = $1 FOR UPDATE",
                &[&doc.id],
            )
            .await
            .map_err(pg)?
            .map(|r| col(&r, 0))
            .transpose()?;
        let fresh = match (&stored, expected) {
            (None, None) => true,
            (Some(s), Some(e)) => same_heads(s, e),
            _ => false,
        };
        if !fresh {
            return Err(stale(&doc.id));
        }
    }
    tx.execute(
        "INSERT INTO docs (id, agency_id, task_id, target_name, status, heads, bytes,
         updated_at, change_seq) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0)
         ON CONFLICT (id) DO UPDATE SET agency_id = excluded.agency_id,
         task_id = excluded.task_id, target_name = excluded.target_name,
         status = excluded.status, heads = excluded.heads, bytes = excluded.bytes,
         updated_at = excluded.updated_at",
        &[
            &doc.id,
            &doc.agency_id,
            &doc.task_id,
            &doc.target_name,
            &doc.status,
            &doc.heads,
            &doc.bytes,
            &doc.updated_at,
        ],
    )
    .await
    .map_err(pg)?;
    tx.execute("DELETE FROM doc_officers WHERE doc_id = $1", &[&doc.id])
        .await
        .map_err(pg)?;
    tx.execute(
        "INSERT INTO doc_officers (doc_id, officer_id, position)
         SELECT $1, o, p - 1 FROM unnest($2::text[]) WITH ORDINALITY AS u(o, p)
         ON CONFLICT DO NOTHING",
        &[&doc.id, &doc.officer_ids],
    )
    .await
    .map_err(pg)?;
    Ok(())
}

/// The error of a write whose expected heads are not the stored ones.
fn stale(doc_id: &str) -> StorageError {
    StorageError::Stale(format!("document {doc_id} changed since it was read"))
}

/// Namespace (first key) of the advisory locks taken by [`create_lock`].
const CREATE_LOCK_CLASS: i32 = 18;

/// Takes a transaction-scoped advisory lock on creating the record `id` (a
/// document or a decision draft): writers that expect no record yet serialize
/// on it (issue 18). A hash collision only makes two creations wait for each other.
pub(crate) async fn create_lock(tx: &Transaction<'_>, id: &str) -> StorageResult<()> {
    tx.execute(
        "SELECT pg_advisory_xact_lock($1, hashtext($2))",
        &[&CREATE_LOCK_CLASS, &id],
    )
    .await
    .map_err(pg)?;
    Ok(())
}

/// Gives `doc_id` the next change cursor value. The counter row stays locked until
/// the transaction ends, so cursor values become visible in the order they were
/// handed out: call this last, just before the commit, to hold the lock briefly.
pub(crate) async fn bump_cursor(tx: &Transaction<'_>, doc_id: &str) -> StorageResult<i64> {
    let row = tx
        .query_one(
            "UPDATE change_counter SET seq = seq + 1 WHERE id = 1 RETURNING seq",
            &[],
        )
        .await
        .map_err(pg)?;
    let seq: i64 = col(&row, 0)?;
    tx.execute(
        "UPDATE docs SET change_seq = $2 WHERE id = $1",
        &[&doc_id, &seq],
    )
    .await
    .map_err(pg)?;
    Ok(seq)
}

/// A size as stored.
pub(crate) fn size_to_sql(size: u64) -> StorageResult<i64> {
    i64::try_from(size).map_err(|_| StorageError::Backend(format!("size {size} out of range")))
}

/// Records that a document references a blob (idempotent); with `received_at`,
/// grants it to the agency of the stored inspection (issue 16 item 6).
pub(crate) async fn write_blob_ref(tx: &Transaction<'_>, blob: &BlobRecord) -> StorageResult<()> {
    let size = size_to_sql(blob.size)?;
    tx.execute(
        "INSERT INTO blob_refs (sha256, inspection_id, captured_at, size)
         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        &[&blob.sha256, &blob.inspection_id, &blob.captured_at, &size],
    )
    .await
    .map_err(pg)?;
    if let Some(at) = blob.received_at {
        tx.execute(
            "INSERT INTO blob_grants (agency_id, sha256, size, received_at)
             SELECT agency_id, $2, $3, $4 FROM docs WHERE id = $1 ON CONFLICT DO NOTHING",
            &[&blob.inspection_id, &blob.sha256, &size, &at],
        )
        .await
        .map_err(pg)?;
    }
    Ok(())
}

/// Columns of [`blob_from_row`] over [`BLOB_FROM`].
pub(crate) const BLOB_COLS: &str =
    "r.sha256, r.inspection_id, r.captured_at, g.received_at, COALESCE(g.size, r.size)";

/// Blob references with the grant of the referencing inspection's agency.
pub(crate) const BLOB_FROM: &str = "blob_refs r LEFT JOIN docs d ON d.id = r.inspection_id
     LEFT JOIN blob_grants g ON g.agency_id = d.agency_id AND g.sha256 = r.sha256";

/// A blob record from a row of [`BLOB_COLS`].
pub(crate) fn blob_from_row(r: &Row) -> StorageResult<BlobRecord> {
    let size: i64 = col(r, 4)?;
    Ok(BlobRecord {
        sha256: col(r, 0)?,
        inspection_id: col(r, 1)?,
        captured_at: col(r, 2)?,
        received_at: col(r, 3)?,
        size: u64::try_from(size).unwrap_or(0),
    })
}

/// The blob records of one inspection (also inside a write).
pub(crate) async fn read_blobs_of(
    c: &impl GenericClient,
    inspection_id: &str,
) -> StorageResult<Vec<BlobRecord>> {
    c.query(
        &format!(
            "SELECT {BLOB_COLS} FROM {BLOB_FROM}
             WHERE r.inspection_id = $1 ORDER BY r.captured_at, r.sha256"
        ),
        &[&inspection_id],
    )
    .await
    .map_err(pg)?
    .iter()
    .map(blob_from_row)
    .collect()
}

/// Inserts or replaces the sync state of a device for a document.
pub(crate) async fn write_peer_state(
    tx: &Transaction<'_>,
    device_id: &str,
    doc_id: &str,
    state: &[u8],
    now: DateTime<Utc>,
) -> StorageResult<()> {
    tx.execute(
        "INSERT INTO peer_states (device_id, doc_id, state, updated_at)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (device_id, doc_id) DO UPDATE SET state = excluded.state,
         updated_at = excluded.updated_at",
        &[&device_id, &doc_id, &state, &now],
    )
    .await
    .map_err(pg)?;
    Ok(())
}
