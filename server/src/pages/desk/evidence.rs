//! Evidence for the desk: originals and thumbnails.
//!
//! `GET /desk/inspections/{id}/evidence/{sha}` serves the original bytes with the
//! media type of the document's evidence reference, inline, with Range support
//! (audio and video seek). Each view is written to the access log (R-REC-7): one
//! entry per request without a `Range` header or with a range starting at byte 0,
//! so a player's follow-up range requests do not flood the log.
//!
//! The bytes stream from the evidence store (a local directory or S3, issue 18):
//! never read whole into memory.
//!
//! `GET .../evidence/{sha}/thumb` answers a JPEG of at most [`THUMB_MAX`] pixels a
//! side, made once and cached under `data_dir/thumbs/<sha>.jpg` (written
//! atomically; the original is streamed to a temporary file there to decode it). A preview is not an access of the original and is not logged. A
//! file that does not decode gets a "无法预览" placeholder image, never an error.

use std::path::{Path as FsPath, PathBuf};

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use liuhen_domain::blobs::is_sha256_hex;
use liuhen_domain::doc::InspectionDoc;
use liuhen_domain::inspection::{EvidenceKind, EvidenceRef};

use super::DESK_ROLES;
use super::access::{ClientIp, record_access};
use crate::pages::web::page::{WebError, same_agency};
use crate::pages::web::session::WebUser;
use crate::state::AppState;
use crate::storage::access::AccessAction;

/// Largest side of a thumbnail, in pixels.
pub const THUMB_MAX: u32 = 320;

/// JPEG quality of thumbnails.
const THUMB_QUALITY: u8 = 80;

/// Largest image side the thumbnailer decodes (bigger files get the placeholder).
const DECODE_MAX_SIDE: u32 = 16_384;

/// Most memory one decode may take.
const DECODE_MAX_ALLOC: u64 = 256 * 1024 * 1024;

/// The placeholder shown for a file that cannot be previewed.
pub const PLACEHOLDER_SVG: &str = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"320\" \
height=\"240\" viewBox=\"0 0 320 240\"><rect width=\"320\" height=\"240\" fill=\"#eaeef2\"/>\
<text x=\"160\" y=\"128\" font-size=\"24\" text-anchor=\"middle\" fill=\"#59636e\" \
font-family=\"sans-serif\">无法预览</text></svg>";

/// Media types served inline; anything else is offered as a download of
/// `application/octet-stream` (an officer's device must not be able to make the
/// desk render HTML or script from its origin).
const INLINE_TYPES: &[&str] = &[
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "image/heic",
    "image/heif",
    "application/pdf",
];

/// Routes of this page.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/desk/inspections/{id}/evidence/{sha}", get(original))
        .route("/desk/inspections/{id}/evidence/{sha}/thumb", get(thumb))
}

/// URL of an original piece of evidence.
pub fn original_url(inspection_id: &str, sha: &str) -> String {
    format!("/desk/inspections/{inspection_id}/evidence/{sha}")
}

/// URL of a thumbnail.
pub fn thumb_url(inspection_id: &str, sha: &str) -> String {
    format!("/desk/inspections/{inspection_id}/evidence/{sha}/thumb")
}

/// The evidence reference `sha` of inspection `id`, if the user may see it and
/// the user's agency received the bytes; otherwise the matching error page (404
/// for another agency's record, a foreign hash, or a file the agency's devices
/// have not uploaded yet, even when another agency uploaded the same bytes).
async fn locate(
    st: &AppState,
    user: &WebUser,
    id: &str,
    sha: &str,
) -> Result<EvidenceRef, WebError> {
    user.require(DESK_ROLES)?;
    let rec = st
        .storage
        .doc(id)
        .await?
        .ok_or_else(|| WebError::NotFound("该检查记录".into()))?;
    same_agency(&user.user, &rec.agency_id, "该检查记录")?;
    if !is_sha256_hex(sha) {
        return Err(WebError::NotFound("该证据".into()));
    }
    let inspection = InspectionDoc::load(&rec.bytes)
        .and_then(|d| d.read())
        .map_err(|e| WebError::Internal(format!("inspection {id} unreadable: {e}")))?;
    let ev = inspection
        .evidence_by_hash(sha)
        .cloned()
        .ok_or_else(|| WebError::NotFound("该证据（不属于此检查记录）".into()))?;
    // Evidence belongs to the agency that uploaded it (issue 16 item 6): only the
    // agency's own receipt counts, never the same bytes uploaded by another agency.
    let received = st
        .storage
        .blobs_of(id)
        .await?
        .iter()
        .any(|b| b.sha256 == sha && b.received_at.is_some());
    let stored = st
        .blobs
        .contains(sha)
        .await
        .map_err(|e| WebError::Internal(format!("evidence store: {e}")))?;
    if !received || !stored {
        return Err(WebError::NotFound(
            "该证据文件：执法人员的设备尚未把它上传到平台".into(),
        ));
    }
    Ok(ev)
}

/// The media type the original is served as, and whether it is shown inline.
fn served_type(ev: &EvidenceRef) -> (String, bool) {
    let essence = ev
        .media_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let media_kind = matches!(ev.kind, EvidenceKind::Audio | EvidenceKind::Video);
    let safe_token = !essence.is_empty()
        && essence
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '+' | '-'));
    let inline = safe_token
        && (INLINE_TYPES.contains(&essence.as_str())
            || (media_kind && (essence.starts_with("audio/") || essence.starts_with("video/"))));
    if inline {
        (essence, true)
    } else {
        ("application/octet-stream".into(), false)
    }
}

/// Whether this request counts as one view in the access log: a GET without a
/// range, or with a range starting at byte 0 (a player's first request).
pub fn counts_as_view(method: &Method, headers: &HeaderMap) -> bool {
    if method != Method::GET {
        return false;
    }
    match headers.get(header::RANGE) {
        None => true,
        Some(v) => v
            .to_str()
            .ok()
            .and_then(|r| r.trim().strip_prefix("bytes="))
            .is_some_and(|r| r.trim_start().starts_with("0-")),
    }
}

fn protect(headers: &mut HeaderMap) {
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
}

async fn original(
    State(st): State<AppState>,
    user: WebUser,
    ip: ClientIp,
    Path((id, sha)): Path<(String, String)>,
    req: Request,
) -> Result<Response, WebError> {
    let ev = locate(&st, &user, &id, &sha).await?;
    if counts_as_view(req.method(), req.headers()) {
        let action = match ev.kind {
            EvidenceKind::Audio | EvidenceKind::Video => AccessAction::PlayRecording,
            _ => AccessAction::ViewOriginal,
        };
        // R-REC-7: nothing is served unless the view was recorded.
        record_access(
            &st,
            &user.user,
            &id,
            action,
            Some(format!("{}:{}", ev.kind.as_str(), ev.sha256)),
            ip.0,
        )
        .await?;
    }
    let vanished = || WebError::NotFound("该证据文件".into());
    let size = st
        .blobs
        .size(&sha)
        .await
        .map_err(|e| WebError::Internal(format!("evidence store: {e}")))?
        .ok_or_else(vanished)?;
    let range = match byte_range(req.headers(), size) {
        Ok(r) => r,
        Err(()) => {
            let mut r = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{size}")) {
                r.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            return Ok(r);
        }
    };
    let read = match st.blobs.get(&sha, range.clone()).await {
        Ok(read) => read,
        // Vanished between the check and the read.
        Err(liuhen_server_blobs::BlobsError::Missing(_)) => return Err(vanished()),
        Err(e) => return Err(WebError::Internal(format!("serving blob {sha}: {e}"))),
    };
    let mut resp = Response::new(Body::from_stream(read.stream));
    let (mut parts, body) = {
        let h = resp.headers_mut();
        h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
        h.insert(
            header::CONTENT_LENGTH,
            HeaderValue::from(read.range.end - read.range.start),
        );
        if range.is_some() {
            *resp.status_mut() = StatusCode::PARTIAL_CONTENT;
            if let Ok(v) = HeaderValue::from_str(&format!(
                "bytes {}-{}/{}",
                read.range.start,
                read.range.end.saturating_sub(1),
                read.size
            )) {
                resp.headers_mut().insert(header::CONTENT_RANGE, v);
            }
        }
        resp.into_parts()
    };
    let (media_type, inline) = served_type(&ev);
    let h = &mut parts.headers;
    if let Ok(v) = HeaderValue::from_str(&media_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static(if inline { "inline" } else { "attachment" }),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    protect(h);
    Ok(Response::from_parts(parts, Body::new(body)))
}

/// The single byte range a `Range: bytes=…` header asks for, within a blob of
/// `size` bytes: None without a usable header (the whole blob), Err when it
/// cannot be satisfied (416). Several ranges are answered with the whole blob.
fn byte_range(headers: &HeaderMap, size: u64) -> Result<Option<std::ops::Range<u64>>, ()> {
    let Some(spec) = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().strip_prefix("bytes="))
    else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((a, b)) = spec.trim().split_once('-') else {
        return Ok(None);
    };
    let (a, b) = (a.trim(), b.trim());
    let range = if a.is_empty() {
        // The last `b` bytes.
        let n: u64 = b.parse().map_err(|_| ())?;
        if n == 0 {
            return Err(());
        }
        size.saturating_sub(n)..size
    } else {
        let start: u64 = a.parse().map_err(|_| ())?;
        let end = if b.is_empty() {
            size
        } else {
            b.parse::<u64>()
                .map_err(|_| ())?
                .saturating_add(1)
                .min(size)
        };
        start..end
    };
    if range.start >= range.end || range.start >= size {
        return Err(());
    }
    Ok(Some(range))
}

fn image_response(content_type: &'static str, body: Vec<u8>) -> Response {
    let mut r = (StatusCode::OK, body).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=3600"),
    );
    protect(h);
    r
}

fn placeholder() -> Response {
    image_response("image/svg+xml", PLACEHOLDER_SVG.as_bytes().to_vec())
}

/// Why a thumbnail could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ThumbError {
    /// The file is not an image this server decodes.
    #[error("cannot decode: {0}")]
    Decode(#[from] image::ImageError),
    /// The thumbnail could not be encoded.
    #[error("cannot encode: {0}")]
    Encode(#[from] jpeg_encoder::EncodingError),
    /// Reading the original or writing the cache failed.
    #[error("file: {0}")]
    Io(#[from] std::io::Error),
}

/// Makes (or reads from the cache in `thumbs_dir`) the JPEG thumbnail of the
/// image at `original`, of at most [`THUMB_MAX`] pixels a side. Transparent parts
/// are laid on white. Blocking.
pub fn make_thumbnail(
    original: &FsPath,
    thumbs_dir: &FsPath,
    sha: &str,
) -> Result<Vec<u8>, ThumbError> {
    let cached = thumbs_dir.join(format!("{sha}.jpg"));
    match std::fs::read(&cached) {
        Ok(bytes) => return Ok(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e.into()),
    }
    let mut reader = image::ImageReader::open(original)?.with_guessed_format()?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(DECODE_MAX_SIDE);
    limits.max_image_height = Some(DECODE_MAX_SIDE);
    limits.max_alloc = Some(DECODE_MAX_ALLOC);
    reader.limits(limits);
    let img = reader.decode()?.thumbnail(THUMB_MAX, THUMB_MAX).to_rgba8();
    // Laid on white, then encoded from plain RGB bytes by jpeg-encoder: the generic
    // pixel and encoder code of `image` ran unoptimised in test builds (issue 17).
    let (w, h) = (img.width(), img.height());
    let rgb: Vec<u8> = img
        .as_raw()
        .chunks_exact(4)
        .flat_map(|p| {
            let a = u16::from(p[3]);
            let over_white = |c: u8| ((u16::from(c) * a + 255 * (255 - a)) / 255) as u8;
            [over_white(p[0]), over_white(p[1]), over_white(p[2])]
        })
        .collect();
    let side = |v: u32| u16::try_from(v).map_err(|_| std::io::Error::other("thumbnail too large"));
    let mut jpeg = Vec::new();
    jpeg_encoder::Encoder::new(&mut jpeg, THUMB_QUALITY).encode(
        &rgb,
        side(w)?,
        side(h)?,
        jpeg_encoder::ColorType::Rgb,
    )?;
    std::fs::create_dir_all(thumbs_dir)?;
    let tmp = thumbs_dir.join(format!(".{sha}.{}.tmp", uuid::Uuid::now_v7()));
    std::fs::write(&tmp, &jpeg)?;
    if let Err(e) = std::fs::rename(&tmp, &cached) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e.into());
    }
    Ok(jpeg)
}

/// Directory of cached thumbnails.
pub fn thumbs_dir(st: &AppState) -> PathBuf {
    st.config.data_dir.join("thumbs")
}

async fn thumb(
    State(st): State<AppState>,
    user: WebUser,
    Path((id, sha)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let ev = locate(&st, &user, &id, &sha).await?;
    let is_image = matches!(ev.kind, EvidenceKind::Photo | EvidenceKind::Signature)
        || ev.media_type.starts_with("image/");
    if !is_image {
        return Ok(placeholder());
    }
    let dir = thumbs_dir(&st);
    if let Ok(jpeg) = tokio::fs::read(dir.join(format!("{sha}.jpg"))).await {
        return Ok(image_response("image/jpeg", jpeg));
    }
    // Streamed from the store into a temporary file beside the cache, decoded
    // there, then removed.
    tokio::fs::create_dir_all(&dir)
        .await
        .map_err(|e| WebError::Internal(format!("thumbnail directory: {e}")))?;
    let original = dir.join(format!(".{sha}.{}.orig", uuid::Uuid::now_v7()));
    let made = match st.blobs.copy_to_file(&sha, &original).await {
        Err(e) => Err(ThumbError::Io(std::io::Error::other(e.to_string()))),
        Ok(_) => {
            let (orig, sha2) = (original.clone(), sha.clone());
            let task = tokio::task::spawn_blocking(move || make_thumbnail(&orig, &dir, &sha2));
            task.await
                .map_err(|e| WebError::Internal(format!("thumbnail task: {e}")))?
        }
    };
    let _ = tokio::fs::remove_file(&original).await;
    match made {
        Ok(jpeg) => Ok(image_response("image/jpeg", jpeg)),
        Err(e) => {
            tracing::warn!(sha = %sha, error = %e, "no thumbnail; placeholder shown");
            Ok(placeholder())
        }
    }
}
