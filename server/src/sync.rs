//! The batched sync endpoint (`POST /api/v1/sync`, see `docs/sync-protocol.md`):
//! automerge's sync protocol per document, many documents per request. Every change
//! a device sends is checked against the write rules before it is merged.

use std::collections::BTreeSet;

use automerge::sync::{Message, State, SyncDoc};
use automerge::{AutoCommit, ChangeHash, ReadDoc};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State as AxState;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use chrono::{DateTime, Utc};

use liuhen_core::doc::{InspectionDoc, schema_actor, schema_chain_hashes};
use liuhen_core::inspection::Inspection;
use liuhen_core::sync::protocol::{
    ApiError, DocMessage, DocReply, DocStatus, MAX_DOCS_PER_REQUEST, MAX_DRAFTS_PER_REQUEST,
    MAX_LOG_ENTRIES_PER_REQUEST, PROTOCOL_VERSION, SYNC_PATH, SyncRequest, SyncResponse,
};

use crate::auth::DeviceAuth;
use crate::state::AppState;
use crate::storage::{BlobRecord, DocRecord, Storage, StorageError, User};

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
    let ctx = Ctx {
        st: &st,
        auth: &auth,
        officer_id: &officer_id,
        now,
        skew,
    };

    // The signed device log (R-REC-5): acknowledged only when the request carried
    // some, so a client that never sends it never sees the field.
    let log_acked_seq = if req.log.is_empty() {
        None
    } else {
        Some(crate::device_log::receive(&st, &auth.device, &req.log).await?)
    };

    if req.drafts.len() > MAX_DRAFTS_PER_REQUEST {
        return Err(bad_request(
            "too_many_drafts",
            format!("一次同步最多 {MAX_DRAFTS_PER_REQUEST} 份决定草案，请分批发送"),
        ));
    }
    // Drafts of decisions made on the device (R-LEGAL-1), one reply each.
    let draft_replies = crate::legal::device::receive(&st, &auth, &req.drafts).await?;

    let mut replies = Vec::with_capacity(req.docs.len());
    for m in &req.docs {
        let reply = match ctx.precheck(m).await? {
            Some(reply) => reply,
            None => ctx.process(m).await?,
        };
        replies.push(reply);
    }

    let asked: BTreeSet<&str> = req.docs.iter().map(|d| d.id.as_str()).collect();
    let mut offer = vec![];
    for (id, heads) in st
        .storage
        .docs_for_officer(&auth.user.agency_id, &officer_id)
        .await?
    {
        if asked.contains(id.as_str()) {
            continue;
        }
        let shared: Vec<String> = match st.storage.peer_state(&auth.device.id, &id).await? {
            Some(b) => State::decode(&b)
                .map(|s| s.shared_heads.iter().map(|h| h.to_string()).collect())
                .unwrap_or_default(),
            None => vec![],
        };
        if sorted(shared) != sorted(heads) {
            offer.push(id);
        }
    }
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
    }))
}

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
}

fn reply(id: &str, status: DocStatus, reason: impl Into<String>) -> DocReply {
    DocReply {
        id: id.to_string(),
        status,
        reason: Some(reason.into()),
        msg: None,
    }
}

impl Ctx<'_> {
    /// Answers the entries that need no merge (docs/sync-protocol.md, "Per-document
    /// replies"): a `msg` that is not base64 is `malformed` (that entry only), and a
    /// `null` msg for a document the server does not hold is `not_found`.
    async fn precheck(&self, m: &DocMessage) -> Result<Option<DocReply>, SyncFailure> {
        if let Some(e) = &m.invalid_msg {
            return Ok(Some(reply(
                &m.id,
                DocStatus::Malformed,
                format!("同步消息不是有效的 base64（标准字母表，带填充）：{e}"),
            )));
        }
        if m.msg.is_none()
            && uuid::Uuid::parse_str(&m.id).is_ok()
            && self.st.storage.doc(&m.id).await?.is_none()
        {
            return Ok(Some(reply(
                &m.id,
                DocStatus::NotFound,
                "服务器上没有此检查记录，没有可同步的内容",
            )));
        }
        Ok(None)
    }

    async fn process(&self, m: &DocMessage) -> Result<DocReply, SyncFailure> {
        if uuid::Uuid::parse_str(&m.id).is_err() {
            return Ok(reply(
                &m.id,
                DocStatus::Malformed,
                "记录编号不是有效的 UUID",
            ));
        }
        let lock = self.st.doc_locks.get(&m.id);
        let _guard = lock.lock().await;
        let storage = &self.st.storage;
        let existing = storage.doc(&m.id).await?;
        if let Some(rec) = &existing {
            if rec.agency_id != self.auth.user.agency_id {
                return Ok(reply(
                    &m.id,
                    DocStatus::Forbidden,
                    "该检查记录属于其他执法主体，无权同步",
                ));
            }
            if !rec.officer_ids.iter().any(|o| o == self.officer_id) {
                return Ok(reply(
                    &m.id,
                    DocStatus::Forbidden,
                    "您不是该检查记录的检查人员，无权同步",
                ));
            }
        }
        let mut doc = match &existing {
            Some(rec) => match AutoCommit::load(&rec.bytes) {
                Ok(d) => d,
                Err(e) => {
                    tracing::error!(id = %m.id, error = %e, "stored document does not load");
                    return Err(SyncFailure {
                        status: StatusCode::INTERNAL_SERVER_ERROR,
                        code: "document_unreadable",
                        message: "服务器上的该记录无法读取，已通知管理员".into(),
                    });
                }
            },
            None => AutoCommit::new(),
        };
        let mut state = match storage.peer_state(&self.auth.device.id, &m.id).await? {
            Some(b) => State::decode(&b).unwrap_or_default(),
            None => State::new(),
        };

        if let Some(bytes) = &m.msg {
            let msg = match Message::decode(bytes) {
                Ok(msg) => msg,
                Err(e) => {
                    return Ok(reply(
                        &m.id,
                        DocStatus::Malformed,
                        format!("同步消息无法解析：{e}"),
                    ));
                }
            };
            let before = doc.get_heads();
            let mut fork = doc.fork();
            let mut next_state = state.clone();
            if let Err(e) = fork.sync().receive_sync_message(&mut next_state, msg) {
                return Ok(reply(
                    &m.id,
                    DocStatus::Malformed,
                    format!("同步消息无法应用：{e}"),
                ));
            }
            let after = fork.get_heads();
            if after != before {
                if let Err(reason) = self.check_write_rules(&mut fork, &before, existing.as_ref()) {
                    tracing::warn!(id = %m.id, device = %self.auth.device.id, %reason, "changes rejected");
                    return Ok(reply(&m.id, DocStatus::Rejected, reason));
                }
                match self.record_of(&m.id, &mut fork).await? {
                    Ok(rec) => {
                        storage.put_doc(&rec).await?;
                        self.reference_evidence(&mut fork, &rec).await?;
                        crate::desk::summary::refresh_or_log(self.st, &rec.id).await;
                    }
                    // Not a complete inspection yet (e.g. only the schema chain arrived):
                    // keep nothing, the device sends the rest in the next round.
                    Err(None) => {}
                    Err(Some(reason)) => {
                        return Ok(reply(&m.id, DocStatus::Forbidden, reason));
                    }
                }
                doc = fork;
            }
            state = next_state;
        }
        let msg = doc
            .sync()
            .generate_sync_message(&mut state)
            .map(|m| m.encode());
        if existing.is_some() || storage.doc(&m.id).await?.is_some() {
            storage
                .put_peer_state(&self.auth.device.id, &m.id, &state.encode())
                .await?;
        }
        Ok(DocReply {
            id: m.id.clone(),
            status: DocStatus::Ok,
            reason: None,
            msg,
        })
    }

    /// The write rules (issue: "Write rules enforced by the server"): every change by
    /// this device's registered actor (or the deterministic schema chain); nothing
    /// under `review` (supervisors only); evidence references append-only (R-REC-5).
    fn check_write_rules(
        &self,
        fork: &mut AutoCommit,
        before: &[ChangeHash],
        existing: Option<&DocRecord>,
    ) -> Result<(), String> {
        let chain: BTreeSet<ChangeHash> = schema_chain_hashes()
            .map_err(|e| format!("服务器内部错误：{e}"))?
            .into_iter()
            .collect();
        let schema = schema_actor();
        for change in fork.get_changes(before) {
            let actor = change.actor_id();
            if actor.to_hex_string() == self.auth.device.actor_id {
                continue;
            }
            if *actor == schema && chain.contains(&change.hash()) {
                continue;
            }
            return Err(format!(
                "记录中包含不是由本设备作出的修改（作者 {}），已拒绝；请联系管理员",
                actor.to_hex_string()
            ));
        }
        let after = fork.get_heads();
        for patch in fork.diff(before, &after) {
            let root = match patch.path.first() {
                Some((_, automerge::Prop::Map(k))) => Some(k.clone()),
                Some(_) => None,
                None => match &patch.action {
                    automerge::PatchAction::PutMap { key, .. }
                    | automerge::PatchAction::DeleteMap { key } => Some(key.clone()),
                    _ => None,
                },
            };
            if root.as_deref() == Some("review") && !self.is_schema_only(&patch) {
                return Err("审核意见只能由审核人员在服务器上填写，设备上的相关修改已拒绝".into());
            }
        }
        if existing.is_some() {
            let old = read_at(fork, before);
            let new = read_at(fork, &after);
            if let (Some(old), Some(new)) = (old, new) {
                for e in &old.evidence {
                    if new.evidence.iter().all(|n| n != e) {
                        return Err(format!(
                            "R-REC-5: 证据 {} 的引用被删除或改动；证据只能追加，不能删除",
                            &e.sha256[..12.min(e.sha256.len())]
                        ));
                    }
                }
                if old.review != new.review {
                    return Err(
                        "审核意见只能由审核人员在服务器上填写，设备上的相关修改已拒绝".into(),
                    );
                }
            }
        }
        Ok(())
    }

    /// The schema chain creates `review` and its `comments` list; that is not a write.
    fn is_schema_only(&self, patch: &automerge::Patch) -> bool {
        match &patch.action {
            automerge::PatchAction::PutMap { value, .. } => {
                matches!(value.0, automerge::Value::Object(_))
            }
            _ => false,
        }
    }

    /// The record to store for a document: `Err(None)` if it is not a readable
    /// inspection yet, `Err(Some(reason))` if it belongs to someone else.
    async fn record_of(
        &self,
        request_id: &str,
        doc: &mut AutoCommit,
    ) -> Result<Result<DocRecord, Option<String>>, SyncFailure> {
        let bytes = doc.save();
        let Ok(i) = InspectionDoc::load(&bytes).and_then(|d| d.read()) else {
            return Ok(Err(None));
        };
        if i.meta.id != request_id {
            // Never let a document stored under one id replace another record.
            return Ok(Err(Some(format!(
                "记录编号 {request_id} 与文档内的编号 {} 不一致，已拒绝",
                i.meta.id
            ))));
        }
        if i.meta.agency_id != self.auth.user.agency_id {
            return Ok(Err(Some("该检查记录属于其他执法主体，无权同步".into())));
        }
        let mut officers: BTreeSet<String> = BTreeSet::new();
        officers.insert(i.meta.opened_by.clone());
        officers.extend(i.team.iter().map(|m| m.officer_id.clone()));
        if let Some(task_id) = &i.meta.task_id
            && let Some((roster, _)) = self
                .st
                .storage
                .roster_for(&self.auth.user.agency_id, None)
                .await?
            && let Some(task) = roster.tasks.iter().find(|t| &t.id == task_id)
        {
            officers.extend(task.officer_ids.iter().cloned());
        }
        if !officers.contains(self.officer_id) {
            return Ok(Err(Some("您不是该检查记录的检查人员，无权同步".into())));
        }
        Ok(Ok(DocRecord {
            id: i.meta.id.clone(),
            agency_id: i.meta.agency_id.clone(),
            officer_ids: officers.into_iter().collect(),
            task_id: i.meta.task_id.clone(),
            target_name: i.meta.target_name.clone(),
            status: match i.status() {
                liuhen_core::inspection::InspectionStatus::Open => "open".into(),
                liuhen_core::inspection::InspectionStatus::Closed => "closed".into(),
            },
            heads: doc.get_heads().iter().map(|h| h.to_string()).collect(),
            bytes,
            updated_at: self.now,
        }))
    }

    /// Records every evidence reference (with the capture time corrected by the
    /// device's clock skew) so uploads can be matched and the 24-hour rule tracked.
    async fn reference_evidence(
        &self,
        doc: &mut AutoCommit,
        rec: &DocRecord,
    ) -> Result<(), SyncFailure> {
        let Ok(i) = InspectionDoc::load(&doc.save()).and_then(|d| d.read()) else {
            return Ok(());
        };
        for e in &i.evidence {
            let captured_at = e.captured_at - chrono::Duration::seconds(self.skew);
            self.st
                .storage
                .reference_blob(&BlobRecord {
                    sha256: e.sha256.clone(),
                    inspection_id: rec.id.clone(),
                    captured_at,
                    received_at: None,
                    size: e.size_bytes,
                })
                .await?;
        }
        Ok(())
    }
}

fn read_at(doc: &mut AutoCommit, heads: &[ChangeHash]) -> Option<Inspection> {
    let mut at = doc.fork_at(heads).ok()?;
    if at.length(automerge::ROOT) == 0 {
        return None;
    }
    InspectionDoc::load(&at.save()).ok()?.read().ok()
}

/// Writes a supervisor's comment or decision into an inspection document as that
/// supervisor (a deterministic actor per user), so it reaches the officers' devices
/// at their next sync.
pub async fn write_review(
    storage: &dyn Storage,
    st: &AppState,
    user: &User,
    id: &str,
    change: impl FnOnce(&mut InspectionDoc) -> Result<(), liuhen_core::doc::DocError>,
) -> Result<Inspection, SyncFailure> {
    let lock = st.doc_locks.get(id);
    let _guard = lock.lock().await;
    let not_found = || SyncFailure::not_found(id);
    let Some(mut rec) = storage.doc(id).await? else {
        return Err(not_found());
    };
    if rec.agency_id != user.agency_id {
        return Err(not_found());
    }
    let unreadable = |e: liuhen_core::doc::DocError| SyncFailure {
        status: StatusCode::INTERNAL_SERVER_ERROR,
        code: "document_unreadable",
        message: format!("服务器上的该记录无法读取：{e}"),
    };
    let mut doc = InspectionDoc::load(&rec.bytes).map_err(unreadable)?;
    doc.migrate().map_err(unreadable)?;
    doc.set_actor(user_actor(&user.id));
    change(&mut doc).map_err(|e| bad_request("review_failed", e.to_string()))?;
    let inspection = doc.read().map_err(unreadable)?;
    rec.heads = doc.heads().iter().map(|h| h.to_string()).collect();
    rec.bytes = doc.save();
    rec.updated_at = st.clock.now();
    storage.put_doc(&rec).await?;
    crate::desk::summary::refresh_or_log(st, id).await;
    Ok(inspection)
}

/// The automerge actor of a server user (supervisor): stable, distinct per user.
pub fn user_actor(user_id: &str) -> automerge::ActorId {
    use sha2::{Digest, Sha256};
    let h = Sha256::digest(format!("liuhen-user:{user_id}").as_bytes());
    automerge::ActorId::from(&h[..16])
}
