//! The legal review workflow (R-LEGAL-1..7), enforced here for every caller (JSON
//! API and pages alike): who may draft, submit, review, extend, dispute,
//! coordinate and decide, in which state, and what each step writes. Each step is
//! one storage transaction with its audit entries ([`LegalWrite`]); steps on one
//! draft are serialised by the per-document lock.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use liuhen_domain::draft_doc::{DraftConflict, DraftDoc, DraftDocError, DraftMeta, parse_heads};
use liuhen_domain::legal::{
    Catalogue, CheckResult, DeadlineStatus, DraftContent, FieldChange, LegalInputError,
    MajorTrigger, Opinion, diff, review_deadline_status, reviewers_required, validate_review,
};

use liuhen_domain::time::{beijing_text, local_date};

use crate::services::actors::user_actor;
use crate::services::labels::Label;
use crate::services::optimistic::{self, Staleness};
use crate::state::AppState;
use crate::storage::legal::{
    CatalogueVersion, DecisionRecord, DisputeOutcome, DisputeRecord, DraftBase, DraftRecord,
    DraftStatus, ExtensionRecord, LegalEvent, LegalWrite, ReviewRecord, VersionRecord,
};
use crate::storage::{Role, StorageError, User};

/// Roles that draft, submit and dispute: the handling unit (承办机构), and legal
/// reviewers for matters their own office handles — who then never review those
/// drafts themselves (R-LEGAL-3, see [`check_not_drafter`]).
pub const DRAFTER_ROLES: &[Role] = &[Role::Officer, Role::Supervisor, Role::LegalReviewer];
/// Roles that review (法制审核机构).
pub const REVIEWER_ROLES: &[Role] = &[Role::LegalReviewer];
/// Roles that make decisions (机关负责人 / 承办机构负责人).
pub const DECIDER_ROLES: &[Role] = &[Role::Supervisor, Role::Admin];
/// Roles that approve extensions and record coordination outcomes (机关负责人).
pub const LEADER_ROLES: &[Role] = &[Role::Admin];
/// Everyone who may read drafts of their agency.
pub const READER_ROLES: &[Role] = &[
    Role::Officer,
    Role::Supervisor,
    Role::LegalReviewer,
    Role::Admin,
];

/// Longest document number (文书编号).
const MAX_DOC_NUMBER_CHARS: usize = 64;
/// Longest free-text note of a step.
const MAX_NOTE_CHARS: usize = 5_000;

/// Why a workflow step was refused. Messages are Chinese and say what to do.
#[derive(Debug, thiserror::Error)]
pub enum LegalError {
    /// The role may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// No such draft in the caller's agency.
    #[error("找不到{0}")]
    NotFound(String),
    /// A field is wrong.
    #[error("{field}：{reason}")]
    Invalid {
        /// Field name.
        field: String,
        /// Why.
        reason: String,
    },
    /// R-LEGAL-1: a major decision without a passed review for exactly this content.
    #[error("R-LEGAL-1：{0}")]
    ReviewRequired(String),
    /// The draft is not in a state that allows this step.
    #[error("{0}")]
    WrongState(String),
    /// The same form was already carried out (a double submit); nothing was written again.
    #[error("此操作已完成（表单重复提交），未重复执行")]
    Duplicate {
        /// The draft concerned.
        draft_id: String,
    },
    /// The page or request was based on an older state (someone else acted first).
    #[error("{0}")]
    Stale(String),
    /// The document of the draft cannot be read.
    #[error("决定草案文档无法读取：{0}")]
    Damaged(String),
    /// Storage failed.
    #[error(transparent)]
    Storage(StorageError),
}

impl From<StorageError> for LegalError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::NotFound(w) => LegalError::NotFound(w),
            other => LegalError::Storage(other),
        }
    }
}

impl Staleness for LegalError {
    fn is_stale(&self) -> bool {
        matches!(self, LegalError::Storage(StorageError::Stale(_)))
    }
}

impl From<LegalInputError> for LegalError {
    fn from(e: LegalInputError) -> Self {
        match e {
            LegalInputError::Invalid { field, reason } => LegalError::Invalid {
                field: field.to_string(),
                reason,
            },
        }
    }
}

impl From<DraftDocError> for LegalError {
    fn from(e: DraftDocError) -> Self {
        match e {
            DraftDocError::UnknownHeads => LegalError::Stale(
                "页面所依据的草案版本在服务器上不存在，请刷新页面后重新修改".into(),
            ),
            other => LegalError::Damaged(other.to_string()),
        }
    }
}

impl LegalError {
    /// HTTP status of the refusal.
    pub fn status(&self) -> axum::http::StatusCode {
        use axum::http::StatusCode;
        match self {
            LegalError::Forbidden(_) => StatusCode::FORBIDDEN,
            LegalError::NotFound(_) => StatusCode::NOT_FOUND,
            LegalError::Invalid { .. } => StatusCode::BAD_REQUEST,
            LegalError::ReviewRequired(_)
            | LegalError::WrongState(_)
            | LegalError::Duplicate { .. }
            | LegalError::Stale(_) => StatusCode::CONFLICT,
            LegalError::Damaged(_) => StatusCode::INTERNAL_SERVER_ERROR,
            LegalError::Storage(StorageError::Conflict(_)) => StatusCode::CONFLICT,
            LegalError::Storage(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
    /// Stable code for the JSON API.
    pub fn code(&self) -> &'static str {
        match self {
            LegalError::Forbidden(_) => "forbidden",
            LegalError::NotFound(_) => "not_found",
            LegalError::Invalid { .. } => "invalid_field",
            LegalError::ReviewRequired(_) => "legal_review_required",
            LegalError::WrongState(_) => "wrong_state",
            LegalError::Duplicate { .. } => "duplicate",
            LegalError::Stale(_) => "stale",
            LegalError::Damaged(_) => "internal",
            LegalError::Storage(StorageError::Conflict(_)) => "conflict",
            LegalError::Storage(_) => "storage",
        }
    }
}

impl From<LegalError> for crate::error::AppError {
    fn from(e: LegalError) -> Self {
        match e {
            LegalError::Storage(s) => crate::error::AppError::Storage(s),
            LegalError::Damaged(d) => crate::error::AppError::Internal(d),
            other => crate::error::AppError::Custom {
                status: other.status(),
                code: other.code(),
                message: other.to_string(),
            },
        }
    }
}

/// Result of workflow steps.
pub type LegalResult<T> = Result<T, LegalError>;

pub(crate) fn require(user: &User, roles: &[Role], what: &str) -> LegalResult<()> {
    if roles.contains(&user.role) {
        Ok(())
    } else {
        Err(LegalError::Forbidden(format!(
            "您的账号（{}）无权{what}",
            crate::services::labels::role_label(user.role)
        )))
    }
}

fn check_note(field: &str, label: &str, v: &str, required: bool) -> LegalResult<String> {
    let v = v.trim();
    if required && v.is_empty() {
        return Err(LegalError::Invalid {
            field: field.into(),
            reason: format!("请填写{label}"),
        });
    }
    if v.chars().count() > MAX_NOTE_CHARS {
        return Err(LegalError::Invalid {
            field: field.into(),
            reason: format!("{label}不能超过 {MAX_NOTE_CHARS} 个字"),
        });
    }
    Ok(v.to_string())
}

fn event(
    d: &DraftRecord,
    kind: &str,
    version: Option<u32>,
    user: &User,
    at: DateTime<Utc>,
    detail: serde_json::Value,
) -> LegalEvent {
    LegalEvent {
        seq: 0,
        agency_id: d.agency_id.clone(),
        draft_id: Some(d.id.clone()),
        kind: kind.into(),
        version,
        by_user: user.id.clone(),
        at,
        detail,
    }
}

/// Loads a draft of the user's agency (another agency's draft does not exist for them).
pub async fn load(st: &AppState, user: &User, id: &str) -> LegalResult<(DraftRecord, DraftDoc)> {
    let rec = st
        .storage
        .legal_draft(id)
        .await?
        .filter(|d| d.agency_id == user.agency_id)
        .ok_or_else(|| LegalError::NotFound(format!("决定草案 {id}")))?;
    let doc = DraftDoc::load(&rec.bytes)?;
    Ok((rec, doc))
}

fn form(form_id: Option<&str>, action: &str) -> LegalResult<Option<(String, String)>> {
    match form_id {
        None => Ok(None),
        Some(f)
            if f.len() >= 16
                && f.len() <= 64
                && f.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') =>
        {
            Ok(Some((f.to_string(), action.to_string())))
        }
        Some(_) => Err(LegalError::Invalid {
            field: "form_id".into(),
            reason: "表单编号格式错误，请刷新页面后重试".into(),
        }),
    }
}

async fn apply(st: &AppState, w: LegalWrite, draft_id: &str) -> LegalResult<()> {
    let has_form = w.form.is_some();
    match st.storage.apply_legal(&w).await {
        Ok(()) => Ok(()),
        Err(StorageError::Conflict(what)) if has_form && what.starts_with("表单") => {
            Err(LegalError::Duplicate {
                draft_id: draft_id.to_string(),
            })
        }
        Err(StorageError::Conflict(what)) => Err(LegalError::WrongState(format!(
            "操作未执行：{what}（可能已被他人处理），请刷新页面查看最新状态"
        ))),
        Err(e) => Err(e.into()),
    }
}

/// Checks the inspections and evidence a draft links to belong to the agency.
pub(crate) async fn check_links(st: &AppState, user: &User, c: &DraftContent) -> LegalResult<()> {
    for id in &c.inspection_ids {
        let ok = st
            .storage
            .doc(id)
            .await?
            .is_some_and(|d| d.agency_id == user.agency_id);
        if !ok {
            return Err(LegalError::Invalid {
                field: "inspection_ids".into(),
                reason: format!("本单位没有编号为 {id} 的检查记录"),
            });
        }
    }
    for e in &c.evidence {
        let known = st
            .storage
            .blobs_of(&e.inspection_id)
            .await?
            .iter()
            .any(|b| b.sha256 == e.sha256);
        if !c.inspection_ids.contains(&e.inspection_id) || !known {
            return Err(LegalError::Invalid {
                field: "evidence".into(),
                reason: format!(
                    "证据 {} 不属于所关联的检查记录 {}",
                    &e.sha256[..e.sha256.len().min(12)],
                    e.inspection_id
                ),
            });
        }
    }
    Ok(())
}

/// R-POST-2: the fields a decision publishes must not name a natural person
/// other than the party (whose name is masked on publication). A probable name
/// the masker cannot be sure of is refused with its field, position and text,
/// so the drafter fixes it before the decision is submitted or made.
pub fn check_public_text(c: &DraftContent) -> LegalResult<()> {
    let spans = public_text_spans(c);
    if spans.is_empty() {
        return Ok(());
    }
    Err(LegalError::Invalid {
        field: "conclusion".into(),
        reason: format!(
            "{}{}",
            crate::services::mask::unsafe_spans_message(&spans),
            crate::services::mask::unsafe_spans_fix(&spans)
        ),
    })
}

/// The probable names of persons other than the party in what `c` publishes.
pub fn public_text_spans(c: &DraftContent) -> Vec<crate::services::mask::UnsafeSpan> {
    crate::services::mask::spans_other_than_party(
        c.party_kind,
        &c.party_name,
        &[
            ("标题", &c.title),
            ("执法类别", &c.category),
            ("法律依据", &c.legal_basis),
            ("决定内容", &c.conclusion),
        ],
    )
}

/// R-LEGAL-3 (the review is done by someone other than the drafter): the creator, and anyone who
/// edited or submitted the draft, may not review it.
async fn check_not_drafter(st: &AppState, user: &User, d: &DraftRecord) -> LegalResult<()> {
    if is_drafter(st, &user.id, d).await? {
        return Err(LegalError::Forbidden(
            "R-LEGAL-3：您参与起草或提交了此决定草案，不能对其进行法制审核；请由其他法制审核人员审核".into(),
        ));
    }
    Ok(())
}

/// Whether `user_id` made, edited or submitted the draft (and so may not
/// review it, R-LEGAL-3).
pub async fn is_drafter(st: &AppState, user_id: &str, d: &DraftRecord) -> LegalResult<bool> {
    if d.created_by == user_id {
        return Ok(true);
    }
    Ok(st.storage.legal_events(&d.id).await?.iter().any(|e| {
        e.by_user == user_id && matches!(e.kind.as_str(), "created" | "edited" | "submitted")
    }))
}

/// What a legal reviewer's edit of a draft would cost (R-LEGAL-3): once saved,
/// they may not review it. The way out: the other reviewers who still may, and
/// the agency's staffing (R-LEGAL-6) when there is nobody else.
#[derive(Debug, Clone)]
pub struct Lockout {
    /// Names of the agency's other reviewers who may still review the draft.
    pub other_reviewers: Vec<String>,
    /// The agency's reviewer staffing.
    pub staffing: Staffing,
}

/// The lockout `user` would incur by editing `d`: None when they are not a
/// legal reviewer, are already excluded, or the draft is decided.
pub async fn lockout_of_edit(
    st: &AppState,
    user: &User,
    d: &DraftRecord,
) -> LegalResult<Option<Lockout>> {
    if user.role != Role::LegalReviewer
        || d.status == DraftStatus::Decided
        || is_drafter(st, &user.id, d).await?
    {
        return Ok(None);
    }
    let mut other_reviewers = vec![];
    for u in st.storage.users_of_agency(&d.agency_id).await? {
        if u.role == Role::LegalReviewer
            && !u.disabled
            && u.id != user.id
            && !is_drafter(st, &u.id, d).await?
        {
            other_reviewers.push(u.name);
        }
    }
    Ok(Some(Lockout {
        other_reviewers,
        staffing: staffing(st, &d.agency_id).await?,
    }))
}

/// The row of a draft just made (drafting, never submitted) for `doc`.
pub(crate) fn new_record(
    meta: &DraftMeta,
    content: &DraftContent,
    doc: &mut DraftDoc,
    now: DateTime<Utc>,
) -> DraftRecord {
    DraftRecord {
        id: meta.id.clone(),
        agency_id: meta.agency_id.clone(),
        created_by: meta.created_by.clone(),
        created_at: meta.created_at,
        updated_at: now,
        status: DraftStatus::Drafting,
        title: content.title.clone(),
        kind: content.kind,
        catalogue_version: None,
        triggers: vec![],
        version: 0,
        received_on: None,
        extended: false,
        heads: doc.heads_hex(),
        bytes: doc.save(),
    }
}

/// Writes a draft's new state with one audit entry, in one transaction.
pub(crate) async fn save_with_event(
    st: &AppState,
    rec: &DraftRecord,
    base: Option<DraftBase>,
    kind: &str,
    user: &User,
    now: DateTime<Utc>,
    detail: serde_json::Value,
) -> LegalResult<()> {
    let ev = event(rec, kind, None, user, now, detail);
    apply(
        st,
        LegalWrite {
            base,
            draft: Some(rec.clone()),
            events: vec![ev],
            ..LegalWrite::default()
        },
        &rec.id,
    )
    .await
}

/// Creates a draft (handling unit). Offline-made drafts arrive the same way as a
/// document; here the server makes the document as the user's actor.
pub async fn create_draft(
    st: &AppState,
    user: &User,
    content: &DraftContent,
) -> LegalResult<DraftRecord> {
    require(user, DRAFTER_ROLES, "起草执法决定")?;
    content.validate_draft()?;
    check_links(st, user, content).await?;
    let now = st.clock.now();
    let id = uuid::Uuid::now_v7().to_string();
    let meta = DraftMeta {
        id: id.clone(),
        agency_id: user.agency_id.clone(),
        created_by: user.id.clone(),
        created_at: now,
    };
    let mut doc = DraftDoc::create(user_actor(&user.id), &meta, content)?;
    let rec = new_record(&meta, content, &mut doc, now);
    save_with_event(
        st,
        &rec,
        Some(DraftBase::New),
        "created",
        user,
        now,
        serde_json::json!({ "title": content.title }),
    )
    .await?;
    tracing::info!(draft = %id, user = %user.id, "legal draft created");
    Ok(rec)
}

/// Edits a draft from what the editor saw (`base_heads`): only the fields they
/// changed are written, so concurrent edits merge (CRDT). Refused once decided.
/// Returns the changed fields (empty: nothing changed).
pub async fn edit_draft(
    st: &AppState,
    user: &User,
    id: &str,
    base_heads: &[String],
    content: &DraftContent,
) -> LegalResult<Vec<FieldChange>> {
    optimistic::retry_stale("legal.edit_draft", id, || {
        edit_draft_once(st, user, id, base_heads, content)
    })
    .await
}

/// One attempt of [`edit_draft`] (issue 18: on a stale write it runs again).
async fn edit_draft_once(
    st: &AppState,
    user: &User,
    id: &str,
    base_heads: &[String],
    content: &DraftContent,
) -> LegalResult<Vec<FieldChange>> {
    require(user, DRAFTER_ROLES, "修改执法决定草案")?;
    content.validate_draft()?;
    let (mut rec, mut doc) = load(st, user, id).await?;
    let base = Some(DraftBase::Read(Box::new(rec.clone())));
    if rec.status == DraftStatus::Decided {
        return Err(LegalError::WrongState("决定已作出，草案不能再修改".into()));
    }
    let heads = parse_heads(base_heads).ok_or_else(|| LegalError::Invalid {
        field: "base_heads".into(),
        reason: "草案版本标识格式错误，请刷新页面".into(),
    })?;
    let before = doc.read()?;
    check_links(st, user, content).await?;
    let now = st.clock.now();
    if !doc.edit(user_actor(&user.id), &heads, content, now)? {
        return Ok(vec![]);
    }
    let after = doc.read()?;
    let changes = diff(&before, &after);
    rec.heads = doc.heads_hex();
    rec.bytes = doc.save();
    rec.updated_at = now;
    rec.title = after.title.clone();
    rec.kind = after.kind;
    let fields: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
    save_with_event(
        st,
        &rec,
        base,
        "edited",
        user,
        now,
        serde_json::json!({ "fields": fields }),
    )
    .await?;
    Ok(changes)
}

/// The catalogue that classifies a draft: the version fixed at its first
/// submission, or else the agency's current one (R-LEGAL-2).
async fn catalogue_for(st: &AppState, rec: &DraftRecord) -> LegalResult<CatalogueVersion> {
    let found = st
        .storage
        .catalogue(&rec.agency_id, rec.catalogue_version)
        .await?;
    found.ok_or_else(|| {
        LegalError::WrongState(
            "R-LEGAL-2：本单位尚未发布重大执法决定法制审核目录清单，无法判断是否属于重大决定；请管理员先在“目录清单”中发布".into(),
        )
    })
}

/// Submits the draft for legal review (handling unit). A new numbered version
/// records exactly what was submitted; the receipt date starts the 5-working-day
/// clock (R-LEGAL-5).
pub async fn submit(
    st: &AppState,
    user: &User,
    id: &str,
    note: &str,
    form_id: Option<&str>,
) -> LegalResult<VersionRecord> {
    optimistic::retry_stale("legal.submit", id, || {
        submit_once(st, user, id, note, form_id)
    })
    .await
}

/// One attempt of [`submit`] (issue 18: on a stale write it runs again).
async fn submit_once(
    st: &AppState,
    user: &User,
    id: &str,
    note: &str,
    form_id: Option<&str>,
) -> LegalResult<VersionRecord> {
    require(user, DRAFTER_ROLES, "提交法制审核")?;
    let note = check_note("note", "提交说明", note, false)?;
    let form = form(form_id, "submit")?;
    let (mut rec, mut doc) = load(st, user, id).await?;
    let base = Some(DraftBase::Read(Box::new(rec.clone())));
    let content = doc.read()?;
    content.validate_complete()?;
    check_public_text(&content)?;
    let versions = st.storage.legal_versions(id).await?;
    let same_as_last = versions.last().is_some_and(|v| v.content == content);
    let allowed = match rec.status {
        DraftStatus::Drafting | DraftStatus::Returned => true,
        DraftStatus::InReview | DraftStatus::Approved => !same_as_last,
        DraftStatus::Disputed | DraftStatus::Decided => false,
    };
    if !allowed {
        if let Some(f) = &form
            && st.storage.legal_form(&f.0).await?.is_some()
        {
            return Err(LegalError::Duplicate {
                draft_id: id.into(),
            });
        }
        return Err(LegalError::WrongState(format!(
            "草案当前状态为“{}”{}，不能提交",
            rec.status.label(),
            if same_as_last {
                "且内容与已提交的版本相同"
            } else {
                ""
            }
        )));
    }
    let cat = catalogue_for(st, &rec).await?;
    let triggers = cat.catalogue.classify(&content);
    let now = st.clock.now();
    let version = rec.version + 1;
    let received_on = local_date(now);
    let v = VersionRecord {
        draft_id: id.into(),
        version,
        submitted_by: user.id.clone(),
        submitted_at: now,
        received_on,
        heads: doc.heads_hex(),
        content: content.clone(),
        catalogue_version: cat.version,
        triggers: triggers.clone(),
        note: note.clone(),
        review_started_by: None,
        review_started_at: None,
    };
    let changed: Vec<String> = versions
        .last()
        .map(|p| {
            diff(&p.content, &content)
                .into_iter()
                .map(|c| c.field)
                .collect()
        })
        .unwrap_or_default();
    let expect_state = rec.status;
    rec.status = DraftStatus::InReview;
    rec.version = version;
    rec.received_on = Some(received_on);
    rec.catalogue_version = Some(cat.version);
    rec.triggers = triggers.clone();
    rec.updated_at = now;
    let ev = event(
        &rec,
        "submitted",
        Some(version),
        user,
        now,
        serde_json::json!({
            "note": note,
            "catalogue_version": cat.version,
            "major": !triggers.is_empty(),
            "triggers": triggers,
            "changed_fields": changed,
        }),
    );
    apply(
        st,
        LegalWrite {
            base,
            form,
            expect: Some((id.into(), vec![expect_state])),
            draft: Some(rec),
            version: Some(v.clone()),
            events: vec![ev],
            ..LegalWrite::default()
        },
        id,
    )
    .await?;
    tracing::info!(draft = %id, version, "legal draft submitted for review");
    Ok(v)
}

/// A reviewer opens the review of the current version (recorded once: R-LEGAL-5
/// "review started"). Refused to the drafter.
pub async fn start_review(st: &AppState, user: &User, id: &str) -> LegalResult<()> {
    require(user, REVIEWER_ROLES, "进行法制审核")?;
    let (rec, _) = load(st, user, id).await?;
    check_not_drafter(st, user, &rec).await?;
    if rec.status != DraftStatus::InReview {
        return Ok(());
    }
    let versions = st.storage.legal_versions(id).await?;
    if versions
        .last()
        .is_some_and(|v| v.review_started_at.is_some())
    {
        return Ok(());
    }
    let now = st.clock.now();
    let ev = event(
        &rec,
        "review_started",
        Some(rec.version),
        user,
        now,
        serde_json::json!({}),
    );
    apply(
        st,
        LegalWrite {
            review_started: Some((id.into(), rec.version, user.id.clone(), now)),
            events: vec![ev],
            ..LegalWrite::default()
        },
        id,
    )
    .await
}

/// What a reviewer sends: the version reviewed, the checklist and the opinion.
#[derive(Debug, Clone)]
pub struct ReviewInput {
    /// Version the reviewer read (must be the current one).
    pub version: u32,
    /// The R-LEGAL-3 checklist.
    pub checks: Vec<CheckResult>,
    /// 同意 or 存在问题.
    pub opinion: Opinion,
    /// The written opinion.
    pub opinion_text: String,
}

/// Records a reviewer's opinion (R-LEGAL-3, R-LEGAL-4). Refused: to the drafter;
/// for a version that is not the current one; a second opinion on a version; and
/// 同意 for a version whose draft changed after it was submitted.
pub async fn review(
    st: &AppState,
    user: &User,
    id: &str,
    input: &ReviewInput,
    form_id: Option<&str>,
) -> LegalResult<ReviewRecord> {
    optimistic::retry_stale("legal.review", id, || {
        review_once(st, user, id, input, form_id)
    })
    .await
}

/// One attempt of [`review`] (issue 18: on a stale write it runs again).
async fn review_once(
    st: &AppState,
    user: &User,
    id: &str,
    input: &ReviewInput,
    form_id: Option<&str>,
) -> LegalResult<ReviewRecord> {
    require(user, REVIEWER_ROLES, "出具法制审核意见")?;
    let form = form(form_id, "review")?;
    let (mut rec, doc) = load(st, user, id).await?;
    let base = Some(DraftBase::Read(Box::new(rec.clone())));
    check_not_drafter(st, user, &rec).await?;
    if let Some(f) = &form
        && st.storage.legal_form(&f.0).await?.is_some()
    {
        return Err(LegalError::Duplicate {
            draft_id: id.into(),
        });
    }
    let reviews = st.storage.legal_reviews(id).await?;
    if let Some(done) = reviews.iter().find(|r| r.version == input.version) {
        return Err(LegalError::WrongState(format!(
            "第 {} 版已于 {} 出具“{}”意见，同一版本不能重复审核",
            done.version,
            beijing_text(done.at),
            done.opinion.label()
        )));
    }
    if rec.status != DraftStatus::InReview {
        return Err(LegalError::WrongState(format!(
            "草案当前状态为“{}”，没有待审核的版本",
            rec.status.label()
        )));
    }
    if input.version != rec.version {
        return Err(LegalError::Stale(format!(
            "您审核的是第 {} 版，承办单位已提交第 {} 版；请刷新页面审核最新版本",
            input.version, rec.version
        )));
    }
    validate_review(&input.checks, input.opinion, &input.opinion_text)?;
    let versions = st.storage.legal_versions(id).await?;
    let submitted = versions
        .iter()
        .find(|v| v.version == input.version)
        .ok_or_else(|| LegalError::NotFound(format!("第 {} 版提交记录", input.version)))?;
    let current = doc.read()?;
    if input.opinion == Opinion::Approve && current != submitted.content {
        let fields: Vec<String> = diff(&submitted.content, &current)
            .into_iter()
            .map(|c| c.label)
            .collect();
        return Err(LegalError::Stale(format!(
            "R-LEGAL-1：第 {} 版提交审核后草案又被修改（{}），不能对未审核的内容出具“同意”意见；请承办单位重新提交后再审核，或出具“存在问题”意见",
            input.version,
            fields.join("、")
        )));
    }
    let now = st.clock.now();
    let r = ReviewRecord {
        draft_id: id.into(),
        version: input.version,
        reviewer: user.id.clone(),
        opinion: input.opinion,
        opinion_text: input.opinion_text.trim().to_string(),
        checks: input.checks.clone(),
        at: now,
    };
    rec.status = match input.opinion {
        Opinion::Approve => DraftStatus::Approved,
        Opinion::Problems => DraftStatus::Returned,
    };
    rec.updated_at = now;
    let failed: Vec<&str> = input
        .checks
        .iter()
        .filter(|c| !c.passed)
        .map(|c| c.item.as_str())
        .collect();
    let mut events = vec![];
    if submitted.review_started_at.is_none() {
        events.push(event(
            &rec,
            "review_started",
            Some(rec.version),
            user,
            now,
            serde_json::json!({}),
        ));
    }
    events.push(event(
        &rec,
        "opinion",
        Some(input.version),
        user,
        now,
        serde_json::json!({ "opinion": input.opinion, "failed": failed, "text": r.opinion_text }),
    ));
    apply(
        st,
        LegalWrite {
            base,
            form,
            expect: Some((id.into(), vec![DraftStatus::InReview])),
            draft: Some(rec),
            review_started: submitted
                .review_started_at
                .is_none()
                .then(|| (id.to_string(), input.version, user.id.clone(), now)),
            review: Some(r.clone()),
            events,
            ..LegalWrite::default()
        },
        id,
    )
    .await?;
    tracing::info!(draft = %id, version = input.version, opinion = input.opinion.as_str(), "legal opinion recorded");
    Ok(r)
}

/// A reviewer asks to extend a complex review by 3 working days (R-LEGAL-5); only once.
pub async fn request_extension(
    st: &AppState,
    user: &User,
    id: &str,
    reason: &str,
) -> LegalResult<()> {
    optimistic::retry_stale("legal.request_extension", id, || {
        request_extension_once(st, user, id, reason)
    })
    .await
}

/// One attempt of [`request_extension`] (issue 18: on a stale write it runs again).
async fn request_extension_once(
    st: &AppState,
    user: &User,
    id: &str,
    reason: &str,
) -> LegalResult<()> {
    require(user, REVIEWER_ROLES, "申请延长审核期限")?;
    let reason = check_note("reason", "延期理由", reason, true)?;
    let (rec, _) = load(st, user, id).await?;
    let base = Some(DraftBase::Read(Box::new(rec.clone())));
    check_not_drafter(st, user, &rec).await?;
    if rec.status != DraftStatus::InReview {
        return Err(LegalError::WrongState(
            "只有审核中的草案可以申请延期".into(),
        ));
    }
    if st.storage.legal_extension(id).await?.is_some() {
        return Err(LegalError::WrongState(
            "R-LEGAL-5：审核期限只能延长一次，此草案已申请过延期".into(),
        ));
    }
    let now = st.clock.now();
    let x = ExtensionRecord {
        draft_id: id.into(),
        version: rec.version,
        requested_by: user.id.clone(),
        requested_at: now,
        reason: reason.clone(),
        approved_by: None,
        approved_at: None,
        leader_note: None,
    };
    let ev = event(
        &rec,
        "extension_requested",
        Some(rec.version),
        user,
        now,
        serde_json::json!({ "reason": reason }),
    );
    apply(
        st,
        LegalWrite {
            base,
            extension: Some(x),
            events: vec![ev],
            ..LegalWrite::default()
        },
        id,
    )
    .await
}

/// A leader approves the requested extension (R-LEGAL-5): the deadline moves by 3
/// working days.
pub async fn approve_extension(
    st: &AppState,
    user: &User,
    id: &str,
    note: &str,
) -> LegalResult<()> {
    optimistic::retry_stale("legal.approve_extension", id, || {
        approve_extension_once(st, user, id, note)
    })
    .await
}

/// One attempt of [`approve_extension`] (issue 18: on a stale write it runs again).
async fn approve_extension_once(
    st: &AppState,
    user: &User,
    id: &str,
    note: &str,
) -> LegalResult<()> {
    require(user, LEADER_ROLES, "批准延长审核期限")?;
    let note = check_note("note", "批准意见", note, false)?;
    let (mut rec, _) = load(st, user, id).await?;
    let base = Some(DraftBase::Read(Box::new(rec.clone())));
    let Some(mut x) = st.storage.legal_extension(id).await? else {
        return Err(LegalError::WrongState("法制审核人员尚未申请延期".into()));
    };
    if x.approved_at.is_some() {
        return Err(LegalError::WrongState("延期已经批准，不能重复批准".into()));
    }
    let now = st.clock.now();
    x.approved_by = Some(user.id.clone());
    x.approved_at = Some(now);
    x.leader_note = Some(note.clone());
    rec.extended = true;
    rec.updated_at = now;
    let ev = event(
        &rec,
        "extension_approved",
        Some(x.version),
        user,
        now,
        serde_json::json!({ "note": note }),
    );
    apply(
        st,
        LegalWrite {
            base,
            draft: Some(rec),
            extension: Some(x),
            events: vec![ev],
            ..LegalWrite::default()
        },
        id,
    )
    .await
}

/// The handling unit disputes a 存在问题 opinion (R-LEGAL-7): the draft goes to
/// coordination.
pub async fn dispute(
    st: &AppState,
    user: &User,
    id: &str,
    reason: &str,
) -> LegalResult<DisputeRecord> {
    optimistic::retry_stale("legal.dispute", id, || dispute_once(st, user, id, reason)).await
}

/// One attempt of [`dispute`] (issue 18: on a stale write it runs again).
async fn dispute_once(
    st: &AppState,
    user: &User,
    id: &str,
    reason: &str,
) -> LegalResult<DisputeRecord> {
    require(user, DRAFTER_ROLES, "对审核意见提出异议")?;
    let reason = check_note("reason", "异议理由", reason, true)?;
    let (mut rec, _) = load(st, user, id).await?;
    let base = Some(DraftBase::Read(Box::new(rec.clone())));
    if rec.status != DraftStatus::Returned {
        return Err(LegalError::WrongState(format!(
            "草案当前状态为“{}”；只能对“存在问题”的审核意见提出异议",
            rec.status.label()
        )));
    }
    let now = st.clock.now();
    let d = DisputeRecord {
        id: uuid::Uuid::now_v7().to_string(),
        draft_id: id.into(),
        version: rec.version,
        raised_by: user.id.clone(),
        raised_at: now,
        reason: reason.clone(),
        outcome: None,
        outcome_note: None,
        decided_by: None,
        decided_at: None,
    };
    rec.status = DraftStatus::Disputed;
    rec.updated_at = now;
    let ev = event(
        &rec,
        "disputed",
        Some(rec.version),
        user,
        now,
        serde_json::json!({ "reason": reason }),
    );
    apply(
        st,
        LegalWrite {
            base,
            expect: Some((id.into(), vec![DraftStatus::Returned])),
            draft: Some(rec),
            dispute: Some(d.clone()),
            events: vec![ev],
            ..LegalWrite::default()
        },
        id,
    )
    .await?;
    Ok(d)
}

/// Records the outcome of coordination (R-LEGAL-7): the opinion stands (back to
/// the unit) or the unit's view is adopted (counts as passed for this version).
pub async fn coordinate(
    st: &AppState,
    user: &User,
    id: &str,
    outcome: DisputeOutcome,
    note: &str,
) -> LegalResult<()> {
    optimistic::retry_stale("legal.coordinate", id, || {
        coordinate_once(st, user, id, outcome, note)
    })
    .await
}

/// One attempt of [`coordinate`] (issue 18: on a stale write it runs again).
async fn coordinate_once(
    st: &AppState,
    user: &User,
    id: &str,
    outcome: DisputeOutcome,
    note: &str,
) -> LegalResult<()> {
    require(user, LEADER_ROLES, "记录协调结果")?;
    let note = check_note("note", "协调意见", note, true)?;
    let (mut rec, doc) = load(st, user, id).await?;
    let base = Some(DraftBase::Read(Box::new(rec.clone())));
    if rec.status != DraftStatus::Disputed {
        return Err(LegalError::WrongState("此草案没有待协调的异议".into()));
    }
    let Some(mut d) = st
        .storage
        .legal_disputes(id)
        .await?
        .into_iter()
        .find(|d| d.outcome.is_none())
    else {
        return Err(LegalError::WrongState("此草案没有待协调的异议".into()));
    };
    if outcome == DisputeOutcome::Overturned {
        let current = doc.read()?;
        let versions = st.storage.legal_versions(id).await?;
        let same = versions
            .iter()
            .find(|v| v.version == d.version)
            .is_some_and(|v| v.content == current);
        if !same {
            return Err(LegalError::Stale(
                "异议所针对的版本提交后草案又被修改，不能直接采纳；请承办单位重新提交审核".into(),
            ));
        }
    }
    let now = st.clock.now();
    d.outcome = Some(outcome);
    d.outcome_note = Some(note.clone());
    d.decided_by = Some(user.id.clone());
    d.decided_at = Some(now);
    rec.status = match outcome {
        DisputeOutcome::Upheld => DraftStatus::Returned,
        DisputeOutcome::Overturned => DraftStatus::Approved,
    };
    rec.updated_at = now;
    let ev = event(
        &rec,
        "coordinated",
        Some(d.version),
        user,
        now,
        serde_json::json!({ "outcome": outcome, "note": note }),
    );
    apply(
        st,
        LegalWrite {
            base,
            expect: Some((id.into(), vec![DraftStatus::Disputed])),
            draft: Some(rec),
            dispute: Some(d),
            events: vec![ev],
            ..LegalWrite::default()
        },
        id,
    )
    .await
}

/// What the decision maker sends.
#[derive(Debug, Clone)]
pub struct DecideInput {
    /// Document number (文书编号), unique in the agency.
    pub doc_number: String,
    /// Decision date (not in the future).
    pub decided_on: NaiveDate,
}

/// Whether the current content passed review: (passed, the version that passed).
async fn passed_review(
    st: &AppState,
    id: &str,
    rec: &DraftRecord,
    current: &DraftContent,
) -> LegalResult<Result<u32, String>> {
    if rec.version == 0 {
        return Ok(Err("此决定属于重大执法决定，但尚未提交法制审核".into()));
    }
    let versions = st.storage.legal_versions(id).await?;
    let Some(last) = versions.last() else {
        return Ok(Err("此决定属于重大执法决定，但尚未提交法制审核".into()));
    };
    match rec.status {
        DraftStatus::Approved => {}
        DraftStatus::InReview => {
            return Ok(Err(format!(
                "第 {} 版正在法制审核中，审核通过前不得作出决定",
                last.version
            )));
        }
        DraftStatus::Returned => {
            return Ok(Err(format!(
                "第 {} 版的审核意见为“存在问题”，请修改后重新提交审核",
                last.version
            )));
        }
        DraftStatus::Disputed => {
            return Ok(Err(
                "对审核意见的异议正在协调中，协调结束前不得作出决定".into()
            ));
        }
        _ => return Ok(Err("草案尚未通过法制审核".into())),
    }
    if &last.content != current {
        let fields: Vec<String> = diff(&last.content, current)
            .into_iter()
            .map(|c| c.label)
            .collect();
        return Ok(Err(format!(
            "第 {} 版审核通过后草案又被修改（{}），修改后的内容须重新提交法制审核",
            last.version,
            fields.join("、")
        )));
    }
    Ok(Ok(last.version))
}

/// Makes the decision (R-LEGAL-1): a major draft only with a passed review of
/// exactly its current content; the decision date starts the publication clock
/// (R-POST-1).
pub async fn decide(
    st: &AppState,
    user: &User,
    id: &str,
    input: &DecideInput,
    form_id: Option<&str>,
) -> LegalResult<DecisionRecord> {
    optimistic::retry_stale("legal.decide", id, || {
        decide_once(st, user, id, input, form_id)
    })
    .await
}

/// One attempt of [`decide`] (issue 18: on a stale write it runs again).
async fn decide_once(
    st: &AppState,
    user: &User,
    id: &str,
    input: &DecideInput,
    form_id: Option<&str>,
) -> LegalResult<DecisionRecord> {
    require(user, DECIDER_ROLES, "作出执法决定")?;
    let form = form(form_id, "decide")?;
    let doc_number = input.doc_number.trim().to_string();
    if doc_number.is_empty() || doc_number.chars().count() > MAX_DOC_NUMBER_CHARS {
        return Err(LegalError::Invalid {
            field: "doc_number".into(),
            reason: format!(
                "请填写文书编号（不超过 {MAX_DOC_NUMBER_CHARS} 个字），如 清环罚〔2026〕15号"
            ),
        });
    }
    let (mut rec, doc) = load(st, user, id).await?;
    let base = Some(DraftBase::Read(Box::new(rec.clone())));
    if let Some(f) = &form
        && st.storage.legal_form(&f.0).await?.is_some()
    {
        return Err(LegalError::Duplicate {
            draft_id: id.into(),
        });
    }
    if rec.status == DraftStatus::Decided {
        return Err(LegalError::WrongState(
            "此草案已作出决定，不能重复作出".into(),
        ));
    }
    let now = st.clock.now();
    if input.decided_on > local_date(now) {
        return Err(LegalError::Invalid {
            field: "decided_on".into(),
            reason: "决定日期不能晚于今天".into(),
        });
    }
    if input.decided_on < local_date(rec.created_at) {
        return Err(LegalError::Invalid {
            field: "decided_on".into(),
            reason: "决定日期不能早于草案起草日期".into(),
        });
    }
    let current = doc.read()?;
    current.validate_complete()?;
    check_public_text(&current)?;
    let cat = catalogue_for(st, &rec).await?;
    let triggers = cat.catalogue.classify(&current);
    let reviewed_version = if triggers.is_empty() {
        // Not major: a passed review is recorded if there is one for this content.
        passed_review(st, id, &rec, &current).await?.ok()
    } else {
        match passed_review(st, id, &rec, &current).await? {
            Ok(v) => Some(v),
            Err(why) => {
                let labels: Vec<&str> = triggers.iter().map(|t| t.label()).collect();
                return Err(LegalError::ReviewRequired(format!(
                    "依目录清单第 {} 版，此决定属于重大执法决定（{}），未经法制审核或审核未通过的不得作出决定：{why}",
                    cat.version,
                    labels.join("、")
                )));
            }
        }
    };
    let d = DecisionRecord {
        id: uuid::Uuid::now_v7().to_string(),
        agency_id: rec.agency_id.clone(),
        draft_id: id.into(),
        kind: current.kind,
        title: current.title.clone(),
        doc_number: doc_number.clone(),
        decided_on: input.decided_on,
        decided_at: now,
        decided_by: user.id.clone(),
        category: current.category.clone(),
        party_kind: current.party_kind,
        party_name: current.party_name.clone(),
        party_code: current.party_code.clone(),
        legal_basis: current.legal_basis.clone(),
        conclusion: current.conclusion.clone(),
        fine_fen: current.fine_fen,
        major: !triggers.is_empty(),
        catalogue_version: Some(cat.version),
        reviewed_version,
        inspection_ids: current.inspection_ids.clone(),
        confidential: current.confidential.clone(),
    };
    let expect = rec.status;
    rec.status = DraftStatus::Decided;
    rec.updated_at = now;
    if rec.catalogue_version.is_none() {
        rec.catalogue_version = Some(cat.version);
        rec.triggers = triggers.clone();
    }
    let ev = event(
        &rec,
        "decided",
        reviewed_version,
        user,
        now,
        serde_json::json!({
            "decision_id": d.id,
            "doc_number": doc_number,
            "decided_on": input.decided_on,
            "major": d.major,
            "catalogue_version": cat.version,
        }),
    );
    apply(
        st,
        LegalWrite {
            base,
            form,
            expect: Some((id.into(), vec![expect])),
            draft: Some(rec),
            decision: Some(d.clone()),
            events: vec![ev],
            ..LegalWrite::default()
        },
        id,
    )
    .await?;
    tracing::info!(draft = %id, decision = %d.id, major = d.major, "decision made");
    Ok(d)
}

/// Publishes a new catalogue version (admin). Drafts already submitted keep the
/// version that classified them (R-LEGAL-2).
pub async fn put_catalogue(
    st: &AppState,
    user: &User,
    catalogue: &Catalogue,
    note: &str,
) -> LegalResult<u32> {
    require(user, &[Role::Admin], "修改目录清单")?;
    catalogue.validate()?;
    let note = check_note("note", "修改说明", note, true)?;
    let v = st
        .storage
        .add_catalogue(&user.agency_id, catalogue, &note, &user.id, st.clock.now())
        .await?;
    tracing::info!(agency = %user.agency_id, version = v, "legal catalogue version published");
    Ok(v)
}

/// Imports one year of the State Council's holiday arrangement (admin), so
/// deadlines in that year can be computed (R-POST-1, R-LEGAL-5).
pub async fn import_calendar_year(st: &AppState, user: &User, json: &str) -> LegalResult<i32> {
    require(user, &[Role::Admin], "导入节假日安排")?;
    if json.len() > 256 * 1024 {
        return Err(LegalError::Invalid {
            field: "json".into(),
            reason: "节假日数据文件过大（上限 256 KB）".into(),
        });
    }
    let mut cal = (*st.calendar()).clone();
    let year = cal
        .load_year_json(json, "上传的节假日数据")
        .map_err(|e| LegalError::Invalid {
            field: "json".into(),
            reason: e.to_string(),
        })?;
    let ev = LegalEvent {
        seq: 0,
        agency_id: user.agency_id.clone(),
        draft_id: None,
        kind: "calendar_imported".into(),
        version: None,
        by_user: user.id.clone(),
        at: st.clock.now(),
        detail: serde_json::json!({ "year": year }),
    };
    st.storage.put_calendar_year(year, json, &ev).await?;
    st.set_calendar(cal);
    Ok(year)
}

/// Where a draft under review stands against its deadline (R-LEGAL-5).
pub fn deadline_of(st: &AppState, rec: &DraftRecord) -> Option<DeadlineStatus> {
    if rec.status != DraftStatus::InReview {
        return None;
    }
    let received = rec.received_on?;
    let today = local_date(st.clock.now());
    Some(review_deadline_status(
        &st.calendar(),
        received,
        rec.extended,
        today,
    ))
}

/// The reviewers' staffing check (R-LEGAL-6).
#[derive(Debug, Clone, Serialize)]
pub struct Staffing {
    /// Officers on the agency's roster.
    pub officers: u32,
    /// Enabled legal reviewer accounts.
    pub reviewers: u32,
    /// Reviewers required: 5% of officers, at least 1.
    pub required: u32,
    /// Whether the agency has enough.
    pub enough: bool,
}

/// Counts officers and reviewers of an agency (R-LEGAL-6).
pub async fn staffing(st: &AppState, agency_id: &str) -> LegalResult<Staffing> {
    let officers = st
        .storage
        .roster_for(agency_id, None)
        .await?
        .map(|(r, _)| r.officers.len() as u32)
        .unwrap_or(0);
    let reviewers = st
        .storage
        .users_of_agency(agency_id)
        .await?
        .iter()
        .filter(|u| u.role == Role::LegalReviewer && !u.disabled)
        .count() as u32;
    let required = reviewers_required(officers);
    Ok(Staffing {
        officers,
        reviewers,
        required,
        enough: reviewers >= required,
    })
}

/// Everything known about one draft, for its page and the API.
#[derive(Debug, Clone)]
pub struct DraftDetail {
    /// The stored record.
    pub record: DraftRecord,
    /// Content now.
    pub content: DraftContent,
    /// Fields edited concurrently (both values kept).
    pub conflicts: Vec<DraftConflict>,
    /// Submitted versions, oldest first.
    pub versions: Vec<VersionRecord>,
    /// Opinions, oldest first.
    pub reviews: Vec<ReviewRecord>,
    /// The extension, if any.
    pub extension: Option<ExtensionRecord>,
    /// Disputes, oldest first.
    pub disputes: Vec<DisputeRecord>,
    /// The audit trail, oldest first.
    pub events: Vec<LegalEvent>,
    /// The decision, once made.
    pub decision: Option<DecisionRecord>,
    /// Deadline of the review under way.
    pub deadline: Option<DeadlineStatus>,
    /// What changed in the current version since the last reviewed one (R-LEGAL-4).
    pub changes_since_last_review: Vec<FieldChange>,
    /// What changed since the last submitted version (unsubmitted edits).
    pub unsubmitted_changes: Vec<FieldChange>,
    /// Classification of the current content (catalogue version, triggers); None
    /// when the agency has no catalogue.
    pub classification: Option<(u32, Vec<MajorTrigger>)>,
    /// Display names of the users mentioned.
    pub names: HashMap<String, String>,
}

impl DraftDetail {
    /// Display name of a user id.
    pub fn name(&self, id: &str) -> String {
        self.names
            .get(id)
            .cloned()
            .unwrap_or_else(|| id.to_string())
    }
}

/// Reads a whole draft with its history (any role of the agency).
pub async fn detail(st: &AppState, user: &User, id: &str) -> LegalResult<DraftDetail> {
    require(user, READER_ROLES, "查看执法决定草案")?;
    let (record, doc) = load(st, user, id).await?;
    let content = doc.read()?;
    let conflicts = doc.conflicts()?;
    let versions = st.storage.legal_versions(id).await?;
    let reviews = st.storage.legal_reviews(id).await?;
    let extension = st.storage.legal_extension(id).await?;
    let disputes = st.storage.legal_disputes(id).await?;
    let events = st.storage.legal_events(id).await?;
    let decision = st.storage.decision_of_draft(id).await?;
    let deadline = deadline_of(st, &record);
    let changes_since_last_review = match (versions.last(), reviews.last()) {
        (Some(cur), Some(r)) if r.version < cur.version => versions
            .iter()
            .find(|v| v.version == r.version)
            .map(|prev| diff(&prev.content, &cur.content))
            .unwrap_or_default(),
        _ => vec![],
    };
    let unsubmitted_changes = versions
        .last()
        .map(|v| diff(&v.content, &content))
        .unwrap_or_default();
    let classification = st
        .storage
        .catalogue(&record.agency_id, record.catalogue_version)
        .await?
        .map(|c| (c.version, c.catalogue.classify(&content)));
    let names = st
        .storage
        .users_of_agency(&record.agency_id)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    Ok(DraftDetail {
        record,
        content,
        conflicts,
        versions,
        reviews,
        extension,
        disputes,
        events,
        decision,
        deadline,
        changes_since_last_review,
        unsubmitted_changes,
        classification,
        names,
    })
}

/// One row of the reviewers' queue.
#[derive(Debug, Clone)]
pub struct QueueRow {
    /// The draft.
    pub record: DraftRecord,
    /// Its review deadline (in review only).
    pub deadline: Option<DeadlineStatus>,
}

fn urgency(d: &Option<DeadlineStatus>) -> u8 {
    match d {
        Some(DeadlineStatus::Overdue { .. }) => 0,
        Some(DeadlineStatus::Unknown { .. }) => 1,
        Some(DeadlineStatus::Near { .. }) => 2,
        Some(DeadlineStatus::OnTime { .. }) => 3,
        None => 4,
    }
}

/// Drafts of the user's agency in `states` (all if empty), most urgent first:
/// overdue, deadline unknown, near, on time, then the rest by last change.
pub async fn queue(
    st: &AppState,
    user: &User,
    states: &[DraftStatus],
) -> LegalResult<Vec<QueueRow>> {
    require(user, READER_ROLES, "查看执法决定草案")?;
    let mut rows: Vec<QueueRow> = st
        .storage
        .legal_drafts(&user.agency_id, states)
        .await?
        .into_iter()
        .map(|mut record| {
            record.bytes = Vec::new();
            let deadline = deadline_of(st, &record);
            QueueRow { record, deadline }
        })
        .collect();
    rows.sort_by_key(|r| urgency(&r.deadline));
    Ok(rows)
}
