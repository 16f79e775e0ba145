//! A record's stored form as its first sync message needs it (issue 19 item 1):
//! the chunks joined in order, the heads and every change hash, read without
//! loading the document, and only when the chunks are certainly the ones the last
//! write stored (otherwise the caller loads the document, which reports damage).

use rusqlite::OptionalExtension;

use super::read_model::ChunkDigest;
use super::{Store, StoreError, StoredWhole, query_one};

/// The row fields the check needs.
struct Row {
    heads: String,
    hashes: Option<Vec<u8>>,
    schema_version: i64,
    view_heads: Option<String>,
    digest: Option<Vec<u8>>,
}

impl Store {
    /// Document `id` as one byte string with its heads and change hashes, if all
    /// three were written by one write and the chunks are exactly those it wrote:
    /// the change hashes are stored (every write since migration 0006 stores them
    /// with the heads), and the read model row written in the same transaction is
    /// at the same heads and its digest is the chunks' digest now (a damaged or
    /// out-of-band edited chunk fails it). `None` means "load the document".
    pub fn stored_whole(&self, id: &str) -> Result<Option<StoredWhole>, StoreError> {
        let row = query_one(
            &self.conn,
            "SELECT d.heads, d.change_hashes, d.schema_version, v.heads, v.chunks_digest
             FROM documents d LEFT JOIN doc_views v ON v.doc_id = d.id WHERE d.id = ?1",
            [id],
            |r| {
                Ok(Row {
                    heads: r.get(0)?,
                    hashes: r.get(1)?,
                    schema_version: r.get(2)?,
                    view_heads: r.get(3)?,
                    digest: r.get(4)?,
                })
            },
        )
        .optional()?;
        let Some(row) = row else { return Ok(None) };
        let (Some(hashes), Some(view_heads), Some(digest)) =
            (row.hashes, row.view_heads, row.digest)
        else {
            return Ok(None);
        };
        if view_heads != row.heads || hashes.is_empty() || !hashes.len().is_multiple_of(32) {
            return Ok(None);
        }
        let Ok(heads) = serde_json::from_str::<Vec<String>>(&row.heads) else {
            return Ok(None);
        };
        let Ok(schema_version) = u64::try_from(row.schema_version) else {
            return Ok(None);
        };
        let mut stmt = self
            .conn
            .prepare_cached("SELECT seq, bytes FROM doc_chunks WHERE doc_id = ?1 ORDER BY seq")?;
        let mut rows = stmt.query([id])?;
        let mut bytes = Vec::new();
        let mut d = ChunkDigest::default();
        while let Some(r) = rows.next()? {
            let seq: i64 = r.get(0)?;
            let Ok(chunk) = r.get_ref(1)?.as_blob() else {
                return Ok(None);
            };
            d.add(seq, chunk);
            bytes.extend_from_slice(chunk);
        }
        if bytes.is_empty() || d.finish() != digest {
            return Ok(None);
        }
        Ok(Some(StoredWhole {
            bytes,
            heads,
            change_hashes: hashes,
            schema_version,
        }))
    }
}
