//! PostgreSQL implementation of [`liuhen_server_store::publicity::PublicityStorage`]
//! (tables of migration 0002). Reads the `decisions` table of the legal workflow
//! read-only, selecting only the columns a public record may use: a person's ID
//! number and the confidential notes are never selected (R-POST-2).
//!
//! A step locks the publication row (`FOR UPDATE`) before checking its state, so
//! two staff acting on one decision at once, on one instance or two, are ordered
//! and the second one is refused as on SQLite (R-POST-7); a form sent twice at once
//! is done once (its `publication_forms` row is written first).

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use tokio_postgres::Row;
use tokio_postgres::types::{Json, ToSql};

use liuhen_domain::legal::{DecisionKind, PartyKind};
use liuhen_server_store::public_profile::{DECISION_KINDS, YearCounts};
use liuhen_server_store::publicity::{
    CategoryCounts, PublicFilter, PublicSource, PublicationEvent, PublicationRecord,
    PublicationStep, PublicityStorage, PublishedRow, QueueEntry, StepOutcome, WithdrawReason,
    WithdrawalRecord,
};
use liuhen_server_store::{StorageError, StorageResult};

use super::{PgStorage, conflict_or, pg};

/// Columns of [`PublicSource`] (alias `d`), 13 of them. `party_code` only for a
/// company; `confidential` never.
const SOURCE_COLS: &str = "d.id, d.agency_id, d.kind, d.title, d.doc_number, d.decided_on, \
     d.category, d.party_kind, d.party_name, \
     CASE WHEN d.party_kind = 'company' THEN d.party_code ELSE '' END, \
     d.legal_basis, d.conclusion, d.fine_fen";

/// Columns of [`PublicationRecord`] (alias `p`), 15 of them.
const PUB_COLS: &str = "p.decision_id, p.agency_id, p.public_body, p.public_target, \
     p.public_code, p.filed_by, p.filed_at, p.reviewed_by, p.reviewed_at, p.approved_by, \
     p.approved_at, p.published_on, p.due_on, p.late, p.late_working_days";

/// Columns of [`WithdrawalRecord`] (alias `w`), 7 of them.
const WD_COLS: &str =
    "w.decision_id, w.agency_id, w.reason_kind, w.reason, w.by_user, w.at, w.withdrawn_on";

/// A SQL count as `u64` (a negative count cannot happen; it reads as 0).
fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

fn bad(what: String) -> StorageError {
    StorageError::Backend(format!("公示数据无法识别：{what}"))
}

fn source_at(r: &Row, o: usize) -> StorageResult<PublicSource> {
    let kind: String = r.try_get(o + 2).map_err(pg)?;
    let party: String = r.try_get(o + 7).map_err(pg)?;
    Ok(PublicSource {
        id: r.try_get(o).map_err(pg)?,
        agency_id: r.try_get(o + 1).map_err(pg)?,
        kind: DecisionKind::parse(&kind).ok_or_else(|| bad(format!("决定种类 {kind}")))?,
        title: r.try_get(o + 3).map_err(pg)?,
        doc_number: r.try_get(o + 4).map_err(pg)?,
        decided_on: r.try_get(o + 5).map_err(pg)?,
        category: r.try_get(o + 6).map_err(pg)?,
        party_kind: PartyKind::parse(&party).ok_or_else(|| bad(format!("当事人类型 {party}")))?,
        party_name: r.try_get(o + 8).map_err(pg)?,
        company_code: r.try_get(o + 9).map_err(pg)?,
        legal_basis: r.try_get(o + 10).map_err(pg)?,
        conclusion: r.try_get(o + 11).map_err(pg)?,
        fine_fen: r.try_get(o + 12).map_err(pg)?,
    })
}

/// A publication at column `o`; None when the left join found none.
fn publication_at(r: &Row, o: usize) -> StorageResult<Option<PublicationRecord>> {
    let id: Option<String> = r.try_get(o).map_err(pg)?;
    let Some(decision_id) = id else {
        return Ok(None);
    };
    let late_days: Option<i32> = r.try_get(o + 14).map_err(pg)?;
    Ok(Some(PublicationRecord {
        decision_id,
        agency_id: r.try_get(o + 1).map_err(pg)?,
        public_body: r.try_get(o + 2).map_err(pg)?,
        public_target: r.try_get(o + 3).map_err(pg)?,
        public_code: r.try_get(o + 4).map_err(pg)?,
        filed_by: r.try_get(o + 5).map_err(pg)?,
        filed_at: r.try_get(o + 6).map_err(pg)?,
        reviewed_by: r.try_get(o + 7).map_err(pg)?,
        reviewed_at: r.try_get(o + 8).map_err(pg)?,
        approved_by: r.try_get(o + 9).map_err(pg)?,
        approved_at: r.try_get(o + 10).map_err(pg)?,
        published_on: r.try_get(o + 11).map_err(pg)?,
        due_on: r.try_get(o + 12).map_err(pg)?,
        late: r.try_get(o + 13).map_err(pg)?,
        late_working_days: late_days.and_then(|n| u32::try_from(n).ok()),
    }))
}

fn withdrawal_at(r: &Row, o: usize) -> StorageResult<Option<WithdrawalRecord>> {
    let id: Option<String> = r.try_get(o).map_err(pg)?;
    let Some(decision_id) = id else {
        return Ok(None);
    };
    let kind: String = r.try_get(o + 2).map_err(pg)?;
    Ok(Some(WithdrawalRecord {
        decision_id,
        agency_id: r.try_get(o + 1).map_err(pg)?,
        reason_kind: WithdrawReason::parse(&kind).ok_or_else(|| bad(format!("撤回原因 {kind}")))?,
        reason: r.try_get(o + 3).map_err(pg)?,
        by_user: r.try_get(o + 4).map_err(pg)?,
        at: r.try_get(o + 5).map_err(pg)?,
        withdrawn_on: r.try_get(o + 6).map_err(pg)?,
    }))
}

fn entry_from_row(r: &Row) -> StorageResult<QueueEntry> {
    Ok(QueueEntry {
        source: source_at(r, 0)?,
        publication: publication_at(r, 13)?,
        withdrawal: withdrawal_at(r, 28)?,
    })
}

fn queue_sql(where_clause: &str) -> String {
    format!(
        "SELECT {SOURCE_COLS}, {PUB_COLS}, {WD_COLS} FROM decisions d
         LEFT JOIN publications p ON p.decision_id = d.id
         LEFT JOIN publication_withdrawals w ON w.decision_id = d.id
         WHERE {where_clause}
         ORDER BY d.decided_on DESC, d.id DESC"
    )
}

fn conflict(msg: &str) -> StorageError {
    StorageError::Conflict(msg.to_string())
}

/// The publication row as it is inside the transaction, locked until its end:
/// (filed_by, reviewed_by, approved_by).
type Roles = (String, Option<String>, Option<String>);

async fn roles_of(
    tx: &tokio_postgres::Transaction<'_>,
    decision_id: &str,
) -> StorageResult<Option<Roles>> {
    let row = tx
        .query_opt(
            "SELECT filed_by, reviewed_by, approved_by FROM publications
             WHERE decision_id = $1 FOR UPDATE",
            &[&decision_id],
        )
        .await
        .map_err(pg)?;
    row.map(|r| {
        Ok((
            r.try_get(0).map_err(pg)?,
            r.try_get(1).map_err(pg)?,
            r.try_get(2).map_err(pg)?,
        ))
    })
    .transpose()
}

async fn event(
    tx: &tokio_postgres::Transaction<'_>,
    agency_id: &str,
    decision_id: &str,
    kind: &str,
    by: &str,
    at: DateTime<Utc>,
    detail: &serde_json::Value,
) -> StorageResult<()> {
    tx.execute(
        "INSERT INTO publication_events (agency_id, decision_id, kind, by_user, at, detail)
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[&agency_id, &decision_id, &kind, &by, &at, &Json(detail)],
    )
    .await
    .map_err(pg)?;
    Ok(())
}

fn date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// Carries out `step` inside `tx` (state and three-person checks included).
async fn apply_step(
    tx: &tokio_postgres::Transaction<'_>,
    step: &PublicationStep,
) -> StorageResult<()> {
    let decision_id = step.decision_id();
    let agency = tx
        .query_opt(
            "SELECT agency_id FROM decisions WHERE id = $1",
            &[&decision_id],
        )
        .await
        .map_err(pg)?;
    let Some(agency) = agency else {
        return Err(StorageError::NotFound("该执法决定".into()));
    };
    let agency: String = agency.try_get(0).map_err(pg)?;
    let roles = roles_of(tx, decision_id).await?;
    match step {
        PublicationStep::File {
            public_body,
            public_target,
            public_code,
            by,
            at,
            ..
        } => {
            if roles.is_some() {
                return Err(conflict("该决定已经填报，不能重复填报"));
            }
            tx.execute(
                "INSERT INTO publications (decision_id, agency_id, public_body, public_target,
                 public_code, filed_by, filed_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &[
                    &decision_id,
                    &agency,
                    public_body,
                    public_target,
                    public_code,
                    by,
                    at,
                ],
            )
            .await
            // Filed meanwhile by someone else (the row did not exist to lock).
            .map_err(|e| conflict_or(e, "该决定已经填报，不能重复填报"))?;
            event(
                tx,
                &agency,
                decision_id,
                "filed",
                by,
                *at,
                &serde_json::json!({ "public_target": public_target }),
            )
            .await
        }
        PublicationStep::Review { by, at, .. } => {
            let Some((filer, reviewer, _)) = roles else {
                return Err(conflict("该决定尚未填报，不能审核"));
            };
            if reviewer.is_some() {
                return Err(conflict("该决定已经审核，不能重复审核"));
            }
            if &filer == by {
                return Err(conflict(
                    "R-POST-7：填报人、审核人、审批人须为三个不同的人员；您是本条的填报人，不能再审核",
                ));
            }
            tx.execute(
                "UPDATE publications SET reviewed_by = $2, reviewed_at = $3 WHERE decision_id = $1",
                &[&decision_id, by, at],
            )
            .await
            .map_err(pg)?;
            event(
                tx,
                &agency,
                decision_id,
                "reviewed",
                by,
                *at,
                &serde_json::json!({}),
            )
            .await
        }
        PublicationStep::Approve {
            by,
            at,
            published_on,
            due_on,
            late,
            late_working_days,
            ..
        } => {
            let Some((filer, reviewer, approver)) = roles else {
                return Err(conflict("该决定尚未填报，不能审批"));
            };
            if approver.is_some() {
                return Err(conflict("该决定已经公开，不能重复审批"));
            }
            let Some(reviewer) = reviewer else {
                return Err(conflict("该决定尚未审核，不能审批"));
            };
            if &filer == by || &reviewer == by {
                return Err(conflict(
                    "R-POST-7：填报人、审核人、审批人须为三个不同的人员；您已是本条的填报人或审核人，不能再审批",
                ));
            }
            let days: Option<i32> = late_working_days.map(|n| i32::try_from(n).unwrap_or(i32::MAX));
            tx.execute(
                "UPDATE publications SET approved_by = $2, approved_at = $3, published_on = $4,
                 due_on = $5, late = $6, late_working_days = $7 WHERE decision_id = $1",
                &[&decision_id, by, at, published_on, due_on, late, &days],
            )
            .await
            .map_err(pg)?;
            event(
                tx,
                &agency,
                decision_id,
                "published",
                by,
                *at,
                &serde_json::json!({
                    "published_on": date(*published_on),
                    "due_on": due_on.map(date),
                    "late": late,
                    "late_working_days": late_working_days,
                }),
            )
            .await
        }
        PublicationStep::Withdraw(w) => {
            if !matches!(roles, Some((_, _, Some(_)))) {
                return Err(conflict("R-POST-3：只有已公开的决定才能撤回"));
            }
            tx.execute(
                "INSERT INTO publication_withdrawals (decision_id, agency_id, reason_kind, reason,
                 by_user, at, withdrawn_on) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &[
                    &decision_id,
                    &agency,
                    &w.reason_kind.as_str(),
                    &w.reason,
                    &w.by_user,
                    &w.at,
                    &w.withdrawn_on,
                ],
            )
            .await
            .map_err(|e| conflict_or(e, "R-POST-3：该决定已经撤回"))?;
            event(
                tx,
                &agency,
                decision_id,
                "withdrawn",
                &w.by_user,
                w.at,
                &serde_json::json!({
                    "reason_kind": w.reason_kind.as_str(),
                    "reason": w.reason,
                    "withdrawn_on": date(w.withdrawn_on),
                }),
            )
            .await
        }
    }
}

/// A query parameter of a statement built at run time.
type Param = Box<dyn ToSql + Sync + Send>;

/// The WHERE clause and parameters of a public search.
fn filter_sql(f: &PublicFilter) -> (String, Vec<Param>) {
    let mut clauses = vec![
        "p.approved_at IS NOT NULL".to_string(),
        "NOT EXISTS (SELECT 1 FROM publication_withdrawals w WHERE w.decision_id = d.id)"
            .to_string(),
    ];
    let mut args: Vec<Param> = vec![];
    let arg = |v: Param, args: &mut Vec<Param>| {
        args.push(v);
        format!("${}", args.len())
    };
    if let Some(q) = &f.q {
        let a = arg(Box::new(q.clone()), &mut args);
        // strpos: no LIKE wildcards to escape; matches only what is public (the
        // masked target name and a company's credit code), never a person's name.
        clauses.push(format!(
            "(strpos(p.public_target, {a}::text) > 0 OR \
             (p.public_code <> '' AND strpos(p.public_code, upper({a}::text)) > 0))"
        ));
    }
    if let Some(c) = &f.category {
        let a = arg(Box::new(c.clone()), &mut args);
        clauses.push(format!("d.category = {a}"));
    }
    if let Some(k) = f.kind {
        let a = arg(Box::new(k.as_str()), &mut args);
        clauses.push(format!("d.kind = {a}"));
    }
    if let Some(from) = f.from {
        let a = arg(Box::new(from), &mut args);
        clauses.push(format!("d.decided_on >= {a}"));
    }
    if let Some(to) = f.to {
        let a = arg(Box::new(to), &mut args);
        clauses.push(format!("d.decided_on <= {a}"));
    }
    if let Some(ag) = &f.agency {
        let a = arg(Box::new(ag.clone()), &mut args);
        clauses.push(format!("d.agency_id = {a}"));
    }
    (clauses.join(" AND "), args)
}

fn refs(params: &[Param]) -> Vec<&(dyn ToSql + Sync)> {
    params
        .iter()
        .map(|p| p.as_ref() as &(dyn ToSql + Sync))
        .collect()
}

/// The first and last day of `year`.
fn year_days(year: i32) -> StorageResult<(NaiveDate, NaiveDate)> {
    match (
        NaiveDate::from_ymd_opt(year, 1, 1),
        NaiveDate::from_ymd_opt(year, 12, 31),
    ) {
        (Some(a), Some(b)) => Ok((a, b)),
        _ => Err(StorageError::Backend(format!("年份 {year} 超出范围"))),
    }
}

/// [`year_days`] for the public profile's counts too.
pub(crate) fn year_bounds(year: i32) -> StorageResult<(NaiveDate, NaiveDate)> {
    year_days(year)
}

#[async_trait]
impl PublicityStorage for PgStorage {
    async fn publication_step(
        &self,
        form: Option<&str>,
        step: &PublicationStep,
    ) -> StorageResult<StepOutcome> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(pg)?;
        if let Some(form_id) = form {
            let (by, at) = match step {
                PublicationStep::File { by, at, .. }
                | PublicationStep::Review { by, at, .. }
                | PublicationStep::Approve { by, at, .. } => (by.as_str(), *at),
                PublicationStep::Withdraw(w) => (w.by_user.as_str(), w.at),
            };
            // First: the same form sent twice at once waits here for the first
            // one's transaction and then finds its row (nothing else written).
            let fresh = tx
                .execute(
                    "INSERT INTO publication_forms (form_id, decision_id, action, user_id, at)
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (form_id) DO NOTHING",
                    &[&form_id, &step.decision_id(), &step.action(), &by, &at],
                )
                .await
                .map_err(pg)?;
            if fresh == 0 {
                return Ok(StepOutcome::AlreadyDone);
            }
        }
        apply_step(&tx, step).await?;
        tx.commit().await.map_err(pg)?;
        Ok(StepOutcome::Done)
    }

    async fn publication_queue(&self, agency_id: &str) -> StorageResult<Vec<QueueEntry>> {
        let c = self.client().await?;
        let rows = c
            .query(&queue_sql("d.agency_id = $1"), &[&agency_id])
            .await
            .map_err(pg)?;
        rows.iter().map(entry_from_row).collect()
    }

    async fn publication_entry(&self, decision_id: &str) -> StorageResult<Option<QueueEntry>> {
        let c = self.client().await?;
        let row = c
            .query_opt(&queue_sql("d.id = $1"), &[&decision_id])
            .await
            .map_err(pg)?;
        row.as_ref().map(entry_from_row).transpose()
    }

    async fn publication_events(&self, decision_id: &str) -> StorageResult<Vec<PublicationEvent>> {
        let c = self.client().await?;
        let rows = c
            .query(
                "SELECT seq, decision_id, kind, by_user, at, detail FROM publication_events
                 WHERE decision_id = $1 ORDER BY seq",
                &[&decision_id],
            )
            .await
            .map_err(pg)?;
        rows.iter()
            .map(|r| {
                let Json(detail) = r.try_get(5).map_err(pg)?;
                Ok(PublicationEvent {
                    seq: r.try_get(0).map_err(pg)?,
                    decision_id: r.try_get(1).map_err(pg)?,
                    kind: r.try_get(2).map_err(pg)?,
                    by_user: r.try_get(3).map_err(pg)?,
                    at: r.try_get(4).map_err(pg)?,
                    detail,
                })
            })
            .collect()
    }

    async fn search_published(
        &self,
        filter: &PublicFilter,
        offset: u64,
        limit: u32,
    ) -> StorageResult<(Vec<PublishedRow>, u64)> {
        let (clause, mut args) = filter_sql(filter);
        let from = "FROM decisions d JOIN publications p ON p.decision_id = d.id";
        let c = self.client().await?;
        let total: i64 = c
            .query_one(
                &format!("SELECT COUNT(*) {from} WHERE {clause}"),
                &refs(&args),
            )
            .await
            .and_then(|r| r.try_get(0))
            .map_err(pg)?;
        let n = args.len();
        let sql = format!(
            "SELECT {SOURCE_COLS}, {PUB_COLS} {from} WHERE {clause}
             ORDER BY d.decided_on DESC, d.id DESC LIMIT ${} OFFSET ${}",
            n + 1,
            n + 2
        );
        args.push(Box::new(i64::from(limit)));
        args.push(Box::new(i64::try_from(offset).unwrap_or(i64::MAX)));
        let rows = c.query(&sql, &refs(&args)).await.map_err(pg)?;
        let rows = rows
            .iter()
            .map(|r| {
                let source = source_at(r, 0)?;
                let publication =
                    publication_at(r, 13)?.ok_or_else(|| bad("缺少公示记录".into()))?;
                Ok(PublishedRow {
                    source,
                    publication,
                })
            })
            .collect::<StorageResult<Vec<_>>>()?;
        Ok((rows, count(total)))
    }

    async fn published_facets(&self) -> StorageResult<(Vec<(String, String)>, Vec<String>)> {
        let live = "p.approved_at IS NOT NULL AND NOT EXISTS \
             (SELECT 1 FROM publication_withdrawals w WHERE w.decision_id = d.id)";
        let c = self.client().await?;
        // COLLATE "C": byte order, as SQLite sorts text.
        let rows = c
            .query(
                &format!(
                    "SELECT p.agency_id, MIN(p.public_body COLLATE \"C\") FROM decisions d
                     JOIN publications p ON p.decision_id = d.id WHERE {live}
                     GROUP BY p.agency_id ORDER BY p.agency_id COLLATE \"C\""
                ),
                &[],
            )
            .await
            .map_err(pg)?;
        let agencies = rows
            .iter()
            .map(|r| Ok((r.try_get(0).map_err(pg)?, r.try_get(1).map_err(pg)?)))
            .collect::<StorageResult<Vec<_>>>()?;
        let rows = c
            .query(
                &format!(
                    "SELECT DISTINCT d.category COLLATE \"C\" FROM decisions d
                     JOIN publications p ON p.decision_id = d.id WHERE {live}
                     ORDER BY 1"
                ),
                &[],
            )
            .await
            .map_err(pg)?;
        let cats = rows
            .iter()
            .map(|r| r.try_get(0).map_err(pg))
            .collect::<StorageResult<Vec<String>>>()?;
        Ok((agencies, cats))
    }

    async fn year_counts_by_category(
        &self,
        agency_id: &str,
        year: i32,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StorageResult<Vec<CategoryCounts>> {
        let (first_day, last_day) = year_days(year)?;
        let c = self.client().await?;
        let mut by: BTreeMap<String, YearCounts> = BTreeMap::new();
        // R-POST-5: an inspection counts under its task's category; one without a
        // task (临时检查) under its target's catalogued category. LEFT JOINs keep
        // every summary, so the categories add up to the agency's total.
        let rows = c
            .query(
                "SELECT COALESCE(NULLIF(t.data->>'category', ''), g.data->>'category', '') AS cat,
                        COUNT(*)
                 FROM queue_summaries q
                 LEFT JOIN docs d ON d.id = q.doc_id
                 LEFT JOIN roster_tasks t ON t.agency_id = q.agency_id AND t.id = d.task_id
                 LEFT JOIN roster_targets g ON g.agency_id = q.agency_id AND g.id = q.target_id
                 WHERE q.agency_id = $1 AND q.opened_at >= $2 AND q.opened_at < $3
                 GROUP BY 1",
                &[&agency_id, &from, &to],
            )
            .await
            .map_err(pg)?;
        for r in &rows {
            let cat: String = r.try_get(0).map_err(pg)?;
            let n: i64 = r.try_get(1).map_err(pg)?;
            by.entry(cat).or_default().inspections = count(n);
        }
        let rows = c
            .query(
                "SELECT category, kind, COUNT(*), COALESCE(SUM(fine_fen), 0)::bigint
                 FROM decisions
                 WHERE agency_id = $1 AND decided_on >= $2 AND decided_on <= $3
                 GROUP BY category, kind",
                &[&agency_id, &first_day, &last_day],
            )
            .await
            .map_err(pg)?;
        for r in &rows {
            let cat: String = r.try_get(0).map_err(pg)?;
            let kind: String = r.try_get(1).map_err(pg)?;
            let n: i64 = r.try_get(2).map_err(pg)?;
            let fines: i64 = r.try_get(3).map_err(pg)?;
            let e = by.entry(cat).or_default();
            if let Some(i) = DECISION_KINDS.iter().position(|(k, _)| *k == kind) {
                e.decisions[i] = count(n);
            }
            e.fines_fen = e.fines_fen.saturating_add(fines);
        }
        // Legal review opinions: the category of the version that was reviewed.
        let rows = c
            .query(
                "SELECT COALESCE(v.content->>'category', '') AS cat, COUNT(*)
                 FROM legal_reviews r JOIN legal_drafts d ON d.id = r.draft_id
                 LEFT JOIN legal_versions v ON v.draft_id = r.draft_id AND v.version = r.version
                 WHERE d.agency_id = $1 AND r.at >= $2 AND r.at < $3
                 GROUP BY 1",
                &[&agency_id, &from, &to],
            )
            .await
            .map_err(pg)?;
        for r in &rows {
            let cat: String = r.try_get(0).map_err(pg)?;
            let n: i64 = r.try_get(1).map_err(pg)?;
            by.entry(cat).or_default().legal_reviews = count(n);
        }
        Ok(by
            .into_iter()
            .map(|(category, counts)| CategoryCounts { category, counts })
            .collect())
    }
}
