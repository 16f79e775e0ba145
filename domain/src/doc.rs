//! The inspection document on automerge: schema, typed reads and writes, merges,
//! conflicts and schema migrations. Nothing outside this module touches raw
//! automerge paths.
//!
//! # Schema
//! ```text
//! ROOT
//!   schema_version: int                 (written only by the schema chain)
//!   meta: map          id, kind, task_id, agency_id, target_*, category, item_*, legal_basis?, opened_at, opened_by, device_id
//!   team: list<map>    one check-in per entry (officer_id, name, certificate_no, valid_until, at, device_id,
//!                      location?: map (v4) lat, lon, accuracy_m, fixed_at)
//!   identity_notice: map   statement, recording_sha256, given_at, given_by
//!   findings: list<map>    id, text, author, at, evidence: list<str>
//!   evidence: list<map>    sha256, kind, media_type, size_bytes, captured_at, captured_by, device_id, step, lat?, lon?,
//!                          accuracy_m? (v4), fixed_at? (v4)
//!   rights_notice: map     notice_version, remedy_channels (JSON list), ack_kind, signer_name,
//!                          signature_sha256, witness_name, refusal_reason, given_at, given_by
//!   closure: map           closed_at, closed_by
//!   amendments: list<map>  (v2) id, amends, text, author, at, evidence: list<str>
//!   review: map            (v2) decision, decided_by, decided_by_name, decided_at
//!     comments: list<map>  (v3) id, author_id, author_name, at, text, item?
//! ```
//! Timestamps are integer milliseconds since the Unix epoch (UTC). `lat`/`lon` are
//! WGS-84 degrees and `accuracy_m` metres, as f64.
//!
//! Version 4 adds no container: it marks a document that carries capture positions
//! with accuracy and fix time. New documents start at [`BASE_SCHEMA_VERSION`] (3) and
//! take the v4 link with the first check-in or evidence that has a location, so a
//! record without a location is byte for byte what older builds wrote.
//!
//! # The schema chain (why containers never conflict)
//! If two devices each created `findings` they would hold two conflicting lists and
//! one would be hidden with all its items (see AUTOMERGE.md). So every container is
//! created by a deterministic *schema chain*: one change per schema version, made by
//! a fixed actor with time 0, each depending only on the previous one. The chain is
//! byte-identical on every device, so its changes have the same hashes everywhere and
//! merge as one. A new document starts from the chain; migrating an old document
//! merges the missing chain changes into it. Migrations therefore only add
//! containers and bump `schema_version`; they never rewrite recorded data.
//!
//! Records that many devices add (check-ins, findings, evidence, amendments) live in
//! lists, which merge concurrent inserts without conflict; readers de-duplicate by
//! key. Scalars written concurrently are kept by automerge and surfaced by
//! [`InspectionDoc::conflicts`].

use std::sync::OnceLock;

use automerge::iter::MapRangeItem;
use automerge::transaction::{CommitOptions, Transactable};
use automerge::{
    ActorId, AutoCommit, ChangeHash, ObjId, ObjType, ROOT, ReadDoc, ScalarValue, ScalarValueRef,
    Value, ValueRef,
};
use chrono::{DateTime, NaiveDate, Utc};

use crate::inspection::{
    Acknowledgement, Amendment, CaptureLocation, Closure, EvidenceKind, EvidenceRef, FieldConflict,
    Finding, IdentityNotice, Inspection, InspectionKind, InspectionMeta, InspectionStep, Review,
    ReviewComment, ReviewDecision, ReviewOutcome, RightsNotice, TeamMember,
};

/// The schema version this build writes and fully understands.
pub const SCHEMA_VERSION: u64 = 4;

/// The version new documents start at and [`InspectionDoc::migrate`] brings older
/// ones to; the links above it are added by the first write that needs them (v4:
/// a capture position).
pub const BASE_SCHEMA_VERSION: u64 = 3;

/// The first version whose documents may carry capture positions with accuracy
/// and fix time (`team[].location`, `evidence[].accuracy_m`/`fixed_at`).
pub const LOCATION_SCHEMA_VERSION: u64 = 4;

/// Actor id of the schema chain; no device ever uses it.
const SCHEMA_ACTOR: &[u8; 16] = b"liuhen.schema.cn";

/// Errors of the document layer.
#[derive(Debug, thiserror::Error)]
pub enum DocError {
    /// The bytes are not a loadable automerge document.
    #[error("检查记录文档已损坏，无法读取：{0}")]
    Corrupt(String),
    /// The document was written by a newer app version.
    #[error("检查记录文档的结构版本为 {found}，本应用仅支持到 {supported}；请升级应用后再打开")]
    NewerSchema {
        /// Version found in the document.
        found: u64,
        /// Highest version this build supports.
        supported: u64,
    },
    /// A field the schema requires is missing or has the wrong type.
    #[error("检查记录文档缺少或错填字段 {path}")]
    Malformed {
        /// Path of the field.
        path: String,
    },
    /// An automerge operation failed.
    #[error("检查记录文档操作失败：{0}")]
    Automerge(#[from] automerge::AutomergeError),
}

/// One step of the schema chain: the change that brings a document from
/// `version - 1` to `version`. Append-only: never edit a published step.
fn schema_step(doc: &mut AutoCommit, version: u64) -> Result<(), DocError> {
    match version {
        1 => {
            for key in ["meta", "identity_notice", "rights_notice", "closure"] {
                doc.put_object(ROOT, key, ObjType::Map)?;
            }
            for key in ["team", "findings", "evidence"] {
                doc.put_object(ROOT, key, ObjType::List)?;
            }
        }
        2 => {
            doc.put_object(ROOT, "amendments", ObjType::List)?;
            doc.put_object(ROOT, "review", ObjType::Map)?;
        }
        3 => {
            let review = match doc.get(ROOT, "review")? {
                Some((Value::Object(ObjType::Map), id)) => id,
                _ => {
                    return Err(DocError::Malformed {
                        path: "review".into(),
                    });
                }
            };
            doc.put_object(&review, "comments", ObjType::List)?;
        }
        // v4: capture positions (`team[].location`, `evidence[].accuracy_m`,
        // `evidence[].fixed_at`); no new container, only the version.
        4 => {}
        other => {
            return Err(DocError::NewerSchema {
                found: other,
                supported: SCHEMA_VERSION,
            });
        }
    }
    doc.put(ROOT, "schema_version", version as i64)?;
    doc.commit_with(
        CommitOptions::default()
            .with_time(0)
            .with_message(format!("liuhen schema v{version}")),
    );
    Ok(())
}

/// Saved bytes of the schema chain up to each version (index 0 = v1).
fn schema_chain() -> &'static [Vec<u8>] {
    static CHAIN: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    CHAIN.get_or_init(|| {
        let mut doc = AutoCommit::new().with_actor(ActorId::from(&SCHEMA_ACTOR[..]));
        (1..=SCHEMA_VERSION)
            .map(|v| {
                // The steps are fixed code over an empty document: failure is a bug
                // in this file, caught by every test that opens a document.
                schema_step(&mut doc, v).expect("schema chain step");
                doc.save()
            })
            .collect()
    })
}

fn chain_doc(version: u64) -> Result<AutoCommit, DocError> {
    let bytes = schema_chain()
        .get(version.saturating_sub(1) as usize)
        .ok_or(DocError::NewerSchema {
            found: version,
            supported: SCHEMA_VERSION,
        })?;
    Ok(AutoCommit::load(bytes)?)
}

/// The actor id of the schema chain.
pub fn schema_actor() -> ActorId {
    ActorId::from(&SCHEMA_ACTOR[..])
}

/// Hashes of every schema-chain change up to [`SCHEMA_VERSION`]: the only changes
/// by [`schema_actor`] a server accepts.
pub fn schema_chain_hashes() -> Result<Vec<ChangeHash>, DocError> {
    let mut d = chain_doc(SCHEMA_VERSION)?;
    Ok(d.get_changes(&[]).iter().map(|c| c.hash()).collect())
}

/// The encoded schema-chain changes, one per version from 1 to [`SCHEMA_VERSION`]
/// (change `i` brings a document from version `i` to `i + 1`). These exact bytes are
/// the conformance vector `docs/vectors/schema-chain.json`: a client in another
/// language applies them instead of re-creating the chain.
pub fn schema_chain_changes() -> Result<Vec<Vec<u8>>, DocError> {
    let mut d = chain_doc(SCHEMA_VERSION)?;
    Ok(d.get_changes(&[])
        .iter()
        .map(|c| c.raw_bytes().to_vec())
        .collect())
}

/// Data needed to open a new inspection document.
#[derive(Debug, Clone)]
pub struct NewInspection {
    /// Everything written into `meta`.
    pub meta: InspectionMeta,
}

/// A field of the document that can be written as a whole and may conflict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalarField {
    /// The statement text of the identity notice.
    IdentityStatement,
    /// Witness named for a refused signature.
    RightsWitness,
    /// Notice text version used.
    RightsNoticeVersion,
}

impl ScalarField {
    fn path(self) -> (&'static str, &'static str) {
        match self {
            ScalarField::IdentityStatement => ("identity_notice", "statement"),
            ScalarField::RightsWitness => ("rights_notice", "witness_name"),
            ScalarField::RightsNoticeVersion => ("rights_notice", "notice_version"),
        }
    }
}

/// One inspection as an automerge document, with a typed API.
#[derive(Debug)]
pub struct InspectionDoc {
    doc: AutoCommit,
}

fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn from_ms(path: &str, v: i64) -> Result<DateTime<Utc>, DocError> {
    DateTime::from_timestamp_millis(v).ok_or_else(|| DocError::Malformed {
        path: path.to_string(),
    })
}

/// A value as officers read it; timestamps (keys `at` / `*_at`) in China time.
fn scalar_text(key: &str, v: &Value<'_>) -> String {
    let is_time = key == "at" || key.ends_with("_at");
    match v {
        Value::Scalar(s) => match s.as_ref() {
            ScalarValue::Int(i) if is_time => DateTime::from_timestamp_millis(*i)
                .map(crate::time::local_text)
                .unwrap_or_else(|| i.to_string()),
            ScalarValue::Str(s) => s.to_string(),
            ScalarValue::Int(i) => i.to_string(),
            ScalarValue::Uint(u) => u.to_string(),
            ScalarValue::F64(f) => f.to_string(),
            ScalarValue::Timestamp(t) => t.to_string(),
            ScalarValue::Boolean(b) => b.to_string(),
            ScalarValue::Null => "null".into(),
            other => format!("{other:?}"),
        },
        Value::Object(t) => format!("<{t:?}>"),
    }
}

/// The texts of the values `all` that the map key `key` of `obj` holds concurrently
/// (from `get_all`), each distinct text once, the value `get` shows first; `text`
/// gives None for a value to leave out. Two devices writing the same value is not a
/// disagreement, so one text means no conflict to show.
pub(crate) fn distinct_values(
    doc: &AutoCommit,
    obj: &ObjId,
    key: &str,
    all: &[(Value<'_>, ObjId)],
    text: impl Fn(&Value<'_>) -> Option<String>,
) -> Result<Vec<String>, automerge::AutomergeError> {
    let winner = doc.get(obj, key)?.map(|(_, id)| id);
    let ordered = all
        .iter()
        .filter(|(_, id)| Some(id) == winner.as_ref())
        .chain(all.iter().filter(|(_, id)| Some(id) != winner.as_ref()));
    let mut values: Vec<String> = vec![];
    for t in ordered.filter_map(|(v, _)| text(v)) {
        if !values.contains(&t) {
            values.push(t);
        }
    }
    Ok(values)
}

/// One map's visible values, read in one pass over the map (`map_range`) instead of
/// one seek into the document per key (issue 19: every merge reads the record).
/// Each key's value is the one `get` returns.
struct Fields<'a> {
    items: Vec<MapRangeItem<'a>>,
}

impl<'a> Fields<'a> {
    fn get(&self, key: &str) -> Option<&MapRangeItem<'a>> {
        self.items.iter().find(|i| i.key == key)
    }

    /// The id of the map or list under `key`, if that is what it holds.
    fn object(&self, key: &str, kind: ObjType) -> Option<ObjId> {
        self.get(key)
            .filter(|i| i.value == ValueRef::Object(kind))
            .map(|i| i.id())
    }

    fn str(&self, key: &str) -> Option<String> {
        match self.get(key).map(|i| &i.value) {
            Some(ValueRef::Scalar(ScalarValueRef::Str(s))) => Some(s.to_string()),
            _ => None,
        }
    }

    /// The scalar under `key` as `get` shows it (for the integer and float reads).
    fn scalar(&self, key: &str) -> Option<Value<'static>> {
        self.get(key)
            .filter(|i| matches!(i.value, ValueRef::Scalar(_)))
            .map(|i| i.value.clone().into_value())
    }

    fn int(&self, key: &str) -> Option<i64> {
        self.scalar(key).and_then(|v| v.as_i64())
    }

    fn f64(&self, key: &str) -> Option<f64> {
        self.scalar(key).and_then(|v| v.as_f64())
    }

    /// The string under `key`; malformed at `path.key` if there is none.
    fn req_str(&self, path: &str, key: &str) -> Result<String, DocError> {
        self.str(key).ok_or_else(|| DocError::Malformed {
            path: format!("{path}.{key}"),
        })
    }

    /// The instant (milliseconds) under `key`; malformed at `path.key` if there is
    /// none or it is out of range.
    fn req_time(&self, path: &str, key: &str) -> Result<DateTime<Utc>, DocError> {
        let at = format!("{path}.{key}");
        let v = self
            .int(key)
            .ok_or_else(|| DocError::Malformed { path: at.clone() })?;
        from_ms(&at, v)
    }
}

impl InspectionDoc {
    /// Opens a new inspection with its meta written by `actor` at `meta.opened_at`.
    pub fn create(actor: ActorId, new: NewInspection) -> Result<Self, DocError> {
        let mut doc = chain_doc(BASE_SCHEMA_VERSION)?;
        doc.set_actor(actor);
        let mut this = InspectionDoc { doc };
        let m = &new.meta;
        let meta = this.container("meta")?;
        let d = &mut this.doc;
        d.put(&meta, "id", m.id.as_str())?;
        d.put(&meta, "kind", m.kind.as_str())?;
        if let Some(t) = &m.task_id {
            d.put(&meta, "task_id", t.as_str())?;
        }
        d.put(&meta, "agency_id", m.agency_id.as_str())?;
        d.put(&meta, "agency_name", m.agency_name.as_str())?;
        d.put(&meta, "target_id", m.target_id.as_str())?;
        d.put(&meta, "target_name", m.target_name.as_str())?;
        if let Some(c) = &m.target_credit_code {
            d.put(&meta, "target_credit_code", c.as_str())?;
        }
        d.put(&meta, "target_address", m.target_address.as_str())?;
        d.put(&meta, "target_area", m.target_area.as_str())?;
        d.put(
            &meta,
            "target_is_natural_person",
            m.target_is_natural_person,
        )?;
        d.put(&meta, "category", m.category.as_str())?;
        d.put(&meta, "item_code", m.item_code.as_str())?;
        d.put(&meta, "item_name", m.item_name.as_str())?;
        if !m.legal_basis.is_empty() {
            d.put(&meta, "legal_basis", m.legal_basis.as_str())?;
        }
        d.put(&meta, "opened_at", ms(m.opened_at))?;
        d.put(&meta, "opened_by", m.opened_by.as_str())?;
        d.put(&meta, "device_id", m.device_id.as_str())?;
        this.commit("open", m.opened_at);
        Ok(this)
    }

    /// Loads a saved document, refusing one from a newer schema. An older document is
    /// loaded as is; call [`InspectionDoc::migrate`] to bring it up to date.
    pub fn load(bytes: &[u8]) -> Result<Self, DocError> {
        let doc = AutoCommit::load(bytes).map_err(|e| DocError::Corrupt(e.to_string()))?;
        let this = InspectionDoc { doc };
        this.check_schema()?;
        Ok(this)
    }

    /// Refuses a document of a schema newer than this build knows (what
    /// [`InspectionDoc::load`] checks; a document from [`InspectionDoc::from_automerge`]
    /// is checked with this before it is read).
    pub fn check_schema(&self) -> Result<(), DocError> {
        let v = self.schema_version()?;
        if v > SCHEMA_VERSION {
            return Err(DocError::NewerSchema {
                found: v,
                supported: SCHEMA_VERSION,
            });
        }
        Ok(())
    }

    /// Wraps a document received through sync without saving and re-loading it; the
    /// schema is checked when it is read or stored, as for [`InspectionDoc::load`].
    pub fn from_automerge(doc: AutoCommit) -> Self {
        InspectionDoc { doc }
    }

    /// The automerge document inside (to go on syncing a document that is not a
    /// readable inspection yet).
    pub fn into_automerge(self) -> AutoCommit {
        self.doc
    }

    /// Applies incremental bytes (from [`InspectionDoc::save_after`]) on top.
    pub fn load_incremental(&mut self, bytes: &[u8]) -> Result<(), DocError> {
        self.doc
            .load_incremental(bytes)
            .map_err(|e| DocError::Corrupt(e.to_string()))?;
        Ok(())
    }

    /// Sets the actor for further local changes (the device's actor id).
    pub fn set_actor(&mut self, actor: ActorId) {
        self.doc.set_actor(actor);
    }

    /// Schema version stored in the document.
    pub fn schema_version(&self) -> Result<u64, DocError> {
        match self.doc.get(ROOT, "schema_version")? {
            Some((v, _)) => v
                .as_u64()
                .or_else(|| v.as_i64().map(|i| i.max(0) as u64))
                .ok_or(DocError::Malformed {
                    path: "schema_version".into(),
                }),
            None => Err(DocError::Malformed {
                path: "schema_version".into(),
            }),
        }
    }

    /// Brings an older document up to [`BASE_SCHEMA_VERSION`] by merging the missing
    /// schema-chain changes. Returns the version it started from. Deterministic:
    /// two devices migrating the same document produce the very same change.
    pub fn migrate(&mut self) -> Result<u64, DocError> {
        let from = self.schema_version()?;
        self.require_version(BASE_SCHEMA_VERSION)?;
        Ok(from)
    }

    /// Merges the schema chain up to `version` if the document is older; a no-op
    /// otherwise. The chain's changes are the same bytes on every device.
    fn require_version(&mut self, version: u64) -> Result<(), DocError> {
        let from = self.schema_version()?;
        if from > SCHEMA_VERSION {
            return Err(DocError::NewerSchema {
                found: from,
                supported: SCHEMA_VERSION,
            });
        }
        if from < version {
            let mut chain = chain_doc(version)?;
            self.doc.merge(&mut chain)?;
            tracing::info!(from, to = version, "migrated inspection document");
        }
        Ok(())
    }

    /// Builds a document at an older schema version (for migration tests and
    /// fixtures): the chain up to `version`, then `meta` as [`InspectionDoc::create`].
    pub fn create_at_version(
        actor: ActorId,
        version: u64,
        new: NewInspection,
    ) -> Result<Self, DocError> {
        let mut this = Self::create(actor.clone(), new)?;
        if version == BASE_SCHEMA_VERSION {
            return Ok(this);
        }
        // Rebuild on the older chain: copy meta through a fresh doc at `version`.
        let mut doc = chain_doc(version)?;
        doc.set_actor(actor);
        let meta_src = this.container("meta")?;
        let meta_dst = match doc.get(ROOT, "meta")? {
            Some((Value::Object(ObjType::Map), id)) => id,
            _ => {
                return Err(DocError::Malformed {
                    path: "meta".into(),
                });
            }
        };
        let keys: Vec<String> = this.doc.keys(&meta_src).collect();
        for k in keys {
            if let Some((Value::Scalar(s), _)) = this.doc.get(&meta_src, k.as_str())? {
                doc.put(&meta_dst, k.as_str(), s.into_owned())?;
            }
        }
        doc.commit_with(CommitOptions::default().with_message("open"));
        this.doc = doc;
        Ok(this)
    }

    /// Full compact save.
    pub fn save(&mut self) -> Vec<u8> {
        self.doc.save()
    }

    /// Changes since `heads`, as bytes to append to a saved document.
    pub fn save_after(&mut self, heads: &[ChangeHash]) -> Vec<u8> {
        self.doc.save_after(heads)
    }

    /// Current heads.
    pub fn heads(&mut self) -> Vec<ChangeHash> {
        self.doc.get_heads()
    }

    /// Merges another copy of the same inspection into this one.
    pub fn merge(&mut self, other: &mut InspectionDoc) -> Result<(), DocError> {
        self.doc.merge(&mut other.doc)?;
        Ok(())
    }

    /// An independent copy (same history) with another actor, e.g. a second device.
    pub fn fork_as(&mut self, actor: ActorId) -> InspectionDoc {
        InspectionDoc {
            doc: self.doc.fork().with_actor(actor),
        }
    }

    /// Direct access for the sync layer, which speaks automerge's sync protocol.
    pub fn automerge_mut(&mut self) -> &mut AutoCommit {
        &mut self.doc
    }

    fn commit(&mut self, step: &str, at: DateTime<Utc>) {
        self.doc.commit_with(
            CommitOptions::default()
                .with_message(step.to_string())
                .with_time(at.timestamp()),
        );
    }

    fn container(&self, key: &str) -> Result<ObjId, DocError> {
        match self.doc.get(ROOT, key)? {
            Some((Value::Object(_), id)) => Ok(id),
            _ => Err(DocError::Malformed { path: key.into() }),
        }
    }

    // ---- writes ---------------------------------------------------------

    /// Appends a check-in (R-SCENE-2). Validation of the certificate is the
    /// lifecycle's job; this only records it.
    pub fn add_team_member(&mut self, m: &TeamMember) -> Result<(), DocError> {
        if m.location.is_some() {
            self.require_version(LOCATION_SCHEMA_VERSION)?;
        }
        let team = self.container("team")?;
        let at = self.doc.length(&team);
        let obj = self.doc.insert_object(&team, at, ObjType::Map)?;
        let d = &mut self.doc;
        d.put(&obj, "officer_id", m.officer_id.as_str())?;
        d.put(&obj, "name", m.name.as_str())?;
        d.put(&obj, "certificate_no", m.certificate_no.as_str())?;
        d.put(
            &obj,
            "certificate_valid_until",
            m.certificate_valid_until.to_string(),
        )?;
        d.put(&obj, "at", ms(m.checked_in_at))?;
        d.put(&obj, "device_id", m.device_id.as_str())?;
        if let Some(l) = &m.location {
            let loc = d.put_object(&obj, "location", ObjType::Map)?;
            d.put(&loc, "lat", l.lat)?;
            d.put(&loc, "lon", l.lon)?;
            d.put(&loc, "accuracy_m", l.accuracy_m)?;
            d.put(&loc, "fixed_at", ms(l.fixed_at))?;
        }
        self.commit("check_in", m.checked_in_at);
        Ok(())
    }

    /// Writes the identity notice (R-SCENE-3, R-REC-3).
    pub fn set_identity_notice(&mut self, n: &IdentityNotice) -> Result<(), DocError> {
        let obj = self.container("identity_notice")?;
        let d = &mut self.doc;
        d.put(&obj, "statement", n.statement.as_str())?;
        d.put(&obj, "recording_sha256", n.recording_sha256.as_str())?;
        d.put(&obj, "given_at", ms(n.given_at))?;
        d.put(&obj, "given_by", n.given_by.as_str())?;
        self.commit("identity_notice", n.given_at);
        Ok(())
    }

    fn insert_record_with_evidence(
        &mut self,
        list: &str,
        fields: &[(&str, ScalarValue)],
        evidence: &[String],
    ) -> Result<(), DocError> {
        let list = self.container(list)?;
        let at = self.doc.length(&list);
        let obj = self.doc.insert_object(&list, at, ObjType::Map)?;
        for (k, v) in fields {
            self.doc.put(&obj, *k, v.clone())?;
        }
        let ev = self.doc.put_object(&obj, "evidence", ObjType::List)?;
        for (i, h) in evidence.iter().enumerate() {
            self.doc.insert(&ev, i, h.as_str())?;
        }
        Ok(())
    }

    /// Appends a finding.
    pub fn add_finding(&mut self, f: &Finding) -> Result<(), DocError> {
        self.insert_record_with_evidence(
            "findings",
            &[
                ("id", f.id.as_str().into()),
                ("text", f.text.as_str().into()),
                ("author", f.author.as_str().into()),
                ("at", ms(f.at).into()),
            ],
            &f.evidence,
        )?;
        self.commit("finding", f.at);
        Ok(())
    }

    /// Edits the text of a finding (before close). Returns false if no such finding.
    pub fn edit_finding(
        &mut self,
        finding_id: &str,
        text: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, DocError> {
        let list = self.container("findings")?;
        for i in 0..self.doc.length(&list) {
            if let Some((Value::Object(_), obj)) = self.doc.get(&list, i)?
                && matches!(self.doc.get(&obj, "id")?,
                    Some((Value::Scalar(s), _)) if s.as_str() == Some(finding_id))
            {
                self.doc.put(&obj, "text", text)?;
                self.commit("edit_finding", at);
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Appends an evidence reference. References are append-only (R-REC-5).
    pub fn add_evidence(&mut self, e: &EvidenceRef) -> Result<(), DocError> {
        if e.accuracy_m.is_some() || e.fixed_at.is_some() {
            self.require_version(LOCATION_SCHEMA_VERSION)?;
        }
        let list = self.container("evidence")?;
        let at = self.doc.length(&list);
        let obj = self.doc.insert_object(&list, at, ObjType::Map)?;
        let d = &mut self.doc;
        d.put(&obj, "sha256", e.sha256.as_str())?;
        d.put(&obj, "kind", e.kind.as_str())?;
        d.put(&obj, "media_type", e.media_type.as_str())?;
        d.put(&obj, "size_bytes", e.size_bytes as i64)?;
        d.put(&obj, "captured_at", ms(e.captured_at))?;
        d.put(&obj, "captured_by", e.captured_by.as_str())?;
        d.put(&obj, "device_id", e.device_id.as_str())?;
        d.put(&obj, "step", e.step.as_str())?;
        if let Some(lat) = e.lat {
            d.put(&obj, "lat", lat)?;
        }
        if let Some(lon) = e.lon {
            d.put(&obj, "lon", lon)?;
        }
        if let Some(a) = e.accuracy_m {
            d.put(&obj, "accuracy_m", a)?;
        }
        if let Some(t) = e.fixed_at {
            d.put(&obj, "fixed_at", ms(t))?;
        }
        self.commit("evidence", e.captured_at);
        Ok(())
    }

    /// Writes the rights notice and the party's acknowledgement (R-SCENE-4).
    pub fn set_rights_notice(&mut self, r: &RightsNotice) -> Result<(), DocError> {
        let obj = self.container("rights_notice")?;
        let channels =
            serde_json::to_string(&r.remedy_channels).map_err(|_| DocError::Malformed {
                path: "rights_notice.remedy_channels".into(),
            })?;
        let d = &mut self.doc;
        d.put(&obj, "notice_version", r.notice_version.as_str())?;
        d.put(&obj, "remedy_channels", channels)?;
        match &r.acknowledgement {
            Acknowledgement::Signed {
                signer_name,
                signature_sha256,
            } => {
                d.put(&obj, "ack_kind", "signed")?;
                d.put(&obj, "signer_name", signer_name.as_str())?;
                d.put(&obj, "signature_sha256", signature_sha256.as_str())?;
            }
            Acknowledgement::Refused {
                witness_name,
                reason,
            } => {
                d.put(&obj, "ack_kind", "refused")?;
                d.put(&obj, "witness_name", witness_name.as_str())?;
                d.put(&obj, "refusal_reason", reason.as_str())?;
            }
        }
        d.put(&obj, "given_at", ms(r.given_at))?;
        d.put(&obj, "given_by", r.given_by.as_str())?;
        self.commit("rights_notice", r.given_at);
        Ok(())
    }

    /// Overwrites one scalar field (which also resolves a conflict on it).
    pub fn set_scalar(
        &mut self,
        field: ScalarField,
        value: &str,
        at: DateTime<Utc>,
    ) -> Result<(), DocError> {
        let (map, key) = field.path();
        let obj = self.container(map)?;
        self.doc.put(&obj, key, value)?;
        self.commit("edit", at);
        Ok(())
    }

    /// Marks the on-site record closed.
    pub fn set_closure(&mut self, c: &Closure) -> Result<(), DocError> {
        let obj = self.container("closure")?;
        self.doc.put(&obj, "closed_at", ms(c.closed_at))?;
        self.doc.put(&obj, "closed_by", c.closed_by.as_str())?;
        self.commit("close", c.closed_at);
        Ok(())
    }

    /// Appends an amendment (needs schema v2).
    pub fn add_amendment(&mut self, a: &Amendment) -> Result<(), DocError> {
        self.insert_record_with_evidence(
            "amendments",
            &[
                ("id", a.id.as_str().into()),
                ("amends", a.amends.as_str().into()),
                ("text", a.text.as_str().into()),
                ("author", a.author.as_str().into()),
                ("at", ms(a.at).into()),
            ],
            &a.evidence,
        )?;
        self.commit("amendment", a.at);
        Ok(())
    }

    /// Appends a supervisor's review comment (needs schema v3). Only supervisors
    /// write under `review`; the server enforces it.
    pub fn add_review_comment(&mut self, c: &ReviewComment) -> Result<(), DocError> {
        let review = self.container("review")?;
        let list = match self.doc.get(&review, "comments")? {
            Some((Value::Object(ObjType::List), id)) => id,
            _ => {
                return Err(DocError::Malformed {
                    path: "review.comments".into(),
                });
            }
        };
        let at = self.doc.length(&list);
        let obj = self.doc.insert_object(&list, at, ObjType::Map)?;
        let d = &mut self.doc;
        d.put(&obj, "id", c.id.as_str())?;
        d.put(&obj, "author_id", c.author_id.as_str())?;
        d.put(&obj, "author_name", c.author_name.as_str())?;
        d.put(&obj, "at", ms(c.at))?;
        d.put(&obj, "text", c.text.as_str())?;
        if let Some(item) = &c.item {
            d.put(&obj, "item", item.as_str())?;
        }
        self.commit("review_comment", c.at);
        Ok(())
    }

    /// Writes the supervisor's decision (approve or return).
    pub fn set_review_decision(&mut self, d: &ReviewDecision) -> Result<(), DocError> {
        let review = self.container("review")?;
        let doc = &mut self.doc;
        doc.put(&review, "decision", d.decision.as_str())?;
        doc.put(&review, "decided_by", d.decided_by.as_str())?;
        doc.put(&review, "decided_by_name", d.decided_by_name.as_str())?;
        doc.put(&review, "decided_at", ms(d.decided_at))?;
        self.commit("review_decision", d.decided_at);
        Ok(())
    }

    fn review(&self) -> Result<Review, DocError> {
        let Some((Value::Object(ObjType::Map), review)) = self.doc.get(ROOT, "review")? else {
            return Ok(Review::default());
        };
        let review = self.fields(&review);
        let p = "review";
        let decision = match review.str("decision") {
            None => None,
            Some(kind) => Some(ReviewDecision {
                decision: ReviewOutcome::parse(&kind).ok_or(DocError::Malformed {
                    path: "review.decision".into(),
                })?,
                decided_by: review.req_str(p, "decided_by")?,
                decided_by_name: review.req_str(p, "decided_by_name")?,
                decided_at: review.req_time(p, "decided_at")?,
            }),
        };
        let mut comments = vec![];
        if let Some(list) = review.object("comments", ObjType::List) {
            for obj in self.maps_in(&list) {
                let p = "review.comments[]";
                comments.push(ReviewComment {
                    id: obj.req_str(p, "id")?,
                    author_id: obj.req_str(p, "author_id")?,
                    author_name: obj.req_str(p, "author_name")?,
                    at: obj.req_time(p, "at")?,
                    text: obj.req_str(p, "text")?,
                    item: obj.str("item"),
                });
            }
        }
        Ok(Review { decision, comments })
    }

    // ---- reads ----------------------------------------------------------

    /// The visible values of the map `obj`, in one pass.
    fn fields(&self, obj: &ObjId) -> Fields<'_> {
        Fields {
            items: self.doc.map_range(obj, ..).collect(),
        }
    }

    /// The visible values of the map held by the root key `key`.
    fn container_fields(&self, key: &str) -> Result<Fields<'_>, DocError> {
        Ok(self.fields(&self.container(key)?))
    }

    /// A check-in's `location` map (v4): absent, or complete with every field typed.
    fn location(&self, entry: &Fields<'_>) -> Result<Option<CaptureLocation>, DocError> {
        let p = "team[].location";
        let loc = match entry.get("location").map(|i| (&i.value, i.id())) {
            None => return Ok(None),
            Some((ValueRef::Object(ObjType::Map), id)) => self.fields(&id),
            Some(_) => return Err(DocError::Malformed { path: p.into() }),
        };
        let num = |key: &str| -> Result<f64, DocError> {
            loc.f64(key).ok_or_else(|| DocError::Malformed {
                path: format!("{p}.{key}"),
            })
        };
        Ok(Some(CaptureLocation {
            lat: num("lat")?,
            lon: num("lon")?,
            accuracy_m: num("accuracy_m")?,
            fixed_at: loc.req_time(p, "fixed_at")?,
        }))
    }

    fn str_list(&self, f: &Fields<'_>, key: &str) -> Result<Vec<String>, DocError> {
        let Some(list) = f.object(key, ObjType::List) else {
            return Ok(vec![]);
        };
        Ok(self
            .doc
            .list_range(&list, ..)
            .filter_map(|i| match i.value {
                ValueRef::Scalar(ScalarValueRef::Str(s)) => Some(s.to_string()),
                _ => None,
            })
            .collect())
    }

    /// The maps in the list `list`, each read in one pass.
    fn maps_in(&self, list: &ObjId) -> Vec<Fields<'_>> {
        self.doc
            .list_range(list, ..)
            .filter(|i| i.value == ValueRef::Object(ObjType::Map))
            .map(|i| self.fields(&i.id()))
            .collect()
    }

    fn list_items(&self, key: &str) -> Result<Vec<Fields<'_>>, DocError> {
        let list = match self.doc.get(ROOT, key)? {
            Some((Value::Object(ObjType::List), id)) => id,
            Some(_) => return Err(DocError::Malformed { path: key.into() }),
            // Containers added by a later schema step are absent in older documents.
            None => return Ok(vec![]),
        };
        Ok(self.maps_in(&list))
    }

    fn meta(&self) -> Result<InspectionMeta, DocError> {
        let m = self.container_fields("meta")?;
        let p = "meta";
        let kind_s = m.req_str(p, "kind")?;
        Ok(InspectionMeta {
            id: m.req_str(p, "id")?,
            kind: InspectionKind::parse(&kind_s).ok_or(DocError::Malformed {
                path: "meta.kind".into(),
            })?,
            task_id: m.str("task_id"),
            agency_id: m.req_str(p, "agency_id")?,
            agency_name: m.req_str(p, "agency_name")?,
            target_id: m.req_str(p, "target_id")?,
            target_name: m.req_str(p, "target_name")?,
            target_credit_code: m.str("target_credit_code"),
            target_address: m.req_str(p, "target_address")?,
            target_area: m.req_str(p, "target_area")?,
            target_is_natural_person: matches!(
                m.get("target_is_natural_person").map(|i| &i.value),
                Some(ValueRef::Scalar(ScalarValueRef::Boolean(true)))
            ),
            category: m.req_str(p, "category")?,
            item_code: m.req_str(p, "item_code")?,
            item_name: m.req_str(p, "item_name")?,
            legal_basis: m.str("legal_basis").unwrap_or_default(),
            opened_at: m.req_time(p, "opened_at")?,
            opened_by: m.req_str(p, "opened_by")?,
            device_id: m.req_str(p, "device_id")?,
        })
    }

    /// Reads the inspection id without reading the rest.
    pub fn id(&self) -> Result<String, DocError> {
        let m = self.container_fields("meta")?;
        m.req_str("meta", "id")
    }

    /// Reads the inspection as it was at `heads` (e.g. when a page showed it), to
    /// tell what changed since. Fails if the document does not contain `heads`.
    pub fn read_at(&mut self, heads: &[ChangeHash]) -> Result<Inspection, DocError> {
        let at = self.doc.fork_at(heads)?;
        InspectionDoc { doc: at }.read()
    }

    /// Reads the whole inspection into plain types.
    pub fn read(&self) -> Result<Inspection, DocError> {
        let mut inspection = self.read_for_checks()?;
        inspection.conflicts = self.conflicts()?;
        Ok(inspection)
    }

    /// [`InspectionDoc::read`] without the conflict walk: `conflicts` is left empty,
    /// every other field is read (and checked) exactly as `read` does. For the
    /// server's merge (issue 19), whose rule checks and queue summary never look at
    /// conflicts; whatever shows a record to a person uses `read`.
    pub fn read_for_checks(&self) -> Result<Inspection, DocError> {
        let meta = self.meta()?;

        let mut team: Vec<TeamMember> = vec![];
        for obj in self.list_items("team")? {
            let p = "team[]";
            let valid = obj.req_str(p, "certificate_valid_until")?;
            let member = TeamMember {
                officer_id: obj.req_str(p, "officer_id")?,
                name: obj.req_str(p, "name")?,
                certificate_no: obj.req_str(p, "certificate_no")?,
                certificate_valid_until: NaiveDate::parse_from_str(&valid, "%Y-%m-%d").map_err(
                    |_| DocError::Malformed {
                        path: "team[].certificate_valid_until".into(),
                    },
                )?,
                checked_in_at: obj.req_time(p, "at")?,
                device_id: obj.req_str(p, "device_id")?,
                location: self.location(&obj)?,
            };
            match team.iter_mut().find(|m| m.officer_id == member.officer_id) {
                Some(existing) if existing.checked_in_at > member.checked_in_at => {
                    *existing = member
                }
                Some(_) => {}
                None => team.push(member),
            }
        }

        let idn = self.container_fields("identity_notice")?;
        let identity_notice = match idn.str("statement") {
            None => None,
            Some(statement) => Some(IdentityNotice {
                statement,
                recording_sha256: idn.req_str("identity_notice", "recording_sha256")?,
                given_at: idn.req_time("identity_notice", "given_at")?,
                given_by: idn.req_str("identity_notice", "given_by")?,
            }),
        };

        let mut findings = vec![];
        for obj in self.list_items("findings")? {
            let p = "findings[]";
            findings.push(Finding {
                id: obj.req_str(p, "id")?,
                text: obj.req_str(p, "text")?,
                author: obj.req_str(p, "author")?,
                at: obj.req_time(p, "at")?,
                evidence: self.str_list(&obj, "evidence")?,
            });
        }

        let mut evidence: Vec<EvidenceRef> = vec![];
        for obj in self.list_items("evidence")? {
            let p = "evidence[]";
            let kind = obj.req_str(p, "kind")?;
            let step = obj.req_str(p, "step")?;
            let e = EvidenceRef {
                sha256: obj.req_str(p, "sha256")?,
                kind: EvidenceKind::parse(&kind).ok_or(DocError::Malformed {
                    path: "evidence[].kind".into(),
                })?,
                media_type: obj.req_str(p, "media_type")?,
                size_bytes: obj.int("size_bytes").unwrap_or(0).max(0) as u64,
                captured_at: obj.req_time(p, "captured_at")?,
                captured_by: obj.req_str(p, "captured_by")?,
                device_id: obj.req_str(p, "device_id")?,
                step: InspectionStep::parse(&step).ok_or(DocError::Malformed {
                    path: "evidence[].step".into(),
                })?,
                lat: obj.f64("lat"),
                lon: obj.f64("lon"),
                accuracy_m: obj.f64("accuracy_m"),
                fixed_at: match obj.int("fixed_at") {
                    Some(t) => Some(from_ms("evidence[].fixed_at", t)?),
                    None => None,
                },
            };
            if !evidence.iter().any(|x| x.sha256 == e.sha256) {
                evidence.push(e);
            }
        }

        let rn = self.container_fields("rights_notice")?;
        let p = "rights_notice";
        let rights_notice = match rn.str("ack_kind") {
            None => None,
            Some(kind) => {
                let acknowledgement = match kind.as_str() {
                    "signed" => Acknowledgement::Signed {
                        signer_name: rn.req_str(p, "signer_name")?,
                        signature_sha256: rn.req_str(p, "signature_sha256")?,
                    },
                    "refused" => Acknowledgement::Refused {
                        witness_name: rn.req_str(p, "witness_name")?,
                        reason: rn.str("refusal_reason").unwrap_or_default(),
                    },
                    _ => {
                        return Err(DocError::Malformed {
                            path: "rights_notice.ack_kind".into(),
                        });
                    }
                };
                let channels = rn.req_str(p, "remedy_channels")?;
                Some(RightsNotice {
                    notice_version: rn.req_str(p, "notice_version")?,
                    remedy_channels: serde_json::from_str(&channels).map_err(|_| {
                        DocError::Malformed {
                            path: "rights_notice.remedy_channels".into(),
                        }
                    })?,
                    acknowledgement,
                    given_at: rn.req_time(p, "given_at")?,
                    given_by: rn.req_str(p, "given_by")?,
                })
            }
        };

        let cl = self.container_fields("closure")?;
        let closure = match cl.int("closed_at") {
            None => None,
            Some(t) => Some(Closure {
                closed_at: from_ms("closure.closed_at", t)?,
                closed_by: cl.req_str("closure", "closed_by")?,
            }),
        };

        let mut amendments = vec![];
        for obj in self.list_items("amendments")? {
            let p = "amendments[]";
            amendments.push(Amendment {
                id: obj.req_str(p, "id")?,
                amends: obj.req_str(p, "amends")?,
                text: obj.req_str(p, "text")?,
                author: obj.req_str(p, "author")?,
                at: obj.req_time(p, "at")?,
                evidence: self.str_list(&obj, "evidence")?,
            });
        }

        Ok(Inspection {
            schema_version: self.schema_version()?,
            meta,
            team,
            identity_notice,
            findings,
            evidence,
            rights_notice,
            closure,
            amendments,
            review: self.review()?,
            conflicts: vec![],
        })
    }

    /// Every map key holding more than one concurrent value, anywhere in the
    /// document: both values are kept and listed here, never dropped.
    pub fn conflicts(&self) -> Result<Vec<FieldConflict>, DocError> {
        let mut out = vec![];
        self.walk_conflicts(&ROOT, ObjType::Map, "", &mut out)?;
        Ok(out)
    }

    /// One pass over each object (`map_range` / `list_range`, issue 19): only a key
    /// automerge flags as holding several values is looked at value by value.
    fn walk_conflicts(
        &self,
        obj: &ObjId,
        kind: ObjType,
        path: &str,
        out: &mut Vec<FieldConflict>,
    ) -> Result<(), DocError> {
        let join = |k: &str| {
            if path.is_empty() {
                k.to_string()
            } else {
                format!("{path}.{k}")
            }
        };
        match kind {
            ObjType::Map | ObjType::Table => {
                for item in self.doc.map_range(obj, ..) {
                    if item.conflict {
                        self.key_conflict(obj, &item.key, &join(&item.key), out)?;
                    } else if let ValueRef::Object(t) = item.value {
                        self.walk_conflicts(&item.id(), t, &join(&item.key), out)?;
                    }
                }
            }
            ObjType::List => {
                for item in self.doc.list_range(obj, ..) {
                    let at = format!("{path}[{}]", item.index);
                    if item.conflict {
                        for (v, id) in self.doc.get_all(obj, item.index)? {
                            if let Value::Object(t) = v {
                                self.walk_conflicts(&id, t, &at, out)?;
                            }
                        }
                    } else if let ValueRef::Object(t) = item.value {
                        self.walk_conflicts(&item.id(), t, &at, out)?;
                    }
                }
            }
            ObjType::Text => {}
        }
        Ok(())
    }

    /// A map key holding several concurrent values: listed if they differ (the
    /// value `get`, and so `read`, shows first); objects among them are walked.
    fn key_conflict(
        &self,
        obj: &ObjId,
        k: &str,
        at: &str,
        out: &mut Vec<FieldConflict>,
    ) -> Result<(), DocError> {
        let all = self.doc.get_all(obj, k)?;
        let values = distinct_values(&self.doc, obj, k, &all, |v| Some(scalar_text(k, v)))?;
        if values.len() > 1 {
            out.push(FieldConflict {
                path: at.to_string(),
                values,
            });
        }
        for (v, id) in all {
            if let Value::Object(t) = v {
                self.walk_conflicts(&id, t, at, out)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use chrono::TimeZone;

    /// The conflict walk as it was before issue 19 (every key through `get_all`):
    /// the reference the one-pass walk is compared with.
    fn conflicts_by_key(d: &InspectionDoc) -> Vec<FieldConflict> {
        let mut out = vec![];
        walk_by_key(d, &ROOT, String::new(), &mut out);
        out
    }

    fn walk_by_key(this: &InspectionDoc, obj: &ObjId, path: String, out: &mut Vec<FieldConflict>) {
        let join = |k: &str| {
            if path.is_empty() {
                k.to_string()
            } else {
                format!("{path}.{k}")
            }
        };
        match this.doc.object_type(obj).unwrap() {
            ObjType::Map | ObjType::Table => {
                let keys: Vec<String> = this.doc.keys(obj).collect();
                for k in keys {
                    let all = this.doc.get_all(obj, k.as_str()).unwrap();
                    if all.len() > 1 {
                        // The value `get` (and so `read`) shows comes first.
                        let winner = this.doc.get(obj, k.as_str()).unwrap().map(|(_, id)| id);
                        let mut values: Vec<String> = vec![];
                        let ordered = all
                            .iter()
                            .filter(|(_, id)| Some(id) == winner.as_ref())
                            .chain(all.iter().filter(|(_, id)| Some(id) != winner.as_ref()));
                        for (v, _) in ordered {
                            let text = scalar_text(&k, v);
                            if !values.contains(&text) {
                                values.push(text);
                            }
                        }
                        // Two devices writing the same value is not a disagreement.
                        if values.len() > 1 {
                            out.push(FieldConflict {
                                path: join(&k),
                                values,
                            });
                        }
                    }
                    for (v, id) in all {
                        if let Value::Object(_) = v {
                            walk_by_key(this, &id, join(&k), out);
                        }
                    }
                }
            }
            ObjType::List => {
                for i in 0..this.doc.length(obj) {
                    let all = this.doc.get_all(obj, i).unwrap();
                    for (v, id) in all {
                        if let Value::Object(_) = v {
                            walk_by_key(this, &id, format!("{path}[{i}]"), out);
                        }
                    }
                }
            }
            ObjType::Text => {}
        }
    }

    pub(crate) fn t(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 20, h, m, 0).unwrap()
    }

    pub(crate) fn meta() -> InspectionMeta {
        InspectionMeta {
            id: "0193a5c0-0000-7000-8000-000000000001".into(),
            kind: InspectionKind::Task,
            task_id: Some("task-1".into()),
            agency_id: "a1".into(),
            agency_name: "清远市生态环境局".into(),
            target_id: "t1".into(),
            target_name: "清远某化工有限公司".into(),
            target_credit_code: Some("91350100M000100Y43".into()),
            target_address: "清远市清城区工业大道 1 号".into(),
            target_area: "441802".into(),
            target_is_natural_person: false,
            category: "生态环境".into(),
            item_code: "HB-01".into(),
            item_name: "排污许可执行情况检查".into(),
            legal_basis: "《排污许可管理条例》".into(),
            opened_at: t(1, 0),
            opened_by: "o1".into(),
            device_id: "dev-a".into(),
        }
    }

    fn actor(n: u8) -> ActorId {
        ActorId::from(vec![n; 16])
    }

    fn finding(id: &str, text: &str, who: &str, at: DateTime<Utc>) -> Finding {
        Finding {
            id: id.into(),
            text: text.into(),
            author: who.into(),
            at,
            evidence: vec!["ab".repeat(32)],
        }
    }

    #[test]
    fn create_and_read_round_trip() {
        let mut d = InspectionDoc::create(actor(1), NewInspection { meta: meta() }).unwrap();
        d.add_finding(&finding("f1", "排污口标识缺失", "o1", t(1, 5)))
            .unwrap();
        let bytes = d.save();
        let loaded = InspectionDoc::load(&bytes).unwrap();
        let i = loaded.read().unwrap();
        assert_eq!(i.meta, meta());
        assert_eq!(i.schema_version, BASE_SCHEMA_VERSION);
        assert_eq!(i.findings.len(), 1);
        assert_eq!(i.findings[0].evidence, vec!["ab".repeat(32)]);
        assert!(i.conflicts.is_empty());
    }

    #[test]
    fn read_for_checks_is_read_without_the_conflict_walk() {
        let mut a = InspectionDoc::create(actor(1), NewInspection { meta: meta() }).unwrap();
        a.add_finding(&finding("f1", "排污口标识缺失", "o1", t(1, 5)))
            .unwrap();
        let mut b = a.fork_as(actor(2));
        for (d, text) in [(&mut a, "版本甲"), (&mut b, "版本乙")] {
            let am = d.automerge_mut();
            let (_, list) = am.get(ROOT, "findings").unwrap().unwrap();
            let (_, item) = am.get(&list, 0).unwrap().unwrap();
            am.put(&item, "text", text).unwrap();
        }
        a.merge(&mut b).unwrap();
        let full = a.read().unwrap();
        assert_eq!(full.conflicts.len(), 1, "{:?}", full.conflicts);
        let checked = a.read_for_checks().unwrap();
        assert!(checked.conflicts.is_empty());
        assert_eq!(
            Inspection {
                conflicts: full.conflicts.clone(),
                ..checked
            },
            full
        );
    }

    #[test]
    fn read_at_shows_the_record_as_it_was_at_older_heads() {
        let mut d = InspectionDoc::create(actor(1), NewInspection { meta: meta() }).unwrap();
        d.add_finding(&finding("f1", "排污口标识缺失", "o1", t(1, 5)))
            .unwrap();
        let then = d.heads();
        d.add_finding(&finding("f2", "雨水排口有积水", "o1", t(1, 6)))
            .unwrap();
        let old = d.read_at(&then).unwrap();
        assert_eq!(old.findings.len(), 1);
        assert_eq!(
            d.read().unwrap().findings.len(),
            2,
            "the document is unchanged"
        );
        let unknown = ChangeHash::try_from([7u8; 32].as_slice()).unwrap();
        assert!(d.read_at(&[unknown]).is_err(), "heads it does not contain");
    }

    #[test]
    fn two_devices_adding_findings_concurrently_keep_both() {
        let mut a = InspectionDoc::create(actor(1), NewInspection { meta: meta() }).unwrap();
        let mut b = a.fork_as(actor(2));
        a.add_finding(&finding("f1", "A 的发现", "o1", t(1, 5)))
            .unwrap();
        b.add_finding(&finding("f2", "B 的发现", "o2", t(1, 6)))
            .unwrap();
        a.merge(&mut b).unwrap();
        b.merge(&mut a).unwrap();
        let (ia, ib) = (a.read().unwrap(), b.read().unwrap());
        assert_eq!(ia, ib);
        assert_eq!(ia.findings.len(), 2);
    }

    #[test]
    fn two_documents_created_independently_share_containers() {
        // The pitfall of AUTOMERGE.md: independently created containers would hide
        // each other's items. The schema chain makes them the same object.
        let mut a = InspectionDoc::create(actor(1), NewInspection { meta: meta() }).unwrap();
        let mut b = InspectionDoc::create(actor(2), NewInspection { meta: meta() }).unwrap();
        a.add_finding(&finding("f1", "甲", "o1", t(1, 5))).unwrap();
        b.add_finding(&finding("f2", "乙", "o2", t(1, 6))).unwrap();
        a.merge(&mut b).unwrap();
        let i = a.read().unwrap();
        assert_eq!(
            i.findings.len(),
            2,
            "no list hidden by a container conflict"
        );
    }

    #[test]
    fn concurrent_scalar_writes_are_kept_as_conflict() {
        let mut a = InspectionDoc::create(actor(1), NewInspection { meta: meta() }).unwrap();
        let mut b = a.fork_as(actor(2));
        a.set_scalar(ScalarField::IdentityStatement, "版本甲", t(2, 0))
            .unwrap();
        b.set_scalar(ScalarField::IdentityStatement, "版本乙", t(2, 1))
            .unwrap();
        a.merge(&mut b).unwrap();
        let c = a.conflicts().unwrap();
        assert_eq!(c.len(), 1, "{c:?}");
        assert_eq!(c[0].path, "identity_notice.statement");
        let mut values = c[0].values.clone();
        values.sort();
        assert_eq!(values, vec!["版本乙".to_string(), "版本甲".to_string()]);
        // Writing again resolves it.
        a.set_scalar(ScalarField::IdentityStatement, "最终版本", t(2, 2))
            .unwrap();
        assert!(a.conflicts().unwrap().is_empty());
    }

    #[test]
    fn v1_document_migrates_to_current_and_keeps_data() {
        let mut v1 =
            InspectionDoc::create_at_version(actor(1), 1, NewInspection { meta: meta() }).unwrap();
        assert_eq!(v1.schema_version().unwrap(), 1);
        v1.add_finding(&finding("f1", "旧版记录", "o1", t(1, 5)))
            .unwrap();
        let before = v1.read().unwrap();
        assert!(before.amendments.is_empty());
        // Amendments need v2.
        assert!(
            v1.add_amendment(&Amendment {
                id: "m1".into(),
                amends: "finding:f1".into(),
                text: "更正".into(),
                author: "o1".into(),
                at: t(3, 0),
                evidence: vec![],
            })
            .is_err()
        );
        let mut fork = v1.fork_as(actor(2));
        assert_eq!(v1.migrate().unwrap(), 1);
        assert_eq!(v1.schema_version().unwrap(), BASE_SCHEMA_VERSION);
        // The second device migrates on its own: the same change, no conflict.
        fork.migrate().unwrap();
        v1.merge(&mut fork).unwrap();
        assert!(v1.conflicts().unwrap().is_empty());
        let after = v1.read().unwrap();
        assert_eq!(after.findings, before.findings);
        v1.add_amendment(&Amendment {
            id: "m1".into(),
            amends: "finding:f1".into(),
            text: "更正".into(),
            author: "o1".into(),
            at: t(3, 0),
            evidence: vec![],
        })
        .unwrap();
        assert_eq!(v1.read().unwrap().amendments.len(), 1);
        // Migrating again is a no-op.
        assert_eq!(v1.migrate().unwrap(), BASE_SCHEMA_VERSION);
    }

    /// Regenerates the committed v1 fixture (run explicitly with `--ignored`); the
    /// fixture is committed so that later code changes cannot silently change what a
    /// v1 document looks like.
    #[test]
    #[ignore]
    fn write_v1_fixture() {
        let mut d =
            InspectionDoc::create_at_version(actor(1), 1, NewInspection { meta: meta() }).unwrap();
        d.add_team_member(&TeamMember {
            officer_id: "o1".into(),
            name: "张伟".into(),
            certificate_no: "44180020001".into(),
            certificate_valid_until: NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
            checked_in_at: t(1, 1),
            device_id: "dev-a".into(),
            location: None,
        })
        .unwrap();
        d.add_finding(&finding("f1", "v1 时代的检查发现", "o1", t(1, 5)))
            .unwrap();
        std::fs::write(
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/inspection_v1.automerge"
            ),
            d.save(),
        )
        .unwrap();
    }

    #[test]
    fn committed_v1_fixture_migrates() {
        let bytes = include_bytes!("../tests/fixtures/inspection_v1.automerge");
        let mut d = InspectionDoc::load(bytes).unwrap();
        assert_eq!(d.schema_version().unwrap(), 1);
        let before = d.read().unwrap();
        d.migrate().unwrap();
        let after = d.read().unwrap();
        assert_eq!(after.schema_version, BASE_SCHEMA_VERSION);
        assert_eq!(after.findings, before.findings);
        assert_eq!(after.team, before.team);
    }

    #[test]
    fn review_comments_from_two_supervisors_merge_and_survive_migration() {
        use crate::inspection::{ReviewComment, ReviewDecision, ReviewOutcome};
        // A v2 document (before review comments existed) is migrated on two copies.
        let mut a =
            InspectionDoc::create_at_version(actor(1), 2, NewInspection { meta: meta() }).unwrap();
        let mut b = a.fork_as(actor(2));
        a.migrate().unwrap();
        b.migrate().unwrap();
        let comment = |id: &str, who: &str| ReviewComment {
            id: id.into(),
            author_id: who.into(),
            author_name: format!("审核员{who}"),
            at: t(5, 0),
            text: format!("{who} 的意见"),
            item: Some("finding:f1".into()),
        };
        a.add_review_comment(&comment("c1", "s1")).unwrap();
        b.add_review_comment(&comment("c2", "s2")).unwrap();
        b.set_review_decision(&ReviewDecision {
            decision: ReviewOutcome::Returned,
            decided_by: "s2".into(),
            decided_by_name: "审核员s2".into(),
            decided_at: t(5, 1),
        })
        .unwrap();
        a.merge(&mut b).unwrap();
        let r = a.read().unwrap().review;
        assert_eq!(r.comments.len(), 2, "both comments kept: {r:?}");
        assert_eq!(r.decision.unwrap().decision, ReviewOutcome::Returned);
        assert!(a.conflicts().unwrap().is_empty());
    }

    #[test]
    fn newer_schema_is_refused_with_clear_error() {
        let mut d = InspectionDoc::create(actor(1), NewInspection { meta: meta() }).unwrap();
        d.doc.set_actor(ActorId::from(&SCHEMA_ACTOR[..]));
        d.doc.put(ROOT, "schema_version", 99i64).unwrap();
        d.doc.commit();
        let bytes = d.save();
        let e = InspectionDoc::load(&bytes).unwrap_err();
        assert!(matches!(e, DocError::NewerSchema { found: 99, .. }));
        assert!(e.to_string().contains("请升级应用"));
    }

    #[test]
    fn corrupt_bytes_are_refused() {
        let mut d = InspectionDoc::create(actor(1), NewInspection { meta: meta() }).unwrap();
        let mut bytes = d.save();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0xff;
        assert!(matches!(
            InspectionDoc::load(&bytes),
            Err(DocError::Corrupt(_))
        ));
        assert!(matches!(
            InspectionDoc::load(b"not a document"),
            Err(DocError::Corrupt(_))
        ));
    }

    fn located(at: DateTime<Utc>) -> CaptureLocation {
        CaptureLocation {
            lat: 23.681_2,
            lon: 113.056_1,
            accuracy_m: 8.5,
            fixed_at: at - chrono::Duration::seconds(20),
        }
    }

    fn member(officer: &str, at: DateTime<Utc>, location: Option<CaptureLocation>) -> TeamMember {
        TeamMember {
            officer_id: officer.into(),
            name: format!("{officer} 姓名"),
            certificate_no: format!("44{officer}"),
            certificate_valid_until: NaiveDate::from_ymd_opt(2030, 1, 1).unwrap(),
            checked_in_at: at,
            device_id: "dev-a".into(),
            location,
        }
    }

    fn photo(sha: char, at: DateTime<Utc>, location: Option<CaptureLocation>) -> EvidenceRef {
        EvidenceRef {
            sha256: sha.to_string().repeat(64),
            kind: EvidenceKind::Photo,
            media_type: "image/jpeg".into(),
            size_bytes: 10,
            captured_at: at,
            captured_by: "o1".into(),
            device_id: "dev-a".into(),
            step: InspectionStep::Findings,
            lat: None,
            lon: None,
            accuracy_m: None,
            fixed_at: None,
        }
        .with_location(location)
    }

    #[test]
    fn a_record_without_location_stays_at_v3_with_no_v4_change() {
        let mut d = InspectionDoc::create(actor(1), NewInspection { meta: meta() }).unwrap();
        d.add_team_member(&member("o1", t(1, 1), None)).unwrap();
        d.add_evidence(&photo('a', t(1, 2), None)).unwrap();
        assert_eq!(d.schema_version().unwrap(), BASE_SCHEMA_VERSION);
        let chain = schema_chain_hashes().unwrap();
        let has = d.automerge_mut().get_change_by_hash(&chain[3]).is_some();
        assert!(!has, "the v4 link is added only with a location");
        let i = d.read().unwrap();
        assert_eq!(i.team[0].location, None);
        assert_eq!(i.evidence[0].location(), None);
    }

    #[test]
    fn locations_round_trip_and_take_the_v4_link() {
        let mut d = InspectionDoc::create(actor(1), NewInspection { meta: meta() }).unwrap();
        let mut other = d.fork_as(actor(2));
        d.add_team_member(&member("o1", t(1, 1), Some(located(t(1, 1)))))
            .unwrap();
        assert_eq!(d.schema_version().unwrap(), LOCATION_SCHEMA_VERSION);
        d.add_evidence(&photo('a', t(1, 2), Some(located(t(1, 2)))))
            .unwrap();
        // A second device still at v3 checks in concurrently, without a position;
        // it takes the v4 link by merging, and nothing conflicts.
        other.add_team_member(&member("o2", t(1, 3), None)).unwrap();
        d.merge(&mut other).unwrap();
        other.merge(&mut d).unwrap();
        let bytes = d.save();
        let i = InspectionDoc::load(&bytes).unwrap().read().unwrap();
        assert_eq!(i.schema_version, LOCATION_SCHEMA_VERSION);
        assert_eq!(i, other.read().unwrap());
        assert!(i.conflicts.is_empty(), "{:?}", i.conflicts);
        let o1 = i.team.iter().find(|m| m.officer_id == "o1").unwrap();
        assert_eq!(o1.location, Some(located(t(1, 1))));
        let o2 = i.team.iter().find(|m| m.officer_id == "o2").unwrap();
        assert_eq!(o2.location, None);
        assert_eq!(i.evidence[0].location(), Some(located(t(1, 2))));
        assert_eq!(i.location_problem(), None);
        // Migrating a v4 document is a no-op (it is above the base version).
        let mut again = InspectionDoc::load(&bytes).unwrap();
        assert_eq!(again.migrate().unwrap(), LOCATION_SCHEMA_VERSION);
        assert_eq!(again.save(), bytes);
    }

    #[test]
    fn a_v1_document_takes_every_link_with_its_first_location() {
        let mut v1 =
            InspectionDoc::create_at_version(actor(1), 1, NewInspection { meta: meta() }).unwrap();
        v1.add_evidence(&photo('b', t(1, 2), Some(located(t(1, 2)))))
            .unwrap();
        let i = v1.read().unwrap();
        assert_eq!(i.schema_version, SCHEMA_VERSION);
        assert_eq!(i.evidence[0].location(), Some(located(t(1, 2))));
    }

    #[test]
    fn an_incomplete_check_in_location_does_not_read() {
        let mut d = InspectionDoc::create(actor(1), NewInspection { meta: meta() }).unwrap();
        d.add_team_member(&member("o1", t(1, 1), Some(located(t(1, 1)))))
            .unwrap();
        let team = d.container("team").unwrap();
        let Some((_, entry)) = d.doc.get(&team, 0).unwrap() else {
            panic!("entry")
        };
        let Some((_, loc)) = d.doc.get(&entry, "location").unwrap() else {
            panic!("location")
        };
        d.doc.delete(&loc, "accuracy_m").unwrap();
        d.doc.commit();
        let e = d.read().unwrap_err();
        assert!(e.to_string().contains("team[].location.accuracy_m"), "{e}");
    }

    // ---- the one-pass reads (issue 19) find what the per-key reads find ----

    use proptest::prelude::*;

    /// A raw edit by one of three devices, including shapes no client writes:
    /// concurrent objects under one key, conflicting list slots, deleted keys.
    #[derive(Debug, Clone)]
    enum Raw {
        Scalar {
            dev: usize,
            map: u8,
            key: u8,
            v: u8,
        },
        Time {
            dev: usize,
            map: u8,
            key: u8,
            v: i64,
        },
        Object {
            dev: usize,
            map: u8,
            key: u8,
            list: bool,
        },
        Push {
            dev: usize,
            map: u8,
            key: u8,
        },
        SetSlot {
            dev: usize,
            map: u8,
            key: u8,
            v: u8,
        },
        Delete {
            dev: usize,
            map: u8,
            key: u8,
        },
        Merge {
            from: usize,
            to: usize,
        },
    }

    fn raw() -> impl Strategy<Value = Raw> {
        let d = 0usize..3;
        prop_oneof![
            (d.clone(), 0u8..6, 0u8..4, 0u8..3).prop_map(|(dev, map, key, v)| Raw::Scalar {
                dev,
                map,
                key,
                v
            }),
            (d.clone(), 0u8..6, 0u8..4, 0i64..3).prop_map(|(dev, map, key, v)| Raw::Time {
                dev,
                map,
                key,
                v
            }),
            (d.clone(), 0u8..6, 0u8..4, any::<bool>()).prop_map(|(dev, map, key, list)| {
                Raw::Object {
                    dev,
                    map,
                    key,
                    list,
                }
            }),
            (d.clone(), 0u8..6, 0u8..4).prop_map(|(dev, map, key)| Raw::Push { dev, map, key }),
            (d.clone(), 0u8..6, 0u8..4, 0u8..3).prop_map(|(dev, map, key, v)| Raw::SetSlot {
                dev,
                map,
                key,
                v
            }),
            (d.clone(), 0u8..6, 0u8..4).prop_map(|(dev, map, key)| Raw::Delete { dev, map, key }),
            (d.clone(), d).prop_map(|(from, to)| Raw::Merge { from, to }),
        ]
    }

    const KEYS: [&str; 4] = ["statement", "given_at", "notes", "extra"];

    /// The maps of a document to edit: the root's containers, then any maps found
    /// one level down (inside a key or a list), all visible at the moment.
    fn maps(doc: &AutoCommit) -> Vec<ObjId> {
        let mut out = vec![];
        for c in ["meta", "identity_notice", "rights_notice", "closure"] {
            if let Ok(Some((Value::Object(ObjType::Map), id))) = doc.get(ROOT, c) {
                out.push(id);
            }
        }
        let tops = out.clone();
        for m in tops {
            for k in KEYS {
                if let Ok(all) = doc.get_all(&m, k) {
                    for (v, id) in all {
                        match v {
                            Value::Object(ObjType::Map) => out.push(id),
                            Value::Object(ObjType::List) => {
                                for i in 0..doc.length(&id) {
                                    if let Ok(Some((Value::Object(ObjType::Map), x))) =
                                        doc.get(&id, i)
                                    {
                                        out.push(x);
                                    }
                                }
                            }
                            _ => {}
                        }
                    }
                }
            }
        }
        out
    }

    fn apply(devs: &mut [InspectionDoc], op: &Raw) {
        use automerge::transaction::Transactable;
        let pick = |doc: &AutoCommit, map: u8| {
            let all = maps(doc);
            all[map as usize % all.len()].clone()
        };
        match *op {
            Raw::Merge { from, to } => {
                if from != to {
                    let mut src = devs[from].fork_as(actor(99));
                    devs[to].merge(&mut src).unwrap();
                }
            }
            Raw::Scalar { dev, map, key, v } => {
                let d = devs[dev].automerge_mut();
                let m = pick(d, map);
                d.put(&m, KEYS[key as usize], ["甲", "乙", "甲乙"][v as usize])
                    .unwrap();
            }
            Raw::Time { dev, map, key, v } => {
                let d = devs[dev].automerge_mut();
                let m = pick(d, map);
                d.put(&m, KEYS[key as usize], 1_790_000_000_000 + v)
                    .unwrap();
            }
            Raw::Object {
                dev,
                map,
                key,
                list,
            } => {
                let d = devs[dev].automerge_mut();
                let m = pick(d, map);
                let kind = if list { ObjType::List } else { ObjType::Map };
                d.put_object(&m, KEYS[key as usize], kind).unwrap();
            }
            Raw::Push { dev, map, key } => {
                let d = devs[dev].automerge_mut();
                let m = pick(d, map);
                if let Ok(Some((Value::Object(ObjType::List), l))) = d.get(&m, KEYS[key as usize]) {
                    let n = d.length(&l);
                    let item = d.insert_object(&l, n, ObjType::Map).unwrap();
                    d.put(&item, "statement", "丙").unwrap();
                }
            }
            Raw::SetSlot { dev, map, key, v } => {
                let d = devs[dev].automerge_mut();
                let m = pick(d, map);
                if let Ok(Some((Value::Object(ObjType::List), l))) = d.get(&m, KEYS[key as usize])
                    && d.length(&l) > 0
                {
                    if v == 0 {
                        d.put_object(&l, 0, ObjType::Map).unwrap();
                    } else {
                        d.put(&l, 0, i64::from(v)).unwrap();
                    }
                }
            }
            Raw::Delete { dev, map, key } => {
                let d = devs[dev].automerge_mut();
                let m = pick(d, map);
                let _ = d.delete(&m, KEYS[key as usize]);
            }
        }
        if let Raw::Scalar { dev, .. }
        | Raw::Time { dev, .. }
        | Raw::Object { dev, .. }
        | Raw::Push { dev, .. }
        | Raw::SetSlot { dev, .. }
        | Raw::Delete { dev, .. } = *op
        {
            devs[dev].automerge_mut().commit();
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(96))]

        /// On random histories of three devices (hostile shapes included), the
        /// one-pass conflict walk lists exactly what the per-key walk lists, in the
        /// same order, and `read` agrees with the document it reads (it fails or
        /// succeeds alike on every copy after a full merge).
        #[test]
        fn one_pass_conflict_walk_matches_the_per_key_walk(
            ops in proptest::collection::vec(raw(), 1..40),
        ) {
            let a = InspectionDoc::create(actor(1), NewInspection { meta: meta() }).unwrap();
            let mut devs = vec![a];
            for n in 2..=3 {
                let f = devs[0].fork_as(actor(n));
                devs.push(f);
            }
            for op in &ops {
                apply(&mut devs, op);
                for d in &devs {
                    prop_assert_eq!(d.conflicts().unwrap(), conflicts_by_key(d));
                }
            }
            for i in 1..3 {
                let mut src = devs[i].fork_as(actor(98));
                devs[0].merge(&mut src).unwrap();
            }
            prop_assert_eq!(devs[0].conflicts().unwrap(), conflicts_by_key(&devs[0]));
            // `read_for_checks` reads (or refuses) exactly as `read`, without conflicts.
            let checked = devs[0].read_for_checks().map(|i| Inspection {
                conflicts: devs[0].conflicts().unwrap(),
                ..i
            });
            prop_assert_eq!(checked.ok(), devs[0].read().ok());
            let saved = devs[0].save();
            let reloaded = InspectionDoc::load(&saved).unwrap();
            prop_assert_eq!(reloaded.read().ok(), devs[0].read().ok());
        }
    }
}
