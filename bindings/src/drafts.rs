//! Drafting proposed decisions (决定草案) on the phone, offline (R-LEGAL-1): the
//! records the apps fill and show, and the [`LiuhenCore`] methods that call the
//! core's drafting facade. The drafts travel with the normal `sync_now`.

use std::time::SystemTime;

use liuhen_core::drafting::{DeviceDraft, DraftSummary, DraftSync, DraftSyncState};
use liuhen_core::legal::{DecisionKind, DraftContent, EvidenceLink, PartyKind};

use crate::{LiuhenCore, LiuhenError};

/// A piece of evidence the facts rest on.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DraftEvidence {
    /// Inspection it belongs to.
    pub inspection_id: String,
    /// SHA-256 of the evidence.
    pub sha256: String,
    /// What it shows.
    pub note: String,
}

/// What the officer drafts: the proposed decision's content.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DraftInput {
    /// Kind: `licensing`, `penalty`, `coercion`, `inspection` or `other`.
    pub kind: String,
    /// Short title.
    pub title: String,
    /// Enforcement category (执法类别).
    pub category: String,
    /// `company` or `person`.
    pub party_kind: String,
    /// Party name.
    pub party_name: String,
    /// 统一社会信用代码 or ID number (never published).
    pub party_code: String,
    /// Legal basis.
    pub legal_basis: String,
    /// Facts found.
    pub facts: String,
    /// Discretion benchmark applied.
    pub discretion: String,
    /// The decision as it would be published.
    pub conclusion: String,
    /// Fine in fen, for fines.
    pub fine_fen: Option<i64>,
    /// Revokes a licence.
    pub revocation: bool,
    /// Orders suspension or closure.
    pub suspension: bool,
    /// Major coercion.
    pub major_coercion: bool,
    /// A hearing was held.
    pub hearing_held: bool,
    /// A crime is suspected.
    pub crime_suspected: bool,
    /// Major public interest.
    pub public_interest: bool,
    /// Social risk.
    pub social_risk: bool,
    /// Complex case.
    pub complex: bool,
    /// The agency catalogue's other items (其他事项) that apply (R-LEGAL-2).
    pub other_items: Vec<String>,
    /// Never published (trade secrets, personal data).
    pub confidential: String,
    /// Inspections it is built on.
    pub inspection_ids: Vec<String>,
    /// Evidence the facts rest on.
    pub evidence: Vec<DraftEvidence>,
}

/// A field edited at the same time with different values (both kept).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DraftConflictView {
    /// Field name.
    pub field: String,
    /// The values, the one shown first.
    pub values: Vec<String>,
}

/// Where a draft stands with the server.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DraftSyncView {
    /// `pending`, `synced` or `refused`.
    pub state: String,
    /// Chinese label of the state.
    pub state_label: String,
    /// The server's workflow status label (e.g. 审核中), once synced.
    pub server_label: Option<String>,
    /// Why the server refused the phone's changes (they stay on the phone).
    pub refused: Option<String>,
}

/// One draft as the phone shows it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DraftView {
    /// Draft id.
    pub id: String,
    /// What it says now.
    pub content: DraftInput,
    /// Pass these back with an edit (what the officer saw).
    pub heads: Vec<String>,
    /// Fields with concurrent values.
    pub conflicts: Vec<DraftConflictView>,
    /// Sync state.
    pub sync: DraftSyncView,
    /// Last change.
    pub updated_at: SystemTime,
}

/// A line of the phone's draft list.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DraftListItem {
    /// Draft id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Sync state.
    pub sync: DraftSyncView,
    /// Last change.
    pub updated_at: SystemTime,
}

fn invalid(field: &str, detail: &str) -> LiuhenError {
    LiuhenError::InvalidInput {
        field: field.into(),
        detail: detail.into(),
    }
}

impl TryFrom<DraftInput> for DraftContent {
    type Error = LiuhenError;
    fn try_from(d: DraftInput) -> Result<Self, LiuhenError> {
        let kind = DecisionKind::parse(&d.kind)
            .ok_or_else(|| invalid("kind", "决定类型无效，请从列表中选择"))?;
        let party_kind = PartyKind::parse(&d.party_kind)
            .ok_or_else(|| invalid("party_kind", "当事人类型无效，请选择单位或个人"))?;
        Ok(DraftContent {
            kind,
            title: d.title,
            category: d.category,
            party_kind,
            party_name: d.party_name,
            party_code: d.party_code,
            legal_basis: d.legal_basis,
            facts: d.facts,
            discretion: d.discretion,
            conclusion: d.conclusion,
            fine_fen: d.fine_fen,
            revocation: d.revocation,
            suspension: d.suspension,
            major_coercion: d.major_coercion,
            hearing_held: d.hearing_held,
            crime_suspected: d.crime_suspected,
            public_interest: d.public_interest,
            social_risk: d.social_risk,
            complex: d.complex,
            other_items: d.other_items,
            confidential: d.confidential,
            inspection_ids: d.inspection_ids,
            evidence: d
                .evidence
                .into_iter()
                .map(|e| EvidenceLink {
                    inspection_id: e.inspection_id,
                    sha256: e.sha256,
                    note: e.note,
                })
                .collect(),
        })
    }
}

impl From<DraftContent> for DraftInput {
    fn from(c: DraftContent) -> Self {
        DraftInput {
            kind: c.kind.as_str().into(),
            title: c.title,
            category: c.category,
            party_kind: c.party_kind.as_str().into(),
            party_name: c.party_name,
            party_code: c.party_code,
            legal_basis: c.legal_basis,
            facts: c.facts,
            discretion: c.discretion,
            conclusion: c.conclusion,
            fine_fen: c.fine_fen,
            revocation: c.revocation,
            suspension: c.suspension,
            major_coercion: c.major_coercion,
            hearing_held: c.hearing_held,
            crime_suspected: c.crime_suspected,
            public_interest: c.public_interest,
            social_risk: c.social_risk,
            complex: c.complex,
            other_items: c.other_items,
            confidential: c.confidential,
            inspection_ids: c.inspection_ids,
            evidence: c
                .evidence
                .into_iter()
                .map(|e| DraftEvidence {
                    inspection_id: e.inspection_id,
                    sha256: e.sha256,
                    note: e.note,
                })
                .collect(),
        }
    }
}

impl From<DraftSync> for DraftSyncView {
    fn from(s: DraftSync) -> Self {
        let state = match s.state {
            DraftSyncState::Pending => "pending",
            DraftSyncState::Synced => "synced",
            DraftSyncState::Refused => "refused",
        };
        DraftSyncView {
            state: state.into(),
            state_label: s.state.label().into(),
            server_label: s.server_label,
            refused: s.refused,
        }
    }
}

impl From<DeviceDraft> for DraftView {
    fn from(d: DeviceDraft) -> Self {
        DraftView {
            id: d.id,
            content: d.content.into(),
            heads: d.heads,
            conflicts: d
                .conflicts
                .into_iter()
                .map(|c| DraftConflictView {
                    field: c.field,
                    values: c.values,
                })
                .collect(),
            sync: d.sync.into(),
            updated_at: SystemTime::from(d.updated_at),
        }
    }
}

impl From<DraftSummary> for DraftListItem {
    fn from(d: DraftSummary) -> Self {
        DraftListItem {
            id: d.id,
            title: d.title,
            sync: d.sync.into(),
            updated_at: SystemTime::from(d.updated_at),
        }
    }
}

#[uniffi::export]
impl LiuhenCore {
    /// An empty draft of `kind` for the form to start from.
    pub fn draft_template(&self, kind: String) -> Result<DraftInput, LiuhenError> {
        let kind = DecisionKind::parse(&kind)
            .ok_or_else(|| invalid("kind", "决定类型无效，请从列表中选择"))?;
        Ok(DraftContent::empty(kind).into())
    }

    /// Drafts a proposed decision offline in the enrolled account's name; `by` is
    /// the officer acting. Returns the draft id.
    pub fn create_draft(&self, by: String, content: DraftInput) -> Result<String, LiuhenError> {
        let content = DraftContent::try_from(content)?;
        self.with(|c| c.create_draft(&by, &content))
    }

    /// Edits a draft from what the officer saw (`base_heads` from [`DraftView`]);
    /// only changed fields are written. Returns whether anything changed.
    pub fn edit_draft(
        &self,
        id: String,
        by: String,
        base_heads: Vec<String>,
        content: DraftInput,
    ) -> Result<bool, LiuhenError> {
        let content = DraftContent::try_from(content)?;
        self.with(|c| c.edit_draft(&id, &by, &base_heads, &content))
    }

    /// One draft on the phone.
    pub fn draft(&self, id: String) -> Result<DraftView, LiuhenError> {
        Ok(self.with(|c| c.draft(&id))?.into())
    }

    /// Every draft on the phone, newest change first.
    pub fn drafts(&self) -> Result<Vec<DraftListItem>, LiuhenError> {
        Ok(self
            .with(|c| c.drafts())?
            .into_iter()
            .map(DraftListItem::from)
            .collect())
    }
}
