//! The uniffi surface of `liuhen-core` for the Android (Kotlin) and iOS (Swift) apps.
//!
//! Thin by design (ARCHITECTURE.md): every method converts its arguments, calls the
//! core's [`Core`] facade and converts the result or error. Rules, validation and
//! storage live in the core. Long work (sync, enrolment, evidence ingest, case export)
//! is `async` and runs on the core's own blocking pool, never on the caller's thread.
//! Observers deliver the current value at once and then every change.

uniffi::setup_scaffolding!();

mod drafts;
mod error;
mod observe;
mod types;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Instant;

use liuhen_core::api::CaptureInput;
use liuhen_core::export::CaseFormat;
use liuhen_core::model::CheckItem;
use liuhen_core::sync::http::{self, Credentials};
use liuhen_core::{Core, CoreError};

pub use drafts::{
    DraftConflictView, DraftEvidence, DraftInput, DraftListItem, DraftSyncView, DraftView,
};
pub use error::LiuhenError;
pub use observe::{InspectionObserver, RecordsObserver, Subscription};
pub use types::*;

use observe::Registry;

/// The runtime that runs long calls off the app's threads (shared by all cores).
fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .max_blocking_threads(4)
            .thread_name("liuhen-core")
            .build()
            // Without threads the process cannot do anything at all.
            .unwrap_or_else(|e| panic!("cannot start the liuhen core runtime: {e}"))
    })
}

/// Runs blocking work on the core's pool and awaits it.
async fn off_thread<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, LiuhenError> + Send + 'static,
) -> Result<T, LiuhenError> {
    runtime()
        .spawn_blocking(f)
        .await
        .map_err(|e| LiuhenError::Internal {
            detail: format!("后台任务异常终止：{e}"),
        })?
}

/// Where the enrolled user is kept in the device settings.
const ENROLLED_USER_KEY: &str = "enrolled_user";

/// One device's offline core: the store, the evidence directory, the signed log,
/// sync, and the observers of what the app shows.
#[derive(uniffi::Object)]
pub struct LiuhenCore {
    core: Mutex<Core>,
    observers: Arc<Mutex<Registry>>,
    syncing: AtomicBool,
    sync_gate: Mutex<()>,
}

impl LiuhenCore {
    fn lock(&self) -> MutexGuard<'_, Core> {
        // A panic inside a step leaves the store consistent (every step is one
        // transaction); carry on with the core rather than failing every later call.
        self.core.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn registry(&self) -> MutexGuard<'_, Registry> {
        self.observers.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn with<T>(&self, f: impl FnOnce(&mut Core) -> Result<T, CoreError>) -> Result<T, LiuhenError> {
        Ok(f(&mut self.lock())?)
    }

    /// Runs a step that changes inspection `id`, then tells the observers.
    fn step<T>(
        &self,
        id: &str,
        f: impl FnOnce(&mut Core) -> Result<T, CoreError>,
    ) -> Result<T, LiuhenError> {
        let out = self.with(f)?;
        self.notify(&[id.to_string()]);
        Ok(out)
    }

    /// Delivers the current state of `ids` and of the records list to observers.
    fn notify(&self, ids: &[String]) {
        if !self.registry().is_watching(ids) {
            return;
        }
        let (views, records) = {
            let mut core = self.lock();
            let views: Vec<(String, Result<InspectionView, LiuhenError>)> = ids
                .iter()
                .map(|id| {
                    (
                        id.clone(),
                        core.inspection(id)
                            .map(InspectionView::from)
                            .map_err(Into::into),
                    )
                })
                .collect();
            (
                views,
                records_of(&core, self.syncing.load(Ordering::SeqCst)),
            )
        };
        let (inspection_obs, records_obs) = {
            let r = self.registry();
            (r.inspection_observers(ids), r.records_observers())
        };
        for (id, o) in inspection_obs {
            match views.iter().find(|(v, _)| *v == id) {
                Some((_, Ok(view))) => o.on_update(view.clone()),
                Some((_, Err(e))) => o.on_error(e.to_string()),
                None => {}
            }
        }
        match records {
            Ok(snapshot) => records_obs
                .iter()
                .for_each(|o| o.on_update(snapshot.clone())),
            Err(e) => tracing::warn!(error = %e, "records list unreadable for observers"),
        }
    }

    fn notify_records(&self) {
        self.notify(&[]);
    }

    fn enroll_with(
        self: Arc<Self>,
        server_url: String,
        credentials: Credentials,
        device_name: String,
    ) -> Result<Enrollment, LiuhenError> {
        let mut core = self.lock();
        let user = http::enroll(&mut core, &server_url, credentials, &device_name)
            .map_err(LiuhenError::from_enrolment)?;
        let stored = format!(
            "{}\u{1f}{}",
            user.name,
            user.officer_id.clone().unwrap_or_default()
        );
        core.store()
            .set_device_value(ENROLLED_USER_KEY, stored.as_bytes())
            .map_err(CoreError::from)?;
        Ok(Enrollment {
            server_url: server_url.trim_end_matches('/').to_string(),
            user_name: user.name,
            officer_id: user.officer_id,
        })
    }
}

fn records_of(core: &Core, syncing: bool) -> Result<RecordsSnapshot, LiuhenError> {
    let mut records: Vec<RecordSummary> = core
        .list_inspections(false)?
        .into_iter()
        .map(RecordSummary::from)
        .collect();
    records.sort_by_key(|r| std::cmp::Reverse(r.updated_at));
    Ok(RecordsSnapshot { records, syncing })
}

#[uniffi::export]
impl LiuhenCore {
    /// Opens (or creates on first start) the device data directory: the store, the
    /// evidence files and the device identity. Refuses a store from a newer app
    /// (`UpgradeRequired`) or a damaged one (`DataDamaged`) without changing it.
    #[uniffi::constructor]
    pub fn open(data_dir: String) -> Result<Arc<Self>, LiuhenError> {
        let core = Core::open(&data_dir)?;
        Ok(Arc::new(LiuhenCore {
            core: Mutex::new(core),
            observers: Arc::new(Mutex::new(Registry::default())),
            syncing: AtomicBool::new(false),
            sync_gate: Mutex::new(()),
        }))
    }

    /// This device's id (shown on the enrolment screen).
    pub fn device_id(&self) -> String {
        self.lock().device().device_id.clone()
    }

    // ---- enrolment and sync ------------------------------------------------------

    /// Enrols the device with a one-time code, or with the QR payload
    /// `liuhen://enroll?server=…&code=…` (then `server_url` may be empty).
    pub async fn enroll_with_code(
        self: Arc<Self>,
        code_or_qr: String,
        server_url: Option<String>,
        device_name: String,
    ) -> Result<Enrollment, LiuhenError> {
        off_thread(move || {
            let (from_qr, code) = http::parse_enrollment(&code_or_qr);
            let url = from_qr
                .or(server_url)
                .filter(|u| !u.trim().is_empty())
                .ok_or_else(|| LiuhenError::InvalidInput {
                    field: "server_url".into(),
                    detail: "请填写服务器地址，或扫描管理员提供的登记二维码".into(),
                })?;
            self.enroll_with(url, Credentials::Code(code), device_name)
        })
        .await
    }

    /// Enrols the device with the officer's login and password.
    pub async fn enroll_with_password(
        self: Arc<Self>,
        server_url: String,
        login: String,
        password: String,
        device_name: String,
    ) -> Result<Enrollment, LiuhenError> {
        off_thread(move || {
            self.enroll_with(
                server_url,
                Credentials::Password { login, password },
                device_name,
            )
        })
        .await
    }

    /// The server and officer this device is enrolled for, if it is.
    pub fn enrollment(&self) -> Result<Option<Enrollment>, LiuhenError> {
        let core = self.lock();
        let Some(url) = http::server_url(&core)? else {
            return Ok(None);
        };
        let user = core
            .store()
            .device_value(ENROLLED_USER_KEY)
            .map_err(CoreError::from)?
            .and_then(|v| String::from_utf8(v).ok())
            .unwrap_or_default();
        let (name, officer) = user.split_once('\u{1f}').unwrap_or((user.as_str(), ""));
        Ok(Some(Enrollment {
            server_url: url,
            user_name: name.to_string(),
            officer_id: (!officer.is_empty()).then(|| officer.to_string()),
        }))
    }

    /// Syncs every changed record (and receives the roster, tasks and supervisors'
    /// comments), then uploads evidence. One run at a time; records are never lost:
    /// on failure they stay pending and the error says what to do.
    pub async fn sync_now(self: Arc<Self>) -> Result<SyncSummary, LiuhenError> {
        off_thread(move || {
            let _one_at_a_time = self.sync_gate.lock().unwrap_or_else(|p| p.into_inner());
            self.syncing.store(true, Ordering::SeqCst);
            self.notify_records();
            let result = (|| {
                let mut core = self.lock();
                let client = http::client_for(&core)?.ok_or_else(|| LiuhenError::NotEnrolled {
                    detail: "本设备尚未登记到服务器，无法同步；请先扫描登记二维码或输入登记码"
                        .into(),
                })?;
                Ok::<_, LiuhenError>(client.run(&mut core)?)
            })();
            self.syncing.store(false, Ordering::SeqCst);
            let changed: Vec<String> = match &result {
                Ok(r) => r
                    .synced
                    .iter()
                    .chain(&r.received_new)
                    .chain(&r.received_changes)
                    .chain(r.needs_attention.iter().map(|(id, _)| id))
                    .chain(r.still_pending.iter().map(|(id, _)| id))
                    .cloned()
                    .collect(),
                Err(_) => vec![],
            };
            self.notify(&changed);
            result.map(SyncSummary::from)
        })
        .await
    }

    // ---- roster and tasks ----------------------------------------------------------

    /// Officers of the cached roster.
    pub fn officers(&self) -> Result<Vec<OfficerView>, LiuhenError> {
        let roster = self.with(|c| c.roster())?;
        Ok(roster.officers.iter().map(OfficerView::from).collect())
    }

    /// Tasks pushed to this device (all, or those of one officer), with the
    /// inspection recorded for each.
    pub fn tasks(&self, officer_id: Option<String>) -> Result<Vec<TaskView>, LiuhenError> {
        self.with(|c| {
            let roster = c.roster()?;
            let tasks = c.tasks(officer_id.as_deref())?;
            let docs = c.list_inspections(false)?;
            Ok(task_views(&roster, tasks, &docs))
        })
    }

    // ---- the inspection lifecycle ------------------------------------------------

    /// Opens the inspection for a task (refused if one is already open for it).
    pub fn open_for_task(&self, task_id: String, by: String) -> Result<String, LiuhenError> {
        let id = self.with(|c| c.open_for_task(&task_id, &by))?;
        self.notify(std::slice::from_ref(&id));
        Ok(id)
    }

    /// Opens an ad hoc inspection of a roster target (e.g. on a complaint).
    pub fn open_ad_hoc(
        &self,
        target_id: String,
        category: String,
        item_code: String,
        item_name: String,
        legal_basis: String,
        by: String,
    ) -> Result<String, LiuhenError> {
        let item = CheckItem {
            code: item_code,
            name: item_name,
            legal_basis,
        };
        let id = self.with(|c| c.open_ad_hoc(&target_id, &category, &item, &by))?;
        self.notify(std::slice::from_ref(&id));
        Ok(id)
    }

    /// Checks an officer in; the certificate is checked against the cached roster
    /// (R-SCENE-1) and the task's assignment (R-RAND-2). `location` is where, when
    /// the phone had a good fix (R-REC-3); its ranges are checked first.
    #[uniffi::method(default(location = None))]
    pub fn check_in(
        &self,
        id: String,
        officer_id: String,
        location: Option<CaptureLocation>,
    ) -> Result<(), LiuhenError> {
        let location = location.map(TryInto::try_into).transpose()?;
        self.step(&id, |c| c.check_in_at(&id, &officer_id, location))
    }

    /// The identity-notice statement to show while it is spoken and recorded.
    pub fn identity_statement(&self, id: String) -> Result<String, LiuhenError> {
        self.with(|c| c.identity_statement(&id))
    }

    /// Ingests an evidence file (photo, audio, signature, ...) and attaches it.
    /// The file is checked by its content, hashed, and kept byte for byte; nothing
    /// is stored if it is refused. Runs off the caller's thread.
    pub async fn capture_evidence(
        self: Arc<Self>,
        id: String,
        file_path: String,
        request: CaptureRequest,
        by: String,
    ) -> Result<CapturedEvidence, LiuhenError> {
        off_thread(move || {
            let input = CaptureInput {
                kind: request.kind.into(),
                media_type: request.media_type,
                step: request.step.into(),
                location: request.location.map(TryInto::try_into).transpose()?,
            };
            let captured = self.step(&id, |c| {
                c.capture_evidence(&id, &PathBuf::from(&file_path), input, &by)
            })?;
            Ok(CapturedEvidence::from(captured))
        })
        .await
    }

    /// Records the identity notice with its audio recording (R-SCENE-3, R-REC-3);
    /// `statement` overrides the generated text if the officer adjusted it.
    pub fn record_identity_notice(
        &self,
        id: String,
        statement: Option<String>,
        recording_sha256: String,
        by: String,
    ) -> Result<(), LiuhenError> {
        self.step(&id, |c| {
            c.record_identity_notice(&id, statement, &recording_sha256, &by)
        })
    }

    /// Adds a finding pointing at evidence already captured; returns its id.
    pub fn add_finding(
        &self,
        id: String,
        text: String,
        evidence: Vec<String>,
        by: String,
    ) -> Result<String, LiuhenError> {
        self.step(&id, |c| c.add_finding(&id, &text, evidence, &by))
    }

    /// Changes a finding's text while the inspection is open.
    pub fn edit_finding(
        &self,
        id: String,
        finding_id: String,
        text: String,
        by: String,
    ) -> Result<(), LiuhenError> {
        self.step(&id, |c| c.edit_finding(&id, &finding_id, &text, &by))
    }

    /// The agency's rights notice the server sent with the roster (R-SCENE-4); `None`
    /// until a roster carrying one was synced. Both apps show this text.
    pub fn agency_rights_notice(&self) -> Result<Option<AgencyRightsNotice>, LiuhenError> {
        self.with(|c| Ok(c.rights_notice_text()?.map(Into::into)))
    }

    /// Records the agency's rights notice as read (by its version) and the party's
    /// signature or refusal; refused when the device holds a newer version or none
    /// (R-SCENE-4).
    pub fn record_rights_notice(
        &self,
        id: String,
        request: RightsNoticeRequest,
        by: String,
    ) -> Result<(), LiuhenError> {
        self.step(&id, |c| {
            c.give_rights_notice(&id, &request.notice_version, request.response.into(), &by)
        })
    }

    /// The rules not yet met for closing, each with its ID (empty when it can close).
    pub fn unmet_rules(&self, id: String) -> Result<Vec<RuleViolation>, LiuhenError> {
        let v = self.with(|c| c.violations(&id))?;
        Ok(v.into_iter().map(RuleViolation::from).collect())
    }

    /// Closes the inspection on site; refused with every unmet rule listed.
    pub fn close(&self, id: String, by: String) -> Result<(), LiuhenError> {
        self.step(&id, |c| c.close(&id, &by))
    }

    /// Adds an amendment to a closed inspection (R-REC-5); returns its id. `amends`
    /// names what it corrects: `finding:<id>`, `amendment:<id>`, `identity_notice`,
    /// `rights_notice`, `meta` or `team`.
    pub fn amend(
        &self,
        id: String,
        amends: String,
        text: String,
        evidence: Vec<String>,
        by: String,
    ) -> Result<String, LiuhenError> {
        self.step(&id, |c| c.amend(&id, &amends, &text, evidence, &by))
    }

    /// Puts a record marked 需处理 back in the sync queue after the officer acted on
    /// the reason (the record itself is not changed, R-REC-5); false when it was not
    /// waiting. The next `sync_now` sends it again.
    pub fn resend(&self, id: String) -> Result<bool, LiuhenError> {
        let out = self.with(|c| c.resend(&id))?;
        self.notify(&[id]);
        Ok(out)
    }

    // ---- reading -------------------------------------------------------------------

    /// One inspection as the record screen shows it.
    pub fn inspection(&self, id: String) -> Result<InspectionView, LiuhenError> {
        Ok(self.with(|c| c.inspection(&id))?.into())
    }

    /// Every record on the device (or only those not yet synced), latest first.
    pub fn records(&self, pending_only: bool) -> Result<Vec<RecordSummary>, LiuhenError> {
        let mut snapshot = records_of(&self.lock(), false)?;
        if pending_only {
            snapshot
                .records
                .retain(|r| r.sync_status != SyncStatus::Synced);
        }
        Ok(snapshot.records)
    }

    /// The file of an evidence item or derived image (thumbnail, display copy) to
    /// show, if it is on the device.
    pub fn evidence_file(&self, sha256: String) -> Option<String> {
        let core = self.lock();
        core.blobs()
            .contains(&sha256)
            .then(|| core.blobs().path_of(&sha256).to_string_lossy().into_owned())
    }

    /// Opens an original evidence file for viewing: the view is written to the
    /// signed log with its reason (R-REC-7); returns the file path.
    pub fn open_original(
        &self,
        id: String,
        sha256: String,
        by: String,
        reason: String,
    ) -> Result<String, LiuhenError> {
        let path = self.with(|c| c.open_evidence_original(&id, &sha256, &by, &reason))?;
        Ok(path.to_string_lossy().into_owned())
    }

    /// Re-hashes every evidence file of an inspection on the device; returns what is
    /// missing or altered (empty when all files are intact).
    pub fn verify_evidence(&self, id: String) -> Result<Vec<RuleViolation>, LiuhenError> {
        let v = self.with(|c| c.verify_evidence(&id))?;
        Ok(v.into_iter().map(RuleViolation::from).collect())
    }

    /// Verifies the device's signed log; returns the number of entries.
    pub fn verify_log(&self) -> Result<u64, LiuhenError> {
        Ok(self.with(|c| c.verify_log())? as u64)
    }

    /// Exports the case file (笔录, originals, log, manifest) as a zip at `dest_path`;
    /// the export and its reason are written to the log (R-REC-7). Returns the
    /// manifest's SHA-256.
    pub async fn export_case(
        self: Arc<Self>,
        id: String,
        dest_path: String,
        by: String,
        reason: String,
    ) -> Result<String, LiuhenError> {
        off_thread(move || {
            let summary = self.with(|c| {
                c.export_case(
                    &id,
                    &PathBuf::from(&dest_path),
                    CaseFormat::Zip,
                    &by,
                    &reason,
                )
            })?;
            Ok(summary.manifest_sha256)
        })
        .await
    }

    // ---- observers -----------------------------------------------------------------

    /// Watches one inspection: the current value now, then every change.
    pub fn observe_inspection(
        &self,
        id: String,
        observer: Arc<dyn InspectionObserver>,
    ) -> Arc<Subscription> {
        let key = self.registry().add_inspection(id.clone(), observer.clone());
        match self.with(|c| c.inspection(&id)) {
            Ok(v) => observer.on_update(v.into()),
            Err(e) => observer.on_error(e.to_string()),
        }
        Subscription::new(&self.observers, key)
    }

    /// Watches the records list with each record's sync state: the current list
    /// now, then after every change and around every sync run.
    pub fn observe_records(&self, observer: Arc<dyn RecordsObserver>) -> Arc<Subscription> {
        let key = self.registry().add_records(observer.clone());
        match records_of(&self.lock(), self.syncing.load(Ordering::SeqCst)) {
            Ok(s) => observer.on_update(s),
            Err(e) => tracing::warn!(error = %e, "records list unreadable for a new observer"),
        }
        Subscription::new(&self.observers, key)
    }

    // ---- measurement ---------------------------------------------------------------

    /// For the binding-overhead benchmark: reads inspection `id` `iterations` times
    /// directly in Rust (no conversion, no FFI) and returns the nanoseconds taken.
    pub fn measure_direct_reads(&self, id: String, iterations: u32) -> Result<u64, LiuhenError> {
        let mut core = self.lock();
        let start = Instant::now();
        for _ in 0..iterations {
            std::hint::black_box(core.inspection(&id)?);
        }
        Ok(start.elapsed().as_nanos() as u64)
    }

    /// For the binding-overhead benchmark: edits a finding `iterations` times
    /// directly in Rust and returns the nanoseconds taken.
    pub fn measure_direct_edits(
        &self,
        id: String,
        finding_id: String,
        by: String,
        iterations: u32,
    ) -> Result<u64, LiuhenError> {
        let mut core = self.lock();
        let start = Instant::now();
        for n in 0..iterations {
            core.edit_finding(&id, &finding_id, &format!("直接调用修改第 {n} 次"), &by)?;
        }
        Ok(start.elapsed().as_nanos() as u64)
    }
}
