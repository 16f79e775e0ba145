//! Drafting proposed decisions (拟作出的执法决定) on the device, offline (R-LEGAL-1).
//!
//! A draft is the same automerge document the server keeps ([`DraftDoc`]): made
//! here as this device's actor, edited field by field from the heads the officer
//! saw (each edit as a fresh actor that starts with the device's, so the server can
//! check who wrote it), and sent whole at the next sync. Every step is written with
//! its signed log entry in one transaction (R-REC-5). What the server does with the
//! draft (submission, review, decision) happens on the server; the device learns
//! its status at each sync.

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::api::{Core, CoreError};
use crate::audit::NewLogEntry;
use crate::draft_doc::{DraftConflict, DraftDoc, DraftMeta, parse_heads};
use crate::legal::{DraftContent, diff};
use crate::store::{DraftServerState, DraftWrite, StoredDraft};
use crate::sync::protocol::{DocStatus, DraftPush, DraftReply};

/// Device setting holding the enrolled account's user id (drafts are made in its
/// name; the server checks it).
pub const USER_ID_KEY: &str = "user_id";

/// Where a draft stands with the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DraftSyncState {
    /// The device holds changes the server has not accepted yet.
    Pending,
    /// The server has everything the device has.
    Synced,
    /// The server refused the device's changes; they stay on the device.
    Refused,
}

impl DraftSyncState {
    /// Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            DraftSyncState::Pending => "待同步",
            DraftSyncState::Synced => "已同步",
            DraftSyncState::Refused => "服务器拒绝，需处理",
        }
    }
}

/// A draft's sync state and what the server said at the last sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftSync {
    /// Where it stands.
    pub state: DraftSyncState,
    /// The server's workflow status code (e.g. `in_review`), once synced.
    pub server_status: Option<String>,
    /// Its Chinese label (e.g. 审核中).
    pub server_label: Option<String>,
    /// Why the server refused the last push.
    pub refused: Option<String>,
}

/// A draft as the device shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceDraft {
    /// Draft id.
    pub id: String,
    /// Who made it and when.
    pub meta: DraftMeta,
    /// What it says now.
    pub content: DraftContent,
    /// Heads to pass back with an edit (what the officer saw).
    pub heads: Vec<String>,
    /// Fields edited concurrently with different values (both kept).
    pub conflicts: Vec<DraftConflict>,
    /// Sync state.
    pub sync: DraftSync,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// A line of the device's draft list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftSummary {
    /// Draft id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Sync state.
    pub sync: DraftSync,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// What one draft's sync did on the device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DraftOutcome {
    /// The server has everything; `received` tells whether it sent changes.
    Synced {
        /// Whether the server's changes (e.g. an edit on the web) were merged in.
        received: bool,
    },
    /// The server refused the device's changes (kept on the device).
    Refused(String),
}

fn sync_of(d: &StoredDraft) -> DraftSync {
    let state = if d.refused.is_some() {
        DraftSyncState::Refused
    } else if d.has_unsynced_changes() {
        DraftSyncState::Pending
    } else {
        DraftSyncState::Synced
    };
    DraftSync {
        state,
        server_status: d.server_status.clone(),
        server_label: d.server_label.clone(),
        refused: d.refused.clone(),
    }
}

fn load(d: &StoredDraft) -> Result<DraftDoc, CoreError> {
    DraftDoc::load(&d.bytes).map_err(|e| CoreError::DraftDamaged {
        id: d.id.clone(),
        reason: e.to_string(),
    })
}

impl Core {
    /// Records the account this device enrolled for (drafts are made in its name).
    pub fn set_enrolled_user(&self, user_id: &str) -> Result<(), CoreError> {
        Ok(self
            .store()
            .set_device_value(USER_ID_KEY, user_id.as_bytes())?)
    }

    /// The account this device enrolled for, if it has enrolled.
    pub fn enrolled_user(&self) -> Result<Option<String>, CoreError> {
        Ok(self
            .store()
            .device_value(USER_ID_KEY)?
            .and_then(|v| String::from_utf8(v).ok())
            .filter(|v| !v.is_empty()))
    }

    fn stored_draft(&self, id: &str) -> Result<StoredDraft, CoreError> {
        self.store().draft(id)?.ok_or_else(|| CoreError::NotFound {
            what: "决定草案",
            id: id.to_string(),
        })
    }

    fn write_draft(
        &mut self,
        doc: &mut DraftDoc,
        content: &DraftContent,
        action: &str,
        by: &str,
        detail: serde_json::Value,
    ) -> Result<(), CoreError> {
        let meta = doc.meta()?;
        let heads = doc.heads_hex();
        let bytes = doc.save();
        let now = self.now();
        let entry = NewLogEntry {
            at: now,
            officer_id: by.to_string(),
            inspection_id: None,
            action: action.to_string(),
            detail,
            evidence: content.evidence.iter().map(|e| e.sha256.clone()).collect(),
            doc_heads: heads.clone(),
        };
        let seal = self.sealer();
        self.store_mut().write_draft(
            &DraftWrite {
                id: &meta.id,
                title: &content.title,
                bytes: &bytes,
                heads: &heads,
                at: now,
            },
            entry,
            seal,
        )?;
        Ok(())
    }

    /// Drafts a proposed decision offline, in the enrolled account's name, for the
    /// agency of the cached roster. `by` is the officer acting (for the device
    /// log). Returns the draft id.
    pub fn create_draft(&mut self, by: &str, content: &DraftContent) -> Result<String, CoreError> {
        content.validate_draft()?;
        let user = self.enrolled_user()?.ok_or(CoreError::NotEnrolled)?;
        let agency_id = self.roster()?.agency.id;
        let id = uuid::Uuid::now_v7().to_string();
        let meta = DraftMeta {
            id: id.clone(),
            agency_id,
            created_by: user,
            created_at: self.now(),
        };
        let mut doc = DraftDoc::create(self.device().actor.clone(), &meta, content)?;
        self.write_draft(
            &mut doc,
            content,
            "draft_create",
            by,
            json!({ "draft_id": id, "title": content.title, "kind": content.kind.as_str() }),
        )?;
        tracing::info!(draft = %id, "draft made on the device");
        Ok(id)
    }

    /// Edits a draft from what the officer saw (`base_heads`, as
    /// [`DeviceDraft::heads`] gave them): only the fields they changed are written,
    /// so changes made meanwhile elsewhere (the web, another sync) survive. Returns
    /// whether anything changed.
    pub fn edit_draft(
        &mut self,
        id: &str,
        by: &str,
        base_heads: &[String],
        content: &DraftContent,
    ) -> Result<bool, CoreError> {
        content.validate_draft()?;
        let stored = self.stored_draft(id)?;
        if stored.server_status.as_deref() == Some("decided") {
            return Err(CoreError::DraftDecided { id: id.into() });
        }
        let mut doc = load(&stored)?;
        let heads = parse_heads(base_heads).ok_or(CoreError::StaleDraft { id: id.into() })?;
        let before = doc.read()?;
        let actor = self.device().actor.clone();
        let now = self.now();
        match doc.edit(actor, &heads, content, now) {
            Ok(true) => {}
            Ok(false) => return Ok(false),
            Err(crate::draft_doc::DraftDocError::UnknownHeads) => {
                return Err(CoreError::StaleDraft { id: id.into() });
            }
            Err(e) => return Err(e.into()),
        }
        let after = doc.read()?;
        let fields: Vec<String> = diff(&before, &after).into_iter().map(|c| c.field).collect();
        self.write_draft(
            &mut doc,
            &after,
            "draft_edit",
            by,
            json!({ "draft_id": id, "fields": fields }),
        )?;
        Ok(true)
    }

    /// One draft on the device.
    pub fn draft(&self, id: &str) -> Result<DeviceDraft, CoreError> {
        let stored = self.stored_draft(id)?;
        let mut doc = load(&stored)?;
        Ok(DeviceDraft {
            id: stored.id.clone(),
            meta: doc.meta()?,
            content: doc.read()?,
            heads: doc.heads_hex(),
            conflicts: doc.conflicts()?,
            sync: sync_of(&stored),
            updated_at: stored.updated_at,
        })
    }

    /// Every draft on the device, newest change first.
    pub fn drafts(&self) -> Result<Vec<DraftSummary>, CoreError> {
        Ok(self
            .store()
            .drafts()?
            .iter()
            .map(|d| DraftSummary {
                id: d.id.clone(),
                title: d.title.clone(),
                sync: sync_of(d),
                updated_at: d.updated_at,
            })
            .collect())
    }

    /// What the sync sends about the device's drafts: every draft with its heads
    /// (so the server can send back what changed there), with the whole document
    /// when the device holds changes the server has not accepted.
    pub fn draft_pushes(&self) -> Result<Vec<DraftPush>, CoreError> {
        Ok(self
            .store()
            .drafts()?
            .into_iter()
            .map(|d| {
                let doc = d.has_unsynced_changes().then(|| d.bytes.clone());
                DraftPush {
                    id: d.id,
                    heads: d.heads,
                    doc,
                }
            })
            .collect())
    }

    /// Takes the server's answer about one draft: merges the server's document if
    /// it sent one, and records the workflow status or the refusal. A refusal
    /// keeps every change on the device.
    pub fn apply_draft_reply(&mut self, reply: &DraftReply) -> Result<DraftOutcome, CoreError> {
        let stored = self.stored_draft(&reply.id)?;
        let now = self.now();
        if reply.status != DocStatus::Ok {
            let reason = reply
                .reason
                .clone()
                .unwrap_or_else(|| "服务器拒绝了该决定草案".to_string());
            self.store_mut().record_draft_sync(
                &reply.id,
                None,
                &DraftServerState {
                    refused: Some(&reason),
                    status: reply.workflow.as_deref(),
                    label: reply.workflow_label.as_deref(),
                    synced_heads: None,
                },
                now,
            )?;
            return Ok(DraftOutcome::Refused(reason));
        }
        let mut merged = None;
        if let Some(bytes) = &reply.doc {
            let mut doc = load(&stored)?;
            let mut theirs = DraftDoc::load(bytes).map_err(|e| CoreError::DraftDamaged {
                id: reply.id.clone(),
                reason: format!("服务器发来的草案无法读取：{e}"),
            })?;
            if theirs.meta()?.id != reply.id {
                return Err(CoreError::DraftDamaged {
                    id: reply.id.clone(),
                    reason: "服务器发来的草案编号不符".into(),
                });
            }
            let before = doc.heads_hex();
            doc.merge(&mut theirs)?;
            let content = doc.read()?;
            let heads = doc.heads_hex();
            if heads != before {
                merged = Some((content.title, doc.save(), heads));
            }
        }
        let received = merged.is_some();
        let mut server_heads = reply.heads.clone();
        server_heads.sort();
        self.store_mut().record_draft_sync(
            &reply.id,
            merged
                .as_ref()
                .map(|(t, b, h)| (t.as_str(), b.as_slice(), h.as_slice())),
            &DraftServerState {
                synced_heads: Some(&server_heads),
                status: reply.workflow.as_deref(),
                label: reply.workflow_label.as_deref(),
                refused: None,
            },
            now,
        )?;
        Ok(DraftOutcome::Synced { received })
    }
}
