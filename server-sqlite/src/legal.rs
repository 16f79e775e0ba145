//! SQLite implementation of [`liuhen_server_store::legal::LegalStorage`].

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};

use liuhen_domain::legal::{DecisionKind, Opinion, PartyKind};

use super::{
    SqliteStorage, backend, conflict_or, get_date, get_json, get_opt_ts, get_ts, to_json, ts,
};
use liuhen_server_store::legal::{
    CatalogueVersion, DecisionRecord, DisputeOutcome, DisputeRecord, DraftBase, DraftRecord,
    DraftStatus, ExtensionRecord, LegalEvent, LegalStorage, LegalWrite, ReviewRecord,
    VersionRecord,
};
use liuhen_server_store::{StorageError, StorageResult};

fn bad_text(idx: usize, what: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        idx,
        rusqlite::types::Type::Text,
        format!("unknown {what}").into(),
    )
}

fn get_opt_date(r: &Row<'_>, idx: usize) -> rusqlite::Result<Option<NaiveDate>> {
    let s: Option<String> = r.get(idx)?;
    match s {
        None => Ok(None),
        Some(_) => get_date(r, idx).map(Some),
    }
}

const DRAFT_COLS: &str = "id, agency_id, created_by, created_at, updated_at, status, title, kind, \
     catalogue_version, triggers, version, received_on, extended, heads, bytes";

/// The list's columns: the document bytes are left out (an empty blob).
const LIST_COLS: &str = "id, agency_id, created_by, created_at, updated_at, status, title, kind, \
     catalogue_version, triggers, version, received_on, extended, heads, x''";

fn draft_from_row(r: &Row<'_>) -> rusqlite::Result<DraftRecord> {
    let status: String = r.get(5)?;
    let kind: String = r.get(7)?;
    Ok(DraftRecord {
        id: r.get(0)?,
        agency_id: r.get(1)?,
        created_by: r.get(2)?,
        created_at: get_ts(r, 3)?,
        updated_at: get_ts(r, 4)?,
        status: DraftStatus::parse(&status).ok_or_else(|| bad_text(5, "draft status"))?,
        title: r.get(6)?,
        kind: DecisionKind::parse(&kind).ok_or_else(|| bad_text(7, "decision kind"))?,
        catalogue_version: r.get(8)?,
        triggers: get_json(r, 9)?,
        version: r.get(10)?,
        received_on: get_opt_date(r, 11)?,
        extended: r.get(12)?,
        heads: get_json(r, 13)?,
        bytes: r.get(14)?,
    })
}

const VERSION_COLS: &str = "draft_id, version, submitted_by, submitted_at, received_on, heads, \
     content, catalogue_version, triggers, note, review_started_by, review_started_at";

fn version_from_row(r: &Row<'_>) -> rusqlite::Result<VersionRecord> {
    Ok(VersionRecord {
        draft_id: r.get(0)?,
        version: r.get(1)?,
        submitted_by: r.get(2)?,
        submitted_at: get_ts(r, 3)?,
        received_on: get_date(r, 4)?,
        heads: get_json(r, 5)?,
        content: get_json(r, 6)?,
        catalogue_version: r.get(7)?,
        triggers: get_json(r, 8)?,
        note: r.get(9)?,
        review_started_by: r.get(10)?,
        review_started_at: get_opt_ts(r, 11)?,
    })
}

const DECISION_COLS: &str = "id, agency_id, draft_id, kind, title, doc_number, decided_on, \
     decided_at, decided_by, category, party_kind, party_name, party_code, legal_basis, \
     conclusion, fine_fen, major, catalogue_version, reviewed_version, inspection_ids, confidential";

fn decision_from_row(r: &Row<'_>) -> rusqlite::Result<DecisionRecord> {
    let kind: String = r.get(3)?;
    let party_kind: String = r.get(10)?;
    Ok(DecisionRecord {
        id: r.get(0)?,
        agency_id: r.get(1)?,
        draft_id: r.get(2)?,
        kind: DecisionKind::parse(&kind).ok_or_else(|| bad_text(3, "decision kind"))?,
        title: r.get(4)?,
        doc_number: r.get(5)?,
        decided_on: get_date(r, 6)?,
        decided_at: get_ts(r, 7)?,
        decided_by: r.get(8)?,
        category: r.get(9)?,
        party_kind: PartyKind::parse(&party_kind).ok_or_else(|| bad_text(10, "party kind"))?,
        party_name: r.get(11)?,
        party_code: r.get(12)?,
        legal_basis: r.get(13)?,
        conclusion: r.get(14)?,
        fine_fen: r.get(15)?,
        major: r.get(16)?,
        catalogue_version: r.get(17)?,
        reviewed_version: r.get(18)?,
        inspection_ids: get_json(r, 19)?,
        confidential: r.get(20)?,
    })
}

fn event_from_row(r: &Row<'_>) -> rusqlite::Result<LegalEvent> {
    let detail: String = r.get(7)?;
    Ok(LegalEvent {
        seq: r.get(0)?,
        agency_id: r.get(1)?,
        draft_id: r.get(2)?,
        kind: r.get(3)?,
        version: r.get(4)?,
        by_user: r.get(5)?,
        at: get_ts(r, 6)?,
        detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::Null),
    })
}

fn catalogue_from_row(r: &Row<'_>) -> rusqlite::Result<CatalogueVersion> {
    Ok(CatalogueVersion {
        agency_id: r.get(0)?,
        version: r.get(1)?,
        catalogue: get_json(r, 2)?,
        note: r.get(3)?,
        created_by: r.get(4)?,
        created_at: get_ts(r, 5)?,
    })
}

fn insert_event(tx: &Transaction<'_>, e: &LegalEvent) -> StorageResult<()> {
    tx.execute(
        "INSERT INTO legal_events (agency_id, draft_id, kind, version, by_user, at, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            e.agency_id,
            e.draft_id,
            e.kind,
            e.version,
            e.by_user,
            ts(e.at),
            e.detail.to_string()
        ],
    )
    .map_err(backend)?;
    Ok(())
}

fn draft_status(c: &Connection, id: &str) -> StorageResult<Option<DraftStatus>> {
    let s: Option<String> = c
        .query_row("SELECT status FROM legal_drafts WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .optional()
        .map_err(backend)?;
    Ok(s.and_then(|s| DraftStatus::parse(&s)))
}

/// A draft as stored, inside a write's transaction (the optimistic check).
fn read_draft(tx: &Transaction<'_>, id: &str) -> StorageResult<Option<DraftRecord>> {
    tx.query_row(
        &format!("SELECT {DRAFT_COLS} FROM legal_drafts WHERE id = ?1"),
        [id],
        draft_from_row,
    )
    .optional()
    .map_err(backend)
}

fn apply_tx(tx: &Transaction<'_>, w: &LegalWrite) -> StorageResult<()> {
    if let Some((form_id, action)) = &w.form {
        let draft_id = w
            .draft
            .as_ref()
            .map(|d| d.id.clone())
            .or_else(|| w.expect.as_ref().map(|e| e.0.clone()))
            .unwrap_or_default();
        let user = w
            .events
            .first()
            .map(|e| e.by_user.clone())
            .unwrap_or_default();
        let at = w.events.first().map(|e| e.at).unwrap_or_else(Utc::now);
        tx.execute(
            "INSERT INTO legal_forms (form_id, draft_id, action, user_id, at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![form_id, draft_id, action, user, ts(at)],
        )
        .map_err(|e| conflict_or(e, format!("表单 {form_id}")))?;
    }
    match &w.base {
        None => {}
        Some(DraftBase::New) => {
            let id = w.draft.as_ref().map(|d| d.id.as_str()).unwrap_or_default();
            if read_draft(tx, id)?.is_some() {
                return Err(StorageError::Stale(format!("draft {id} exists already")));
            }
        }
        Some(DraftBase::Read(read))
            if read_draft(tx, &read.id)?.as_ref() != Some(read.as_ref()) =>
        {
            return Err(StorageError::Stale(format!(
                "draft {} changed since it was read",
                read.id
            )));
        }
        Some(DraftBase::Read(_)) => {}
    }
    if let Some((id, states)) = &w.expect {
        match draft_status(tx, id)? {
            None => return Err(StorageError::NotFound(format!("草案 {id}"))),
            Some(s) if !states.contains(&s) => {
                return Err(StorageError::Conflict(format!(
                    "草案 {id} 的状态已被他人更改，请刷新后重试"
                )));
            }
            Some(_) => {}
        }
    }
    if let Some(d) = &w.draft {
        tx.execute(
            "INSERT INTO legal_drafts (id, agency_id, created_by, created_at, updated_at, status,
                 title, kind, catalogue_version, triggers, version, received_on, extended, heads, bytes)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
             ON CONFLICT(id) DO UPDATE SET updated_at = excluded.updated_at,
                 status = excluded.status, title = excluded.title, kind = excluded.kind,
                 catalogue_version = excluded.catalogue_version, triggers = excluded.triggers,
                 version = excluded.version, received_on = excluded.received_on,
                 extended = excluded.extended, heads = excluded.heads, bytes = excluded.bytes",
            params![
                d.id,
                d.agency_id,
                d.created_by,
                ts(d.created_at),
                ts(d.updated_at),
                d.status.as_str(),
                d.title,
                d.kind.as_str(),
                d.catalogue_version,
                to_json(&d.triggers)?,
                d.version,
                d.received_on.map(|x| x.to_string()),
                d.extended,
                to_json(&d.heads)?,
                d.bytes
            ],
        )
        .map_err(backend)?;
    }
    if let Some(v) = &w.version {
        tx.execute(
            "INSERT INTO legal_versions (draft_id, version, submitted_by, submitted_at, received_on,
                 heads, content, catalogue_version, triggers, note)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                v.draft_id,
                v.version,
                v.submitted_by,
                ts(v.submitted_at),
                v.received_on.to_string(),
                to_json(&v.heads)?,
                to_json(&v.content)?,
                v.catalogue_version,
                to_json(&v.triggers)?,
                v.note
            ],
        )
        .map_err(|e| conflict_or(e, format!("第 {} 版提交", v.version)))?;
    }
    if let Some((draft_id, version, by, at)) = &w.review_started {
        tx.execute(
            "UPDATE legal_versions SET review_started_by = ?3, review_started_at = ?4
             WHERE draft_id = ?1 AND version = ?2 AND review_started_at IS NULL",
            params![draft_id, version, by, ts(*at)],
        )
        .map_err(backend)?;
    }
    if let Some(r) = &w.review {
        tx.execute(
            "INSERT INTO legal_reviews (draft_id, version, reviewer, opinion, opinion_text, checks, at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                r.draft_id,
                r.version,
                r.reviewer,
                r.opinion.as_str(),
                r.opinion_text,
                to_json(&r.checks)?,
                ts(r.at)
            ],
        )
        .map_err(|e| conflict_or(e, format!("第 {} 版的审核意见", r.version)))?;
    }
    if let Some(x) = &w.extension {
        tx.execute(
            "INSERT INTO legal_extensions (draft_id, version, requested_by, requested_at, reason,
                 approved_by, approved_at, leader_note)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT(draft_id) DO UPDATE SET approved_by = excluded.approved_by,
                 approved_at = excluded.approved_at, leader_note = excluded.leader_note",
            params![
                x.draft_id,
                x.version,
                x.requested_by,
                ts(x.requested_at),
                x.reason,
                x.approved_by,
                x.approved_at.map(ts),
                x.leader_note
            ],
        )
        .map_err(backend)?;
    }
    if let Some(d) = &w.dispute {
        tx.execute(
            "INSERT INTO legal_disputes (id, draft_id, version, raised_by, raised_at, reason,
                 outcome, outcome_note, decided_by, decided_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
             ON CONFLICT(id) DO UPDATE SET outcome = excluded.outcome,
                 outcome_note = excluded.outcome_note, decided_by = excluded.decided_by,
                 decided_at = excluded.decided_at",
            params![
                d.id,
                d.draft_id,
                d.version,
                d.raised_by,
                ts(d.raised_at),
                d.reason,
                d.outcome.map(|o| o.as_str()),
                d.outcome_note,
                d.decided_by,
                d.decided_at.map(ts)
            ],
        )
        .map_err(|e| conflict_or(e, "未结束的异议".into()))?;
    }
    if let Some(d) = &w.decision {
        tx.execute(
            &format!(
                "INSERT INTO decisions ({DECISION_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,
                 ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)"
            ),
            params![
                d.id,
                d.agency_id,
                d.draft_id,
                d.kind.as_str(),
                d.title,
                d.doc_number,
                d.decided_on.to_string(),
                ts(d.decided_at),
                d.decided_by,
                d.category,
                d.party_kind.as_str(),
                d.party_name,
                d.party_code,
                d.legal_basis,
                d.conclusion,
                d.fine_fen,
                d.major,
                d.catalogue_version,
                d.reviewed_version,
                to_json(&d.inspection_ids)?,
                d.confidential
            ],
        )
        .map_err(|e| conflict_or(e, format!("文书编号“{}”", d.doc_number)))?;
    }
    for e in &w.events {
        insert_event(tx, e)?;
    }
    Ok(())
}

fn parse_review(r: &Row<'_>) -> rusqlite::Result<ReviewRecord> {
    let opinion: String = r.get(3)?;
    Ok(ReviewRecord {
        draft_id: r.get(0)?,
        version: r.get(1)?,
        reviewer: r.get(2)?,
        opinion: Opinion::parse(&opinion).ok_or_else(|| bad_text(3, "opinion"))?,
        opinion_text: r.get(4)?,
        checks: get_json(r, 5)?,
        at: get_ts(r, 6)?,
    })
}

fn parse_dispute(r: &Row<'_>) -> rusqlite::Result<DisputeRecord> {
    let outcome: Option<String> = r.get(6)?;
    Ok(DisputeRecord {
        id: r.get(0)?,
        draft_id: r.get(1)?,
        version: r.get(2)?,
        raised_by: r.get(3)?,
        raised_at: get_ts(r, 4)?,
        reason: r.get(5)?,
        outcome: outcome
            .map(|o| DisputeOutcome::parse(&o).ok_or_else(|| bad_text(6, "outcome")))
            .transpose()?,
        outcome_note: r.get(7)?,
        decided_by: r.get(8)?,
        decided_at: get_opt_ts(r, 9)?,
    })
}

#[async_trait]
impl LegalStorage for SqliteStorage {
    async fn apply_legal(&self, w: &LegalWrite) -> StorageResult<()> {
        let w = w.clone();
        self.write(move |tx| apply_tx(tx, &w)).await
    }

    async fn legal_draft(&self, id: &str) -> StorageResult<Option<DraftRecord>> {
        let id = id.to_string();
        self.read(move |c| {
            c.query_row(
                &format!("SELECT {DRAFT_COLS} FROM legal_drafts WHERE id = ?1"),
                [id],
                draft_from_row,
            )
            .optional()
            .map_err(backend)
        })
        .await
    }

    async fn legal_drafts(
        &self,
        agency_id: &str,
        states: &[DraftStatus],
    ) -> StorageResult<Vec<DraftRecord>> {
        let agency_id = agency_id.to_string();
        // The states are fixed words from `DraftStatus::as_str`, never user text.
        let filter = if states.is_empty() {
            String::new()
        } else {
            let list: Vec<String> = states.iter().map(|s| format!("'{}'", s.as_str())).collect();
            format!(" AND status IN ({})", list.join(", "))
        };
        self.read(move |c| {
            let mut stmt = c
                .prepare(&format!(
                    "SELECT {LIST_COLS} FROM legal_drafts WHERE agency_id = ?1{filter}
                     ORDER BY updated_at DESC, id"
                ))
                .map_err(backend)?;
            stmt.query_map([agency_id], draft_from_row)
                .map_err(backend)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(backend)
        })
        .await
    }

    async fn legal_versions(&self, draft_id: &str) -> StorageResult<Vec<VersionRecord>> {
        let id = draft_id.to_string();
        self.read(move |c| {
            let mut stmt = c
                .prepare(&format!(
                    "SELECT {VERSION_COLS} FROM legal_versions WHERE draft_id = ?1 ORDER BY version"
                ))
                .map_err(backend)?;
            stmt.query_map([id], version_from_row)
                .map_err(backend)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(backend)
        })
        .await
    }

    async fn legal_reviews(&self, draft_id: &str) -> StorageResult<Vec<ReviewRecord>> {
        let id = draft_id.to_string();
        self.read(move |c| {
            let mut stmt = c
                .prepare(
                    "SELECT draft_id, version, reviewer, opinion, opinion_text, checks, at
                     FROM legal_reviews WHERE draft_id = ?1 ORDER BY version",
                )
                .map_err(backend)?;
            stmt.query_map([id], parse_review)
                .map_err(backend)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(backend)
        })
        .await
    }

    async fn legal_extension(&self, draft_id: &str) -> StorageResult<Option<ExtensionRecord>> {
        let id = draft_id.to_string();
        self.read(move |c| {
            c.query_row(
                "SELECT draft_id, version, requested_by, requested_at, reason, approved_by,
                        approved_at, leader_note
                 FROM legal_extensions WHERE draft_id = ?1",
                [id],
                |r| {
                    Ok(ExtensionRecord {
                        draft_id: r.get(0)?,
                        version: r.get(1)?,
                        requested_by: r.get(2)?,
                        requested_at: get_ts(r, 3)?,
                        reason: r.get(4)?,
                        approved_by: r.get(5)?,
                        approved_at: get_opt_ts(r, 6)?,
                        leader_note: r.get(7)?,
                    })
                },
            )
            .optional()
            .map_err(backend)
        })
        .await
    }

    async fn legal_disputes(&self, draft_id: &str) -> StorageResult<Vec<DisputeRecord>> {
        let id = draft_id.to_string();
        self.read(move |c| {
            let mut stmt = c
                .prepare(
                    "SELECT id, draft_id, version, raised_by, raised_at, reason, outcome,
                            outcome_note, decided_by, decided_at
                     FROM legal_disputes WHERE draft_id = ?1 ORDER BY raised_at, id",
                )
                .map_err(backend)?;
            stmt.query_map([id], parse_dispute)
                .map_err(backend)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(backend)
        })
        .await
    }

    async fn legal_form(&self, form_id: &str) -> StorageResult<Option<(String, String)>> {
        let id = form_id.to_string();
        self.read(move |c| {
            c.query_row(
                "SELECT draft_id, action FROM legal_forms WHERE form_id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(backend)
        })
        .await
    }

    async fn legal_events(&self, draft_id: &str) -> StorageResult<Vec<LegalEvent>> {
        let id = draft_id.to_string();
        self.read(move |c| {
            let mut stmt = c
                .prepare(
                    "SELECT seq, agency_id, draft_id, kind, version, by_user, at, detail
                     FROM legal_events WHERE draft_id = ?1 ORDER BY seq",
                )
                .map_err(backend)?;
            stmt.query_map([id], event_from_row)
                .map_err(backend)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(backend)
        })
        .await
    }

    async fn legal_agency_events(
        &self,
        agency_id: &str,
        limit: u32,
    ) -> StorageResult<Vec<LegalEvent>> {
        let id = agency_id.to_string();
        self.read(move |c| {
            let mut stmt = c
                .prepare(
                    "SELECT seq, agency_id, draft_id, kind, version, by_user, at, detail
                     FROM legal_events WHERE agency_id = ?1 AND draft_id IS NULL
                     ORDER BY seq DESC LIMIT ?2",
                )
                .map_err(backend)?;
            stmt.query_map(params![id, limit], event_from_row)
                .map_err(backend)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(backend)
        })
        .await
    }

    async fn catalogue(
        &self,
        agency_id: &str,
        version: Option<u32>,
    ) -> StorageResult<Option<CatalogueVersion>> {
        let id = agency_id.to_string();
        self.read(move |c| {
            let sql = "SELECT agency_id, version, body, note, created_by, created_at
                       FROM legal_catalogues WHERE agency_id = ?1";
            match version {
                Some(v) => c
                    .query_row(&format!("{sql} AND version = ?2"), params![id, v], |r| {
                        catalogue_from_row(r)
                    })
                    .optional(),
                None => c
                    .query_row(&format!("{sql} ORDER BY version DESC LIMIT 1"), [id], |r| {
                        catalogue_from_row(r)
                    })
                    .optional(),
            }
            .map_err(backend)
        })
        .await
    }

    async fn catalogue_versions(&self, agency_id: &str) -> StorageResult<Vec<CatalogueVersion>> {
        let id = agency_id.to_string();
        self.read(move |c| {
            let mut stmt = c
                .prepare(
                    "SELECT agency_id, version, body, note, created_by, created_at
                     FROM legal_catalogues WHERE agency_id = ?1 ORDER BY version DESC",
                )
                .map_err(backend)?;
            stmt.query_map([id], catalogue_from_row)
                .map_err(backend)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(backend)
        })
        .await
    }

    async fn add_catalogue(
        &self,
        agency_id: &str,
        catalogue: &liuhen_domain::legal::Catalogue,
        note: &str,
        by_user: &str,
        at: DateTime<Utc>,
    ) -> StorageResult<u32> {
        let id = agency_id.to_string();
        let body = to_json(catalogue)?;
        let note = note.to_string();
        let by = by_user.to_string();
        self.write(move |tx| {
            let next: u32 = tx
                .query_row(
                    "SELECT COALESCE(MAX(version), 0) + 1 FROM legal_catalogues WHERE agency_id = ?1",
                    [&id],
                    |r| r.get(0),
                )
                .map_err(backend)?;
            tx.execute(
                "INSERT INTO legal_catalogues (agency_id, version, body, note, created_by, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![id, next, body, note, by, ts(at)],
            )
            .map_err(backend)?;
            insert_event(
                tx,
                &LegalEvent {
                    seq: 0,
                    agency_id: id.clone(),
                    draft_id: None,
                    kind: "catalogue_edited".into(),
                    version: Some(next),
                    by_user: by.clone(),
                    at,
                    detail: serde_json::json!({ "note": note }),
                },
            )?;
            Ok(next)
        })
        .await
    }

    async fn decision(&self, id: &str) -> StorageResult<Option<DecisionRecord>> {
        let id = id.to_string();
        self.read(move |c| {
            c.query_row(
                &format!("SELECT {DECISION_COLS} FROM decisions WHERE id = ?1"),
                [id],
                decision_from_row,
            )
            .optional()
            .map_err(backend)
        })
        .await
    }

    async fn decision_of_draft(&self, draft_id: &str) -> StorageResult<Option<DecisionRecord>> {
        let id = draft_id.to_string();
        self.read(move |c| {
            c.query_row(
                &format!("SELECT {DECISION_COLS} FROM decisions WHERE draft_id = ?1"),
                [id],
                decision_from_row,
            )
            .optional()
            .map_err(backend)
        })
        .await
    }

    async fn decisions_of_agency(&self, agency_id: &str) -> StorageResult<Vec<DecisionRecord>> {
        let id = agency_id.to_string();
        self.read(move |c| {
            let mut stmt = c
                .prepare(&format!(
                    "SELECT {DECISION_COLS} FROM decisions WHERE agency_id = ?1
                     ORDER BY decided_on DESC, decided_at DESC"
                ))
                .map_err(backend)?;
            stmt.query_map([id], decision_from_row)
                .map_err(backend)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(backend)
        })
        .await
    }

    async fn calendar_years(&self) -> StorageResult<Vec<(i32, String)>> {
        self.read(move |c| {
            let mut stmt = c
                .prepare("SELECT year, json FROM calendar_years ORDER BY year")
                .map_err(backend)?;
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(backend)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(backend)
        })
        .await
    }

    async fn put_calendar_year(
        &self,
        year: i32,
        json: &str,
        event: &LegalEvent,
    ) -> StorageResult<()> {
        let json = json.to_string();
        let event = event.clone();
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO calendar_years (year, json, imported_by, imported_at)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(year) DO UPDATE SET json = excluded.json,
                     imported_by = excluded.imported_by, imported_at = excluded.imported_at",
                params![year, json, event.by_user, ts(event.at)],
            )
            .map_err(backend)?;
            insert_event(tx, &event)
        })
        .await
    }
}
