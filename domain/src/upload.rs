//! Evidence upload with the tus 1.0 protocol (core protocol plus the `creation` and
//! `checksum` extensions), so any standard tus client can upload too.
//!
//! Blobs go up separately from the inspection documents, resumably: the client
//! creates an upload (`POST`, metadata carries the declared SHA-256 and the
//! inspection), then sends chunks (`PATCH`), each with an `Upload-Checksum` the server
//! checks before it keeps the bytes. After a dropped connection or a killed app the
//! client asks the server where it got to (`HEAD`) and goes on from there. The server
//! hashes the whole file on arrival and marks the blob received only if the hash
//! matches; a blob it already has is "uploaded" at once, without sending bytes.
//!
//! This module holds the protocol constants and the metadata codec, shared by the
//! server and the client; the client itself is `liuhen_core::upload` (feature `http`).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// Path of the tus endpoint (creation); uploads live at `{FILES_PATH}/{id}`.
pub const FILES_PATH: &str = "/api/v1/files";

/// The tus protocol version spoken.
pub const TUS_VERSION: &str = "1.0.0";

/// The tus extensions implemented by the server.
pub const TUS_EXTENSIONS: &str = "creation,checksum";

/// Checksum algorithms accepted in `Upload-Checksum`.
pub const TUS_CHECKSUM_ALGORITHMS: &str = "sha256";

/// `Content-Type` of a `PATCH` body.
pub const OFFSET_OCTET_STREAM: &str = "application/offset+octet-stream";

/// HTTP status of a checksum mismatch (tus checksum extension).
pub const STATUS_CHECKSUM_MISMATCH: u16 = 460;

/// Error code: one chunk did not match its `Upload-Checksum` (discarded; send it again).
pub const CODE_CHUNK_CHECKSUM: &str = "chunk_checksum_mismatch";

/// Error code: the whole file did not match the declared SHA-256 (upload discarded).
pub const CODE_BLOB_HASH: &str = "blob_hash_mismatch";

/// Error code: a `PATCH` stopped early (connection broke, or a newer request on the
/// same upload took over); the bytes that arrived were kept.
pub const CODE_INTERRUPTED: &str = "upload_interrupted";

/// Header carrying the error code of a failed `HEAD` (which has no body).
pub const ERROR_CODE_HEADER: &str = "liuhen-error-code";

/// Metadata keys of an upload (`Upload-Metadata`, values base64).
pub mod meta {
    /// Declared SHA-256 of the whole file, lower-case hex (required).
    pub const SHA256: &str = "sha256";
    /// The inspection whose document references the blob (required).
    pub const INSPECTION_ID: &str = "inspection_id";
    /// Original file name (informational).
    pub const FILENAME: &str = "filename";
    /// Media type, e.g. `image/jpeg` (informational).
    pub const MEDIA_TYPE: &str = "media_type";
}

/// Encodes `Upload-Metadata`: `key base64(value)` pairs separated by commas.
pub fn encode_metadata<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    pairs
        .into_iter()
        .map(|(k, v)| {
            if v.is_empty() {
                k.to_string()
            } else {
                format!("{k} {}", STANDARD.encode(v.as_bytes()))
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Parses `Upload-Metadata` into (key, value) pairs; values must be base64 of UTF-8.
/// Keys must be unique, non-empty and free of spaces and commas.
pub fn parse_metadata(header: &str) -> Result<Vec<(String, String)>, String> {
    let mut out: Vec<(String, String)> = Vec::new();
    for part in header.split(',') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let mut it = part.splitn(2, ' ');
        let key = it.next().unwrap_or_default();
        if key.is_empty() {
            return Err("Upload-Metadata 中有空的键".into());
        }
        let value = match it.next().map(str::trim) {
            None | Some("") => String::new(),
            Some(v) => {
                let bytes = STANDARD
                    .decode(v)
                    .map_err(|_| format!("Upload-Metadata 中 {key} 的值不是有效的 base64"))?;
                String::from_utf8(bytes)
                    .map_err(|_| format!("Upload-Metadata 中 {key} 的值不是 UTF-8 文本"))?
            }
        };
        if out.iter().any(|(k, _)| k == key) {
            return Err(format!("Upload-Metadata 中 {key} 重复"));
        }
        out.push((key.to_string(), value));
    }
    Ok(out)
}

/// `Upload-Checksum` value for a chunk: `sha256 <base64 digest>`.
pub fn chunk_checksum(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    format!("sha256 {}", STANDARD.encode(Sha256::digest(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_round_trips() {
        let h = encode_metadata([
            (meta::SHA256, "ab"),
            (meta::FILENAME, "现场照片 1.jpg"),
            ("empty", ""),
        ]);
        assert_eq!(
            parse_metadata(&h).unwrap(),
            vec![
                ("sha256".to_string(), "ab".to_string()),
                ("filename".to_string(), "现场照片 1.jpg".to_string()),
                ("empty".to_string(), String::new()),
            ]
        );
        assert!(parse_metadata("a !!!").is_err());
        assert!(parse_metadata("a YQ==,a YQ==").is_err());
        assert_eq!(parse_metadata("").unwrap(), vec![]);
    }

    #[test]
    fn chunk_checksum_is_sha256_base64() {
        assert_eq!(
            chunk_checksum(b""),
            "sha256 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
    }
}
