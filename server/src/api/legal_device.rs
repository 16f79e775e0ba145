//! Drafts of decisions made on a device, offline (R-LEGAL-1): they arrive whole in
//! the batched sync request ([`DraftPush`]) and are merged into the server's copy
//! after the same checks as an edit on the web, plus the device's own: every new
//! change must be written by this device (its registered actor id starts each
//! change's actor), a new draft must be made in the device account's name and
//! agency, and a decided draft takes no more changes. A refusal is a per-draft
//! reply; the device keeps its changes and shows the reason.

use automerge::ActorId;
use liuhen_domain::draft_doc::DraftDoc;
use liuhen_domain::legal::diff;
use liuhen_domain::protocol::{DocStatus, DraftPush, DraftReply, MAX_DRAFT_BYTES};

use crate::auth::DeviceAuth;
use crate::services::labels::Label;
use crate::services::legal::workflow::{
    DRAFTER_ROLES, LegalError, LegalResult, check_links, new_record, require, save_with_event,
};
use crate::state::AppState;
use crate::storage::StorageError;
use crate::storage::legal::{DraftBase, DraftRecord, DraftStatus};

/// Answers every draft a device sent. Only a storage failure fails the request.
pub async fn receive(
    st: &AppState,
    auth: &DeviceAuth,
    pushes: &[DraftPush],
) -> Result<Vec<DraftReply>, StorageError> {
    let mut out = Vec::with_capacity(pushes.len());
    for p in pushes {
        match receive_one(st, auth, p).await {
            Ok(reply) => out.push(reply),
            Err(LegalError::Storage(e)) => return Err(e),
            Err(e) => {
                tracing::warn!(draft = %p.id, device = %auth.device.id, error = %e, "device draft refused");
                let status = match &e {
                    LegalError::Forbidden(_) | LegalError::NotFound(_) => DocStatus::Forbidden,
                    LegalError::Damaged(_) => DocStatus::Malformed,
                    _ => DocStatus::Rejected,
                };
                // The workflow state still tells the device where the draft stands
                // (e.g. decided: the officer's phone stops offering edits).
                let known = st
                    .storage
                    .legal_draft(&p.id)
                    .await?
                    .filter(|d| d.agency_id == auth.user.agency_id)
                    .map(|d| d.status);
                out.push(DraftReply {
                    id: p.id.clone(),
                    status,
                    reason: Some(e.to_string()),
                    workflow: known.map(|s| s.as_str().to_string()),
                    workflow_label: known.map(|s| s.label().to_string()),
                    heads: vec![],
                    doc: None,
                });
            }
        }
    }
    Ok(out)
}

fn malformed(reason: impl Into<String>) -> LegalError {
    LegalError::Damaged(reason.into())
}

/// The device's registered actor id: every change it sends must start with it.
fn device_actor(auth: &DeviceAuth) -> LegalResult<Vec<u8>> {
    hex::decode(&auth.device.actor_id)
        .map_err(|_| LegalError::Forbidden("设备登记信息缺少有效的写入标识，请重新登记设备".into()))
}

fn check_authors(authors: &[ActorId], prefix: &[u8]) -> LegalResult<()> {
    if authors.iter().any(|a| !a.to_bytes().starts_with(prefix)) {
        return Err(LegalError::Forbidden(
            "同步的决定草案中含有不是本设备作出的修改，已拒绝；设备上的草案未受影响，请联系管理员"
                .into(),
        ));
    }
    Ok(())
}

fn load_pushed(p: &DraftPush) -> LegalResult<DraftDoc> {
    let Some(bytes) = &p.doc else {
        return Err(LegalError::NotFound(format!(
            "决定草案 {}（服务器上没有该草案，设备下次同步时会重新发送全文）",
            p.id
        )));
    };
    if bytes.len() > MAX_DRAFT_BYTES {
        return Err(malformed(format!(
            "决定草案过大（{} KB，上限 {} KB）",
            bytes.len() / 1024,
            MAX_DRAFT_BYTES / 1024
        )));
    }
    DraftDoc::load(bytes).map_err(|e| malformed(e.to_string()))
}

/// One draft: created or merged, optimistically (issue 18): when another writer
/// (the web, another device, another server instance) changed the draft since it
/// was read, nothing was written and the push is merged again into the draft as
/// it is now.
async fn receive_one(st: &AppState, auth: &DeviceAuth, p: &DraftPush) -> LegalResult<DraftReply> {
    crate::services::optimistic::retry_stale("legal.device_draft", &p.id, || {
        receive_once(st, auth, p)
    })
    .await
}

async fn receive_once(st: &AppState, auth: &DeviceAuth, p: &DraftPush) -> LegalResult<DraftReply> {
    let user = &auth.user;
    require(user, DRAFTER_ROLES, "起草执法决定")?;
    if p.id.is_empty() || p.id.len() > 64 {
        return Err(malformed("决定草案编号格式错误"));
    }
    let prefix = device_actor(auth)?;
    let existing = st
        .storage
        .legal_draft(&p.id)
        .await?
        .filter(|d| d.agency_id == user.agency_id);
    let (rec, mut doc) = match existing {
        None => create(st, auth, p, &prefix).await?,
        Some(rec) => {
            let mut doc = DraftDoc::load(&rec.bytes)?;
            let rec = match &p.doc {
                Some(_) => merge(st, auth, p, &prefix, rec, &mut doc).await?,
                None => rec,
            };
            (rec, doc)
        }
    };
    let mut theirs = p.heads.clone();
    theirs.sort();
    let heads = doc.heads_hex();
    let doc_bytes = (heads != theirs).then(|| doc.save());
    Ok(DraftReply {
        id: rec.id.clone(),
        status: DocStatus::Ok,
        reason: None,
        workflow: Some(rec.status.as_str().into()),
        workflow_label: Some(rec.status.label().into()),
        heads,
        doc: doc_bytes,
    })
}

/// A draft the server has not seen: made on the device in its account's name.
async fn create(
    st: &AppState,
    auth: &DeviceAuth,
    p: &DraftPush,
    prefix: &[u8],
) -> LegalResult<(DraftRecord, DraftDoc)> {
    let user = &auth.user;
    let mut doc = load_pushed(p)?;
    let meta = doc.meta()?;
    if meta.id != p.id {
        return Err(malformed("决定草案编号与文档内容不符"));
    }
    if meta.agency_id != user.agency_id || meta.created_by != user.id {
        return Err(LegalError::Forbidden(
            "决定草案不是以本设备登记的账号和单位起草的，已拒绝；请在本账号登记的设备上起草".into(),
        ));
    }
    let authors = doc.authors();
    check_authors(&authors, prefix)?;
    let content = doc.read()?;
    content.validate_draft()?;
    check_links(st, user, &content).await?;
    let now = st.clock.now();
    // The row is the server's: the account and agency are the device's, checked above.
    let rec = new_record(&meta, &content, &mut doc, now);
    save_with_event(
        st,
        &rec,
        Some(DraftBase::New),
        "created",
        user,
        now,
        serde_json::json!({ "title": content.title, "source": "device", "device": auth.device.id }),
    )
    .await?;
    tracing::info!(draft = %rec.id, device = %auth.device.id, "draft made on a device received");
    Ok((rec, doc))
}

/// Changes to a draft the server has: merged if every new change is the device's
/// and the merged draft still passes the drafting checks.
async fn merge(
    st: &AppState,
    auth: &DeviceAuth,
    p: &DraftPush,
    prefix: &[u8],
    mut rec: DraftRecord,
    doc: &mut DraftDoc,
) -> LegalResult<DraftRecord> {
    let user = &auth.user;
    let base = Some(DraftBase::Read(Box::new(rec.clone())));
    let mut incoming = load_pushed(p)?;
    let (ours, theirs) = (doc.meta()?, incoming.meta()?);
    if ours != theirs {
        return Err(LegalError::Forbidden(
            "决定草案的编号、单位或起草人与服务器上的不一致，已拒绝".into(),
        ));
    }
    let authors = doc.authors_of_new_changes(&mut incoming);
    if authors.is_empty() {
        return Ok(rec);
    }
    check_authors(&authors, prefix)?;
    if rec.status == DraftStatus::Decided {
        return Err(LegalError::WrongState(
            "R-LEGAL-1：该决定已作出，草案不能再修改；设备上的修改已保留但未合并".into(),
        ));
    }
    let before = doc.read()?;
    let mut merged = DraftDoc::load(&rec.bytes)?;
    merged.merge(&mut incoming)?;
    let after = merged.read()?;
    after.validate_draft()?;
    check_links(st, user, &after).await?;
    let now = st.clock.now();
    let changes = diff(&before, &after);
    rec.heads = merged.heads_hex();
    rec.bytes = merged.save();
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
        serde_json::json!({ "fields": fields, "source": "device", "device": auth.device.id }),
    )
    .await?;
    *doc = merged;
    Ok(rec)
}
