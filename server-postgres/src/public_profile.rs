//! PostgreSQL implementation of
//! [`liuhen_server_store::public_profile::PublicProfileStorage`] (tables of
//! migration 0002; the history tables are guarded by triggers). The yearly counts
//! read the queue summaries, decisions and legal reviews read-only.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tokio_postgres::Row;
use tokio_postgres::types::Json;

use liuhen_domain::model::Agency;
use liuhen_server_store::public_profile::{
    Actor, AppealCounts, AppealKind, DECISION_KINDS, DocumentKind, ProfileEvent, PublicDocument,
    PublicProfile, PublicProfileStorage, StatsPublication, TaskOutcome, YearCounts,
};
use liuhen_server_store::{StorageError, StorageResult};

use super::publicity::year_bounds;
use super::{PgStorage, conflict_or, pg};

fn bad(what: String) -> StorageError {
    StorageError::Backend(format!("公开信息数据无法识别：{what}"))
}

const DOC_COLS: &str = "id, agency_id, kind, title, file_name, content_type, sha256, size, \
                        uploaded_by, uploaded_at, deleted_at";

fn doc_from_row(r: &Row) -> StorageResult<PublicDocument> {
    let kind: String = r.try_get(2).map_err(pg)?;
    let size: i64 = r.try_get(7).map_err(pg)?;
    Ok(PublicDocument {
        id: r.try_get(0).map_err(pg)?,
        agency_id: r.try_get(1).map_err(pg)?,
        kind: DocumentKind::parse(&kind).ok_or_else(|| bad(format!("文件种类 {kind}")))?,
        title: r.try_get(3).map_err(pg)?,
        file_name: r.try_get(4).map_err(pg)?,
        content_type: r.try_get(5).map_err(pg)?,
        sha256: r.try_get(6).map_err(pg)?,
        size: u64::try_from(size).unwrap_or(0),
        uploaded_by: r.try_get(8).map_err(pg)?,
        uploaded_at: r.try_get(9).map_err(pg)?,
        deleted_at: r.try_get(10).map_err(pg)?,
    })
}

fn publication_from_row(r: &Row) -> StorageResult<StatsPublication> {
    Ok(StatsPublication {
        agency_id: r.try_get(0).map_err(pg)?,
        year: r.try_get(1).map_err(pg)?,
        published_by: r.try_get(2).map_err(pg)?,
        by_name: r.try_get(3).map_err(pg)?,
        published_at: r.try_get(4).map_err(pg)?,
    })
}

/// Appends one entry to the history (same transaction as the change).
async fn log_event(
    tx: &tokio_postgres::Transaction<'_>,
    agency_id: &str,
    kind: &str,
    detail: &str,
    by_user: &str,
    by_name: &str,
    at: DateTime<Utc>,
) -> StorageResult<()> {
    tx.execute(
        "INSERT INTO public_profile_events (agency_id, kind, detail, by_user, by_name, at)
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[&agency_id, &kind, &detail, &by_user, &by_name, &at],
    )
    .await
    .map_err(pg)?;
    Ok(())
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// An appeal count as the `integer` column stores it.
fn int(n: u32) -> StorageResult<i32> {
    i32::try_from(n).map_err(|_| StorageError::Backend(format!("数量 {n} 超出范围")))
}

fn u32_of(r: &Row, idx: usize) -> StorageResult<u32> {
    let v: i32 = r.try_get(idx).map_err(pg)?;
    u32::try_from(v).map_err(|_| bad(format!("数量 {v}")))
}

#[async_trait]
impl PublicProfileStorage for PgStorage {
    async fn public_agencies(&self) -> StorageResult<Vec<Agency>> {
        let c = self.client().await?;
        let rows = c
            .query("SELECT data FROM agencies ORDER BY id COLLATE \"C\"", &[])
            .await
            .map_err(pg)?;
        rows.iter()
            .map(|r| {
                let Json(a) = r.try_get(0).map_err(pg)?;
                Ok(a)
            })
            .collect()
    }

    async fn public_profile(&self, agency_id: &str) -> StorageResult<Option<PublicProfile>> {
        let c = self.client().await?;
        let row = c
            .query_opt(
                "SELECT agency_id, bodies, duties, supervision, remedy, recording_steps,
                 updated_by, updated_at FROM public_profiles WHERE agency_id = $1",
                &[&agency_id],
            )
            .await
            .map_err(pg)?;
        row.map(|r| {
            Ok(PublicProfile {
                agency_id: r.try_get(0).map_err(pg)?,
                bodies: r.try_get(1).map_err(pg)?,
                duties: r.try_get(2).map_err(pg)?,
                supervision: r.try_get(3).map_err(pg)?,
                remedy: r.try_get(4).map_err(pg)?,
                recording_steps: r.try_get(5).map_err(pg)?,
                updated_by: r.try_get(6).map_err(pg)?,
                updated_at: r.try_get(7).map_err(pg)?,
            })
        })
        .transpose()
    }

    async fn put_public_profile(
        &self,
        profile: &PublicProfile,
        by_name: &str,
        detail: &str,
    ) -> StorageResult<()> {
        let p = profile;
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(pg)?;
        tx.execute(
            "INSERT INTO public_profiles (agency_id, bodies, duties, supervision, remedy,
             recording_steps, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (agency_id) DO UPDATE SET bodies = excluded.bodies,
             duties = excluded.duties, supervision = excluded.supervision,
             remedy = excluded.remedy, recording_steps = excluded.recording_steps,
             updated_by = excluded.updated_by, updated_at = excluded.updated_at",
            &[
                &p.agency_id,
                &p.bodies,
                &p.duties,
                &p.supervision,
                &p.remedy,
                &p.recording_steps,
                &p.updated_by,
                &p.updated_at,
            ],
        )
        .await
        .map_err(pg)?;
        log_event(
            &tx,
            &p.agency_id,
            "profile",
            detail,
            &p.updated_by,
            by_name,
            p.updated_at,
        )
        .await?;
        tx.commit().await.map_err(pg)
    }

    async fn public_documents(
        &self,
        agency_id: &str,
        include_withdrawn: bool,
    ) -> StorageResult<Vec<PublicDocument>> {
        let c = self.client().await?;
        let rows = c
            .query(
                &format!(
                    "SELECT {DOC_COLS} FROM public_documents WHERE agency_id = $1
                     AND ($2 OR deleted_at IS NULL) ORDER BY uploaded_at, id"
                ),
                &[&agency_id, &include_withdrawn],
            )
            .await
            .map_err(pg)?;
        rows.iter().map(doc_from_row).collect()
    }

    async fn public_document(&self, id: &str) -> StorageResult<Option<PublicDocument>> {
        let c = self.client().await?;
        let row = c
            .query_opt(
                &format!("SELECT {DOC_COLS} FROM public_documents WHERE id = $1"),
                &[&id],
            )
            .await
            .map_err(pg)?;
        row.as_ref().map(doc_from_row).transpose()
    }

    async fn add_public_document(
        &self,
        doc: &PublicDocument,
        by_name: &str,
        detail: &str,
    ) -> StorageResult<()> {
        let d = doc;
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(pg)?;
        tx.execute(
            "INSERT INTO public_documents (id, agency_id, kind, title, file_name,
             content_type, sha256, size, uploaded_by, uploaded_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            &[
                &d.id,
                &d.agency_id,
                &d.kind.as_str(),
                &d.title,
                &d.file_name,
                &d.content_type,
                &d.sha256,
                &i64::try_from(d.size).unwrap_or(i64::MAX),
                &d.uploaded_by,
                &d.uploaded_at,
            ],
        )
        .await
        .map_err(|e| conflict_or(e, format!("文件 {}", d.id)))?;
        log_event(
            &tx,
            &d.agency_id,
            "document_added",
            detail,
            &d.uploaded_by,
            by_name,
            d.uploaded_at,
        )
        .await?;
        tx.commit().await.map_err(pg)
    }

    async fn withdraw_public_document(
        &self,
        agency_id: &str,
        id: &str,
        by: &Actor,
    ) -> StorageResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(pg)?;
        // FOR UPDATE: two withdrawals at once, one is done, the other finds none.
        let row = tx
            .query_opt(
                "SELECT title FROM public_documents
                 WHERE id = $1 AND agency_id = $2 AND deleted_at IS NULL FOR UPDATE",
                &[&id, &agency_id],
            )
            .await
            .map_err(pg)?;
        let Some(row) = row else {
            return Err(StorageError::NotFound(format!("公开文件 {id}")));
        };
        let title: String = row.try_get(0).map_err(pg)?;
        tx.execute(
            "UPDATE public_documents SET deleted_by = $1, deleted_at = $2 WHERE id = $3",
            &[&by.user_id, &by.at, &id],
        )
        .await
        .map_err(pg)?;
        log_event(
            &tx,
            agency_id,
            "document_withdrawn",
            &format!("撤下公开文件《{title}》"),
            &by.user_id,
            &by.name,
            by.at,
        )
        .await?;
        tx.commit().await.map_err(pg)
    }

    async fn appeal_stats(
        &self,
        agency_id: Option<&str>,
        year: i32,
    ) -> StorageResult<Vec<(String, AppealKind, AppealCounts)>> {
        let c = self.client().await?;
        let rows = c
            .query(
                "SELECT agency_id, kind, total, upheld, corrected, other FROM appeal_stats
                 WHERE year = $1 AND ($2::text IS NULL OR agency_id = $2)
                 ORDER BY agency_id COLLATE \"C\", kind DESC",
                &[&year, &agency_id],
            )
            .await
            .map_err(pg)?;
        rows.iter()
            .map(|r| {
                let kind: String = r.try_get(1).map_err(pg)?;
                Ok((
                    r.try_get(0).map_err(pg)?,
                    AppealKind::parse(&kind).ok_or_else(|| bad(format!("复议诉讼种类 {kind}")))?,
                    AppealCounts {
                        total: u32_of(r, 2)?,
                        upheld: u32_of(r, 3)?,
                        corrected: u32_of(r, 4)?,
                        other: u32_of(r, 5)?,
                    },
                ))
            })
            .collect()
    }

    async fn put_appeal_stats(
        &self,
        agency_id: &str,
        year: i32,
        kind: AppealKind,
        counts: &AppealCounts,
        by: &Actor,
        detail: &str,
    ) -> StorageResult<()> {
        let n = counts;
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(pg)?;
        tx.execute(
            "INSERT INTO appeal_stats (agency_id, year, kind, total, upheld, corrected,
             other, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (agency_id, year, kind) DO UPDATE SET total = excluded.total,
             upheld = excluded.upheld, corrected = excluded.corrected,
             other = excluded.other, updated_by = excluded.updated_by,
             updated_at = excluded.updated_at",
            &[
                &agency_id,
                &year,
                &kind.as_str(),
                &int(n.total)?,
                &int(n.upheld)?,
                &int(n.corrected)?,
                &int(n.other)?,
                &by.user_id,
                &by.at,
            ],
        )
        .await
        .map_err(pg)?;
        log_event(
            &tx,
            agency_id,
            "appeals",
            detail,
            &by.user_id,
            &by.name,
            by.at,
        )
        .await?;
        tx.commit().await.map_err(pg)
    }

    async fn stats_publications(&self, year: Option<i32>) -> StorageResult<Vec<StatsPublication>> {
        let c = self.client().await?;
        let rows = c
            .query(
                "SELECT agency_id, year, published_by, by_name, published_at
                 FROM stats_publications WHERE ($1::integer IS NULL OR year = $1)
                 ORDER BY year DESC, agency_id COLLATE \"C\"",
                &[&year],
            )
            .await
            .map_err(pg)?;
        rows.iter().map(publication_from_row).collect()
    }

    async fn publish_stats(&self, publication: &StatsPublication) -> StorageResult<()> {
        let p = publication;
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(pg)?;
        tx.execute(
            "INSERT INTO stats_publications (agency_id, year, published_by, by_name,
             published_at) VALUES ($1, $2, $3, $4, $5)",
            &[
                &p.agency_id,
                &p.year,
                &p.published_by,
                &p.by_name,
                &p.published_at,
            ],
        )
        .await
        .map_err(|e| conflict_or(e, format!("{} 年度统计的公布记录", p.year)))?;
        log_event(
            &tx,
            &p.agency_id,
            "stats_published",
            &format!("公布 {} 年度行政执法统计", p.year),
            &p.published_by,
            &p.by_name,
            p.published_at,
        )
        .await?;
        tx.commit().await.map_err(pg)
    }

    async fn year_counts(
        &self,
        agency_id: &str,
        year: i32,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StorageResult<YearCounts> {
        let (first_day, last_day) = year_bounds(year)?;
        let c = self.client().await?;
        let mut out = YearCounts::default();
        let inspections: i64 = c
            .query_one(
                "SELECT COUNT(*) FROM queue_summaries
                 WHERE agency_id = $1 AND opened_at >= $2 AND opened_at < $3",
                &[&agency_id, &from, &to],
            )
            .await
            .and_then(|r| r.try_get(0))
            .map_err(pg)?;
        out.inspections = count(inspections);
        let rows = c
            .query(
                "SELECT kind, COUNT(*), COALESCE(SUM(fine_fen), 0)::bigint FROM decisions
                 WHERE agency_id = $1 AND decided_on >= $2 AND decided_on <= $3
                 GROUP BY kind",
                &[&agency_id, &first_day, &last_day],
            )
            .await
            .map_err(pg)?;
        for r in &rows {
            let kind: String = r.try_get(0).map_err(pg)?;
            let n: i64 = r.try_get(1).map_err(pg)?;
            let fines: i64 = r.try_get(2).map_err(pg)?;
            if let Some(i) = DECISION_KINDS.iter().position(|(k, _)| *k == kind) {
                out.decisions[i] = count(n);
            }
            out.fines_fen = out.fines_fen.saturating_add(fines);
        }
        let reviews: i64 = c
            .query_one(
                "SELECT COUNT(*) FROM legal_reviews r JOIN legal_drafts d ON d.id = r.draft_id
                 WHERE d.agency_id = $1 AND r.at >= $2 AND r.at < $3",
                &[&agency_id, &from, &to],
            )
            .await
            .and_then(|r| r.try_get(0))
            .map_err(pg)?;
        out.legal_reviews = count(reviews);
        Ok(out)
    }

    async fn task_outcomes(&self, task_ids: &[String]) -> StorageResult<Vec<TaskOutcome>> {
        let c = self.client().await?;
        // The newest inspection of each task (one read for all of them).
        let rows = c
            .query(
                "SELECT DISTINCT ON (d.task_id) d.task_id, q.state, q.has_violations
                 FROM docs d JOIN queue_summaries q ON q.doc_id = d.id
                 WHERE d.task_id = ANY($1)
                 ORDER BY d.task_id, q.opened_at DESC",
                &[&task_ids],
            )
            .await
            .map_err(pg)?;
        let mut found: HashMap<String, (String, bool)> = HashMap::with_capacity(rows.len());
        for r in &rows {
            found.insert(
                r.try_get(0).map_err(pg)?,
                (r.try_get(1).map_err(pg)?, r.try_get(2).map_err(pg)?),
            );
        }
        // In the order asked, as on SQLite.
        Ok(task_ids
            .iter()
            .filter_map(|id| {
                found.get(id).map(|(state, has_violations)| TaskOutcome {
                    task_id: id.clone(),
                    state: state.clone(),
                    has_violations: *has_violations,
                })
            })
            .collect())
    }

    async fn public_profile_events(
        &self,
        agency_id: &str,
        limit: u32,
    ) -> StorageResult<Vec<ProfileEvent>> {
        let c = self.client().await?;
        let rows = c
            .query(
                "SELECT seq, agency_id, kind, detail, by_user, by_name, at
                 FROM public_profile_events WHERE agency_id = $1 ORDER BY seq DESC LIMIT $2",
                &[&agency_id, &i64::from(limit)],
            )
            .await
            .map_err(pg)?;
        rows.iter()
            .map(|r| {
                Ok(ProfileEvent {
                    seq: r.try_get(0).map_err(pg)?,
                    agency_id: r.try_get(1).map_err(pg)?,
                    kind: r.try_get(2).map_err(pg)?,
                    detail: r.try_get(3).map_err(pg)?,
                    by_user: r.try_get(4).map_err(pg)?,
                    by_name: r.try_get(5).map_err(pg)?,
                    at: r.try_get(6).map_err(pg)?,
                })
            })
            .collect()
    }
}
