//! The server's evidence store (issue 18 item 3): verified evidence blobs, stored
//! once under their SHA-256, in object storage through the `object_store` crate.
//!
//! - Where: a local directory by default (`<data_dir>/blobs`, the layout the server
//!   always used: `<aa>/<sha256>`, so existing data directories keep working),
//!   `file:///path` for another directory, or `s3://bucket/prefix` for any
//!   S3-compatible store configured from the usual `AWS_*` variables
//!   ([`location::BlobsLocation`]).
//! - Streamed: bytes go in through a multipart writer and come out as a stream of
//!   chunks; no blob is ever held whole in memory.
//! - Verified: [`Staging`] hashes the bytes as they stream to a staging object
//!   (`tmp/<uuid>`); only when the SHA-256 equals the declared one does the object
//!   move to its content address (a rename on disk, a server-side copy and delete
//!   on S3), so a wrong hash never becomes a blob.
//! - Unfinished tus uploads keep their bytes here too, one object per piece under
//!   `uploads/<upload id>/` ([`EvidenceStore::piece_key`]), so any server instance
//!   can take the next `PATCH`.

pub mod location;
mod staging;

use chrono::{DateTime, Utc};
use std::collections::BTreeSet;
use std::ops::Range;
use std::path::Path as FsPath;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::stream::{BoxStream, StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

pub use location::BlobsLocation;
pub use staging::{PieceWriter, Staging};

/// Bytes gathered before one part of a multipart write goes out (S3 wants at least
/// 5 MiB per part but the last).
pub const PART_SIZE: usize = 8 * 1024 * 1024;

/// Errors of the evidence store (Chinese messages: they reach logs and admins).
#[derive(Debug, thiserror::Error)]
pub enum BlobsError {
    /// The `--blobs` setting is not usable.
    #[error("证据存储配置无效：{0}")]
    Config(String),
    /// The object store failed (disk, network, permissions).
    #[error("证据存储操作失败：{0}")]
    Store(#[from] object_store::Error),
    /// The bytes do not hash to the declared SHA-256; nothing was stored.
    #[error("文件内容与声明的哈希 {expected} 不符（实际为 {actual}），未保存")]
    Mismatch {
        /// Declared hash.
        expected: String,
        /// Hash of the bytes received.
        actual: String,
    },
    /// No bytes at all.
    #[error("文件为空（0 字节），不能作为证据")]
    Empty,
    /// The blob (or upload piece) is not in the store.
    #[error("证据存储中没有 {0}")]
    Missing(String),
    /// A local file could not be written or read.
    #[error("本地文件读写失败：{0}")]
    Io(#[from] std::io::Error),
}

impl BlobsError {
    fn from_store(e: object_store::Error, what: &str) -> BlobsError {
        match e {
            object_store::Error::NotFound { .. } => BlobsError::Missing(what.to_string()),
            other => BlobsError::Store(other),
        }
    }
}

/// Result of evidence store calls.
pub type BlobsResult<T> = Result<T, BlobsError>;

/// A stream of a blob's bytes, chunk by chunk.
pub type ByteStream = BoxStream<'static, BlobsResult<Bytes>>;

/// A blob that was stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBlob {
    /// Lower-case hex SHA-256.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
    /// Whether the same bytes were already stored.
    pub already_present: bool,
}

/// An opened part of a blob: its bytes as a stream, the range they cover and the
/// blob's whole size.
pub struct BlobRead {
    /// The bytes.
    pub stream: ByteStream,
    /// Which bytes of the blob these are.
    pub range: Range<u64>,
    /// Size of the whole blob.
    pub size: u64,
}

/// Whether `s` looks like a SHA-256 in lower-case hex.
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The evidence store: cheap to clone, shared by every handler.
#[derive(Clone)]
pub struct EvidenceStore {
    inner: Arc<dyn ObjectStore>,
    describe: Arc<str>,
}

impl std::fmt::Debug for EvidenceStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EvidenceStore")
            .field("location", &self.describe)
            .finish_non_exhaustive()
    }
}

impl EvidenceStore {
    /// Opens the store `location` names (see [`BlobsLocation`]).
    pub fn open(location: &BlobsLocation) -> BlobsResult<EvidenceStore> {
        let (inner, describe) = location.build()?;
        Ok(EvidenceStore {
            inner,
            describe: describe.into(),
        })
    }

    /// The local directory store at `dir` (created if missing).
    pub fn local(dir: &FsPath) -> BlobsResult<EvidenceStore> {
        EvidenceStore::open(&BlobsLocation::Dir(dir.to_path_buf()))
    }

    /// Where the blobs are, for logs (`file:///…` or `s3://bucket/prefix`).
    pub fn describe(&self) -> &str {
        &self.describe
    }

    /// The object of a blob: `<first two hex digits>/<sha256>`.
    pub fn blob_path(sha256: &str) -> Path {
        Path::from_iter([&sha256[..2.min(sha256.len())], sha256])
    }

    /// Whether the blob is stored (a well-formed hash only).
    pub async fn contains(&self, sha256: &str) -> BlobsResult<bool> {
        Ok(self.size(sha256).await?.is_some())
    }

    /// The stored blob's size, None if it is not stored.
    pub async fn size(&self, sha256: &str) -> BlobsResult<Option<u64>> {
        if !is_sha256_hex(sha256) {
            return Ok(None);
        }
        match self.inner.head(&Self::blob_path(sha256)).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Streams the blob, or the bytes `range` of it (clamped to its size).
    pub async fn get(&self, sha256: &str, range: Option<Range<u64>>) -> BlobsResult<BlobRead> {
        if !is_sha256_hex(sha256) {
            return Err(BlobsError::Missing(sha256.to_string()));
        }
        let options = GetOptions {
            range: range.map(GetRange::Bounded),
            ..GetOptions::default()
        };
        let got = self
            .inner
            .get_opts(&Self::blob_path(sha256), options)
            .await
            .map_err(|e| BlobsError::from_store(e, sha256))?;
        let size = got.meta.size;
        let range = got.range.clone();
        let stream = got.into_stream().map_err(BlobsError::Store).boxed();
        Ok(BlobRead {
            stream,
            range,
            size,
        })
    }

    /// Re-hashes a stored blob (streamed) and checks it still matches its name.
    pub async fn verify(&self, sha256: &str) -> BlobsResult<()> {
        let mut read = self.get(sha256, None).await?;
        let mut hasher = Sha256::new();
        while let Some(chunk) = read.stream.next().await {
            hasher.update(&chunk?);
        }
        let actual = hex::encode(hasher.finalize());
        if actual == sha256 {
            Ok(())
        } else {
            Err(BlobsError::Mismatch {
                expected: sha256.to_string(),
                actual,
            })
        }
    }

    /// Streams the blob into a local file (e.g. to decode a photo for its
    /// thumbnail), synced; returns its size.
    pub async fn copy_to_file(&self, sha256: &str, dest: &FsPath) -> BlobsResult<u64> {
        let mut read = self.get(sha256, None).await?;
        let mut file = tokio::fs::File::create(dest).await?;
        let mut n = 0u64;
        while let Some(chunk) = read.stream.next().await {
            let chunk = chunk?;
            file.write_all(&chunk).await?;
            n += chunk.len() as u64;
        }
        file.flush().await?;
        Ok(n)
    }

    /// A writer that hashes what it is given into a new staging object; its
    /// [`Staging::commit`] stores the blob only if the hash matches.
    pub fn stage(&self) -> Staging {
        Staging::new(self.clone())
    }

    /// Stores a stream of bytes as a blob; with `expected`, only if they hash to it.
    pub async fn put_stream<S, E>(
        &self,
        mut stream: S,
        expected: Option<&str>,
    ) -> BlobsResult<StoredBlob>
    where
        S: futures_util::Stream<Item = Result<Bytes, E>> + Unpin,
        E: Into<BlobsError>,
    {
        let mut staging = self.stage();
        while let Some(chunk) = stream.next().await {
            match chunk {
                Ok(bytes) => {
                    if let Err(e) = staging.write(bytes).await {
                        staging.abort().await;
                        return Err(e);
                    }
                }
                Err(e) => {
                    staging.abort().await;
                    return Err(e.into());
                }
            }
        }
        staging.commit(expected).await
    }

    /// Stores bytes already in memory (small files: demo data, tests).
    pub async fn put_bytes(&self, bytes: impl Into<Bytes>) -> BlobsResult<StoredBlob> {
        let one = futures_util::stream::iter([Ok::<Bytes, BlobsError>(bytes.into())]);
        self.put_stream(one, None).await
    }

    /// The object of one piece of an unfinished upload: `uploads/<id>/<start>-<writer>`
    /// (the start zero-padded so that names sort by offset; the writer makes two
    /// requests at the same offset write different objects).
    pub fn piece_key(upload_id: &str, start: u64, writer: &str) -> String {
        format!("uploads/{upload_id}/{start:020}-{writer}")
    }

    /// A writer of one upload piece (multipart, in [`PART_SIZE`] parts).
    pub fn piece_writer(&self, key: &str) -> PieceWriter {
        PieceWriter::new(self.inner.clone(), Path::from(key))
    }

    /// Streams one object by key (an upload piece).
    pub async fn read_key(&self, key: &str) -> BlobsResult<ByteStream> {
        let got = self
            .inner
            .get(&Path::from(key))
            .await
            .map_err(|e| BlobsError::from_store(e, key))?;
        Ok(got.into_stream().map_err(BlobsError::Store).boxed())
    }

    /// Deletes one object by key; a missing one is fine.
    pub async fn delete_key(&self, key: &str) -> BlobsResult<()> {
        match self.inner.delete(&Path::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// The keys of every object of an upload (`uploads/<id>/`), from one listing:
    /// a resuming device's pieces are checked against it instead of one request each.
    pub async fn upload_object_keys(&self, upload_id: &str) -> BlobsResult<BTreeSet<String>> {
        Ok(self
            .upload_objects(upload_id)
            .await?
            .into_iter()
            .map(|p| p.to_string())
            .collect())
    }

    async fn upload_objects(&self, upload_id: &str) -> BlobsResult<Vec<Path>> {
        let prefix = Path::from_iter(["uploads", upload_id]);
        Ok(self
            .inner
            .list(Some(&prefix))
            .map_ok(|m| m.location)
            .try_collect()
            .await?)
    }

    /// Deletes every object of an upload (`uploads/<id>/`); returns how many.
    pub async fn delete_upload_objects(&self, upload_id: &str) -> BlobsResult<usize> {
        let keys = self.upload_objects(upload_id).await?;
        let n = keys.len();
        for key in keys {
            match self.inner.delete(&key).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(n)
    }

    /// Deletes staging objects (`tmp/…`) last written before `older_than`; returns
    /// how many. A staging object lives only while one request stores a blob, so an
    /// old one was left by a crash between writing it and moving it to its content
    /// address (housekeeping; an unfinished S3 multipart upload is not an object and
    /// needs the bucket's lifecycle rule).
    pub async fn sweep_staging(&self, older_than: DateTime<Utc>) -> BlobsResult<usize> {
        let old: Vec<Path> = self
            .inner
            .list(Some(&Path::from("tmp")))
            .try_filter(|m| std::future::ready(m.last_modified < older_than))
            .map_ok(|m| m.location)
            .try_collect()
            .await?;
        for key in &old {
            match self.inner.delete(key).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(old.len())
    }

    /// Ids of uploads that have objects in the store (housekeeping finds pieces
    /// whose upload record is gone).
    pub async fn upload_ids_with_objects(&self) -> BlobsResult<Vec<String>> {
        let listed = self
            .inner
            .list_with_delimiter(Some(&Path::from("uploads")))
            .await?;
        Ok(listed
            .common_prefixes
            .iter()
            .filter_map(|p| p.filename().map(str::to_string))
            .collect())
    }

    fn store(&self) -> &Arc<dyn ObjectStore> {
        &self.inner
    }
}
