//! SQLite implementation of [`liuhen_server_store::public_profile::PublicProfileStorage`]
//! (tables of migration 0010; the history tables are guarded by triggers). The
//! yearly counts read the queue summaries, decisions and legal reviews read-only.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::types::Type;
use rusqlite::{OptionalExtension, Transaction, params};

use liuhen_domain::model::Agency;

use super::{SqliteStorage, backend, conflict_or, get_json, get_opt_ts, get_ts, to_json, ts};
use liuhen_server_store::public_profile::{
    Actor, AppealCounts, AppealKind, DECISION_KINDS, DocumentKind, ProfileEvent, PublicDocument,
    PublicProfile, PublicProfileStorage, StatsPublication, TaskOutcome, YearCounts,
};
use liuhen_server_store::{StorageError, StorageResult};

fn bad(idx: usize, what: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, what.into())
}

const DOC_COLS: &str = "id, agency_id, kind, title, file_name, content_type, sha256, size, \
                        uploaded_by, uploaded_at, deleted_at";

fn doc_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<PublicDocument> {
    let kind: String = r.get(2)?;
    let size: i64 = r.get(7)?;
    Ok(PublicDocument {
        id: r.get(0)?,
        agency_id: r.get(1)?,
        kind: DocumentKind::parse(&kind).ok_or_else(|| bad(2, format!("unknown kind {kind}")))?,
        title: r.get(3)?,
        file_name: r.get(4)?,
        content_type: r.get(5)?,
        sha256: r.get(6)?,
        size: u64::try_from(size).unwrap_or(0),
        uploaded_by: r.get(8)?,
        uploaded_at: get_ts(r, 9)?,
        deleted_at: get_opt_ts(r, 10)?,
    })
}

fn publication_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StatsPublication> {
    Ok(StatsPublication {
        agency_id: r.get(0)?,
        year: r.get(1)?,
        published_by: r.get(2)?,
        by_name: r.get(3)?,
        published_at: get_ts(r, 4)?,
    })
}

/// Appends one entry to the history (same transaction as the change).
fn log_event(
    tx: &Transaction<'_>,
    agency_id: &str,
    kind: &str,
    detail: &str,
    by_user: &str,
    by_name: &str,
    at: DateTime<Utc>,
) -> StorageResult<()> {
    tx.execute(
        "INSERT INTO public_profile_events (agency_id, kind, detail, by_user, by_name, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![agency_id, kind, detail, by_user, by_name, ts(at)],
    )
    .map_err(backend)?;
    Ok(())
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

#[async_trait]
impl PublicProfileStorage for SqliteStorage {
    async fn public_agencies(&self) -> StorageResult<Vec<Agency>> {
        self.read(|c| {
            let mut stmt = c
                .prepare_cached("SELECT data FROM agencies ORDER BY id")
                .map_err(backend)?;
            stmt.query_map([], |r| get_json(r, 0))
                .map_err(backend)?
                .collect::<rusqlite::Result<Vec<Agency>>>()
                .map_err(backend)
        })
        .await
    }

    async fn public_profile(&self, agency_id: &str) -> StorageResult<Option<PublicProfile>> {
        let agency_id = agency_id.to_string();
        self.read(move |c| {
            c.query_row(
                "SELECT agency_id, bodies, duties, supervision, remedy, recording_steps,
                 updated_by, updated_at FROM public_profiles WHERE agency_id = ?1",
                [agency_id],
                |r| {
                    Ok(PublicProfile {
                        agency_id: r.get(0)?,
                        bodies: r.get(1)?,
                        duties: r.get(2)?,
                        supervision: r.get(3)?,
                        remedy: r.get(4)?,
                        recording_steps: get_json(r, 5)?,
                        updated_by: r.get(6)?,
                        updated_at: get_ts(r, 7)?,
                    })
                },
            )
            .optional()
            .map_err(backend)
        })
        .await
    }

    async fn put_public_profile(
        &self,
        profile: &PublicProfile,
        by_name: &str,
        detail: &str,
    ) -> StorageResult<()> {
        let p = profile.clone();
        let steps = to_json(&p.recording_steps)?;
        let (by_name, detail) = (by_name.to_string(), detail.to_string());
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO public_profiles (agency_id, bodies, duties, supervision, remedy,
                 recording_steps, updated_by, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (agency_id) DO UPDATE SET bodies = excluded.bodies,
                 duties = excluded.duties, supervision = excluded.supervision,
                 remedy = excluded.remedy, recording_steps = excluded.recording_steps,
                 updated_by = excluded.updated_by, updated_at = excluded.updated_at",
                params![
                    p.agency_id,
                    p.bodies,
                    p.duties,
                    p.supervision,
                    p.remedy,
                    steps,
                    p.updated_by,
                    ts(p.updated_at)
                ],
            )
            .map_err(backend)?;
            log_event(
                tx,
                &p.agency_id,
                "profile",
                &detail,
                &p.updated_by,
                &by_name,
                p.updated_at,
            )
        })
        .await
    }

    async fn public_documents(
        &self,
        agency_id: &str,
        include_withdrawn: bool,
    ) -> StorageResult<Vec<PublicDocument>> {
        let agency_id = agency_id.to_string();
        self.read(move |c| {
            let sql = format!(
                "SELECT {DOC_COLS} FROM public_documents WHERE agency_id = ?1
                 AND (?2 OR deleted_at IS NULL) ORDER BY uploaded_at, id"
            );
            let mut stmt = c.prepare_cached(&sql).map_err(backend)?;
            stmt.query_map(params![agency_id, include_withdrawn], doc_from_row)
                .map_err(backend)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(backend)
        })
        .await
    }

    async fn public_document(&self, id: &str) -> StorageResult<Option<PublicDocument>> {
        let id = id.to_string();
        self.read(move |c| {
            c.query_row(
                &format!("SELECT {DOC_COLS} FROM public_documents WHERE id = ?1"),
                [id],
                doc_from_row,
            )
            .optional()
            .map_err(backend)
        })
        .await
    }

    async fn add_public_document(
        &self,
        doc: &PublicDocument,
        by_name: &str,
        detail: &str,
    ) -> StorageResult<()> {
        let d = doc.clone();
        let (by_name, detail) = (by_name.to_string(), detail.to_string());
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO public_documents (id, agency_id, kind, title, file_name,
                 content_type, sha256, size, uploaded_by, uploaded_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    d.id,
                    d.agency_id,
                    d.kind.as_str(),
                    d.title,
                    d.file_name,
                    d.content_type,
                    d.sha256,
                    i64::try_from(d.size).unwrap_or(i64::MAX),
                    d.uploaded_by,
                    ts(d.uploaded_at)
                ],
            )
            .map_err(|e| conflict_or(e, format!("文件 {}", d.id)))?;
            log_event(
                tx,
                &d.agency_id,
                "document_added",
                &detail,
                &d.uploaded_by,
                &by_name,
                d.uploaded_at,
            )
        })
        .await
    }

    async fn withdraw_public_document(
        &self,
        agency_id: &str,
        id: &str,
        by: &Actor,
    ) -> StorageResult<()> {
        let (agency_id, id, by) = (agency_id.to_string(), id.to_string(), by.clone());
        self.write(move |tx| {
            let title: Option<String> = tx
                .query_row(
                    "SELECT title FROM public_documents
                     WHERE id = ?1 AND agency_id = ?2 AND deleted_at IS NULL",
                    params![id, agency_id],
                    |r| r.get(0),
                )
                .optional()
                .map_err(backend)?;
            let Some(title) = title else {
                return Err(StorageError::NotFound(format!("公开文件 {id}")));
            };
            tx.execute(
                "UPDATE public_documents SET deleted_by = ?1, deleted_at = ?2 WHERE id = ?3",
                params![by.user_id, ts(by.at), id],
            )
            .map_err(backend)?;
            log_event(
                tx,
                &agency_id,
                "document_withdrawn",
                &format!("撤下公开文件《{title}》"),
                &by.user_id,
                &by.name,
                by.at,
            )
        })
        .await
    }

    async fn appeal_stats(
        &self,
        agency_id: Option<&str>,
        year: i32,
    ) -> StorageResult<Vec<(String, AppealKind, AppealCounts)>> {
        let agency_id = agency_id.map(str::to_string);
        self.read(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT agency_id, kind, total, upheld, corrected, other FROM appeal_stats
                     WHERE year = ?1 AND (?2 IS NULL OR agency_id = ?2)
                     ORDER BY agency_id, kind DESC",
                )
                .map_err(backend)?;
            stmt.query_map(params![year, agency_id], |r| {
                let kind: String = r.get(1)?;
                Ok((
                    r.get(0)?,
                    AppealKind::parse(&kind).ok_or_else(|| bad(1, format!("unknown {kind}")))?,
                    AppealCounts {
                        total: r.get(2)?,
                        upheld: r.get(3)?,
                        corrected: r.get(4)?,
                        other: r.get(5)?,
                    },
                ))
            })
            .map_err(backend)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(backend)
        })
        .await
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
        let (agency_id, n, by) = (agency_id.to_string(), *counts, by.clone());
        let detail = detail.to_string();
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO appeal_stats (agency_id, year, kind, total, upheld, corrected,
                 other, updated_by, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT (agency_id, year, kind) DO UPDATE SET total = excluded.total,
                 upheld = excluded.upheld, corrected = excluded.corrected,
                 other = excluded.other, updated_by = excluded.updated_by,
                 updated_at = excluded.updated_at",
                params![
                    agency_id,
                    year,
                    kind.as_str(),
                    n.total,
                    n.upheld,
                    n.corrected,
                    n.other,
                    by.user_id,
                    ts(by.at)
                ],
            )
            .map_err(backend)?;
            log_event(
                tx,
                &agency_id,
                "appeals",
                &detail,
                &by.user_id,
                &by.name,
                by.at,
            )
        })
        .await
    }

    async fn stats_publications(&self, year: Option<i32>) -> StorageResult<Vec<StatsPublication>> {
        self.read(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT agency_id, year, published_by, by_name, published_at
                     FROM stats_publications WHERE (?1 IS NULL OR year = ?1)
                     ORDER BY year DESC, agency_id",
                )
                .map_err(backend)?;
            stmt.query_map(params![year], publication_from_row)
                .map_err(backend)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(backend)
        })
        .await
    }

    async fn publish_stats(&self, publication: &StatsPublication) -> StorageResult<()> {
        let p = publication.clone();
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO stats_publications (agency_id, year, published_by, by_name,
                 published_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    p.agency_id,
                    p.year,
                    p.published_by,
                    p.by_name,
                    ts(p.published_at)
                ],
            )
            .map_err(|e| conflict_or(e, format!("{} 年度统计的公布记录", p.year)))?;
            log_event(
                tx,
                &p.agency_id,
                "stats_published",
                &format!("公布 {} 年度行政执法统计", p.year),
                &p.published_by,
                &p.by_name,
                p.published_at,
            )
        })
        .await
    }

    async fn year_counts(
        &self,
        agency_id: &str,
        year: i32,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StorageResult<YearCounts> {
        let agency_id = agency_id.to_string();
        let (from, to) = (ts(from), ts(to));
        let (first_day, last_day) = (format!("{year:04}-01-01"), format!("{year:04}-12-31"));
        self.read(move |c| {
            let mut out = YearCounts::default();
            let inspections: i64 = c
                .query_row(
                    "SELECT COUNT(*) FROM queue_summaries
                     WHERE agency_id = ?1 AND opened_at >= ?2 AND opened_at < ?3",
                    params![agency_id, from, to],
                    |r| r.get(0),
                )
                .map_err(backend)?;
            out.inspections = count(inspections);
            let mut stmt = c
                .prepare_cached(
                    "SELECT kind, COUNT(*), COALESCE(SUM(fine_fen), 0) FROM decisions
                     WHERE agency_id = ?1 AND decided_on >= ?2 AND decided_on <= ?3
                     GROUP BY kind",
                )
                .map_err(backend)?;
            let rows = stmt
                .query_map(params![agency_id, first_day, last_day], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, i64>(2)?,
                    ))
                })
                .map_err(backend)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(backend)?;
            for (kind, n, fines) in rows {
                if let Some(i) = DECISION_KINDS.iter().position(|(k, _)| *k == kind) {
                    out.decisions[i] = count(n);
                }
                out.fines_fen = out.fines_fen.saturating_add(fines);
            }
            let reviews: i64 = c
                .query_row(
                    "SELECT COUNT(*) FROM legal_reviews r JOIN legal_drafts d ON d.id = r.draft_id
                     WHERE d.agency_id = ?1 AND r.at >= ?2 AND r.at < ?3",
                    params![agency_id, from, to],
                    |r| r.get(0),
                )
                .map_err(backend)?;
            out.legal_reviews = count(reviews);
            Ok(out)
        })
        .await
    }

    async fn task_outcomes(&self, task_ids: &[String]) -> StorageResult<Vec<TaskOutcome>> {
        let ids = task_ids.to_vec();
        self.read(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT q.state, q.has_violations FROM docs d
                     JOIN queue_summaries q ON q.doc_id = d.id
                     WHERE d.task_id = ?1 ORDER BY q.opened_at DESC LIMIT 1",
                )
                .map_err(backend)?;
            let mut out = Vec::new();
            for id in ids {
                let row = stmt
                    .query_row([&id], |r| {
                        Ok((r.get::<_, String>(0)?, r.get::<_, bool>(1)?))
                    })
                    .optional()
                    .map_err(backend)?;
                if let Some((state, has_violations)) = row {
                    out.push(TaskOutcome {
                        task_id: id,
                        state,
                        has_violations,
                    });
                }
            }
            Ok(out)
        })
        .await
    }

    async fn public_profile_events(
        &self,
        agency_id: &str,
        limit: u32,
    ) -> StorageResult<Vec<ProfileEvent>> {
        let agency_id = agency_id.to_string();
        self.read(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT seq, agency_id, kind, detail, by_user, by_name, at
                     FROM public_profile_events WHERE agency_id = ?1 ORDER BY seq DESC LIMIT ?2",
                )
                .map_err(backend)?;
            stmt.query_map(params![agency_id, limit], |r| {
                Ok(ProfileEvent {
                    seq: r.get(0)?,
                    agency_id: r.get(1)?,
                    kind: r.get(2)?,
                    detail: r.get(3)?,
                    by_user: r.get(4)?,
                    by_name: r.get(5)?,
                    at: get_ts(r, 6)?,
                })
            })
            .map_err(backend)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(backend)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn actor(min: u32) -> Actor {
        Actor {
            user_id: "u-admin".into(),
            name: "管理员".into(),
            at: Utc.with_ymd_and_hms(2026, 1, 10, 2, min, 0).unwrap(),
        }
    }

    #[tokio::test]
    async fn r_post_5_history_and_publications_refuse_update_and_delete_in_raw_sql() {
        let dir = tempfile::tempdir().unwrap();
        let st = SqliteStorage::open_async(dir.path().join("db"))
            .await
            .unwrap();
        let a = actor(0);
        let p = StatsPublication {
            agency_id: "a1".into(),
            year: 2025,
            published_by: a.user_id.clone(),
            by_name: a.name.clone(),
            published_at: a.at,
        };
        st.publish_stats(&p).await.unwrap();
        st.put_appeal_stats(
            "a1",
            2025,
            AppealKind::Litigation,
            &AppealCounts {
                total: 3,
                upheld: 1,
                corrected: 1,
                other: 0,
            },
            &actor(1),
            "2025 年行政诉讼：受理 3",
        )
        .await
        .unwrap();
        for sql in [
            "UPDATE public_profile_events SET detail = 'x'",
            "DELETE FROM public_profile_events",
            "UPDATE stats_publications SET published_at = '2026-01-01T00:00:00Z'",
        ] {
            let r = st
                .write(move |tx| tx.execute(sql, []).map_err(backend))
                .await;
            assert!(r.is_err(), "{sql} went through");
        }
    }
}
