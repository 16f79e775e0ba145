//! PostgreSQL implementation of [`liuhen_server_store::queue::QueueStorage`] (tables
//! `queue_summaries`, `queue_officers`, `queue_counts` of migration 0001) and
//! [`upsert`], which `commit_sync` calls inside its transaction.
//!
//! Paging is keyset paging on the row value `(rank, recency, doc_id)` with the
//! index `queue_order` (or `queue_state_order` with a state filter), as on SQLite.
//! Several instances write summaries at once: a summary write first locks its
//! document's row, so the writers of one document take turns and the last one
//! computed from the newest state is the one that stays (the freshness check of
//! [`QueueStorage::put_queue_summary`] runs under that lock).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tokio_postgres::Row;
use tokio_postgres::types::{Json, ToSql};

use liuhen_domain::model::Officer;
use liuhen_server_store::queue::{
    PageAt, QueueCursor, QueueFilter, QueuePage, QueueStorage, QueueSummary, ReviewState,
};
use liuhen_server_store::{StorageError, StorageResult};

use super::{PgStorage, pg};

const COLS: &str = "s.doc_id, s.agency_id, s.state, s.rank, s.rank_late, s.rank_due_at, \
    s.opened_at, s.target_id, s.target_name, s.target_credit_code, s.officer_ids, \
    s.officer_names, s.violations, s.evidence_total, s.evidence_missing, \
    s.oldest_missing_at, s.arrived_late, s.updated_at, s.doc_heads";

fn bad(what: String) -> StorageError {
    StorageError::Backend(format!("审核队列数据无法识别：{what}"))
}

fn summary_from_row(r: &Row) -> StorageResult<QueueSummary> {
    let state: String = r.try_get(2).map_err(pg)?;
    let state = ReviewState::parse(&state).ok_or_else(|| bad(format!("状态 {state}")))?;
    let small = |idx: usize| -> StorageResult<u8> {
        let v: i32 = r.try_get(idx).map_err(pg)?;
        u8::try_from(v).map_err(|_| bad(format!("排序 {v}")))
    };
    let count = |idx: usize| -> StorageResult<u32> {
        let v: i32 = r.try_get(idx).map_err(pg)?;
        u32::try_from(v).map_err(|_| bad(format!("数量 {v}")))
    };
    Ok(QueueSummary {
        doc_id: r.try_get(0).map_err(pg)?,
        agency_id: r.try_get(1).map_err(pg)?,
        state,
        rank: small(3)?,
        rank_late: small(4)?,
        rank_due_at: r.try_get(5).map_err(pg)?,
        opened_at: r.try_get(6).map_err(pg)?,
        target_id: r.try_get(7).map_err(pg)?,
        target_name: r.try_get(8).map_err(pg)?,
        target_credit_code: r.try_get(9).map_err(pg)?,
        officer_ids: r.try_get(10).map_err(pg)?,
        officer_names: r.try_get(11).map_err(pg)?,
        violations: r.try_get(12).map_err(pg)?,
        evidence_total: count(13)?,
        evidence_missing: count(14)?,
        oldest_missing_at: r.try_get(15).map_err(pg)?,
        arrived_late: r.try_get(16).map_err(pg)?,
        updated_at: r.try_get(17).map_err(pg)?,
        doc_heads: r.try_get(18).map_err(pg)?,
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

/// A query parameter of a statement built at run time.
type Param = Box<dyn ToSql + Sync + Send>;

/// `WHERE` clause (without the keyset) and its parameters.
struct Where {
    sql: String,
    params: Vec<Param>,
}

impl Where {
    /// Adds a parameter; returns its placeholder.
    fn arg(&mut self, p: Param) -> String {
        self.params.push(p);
        format!("${}", self.params.len())
    }
}

/// Direction of a keyset read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Dir {
    /// Rows after the cursor, attention order.
    Forward,
    /// Rows before the cursor, reverse attention order.
    Backward,
}

/// The filter's SQL (parameters `$1..`), as on SQLite.
fn filter_sql(agency_id: &str, f: &QueueFilter, now: DateTime<Utc>) -> Where {
    let mut w = Where {
        sql: String::new(),
        params: Vec::new(),
    };
    let a = w.arg(Box::new(agency_id.to_string()));
    w.sql = format!("s.agency_id = {a}");
    // Missing evidence captured before this instant is late now (R-REC-4).
    let late_cutoff = now - liuhen_server_store::UPLOAD_DEADLINE;
    if let Some(state) = f.state {
        let a = w.arg(Box::new(state.as_str()));
        w.sql.push_str(&format!(" AND s.state = {a}"));
    }
    if let Some(o) = &f.officer_id {
        let a = w.arg(Box::new(o.clone()));
        w.sql.push_str(&format!(
            " AND s.doc_id IN (SELECT doc_id FROM queue_officers WHERE officer_id = {a})"
        ));
    }
    if let Some(t) = &f.target {
        // ILIKE: SQLite's LIKE ignores ASCII case, and so does this search.
        let a = w.arg(Box::new(like_contains(t)));
        w.sql.push_str(&format!(
            " AND (s.target_name ILIKE {a} ESCAPE '\\' OR s.target_credit_code ILIKE {a} ESCAPE '\\')"
        ));
    }
    if let Some(from) = f.opened_from {
        let a = w.arg(Box::new(from));
        w.sql.push_str(&format!(" AND s.opened_at >= {a}"));
    }
    if let Some(before) = f.opened_before {
        let a = w.arg(Box::new(before));
        w.sql.push_str(&format!(" AND s.opened_at < {a}"));
    }
    if f.violations {
        let a = w.arg(Box::new(late_cutoff));
        w.sql.push_str(&format!(
            " AND (s.has_violations OR s.oldest_missing_at < {a})"
        ));
    }
    if f.late {
        let a = w.arg(Box::new(late_cutoff));
        w.sql.push_str(&format!(
            " AND (s.arrived_late OR s.oldest_missing_at < {a})"
        ));
    }
    if f.awaiting {
        w.sql.push_str(" AND s.evidence_missing > 0");
    }
    w
}

/// Reads up to `limit` rows from `cursor` (exclusive) in direction `dir`.
async fn read_rows(
    c: &tokio_postgres::Client,
    base: &Where,
    cursor: Option<&QueueCursor>,
    dir: Dir,
    limit: u32,
) -> StorageResult<Vec<QueueSummary>> {
    let mut sql = format!("SELECT {COLS} FROM queue_summaries s WHERE {}", base.sql);
    let mut extra: Vec<Param> = Vec::new();
    let n = base.params.len();
    if let Some(k) = cursor {
        let op = match dir {
            Dir::Forward => ">",
            Dir::Backward => "<",
        };
        sql.push_str(&format!(
            " AND (s.rank, s.recency, s.doc_id) {op} (${}, ${}, ${})",
            n + 1,
            n + 2,
            n + 3
        ));
        extra.push(Box::new(i32::from(k.rank)));
        extra.push(Box::new(-k.updated_us));
        extra.push(Box::new(k.doc_id.clone()));
    }
    sql.push_str(match dir {
        Dir::Forward => " ORDER BY s.rank, s.recency, s.doc_id",
        Dir::Backward => " ORDER BY s.rank DESC, s.recency DESC, s.doc_id DESC",
    });
    extra.push(Box::new(i64::from(limit)));
    sql.push_str(&format!(" LIMIT ${}", n + extra.len()));
    let params: Vec<&(dyn ToSql + Sync)> = base
        .params
        .iter()
        .chain(extra.iter())
        .map(|p| p.as_ref() as &(dyn ToSql + Sync))
        .collect();
    let rows = c.query(&sql, &params).await.map_err(pg)?;
    rows.iter().map(summary_from_row).collect()
}

/// Adds `delta` (+1 or -1) to an agency's count of one state; a decrement of a
/// count that is not there changes nothing (as on SQLite).
async fn bump(
    tx: &tokio_postgres::Transaction<'_>,
    agency_id: &str,
    state: &str,
    delta: i64,
) -> StorageResult<()> {
    let sql = if delta > 0 {
        "INSERT INTO queue_counts (agency_id, state, n) VALUES ($1, $2, $3)
         ON CONFLICT (agency_id, state) DO UPDATE SET n = queue_counts.n + excluded.n"
    } else {
        "UPDATE queue_counts SET n = n + $3 WHERE agency_id = $1 AND state = $2"
    };
    tx.execute(sql, &[&agency_id, &state, &delta])
        .await
        .map_err(pg)?;
    Ok(())
}

/// The agency and state of a stored summary, its row locked until the end of `tx`.
async fn locked_state(
    tx: &tokio_postgres::Transaction<'_>,
    doc_id: &str,
) -> StorageResult<Option<(String, String)>> {
    let row = tx
        .query_opt(
            "SELECT agency_id, state FROM queue_summaries WHERE doc_id = $1 FOR UPDATE",
            &[&doc_id],
        )
        .await
        .map_err(pg)?;
    row.map(|r| Ok((r.try_get(0).map_err(pg)?, r.try_get(1).map_err(pg)?)))
        .transpose()
}

/// Stores a summary (replacing the old one, keeping `queue_counts` and
/// `queue_officers` in step) inside the caller's transaction: `commit_sync` writes
/// the summary with the document.
pub(crate) async fn upsert(
    tx: &tokio_postgres::Transaction<'_>,
    s: &QueueSummary,
) -> StorageResult<()> {
    let values: [&(dyn ToSql + Sync); 21] = [
        &s.doc_id,
        &s.agency_id,
        &s.state.as_str(),
        &i32::from(s.rank),
        &i32::from(s.rank_late),
        &s.rank_due_at,
        &s.opened_at,
        &s.target_id,
        &s.target_name,
        &s.target_credit_code,
        &s.officer_ids,
        &s.officer_names,
        &s.violations,
        &!s.violations.is_empty(),
        &i32::try_from(s.evidence_total).unwrap_or(i32::MAX),
        &i32::try_from(s.evidence_missing).unwrap_or(i32::MAX),
        &s.oldest_missing_at,
        &s.arrived_late,
        &s.updated_at,
        &-s.updated_at.timestamp_micros(),
        &s.doc_heads,
    ];
    let mut old = locked_state(tx, &s.doc_id).await?;
    if old.is_none() {
        let inserted = tx
            .execute(
                "INSERT INTO queue_summaries (doc_id, agency_id, state, rank, rank_late,
                 rank_due_at, opened_at, target_id, target_name, target_credit_code, officer_ids,
                 officer_names, violations, has_violations, evidence_total, evidence_missing,
                 oldest_missing_at, arrived_late, updated_at, recency, doc_heads)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
                 $17, $18, $19, $20, $21)
                 ON CONFLICT (doc_id) DO NOTHING",
                &values,
            )
            .await
            .map_err(pg)?;
        if inserted == 1 {
            bump(tx, &s.agency_id, s.state.as_str(), 1).await?;
            return replace_officers(tx, s).await;
        }
        // Another transaction inserted it meanwhile (and has committed): update it.
        old = locked_state(tx, &s.doc_id).await?;
    }
    if let Some((agency, state)) = old
        && (agency.as_str(), state.as_str()) != (s.agency_id.as_str(), s.state.as_str())
    {
        // Two count rows change: in key order, so two writers never wait on each
        // other in opposite orders (no deadlock).
        let mut changes = [
            (agency, state, -1i64),
            (s.agency_id.clone(), s.state.as_str().to_string(), 1i64),
        ];
        changes.sort();
        for (agency, state, delta) in &changes {
            bump(tx, agency, state, *delta).await?;
        }
    }
    tx.execute(
        "UPDATE queue_summaries SET agency_id = $2, state = $3, rank = $4, rank_late = $5,
         rank_due_at = $6, opened_at = $7, target_id = $8, target_name = $9,
         target_credit_code = $10, officer_ids = $11, officer_names = $12, violations = $13,
         has_violations = $14, evidence_total = $15, evidence_missing = $16,
         oldest_missing_at = $17, arrived_late = $18, updated_at = $19, recency = $20,
         doc_heads = $21
         WHERE doc_id = $1",
        &values,
    )
    .await
    .map_err(pg)?;
    replace_officers(tx, s).await
}

async fn replace_officers(
    tx: &tokio_postgres::Transaction<'_>,
    s: &QueueSummary,
) -> StorageResult<()> {
    tx.execute("DELETE FROM queue_officers WHERE doc_id = $1", &[&s.doc_id])
        .await
        .map_err(pg)?;
    tx.execute(
        "INSERT INTO queue_officers (officer_id, doc_id)
         SELECT DISTINCT o, $2 FROM unnest($1::text[]) AS o
         ON CONFLICT DO NOTHING",
        &[&s.officer_ids, &s.doc_id],
    )
    .await
    .map_err(pg)?;
    Ok(())
}

#[async_trait]
impl QueueStorage for PgStorage {
    async fn put_queue_summary(&self, summary: &QueueSummary) -> StorageResult<bool> {
        let s = summary;
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(pg)?;
        // The document's row lock orders this write with the document's other
        // writers (its sync, other refreshes) on every instance.
        let row = tx
            .query_opt(
                "SELECT heads FROM docs WHERE id = $1 FOR NO KEY UPDATE",
                &[&s.doc_id],
            )
            .await
            .map_err(pg)?;
        let Some(row) = row else {
            return Ok(false);
        };
        let heads: Vec<String> = row.try_get(0).map_err(pg)?;
        let counts = tx
            .query_one(
                "SELECT COUNT(*), COUNT(g.sha256) FROM blob_refs r
                 JOIN docs d ON d.id = r.inspection_id
                 LEFT JOIN blob_grants g ON g.agency_id = d.agency_id AND g.sha256 = r.sha256
                 WHERE r.inspection_id = $1",
                &[&s.doc_id],
            )
            .await
            .map_err(pg)?;
        let total: i64 = counts.try_get(0).map_err(pg)?;
        let received: i64 = counts.try_get(1).map_err(pg)?;
        let seen_received = i64::from(s.evidence_total) - i64::from(s.evidence_missing);
        if heads != s.doc_heads || total != i64::from(s.evidence_total) || received != seen_received
        {
            return Ok(false);
        }
        upsert(&tx, s).await?;
        tx.commit().await.map_err(pg)?;
        Ok(true)
    }

    async fn queue_summary(&self, doc_id: &str) -> StorageResult<Option<QueueSummary>> {
        let c = self.client().await?;
        let row = c
            .query_opt(
                &format!("SELECT {COLS} FROM queue_summaries s WHERE s.doc_id = $1"),
                &[&doc_id],
            )
            .await
            .map_err(pg)?;
        row.as_ref().map(summary_from_row).transpose()
    }

    async fn promote_due_ranks(&self, agency_id: &str, now: DateTime<Utc>) -> StorageResult<u64> {
        let c = self.client().await?;
        c.execute(
            "UPDATE queue_summaries SET rank = rank_late, rank_due_at = NULL
             WHERE agency_id = $1 AND rank_due_at IS NOT NULL AND rank_due_at <= $2",
            &[&agency_id, &now],
        )
        .await
        .map_err(pg)
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
        let limit = limit.max(1);
        let c = self.client().await?;
        let (cursor, dir) = match at {
            PageAt::First => (None, Dir::Forward),
            PageAt::After(k) => (Some(k), Dir::Forward),
            PageAt::Before(k) => (Some(k), Dir::Backward),
        };
        let mut rows = read_rows(&c, &base, cursor, dir, limit + 1).await?;
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        if dir == Dir::Backward {
            rows.reverse();
        }
        // Whether anything lies on the other side of the page.
        let beyond = async |row: Option<&QueueSummary>, d: Dir| -> StorageResult<bool> {
            match row {
                Some(r) => Ok(!read_rows(&c, &base, Some(&r.cursor()), d, 1)
                    .await?
                    .is_empty()),
                None => Ok(false),
            }
        };
        let (has_next, has_prev) = match dir {
            Dir::Forward => (
                more,
                cursor.is_some() && beyond(rows.first(), Dir::Backward).await?,
            ),
            Dir::Backward => (beyond(rows.last(), Dir::Forward).await?, more),
        };
        Ok(QueuePage {
            rows,
            has_next,
            has_prev,
        })
    }

    async fn queue_counts(&self, agency_id: &str) -> StorageResult<Vec<(ReviewState, u64)>> {
        let c = self.client().await?;
        let rows = c
            .query(
                "SELECT state, n FROM queue_counts WHERE agency_id = $1 AND n > 0 ORDER BY state",
                &[&agency_id],
            )
            .await
            .map_err(pg)?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let state: String = r.try_get(0).map_err(pg)?;
            let n: i64 = r.try_get(1).map_err(pg)?;
            if let (Some(state), Ok(n)) = (ReviewState::parse(&state), u64::try_from(n)) {
                out.push((state, n));
            }
        }
        Ok(out)
    }

    async fn docs_needing_summary(&self, after: &str, limit: u32) -> StorageResult<Vec<String>> {
        let c = self.client().await?;
        let rows = c
            .query(
                "SELECT d.id FROM docs d LEFT JOIN queue_summaries s ON s.doc_id = d.id
                 WHERE d.id > $1 AND (s.doc_id IS NULL OR s.doc_heads <> d.heads)
                 ORDER BY d.id LIMIT $2",
                &[&after, &i64::from(limit)],
            )
            .await
            .map_err(pg)?;
        rows.iter().map(|r| r.try_get(0).map_err(pg)).collect()
    }

    async fn inspections_referencing(
        &self,
        agency_id: &str,
        sha256: &str,
    ) -> StorageResult<Vec<String>> {
        let c = self.client().await?;
        let rows = c
            .query(
                "SELECT r.inspection_id FROM blob_refs r JOIN docs d ON d.id = r.inspection_id
                 WHERE r.sha256 = $1 AND d.agency_id = $2 ORDER BY r.inspection_id",
                &[&sha256, &agency_id],
            )
            .await
            .map_err(pg)?;
        rows.iter().map(|r| r.try_get(0).map_err(pg)).collect()
    }

    async fn roster_officers(&self, agency_id: &str) -> StorageResult<Vec<Officer>> {
        let c = self.client().await?;
        let rows = c
            .query(
                "SELECT data FROM roster_officers WHERE agency_id = $1 ORDER BY position",
                &[&agency_id],
            )
            .await
            .map_err(pg)?;
        rows.iter()
            .map(|r| {
                let Json(o) = r.try_get(0).map_err(pg)?;
                Ok(o)
            })
            .collect()
    }
}
