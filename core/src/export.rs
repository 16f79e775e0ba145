//! Case file export (案卷归档, R-REC-6) and offline verification.
//!
//! [`export_case`] writes one inspection as a self-contained case file, either a
//! folder or a zip holding the same tree:
//!
//! ```text
//! manifest.json          format version, inspection id, who/when/why exported, the
//!                        device public key, and path + SHA-256 + size of every other file
//! record.html            the 现场检查笔录, rendered from the data below (print-friendly)
//! inspection.json        the inspection as read from the document
//! document.automerge     the full automerge save of the inspection document
//! log.jsonl              the inspection's signed log entries, one JSON object a line
//! evidence/<sha256>.<ext> every evidence original, copied byte for byte
//! ```
//!
//! Everything is written to a temporary folder or zip next to the destination and
//! renamed into place at the end, so a failed export never leaves a half case file.
//!
//! [`verify_case`] checks a case file offline and lists every problem precisely:
//! files changed, missing or added after export; evidence the record references but
//! the case file lacks; log entries whose hash or device signature no longer holds
//! (R-REC-5); a document that does not match `inspection.json`; log entries that
//! point at document versions the document does not contain; and a `record.html`
//! whose text no longer matches what the data renders to.
//!
//! Trust: `verify_case` checks the log signatures with the public key written in the
//! manifest. Someone who replaces that key and re-signs everything would pass those
//! checks, so a reviewer compares the key with the one the device enrolled with
//! ([`verify_case_with_key`] does that).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::fs::{self, File};
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Datelike, Timelike, Utc};
use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::audit::{ChainError, LogEntry};
use crate::blobs::{BlobStore, is_sha256_hex};
use crate::doc::{DocError, InspectionDoc};
use crate::inspection::{
    Acknowledgement, EvidenceKind, Inspection, InspectionKind, InspectionStep,
};
use crate::time::{local_text, local_text_seconds};

/// `format` written in every manifest.
pub const CASE_FORMAT: &str = "liuhen-case";
/// Version of the case file layout this build writes and reads.
pub const CASE_FORMAT_VERSION: u32 = 1;

/// Name of the manifest inside a case file.
pub const MANIFEST_FILE: &str = "manifest.json";
/// Name of the rendered record inside a case file.
pub const RECORD_FILE: &str = "record.html";
/// Name of the inspection JSON inside a case file.
pub const INSPECTION_FILE: &str = "inspection.json";
/// Name of the automerge document inside a case file.
pub const DOCUMENT_FILE: &str = "document.automerge";
/// Name of the log inside a case file.
pub const LOG_FILE: &str = "log.jsonl";
/// Folder of the evidence originals inside a case file.
pub const EVIDENCE_DIR: &str = "evidence";

/// The 笔录 template (auto-escaped: its name ends in `.html`).
const RECORD_TEMPLATE: &str = include_str!("../templates/record.html");
/// Bump when the code that builds the template context changes what it renders:
/// `verify_case` only regenerates `record.html` for case files made by the same
/// renderer (this version plus the template's hash).
const RENDERER_VERSION: &str = "liuhen-record/2";
/// A small template rendered to fingerprint the template engine's output.
const RENDER_CANARY: &str = "{{ s }}|{% for x in xs %}{{ loop.index }}{{ x }}{% if not loop.last %},{% endif %}{% endfor %}|{{ p|evidence_path }}|{{ 'x/y'|evidence_path }}\n";
/// Files read whole into memory when verifying are capped at this size; a longer
/// one is read truncated and so fails its hash check.
const MAX_DATA_FILE: u64 = 256 * 1024 * 1024;
/// Copy buffer for evidence originals.
const COPY_BUF: usize = 256 * 1024;

/// One inspection with everything needed to file it (R-REC-6).
#[derive(Debug, Clone, Copy)]
pub struct CaseFile<'a> {
    /// The inspection as read from `document`.
    pub inspection: &'a Inspection,
    /// Full automerge save of the inspection document.
    pub document: &'a [u8],
    /// This inspection's entries of the device log, in `seq` order. They are a subset
    /// of the device chain: each is checked on its own, links only between
    /// consecutive numbers.
    pub log: &'a [LogEntry],
    /// ed25519 verifying key of the recording device.
    pub device_public_key: [u8; 32],
    /// When the case file is made.
    pub exported_at: DateTime<Utc>,
    /// Who makes it (officer or supervisor id).
    pub exported_by: &'a str,
    /// Why (recorded in the manifest and the 笔录, R-REC-7).
    pub reason: &'a str,
}

/// Container of a case file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseFormat {
    /// A folder.
    Folder,
    /// A zip file holding the same tree.
    Zip,
}

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExportSummary {
    /// The case file (folder or zip).
    pub path: PathBuf,
    /// Folder or zip.
    pub format: CaseFormat,
    /// Files listed in the manifest (every file but the manifest itself).
    pub files: usize,
    /// Evidence originals among them.
    pub evidence_files: usize,
    /// Log entries in `log.jsonl`.
    pub log_entries: usize,
    /// Bytes of all listed files (uncompressed).
    pub total_bytes: u64,
    /// SHA-256 of `manifest.json`: record it in the device log entry of the export so
    /// the case file stays tied to the device's signed chain.
    pub manifest_sha256: String,
}

/// One file listed in the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestEntry {
    /// Path inside the case file, `/`-separated.
    pub path: String,
    /// Lower-case hex SHA-256 of the file.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
}

/// `manifest.json`: what the case file is and the hash of every other file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`CASE_FORMAT`].
    pub format: String,
    /// Layout version ([`CASE_FORMAT_VERSION`]).
    pub format_version: u32,
    /// Inspection id.
    pub inspection_id: String,
    /// When the case file was made.
    pub exported_at: DateTime<Utc>,
    /// Who made it.
    pub exported_by: String,
    /// Why.
    pub reason: String,
    /// Hex ed25519 verifying key of the recording device.
    pub device_public_key: String,
    /// Renderer of `record.html` (version and template hash).
    pub record_renderer: String,
    /// Every other file, sorted by path.
    pub files: Vec<ManifestEntry>,
}

/// The result of [`verify_case`]: an empty `problems` list means the case file is
/// intact.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VerifyReport {
    /// Files listed in the manifest that were found and re-hashed.
    pub files_checked: usize,
    /// Everything that does not match, in the order found.
    pub problems: Vec<CaseProblem>,
    /// Inspection id from the manifest, if it was readable.
    pub inspection_id: Option<String>,
    /// Device public key (hex) from the manifest, if it was readable: compare it with
    /// the key the device enrolled with.
    pub device_public_key: Option<String>,
    /// Whether `record.html` was regenerated from the data and compared (only done
    /// when the data is intact and the case was made by this build's renderer).
    pub record_regenerated: bool,
}

impl VerifyReport {
    /// No problem found.
    pub fn is_intact(&self) -> bool {
        self.problems.is_empty()
    }
}

/// One thing in a case file that does not match (R-REC-5, R-REC-6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CaseProblem {
    /// `manifest.json` is missing, unreadable or of an unknown format.
    #[error("R-REC-6: 案卷清单 manifest.json 无法使用：{reason}")]
    ManifestUnreadable {
        /// What is wrong with it.
        reason: String,
    },
    /// The manifest lists a path that is not a plain relative path, or twice.
    #[error("R-REC-6: 案卷清单中的路径 {file} 无效（必须是案卷内唯一的相对路径）")]
    BadManifestPath {
        /// The path as listed.
        file: String,
    },
    /// A file's content does not match its recorded hash.
    #[error("R-REC-5: 案卷文件 {file} 的内容已被改动：应为 SHA-256 {expected}，实际为 {actual}")]
    HashMismatch {
        /// Path inside the case file.
        file: String,
        /// Hash from the manifest (or, for evidence, from the file name).
        expected: String,
        /// Hash of the content found.
        actual: String,
    },
    /// A file's size does not match the manifest although its hash does.
    #[error(
        "R-REC-6: 案卷文件 {file} 的大小与清单不符：清单为 {expected} 字节，实际为 {actual} 字节"
    )]
    SizeMismatch {
        /// Path inside the case file.
        file: String,
        /// Size from the manifest.
        expected: u64,
        /// Size found.
        actual: u64,
    },
    /// A file the manifest lists (or the layout requires) is not there.
    #[error("R-REC-6: 案卷缺少文件 {file}（已被删除或移走）")]
    MissingFile {
        /// Path inside the case file.
        file: String,
    },
    /// A file is there that the manifest does not list (added after export).
    #[error("R-REC-6: 案卷中的文件 {file} 不在清单中，是导出后加入的")]
    UnlistedFile {
        /// Path inside the case file.
        file: String,
    },
    /// The manifest lists a file that has no place in a case file: not one of the
    /// data files, nor evidence the inspection references.
    #[error("R-REC-6: 清单列出的 {file} 不属于本案卷（既非案卷数据文件，也非检查记录引用的证据）")]
    UnexpectedFile {
        /// Path inside the case file.
        file: String,
    },
    /// A path is a link, a device or some other non-regular file.
    #[error("R-REC-6: 案卷中的 {file} 不是普通文件（如符号链接），案卷必须自包含")]
    NotRegularFile {
        /// Path inside the case file.
        file: String,
    },
    /// A file could not be read to the end (e.g. a zip entry with a bad checksum).
    #[error("R-REC-6: 案卷文件 {file} 无法读取：{reason}")]
    UnreadableFile {
        /// Path inside the case file.
        file: String,
        /// The read error.
        reason: String,
    },
    /// Evidence the inspection references is not listed in the manifest.
    #[error("R-REC-5: 检查记录引用的证据 {sha256} 不在案卷清单中，案卷缺少该证据原件")]
    EvidenceNotInManifest {
        /// The evidence hash.
        sha256: String,
    },
    /// A line of `log.jsonl` is not a log entry.
    #[error("R-REC-5: log.jsonl 第 {line} 行不是有效的日志条目：{reason}")]
    LogUnreadable {
        /// Line number (1-based).
        line: usize,
        /// Parse error.
        reason: String,
    },
    /// A log entry's content does not match its hash.
    #[error("R-REC-5: log.jsonl 中日志第 {seq} 条的内容与其哈希不符，已被改动")]
    LogEntryAltered {
        /// Entry number.
        seq: u64,
    },
    /// A log entry's signature does not verify with the device key.
    #[error(
        "R-REC-5: log.jsonl 中日志第 {seq} 条的设备签名无效（内容被改动后重算了哈希，或并非由记录设备签名）"
    )]
    LogSignatureInvalid {
        /// Entry number.
        seq: u64,
    },
    /// A log entry's number is not greater than the one before it.
    #[error("R-REC-5: log.jsonl 中日志第 {seq} 条的序号不大于前一条，顺序被打乱或重复")]
    LogOrder {
        /// Entry number.
        seq: u64,
    },
    /// A log entry does not point at the hash of the entry numbered just before it.
    #[error("R-REC-5: log.jsonl 中日志第 {seq} 条与第 {} 条之间的哈希链断开", .seq - 1)]
    LogLinkBroken {
        /// Entry number.
        seq: u64,
    },
    /// A log entry belongs to another inspection.
    #[error("R-REC-6: log.jsonl 中日志第 {seq} 条属于其他检查记录，不应出现在本案卷")]
    LogForeignEntry {
        /// Entry number.
        seq: u64,
    },
    /// A log entry records document heads the document does not contain.
    #[error(
        "R-REC-6: log.jsonl 中日志第 {seq} 条记录的文档版本在 document.automerge 中不存在，文档被替换或回退"
    )]
    LogHeadsNotInDocument {
        /// Entry number.
        seq: u64,
    },
    /// The document, `inspection.json` and the manifest disagree.
    #[error("R-REC-6: 检查记录文档不一致：{reason}")]
    DocumentMismatch {
        /// What differs.
        reason: String,
    },
    /// `record.html` is not what the intact data renders to.
    #[error(
        "R-REC-6: record.html 与根据 document.automerge 和 log.jsonl 重新生成的笔录不一致，笔录内容被改动"
    )]
    RecordMismatch,
    /// The manifest's device key is not the expected one.
    #[error("R-REC-5: 案卷的设备公钥 {found} 不是记录设备的公钥 {expected}")]
    DeviceKeyMismatch {
        /// Key the caller trusts (hex).
        expected: String,
        /// Key in the manifest (hex).
        found: String,
    },
}

impl CaseProblem {
    /// The file the problem is about, when it is about one file.
    pub fn file(&self) -> Option<&str> {
        match self {
            CaseProblem::BadManifestPath { file }
            | CaseProblem::HashMismatch { file, .. }
            | CaseProblem::SizeMismatch { file, .. }
            | CaseProblem::MissingFile { file }
            | CaseProblem::UnlistedFile { file }
            | CaseProblem::UnexpectedFile { file }
            | CaseProblem::NotRegularFile { file }
            | CaseProblem::UnreadableFile { file, .. } => Some(file),
            CaseProblem::ManifestUnreadable { .. } => Some(MANIFEST_FILE),
            CaseProblem::LogUnreadable { .. }
            | CaseProblem::LogEntryAltered { .. }
            | CaseProblem::LogSignatureInvalid { .. }
            | CaseProblem::LogOrder { .. }
            | CaseProblem::LogLinkBroken { .. }
            | CaseProblem::LogForeignEntry { .. }
            | CaseProblem::LogHeadsNotInDocument { .. } => Some(LOG_FILE),
            CaseProblem::RecordMismatch => Some(RECORD_FILE),
            CaseProblem::EvidenceNotInManifest { .. }
            | CaseProblem::DocumentMismatch { .. }
            | CaseProblem::DeviceKeyMismatch { .. } => None,
        }
    }

    /// The log entry the problem is about, when it is about one.
    pub fn seq(&self) -> Option<u64> {
        match self {
            CaseProblem::LogEntryAltered { seq }
            | CaseProblem::LogSignatureInvalid { seq }
            | CaseProblem::LogOrder { seq }
            | CaseProblem::LogLinkBroken { seq }
            | CaseProblem::LogForeignEntry { seq }
            | CaseProblem::LogHeadsNotInDocument { seq } => Some(*seq),
            _ => None,
        }
    }
}

/// Why a case file could not be exported or read at all.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The destination exists; case files are never overwritten.
    #[error("R-REC-6: 导出位置 {path} 已存在，不会覆盖已有案卷，请换一个位置")]
    OutputExists {
        /// The destination.
        path: PathBuf,
    },
    /// An evidence original the record references is not on this device.
    #[error(
        "R-REC-5: 本设备上缺少证据原件 {sha256}，无法导出完整案卷；未生成任何案卷文件，请先从其他设备或平台同步该证据"
    )]
    EvidenceMissing {
        /// The evidence hash.
        sha256: String,
    },
    /// An evidence original on this device no longer matches its hash.
    #[error(
        "R-REC-5: 本设备上的证据原件 {sha256} 与其哈希不符（已损坏或被改动），拒绝导出；未生成任何案卷文件"
    )]
    EvidenceCorrupt {
        /// The evidence hash.
        sha256: String,
    },
    /// The parts given to export do not belong together.
    #[error("R-REC-6: 案卷数据不一致：{0}")]
    Inconsistent(String),
    /// A required value is empty.
    #[error("R-REC-7: 导出案卷必须填写{0}")]
    Missing(&'static str),
    /// The document could not be read.
    #[error(transparent)]
    Document(Box<DocError>),
    /// Reading or writing a file failed.
    #[error("案卷文件读写失败（{path}）：{source}")]
    Io {
        /// File concerned.
        path: PathBuf,
        /// OS error.
        source: io::Error,
    },
    /// The zip could not be written or read.
    #[error("案卷压缩包读写失败：{0}")]
    Zip(Box<zip::result::ZipError>),
    /// The 笔录 could not be rendered (a bug in the template).
    #[error("现场检查笔录生成失败：{0}")]
    Template(#[from] minijinja::Error),
    /// JSON encoding failed.
    #[error("案卷数据编码失败：{0}")]
    Json(#[from] serde_json::Error),
    /// The path to verify is neither a folder nor a zip.
    #[error("R-REC-6: {path} 不是案卷（既不是文件夹也不是 zip 文件）")]
    NotACaseFile {
        /// The path.
        path: PathBuf,
    },
}

impl ExportError {
    /// Whether the request was refused (wrong output path, missing evidence, not a
    /// case file) rather than the device failing to write.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            ExportError::OutputExists { .. }
                | ExportError::EvidenceMissing { .. }
                | ExportError::EvidenceCorrupt { .. }
                | ExportError::Missing(_)
                | ExportError::NotACaseFile { .. }
        )
    }
}

impl From<DocError> for ExportError {
    fn from(e: DocError) -> Self {
        ExportError::Document(Box::new(e))
    }
}

impl From<zip::result::ZipError> for ExportError {
    fn from(e: zip::result::ZipError) -> Self {
        ExportError::Zip(Box::new(e))
    }
}

fn io_at(path: &Path) -> impl FnOnce(io::Error) -> ExportError + '_ {
    move |source| ExportError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Checks one log entry on its own: its content matches its hash and the hash is
/// signed by `key` (R-REC-5). Links to other entries are not checked.
pub fn verify_entry(e: &LogEntry, key: &VerifyingKey) -> Result<(), ChainError> {
    if e.compute_hash() != e.hash {
        return Err(ChainError::Altered { seq: e.seq });
    }
    let sig = hex::decode(&e.signature)
        .ok()
        .and_then(|b| Signature::from_slice(&b).ok());
    match sig {
        Some(sig) if key.verify(e.hash.as_bytes(), &sig).is_ok() => Ok(()),
        _ => Err(ChainError::BadSignature { seq: e.seq }),
    }
}

// ---- evidence files ---------------------------------------------------------

/// File extension for an evidence original, from its media type.
fn extension_for(media_type: &str) -> &'static str {
    let base = media_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match base.as_str() {
        "image/jpeg" | "image/jpg" | "image/pjpeg" => "jpg",
        "image/png" => "png",
        "image/webp" => "webp",
        "image/heic" => "heic",
        "image/heif" => "heif",
        "image/gif" => "gif",
        "image/bmp" => "bmp",
        "image/tiff" => "tif",
        "image/svg+xml" => "svg",
        "audio/wav" | "audio/x-wav" | "audio/wave" | "audio/vnd.wave" => "wav",
        "audio/mpeg" | "audio/mp3" => "mp3",
        "audio/mp4" | "audio/m4a" | "audio/x-m4a" => "m4a",
        "audio/aac" => "aac",
        "audio/amr" => "amr",
        "audio/ogg" => "ogg",
        "audio/flac" => "flac",
        "video/mp4" => "mp4",
        "video/quicktime" => "mov",
        "video/3gpp" => "3gp",
        "video/webm" => "webm",
        "video/x-msvideo" => "avi",
        "application/pdf" => "pdf",
        "text/plain" => "txt",
        "application/msword" => "doc",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => "docx",
        "application/vnd.ms-excel" => "xls",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => "xlsx",
        "application/ofd" => "ofd",
        _ => "bin",
    }
}

/// Every evidence hash the inspection references, each once: the evidence list in
/// order, then any hash referenced elsewhere but missing from the list.
fn referenced_hashes(ins: &Inspection) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let mut out = vec![];
    let mut add = |h: &str| {
        if seen.insert(h.to_string()) {
            out.push(h.to_string());
        }
    };
    for e in &ins.evidence {
        add(&e.sha256);
    }
    if let Some(n) = &ins.identity_notice {
        add(&n.recording_sha256);
    }
    for f in &ins.findings {
        f.evidence.iter().for_each(|h| add(h));
    }
    if let Some(r) = &ins.rights_notice
        && let Acknowledgement::Signed {
            signature_sha256, ..
        } = &r.acknowledgement
    {
        add(signature_sha256);
    }
    for a in &ins.amendments {
        a.evidence.iter().for_each(|h| add(h));
    }
    out
}

/// Path of an evidence original inside the case file.
fn evidence_path(ins: &Inspection, sha256: &str) -> String {
    let ext = ins
        .evidence_by_hash(sha256)
        .map(|e| extension_for(&e.media_type))
        .unwrap_or("bin");
    format!("{EVIDENCE_DIR}/{sha256}.{ext}")
}

/// The hash an evidence path is named after, if the path is an evidence file.
fn evidence_name_hash(path: &str) -> Option<&str> {
    let name = path.strip_prefix(EVIDENCE_DIR)?.strip_prefix('/')?;
    let stem = name.split('.').next()?;
    (is_sha256_hex(stem) && !name[stem.len()..].contains('/')).then_some(stem)
}

/// Whether `p` is exactly `evidence/<sha256>.<ext>` with a lower-case alphanumeric
/// extension (safe to put into HTML unescaped).
fn is_evidence_path(p: &str) -> bool {
    evidence_name_hash(p).is_some_and(|h| {
        let ext = &p[EVIDENCE_DIR.len() + 1 + h.len()..];
        ext.strip_prefix('.').is_some_and(|e| {
            !e.is_empty()
                && e.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
    })
}

// ---- the 笔录 ------------------------------------------------------------------

/// Identifies the renderer: version plus template hash.
/// What the engine makes of [`RENDER_CANARY`].
fn canary_output() -> Result<String, minijinja::Error> {
    record_env()?
        .get_template("canary.html")?
        .render(minijinja::context! {
            s => "<a href='x'>&\"/ 中文</a>",
            xs => vec!["1", "2"],
            p => format!("{EVIDENCE_DIR}/{}.jpg", "0".repeat(64)),
        })
}

fn renderer_id() -> String {
    static ID: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    ID.get_or_init(|| {
        let mut h = Sha256::new();
        h.update(RECORD_TEMPLATE.as_bytes());
        // How the engine renders (escaping, loops, filters) is part of the renderer:
        // a newer template engine that writes the same data differently makes a new
        // renderer id, so old case files are not regenerated into false alarms.
        let canary = canary_output().unwrap_or_default();
        h.update(canary.as_bytes());
        format!("{RENDERER_VERSION}+{}", &hex::encode(h.finalize())[..16])
    })
    .clone()
}

#[derive(Serialize)]
struct EvLink {
    path: String,
    label: String,
    sha256: String,
}

#[derive(Serialize)]
struct TargetCtx<'a> {
    name: &'a str,
    credit_code: Option<&'a str>,
    address: &'a str,
    area: &'a str,
    natural_person: bool,
}

#[derive(Serialize)]
struct TeamRow<'a> {
    name: &'a str,
    certificate_no: &'a str,
    valid_until: String,
    checked_in_at: String,
    location: Option<String>,
}

#[derive(Serialize)]
struct NoticeCtx<'a> {
    statement: &'a str,
    given_at: String,
    given_by: String,
    recording: Option<EvLink>,
    recording_sha256: &'a str,
}

#[derive(Serialize)]
struct FindingCtx<'a> {
    text: &'a str,
    author: String,
    at: String,
    evidence: Vec<EvLink>,
}

#[derive(Serialize)]
struct PhotoCtx {
    path: String,
    sha256: String,
    short: String,
    captured_at: String,
    captured_by: String,
    location: Option<String>,
}

#[derive(Serialize)]
struct EvidenceRow<'a> {
    kind_label: &'static str,
    step_label: &'static str,
    path: String,
    sha256: &'a str,
    size: u64,
    captured_at: String,
    captured_by: String,
    location: Option<String>,
}

#[derive(Serialize)]
struct SignedCtx<'a> {
    signer_name: &'a str,
    sha256: &'a str,
    path: Option<String>,
}

#[derive(Serialize)]
struct RefusedCtx<'a> {
    witness_name: &'a str,
    reason: &'a str,
}

#[derive(Serialize)]
struct RightsCtx<'a> {
    notice_version: &'a str,
    remedy_channels: &'a [String],
    given_at: String,
    given_by: String,
    signed: Option<SignedCtx<'a>>,
    refused: Option<RefusedCtx<'a>>,
}

#[derive(Serialize)]
struct AmendmentCtx<'a> {
    amends_label: String,
    text: &'a str,
    author: String,
    at: String,
    evidence: Vec<EvLink>,
}

#[derive(Serialize)]
struct ConflictCtx<'a> {
    path: &'a str,
    values: &'a [String],
}

#[derive(Serialize)]
struct LogRow {
    seq: u64,
    at: String,
    action_label: String,
    officer: String,
    hash_prefix: String,
}

#[derive(Serialize)]
struct ExportCtx<'a> {
    exported_at: String,
    exported_by: String,
    reason: &'a str,
    device_public_key: &'a str,
}

#[derive(Serialize)]
struct RecordCtx<'a> {
    agency_name: &'a str,
    inspection_id: &'a str,
    task_id: Option<&'a str>,
    kind_label: &'static str,
    target: TargetCtx<'a>,
    category: &'a str,
    item_name: &'a str,
    item_code: &'a str,
    opened_at: String,
    opened_by: String,
    closed_at: Option<String>,
    closed_by: Option<String>,
    team: Vec<TeamRow<'a>>,
    identity_notice: Option<NoticeCtx<'a>>,
    findings: Vec<FindingCtx<'a>>,
    photos: Vec<PhotoCtx>,
    evidence: Vec<EvidenceRow<'a>>,
    rights: Option<RightsCtx<'a>>,
    amendments: Vec<AmendmentCtx<'a>>,
    conflicts: Vec<ConflictCtx<'a>>,
    conflict_columns: usize,
    log: Vec<LogRow>,
    export: ExportCtx<'a>,
}

/// What the manifest says about the export, without the file list (the 笔录 is
/// rendered before the file list exists).
struct ExportInfo<'a> {
    exported_at: DateTime<Utc>,
    exported_by: &'a str,
    reason: &'a str,
    device_public_key: &'a str,
}

fn step_label(s: InspectionStep) -> &'static str {
    match s {
        InspectionStep::IdentityNotice => "亮证告知",
        InspectionStep::Findings => "检查情况",
        InspectionStep::RightsNotice => "权利告知",
        InspectionStep::Amendment => "更正",
    }
}

fn action_label(action: &str) -> String {
    match action {
        "open" => "开始检查",
        "check_in" => "执法人员签到",
        "identity_notice" => "亮证告知",
        "evidence" => "采集证据",
        "finding" => "记录检查情况",
        "edit_finding" => "修改检查情况",
        "rights_notice" => "权利告知",
        "close" => "结束现场检查",
        "amendment" => "更正",
        "merge" => "合并其他设备的记录",
        "merge_new" => "接收其他设备的记录",
        "migrate" => "升级记录结构",
        "access_original" => "调阅证据原件",
        "export_case" => "导出案卷",
        "roster_refresh" => "更新执法人员名录",
        other => return other.to_string(),
    }
    .to_string()
}

/// Renders the 现场检查笔录. Deterministic: the same data always gives the same bytes,
/// which is what lets `verify_case` regenerate and compare it.
fn render_record(
    ins: &Inspection,
    log: &[LogEntry],
    info: &ExportInfo<'_>,
) -> Result<String, ExportError> {
    let who = |id: &str| -> String {
        ins.team
            .iter()
            .find(|m| m.officer_id == id)
            .map(|m| m.name.clone())
            .unwrap_or_else(|| id.to_string())
    };
    let link = |sha: &str| -> EvLink {
        let label = match ins.evidence_by_hash(sha) {
            Some(e) => format!("{}（{}）", e.kind.label(), &sha[..sha.len().min(8)]),
            None => format!("证据（{}）", &sha[..sha.len().min(8)]),
        };
        EvLink {
            path: evidence_path(ins, sha),
            label,
            sha256: sha.to_string(),
        }
    };
    let m = &ins.meta;

    let identity_notice = ins.identity_notice.as_ref().map(|n| NoticeCtx {
        statement: &n.statement,
        given_at: local_text(n.given_at),
        given_by: who(&n.given_by),
        recording: Some(link(&n.recording_sha256)),
        recording_sha256: &n.recording_sha256,
    });
    let findings = ins
        .findings
        .iter()
        .map(|f| FindingCtx {
            text: &f.text,
            author: who(&f.author),
            at: local_text(f.at),
            evidence: f.evidence.iter().map(|h| link(h)).collect(),
        })
        .collect();
    let photos = ins
        .evidence
        .iter()
        .filter(|e| e.kind == EvidenceKind::Photo)
        .map(|e| PhotoCtx {
            path: evidence_path(ins, &e.sha256),
            sha256: e.sha256.clone(),
            short: e.sha256.chars().take(8).collect(),
            captured_at: local_text(e.captured_at),
            captured_by: who(&e.captured_by),
            location: e.position_text(local_text_seconds),
        })
        .collect();
    let evidence = ins
        .evidence
        .iter()
        .map(|e| EvidenceRow {
            kind_label: e.kind.label(),
            step_label: step_label(e.step),
            path: evidence_path(ins, &e.sha256),
            sha256: &e.sha256,
            size: e.size_bytes,
            captured_at: local_text(e.captured_at),
            captured_by: who(&e.captured_by),
            location: e.position_text(local_text_seconds),
        })
        .collect();
    let rights = ins.rights_notice.as_ref().map(|r| {
        let (signed, refused) = match &r.acknowledgement {
            Acknowledgement::Signed {
                signer_name,
                signature_sha256,
            } => (
                Some(SignedCtx {
                    signer_name,
                    sha256: signature_sha256,
                    path: Some(evidence_path(ins, signature_sha256)),
                }),
                None,
            ),
            Acknowledgement::Refused {
                witness_name,
                reason,
            } => (
                None,
                Some(RefusedCtx {
                    witness_name,
                    reason,
                }),
            ),
        };
        RightsCtx {
            notice_version: &r.notice_version,
            remedy_channels: &r.remedy_channels,
            given_at: local_text(r.given_at),
            given_by: who(&r.given_by),
            signed,
            refused,
        }
    });
    let amends_label = |amends: &str| -> String {
        if let Some(fid) = amends.strip_prefix("finding:") {
            return match ins.findings.iter().position(|f| f.id == fid) {
                Some(i) => format!("检查情况第 {} 条", i + 1),
                None => format!("检查情况 {fid}（本记录中不存在）"),
            };
        }
        if let Some(aid) = amends.strip_prefix("amendment:") {
            return match ins.amendments.iter().position(|a| a.id == aid) {
                Some(i) => format!("更正记录第 {} 条", i + 1),
                None => format!("更正记录 {aid}（本记录中不存在）"),
            };
        }
        match amends {
            "identity_notice" => "亮证告知".into(),
            "rights_notice" => "权利告知".into(),
            "meta" => "检查基本信息".into(),
            "team" => "执法人员".into(),
            other => other.to_string(),
        }
    };
    let amendments = ins
        .amendments
        .iter()
        .map(|a| AmendmentCtx {
            amends_label: amends_label(&a.amends),
            text: &a.text,
            author: who(&a.author),
            at: local_text(a.at),
            evidence: a.evidence.iter().map(|h| link(h)).collect(),
        })
        .collect();
    let log_rows = log
        .iter()
        .map(|e| LogRow {
            seq: e.seq,
            at: local_text(e.at),
            action_label: action_label(&e.action),
            officer: who(&e.officer_id),
            hash_prefix: e.hash.chars().take(16).collect(),
        })
        .collect();

    let ctx = RecordCtx {
        agency_name: &m.agency_name,
        inspection_id: &m.id,
        task_id: m.task_id.as_deref(),
        kind_label: match m.kind {
            InspectionKind::Task => "计划任务检查",
            InspectionKind::AdHoc => "临时检查",
        },
        target: TargetCtx {
            name: &m.target_name,
            credit_code: m.target_credit_code.as_deref(),
            address: &m.target_address,
            area: &m.target_area,
            natural_person: m.target_is_natural_person,
        },
        category: &m.category,
        item_name: &m.item_name,
        item_code: &m.item_code,
        opened_at: local_text(m.opened_at),
        opened_by: who(&m.opened_by),
        closed_at: ins.closure.as_ref().map(|c| local_text(c.closed_at)),
        closed_by: ins.closure.as_ref().map(|c| who(&c.closed_by)),
        team: ins
            .team
            .iter()
            .map(|t| TeamRow {
                name: &t.name,
                certificate_no: &t.certificate_no,
                valid_until: t.certificate_valid_until.format("%Y年%m月%d日").to_string(),
                checked_in_at: local_text(t.checked_in_at),
                location: t.location.map(|l| l.text(local_text_seconds)),
            })
            .collect(),
        identity_notice,
        findings,
        photos,
        evidence,
        rights,
        amendments,
        conflicts: ins
            .conflicts
            .iter()
            .map(|c| ConflictCtx {
                path: &c.path,
                values: &c.values,
            })
            .collect(),
        conflict_columns: ins
            .conflicts
            .iter()
            .map(|c| c.values.len())
            .max()
            .unwrap_or(1),
        log: log_rows,
        export: ExportCtx {
            exported_at: local_text(info.exported_at),
            exported_by: who(info.exported_by),
            reason: info.reason,
            device_public_key: info.device_public_key,
        },
    };

    let html = record_env()?
        .get_template("record.html")?
        .render(minijinja::value::Serde(&ctx))?;
    Ok(html)
}

/// The template environment of the 笔录 (auto-escaping, strict about undefined
/// values so a template typo fails in tests rather than printing nothing).
fn record_env() -> Result<minijinja::Environment<'static>, minijinja::Error> {
    let mut env = minijinja::Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    // Auto-escaping writes `/` as `&#x2f;`; paths this module made itself (the
    // fixed folder, a hex hash, a fixed extension) are emitted as they are, anything
    // else stays escaped.
    env.add_filter("evidence_path", |p: String| {
        if is_evidence_path(&p) {
            minijinja::Value::from_safe_string(p)
        } else {
            minijinja::Value::from(p)
        }
    });
    env.add_template("record.html", RECORD_TEMPLATE)?;
    env.add_template("canary.html", RENDER_CANARY)?;
    Ok(env)
}

// ---- export -----------------------------------------------------------------

/// Writes `bytes` through a hasher.
struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
    size: u64,
}

impl<W: Write> HashingWriter<W> {
    fn new(inner: W) -> Self {
        HashingWriter {
            inner,
            hasher: Sha256::new(),
            size: 0,
        }
    }
    fn finish(self) -> (W, String, u64) {
        (self.inner, hex::encode(self.hasher.finalize()), self.size)
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Streams `r` into `w` with a large buffer.
fn copy_stream(r: &mut dyn Read, w: &mut dyn Write) -> io::Result<()> {
    let mut buf = vec![0u8; COPY_BUF];
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        w.write_all(&buf[..n])?;
    }
}

/// Where the files of a case go while it is being written.
trait Sink {
    /// Writes one file from a reader; returns its SHA-256 and size. `original` marks
    /// evidence (stored as is, not compressed); `size_hint` is its expected size.
    fn put(
        &mut self,
        path: &str,
        data: &mut dyn Read,
        original: bool,
        size_hint: u64,
    ) -> Result<(String, u64), ExportError>;
}

struct FolderSink {
    root: PathBuf,
}

impl Sink for FolderSink {
    fn put(
        &mut self,
        path: &str,
        data: &mut dyn Read,
        _original: bool,
        _size_hint: u64,
    ) -> Result<(String, u64), ExportError> {
        let dest = path.split('/').fold(self.root.clone(), |p, c| p.join(c));
        if let Some(parent) = dest.parent() {
            fs::create_dir_all(parent).map_err(io_at(parent))?;
        }
        let f = File::create(&dest).map_err(io_at(&dest))?;
        let mut w = HashingWriter::new(f);
        copy_stream(data, &mut w).map_err(io_at(&dest))?;
        let (f, sha, size) = w.finish();
        f.sync_all().map_err(io_at(&dest))?;
        Ok((sha, size))
    }
}

struct ZipSink {
    zip: zip::ZipWriter<File>,
    modified: zip::DateTime,
    path: PathBuf,
}

impl Sink for ZipSink {
    fn put(
        &mut self,
        path: &str,
        data: &mut dyn Read,
        original: bool,
        size_hint: u64,
    ) -> Result<(String, u64), ExportError> {
        // Evidence (JPEG, MP4, ...) is already compressed: stored as is.
        let method = if original {
            zip::CompressionMethod::Stored
        } else {
            zip::CompressionMethod::Deflated
        };
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(method)
            .last_modified_time(self.modified)
            .unix_permissions(0o644)
            .large_file(size_hint >= u64::from(u32::MAX));
        self.zip.start_file(path, options)?;
        let mut w = HashingWriter::new(&mut self.zip);
        copy_stream(data, &mut w).map_err(io_at(&self.path))?;
        let (_, sha, size) = w.finish();
        Ok((sha, size))
    }
}

/// Refuses parts that do not belong together.
fn check_case(case: &CaseFile<'_>) -> Result<(), ExportError> {
    if case.exported_by.trim().is_empty() {
        return Err(ExportError::Missing("导出人"));
    }
    if case.reason.trim().is_empty() {
        return Err(ExportError::Missing("导出事由"));
    }
    let id = &case.inspection.meta.id;
    let doc = InspectionDoc::load(case.document)?;
    let read = doc.read()?;
    if read != *case.inspection {
        let diff = json_diff_paths(
            &serde_json::to_value(case.inspection)?,
            &serde_json::to_value(&read)?,
        );
        return Err(ExportError::Inconsistent(format!(
            "给出的检查记录与文档内容不同（{}）",
            diff.join("、")
        )));
    }
    let mut prev: Option<u64> = None;
    for e in case.log {
        if e.inspection_id.as_deref() != Some(id.as_str()) {
            return Err(ExportError::Inconsistent(format!(
                "日志第 {} 条不属于检查 {id}",
                e.seq
            )));
        }
        if prev.is_some_and(|p| e.seq <= p) {
            return Err(ExportError::Inconsistent(format!(
                "日志第 {} 条未按序号排列",
                e.seq
            )));
        }
        prev = Some(e.seq);
    }
    Ok(())
}

/// The zip timestamp of the export, in China time (zip has no time zone).
fn zip_time(t: DateTime<Utc>) -> zip::DateTime {
    let t = crate::time::beijing(t);
    u16::try_from(t.year())
        .ok()
        .and_then(|y| {
            zip::DateTime::from_date_and_time(
                y,
                t.month() as u8,
                t.day() as u8,
                t.hour() as u8,
                t.minute() as u8,
                t.second() as u8,
            )
            .ok()
        })
        .unwrap_or_default()
}

/// Writes every file of the case through `sink`, the manifest last. Returns the
/// manifest and its hash.
fn write_case(
    sink: &mut dyn Sink,
    case: &CaseFile<'_>,
    blobs: &BlobStore,
) -> Result<(Manifest, String), ExportError> {
    let ins = case.inspection;
    let key_hex = hex::encode(case.device_public_key);
    let mut files = vec![];

    // Evidence first: the part most likely to fail (missing or damaged originals).
    let hashes = referenced_hashes(ins);
    for sha in &hashes {
        let src = blobs.path_of(sha);
        let mut f = File::open(&src).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => ExportError::EvidenceMissing {
                sha256: sha.clone(),
            },
            _ => io_at(&src)(e),
        })?;
        let len = f.metadata().map_err(io_at(&src))?.len();
        let path = evidence_path(ins, sha);
        let (actual, size) = sink.put(&path, &mut f, true, len)?;
        if actual != *sha {
            return Err(ExportError::EvidenceCorrupt {
                sha256: sha.clone(),
            });
        }
        files.push(ManifestEntry {
            path,
            sha256: actual,
            size,
        });
    }

    let info = ExportInfo {
        exported_at: case.exported_at,
        exported_by: case.exported_by,
        reason: case.reason,
        device_public_key: &key_hex,
    };
    let record = render_record(ins, case.log, &info)?;
    let inspection_json = serde_json::to_vec_pretty(ins)?;
    let mut log_jsonl = vec![];
    for e in case.log {
        serde_json::to_writer(&mut log_jsonl, e)?;
        log_jsonl.push(b'\n');
    }
    for (path, bytes) in [
        (DOCUMENT_FILE, case.document),
        (INSPECTION_FILE, &inspection_json[..]),
        (LOG_FILE, &log_jsonl[..]),
        (RECORD_FILE, record.as_bytes()),
    ] {
        let (sha256, size) = sink.put(path, &mut &bytes[..], false, bytes.len() as u64)?;
        files.push(ManifestEntry {
            path: path.to_string(),
            sha256,
            size,
        });
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));

    let manifest = Manifest {
        format: CASE_FORMAT.to_string(),
        format_version: CASE_FORMAT_VERSION,
        inspection_id: ins.meta.id.clone(),
        exported_at: case.exported_at,
        exported_by: case.exported_by.to_string(),
        reason: case.reason.to_string(),
        device_public_key: key_hex.clone(),
        record_renderer: renderer_id(),
        files,
    };
    let bytes = serde_json::to_vec_pretty(&manifest)?;
    let (manifest_sha, _) = sink.put(MANIFEST_FILE, &mut &bytes[..], false, bytes.len() as u64)?;
    Ok((manifest, manifest_sha))
}

/// Exports one inspection as a case file at `out` (a folder, or a zip file), with
/// the 笔录, the document, the log, every evidence original and a manifest of hashes
/// (R-REC-6). Refuses when `out` exists, when an evidence original is missing from
/// or damaged on this device (R-REC-5), or when the parts do not belong together.
/// Nothing is left at `out` unless the whole case file was written.
pub fn export_case(
    case: &CaseFile<'_>,
    blobs: &BlobStore,
    out: &Path,
    format: CaseFormat,
) -> Result<ExportSummary, ExportError> {
    check_case(case)?;
    if fs::symlink_metadata(out).is_ok() {
        return Err(ExportError::OutputExists {
            path: out.to_path_buf(),
        });
    }
    // Fail fast, before writing anything, on originals that are not here.
    for sha in referenced_hashes(case.inspection) {
        if !blobs.contains(&sha) {
            return Err(ExportError::EvidenceMissing { sha256: sha });
        }
    }
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).map_err(io_at(&parent))?;

    let (manifest, manifest_sha256) = match format {
        CaseFormat::Folder => {
            let tmp = tempfile::Builder::new()
                .prefix(".liuhen-case-")
                .tempdir_in(&parent)
                .map_err(io_at(&parent))?;
            let mut sink = FolderSink {
                root: tmp.path().to_path_buf(),
            };
            let written = write_case(&mut sink, case, blobs)?;
            // Directory entries reach the disk before the rename makes them visible.
            for dir in [tmp.path().join(EVIDENCE_DIR), tmp.path().to_path_buf()] {
                if let Ok(d) = File::open(&dir) {
                    let _ = d.sync_all();
                }
            }
            if fs::symlink_metadata(out).is_ok() {
                return Err(ExportError::OutputExists {
                    path: out.to_path_buf(),
                });
            }
            let kept = tmp.keep();
            if let Err(e) = fs::rename(&kept, out) {
                let _ = fs::remove_dir_all(&kept);
                return Err(io_at(out)(e));
            }
            written
        }
        CaseFormat::Zip => {
            let tmp = tempfile::Builder::new()
                .prefix(".liuhen-case-")
                .suffix(".zip.part")
                .tempfile_in(&parent)
                .map_err(io_at(&parent))?;
            let file = tmp.as_file().try_clone().map_err(io_at(tmp.path()))?;
            let mut sink = ZipSink {
                zip: zip::ZipWriter::new(file),
                modified: zip_time(case.exported_at),
                path: tmp.path().to_path_buf(),
            };
            let written = write_case(&mut sink, case, blobs)?;
            let file = sink.zip.finish()?;
            file.sync_all().map_err(io_at(tmp.path()))?;
            tmp.persist_noclobber(out).map_err(|e| {
                if e.error.kind() == io::ErrorKind::AlreadyExists {
                    ExportError::OutputExists {
                        path: out.to_path_buf(),
                    }
                } else {
                    io_at(out)(e.error)
                }
            })?;
            written
        }
    };
    if let Ok(d) = File::open(&parent) {
        let _ = d.sync_all();
    }

    Ok(ExportSummary {
        path: out.to_path_buf(),
        format,
        files: manifest.files.len(),
        evidence_files: manifest
            .files
            .iter()
            .filter(|f| evidence_name_hash(&f.path).is_some())
            .count(),
        log_entries: case.log.len(),
        total_bytes: manifest.files.iter().map(|f| f.size).sum(),
        manifest_sha256,
    })
}

// ---- verify -----------------------------------------------------------------

/// A case file opened for reading: a folder or a zip.
enum Source {
    Folder(PathBuf),
    Zip(Box<zip::ZipArchive<BufReader<File>>>),
}

/// What a case file holds: regular files, and paths that are something else.
#[derive(Default)]
struct Listing {
    files: BTreeSet<String>,
    odd: BTreeSet<String>,
}

fn walk(dir: &Path, prefix: &str, out: &mut Listing) -> Result<(), ExportError> {
    let mut entries = fs::read_dir(dir)
        .map_err(io_at(dir))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(io_at(dir))?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name().to_string_lossy().into_owned();
        let rel = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        let ft = e.file_type().map_err(io_at(&e.path()))?;
        if ft.is_dir() {
            walk(&e.path(), &rel, out)?;
        } else if ft.is_file() {
            out.files.insert(rel);
        } else {
            out.odd.insert(rel);
        }
    }
    Ok(())
}

impl Source {
    fn open(path: &Path) -> Result<Source, ExportError> {
        let meta = fs::metadata(path).map_err(io_at(path))?;
        if meta.is_dir() {
            return Ok(Source::Folder(path.to_path_buf()));
        }
        if !meta.is_file() {
            return Err(ExportError::NotACaseFile {
                path: path.to_path_buf(),
            });
        }
        let f = File::open(path).map_err(io_at(path))?;
        match zip::ZipArchive::new(BufReader::new(f)) {
            Ok(z) => Ok(Source::Zip(Box::new(z))),
            Err(zip::result::ZipError::InvalidArchive(_))
            | Err(zip::result::ZipError::UnsupportedArchive(_)) => Err(ExportError::NotACaseFile {
                path: path.to_path_buf(),
            }),
            Err(e) => Err(e.into()),
        }
    }

    fn list(&mut self) -> Result<Listing, ExportError> {
        let mut out = Listing::default();
        match self {
            Source::Folder(root) => {
                let root = root.clone();
                walk(&root, "", &mut out)?;
            }
            Source::Zip(z) => {
                for i in 0..z.len() {
                    let f = z.by_index_raw(i)?;
                    let name = match f.name() {
                        Ok(n) => n.into_owned(),
                        Err(_) => String::from_utf8_lossy(f.name_raw()).into_owned(),
                    };
                    if f.is_dir() {
                        continue;
                    }
                    if f.is_symlink() {
                        out.odd.insert(name);
                    } else {
                        out.files.insert(name);
                    }
                }
            }
        }
        Ok(out)
    }

    /// Runs `f` over the content of a listed file.
    fn read_with<T>(
        &mut self,
        name: &str,
        f: impl FnOnce(&mut dyn Read) -> io::Result<T>,
    ) -> io::Result<T> {
        match self {
            Source::Folder(root) => {
                let p = name.split('/').fold(root.clone(), |p, c| p.join(c));
                let mut file = File::open(p)?;
                f(&mut file)
            }
            Source::Zip(z) => {
                let mut entry = z.by_name(name).map_err(io::Error::other)?;
                f(&mut entry)
            }
        }
    }
}

/// A manifest path that stays inside the case file.
fn safe_path(p: &str) -> bool {
    !p.is_empty()
        && !p.starts_with('/')
        && !p.contains('\\')
        && !p.contains(':')
        && p.split('/').all(|c| !c.is_empty() && c != "." && c != "..")
}

/// Up to five JSON paths where `a` and `b` differ.
fn json_diff_paths(a: &serde_json::Value, b: &serde_json::Value) -> Vec<String> {
    fn go(a: &serde_json::Value, b: &serde_json::Value, path: &str, out: &mut Vec<String>) {
        use serde_json::Value::{Array, Object};
        if out.len() >= 5 || a == b {
            return;
        }
        let join = |k: &str| {
            if path.is_empty() {
                k.to_string()
            } else {
                format!("{path}.{k}")
            }
        };
        match (a, b) {
            (Object(x), Object(y)) => {
                let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
                for k in keys {
                    let null = serde_json::Value::Null;
                    go(
                        x.get(k).unwrap_or(&null),
                        y.get(k).unwrap_or(&null),
                        &join(k),
                        out,
                    );
                }
            }
            (Array(x), Array(y)) if x.len() == y.len() => {
                for (i, (p, q)) in x.iter().zip(y).enumerate() {
                    go(p, q, &format!("{path}[{i}]"), out);
                }
            }
            (Array(x), Array(y)) => out.push(format!("{path}（{} 项 / {} 项）", x.len(), y.len())),
            _ => out.push(if path.is_empty() {
                "（整体）".to_string()
            } else {
                path.to_string()
            }),
        }
    }
    let mut out = vec![];
    go(a, b, "", &mut out);
    out
}

fn sha_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Verifies a case file (a folder or a `.zip`) offline and reports every problem
/// precisely: each manifest entry re-hashed; files missing or not in the manifest;
/// every evidence hash the inspection references present under `evidence/` with
/// matching content; `document.automerge` loaded and compared with
/// `inspection.json`; every log entry's hash and signature checked with the
/// manifest's device key, numbers increasing and links between consecutive numbers
/// intact, and its document heads present in the document; and, when all of that
/// holds, `record.html` regenerated and compared (R-REC-5, R-REC-6).
///
/// Returns an error only when `path` cannot be read as a case file at all.
pub fn verify_case(path: &Path) -> Result<VerifyReport, ExportError> {
    let mut src = Source::open(path)?;
    let listing = src.list()?;
    let mut report = VerifyReport {
        files_checked: 0,
        problems: vec![],
        inspection_id: None,
        device_public_key: None,
        record_regenerated: false,
    };
    let problems = &mut report.problems;

    // -- the manifest --
    if !listing.files.contains(MANIFEST_FILE) {
        problems.push(CaseProblem::ManifestUnreadable {
            reason: "文件不存在".into(),
        });
        return Ok(report);
    }
    let manifest: Manifest = match src
        .read_with(MANIFEST_FILE, |r| {
            let mut v = vec![];
            r.take(MAX_DATA_FILE).read_to_end(&mut v)?;
            Ok(v)
        })
        .map_err(|e| e.to_string())
        .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
    {
        Ok(m) => m,
        Err(reason) => {
            problems.push(CaseProblem::ManifestUnreadable { reason });
            return Ok(report);
        }
    };
    if manifest.format != CASE_FORMAT || manifest.format_version > CASE_FORMAT_VERSION {
        problems.push(CaseProblem::ManifestUnreadable {
            reason: format!(
                "格式为 {} 版本 {}，本程序只支持 {CASE_FORMAT} 版本 {CASE_FORMAT_VERSION} 及以下",
                manifest.format, manifest.format_version
            ),
        });
        return Ok(report);
    }
    report.inspection_id = Some(manifest.inspection_id.clone());
    report.device_public_key = Some(manifest.device_public_key.clone());
    let key = hex::decode(&manifest.device_public_key)
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .and_then(|b| VerifyingKey::from_bytes(&b).ok());
    if key.is_none() {
        problems.push(CaseProblem::ManifestUnreadable {
            reason: format!("设备公钥 {} 无效", manifest.device_public_key),
        });
    }

    // -- every listed file, re-hashed --
    let data_files = [DOCUMENT_FILE, INSPECTION_FILE, LOG_FILE, RECORD_FILE];
    let mut data: BTreeMap<&str, Vec<u8>> = BTreeMap::new();
    let mut listed: BTreeSet<&str> = BTreeSet::new();
    let mut damaged: BTreeSet<&str> = BTreeSet::new();
    for entry in &manifest.files {
        let p = entry.path.as_str();
        if !safe_path(p) || p == MANIFEST_FILE || !listed.insert(p) {
            problems.push(CaseProblem::BadManifestPath {
                file: entry.path.clone(),
            });
            continue;
        }
        if listing.odd.contains(p) {
            problems.push(CaseProblem::NotRegularFile {
                file: entry.path.clone(),
            });
            damaged.insert(p);
            continue;
        }
        if !listing.files.contains(p) {
            problems.push(CaseProblem::MissingFile {
                file: entry.path.clone(),
            });
            damaged.insert(p);
            continue;
        }
        let data_file = data_files.iter().find(|d| **d == p).copied();
        let read = src.read_with(p, |r| {
            if data_file.is_some() {
                let mut v = vec![];
                r.take(MAX_DATA_FILE).read_to_end(&mut v)?;
                Ok((sha_hex(&v), v.len() as u64, Some(v)))
            } else {
                let mut w = HashingWriter::new(io::sink());
                copy_stream(r, &mut w)?;
                let (_, sha, size) = w.finish();
                Ok((sha, size, None))
            }
        });
        let (actual, size, bytes) = match read {
            Ok(x) => x,
            Err(e) => {
                problems.push(CaseProblem::UnreadableFile {
                    file: entry.path.clone(),
                    reason: e.to_string(),
                });
                damaged.insert(p);
                continue;
            }
        };
        report.files_checked += 1;
        if let (Some(name), Some(bytes)) = (data_file, bytes) {
            data.insert(name, bytes);
        }
        if actual != entry.sha256 {
            problems.push(CaseProblem::HashMismatch {
                file: entry.path.clone(),
                expected: entry.sha256.clone(),
                actual,
            });
            damaged.insert(p);
            continue;
        }
        if let Some(name_hash) = evidence_name_hash(p)
            && actual != name_hash
        {
            // Content and manifest changed together: the name still tells.
            problems.push(CaseProblem::HashMismatch {
                file: entry.path.clone(),
                expected: name_hash.to_string(),
                actual,
            });
            damaged.insert(p);
            continue;
        }
        if size != entry.size {
            problems.push(CaseProblem::SizeMismatch {
                file: entry.path.clone(),
                expected: entry.size,
                actual: size,
            });
        }
    }
    for f in &listing.files {
        if f != MANIFEST_FILE && !listed.contains(f.as_str()) {
            problems.push(CaseProblem::UnlistedFile { file: f.clone() });
        }
    }
    for f in &listing.odd {
        if !listed.contains(f.as_str()) {
            problems.push(CaseProblem::NotRegularFile { file: f.clone() });
        }
    }
    for required in data_files {
        if !listed.contains(required) && !listing.files.contains(required) {
            problems.push(CaseProblem::MissingFile {
                file: required.to_string(),
            });
        }
    }
    // Data files present but unlisted are already reported; still read them so the
    // content checks below can say more.
    for name in data_files {
        if !data.contains_key(name) && !listed.contains(name) && listing.files.contains(name) {
            let bytes = src.read_with(name, |r| {
                let mut v = vec![];
                r.take(MAX_DATA_FILE).read_to_end(&mut v)?;
                Ok(v)
            });
            if let Ok(b) = bytes {
                data.insert(name, b);
            }
        }
    }

    // -- the document against inspection.json and the manifest --
    let mut data_intact = true;
    let mut document = data
        .get(DOCUMENT_FILE)
        .and_then(|b| match InspectionDoc::load(b) {
            Ok(d) => Some(d),
            Err(e) => {
                problems.push(CaseProblem::DocumentMismatch {
                    reason: format!("document.automerge 无法读取：{e}"),
                });
                None
            }
        });
    let from_doc = document.as_ref().and_then(|d| match d.read() {
        Ok(i) => Some(i),
        Err(e) => {
            problems.push(CaseProblem::DocumentMismatch {
                reason: format!("document.automerge 无法读取：{e}"),
            });
            None
        }
    });
    let from_json =
        data.get(INSPECTION_FILE)
            .and_then(|b| match serde_json::from_slice::<Inspection>(b) {
                Ok(i) => Some(i),
                Err(e) => {
                    problems.push(CaseProblem::DocumentMismatch {
                        reason: format!("inspection.json 无法解析：{e}"),
                    });
                    None
                }
            });
    if from_doc.is_none() || from_json.is_none() {
        data_intact = false;
    }
    if let (Some(d), Some(j)) = (&from_doc, &from_json)
        && d != j
    {
        let paths = match (serde_json::to_value(j), serde_json::to_value(d)) {
            (Ok(a), Ok(b)) => json_diff_paths(&a, &b),
            _ => vec![],
        };
        problems.push(CaseProblem::DocumentMismatch {
            reason: format!(
                "inspection.json 与 document.automerge 的内容不同（{}）",
                paths.join("、")
            ),
        });
        data_intact = false;
    }
    for (name, ins) in [(DOCUMENT_FILE, &from_doc), (INSPECTION_FILE, &from_json)] {
        if let Some(i) = ins
            && i.meta.id != manifest.inspection_id
        {
            problems.push(CaseProblem::DocumentMismatch {
                reason: format!(
                    "{name} 是检查记录 {}，清单写的是 {}",
                    i.meta.id, manifest.inspection_id
                ),
            });
            data_intact = false;
        }
    }

    // -- evidence the inspection references --
    let inspection = from_doc.clone().or_else(|| from_json.clone());
    if let Some(ins) = &inspection {
        let referenced = referenced_hashes(ins);
        for entry in &manifest.files {
            let p = entry.path.as_str();
            let expected = data_files.contains(&p)
                || evidence_name_hash(p).is_some_and(|h| referenced.iter().any(|r| r == h));
            if listed.contains(p) && !expected {
                problems.push(CaseProblem::UnexpectedFile {
                    file: entry.path.clone(),
                });
            }
        }
        for sha in referenced {
            let in_manifest = manifest
                .files
                .iter()
                .any(|f| evidence_name_hash(&f.path) == Some(sha.as_str()));
            if !in_manifest {
                problems.push(CaseProblem::EvidenceNotInManifest { sha256: sha });
            }
        }
    }

    // -- the log --
    let mut log: Vec<LogEntry> = vec![];
    match data.get(LOG_FILE) {
        Some(bytes) => {
            for (i, line) in bytes.split(|b| *b == b'\n').enumerate() {
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                match serde_json::from_slice::<LogEntry>(line) {
                    Ok(e) => log.push(e),
                    Err(e) => {
                        problems.push(CaseProblem::LogUnreadable {
                            line: i + 1,
                            reason: e.to_string(),
                        });
                        data_intact = false;
                    }
                }
            }
        }
        None => data_intact = false,
    }
    let mut prev: Option<(&LogEntry, bool)> = None;
    for e in &log {
        let mut ok = true;
        if e.inspection_id.as_deref() != Some(manifest.inspection_id.as_str()) {
            problems.push(CaseProblem::LogForeignEntry { seq: e.seq });
            ok = false;
        }
        if let Some(key) = &key {
            match verify_entry(e, key) {
                Ok(()) => {}
                Err(ChainError::Altered { .. }) => {
                    problems.push(CaseProblem::LogEntryAltered { seq: e.seq });
                    ok = false;
                }
                Err(_) => {
                    problems.push(CaseProblem::LogSignatureInvalid { seq: e.seq });
                    ok = false;
                }
            }
        } else {
            ok = false;
        }
        if let Some((p, p_ok)) = prev {
            if e.seq <= p.seq {
                problems.push(CaseProblem::LogOrder { seq: e.seq });
                ok = false;
            } else if p_ok && e.seq == p.seq + 1 && e.prev_hash != p.hash {
                // Only judged when the entry before is itself intact; otherwise the
                // break is a consequence of the problem already reported there.
                problems.push(CaseProblem::LogLinkBroken { seq: e.seq });
                ok = false;
            }
        }
        if let Some(doc) = document.as_mut() {
            let am = doc.automerge_mut();
            let all_there = e.doc_heads.iter().all(|h| {
                h.parse::<automerge::ChangeHash>()
                    .ok()
                    .is_some_and(|h| am.get_change_by_hash(&h).is_some())
            });
            if !all_there {
                problems.push(CaseProblem::LogHeadsNotInDocument { seq: e.seq });
                ok = false;
            }
        }
        data_intact &= ok;
        prev = Some((e, ok));
    }

    // -- record.html, regenerated from intact data --
    let record_listed_ok = listed.contains(RECORD_FILE) && !damaged.contains(RECORD_FILE);
    if data_intact
        && record_listed_ok
        && manifest.record_renderer == renderer_id()
        && let (Some(ins), Some(html)) = (&from_doc, data.get(RECORD_FILE))
    {
        let info = ExportInfo {
            exported_at: manifest.exported_at,
            exported_by: &manifest.exported_by,
            reason: &manifest.reason,
            device_public_key: &manifest.device_public_key,
        };
        let again = render_record(ins, &log, &info)?;
        report.record_regenerated = true;
        if again.as_bytes() != html.as_slice() {
            problems.push(CaseProblem::RecordMismatch);
        }
    }
    Ok(report)
}

/// As [`verify_case`], and also checks that the case file names `expected_key` (the
/// key the recording device enrolled with) as its device key (R-REC-5).
pub fn verify_case_with_key(
    path: &Path,
    expected_key: &[u8; 32],
) -> Result<VerifyReport, ExportError> {
    let mut report = verify_case(path)?;
    let expected = hex::encode(expected_key);
    if let Some(found) = &report.device_public_key
        && !found.eq_ignore_ascii_case(&expected)
    {
        report.problems.push(CaseProblem::DeviceKeyMismatch {
            expected,
            found: found.clone(),
        });
    }
    Ok(report)
}

/// A human-readable summary of a report, one problem a line (for the CLI).
pub fn report_text(report: &VerifyReport) -> String {
    let mut s = String::new();
    if report.problems.is_empty() {
        let _ = writeln!(
            s,
            "案卷完整：已核验 {} 个文件，全部与清单一致，日志签名有效（R-REC-6）。",
            report.files_checked
        );
    } else {
        let _ = writeln!(
            s,
            "案卷有 {} 处问题（已核验 {} 个文件）：",
            report.problems.len(),
            report.files_checked
        );
        for (i, p) in report.problems.iter().enumerate() {
            let _ = writeln!(s, "{}. {p}", i + 1);
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_extensions() {
        let h = "ab".repeat(32);
        assert_eq!(extension_for("image/jpeg"), "jpg");
        assert_eq!(extension_for("Audio/WAV; codecs=1"), "wav");
        assert_eq!(extension_for("x/unknown"), "bin");
        assert_eq!(
            evidence_name_hash(&format!("evidence/{h}.jpg")),
            Some(h.as_str())
        );
        assert_eq!(
            evidence_name_hash(&format!("evidence/{h}")),
            Some(h.as_str())
        );
        assert_eq!(evidence_name_hash("evidence/extra.jpg"), None);
        assert_eq!(evidence_name_hash(&format!("other/{h}.jpg")), None);
        assert!(is_evidence_path(&format!("evidence/{h}.mp4")));
        assert!(!is_evidence_path(&format!("evidence/{h}.j\"><script>")));
        assert!(!is_evidence_path(&format!("evidence/{h}")));
        for bad in ["", "/etc/passwd", "../x", "a/../b", "a//b", "c:\\x", "./a"] {
            assert!(!safe_path(bad), "{bad}");
        }
        assert!(safe_path("evidence/a.jpg"));
    }

    #[test]
    fn json_diff_names_the_field() {
        let a = serde_json::json!({ "f": [{ "t": "a" }, { "t": "b" }], "x": 1 });
        let b = serde_json::json!({ "f": [{ "t": "a" }, { "t": "c" }], "x": 1 });
        assert_eq!(json_diff_paths(&a, &b), vec!["f[1].t"]);
        let c = serde_json::json!({ "f": [], "x": 2 });
        assert_eq!(json_diff_paths(&a, &c), vec!["f（2 项 / 0 项）", "x"]);
    }

    #[test]
    fn r_rec_5_verify_entry_checks_hash_then_signature() {
        use crate::audit::NewLogEntry;
        use ed25519_dalek::SigningKey;
        let k = SigningKey::from_bytes(&[7u8; 32]);
        let e = LogEntry::seal(
            NewLogEntry {
                at: DateTime::from_timestamp(1_790_000_000, 0).unwrap(),
                officer_id: "o1".into(),
                inspection_id: Some("i".into()),
                action: "finding".into(),
                detail: serde_json::json!({}),
                evidence: vec![],
                doc_heads: vec![],
            },
            Some((41, "ab".repeat(32))),
            "dev",
            &k,
        );
        assert_eq!(verify_entry(&e, &k.verifying_key()), Ok(()));
        let mut bad = e.clone();
        bad.action = "close".into();
        assert_eq!(
            verify_entry(&bad, &k.verifying_key()),
            Err(ChainError::Altered { seq: 42 })
        );
        bad.hash = bad.compute_hash();
        assert_eq!(
            verify_entry(&bad, &k.verifying_key()),
            Err(ChainError::BadSignature { seq: 42 })
        );
        let other = SigningKey::from_bytes(&[8u8; 32]);
        assert_eq!(
            verify_entry(&e, &other.verifying_key()),
            Err(ChainError::BadSignature { seq: 42 })
        );
    }

    #[test]
    fn the_renderer_fingerprint_covers_escaping() {
        let out = canary_output().unwrap();
        let zeros = "0".repeat(64);
        assert_eq!(
            out,
            format!(
                "&lt;a href=&#x27;x&#x27;&gt;&amp;&quot;&#x2f; 中文&lt;&#x2f;a&gt;|11,22|evidence/{zeros}.jpg|x&#x2f;y"
            )
        );
        assert!(renderer_id().starts_with("liuhen-record/2+"));
    }

    #[test]
    fn errors_stay_small() {
        assert!(
            std::mem::size_of::<ExportError>() <= 64,
            "{}",
            std::mem::size_of::<ExportError>()
        );
    }
}
