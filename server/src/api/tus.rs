//! Evidence upload with the tus 1.0 protocol: core protocol plus the `creation` and
//! `checksum` (sha256) extensions, under [`FILES_PATH`] (`/api/v1/files`).
//!
//! - `OPTIONS /api/v1/files` — what the server supports (`Tus-Version`,
//!   `Tus-Extension`, `Tus-Max-Size`, `Tus-Checksum-Algorithm`).
//! - `POST /api/v1/files` — creates an upload. `Upload-Length` and `Upload-Metadata`
//!   with `sha256` (declared hash, hex) and `inspection_id` are required,
//!   `filename` and `media_type` optional. The device's officer must be allowed to
//!   see the inspection and its document must reference the blob (so a blob goes
//!   up only after the document that needs it has synced). If the device's agency
//!   already received the blob, the new upload is complete at once
//!   (`Upload-Offset` equals `Upload-Length`): no bytes are sent twice.
//!
//! Evidence belongs to the agency that uploaded it (issue 16 item 6). The bytes are
//! stored once by content address, but receipt is granted per agency: another
//! agency holding the same bytes changes nothing for this one (its device sends
//! the bytes itself, and each upload is logged). No answer — create, `HEAD`,
//! `PATCH` or an error — depends on another agency's records or evidence: an
//! inspection of another agency is answered exactly like one not on the server.
//! - `HEAD /api/v1/files/{id}` — how far the upload got (resume from there).
//! - `PATCH /api/v1/files/{id}` — appends bytes at `Upload-Offset`. Bytes are
//!   written as they stream in, so a dropped connection keeps what arrived. With
//!   `Upload-Checksum: sha256 <base64>` the bytes of this request are checked first
//!   and discarded on mismatch (460). When the last byte is in, the pieces are
//!   streamed in order through SHA-256 into a staging object: on a match it moves
//!   to the blob's address and the blob is marked received; otherwise the upload
//!   is discarded (460, `blob_hash_mismatch`).
//!
//! Several server instances (issue 18 item 2): the upload's state is in the
//! database ([`crate::storage::uploads::UploadStorage`]) and its bytes are pieces in
//! the evidence store (`uploads/<id>/<start>-<request>`), so any instance can take
//! any request. The offset only moves by a conditional update (it must still equal
//! the piece's start), and one request writes an upload at a time through a lease
//! in the database: a new `PATCH` claims the upload, the running one sees it (it
//! polls every [`CLAIM_POLL`]) and stops keeping what it confirmed, and the new one
//! writes once the lease is released or has lapsed (the instance holding it died;
//! [`crate::state::Config::upload_lease`], by default [`DEFAULT_LEASE`]). An
//! unchecked `PATCH` confirms a piece every [`PIECE_SIZE`] bytes and when it ends, so a crash of the server loses at most that much.
//!
//! R-REC-4 (recordings on the platform within 24 hours): the server keeps when each
//! blob was captured (from the document) and when it arrived; [`is_late`] flags
//! late ones and late arrivals are logged.

use std::pin::Pin;
use std::time::Duration as StdDuration;

use axum::Router;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{Path as UrlPath, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::Duration;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use liuhen_domain::blobs::is_sha256_hex;
pub use liuhen_domain::upload::FILES_PATH;
use liuhen_domain::upload::{
    CODE_BLOB_HASH, CODE_CHUNK_CHECKSUM, CODE_INTERRUPTED, ERROR_CODE_HEADER, OFFSET_OCTET_STREAM,
    STATUS_CHECKSUM_MISMATCH, TUS_CHECKSUM_ALGORITHMS, TUS_EXTENSIONS, TUS_VERSION, meta,
    parse_metadata,
};
use liuhen_server_blobs::{BlobsError, EvidenceStore, PieceWriter};

use crate::auth::DeviceAuth;
use crate::error::AppError;
use crate::state::AppState;
use crate::storage::uploads::{Lease, UploadPiece, UploadRecord};

pub use crate::storage::{UPLOAD_DEADLINE, is_late};

/// Message of a whole-file hash mismatch.
pub const HASH_MISMATCH_MESSAGE: &str = "文件内容与声明的哈希不符，已丢弃；请重新上传";

/// A `PATCH` that receives nothing for this long stops (keeping what arrived).
const IDLE_TIMEOUT: StdDuration = StdDuration::from_secs(60);

/// How long a `PATCH` waits for an earlier request on the same upload to stop.
const LOCK_WAIT: StdDuration = StdDuration::from_secs(30);

/// How often a request waiting for the lease tries again.
const LEASE_RETRY: StdDuration = StdDuration::from_millis(50);

/// How often a writing request checks whether a newer one claimed the upload.
pub const CLAIM_POLL: StdDuration = StdDuration::from_millis(200);

/// How long a lease lasts unless renewed, by default: a request on an instance
/// that died blocks the upload at most this long (`serve --upload-lease-secs`).
pub const DEFAULT_LEASE: Duration = Duration::seconds(20);

/// The shortest lease `serve --upload-lease-secs` accepts: a writing request
/// renews it every quarter of its length.
pub const MIN_LEASE_SECS: u32 = 2;

/// How often a writing request renews a lease of length `lease`: four times per
/// lease, so a renewal delayed by a busy machine does not let it lapse.
fn renew_every(lease: Duration) -> StdDuration {
    lease.to_std().unwrap_or(StdDuration::from_secs(20)) / 4
}

/// An unchecked `PATCH` confirms its bytes (one piece object) every this many.
pub const PIECE_SIZE: u64 = 8 * 1024 * 1024;

/// Incomplete uploads untouched for this long are deleted by [`purge_stale`].
pub const STALE_AFTER: Duration = Duration::days(7);

/// Completed upload records are kept this long (so a client that missed the last
/// answer still finds its upload complete), then deleted by [`purge_stale`].
pub const COMPLETED_KEPT: Duration = Duration::days(2);

const TUS_RESUMABLE: HeaderName = HeaderName::from_static("tus-resumable");
const TUS_VERSION_H: HeaderName = HeaderName::from_static("tus-version");
const UPLOAD_OFFSET: HeaderName = HeaderName::from_static("upload-offset");
const UPLOAD_LENGTH: HeaderName = HeaderName::from_static("upload-length");

/// Routes: `OPTIONS`/`POST` [`FILES_PATH`], `HEAD`/`PATCH`/`OPTIONS`
/// `{FILES_PATH}/{id}`; every answer carries `Tus-Resumable: 1.0.0`, and requests
/// other than `OPTIONS` without it get 412.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(FILES_PATH, post(create).options(options))
        .route(
            &format!("{FILES_PATH}/{{id}}"),
            axum::routing::head(head).patch(patch).options(options),
        )
        .layer(middleware::from_fn(tus_resumable))
}

// ---- errors -------------------------------------------------------------------

fn err(status: StatusCode, code: &'static str, message: impl Into<String>) -> AppError {
    AppError::custom(status, code, message)
}

fn status_460() -> StatusCode {
    StatusCode::from_u16(STATUS_CHECKSUM_MISMATCH).unwrap_or(StatusCode::BAD_REQUEST)
}

fn not_found() -> AppError {
    err(
        StatusCode::NOT_FOUND,
        "upload_not_found",
        "找不到此上传（可能已过期或已被丢弃），请重新上传",
    )
}

fn io_err(context: &str, e: impl std::fmt::Display) -> AppError {
    AppError::internal(format!("tus {context}: {e}"))
}

// ---- middleware and OPTIONS ---------------------------------------------------

/// 412 without `Tus-Resumable: 1.0.0` (except `OPTIONS`); the header on every answer.
async fn tus_resumable(req: Request, next: Next) -> Response {
    let ok = req.method() == Method::OPTIONS
        || req
            .headers()
            .get(&TUS_RESUMABLE)
            .and_then(|v| v.to_str().ok())
            == Some(TUS_VERSION);
    let is_head = req.method() == Method::HEAD;
    let mut resp = if ok {
        let resp = next.run(req).await;
        if is_head && !resp.status().is_success() {
            error_code_header(resp).await
        } else {
            resp
        }
    } else {
        let mut r = err(
            StatusCode::PRECONDITION_FAILED,
            "tus_version_unsupported",
            format!("上传协议版本不受支持：请求须带 Tus-Resumable: {TUS_VERSION}"),
        )
        .into_response();
        r.headers_mut()
            .insert(TUS_VERSION_H, HeaderValue::from_static(TUS_VERSION));
        r
    };
    resp.headers_mut()
        .insert(TUS_RESUMABLE, HeaderValue::from_static(TUS_VERSION));
    resp
}

/// A `HEAD` answer has no body: the error code goes into [`ERROR_CODE_HEADER`] so
/// a client can tell `token_revoked` from `token_invalid`.
async fn error_code_header(resp: Response) -> Response {
    let (mut parts, body) = resp.into_parts();
    if let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await
        && let Ok(v) = serde_json::from_slice::<serde_json::Value>(&bytes)
        && let Some(code) = v.get("code").and_then(|c| c.as_str())
        && let Ok(value) = HeaderValue::from_str(code)
    {
        parts.headers.insert(ERROR_CODE_HEADER, value);
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::empty())
}

/// `OPTIONS`: the protocol versions, extensions, size limit and checksum algorithms.
async fn options(State(state): State<AppState>) -> Response {
    let mut h = HeaderMap::new();
    h.insert(TUS_VERSION_H, HeaderValue::from_static(TUS_VERSION));
    h.insert("tus-extension", HeaderValue::from_static(TUS_EXTENSIONS));
    h.insert(
        "tus-checksum-algorithm",
        HeaderValue::from_static(TUS_CHECKSUM_ALGORITHMS),
    );
    h.insert("tus-max-size", num(state.config.max_upload_bytes));
    (StatusCode::NO_CONTENT, h).into_response()
}

fn num(n: u64) -> HeaderValue {
    HeaderValue::from(n)
}

// ---- upload records and the write lease ---------------------------------------

fn store_err(e: BlobsError) -> AppError {
    io_err("evidence store", e)
}

/// Upload ids are UUIDs we made; anything else is unknown (and never a key).
pub fn valid_id(id: &str) -> Result<String, AppError> {
    uuid::Uuid::parse_str(id)
        .map(|u| u.hyphenated().to_string())
        .map_err(|_| not_found())
}

/// The caller's upload, or 404 (also for another user's upload).
async fn owned(state: &AppState, user_id: &str, id: &str) -> Result<UploadRecord, AppError> {
    match state.storage.upload(id).await? {
        Some(info) if info.user_id == user_id => Ok(info),
        _ => Err(not_found()),
    }
}

fn locked() -> AppError {
    err(
        StatusCode::LOCKED,
        "upload_locked",
        "此上传正被另一请求写入，请稍后重试",
    )
}

/// The right of one request (`writer`) to write one upload, on any instance.
struct WriteLease {
    id: String,
    writer: String,
}

impl WriteLease {
    /// Claims the upload (a running request sees it and stops) and waits, at most
    /// [`LOCK_WAIT`], for the lease.
    async fn take(state: &AppState, id: &str) -> Result<WriteLease, AppError> {
        let writer = uuid::Uuid::now_v7().simple().to_string();
        if !state.storage.claim_upload(id, &writer).await? {
            return Err(not_found());
        }
        let deadline = tokio::time::Instant::now() + LOCK_WAIT;
        loop {
            let now = state.clock.now();
            match state
                .storage
                .take_upload_lease(id, &writer, now, now + state.config.upload_lease)
                .await?
            {
                Lease::Held => {
                    return Ok(WriteLease {
                        id: id.to_string(),
                        writer,
                    });
                }
                Lease::Gone => return Err(not_found()),
                // An even newer request came meanwhile: it writes, not this one.
                Lease::Superseded => return Err(locked()),
                Lease::Busy if tokio::time::Instant::now() >= deadline => return Err(locked()),
                Lease::Busy => tokio::time::sleep(LEASE_RETRY).await,
            }
        }
    }

    /// Renews the lease; false if a newer request claimed the upload (stop).
    async fn renew(&self, state: &AppState) -> Result<bool, AppError> {
        let now = state.clock.now();
        Ok(state
            .storage
            .take_upload_lease(&self.id, &self.writer, now, now + state.config.upload_lease)
            .await?
            == Lease::Held)
    }

    /// Whether a newer request claimed the upload (a cheap read).
    async fn superseded(&self, state: &AppState) -> bool {
        match state.storage.upload_claimant(&self.id).await {
            Ok(claimant) => claimant.as_deref() != Some(self.writer.as_str()),
            Err(e) => {
                tracing::warn!(upload = %self.id, error = %e, "cannot read the upload's claimant");
                false
            }
        }
    }

    async fn release(self, state: &AppState) {
        if let Err(e) = state
            .storage
            .release_upload_lease(&self.id, &self.writer)
            .await
        {
            tracing::warn!(upload = %self.id, error = %e, "cannot release an upload lease; it lapses");
        }
    }
}

// ---- POST (creation) ----------------------------------------------------------

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

fn header_u64(headers: &HeaderMap, name: &str) -> Result<Option<u64>, AppError> {
    match headers.get(name) {
        None => Ok(None),
        Some(v) => v
            .to_str()
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
            .map(Some)
            .ok_or_else(|| AppError::invalid(name, "应为非负整数")),
    }
}

/// `POST`: creates an upload for a blob a visible document references.
async fn create(
    State(state): State<AppState>,
    auth: DeviceAuth,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    if headers.contains_key("upload-defer-length") {
        return Err(AppError::invalid(
            "Upload-Defer-Length",
            "不支持延后声明长度，请提供 Upload-Length",
        ));
    }
    let length = header_u64(&headers, "upload-length")?
        .ok_or_else(|| AppError::invalid("Upload-Length", "缺少上传长度"))?;
    if length == 0 {
        return Err(AppError::invalid(
            "Upload-Length",
            "文件为空（0 字节），不能作为证据",
        ));
    }
    let max = state.config.max_upload_bytes;
    if length > max {
        return Err(err(
            StatusCode::PAYLOAD_TOO_LARGE,
            "upload_too_large",
            format!("文件大小 {} 超过服务器允许的上限 {}", mib(length), mib(max)),
        ));
    }
    let raw_meta = header_str(&headers, "upload-metadata").unwrap_or("");
    let pairs =
        parse_metadata(raw_meta).map_err(|reason| AppError::invalid("Upload-Metadata", reason))?;
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let sha256 = get(meta::SHA256)
        .map(|s| s.to_ascii_lowercase())
        .filter(|s| is_sha256_hex(s))
        .ok_or_else(|| AppError::invalid("Upload-Metadata.sha256", "应为 64 位十六进制 SHA-256"))?;
    let inspection_id = get(meta::INSPECTION_ID)
        .ok_or_else(|| AppError::invalid("Upload-Metadata.inspection_id", "缺少检查记录编号"))?;

    // The blob must be referenced by that inspection's document, which the
    // device's officer may see. Another agency's inspection is answered exactly
    // like one that is not on the server (issue 16 item 6: nothing about another
    // agency's records leaks through an upload).
    let not_referenced = || {
        err(
            StatusCode::FORBIDDEN,
            "blob_not_referenced",
            format!(
                "服务器上的检查记录 {inspection_id} 没有引用此证据文件；请先同步检查记录再上传"
            ),
        )
    };
    let Some(doc) = state
        .storage
        .doc(&inspection_id)
        .await?
        .filter(|d| d.agency_id == auth.user.agency_id)
    else {
        return Err(not_referenced());
    };
    let on_record = auth
        .user
        .officer_id
        .as_ref()
        .is_some_and(|o| doc.officer_ids.contains(o));
    if !on_record {
        return Err(err(
            StatusCode::FORBIDDEN,
            "upload_forbidden",
            "无权为此检查记录上传证据",
        ));
    }
    // Received as far as this agency is concerned (its own grant).
    let Some(record) = state
        .storage
        .blobs_of(&inspection_id)
        .await?
        .into_iter()
        .find(|b| b.sha256 == sha256)
    else {
        return Err(not_referenced());
    };

    let now = state.clock.now();
    let id = uuid::Uuid::now_v7().hyphenated().to_string();
    let mut info = UploadRecord {
        id: id.clone(),
        sha256: sha256.clone(),
        inspection_id,
        filename: get(meta::FILENAME),
        media_type: get(meta::MEDIA_TYPE),
        metadata: raw_meta.to_string(),
        length,
        offset: 0,
        user_id: auth.user.id.clone(),
        device_id: auth.device.id.clone(),
        created_at: now,
        updated_at: now,
        completed_at: None,
        verified: false,
    };

    // The agency already received it: a complete upload, nothing to send. (Bytes
    // another agency uploaded do not count: this agency's device sends its own.)
    let received =
        record.received_at.is_some() && state.blobs.contains(&sha256).await.map_err(store_err)?;
    if received {
        info.offset = length;
        info.completed_at = Some(now);
        state.storage.create_upload(&info).await?;
        tracing::info!(upload = %id, sha256 = %sha256, agency = %auth.user.agency_id, device = %auth.device.id, "blob already received by the agency; upload complete");
    } else {
        state.storage.create_upload(&info).await?;
        tracing::info!(upload = %id, sha256 = %sha256, length, device = %auth.device.id, "upload created");
    }

    let mut h = HeaderMap::new();
    let location = format!("{FILES_PATH}/{id}");
    h.insert(
        header::LOCATION,
        HeaderValue::from_str(&location).map_err(|e| io_err("location", e))?,
    );
    if received {
        h.insert(UPLOAD_OFFSET, num(length));
    }
    Ok((StatusCode::CREATED, h).into_response())
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
}

// ---- HEAD ---------------------------------------------------------------------

/// `HEAD`: the offset to resume from.
async fn head(
    State(state): State<AppState>,
    auth: DeviceAuth,
    UrlPath(id): UrlPath<String>,
) -> Result<Response, AppError> {
    let id = valid_id(&id)?;
    let mut info = owned(&state, &auth.user.id, &id).await?;
    if info.offset == info.length && info.completed_at.is_none() {
        // Every byte arrived but the check did not run (interrupted): run it now,
        // so a complete offset always means a verified, received blob. In its own
        // task, so a client that goes away does not cut it short.
        let state2 = state.clone();
        let id = id.clone();
        info = tokio::spawn(async move {
            let lease = WriteLease::take(&state2, &id).await?;
            let out = match state2.storage.upload(&id).await? {
                Some(info) if info.completed_at.is_none() => finalize(&state2, info).await,
                Some(info) => Ok(info),
                None => Err(not_found()),
            };
            lease.release(&state2).await;
            out
        })
        .await
        .map_err(|e| io_err("finalize task", e))??;
    }
    if info.completed_at.is_none() && info.offset > 0 && pieces_lost(&state, &id).await? {
        // The offset must be one the store can back (a piece lost with a disk or a
        // bucket restored from an older copy): start over rather than let the
        // device send the rest of a blob that can never assemble.
        tracing::warn!(upload = %id, offset = info.offset, "upload pieces missing; the upload starts over at 0");
        let forgotten = state.storage.restart_upload(&id, state.clock.now()).await?;
        for p in &forgotten {
            delete_piece(&state, &p.key).await;
        }
        info.offset = 0;
    }
    let offset = if info.completed_at.is_some() {
        info.length
    } else {
        info.offset
    };
    let mut h = HeaderMap::new();
    h.insert(UPLOAD_OFFSET, num(offset));
    h.insert(UPLOAD_LENGTH, num(info.length));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if !info.metadata.is_empty()
        && let Ok(v) = HeaderValue::from_str(&info.metadata)
    {
        h.insert("upload-metadata", v);
    }
    Ok((StatusCode::OK, h).into_response())
}

/// Whether a confirmed piece of the upload is missing from the evidence store (one
/// listing of the upload's objects, however many pieces it has).
async fn pieces_lost(state: &AppState, id: &str) -> Result<bool, AppError> {
    let pieces = state.storage.upload_pieces(id).await?;
    if pieces.is_empty() {
        return Ok(false);
    }
    let stored = state
        .blobs
        .upload_object_keys(id)
        .await
        .map_err(store_err)?;
    Ok(pieces.iter().any(|p| !stored.contains(&p.key)))
}

// ---- PATCH --------------------------------------------------------------------

/// `PATCH`: appends the body at `Upload-Offset`.
async fn patch(
    State(state): State<AppState>,
    auth: DeviceAuth,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, AppError> {
    let id = valid_id(&id)?;
    let content_type = header_str(&headers, "content-type")
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    if content_type.as_deref() != Some(OFFSET_OCTET_STREAM) {
        return Err(err(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("上传内容类型应为 {OFFSET_OCTET_STREAM}"),
        ));
    }
    let offset = header_u64(&headers, "upload-offset")?
        .ok_or_else(|| AppError::invalid("Upload-Offset", "缺少上传位置"))?;
    let checksum = match header_str(&headers, "upload-checksum") {
        None => None,
        Some(v) => Some(parse_checksum(v)?),
    };
    let content_length = header_u64(&headers, "content-length")?;
    let req = PatchRequest {
        user_id: auth.user.id,
        id,
        offset,
        checksum,
        content_length,
    };
    // In its own task: if the client disconnects, hyper drops this handler, but
    // the task still confirms the bytes that arrived.
    let offset = tokio::spawn(patch_task(state, req, body))
        .await
        .map_err(|e| io_err("patch task", e))??;
    let mut h = HeaderMap::new();
    h.insert(UPLOAD_OFFSET, num(offset));
    Ok((StatusCode::NO_CONTENT, h).into_response())
}

/// The digest of an `Upload-Checksum` header (`sha256 <base64>`, tus checksum
/// extension); any other algorithm or a malformed value is a clear 400.
pub fn parse_checksum(v: &str) -> Result<[u8; 32], AppError> {
    let (algo, digest) = v
        .split_once(' ')
        .ok_or_else(|| AppError::invalid("Upload-Checksum", "格式应为“算法 base64摘要”"))?;
    if !algo.trim().eq_ignore_ascii_case("sha256") {
        return Err(err(
            StatusCode::BAD_REQUEST,
            "checksum_algorithm_unsupported",
            format!("不支持的校验算法 {algo}，请使用 {TUS_CHECKSUM_ALGORITHMS}"),
        ));
    }
    STANDARD
        .decode(digest.trim())
        .ok()
        .and_then(|d| <[u8; 32]>::try_from(d.as_slice()).ok())
        .ok_or_else(|| AppError::invalid("Upload-Checksum", "sha256 摘要应为 32 字节的 base64"))
}

struct PatchRequest {
    user_id: String,
    id: String,
    offset: u64,
    checksum: Option<[u8; 32]>,
    content_length: Option<u64>,
}

/// How reading the body ended.
enum End {
    /// All of it arrived.
    Complete,
    /// More than the upload's length.
    Overflow,
    /// The connection broke, went silent, or a newer request took over.
    Interrupted(String),
}

async fn next_data(body: &mut Body) -> Option<Result<Bytes, axum::Error>> {
    loop {
        let frame = std::future::poll_fn(|cx| Pin::new(&mut *body).poll_frame(cx)).await?;
        match frame {
            Ok(frame) => {
                if let Ok(data) = frame.into_data() {
                    return Some(Ok(data));
                }
                // Trailers: nothing to keep.
            }
            Err(e) => return Some(Err(e)),
        }
    }
}

async fn patch_task(state: AppState, req: PatchRequest, body: Body) -> Result<u64, AppError> {
    let info = owned(&state, &req.user_id, &req.id).await?;
    if info.completed_at.is_some() {
        // Complete (verified, or the blob was already here): nothing more to take.
        return Ok(info.length);
    }
    let lease = WriteLease::take(&state, &req.id).await?;
    let out = write_under_lease(&state, &lease, req, body).await;
    lease.release(&state).await;
    out
}

fn offset_mismatch(start: u64, asked: u64) -> AppError {
    err(
        StatusCode::CONFLICT,
        "offset_mismatch",
        format!(
            "上传位置不一致：服务器已收到 {start} 字节，本次请求从第 {asked} 字节开始；请先查询进度（HEAD）再继续"
        ),
    )
}

async fn write_under_lease(
    state: &AppState,
    lease: &WriteLease,
    req: PatchRequest,
    mut body: Body,
) -> Result<u64, AppError> {
    // Read again under the lease: an earlier request may have moved the offset.
    let info = owned(state, &req.user_id, &req.id).await?;
    if info.completed_at.is_some() {
        return Ok(info.length);
    }
    let start = info.offset;
    if start == info.length {
        return finalize(state, info).await.map(|i| i.length);
    }
    if req.offset != start {
        return Err(offset_mismatch(start, req.offset));
    }
    let remaining = info.length - start;
    if req.content_length.is_some_and(|n| n > remaining) {
        return Err(too_long(remaining));
    }

    let mut sink = PieceSink {
        state,
        id: info.id.clone(),
        writer: lease.writer.clone(),
        checked: req.checksum.is_some(),
        next_start: start,
        current: None,
        pending: Vec::new(),
    };
    let mut hasher = req.checksum.map(|_| Sha256::new());
    let mut poll = tokio::time::interval(CLAIM_POLL);
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_data = tokio::time::Instant::now();
    let mut last_renew = tokio::time::Instant::now();
    let renew = renew_every(state.config.upload_lease);
    let end = loop {
        let next = tokio::select! {
            next = tokio::time::timeout_at(last_data + IDLE_TIMEOUT, next_data(&mut body)) => next,
            _ = poll.tick() => {
                if lease.superseded(state).await {
                    break End::Interrupted("superseded by a newer request".into());
                }
                if last_renew.elapsed() >= renew {
                    last_renew = tokio::time::Instant::now();
                    if !lease.renew(state).await? {
                        break End::Interrupted("lease lost".into());
                    }
                }
                continue;
            }
        };
        let data = match next {
            Err(_) => break End::Interrupted("idle timeout".into()),
            Ok(None) => break End::Complete,
            Ok(Some(Err(e))) => break End::Interrupted(e.to_string()),
            Ok(Some(Ok(data))) => data,
        };
        last_data = tokio::time::Instant::now();
        if sink.received(start) + data.len() as u64 > remaining {
            break End::Overflow;
        }
        if let Some(h) = hasher.as_mut() {
            h.update(&data);
        }
        if let Err(e) = sink.write(data).await {
            sink.discard().await;
            return Err(e);
        }
    };

    let discard = |why: &str| {
        tracing::info!(upload = %req.id, offset = start, why, "chunk discarded");
    };
    match &end {
        End::Overflow => {
            discard("longer than the upload");
            sink.discard().await;
            return Err(too_long(remaining));
        }
        End::Interrupted(why) if hasher.is_some() => {
            // A partial chunk cannot be checked against its checksum.
            discard(why);
            sink.discard().await;
            return Err(interrupted());
        }
        _ => {}
    }
    if let (Some(h), Some(expected)) = (hasher, req.checksum)
        && h.finalize().as_slice() != expected
    {
        discard("checksum mismatch");
        sink.discard().await;
        return Err(err(
            status_460(),
            CODE_CHUNK_CHECKSUM,
            "本次上传的数据校验失败（可能在传输中损坏），已丢弃；请从原位置重新发送",
        ));
    }
    let offset = sink.finish().await?;
    if let End::Interrupted(why) = end {
        tracing::info!(upload = %req.id, offset, why, "upload interrupted; bytes kept");
        return Err(interrupted());
    }
    if offset == info.length {
        let info = owned(state, &req.user_id, &req.id).await?;
        return finalize(state, info).await.map(|i| i.length);
    }
    Ok(offset)
}

/// Where one `PATCH` puts its bytes: piece objects of at most [`PIECE_SIZE`]; an
/// unchecked request confirms each piece as it is sealed, a checked one all of
/// them together once its checksum matched.
struct PieceSink<'a> {
    state: &'a AppState,
    id: String,
    writer: String,
    checked: bool,
    /// Where the next piece starts (the end of the sealed ones).
    next_start: u64,
    current: Option<PieceWriter>,
    /// Sealed, not yet confirmed (checked requests).
    pending: Vec<UploadPiece>,
}

impl PieceSink<'_> {
    /// Bytes this request received since `start`.
    fn received(&self, start: u64) -> u64 {
        self.next_start - start + self.current.as_ref().map_or(0, PieceWriter::size)
    }

    async fn write(&mut self, data: Bytes) -> Result<(), AppError> {
        let writer = match &mut self.current {
            Some(w) => w,
            None => {
                let key = EvidenceStore::piece_key(&self.id, self.next_start, &self.writer);
                self.current.insert(self.state.blobs.piece_writer(&key))
            }
        };
        writer.write(data).await.map_err(store_err)?;
        if writer.size() >= PIECE_SIZE {
            self.seal().await?;
        }
        Ok(())
    }

    /// Completes the current piece; confirms it unless the request is checked.
    async fn seal(&mut self) -> Result<(), AppError> {
        let Some(writer) = self.current.take() else {
            return Ok(());
        };
        if writer.size() == 0 {
            writer.abort().await;
            return Ok(());
        }
        let (key, size) = writer.finish().await.map_err(store_err)?;
        let piece = UploadPiece {
            start: self.next_start,
            end: self.next_start + size,
            key,
        };
        self.next_start = piece.end;
        if self.checked {
            self.pending.push(piece);
            Ok(())
        } else {
            self.confirm(vec![piece]).await
        }
    }

    /// Moves the offset over `pieces` (conditional on it still being where they
    /// start); if another request moved it, the pieces are deleted: 409.
    async fn confirm(&mut self, pieces: Vec<UploadPiece>) -> Result<(), AppError> {
        let Some(from) = pieces.first().map(|p| p.start) else {
            return Ok(());
        };
        let now = self.state.clock.now();
        if self
            .state
            .storage
            .advance_upload(&self.id, from, &pieces, now)
            .await?
        {
            return Ok(());
        }
        for p in &pieces {
            delete_piece(self.state, &p.key).await;
        }
        let at = self
            .state
            .storage
            .upload(&self.id)
            .await?
            .map_or(0, |u| u.offset);
        Err(offset_mismatch(at, from))
    }

    /// Seals and confirms everything; the new offset.
    async fn finish(mut self) -> Result<u64, AppError> {
        self.seal().await?;
        let pending = std::mem::take(&mut self.pending);
        self.confirm(pending).await?;
        Ok(self.next_start)
    }

    /// Drops what was not confirmed.
    async fn discard(mut self) {
        if let Some(w) = self.current.take() {
            let key = w.key();
            w.abort().await;
            delete_piece(self.state, &key).await;
        }
        for p in std::mem::take(&mut self.pending) {
            delete_piece(self.state, &p.key).await;
        }
    }
}

async fn delete_piece(state: &AppState, key: &str) {
    if let Err(e) = state.blobs.delete_key(key).await {
        tracing::warn!(key, error = %e, "cannot delete an upload piece; purged later");
    }
}

fn too_long(remaining: u64) -> AppError {
    err(
        StatusCode::PAYLOAD_TOO_LARGE,
        "upload_too_large",
        format!("本次上传的数据超过文件声明的长度（还需 {remaining} 字节），已丢弃"),
    )
}

fn interrupted() -> AppError {
    err(
        StatusCode::BAD_REQUEST,
        CODE_INTERRUPTED,
        "上传中断，已收到的数据已保存；请查询进度（HEAD）后继续",
    )
}

// ---- completion ---------------------------------------------------------------

/// Why the pieces did not become the blob.
enum Assembly {
    /// They hash to something else.
    Mismatch,
    /// Pieces are missing.
    Lost,
    /// The store or database failed (try again later).
    Failed(AppError),
}

impl From<AppError> for Assembly {
    fn from(e: AppError) -> Assembly {
        Assembly::Failed(e)
    }
}

/// Every byte is in: stream the pieces in order through SHA-256 into a staging
/// object; on a match it becomes the blob and the blob is marked received,
/// otherwise the upload is discarded (460). Runs under the upload's lease.
async fn finalize(state: &AppState, info: UploadRecord) -> Result<UploadRecord, AppError> {
    let stored_before = info.verified
        && state
            .blobs
            .contains(&info.sha256)
            .await
            .map_err(store_err)?;
    if !stored_before {
        match assemble(state, &info).await {
            Ok(()) => {}
            Err(Assembly::Mismatch) => {
                tracing::warn!(
                    upload = %info.id,
                    sha256 = %info.sha256,
                    device = %info.device_id,
                    "uploaded bytes do not match the declared hash; upload discarded"
                );
                discard_upload(state, &info.id).await;
                return Err(err(status_460(), CODE_BLOB_HASH, HASH_MISMATCH_MESSAGE));
            }
            Err(Assembly::Lost) => {
                tracing::warn!(upload = %info.id, "upload pieces missing; upload discarded");
                discard_upload(state, &info.id).await;
                return Err(err(
                    StatusCode::GONE,
                    "upload_lost",
                    "服务器上的上传数据已丢失，请重新上传",
                ));
            }
            Err(Assembly::Failed(e)) => return Err(e),
        }
    }
    if let Err(e) = state.blobs.delete_upload_objects(&info.id).await {
        tracing::warn!(upload = %info.id, error = %e, "cannot delete upload pieces; purged later");
    }
    mark_received(state, &info, info.length).await?;
    let now = state.clock.now();
    state.storage.complete_upload(&info.id, now).await?;
    Ok(UploadRecord {
        offset: info.length,
        completed_at: Some(now),
        updated_at: now,
        verified: true,
        ..info
    })
}

/// Streams the confirmed pieces through the hash into the blob (only on a match)
/// and records the upload verified.
async fn assemble(state: &AppState, info: &UploadRecord) -> Result<(), Assembly> {
    let pieces = state
        .storage
        .upload_pieces(&info.id)
        .await
        .map_err(AppError::from)?;
    let mut at = 0;
    for p in &pieces {
        if p.start != at {
            return Err(Assembly::Lost);
        }
        at = p.end;
    }
    if at != info.length {
        return Err(Assembly::Lost);
    }
    let mut staging = state.blobs.stage();
    for p in &pieces {
        let mut stream = match state.blobs.read_key(&p.key).await {
            Ok(s) => s,
            Err(BlobsError::Missing(_)) => {
                staging.abort().await;
                return Err(Assembly::Lost);
            }
            Err(e) => {
                staging.abort().await;
                return Err(store_err(e).into());
            }
        };
        while let Some(chunk) = stream.next().await {
            let written = match chunk {
                Ok(bytes) => staging.write(bytes).await,
                Err(e) => Err(e),
            };
            if let Err(e) = written {
                staging.abort().await;
                return Err(store_err(e).into());
            }
        }
    }
    match staging.commit(Some(&info.sha256)).await {
        Ok(_) => {}
        Err(BlobsError::Mismatch { .. } | BlobsError::Empty) => return Err(Assembly::Mismatch),
        Err(e) => return Err(store_err(e).into()),
    }
    // Before the pieces go: a completion after a crash then takes the stored blob
    // as this upload's own (bytes another agency uploaded never count).
    state
        .storage
        .set_upload_verified(&info.id)
        .await
        .map_err(AppError::from)?;
    Ok(())
}

/// Deletes an upload: its pieces first, then its record (so no piece outlives its
/// record but by a crash, which [`purge_stale`] sweeps).
async fn discard_upload(state: &AppState, id: &str) {
    if let Err(e) = state.blobs.delete_upload_objects(id).await {
        tracing::warn!(upload = %id, error = %e, "cannot delete upload pieces; purged later");
    }
    if let Err(e) = state.storage.delete_upload(id).await {
        tracing::warn!(upload = %id, error = %e, "cannot delete an upload record");
    }
}

/// Grants a blob to the uploading device's agency now (every upload is logged)
/// and logs an R-REC-4 breach.
async fn mark_received(state: &AppState, info: &UploadRecord, size: u64) -> Result<(), AppError> {
    let now = state.clock.now();
    let sha256 = info.sha256.as_str();
    let Some(user) = state.storage.user_by_id(&info.user_id).await? else {
        tracing::warn!(sha256, user = %info.user_id, "received a blob from an unknown account");
        return Ok(());
    };
    let agency = user.agency_id.as_str();
    if !state
        .storage
        .mark_blob_received(agency, sha256, size, now)
        .await?
    {
        tracing::warn!(
            sha256,
            agency,
            "received a blob no record of the agency references"
        );
        return Ok(());
    }
    crate::services::summary::blob_received(state, agency, sha256).await;
    if let Some(blob) = state.storage.blob(agency, sha256).await? {
        let at = blob.received_at.unwrap_or(now);
        if is_late(&blob, at) {
            tracing::warn!(
                sha256,
                agency,
                device = %info.device_id,
                inspection = %blob.inspection_id,
                captured_at = %blob.captured_at,
                received_at = %at,
                hours = (at - blob.captured_at).num_hours(),
                "R-REC-4: evidence reached the platform more than 24 hours after capture"
            );
        } else {
            tracing::info!(sha256, agency, device = %info.device_id, inspection = %blob.inspection_id, "evidence received");
        }
    }
    Ok(())
}

// ---- housekeeping -------------------------------------------------------------

/// Deletes incomplete uploads untouched for [`STALE_AFTER`] and completed upload
/// records older than [`COMPLETED_KEPT`] (never one a request holds the lease
/// of), then upload pieces whose record is gone and staging objects older than
/// [`STAGING_KEPT`]; returns how many uploads. Run
/// by the server's housekeeping.
pub async fn purge_stale(state: &AppState) -> Result<usize, AppError> {
    let now = state.clock.now();
    let ids = state
        .storage
        .stale_uploads(now - STALE_AFTER, now - COMPLETED_KEPT, now)
        .await?;
    for id in &ids {
        discard_upload(state, id).await;
    }
    for id in state
        .blobs
        .upload_ids_with_objects()
        .await
        .map_err(store_err)?
    {
        if state.storage.upload(&id).await?.is_none() {
            state
                .blobs
                .delete_upload_objects(&id)
                .await
                .map_err(store_err)?;
        }
    }
    // Object stores stamp objects with the wall clock, not the server's clock.
    let swept = state
        .blobs
        .sweep_staging(chrono::Utc::now() - STAGING_KEPT)
        .await
        .map_err(store_err)?;
    if swept > 0 {
        tracing::info!(swept, "staging objects left by a crash deleted");
    }
    Ok(ids.len())
}

/// A staging object (a blob being stored by one request) older than this was left by
/// a crash and is swept by [`purge_stale`].
pub const STAGING_KEPT: Duration = Duration::days(1);
