//! `Core`: the facade the apps (through the bindings) and the field CLI use. It runs
//! the on-site lifecycle offline: every step checks its preconditions against the
//! cached roster, changes the inspection document, and appends a signed log entry,
//! both in one durable store transaction.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use automerge::{ActorId, ChangeHash};
use chrono::{DateTime, Utc};
use ed25519_dalek::{SigningKey, VerifyingKey};
use serde_json::json;

use crate::audit::{ChainError, LogEntry, NewLogEntry, verify_chain};
use crate::blobs::{BlobError, BlobStore, is_sha256_hex};
use crate::doc::{BASE_SCHEMA_VERSION, DocError, InspectionDoc, NewInspection, SCHEMA_VERSION};
use crate::evidence::{
    self, DerivedImage, EvidenceError, EvidenceLimits, IngestRequest, PhotoInfo,
};
use crate::export::{self, CaseFile, CaseFormat, ExportError, ExportSummary};
use crate::inspection::{
    Acknowledgement, Amendment, CaptureLocation, Closure, EvidenceKind, EvidenceRef, Finding,
    IdentityNotice, Inspection, InspectionKind, InspectionMeta, InspectionStatus, RightsNotice,
    TeamMember,
};
use crate::model::{
    CertificateProblem, CheckItem, ModelError, RightsNoticeText, RosterSnapshot, Task, TaskStatus,
};
use crate::rules::{self, RuleContext, Violation};
use crate::statement;
use crate::store::{DocWrite, DocumentSummary, Store, StoreError, SyncState};
use crate::time::{Clock, SystemClock, local_date};

/// Documents kept in memory at most; the cache is cleared when it is full.
const MAX_CACHED_DOCS: usize = 64;

/// Version of the read model's content: bump it whenever [`InspectionDoc::read`] or
/// [`Inspection`] changes what a record reads as, so that rows made by older code are
/// rebuilt rather than shown (issue 19 item 4). The document schema version and the
/// crate version are part of the stored version too.
const READ_MODEL_VERSION: u32 = 2;

/// The version string stored with each read model row.
fn read_model_version() -> &'static str {
    static V: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    V.get_or_init(|| {
        format!(
            "{READ_MODEL_VERSION}/{SCHEMA_VERSION}/{}",
            env!("CARGO_PKG_VERSION")
        )
    })
}

/// The read model of a hydrated inspection; `None` (no row, the next read hydrates)
/// if it cannot be encoded.
fn view_json(view: &Inspection) -> Option<String> {
    serde_json::to_string(view).ok()
}

/// A capture position in a log entry's detail: coordinates as strings, since the
/// device log's canonical encoding allows only integer numbers.
fn location_detail(l: &CaptureLocation) -> serde_json::Value {
    json!({
        "lat": l.lat.to_string(),
        "lon": l.lon.to_string(),
        "accuracy_m": l.accuracy_m.to_string(),
        "fixed_at_ms": l.fixed_at.timestamp_millis(),
    })
}

/// The position with its fix time cut to whole milliseconds, as the document
/// stores it, so what was written reads back equal.
fn whole_ms(mut l: CaptureLocation) -> CaptureLocation {
    if let Some(t) = DateTime::from_timestamp_millis(l.fixed_at.timestamp_millis()) {
        l.fixed_at = t;
    }
    l
}

/// A capture position refused on the device (R-REC-3), naming the field.
fn location_error(at: &str, p: crate::inspection::LocationProblem) -> CoreError {
    ModelError::new(format!("{at}.{}", p.field), p.reason).into()
}

/// Longest finding or amendment text accepted (characters).
pub const MAX_TEXT_CHARS: usize = 5000;

/// Everything that can go wrong in a lifecycle step, with what the officer can do.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// A value was refused; names the field.
    #[error(transparent)]
    Invalid(#[from] ModelError),
    /// The document layer failed.
    #[error(transparent)]
    Doc(#[from] DocError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The evidence directory failed.
    #[error(transparent)]
    Blob(#[from] BlobError),
    /// An evidence file was refused or could not be processed.
    #[error(transparent)]
    Evidence(#[from] EvidenceError),
    /// A case file could not be exported.
    #[error(transparent)]
    Export(#[from] ExportError),
    /// No roster is cached yet.
    #[error("本设备尚未下载执法人员名录和任务，请先同步一次")]
    NoRoster,
    /// No such task, target, officer or inspection.
    #[error("找不到{what} {id}")]
    NotFound {
        /// What kind of record.
        what: &'static str,
        /// Its id.
        id: String,
    },
    /// The task was cancelled by the server.
    #[error("任务 {id} 已取消：{reason}")]
    TaskCancelled {
        /// Task id.
        id: String,
        /// Reason given.
        reason: String,
    },
    /// An inspection for this task is already open on this device.
    #[error("任务 {task_id} 已有进行中的检查记录 {inspection_id}，请继续该记录")]
    TaskAlreadyOpen {
        /// Task id.
        task_id: String,
        /// The open inspection.
        inspection_id: String,
    },
    /// The officer's certificate does not count (R-SCENE-1).
    #[error(transparent)]
    Certificate(#[from] CertificateProblem),
    /// The officer is not assigned to the task (R-RAND-2).
    #[error("R-RAND-2: {name} 不是任务 {task_id} 指派的检查人员")]
    NotAssigned {
        /// Officer name.
        name: String,
        /// Task id.
        task_id: String,
    },
    /// The officer is already checked in.
    #[error("{name} 已经签到")]
    AlreadyCheckedIn {
        /// Officer name.
        name: String,
    },
    /// The acting officer is not checked in to this inspection.
    #[error("R-SCENE-2: {officer_id} 未在本次检查中签到，不能记录此步骤")]
    NotInTeam {
        /// Officer id.
        officer_id: String,
    },
    /// The step needs a complete team first (R-SCENE-2).
    #[error("R-SCENE-2: 至少两名执法人员签到后才能进行亮证告知（当前 {count} 名）")]
    TeamIncomplete {
        /// Officers checked in.
        count: usize,
    },
    /// Referenced evidence is not attached to the inspection.
    #[error("R-REC-5: 证据 {sha256} 尚未添加到本次检查记录，请先采集该证据")]
    EvidenceNotAttached {
        /// The hash.
        sha256: String,
    },
    /// Evidence of the wrong kind for the step.
    #[error("{rule}: 证据 {sha256} 是{found}，此处需要{expected}")]
    WrongEvidenceKind {
        /// Rule demanding the kind.
        rule: &'static str,
        /// The hash.
        sha256: String,
        /// Kind found.
        found: &'static str,
        /// Kind expected.
        expected: &'static str,
    },
    /// Closing was refused; every unmet rule is listed.
    #[error("不能结束检查，以下要求尚未满足：\n{}", .violations.iter().map(|v| v.message.as_str()).collect::<Vec<_>>().join("\n"))]
    CloseRefused {
        /// The unmet rules.
        violations: Vec<Violation>,
    },
    /// The inspection is closed: only amendments may be added (R-REC-5).
    #[error("R-REC-5: 检查 {id} 已结束，记录不得修改；如需更正，请添加更正记录")]
    Closed {
        /// Inspection id.
        id: String,
    },
    /// Amendments are only for closed inspections.
    #[error("检查 {id} 尚未结束，可直接修改记录，无需更正")]
    NotClosed {
        /// Inspection id.
        id: String,
    },
    /// The device log does not verify.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// The device identity stored is unreadable.
    #[error("设备身份数据损坏：{0}")]
    DeviceIdentity(String),
    /// A proposed decision was refused while drafting; names the field.
    #[error(transparent)]
    DraftInvalid(#[from] crate::legal::LegalInputError),
    /// Drafting needs the account the device enrolled for.
    #[error("本设备尚未登记到服务器，不能起草执法决定（草案须以登记的账号提交）；请先登记设备")]
    NotEnrolled,
    /// The draft changed since the officer opened it in a way this device cannot
    /// place (the heads passed back are unknown).
    #[error("决定草案 {id} 所依据的版本在本设备上不存在，请重新打开草案后再修改")]
    StaleDraft {
        /// Draft id.
        id: String,
    },
    /// The draft is decided on the server: no more edits (R-LEGAL-1).
    #[error("决定草案 {id} 已作出决定，不能再修改")]
    DraftDecided {
        /// Draft id.
        id: String,
    },
    /// A draft document operation failed (boxed: automerge's errors are large).
    #[error(transparent)]
    DraftDoc(Box<crate::draft_doc::DraftDocError>),
    /// A stored draft does not read; other records are unaffected.
    #[error("决定草案 {id} 的存储数据无法读取：{reason}；该草案未被改动，请联系管理员")]
    DraftDamaged {
        /// Draft id.
        id: String,
        /// Why.
        reason: String,
    },
}

impl From<crate::draft_doc::DraftDocError> for CoreError {
    fn from(e: crate::draft_doc::DraftDocError) -> Self {
        CoreError::DraftDoc(Box::new(e))
    }
}

impl CoreError {
    /// Whether the officer's input was refused (or a rule is not met) — something the
    /// user can fix — rather than the device failing (disk, database, damaged data).
    pub fn is_refusal(&self) -> bool {
        match self {
            CoreError::Invalid(_)
            | CoreError::NoRoster
            | CoreError::NotFound { .. }
            | CoreError::TaskCancelled { .. }
            | CoreError::TaskAlreadyOpen { .. }
            | CoreError::Certificate(_)
            | CoreError::NotAssigned { .. }
            | CoreError::AlreadyCheckedIn { .. }
            | CoreError::NotInTeam { .. }
            | CoreError::TeamIncomplete { .. }
            | CoreError::EvidenceNotAttached { .. }
            | CoreError::WrongEvidenceKind { .. }
            | CoreError::CloseRefused { .. }
            | CoreError::Closed { .. }
            | CoreError::NotClosed { .. }
            | CoreError::DraftInvalid(_)
            | CoreError::NotEnrolled
            | CoreError::StaleDraft { .. }
            | CoreError::DraftDecided { .. }
            | CoreError::Chain(_) => true,
            CoreError::DraftDoc(e) => {
                matches!(**e, crate::draft_doc::DraftDocError::UnknownHeads)
            }
            CoreError::DraftDamaged { .. } => false,
            CoreError::Store(StoreError::NotFound { .. }) => true,
            // The file the officer named cannot be read, or is empty.
            CoreError::Blob(BlobError::Read { .. } | BlobError::Empty) => true,
            CoreError::Evidence(e) => e.is_refusal(),
            CoreError::Export(e) => e.is_refusal(),
            CoreError::Store(_) | CoreError::Blob(_) | CoreError::Doc(_) => false,
            CoreError::DeviceIdentity(_) => false,
        }
    }
}

/// The device's identity: id, automerge actor and signing key (made on first start).
#[derive(Debug, Clone)]
pub struct DeviceIdentity {
    /// Device id (UUIDv7).
    pub device_id: String,
    /// Automerge actor id used for every local change.
    pub actor: ActorId,
    signing_key: SigningKey,
}

impl DeviceIdentity {
    /// The public key the server registers at enrollment.
    pub fn verifying_key(&self) -> VerifyingKey {
        self.signing_key.verifying_key()
    }

    fn load_or_create(store: &Store) -> Result<Self, CoreError> {
        let bad = |what: &str| CoreError::DeviceIdentity(what.to_string());
        match (
            store.device_value("device_id")?,
            store.device_value("actor")?,
            store.device_value("signing_key")?,
        ) {
            (Some(id), Some(actor), Some(key)) => {
                let key: [u8; 32] = key.try_into().map_err(|_| bad("signing_key"))?;
                Ok(DeviceIdentity {
                    device_id: String::from_utf8(id).map_err(|_| bad("device_id"))?,
                    actor: ActorId::from(actor),
                    signing_key: SigningKey::from_bytes(&key),
                })
            }
            (None, None, None) => {
                let signing_key = SigningKey::generate(&mut rand::rngs::OsRng);
                let device_id = uuid::Uuid::now_v7().to_string();
                let actor = ActorId::random();
                store.set_device_value("actor", actor.to_bytes())?;
                store.set_device_value("signing_key", signing_key.as_bytes())?;
                // Written last: its presence marks a complete identity.
                store.set_device_value("device_id", device_id.as_bytes())?;
                tracing::info!(%device_id, "created device identity");
                Ok(DeviceIdentity {
                    device_id,
                    actor,
                    signing_key,
                })
            }
            _ => Err(bad("incomplete")),
        }
    }
}

/// A document held in memory with the heads already persisted.
struct Cached {
    doc: InspectionDoc,
    persisted: Vec<ChangeHash>,
}

/// What the rights-notice step records.
#[derive(Debug, Clone)]
pub struct RightsNoticeInput {
    /// Version of the notice text.
    pub notice_version: String,
    /// Remedy channels told.
    pub remedy_channels: Vec<String>,
    /// Signed or refused.
    pub acknowledgement: Acknowledgement,
}

/// What an evidence capture records besides the file itself.
#[derive(Debug, Clone)]
pub struct CaptureInput {
    /// Kind of evidence.
    pub kind: EvidenceKind,
    /// MIME type.
    pub media_type: String,
    /// Step it belongs to.
    pub step: crate::inspection::InspectionStep,
    /// Where it was captured, if the device had a good fix (R-REC-3); without one,
    /// a photo's EXIF GPS position is recorded (without accuracy and fix time).
    pub location: Option<CaptureLocation>,
}

/// What capturing an evidence item produced.
#[derive(Debug, Clone)]
pub struct Captured {
    /// The reference written into the inspection.
    pub reference: EvidenceRef,
    /// For photos: dimensions, EXIF, display copy and thumbnail.
    pub photo: Option<PhotoInfo>,
    /// A reduced copy to upload instead of a very large photo, if the agency allows.
    pub upload_copy: Option<DerivedImage>,
    /// Set when the photo's EXIF was unreadable (the photo was still kept).
    pub exif_warning: Option<String>,
}

/// The offline core of one device.
pub struct Core {
    store: Store,
    blobs: BlobStore,
    limits: EvidenceLimits,
    device: DeviceIdentity,
    clock: Arc<dyn Clock>,
    docs: HashMap<String, Cached>,
}

impl std::fmt::Debug for Core {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Core")
            .field("store", &self.store.path())
            .field("device", &self.device.device_id)
            .finish()
    }
}

fn heads_hex(h: &[ChangeHash]) -> Vec<String> {
    h.iter().map(|h| h.to_string()).collect()
}

/// Every change hash of `doc`, 32 bytes each, concatenated: stored with the heads
/// by each write (issue 19 item 1), so a new record's first sync message needs no
/// load. From automerge's change graph (no change is rebuilt).
fn change_hashes(doc: &mut InspectionDoc) -> Vec<u8> {
    doc.automerge_mut()
        .get_changes_meta(&[])
        .iter()
        .flat_map(|m| m.hash.0)
        .collect()
}

fn require(field: &str, value: &str, max: usize) -> Result<(), CoreError> {
    if value.trim().is_empty() {
        return Err(ModelError::new(field, "不能为空").into());
    }
    if value.chars().count() > max {
        return Err(ModelError::new(field, format!("过长（最多 {max} 个字符）")).into());
    }
    Ok(())
}

impl Core {
    /// Opens the device data directory (store file `liuhen.db` and `blobs/`),
    /// creating it and the device identity on first start.
    pub fn open(dir: impl AsRef<Path>) -> Result<Core, CoreError> {
        Self::open_with_clock(dir, Arc::new(SystemClock))
    }

    /// As [`Core::open`] with a given clock.
    pub fn open_with_clock(
        dir: impl AsRef<Path>,
        clock: Arc<dyn Clock>,
    ) -> Result<Core, CoreError> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir).map_err(BlobError::Write)?;
        let store = Store::open(dir.join("liuhen.db"))?;
        let blobs = BlobStore::open(dir.join("blobs"))?;
        let device = DeviceIdentity::load_or_create(&store)?;
        Ok(Core {
            store,
            blobs,
            limits: EvidenceLimits::default(),
            device,
            clock,
            docs: HashMap::new(),
        })
    }

    /// Replaces the clock (scripted demos set the time per step).
    pub fn set_clock(&mut self, clock: Arc<dyn Clock>) {
        self.clock = clock;
    }

    /// This device's identity.
    pub fn device(&self) -> &DeviceIdentity {
        &self.device
    }

    /// The underlying store (read-only use: lists, log).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Mutable store access for maintenance and tests.
    #[doc(hidden)]
    pub fn store_mut(&mut self) -> &mut Store {
        &mut self.store
    }

    /// The blob directory.
    pub fn blobs(&self) -> &BlobStore {
        &self.blobs
    }

    /// Path of the data directory's store file.
    pub fn store_path(&self) -> PathBuf {
        self.store.path().to_path_buf()
    }

    /// A closure that chains and signs a log entry with this device's key.
    pub(crate) fn sealer(
        &self,
    ) -> impl FnOnce(NewLogEntry, Option<(u64, String)>) -> LogEntry + use<> {
        let (dev, key) = (
            self.device.device_id.clone(),
            self.device.signing_key.clone(),
        );
        move |e, prev| LogEntry::seal(e, prev, &dev, &key)
    }

    // ---- roster -----------------------------------------------------------

    /// Caches a roster and task list (from the server, or a file for pilots).
    pub fn load_roster(&mut self, snapshot: RosterSnapshot, by: &str) -> Result<(), CoreError> {
        snapshot.validate()?;
        let now = self.clock.now();
        self.store.replace_roster(&snapshot, now)?;
        let entry = NewLogEntry {
            at: now,
            officer_id: by.to_string(),
            inspection_id: None,
            action: "roster_refresh".into(),
            detail: json!({
                "officers": snapshot.officers.len(),
                "targets": snapshot.targets.len(),
                "tasks": snapshot.tasks.len(),
            }),
            evidence: vec![],
            doc_heads: vec![],
        };
        let seal = self.sealer();
        self.store.append_log(entry, seal)?;
        Ok(())
    }

    /// The cached roster.
    pub fn roster(&self) -> Result<RosterSnapshot, CoreError> {
        self.store.roster()?.ok_or(CoreError::NoRoster)
    }

    /// Open tasks assigned to `officer_id` (all open tasks if `None`).
    pub fn tasks(&self, officer_id: Option<&str>) -> Result<Vec<Task>, CoreError> {
        let roster = self.roster()?;
        Ok(roster
            .tasks
            .into_iter()
            .filter(|t| t.status == TaskStatus::Open)
            .filter(|t| officer_id.is_none_or(|o| t.officer_ids.iter().any(|x| x == o)))
            .collect())
    }

    // ---- documents ----------------------------------------------------------

    fn load_doc(&mut self, id: &str) -> Result<&mut Cached, CoreError> {
        if !self.docs.contains_key(id) {
            let stored = self.store.load_document(id)?;
            let mut chunks = stored.chunks.into_iter();
            let corrupt = |chunk: i64, e: DocError| StoreError::CorruptDocument {
                id: id.to_string(),
                chunk,
                reason: e.to_string(),
            };
            let (seq0, first) = chunks.next().ok_or_else(|| StoreError::CorruptDocument {
                id: id.to_string(),
                chunk: 0,
                reason: "没有数据".into(),
            })?;
            let mut doc = match InspectionDoc::load(&first) {
                Ok(d) => d,
                Err(e @ DocError::NewerSchema { .. }) => return Err(e.into()),
                Err(e) => return Err(corrupt(seq0, e).into()),
            };
            let mut last_seq = seq0;
            for (seq, bytes) in chunks {
                // automerge skips a damaged or truncated tail silently (it is built to
                // read half-written files), so a chunk that adds nothing is damage.
                let before = doc.heads();
                doc.load_incremental(&bytes).map_err(|e| corrupt(seq, e))?;
                if doc.heads() == before {
                    return Err(corrupt(seq, DocError::Corrupt("数据段无法解析".into())).into());
                }
                last_seq = seq;
            }
            let v = doc.schema_version()?;
            if v > SCHEMA_VERSION {
                return Err(DocError::NewerSchema {
                    found: v,
                    supported: SCHEMA_VERSION,
                }
                .into());
            }
            doc.set_actor(self.device.actor.clone());
            let persisted = doc.heads();
            let mut loaded: Vec<String> = heads_hex(&persisted);
            let mut expected = stored.heads.clone();
            loaded.sort();
            expected.sort();
            if loaded != expected {
                // The bytes do not reach the state the last acknowledged step wrote.
                return Err(corrupt(
                    last_seq,
                    DocError::Corrupt("内容与最后保存的版本不一致".into()),
                )
                .into());
            }
            self.evict_if_full();
            self.docs.insert(id.to_string(), Cached { doc, persisted });
            if v < BASE_SCHEMA_VERSION {
                let by = self.device.device_id.clone();
                self.persist(
                    id,
                    "migrate",
                    &by,
                    json!({ "from": v, "to": BASE_SCHEMA_VERSION }),
                    vec![],
                    |d| d.migrate().map(|_| ()),
                )?;
            }
        }
        self.docs.get_mut(id).ok_or_else(|| CoreError::NotFound {
            what: "检查记录",
            id: id.to_string(),
        })
    }

    /// Keeps memory bounded on a device with thousands of records: the cache is only
    /// a shortcut, every cached document is already durable.
    fn evict_if_full(&mut self) {
        if self.docs.len() >= MAX_CACHED_DOCS {
            self.docs.clear();
        }
    }

    /// Applies `change` to the cached document and persists it with a log entry.
    /// On any failure the in-memory document is dropped, so memory never runs ahead
    /// of what is durable.
    fn persist(
        &mut self,
        id: &str,
        action: &str,
        by: &str,
        detail: serde_json::Value,
        evidence: Vec<String>,
        change: impl FnOnce(&mut InspectionDoc) -> Result<(), DocError>,
    ) -> Result<LogEntry, CoreError> {
        self.persist_with(id, action, by, detail, evidence, true, change)
    }

    /// As [`Core::persist`]; `local_change` false for changes received from the
    /// server (they do not make the record pending sync).
    #[allow(clippy::too_many_arguments)]
    fn persist_with(
        &mut self,
        id: &str,
        action: &str,
        by: &str,
        detail: serde_json::Value,
        evidence: Vec<String>,
        local_change: bool,
        change: impl FnOnce(&mut InspectionDoc) -> Result<(), DocError>,
    ) -> Result<LogEntry, CoreError> {
        let now = self.clock.now();
        let result =
            self.persist_inner(id, action, by, detail, evidence, now, local_change, change);
        if result.is_err() {
            self.docs.remove(id);
        }
        result
    }

    #[allow(clippy::too_many_arguments)]
    fn persist_inner(
        &mut self,
        id: &str,
        action: &str,
        by: &str,
        detail: serde_json::Value,
        evidence: Vec<String>,
        now: DateTime<Utc>,
        local_change: bool,
        change: impl FnOnce(&mut InspectionDoc) -> Result<(), DocError>,
    ) -> Result<LogEntry, CoreError> {
        let chunk_count = self.store.chunk_count(id)?;
        let cached = self.docs.get_mut(id).ok_or_else(|| CoreError::NotFound {
            what: "检查记录",
            id: id.to_string(),
        })?;
        change(&mut cached.doc)?;
        let heads = cached.doc.heads();
        let full = chunk_count >= crate::store::COMPACT_AFTER_CHUNKS;
        let bytes = if full {
            cached.doc.save()
        } else if heads == cached.persisted {
            Vec::new()
        } else {
            cached.doc.save_after(&cached.persisted)
        };
        let view = cached.doc.read()?;
        let heads_s = heads_hex(&heads);
        let view_json = view_json(&view);
        let hashes = change_hashes(&mut cached.doc);
        let write = DocWrite {
            id,
            target_name: &view.meta.target_name,
            task_id: view.meta.task_id.as_deref(),
            status: status_text(&view),
            schema_version: view.schema_version,
            heads: &heads_s,
            bytes: &bytes,
            full,
            local_change,
            at: now,
            view: view_json.as_deref().map(|j| (read_model_version(), j)),
            change_hashes: Some(&hashes),
        };
        let entry = NewLogEntry {
            at: now,
            officer_id: by.to_string(),
            inspection_id: Some(id.to_string()),
            action: action.to_string(),
            detail,
            evidence,
            doc_heads: heads_s.clone(),
        };
        let seal = self.sealer();
        let sealed = self.store.write_step(&write, entry, seal)?;
        if let Some(c) = self.docs.get_mut(id) {
            c.persisted = heads;
        }
        Ok(sealed)
    }

    fn view(&mut self, id: &str) -> Result<Inspection, CoreError> {
        Ok(self.load_doc(id)?.doc.read()?)
    }

    /// Reads an inspection: from its read model when that was made from the
    /// document exactly as stored (issue 19 item 4), otherwise by hydrating the
    /// document from storage (which finds any damage) and rebuilding the read model.
    pub fn inspection(&mut self, id: &str) -> Result<Inspection, CoreError> {
        if let Some(view) = self.stored_inspection(id)? {
            return Ok(view);
        }
        // Hydrate from the stored bytes, not a cached copy, so that the rebuilt read
        // model is made from what storage holds.
        self.docs.remove(id);
        let view = self.view(id)?;
        if let (Some(c), Some(json)) = (self.docs.get(id), view_json(&view)) {
            let heads = heads_hex(&c.persisted);
            if let Err(e) = self
                .store
                .rebuild_view(id, read_model_version(), &heads, &json)
            {
                tracing::warn!(inspection_id = id, error = %e, "read model not rebuilt");
            }
        }
        Ok(view)
    }

    /// The read model of an inspection alone: `None` when there is no row made by
    /// this code from the document as stored now (then [`Core::inspection`] hydrates).
    #[doc(hidden)]
    pub fn stored_inspection(&self, id: &str) -> Result<Option<Inspection>, CoreError> {
        let Some(json) = self.store.read_view(id, read_model_version())? else {
            return Ok(None);
        };
        match serde_json::from_str(&json) {
            Ok(view) => Ok(Some(view)),
            Err(e) => {
                tracing::warn!(inspection_id = id, error = %e, "read model unreadable");
                Ok(None)
            }
        }
    }

    /// Reads an inspection by hydrating its stored document afresh, ignoring the
    /// read model and the in-memory cache (the oracle of the read model's tests and
    /// the baseline of its benchmark).
    #[doc(hidden)]
    pub fn inspection_hydrated(&mut self, id: &str) -> Result<Inspection, CoreError> {
        self.docs.remove(id);
        self.view(id)
    }

    /// Reads an inspection from the cached automerge document, hydrating it (the
    /// read path before the read model; the benchmark's in-memory baseline).
    #[doc(hidden)]
    pub fn inspection_from_document(&mut self, id: &str) -> Result<Inspection, CoreError> {
        self.view(id)
    }

    /// Inspections on this device, newest change first; only unsynced ones when
    /// `pending_only`.
    pub fn list_inspections(&self, pending_only: bool) -> Result<Vec<DocumentSummary>, CoreError> {
        Ok(self.store.list_documents(pending_only)?)
    }

    /// Puts a record the server refused (需处理) back in the sync queue, once the
    /// officer has read why and done what it asks (amend, re-enrol, ...). The record is
    /// not changed (R-REC-5); the reason stays until the next sync answers. Returns
    /// whether it was waiting for the officer.
    pub fn resend(&self, id: &str) -> Result<bool, CoreError> {
        let Some(doc) = self
            .store
            .list_documents(true)?
            .into_iter()
            .find(|d| d.id == id)
        else {
            return Ok(false);
        };
        if doc.sync_state != SyncState::NeedsAttention {
            return Ok(false);
        }
        self.store
            .set_sync_state(id, SyncState::Pending, doc.sync_reason.as_deref())?;
        Ok(true)
    }

    /// Sets the sync state of a record (used by the sync client).
    pub fn set_sync_state(
        &self,
        id: &str,
        state: SyncState,
        reason: Option<&str>,
    ) -> Result<(), CoreError> {
        Ok(self.store.set_sync_state(id, state, reason)?)
    }

    /// The full document bytes (for export or another device).
    pub fn export_document(&mut self, id: &str) -> Result<Vec<u8>, CoreError> {
        Ok(self.load_doc(id)?.doc.save())
    }

    /// Merges a copy of an inspection from another device (sync, or a file).
    /// Creates the record if this device does not have it. Returns its id.
    /// A record of another agency than the cached roster's is refused (field
    /// `meta.agency_id`): the server would refuse it, and the signed log entry of
    /// the merge, naming another agency's record, would make the server refuse
    /// every later upload of this device's log (issue 16 item 6).
    pub fn merge_document(&mut self, bytes: &[u8], by: &str) -> Result<String, CoreError> {
        let mut incoming = InspectionDoc::load(bytes)?;
        incoming.migrate()?;
        let id = incoming.id()?;
        if let (Some(roster), Ok(view)) = (self.store.roster()?, incoming.read())
            && view.meta.agency_id != roster.agency.id
        {
            return Err(ModelError::new(
                "meta.agency_id",
                format!(
                    "检查记录 {id} 属于其他执法主体（{}），不能合并到本机关（{}）的设备",
                    view.meta.agency_id, roster.agency.id
                ),
            )
            .into());
        }
        match self.store.chunk_count(&id) {
            Err(StoreError::NotFound { .. }) => {
                incoming.set_actor(self.device.actor.clone());
                self.insert_new(incoming, &id, by, "merge_new", true)?;
            }
            Err(e) => return Err(e.into()),
            Ok(_) => {
                self.load_doc(&id)?;
                self.persist(&id, "merge", by, json!({}), vec![], move |d| {
                    d.merge(&mut incoming)
                })?;
            }
        }
        Ok(id)
    }

    fn insert_new(
        &mut self,
        doc: InspectionDoc,
        id: &str,
        by: &str,
        action: &str,
        local_change: bool,
    ) -> Result<(), CoreError> {
        let view = doc.read()?;
        self.insert_read(doc, view, id, by, action, local_change)
    }

    /// As [`Core::insert_new`], with the document already read into `view`.
    fn insert_read(
        &mut self,
        mut doc: InspectionDoc,
        view: Inspection,
        id: &str,
        by: &str,
        action: &str,
        local_change: bool,
    ) -> Result<(), CoreError> {
        let now = self.clock.now();
        let heads = doc.heads();
        let heads_s = heads_hex(&heads);
        let bytes = doc.save();
        let view_json = view_json(&view);
        let hashes = change_hashes(&mut doc);
        let write = DocWrite {
            id,
            target_name: &view.meta.target_name,
            task_id: view.meta.task_id.as_deref(),
            status: status_text(&view),
            schema_version: view.schema_version,
            heads: &heads_s,
            bytes: &bytes,
            full: true,
            local_change,
            at: now,
            view: view_json.as_deref().map(|j| (read_model_version(), j)),
            change_hashes: Some(&hashes),
        };
        let entry = NewLogEntry {
            at: now,
            officer_id: by.to_string(),
            inspection_id: Some(id.to_string()),
            action: action.to_string(),
            detail: json!({
                "target_id": view.meta.target_id,
                "task_id": view.meta.task_id,
            }),
            evidence: vec![],
            doc_heads: heads_s.clone(),
        };
        let seal = self.sealer();
        self.store.write_step(&write, entry, seal)?;
        self.evict_if_full();
        self.docs.insert(
            id.to_string(),
            Cached {
                doc,
                persisted: heads,
            },
        );
        Ok(())
    }

    // ---- sync support (used by crate::sync) ---------------------------------

    /// The next automerge sync message for a stored document, if there is one.
    pub(crate) fn sync_generate(
        &mut self,
        id: &str,
        state: &mut automerge::sync::State,
    ) -> Result<Option<automerge::sync::Message>, CoreError> {
        use automerge::sync::{Capability, SyncDoc};
        // Once the server has answered that it holds exactly what is stored here,
        // there is nothing to send: known from the sync state and the stored heads,
        // without loading the record again (issue 19 item 1).
        if !self.docs.contains_key(id)
            && state.have_responded
            && state.their_heads.as_ref() == Some(&state.last_sent_heads)
            && let Some(heads) = self.stored_heads_parsed(id)?
            && crate::sync::quiet::nothing_to_send(state, &heads)
        {
            return Ok(None);
        }
        // A record the server has never acknowledged is sent whole from its stored
        // chunks, heads and change hashes, without loading it (issue 19 item 1),
        // whenever the store can vouch for them (see `Store::stored_whole`).
        if !self.docs.contains_key(id)
            && let Some(msg) = self.first_message_unloaded(id, state)?
        {
            return Ok(Some(msg));
        }
        // A peer that holds none of the record and reads v2 messages is sent the
        // whole document: automerge's `save()` of it, as the message's one chunk.
        let whole = state.their_heads.as_ref().is_some_and(Vec::is_empty)
            && state
                .their_capabilities
                .as_ref()
                .is_some_and(|c| c.contains(&Capability::MessageV2));
        let cached = self.load_doc(id)?;
        let msg = cached
            .doc
            .automerge_mut()
            .sync()
            .generate_sync_message(state);
        // That save is kept as the record's stored form (issue 19): the reply is
        // then applied to a document that loads from one chunk.
        let persisted =
            (whole && cached.doc.heads() == cached.persisted).then(|| heads_hex(&cached.persisted));
        if let Some(heads) = persisted
            && let Some(m) = &msg
            && m.changes.len() == 1
            && let Some(bytes) = m.changes.iter().next()
        {
            self.store.compact(id, &heads, bytes)?;
        }
        Ok(msg)
    }

    /// The first message of a record the server has never acknowledged, from its
    /// stored form (`crate::sync::whole`); `None` when the state is not a new
    /// record's or the store cannot vouch for the stored form (the caller loads).
    fn first_message_unloaded(
        &self,
        id: &str,
        state: &mut automerge::sync::State,
    ) -> Result<Option<automerge::sync::Message>, CoreError> {
        use crate::sync::whole::{Stored, first_message, parse_hashes};
        if *state != crate::sync::client::state_for_new_record() {
            return Ok(None);
        }
        let Some(whole) = self.store.stored_whole(id)? else {
            return Ok(None);
        };
        // A document of a schema this build does not read, or one a load would
        // migrate, goes through the load as before.
        if !(BASE_SCHEMA_VERSION..=SCHEMA_VERSION).contains(&whole.schema_version) {
            return Ok(None);
        }
        let (Some(heads), Some(hashes)) = (
            crate::sync::quiet::parse_heads(&whole.heads),
            parse_hashes(&whole.change_hashes),
        ) else {
            return Ok(None);
        };
        Ok(first_message(
            state,
            Stored {
                heads: &heads,
                hashes: &hashes,
                bytes: whole.bytes,
            },
        ))
    }

    /// Applies a sync message from the server to a stored document and persists what
    /// it brought (not a local change: the record does not become pending). Returns
    /// whether the document changed.
    pub(crate) fn sync_receive(
        &mut self,
        id: &str,
        state: &mut automerge::sync::State,
        msg: automerge::sync::Message,
    ) -> Result<bool, CoreError> {
        use automerge::sync::SyncDoc;
        // A reply that only confirms the heads stored here (the server's answer to
        // a record it now holds whole) changes nothing but the sync state, which
        // is updated without loading the record (issue 19 item 1).
        if !self.docs.contains_key(id)
            && msg.changes.is_empty()
            && let Some(heads) = self.stored_heads_parsed(id)?
            && crate::sync::quiet::receive_heads_only(state, &msg, &heads)
        {
            return Ok(false);
        }
        let cached = self.load_doc(id)?;
        let before = cached.doc.heads();
        let received = cached
            .doc
            .automerge_mut()
            .sync()
            .receive_sync_message(state, msg);
        if let Err(e) = received {
            self.docs.remove(id);
            return Err(DocError::from(e).into());
        }
        let cached = self.load_doc(id)?;
        if cached.doc.heads() == before {
            return Ok(false);
        }
        // The document may now be at a newer schema written by a newer device: the
        // cached copy holds changes that are not stored, so it goes.
        if let Err(e) = cached.doc.check_schema() {
            self.docs.remove(id);
            return Err(e.into());
        }
        let by = self.device.device_id.clone();
        self.persist_with(id, "sync_merge", &by, json!({}), vec![], false, |_| Ok(()))?;
        Ok(true)
    }

    /// Stores a document first received from the server, once it is a readable
    /// inspection of a schema this build knows; until then (more sync messages will
    /// complete it) it is handed back unchanged as `Err`. Returns its id.
    pub(crate) fn sync_insert_received(
        &mut self,
        mut doc: InspectionDoc,
    ) -> Result<Result<String, InspectionDoc>, CoreError> {
        if doc.check_schema().is_err() {
            return Ok(Err(doc));
        }
        let (Ok(view), Ok(id)) = (doc.read(), doc.id()) else {
            return Ok(Err(doc));
        };
        doc.set_actor(self.device.actor.clone());
        let by = self.device.device_id.clone();
        self.insert_read(doc, view, &id, &by, "sync_new", false)?;
        Ok(Ok(id))
    }

    /// Runs `f` with every store write inside it in one durable transaction (one
    /// fsync instead of one per write; issue 19 item 3). If `f` fails, nothing it
    /// wrote stays, and the cached documents are dropped so none claims a write
    /// that was undone. Nested calls join the outer batch.
    pub(crate) fn in_batch<R, E: From<CoreError>>(
        &mut self,
        f: impl FnOnce(&mut Core) -> Result<R, E>,
    ) -> Result<R, E> {
        if self.store.in_batch() {
            return f(self);
        }
        self.store.begin_batch().map_err(CoreError::from)?;
        let result = f(self);
        let ended = self.store.end_batch(result.is_ok());
        if result.is_err() || ended.is_err() {
            self.docs.clear();
        }
        let r = result?;
        ended.map_err(CoreError::from)?;
        Ok(r)
    }

    /// The heads a document is durably stored at (hex), read from the store without
    /// loading the document (issue 19: the end of a sync compares them with the
    /// server's for every record); `None` if this device does not hold it.
    pub(crate) fn stored_heads(&self, id: &str) -> Result<Option<Vec<String>>, CoreError> {
        Ok(self.store.stored_heads(id)?)
    }

    /// [`Core::stored_heads`] as automerge hashes, sorted as automerge orders a
    /// document's heads; `None` if the device does not hold the record or a stored
    /// head does not parse (a load then reports it).
    fn stored_heads_parsed(&self, id: &str) -> Result<Option<Vec<ChangeHash>>, CoreError> {
        Ok(self
            .store
            .stored_heads(id)?
            .and_then(|h| crate::sync::quiet::parse_heads(&h)))
    }

    /// Whether this device holds the document.
    pub fn has_document(&self, id: &str) -> Result<bool, CoreError> {
        match self.store.chunk_count(id) {
            Ok(_) => Ok(true),
            Err(StoreError::NotFound { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Current time of the core's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    // ---- lifecycle ----------------------------------------------------------

    /// Opens an inspection for a task assigned to `by`. Returns its id (UUIDv7).
    pub fn open_for_task(&mut self, task_id: &str, by: &str) -> Result<String, CoreError> {
        let roster = self.roster()?;
        let task = roster
            .tasks
            .iter()
            .find(|t| t.id == task_id)
            .ok_or_else(|| CoreError::NotFound {
                what: "任务",
                id: task_id.to_string(),
            })?;
        if task.status == TaskStatus::Cancelled {
            return Err(CoreError::TaskCancelled {
                id: task.id.clone(),
                reason: task.note.clone().unwrap_or_default(),
            });
        }
        let opener = officer(&roster, by)?;
        if !task.officer_ids.iter().any(|o| o == by) {
            return Err(CoreError::NotAssigned {
                name: opener.name.clone(),
                task_id: task.id.clone(),
            });
        }
        if let Some(open) = self
            .store
            .list_documents(false)?
            .into_iter()
            .find(|d| d.task_id.as_deref() == Some(task_id) && d.status == "open")
        {
            return Err(CoreError::TaskAlreadyOpen {
                task_id: task_id.to_string(),
                inspection_id: open.id,
            });
        }
        self.open_inner(
            &roster,
            InspectionKind::Task,
            Some(task.id.clone()),
            &task.target_id,
            &task.category,
            &task.item,
            by,
        )
    }

    /// Opens an ad hoc inspection of a target (no task), e.g. on a complaint.
    pub fn open_ad_hoc(
        &mut self,
        target_id: &str,
        category: &str,
        item: &CheckItem,
        by: &str,
    ) -> Result<String, CoreError> {
        let roster = self.roster()?;
        officer(&roster, by)?;
        require("item.name", &item.name, 200)?;
        require("item.code", &item.code, 64)?;
        require("category", category, 64)?;
        self.open_inner(
            &roster,
            InspectionKind::AdHoc,
            None,
            target_id,
            category,
            item,
            by,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn open_inner(
        &mut self,
        roster: &RosterSnapshot,
        kind: InspectionKind,
        task_id: Option<String>,
        target_id: &str,
        category: &str,
        item: &CheckItem,
        by: &str,
    ) -> Result<String, CoreError> {
        let target = roster
            .targets
            .iter()
            .find(|t| t.id == target_id)
            .ok_or_else(|| CoreError::NotFound {
                what: "检查对象",
                id: target_id.to_string(),
            })?;
        let id = uuid::Uuid::now_v7().to_string();
        let meta = InspectionMeta {
            id: id.clone(),
            kind,
            task_id,
            agency_id: roster.agency.id.clone(),
            agency_name: roster.agency.name.clone(),
            target_id: target.id.clone(),
            target_name: target.name.clone(),
            target_credit_code: target.credit_code.as_ref().map(|c| c.to_string()),
            target_address: target.address.clone(),
            target_area: target.area.clone(),
            target_is_natural_person: target.kind == crate::model::TargetKind::NaturalPerson,
            category: category.to_string(),
            item_code: item.code.clone(),
            item_name: item.name.clone(),
            legal_basis: item.legal_basis.clone(),
            opened_at: self.clock.now(),
            opened_by: by.to_string(),
            device_id: self.device.device_id.clone(),
        };
        let doc = InspectionDoc::create(self.device.actor.clone(), NewInspection { meta })?;
        self.insert_new(doc, &id, by, "open", true)?;
        Ok(id)
    }

    fn open_view(&mut self, id: &str) -> Result<Inspection, CoreError> {
        let v = self.view(id)?;
        if v.status() == InspectionStatus::Closed {
            return Err(CoreError::Closed { id: id.to_string() });
        }
        Ok(v)
    }

    fn require_member(v: &Inspection, by: &str) -> Result<(), CoreError> {
        if v.team.iter().any(|m| m.officer_id == by) {
            Ok(())
        } else {
            Err(CoreError::NotInTeam {
                officer_id: by.to_string(),
            })
        }
    }

    /// Checks an officer in: the certificate must be valid today and cover the
    /// inspection's category and area (R-SCENE-1), checked against the cached roster.
    pub fn check_in(&mut self, id: &str, officer_id: &str) -> Result<(), CoreError> {
        self.check_in_at(id, officer_id, None)
    }

    /// [`Core::check_in`] with where the officer checked in, when the device had a
    /// good fix; the position's ranges and fix time are checked first (R-REC-3).
    pub fn check_in_at(
        &mut self,
        id: &str,
        officer_id: &str,
        location: Option<CaptureLocation>,
    ) -> Result<(), CoreError> {
        let v = self.open_view(id)?;
        let roster = self.roster()?;
        let o = officer(&roster, officer_id)?;
        let now = self.clock.now();
        o.certificate_check(local_date(now), &v.meta.category, &v.meta.target_area)?;
        if let Some(task_id) = &v.meta.task_id
            && let Some(task) = roster.tasks.iter().find(|t| &t.id == task_id)
            && !task.officer_ids.iter().any(|x| x == officer_id)
        {
            return Err(CoreError::NotAssigned {
                name: o.name.clone(),
                task_id: task_id.clone(),
            });
        }
        if v.team.iter().any(|m| m.officer_id == officer_id) {
            return Err(CoreError::AlreadyCheckedIn {
                name: o.name.clone(),
            });
        }
        let location = location.map(whole_ms);
        if let Some(l) = &location {
            l.check(now)
                .map_err(|p| location_error("team.location", p))?;
        }
        let member = TeamMember {
            officer_id: o.id.clone(),
            name: o.name.clone(),
            certificate_no: o.certificate_no.clone(),
            certificate_valid_until: o.valid_until,
            checked_in_at: now,
            device_id: self.device.device_id.clone(),
            location,
        };
        let mut detail = json!({ "certificate_no": o.certificate_no, "name": o.name });
        if let Some(l) = &location {
            detail["location"] = location_detail(l);
        }
        self.persist(id, "check_in", officer_id, detail, vec![], move |d| {
            d.add_team_member(&member)
        })?;
        Ok(())
    }

    /// The standard identity-notice statement for this inspection, now.
    pub fn identity_statement(&mut self, id: &str) -> Result<String, CoreError> {
        let v = self.view(id)?;
        Ok(statement::identity_statement(&v, self.clock.now()))
    }

    /// Ingests an evidence file — content checked by its bytes, streamed and hashed,
    /// photos decoded with EXIF, a display copy and a thumbnail made — and attaches it
    /// to the inspection. Nothing is stored if the file is refused.
    pub fn capture_evidence(
        &mut self,
        id: &str,
        file: &Path,
        input: CaptureInput,
        by: &str,
    ) -> Result<Captured, CoreError> {
        let v = self.view(id)?;
        let closed = v.status() == InspectionStatus::Closed;
        if closed && input.step != crate::inspection::InspectionStep::Amendment {
            return Err(CoreError::Closed { id: id.to_string() });
        }
        Self::require_member(&v, by)?;
        require("evidence.media_type", &input.media_type, 100)?;
        let now = self.clock.now();
        let input = CaptureInput {
            location: input.location.map(whole_ms),
            ..input
        };
        if let Some(l) = &input.location {
            l.check(now).map_err(|p| location_error("evidence", p))?;
        }
        let req = IngestRequest {
            kind: input.kind,
            declared_media_type: Some(input.media_type.as_str()),
            captured_by: by,
            device_id: &self.device.device_id,
            step: input.step,
            device_time: now,
            lat: input.location.map(|l| l.lat),
            lon: input.location.map(|l| l.lon),
        };
        let ingested = evidence::ingest_file(&self.blobs, file, &req, &self.limits)?;
        let mut r = ingested.evidence_ref();
        if input.location.is_some() {
            r = r.with_location(input.location);
        }
        let captured = Captured {
            reference: r.clone(),
            photo: ingested.photo,
            upload_copy: ingested.upload_copy,
            exif_warning: ingested.exif_warning,
        };
        if v.evidence_by_hash(&r.sha256).is_some() {
            return Ok(captured);
        }
        let mut detail = json!({
            "kind": r.kind.as_str(),
            "media_type": r.media_type,
            "size": r.size_bytes,
            "step": r.step.as_str(),
        });
        if let Some(p) = &captured.photo {
            detail["display_sha256"] = json!(p.display.sha256);
            detail["thumbnail_sha256"] = json!(p.thumbnail.sha256);
            detail["exif_time"] = json!(p.exif_time.map(|t| t.to_string()));
        }
        if let Some(u) = &captured.upload_copy {
            detail["upload_copy_sha256"] = json!(u.sha256);
        }
        if let Some(w) = &captured.exif_warning {
            detail["exif_warning"] = json!(w);
        }
        if let Some(l) = &r.location() {
            detail["location"] = location_detail(l);
        }
        self.persist(
            id,
            "evidence",
            by,
            detail,
            vec![r.sha256.clone()],
            move |d| d.add_evidence(&r),
        )?;
        Ok(captured)
    }

    /// Sets the agency's evidence limits (sizes per kind, reduced upload copies).
    pub fn set_evidence_limits(&mut self, limits: EvidenceLimits) {
        self.limits = limits;
    }

    fn attached(v: &Inspection, sha256: &str) -> Result<EvidenceKind, CoreError> {
        if !is_sha256_hex(sha256) {
            return Err(
                ModelError::new("evidence.sha256", "应为 64 位小写十六进制 SHA-256").into(),
            );
        }
        v.evidence_by_hash(sha256)
            .map(|e| e.kind)
            .ok_or_else(|| CoreError::EvidenceNotAttached {
                sha256: sha256.to_string(),
            })
    }

    /// Records the identity notice: the statement (the standard one if `None`) and
    /// the audio or video recording of it, already captured (R-SCENE-3, R-REC-3).
    pub fn record_identity_notice(
        &mut self,
        id: &str,
        statement_text: Option<String>,
        recording_sha256: &str,
        by: &str,
    ) -> Result<(), CoreError> {
        let v = self.open_view(id)?;
        Self::require_member(&v, by)?;
        if v.team.len() < rules::MIN_TEAM {
            return Err(CoreError::TeamIncomplete {
                count: v.team.len(),
            });
        }
        let kind = Self::attached(&v, recording_sha256)?;
        if !matches!(kind, EvidenceKind::Audio | EvidenceKind::Video) {
            return Err(CoreError::WrongEvidenceKind {
                rule: "R-REC-3",
                sha256: recording_sha256.to_string(),
                found: kind.label(),
                expected: "录音或录像",
            });
        }
        let now = self.clock.now();
        let text = statement_text.unwrap_or_else(|| statement::identity_statement(&v, now));
        require("identity_notice.statement", &text, MAX_TEXT_CHARS)?;
        let n = IdentityNotice {
            statement: text,
            recording_sha256: recording_sha256.to_string(),
            given_at: now,
            given_by: by.to_string(),
        };
        self.persist(
            id,
            "identity_notice",
            by,
            json!({}),
            vec![recording_sha256.to_string()],
            move |d| d.set_identity_notice(&n),
        )?;
        Ok(())
    }

    /// Adds a finding by a checked-in officer, optionally pointing at evidence.
    /// Returns the finding id.
    pub fn add_finding(
        &mut self,
        id: &str,
        text: &str,
        evidence: Vec<String>,
        by: &str,
    ) -> Result<String, CoreError> {
        let v = self.open_view(id)?;
        Self::require_member(&v, by)?;
        require("finding.text", text, MAX_TEXT_CHARS)?;
        for h in &evidence {
            Self::attached(&v, h)?;
        }
        let f = Finding {
            id: uuid::Uuid::now_v7().to_string(),
            text: text.to_string(),
            author: by.to_string(),
            at: self.clock.now(),
            evidence: evidence.clone(),
        };
        let fid = f.id.clone();
        self.persist(
            id,
            "finding",
            by,
            json!({ "finding_id": fid }),
            evidence,
            move |d| d.add_finding(&f),
        )?;
        Ok(fid)
    }

    /// Edits a finding before close.
    pub fn edit_finding(
        &mut self,
        id: &str,
        finding_id: &str,
        text: &str,
        by: &str,
    ) -> Result<(), CoreError> {
        let v = self.open_view(id)?;
        Self::require_member(&v, by)?;
        require("finding.text", text, MAX_TEXT_CHARS)?;
        let Some(found) = v.findings.iter().find(|f| f.id == finding_id) else {
            return Err(CoreError::NotFound {
                what: "检查发现",
                id: finding_id.to_string(),
            });
        };
        // R-REC-5: an officer edits only the findings they wrote (the server refuses
        // any other edit at the merge, see `write_rules`).
        if found.author != by {
            return Err(ModelError::new(
                "finding.author",
                format!(
                    "R-REC-5: 只能修改自己记录的检查发现；该发现由 {} 记录，如需更正请由其本人修改或结案后追加更正",
                    found.author
                ),
            )
            .into());
        }
        let now = self.clock.now();
        let (fid, t) = (finding_id.to_string(), text.to_string());
        self.persist(
            id,
            "edit_finding",
            by,
            json!({ "finding_id": finding_id }),
            vec![],
            move |d| d.edit_finding(&fid, &t, now).map(|_| ()),
        )?;
        Ok(())
    }

    /// The rights notice text of the agency, as the server last sent it with the
    /// roster (R-SCENE-4); `None` until a roster carrying one was synced.
    pub fn rights_notice_text(&self) -> Result<Option<RightsNoticeText>, CoreError> {
        Ok(self.roster()?.agency.rights_notice)
    }

    /// Records the agency's rights notice as read to the party (R-SCENE-4): the app
    /// passes the version it showed (from [`Core::rights_notice_text`]); the remedy
    /// channels recorded are the ones of that text, never the app's. Refused when the
    /// device holds no notice, or a newer one than the one read.
    pub fn give_rights_notice(
        &mut self,
        id: &str,
        notice_version: &str,
        acknowledgement: Acknowledgement,
        by: &str,
    ) -> Result<(), CoreError> {
        let field = "rights_notice.notice_version";
        let Some(held) = self.rights_notice_text()? else {
            return Err(ModelError::new(
                field,
                "R-SCENE-4: 本机关的权利告知书尚未下发到本设备，请先同步后再告知",
            )
            .into());
        };
        if held.version != notice_version.trim() {
            return Err(ModelError::new(
                field,
                format!(
                    "R-SCENE-4: 权利告知书已更新为版本 {}（所宣读的是 {}），请按新版本重新告知",
                    held.version,
                    notice_version.trim()
                ),
            )
            .into());
        }
        self.record_rights_notice(
            id,
            RightsNoticeInput {
                notice_version: held.version,
                remedy_channels: held.remedy_channels,
                acknowledgement,
            },
            by,
        )
    }

    /// Records the rights notice and the party's signature or refusal (R-SCENE-4),
    /// with the text's version and channels given explicitly (import, command line);
    /// the phones use [`Core::give_rights_notice`].
    pub fn record_rights_notice(
        &mut self,
        id: &str,
        input: RightsNoticeInput,
        by: &str,
    ) -> Result<(), CoreError> {
        let v = self.open_view(id)?;
        Self::require_member(&v, by)?;
        require("rights_notice.notice_version", &input.notice_version, 64)?;
        let channels: Vec<String> = input
            .remedy_channels
            .iter()
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty())
            .collect();
        if channels.is_empty() {
            return Err(ModelError::new(
                "rights_notice.remedy_channels",
                "R-SCENE-4: 应告知至少一种救济途径（行政复议、行政诉讼等）",
            )
            .into());
        }
        let mut evidence = vec![];
        match &input.acknowledgement {
            Acknowledgement::Signed {
                signer_name,
                signature_sha256,
            } => {
                require("rights_notice.signer_name", signer_name, 50)?;
                let kind = Self::attached(&v, signature_sha256)?;
                if kind != EvidenceKind::Signature {
                    return Err(CoreError::WrongEvidenceKind {
                        rule: "R-SCENE-4",
                        sha256: signature_sha256.clone(),
                        found: kind.label(),
                        expected: "签名",
                    });
                }
                evidence.push(signature_sha256.clone());
            }
            Acknowledgement::Refused { witness_name, .. } => {
                require("rights_notice.witness_name", witness_name, 50).map_err(|_| {
                    ModelError::new(
                        "rights_notice.witness_name",
                        "R-SCENE-4: 当事人拒绝签字的，应记录见证人姓名",
                    )
                })?;
            }
        }
        let r = RightsNotice {
            notice_version: input.notice_version,
            remedy_channels: channels,
            acknowledgement: input.acknowledgement,
            given_at: self.clock.now(),
            given_by: by.to_string(),
        };
        let ack = match &r.acknowledgement {
            Acknowledgement::Signed { .. } => "signed",
            Acknowledgement::Refused { .. } => "refused",
        };
        self.persist(
            id,
            "rights_notice",
            by,
            json!({ "ack": ack, "notice_version": r.notice_version }),
            evidence,
            move |d| d.set_rights_notice(&r),
        )?;
        Ok(())
    }

    /// The rules the inspection does not meet yet, checked against the cached roster
    /// and the device log.
    pub fn violations(&mut self, id: &str) -> Result<Vec<Violation>, CoreError> {
        let v = self.view(id)?;
        let roster = self.store.roster()?;
        let logged: Vec<String> = self
            .store
            .log_entries(Some(id))?
            .into_iter()
            .flat_map(|e| e.evidence)
            .collect();
        let ctx = RuleContext {
            roster: roster.as_ref().map(|r| r.officers.as_slice()),
            logged_evidence: &logged,
        };
        Ok(rules::check(&v, &ctx))
    }

    /// Closes the on-site record; refused with every unmet rule while anything
    /// mandatory is missing.
    pub fn close(&mut self, id: &str, by: &str) -> Result<(), CoreError> {
        let v = self.open_view(id)?;
        Self::require_member(&v, by)?;
        let violations = self.violations(id)?;
        if !violations.is_empty() {
            return Err(CoreError::CloseRefused { violations });
        }
        let c = Closure {
            closed_at: self.clock.now(),
            closed_by: by.to_string(),
        };
        self.persist(id, "close", by, json!({}), vec![], move |d| {
            d.set_closure(&c)
        })?;
        Ok(())
    }

    /// Appends a correction to a closed inspection, pointing at what it amends
    /// (`finding:<id>`, `identity_notice`, `rights_notice`, `meta`, `team`,
    /// `amendment:<id>`). Nothing is erased (R-REC-5). Returns the amendment id.
    pub fn amend(
        &mut self,
        id: &str,
        amends: &str,
        text: &str,
        evidence: Vec<String>,
        by: &str,
    ) -> Result<String, CoreError> {
        let v = self.view(id)?;
        if v.status() != InspectionStatus::Closed {
            return Err(CoreError::NotClosed { id: id.to_string() });
        }
        Self::require_member(&v, by)?;
        require("amendment.text", text, MAX_TEXT_CHARS)?;
        let target_ok = match amends.split_once(':') {
            Some(("finding", fid)) => v.findings.iter().any(|f| f.id == fid),
            Some(("amendment", aid)) => v.amendments.iter().any(|a| a.id == aid),
            None => matches!(
                amends,
                "identity_notice" | "rights_notice" | "meta" | "team"
            ),
            _ => false,
        };
        if !target_ok {
            return Err(ModelError::new(
                "amendment.amends",
                format!("R-REC-5: 更正指向的内容“{amends}”不存在"),
            )
            .into());
        }
        for h in &evidence {
            Self::attached(&v, h)?;
        }
        let a = Amendment {
            id: uuid::Uuid::now_v7().to_string(),
            amends: amends.to_string(),
            text: text.to_string(),
            author: by.to_string(),
            at: self.clock.now(),
            evidence: evidence.clone(),
        };
        let aid = a.id.clone();
        self.persist(
            id,
            "amendment",
            by,
            json!({ "amendment_id": aid, "amends": amends }),
            evidence,
            move |d| d.add_amendment(&a),
        )?;
        Ok(aid)
    }

    // ---- access and integrity -----------------------------------------------------

    /// Opens an evidence original for viewing: the access is written to the signed
    /// log first (who, when, why — R-REC-7), then the path is returned.
    pub fn open_evidence_original(
        &mut self,
        id: &str,
        sha256: &str,
        by: &str,
        reason: &str,
    ) -> Result<PathBuf, CoreError> {
        let v = self.view(id)?;
        Self::attached(&v, sha256)?;
        require("access.reason", reason, 200)?;
        if !self.blobs.contains(sha256) {
            return Err(BlobError::Missing {
                sha256: sha256.to_string(),
            }
            .into());
        }
        self.record_access(
            id,
            "access_original",
            by,
            json!({ "reason": reason }),
            vec![sha256.to_string()],
        )?;
        Ok(self.blobs.path_of(sha256))
    }

    /// Writes an access to the signed log (R-REC-7) without changing the document.
    pub fn record_access(
        &mut self,
        id: &str,
        action: &str,
        by: &str,
        detail: serde_json::Value,
        evidence: Vec<String>,
    ) -> Result<LogEntry, CoreError> {
        let entry = NewLogEntry {
            at: self.clock.now(),
            officer_id: by.to_string(),
            inspection_id: Some(id.to_string()),
            action: action.to_string(),
            detail,
            evidence,
            doc_heads: vec![],
        };
        let seal = self.sealer();
        Ok(self.store.append_log(entry, seal)?)
    }

    /// Exports the inspection as a self-contained case file (案卷, R-REC-6): the
    /// readable 现场检查笔录, original evidence, log entries and a manifest of hashes.
    /// The export is written to the signed log with the manifest hash (R-REC-7); if
    /// that fails the case file is removed, so no export goes unrecorded.
    pub fn export_case(
        &mut self,
        id: &str,
        out: &Path,
        format: CaseFormat,
        by: &str,
        reason: &str,
    ) -> Result<ExportSummary, CoreError> {
        require("export.reason", reason, 200)?;
        let inspection = self.view(id)?;
        let document = self.export_document(id)?;
        let log = self.store.log_entries(Some(id))?;
        let case = CaseFile {
            inspection: &inspection,
            document: &document,
            log: &log,
            device_public_key: self.device.verifying_key().to_bytes(),
            exported_at: self.clock.now(),
            exported_by: by,
            reason,
        };
        let summary = export::export_case(&case, &self.blobs, out, format)?;
        let logged = self.record_access(
            id,
            "export_case",
            by,
            json!({ "reason": reason, "manifest_sha256": summary.manifest_sha256 }),
            vec![],
        );
        if let Err(e) = logged {
            let _ = if out.is_dir() {
                std::fs::remove_dir_all(out)
            } else {
                std::fs::remove_file(out)
            };
            return Err(e);
        }
        Ok(summary)
    }

    /// Every recorded access to an inspection's records (R-REC-7), oldest first.
    pub fn access_log(&self, id: &str) -> Result<Vec<LogEntry>, CoreError> {
        Ok(self
            .store
            .log_entries(Some(id))?
            .into_iter()
            .filter(|e| e.action.starts_with("access_") || e.action == "export_case")
            .collect())
    }

    /// Checks an inspection's evidence end to end: every referenced blob is on the
    /// device and still matches its hash, and the rules about evidence (R-REC-5,
    /// e.g. evidence the log recorded that the document no longer references) hold.
    pub fn verify_evidence(&mut self, id: &str) -> Result<Vec<Violation>, CoreError> {
        let v = self.view(id)?;
        let mut out: Vec<Violation> = self
            .violations(id)?
            .into_iter()
            .filter(|x| x.rule == "R-REC-5")
            .collect();
        for e in &v.evidence {
            match self.blobs.verify(&e.sha256) {
                Ok(()) => {}
                Err(err) => out.push(Violation {
                    rule: "R-REC-5".into(),
                    message: format!("R-REC-5: {}（{}）{err}", e.kind.label(), e.sha256),
                }),
            }
        }
        Ok(out)
    }

    // ---- log ------------------------------------------------------------------

    /// Verifies the whole device log against this device's key.
    pub fn verify_log(&self) -> Result<usize, CoreError> {
        let entries = self.store.log_entries(None)?;
        verify_chain(&entries, &self.device.verifying_key())?;
        Ok(entries.len())
    }
}

fn status_text(v: &Inspection) -> &'static str {
    match v.status() {
        InspectionStatus::Open => "open",
        InspectionStatus::Closed => "closed",
    }
}

fn officer<'a>(
    roster: &'a RosterSnapshot,
    id: &str,
) -> Result<&'a crate::model::Officer, CoreError> {
    roster
        .officers
        .iter()
        .find(|o| o.id == id)
        .ok_or_else(|| CoreError::NotFound {
            what: "执法人员",
            id: id.to_string(),
        })
}
