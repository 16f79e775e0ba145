//! SQLite implementation of [`liuhen_server_store::queue::QueueStorage`].
//!
//! Paging is keyset paging on the row value `(rank, recency, doc_id)` with the
//! index `queue_order` (or `queue_state_order` with a state filter): a page deep in
//! costs what the first page costs. Filters other than the state are checked while
//! walking the index in order.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Row, params, params_from_iter};

use liuhen_domain::model::Officer;

use super::{SqliteStorage, backend, exec, get_json, get_opt_ts, get_ts, query_one, to_json, ts};
use liuhen_server_store::StorageResult;
use liuhen_server_store::queue::{
    PageAt, QueueCursor, QueueFilter, QueuePage, QueueStorage, QueueSummary, ReviewState,
};

const COLS: &str = "s.doc_id, s.agency_id, s.state, s.rank, s.rank_late, s.rank_due_at, \
    s.opened_at, s.target_id, s.target_name, s.target_credit_code, s.officer_ids, \
    s.officer_names, s.violations, s.evidence_total, s.evidence_missing, \
    s.oldest_missing_at, s.arrived_late, s.updated_at, s.doc_heads";

fn conversion(idx: usize, msg: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(idx, rusqlite::types::Type::Text, msg.into())
}

fn summary_from_row(r: &Row<'_>) -> rusqlite::Result<QueueSummary> {
    let state: String = r.get(2)?;
    let state = ReviewState::parse(&state)
        .ok_or_else(|| conversion(2, format!("unknown state {state}")))?;
    let small = |idx: usize| -> rusqlite::Result<u8> {
        let v: i64 = r.get(idx)?;
        u8::try_from(v).map_err(|_| conversion(idx, format!("rank {v} out of range")))
    };
    let count = |idx: usize| -> rusqlite::Result<u32> {
        let v: i64 = r.get(idx)?;
        u32::try_from(v).map_err(|_| conversion(idx, format!("count {v} out of range")))
    };
    Ok(QueueSummary {
        doc_id: r.get(0)?,
        agency_id: r.get(1)?,
        state,
        rank: small(3)?,
        rank_late: small(4)?,
        rank_due_at: get_opt_ts(r, 5)?,
        opened_at: get_ts(r, 6)?,
        target_id: r.get(7)?,
        target_name: r.get(8)?,
        target_credit_code: r.get(9)?,
        officer_ids: get_json(r, 10)?,
        officer_names: get_json(r, 11)?,
        violations: get_json(r, 12)?,
        evidence_total: count(13)?,
        evidence_missing: count(14)?,
        oldest_missing_at: get_opt_ts(r, 15)?,
        arrived_late: r.get(16)?,
        updated_at: get_ts(r, 17)?,
        doc_heads: get_json(r, 18)?,
    })
}

/// Escapes `%`, `_` and `\` for a `LIKE ... ESCAPE '\'` pattern.
fn like_contains(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// Direction of a keyset read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Dir {
    /// Rows after the cursor, attention order.
    Forward,
    /// Rows before the cursor, reverse attention order.
    Backward,
}

/// `WHERE` clause (without the keyset) and its parameters.
fn filter_sql(agency_id: &str, f: &QueueFilter, now: DateTime<Utc>) -> (String, Vec<Value>) {
    let mut sql = String::from("s.agency_id = ?");
    let mut p: Vec<Value> = vec![Value::Text(agency_id.to_string())];
    // Missing evidence captured before this instant is late now (R-REC-4).
    let late_cutoff = ts(now - liuhen_server_store::UPLOAD_DEADLINE);
    if let Some(state) = f.state {
        sql.push_str(" AND s.state = ?");
        p.push(Value::Text(state.as_str().into()));
    }
    if let Some(o) = &f.officer_id {
        sql.push_str(" AND s.doc_id IN (SELECT doc_id FROM queue_officers WHERE officer_id = ?)");
        p.push(Value::Text(o.clone()));
    }
    if let Some(t) = &f.target {
        sql.push_str(
            " AND (s.target_name LIKE ? ESCAPE '\\' OR s.target_credit_code LIKE ? ESCAPE '\\')",
        );
        let pat = like_contains(t);
        p.push(Value::Text(pat.clone()));
        p.push(Value::Text(pat));
    }
    if let Some(from) = f.opened_from {
        sql.push_str(" AND s.opened_at >= ?");
        p.push(Value::Text(ts(from)));
    }
    if let Some(before) = f.opened_before {
        sql.push_str(" AND s.opened_at < ?");
        p.push(Value::Text(ts(before)));
    }
    if f.violations {
        sql.push_str(" AND (s.has_violations = 1 OR s.oldest_missing_at < ?)");
        p.push(Value::Text(late_cutoff.clone()));
    }
    if f.late {
        sql.push_str(" AND (s.arrived_late = 1 OR s.oldest_missing_at < ?)");
        p.push(Value::Text(late_cutoff));
    }
    if f.awaiting {
        sql.push_str(" AND s.evidence_missing > 0");
    }
    (sql, p)
}

/// Reads up to `limit` rows from `cursor` (exclusive) in direction `dir`.
fn read_rows(
    c: &Connection,
    base: &(String, Vec<Value>),
    cursor: Option<&QueueCursor>,
    dir: Dir,
    limit: u32,
) -> StorageResult<Vec<QueueSummary>> {
    let (where_sql, params) = base;
    let mut sql = format!("SELECT {COLS} FROM queue_summaries s WHERE {where_sql}");
    let mut p = params.clone();
    if let Some(k) = cursor {
        sql.push_str(match dir {
            Dir::Forward => " AND (s.rank, s.recency, s.doc_id) > (?, ?, ?)",
            Dir::Backward => " AND (s.rank, s.recency, s.doc_id) < (?, ?, ?)",
        });
        p.push(Value::Integer(i64::from(k.rank)));
        p.push(Value::Integer(-k.updated_us));
        p.push(Value::Text(k.doc_id.clone()));
    }
    sql.push_str(match dir {
        Dir::Forward => " ORDER BY s.rank, s.recency, s.doc_id LIMIT ?",
        Dir::Backward => " ORDER BY s.rank DESC, s.recency DESC, s.doc_id DESC LIMIT ?",
    });
    p.push(Value::Integer(i64::from(limit)));
    let mut stmt = c.prepare_cached(&sql).map_err(backend)?;
    let rows = stmt
        .query_map(params_from_iter(p), summary_from_row)
        .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
        .map_err(backend)?;
    Ok(rows)
}

/// Writes one summary (and its officer rows) inside a transaction.
pub(super) fn upsert(tx: &rusqlite::Transaction<'_>, s: &QueueSummary) -> StorageResult<()> {
    let before: Option<(String, String)> = query_one(
        tx,
        "SELECT agency_id, state FROM queue_summaries WHERE doc_id = ?1",
        [&s.doc_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .optional()
    .map_err(backend)?;
    if let Some((agency, state)) = before {
        exec(
            tx,
            "UPDATE queue_counts SET n = n - 1 WHERE agency_id = ?1 AND state = ?2",
            params![agency, state],
        )
        .map_err(backend)?;
    }
    exec(
        tx,
        "INSERT INTO queue_counts (agency_id, state, n) VALUES (?1, ?2, 1)
         ON CONFLICT(agency_id, state) DO UPDATE SET n = n + 1",
        params![s.agency_id, s.state.as_str()],
    )
    .map_err(backend)?;
    exec(
        tx,
        "INSERT INTO queue_summaries (doc_id, agency_id, state, rank, rank_late, rank_due_at,
         opened_at, target_id, target_name, target_credit_code, officer_ids, officer_names,
         violations, has_violations, evidence_total, evidence_missing, oldest_missing_at,
         arrived_late, updated_at, recency, doc_heads)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
         ?18, ?19, ?20, ?21)
         ON CONFLICT(doc_id) DO UPDATE SET agency_id = excluded.agency_id,
         state = excluded.state, rank = excluded.rank, rank_late = excluded.rank_late,
         rank_due_at = excluded.rank_due_at, opened_at = excluded.opened_at,
         target_id = excluded.target_id, target_name = excluded.target_name,
         target_credit_code = excluded.target_credit_code,
         officer_ids = excluded.officer_ids, officer_names = excluded.officer_names,
         violations = excluded.violations, has_violations = excluded.has_violations,
         evidence_total = excluded.evidence_total,
         evidence_missing = excluded.evidence_missing,
         oldest_missing_at = excluded.oldest_missing_at,
         arrived_late = excluded.arrived_late, updated_at = excluded.updated_at,
         recency = excluded.recency, doc_heads = excluded.doc_heads",
        params![
            s.doc_id,
            s.agency_id,
            s.state.as_str(),
            i64::from(s.rank),
            i64::from(s.rank_late),
            s.rank_due_at.map(ts),
            ts(s.opened_at),
            s.target_id,
            s.target_name,
            s.target_credit_code,
            to_json(&s.officer_ids)?,
            to_json(&s.officer_names)?,
            to_json(&s.violations)?,
            !s.violations.is_empty(),
            i64::from(s.evidence_total),
            i64::from(s.evidence_missing),
            s.oldest_missing_at.map(ts),
            s.arrived_late,
            ts(s.updated_at),
            -s.updated_at.timestamp_micros(),
            to_json(&s.doc_heads)?,
        ],
    )
    .map_err(backend)?;
    exec(
        tx,
        "DELETE FROM queue_officers WHERE doc_id = ?1",
        [&s.doc_id],
    )
    .map_err(backend)?;
    for o in &s.officer_ids {
        exec(
            tx,
            "INSERT OR IGNORE INTO queue_officers (officer_id, doc_id) VALUES (?1, ?2)",
            params![o, s.doc_id],
        )
        .map_err(backend)?;
    }
    Ok(())
}

impl SqliteStorage {
    /// Stores summaries without the freshness check (benchmarks and bulk loads of
    /// summaries whose documents are not stored).
    pub async fn put_queue_summaries_unchecked(
        &self,
        summaries: Vec<QueueSummary>,
    ) -> StorageResult<()> {
        self.write(move |tx| {
            for s in &summaries {
                upsert(tx, s)?;
            }
            Ok(())
        })
        .await
    }
}

#[async_trait]
impl QueueStorage for SqliteStorage {
    async fn put_queue_summary(&self, summary: &QueueSummary) -> StorageResult<bool> {
        let s = summary.clone();
        self.write(move |tx| {
            let heads: Option<String> = tx
                .query_row("SELECT heads FROM docs WHERE id = ?1", [&s.doc_id], |r| {
                    r.get(0)
                })
                .optional()
                .map_err(backend)?;
            let Some(heads) = heads else {
                return Ok(false);
            };
            let heads: Vec<String> =
                serde_json::from_str(&heads).map_err(|e| backend_text(e.to_string()))?;
            let (total, received): (i64, i64) = tx
                .query_row(
                    "SELECT COUNT(*), COUNT(g.sha256) FROM blob_refs r
                     JOIN docs d ON d.id = r.inspection_id
                     LEFT JOIN blob_grants g ON g.agency_id = d.agency_id AND g.sha256 = r.sha256
                     WHERE r.inspection_id = ?1",
                    [&s.doc_id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .map_err(backend)?;
            let seen_received = i64::from(s.evidence_total) - i64::from(s.evidence_missing);
            if heads != s.doc_heads
                || total != i64::from(s.evidence_total)
                || received != seen_received
            {
                return Ok(false);
            }
            upsert(tx, &s)?;
            Ok(true)
        })
        .await
    }

    async fn queue_summary(&self, doc_id: &str) -> StorageResult<Option<QueueSummary>> {
        let doc_id = doc_id.to_string();
        self.read(move |c| {
            c.query_row(
                &format!("SELECT {COLS} FROM queue_summaries s WHERE s.doc_id = ?1"),
                [doc_id],
                summary_from_row,
            )
            .optional()
            .map_err(backend)
        })
        .await
    }

    async fn promote_due_ranks(&self, agency_id: &str, now: DateTime<Utc>) -> StorageResult<u64> {
        let agency = agency_id.to_string();
        let now = ts(now);
        let due: bool = {
            let (agency, now) = (agency.clone(), now.clone());
            self.read(move |c| {
                c.query_row(
                    "SELECT EXISTS (SELECT 1 FROM queue_summaries
                     WHERE agency_id = ?1 AND rank_due_at IS NOT NULL AND rank_due_at <= ?2)",
                    params![agency, now],
                    |r| r.get(0),
                )
                .map_err(backend)
            })
            .await?
        };
        if !due {
            return Ok(0);
        }
        self.write(move |tx| {
            let n = tx
                .execute(
                    "UPDATE queue_summaries SET rank = rank_late, rank_due_at = NULL
                     WHERE agency_id = ?1 AND rank_due_at IS NOT NULL AND rank_due_at <= ?2",
                    params![agency, now],
                )
                .map_err(backend)?;
            Ok(n as u64)
        })
        .await
    }

    async fn queue_page(
        &self,
        agency_id: &str,
        filter: &QueueFilter,
        at: &PageAt,
        limit: u32,
        now: DateTime<Utc>,
    ) -> StorageResult<QueuePage> {
        let base = filter_sql(agency_id, filter, now);
        let at = at.clone();
        let limit = limit.max(1);
        self.read(move |c| {
            let (cursor, dir) = match &at {
                PageAt::First => (None, Dir::Forward),
                PageAt::After(k) => (Some(k), Dir::Forward),
                PageAt::Before(k) => (Some(k), Dir::Backward),
            };
            let mut rows = read_rows(c, &base, cursor, dir, limit + 1)?;
            let more = rows.len() > limit as usize;
            rows.truncate(limit as usize);
            if dir == Dir::Backward {
                rows.reverse();
            }
            // Whether anything lies on the other side of the page.
            let beyond = |row: Option<&QueueSummary>, d: Dir| -> StorageResult<bool> {
                match row {
                    Some(r) => Ok(!read_rows(c, &base, Some(&r.cursor()), d, 1)?.is_empty()),
                    None => Ok(false),
                }
            };
            let (has_next, has_prev) = match dir {
                Dir::Forward => (
                    more,
                    cursor.is_some() && beyond(rows.first(), Dir::Backward)?,
                ),
                Dir::Backward => (beyond(rows.last(), Dir::Forward)?, more),
            };
            Ok(QueuePage {
                rows,
                has_next,
                has_prev,
            })
        })
        .await
    }

    async fn queue_counts(&self, agency_id: &str) -> StorageResult<Vec<(ReviewState, u64)>> {
        let agency_id = agency_id.to_string();
        self.read(move |c| {
            let mut stmt = c
                .prepare_cached("SELECT state, n FROM queue_counts WHERE agency_id = ?1 AND n > 0")
                .map_err(backend)?;
            let rows: Vec<(String, i64)> = stmt
                .query_map([agency_id], |r| Ok((r.get(0)?, r.get(1)?)))
                .and_then(|rows| rows.collect())
                .map_err(backend)?;
            Ok(rows
                .into_iter()
                .filter_map(|(s, n)| Some((ReviewState::parse(&s)?, u64::try_from(n).ok()?)))
                .collect())
        })
        .await
    }

    async fn docs_needing_summary(&self, after: &str, limit: u32) -> StorageResult<Vec<String>> {
        let after = after.to_string();
        self.read(move |c| {
            c.prepare_cached(
                "SELECT d.id FROM docs d LEFT JOIN queue_summaries s ON s.doc_id = d.id
                 WHERE d.id > ?1 AND (s.doc_id IS NULL OR s.doc_heads <> d.heads)
                 ORDER BY d.id LIMIT ?2",
            )
            .and_then(|mut s| s.query_map(params![after, limit], |r| r.get(0))?.collect())
            .map_err(backend)
        })
        .await
    }

    async fn inspections_referencing(
        &self,
        agency_id: &str,
        sha256: &str,
    ) -> StorageResult<Vec<String>> {
        let (agency_id, sha256) = (agency_id.to_string(), sha256.to_string());
        self.read(move |c| {
            c.prepare_cached(
                "SELECT r.inspection_id FROM blob_refs r JOIN docs d ON d.id = r.inspection_id
                 WHERE r.sha256 = ?1 AND d.agency_id = ?2 ORDER BY r.inspection_id",
            )
            .and_then(|mut s| {
                s.query_map(params![sha256, agency_id], |r| r.get(0))?
                    .collect()
            })
            .map_err(backend)
        })
        .await
    }

    async fn roster_officers(&self, agency_id: &str) -> StorageResult<Vec<Officer>> {
        let agency_id = agency_id.to_string();
        self.read(move |c| {
            c.prepare_cached(
                "SELECT data FROM roster_officers WHERE agency_id = ?1 ORDER BY position",
            )
            .and_then(|mut s| s.query_map([agency_id], |r| get_json(r, 0))?.collect())
            .map_err(backend)
        })
        .await
    }
}

fn backend_text(msg: String) -> liuhen_server_store::StorageError {
    liuhen_server_store::StorageError::Backend(msg)
}
