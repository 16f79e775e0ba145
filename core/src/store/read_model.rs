//! The read model (issue 19 item 4): each inspection as the screens show it, kept in
//! step with its document. [`Store::write_step`](super::Store::write_step) writes it in
//! the same transaction as the document bytes; a row is served only if it was made by
//! this version of the code, at the document's current heads, from exactly the chunks
//! stored now (their digest), so a damaged or out-of-band edited document is never
//! shown from a stale row: the caller hydrates the document instead (and finds the
//! damage).

use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};

use super::{Store, StoreError, exec, query_one};

/// A read model row as stored.
struct Row {
    version: String,
    view_heads: String,
    doc_heads: String,
    digest: Vec<u8>,
    view: String,
}

/// SHA-256 over a document's chunks in order: for each, its `seq` and length (both
/// little-endian 64-bit) then its bytes.
#[derive(Default)]
pub(super) struct ChunkDigest(Sha256);

impl ChunkDigest {
    pub(super) fn add(&mut self, seq: i64, bytes: &[u8]) {
        self.0.update(seq.to_le_bytes());
        self.0.update((bytes.len() as u64).to_le_bytes());
        self.0.update(bytes);
    }

    pub(super) fn finish(self) -> Vec<u8> {
        self.0.finalize().to_vec()
    }
}

pub(super) fn digest_stored(conn: &rusqlite::Connection, id: &str) -> Result<Vec<u8>, StoreError> {
    let mut stmt =
        conn.prepare_cached("SELECT seq, bytes FROM doc_chunks WHERE doc_id = ?1 ORDER BY seq")?;
    let mut rows = stmt.query([id])?;
    let mut d = ChunkDigest::default();
    while let Some(r) = rows.next()? {
        let seq: i64 = r.get(0)?;
        let bytes = r
            .get_ref(1)?
            .as_blob()
            .map_err(|e| StoreError::CorruptDocument {
                id: id.to_string(),
                chunk: seq,
                reason: e.to_string(),
            })?;
        d.add(seq, bytes);
    }
    Ok(d.finish())
}

/// Writes (or, with `view` `None`, drops) the read model of document `id` inside the
/// transaction that has just written its chunks and heads.
pub(super) fn write_in(
    tx: &Connection,
    id: &str,
    version: &str,
    heads: &str,
    view: Option<&str>,
) -> Result<(), StoreError> {
    let Some(view) = view else {
        exec(tx, "DELETE FROM doc_views WHERE doc_id = ?1", [id])?;
        return Ok(());
    };
    let digest = digest_stored(tx, id)?;
    exec(
        tx,
        "INSERT INTO doc_views (doc_id, model_version, heads, chunks_digest, view)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (doc_id) DO UPDATE SET model_version = excluded.model_version,
           heads = excluded.heads, chunks_digest = excluded.chunks_digest, view = excluded.view",
        params![id, version, heads, digest, view],
    )?;
    Ok(())
}

/// After the chunks of document `id` were replaced by an equivalent encoding (a
/// compaction, same heads), moves its read model to the new chunks if the row was
/// made from the old ones (digest `before`); a row that was already stale stays so.
pub(super) fn redigest_in(tx: &Connection, id: &str, before: &[u8]) -> Result<(), StoreError> {
    let after = digest_stored(tx, id)?;
    exec(
        tx,
        "UPDATE doc_views SET chunks_digest = ?2 WHERE doc_id = ?1 AND chunks_digest = ?3",
        params![id, after, before],
    )?;
    Ok(())
}

impl Store {
    /// The stored read model of inspection `id` (JSON), if there is one made by read
    /// model `version` from the document exactly as it is stored now; `None` means
    /// "hydrate the document".
    pub fn read_view(&self, id: &str, version: &str) -> Result<Option<String>, StoreError> {
        let row = self
            .conn
            .prepare_cached(
                "SELECT v.model_version, v.heads, d.heads, v.chunks_digest, v.view
                 FROM doc_views v JOIN documents d ON d.id = v.doc_id WHERE v.doc_id = ?1",
            )?
            .query_row([id], |r| {
                Ok(Row {
                    version: r.get(0)?,
                    view_heads: r.get(1)?,
                    doc_heads: r.get(2)?,
                    digest: r.get(3)?,
                    view: r.get(4)?,
                })
            })
            .optional()?;
        let Some(row) = row else { return Ok(None) };
        if row.version != version || row.view_heads != row.doc_heads {
            return Ok(None);
        }
        if digest_stored(&self.conn, id)? != row.digest {
            tracing::warn!(
                inspection_id = id,
                "document bytes changed outside a step: read model not used"
            );
            return Ok(None);
        }
        Ok(Some(row.view))
    }

    /// Rebuilds the read model of inspection `id` from a hydration of its document
    /// made at `heads` (hex); does nothing if the document has moved on since.
    pub fn rebuild_view(
        &mut self,
        id: &str,
        version: &str,
        heads: &[String],
        view: &str,
    ) -> Result<(), StoreError> {
        let tx = self.tx()?;
        let stored_json: Option<String> = query_one(
            &tx,
            "SELECT heads FROM documents WHERE id = ?1",
            [id],
            |r| r.get(0),
        )
        .optional()?;
        let Some(stored_json) = stored_json else {
            return Ok(());
        };
        let mut stored: Vec<String> = serde_json::from_str(&stored_json).unwrap_or_default();
        let mut made_at = heads.to_vec();
        stored.sort();
        made_at.sort();
        if stored != made_at {
            return Ok(());
        }
        write_in(&tx, id, version, &stored_json, Some(view))?;
        tx.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::ChunkDigest;

    fn digest_chunks(chunks: &[(i64, &[u8])]) -> Vec<u8> {
        let mut d = ChunkDigest::default();
        for (seq, bytes) in chunks {
            d.add(*seq, bytes);
        }
        d.finish()
    }

    #[test]
    fn digest_depends_on_order_and_boundaries() {
        let a = digest_chunks(&[(0, &b"ab"[..]), (1, &b"c"[..])]);
        assert_ne!(a, digest_chunks(&[(0, &b"a"[..]), (1, &b"bc"[..])]));
        assert_ne!(a, digest_chunks(&[(1, &b"ab"[..]), (0, &b"c"[..])]));
        assert_eq!(a, digest_chunks(&[(0, &b"ab"[..]), (1, &b"c"[..])]));
    }
}
