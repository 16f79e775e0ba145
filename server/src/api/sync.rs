//! The batched sync endpoint (`POST /api/v1/sync`, see `docs/sync-protocol.md`):
//! automerge's sync protocol per document, many documents per request. Every change
//! a device sends is checked against the write rules before it is merged.

use std::collections::{BTreeSet, HashMap};

use automerge::sync::{Message, State, SyncDoc};
use automerge::{AutoCommit, ChangeHash, ReadDoc};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State as AxState;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use chrono::{DateTime, Utc};
use futures_util::{StreamExt, TryStreamExt};

use liuhen_domain::doc::{InspectionDoc, schema_actor, schema_chain_hashes};
use liuhen_domain::inspection::Inspection;
use liuhen_domain::model::RosterSnapshot;
use liuhen_domain::protocol::{
    ApiError, DocMessage, DocReply, DocStatus, MAX_DOCS_PER_REQUEST, MAX_DRAFTS_PER_REQUEST,
    MAX_LOG_ENTRIES_PER_REQUEST, PROTOCOL_VERSION, SYNC_PATH, SyncRequest, SyncResponse,
};
use liuhen_domain::write_rules::DeviceAuthor;

use crate::auth::DeviceAuth;
use crate::state::AppState;
use crate::storage::{BlobRecord, DocRecord, Storage, StorageError, SyncWrite, User};

/// Routes of this module.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new().route(SYNC_PATH, post(sync))
}

/// A failure of the whole request (per-document problems are replies, not errors).
#[derive(Debug)]
pub struct SyncFailure {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl IntoResponse for SyncFailure {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(ApiError {
                code: self.code.to_string(),
                message: self.message,
            }),
        )
            .into_response()
    }
}

impl From<StorageError> for SyncFailure {
    fn from(e: StorageError) -> Self {
        tracing::error!(error = %e, "storage failed during sync");
        SyncFailure {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: "storage_unavailable",
            message: "服务器存储暂时不可用，请稍后重试；设备上的记录不受影响".into(),
        }
    }
}

impl SyncFailure {
    /// HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }
    /// Stable code.
    pub fn code(&self) -> &'static str {
        self.code
    }
    /// Chinese message.
    pub fn message(&self) -> &str {
        &self.message
    }
    /// Any status with a code and a Chinese message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        SyncFailure {
            status,
            code,
            message: message.into(),
        }
    }
    /// 400 with a code and a Chinese message.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        SyncFailure {
            status: StatusCode::BAD_REQUEST,
            code,
            message: message.into(),
        }
    }
    /// 403.
    pub fn forbidden(message: impl Into<String>) -> Self {
        SyncFailure {
            status: StatusCode::FORBIDDEN,
            code: "forbidden",
            message: message.into(),
        }
    }
    /// 404 for an inspection (also for another agency's: no existence leak).
    pub fn not_found(id: &str) -> Self {
        SyncFailure {
            status: StatusCode::NOT_FOUND,
            code: "not_found",
            message: format!("找不到检查记录 {id}"),
        }
    }
    /// 500 for a stored document that does not read.
    pub fn unreadable(detail: &str) -> Self {
        tracing::error!(detail, "stored document unreadable");
        SyncFailure {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "document_unreadable",
            message: "服务器上的该记录无法读取，已通知管理员".into(),
        }
    }
}

fn bad_request(code: &'static str, message: impl Into<String>) -> SyncFailure {
    SyncFailure::bad_request(code, message)
}

async fn sync(
    AxState(st): AxState<AppState>,
    auth: DeviceAuth,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Json<SyncResponse>, SyncFailure> {
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            SyncFailure {
                status: StatusCode::PAYLOAD_TOO_LARGE,
                code: "body_too_large",
                message: "同步请求过大，请分批同步（设备上的记录不受影响）".into(),
            }
        } else {
            bad_request("malformed_request", format!("同步请求无法读取：{e}"))
        }
    })?;
    let req: SyncRequest = serde_json::from_slice(&body).map_err(|e| {
        bad_request(
            "malformed_request",
            format!("同步请求格式错误，无法解析：{e}"),
        )
    })?;
    if req.protocol != PROTOCOL_VERSION {
        return Err(bad_request(
            "protocol_mismatch",
            format!(
                "同步协议版本 {} 不受支持（服务器为 {PROTOCOL_VERSION}），请升级应用",
                req.protocol
            ),
        ));
    }
    if req.docs.len() > MAX_DOCS_PER_REQUEST {
        return Err(bad_request(
            "too_many_documents",
            format!("一次同步最多 {MAX_DOCS_PER_REQUEST} 条记录，请分批发送"),
        ));
    }
    if req.log.len() > MAX_LOG_ENTRIES_PER_REQUEST {
        return Err(bad_request(
            "too_many_log_entries",
            format!("一次同步最多上传 {MAX_LOG_ENTRIES_PER_REQUEST} 条设备日志，请分批发送"),
        ));
    }
    let Some(officer_id) = auth.user.officer_id.clone() else {
        return Err(SyncFailure {
            status: StatusCode::FORBIDDEN,
            code: "forbidden",
            message: "该账号不是执法人员，不能同步检查记录".into(),
        });
    };
    let now = st.clock.now();
    let skew = (req.device_time - now).num_seconds();
    if skew.abs() > 300 {
        tracing::warn!(device = %auth.device.id, skew, "device clock is off");
    }
    let roster = if req.docs.is_empty() {
        None
    } else {
        st.storage
            .roster_for(&auth.user.agency_id, None)
            .await?
            .map(|(r, _)| r)
    };
    let authors = if req.docs.is_empty() {
        crate::services::history::Authors::default()
    } else {
        crate::services::history::authors(st.storage.as_ref(), &auth.user.agency_id).await?
    };
    let tasks = std::sync::Arc::new(
        roster
            .iter()
            .flat_map(|r| r.tasks.iter())
            .map(|t| (t.id.clone(), t.officer_ids.clone()))
            .collect(),
    );
    let ctx = Ctx {
        st: &st,
        auth: &auth,
        officer_id: &officer_id,
        now,
        skew,
        roster,
        authors: std::sync::Arc::new(authors),
        tasks,
    };

    // The signed device log (R-REC-5): acknowledged only when the request carried
    // some, so a client that never sends it never sees the field.
    let log_acked_seq = if req.log.is_empty() {
        None
    } else {
        Some(crate::api::device_log::receive(&st, &auth, &req.log).await?)
    };

    if req.drafts.len() > MAX_DRAFTS_PER_REQUEST {
        return Err(bad_request(
            "too_many_drafts",
            format!("一次同步最多 {MAX_DRAFTS_PER_REQUEST} 份决定草案，请分批发送"),
        ));
    }
    // Drafts of decisions made on the device (R-LEGAL-1), one reply each.
    let draft_replies = crate::api::legal_device::receive(&st, &auth, &req.drafts).await?;

    let answered = ctx.merge_all(&req.docs).await?;

    let asked: BTreeSet<&str> = req.docs.iter().map(|d| d.id.as_str()).collect();
    // For each entry answered `ok`: the record's heads its reply was made from.
    let served: HashMap<&str, &[String]> = answered
        .iter()
        .filter_map(|a| Some((a.reply.id.as_str(), a.heads.as_deref()?)))
        .collect();
    // The window in which another writer's commit meets this request's offer (a
    // test widens it with `sync.before_offer=sleep(ms)`).
    crate::failpoints::crash_point("sync.before_offer");
    // Offers (issue 19): only records written after the device's change cursor are
    // compared; a device without one (0, or an older client that sends none) has
    // every visible record compared, in one query.
    let scan = st
        .storage
        .offer_scan(
            &auth.user.agency_id,
            &officer_id,
            &auth.device.id,
            req.offer_since.unwrap_or(0),
        )
        .await?;
    let mut offer = vec![];
    for (id, heads, state) in scan.docs {
        // An entry of this request is answered by its reply, unless the record was
        // written again (another device, a supervisor, another instance) after the
        // heads its reply was made from: the cursor handed back below already
        // covers that write, so it must be offered now or the device would never
        // hear of it (it asks again in its next round).
        if let Some(replied) = served.get(id.as_str()) {
            if sorted(replied.to_vec()) == sorted(heads) {
                continue;
            }
            offer.push(id);
            continue;
        }
        if asked.contains(id.as_str()) {
            continue;
        }
        let shared: Vec<String> = state
            .and_then(|b| State::decode(&b).ok())
            .map(|s| s.shared_heads.iter().map(|h| h.to_string()).collect())
            .unwrap_or_default();
        if sorted(shared) != sorted(heads) {
            offer.push(id);
        }
    }
    let replies: Vec<DocReply> = answered.into_iter().map(|a| a.reply).collect();
    // Only records this device may see: a forbidden one leaks no evidence hashes.
    let doc_ids: Vec<String> = replies
        .iter()
        .filter(|r| r.status == DocStatus::Ok)
        .map(|r| r.id.clone())
        .collect();
    let missing_blobs = st.storage.missing_blobs(&doc_ids).await?;
    let (roster, roster_version) = match st
        .storage
        .roster_for(&auth.user.agency_id, Some(&officer_id))
        .await?
    {
        Some((r, v)) if req.roster_version.as_deref() != Some(v.as_str()) => (Some(r), v),
        Some((_, v)) => (None, v),
        None => (None, String::new()),
    };
    Ok(Json(SyncResponse {
        protocol: PROTOCOL_VERSION,
        server_time: now,
        clock_skew_seconds: skew,
        docs: replies,
        offer,
        missing_blobs,
        roster,
        roster_version,
        log_acked_seq,
        drafts: draft_replies,
        offer_cursor: req.offer_since.map(|_| scan.cursor),
    }))
}

/// Documents of one request merging at once on the blocking pool.
const MERGE_CONCURRENCY: usize = 16;

/// Documents of one request committed together (issue 19): the merges of a chunk
/// are committed in one job of the group commit while the next chunk merges.
const COMMIT_CHUNK: usize = 64;

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

struct Ctx<'a> {
    st: &'a AppState,
    auth: &'a DeviceAuth,
    officer_id: &'a str,
    now: DateTime<Utc>,
    skew: i64,
    /// The agency's roster (officers for the rule check, tasks for membership),
    /// read once per request.
    roster: Option<RosterSnapshot>,
    /// The agency's device and user actors, for the history check (R-REC-5).
    authors: std::sync::Arc<crate::services::history::Authors>,
    /// The roster's tasks with their officers (read once per request).
    tasks: std::sync::Arc<Vec<(String, Vec<String>)>>,
}

/// One entry's answer, with the record's heads the reply was made from when it is
/// `ok` (the offer compares them with the heads at the end of the request).
struct Answered {
    reply: DocReply,
    heads: Option<Vec<String>>,
}

impl Answered {
    /// An answer that leaves nothing to compare (refused, not found, malformed).
    fn plain(reply: DocReply) -> Answered {
        Answered { reply, heads: None }
    }
}

fn reply(id: &str, status: DocStatus, reason: impl Into<String>) -> DocReply {
    DocReply {
        id: id.to_string(),
        status,
        reason: Some(reason.into()),
        msg: None,
    }
}

/// A `malformed` reply for an entry whose id is not a UUID.
fn malformed_id(m: &DocMessage) -> Option<DocReply> {
    uuid::Uuid::parse_str(&m.id)
        .is_err()
        .then(|| reply(&m.id, DocStatus::Malformed, "记录编号不是有效的 UUID"))
}

/// The record's fields the queue summary reads, without the document's bytes
/// (the summary never reads them; no copy of the document per merge).
fn without_bytes(record: &DocRecord) -> DocRecord {
    DocRecord {
        id: record.id.clone(),
        agency_id: record.agency_id.clone(),
        officer_ids: record.officer_ids.clone(),
        task_id: record.task_id.clone(),
        target_name: record.target_name.clone(),
        status: record.status.clone(),
        heads: record.heads.clone(),
        bytes: vec![],
        updated_at: record.updated_at,
    }
}

/// What the blocking part of a merge needs; owned, so it runs off the async workers.
pub struct MergeInput {
    /// The record's id.
    pub id: String,
    /// What the server holds of the record, if anything.
    pub existing: Option<DocRecord>,
    /// The server's sync state with this device for the record, if any.
    pub peer_state: Option<Vec<u8>>,
    /// The device's sync message; none when the device only asks.
    pub msg: Option<Vec<u8>>,
    /// The device's automerge actor (hex): every new change must carry it (R-REC-5).
    pub device_actor: String,
    /// The officer and device the changes are attributed to.
    pub author: DeviceAuthor,
    /// The device's agency: the record must belong to it.
    pub agency_id: String,
    /// The roster's tasks and their officers, shared by the request's merges.
    pub tasks: std::sync::Arc<Vec<(String, Vec<String>)>>,
    /// The agency's actors, shared by the request's merges.
    pub authors: std::sync::Arc<crate::services::history::Authors>,
    /// The server's time of the request.
    pub now: DateTime<Utc>,
    /// The device clock's offset from the server's, in seconds.
    pub skew: i64,
}

/// Why one attempt of a document's sync did not answer.
enum Attempt {
    /// The commit found the document moved (nothing written): merge again.
    Stale(StorageError),
    /// The request fails.
    Failed(SyncFailure),
}

impl From<SyncFailure> for Attempt {
    fn from(f: SyncFailure) -> Self {
        Attempt::Failed(f)
    }
}

impl From<StorageError> for Attempt {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::Stale(_) => Attempt::Stale(e),
            other => Attempt::Failed(other.into()),
        }
    }
}

impl From<Attempt> for SyncFailure {
    /// A document still stale when no more retries are made fails as a storage
    /// error (503); a failure stays what it was.
    fn from(a: Attempt) -> Self {
        match a {
            Attempt::Stale(e) => e.into(),
            Attempt::Failed(f) => f,
        }
    }
}

impl crate::services::optimistic::Staleness for Attempt {
    fn is_stale(&self) -> bool {
        matches!(self, Attempt::Stale(_))
    }
}

impl std::fmt::Display for Attempt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Attempt::Stale(e) => e.fmt(f),
            Attempt::Failed(s) => write!(f, "{}: {}", s.code, s.message),
        }
    }
}

/// The outcome of the blocking part of a merge.
pub enum Merged {
    /// Nothing is written; this is the answer (malformed, rejected, forbidden).
    Refused(DocReply),
    /// The server's document did not change: the reply and the new sync state.
    Unchanged {
        msg: Option<Vec<u8>>,
        state: Vec<u8>,
    },
    /// New changes that pass every rule, to commit before answering `ok`.
    Changed {
        record: Box<DocRecord>,
        inspection: Box<Inspection>,
        history: Vec<liuhen_domain::rules::Violation>,
        blobs: Vec<BlobRecord>,
        msg: Option<Vec<u8>>,
        state: Vec<u8>,
    },
}

/// Where one document of a request stands after its merge.
enum Step {
    /// The answer: nothing (more) to write.
    Reply(Answered),
    /// Merged changes that pass every rule: answered with `reply` once `write` is
    /// durable.
    Commit {
        write: Box<SyncWrite>,
        /// The heads committed (recorded as served once durable).
        heads: Vec<String>,
        reply: DocReply,
    },
}

impl Step {
    /// An answer that leaves nothing to write or compare.
    fn answer(reply: DocReply) -> Step {
        Step::Reply(Answered::plain(reply))
    }
}

impl Ctx<'_> {
    /// Merges every document of a request, committing them in chunks through
    /// [`Storage::commit_syncs`] (one transaction and one fsync per chunk, or per
    /// group of concurrent chunks), each answered `ok` only once its commit is
    /// durable. A document another writer moved meanwhile is merged again alone.
    async fn merge_all(&self, docs: &[DocMessage]) -> Result<Vec<Answered>, SyncFailure> {
        let mut replies: Vec<Option<Answered>> = docs.iter().map(|_| None).collect();
        let mut commits = vec![];
        for (c, chunk) in docs.chunks(COMMIT_CHUNK).enumerate() {
            // Collected first: the futures borrow `self` and the messages.
            let pending: Vec<_> = chunk.iter().map(|m| self.handle(m)).collect();
            let steps: Vec<Step> = futures_util::stream::iter(pending)
                .buffered(MERGE_CONCURRENCY)
                .try_collect()
                .await?;
            let mut writes = vec![];
            let mut waiting = vec![];
            for (j, step) in steps.into_iter().enumerate() {
                let i = c * COMMIT_CHUNK + j;
                match step {
                    Step::Reply(r) => replies[i] = Some(r),
                    Step::Commit {
                        write,
                        heads,
                        reply,
                    } => {
                        crate::failpoints::crash_point("sync.merge.before_commit");
                        writes.push(*write);
                        waiting.push((i, heads, reply));
                    }
                }
            }
            if writes.is_empty() {
                continue;
            }
            // Sent to the writer now, so this chunk commits while the next merges.
            let storage = self.st.storage.clone();
            let job = tokio::spawn(async move { storage.commit_syncs(writes).await });
            commits.push((job, waiting));
        }
        for (job, waiting) in commits {
            let results = job.await.map_err(|e| {
                tracing::error!(error = %e, "commit task failed");
                SyncFailure::from(StorageError::Backend(format!("commit task failed: {e}")))
            })??;
            for ((i, heads, reply), result) in waiting.into_iter().zip(results) {
                match result {
                    Ok(()) => {
                        crate::failpoints::crash_point("sync.merge.after_commit");
                        replies[i] = Some(Answered {
                            reply,
                            heads: Some(heads),
                        });
                    }
                    // Nothing was written: merge into the record as it is now.
                    Err(StorageError::Stale(_)) => replies[i] = Some(self.process(&docs[i]).await?),
                    Err(e) => return Err(e.into()),
                }
            }
        }
        Ok(replies.into_iter().flatten().collect())
    }

    /// Answers the entries that need no merge (docs/sync-protocol.md, "Per-document
    /// replies"): a `msg` that is not base64 is `malformed` (that entry only).
    async fn precheck(&self, m: &DocMessage) -> Result<Option<DocReply>, SyncFailure> {
        if let Some(e) = &m.invalid_msg {
            return Ok(Some(reply(
                &m.id,
                DocStatus::Malformed,
                format!("同步消息不是有效的 base64（标准字母表，带填充）：{e}"),
            )));
        }
        Ok(None)
    }

    /// One entry of a request: its precheck, then its merge (the caller commits).
    async fn handle(&self, m: &DocMessage) -> Result<Step, SyncFailure> {
        if let Some(reply) = self.precheck(m).await? {
            return Ok(Step::answer(reply));
        }
        if let Some(reply) = malformed_id(m) {
            return Ok(Step::answer(reply));
        }
        Ok(self.prepare(m).await?)
    }

    /// An entry whose chunked commit found the record moved (its id already
    /// checked): merged and committed on its own, again while another writer moves
    /// it meanwhile.
    async fn process(&self, m: &DocMessage) -> Result<Answered, SyncFailure> {
        // Optimistic (issue 18): read, merge, commit with the heads read; when
        // another writer (here or on another instance) committed first, nothing
        // was written and the device's message is merged again into the fresh
        // record, with its stored sync state read afresh too.
        crate::services::optimistic::retry_stale("sync", &m.id, || self.attempt(m))
            .await
            .map_err(SyncFailure::from)
    }

    /// One read-merge-commit of a document; `Stale` if the commit was refused
    /// because the document moved since it was read (nothing written).
    async fn attempt(&self, m: &DocMessage) -> Result<Answered, Attempt> {
        match self.prepare(m).await? {
            Step::Reply(r) => Ok(r),
            Step::Commit {
                write,
                heads,
                reply,
            } => {
                crate::failpoints::crash_point("sync.merge.before_commit");
                self.st.storage.commit_sync(*write).await?;
                crate::failpoints::crash_point("sync.merge.after_commit");
                Ok(Answered {
                    reply,
                    heads: Some(heads),
                })
            }
        }
    }

    /// Reads a document and merges the device's message into it; what is to be
    /// committed is returned, not written.
    async fn prepare(&self, m: &DocMessage) -> Result<Step, Attempt> {
        let storage = &self.st.storage;
        let (existing, peer_state) = storage.doc_for_sync(&self.auth.device.id, &m.id).await?;
        // Asking for a record (no message): one answer whether the server does not
        // hold it or holds it for another agency or other officers, so nothing
        // leaks (issue 16).
        let visible = existing.as_ref().is_some_and(|rec| {
            rec.agency_id == self.auth.user.agency_id
                && rec.officer_ids.iter().any(|o| o == self.officer_id)
        });
        if m.msg.is_none() && !visible {
            return Ok(Step::answer(reply(
                &m.id,
                DocStatus::NotFound,
                "服务器上没有此检查记录，或您无权查看，没有可同步的内容",
            )));
        }
        if let Some(rec) = &existing {
            if rec.agency_id != self.auth.user.agency_id {
                return Ok(Step::answer(reply(
                    &m.id,
                    DocStatus::Forbidden,
                    "该检查记录属于其他执法主体，无权同步",
                )));
            }
            if !rec.officer_ids.iter().any(|o| o == self.officer_id) {
                return Ok(Step::answer(reply(
                    &m.id,
                    DocStatus::Forbidden,
                    "您不是该检查记录的检查人员，无权同步",
                )));
            }
        }
        // The heads this merge starts from: the commit is refused (Stale) if
        // another writer moved the document meanwhile (issue 18).
        let expected_heads = existing.as_ref().map(|r| r.heads.clone());
        let input = MergeInput {
            id: m.id.clone(),
            existing,
            peer_state,
            msg: m.msg.clone(),
            device_actor: self.auth.device.actor_id.clone(),
            author: DeviceAuthor {
                officer_id: self.officer_id.to_string(),
                device_id: self.auth.device.id.clone(),
            },
            agency_id: self.auth.user.agency_id.clone(),
            tasks: self.tasks.clone(),
            authors: self.authors.clone(),
            now: self.now,
            skew: self.skew,
        };
        let had_doc = input.existing.is_some();
        // automerge work is CPU-bound: run it off the async workers so one device's
        // large merge never stalls other requests.
        let merged = tokio::task::spawn_blocking(move || merge(input))
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "merge task failed");
                SyncFailure::unreadable("merge task failed")
            })??;
        match merged {
            Merged::Refused(r) => {
                if r.status == DocStatus::Rejected {
                    tracing::warn!(id = %m.id, device = %self.auth.device.id,
                        reason = r.reason.as_deref().unwrap_or(""), "changes rejected");
                }
                Ok(Step::answer(r))
            }
            Merged::Unchanged { msg, state } => {
                if had_doc {
                    storage
                        .put_peer_state(&self.auth.device.id, &m.id, &state)
                        .await?;
                }
                Ok(Step::Reply(Answered {
                    reply: DocReply {
                        id: m.id.clone(),
                        status: DocStatus::Ok,
                        reason: None,
                        msg,
                    },
                    heads: expected_heads,
                }))
            }
            Merged::Changed {
                record,
                inspection,
                history,
                blobs,
                msg,
                state,
            } => {
                let officers = self
                    .roster
                    .as_ref()
                    .map(|r| r.officers.clone())
                    .unwrap_or_default();
                let heads = record.heads.clone();
                let summary = summary_of(
                    without_bytes(&record),
                    *inspection,
                    officers,
                    history,
                    self.now,
                );
                Ok(Step::Commit {
                    write: Box::new(SyncWrite {
                        doc: *record,
                        expected_heads,
                        blobs,
                        peer_state: Some((self.auth.device.id.clone(), state)),
                        summary,
                    }),
                    heads,
                    reply: DocReply {
                        id: m.id.clone(),
                        status: DocStatus::Ok,
                        reason: None,
                        msg,
                    },
                })
            }
        }
    }
}

/// The hashes of the schema chain (the only changes by the schema actor a device
/// may send), computed once per process.
fn schema_chain() -> Result<&'static BTreeSet<ChangeHash>, &'static str> {
    static CHAIN: std::sync::OnceLock<Result<BTreeSet<ChangeHash>, String>> =
        std::sync::OnceLock::new();
    CHAIN
        .get_or_init(|| {
            schema_chain_hashes()
                .map(|v| v.into_iter().collect())
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(String::as_str)
}

/// Whether the one entry a new record arrived in, holding one document chunk and
/// `change_chunks` change chunks (`counted` changes in all, as the guard counted
/// them: at least the document chunk's real changes, plus one per change chunk),
/// can be stored as sent: loading it strictly (`AutoCommit::load`, as every later
/// read does) gives exactly the merged document, which automerge built from the
/// same bytes with `load_incremental` (issue 19 item 1).
///
/// A lone document chunk loads whole or not at all (automerge verifies its heads).
/// With change chunks after it, `load_incremental` ignores a chunk that fails and
/// every change chunk after it, and queues a change whose dependencies are
/// missing, where a strict load refuses the bytes: so every counted change must be
/// in the merged document (`merged_changes`: a dropped, queued or repeated chunk
/// leaves fewer), and the heads the device sent must be the merged heads.
pub fn stored_as_sent(
    (change_chunks, counted): (u64, u64),
    merged_changes: usize,
    sent_heads: &[ChangeHash],
    merged_heads: &[ChangeHash],
) -> bool {
    change_chunks == 0 || (counted == merged_changes as u64 && sent_heads == merged_heads)
}

/// The blocking part of one document's sync: applies the device's message to a
/// fork of the stored document and, if it brought changes, checks them against
/// the write rules (`liuhen_domain::write_rules`) and the merged record against the
/// schema. Nothing here writes; the caller commits a `Changed` outcome whole.
pub fn merge(input: MergeInput) -> Result<Merged, SyncFailure> {
    let id = input.id.as_str();
    let refused = |status, reason: String| Ok(Merged::Refused(reply(id, status, reason)));
    // Untrusted bytes (issue 16): bounded before automerge loads or decodes anything.
    let shape = match &input.msg {
        None => None,
        Some(bytes) => {
            match crate::api::sync_guard::check(bytes, &crate::api::sync_guard::Limits::default()) {
                Ok(shape) => Some(shape),
                Err(e) => {
                    tracing::warn!(id, device = %input.author.device_id, code = e.code(), error = %e,
                        "sync message refused by the guard");
                    return refused(
                        DocStatus::Malformed,
                        format!("同步消息被拒绝（{}）：{e}", e.code()),
                    );
                }
            }
        }
    };
    let mut doc = match &input.existing {
        Some(rec) => match AutoCommit::load(&rec.bytes) {
            Ok(d) => d,
            Err(e) => {
                tracing::error!(id, error = %e, "stored document does not load");
                return Err(SyncFailure::unreadable("stored document does not load"));
            }
        },
        None => AutoCommit::new(),
    };
    let mut state = match &input.peer_state {
        Some(b) => State::decode(b).unwrap_or_default(),
        None => State::new(),
    };
    // Repair (issue 16): an older server acknowledged changes it never stored, and
    // kept a sync state claiming them. Forget such a state, so this sync finds out
    // afresh what the device has and the device sends the lost changes again.
    if state
        .shared_heads
        .iter()
        .any(|h| doc.get_change_by_hash(h).is_none())
    {
        tracing::warn!(
            id,
            device = %input.author.device_id,
            "sync state names changes the server does not hold; starting afresh"
        );
        state = State::new();
    }

    let Some(bytes) = &input.msg else {
        let msg = doc
            .sync()
            .generate_sync_message(&mut state)
            .map(|m| m.encode());
        return Ok(Merged::Unchanged {
            msg,
            state: state.encode(),
        });
    };
    let msg = match Message::decode(bytes) {
        Ok(msg) => msg,
        Err(e) => {
            return refused(DocStatus::Malformed, format!("同步消息无法解析：{e}"));
        }
    };
    let before = doc.get_heads();
    // A record new to the server arrives whole, as one entry: automerge's `save()`
    // (one document chunk), or a device's stored chunks joined (a document chunk,
    // then the changes saved after it; core/src/sync/whole.rs). Those bytes are
    // what is stored, instead of saving the merged copy again (issue 19), when the
    // server held nothing, the guard found one document chunk in the message's only
    // entry, and (see `stored_as_sent` below) they certainly load to the merged
    // document.
    let sent_document = (before.is_empty()
        && shape
            .as_ref()
            .is_some_and(|s| s.entries == 1 && s.document_chunks == 1)
        && msg.changes.len() == 1)
        .then(|| msg.changes.iter().next().map(<[u8]>::to_vec))
        .flatten();
    let sent_heads = msg.heads.clone();
    let mut fork = doc.fork();
    if let Err(e) = fork.sync().receive_sync_message(&mut state, msg) {
        return refused(DocStatus::Malformed, format!("同步消息无法应用：{e}"));
    }
    if fork.get_heads() == before {
        let msg = doc
            .sync()
            .generate_sync_message(&mut state)
            .map(|m| m.encode());
        return Ok(Merged::Unchanged {
            msg,
            state: state.encode(),
        });
    }

    // Every new change carries this device's actor, or is the schema chain.
    let chain = schema_chain().map_err(SyncFailure::unreadable)?;
    let schema = schema_actor();
    // The whole history, for the write rules below; built once (issue 19): for a
    // record new to the server it is also exactly the new changes.
    let all = fork.get_changes(&[]);
    let new: BTreeSet<ChangeHash> = if before.is_empty() {
        all.iter().map(|c| c.hash()).collect()
    } else {
        fork.get_changes(&before).iter().map(|c| c.hash()).collect()
    };
    // Judged from the history already built (no look-up per hash); the first
    // offending change in hash order is named, as before.
    let foreign = all
        .iter()
        .filter(|c| new.contains(&c.hash()))
        .filter(|c| {
            let actor = c.actor_id();
            !(actor.to_hex_string() == input.device_actor
                || (*actor == schema && chain.contains(&c.hash())))
        })
        .min_by_key(|c| c.hash());
    if let Some(change) = foreign {
        return refused(
            DocStatus::Rejected,
            format!(
                "R-REC-5: 记录中包含不是由本设备作出的修改（作者 {}），已拒绝；请联系管理员",
                change.actor_id().to_hex_string()
            ),
        );
    }

    // The merged record must read as a complete inspection (typed fields, times
    // as integer milliseconds, ...): a change that leaves it unreadable is refused,
    // never acknowledged and dropped.
    // Read from the merged document itself (the saved bytes load to the same state:
    // loading them again only cost a second parse, issue 19 item 1).
    let bytes = match sent_document {
        Some(bytes)
            if stored_as_sent(
                shape
                    .as_ref()
                    .map_or((0, 0), |s| (s.change_chunks, s.changes)),
                all.len(),
                &sent_heads,
                &fork.get_heads(),
            ) =>
        {
            bytes
        }
        _ => fork.save(),
    };
    let merged = InspectionDoc::from_automerge(fork);
    // Without the conflict walk: nothing here or in the queue summary reads
    // conflicts (the desk reads the record itself to show them).
    let read = merged
        .check_schema()
        .and_then(|()| merged.read_for_checks());
    let mut fork = merged.into_automerge();
    let task_id = match (&input.existing, &read) {
        (Some(rec), _) => rec.task_id.clone(),
        (None, Ok(i)) => i.meta.task_id.clone(),
        (None, Err(_)) => None,
    };
    let task_officers: Vec<String> = task_id
        .as_ref()
        .and_then(|t| input.tasks.iter().find(|(id, _)| id == t))
        .map(|(_, o)| o.clone())
        .unwrap_or_default();
    // One pass over the history: a violation by a change this device just sent
    // refuses the sync; one an older merge let through is shown on the desk.
    let found = crate::services::history::violations_as(
        &all,
        &input.authors,
        Some((&input.device_actor, &input.author)),
        &task_officers,
    );
    if let Some(v) = found.iter().find(|v| new.contains(&v.change)) {
        return refused(
            DocStatus::Rejected,
            format!("{}；已拒绝，设备上的记录保持不变", v.message),
        );
    }
    let inspection = match read {
        Ok(i) => i,
        Err(e) => {
            return refused(
                DocStatus::Rejected,
                format!("R-REC-5: 合并后的检查记录无法读取（{e}），已拒绝；设备上的记录保持不变"),
            );
        }
    };
    if inspection.meta.id != id {
        // Never let a document stored under one id replace another record.
        return refused(
            DocStatus::Rejected,
            format!(
                "记录编号 {id} 与文档内的编号 {} 不一致，已拒绝",
                inspection.meta.id
            ),
        );
    }
    // Capture positions in range, fix times not after their capture (R-REC-3). A
    // problem an older server already accepted does not block later syncs.
    if let Some((path, problem)) = inspection.location_problem() {
        let before = input
            .existing
            .as_ref()
            .and_then(|rec| InspectionDoc::load(&rec.bytes).and_then(|d| d.read()).ok())
            .and_then(|old| old.location_problem());
        if before.as_ref().map(|(p, _)| p) != Some(&path) {
            return refused(
                DocStatus::Rejected,
                format!("{problem}（{path}）；已拒绝，设备上的记录保持不变"),
            );
        }
    }
    if inspection.meta.agency_id != input.agency_id {
        return refused(
            DocStatus::Forbidden,
            "该检查记录属于其他执法主体，无权同步".into(),
        );
    }
    let mut officers: BTreeSet<String> = BTreeSet::new();
    officers.insert(inspection.meta.opened_by.clone());
    officers.extend(inspection.team.iter().map(|m| m.officer_id.clone()));
    officers.extend(task_officers);
    if let Some(rec) = &input.existing {
        // Once on a record, an officer stays on it (the team only grows).
        officers.extend(rec.officer_ids.iter().cloned());
    }
    if !officers.contains(&input.author.officer_id) {
        return refused(
            DocStatus::Forbidden,
            "您不是该检查记录的检查人员，无权同步".into(),
        );
    }
    let heads: Vec<String> = fork.get_heads().iter().map(|h| h.to_string()).collect();
    let record = DocRecord {
        id: id.to_string(),
        agency_id: inspection.meta.agency_id.clone(),
        officer_ids: officers.into_iter().collect(),
        task_id: inspection.meta.task_id.clone(),
        target_name: inspection.meta.target_name.clone(),
        status: match inspection.status() {
            liuhen_domain::inspection::InspectionStatus::Open => "open".into(),
            liuhen_domain::inspection::InspectionStatus::Closed => "closed".into(),
        },
        heads,
        bytes,
        updated_at: input.now,
    };
    // Every evidence reference (capture time corrected by the device's clock
    // skew), so uploads are matched and the 24-hour rule tracked (R-REC-4).
    let blobs = inspection
        .evidence
        .iter()
        .map(|e| BlobRecord {
            sha256: e.sha256.clone(),
            inspection_id: id.to_string(),
            captured_at: e.captured_at - chrono::Duration::seconds(input.skew),
            received_at: None,
            size: e.size_bytes,
        })
        .collect();
    // Older merges may have let rule-breaking changes through: the summary shows them.
    let history = found
        .into_iter()
        .map(crate::services::history::describe)
        .collect();
    let msg = fork
        .sync()
        .generate_sync_message(&mut state)
        .map(|m| m.encode());
    Ok(Merged::Changed {
        record: Box::new(record),
        inspection: Box::new(inspection),
        history,
        blobs,
        msg,
        state: state.encode(),
    })
}

/// Writes a supervisor's comment or decision into an inspection document as that
/// supervisor (a deterministic actor per user), so it reaches the officers' devices
/// at their next sync.
pub async fn write_review(
    storage: &dyn Storage,
    st: &AppState,
    user: &User,
    id: &str,
    change: impl Fn(&mut InspectionDoc) -> Result<(), liuhen_domain::doc::DocError>,
) -> Result<Inspection, SyncFailure> {
    // Optimistic (issue 18): on a stale commit, the change is made again on the
    // record as it is now.
    let change = &change;
    crate::services::optimistic::retry_stale("review", id, || async move {
        let not_found = || Attempt::Failed(SyncFailure::not_found(id));
        let Some(mut rec) = storage.doc(id).await? else {
            return Err(not_found());
        };
        if rec.agency_id != user.agency_id {
            return Err(not_found());
        }
        let unreadable = |e: liuhen_domain::doc::DocError| SyncFailure {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "document_unreadable",
            message: format!("服务器上的该记录无法读取：{e}"),
        };
        let mut doc = InspectionDoc::load(&rec.bytes).map_err(unreadable)?;
        doc.migrate().map_err(unreadable)?;
        doc.set_actor(user_actor(&user.id));
        change(&mut doc).map_err(|e| bad_request("review_failed", e.to_string()))?;
        let inspection = doc.read().map_err(unreadable)?;
        let read_heads = std::mem::replace(
            &mut rec.heads,
            doc.heads().iter().map(|h| h.to_string()).collect(),
        );
        rec.bytes = doc.save();
        rec.updated_at = st.clock.now();
        commit_server_write(st, rec, &read_heads, inspection.clone()).await?;
        Ok(inspection)
    })
    .await
    .map_err(SyncFailure::from)
}

/// Stores a document written on the server (a supervisor's review) together with
/// its queue summary, in one transaction: the desk's queue and statistics never
/// lag a decision. `read_heads` are the stored heads the write started from:
/// [`StorageError::Stale`] (nothing written) if the document moved since.
pub async fn commit_server_write(
    st: &AppState,
    rec: DocRecord,
    read_heads: &[String],
    inspection: Inspection,
) -> Result<(), StorageError> {
    let now = rec.updated_at;
    let roster = st.storage.roster_for(&rec.agency_id, None).await?;
    let task_officers =
        crate::api::inspections::task_officers(roster.as_ref().map(|(r, _)| r), &rec);
    let officers = roster.map(|(r, _)| r.officers).unwrap_or_default();
    let authors = crate::services::history::authors(st.storage.as_ref(), &rec.agency_id).await?;
    let history = AutoCommit::load(&rec.bytes)
        .map(|mut d| crate::services::history::audit(&d.get_changes(&[]), &authors, &task_officers))
        .unwrap_or_default();
    let summary = summary_of(rec.clone(), inspection, officers, history, now);
    st.storage
        .commit_sync(SyncWrite {
            doc: rec,
            expected_heads: Some(read_heads.to_vec()),
            blobs: vec![],
            peer_state: None,
            summary,
        })
        .await
}

/// The queue summary of a record being committed, computed inside the write from
/// the evidence rows it commits with (so the two always agree).
fn summary_of(
    record: DocRecord,
    inspection: Inspection,
    officers: Vec<liuhen_domain::model::Officer>,
    history: Vec<liuhen_domain::rules::Violation>,
    now: DateTime<Utc>,
) -> crate::storage::SummaryFn {
    Box::new(move |blobs| {
        let loaded =
            crate::api::inspections::detail_from(record, inspection, officers, blobs, history, now);
        Some(crate::services::summary::summarize(&loaded, now))
    })
}

pub use crate::services::actors::user_actor;
