//! Rosters, directories, the item list and draws inside a transaction (helpers of
//! the `Storage` impl in `storage.rs`).

use std::collections::{BTreeMap, HashMap, HashSet};

use sha2::{Digest, Sha256};
use tokio_postgres::types::Json;
use tokio_postgres::{GenericClient, Row, Transaction};

use liuhen_domain::model::{Agency, Officer, RosterSnapshot, Target, Task, TaskStatus};
use liuhen_server_store::{DrawStatus, DrawSummary, StorageError, StorageResult, StoredDraw};

use super::{col, conflict_or, is_unique, json_col, pg};

/// Version tag of a roster view: SHA-256 of its JSON (changes whenever it changes).
fn roster_version(snapshot: &RosterSnapshot) -> StorageResult<String> {
    let json = serde_json::to_string(snapshot).map_err(|e| StorageError::Backend(e.to_string()))?;
    Ok(hex::encode(Sha256::digest(json.as_bytes())))
}

/// Replaces an agency's roster; drawn tasks (issue 7) survive the reload.
pub(crate) async fn put_roster(tx: &Transaction<'_>, roster: &RosterSnapshot) -> StorageResult<()> {
    let agency_id = roster.agency.id.as_str();
    tx.execute(
        "INSERT INTO agencies (id, data, updated_at) VALUES ($1, $2, now())
         ON CONFLICT (id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at",
        &[&agency_id, &Json(&roster.agency)],
    )
    .await
    .map_err(pg)?;
    tx.execute(
        "DELETE FROM roster_tasks WHERE agency_id = $1 AND id NOT IN
         (SELECT task_id FROM draw_tasks WHERE agency_id = $1)",
        &[&agency_id],
    )
    .await
    .map_err(pg)?;
    for table in ["roster_targets", "roster_officers"] {
        tx.execute(
            &format!("DELETE FROM {table} WHERE agency_id = $1"),
            &[&agency_id],
        )
        .await
        .map_err(pg)?;
    }
    let dup = |what: &str, id: &str| StorageError::Conflict(format!("名单中重复的{what}编号 {id}"));
    for (i, o) in roster.officers.iter().enumerate() {
        tx.execute(
            "INSERT INTO roster_officers (agency_id, id, position, data) VALUES ($1, $2, $3, $4)",
            &[&agency_id, &o.id, &(i as i64), &Json(o)],
        )
        .await
        .map_err(|e| {
            if is_unique(&e) {
                dup("执法人员", &o.id)
            } else {
                pg(e)
            }
        })?;
    }
    for (i, t) in roster.targets.iter().enumerate() {
        tx.execute(
            "INSERT INTO roster_targets (agency_id, id, position, data) VALUES ($1, $2, $3, $4)",
            &[&agency_id, &t.id, &(i as i64), &Json(t)],
        )
        .await
        .map_err(|e| {
            if is_unique(&e) {
                dup("检查对象", &t.id)
            } else {
                pg(e)
            }
        })?;
    }
    for (i, t) in roster.tasks.iter().enumerate() {
        insert_task(tx, t, i as i64).await.map_err(|e| match e {
            StorageError::Conflict(_) => dup("检查任务", &t.id),
            other => other,
        })?;
    }
    Ok(())
}

/// Inserts a task and its officers (Conflict if the id exists).
pub(crate) async fn insert_task(
    tx: &Transaction<'_>,
    task: &Task,
    position: i64,
) -> StorageResult<()> {
    tx.execute(
        "INSERT INTO roster_tasks (agency_id, id, position, data) VALUES ($1, $2, $3, $4)",
        &[&task.agency_id, &task.id, &position, &Json(task)],
    )
    .await
    .map_err(|e| conflict_or(e, format!("检查任务编号 {}", task.id)))?;
    add_task_officers(tx, task).await
}

/// Adds the task's officers to those it reaches (never removes one: a former
/// officer's device learns of the change).
pub(crate) async fn add_task_officers(tx: &Transaction<'_>, task: &Task) -> StorageResult<()> {
    tx.execute(
        "INSERT INTO roster_task_officers (agency_id, task_id, officer_id)
         SELECT $1, $2, unnest($3::text[]) ON CONFLICT DO NOTHING",
        &[&task.agency_id, &task.id, &task.officer_ids],
    )
    .await
    .map_err(pg)?;
    Ok(())
}

/// An agency's roster with the tasks of one officer (all if None), and its version.
pub(crate) async fn roster_for(
    c: &impl GenericClient,
    agency_id: &str,
    officer_id: Option<&str>,
) -> StorageResult<Option<(RosterSnapshot, String)>> {
    let Some(row) = c
        .query_opt("SELECT data FROM agencies WHERE id = $1", &[&agency_id])
        .await
        .map_err(pg)?
    else {
        return Ok(None);
    };
    let agency: Agency = json_col(&row, 0)?;
    let officers: Vec<Officer> = json_rows(
        c.query(
            "SELECT data FROM roster_officers WHERE agency_id = $1 ORDER BY position",
            &[&agency_id],
        )
        .await
        .map_err(pg)?,
    )?;
    let targets: Vec<Target> = json_rows(
        c.query(
            "SELECT data FROM roster_targets WHERE agency_id = $1 ORDER BY position",
            &[&agency_id],
        )
        .await
        .map_err(pg)?,
    )?;
    let rows = match officer_id {
        None => c
            .query(
                "SELECT data FROM roster_tasks WHERE agency_id = $1 ORDER BY position",
                &[&agency_id],
            )
            .await
            .map_err(pg)?,
        Some(officer_id) => c
            .query(
                "SELECT t.data FROM roster_tasks t
                 JOIN roster_task_officers o ON o.agency_id = t.agency_id AND o.task_id = t.id
                 WHERE t.agency_id = $1 AND o.officer_id = $2 ORDER BY t.position",
                &[&agency_id, &officer_id],
            )
            .await
            .map_err(pg)?,
    };
    let tasks: Vec<Task> = json_rows(rows)?;
    let snapshot = RosterSnapshot {
        agency,
        officers,
        targets,
        tasks,
    };
    let version = roster_version(&snapshot)?;
    Ok(Some((snapshot, version)))
}

/// The first column of each row as JSON of `T`.
pub(crate) fn json_rows<T: serde::de::DeserializeOwned>(rows: Vec<Row>) -> StorageResult<Vec<T>> {
    rows.iter().map(|r| json_col(r, 0)).collect()
}

/// NotFound unless the agency has a roster.
pub(crate) async fn agency_exists(tx: &Transaction<'_>, agency_id: &str) -> StorageResult<()> {
    let found = tx
        .query_opt("SELECT 1 FROM agencies WHERE id = $1", &[&agency_id])
        .await
        .map_err(pg)?;
    match found {
        Some(_) => Ok(()),
        None => Err(StorageError::NotFound(format!(
            "执法主体 {agency_id}（请先导入该机关的名单）"
        ))),
    }
}

/// The next free position of an agency's rows in `table`.
pub(crate) async fn next_position(
    tx: &Transaction<'_>,
    table: &str,
    agency_id: &str,
) -> StorageResult<i64> {
    let row = tx
        .query_one(
            &format!("SELECT COALESCE(MAX(position), -1) + 1 FROM {table} WHERE agency_id = $1"),
            &[&agency_id],
        )
        .await
        .map_err(pg)?;
    col(&row, 0)
}

/// Inserts or replaces officers and targets of a directory; certificate numbers
/// stay unique among the agency's officers.
pub(crate) async fn upsert_directory(
    tx: &Transaction<'_>,
    agency_id: &str,
    officers: &[Officer],
    targets: &[Target],
) -> StorageResult<()> {
    agency_exists(tx, agency_id).await?;
    // The agency's officer rows are locked: two directory edits check in turn.
    let rows = tx
        .query(
            "SELECT id, data->>'certificate_no' FROM roster_officers WHERE agency_id = $1
             FOR UPDATE",
            &[&agency_id],
        )
        .await
        .map_err(pg)?;
    let mut certs: HashMap<String, String> = HashMap::new();
    for r in &rows {
        let id: String = col(r, 0)?;
        let cert: Option<String> = col(r, 1)?;
        certs.insert(cert.unwrap_or_default(), id);
    }
    let replaced: HashSet<&str> = officers.iter().map(|o| o.id.as_str()).collect();
    certs.retain(|_, id| !replaced.contains(id.as_str()));
    let first = next_position(tx, "roster_officers", agency_id).await?;
    for (pos, o) in (first..).zip(officers) {
        if let Some(other) = certs.insert(o.certificate_no.clone(), o.id.clone())
            && other != o.id
        {
            return Err(StorageError::Conflict(format!(
                "执法证件编号 {} 已属于执法人员 {other}",
                o.certificate_no
            )));
        }
        tx.execute(
            "INSERT INTO roster_officers (agency_id, id, position, data) VALUES ($1, $2, $3, $4)
             ON CONFLICT (agency_id, id) DO UPDATE SET data = excluded.data",
            &[&agency_id, &o.id, &pos, &Json(o)],
        )
        .await
        .map_err(pg)?;
    }
    let first = next_position(tx, "roster_targets", agency_id).await?;
    for (pos, t) in (first..).zip(targets) {
        tx.execute(
            "INSERT INTO roster_targets (agency_id, id, position, data) VALUES ($1, $2, $3, $4)
             ON CONFLICT (agency_id, id) DO UPDATE SET data = excluded.data",
            &[&agency_id, &t.id, &pos, &Json(t)],
        )
        .await
        .map_err(pg)?;
    }
    Ok(())
}

/// Columns of [`draw_from_row`].
pub(crate) const DRAW_COLS: &str = "id, agency_id, status, created_at, created_by, inputs_hash, \
     seed_commitment, seed, public_entropy, inputs, outcome, completed_at";

fn draw_status(s: &str) -> StorageResult<DrawStatus> {
    match s {
        "committed" => Ok(DrawStatus::Committed),
        "completed" => Ok(DrawStatus::Completed),
        other => Err(StorageError::Backend(format!(
            "unknown draw status {other}"
        ))),
    }
}

fn from_json_text<T: serde::de::DeserializeOwned>(s: &str) -> StorageResult<T> {
    serde_json::from_str(s).map_err(|e| StorageError::Backend(format!("bad stored JSON: {e}")))
}

/// A draw from a row of [`DRAW_COLS`].
pub(crate) fn draw_from_row(r: &Row) -> StorageResult<StoredDraw> {
    let status: String = col(r, 2)?;
    let inputs: String = col(r, 9)?;
    let outcome: Option<String> = col(r, 10)?;
    Ok(StoredDraw {
        id: col(r, 0)?,
        agency_id: col(r, 1)?,
        status: draw_status(&status)?,
        created_at: col(r, 3)?,
        created_by: col(r, 4)?,
        inputs_hash: col(r, 5)?,
        seed_commitment: col(r, 6)?,
        seed: col(r, 7)?,
        public_entropy: col(r, 8)?,
        inputs: from_json_text(&inputs)?,
        outcome: outcome.as_deref().map(from_json_text).transpose()?,
        completed_at: col(r, 11)?,
    })
}

/// A draw list row.
pub(crate) fn summary_from_row(r: &Row) -> StorageResult<DrawSummary> {
    let status: String = col(r, 4)?;
    Ok(DrawSummary {
        id: col(r, 0)?,
        agency_id: col(r, 1)?,
        item_code: col(r, 2)?,
        item_name: col(r, 3)?,
        status: draw_status(&status)?,
        draw_date: col(r, 5)?,
        due_date: col(r, 6)?,
        created_at: col(r, 7)?,
        inputs_hash: col(r, 8)?,
        seed_commitment: col(r, 9)?,
        completed_at: col(r, 10)?,
    })
}

/// For each target: the officers of its latest inspection linked to a task of it,
/// else of its latest drawn task that is still open. Sorted by target id.
pub(crate) async fn last_teams(
    c: &impl GenericClient,
    agency_id: &str,
) -> StorageResult<Vec<(String, Vec<String>)>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let drawn = c
        .query(
            "SELECT dt.target_id, t.data FROM draw_tasks dt
             JOIN draws d ON d.id = dt.draw_id
             JOIN roster_tasks t ON t.agency_id = dt.agency_id AND t.id = dt.task_id
             WHERE dt.agency_id = $1 ORDER BY d.completed_at NULLS FIRST, dt.seq",
            &[&agency_id],
        )
        .await
        .map_err(pg)?;
    for r in &drawn {
        let target: String = col(r, 0)?;
        let task: Task = json_col(r, 1)?;
        if task.status == TaskStatus::Open {
            out.insert(target, task.officer_ids);
        }
    }
    let docs = c
        .query(
            "SELECT t.data->>'target_id',
                    ARRAY(SELECT officer_id FROM doc_officers o WHERE o.doc_id = d.id
                          ORDER BY o.position)
             FROM docs d JOIN roster_tasks t ON t.agency_id = d.agency_id AND t.id = d.task_id
             WHERE d.agency_id = $1 ORDER BY d.updated_at, d.id",
            &[&agency_id],
        )
        .await
        .map_err(pg)?;
    for r in &docs {
        let target: Option<String> = col(r, 0)?;
        let officers: Vec<String> = col(r, 1)?;
        if let Some(target) = target
            && !officers.is_empty()
        {
            out.insert(target, officers);
        }
    }
    Ok(out
        .into_iter()
        .map(|(t, mut o)| {
            o.sort();
            o.dedup();
            (t, o)
        })
        .collect())
}
