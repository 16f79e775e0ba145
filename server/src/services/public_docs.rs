//! The agency's public documents on disk (R-PRE-4): flow charts and service guides
//! checked by their magic bytes, limited to [`MAX_DOCUMENT_BYTES`], and written to
//! `<data dir>/public-docs/<sha256>` atomically (temporary file, then rename); and
//! the recording list's seed (R-REC-2). Used by the admin's page and the demo.

use std::path::{Path as FsPath, PathBuf};

use sha2::{Digest, Sha256};

use crate::state::AppState;

/// Largest flow chart or service guide accepted (20 MiB).
pub const MAX_DOCUMENT_BYTES: usize = 20 * 1024 * 1024;

/// The steps that must be recorded on audio/video (R-REC-2), the seed of every
/// agency's recording list (音像记录清单, R-PRE-4).
pub const R_REC_2_STEPS: [&str; 10] = [
    "现场检查",
    "随机抽查",
    "调查取证",
    "证据保全",
    "听证",
    "行政强制措施",
    "留置送达",
    "公告送达",
    "查封、扣押（全过程记录）",
    "强制拆除（全过程记录）",
];

/// Directory of the uploaded public documents.
pub fn public_docs_dir(st: &AppState) -> PathBuf {
    st.config.data_dir.join("public-docs")
}

/// Why an uploaded file is refused or could not be stored.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    /// Larger than [`MAX_DOCUMENT_BYTES`].
    #[error("R-PRE-4：文件过大（{size}），公开文件不能超过 20 MB")]
    TooLarge {
        /// Size seen so far, as text.
        size: String,
    },
    /// Empty file.
    #[error("R-PRE-4：请选择要上传的文件（文件为空）")]
    Empty,
    /// Not really PDF, PNG or JPEG.
    #[error(
        "R-PRE-4：文件“{0}”不是有效的 PDF、PNG 或 JPEG 文件（按文件内容判断，与扩展名无关），未保存"
    )]
    WrongType(String),
    /// Writing failed.
    #[error("文件保存失败：{0}")]
    Io(#[from] std::io::Error),
}

/// The content type of a PDF, PNG or JPEG file by its magic bytes, or None.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else {
        None
    }
}

/// Writes `bytes` to `dir/<sha256>` atomically (unless that file exists already)
/// and returns the SHA-256 (hex).
pub fn store_file(dir: &FsPath, bytes: &[u8]) -> Result<String, DocumentError> {
    use std::io::Write;
    let sha = hex::encode(Sha256::digest(bytes));
    std::fs::create_dir_all(dir)?;
    let target = dir.join(&sha);
    if target.exists() {
        return Ok(sha);
    }
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(&target)
        .map_err(|e| DocumentError::Io(e.error))?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(sha)
}
