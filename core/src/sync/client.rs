//! The device side of sync: one batched exchange for every changed document,
//! repeated until neither side has anything to say (a small fixed number of round
//! trips whatever the number of documents), then the evidence uploads.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::time::Duration;

use automerge::AutoCommit;
use automerge::sync::{BloomFilter, Capability, Have, Message, State, SyncDoc};

use super::protocol::{
    DocMessage, DocStatus, DraftPush, MAX_DOCS_PER_REQUEST, MAX_DRAFTS_PER_REQUEST,
    MAX_LOG_ENTRIES_PER_REQUEST, PAGE_LOG_BYTES, PAGE_MESSAGE_BYTES, PROTOCOL_VERSION, SyncRequest,
    SyncResponse,
};
use crate::api::{Core, CoreError};
use crate::audit::LogEntry;
use crate::doc::InspectionDoc;
use crate::drafting::DraftOutcome;
use crate::store::SyncState;

/// Key of the roster version tag in the device settings.
const ROSTER_VERSION_KEY: &str = "roster_version";
/// Device value: the server's change cursor after the last complete sync (issue 19).
const OFFER_CURSOR_KEY: &str = "offer_cursor";

/// Whether an exchange failed because the server could not read the request.
fn is_malformed(attempt: &Result<Exchange, TransportError>) -> bool {
    matches!(attempt, Err(TransportError::Rejected { code, .. }) if code == "malformed_request")
}

/// A failed exchange, classified so the client knows whether to retry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// No answer, a cut connection, a timeout: try again later.
    #[error("网络不可用或连接中断：{0}")]
    Network(String),
    /// The token is missing, expired or revoked: the officer must enrol again.
    #[error("设备授权无效（{code}）：{message}")]
    Unauthorized {
        /// Server code, e.g. `token_revoked`.
        code: String,
        /// Server message.
        message: String,
    },
    /// The server refused the request (4xx): retrying the same thing will not help.
    #[error("服务器拒绝了请求（{status} {code}）：{message}")]
    Rejected {
        /// HTTP status.
        status: u16,
        /// Server code.
        code: String,
        /// Server message.
        message: String,
    },
    /// The server failed (5xx): try again later.
    #[error("服务器暂时无法处理（{status}）：{message}")]
    Server {
        /// HTTP status.
        status: u16,
        /// What it said.
        message: String,
    },
    /// The answer could not be decoded (garbled or truncated): try again.
    #[error("服务器应答无法解析：{0}")]
    Decode(String),
}

impl TransportError {
    /// Whether trying again later can succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            TransportError::Network(_) | TransportError::Server { .. } | TransportError::Decode(_)
        )
    }
}

/// One request/response with its size on the wire.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The decoded response.
    pub response: SyncResponse,
    /// Request body bytes.
    pub bytes_sent: u64,
    /// Response body bytes.
    pub bytes_received: u64,
}

/// How the client reaches the server (HTTP in the app, anything in tests).
pub trait Transport {
    /// Sends one batched sync request.
    fn exchange(&self, req: &SyncRequest) -> Result<Exchange, TransportError>;
    /// Uploads one evidence blob resumably; `resume_url` is where an earlier attempt
    /// got to; `on_url` is called with the upload URL as soon as it is known, so the
    /// caller can persist it. Returns the bytes sent.
    fn upload(
        &self,
        path: &Path,
        sha256: &str,
        inspection_id: &str,
        media_type: &str,
        resume_url: Option<&str>,
        on_url: &mut dyn FnMut(&str),
    ) -> Result<u64, TransportError>;
}

/// Why a sync run failed as a whole (per-record problems are in the report).
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The exchange failed.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The device store failed.
    #[error(transparent)]
    Core(#[from] CoreError),
    /// The server speaks another protocol version.
    #[error("服务器同步协议版本为 {server}，本应用为 {client}；请升级应用")]
    Protocol {
        /// Server version.
        server: u32,
        /// Ours.
        client: u32,
    },
}

impl SyncError {
    /// Whether trying again later can succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            SyncError::Transport(t) => t.is_retryable(),
            _ => false,
        }
    }
}

/// What a sync run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Request/response round trips (all pages counted).
    pub requests: u32,
    /// Protocol rounds.
    pub rounds: u32,
    /// Bytes sent (request bodies, uploads).
    pub bytes_sent: u64,
    /// Bytes received (response bodies).
    pub bytes_received: u64,
    /// Records the server now has in full.
    pub synced: Vec<String>,
    /// Records the server refused, with its reason.
    pub needs_attention: Vec<(String, String)>,
    /// Records that stay pending (e.g. an upload failed), with why.
    pub still_pending: Vec<(String, String)>,
    /// Records this device received for the first time.
    pub received_new: Vec<String>,
    /// Records that received changes from the server (e.g. a supervisor's comment).
    pub received_changes: Vec<String>,
    /// Evidence uploaded.
    pub blobs_uploaded: Vec<String>,
    /// Device clock minus server clock (seconds), as the server measured it.
    pub clock_skew_seconds: Option<i64>,
    /// Whether a new roster/task list arrived.
    pub roster_updated: bool,
    /// Signed log entries sent in this run (a re-sent entry counts again).
    pub log_entries_sent: u64,
    /// The server's acknowledgement of the device log after this run (entries up to
    /// this number are on the server), if the server gave one.
    pub log_acked_seq: Option<u64>,
    /// Drafts of decisions the server now has in full.
    pub drafts_synced: Vec<String>,
    /// Drafts that received changes made on the server (e.g. an edit on the web).
    pub drafts_received: Vec<String>,
    /// Drafts whose changes the server refused, with its reason (kept on the device).
    pub drafts_refused: Vec<(String, String)>,
    /// Drafts not sent this run, with why (e.g. the server is too old).
    pub drafts_pending: Vec<(String, String)>,
    /// Whether the run ended with nothing left to exchange. `false` when it stopped
    /// at its round bound ([`SyncClient::max_rounds`]) with messages still due (e.g.
    /// records kept changing on the server meanwhile): records it offered may not be
    /// on the phone yet, and the next run goes on from where this one stopped.
    pub complete: bool,
}

/// Retry policy: exponential backoff with a cap.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    /// Attempts in all (≥ 1).
    pub attempts: u32,
    /// First delay.
    pub initial: Duration,
    /// Longest delay.
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            attempts: 5,
            initial: Duration::from_secs(2),
            max: Duration::from_secs(300),
        }
    }
}

impl Backoff {
    /// Delay before attempt `n` (1-based, after the first failure).
    pub fn delay(&self, n: u32) -> Duration {
        let factor = 2u32.saturating_pow(n.saturating_sub(1));
        self.initial.saturating_mul(factor).min(self.max)
    }
}

/// The sync client.
#[derive(Debug)]
pub struct SyncClient<T: Transport> {
    transport: T,
    /// Safety bound on protocol rounds per run (automerge needs 2–3).
    pub max_rounds: u32,
}

/// A document being synced in this run.
enum Local {
    /// Stored on the device.
    Stored,
    /// Offered by the server, not on the device yet: filled in memory until it is a
    /// readable inspection, then stored.
    Incoming(Box<AutoCommit>),
}

fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v
}

impl<T: Transport> SyncClient<T> {
    /// A client over a transport.
    pub fn new(transport: T) -> Self {
        SyncClient {
            transport,
            max_rounds: 8,
        }
    }

    /// The transport (e.g. to read counters in tests).
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// The transport, giving up the client (e.g. to configure it and make a new one).
    pub fn into_transport(self) -> T {
        self.transport
    }

    /// Runs with retries on network-type failures, sleeping with `sleep` between
    /// attempts (a background job passes `std::thread::sleep`).
    pub fn run_with_retry(
        &self,
        core: &mut Core,
        backoff: &Backoff,
        mut sleep: impl FnMut(Duration),
    ) -> Result<SyncReport, SyncError> {
        let mut attempt = 1;
        loop {
            match self.run(core) {
                Ok(r) => return Ok(r),
                Err(e) if e.is_retryable() && attempt < backoff.attempts.max(1) => {
                    tracing::warn!(attempt, error = %e, "sync failed, retrying");
                    sleep(backoff.delay(attempt));
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// One sync run: every record not yet synced (and every record the server offers
    /// because it changed there) in batched exchanges, then the evidence uploads.
    pub fn run(&self, core: &mut Core) -> Result<SyncReport, SyncError> {
        let mut report = SyncReport::default();
        let mut roster_version = core
            .store()
            .device_value(ROSTER_VERSION_KEY)
            .map_err(CoreError::from)?
            .and_then(|v| String::from_utf8(v).ok());
        let mut docs: BTreeMap<String, Local> = BTreeMap::new();
        // Records the server refused wait for the officer, even when offered again.
        let mut parked: BTreeSet<String> = BTreeSet::new();
        for d in core.list_inspections(true)? {
            if d.sync_state == SyncState::NeedsAttention {
                parked.insert(d.id);
            } else {
                docs.insert(d.id, Local::Stored);
            }
        }
        core.in_batch(|core| -> Result<(), SyncError> {
            for id in docs.keys() {
                core.set_sync_state(id, SyncState::Syncing, None)?;
            }
            Ok(())
        })?;
        let mut states: HashMap<String, State> = HashMap::new();
        let mut attention: BTreeMap<String, String> = BTreeMap::new();
        let mut missing: BTreeSet<String> = BTreeSet::new();
        let mut must_ask: BTreeSet<String> = BTreeSet::new();
        let mut changed: BTreeSet<String> = BTreeSet::new();

        let mut log = LogUpload::start(core)?;
        // The server offers only records written after this cursor; a newer one
        // replaces it once every record offered in this run is handled.
        let mut cursor: u64 = core
            .store()
            .device_value(OFFER_CURSOR_KEY)
            .map_err(CoreError::from)?
            .and_then(|v| String::from_utf8(v).ok())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let mut complete = false;
        let mut use_cursor = true;

        let result = (|| -> Result<(), SyncError> {
            for round in 0..self.max_rounds {
                // One transaction for the round's messages: a new record's first
                // message is stored as its compacted form (Core::sync_generate).
                let msgs = core.in_batch(|core| -> Result<Vec<DocMessage>, SyncError> {
                    let mut msgs = vec![];
                    for (id, local) in docs.iter_mut() {
                        if attention.contains_key(id) {
                            continue;
                        }
                        let state = match states.get_mut(id) {
                            Some(s) => s,
                            None => {
                                let s = load_state(core, id, local)?;
                                states.entry(id.clone()).or_insert(s)
                            }
                        };
                        let msg = match local {
                            Local::Stored => core.sync_generate(id, state)?,
                            Local::Incoming(doc) => doc.sync().generate_sync_message(state),
                        };
                        if msg.is_some() || must_ask.contains(id) {
                            msgs.push(DocMessage {
                                id: id.clone(),
                                msg: msg.map(|m| m.encode()),
                                invalid_msg: None,
                            });
                        }
                    }
                    Ok(msgs)
                })?;
                must_ask.clear();
                if msgs.is_empty() && round > 0 && !log.has_more() {
                    complete = true;
                    break;
                }
                report.rounds += 1;
                for page in paginate(msgs) {
                    let page_ids: Vec<String> = page.iter().map(|m| m.id.clone()).collect();
                    let mut req = SyncRequest {
                        protocol: PROTOCOL_VERSION,
                        device_time: core.now(),
                        roster_version: roster_version.clone(),
                        docs: page,
                        log: log.next_batch(core)?,
                        drafts: vec![],
                        offer_since: use_cursor.then_some(cursor),
                    };
                    // A server that predates an optional field refuses it as
                    // malformed: re-send without the change cursor (and use none this
                    // run), then without the log (and send none this run).
                    let mut attempt = self.transport.exchange(&req);
                    if is_malformed(&attempt) && req.offer_since.is_some() {
                        tracing::warn!("server refused the change cursor; syncing without it");
                        use_cursor = false;
                        req.offer_since = None;
                        report.requests += 1;
                        attempt = self.transport.exchange(&req);
                    }
                    if is_malformed(&attempt) && !req.log.is_empty() {
                        tracing::warn!("server refused the device log; syncing without it");
                        log.disable();
                        req.log.clear();
                        report.requests += 1;
                        attempt = self.transport.exchange(&req);
                    }
                    let ex = attempt?;
                    report.requests += 1;
                    report.bytes_sent += ex.bytes_sent;
                    report.bytes_received += ex.bytes_received;
                    let resp = ex.response;
                    if resp.protocol != PROTOCOL_VERSION {
                        return Err(SyncError::Protocol {
                            server: resp.protocol,
                            client: PROTOCOL_VERSION,
                        });
                    }
                    report.clock_skew_seconds = Some(resp.clock_skew_seconds);
                    log.acknowledged(core, &req.log, resp.log_acked_seq, &mut report)?;
                    if let Some(roster) = resp.roster {
                        let by = core.device().device_id.clone();
                        core.load_roster(roster, &by)?;
                        core.store()
                            .set_device_value(ROSTER_VERSION_KEY, resp.roster_version.as_bytes())
                            .map_err(CoreError::from)?;
                        roster_version = Some(resp.roster_version.clone());
                        report.roster_updated = true;
                    }
                    // Everything this page brought (new records, merged changes, sync
                    // states) commits in one durable transaction (issue 19 item 3).
                    core.in_batch(|core| -> Result<(), SyncError> {
                        for reply in resp.docs {
                            let id = reply.id;
                            match reply.status {
                                DocStatus::Ok => {}
                                DocStatus::Rejected
                                | DocStatus::Forbidden
                                | DocStatus::Malformed
                                | DocStatus::NotFound => {
                                    let reason = reply
                                        .reason
                                        .unwrap_or_else(|| "服务器拒绝了该记录".to_string());
                                    if core.has_document(&id)? {
                                        core.set_sync_state(
                                            &id,
                                            SyncState::NeedsAttention,
                                            Some(&reason),
                                        )?;
                                    }
                                    attention.insert(id, reason);
                                    continue;
                                }
                            }
                            let Some(bytes) = reply.msg else { continue };
                            let msg = Message::decode(&bytes)
                                .map_err(|e| TransportError::Decode(format!("{id}: {e}")))?;
                            let Some(local) = docs.get_mut(&id) else {
                                continue;
                            };
                            let state = states.entry(id.clone()).or_default();
                            match local {
                                Local::Stored => {
                                    if core.sync_receive(&id, state, msg)? {
                                        changed.insert(id.clone());
                                    }
                                }
                                Local::Incoming(doc) => {
                                    doc.sync().receive_sync_message(state, msg).map_err(|e| {
                                        TransportError::Decode(format!("{id}: {e}"))
                                    })?;
                                    let received =
                                        InspectionDoc::from_automerge(*std::mem::take(doc));
                                    match core.sync_insert_received(received)? {
                                        Ok(_) => {
                                            report.received_new.push(id.clone());
                                            *local = Local::Stored;
                                        }
                                        Err(partial) => **doc = partial.into_automerge(),
                                    }
                                }
                            }
                        }
                        for id in resp.offer {
                            if attention.contains_key(&id) || parked.contains(&id) {
                                continue;
                            }
                            // Already on this run's list: written again on the server
                            // after this page's reply was made, so ask again next
                            // round (the run's cursor already covers that write).
                            if docs.contains_key(&id) {
                                must_ask.insert(id);
                                continue;
                            }
                            let local = if core.has_document(&id)? {
                                Local::Stored
                            } else {
                                Local::Incoming(Box::default())
                            };
                            docs.insert(id.clone(), local);
                            must_ask.insert(id);
                        }
                        // Every record offered above is now tracked in `docs`, so later
                        // requests of this run need offers only of newer writes.
                        if let Some(c) = resp.offer_cursor {
                            cursor = cursor.max(c);
                        }
                        missing.extend(resp.missing_blobs);
                        // Persist what this page changed, so an interrupted run resumes.
                        for id in &page_ids {
                            if let Some(state) = states.get(id)
                                && core.has_document(id)?
                            {
                                core.store()
                                    .set_peer_state(id, &state.encode(), core.now())
                                    .map_err(CoreError::from)?;
                            }
                        }
                        Ok(())
                    })?;
                }
            }
            report.complete = complete;
            if complete && use_cursor {
                core.store()
                    .set_device_value(OFFER_CURSOR_KEY, cursor.to_string().as_bytes())
                    .map_err(CoreError::from)?;
            }
            Ok(())
        })();

        let result = result.and_then(|()| self.sync_drafts(core, &roster_version, &mut report));

        // Whatever happened, no record stays "syncing".
        let uploads = match &result {
            Ok(()) => self.upload_missing(core, &docs, &missing, &mut report),
            Err(_) => BTreeMap::new(),
        };
        core.in_batch(|core| -> Result<(), SyncError> {
            for (id, local) in &docs {
                if let Some(reason) = attention.get(id) {
                    report.needs_attention.push((id.clone(), reason.clone()));
                    continue;
                }
                if !matches!(local, Local::Stored) {
                    continue;
                }
                // The heads as stored, not the document loaded again (issue 19): a
                // record is synced when the server shares exactly what is durable here.
                let Some(stored) = core.stored_heads(id)? else {
                    continue;
                };
                let converged = match (&result, states.get(id)) {
                    (Ok(()), Some(state)) => {
                        let shared: Vec<String> =
                            state.shared_heads.iter().map(ToString::to_string).collect();
                        sorted(shared) == sorted(stored)
                    }
                    _ => false,
                };
                match uploads.get(id) {
                    Some((reason, true)) => {
                        core.set_sync_state(id, SyncState::NeedsAttention, Some(reason))?;
                        report.needs_attention.push((id.clone(), reason.clone()));
                    }
                    None if converged => {
                        core.set_sync_state(id, SyncState::Synced, None)?;
                        report.synced.push(id.clone());
                    }
                    problem => {
                        let reason = problem
                            .map(|(r, _)| r.clone())
                            .unwrap_or_else(|| "尚未与服务器一致，将在下次同步时继续".to_string());
                        core.set_sync_state(id, SyncState::Pending, Some(&reason))?;
                        report.still_pending.push((id.clone(), reason));
                    }
                }
            }
            Ok(())
        })?;
        report.received_changes = changed.into_iter().collect();
        result.map(|()| report)
    }

    /// Exchanges the device's drafts of decisions (R-LEGAL-1): every draft with its
    /// heads, whole when it holds unsynced changes; the server merges what it may,
    /// answers with its status and sends back what changed there.
    fn sync_drafts(
        &self,
        core: &mut Core,
        roster_version: &Option<String>,
        report: &mut SyncReport,
    ) -> Result<(), SyncError> {
        let pushes = core.draft_pushes()?;
        let mut pages: Vec<Vec<DraftPush>> = vec![];
        let mut bytes = 0usize;
        for p in pushes {
            let size = p.doc.as_ref().map_or(0, Vec::len);
            match pages.last_mut() {
                Some(page)
                    if page.len() < MAX_DRAFTS_PER_REQUEST
                        && bytes + size <= PAGE_MESSAGE_BYTES =>
                {
                    bytes += size;
                    page.push(p);
                }
                _ => {
                    bytes = size;
                    pages.push(vec![p]);
                }
            }
        }
        for page in pages {
            let ids: Vec<(String, bool)> = page
                .iter()
                .map(|p| (p.id.clone(), p.doc.is_some()))
                .collect();
            let req = SyncRequest {
                protocol: PROTOCOL_VERSION,
                device_time: core.now(),
                roster_version: roster_version.clone(),
                docs: vec![],
                log: vec![],
                drafts: page,
                offer_since: None,
            };
            let ex = match self.transport.exchange(&req) {
                // A server that predates drafting on devices refuses the field: the
                // drafts stay on the device, pending, and nothing else fails.
                Err(TransportError::Rejected { code, .. }) if code == "malformed_request" => {
                    report.requests += 1;
                    for (id, _) in ids {
                        report
                            .drafts_pending
                            .push((id, "服务器版本过旧，暂不接收设备上起草的决定草案".into()));
                    }
                    return Ok(());
                }
                other => other?,
            };
            report.requests += 1;
            report.bytes_sent += ex.bytes_sent;
            report.bytes_received += ex.bytes_received;
            let mut answered = BTreeSet::new();
            for reply in &ex.response.drafts {
                if !ids.iter().any(|(id, _)| *id == reply.id) {
                    continue;
                }
                answered.insert(reply.id.clone());
                match core.apply_draft_reply(reply)? {
                    DraftOutcome::Synced { received } => {
                        if received {
                            report.drafts_received.push(reply.id.clone());
                        }
                        report.drafts_synced.push(reply.id.clone());
                    }
                    DraftOutcome::Refused(reason) => {
                        report.drafts_refused.push((reply.id.clone(), reason));
                    }
                }
            }
            for (id, sent) in ids {
                if sent && !answered.contains(&id) {
                    report
                        .drafts_pending
                        .push((id, "服务器未答复，将在下次同步时重试".into()));
                }
            }
        }
        Ok(())
    }

    /// Uploads the blobs the server lacks that this device holds. Returns, per
    /// record, why it is not complete yet and whether retrying cannot help (then the
    /// record needs the officer's attention instead of being retried forever).
    fn upload_missing(
        &self,
        core: &mut Core,
        docs: &BTreeMap<String, Local>,
        missing: &BTreeSet<String>,
        report: &mut SyncReport,
    ) -> BTreeMap<String, (String, bool)> {
        let mut problems = BTreeMap::new();
        if missing.is_empty() {
            return problems;
        }
        for id in docs.keys() {
            let Ok(inspection) = core.inspection(id) else {
                continue;
            };
            for e in inspection.evidence {
                if !missing.contains(&e.sha256) || !core.blobs().contains(&e.sha256) {
                    continue;
                }
                let resume = core
                    .store()
                    .upload_state(&e.sha256)
                    .ok()
                    .flatten()
                    .and_then(|(url, _)| url);
                let path = core.blobs().path_of(&e.sha256);
                let store = core.store();
                let mut remember = |url: &str| {
                    let _ = store.set_upload_state(&e.sha256, id, Some(url), None, None);
                };
                match self.transport.upload(
                    &path,
                    &e.sha256,
                    id,
                    &e.media_type,
                    resume.as_deref(),
                    &mut remember,
                ) {
                    Ok(sent) => {
                        report.bytes_sent += sent;
                        report.blobs_uploaded.push(e.sha256.clone());
                        let _ = core.store().set_upload_state(
                            &e.sha256,
                            id,
                            None,
                            Some(core.now()),
                            None,
                        );
                    }
                    Err(err) => {
                        let msg = format!("证据 {} 上传未完成：{err}", &e.sha256[..12]);
                        let _ =
                            core.store()
                                .set_upload_state(&e.sha256, id, None, None, Some(&msg));
                        problems.insert(id.clone(), (msg, !err.is_retryable()));
                    }
                }
            }
        }
        problems
    }
}

/// Where the upload of the device's signed log got to in this run (R-REC-5).
///
/// Each request carries the next batch of entries after both the server's durable
/// acknowledgement and what this run already sent; the acknowledgement (the highest
/// sequence number the server holds without gaps) is stored on the device, so the
/// next run starts there. Nothing on the device is deleted.
struct LogUpload {
    /// Whether this run sends log entries (false once the server showed it cannot).
    enabled: bool,
    /// The server's acknowledgement as stored on the device.
    acked: u64,
    /// Highest sequence number sent in this run.
    sent_upto: u64,
    /// Last entry of the device log.
    last: u64,
}

impl LogUpload {
    fn start(core: &Core) -> Result<LogUpload, SyncError> {
        let store = core.store();
        let last = store.last_log_seq().map_err(CoreError::from)?;
        // An acknowledgement above the local log (a store restored from an older
        // backup) would skip entries: never trust it beyond what is here.
        let acked = store.log_acked_seq().map_err(CoreError::from)?.min(last);
        Ok(LogUpload {
            enabled: true,
            acked,
            sent_upto: acked,
            last,
        })
    }

    /// Whether entries remain that this run has not sent yet.
    fn has_more(&self) -> bool {
        self.enabled && self.sent_upto < self.last
    }

    fn disable(&mut self) {
        self.enabled = false;
    }

    /// The next entries to send: at most [`MAX_LOG_ENTRIES_PER_REQUEST`] and about
    /// [`PAGE_LOG_BYTES`] of JSON (always at least one entry if any remain).
    fn next_batch(&mut self, core: &Core) -> Result<Vec<LogEntry>, SyncError> {
        if !self.has_more() {
            return Ok(vec![]);
        }
        let from = self.acked.max(self.sent_upto);
        let mut batch = core
            .store()
            .log_entries_after(from, MAX_LOG_ENTRIES_PER_REQUEST)
            .map_err(CoreError::from)?;
        let mut bytes = 0usize;
        let mut keep = 0usize;
        for e in &batch {
            let size = serde_json::to_vec(e).map_or(0, |v| v.len());
            if keep > 0 && bytes + size > PAGE_LOG_BYTES {
                break;
            }
            bytes += size;
            keep += 1;
        }
        batch.truncate(keep);
        match batch.last() {
            Some(e) => self.sent_upto = e.seq,
            None => self.sent_upto = self.last,
        }
        Ok(batch)
    }

    /// Takes the server's answer to a request that carried `sent`.
    fn acknowledged(
        &mut self,
        core: &Core,
        sent: &[LogEntry],
        ack: Option<u64>,
        report: &mut SyncReport,
    ) -> Result<(), SyncError> {
        if sent.is_empty() {
            return Ok(());
        }
        report.log_entries_sent += sent.len() as u64;
        let Some(ack) = ack else {
            // The server took the request but not the log: it does not keep logs.
            tracing::warn!("server did not acknowledge the device log; not sending it this run");
            self.enabled = false;
            return Ok(());
        };
        let ack = ack.min(self.last);
        if ack != self.acked {
            core.store()
                .set_log_acked_seq(ack)
                .map_err(CoreError::from)?;
            self.acked = ack;
        }
        report.log_acked_seq = Some(ack);
        Ok(())
    }
}

/// The sync state a run starts from for one record: the stored one, or for a record
/// the server has never acknowledged (nothing stored, issue 19) the state of a peer
/// that holds none of it, so the first message carries the whole record.
fn load_state(core: &Core, id: &str, local: &Local) -> Result<State, SyncError> {
    Ok(
        match core.store().peer_state(id).map_err(CoreError::from)? {
            // A state that does not decode is only a lost optimisation: start afresh.
            Some(bytes) => State::decode(&bytes).unwrap_or_default(),
            None => match local {
                Local::Stored => state_for_new_record(),
                Local::Incoming(_) => State::new(),
            },
        },
    )
}

/// The sync state for sending a record the server has never acknowledged in one
/// round (issue 19 item 1): exactly the state automerge reaches when the server
/// answers a first message for a document it does not hold (heads, needs and the
/// last sync point empty, an empty bloom filter, the server's capabilities: message
/// v2 and sync reset, as automerge 0.12 advertises in every message). From it
/// `generate_sync_message` sends the whole document at once instead of only its
/// heads; the server's answer then completes the sync.
///
/// If the server did hold some of the record (an acknowledgement lost), nothing is
/// wrong: automerge skips changes it already has. `docs/sync-protocol.md` ("One round
/// for a new record") describes this for other clients.
pub fn state_for_new_record() -> State {
    State {
        their_heads: Some(vec![]),
        their_need: Some(vec![]),
        their_have: Some(vec![Have {
            last_sync: vec![],
            bloom: BloomFilter::default(),
        }]),
        their_capabilities: Some(vec![Capability::MessageV2, Capability::SyncReset]),
        ..State::new()
    }
}

/// Splits messages into requests bounded in count and message bytes.
fn paginate(msgs: Vec<DocMessage>) -> Vec<Vec<DocMessage>> {
    let mut pages: Vec<Vec<DocMessage>> = vec![];
    let mut current: Vec<DocMessage> = vec![];
    let mut bytes = 0usize;
    for m in msgs {
        let size = m.msg.as_ref().map_or(0, Vec::len);
        if !current.is_empty()
            && (current.len() >= MAX_DOCS_PER_REQUEST || bytes + size > PAGE_MESSAGE_BYTES)
        {
            pages.push(std::mem::take(&mut current));
            bytes = 0;
        }
        bytes += size;
        current.push(m);
    }
    if !current.is_empty() || pages.is_empty() {
        pages.push(current);
    }
    pages
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_respect_count_and_size() {
        let msgs: Vec<DocMessage> = (0..1200)
            .map(|i| DocMessage {
                id: i.to_string(),
                msg: Some(vec![0; 10_000]),
                invalid_msg: None,
            })
            .collect();
        let pages = paginate(msgs);
        assert!(pages.iter().all(|p| p.len() <= MAX_DOCS_PER_REQUEST));
        assert!(pages.iter().all(|p| {
            p.iter()
                .map(|m| m.msg.as_ref().map_or(0, Vec::len))
                .sum::<usize>()
                <= PAGE_MESSAGE_BYTES
        }));
        assert_eq!(pages.iter().map(Vec::len).sum::<usize>(), 1200);
        // No documents still makes one (empty) request: it fetches offers and the roster.
        assert_eq!(paginate(vec![]).len(), 1);
    }

    /// A document with a few changes, as a device makes them.
    fn device_doc() -> AutoCommit {
        use automerge::transaction::Transactable;
        let mut doc = AutoCommit::new();
        for i in 0..5_i64 {
            doc.put(automerge::ROOT, format!("k{i}"), i).expect("put");
            doc.commit();
        }
        doc
    }

    #[test]
    fn new_record_state_is_what_an_empty_peer_says() {
        // What automerge answers for a document it does not hold, before it has
        // heard anything: no heads, no needs, an empty bloom filter, its flags.
        let mut empty = AutoCommit::new();
        let said = empty
            .sync()
            .generate_sync_message(&mut State::new())
            .expect("first message");
        let encoded = said.encode();
        // The documented bytes (docs/sync-protocol.md) are that message.
        assert_eq!(hex(&encoded), NEW_RECORD_PEER_HEX);
        let page = include_str!("../../../docs/sync-protocol.md");
        assert!(page.contains(NEW_RECORD_PEER_HEX), "documented");
        // Receiving it from a fresh state gives exactly the state a new record starts from.
        let mut device = device_doc();
        let mut received = State::new();
        device
            .sync()
            .receive_sync_message(&mut received, Message::decode(&encoded).expect("decode"))
            .expect("receive");
        assert_eq!(received, state_for_new_record());
    }

    /// The first message of automerge 0.12 for a document it does not hold.
    const NEW_RECORD_PEER_HEX: &str = "42000001000000020284";

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    /// Syncs `device` into `server` from the given device state until both are quiet;
    /// returns the round trips that carried a device message.
    fn converge(device: &mut AutoCommit, server: &mut AutoCommit, mut sd: State) -> usize {
        let mut ss = State::new();
        let mut trips = 0;
        for _ in 0..8 {
            let Some(up) = device.sync().generate_sync_message(&mut sd) else {
                break;
            };
            trips += 1;
            server
                .sync()
                .receive_sync_message(&mut ss, up)
                .expect("server receives");
            if let Some(down) = server.sync().generate_sync_message(&mut ss) {
                device
                    .sync()
                    .receive_sync_message(&mut sd, down)
                    .expect("device receives");
            }
        }
        assert_eq!(sorted(sd.shared_heads.clone()), sorted(device.get_heads()));
        trips
    }

    #[test]
    fn a_new_record_takes_one_round_trip() {
        let mut device = device_doc();
        let mut server = AutoCommit::new();
        assert_eq!(
            converge(&mut device, &mut server, state_for_new_record()),
            1
        );
        assert_eq!(server.get_heads(), device.get_heads());
        // From a fresh state it takes two (heads first, then the changes).
        let mut server = AutoCommit::new();
        assert_eq!(converge(&mut device, &mut server, State::new()), 2);
        assert_eq!(server.get_heads(), device.get_heads());
    }

    #[test]
    fn sending_a_record_the_server_holds_again_changes_nothing() {
        // The server holds all, or the first part, of the record (an acknowledgement
        // lost): the whole record again is accepted and the duplicates ignored.
        let mut device = device_doc();
        let mut full = AutoCommit::load(&device.save()).expect("load");
        let before = full.save();
        converge(&mut device, &mut full, state_for_new_record());
        assert_eq!(full.save(), before, "nothing changed");
        let first_two: Vec<_> = device.get_changes(&[]).into_iter().take(2).collect();
        let mut part = AutoCommit::new();
        part.apply_changes(first_two).expect("apply");
        converge(&mut device, &mut part, state_for_new_record());
        assert_eq!(part.get_heads(), device.get_heads());
        assert_eq!(part.get_changes(&[]).len(), device.get_changes(&[]).len());
    }

    #[test]
    fn backoff_grows_and_caps() {
        let b = Backoff::default();
        assert_eq!(b.delay(1), Duration::from_secs(2));
        assert_eq!(b.delay(3), Duration::from_secs(8));
        assert_eq!(b.delay(30), Duration::from_secs(300));
    }
}
