//! The main [`Storage`] trait on PostgreSQL: one pooled connection per call, one
//! transaction per write of several statements.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tokio_postgres::types::Json;

use liuhen_domain::draw::SpotCheckItem;
use liuhen_domain::model::{Officer, RosterSnapshot, Target, Task};
use liuhen_server_store::failpoints::crash_point;
use liuhen_server_store::{
    BlobRecord, ConflictRecord, Device, DeviceRefusal, DocRecord, DrawSummary, DrawTask, OfferScan,
    Storage, StorageError, StorageResult, StoredDraw, SyncWrite, TaskEvent, TaskEventKind, User,
};

use super::accounts::{DEVICE_COLS, USER_COLS, device_from_row, insert_device, user_from_row};
use super::docs::{
    BLOB_COLS, BLOB_FROM, DOC_COLS, blob_from_row, bump_cursor, doc_from_row, read_blobs_of,
    size_to_sql, write_blob_ref, write_doc, write_peer_state,
};
use super::roster::{
    DRAW_COLS, add_task_officers, agency_exists, draw_from_row, insert_task, json_rows,
    next_position, summary_from_row,
};
use super::{PgStorage, col, conflict_or, json_col, pg, queue, roster};

fn json_text<T: serde::Serialize>(v: &T) -> StorageResult<String> {
    serde_json::to_string(v).map_err(|e| StorageError::Backend(e.to_string()))
}

fn event_kind(kind: TaskEventKind) -> &'static str {
    match kind {
        TaskEventKind::Cancelled => "cancelled",
        TaskEventKind::Reassigned => "reassigned",
    }
}

impl PgStorage {
    /// Runs one DELETE; NotFound (`what`) if it removed nothing.
    async fn delete_one(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
        what: String,
    ) -> StorageResult<()> {
        let n = self
            .client()
            .await?
            .execute(sql, params)
            .await
            .map_err(pg)?;
        if n == 0 {
            return Err(StorageError::NotFound(what));
        }
        Ok(())
    }
}

#[async_trait]
impl Storage for PgStorage {
    async fn put_roster(&self, roster: &RosterSnapshot) -> StorageResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(pg)?;
        roster::put_roster(&tx, roster).await?;
        tx.commit().await.map_err(pg)
    }

    async fn roster_for(
        &self,
        agency_id: &str,
        officer_id: Option<&str>,
    ) -> StorageResult<Option<(RosterSnapshot, String)>> {
        // One snapshot for the agency, its officers, targets and tasks.
        let mut c = self.client().await?;
        let tx = c
            .build_transaction()
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await
            .map_err(pg)?;
        let out = roster::roster_for(&*tx, agency_id, officer_id).await?;
        tx.commit().await.map_err(pg)?;
        Ok(out)
    }

    async fn upsert_directory(
        &self,
        agency_id: &str,
        officers: &[Officer],
        targets: &[Target],
    ) -> StorageResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(pg)?;
        roster::upsert_directory(&tx, agency_id, officers, targets).await?;
        tx.commit().await.map_err(pg)
    }

    async fn delete_officer(&self, agency_id: &str, officer_id: &str) -> StorageResult<()> {
        self.delete_one(
            "DELETE FROM roster_officers WHERE agency_id = $1 AND id = $2",
            &[&agency_id, &officer_id],
            format!("执法人员 {officer_id}"),
        )
        .await
    }

    async fn delete_target(&self, agency_id: &str, target_id: &str) -> StorageResult<()> {
        self.delete_one(
            "DELETE FROM roster_targets WHERE agency_id = $1 AND id = $2",
            &[&agency_id, &target_id],
            format!("检查对象 {target_id}"),
        )
        .await
    }

    async fn check_items(&self, agency_id: &str) -> StorageResult<Vec<SpotCheckItem>> {
        json_rows(
            self.client()
                .await?
                .query(
                    "SELECT data FROM check_items WHERE agency_id = $1 ORDER BY position",
                    &[&agency_id],
                )
                .await
                .map_err(pg)?,
        )
    }

    async fn upsert_check_items(
        &self,
        agency_id: &str,
        items: &[SpotCheckItem],
    ) -> StorageResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(pg)?;
        agency_exists(&tx, agency_id).await?;
        let first = next_position(&tx, "check_items", agency_id).await?;
        for (pos, item) in (first..).zip(items) {
            tx.execute(
                "INSERT INTO check_items (agency_id, code, position, data) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (agency_id, code) DO UPDATE SET data = excluded.data",
                &[&agency_id, &item.code, &pos, &Json(item)],
            )
            .await
            .map_err(pg)?;
        }
        tx.commit().await.map_err(pg)
    }

    async fn delete_check_item(&self, agency_id: &str, code: &str) -> StorageResult<()> {
        self.delete_one(
            "DELETE FROM check_items WHERE agency_id = $1 AND code = $2",
            &[&agency_id, &code],
            format!("抽查事项 {code}"),
        )
        .await
    }

    async fn categories(&self, agency_id: &str) -> StorageResult<Vec<String>> {
        self.client()
            .await?
            .query(
                "SELECT name FROM enforcement_categories WHERE agency_id = $1 ORDER BY name",
                &[&agency_id],
            )
            .await
            .map_err(pg)?
            .iter()
            .map(|r| col(r, 0))
            .collect()
    }

    async fn put_categories(&self, agency_id: &str, names: &[String]) -> StorageResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(pg)?;
        tx.execute(
            "DELETE FROM enforcement_categories WHERE agency_id = $1",
            &[&agency_id],
        )
        .await
        .map_err(pg)?;
        tx.execute(
            "INSERT INTO enforcement_categories (agency_id, name)
             SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING",
            &[&agency_id, &names],
        )
        .await
        .map_err(pg)?;
        tx.commit().await.map_err(pg)
    }

    async fn conflicts(&self, agency_id: &str) -> StorageResult<Vec<ConflictRecord>> {
        self.client()
            .await?
            .query(
                "SELECT agency_id, officer_id, target_id, reason, declared_at
                 FROM officer_conflicts WHERE agency_id = $1 ORDER BY officer_id, target_id",
                &[&agency_id],
            )
            .await
            .map_err(pg)?
            .iter()
            .map(|r| {
                Ok(ConflictRecord {
                    agency_id: col(r, 0)?,
                    officer_id: col(r, 1)?,
                    target_id: col(r, 2)?,
                    reason: col(r, 3)?,
                    declared_at: col(r, 4)?,
                })
            })
            .collect()
    }

    async fn put_conflict(&self, c: &ConflictRecord) -> StorageResult<()> {
        self.client()
            .await?
            .execute(
                "INSERT INTO officer_conflicts (agency_id, officer_id, target_id, reason, declared_at)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (agency_id, officer_id, target_id) DO UPDATE SET reason = excluded.reason",
                &[&c.agency_id, &c.officer_id, &c.target_id, &c.reason, &c.declared_at],
            )
            .await
            .map_err(pg)?;
        Ok(())
    }

    async fn delete_conflict(
        &self,
        agency_id: &str,
        officer_id: &str,
        target_id: &str,
    ) -> StorageResult<()> {
        self.delete_one(
            "DELETE FROM officer_conflicts WHERE agency_id = $1 AND officer_id = $2
             AND target_id = $3",
            &[&agency_id, &officer_id, &target_id],
            format!("回避申报（{officer_id} / {target_id}）"),
        )
        .await
    }

    async fn last_teams(&self, agency_id: &str) -> StorageResult<Vec<(String, Vec<String>)>> {
        let mut c = self.client().await?;
        let tx = c
            .build_transaction()
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await
            .map_err(pg)?;
        let out = roster::last_teams(&*tx, agency_id).await?;
        tx.commit().await.map_err(pg)?;
        Ok(out)
    }

    async fn create_draw(&self, d: &StoredDraw) -> StorageResult<()> {
        let inputs = json_text(&d.inputs)?;
        self.client()
            .await?
            .execute(
                "INSERT INTO draws (id, agency_id, item_code, item_name, status, draw_date,
                 due_date, created_at, created_by, inputs_hash, seed_commitment, seed,
                 public_entropy, inputs, outcome, completed_at)
                 VALUES ($1, $2, $3, $4, 'committed', $5, $6, $7, $8, $9, $10, $11, NULL, $12,
                 NULL, NULL)",
                &[
                    &d.id,
                    &d.agency_id,
                    &d.inputs.item.code,
                    &d.inputs.item.name,
                    &d.inputs.draw_date,
                    &d.inputs.due_date,
                    &d.created_at,
                    &d.created_by,
                    &d.inputs_hash,
                    &d.seed_commitment,
                    &d.seed,
                    &inputs,
                ],
            )
            .await
            .map_err(|e| conflict_or(e, format!("抽查编号 {}", d.id)))?;
        Ok(())
    }

    async fn draw(&self, agency_id: Option<&str>, id: &str) -> StorageResult<Option<StoredDraw>> {
        self.client()
            .await?
            .query_opt(
                &format!(
                    "SELECT {DRAW_COLS} FROM draws
                     WHERE id = $1 AND ($2::text IS NULL OR agency_id = $2)"
                ),
                &[&id, &agency_id],
            )
            .await
            .map_err(pg)?
            .as_ref()
            .map(draw_from_row)
            .transpose()
    }

    async fn draws(&self, agency_id: Option<&str>) -> StorageResult<Vec<DrawSummary>> {
        self.client()
            .await?
            .query(
                "SELECT id, agency_id, item_code, item_name, status, draw_date, due_date,
                 created_at, inputs_hash, seed_commitment, completed_at FROM draws
                 WHERE $1::text IS NULL OR agency_id = $1 ORDER BY created_at DESC, id",
                &[&agency_id],
            )
            .await
            .map_err(pg)?
            .iter()
            .map(summary_from_row)
            .collect()
    }

    async fn complete_draw(&self, d: &StoredDraw, tasks: &[(u32, Task)]) -> StorageResult<()> {
        let outcome = d.outcome.as_ref().map(json_text).transpose()?;
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(pg)?;
        let n = tx
            .execute(
                "UPDATE draws SET status = 'completed', public_entropy = $2, outcome = $3,
                 completed_at = $4 WHERE id = $1 AND status = 'committed'",
                &[&d.id, &d.public_entropy, &outcome, &d.completed_at],
            )
            .await
            .map_err(pg)?;
        if n == 0 {
            return Err(StorageError::Conflict(format!(
                "抽查 {} 已经执行过，不能再次执行",
                d.id
            )));
        }
        let first = next_position(&tx, "roster_tasks", &d.agency_id).await?;
        for (pos, (seq, task)) in (first..).zip(tasks) {
            insert_task(&tx, task, pos).await?;
            tx.execute(
                "INSERT INTO draw_tasks (draw_id, agency_id, seq, task_id, target_id)
                 VALUES ($1, $2, $3, $4, $5)",
                &[
                    &d.id,
                    &d.agency_id,
                    &i64::from(*seq),
                    &task.id,
                    &task.target_id,
                ],
            )
            .await
            .map_err(pg)?;
        }
        tx.commit().await.map_err(pg)
    }

    async fn draw_tasks(&self, draw_id: &str) -> StorageResult<Vec<DrawTask>> {
        self.client()
            .await?
            .query(
                "SELECT dt.seq, t.data FROM draw_tasks dt
                 JOIN roster_tasks t ON t.agency_id = dt.agency_id AND t.id = dt.task_id
                 WHERE dt.draw_id = $1 ORDER BY dt.seq",
                &[&draw_id],
            )
            .await
            .map_err(pg)?
            .iter()
            .map(|r| {
                let seq: i64 = col(r, 0)?;
                Ok(DrawTask {
                    seq: u32::try_from(seq).unwrap_or(0),
                    task: json_col(r, 1)?,
                })
            })
            .collect()
    }

    async fn task(&self, agency_id: &str, task_id: &str) -> StorageResult<Option<Task>> {
        self.client()
            .await?
            .query_opt(
                "SELECT data FROM roster_tasks WHERE agency_id = $1 AND id = $2",
                &[&agency_id, &task_id],
            )
            .await
            .map_err(pg)?
            .map(|r| json_col(&r, 0))
            .transpose()
    }

    async fn update_task(&self, task: &Task, e: &TaskEvent) -> StorageResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(pg)?;
        let n = tx
            .execute(
                "UPDATE roster_tasks SET data = $3 WHERE agency_id = $1 AND id = $2",
                &[&task.agency_id, &task.id, &Json(task)],
            )
            .await
            .map_err(pg)?;
        if n == 0 {
            return Err(StorageError::NotFound(format!("检查任务 {}", task.id)));
        }
        add_task_officers(&tx, task).await?;
        tx.execute(
            "INSERT INTO task_events (agency_id, task_id, at, kind, reason, before_ids,
             after_ids, by_user) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[
                &e.agency_id,
                &e.task_id,
                &e.at,
                &event_kind(e.kind),
                &e.reason,
                &e.before,
                &e.after,
                &e.by_user,
            ],
        )
        .await
        .map_err(pg)?;
        tx.commit().await.map_err(pg)
    }

    async fn task_events(
        &self,
        agency_id: &str,
        task_ids: &[String],
    ) -> StorageResult<Vec<TaskEvent>> {
        self.client()
            .await?
            .query(
                "SELECT agency_id, task_id, at, kind, reason, before_ids, after_ids, by_user
                 FROM task_events WHERE agency_id = $1 AND task_id = ANY($2)
                 ORDER BY at, seq",
                &[&agency_id, &task_ids],
            )
            .await
            .map_err(pg)?
            .iter()
            .map(|r| {
                let kind: String = col(r, 3)?;
                Ok(TaskEvent {
                    agency_id: col(r, 0)?,
                    task_id: col(r, 1)?,
                    at: col(r, 2)?,
                    kind: if kind == "cancelled" {
                        TaskEventKind::Cancelled
                    } else {
                        TaskEventKind::Reassigned
                    },
                    reason: col(r, 4)?,
                    before: col(r, 5)?,
                    after: col(r, 6)?,
                    by_user: col(r, 7)?,
                })
            })
            .collect()
    }

    async fn task_has_inspection(&self, task_id: &str) -> StorageResult<bool> {
        let row = self
            .client()
            .await?
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM docs WHERE task_id = $1)",
                &[&task_id],
            )
            .await
            .map_err(pg)?;
        col(&row, 0)
    }

    async fn create_user(&self, user: &User) -> StorageResult<()> {
        self.client()
            .await?
            .execute(
                "INSERT INTO users (id, agency_id, login, name, role, officer_id, password_hash,
                 disabled, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now())",
                &[
                    &user.id,
                    &user.agency_id,
                    &user.login,
                    &user.name,
                    &user.role.as_str(),
                    &user.officer_id,
                    &user.password_hash,
                    &user.disabled,
                ],
            )
            .await
            .map_err(|e| conflict_or(e, format!("登录名 {}", user.login)))?;
        Ok(())
    }

    async fn user_by_login(&self, login: &str) -> StorageResult<Option<User>> {
        self.client()
            .await?
            .query_opt(
                &format!("SELECT {USER_COLS} FROM users u WHERE lower(u.login) = lower($1)"),
                &[&login],
            )
            .await
            .map_err(pg)?
            .as_ref()
            .map(user_from_row)
            .transpose()
    }

    async fn user_by_id(&self, id: &str) -> StorageResult<Option<User>> {
        self.client()
            .await?
            .query_opt(
                &format!("SELECT {USER_COLS} FROM users u WHERE u.id = $1"),
                &[&id],
            )
            .await
            .map_err(pg)?
            .as_ref()
            .map(user_from_row)
            .transpose()
    }

    async fn put_enrollment_code(
        &self,
        code_hash: &str,
        user_id: &str,
        expires_at: DateTime<Utc>,
    ) -> StorageResult<()> {
        self.client()
            .await?
            .execute(
                "INSERT INTO enrollment_codes (code_hash, user_id, expires_at) VALUES ($1, $2, $3)",
                &[&code_hash, &user_id, &expires_at],
            )
            .await
            .map_err(|e| conflict_or(e, "登记码"))?;
        Ok(())
    }

    async fn take_enrollment_code(
        &self,
        code_hash: &str,
        now: DateTime<Utc>,
    ) -> StorageResult<Option<String>> {
        // One statement: of two instances taking the same code, one gets it.
        self.client()
            .await?
            .query_opt(
                "UPDATE enrollment_codes SET used_at = $2
                 WHERE code_hash = $1 AND used_at IS NULL AND expires_at > $2
                 RETURNING user_id",
                &[&code_hash, &now],
            )
            .await
            .map_err(pg)?
            .map(|r| col(&r, 0))
            .transpose()
    }

    async fn put_device(&self, device: &Device) -> StorageResult<()> {
        self.enroll_device(device, "")
            .await?
            .map_err(|refusal| StorageError::Conflict(format!("设备 {}（{refusal:?}）", device.id)))
    }

    async fn device_by_token_hash(&self, token_hash: &str) -> StorageResult<Option<Device>> {
        self.client()
            .await?
            .query_opt(
                &format!("SELECT {DEVICE_COLS} FROM devices d WHERE d.token_hash = $1"),
                &[&token_hash],
            )
            .await
            .map_err(pg)?
            .as_ref()
            .map(device_from_row)
            .transpose()
    }

    async fn revoke_device(&self, device_id: &str, at: DateTime<Utc>) -> StorageResult<()> {
        let c = self.client().await?;
        // Revoking twice keeps the first instant.
        let row = c
            .query_opt(
                "UPDATE devices SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1
                 RETURNING id",
                &[&device_id, &at],
            )
            .await
            .map_err(pg)?;
        match row {
            Some(_) => Ok(()),
            None => Err(StorageError::NotFound(format!("设备 {device_id}"))),
        }
    }

    async fn put_session(
        &self,
        token_hash: &str,
        user_id: &str,
        expires_at: DateTime<Utc>,
    ) -> StorageResult<()> {
        self.client()
            .await?
            .execute(
                "INSERT INTO sessions (token_hash, user_id, expires_at) VALUES ($1, $2, $3)",
                &[&token_hash, &user_id, &expires_at],
            )
            .await
            .map_err(|e| conflict_or(e, "会话"))?;
        Ok(())
    }

    async fn session_user(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StorageResult<Option<User>> {
        Ok(self
            .session_info(token_hash)
            .await?
            .filter(|(_, expires_at)| *expires_at > now)
            .map(|(user, _)| user))
    }

    async fn doc(&self, id: &str) -> StorageResult<Option<DocRecord>> {
        self.client()
            .await?
            .query_opt(
                &format!("SELECT {DOC_COLS} FROM docs d WHERE d.id = $1"),
                &[&id],
            )
            .await
            .map_err(pg)?
            .as_ref()
            .map(doc_from_row)
            .transpose()
    }

    async fn put_doc(
        &self,
        doc: &DocRecord,
        expected_heads: Option<&[String]>,
    ) -> StorageResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(pg)?;
        write_doc(&tx, doc, expected_heads).await?;
        bump_cursor(&tx, &doc.id).await?;
        tx.commit().await.map_err(pg)
    }

    async fn commit_sync(&self, write: SyncWrite) -> StorageResult<()> {
        let SyncWrite {
            doc,
            expected_heads,
            blobs,
            peer_state,
            summary,
        } = write;
        let now = Utc::now();
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(pg)?;
        // Failpoints (issue 16): a crash at any boundary leaves all of it or none.
        crash_point("sync.commit.begin");
        write_doc(&tx, &doc, expected_heads.as_deref()).await?;
        crash_point("sync.commit.after_doc");
        for b in &blobs {
            write_blob_ref(&tx, b).await?;
        }
        crash_point("sync.commit.after_evidence");
        let all = read_blobs_of(&*tx, &doc.id).await?;
        if let Some(s) = summary(all) {
            queue::upsert(&tx, &s).await?;
        }
        crash_point("sync.commit.after_summary");
        if let Some((device_id, state)) = &peer_state {
            write_peer_state(&tx, device_id, &doc.id, state, now).await?;
        }
        crash_point("sync.commit.after_peer_state");
        bump_cursor(&tx, &doc.id).await?;
        tx.commit().await.map_err(pg)
    }

    async fn doc_ids_after(&self, after: &str, limit: u32) -> StorageResult<Vec<String>> {
        self.client()
            .await?
            .query(
                "SELECT id FROM docs WHERE id > $1 ORDER BY id LIMIT $2",
                &[&after, &i64::from(limit)],
            )
            .await
            .map_err(pg)?
            .iter()
            .map(|r| col(r, 0))
            .collect()
    }

    async fn offer_scan(
        &self,
        agency_id: &str,
        officer_id: &str,
        device_id: &str,
        since: u64,
    ) -> StorageResult<OfferScan> {
        let since = i64::try_from(since).unwrap_or(i64::MAX);
        let c = self.client().await?;
        // The cursor first, in its own statement: every write with a value up to it
        // has committed (see `bump_cursor`), so the scan below sees them all; one
        // committed meanwhile is offered now and again next time, never missed.
        let cursor: i64 = col(
            &c.query_one("SELECT seq FROM change_counter WHERE id = 1", &[])
                .await
                .map_err(pg)?,
            0,
        )?;
        let docs = c
            .query(
                "SELECT d.id, d.heads, p.state FROM docs d
                 JOIN doc_officers o ON o.doc_id = d.id AND o.officer_id = $2
                 LEFT JOIN peer_states p ON p.doc_id = d.id AND p.device_id = $3
                 WHERE d.change_seq > $4 AND d.agency_id = $1 ORDER BY d.id",
                &[&agency_id, &officer_id, &device_id, &since],
            )
            .await
            .map_err(pg)?
            .iter()
            .map(|r| Ok((col(r, 0)?, col(r, 1)?, col(r, 2)?)))
            .collect::<StorageResult<Vec<_>>>()?;
        Ok(OfferScan {
            cursor: u64::try_from(cursor).unwrap_or(0),
            docs,
        })
    }

    async fn docs_for_agency(
        &self,
        agency_id: &str,
        limit: u32,
        offset: u32,
    ) -> StorageResult<Vec<DocRecord>> {
        self.client()
            .await?
            .query(
                &format!(
                    "SELECT {DOC_COLS} FROM docs d WHERE d.agency_id = $1
                     ORDER BY d.updated_at DESC, d.id LIMIT $2 OFFSET $3"
                ),
                &[&agency_id, &i64::from(limit), &i64::from(offset)],
            )
            .await
            .map_err(pg)?
            .iter()
            .map(doc_from_row)
            .collect()
    }

    async fn peer_state(&self, device_id: &str, doc_id: &str) -> StorageResult<Option<Vec<u8>>> {
        self.client()
            .await?
            .query_opt(
                "SELECT state FROM peer_states WHERE device_id = $1 AND doc_id = $2",
                &[&device_id, &doc_id],
            )
            .await
            .map_err(pg)?
            .map(|r| col(&r, 0))
            .transpose()
    }

    async fn forget_peer_states(&self, doc_id: &str) -> StorageResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(pg)?;
        // The document row first, as every writer locks it (then the counter).
        tx.execute("SELECT 1 FROM docs WHERE id = $1 FOR UPDATE", &[&doc_id])
            .await
            .map_err(pg)?;
        tx.execute("DELETE FROM peer_states WHERE doc_id = $1", &[&doc_id])
            .await
            .map_err(pg)?;
        // Every device must compare the record again: past their cursors.
        bump_cursor(&tx, doc_id).await?;
        tx.commit().await.map_err(pg)
    }

    async fn put_peer_state(
        &self,
        device_id: &str,
        doc_id: &str,
        state: &[u8],
    ) -> StorageResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(pg)?;
        write_peer_state(&tx, device_id, doc_id, state, Utc::now()).await?;
        tx.commit().await.map_err(pg)
    }

    async fn reference_blob(&self, blob: &BlobRecord) -> StorageResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(pg)?;
        write_blob_ref(&tx, blob).await?;
        tx.commit().await.map_err(pg)
    }

    async fn mark_blob_received(
        &self,
        agency_id: &str,
        sha256: &str,
        size: u64,
        at: DateTime<Utc>,
    ) -> StorageResult<bool> {
        let size = size_to_sql(size)?;
        // One statement: granted only if a record of the agency references it;
        // receiving twice keeps the first instant.
        let row = self
            .client()
            .await?
            .query_one(
                "WITH known AS (
                     SELECT 1 FROM blob_refs r JOIN docs d ON d.id = r.inspection_id
                     WHERE r.sha256 = $2 AND d.agency_id = $1 LIMIT 1
                 ), grant_it AS (
                     INSERT INTO blob_grants (agency_id, sha256, size, received_at)
                     SELECT $1, $2, $3, $4 FROM known ON CONFLICT DO NOTHING
                 )
                 SELECT EXISTS (SELECT 1 FROM known)",
                &[&agency_id, &sha256, &size, &at],
            )
            .await
            .map_err(pg)?;
        col(&row, 0)
    }

    async fn missing_blobs(&self, doc_ids: &[String]) -> StorageResult<Vec<String>> {
        let mut out: Vec<String> = self
            .client()
            .await?
            .query(
                &format!(
                    "SELECT DISTINCT r.sha256 FROM {BLOB_FROM}
                     WHERE r.inspection_id = ANY($1) AND g.sha256 IS NULL"
                ),
                &[&doc_ids],
            )
            .await
            .map_err(pg)?
            .iter()
            .map(|r| col(r, 0))
            .collect::<StorageResult<_>>()?;
        out.sort();
        Ok(out)
    }

    async fn blob(&self, agency_id: &str, sha256: &str) -> StorageResult<Option<BlobRecord>> {
        self.client()
            .await?
            .query_opt(
                &format!(
                    "SELECT {BLOB_COLS} FROM {BLOB_FROM}
                     WHERE r.sha256 = $1 AND d.agency_id = $2 ORDER BY r.seq LIMIT 1"
                ),
                &[&sha256, &agency_id],
            )
            .await
            .map_err(pg)?
            .as_ref()
            .map(blob_from_row)
            .transpose()
    }

    async fn blobs_of(&self, inspection_id: &str) -> StorageResult<Vec<BlobRecord>> {
        read_blobs_of(&**self.client().await?, inspection_id).await
    }

    async fn schema_version(&self) -> StorageResult<u32> {
        let row = self
            .client()
            .await?
            .query_one(
                "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                &[],
            )
            .await
            .map_err(pg)?;
        let v: i32 = col(&row, 0)?;
        Ok(u32::try_from(v).unwrap_or(0))
    }

    async fn total_docs(&self) -> StorageResult<u64> {
        let row = self
            .client()
            .await?
            .query_one("SELECT COUNT(*) FROM docs", &[])
            .await
            .map_err(pg)?;
        let n: i64 = col(&row, 0)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn enroll_device(
        &self,
        device: &Device,
        name: &str,
    ) -> StorageResult<Result<(), DeviceRefusal>> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(pg)?;
        let out = insert_device(&tx, device, name).await?;
        if out.is_ok() {
            tx.commit().await.map_err(pg)?;
        }
        Ok(out)
    }

    async fn device_with_actor(&self, actor_id: &str) -> StorageResult<Option<String>> {
        self.client()
            .await?
            .query_opt(
                "SELECT id FROM devices WHERE actor_id = $1 ORDER BY enrolled_at LIMIT 1",
                &[&actor_id],
            )
            .await
            .map_err(pg)?
            .map(|r| col(&r, 0))
            .transpose()
    }

    async fn all_user_ids(&self) -> StorageResult<Vec<String>> {
        self.client()
            .await?
            .query("SELECT id FROM users ORDER BY id", &[])
            .await
            .map_err(pg)?
            .iter()
            .map(|r| col(r, 0))
            .collect()
    }

    async fn device_by_id(&self, id: &str) -> StorageResult<Option<Device>> {
        self.client()
            .await?
            .query_opt(
                &format!("SELECT {DEVICE_COLS} FROM devices d WHERE d.id = $1"),
                &[&id],
            )
            .await
            .map_err(pg)?
            .as_ref()
            .map(device_from_row)
            .transpose()
    }

    async fn devices_of_agency(&self, agency_id: &str) -> StorageResult<Vec<(Device, String)>> {
        self.client()
            .await?
            .query(
                &format!(
                    "SELECT {DEVICE_COLS} FROM devices d JOIN users u ON u.id = d.user_id
                     WHERE u.agency_id = $1 ORDER BY d.enrolled_at DESC, d.id"
                ),
                &[&agency_id],
            )
            .await
            .map_err(pg)?
            .iter()
            .map(|r| Ok((device_from_row(r)?, col(r, 7)?)))
            .collect()
    }

    async fn users_of_agency(&self, agency_id: &str) -> StorageResult<Vec<User>> {
        self.client()
            .await?
            .query(
                &format!(
                    "SELECT {USER_COLS} FROM users u WHERE u.agency_id = $1
                     ORDER BY lower(u.login), u.login"
                ),
                &[&agency_id],
            )
            .await
            .map_err(pg)?
            .iter()
            .map(user_from_row)
            .collect()
    }

    async fn session_info(&self, token_hash: &str) -> StorageResult<Option<(User, DateTime<Utc>)>> {
        self.client()
            .await?
            .query_opt(
                &format!(
                    "SELECT {USER_COLS}, s.expires_at FROM sessions s
                     JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1"
                ),
                &[&token_hash],
            )
            .await
            .map_err(pg)?
            .map(|r| Ok((user_from_row(&r)?, col(&r, 8)?)))
            .transpose()
    }

    async fn purge_expired(
        &self,
        now: DateTime<Utc>,
        failures_before: DateTime<Utc>,
    ) -> StorageResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(pg)?;
        tx.execute("DELETE FROM sessions WHERE expires_at <= $1", &[&now])
            .await
            .map_err(pg)?;
        tx.execute(
            "DELETE FROM enrollment_codes WHERE expires_at <= $1",
            &[&now],
        )
        .await
        .map_err(pg)?;
        tx.execute(
            "DELETE FROM login_failures WHERE at < $1",
            &[&failures_before],
        )
        .await
        .map_err(pg)?;
        tx.commit().await.map_err(pg)
    }
}
