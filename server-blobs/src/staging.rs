//! Writers: [`Staging`] (hash while streaming to a staging object, then move it to
//! its content address only on a match) and [`PieceWriter`] (one piece of an
//! unfinished upload).

use std::sync::Arc;

use bytes::Bytes;
use object_store::buffered::BufWriter;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use crate::{BlobsError, BlobsResult, EvidenceStore, PART_SIZE, StoredBlob};

/// Writes one object in [`PART_SIZE`] parts (a single put when it stays smaller).
pub struct PieceWriter {
    writer: BufWriter,
    path: Path,
    size: u64,
}

impl PieceWriter {
    pub(crate) fn new(store: Arc<dyn ObjectStore>, path: Path) -> PieceWriter {
        PieceWriter {
            writer: BufWriter::with_capacity(store, path.clone(), PART_SIZE)
                .with_max_concurrency(2),
            path,
            size: 0,
        }
    }

    /// Appends bytes (sent once a part is full).
    pub async fn write(&mut self, bytes: Bytes) -> BlobsResult<()> {
        self.size += bytes.len() as u64;
        self.writer.put(bytes).await?;
        Ok(())
    }

    /// Bytes written so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The object's key.
    pub fn key(&self) -> String {
        self.path.to_string()
    }

    /// Completes the object (durable when this returns).
    pub async fn finish(mut self) -> BlobsResult<(String, u64)> {
        self.writer.shutdown().await?;
        Ok((self.path.to_string(), self.size))
    }

    /// Drops what was written (best effort: an unfinished multipart upload is
    /// aborted; left-overs are swept with their upload).
    pub async fn abort(mut self) {
        if let Err(e) = self.writer.abort().await {
            tracing::warn!(key = %self.path, error = %e, "cannot abort a piece write");
        }
    }
}

/// Hashes bytes while they stream to a staging object (`tmp/<uuid>`); see
/// [`Staging::commit`].
pub struct Staging {
    store: EvidenceStore,
    writer: PieceWriter,
    hasher: Sha256,
}

impl Staging {
    pub(crate) fn new(store: EvidenceStore) -> Staging {
        let path = Path::from_iter(["tmp", &uuid::Uuid::now_v7().simple().to_string()]);
        Staging {
            writer: PieceWriter::new(store.store().clone(), path),
            store,
            hasher: Sha256::new(),
        }
    }

    /// Appends bytes (hashed on the way).
    pub async fn write(&mut self, bytes: Bytes) -> BlobsResult<()> {
        self.hasher.update(&bytes);
        self.writer.write(bytes).await
    }

    /// Bytes written so far.
    pub fn size(&self) -> u64 {
        self.writer.size()
    }

    /// Finishes the staging object and, if its SHA-256 equals `expected` (any hash
    /// when None), moves it to its content address; otherwise deletes it and
    /// answers [`BlobsError::Mismatch`]: a wrong hash never becomes a blob. If the
    /// blob is already stored the staging object is dropped.
    pub async fn commit(self, expected: Option<&str>) -> BlobsResult<StoredBlob> {
        let Staging {
            store,
            writer,
            hasher,
        } = self;
        let size = writer.size();
        let sha256 = hex::encode(hasher.finalize());
        let bad = if size == 0 {
            Some(BlobsError::Empty)
        } else {
            expected
                .filter(|e| *e != sha256)
                .map(|e| BlobsError::Mismatch {
                    expected: e.to_string(),
                    actual: sha256.clone(),
                })
        };
        if let Some(e) = bad {
            let key = writer.key();
            writer.abort().await;
            store.delete_key(&key).await?;
            return Err(e);
        }
        let (key, _) = writer.finish().await?;
        let staged = Path::from(key.as_str());
        let dest = EvidenceStore::blob_path(&sha256);
        let already_present = store.contains(&sha256).await?;
        if already_present {
            store.delete_key(&key).await?;
        } else {
            // Overwriting is harmless: the same name always holds the same bytes.
            // On disk a rename; on S3 a server-side copy, then the delete.
            store.store().rename(&staged, &dest).await?;
        }
        Ok(StoredBlob {
            sha256,
            size,
            already_present,
        })
    }

    /// Drops what was written.
    pub async fn abort(self) {
        let key = self.writer.key();
        self.writer.abort().await;
        if let Err(e) = self.store.delete_key(&key).await {
            tracing::warn!(key, error = %e, "cannot delete a staging object");
        }
    }
}

impl From<std::convert::Infallible> for BlobsError {
    fn from(e: std::convert::Infallible) -> BlobsError {
        match e {}
    }
}
