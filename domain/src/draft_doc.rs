//! A proposed decision (拟作出的执法决定) as an automerge document, so drafting is a
//! change in a CRDT document like the inspection: two people editing different
//! fields (or one editing from a page loaded earlier, or offline) merge without
//! losing either edit; two edits of the same field keep both values, one shown and
//! the other listed by [`DraftDoc::conflicts`].
//!
//! Layout: the root map holds `schema_version`, `id`, `agency_id`, `created_by`,
//! `created_at` (ms) and one scalar per field of [`DraftContent`] (`fine_fen` is
//! an Int or absent; `other_items` is the selected catalogue items joined by
//! newlines, absent in older drafts); `inspections` is a map of inspection id → true and
//! `evidence` a map of `inspection_id/sha256` → note, so adding links from two
//! places merges. Only one creator ever makes a draft's skeleton (its id is new),
//! so the containers cannot be created twice.

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{
    ActorId, AutoCommit, ChangeHash, ObjId, ObjType, ROOT, ReadDoc, ScalarValue, Value,
};
use chrono::{DateTime, Utc};

use crate::legal::{DecisionKind, DraftContent, EvidenceLink, PartyKind};

/// Schema version of draft documents.
pub const DRAFT_SCHEMA_VERSION: u64 = 1;

/// Errors of draft documents.
#[derive(Debug, thiserror::Error)]
pub enum DraftDocError {
    /// The bytes are not an automerge document.
    #[error("决定草案文档已损坏：{0}")]
    Corrupt(String),
    /// A field is missing or of the wrong type.
    #[error("决定草案文档字段 {0} 缺失或格式错误")]
    Malformed(String),
    /// Written by a newer program.
    #[error("决定草案文档版本为 {found}，本程序仅支持到 {supported}；请升级")]
    NewerSchema {
        /// Version found.
        found: u64,
        /// Highest supported.
        supported: u64,
    },
    /// The heads are not in this document.
    #[error("页面所依据的草案版本不在本文档中")]
    UnknownHeads,
    /// automerge failed.
    #[error("决定草案文档操作失败：{0}")]
    Automerge(#[from] automerge::AutomergeError),
}

/// A draft document with a typed API.
#[derive(Debug)]
pub struct DraftDoc {
    doc: AutoCommit,
}

/// Who made a draft and when (fixed at creation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftMeta {
    /// Draft id.
    pub id: String,
    /// Agency.
    pub agency_id: String,
    /// The drafter's user id.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// A field with concurrent values (both kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftConflict {
    /// Field name.
    pub field: String,
    /// The values, the one shown first.
    pub values: Vec<String>,
}

const TEXT_FIELDS: [&str; 11] = [
    "title",
    "category",
    "party_name",
    "party_code",
    "legal_basis",
    "facts",
    "discretion",
    "conclusion",
    "confidential",
    "other_items",
    "kind",
];

const FLAG_FIELDS: [&str; 8] = [
    "revocation",
    "suspension",
    "major_coercion",
    "hearing_held",
    "crime_suspected",
    "public_interest",
    "social_risk",
    "complex",
];

fn flag(c: &DraftContent, name: &str) -> bool {
    match name {
        "revocation" => c.revocation,
        "suspension" => c.suspension,
        "major_coercion" => c.major_coercion,
        "hearing_held" => c.hearing_held,
        "crime_suspected" => c.crime_suspected,
        "public_interest" => c.public_interest,
        "social_risk" => c.social_risk,
        _ => c.complex,
    }
}

fn set_flag(c: &mut DraftContent, name: &str, v: bool) {
    match name {
        "revocation" => c.revocation = v,
        "suspension" => c.suspension = v,
        "major_coercion" => c.major_coercion = v,
        "hearing_held" => c.hearing_held = v,
        "crime_suspected" => c.crime_suspected = v,
        "public_interest" => c.public_interest = v,
        "social_risk" => c.social_risk = v,
        _ => c.complex = v,
    }
}

fn text(c: &DraftContent, name: &str) -> String {
    match name {
        "title" => c.title.clone(),
        "category" => c.category.clone(),
        "party_name" => c.party_name.clone(),
        "party_code" => c.party_code.clone(),
        "legal_basis" => c.legal_basis.clone(),
        "facts" => c.facts.clone(),
        "discretion" => c.discretion.clone(),
        "conclusion" => c.conclusion.clone(),
        "confidential" => c.confidential.clone(),
        "other_items" => c.other_items.join("\n"),
        _ => c.kind.as_str().to_string(),
    }
}

fn evidence_key(e: &EvidenceLink) -> String {
    format!("{}/{}", e.inspection_id, e.sha256)
}

impl DraftDoc {
    /// A new draft made by `actor` with `content`.
    pub fn create(
        actor: ActorId,
        meta: &DraftMeta,
        content: &DraftContent,
    ) -> Result<Self, DraftDocError> {
        let mut doc = AutoCommit::new().with_actor(actor);
        doc.put(ROOT, "schema_version", DRAFT_SCHEMA_VERSION)?;
        doc.put(ROOT, "id", meta.id.as_str())?;
        doc.put(ROOT, "agency_id", meta.agency_id.as_str())?;
        doc.put(ROOT, "created_by", meta.created_by.as_str())?;
        doc.put(ROOT, "created_at", meta.created_at.timestamp_millis())?;
        doc.put(ROOT, "party_kind", content.party_kind.as_str())?;
        doc.put_object(ROOT, "inspections", ObjType::Map)?;
        doc.put_object(ROOT, "evidence", ObjType::Map)?;
        let mut this = DraftDoc { doc };
        let empty = DraftContent::empty(content.kind);
        this.write_changes(&empty, content, true)?;
        this.commit("create", meta.created_at);
        Ok(this)
    }

    /// Loads a saved draft document.
    pub fn load(bytes: &[u8]) -> Result<Self, DraftDocError> {
        let doc = AutoCommit::load(bytes).map_err(|e| DraftDocError::Corrupt(e.to_string()))?;
        let this = DraftDoc { doc };
        let v = match this.doc.get(ROOT, "schema_version")? {
            Some((Value::Scalar(s), _)) => match s.as_ref() {
                ScalarValue::Uint(u) => *u,
                ScalarValue::Int(i) if *i >= 0 => *i as u64,
                _ => return Err(DraftDocError::Malformed("schema_version".into())),
            },
            _ => return Err(DraftDocError::Malformed("schema_version".into())),
        };
        if v > DRAFT_SCHEMA_VERSION {
            return Err(DraftDocError::NewerSchema {
                found: v,
                supported: DRAFT_SCHEMA_VERSION,
            });
        }
        Ok(this)
    }

    /// Full save.
    pub fn save(&mut self) -> Vec<u8> {
        self.doc.save()
    }

    /// Current heads.
    pub fn heads(&mut self) -> Vec<ChangeHash> {
        self.doc.get_heads()
    }

    /// Current heads as hex, sorted.
    pub fn heads_hex(&mut self) -> Vec<String> {
        let mut v: Vec<String> = self.heads().iter().map(|h| h.to_string()).collect();
        v.sort();
        v
    }

    /// Merges another copy of the same draft into this one.
    pub fn merge(&mut self, other: &mut DraftDoc) -> Result<(), DraftDocError> {
        self.doc.merge(&mut other.doc)?;
        Ok(())
    }

    /// The author (actor id) of each change `other` has that this copy lacks: what
    /// merging `other` would add. The server checks these against the device that
    /// sent `other` before it merges.
    pub fn authors_of_new_changes(&mut self, other: &mut DraftDoc) -> Vec<ActorId> {
        self.doc
            .get_changes_added(&mut other.doc)
            .iter()
            .map(|c| c.actor_id().clone())
            .collect()
    }

    /// The author (actor id) of every change in the document.
    pub fn authors(&mut self) -> Vec<ActorId> {
        self.doc
            .get_changes(&[])
            .iter()
            .map(|c| c.actor_id().clone())
            .collect()
    }

    /// A copy of the draft as it was at `heads`, writing as `actor`.
    pub fn fork_at(
        &mut self,
        heads: &[ChangeHash],
        actor: ActorId,
    ) -> Result<DraftDoc, DraftDocError> {
        if heads
            .iter()
            .any(|h| self.doc.get_change_by_hash(h).is_none())
        {
            return Err(DraftDocError::UnknownHeads);
        }
        let at = self.doc.fork_at(heads)?;
        Ok(DraftDoc {
            doc: at.with_actor(actor),
        })
    }

    /// The draft as it was at `heads`.
    pub fn read_at(&mut self, heads: &[ChangeHash]) -> Result<DraftContent, DraftDocError> {
        let actor = ActorId::random();
        self.fork_at(heads, actor)?.read()
    }

    /// Edits the draft from `base` (what the editor saw) to `new`, as `actor` at
    /// `at`: only fields the editor changed are written, so concurrent edits of
    /// other fields survive. The edit is made on the document as it was at
    /// `base_heads` and merged in. Returns whether anything was written.
    pub fn edit(
        &mut self,
        actor: ActorId,
        base_heads: &[ChangeHash],
        new: &DraftContent,
        at: DateTime<Utc>,
    ) -> Result<bool, DraftDocError> {
        // An edit made from older heads cannot continue the editor's own sequence of
        // changes (a second tab of the same person would reuse its numbers): each
        // edit writes as a fresh actor id that starts with the editor's.
        let mut bytes = actor.to_bytes().to_vec();
        bytes.extend_from_slice(ActorId::random().to_bytes());
        let mut fork = self.fork_at(base_heads, ActorId::from(bytes))?;
        let base = fork.read()?;
        let wrote = fork.write_changes(&base, new, false)?;
        if !wrote {
            return Ok(false);
        }
        fork.commit("edit", at);
        self.merge(&mut fork)?;
        Ok(true)
    }

    fn write_changes(
        &mut self,
        old: &DraftContent,
        new: &DraftContent,
        all: bool,
    ) -> Result<bool, DraftDocError> {
        let d = &mut self.doc;
        let mut wrote = false;
        for f in TEXT_FIELDS {
            let v = text(new, f);
            // `other_items` came later: written only when set, so a draft without
            // any keeps the layout of schema version 1 exactly.
            let all = all && f != "other_items";
            if all || text(old, f) != v {
                d.put(ROOT, f, v.as_str())?;
                wrote = true;
            }
        }
        for f in FLAG_FIELDS {
            let v = flag(new, f);
            if all || flag(old, f) != v {
                d.put(ROOT, f, v)?;
                wrote = true;
            }
        }
        if old.party_kind != new.party_kind {
            d.put(ROOT, "party_kind", new.party_kind.as_str())?;
            wrote = true;
        }
        if all || old.fine_fen != new.fine_fen {
            match new.fine_fen {
                Some(f) => d.put(ROOT, "fine_fen", f)?,
                None => d.put(ROOT, "fine_fen", ScalarValue::Null)?,
            }
            wrote = true;
        }
        let insp = self.map("inspections")?;
        let ev = self.map("evidence")?;
        let d = &mut self.doc;
        for id in &old.inspection_ids {
            if !new.inspection_ids.contains(id) {
                d.delete(&insp, id.as_str())?;
                wrote = true;
            }
        }
        for id in &new.inspection_ids {
            if !old.inspection_ids.contains(id) {
                d.put(&insp, id.as_str(), true)?;
                wrote = true;
            }
        }
        for e in &old.evidence {
            if !new
                .evidence
                .iter()
                .any(|n| evidence_key(n) == evidence_key(e))
            {
                d.delete(&ev, evidence_key(e).as_str())?;
                wrote = true;
            }
        }
        for e in &new.evidence {
            let changed = match old
                .evidence
                .iter()
                .find(|o| evidence_key(o) == evidence_key(e))
            {
                Some(o) => o.note != e.note,
                None => true,
            };
            if changed {
                d.put(&ev, evidence_key(e).as_str(), e.note.as_str())?;
                wrote = true;
            }
        }
        Ok(wrote)
    }

    fn commit(&mut self, step: &str, at: DateTime<Utc>) {
        self.doc.commit_with(
            CommitOptions::default()
                .with_message(step.to_string())
                .with_time(at.timestamp()),
        );
    }

    fn map(&self, key: &str) -> Result<ObjId, DraftDocError> {
        match self.doc.get(ROOT, key)? {
            Some((Value::Object(ObjType::Map), id)) => Ok(id),
            _ => Err(DraftDocError::Malformed(key.into())),
        }
    }

    fn str_at(&self, obj: &ObjId, key: &str) -> Result<Option<String>, DraftDocError> {
        match self.doc.get(obj, key)? {
            None => Ok(None),
            Some((Value::Scalar(s), _)) => match s.as_ref() {
                ScalarValue::Str(t) => Ok(Some(t.to_string())),
                _ => Err(DraftDocError::Malformed(key.into())),
            },
            Some(_) => Err(DraftDocError::Malformed(key.into())),
        }
    }

    /// Who made the draft and when.
    pub fn meta(&self) -> Result<DraftMeta, DraftDocError> {
        let req = |k: &str| -> Result<String, DraftDocError> {
            self.str_at(&ROOT, k)?
                .ok_or_else(|| DraftDocError::Malformed(k.into()))
        };
        let created_at = match self.doc.get(ROOT, "created_at")? {
            Some((Value::Scalar(s), _)) => match s.as_ref() {
                ScalarValue::Int(i) => DateTime::from_timestamp_millis(*i),
                _ => None,
            },
            _ => None,
        }
        .ok_or_else(|| DraftDocError::Malformed("created_at".into()))?;
        Ok(DraftMeta {
            id: req("id")?,
            agency_id: req("agency_id")?,
            created_by: req("created_by")?,
            created_at,
        })
    }

    /// The draft's content now.
    pub fn read(&self) -> Result<DraftContent, DraftDocError> {
        let kind_s = self.str_at(&ROOT, "kind")?.unwrap_or_default();
        let kind =
            DecisionKind::parse(&kind_s).ok_or_else(|| DraftDocError::Malformed("kind".into()))?;
        let mut c = DraftContent::empty(kind);
        let party = self.str_at(&ROOT, "party_kind")?.unwrap_or_default();
        c.party_kind = PartyKind::parse(&party)
            .ok_or_else(|| DraftDocError::Malformed("party_kind".into()))?;
        for f in TEXT_FIELDS {
            if f == "kind" {
                continue;
            }
            let v = self.str_at(&ROOT, f)?.unwrap_or_default();
            match f {
                "title" => c.title = v,
                "category" => c.category = v,
                "party_name" => c.party_name = v,
                "party_code" => c.party_code = v,
                "legal_basis" => c.legal_basis = v,
                "facts" => c.facts = v,
                "discretion" => c.discretion = v,
                "conclusion" => c.conclusion = v,
                "other_items" => {
                    c.other_items = v
                        .lines()
                        .map(str::trim)
                        .filter(|l| !l.is_empty())
                        .map(String::from)
                        .collect()
                }
                _ => c.confidential = v,
            }
        }
        for f in FLAG_FIELDS {
            let v = match self.doc.get(ROOT, f)? {
                Some((Value::Scalar(s), _)) => matches!(s.as_ref(), ScalarValue::Boolean(true)),
                _ => false,
            };
            set_flag(&mut c, f, v);
        }
        c.fine_fen = match self.doc.get(ROOT, "fine_fen")? {
            Some((Value::Scalar(s), _)) => match s.as_ref() {
                ScalarValue::Int(i) => Some(*i),
                ScalarValue::Uint(u) => i64::try_from(*u).ok(),
                _ => None,
            },
            _ => None,
        };
        let insp = self.map("inspections")?;
        c.inspection_ids = self.doc.keys(&insp).collect();
        c.inspection_ids.sort();
        let ev = self.map("evidence")?;
        let mut evidence = vec![];
        for k in self.doc.keys(&ev) {
            let Some((inspection_id, sha256)) = k.split_once('/') else {
                continue;
            };
            evidence.push(EvidenceLink {
                inspection_id: inspection_id.to_string(),
                sha256: sha256.to_string(),
                note: self.str_at(&ev, &k)?.unwrap_or_default(),
            });
        }
        evidence.sort();
        c.evidence = evidence;
        Ok(c)
    }

    /// Fields edited concurrently with different values (every value kept; the
    /// one [`DraftDoc::read`] shows comes first).
    pub fn conflicts(&self) -> Result<Vec<DraftConflict>, DraftDocError> {
        let mut out = vec![];
        let keys: Vec<String> = self.doc.keys(ROOT).collect();
        for k in keys {
            let all = self.doc.get_all(ROOT, k.as_str())?;
            if all.len() < 2 {
                continue;
            }
            let values = crate::doc::distinct_values(&self.doc, &ROOT, &k, &all, |v| match v {
                Value::Scalar(s) => Some(match s.as_ref() {
                    ScalarValue::Str(t) => t.to_string(),
                    ScalarValue::Int(i) => i.to_string(),
                    ScalarValue::Boolean(b) => if *b { "是" } else { "否" }.to_string(),
                    ScalarValue::Null => String::new(),
                    other => other.to_string(),
                }),
                Value::Object(_) => None,
            })?;
            if values.len() > 1 {
                out.push(DraftConflict { field: k, values });
            }
        }
        Ok(out)
    }
}

/// Parses hex change hashes (from a form or API call); None if any is malformed.
pub fn parse_heads(hex: &[String]) -> Option<Vec<ChangeHash>> {
    hex.iter()
        .map(|h| h.parse::<ChangeHash>().ok())
        .collect::<Option<Vec<_>>>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn meta() -> DraftMeta {
        DraftMeta {
            id: "d1".into(),
            agency_id: "qy-sthj".into(),
            created_by: "u1".into(),
            created_at: DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
        }
    }

    fn content() -> DraftContent {
        let mut c = DraftContent::empty(DecisionKind::Penalty);
        c.title = "处罚决定".into();
        c.facts = "超标排放".into();
        c.fine_fen = Some(1_000_000);
        c.inspection_ids = vec!["i1".into()];
        c
    }

    fn actor(n: u8) -> ActorId {
        ActorId::from(vec![n; 16])
    }

    #[test]
    fn create_read_round_trip_and_reload() {
        let c = content();
        let mut d = DraftDoc::create(actor(1), &meta(), &c).unwrap();
        assert_eq!(d.read().unwrap(), c);
        let bytes = d.save();
        let d2 = DraftDoc::load(&bytes).unwrap();
        assert_eq!(d2.read().unwrap(), c);
        assert_eq!(d2.meta().unwrap(), meta());
        assert!(DraftDoc::load(b"not automerge").is_err());
    }

    #[test]
    fn edits_from_the_same_base_of_different_fields_both_survive() {
        let mut d = DraftDoc::create(actor(1), &meta(), &content()).unwrap();
        let base = d.heads();
        let mut a = content();
        a.facts = "超标排放且拒不改正".into();
        let mut b = content();
        b.fine_fen = Some(2_000_000);
        assert!(d.edit(actor(2), &base, &a, Utc::now()).unwrap());
        assert!(d.edit(actor(3), &base, &b, Utc::now()).unwrap());
        let now = d.read().unwrap();
        assert_eq!(now.facts, a.facts);
        assert_eq!(now.fine_fen, Some(2_000_000));
        assert!(d.conflicts().unwrap().is_empty());
    }

    #[test]
    fn edits_of_the_same_field_keep_both_values_as_a_conflict() {
        let mut d = DraftDoc::create(actor(1), &meta(), &content()).unwrap();
        let base = d.heads();
        let mut a = content();
        a.conclusion = "罚款一万元".into();
        let mut b = content();
        b.conclusion = "罚款两万元".into();
        d.edit(actor(2), &base, &a, Utc::now()).unwrap();
        d.edit(actor(3), &base, &b, Utc::now()).unwrap();
        let c = d.conflicts().unwrap();
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].field, "conclusion");
        assert_eq!(c[0].values.len(), 2);
    }

    #[test]
    fn one_person_editing_from_two_tabs_at_the_same_heads_merges() {
        let mut d = DraftDoc::create(actor(1), &meta(), &content()).unwrap();
        let base = d.heads();
        let mut a = content();
        a.title = "标题甲".into();
        let mut b = content();
        b.facts = "事实乙".into();
        d.edit(actor(2), &base, &a, Utc::now()).unwrap();
        d.edit(actor(2), &base, &b, Utc::now()).unwrap();
        let now = d.read().unwrap();
        assert_eq!(
            (now.title.as_str(), now.facts.as_str()),
            ("标题甲", "事实乙")
        );
        let reloaded = DraftDoc::load(&d.save()).unwrap();
        assert_eq!(reloaded.read().unwrap(), now);
    }

    #[test]
    fn unknown_heads_are_refused() {
        let mut d = DraftDoc::create(actor(1), &meta(), &content()).unwrap();
        let mut other = DraftDoc::create(actor(9), &meta(), &content()).unwrap();
        let foreign = other.heads();
        assert!(matches!(
            d.edit(actor(2), &foreign, &content(), Utc::now()),
            Err(DraftDocError::UnknownHeads)
        ));
    }

    fn arb_content() -> impl Strategy<Value = DraftContent> {
        (
            "[a-z一-龥]{0,12}",
            "[a-z一-龥]{0,12}",
            proptest::option::of(1i64..1_000_000_000),
            proptest::bool::ANY,
            proptest::collection::btree_set("[a-f0-9]{4}", 0..3),
        )
            .prop_map(|(title, facts, fine, rev, ids)| {
                let mut c = DraftContent::empty(DecisionKind::Penalty);
                c.title = title;
                c.facts = facts;
                c.fine_fen = fine;
                c.revocation = rev;
                c.inspection_ids = ids.into_iter().collect();
                c
            })
    }

    #[test]
    fn new_changes_are_attributed_to_their_authors() {
        let mut server = DraftDoc::create(actor(1), &meta(), &content()).unwrap();
        let mut device = DraftDoc::load(&server.save()).unwrap();
        assert!(server.authors_of_new_changes(&mut device).is_empty());
        let base = device.heads();
        let mut c = content();
        c.facts = "现场发现超标排放".into();
        device.edit(actor(7), &base, &c, Utc::now()).unwrap();
        let authors = server.authors_of_new_changes(&mut device);
        assert_eq!(authors.len(), 1);
        // An edit writes as a fresh actor that starts with the editor's.
        assert!(authors[0].to_bytes().starts_with(actor(7).to_bytes()));
        assert!(!authors[0].to_bytes().starts_with(actor(1).to_bytes()));
        // The other way round the device lacks nothing.
        assert!(device.authors_of_new_changes(&mut server).is_empty());
    }

    proptest! {
        /// Any two edits from one base merge to the same content in either order.
        #[test]
        fn concurrent_edits_converge(a in arb_content(), b in arb_content()) {
            let mut x = DraftDoc::create(actor(1), &meta(), &content()).unwrap();
            let base = x.heads();
            let mut y = DraftDoc::load(&x.save()).unwrap();
            x.edit(actor(2), &base, &a, Utc::now()).unwrap();
            x.edit(actor(3), &base, &b, Utc::now()).unwrap();
            y.edit(actor(3), &base, &b, Utc::now()).unwrap();
            y.edit(actor(2), &base, &a, Utc::now()).unwrap();
            prop_assert_eq!(x.read().unwrap(), y.read().unwrap());
            // An edit alone is read back exactly.
            let mut z = DraftDoc::load(&x.save()).unwrap();
            let heads = z.heads();
            z.edit(actor(4), &heads, &a, Utc::now()).unwrap();
            prop_assert_eq!(z.read().unwrap(), a);
        }
    }
}
