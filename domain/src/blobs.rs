//! Content-addressed evidence files on the device: stored once under their SHA-256,
//! hashed while streaming (never read whole into memory), written to a temporary
//! file, synced and renamed into place, so a crash or a full disk never leaves a
//! half-written blob under a real name. Originals are never modified.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// Errors of the blob directory.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// The file to ingest could not be read.
    #[error("无法读取文件 {path}：{source}")]
    Read {
        /// Path given.
        path: PathBuf,
        /// OS error.
        source: io::Error,
    },
    /// The blob directory could not be written (full disk included).
    #[error("证据文件保存失败（{0}）；未保存任何不完整文件，请检查存储空间后重试")]
    Write(io::Error),
    /// The file is empty.
    #[error("文件为空（0 字节），不能作为证据")]
    Empty,
    /// A stored blob no longer matches its hash.
    #[error("证据文件 {sha256} 的内容与哈希不符，已被改动或损坏")]
    Mismatch {
        /// Expected hash.
        sha256: String,
    },
    /// The blob is not on this device.
    #[error("本设备上没有证据文件 {sha256}")]
    Missing {
        /// Hash asked for.
        sha256: String,
    },
}

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

/// The device's blob directory.
#[derive(Debug, Clone)]
pub struct BlobStore {
    dir: PathBuf,
}

/// Whether `s` looks like a SHA-256 in lower-case hex.
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

impl BlobStore {
    /// Opens (creating) the blob directory.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self, BlobError> {
        let dir = dir.into();
        let tmp = dir.join("tmp");
        fs::create_dir_all(&tmp).map_err(BlobError::Write)?;
        // Left-overs of a write that was killed half-way are never referenced.
        if let Ok(entries) = fs::read_dir(&tmp) {
            for e in entries.flatten() {
                let _ = fs::remove_file(e.path());
            }
        }
        Ok(BlobStore { dir })
    }

    /// Where a blob with this hash lives.
    pub fn path_of(&self, sha256: &str) -> PathBuf {
        self.dir.join(&sha256[..2.min(sha256.len())]).join(sha256)
    }

    /// Whether the blob is present.
    pub fn contains(&self, sha256: &str) -> bool {
        is_sha256_hex(sha256) && self.path_of(sha256).is_file()
    }

    /// Streams a file into the store, hashing it on the way.
    pub fn put_file(&self, path: &Path) -> Result<StoredBlob, BlobError> {
        let f = File::open(path).map_err(|source| BlobError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        self.put_reader(f).map_err(|e| match e {
            BlobError::Read { source, .. } => BlobError::Read {
                path: path.to_path_buf(),
                source,
            },
            other => other,
        })
    }

    /// Streams any reader into the store, hashing it on the way.
    pub fn put_reader(&self, mut r: impl Read) -> Result<StoredBlob, BlobError> {
        let mut tmp = tempfile::NamedTempFile::new_in(self.tmp_dir()).map_err(BlobError::Write)?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 256 * 1024];
        let mut size = 0u64;
        loop {
            let n = r.read(&mut buf).map_err(|source| BlobError::Read {
                path: PathBuf::new(),
                source,
            })?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            tmp.write_all(&buf[..n]).map_err(BlobError::Write)?;
            size += n as u64;
        }
        if size == 0 {
            return Err(BlobError::Empty);
        }
        let sha256 = hex::encode(hasher.finalize());
        self.commit_temp(tmp, sha256, size)
    }

    /// The temporary area (same file system as the blobs, so the final rename is
    /// atomic; emptied on open).
    pub fn tmp_dir(&self) -> PathBuf {
        self.dir.join("tmp")
    }

    /// Commits a fully written temporary file (in [`BlobStore::tmp_dir`]) under its
    /// hash: synced, renamed into place, directory synced. If the blob is already
    /// present the temporary file is dropped.
    pub fn commit_temp(
        &self,
        tmp: tempfile::NamedTempFile,
        sha256: String,
        size: u64,
    ) -> Result<StoredBlob, BlobError> {
        let dest = self.path_of(&sha256);
        if dest.is_file() {
            return Ok(StoredBlob {
                sha256,
                size,
                already_present: true,
            });
        }
        tmp.as_file().sync_all().map_err(BlobError::Write)?;
        let parent = dest.parent().map(Path::to_path_buf).unwrap_or_default();
        fs::create_dir_all(&parent).map_err(BlobError::Write)?;
        tmp.persist(&dest).map_err(|e| BlobError::Write(e.error))?;
        // The rename is durable only once the directory entry is.
        File::open(&parent)
            .and_then(|d| d.sync_all())
            .map_err(BlobError::Write)?;
        Ok(StoredBlob {
            sha256,
            size,
            already_present: false,
        })
    }

    /// Re-hashes a stored blob and checks it still matches its name.
    pub fn verify(&self, sha256: &str) -> Result<(), BlobError> {
        let path = self.path_of(sha256);
        let mut f = File::open(&path).map_err(|_| BlobError::Missing {
            sha256: sha256.to_string(),
        })?;
        let mut hasher = Sha256::new();
        io::copy(&mut f, &mut hasher).map_err(|source| BlobError::Read { path, source })?;
        if hex::encode(hasher.finalize()) == sha256 {
            Ok(())
        } else {
            Err(BlobError::Mismatch {
                sha256: sha256.to_string(),
            })
        }
    }
}
