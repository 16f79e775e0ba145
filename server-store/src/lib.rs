//! Server storage behind one trait: an embedded SQLite backend by default, a
//! PostgreSQL backend for several server instances later. Every method is a whole
//! unit of work (its own transaction); handlers never see SQL.

pub mod access;
pub mod device_log;
pub mod failpoints;
pub mod legal;
pub mod login_attempts;
pub mod public_profile;
pub mod publicity;
pub mod queue;
pub mod review;
#[cfg(feature = "testsuite")]
pub mod testsuite;
#[cfg(feature = "testsuite")]
pub mod testsuite_publication;
#[cfg(feature = "testsuite")]
pub mod testsuite_uploads;
pub mod uploads;
pub mod web;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use liuhen_domain::model::{Officer, RosterSnapshot, Target, Task};

use liuhen_domain::draw::{DrawInputs, DrawOutcome, SpotCheckItem};

/// R-REC-4: recordings must be on the platform within this long after capture (the
/// tus upload and the review queue's "late" both use it).
pub const UPLOAD_DEADLINE: chrono::Duration = chrono::Duration::hours(24);

/// Whether a blob breaks R-REC-4: it arrived (or, not received yet, is still
/// missing at `now`) more than [`UPLOAD_DEADLINE`] after it was captured.
pub fn is_late(blob: &BlobRecord, now: DateTime<Utc>) -> bool {
    blob.received_at.unwrap_or(now) - blob.captured_at > UPLOAD_DEADLINE
}

/// Commits of [`Storage::commit_syncs`]' default in flight at once.
pub const COMMITS_IN_FLIGHT: usize = 16;

/// Errors of any storage backend.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// A unique key already exists (login, device id, ...), or the record is no
    /// longer in the state the write expected: permanent for this request.
    #[error("记录已存在：{0}")]
    Conflict(String),
    /// The backend could not run the unit of work now (locked, busy, a
    /// serialization failure or deadlock of another transaction): running the
    /// same unit of work again may succeed.
    #[error("服务器存储繁忙，请稍后重试：{0}")]
    Busy(String),
    /// No such record.
    #[error("找不到{0}")]
    NotFound(String),
    /// An optimistic write found the document changed since the writer read it
    /// (its heads differ from the expected ones, or it exists where none was
    /// expected): nothing was written. The caller re-reads, merges again and
    /// retries (issue 18: several server instances on one database).
    #[error("记录已被其他写入更新，请重新读取后重试：{0}")]
    Stale(String),
    /// The backend failed (SQLite or PostgreSQL words inside).
    #[error("服务器存储操作失败：{0}")]
    Backend(String),
    /// The stored schema is newer than this server.
    #[error("服务器数据库版本为 {found}，本程序仅支持到 {supported}；请升级服务器程序")]
    NewerSchema {
        /// Version found.
        found: u32,
        /// Highest supported.
        supported: u32,
    },
}

/// What kind of failure a [`StorageError`] is, for callers that decide whether to
/// retry (several server instances on one database, issue 18).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// A unique key or an expected state did not hold; retrying cannot help.
    Conflict,
    /// No such record.
    NotFound,
    /// Transient contention; the same unit of work may be run again.
    Retryable,
    /// The document moved since it was read: re-read, re-merge, then retry.
    Stale,
    /// The backend failed or the schema is newer; retrying cannot help.
    Permanent,
}

impl StorageError {
    /// The kind of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            StorageError::Conflict(_) => ErrorKind::Conflict,
            StorageError::NotFound(_) => ErrorKind::NotFound,
            StorageError::Busy(_) => ErrorKind::Retryable,
            StorageError::Stale(_) => ErrorKind::Stale,
            StorageError::Backend(_) | StorageError::NewerSchema { .. } => ErrorKind::Permanent,
        }
    }

    /// Whether running the same unit of work again may succeed (a [`Stale`]
    /// write is not: it must be built again from a fresh read).
    ///
    /// [`Stale`]: StorageError::Stale
    pub fn is_retryable(&self) -> bool {
        self.kind() == ErrorKind::Retryable
    }
}

/// Result of storage calls.
pub type StorageResult<T> = Result<T, StorageError>;

/// Roles of server users.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Field officer (uses devices).
    Officer,
    /// Supervisor (reviews inspections of the agency).
    Supervisor,
    /// Legal reviewer (法制审核).
    LegalReviewer,
    /// Administrator of the agency.
    Admin,
}

impl Role {
    /// Stable text.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Officer => "officer",
            Role::Supervisor => "supervisor",
            Role::LegalReviewer => "legal_reviewer",
            Role::Admin => "admin",
        }
    }
    /// Parses the stable text.
    pub fn parse(s: &str) -> Option<Role> {
        Some(match s {
            "officer" => Role::Officer,
            "supervisor" => Role::Supervisor,
            "legal_reviewer" => Role::LegalReviewer,
            "admin" => Role::Admin,
            _ => return None,
        })
    }
}

/// A server user account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// User id.
    pub id: String,
    /// Agency.
    pub agency_id: String,
    /// Login name.
    pub login: String,
    /// Display name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// The roster officer id, for officers.
    pub officer_id: Option<String>,
    /// argon2id PHC string.
    pub password_hash: String,
    /// Disabled accounts cannot sign in or sync.
    pub disabled: bool,
}

/// An enrolled device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    /// Device id (made on the device).
    pub id: String,
    /// The officer's user id.
    pub user_id: String,
    /// ed25519 public key (hex) that signs the device log.
    pub public_key: String,
    /// automerge actor id (hex) every change from this device must carry.
    pub actor_id: String,
    /// SHA-256 (hex) of the device token; the token itself is never stored.
    pub token_hash: String,
    /// When it enrolled.
    pub enrolled_at: DateTime<Utc>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Why the store refused to register a device (issue 16 item 5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceRefusal {
    /// The device id is enrolled and not revoked.
    Active,
    /// The device id was enrolled for another person.
    OtherPerson,
    /// The revoked device id was enrolled with another actor id (this one, hex).
    ActorChanged(String),
    /// Another device, revoked or not, has the actor id.
    ActorTaken,
}

/// What the server keeps about one inspection document besides its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocRecord {
    /// Inspection id.
    pub id: String,
    /// Agency.
    pub agency_id: String,
    /// Officer ids that may see and write it (opener, team, task officers).
    pub officer_ids: Vec<String>,
    /// Task, if any.
    pub task_id: Option<String>,
    /// Target name.
    pub target_name: String,
    /// open | closed.
    pub status: String,
    /// Heads (hex) of `bytes`.
    pub heads: Vec<String>,
    /// Full automerge save.
    pub bytes: Vec<u8>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// Computes a document's queue summary from the evidence records as they stand
/// inside the write (so the summary always matches what is committed with it).
pub type SummaryFn = Box<dyn FnOnce(Vec<BlobRecord>) -> Option<queue::QueueSummary> + Send>;

/// The records a device may be offered, from [`Storage::offer_scan`].
#[derive(Debug, Clone, Default)]
pub struct OfferScan {
    /// The change cursor to send back to the device.
    pub cursor: u64,
    /// Id, heads (hex) and the device's stored sync state of each candidate.
    pub docs: Vec<(String, Vec<String>, Option<Vec<u8>>)>,
}

/// Everything one accepted sync of one document writes, committed in one
/// transaction or not at all (issue 16: the document, its evidence references, its
/// queue summary and the device's sync state are true together).
pub struct SyncWrite {
    /// The merged document.
    pub doc: DocRecord,
    /// The heads (hex) of the document the writer read and merged into (None: it
    /// read no document, which must still not exist). When the stored heads differ
    /// (as sets), nothing is written and the commit is [`StorageError::Stale`].
    pub expected_heads: Option<Vec<String>>,
    /// Every evidence reference of the document (inserted if missing).
    pub blobs: Vec<BlobRecord>,
    /// The device and its new sync state for this document.
    pub peer_state: Option<(String, Vec<u8>)>,
    /// The queue summary, from the evidence records inside the transaction.
    pub summary: SummaryFn,
}

/// An evidence blob the server knows of (referenced, received or not).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobRecord {
    /// SHA-256 hex.
    pub sha256: String,
    /// Inspection that references it.
    pub inspection_id: String,
    /// Capture time on the device (from the document).
    pub captured_at: DateTime<Utc>,
    /// When the server received the verified bytes.
    pub received_at: Option<DateTime<Utc>>,
    /// Size in bytes.
    pub size: u64,
}

/// A declared conflict of interest (回避) as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConflictRecord {
    /// Agency.
    pub agency_id: String,
    /// Officer id.
    pub officer_id: String,
    /// Target id.
    pub target_id: String,
    /// Why (e.g. 亲属关系).
    pub reason: String,
    /// When it was declared.
    pub declared_at: DateTime<Utc>,
}

/// State of a draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DrawStatus {
    /// Inputs frozen and seed committed; not run yet.
    Committed,
    /// Seed revealed, outcome stored, tasks created.
    Completed,
}

/// A draw as stored: the seed is secret while `status` is committed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredDraw {
    /// Draw id.
    pub id: String,
    /// Agency.
    pub agency_id: String,
    /// State.
    pub status: DrawStatus,
    /// When it was committed.
    pub created_at: DateTime<Utc>,
    /// User id of whoever committed it.
    pub created_by: String,
    /// SHA-256 of the canonical inputs.
    pub inputs_hash: String,
    /// SHA-256 of the seed.
    pub seed_commitment: String,
    /// The seed (hex); revealed only once completed.
    pub seed: String,
    /// Public entropy mixed in at run time.
    pub public_entropy: Option<String>,
    /// The frozen inputs.
    pub inputs: DrawInputs,
    /// The outcome, once completed.
    pub outcome: Option<DrawOutcome>,
    /// When it was run.
    pub completed_at: Option<DateTime<Utc>>,
}

/// One row of a draw list (no inputs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawSummary {
    /// Draw id.
    pub id: String,
    /// Agency.
    pub agency_id: String,
    /// Item code.
    pub item_code: String,
    /// Item name.
    pub item_name: String,
    /// State.
    pub status: DrawStatus,
    /// Draw date.
    pub draw_date: chrono::NaiveDate,
    /// Due date.
    pub due_date: chrono::NaiveDate,
    /// Committed at.
    pub created_at: DateTime<Utc>,
    /// SHA-256 of the inputs.
    pub inputs_hash: String,
    /// SHA-256 of the seed.
    pub seed_commitment: String,
    /// Run at.
    pub completed_at: Option<DateTime<Utc>>,
}

/// What happened to a task after it was created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskEventKind {
    /// Cancelled.
    Cancelled,
    /// Given to other officers.
    Reassigned,
}

/// A cancellation or reassignment, with its reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskEvent {
    /// Agency.
    pub agency_id: String,
    /// Task id.
    pub task_id: String,
    /// When.
    pub at: DateTime<Utc>,
    /// What.
    pub kind: TaskEventKind,
    /// Why.
    pub reason: String,
    /// Officers before.
    pub before: Vec<String>,
    /// Officers after.
    pub after: Vec<String>,
    /// User id of whoever did it.
    pub by_user: String,
}

/// A drawn task with its place in the draw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawTask {
    /// Draw order.
    pub seq: u32,
    /// The task as it is now.
    pub task: Task,
}

/// The storage contract; one implementation per backend. Each later area of the
/// server keeps its part in a trait of its own module (web pages, device logs, the
/// review queue, the access log, review submissions, sign-in attempts), all
/// required here.
#[async_trait]
pub trait Storage:
    web::WebStorage
    + device_log::DeviceLogStorage
    + queue::QueueStorage
    + access::AccessStorage
    + review::ReviewStorage
    + legal::LegalStorage
    + login_attempts::LoginAttemptStorage
    + publicity::PublicityStorage
    + public_profile::PublicProfileStorage
    + uploads::UploadStorage
    + Send
    + Sync
    + 'static
{
    // ---- roster -------------------------------------------------------------
    /// Replaces an agency's roster (agency, officers, targets, tasks).
    async fn put_roster(&self, roster: &RosterSnapshot) -> StorageResult<()>;
    /// An agency's roster with only the tasks assigned to `officer_id` (all if None),
    /// and its version tag (changes whenever the roster changes).
    async fn roster_for(
        &self,
        agency_id: &str,
        officer_id: Option<&str>,
    ) -> StorageResult<Option<(RosterSnapshot, String)>>;

    // ---- directories, item list, conflicts (issue 7) ----------------------------
    /// Inserts or replaces officers and targets of an agency's directories by id
    /// (the roster tables); NotFound if the agency has no roster yet. Conflict if a
    /// certificate number would belong to two officers.
    async fn upsert_directory(
        &self,
        agency_id: &str,
        officers: &[Officer],
        targets: &[Target],
    ) -> StorageResult<()>;
    /// Removes an officer from the directory (NotFound if absent).
    async fn delete_officer(&self, agency_id: &str, officer_id: &str) -> StorageResult<()>;
    /// Removes a target from the directory (NotFound if absent).
    async fn delete_target(&self, agency_id: &str, target_id: &str) -> StorageResult<()>;
    /// The spot-check item list, in list order.
    async fn check_items(&self, agency_id: &str) -> StorageResult<Vec<SpotCheckItem>>;
    /// Inserts or replaces items by code; NotFound if the agency has no roster yet.
    async fn upsert_check_items(
        &self,
        agency_id: &str,
        items: &[SpotCheckItem],
    ) -> StorageResult<()>;
    /// Removes an item (NotFound if absent).
    async fn delete_check_item(&self, agency_id: &str, code: &str) -> StorageResult<()>;
    /// The agency's own enforcement categories (besides the built-in catalogue).
    async fn categories(&self, agency_id: &str) -> StorageResult<Vec<String>>;
    /// Replaces the agency's own enforcement categories.
    async fn put_categories(&self, agency_id: &str, names: &[String]) -> StorageResult<()>;
    /// Declared conflicts of an agency.
    async fn conflicts(&self, agency_id: &str) -> StorageResult<Vec<ConflictRecord>>;
    /// Declares a conflict (replaces the reason if it exists).
    async fn put_conflict(&self, conflict: &ConflictRecord) -> StorageResult<()>;
    /// Withdraws a conflict (NotFound if absent).
    async fn delete_conflict(
        &self,
        agency_id: &str,
        officer_id: &str,
        target_id: &str,
    ) -> StorageResult<()>;
    /// For each target that was inspected (or drawn) before: the officers of its most
    /// recent inspection document linked to a task of that target, or else of its most
    /// recent drawn task that was not cancelled. Sorted by target id.
    async fn last_teams(&self, agency_id: &str) -> StorageResult<Vec<(String, Vec<String>)>>;

    // ---- draws and tasks (issue 7) -------------------------------------------
    /// Stores a committed draw (Conflict if the id exists).
    async fn create_draw(&self, draw: &StoredDraw) -> StorageResult<()>;
    /// A draw of an agency (any agency if None).
    async fn draw(&self, agency_id: Option<&str>, id: &str) -> StorageResult<Option<StoredDraw>>;
    /// Draws of an agency (all agencies if None), newest first.
    async fn draws(&self, agency_id: Option<&str>) -> StorageResult<Vec<DrawSummary>>;
    /// Completes a committed draw in one transaction: reveals the seed, stores the
    /// outcome and creates its tasks (delivered to their officers through the
    /// roster). Conflict if the draw is not committed any more.
    async fn complete_draw(&self, draw: &StoredDraw, tasks: &[(u32, Task)]) -> StorageResult<()>;
    /// The tasks of a draw as they are now, in draw order.
    async fn draw_tasks(&self, draw_id: &str) -> StorageResult<Vec<DrawTask>>;
    /// A task of an agency.
    async fn task(&self, agency_id: &str, task_id: &str) -> StorageResult<Option<Task>>;
    /// Replaces a task after a cancellation or reassignment and records the event.
    /// The task keeps reaching the devices of its former officers (so they learn of
    /// the change) and reaches its new ones.
    async fn update_task(&self, task: &Task, event: &TaskEvent) -> StorageResult<()>;
    /// Events of the given tasks, oldest first.
    async fn task_events(
        &self,
        agency_id: &str,
        task_ids: &[String],
    ) -> StorageResult<Vec<TaskEvent>>;
    /// Whether an inspection document linked to the task is on the server.
    async fn task_has_inspection(&self, task_id: &str) -> StorageResult<bool>;

    // ---- users and devices --------------------------------------------------
    /// Creates a user; Conflict if the login exists.
    async fn create_user(&self, user: &User) -> StorageResult<()>;
    /// A user by login.
    async fn user_by_login(&self, login: &str) -> StorageResult<Option<User>>;
    /// A user by id.
    async fn user_by_id(&self, id: &str) -> StorageResult<Option<User>>;
    /// Stores a one-time enrollment code (hash) for a user, valid until `expires_at`.
    async fn put_enrollment_code(
        &self,
        code_hash: &str,
        user_id: &str,
        expires_at: DateTime<Utc>,
    ) -> StorageResult<()>;
    /// Consumes a code: returns the user id if the code exists, is unused and not
    /// expired at `now`, and marks it used in the same transaction.
    async fn take_enrollment_code(
        &self,
        code_hash: &str,
        now: DateTime<Utc>,
    ) -> StorageResult<Option<String>>;
    /// Registers a device under the rules of [`Storage::enroll_device`]; any refusal
    /// is a Conflict.
    async fn put_device(&self, device: &Device) -> StorageResult<()>;
    /// A device by the hash of its token.
    async fn device_by_token_hash(&self, token_hash: &str) -> StorageResult<Option<Device>>;
    /// Revokes a device.
    async fn revoke_device(&self, device_id: &str, at: DateTime<Utc>) -> StorageResult<()>;
    /// API session tokens (hash → user, expiry) for supervisors and admins.
    async fn put_session(
        &self,
        token_hash: &str,
        user_id: &str,
        expires_at: DateTime<Utc>,
    ) -> StorageResult<()>;
    /// The user of a session token if not expired at `now`.
    async fn session_user(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StorageResult<Option<User>>;

    // ---- documents and sync -------------------------------------------------
    /// A document by id.
    async fn doc(&self, id: &str) -> StorageResult<Option<DocRecord>>;
    /// Inserts or replaces a document, if the stored one still has
    /// `expected_heads` (compared as sets; None: no document with this id may
    /// exist). Otherwise nothing is written and the result is
    /// [`StorageError::Stale`].
    async fn put_doc(
        &self,
        doc: &DocRecord,
        expected_heads: Option<&[String]>,
    ) -> StorageResult<()>;
    /// Commits a merged document with its evidence references, queue summary and
    /// the device's sync state in one transaction, if the stored document still
    /// has `write.expected_heads` (see [`Storage::put_doc`]); otherwise nothing is
    /// written and the result is [`StorageError::Stale`].
    async fn commit_sync(&self, write: SyncWrite) -> StorageResult<()>;
    /// Commits several merged documents, each exactly as [`Storage::commit_sync`]
    /// (a stale one writes nothing and is [`StorageError::Stale`]), and returns one
    /// result per write, in order. A backend may commit them together (issue 19:
    /// one transaction and one fsync for a sync request's documents); none is
    /// reported committed before it is durable; an outer error means none was
    /// written. The default commits each on its own, [`COMMITS_IN_FLIGHT`] at once.
    async fn commit_syncs(&self, writes: Vec<SyncWrite>) -> StorageResult<Vec<StorageResult<()>>> {
        use futures_util::StreamExt;
        Ok(futures_util::stream::iter(writes)
            .map(|w| self.commit_sync(w))
            .buffered(COMMITS_IN_FLIGHT)
            .collect()
            .await)
    }
    /// Ids of all documents after `after` in id order, at most `limit`.
    async fn doc_ids_after(&self, after: &str, limit: u32) -> StorageResult<Vec<String>>;
    /// What a device may be offered (issue 19): every record of `agency_id` that
    /// `officer_id` may see and that was written after the change cursor `since`
    /// (0: all), with its heads and `device_id`'s stored sync state, and the cursor
    /// to hand back. The cursor is read before the records, so a record written
    /// meanwhile is offered again next time rather than missed.
    async fn offer_scan(
        &self,
        agency_id: &str,
        officer_id: &str,
        device_id: &str,
        since: u64,
    ) -> StorageResult<OfferScan>;
    /// Summaries of an agency's documents, newest first (paged).
    async fn docs_for_agency(
        &self,
        agency_id: &str,
        limit: u32,
        offset: u32,
    ) -> StorageResult<Vec<DocRecord>>;
    /// The persisted automerge sync state between the server and a device for a doc.
    async fn peer_state(&self, device_id: &str, doc_id: &str) -> StorageResult<Option<Vec<u8>>>;
    /// A document and the device's sync state of it, as one sync merge reads them
    /// (issue 19: a backend may read both in one go); by default
    /// [`Storage::doc`] then [`Storage::peer_state`].
    async fn doc_for_sync(
        &self,
        device_id: &str,
        doc_id: &str,
    ) -> StorageResult<(Option<DocRecord>, Option<Vec<u8>>)> {
        let doc = self.doc(doc_id).await?;
        let state = self.peer_state(device_id, doc_id).await?;
        Ok((doc, state))
    }
    /// Forgets every device's sync state of a document, so each device that holds
    /// it is offered it again at its next sync (and told of missing evidence): the
    /// record moves past every change cursor.
    async fn forget_peer_states(&self, doc_id: &str) -> StorageResult<()>;
    /// Persists the sync state.
    async fn put_peer_state(
        &self,
        device_id: &str,
        doc_id: &str,
        state: &[u8],
    ) -> StorageResult<()>;

    // ---- evidence -----------------------------------------------------------
    // Evidence belongs to the agency that uploaded it (issue 16 item 6): the bytes
    // are kept once by content address, but *receipt* is a grant per agency, and
    // every `received_at` below is the grant of the agency of the referencing
    // inspection, never another agency's.
    /// Records that a document references a blob (idempotent). With `received_at`,
    /// also grants the blob to the agency of the (stored) inspection.
    async fn reference_blob(&self, blob: &BlobRecord) -> StorageResult<()>;
    /// Grants a blob to an agency (its device uploaded the verified bytes) at `at`;
    /// returns false if no inspection of that agency references it. Receiving twice
    /// keeps the first instant.
    async fn mark_blob_received(
        &self,
        agency_id: &str,
        sha256: &str,
        size: u64,
        at: DateTime<Utc>,
    ) -> StorageResult<bool>;
    /// Blobs referenced by the given documents that their agency has not received.
    async fn missing_blobs(&self, doc_ids: &[String]) -> StorageResult<Vec<String>>;
    /// The first record of a blob among an agency's inspections.
    async fn blob(&self, agency_id: &str, sha256: &str) -> StorageResult<Option<BlobRecord>>;
    /// Blob records of one inspection (received as far as its agency is concerned).
    async fn blobs_of(&self, inspection_id: &str) -> StorageResult<Vec<BlobRecord>>;

    // ---- added for the server infrastructure (health, auth, admin) ----------
    /// The schema version of the store (reads the backend: doubles as a health check).
    async fn schema_version(&self) -> StorageResult<u32>;
    /// Number of inspection documents on the server (all agencies).
    async fn total_docs(&self) -> StorageResult<u64>;
    /// Registers a device with its display name, in one transaction, unless a rule
    /// of device identity refuses it (issue 16 item 5): a device id enrolled and not
    /// revoked stays as it is; a revoked one enrols again only for the same person
    /// and with the same actor id (its key, token and name are replaced and its sync
    /// states forgotten); an actor id belongs to one device ever, revoked or not.
    async fn enroll_device(
        &self,
        device: &Device,
        name: &str,
    ) -> StorageResult<Result<(), DeviceRefusal>>;
    /// The id of the device (revoked or not) registered with an actor id, if any.
    async fn device_with_actor(&self, actor_id: &str) -> StorageResult<Option<String>>;
    /// Ids of every user account (all agencies, disabled ones too).
    async fn all_user_ids(&self) -> StorageResult<Vec<String>>;
    /// A device by id.
    async fn device_by_id(&self, id: &str) -> StorageResult<Option<Device>>;
    /// Devices of an agency's users with their display names, newest first.
    async fn devices_of_agency(&self, agency_id: &str) -> StorageResult<Vec<(Device, String)>>;
    /// Users of an agency, by login.
    async fn users_of_agency(&self, agency_id: &str) -> StorageResult<Vec<User>>;
    /// A session: its user and expiry, expired or not (so callers can tell
    /// "expired" from "unknown").
    async fn session_info(&self, token_hash: &str) -> StorageResult<Option<(User, DateTime<Utc>)>>;
    /// Deletes sessions and enrollment codes expired before `now`, and login
    /// failures older than `failures_before`.
    async fn purge_expired(
        &self,
        now: DateTime<Utc>,
        failures_before: DateTime<Utc>,
    ) -> StorageResult<()>;
}
