//! SQLite implementation of [`liuhen_server_store::publicity::PublicityStorage`]
//! (migration 0009). Reads the `decisions` table of the legal workflow read-only,
//! selecting only the columns a public record may use: a person's ID number and
//! the confidential notes are never selected (R-POST-2).

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::types::Type;
use rusqlite::{OptionalExtension, Row, Transaction, params};

use liuhen_domain::legal::{DecisionKind, PartyKind};

use super::{SqliteStorage, backend, conflict_or, get_opt_ts, get_ts, ts};
use liuhen_server_store::public_profile::{DECISION_KINDS, YearCounts};
use liuhen_server_store::publicity::{
    CategoryCounts, PublicFilter, PublicSource, PublicationEvent, PublicationRecord,
    PublicationStep, PublicityStorage, PublishedRow, QueueEntry, StepOutcome, WithdrawReason,
    WithdrawalRecord,
};
use liuhen_server_store::{StorageError, StorageResult};

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

fn bad(idx: usize, what: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, what.into())
}

fn get_date(r: &Row<'_>, idx: usize) -> rusqlite::Result<NaiveDate> {
    let s: String = r.get(idx)?;
    NaiveDate::parse_from_str(&s, "%Y-%m-%d").map_err(|e| bad(idx, e.to_string()))
}

fn get_opt_date(r: &Row<'_>, idx: usize) -> rusqlite::Result<Option<NaiveDate>> {
    let s: Option<String> = r.get(idx)?;
    s.map(|s| NaiveDate::parse_from_str(&s, "%Y-%m-%d").map_err(|e| bad(idx, e.to_string())))
        .transpose()
}

fn date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn source_at(r: &Row<'_>, o: usize) -> rusqlite::Result<PublicSource> {
    let kind: String = r.get(o + 2)?;
    let party: String = r.get(o + 7)?;
    Ok(PublicSource {
        id: r.get(o)?,
        agency_id: r.get(o + 1)?,
        kind: DecisionKind::parse(&kind).ok_or_else(|| bad(o + 2, format!("kind {kind}")))?,
        title: r.get(o + 3)?,
        doc_number: r.get(o + 4)?,
        decided_on: get_date(r, o + 5)?,
        category: r.get(o + 6)?,
        party_kind: PartyKind::parse(&party)
            .ok_or_else(|| bad(o + 7, format!("party kind {party}")))?,
        party_name: r.get(o + 8)?,
        company_code: r.get(o + 9)?,
        legal_basis: r.get(o + 10)?,
        conclusion: r.get(o + 11)?,
        fine_fen: r.get(o + 12)?,
    })
}

/// A publication at column `o`; None when the left join found none.
fn publication_at(r: &Row<'_>, o: usize) -> rusqlite::Result<Option<PublicationRecord>> {
    let id: Option<String> = r.get(o)?;
    let Some(decision_id) = id else {
        return Ok(None);
    };
    let late: Option<i64> = r.get(o + 13)?;
    let late_days: Option<i64> = r.get(o + 14)?;
    Ok(Some(PublicationRecord {
        decision_id,
        agency_id: r.get(o + 1)?,
        public_body: r.get(o + 2)?,
        public_target: r.get(o + 3)?,
        public_code: r.get(o + 4)?,
        filed_by: r.get(o + 5)?,
        filed_at: get_ts(r, o + 6)?,
        reviewed_by: r.get(o + 7)?,
        reviewed_at: get_opt_ts(r, o + 8)?,
        approved_by: r.get(o + 9)?,
        approved_at: get_opt_ts(r, o + 10)?,
        published_on: get_opt_date(r, o + 11)?,
        due_on: get_opt_date(r, o + 12)?,
        late: late.map(|l| l != 0),
        late_working_days: late_days.and_then(|n| u32::try_from(n).ok()),
    }))
}

fn withdrawal_at(r: &Row<'_>, o: usize) -> rusqlite::Result<Option<WithdrawalRecord>> {
    let id: Option<String> = r.get(o)?;
    let Some(decision_id) = id else {
        return Ok(None);
    };
    let kind: String = r.get(o + 2)?;
    Ok(Some(WithdrawalRecord {
        decision_id,
        agency_id: r.get(o + 1)?,
        reason_kind: WithdrawReason::parse(&kind)
            .ok_or_else(|| bad(o + 2, format!("reason {kind}")))?,
        reason: r.get(o + 3)?,
        by_user: r.get(o + 4)?,
        at: get_ts(r, o + 5)?,
        withdrawn_on: get_date(r, o + 6)?,
    }))
}

fn entry_from_row(r: &Row<'_>) -> rusqlite::Result<QueueEntry> {
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

/// The publication row as it is inside the transaction: (filed_by, reviewed_by,
/// approved_by).
type Roles = (String, Option<String>, Option<String>);

fn roles_of(tx: &Transaction<'_>, decision_id: &str) -> StorageResult<Option<Roles>> {
    tx.query_row(
        "SELECT filed_by, reviewed_by, approved_by FROM publications WHERE decision_id = ?1",
        params![decision_id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
    .optional()
    .map_err(backend)
}

fn event(
    tx: &Transaction<'_>,
    agency_id: &str,
    decision_id: &str,
    kind: &str,
    by: &str,
    at: &str,
    detail: &serde_json::Value,
) -> StorageResult<()> {
    tx.execute(
        "INSERT INTO publication_events (agency_id, decision_id, kind, by_user, at, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![agency_id, decision_id, kind, by, at, detail.to_string()],
    )
    .map_err(backend)?;
    Ok(())
}

/// Carries out `step` inside `tx` (state and three-person checks included).
fn apply_step(tx: &Transaction<'_>, step: &PublicationStep) -> StorageResult<()> {
    let decision_id = step.decision_id();
    let agency: Option<String> = tx
        .query_row(
            "SELECT agency_id FROM decisions WHERE id = ?1",
            params![decision_id],
            |r| r.get(0),
        )
        .optional()
        .map_err(backend)?;
    let Some(agency) = agency else {
        return Err(StorageError::NotFound("该执法决定".into()));
    };
    let roles = roles_of(tx, decision_id)?;
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
                 public_code, filed_by, filed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    decision_id,
                    agency,
                    public_body,
                    public_target,
                    public_code,
                    by,
                    ts(*at)
                ],
            )
            .map_err(backend)?;
            event(
                tx,
                &agency,
                decision_id,
                "filed",
                by,
                &ts(*at),
                &serde_json::json!({ "public_target": public_target }),
            )
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
                "UPDATE publications SET reviewed_by = ?2, reviewed_at = ?3 WHERE decision_id = ?1",
                params![decision_id, by, ts(*at)],
            )
            .map_err(backend)?;
            event(
                tx,
                &agency,
                decision_id,
                "reviewed",
                by,
                &ts(*at),
                &serde_json::json!({}),
            )
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
            tx.execute(
                "UPDATE publications SET approved_by = ?2, approved_at = ?3, published_on = ?4,
                 due_on = ?5, late = ?6, late_working_days = ?7 WHERE decision_id = ?1",
                params![
                    decision_id,
                    by,
                    ts(*at),
                    date(*published_on),
                    due_on.map(date),
                    late.map(i64::from),
                    late_working_days
                ],
            )
            .map_err(backend)?;
            event(
                tx,
                &agency,
                decision_id,
                "published",
                by,
                &ts(*at),
                &serde_json::json!({
                    "published_on": date(*published_on),
                    "due_on": due_on.map(date),
                    "late": late,
                    "late_working_days": late_working_days,
                }),
            )
        }
        PublicationStep::Withdraw(w) => {
            if !matches!(roles, Some((_, _, Some(_)))) {
                return Err(conflict("R-POST-3：只有已公开的决定才能撤回"));
            }
            tx.execute(
                "INSERT INTO publication_withdrawals (decision_id, agency_id, reason_kind, reason,
                 by_user, at, withdrawn_on) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    decision_id,
                    agency,
                    w.reason_kind.as_str(),
                    w.reason,
                    w.by_user,
                    ts(w.at),
                    date(w.withdrawn_on)
                ],
            )
            .map_err(|e| conflict_or(e, "R-POST-3：该决定已经撤回".into()))?;
            event(
                tx,
                &agency,
                decision_id,
                "withdrawn",
                &w.by_user,
                &ts(w.at),
                &serde_json::json!({
                    "reason_kind": w.reason_kind.as_str(),
                    "reason": w.reason,
                    "withdrawn_on": date(w.withdrawn_on),
                }),
            )
        }
    }
}

/// The WHERE clause and parameters of a public search.
fn filter_sql(f: &PublicFilter) -> (String, Vec<String>) {
    let mut clauses = vec![
        "p.approved_at IS NOT NULL".to_string(),
        "NOT EXISTS (SELECT 1 FROM publication_withdrawals w WHERE w.decision_id = d.id)"
            .to_string(),
    ];
    let mut args: Vec<String> = vec![];
    let arg = |v: String, args: &mut Vec<String>| {
        args.push(v);
        format!("?{}", args.len())
    };
    if let Some(q) = &f.q {
        let a = arg(q.clone(), &mut args);
        // instr: no LIKE wildcards to escape; matches only what is public (the
        // masked target name and a company's credit code), never a person's name.
        clauses.push(format!(
            "(instr(p.public_target, {a}) > 0 OR (p.public_code <> '' AND instr(p.public_code, upper({a})) > 0))"
        ));
    }
    if let Some(c) = &f.category {
        let a = arg(c.clone(), &mut args);
        clauses.push(format!("d.category = {a}"));
    }
    if let Some(k) = f.kind {
        let a = arg(k.as_str().to_string(), &mut args);
        clauses.push(format!("d.kind = {a}"));
    }
    if let Some(from) = f.from {
        let a = arg(date(from), &mut args);
        clauses.push(format!("d.decided_on >= {a}"));
    }
    if let Some(to) = f.to {
        let a = arg(date(to), &mut args);
        clauses.push(format!("d.decided_on <= {a}"));
    }
    if let Some(ag) = &f.agency {
        let a = arg(ag.clone(), &mut args);
        clauses.push(format!("d.agency_id = {a}"));
    }
    (clauses.join(" AND "), args)
}

#[async_trait]
impl PublicityStorage for SqliteStorage {
    async fn publication_step(
        &self,
        form: Option<&str>,
        step: &PublicationStep,
    ) -> StorageResult<StepOutcome> {
        let form = form.map(str::to_string);
        let step = step.clone();
        self.write(move |tx| {
            if let Some(form_id) = &form {
                let seen: Option<String> = tx
                    .query_row(
                        "SELECT decision_id FROM publication_forms WHERE form_id = ?1",
                        params![form_id],
                        |r| r.get(0),
                    )
                    .optional()
                    .map_err(backend)?;
                if seen.is_some() {
                    return Ok(StepOutcome::AlreadyDone);
                }
            }
            apply_step(tx, &step)?;
            if let Some(form_id) = &form {
                let (by, at) = match &step {
                    PublicationStep::File { by, at, .. }
                    | PublicationStep::Review { by, at, .. }
                    | PublicationStep::Approve { by, at, .. } => (by.clone(), *at),
                    PublicationStep::Withdraw(w) => (w.by_user.clone(), w.at),
                };
                tx.execute(
                    "INSERT INTO publication_forms (form_id, decision_id, action, user_id, at)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![form_id, step.decision_id(), step.action(), by, ts(at)],
                )
                .map_err(backend)?;
            }
            Ok(StepOutcome::Done)
        })
        .await
    }

    async fn publication_queue(&self, agency_id: &str) -> StorageResult<Vec<QueueEntry>> {
        let agency_id = agency_id.to_string();
        self.read(move |c| {
            let mut stmt = c
                .prepare_cached(&queue_sql("d.agency_id = ?1"))
                .map_err(backend)?;
            stmt.query_map(params![agency_id], entry_from_row)
                .map_err(backend)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(backend)
        })
        .await
    }

    async fn publication_entry(&self, decision_id: &str) -> StorageResult<Option<QueueEntry>> {
        let id = decision_id.to_string();
        self.read(move |c| {
            c.query_row(&queue_sql("d.id = ?1"), params![id], entry_from_row)
                .optional()
                .map_err(backend)
        })
        .await
    }

    async fn publication_events(&self, decision_id: &str) -> StorageResult<Vec<PublicationEvent>> {
        let id = decision_id.to_string();
        self.read(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT seq, decision_id, kind, by_user, at, detail FROM publication_events
                     WHERE decision_id = ?1 ORDER BY seq",
                )
                .map_err(backend)?;
            stmt.query_map(params![id], |r| {
                let detail: String = r.get(5)?;
                Ok(PublicationEvent {
                    seq: r.get(0)?,
                    decision_id: r.get(1)?,
                    kind: r.get(2)?,
                    by_user: r.get(3)?,
                    at: get_ts(r, 4)?,
                    detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::Null),
                })
            })
            .map_err(backend)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(backend)
        })
        .await
    }

    async fn search_published(
        &self,
        filter: &PublicFilter,
        offset: u64,
        limit: u32,
    ) -> StorageResult<(Vec<PublishedRow>, u64)> {
        let (clause, args) = filter_sql(filter);
        self.read(move |c| {
            let from = "FROM decisions d JOIN publications p ON p.decision_id = d.id";
            let total: i64 = c
                .query_row(
                    &format!("SELECT COUNT(*) {from} WHERE {clause}"),
                    rusqlite::params_from_iter(args.iter()),
                    |r| r.get(0),
                )
                .map_err(backend)?;
            let n = args.len();
            let sql = format!(
                "SELECT {SOURCE_COLS}, {PUB_COLS} {from} WHERE {clause}
                 ORDER BY d.decided_on DESC, d.id DESC LIMIT ?{} OFFSET ?{}",
                n + 1,
                n + 2
            );
            let mut all: Vec<rusqlite::types::Value> = args
                .iter()
                .map(|a| rusqlite::types::Value::Text(a.clone()))
                .collect();
            all.push(rusqlite::types::Value::Integer(i64::from(limit)));
            all.push(rusqlite::types::Value::Integer(
                i64::try_from(offset).unwrap_or(i64::MAX),
            ));
            let mut stmt = c.prepare(&sql).map_err(backend)?;
            let rows = stmt
                .query_map(rusqlite::params_from_iter(all.iter()), |r| {
                    let source = source_at(r, 0)?;
                    let publication =
                        publication_at(r, 13)?.ok_or_else(|| bad(13, "no publication".into()))?;
                    Ok(PublishedRow {
                        source,
                        publication,
                    })
                })
                .map_err(backend)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(backend)?;
            Ok((rows, u64::try_from(total).unwrap_or(0)))
        })
        .await
    }

    async fn published_facets(&self) -> StorageResult<(Vec<(String, String)>, Vec<String>)> {
        self.read(move |c| {
            let live = "p.approved_at IS NOT NULL AND NOT EXISTS \
                 (SELECT 1 FROM publication_withdrawals w WHERE w.decision_id = d.id)";
            let mut stmt = c
                .prepare_cached(&format!(
                    "SELECT p.agency_id, MIN(p.public_body) FROM decisions d
                     JOIN publications p ON p.decision_id = d.id WHERE {live}
                     GROUP BY p.agency_id ORDER BY p.agency_id"
                ))
                .map_err(backend)?;
            let agencies = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(backend)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(backend)?;
            let mut stmt = c
                .prepare_cached(&format!(
                    "SELECT DISTINCT d.category FROM decisions d
                     JOIN publications p ON p.decision_id = d.id WHERE {live}
                     ORDER BY d.category"
                ))
                .map_err(backend)?;
            let cats = stmt
                .query_map([], |r| r.get(0))
                .map_err(backend)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(backend)?;
            Ok((agencies, cats))
        })
        .await
    }

    async fn year_counts_by_category(
        &self,
        agency_id: &str,
        year: i32,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StorageResult<Vec<CategoryCounts>> {
        let agency_id = agency_id.to_string();
        let (from, to) = (ts(from), ts(to));
        let (first_day, last_day) = (format!("{year:04}-01-01"), format!("{year:04}-12-31"));
        self.read(move |c| {
            let mut by: BTreeMap<String, YearCounts> = BTreeMap::new();
            // R-POST-5: an inspection counts under its task's category; one without a
            // task (临时检查) under its target's catalogued category. LEFT JOINs keep
            // every summary, so the categories add up to the agency's total.
            let mut stmt = c
                .prepare_cached(
                    "SELECT COALESCE(NULLIF(json_extract(t.data, '$.category'), ''),
                            json_extract(g.data, '$.category'), '') AS cat, COUNT(*)
                     FROM queue_summaries q
                     LEFT JOIN docs d ON d.id = q.doc_id
                     LEFT JOIN roster_tasks t ON t.agency_id = q.agency_id AND t.id = d.task_id
                     LEFT JOIN roster_targets g ON g.agency_id = q.agency_id AND g.id = q.target_id
                     WHERE q.agency_id = ?1 AND q.opened_at >= ?2 AND q.opened_at < ?3
                     GROUP BY cat",
                )
                .map_err(backend)?;
            let rows = stmt
                .query_map(params![agency_id, from, to], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
                })
                .map_err(backend)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(backend)?;
            for (cat, n) in rows {
                by.entry(cat).or_default().inspections = count(n);
            }
            let mut stmt = c
                .prepare_cached(
                    "SELECT category, kind, COUNT(*), COALESCE(SUM(fine_fen), 0) FROM decisions
                     WHERE agency_id = ?1 AND decided_on >= ?2 AND decided_on <= ?3
                     GROUP BY category, kind",
                )
                .map_err(backend)?;
            let rows = stmt
                .query_map(params![agency_id, first_day, last_day], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, i64>(3)?,
                    ))
                })
                .map_err(backend)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(backend)?;
            for (cat, kind, n, fines) in rows {
                let e = by.entry(cat).or_default();
                if let Some(i) = DECISION_KINDS.iter().position(|(k, _)| *k == kind) {
                    e.decisions[i] = count(n);
                }
                e.fines_fen = e.fines_fen.saturating_add(fines);
            }
            // Legal review opinions: the category of the version that was reviewed.
            let mut stmt = c
                .prepare_cached(
                    "SELECT COALESCE(json_extract(v.content, '$.category'), '') AS cat, COUNT(*)
                     FROM legal_reviews r JOIN legal_drafts d ON d.id = r.draft_id
                     LEFT JOIN legal_versions v ON v.draft_id = r.draft_id AND v.version = r.version
                     WHERE d.agency_id = ?1 AND r.at >= ?2 AND r.at < ?3
                     GROUP BY cat",
                )
                .map_err(backend)?;
            let rows = stmt
                .query_map(params![agency_id, from, to], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
                })
                .map_err(backend)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(backend)?;
            for (cat, n) in rows {
                by.entry(cat).or_default().legal_reviews = count(n);
            }
            Ok(by
                .into_iter()
                .map(|(category, counts)| CategoryCounts { category, counts })
                .collect())
        })
        .await
    }
}
