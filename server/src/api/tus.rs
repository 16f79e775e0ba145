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
//!   and discarded on mismatch (460). When the last byte is in, the whole file is
//!   hashed: on a match it moves into the blob store and the blob is marked
//!   received; otherwise the upload is discarded (460, `blob_hash_mismatch`).
//!
//! Upload state lives in files, not in the database: `<data_dir>/uploads/<id>.json`
//! (metadata and the confirmed offset) and `<id>.part` (the bytes). The offset
//! reported is the smaller of the recorded offset and the part file's length, so a
//! crash between writing bytes and recording them loses nothing but those bytes.
//!
//! R-REC-4 (recordings on the platform within 24 hours): the server keeps when each
//! blob was captured (from the document) and when it arrived; [`is_late`] flags
//! late ones and late arrivals are logged.

use std::collections::HashMap;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
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
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use tokio::sync::Notify;

use liuhen_domain::blobs::is_sha256_hex;
pub use liuhen_domain::upload::FILES_PATH;
use liuhen_domain::upload::{
    CODE_BLOB_HASH, CODE_CHUNK_CHECKSUM, CODE_INTERRUPTED, ERROR_CODE_HEADER, OFFSET_OCTET_STREAM,
    STATUS_CHECKSUM_MISMATCH, TUS_CHECKSUM_ALGORITHMS, TUS_EXTENSIONS, TUS_VERSION, meta,
    parse_metadata,
};

use crate::auth::DeviceAuth;
use crate::error::AppError;
use crate::state::AppState;

pub use crate::storage::{UPLOAD_DEADLINE, is_late};

/// Message of a whole-file hash mismatch.
pub const HASH_MISMATCH_MESSAGE: &str = "文件内容与声明的哈希不符，已丢弃；请重新上传";

/// A `PATCH` that receives nothing for this long stops (keeping what arrived).
const IDLE_TIMEOUT: StdDuration = StdDuration::from_secs(60);

/// How long a `PATCH` waits for an earlier request on the same upload to stop.
const LOCK_WAIT: StdDuration = StdDuration::from_secs(30);

/// Bytes gathered before a write (and an offset update) during a `PATCH`.
const WRITE_BATCH: usize = 256 * 1024;

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

// ---- upload records -----------------------------------------------------------

/// What the server keeps about one upload (`<id>.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct UploadInfo {
    id: String,
    sha256: String,
    inspection_id: String,
    filename: Option<String>,
    media_type: Option<String>,
    /// `Upload-Metadata` as sent (echoed by HEAD).
    metadata: String,
    length: u64,
    /// Bytes confirmed (never more than the part file holds).
    offset: u64,
    user_id: String,
    device_id: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    /// Set once the bytes were verified and stored (or the agency already had them).
    completed_at: Option<DateTime<Utc>>,
    /// Set (durably) when this upload's bytes hashed right, just before they move
    /// into the blob store: only then may a lost part file be taken as stored, so
    /// recovery never depends on bytes another agency uploaded.
    #[serde(default)]
    verified: bool,
}

fn uploads_dir(state: &AppState) -> PathBuf {
    state.config.data_dir.join("uploads")
}

fn json_path(dir: &Path, id: &str) -> PathBuf {
    dir.join(format!("{id}.json"))
}

fn part_path(dir: &Path, id: &str) -> PathBuf {
    dir.join(format!("{id}.part"))
}

/// Upload ids are UUIDs we made; anything else is unknown (and never a path).
fn valid_id(id: &str) -> Result<String, AppError> {
    uuid::Uuid::parse_str(id)
        .map(|u| u.hyphenated().to_string())
        .map_err(|_| not_found())
}

async fn load(dir: &Path, id: &str) -> Result<Option<UploadInfo>, AppError> {
    match tokio::fs::read(json_path(dir, id)).await {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| io_err("upload record", e)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_err("read upload record", e)),
    }
}

/// Writes the record atomically (temporary file and rename); `durable` syncs first.
async fn save(dir: &Path, info: &UploadInfo, durable: bool) -> Result<(), AppError> {
    let bytes = serde_json::to_vec(info).map_err(|e| io_err("encode upload record", e))?;
    let path = json_path(dir, &info.id);
    let tmp = dir.join(format!("{}.json.tmp", info.id));
    let write = async {
        let mut f = tokio::fs::File::create(&tmp).await?;
        f.write_all(&bytes).await?;
        if durable {
            f.sync_all().await?;
        } else {
            f.flush().await?;
        }
        drop(f);
        tokio::fs::rename(&tmp, &path).await
    };
    write.await.map_err(|e| io_err("write upload record", e))
}

async fn delete_upload(dir: &Path, id: &str) {
    for p in [json_path(dir, id), part_path(dir, id)] {
        if let Err(e) = tokio::fs::remove_file(&p).await
            && e.kind() != io::ErrorKind::NotFound
        {
            tracing::warn!(path = %p.display(), error = %e, "cannot delete upload file");
        }
    }
    forget_lock(id);
}

async fn part_len(dir: &Path, id: &str) -> Result<Option<u64>, AppError> {
    match tokio::fs::metadata(part_path(dir, id)).await {
        Ok(m) => Ok(Some(m.len())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_err("stat part file", e)),
    }
}

/// The offset the client may resume from: what is both recorded and on disk.
async fn current_offset(dir: &Path, info: &UploadInfo) -> Result<u64, AppError> {
    if info.completed_at.is_some() {
        return Ok(info.length);
    }
    Ok(info.offset.min(part_len(dir, &info.id).await?.unwrap_or(0)))
}

/// The caller's upload, or 404 (also for another user's upload).
async fn owned(state: &AppState, auth: &DeviceAuth, id: &str) -> Result<UploadInfo, AppError> {
    match load(&uploads_dir(state), id).await? {
        Some(info) if info.user_id == auth.user.id => Ok(info),
        _ => Err(not_found()),
    }
}

// ---- per-upload locks ---------------------------------------------------------

/// One writer per upload. A new `PATCH` asks the current one to stop (it keeps what
/// it wrote): a client that lost its connection resumes at once, instead of
/// waiting for the server to notice that the old connection is dead.
#[derive(Default)]
struct UploadLock {
    mutex: tokio::sync::Mutex<()>,
    waiters: AtomicUsize,
    preempt: Notify,
}

static LOCKS: LazyLock<Mutex<HashMap<String, Arc<UploadLock>>>> = LazyLock::new(Default::default);

fn lock_of(id: &str) -> Arc<UploadLock> {
    let mut map = LOCKS.lock().unwrap_or_else(|p| p.into_inner());
    map.entry(id.to_string()).or_default().clone()
}

fn forget_lock(id: &str) {
    LOCKS.lock().unwrap_or_else(|p| p.into_inner()).remove(id);
}

/// Takes the upload's lock; with `preempt`, asks a running `PATCH` to stop first.
async fn acquire(
    lock: &UploadLock,
    preempt: bool,
) -> Result<tokio::sync::MutexGuard<'_, ()>, AppError> {
    if preempt {
        lock.waiters.fetch_add(1, Ordering::SeqCst);
        lock.preempt.notify_waiters();
    }
    let got = tokio::time::timeout(LOCK_WAIT, lock.mutex.lock()).await;
    if preempt {
        lock.waiters.fetch_sub(1, Ordering::SeqCst);
    }
    got.map_err(|_| {
        err(
            StatusCode::LOCKED,
            "upload_locked",
            "此上传正被另一请求写入，请稍后重试",
        )
    })
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
    let dir = uploads_dir(&state);
    tokio::fs::create_dir_all(&dir)
        .await
        .map_err(|e| io_err("create uploads dir", e))?;
    let id = uuid::Uuid::now_v7().hyphenated().to_string();
    let mut info = UploadInfo {
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
    let received = record.received_at.is_some() && state.blobs.contains(&sha256);
    if received {
        info.offset = length;
        info.completed_at = Some(now);
        save(&dir, &info, true).await?;
        tracing::info!(upload = %id, sha256 = %sha256, agency = %auth.user.agency_id, device = %auth.device.id, "blob already received by the agency; upload complete");
    } else {
        tokio::fs::File::create(part_path(&dir, &id))
            .await
            .map_err(|e| io_err("create part file", e))?;
        save(&dir, &info, true).await?;
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
    let info = owned(&state, &auth, &id).await?;
    let dir = uploads_dir(&state);
    let mut offset = current_offset(&dir, &info).await?;
    if offset == info.length && info.completed_at.is_none() {
        // Every byte arrived but the check did not run (interrupted): run it now,
        // so a complete offset always means a verified, received blob.
        let state2 = state.clone();
        let info = tokio::spawn(async move {
            let lock = lock_of(&id);
            let _guard = acquire(&lock, false).await?;
            match load(&uploads_dir(&state2), &id).await? {
                Some(info) if info.completed_at.is_none() => finalize(&state2, info).await,
                Some(info) => Ok(info),
                None => Err(not_found()),
            }
        })
        .await
        .map_err(|e| io_err("finalize task", e))??;
        offset = current_offset(&dir, &info).await?;
    }
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
    // the task still records the bytes that arrived.
    let offset = tokio::spawn(patch_task(state, req, body))
        .await
        .map_err(|e| io_err("patch task", e))??;
    let mut h = HeaderMap::new();
    h.insert(UPLOAD_OFFSET, num(offset));
    Ok((StatusCode::NO_CONTENT, h).into_response())
}

fn parse_checksum(v: &str) -> Result<[u8; 32], AppError> {
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

async fn patch_task(state: AppState, req: PatchRequest, mut body: Body) -> Result<u64, AppError> {
    let dir = uploads_dir(&state);
    let lock = lock_of(&req.id);
    let _guard = acquire(&lock, true).await?;
    let mut info = match load(&dir, &req.id).await? {
        Some(info) if info.user_id == req.user_id => info,
        _ => return Err(not_found()),
    };
    if info.completed_at.is_some() {
        // Complete (verified, or the blob was already here): nothing more to take.
        return Ok(info.length);
    }
    let part = part_path(&dir, &req.id);
    if !part.is_file() {
        // A crash between moving the part into the blob store and recording the
        // upload complete: finish it if this upload's bytes were verified and the
        // blob is there, else start over at offset 0 instead of failing every PATCH.
        if info.verified && state.blobs.contains(&info.sha256) {
            return finalize(&state, info).await.map(|i| i.length);
        }
        tracing::warn!(upload = %req.id, "part file lost; restarting the upload at 0");
        info.offset = 0;
        save(&dir, &info, false).await?;
    }
    let start = current_offset(&dir, &info).await?;
    let mut file = tokio::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(&part)
        .await
        .map_err(|e| io_err("open part file", e))?;
    // Bytes on disk beyond the recorded offset were never confirmed: drop them.
    file.set_len(start)
        .await
        .map_err(|e| io_err("truncate part file", e))?;
    if info.offset != start {
        info.offset = start;
        save(&dir, &info, false).await?;
    }
    if start == info.length {
        drop(file);
        return finalize(&state, info).await.map(|i| i.length);
    }
    if req.offset != start {
        return Err(err(
            StatusCode::CONFLICT,
            "offset_mismatch",
            format!(
                "上传位置不一致：服务器已收到 {start} 字节，本次请求从第 {} 字节开始；请先查询进度（HEAD）再继续",
                req.offset
            ),
        ));
    }
    let remaining = info.length - start;
    if req.content_length.is_some_and(|n| n > remaining) {
        return Err(too_long(remaining));
    }
    seek_end(&mut file).await?;

    let mut hasher = req.checksum.map(|_| Sha256::new());
    let mut written = 0u64;
    let mut batch: Vec<u8> = Vec::with_capacity(WRITE_BATCH);
    let end = loop {
        let notified = lock.preempt.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if lock.waiters.load(Ordering::SeqCst) > 0 {
            break End::Interrupted("superseded by a newer request".into());
        }
        let next = tokio::select! {
            next = tokio::time::timeout(IDLE_TIMEOUT, next_data(&mut body)) => next,
            () = &mut notified => break End::Interrupted("superseded by a newer request".into()),
        };
        let data = match next {
            Err(_) => break End::Interrupted("idle timeout".into()),
            Ok(None) => break End::Complete,
            Ok(Some(Err(e))) => break End::Interrupted(e.to_string()),
            Ok(Some(Ok(data))) => data,
        };
        if written + (batch.len() + data.len()) as u64 > remaining {
            break End::Overflow;
        }
        if let Some(h) = hasher.as_mut() {
            h.update(&data);
        }
        batch.extend_from_slice(&data);
        if batch.len() >= WRITE_BATCH {
            write_batch(&mut file, &mut batch, &mut written).await?;
            // Unchecked bytes count at once: a dropped connection keeps them.
            if hasher.is_none() {
                info.offset = start + written;
                info.updated_at = state.clock.now();
                save(&dir, &info, false).await?;
            }
        }
    };

    let discard = |why: &str| {
        tracing::info!(upload = %req.id, offset = start, why, "chunk discarded");
    };
    match &end {
        End::Overflow => {
            discard("longer than the upload");
            truncate(&mut file, start).await?;
            return Err(too_long(remaining));
        }
        End::Interrupted(why) if hasher.is_some() => {
            // A partial chunk cannot be checked against its checksum.
            discard(why);
            truncate(&mut file, start).await?;
            return Err(interrupted());
        }
        _ => {}
    }
    write_batch(&mut file, &mut batch, &mut written).await?;
    file.sync_all()
        .await
        .map_err(|e| io_err("sync part file", e))?;
    if let (Some(h), Some(expected)) = (hasher, req.checksum)
        && h.finalize().as_slice() != expected
    {
        discard("checksum mismatch");
        truncate(&mut file, start).await?;
        return Err(err(
            status_460(),
            CODE_CHUNK_CHECKSUM,
            "本次上传的数据校验失败（可能在传输中损坏），已丢弃；请从原位置重新发送",
        ));
    }
    drop(file);
    info.offset = start + written;
    info.updated_at = state.clock.now();
    save(&dir, &info, true).await?;
    if let End::Interrupted(why) = end {
        tracing::info!(upload = %req.id, offset = info.offset, why, "upload interrupted; bytes kept");
        return Err(interrupted());
    }
    if info.offset == info.length {
        return finalize(&state, info).await.map(|i| i.length);
    }
    Ok(info.offset)
}

async fn seek_end(file: &mut tokio::fs::File) -> Result<(), AppError> {
    use tokio::io::AsyncSeekExt;
    file.seek(io::SeekFrom::End(0))
        .await
        .map(|_| ())
        .map_err(|e| io_err("seek part file", e))
}

async fn write_batch(
    file: &mut tokio::fs::File,
    batch: &mut Vec<u8>,
    written: &mut u64,
) -> Result<(), AppError> {
    if batch.is_empty() {
        return Ok(());
    }
    file.write_all(batch)
        .await
        .map_err(|e| io_err("write part file", e))?;
    file.flush()
        .await
        .map_err(|e| io_err("write part file", e))?;
    *written += batch.len() as u64;
    batch.clear();
    Ok(())
}

async fn truncate(file: &mut tokio::fs::File, len: u64) -> Result<(), AppError> {
    file.flush()
        .await
        .map_err(|e| io_err("flush part file", e))?;
    file.set_len(len)
        .await
        .map_err(|e| io_err("truncate part file", e))?;
    seek_end(file).await
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

/// Every byte is in: hash the file; on a match store it as a blob and mark it
/// received, otherwise discard the upload (460). Runs under the upload's lock.
async fn finalize(state: &AppState, mut info: UploadInfo) -> Result<UploadInfo, AppError> {
    let dir = uploads_dir(state);
    let part = part_path(&dir, &info.id);
    let sha = info.sha256.clone();
    let verified = if info.verified {
        true
    } else if part.is_file() {
        let p = part.clone();
        let matches = tokio::task::spawn_blocking(move || hash_file(&p).map(|h| h == sha))
            .await
            .map_err(|e| io_err("hash task", e))?
            .map_err(|e| io_err("hash part file", e))?;
        if matches {
            // Durably, before the bytes move: a crash after the move then finds
            // them as this upload's own.
            info.verified = true;
            save(&dir, &info, true).await?;
        }
        matches
    } else {
        false
    };
    let blobs = state.blobs.clone();
    let sha = info.sha256.clone();
    let id = info.id.clone();
    let length = info.length;
    let outcome = tokio::task::spawn_blocking(move || -> io::Result<Option<bool>> {
        if !part.is_file() {
            // Moved into the blob store by this upload before an interruption, or
            // lost (bytes another agency uploaded never count).
            return Ok((verified && blobs.contains(&sha)).then_some(true));
        }
        if !verified {
            return Ok(Some(false));
        }
        let tmp_path = blobs.tmp_dir().join(format!("upload-{id}"));
        if std::fs::rename(&part, &tmp_path).is_err() {
            // Another file system: copy, then drop the part.
            std::fs::copy(&part, &tmp_path)?;
            std::fs::remove_file(&part)?;
        }
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&tmp_path)?;
        let tmp = tempfile::NamedTempFile::from_parts(
            file,
            tempfile::TempPath::try_from_path(&tmp_path)?,
        );
        blobs
            .commit_temp(tmp, sha, length)
            .map_err(io::Error::other)?;
        Ok(Some(true))
    })
    .await
    .map_err(|e| io_err("finalize task", e))?
    .map_err(|e| io_err("store blob", e))?;

    match outcome {
        Some(true) => {}
        Some(false) => {
            tracing::warn!(
                upload = %info.id,
                sha256 = %info.sha256,
                device = %info.device_id,
                "uploaded bytes do not match the declared hash; upload discarded"
            );
            delete_upload(&dir, &info.id).await;
            return Err(err(status_460(), CODE_BLOB_HASH, HASH_MISMATCH_MESSAGE));
        }
        None => {
            delete_upload(&dir, &info.id).await;
            return Err(err(
                StatusCode::GONE,
                "upload_lost",
                "服务器上的上传数据已丢失，请重新上传",
            ));
        }
    }
    mark_received(state, &info, info.length).await?;
    let now = state.clock.now();
    info.offset = info.length;
    info.completed_at = Some(now);
    info.updated_at = now;
    save(&dir, &info, true).await?;
    forget_lock(&info.id);
    Ok(info)
}

/// Grants a blob to the uploading device's agency now (every upload is logged)
/// and logs an R-REC-4 breach.
async fn mark_received(state: &AppState, info: &UploadInfo, size: u64) -> Result<(), AppError> {
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

fn hash_file(path: &Path) -> io::Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

// ---- housekeeping -------------------------------------------------------------

/// Deletes incomplete uploads untouched for [`STALE_AFTER`] and completed upload
/// records older than [`COMPLETED_KEPT`]; returns how many. Skips uploads being
/// written. Call it from the server's housekeeping.
pub async fn purge_stale(state: &AppState) -> io::Result<usize> {
    let dir = uploads_dir(state);
    let mut entries = match tokio::fs::read_dir(&dir).await {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let now = state.clock.now();
    let mut purged = 0;
    while let Some(entry) = entries.next_entry().await? {
        let name = entry.file_name();
        let Some(id) = name.to_str().and_then(|n| n.strip_suffix(".json")) else {
            continue;
        };
        let Ok(Some(info)) = load(&dir, id).await else {
            continue;
        };
        let stale = match info.completed_at {
            Some(at) => now - at > COMPLETED_KEPT,
            None => now - info.updated_at > STALE_AFTER,
        };
        if !stale {
            continue;
        }
        let lock = lock_of(id);
        let Ok(_guard) = lock.mutex.try_lock() else {
            continue;
        };
        delete_upload(&dir, id).await;
        purged += 1;
    }
    Ok(purged)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::BlobRecord;
    use chrono::TimeZone;

    #[test]
    fn late_means_more_than_24_hours() {
        let t = Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap();
        let mut b = BlobRecord {
            sha256: "0".repeat(64),
            inspection_id: "i".into(),
            captured_at: t,
            received_at: Some(t + Duration::hours(24)),
            size: 1,
        };
        assert!(!is_late(&b, t));
        b.received_at = Some(t + Duration::hours(24) + Duration::seconds(1));
        assert!(is_late(&b, t));
        b.received_at = None;
        assert!(!is_late(&b, t + Duration::hours(23)));
        assert!(is_late(&b, t + Duration::hours(25)));
    }

    #[test]
    fn checksum_header() {
        let d = Sha256::digest(b"abc");
        let v = format!("sha256 {}", STANDARD.encode(d));
        assert_eq!(parse_checksum(&v).unwrap().as_slice(), d.as_slice());
        assert_eq!(
            parse_checksum("md5 AAAA").unwrap_err().code(),
            "checksum_algorithm_unsupported"
        );
        assert!(parse_checksum("sha256 !!").is_err());
        assert!(parse_checksum("sha256").is_err());
    }

    #[test]
    fn ids_are_uuids_only() {
        assert!(valid_id("../../etc/passwd").is_err());
        let id = uuid::Uuid::now_v7().to_string();
        assert_eq!(valid_id(&id).unwrap(), id);
    }
}
