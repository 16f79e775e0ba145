//! Where the evidence lives: `serve --blobs` (absent: `<data_dir>/blobs`).

use std::path::PathBuf;
use std::sync::Arc;

use object_store::ObjectStore;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::prefix::PrefixStore;

use crate::{BlobsError, BlobsResult};

/// A parsed `--blobs` setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlobsLocation {
    /// A local directory (`file:///path`, or the data directory's `blobs`).
    Dir(PathBuf),
    /// An S3-compatible bucket and key prefix (`s3://bucket/prefix`); endpoint,
    /// keys, region and `AWS_ALLOW_HTTP` come from the environment
    /// (`AmazonS3Builder::from_env`: AWS_ENDPOINT or AWS_ENDPOINT_URL,
    /// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_ALLOW_HTTP).
    S3 {
        /// Bucket name.
        bucket: String,
        /// Key prefix inside the bucket (may be empty).
        prefix: String,
    },
}

impl BlobsLocation {
    /// Parses `file:///abs/path` or `s3://bucket[/prefix]`; None means
    /// `default_dir`. Errors are Chinese (shown at start-up).
    pub fn parse(spec: Option<&str>, default_dir: PathBuf) -> BlobsResult<BlobsLocation> {
        let Some(spec) = spec.map(str::trim).filter(|s| !s.is_empty()) else {
            return Ok(BlobsLocation::Dir(default_dir));
        };
        if let Some(path) = spec.strip_prefix("file://") {
            if !path.starts_with('/') {
                return Err(BlobsError::Config(format!(
                    "{spec}：file:// 后应为绝对路径，例如 file:///var/lib/liuhen/blobs"
                )));
            }
            return Ok(BlobsLocation::Dir(PathBuf::from(path)));
        }
        if let Some(rest) = spec.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            let valid_bucket = !bucket.is_empty()
                && bucket
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-.".contains(&b));
            if !valid_bucket {
                return Err(BlobsError::Config(format!(
                    "{spec}：存储桶名称无效（应为小写字母、数字、“-”或“.”）"
                )));
            }
            return Ok(BlobsLocation::S3 {
                bucket: bucket.to_string(),
                prefix: prefix.trim_matches('/').to_string(),
            });
        }
        Err(BlobsError::Config(format!(
            "{spec}：应为 file:///绝对路径 或 s3://存储桶/前缀"
        )))
    }

    /// Opens the object store and a description for logs.
    pub(crate) fn build(&self) -> BlobsResult<(Arc<dyn ObjectStore>, String)> {
        match self {
            BlobsLocation::Dir(dir) => {
                std::fs::create_dir_all(dir)?;
                // Synced files and directory entries, as the blob directory always
                // was; a deleted upload's directory goes with its last piece.
                let fs = LocalFileSystem::new_with_prefix(dir)?
                    .with_fsync(true)
                    .with_automatic_cleanup(true);
                sweep_local_tmp(dir);
                Ok((Arc::new(fs), format!("file://{}", dir.display())))
            }
            BlobsLocation::S3 { bucket, prefix } => {
                // object_store's reqwest signs with ring and speaks TLS through
                // rustls on ring too: install it as the process default (once).
                let _ = rustls::crypto::ring::default_provider().install_default();
                let s3 = AmazonS3Builder::from_env()
                    .with_bucket_name(bucket)
                    .build()
                    .map_err(|e| BlobsError::Config(format!("s3://{bucket}：{e}")))?;
                let describe = format!("s3://{bucket}/{prefix}");
                if prefix.is_empty() {
                    Ok((Arc::new(s3), describe))
                } else {
                    Ok((Arc::new(PrefixStore::new(s3, prefix.as_str())), describe))
                }
            }
        }
    }
}

/// How old a staging left-over must be before it is swept: another instance
/// sharing the directory may be writing a younger one.
const STAGING_KEPT: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// Staging left-overs of a write that was killed half-way are never referenced
/// (the old blob directory emptied its `tmp/` on open too); those older than
/// [`STAGING_KEPT`] are deleted. Only on a local directory (a shared S3 bucket
/// would want a lifecycle rule).
fn sweep_local_tmp(dir: &std::path::Path) {
    let tmp = dir.join("tmp");
    if let Ok(entries) = std::fs::read_dir(&tmp) {
        for e in entries.flatten() {
            let old = e
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > STAGING_KEPT);
            if old {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_three_forms() {
        let d = PathBuf::from("/data/blobs");
        assert_eq!(
            BlobsLocation::parse(None, d.clone()).unwrap(),
            BlobsLocation::Dir(d.clone())
        );
        assert_eq!(
            BlobsLocation::parse(Some("file:///srv/ev"), d.clone()).unwrap(),
            BlobsLocation::Dir("/srv/ev".into())
        );
        assert_eq!(
            BlobsLocation::parse(Some("s3://evidence/gd/qy/"), d.clone()).unwrap(),
            BlobsLocation::S3 {
                bucket: "evidence".into(),
                prefix: "gd/qy".into()
            }
        );
        assert_eq!(
            BlobsLocation::parse(Some("s3://evidence"), d.clone()).unwrap(),
            BlobsLocation::S3 {
                bucket: "evidence".into(),
                prefix: String::new()
            }
        );
        for bad in ["file://relative", "s3://", "s3://Bad_Bucket/x", "ftp://x"] {
            let e = BlobsLocation::parse(Some(bad), d.clone()).unwrap_err();
            assert!(e.to_string().contains("证据存储配置无效"), "{bad}: {e}");
        }
    }
}
