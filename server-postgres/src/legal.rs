//! PostgreSQL implementation of [`liuhen_server_store::legal::LegalStorage`]
//! (tables of migration 0002). Every workflow step is one transaction: the draft's
//! expected state is read with `FOR UPDATE`, so two officers acting on the same
//! draft at once (on one instance or two) are ordered, and the second one sees
//! the first one's state (R-LEGAL-3..7).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tokio_postgres::Row;
use tokio_postgres::types::Json;

use liuhen_domain::legal::{Catalogue, DecisionKind, Opinion, PartyKind};
use liuhen_server_store::legal::{
    CatalogueVersion, DecisionRecord, DisputeOutcome, DisputeRecord, DraftBase, DraftRecord,
    DraftStatus, ExtensionRecord, LegalEvent, LegalStorage, LegalWrite, ReviewRecord,
    VersionRecord,
};
use liuhen_server_store::{StorageError, StorageResult};

use super::{PgStorage, conflict_or, pg};

/// A value read from a row that does not fit the record type.
fn bad(what: &str) -> StorageError {
    StorageError::Backend(format!("数据库中的{what}无法识别"))
}

/// A non-negative integer column as `u32`.
fn u32_of(r: &Row, idx: usize) -> StorageResult<u32> {
    let v: i32 = r.try_get(idx).map_err(pg)?;
    u32::try_from(v).map_err(|_| bad("版本号"))
}

fn opt_u32_of(r: &Row, idx: usize) -> StorageResult<Option<u32>> {
    let v: Option<i32> = r.try_get(idx).map_err(pg)?;
    v.map(|v| u32::try_from(v).map_err(|_| bad("版本号")))
        .transpose()
}

/// `u32` as the `integer` columns store it.
fn int(v: u32) -> StorageResult<i32> {
    i32::try_from(v).map_err(|_| StorageError::Backend(format!("版本号 {v} 超出范围")))
}

fn opt_int(v: Option<u32>) -> StorageResult<Option<i32>> {
    v.map(int).transpose()
}

const DRAFT_COLS: &str = "id, agency_id, created_by, created_at, updated_at, status, title, kind, \
     catalogue_version, triggers, version, received_on, extended, heads, bytes";

/// The list's columns: the document bytes are left out (empty).
const LIST_COLS: &str = "id, agency_id, created_by, created_at, updated_at, status, title, kind, \
     catalogue_version, triggers, version, received_on, extended, heads, ''::bytea";

fn draft_from_row(r: &Row) -> StorageResult<DraftRecord> {
    let status: String = r.try_get(5).map_err(pg)?;
    let kind: String = r.try_get(7).map_err(pg)?;
    let Json(triggers) = r.try_get(9).map_err(pg)?;
    Ok(DraftRecord {
        id: r.try_get(0).map_err(pg)?,
        agency_id: r.try_get(1).map_err(pg)?,
        created_by: r.try_get(2).map_err(pg)?,
        created_at: r.try_get(3).map_err(pg)?,
        updated_at: r.try_get(4).map_err(pg)?,
        status: DraftStatus::parse(&status).ok_or_else(|| bad("草案状态"))?,
        title: r.try_get(6).map_err(pg)?,
        kind: DecisionKind::parse(&kind).ok_or_else(|| bad("决定种类"))?,
        catalogue_version: opt_u32_of(r, 8)?,
        triggers,
        version: u32_of(r, 10)?,
        received_on: r.try_get(11).map_err(pg)?,
        extended: r.try_get(12).map_err(pg)?,
        heads: r.try_get(13).map_err(pg)?,
        bytes: r.try_get(14).map_err(pg)?,
    })
}

const VERSION_COLS: &str = "draft_id, version, submitted_by, submitted_at, received_on, heads, \
     content, catalogue_version, triggers, note, review_started_by, review_started_at";

fn version_from_row(r: &Row) -> StorageResult<VersionRecord> {
    let Json(content) = r.try_get(6).map_err(pg)?;
    let Json(triggers) = r.try_get(8).map_err(pg)?;
    Ok(VersionRecord {
        draft_id: r.try_get(0).map_err(pg)?,
        version: u32_of(r, 1)?,
        submitted_by: r.try_get(2).map_err(pg)?,
        submitted_at: r.try_get(3).map_err(pg)?,
        received_on: r.try_get(4).map_err(pg)?,
        heads: r.try_get(5).map_err(pg)?,
        content,
        catalogue_version: u32_of(r, 7)?,
        triggers,
        note: r.try_get(9).map_err(pg)?,
        review_started_by: r.try_get(10).map_err(pg)?,
        review_started_at: r.try_get(11).map_err(pg)?,
    })
}

const DECISION_COLS: &str = "id, agency_id, draft_id, kind, title, doc_number, decided_on, \
     decided_at, decided_by, category, party_kind, party_name, party_code, legal_basis, \
     conclusion, fine_fen, major, catalogue_version, reviewed_version, inspection_ids, confidential";

fn decision_from_row(r: &Row) -> StorageResult<DecisionRecord> {
    let kind: String = r.try_get(3).map_err(pg)?;
    let party_kind: String = r.try_get(10).map_err(pg)?;
    Ok(DecisionRecord {
        id: r.try_get(0).map_err(pg)?,
        agency_id: r.try_get(1).map_err(pg)?,
        draft_id: r.try_get(2).map_err(pg)?,
        kind: DecisionKind::parse(&kind).ok_or_else(|| bad("决定种类"))?,
        title: r.try_get(4).map_err(pg)?,
        doc_number: r.try_get(5).map_err(pg)?,
        decided_on: r.try_get(6).map_err(pg)?,
        decided_at: r.try_get(7).map_err(pg)?,
        decided_by: r.try_get(8).map_err(pg)?,
        category: r.try_get(9).map_err(pg)?,
        party_kind: PartyKind::parse(&party_kind).ok_or_else(|| bad("当事人类型"))?,
        party_name: r.try_get(11).map_err(pg)?,
        party_code: r.try_get(12).map_err(pg)?,
        legal_basis: r.try_get(13).map_err(pg)?,
        conclusion: r.try_get(14).map_err(pg)?,
        fine_fen: r.try_get(15).map_err(pg)?,
        major: r.try_get(16).map_err(pg)?,
        catalogue_version: opt_u32_of(r, 17)?,
        reviewed_version: opt_u32_of(r, 18)?,
        inspection_ids: r.try_get(19).map_err(pg)?,
        confidential: r.try_get(20).map_err(pg)?,
    })
}

const EVENT_COLS: &str = "seq, agency_id, draft_id, kind, version, by_user, at, detail";

fn event_from_row(r: &Row) -> StorageResult<LegalEvent> {
    let Json(detail) = r.try_get(7).map_err(pg)?;
    Ok(LegalEvent {
        seq: r.try_get(0).map_err(pg)?,
        agency_id: r.try_get(1).map_err(pg)?,
        draft_id: r.try_get(2).map_err(pg)?,
        kind: r.try_get(3).map_err(pg)?,
        version: opt_u32_of(r, 4)?,
        by_user: r.try_get(5).map_err(pg)?,
        at: r.try_get(6).map_err(pg)?,
        detail,
    })
}

const CATALOGUE_COLS: &str = "agency_id, version, body, note, created_by, created_at";

fn catalogue_from_row(r: &Row) -> StorageResult<CatalogueVersion> {
    let Json(catalogue) = r.try_get(2).map_err(pg)?;
    Ok(CatalogueVersion {
        agency_id: r.try_get(0).map_err(pg)?,
        version: u32_of(r, 1)?,
        catalogue,
        note: r.try_get(3).map_err(pg)?,
        created_by: r.try_get(4).map_err(pg)?,
        created_at: r.try_get(5).map_err(pg)?,
    })
}

fn review_from_row(r: &Row) -> StorageResult<ReviewRecord> {
    let opinion: String = r.try_get(3).map_err(pg)?;
    let Json(checks) = r.try_get(5).map_err(pg)?;
    Ok(ReviewRecord {
        draft_id: r.try_get(0).map_err(pg)?,
        version: u32_of(r, 1)?,
        reviewer: r.try_get(2).map_err(pg)?,
        opinion: Opinion::parse(&opinion).ok_or_else(|| bad("审核意见"))?,
        opinion_text: r.try_get(4).map_err(pg)?,
        checks,
        at: r.try_get(6).map_err(pg)?,
    })
}

fn dispute_from_row(r: &Row) -> StorageResult<DisputeRecord> {
    let outcome: Option<String> = r.try_get(6).map_err(pg)?;
    Ok(DisputeRecord {
        id: r.try_get(0).map_err(pg)?,
        draft_id: r.try_get(1).map_err(pg)?,
        version: u32_of(r, 2)?,
        raised_by: r.try_get(3).map_err(pg)?,
        raised_at: r.try_get(4).map_err(pg)?,
        reason: r.try_get(5).map_err(pg)?,
        outcome: outcome
            .map(|o| DisputeOutcome::parse(&o).ok_or_else(|| bad("协调结果")))
            .transpose()?,
        outcome_note: r.try_get(7).map_err(pg)?,
        decided_by: r.try_get(8).map_err(pg)?,
        decided_at: r.try_get(9).map_err(pg)?,
    })
}

fn extension_from_row(r: &Row) -> StorageResult<ExtensionRecord> {
    Ok(ExtensionRecord {
        draft_id: r.try_get(0).map_err(pg)?,
        version: u32_of(r, 1)?,
        requested_by: r.try_get(2).map_err(pg)?,
        requested_at: r.try_get(3).map_err(pg)?,
        reason: r.try_get(4).map_err(pg)?,
        approved_by: r.try_get(5).map_err(pg)?,
        approved_at: r.try_get(6).map_err(pg)?,
        leader_note: r.try_get(7).map_err(pg)?,
    })
}

fn rows<T>(rows: Vec<Row>, f: fn(&Row) -> StorageResult<T>) -> StorageResult<Vec<T>> {
    rows.iter().map(f).collect()
}

async fn insert_event(tx: &tokio_postgres::Transaction<'_>, e: &LegalEvent) -> StorageResult<()> {
    tx.execute(
        "INSERT INTO legal_events (agency_id, draft_id, kind, version, by_user, at, detail)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            &e.agency_id,
            &e.draft_id,
            &e.kind,
            &opt_int(e.version)?,
            &e.by_user,
            &e.at,
            &Json(&e.detail),
        ],
    )
    .await
    .map_err(pg)?;
    Ok(())
}

/// A draft as stored, its row locked until the end of `tx`.
async fn locked_draft(
    tx: &tokio_postgres::Transaction<'_>,
    id: &str,
) -> StorageResult<Option<DraftRecord>> {
    let row = tx
        .query_opt(
            &format!("SELECT {DRAFT_COLS} FROM legal_drafts WHERE id = $1 FOR UPDATE"),
            &[&id],
        )
        .await
        .map_err(pg)?;
    row.as_ref().map(draft_from_row).transpose()
}

/// Carries out one workflow step inside `tx` (see [`LegalWrite`]).
async fn apply_tx(tx: &tokio_postgres::Transaction<'_>, w: &LegalWrite) -> StorageResult<()> {
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
        // A second submit of the same form waits here for the first one's
        // transaction, then finds its row: done once.
        tx.execute(
            "INSERT INTO legal_forms (form_id, draft_id, action, user_id, at)
             VALUES ($1, $2, $3, $4, $5)",
            &[form_id, &draft_id, action, &user, &at],
        )
        .await
        .map_err(|e| conflict_or(e, format!("表单 {form_id}")))?;
    }
    // The optimistic check (issue 18): the draft as the step read it, locked until
    // the end of the step, so a concurrent step based on the same read waits and
    // then finds it changed.
    match &w.base {
        None => {}
        Some(DraftBase::New) => {
            let id = w.draft.as_ref().map(|d| d.id.as_str()).unwrap_or_default();
            // Two creations of one id at once: the second waits here, then finds it.
            tx.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended('legal_drafts/' || $1, 0))",
                &[&id],
            )
            .await
            .map_err(pg)?;
            if locked_draft(tx, id).await?.is_some() {
                return Err(StorageError::Stale(format!("draft {id} exists already")));
            }
        }
        Some(DraftBase::Read(read)) => {
            let stored = locked_draft(tx, &read.id).await?;
            if stored.as_ref() != Some(read.as_ref()) {
                return Err(StorageError::Stale(format!(
                    "draft {} changed since it was read",
                    read.id
                )));
            }
        }
    }
    if let Some((id, states)) = &w.expect {
        // FOR UPDATE: a concurrent step on the same draft waits for this one and
        // then sees the state it leaves.
        let row = tx
            .query_opt(
                "SELECT status FROM legal_drafts WHERE id = $1 FOR UPDATE",
                &[id],
            )
            .await
            .map_err(pg)?;
        let status = match row {
            None => None,
            Some(r) => DraftStatus::parse(&r.try_get::<_, String>(0).map_err(pg)?),
        };
        match status {
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
                 title, kind, catalogue_version, triggers, version, received_on, extended, heads,
                 bytes)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
             ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at,
                 status = excluded.status, title = excluded.title, kind = excluded.kind,
                 catalogue_version = excluded.catalogue_version, triggers = excluded.triggers,
                 version = excluded.version, received_on = excluded.received_on,
                 extended = excluded.extended, heads = excluded.heads, bytes = excluded.bytes",
            &[
                &d.id,
                &d.agency_id,
                &d.created_by,
                &d.created_at,
                &d.updated_at,
                &d.status.as_str(),
                &d.title,
                &d.kind.as_str(),
                &opt_int(d.catalogue_version)?,
                &Json(&d.triggers),
                &int(d.version)?,
                &d.received_on,
                &d.extended,
                &d.heads,
                &d.bytes,
            ],
        )
        .await
        .map_err(pg)?;
    }
    if let Some(v) = &w.version {
        tx.execute(
            "INSERT INTO legal_versions (draft_id, version, submitted_by, submitted_at,
                 received_on, heads, content, catalogue_version, triggers, note)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            &[
                &v.draft_id,
                &int(v.version)?,
                &v.submitted_by,
                &v.submitted_at,
                &v.received_on,
                &v.heads,
                &Json(&v.content),
                &int(v.catalogue_version)?,
                &Json(&v.triggers),
                &v.note,
            ],
        )
        .await
        .map_err(|e| conflict_or(e, format!("第 {} 版提交", v.version)))?;
    }
    if let Some((draft_id, version, by, at)) = &w.review_started {
        tx.execute(
            "UPDATE legal_versions SET review_started_by = $3, review_started_at = $4
             WHERE draft_id = $1 AND version = $2 AND review_started_at IS NULL",
            &[draft_id, &int(*version)?, by, at],
        )
        .await
        .map_err(pg)?;
    }
    if let Some(r) = &w.review {
        tx.execute(
            "INSERT INTO legal_reviews (draft_id, version, reviewer, opinion, opinion_text,
                 checks, at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                &r.draft_id,
                &int(r.version)?,
                &r.reviewer,
                &r.opinion.as_str(),
                &r.opinion_text,
                &Json(&r.checks),
                &r.at,
            ],
        )
        .await
        .map_err(|e| conflict_or(e, format!("第 {} 版的审核意见", r.version)))?;
    }
    if let Some(x) = &w.extension {
        tx.execute(
            "INSERT INTO legal_extensions (draft_id, version, requested_by, requested_at, reason,
                 approved_by, approved_at, leader_note)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (draft_id) DO UPDATE SET approved_by = excluded.approved_by,
                 approved_at = excluded.approved_at, leader_note = excluded.leader_note",
            &[
                &x.draft_id,
                &int(x.version)?,
                &x.requested_by,
                &x.requested_at,
                &x.reason,
                &x.approved_by,
                &x.approved_at,
                &x.leader_note,
            ],
        )
        .await
        .map_err(pg)?;
    }
    if let Some(d) = &w.dispute {
        tx.execute(
            "INSERT INTO legal_disputes (id, draft_id, version, raised_by, raised_at, reason,
                 outcome, outcome_note, decided_by, decided_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             ON CONFLICT (id) DO UPDATE SET outcome = excluded.outcome,
                 outcome_note = excluded.outcome_note, decided_by = excluded.decided_by,
                 decided_at = excluded.decided_at",
            &[
                &d.id,
                &d.draft_id,
                &int(d.version)?,
                &d.raised_by,
                &d.raised_at,
                &d.reason,
                &d.outcome.map(|o| o.as_str()),
                &d.outcome_note,
                &d.decided_by,
                &d.decided_at,
            ],
        )
        .await
        .map_err(|e| conflict_or(e, "未结束的异议"))?;
    }
    if let Some(d) = &w.decision {
        tx.execute(
            &format!(
                "INSERT INTO decisions ({DECISION_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8,
                 $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)"
            ),
            &[
                &d.id,
                &d.agency_id,
                &d.draft_id,
                &d.kind.as_str(),
                &d.title,
                &d.doc_number,
                &d.decided_on,
                &d.decided_at,
                &d.decided_by,
                &d.category,
                &d.party_kind.as_str(),
                &d.party_name,
                &d.party_code,
                &d.legal_basis,
                &d.conclusion,
                &d.fine_fen,
                &d.major,
                &opt_int(d.catalogue_version)?,
                &opt_int(d.reviewed_version)?,
                &d.inspection_ids,
                &d.confidential,
            ],
        )
        .await
        .map_err(|e| conflict_or(e, format!("文书编号“{}”", d.doc_number)))?;
    }
    for e in &w.events {
        insert_event(tx, e).await?;
    }
    Ok(())
}

#[async_trait]
impl LegalStorage for PgStorage {
    async fn apply_legal(&self, w: &LegalWrite) -> StorageResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(pg)?;
        apply_tx(&tx, w).await?;
        tx.commit().await.map_err(pg)
    }

    async fn legal_draft(&self, id: &str) -> StorageResult<Option<DraftRecord>> {
        let c = self.client().await?;
        let row = c
            .query_opt(
                &format!("SELECT {DRAFT_COLS} FROM legal_drafts WHERE id = $1"),
                &[&id],
            )
            .await
            .map_err(pg)?;
        row.as_ref().map(draft_from_row).transpose()
    }

    async fn legal_drafts(
        &self,
        agency_id: &str,
        states: &[DraftStatus],
    ) -> StorageResult<Vec<DraftRecord>> {
        let states: Vec<&str> = states.iter().map(|s| s.as_str()).collect();
        let c = self.client().await?;
        let found = c
            .query(
                &format!(
                    "SELECT {LIST_COLS} FROM legal_drafts
                     WHERE agency_id = $1 AND (cardinality($2::text[]) = 0 OR status = ANY($2))
                     ORDER BY updated_at DESC, id"
                ),
                &[&agency_id, &states],
            )
            .await
            .map_err(pg)?;
        rows(found, draft_from_row)
    }

    async fn legal_versions(&self, draft_id: &str) -> StorageResult<Vec<VersionRecord>> {
        let c = self.client().await?;
        let found = c
            .query(
                &format!(
                    "SELECT {VERSION_COLS} FROM legal_versions WHERE draft_id = $1 ORDER BY version"
                ),
                &[&draft_id],
            )
            .await
            .map_err(pg)?;
        rows(found, version_from_row)
    }

    async fn legal_reviews(&self, draft_id: &str) -> StorageResult<Vec<ReviewRecord>> {
        let c = self.client().await?;
        let found = c
            .query(
                "SELECT draft_id, version, reviewer, opinion, opinion_text, checks, at
                 FROM legal_reviews WHERE draft_id = $1 ORDER BY version",
                &[&draft_id],
            )
            .await
            .map_err(pg)?;
        rows(found, review_from_row)
    }

    async fn legal_extension(&self, draft_id: &str) -> StorageResult<Option<ExtensionRecord>> {
        let c = self.client().await?;
        let row = c
            .query_opt(
                "SELECT draft_id, version, requested_by, requested_at, reason, approved_by,
                        approved_at, leader_note
                 FROM legal_extensions WHERE draft_id = $1",
                &[&draft_id],
            )
            .await
            .map_err(pg)?;
        row.as_ref().map(extension_from_row).transpose()
    }

    async fn legal_disputes(&self, draft_id: &str) -> StorageResult<Vec<DisputeRecord>> {
        let c = self.client().await?;
        let found = c
            .query(
                "SELECT id, draft_id, version, raised_by, raised_at, reason, outcome,
                        outcome_note, decided_by, decided_at
                 FROM legal_disputes WHERE draft_id = $1 ORDER BY raised_at, id",
                &[&draft_id],
            )
            .await
            .map_err(pg)?;
        rows(found, dispute_from_row)
    }

    async fn legal_form(&self, form_id: &str) -> StorageResult<Option<(String, String)>> {
        let c = self.client().await?;
        let row = c
            .query_opt(
                "SELECT draft_id, action FROM legal_forms WHERE form_id = $1",
                &[&form_id],
            )
            .await
            .map_err(pg)?;
        row.map(|r| Ok((r.try_get(0).map_err(pg)?, r.try_get(1).map_err(pg)?)))
            .transpose()
    }

    async fn legal_events(&self, draft_id: &str) -> StorageResult<Vec<LegalEvent>> {
        let c = self.client().await?;
        let found = c
            .query(
                &format!("SELECT {EVENT_COLS} FROM legal_events WHERE draft_id = $1 ORDER BY seq"),
                &[&draft_id],
            )
            .await
            .map_err(pg)?;
        rows(found, event_from_row)
    }

    async fn legal_agency_events(
        &self,
        agency_id: &str,
        limit: u32,
    ) -> StorageResult<Vec<LegalEvent>> {
        let c = self.client().await?;
        let found = c
            .query(
                &format!(
                    "SELECT {EVENT_COLS} FROM legal_events
                     WHERE agency_id = $1 AND draft_id IS NULL ORDER BY seq DESC LIMIT $2"
                ),
                &[&agency_id, &i64::from(limit)],
            )
            .await
            .map_err(pg)?;
        rows(found, event_from_row)
    }

    async fn catalogue(
        &self,
        agency_id: &str,
        version: Option<u32>,
    ) -> StorageResult<Option<CatalogueVersion>> {
        let c = self.client().await?;
        let sql = format!("SELECT {CATALOGUE_COLS} FROM legal_catalogues WHERE agency_id = $1");
        let row = match version {
            Some(v) => c
                .query_opt(&format!("{sql} AND version = $2"), &[&agency_id, &int(v)?])
                .await
                .map_err(pg)?,
            None => c
                .query_opt(
                    &format!("{sql} ORDER BY version DESC LIMIT 1"),
                    &[&agency_id],
                )
                .await
                .map_err(pg)?,
        };
        row.as_ref().map(catalogue_from_row).transpose()
    }

    async fn catalogue_versions(&self, agency_id: &str) -> StorageResult<Vec<CatalogueVersion>> {
        let c = self.client().await?;
        let found = c
            .query(
                &format!(
                    "SELECT {CATALOGUE_COLS} FROM legal_catalogues WHERE agency_id = $1
                     ORDER BY version DESC"
                ),
                &[&agency_id],
            )
            .await
            .map_err(pg)?;
        rows(found, catalogue_from_row)
    }

    async fn add_catalogue(
        &self,
        agency_id: &str,
        catalogue: &Catalogue,
        note: &str,
        by_user: &str,
        at: DateTime<Utc>,
    ) -> StorageResult<u32> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(pg)?;
        // The next number is chosen inside the transaction; two admins saving at
        // once (on any instance) take turns on this agency's lock (R-LEGAL-2).
        tx.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended('legal_catalogues/' || $1, 0))",
            &[&agency_id],
        )
        .await
        .map_err(pg)?;
        let next: i32 = tx
            .query_one(
                "SELECT COALESCE(MAX(version), 0) + 1 FROM legal_catalogues WHERE agency_id = $1",
                &[&agency_id],
            )
            .await
            .and_then(|r| r.try_get(0))
            .map_err(pg)?;
        tx.execute(
            "INSERT INTO legal_catalogues (agency_id, version, body, note, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[&agency_id, &next, &Json(catalogue), &note, &by_user, &at],
        )
        .await
        .map_err(|e| conflict_or(e, format!("目录第 {next} 版")))?;
        let next = u32::try_from(next).map_err(|_| bad("版本号"))?;
        insert_event(
            &tx,
            &LegalEvent {
                seq: 0,
                agency_id: agency_id.to_string(),
                draft_id: None,
                kind: "catalogue_edited".into(),
                version: Some(next),
                by_user: by_user.to_string(),
                at,
                detail: serde_json::json!({ "note": note }),
            },
        )
        .await?;
        tx.commit().await.map_err(pg)?;
        Ok(next)
    }

    async fn decision(&self, id: &str) -> StorageResult<Option<DecisionRecord>> {
        let c = self.client().await?;
        let row = c
            .query_opt(
                &format!("SELECT {DECISION_COLS} FROM decisions WHERE id = $1"),
                &[&id],
            )
            .await
            .map_err(pg)?;
        row.as_ref().map(decision_from_row).transpose()
    }

    async fn decision_of_draft(&self, draft_id: &str) -> StorageResult<Option<DecisionRecord>> {
        let c = self.client().await?;
        let row = c
            .query_opt(
                &format!("SELECT {DECISION_COLS} FROM decisions WHERE draft_id = $1"),
                &[&draft_id],
            )
            .await
            .map_err(pg)?;
        row.as_ref().map(decision_from_row).transpose()
    }

    async fn decisions_of_agency(&self, agency_id: &str) -> StorageResult<Vec<DecisionRecord>> {
        let c = self.client().await?;
        let found = c
            .query(
                &format!(
                    "SELECT {DECISION_COLS} FROM decisions WHERE agency_id = $1
                     ORDER BY decided_on DESC, decided_at DESC"
                ),
                &[&agency_id],
            )
            .await
            .map_err(pg)?;
        rows(found, decision_from_row)
    }

    async fn calendar_years(&self) -> StorageResult<Vec<(i32, String)>> {
        let c = self.client().await?;
        let found = c
            .query("SELECT year, json FROM calendar_years ORDER BY year", &[])
            .await
            .map_err(pg)?;
        found
            .iter()
            .map(|r| Ok((r.try_get(0).map_err(pg)?, r.try_get(1).map_err(pg)?)))
            .collect()
    }

    async fn put_calendar_year(
        &self,
        year: i32,
        json: &str,
        event: &LegalEvent,
    ) -> StorageResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(pg)?;
        tx.execute(
            "INSERT INTO calendar_years (year, json, imported_by, imported_at)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (year) DO UPDATE SET json = excluded.json,
                 imported_by = excluded.imported_by, imported_at = excluded.imported_at",
            &[&year, &json, &event.by_user, &event.at],
        )
        .await
        .map_err(pg)?;
        insert_event(&tx, event).await?;
        tx.commit().await.map_err(pg)
    }
}
