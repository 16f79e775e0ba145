//! Evidence ingest: checks a captured file and stores it once, content-addressed, in
//! the device's [`BlobStore`] (R-REC-5: records are cheap to make, easy to keep and
//! cannot be altered).
//!
//! The order of work is what keeps a bad file from ever being half-stored:
//!
//! 1. the size is checked against the per-kind limit ([`EvidenceLimits`]);
//! 2. the first bytes are sniffed ([`sniff`]) — by content, never by the file name or
//!    the media type the caller claims — and must match the declared kind and type;
//! 3. the file is streamed, once, into a temporary file in the blob directory while
//!    being hashed with SHA-256 (a 2 GB video is never read into memory);
//! 4. that temporary copy — the very bytes that will be stored — is validated: a
//!    photo is checked for a complete JPEG/PNG structure (or parsed as HEIC) and
//!    fully decoded, its EXIF read ([`PhotoInfo`]), its display copy and thumbnail
//!    made (orientation applied before resizing); a PDF must end in `%%EOF`; audio
//!    and video are checked by their container magic only, never decoded;
//! 5. only then is the copy renamed to its hash, and the derived images (display
//!    copy, thumbnail, optional reduced upload copy) are stored as blobs of their own.
//!
//! The original is never modified: its hash is the hash of the caller's exact bytes.
//! Derived images are conveniences; the original is the evidence.

use std::fmt;
use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Cursor, Read, Seek, SeekFrom, Write};
use std::path::Path;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, RgbImage};
use sha2::{Digest, Sha256};
use tempfile::NamedTempFile;

use crate::blobs::{BlobError, BlobStore, StoredBlob};
use crate::inspection::{EvidenceKind, EvidenceRef, InspectionStep};

mod derive;

/// One mebibyte; sizes are shown to officers in "MB" of this size.
pub const MIB: u64 = 1024 * 1024;

/// Long side, in pixels, of the display copy of a photo.
pub const DISPLAY_MAX_LONG_SIDE: u32 = 1600;
/// Long side, in pixels, of the thumbnail of a photo.
pub const THUMBNAIL_MAX_LONG_SIDE: u32 = 320;
/// JPEG quality of the display copy and the thumbnail.
pub const DISPLAY_JPEG_QUALITY: u8 = 82;
/// JPEG quality of the reduced upload copy (it stands in for the original on the
/// server until the original itself is uploaded, so it is kept finer).
pub const UPLOAD_COPY_JPEG_QUALITY: u8 = 88;

/// How many bytes of a file [`sniff`] looks at (enough for an ISO-BMFF `ftyp` box
/// with its compatible brands).
pub const SNIFF_LEN: usize = 4096;

/// Size and pixel limits of evidence files, per kind. Configurable per agency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceLimits {
    /// Largest photo file, in bytes (default 30 MiB).
    pub photo_max_bytes: u64,
    /// Largest audio recording, in bytes (default 200 MiB).
    pub audio_max_bytes: u64,
    /// Largest video recording, in bytes (default 4 GiB).
    pub video_max_bytes: u64,
    /// Largest signature image, in bytes (default 2 MiB).
    pub signature_max_bytes: u64,
    /// Largest document (scan, PDF), in bytes (default 50 MiB).
    pub document_max_bytes: u64,
    /// Most pixels (width × height) an image may have (default 100 megapixels); the
    /// image is decoded in memory to be checked, so this bounds memory use.
    pub photo_max_pixels: u64,
    /// Whether a photo far above what a record needs (see the two thresholds below)
    /// also gets a reduced JPEG upload copy; the original stays on the device and is
    /// kept until the server confirms it (default `false`).
    pub allow_reduced_upload_copy: bool,
    /// A photo file larger than this gets an upload copy (default 8 MiB).
    pub upload_copy_above_bytes: u64,
    /// A photo whose long side is longer than this gets an upload copy (default 4096).
    pub upload_copy_above_long_side: u32,
    /// Long side of the upload copy, in pixels (default 2560).
    pub upload_copy_max_long_side: u32,
}

impl Default for EvidenceLimits {
    fn default() -> Self {
        EvidenceLimits {
            photo_max_bytes: 30 * MIB,
            audio_max_bytes: 200 * MIB,
            video_max_bytes: 4096 * MIB,
            signature_max_bytes: 2 * MIB,
            document_max_bytes: 50 * MIB,
            photo_max_pixels: 100_000_000,
            allow_reduced_upload_copy: false,
            upload_copy_above_bytes: 8 * MIB,
            upload_copy_above_long_side: 4096,
            upload_copy_max_long_side: 2560,
        }
    }
}

impl EvidenceLimits {
    /// The size limit, in bytes, for files of this kind.
    pub fn max_bytes(&self, kind: EvidenceKind) -> u64 {
        match kind {
            EvidenceKind::Photo => self.photo_max_bytes,
            EvidenceKind::Audio => self.audio_max_bytes,
            EvidenceKind::Video => self.video_max_bytes,
            EvidenceKind::Signature => self.signature_max_bytes,
            EvidenceKind::Document => self.document_max_bytes,
        }
    }
}

/// Errors of evidence ingest. A file that fails a check is never stored. Only a
/// write failure while storing a derived image, after the original was committed,
/// can leave the (complete, checked) original stored; retrying is then harmless.
#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    /// The file is empty.
    #[error("文件为空（0 字节），不能作为证据；未保存任何文件")]
    Empty,
    /// The file is larger than the limit for its kind.
    #[error(
        "{}文件过大：{}，超过上限 {}；未保存任何文件（上限可在设置中调整）",
        .kind.label(),
        mb_of(.size),
        mb_of(.limit)
    )]
    TooLarge {
        /// Declared kind.
        kind: EvidenceKind,
        /// Size of the file in bytes (at least; the copy stops at the limit).
        size: u64,
        /// Limit in bytes.
        limit: u64,
    },
    /// The image has more pixels than [`EvidenceLimits::photo_max_pixels`].
    #[error(
        "图像像素过多：{width}×{height}（{} 百万像素），上限 {} 百万像素；未保存任何文件",
        megapixels(u64::from(*.width) * u64::from(*.height)),
        megapixels(*.limit)
    )]
    TooManyPixels {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
        /// Limit in pixels.
        limit: u64,
    },
    /// The content (by its magic bytes) is not what the kind or the declared media
    /// type says.
    #[error(
        "文件内容不是{}（检测到：{found}）；未保存任何文件，请选择正确的文件或证据类型",
        cjk_spaced(.expected)
    )]
    ContentMismatch {
        /// What was expected, in Chinese, e.g. `JPEG 图像`.
        expected: String,
        /// What the content is, in Chinese, e.g. `文本内容`.
        found: String,
    },
    /// A recognised format that this device cannot accept for the kind (e.g. HEIC).
    #[error("不支持的 {format} 格式：{hint}")]
    UnsupportedFormat {
        /// Format name, e.g. `HEIC`.
        format: String,
        /// What the officer can do, in Chinese.
        hint: String,
    },
    /// The file is of the right format but broken or truncated.
    #[error(
        "{format} 文件已损坏或不完整（{detail}）；未保存任何文件，证据须完整可靠（R-REC-5），请重新拍摄或从原设备重新导入"
    )]
    Corrupt {
        /// Format name, e.g. `JPEG`.
        format: &'static str,
        /// What is wrong (may be the decoder's own English message).
        detail: String,
    },
    /// A display copy, thumbnail or upload copy could not be made.
    #[error("生成照片预览失败（{0}）；未保存任何文件")]
    Derive(String),
    /// Reading the file or writing the blob directory failed.
    #[error(transparent)]
    Blob(#[from] BlobError),
}

impl EvidenceError {
    /// Whether the file was refused (the officer can act: another file, another
    /// format) rather than the device failing to store it.
    pub fn is_refusal(&self) -> bool {
        !matches!(
            self,
            EvidenceError::Blob(BlobError::Write(_)) | EvidenceError::Derive(_)
        )
    }
}

/// Who captured the evidence, when and where, for which step.
#[derive(Debug, Clone)]
pub struct IngestRequest<'a> {
    /// What the officer says the file is.
    pub kind: EvidenceKind,
    /// The media type the capturing app claims (e.g. `image/jpeg`), if any; when it
    /// names a known type, the content must match it. Unknown or generic types such
    /// as `application/octet-stream` are ignored: the content decides.
    pub declared_media_type: Option<&'a str>,
    /// Officer who captured it.
    pub captured_by: &'a str,
    /// Device that captured it.
    pub device_id: &'a str,
    /// Step it belongs to.
    pub step: InspectionStep,
    /// Device clock at capture.
    pub device_time: DateTime<Utc>,
    /// Latitude from the device's location service, if any.
    pub lat: Option<f64>,
    /// Longitude from the device's location service, if any.
    pub lon: Option<f64>,
}

/// The capture metadata, kept with the result.
#[derive(Debug, Clone, PartialEq)]
pub struct CaptureMeta {
    /// Officer who captured it.
    pub captured_by: String,
    /// Device that captured it.
    pub device_id: String,
    /// Step it belongs to.
    pub step: InspectionStep,
    /// Device clock at capture.
    pub device_time: DateTime<Utc>,
    /// Latitude from the device, if any.
    pub lat: Option<f64>,
    /// Longitude from the device, if any.
    pub lon: Option<f64>,
}

/// A JPEG derived from a photo and stored as a blob of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DerivedImage {
    /// Lower-case hex SHA-256 of the JPEG.
    pub sha256: String,
    /// Size of the JPEG in bytes.
    pub size: u64,
    /// Width in pixels (orientation applied).
    pub width: u32,
    /// Height in pixels (orientation applied).
    pub height: u32,
}

/// What was learnt from an image (photo, signature or scanned document).
#[derive(Debug, Clone, PartialEq)]
pub struct PhotoInfo {
    /// Width in pixels as displayed, i.e. after the EXIF orientation.
    pub width: u32,
    /// Height in pixels as displayed, i.e. after the EXIF orientation.
    pub height: u32,
    /// EXIF orientation tag 1..=8 (1 when absent or invalid). Applied to JPEG and
    /// PNG; a HEIC carries its turn in the container (`irot`/`imir`, applied by the
    /// decoder), and its EXIF tag is informative only, as the HEIF standard says.
    pub orientation: u16,
    /// EXIF `DateTimeOriginal`: the camera's local time, without a zone.
    pub exif_time: Option<NaiveDateTime>,
    /// EXIF GPS latitude in degrees (south negative).
    pub exif_lat: Option<f64>,
    /// EXIF GPS longitude in degrees (west negative).
    pub exif_lon: Option<f64>,
    /// Display copy: JPEG, long side at most [`DISPLAY_MAX_LONG_SIDE`].
    pub display: DerivedImage,
    /// Thumbnail: JPEG, long side at most [`THUMBNAIL_MAX_LONG_SIDE`].
    pub thumbnail: DerivedImage,
}

/// The result of [`ingest_file`].
#[derive(Debug, Clone, PartialEq)]
pub struct Ingested {
    /// The original, stored byte for byte under the SHA-256 of its bytes.
    pub original: StoredBlob,
    /// Kind it was ingested as.
    pub kind: EvidenceKind,
    /// Media type from the content, e.g. `image/jpeg`.
    pub media_type: String,
    /// Format from the content.
    pub format: MediaFormat,
    /// Capture metadata from the request.
    pub capture: CaptureMeta,
    /// For images: dimensions, EXIF and the derived copies.
    pub photo: Option<PhotoInfo>,
    /// A reduced JPEG copy to upload instead of a very large photo, when
    /// [`EvidenceLimits::allow_reduced_upload_copy`] is set; the caller keeps the
    /// original (`original.sha256`) until the server confirms it.
    pub upload_copy: Option<DerivedImage>,
    /// Set when the photo's EXIF block is malformed: the photo was still accepted
    /// (the record is worth more than its metadata), without the unreadable fields.
    pub exif_warning: Option<String>,
}

impl Ingested {
    /// The reference to put into the inspection document. The position is the
    /// device's, else the photo's EXIF GPS.
    pub fn evidence_ref(&self) -> EvidenceRef {
        let exif_pos = self
            .photo
            .as_ref()
            .and_then(|p| Some((p.exif_lat?, p.exif_lon?)));
        let (lat, lon) = match (self.capture.lat, self.capture.lon, exif_pos) {
            (Some(lat), Some(lon), _) => (Some(lat), Some(lon)),
            (_, _, Some((lat, lon))) => (Some(lat), Some(lon)),
            (lat, lon, None) => (lat, lon),
        };
        EvidenceRef {
            sha256: self.original.sha256.clone(),
            kind: self.kind,
            media_type: self.media_type.clone(),
            size_bytes: self.original.size,
            captured_at: self.capture.device_time,
            captured_by: self.capture.captured_by.clone(),
            device_id: self.capture.device_id.clone(),
            step: self.capture.step,
            lat,
            lon,
            accuracy_m: None,
            fixed_at: None,
        }
    }
}

/// A file format recognised by its magic bytes. Only some are accepted (see
/// [`MediaFormat::accepted_for`]); the others are recognised to give a clear error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MediaFormat {
    /// JPEG image (`FF D8 FF`).
    Jpeg,
    /// PNG image.
    Png,
    /// HEIC/HEIF image (ISO-BMFF `ftyp` brand heic, heix, hevc, mif1, ...).
    Heic,
    /// AVIF image (`ftyp` brand avif).
    Avif,
    /// GIF image.
    Gif,
    /// WebP image (RIFF/WEBP).
    WebP,
    /// TIFF image (or a camera RAW based on it).
    Tiff,
    /// WAV audio (RIFF/WAVE, RF64, BW64).
    Wav,
    /// MPEG audio, MP3 (ID3 tag or MPEG frame sync).
    Mp3,
    /// AAC audio in ADTS frames.
    Aac,
    /// MPEG-4 audio (`ftyp` brand M4A, M4B, ...).
    M4a,
    /// MPEG-4 / 3GP container with a generic brand (isom, mp41, mp42, ...): audio
    /// or video.
    Mp4,
    /// QuickTime movie (`ftyp qt` or a classic leading atom).
    Mov,
    /// Ogg container (Opus, Vorbis).
    Ogg,
    /// FLAC audio.
    Flac,
    /// AMR audio.
    Amr,
    /// Matroska or WebM.
    Matroska,
    /// AVI video (RIFF/AVI).
    Avi,
    /// PDF document.
    Pdf,
}

impl MediaFormat {
    /// Short name, e.g. `JPEG`.
    pub fn name(self) -> &'static str {
        match self {
            MediaFormat::Jpeg => "JPEG",
            MediaFormat::Png => "PNG",
            MediaFormat::Heic => "HEIC",
            MediaFormat::Avif => "AVIF",
            MediaFormat::Gif => "GIF",
            MediaFormat::WebP => "WebP",
            MediaFormat::Tiff => "TIFF",
            MediaFormat::Wav => "WAV",
            MediaFormat::Mp3 => "MP3",
            MediaFormat::Aac => "AAC",
            MediaFormat::M4a => "M4A",
            MediaFormat::Mp4 => "MP4",
            MediaFormat::Mov => "MOV",
            MediaFormat::Ogg => "Ogg",
            MediaFormat::Flac => "FLAC",
            MediaFormat::Amr => "AMR",
            MediaFormat::Matroska => "MKV/WebM",
            MediaFormat::Avi => "AVI",
            MediaFormat::Pdf => "PDF",
        }
    }

    /// Chinese description, e.g. `JPEG 图像`.
    pub fn label(self) -> &'static str {
        match self {
            MediaFormat::Jpeg => "JPEG 图像",
            MediaFormat::Png => "PNG 图像",
            MediaFormat::Heic => "HEIC 图像",
            MediaFormat::Avif => "AVIF 图像",
            MediaFormat::Gif => "GIF 图像",
            MediaFormat::WebP => "WebP 图像",
            MediaFormat::Tiff => "TIFF 图像",
            MediaFormat::Wav => "WAV 录音",
            MediaFormat::Mp3 => "MP3 录音",
            MediaFormat::Aac => "AAC 录音",
            MediaFormat::M4a => "M4A 录音",
            MediaFormat::Mp4 => "MP4 音视频",
            MediaFormat::Mov => "MOV 录像",
            MediaFormat::Ogg => "Ogg 音频（Opus/Vorbis）",
            MediaFormat::Flac => "FLAC 录音",
            MediaFormat::Amr => "AMR 录音",
            MediaFormat::Matroska => "MKV/WebM 视频",
            MediaFormat::Avi => "AVI 视频",
            MediaFormat::Pdf => "PDF 文件",
        }
    }

    /// Whether evidence of this kind is accepted in this format.
    pub fn accepted_for(self, kind: EvidenceKind) -> bool {
        use MediaFormat as F;
        match kind {
            EvidenceKind::Photo => matches!(self, F::Jpeg | F::Png | F::Heic),
            EvidenceKind::Signature => matches!(self, F::Jpeg | F::Png),
            EvidenceKind::Audio => {
                matches!(self, F::Wav | F::Mp3 | F::Aac | F::M4a | F::Mp4 | F::Ogg)
            }
            EvidenceKind::Video => matches!(self, F::Mp4 | F::Mov),
            EvidenceKind::Document => matches!(self, F::Pdf | F::Jpeg | F::Png),
        }
    }

    /// Whether the format is an image (decoded and checked in full on ingest).
    pub fn is_image(self) -> bool {
        matches!(
            self,
            MediaFormat::Jpeg | MediaFormat::Png | MediaFormat::Heic
        )
    }

    /// The media type stored for a file of this format ingested as `kind`.
    pub fn media_type(self, kind: EvidenceKind) -> &'static str {
        match self {
            MediaFormat::Jpeg => "image/jpeg",
            MediaFormat::Png => "image/png",
            MediaFormat::Heic => "image/heic",
            MediaFormat::Avif => "image/avif",
            MediaFormat::Gif => "image/gif",
            MediaFormat::WebP => "image/webp",
            MediaFormat::Tiff => "image/tiff",
            MediaFormat::Wav => "audio/wav",
            MediaFormat::Mp3 => "audio/mpeg",
            MediaFormat::Aac => "audio/aac",
            MediaFormat::M4a => "audio/mp4",
            MediaFormat::Mp4 if kind == EvidenceKind::Audio => "audio/mp4",
            MediaFormat::Mp4 => "video/mp4",
            MediaFormat::Mov => "video/quicktime",
            MediaFormat::Ogg => "audio/ogg",
            MediaFormat::Flac => "audio/flac",
            MediaFormat::Amr => "audio/amr",
            MediaFormat::Matroska => "video/x-matroska",
            MediaFormat::Avi => "video/x-msvideo",
            MediaFormat::Pdf => "application/pdf",
        }
    }

    /// Whether some kind of evidence accepts this format.
    fn accepted_somewhere(self) -> bool {
        [
            EvidenceKind::Photo,
            EvidenceKind::Audio,
            EvidenceKind::Video,
            EvidenceKind::Signature,
            EvidenceKind::Document,
        ]
        .into_iter()
        .any(|k| self.accepted_for(k))
    }
}

impl fmt::Display for MediaFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

const HEIF_BRANDS: [&[u8; 4]; 9] = [
    b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1",
];
const M4A_BRANDS: [&[u8; 4]; 5] = [b"M4A ", b"M4B ", b"M4P ", b"F4A ", b"F4B "];
const MP4_BRANDS: [&[u8; 4]; 20] = [
    b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"iso7", b"iso8", b"iso9", b"mp41",
    b"mp42", b"mp71", b"avc1", b"dash", b"mmp4", b"MSNV", b"M4V ", b"3gp4", b"3gp5", b"3gp6",
];
const MP4_EXTRA_BRANDS: [&[u8; 4]; 6] = [b"3gp7", b"3gp8", b"3gp9", b"3g2a", b"3g2b", b"f4v "];
const QT_ATOMS: [&[u8; 4]; 6] = [b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"];

/// Recognises a file format from its first bytes (pass at least [`SNIFF_LEN`] bytes
/// when the file has them). Never panics, whatever the bytes.
pub fn sniff(head: &[u8]) -> Option<MediaFormat> {
    let starts = |magic: &[u8]| head.starts_with(magic);
    let at = |off: usize, magic: &[u8]| head.get(off..off + magic.len()) == Some(magic);
    if starts(&[0xFF, 0xD8, 0xFF]) {
        return Some(MediaFormat::Jpeg);
    }
    if starts(b"\x89PNG\r\n\x1a\n") {
        return Some(MediaFormat::Png);
    }
    if starts(b"GIF87a") || starts(b"GIF89a") {
        return Some(MediaFormat::Gif);
    }
    if starts(b"II*\0") || starts(b"MM\0*") {
        return Some(MediaFormat::Tiff);
    }
    if starts(b"%PDF-") {
        return Some(MediaFormat::Pdf);
    }
    if starts(b"OggS") {
        return Some(MediaFormat::Ogg);
    }
    if starts(b"fLaC") {
        return Some(MediaFormat::Flac);
    }
    if starts(b"#!AMR") {
        return Some(MediaFormat::Amr);
    }
    if starts(&[0x1A, 0x45, 0xDF, 0xA3]) {
        return Some(MediaFormat::Matroska);
    }
    if starts(b"RIFF") || starts(b"RF64") || starts(b"BW64") {
        if at(8, b"WAVE") {
            return Some(MediaFormat::Wav);
        }
        if starts(b"RIFF") && at(8, b"WEBP") {
            return Some(MediaFormat::WebP);
        }
        if starts(b"RIFF") && at(8, b"AVI ") {
            return Some(MediaFormat::Avi);
        }
        return None;
    }
    if at(4, b"ftyp") {
        return sniff_ftyp(head);
    }
    if head.len() >= 8 && QT_ATOMS.iter().any(|a| at(4, *a)) {
        let size = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
        // 0 = to end of file, 1 = 64-bit size follows; otherwise at least a header.
        // Only `mdat` may be huge: text ("abcdfree...") reads as a size of 0x20202020+.
        if size <= 1 || (size >= 8 && (size < 0x2000_0000 || at(4, b"mdat"))) {
            return Some(MediaFormat::Mov);
        }
    }
    if starts(b"ID3") && head.get(3).is_some_and(|v| (2..=4).contains(v)) {
        // An ID3 tag may also precede ADTS AAC: look at the first frame after the tag
        // (syncsafe size, optional footer) when it is within the head.
        if let (Some(flags), Some(sz)) = (head.get(5), head.get(6..10))
            && sz.iter().all(|b| b & 0x80 == 0)
        {
            let size = sz.iter().fold(0usize, |a, &b| (a << 7) | usize::from(b));
            let footer = if flags & 0x10 != 0 { 10 } else { 0 };
            if head
                .get(10 + size + footer..)
                .and_then(sniff_mpeg_audio)
                .is_some_and(|f| f == MediaFormat::Aac)
            {
                return Some(MediaFormat::Aac);
            }
        }
        return Some(MediaFormat::Mp3);
    }
    sniff_mpeg_audio(head)
}

/// Classifies an ISO-BMFF file by the brands of its leading `ftyp` box.
fn sniff_ftyp(head: &[u8]) -> Option<MediaFormat> {
    let size = u32::from_be_bytes(head.get(0..4)?.try_into().ok()?) as usize;
    let major: &[u8; 4] = head.get(8..12)?.try_into().ok()?;
    let end = size.clamp(16, 16 + 4 * 64).min(head.len());
    let compat: Vec<&[u8]> = head
        .get(16..end)
        .unwrap_or_default()
        .chunks_exact(4)
        .collect();
    let has = |b: &[u8; 4]| major == b || compat.iter().any(|c| *c == b);
    if major == b"avif" || major == b"avis" || (major == b"mif1" && has(b"avif")) {
        return Some(MediaFormat::Avif);
    }
    if HEIF_BRANDS.contains(&major) || major == b"msf1" {
        return Some(MediaFormat::Heic);
    }
    if M4A_BRANDS.contains(&major) {
        return Some(MediaFormat::M4a);
    }
    if major == b"qt  " {
        return Some(MediaFormat::Mov);
    }
    if MP4_BRANDS.contains(&major)
        || MP4_EXTRA_BRANDS.contains(&major)
        || MP4_BRANDS.iter().any(|b| has(b))
    {
        return Some(MediaFormat::Mp4);
    }
    if HEIF_BRANDS.iter().any(|b| has(b)) {
        return Some(MediaFormat::Heic);
    }
    None
}

/// MPEG audio or ADTS AAC by frame sync, with the header fields sanity-checked.
fn sniff_mpeg_audio(head: &[u8]) -> Option<MediaFormat> {
    let [b0, b1, b2, ..] = *head else {
        return None;
    };
    if b0 != 0xFF || b1 & 0xE0 != 0xE0 {
        return None;
    }
    // ADTS: 12-bit sync, layer 00.
    if b1 & 0xF6 == 0xF0 {
        let sampling_index = (b2 >> 2) & 0x0F;
        return (sampling_index <= 12).then_some(MediaFormat::Aac);
    }
    let version = (b1 >> 3) & 0x03;
    let layer = (b1 >> 1) & 0x03;
    let bitrate = b2 >> 4;
    let rate = (b2 >> 2) & 0x03;
    (version != 1 && layer != 0 && bitrate != 0x0F && rate != 0x03).then_some(MediaFormat::Mp3)
}

/// Describes content that [`sniff`] did not recognise, in Chinese.
fn describe_unknown(head: &[u8]) -> String {
    if head.is_empty() {
        return "空文件".to_string();
    }
    let text = match std::str::from_utf8(head) {
        Ok(s) => Some(s),
        // The head may cut a multi-byte character.
        Err(e) if e.valid_up_to() + 4 > head.len() => {
            std::str::from_utf8(&head[..e.valid_up_to()]).ok()
        }
        Err(_) => None,
    };
    match text {
        Some(s) if s.chars().all(|c| !c.is_control() || c.is_whitespace()) => {
            "文本内容".to_string()
        }
        _ => {
            let hex: Vec<String> = head.iter().take(8).map(|b| format!("{b:02X}")).collect();
            format!("无法识别的内容，开头字节 {}", hex.join(" "))
        }
    }
}

fn describe(format: Option<MediaFormat>, head: &[u8]) -> String {
    match format {
        Some(f) => f.label().to_string(),
        None => describe_unknown(head),
    }
}

/// What the officer should have given for this kind, in Chinese.
fn kind_expectation(kind: EvidenceKind) -> &'static str {
    match kind {
        EvidenceKind::Photo => "照片（JPEG、PNG 或 HEIC 图像）",
        EvidenceKind::Signature => "签名图像（PNG 或 JPEG）",
        EvidenceKind::Audio => "录音（AAC/M4A、WAV、Opus/Ogg 或 MP3）",
        EvidenceKind::Video => "录像（MP4 或 MOV）",
        EvidenceKind::Document => "文件（PDF、JPEG 或 PNG）",
    }
}

/// The formats a declared media type allows, with its Chinese description; `None`
/// for types that say nothing checkable (unknown, `application/octet-stream`).
fn declared_formats(declared: &str) -> Option<(&'static [MediaFormat], &'static str)> {
    use MediaFormat as F;
    let t = declared
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    Some(match t.as_str() {
        "image/jpeg" | "image/jpg" | "image/pjpeg" => (&[F::Jpeg], "JPEG 图像"),
        "image/png" | "image/x-png" => (&[F::Png], "PNG 图像"),
        "image/heic" | "image/heif" | "image/heic-sequence" | "image/heif-sequence" => {
            (&[F::Heic], "HEIC 图像")
        }
        "image/avif" => (&[F::Avif], "AVIF 图像"),
        "image/gif" => (&[F::Gif], "GIF 图像"),
        "image/webp" => (&[F::WebP], "WebP 图像"),
        "image/tiff" => (&[F::Tiff], "TIFF 图像"),
        "audio/wav" | "audio/x-wav" | "audio/wave" | "audio/vnd.wave" => (&[F::Wav], "WAV 录音"),
        "audio/mpeg" | "audio/mp3" | "audio/mpeg3" | "audio/x-mpeg-3" => (&[F::Mp3], "MP3 录音"),
        "audio/aac" | "audio/aacp" | "audio/x-aac" => (&[F::Aac, F::M4a, F::Mp4], "AAC 录音"),
        "audio/mp4" | "audio/m4a" | "audio/x-m4a" => (&[F::M4a, F::Mp4], "M4A 录音"),
        "audio/ogg" | "audio/opus" | "application/ogg" => (&[F::Ogg], "Ogg 音频"),
        "audio/flac" | "audio/x-flac" => (&[F::Flac], "FLAC 录音"),
        "audio/amr" => (&[F::Amr], "AMR 录音"),
        // Both ISO-BMFF; MOV files are often labelled video/mp4.
        "video/mp4" => (&[F::Mp4, F::Mov], "MP4 录像"),
        "video/quicktime" => (&[F::Mov, F::Mp4], "MOV 录像"),
        "video/3gpp" | "audio/3gpp" | "video/3gpp2" | "audio/3gpp2" => (&[F::Mp4], "3GP 音视频"),
        "video/webm" | "audio/webm" | "video/x-matroska" => (&[F::Matroska], "MKV/WebM 视频"),
        "video/x-msvideo" | "video/avi" => (&[F::Avi], "AVI 视频"),
        "application/pdf" => (&[F::Pdf], "PDF 文件"),
        _ => return None,
    })
}

/// Checks the sniffed format against the kind and the declared media type.
fn check_format(
    kind: EvidenceKind,
    declared: Option<&str>,
    format: Option<MediaFormat>,
    head: &[u8],
) -> Result<MediaFormat, EvidenceError> {
    // A known format this device takes for no kind (AVIF, GIF, FLAC, WebM...): say
    // so and what to do, whatever media type the app claimed.
    if let Some(f) = format
        && !f.accepted_for(kind)
        && !f.accepted_somewhere()
    {
        return Err(unsupported(f, kind));
    }
    if let Some((allowed, expected)) = declared.and_then(declared_formats)
        && !format.is_some_and(|f| allowed.contains(&f))
    {
        return Err(EvidenceError::ContentMismatch {
            expected: expected.to_string(),
            found: describe(format, head),
        });
    }
    match format {
        Some(f) if f.accepted_for(kind) => Ok(f),
        _ => Err(EvidenceError::ContentMismatch {
            expected: kind_expectation(kind).to_string(),
            found: describe(format, head),
        }),
    }
}

fn unsupported(format: MediaFormat, kind: EvidenceKind) -> EvidenceError {
    let hint = match format {
        MediaFormat::Avif => {
            "本设备无法解码 AVIF 照片。请将相机格式设为 JPEG 后重新拍摄；原照片请保留在手机上"
                .to_string()
        }
        _ => format!(
            "{}不接受 {} 格式，请使用{}；原文件请保留在原设备上",
            kind.label(),
            format.name(),
            kind_expectation(kind)
        ),
    };
    EvidenceError::UnsupportedFormat {
        format: format.name().to_string(),
        hint,
    }
}

/// Formats a byte count as Chinese-UI "MB" (of [`MIB`] bytes), e.g. `30 MB`, `45.3 MB`.
pub fn format_mb(bytes: u64) -> String {
    let mb = bytes as f64 / MIB as f64;
    let s = if mb >= 100.0 {
        format!("{mb:.0}")
    } else if mb >= 0.1 {
        format!("{mb:.1}")
    } else if mb >= 0.001 {
        format!("{mb:.3}")
    } else {
        return format!("{bytes} 字节");
    };
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    format!("{s} MB")
}

/// A leading space before Latin text that follows Chinese (`不是 JPEG 图像`).
fn cjk_spaced(s: &str) -> String {
    if s.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        format!(" {s}")
    } else {
        s.to_string()
    }
}

fn mb_of(bytes: &u64) -> String {
    format_mb(*bytes)
}

fn megapixels(pixels: u64) -> String {
    let mp = format!("{:.1}", pixels as f64 / 1_000_000.0);
    mp.strip_suffix(".0").map(str::to_string).unwrap_or(mp)
}

fn read_err(path: &Path, source: io::Error) -> EvidenceError {
    EvidenceError::Blob(BlobError::Read {
        path: path.to_path_buf(),
        source,
    })
}

fn write_err(source: io::Error) -> EvidenceError {
    EvidenceError::Blob(BlobError::Write(source))
}

/// A file streamed into the blob directory's temporary area, hashed, not yet
/// committed under its hash.
struct Staged {
    tmp: NamedTempFile,
    sha256: String,
    size: u64,
}

/// Streams `head` then the rest of `src` into a temporary file in the blob
/// directory, hashing on the way, stopping with [`EvidenceError::TooLarge`] past
/// `limit`.
fn stage(
    blobs: &BlobStore,
    path: &Path,
    head: &[u8],
    src: &mut impl Read,
    kind: EvidenceKind,
    limit: u64,
) -> Result<Staged, EvidenceError> {
    let dir = blobs.tmp_dir();
    fs::create_dir_all(&dir).map_err(write_err)?;
    let mut tmp = NamedTempFile::new_in(&dir).map_err(write_err)?;
    let mut hasher = Sha256::new();
    hasher.update(head);
    tmp.write_all(head).map_err(write_err)?;
    let mut size = head.len() as u64;
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = match src.read(&mut buf) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(read_err(path, e)),
        };
        if n == 0 {
            break;
        }
        size += n as u64;
        if size > limit {
            // The file grew after its size was checked.
            return Err(EvidenceError::TooLarge { kind, size, limit });
        }
        hasher.update(&buf[..n]);
        tmp.write_all(&buf[..n]).map_err(write_err)?;
    }
    if size == 0 {
        return Err(EvidenceError::Empty);
    }
    tmp.flush().map_err(write_err)?;
    Ok(Staged {
        tmp,
        sha256: hex::encode(hasher.finalize()),
        size,
    })
}

/// Commits a validated staged file under its hash.
fn commit(blobs: &BlobStore, staged: Staged) -> Result<StoredBlob, EvidenceError> {
    Ok(blobs.commit_temp(staged.tmp, staged.sha256, staged.size)?)
}

/// Reads up to `n` bytes (fewer only at end of file).
fn read_head(r: &mut impl Read, n: usize) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(n);
    r.take(n as u64).read_to_end(&mut head)?;
    Ok(head)
}

/// Checks, ingests and stores one evidence file; see the [module docs](self) for
/// the order of work. On any error nothing is stored under the file's hash.
pub fn ingest_file(
    blobs: &BlobStore,
    path: &Path,
    req: &IngestRequest<'_>,
    limits: &EvidenceLimits,
) -> Result<Ingested, EvidenceError> {
    let mut file = File::open(path).map_err(|e| read_err(path, e))?;
    let len = file.metadata().map_err(|e| read_err(path, e))?.len();
    let limit = limits.max_bytes(req.kind);
    if len > limit {
        return Err(EvidenceError::TooLarge {
            kind: req.kind,
            size: len,
            limit,
        });
    }
    let head = read_head(&mut file, SNIFF_LEN).map_err(|e| read_err(path, e))?;
    if head.is_empty() {
        return Err(EvidenceError::Empty);
    }
    let format = check_format(req.kind, req.declared_media_type, sniff(&head), &head)?;

    let mut staged = stage(blobs, path, &head, &mut file, req.kind, limit)?;
    drop(file);

    let mut exif_warning = None;
    let mut derived: Vec<(DerivedImage, Vec<u8>)> = Vec::new();
    let mut photo = None;
    let mut upload_copy = None;
    if format.is_image() {
        let f = staged.tmp.as_file_mut();
        let checked = check_image(f, format, staged.size, req.kind, limits)?;
        exif_warning = checked.exif_warning;
        photo = Some(PhotoInfo {
            width: checked.width,
            height: checked.height,
            orientation: checked.orientation,
            exif_time: checked.exif_time,
            exif_lat: checked.exif_lat,
            exif_lon: checked.exif_lon,
            display: checked.display.0.clone(),
            thumbnail: checked.thumbnail.0.clone(),
        });
        derived.push(checked.display);
        derived.push(checked.thumbnail);
        if let Some(u) = checked.upload_copy {
            upload_copy = Some(u.0.clone());
            derived.push(u);
        }
    } else if format == MediaFormat::Pdf {
        check_pdf(staged.tmp.as_file_mut(), staged.size)?;
    }

    // Everything that can find the file bad has run: commit the original first, then
    // the derived copies (whose loss would only cost a re-derivation).
    let original = commit(blobs, staged)?;
    for (d, bytes) in derived {
        let stored = blobs.put_reader(Cursor::new(bytes))?;
        debug_assert_eq!(stored.sha256, d.sha256);
    }
    Ok(Ingested {
        original,
        kind: req.kind,
        media_type: format.media_type(req.kind).to_string(),
        format,
        capture: CaptureMeta {
            captured_by: req.captured_by.to_string(),
            device_id: req.device_id.to_string(),
            step: req.step,
            device_time: req.device_time,
            lat: req.lat,
            lon: req.lon,
        },
        photo,
        upload_copy,
        exif_warning,
    })
}

/// What [`check_image`] learnt and made; the derived JPEGs are not stored yet.
struct CheckedImage {
    width: u32,
    height: u32,
    orientation: u16,
    exif_time: Option<NaiveDateTime>,
    exif_lat: Option<f64>,
    exif_lon: Option<f64>,
    exif_warning: Option<String>,
    display: (DerivedImage, Vec<u8>),
    thumbnail: (DerivedImage, Vec<u8>),
    upload_copy: Option<(DerivedImage, Vec<u8>)>,
}

/// Validates an image file completely (structure, full decode) and makes its
/// derived copies.
fn check_image(
    file: &mut File,
    format: MediaFormat,
    size: u64,
    kind: EvidenceKind,
    limits: &EvidenceLimits,
) -> Result<CheckedImage, EvidenceError> {
    // The largest derived image decides how far a JPEG may be decoded at reduced scale.
    let upload_copy_possible = kind == EvidenceKind::Photo && limits.allow_reduced_upload_copy;
    let largest = if upload_copy_possible {
        DISPLAY_MAX_LONG_SIDE.max(limits.upload_copy_max_long_side.max(1))
    } else {
        DISPLAY_MAX_LONG_SIDE
    };
    let (img, exif, (width, height)) = match format {
        MediaFormat::Heic => {
            let (img, exif) = decode_heic(file, size, limits)?;
            let dims = (img.width(), img.height());
            (img, exif, dims)
        }
        MediaFormat::Jpeg => decode_jpeg(file, size, limits, largest)?,
        _ => {
            let (img, exif) = decode_jpeg_png(file, format, size, limits)?;
            let dims = (img.width(), img.height());
            (img, exif, dims)
        }
    };
    let orientation = exif.orientation.unwrap_or(1);
    let rgb = flatten_to_rgb(img);

    let display_img = shrink(&rgb, DISPLAY_MAX_LONG_SIDE)?;
    let display_src = display_img.as_ref().unwrap_or(&rgb);
    let thumbnail_img = shrink(display_src, THUMBNAIL_MAX_LONG_SIDE)?;
    let thumbnail = encode_jpeg(
        thumbnail_img.as_ref().unwrap_or(display_src),
        DISPLAY_JPEG_QUALITY,
    )?;
    let display = encode_jpeg(display_src, DISPLAY_JPEG_QUALITY)?;
    drop(display_img);

    let long_side = width.max(height);
    let upload_copy = if upload_copy_possible
        && (size > limits.upload_copy_above_bytes || long_side > limits.upload_copy_above_long_side)
    {
        let reduced = shrink(&rgb, limits.upload_copy_max_long_side.max(1))?;
        let copy = encode_jpeg(reduced.as_ref().unwrap_or(&rgb), UPLOAD_COPY_JPEG_QUALITY)?;
        // A "reduced" copy no smaller than the original is no use.
        (copy.0.size < size).then_some(copy)
    } else {
        None
    };

    Ok(CheckedImage {
        width,
        height,
        orientation,
        exif_time: exif.time,
        exif_lat: exif.lat,
        exif_lon: exif.lon,
        exif_warning: exif.warning,
        display,
        thumbnail,
        upload_copy,
    })
}

/// Checks a JPEG's structure, reads its EXIF and decodes every block of it, at the
/// smallest DCT scale that still covers `long_side` pixels (issue 19 item 5); applies
/// its EXIF orientation. Returns the (possibly reduced) pixels and the full size
/// after the turn. Pixel formats the scaled path does not handle are decoded in full.
fn decode_jpeg(
    file: &mut File,
    size: u64,
    limits: &EvidenceLimits,
    long_side: u32,
) -> Result<(DynamicImage, ExifFields, (u32, u32)), EvidenceError> {
    let corrupt = |detail: String| EvidenceError::Corrupt {
        format: "JPEG",
        detail,
    };
    let io_corrupt = |e: io::Error| corrupt(format!("读取失败：{e}"));
    // One read of the staged copy (a photo is at most `photo_max_bytes`); the
    // structure walk, EXIF and decoder all work on it.
    file.seek(SeekFrom::Start(0)).map_err(io_corrupt)?;
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    file.read_to_end(&mut bytes).map_err(io_corrupt)?;
    check_jpeg_structure(&mut Cursor::new(&bytes[..])).map_err(corrupt)?;
    let exif = read_exif(&mut Cursor::new(&bytes[..]));

    let max_bytes =
        usize::try_from(limits.photo_max_pixels.saturating_mul(8)).unwrap_or(usize::MAX);
    let check = |w: u32, h: u32| {
        check_pixels(w, h, limits)
            .map_err(|e| e.unwrap_or_else(|| corrupt(format!("图像尺寸为 {w}×{h}"))))
    };
    let scaled = match derive::decode_jpeg_scaled(&bytes, long_side, max_bytes, check) {
        Ok(s) => s,
        Err(derive::ScaledError::Corrupt(e)) => {
            return Err(corrupt(format!("图像数据无法解码：{e}")));
        }
        Err(derive::ScaledError::Refused(e)) => return Err(e),
        Err(derive::ScaledError::Unsupported) => {
            drop(bytes);
            let (img, exif) = decode_jpeg_png(file, MediaFormat::Jpeg, size, limits)?;
            let dims = (img.width(), img.height());
            return Ok((img, exif, dims));
        }
    };
    let mut img = DynamicImage::ImageRgb8(scaled.img);
    let mut dims = (scaled.full_width, scaled.full_height);
    if let Some(o) = exif
        .orientation
        .and_then(|o| u8::try_from(o).ok())
        .and_then(Orientation::from_exif)
    {
        img.apply_orientation(o);
        if matches!(
            o,
            Orientation::Rotate90
                | Orientation::Rotate270
                | Orientation::Rotate90FlipH
                | Orientation::Rotate270FlipH
        ) {
            dims = (dims.1, dims.0);
        }
    }
    Ok((img, exif, dims))
}

/// Decodes a JPEG or PNG completely, after checking its structure, and applies its
/// EXIF orientation.
fn decode_jpeg_png(
    file: &mut File,
    format: MediaFormat,
    size: u64,
    limits: &EvidenceLimits,
) -> Result<(DynamicImage, ExifFields), EvidenceError> {
    let name = format.name();
    let corrupt = |detail: String| EvidenceError::Corrupt {
        format: name,
        detail,
    };
    let io_corrupt = |e: io::Error| corrupt(format!("读取失败：{e}"));

    file.seek(SeekFrom::Start(0)).map_err(io_corrupt)?;
    {
        let mut r = BufReader::new(&mut *file);
        match format {
            MediaFormat::Jpeg => check_jpeg_structure(&mut r),
            _ => check_png_structure(&mut r, size),
        }
        .map_err(corrupt)?;
    }

    file.seek(SeekFrom::Start(0)).map_err(io_corrupt)?;
    let exif = read_exif(&mut BufReader::new(&mut *file));

    file.seek(SeekFrom::Start(0)).map_err(io_corrupt)?;
    let image_format = match format {
        MediaFormat::Jpeg => ImageFormat::Jpeg,
        _ => ImageFormat::Png,
    };
    let mut reader = ImageReader::with_format(BufReader::new(&mut *file), image_format);
    let mut image_limits = image::Limits::default();
    image_limits.max_alloc = Some(
        limits
            .photo_max_pixels
            .saturating_mul(8)
            .max(image_limits.max_alloc.unwrap_or(0)),
    );
    reader.limits(image_limits);
    let decoder = reader
        .into_decoder()
        .map_err(|e| corrupt(format!("无法读取图像头：{e}")))?;
    let (w, h) = decoder.dimensions();
    check_pixels(w, h, limits)
        .map_err(|e| e.unwrap_or_else(|| corrupt(format!("图像尺寸为 {w}×{h}"))))?;
    let mut img = DynamicImage::from_decoder(decoder)
        .map_err(|e| corrupt(format!("图像数据无法解码：{e}")))?;
    if let Some(o) = exif
        .orientation
        .and_then(|o| u8::try_from(o).ok())
        .and_then(Orientation::from_exif)
    {
        img.apply_orientation(o);
    }
    Ok((img, exif))
}

/// `Err(None)` for an empty image, `Err(Some(TooManyPixels))` past the limit.
fn check_pixels(w: u32, h: u32, limits: &EvidenceLimits) -> Result<(), Option<EvidenceError>> {
    if w == 0 || h == 0 {
        return Err(None);
    }
    if u64::from(w) * u64::from(h) > limits.photo_max_pixels {
        return Err(Some(EvidenceError::TooManyPixels {
            width: w,
            height: h,
            limit: limits.photo_max_pixels,
        }));
    }
    Ok(())
}

fn heic_hint(detail: impl fmt::Display) -> EvidenceError {
    EvidenceError::UnsupportedFormat {
        format: "HEIC".to_string(),
        hint: format!(
            "无法解码此 HEIC 照片（{detail}），无法核验照片完整性。请在手机“设置 → 相机 → 格式”中选择“兼容性最佳”（JPEG）后重新拍摄；原照片请保留在手机上"
        ),
    }
}

/// Decodes a HEIC photo completely with the pure-Rust `heic-rs` decoder. The
/// container's own rotation and mirroring (`irot`, `imir`) are applied by the
/// decoder; as the HEIF standard says, the EXIF orientation tag is not applied on top
/// (iPhones write both, meaning the same turn). The decoder takes the whole file as
/// a slice: a photo is at most [`EvidenceLimits::photo_max_bytes`].
fn decode_heic(
    file: &mut File,
    size: u64,
    limits: &EvidenceLimits,
) -> Result<(DynamicImage, ExifFields), EvidenceError> {
    let corrupt = |detail: String| EvidenceError::Corrupt {
        format: "HEIC",
        detail,
    };
    let io_corrupt = |e: io::Error| corrupt(format!("读取失败：{e}"));
    let heic_err = |e: heic_rs::Error| match e {
        heic_rs::Error::Unsupported(_) => heic_hint(e),
        heic_rs::Error::PixelLimit { .. } => corrupt(format!("图像尺寸超出上限：{e}")),
        e => corrupt(e.to_string()),
    };

    file.seek(SeekFrom::Start(0)).map_err(io_corrupt)?;
    let exif = read_exif(&mut BufReader::new(&mut *file));

    file.seek(SeekFrom::Start(0)).map_err(io_corrupt)?;
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    file.read_to_end(&mut bytes).map_err(io_corrupt)?;
    let info = heic_rs::probe(&bytes).map_err(heic_err)?;
    let (w, h) = (info.width, info.height);
    check_pixels(w, h, limits)
        .map_err(|e| e.unwrap_or_else(|| corrupt(format!("图像尺寸为 {w}×{h}"))))?;

    // Refuse what the decoder cannot honour (strict) rather than show it wrongly.
    let options = heic_rs::DecodeOptions::default()
        .with_layout(heic_rs::PixelLayout::Rgb8)
        .with_max_pixels(Some(limits.photo_max_pixels))
        .with_transforms(true)
        .with_alpha(false)
        .with_strict(true)
        .with_threads(Some(1));
    // The decoder is young: a panic on a hostile file must not take the app down.
    let decoded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        heic_rs::decode(&bytes, &options)
    }))
    .map_err(|_| corrupt("解码器内部错误".to_string()))?
    .map_err(heic_err)?;
    drop(bytes);
    let (w, h) = (decoded.width, decoded.height);
    let img = RgbImage::from_raw(w, h, decoded.data)
        .ok_or_else(|| corrupt(format!("解码结果与尺寸 {w}×{h} 不符")))?;
    Ok((DynamicImage::ImageRgb8(img), exif))
}

/// Converts to RGB for JPEG, putting transparent parts (signatures on PNG) on white.
fn flatten_to_rgb(img: DynamicImage) -> RgbImage {
    if !img.color().has_alpha() {
        return img.into_rgb8();
    }
    let rgba = img.into_rgba8();
    let (w, h) = rgba.dimensions();
    RgbImage::from_fn(w, h, |x, y| {
        let p = rgba.get_pixel(x, y).0;
        let a = u32::from(p[3]);
        let mix = |c: u8| ((u32::from(c) * a + 255 * (255 - a) + 127) / 255) as u8;
        image::Rgb([mix(p[0]), mix(p[1]), mix(p[2])])
    })
}

/// A copy whose long side is at most `max_long_side`, or `None` when the image is
/// already that small (images are never enlarged).
fn shrink(img: &RgbImage, max_long_side: u32) -> Result<Option<RgbImage>, EvidenceError> {
    derive::shrink(img, max_long_side).map_err(EvidenceError::Derive)
}

fn encode_jpeg(img: &RgbImage, quality: u8) -> Result<(DerivedImage, Vec<u8>), EvidenceError> {
    let bytes = derive::encode_jpeg(img, quality).map_err(EvidenceError::Derive)?;
    let d = DerivedImage {
        sha256: hex::encode(Sha256::digest(&bytes)),
        size: bytes.len() as u64,
        width: img.width(),
        height: img.height(),
    };
    Ok((d, bytes))
}

/// EXIF fields the record keeps.
#[derive(Default)]
struct ExifFields {
    orientation: Option<u16>,
    time: Option<NaiveDateTime>,
    lat: Option<f64>,
    lon: Option<f64>,
    warning: Option<String>,
}

fn exif_warning(detail: impl fmt::Display) -> String {
    format!("照片的 EXIF 元数据损坏，已忽略无法读取的部分（{detail}）；照片本身完好，已保存")
}

/// Reads orientation, `DateTimeOriginal` and GPS position. Never fails: a broken
/// EXIF block gives a warning, not an error.
fn read_exif<R: BufRead + Seek>(r: &mut R) -> ExifFields {
    use exif::{In, Tag};
    let mut out = ExifFields::default();
    let exif = match exif::Reader::new()
        .continue_on_error(true)
        .read_from_container(r)
    {
        Ok(exif) => exif,
        Err(exif::Error::NotFound(_)) => return out,
        Err(exif::Error::PartialResult(partial)) => {
            let (exif, errors) = partial.into_inner();
            let detail: Vec<String> = errors.iter().take(3).map(ToString::to_string).collect();
            out.warning = Some(exif_warning(detail.join("；")));
            exif
        }
        Err(e) => {
            out.warning = Some(exif_warning(e));
            return out;
        }
    };
    let mut problems = Vec::new();

    if let Some(f) = exif.get_field(Tag::Orientation, In::PRIMARY) {
        match f.value.get_uint(0) {
            Some(v @ 1..=8) => out.orientation = Some(v as u16),
            _ => problems.push(format!("方向值无效：{}", f.display_value())),
        }
    }

    if let Some(f) = exif.get_field(Tag::DateTimeOriginal, In::PRIMARY) {
        match &f.value {
            exif::Value::Ascii(v) if !v.is_empty() => match exif::DateTime::from_ascii(&v[0]) {
                Ok(dt) => match naive(&dt) {
                    Some(t) => out.time = Some(t),
                    None => problems.push(format!("拍摄时间无效：{dt}")),
                },
                Err(exif::Error::BlankValue(_)) => {}
                Err(e) => problems.push(format!("拍摄时间无法解析：{e}")),
            },
            _ => problems.push("拍摄时间类型错误".to_string()),
        }
    }

    let coord =
        |value: Tag, reference: Tag, negative: u8, max: f64| -> Result<Option<f64>, String> {
            let Some(f) = exif.get_field(value, In::PRIMARY) else {
                return Ok(None);
            };
            let exif::Value::Rational(parts) = &f.value else {
                return Err(format!("{value} 类型错误"));
            };
            let mut deg = 0.0;
            for (i, p) in parts.iter().take(3).enumerate() {
                if p.denom == 0 {
                    return Err(format!("{value} 分母为零"));
                }
                deg += p.to_f64() / [1.0, 60.0, 3600.0][i];
            }
            let sign = match exif.get_field(reference, In::PRIMARY).map(|r| &r.value) {
                Some(exif::Value::Ascii(v))
                    if v.first().and_then(|s| s.first()) == Some(&negative) =>
                {
                    -1.0
                }
                _ => 1.0,
            };
            let v = sign * deg;
            if parts.is_empty() || !v.is_finite() || v.abs() > max {
                return Err(format!("{value} 超出范围"));
            }
            Ok(Some(v))
        };
    match (
        coord(Tag::GPSLatitude, Tag::GPSLatitudeRef, b'S', 90.0),
        coord(Tag::GPSLongitude, Tag::GPSLongitudeRef, b'W', 180.0),
    ) {
        (Ok(Some(lat)), Ok(Some(lon))) => {
            out.lat = Some(lat);
            out.lon = Some(lon);
        }
        (Ok(_), Ok(_)) => {}
        (a, b) => {
            problems.extend(a.err());
            problems.extend(b.err());
        }
    }

    if !problems.is_empty() {
        let detail = problems.join("；");
        out.warning = Some(match out.warning.take() {
            Some(w) => format!("{w}；{detail}"),
            None => exif_warning(detail),
        });
    }
    out
}

fn naive(dt: &exif::DateTime) -> Option<NaiveDateTime> {
    NaiveDate::from_ymd_opt(i32::from(dt.year), u32::from(dt.month), u32::from(dt.day))?
        .and_hms_opt(
            u32::from(dt.hour),
            u32::from(dt.minute),
            u32::from(dt.second),
        )
}

/// A byte reader that counts its position, for error messages.
struct Pos<'a, R> {
    r: &'a mut R,
    pos: u64,
}

impl<R: BufRead> Pos<'_, R> {
    fn eof(&self) -> String {
        format!("文件在第 {} 字节处意外结束", self.pos)
    }
    fn byte(&mut self) -> Result<u8, String> {
        let mut b = [0u8; 1];
        match self.r.read_exact(&mut b) {
            Ok(()) => {
                self.pos += 1;
                Ok(b[0])
            }
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Err(self.eof()),
            Err(e) => Err(format!("读取失败：{e}")),
        }
    }
    fn u16be(&mut self) -> Result<u16, String> {
        Ok(u16::from_be_bytes([self.byte()?, self.byte()?]))
    }
    fn skip(&mut self, n: u64) -> Result<(), String> {
        let copied = io::copy(&mut (&mut *self.r).take(n), &mut io::sink())
            .map_err(|e| format!("读取失败：{e}"))?;
        self.pos += copied;
        if copied < n {
            return Err(self.eof());
        }
        Ok(())
    }
    /// Skips entropy-coded data up to the next real marker and returns its code.
    fn scan_to_marker(&mut self) -> Result<u8, String> {
        loop {
            let buf = self.r.fill_buf().map_err(|e| format!("读取失败：{e}"))?;
            if buf.is_empty() {
                return Err(self.eof());
            }
            match buf.iter().position(|&b| b == 0xFF) {
                None => {
                    let n = buf.len();
                    self.r.consume(n);
                    self.pos += n as u64;
                }
                Some(i) => {
                    self.r.consume(i + 1);
                    self.pos += i as u64 + 1;
                    let mut m = self.byte()?;
                    while m == 0xFF {
                        m = self.byte()?;
                    }
                    // Stuffed 0xFF byte, or a restart marker inside the scan.
                    if m == 0x00 || (0xD0..=0xD7).contains(&m) {
                        continue;
                    }
                    return Ok(m);
                }
            }
        }
    }
}

/// Walks the JPEG marker structure from SOI to EOI, skipping entropy-coded data,
/// so that a truncated file is found even though the decoder would accept it.
fn check_jpeg_structure<R: BufRead>(r: &mut R) -> Result<(), String> {
    let mut p = Pos { r, pos: 0 };
    if p.byte()? != 0xFF || p.byte()? != 0xD8 {
        return Err("缺少 JPEG 开始标记（SOI）".to_string());
    }
    let mut frame = false;
    let mut scan = false;
    let mut next: Option<u8> = None;
    loop {
        let marker = match next.take() {
            Some(m) => m,
            None => {
                // Tolerate stray bytes between segments, as decoders do.
                let mut b = p.byte()?;
                while b != 0xFF {
                    b = p.byte()?;
                }
                while b == 0xFF {
                    b = p.byte()?;
                }
                b
            }
        };
        match marker {
            0xD9 => {
                return if frame && scan {
                    Ok(())
                } else {
                    Err("没有图像数据".to_string())
                };
            }
            0x00 | 0x01 | 0xD0..=0xD8 => {}
            0xDA => {
                if !frame {
                    return Err("扫描数据出现在帧头之前".to_string());
                }
                let len = p.u16be()?;
                if len < 2 {
                    return Err(format!("第 {} 字节处段长度无效", p.pos));
                }
                p.skip(u64::from(len) - 2)?;
                scan = true;
                next = Some(p.scan_to_marker()?);
            }
            m => {
                let len = p.u16be()?;
                if len < 2 {
                    return Err(format!("第 {} 字节处段长度无效", p.pos));
                }
                // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC).
                if (0xC0..=0xCF).contains(&m) && !matches!(m, 0xC4 | 0xC8 | 0xCC) {
                    frame = true;
                }
                p.skip(u64::from(len) - 2)?;
            }
        }
    }
}

/// Walks the PNG chunks from the signature to IEND.
fn check_png_structure<R: BufRead>(r: &mut R, size: u64) -> Result<(), String> {
    let mut p = Pos { r, pos: 0 };
    p.skip(8)?;
    let mut first = true;
    let mut data = false;
    loop {
        let mut len = [0u8; 4];
        for b in &mut len {
            *b = p.byte()?;
        }
        let len = u32::from_be_bytes(len);
        let mut ty = [0u8; 4];
        for b in &mut ty {
            *b = p.byte()?;
        }
        if len > 0x7FFF_FFFF || u64::from(len) + 4 > size.saturating_sub(p.pos) {
            return Err(p.eof());
        }
        if first && &ty != b"IHDR" {
            return Err("缺少 IHDR 块".to_string());
        }
        first = false;
        data |= &ty == b"IDAT";
        p.skip(u64::from(len) + 4)?;
        if &ty == b"IEND" {
            return if data {
                Ok(())
            } else {
                Err("没有图像数据（IDAT）".to_string())
            };
        }
    }
}

/// A PDF must end with `%%EOF` (within its last KiB): a cheap truncation check.
fn check_pdf(file: &mut File, size: u64) -> Result<(), EvidenceError> {
    let tail_len = size.min(1024);
    let mut tail = Vec::new();
    file.seek(SeekFrom::Start(size - tail_len))
        .and_then(|_| file.take(tail_len).read_to_end(&mut tail))
        .map_err(|e| EvidenceError::Corrupt {
            format: "PDF",
            detail: format!("读取失败：{e}"),
        })?;
    if tail.windows(5).any(|w| w == b"%%EOF") {
        Ok(())
    } else {
        Err(EvidenceError::Corrupt {
            format: "PDF",
            detail: "缺少 %%EOF 结尾，文件不完整".to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_common_magics() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(MediaFormat::Jpeg));
        assert_eq!(sniff(b"RIFF\0\0\0\0WAVEfmt "), Some(MediaFormat::Wav));
        assert_eq!(
            sniff(b"\0\0\0\x18ftypheic\0\0\0\0mif1heic"),
            Some(MediaFormat::Heic)
        );
        assert_eq!(
            sniff(b"\0\0\0\x18ftypmif1\0\0\0\0mif1avif"),
            Some(MediaFormat::Avif)
        );
        assert_eq!(
            sniff(b"\0\0\0\x18ftypM4A \0\0\0\0M4A isom"),
            Some(MediaFormat::M4a)
        );
        assert_eq!(
            sniff(b"\0\0\0\x14ftypqt  \0\0\0\0qt  "),
            Some(MediaFormat::Mov)
        );
        assert_eq!(
            sniff(b"\0\0\0\x18ftypisom\0\0\x02\0isomiso2"),
            Some(MediaFormat::Mp4)
        );
        assert_eq!(sniff(b"ID3\x04\0\0\0\0\0\0"), Some(MediaFormat::Mp3));
        assert_eq!(sniff(&[0xFF, 0xFB, 0x90, 0x64]), Some(MediaFormat::Mp3));
        assert_eq!(sniff(&[0xFF, 0xF1, 0x50, 0x80]), Some(MediaFormat::Aac));
        assert_eq!(sniff(b"OggS\0\x02"), Some(MediaFormat::Ogg));
        assert_eq!(
            sniff(b"ID3\x04\0\0\0\0\0\x02ab\xFF\xF1\x50\x80"),
            Some(MediaFormat::Aac)
        );
        assert_eq!(sniff(b"\0\0\x10\0mdat"), Some(MediaFormat::Mov));
        assert_eq!(sniff(b"abcdfree and more text"), None);
        assert_eq!(sniff(b"hello world"), None);
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn mb_formatting() {
        assert_eq!(format_mb(30 * MIB), "30 MB");
        assert_eq!(format_mb(4096 * MIB), "4096 MB");
        assert_eq!(format_mb(MIB + MIB / 2), "1.5 MB");
        assert_eq!(format_mb(10), "10 字节");
    }

    #[test]
    fn declared_type_parameters_are_ignored() {
        assert!(declared_formats("Image/JPEG; q=1").is_some());
        assert!(declared_formats("application/octet-stream").is_none());
    }
}
