//! Double random draws (双随机, R-RAND-1..3): commit, run (reveal), tasks pushed to
//! the drawn officers' devices, cancellation and reassignment, the published
//! record (R-POST-4) and its verification.
//!
//! [`algorithm`] is the pure draw; this module gathers its inputs from storage,
//! keeps the commit–reveal protocol and turns teams into tasks. Drawn tasks are
//! stored with the roster's tasks, so [`crate::storage::Storage::roster_for`]
//! delivers each one to its two officers' devices at their next sync.

pub use liuhen_domain::draw as algorithm;

use chrono::{Duration, NaiveDate};
use rand::RngCore;
use serde::{Deserialize, Serialize};

use liuhen_domain::model::{CheckItem, Officer, TargetKind, Task, TaskSource, TaskStatus};

use crate::error::AppError;
use crate::state::AppState;
use crate::storage::{DrawStatus, StoredDraw, TaskEvent, TaskEventKind, User};
use algorithm::{
    ConflictPair, DrawError, DrawInputs, DrawOutcome, DrawTarget, LastTeam, SpotCheckItem,
};

impl From<DrawError> for AppError {
    fn from(e: DrawError) -> Self {
        AppError::custom(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "draw_invalid",
            e.to_string(),
        )
    }
}

/// A natural person's name as published (R-POST-2): one masking rule for the
/// whole server.
pub use crate::services::mask::mask_person_name;

/// Longest time between a draw and the due date of its inspections.
pub const MAX_DRAW_WINDOW_DAYS: i64 = 366;

/// Gathers the inputs of a draw for `item_code` as of now: the item, its population
/// from the target directory, the officer directory, conflicts and last teams.
pub async fn build_inputs(
    state: &AppState,
    agency_id: &str,
    item_code: &str,
    draw_date: NaiveDate,
    due_date: NaiveDate,
) -> Result<DrawInputs, AppError> {
    let items = state.storage.check_items(agency_id).await?;
    let item = items
        .into_iter()
        .find(|i| i.code == item_code)
        .ok_or_else(|| AppError::NotFound(format!("随机抽查事项清单中的事项 {item_code}")))?;
    let (roster, _) = state
        .storage
        .roster_for(agency_id, Some(""))
        .await?
        .ok_or_else(|| AppError::NotFound(format!("执法主体 {agency_id} 的名录库")))?;
    let targets: Vec<DrawTarget> = roster
        .targets
        .iter()
        .map(|t| DrawTarget {
            id: t.id.clone(),
            name: if t.kind == TargetKind::NaturalPerson {
                mask_person_name(&t.name)
            } else {
                t.name.clone()
            },
            kind: t.kind,
            credit_code: match t.kind {
                TargetKind::NaturalPerson => None,
                _ => t.credit_code.as_ref().map(|c| c.as_str().to_string()),
            },
            category: t.category.clone(),
            area: t.area.clone(),
        })
        .filter(|t| item.in_population(t))
        .collect();
    let conflicts = state
        .storage
        .conflicts(agency_id)
        .await?
        .into_iter()
        .map(|c| ConflictPair {
            officer_id: c.officer_id,
            target_id: c.target_id,
        })
        .collect();
    let last_teams = state
        .storage
        .last_teams(agency_id)
        .await?
        .into_iter()
        .map(|(target_id, officer_ids)| LastTeam {
            target_id,
            officer_ids,
        })
        .collect();
    let mut inputs = DrawInputs {
        format: algorithm::FORMAT.to_string(),
        agency_id: agency_id.to_string(),
        draw_date,
        due_date,
        item,
        targets,
        officers: roster.officers,
        conflicts,
        last_teams,
    };
    inputs.canonicalize();
    Ok(inputs)
}

/// Body of `POST /api/v1/draws`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateDrawRequest {
    /// Item code of the spot-check list.
    pub item_code: String,
    /// Last day of the inspections (default: 30 days after the draw).
    #[serde(default)]
    pub due_date: Option<NaiveDate>,
}

fn require_drawer(user: &User) -> Result<(), AppError> {
    crate::auth::require_role(
        user,
        &[
            crate::storage::Role::Supervisor,
            crate::storage::Role::Admin,
        ],
    )
}

/// Freezes the inputs and commits to a fresh random seed: publishes the inputs
/// hash and `SHA-256(seed)`; the seed stays secret until [`run_draw`].
pub async fn create_draw(
    state: &AppState,
    user: &User,
    req: &CreateDrawRequest,
) -> Result<StoredDraw, AppError> {
    require_drawer(user)?;
    let now = state.clock.now();
    let draw_date = liuhen_domain::time::local_date(now);
    let due_date = req.due_date.unwrap_or(draw_date + Duration::days(30));
    if due_date < draw_date || due_date > draw_date + Duration::days(MAX_DRAW_WINDOW_DAYS) {
        return Err(AppError::invalid(
            "due_date",
            format!("检查截止日期应在抽取日期 {draw_date} 之后 {MAX_DRAW_WINDOW_DAYS} 天以内"),
        ));
    }
    let inputs = build_inputs(
        state,
        &user.agency_id,
        req.item_code.trim(),
        draw_date,
        due_date,
    )
    .await?;
    inputs.check()?;
    let mut seed = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut seed);
    let mut tag = [0u8; 4];
    rand::rngs::OsRng.fill_bytes(&mut tag);
    let draw = StoredDraw {
        id: format!("SJ-{}-{}", draw_date.format("%Y%m%d"), hex::encode(tag)),
        agency_id: user.agency_id.clone(),
        status: DrawStatus::Committed,
        created_at: now,
        created_by: user.id.clone(),
        inputs_hash: inputs.hash(),
        seed_commitment: algorithm::seed_commitment(&seed),
        seed: hex::encode(seed),
        public_entropy: None,
        inputs,
        outcome: None,
        completed_at: None,
    };
    state.storage.create_draw(&draw).await?;
    tracing::info!(draw = %draw.id, item = %draw.inputs.item.code, inputs_hash = %draw.inputs_hash,
        targets = draw.inputs.targets.len(), "draw committed");
    Ok(draw)
}

/// The task of a staffed drawn target.
fn task_for(draw: &StoredDraw, d: &algorithm::DrawnTarget) -> Task {
    let item = &draw.inputs.item;
    Task {
        id: format!("{}-{:04}", draw.id, d.seq),
        agency_id: draw.agency_id.clone(),
        target_id: d.target_id.clone(),
        item: CheckItem {
            code: item.code.clone(),
            name: item.name.clone(),
            legal_basis: item.legal_basis.clone(),
        },
        category: item.category.clone(),
        officer_ids: d.officer_ids.clone(),
        due_date: draw.inputs.due_date,
        source: TaskSource::Draw,
        status: TaskStatus::Open,
        note: None,
    }
}

/// Runs a committed draw: reveals the seed, mixes in the public entropy (if any),
/// stores the outcome and creates one task per staffed target, in one transaction.
pub async fn run_draw(
    state: &AppState,
    user: &User,
    draw_id: &str,
    public_entropy: Option<String>,
) -> Result<StoredDraw, AppError> {
    require_drawer(user)?;
    let mut draw = state
        .storage
        .draw(Some(&user.agency_id), draw_id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("抽查 {draw_id}")))?;
    if draw.status != DrawStatus::Committed {
        return Err(AppError::Conflict(format!(
            "抽查 {draw_id} 已经执行过，不能再次执行"
        )));
    }
    let entropy = public_entropy
        .map(|e| e.trim().to_string())
        .filter(|e| !e.is_empty());
    if entropy.as_ref().is_some_and(|e| e.chars().count() > 200) {
        return Err(AppError::invalid(
            "public_entropy",
            "过长（最多 200 个字符）",
        ));
    }
    let seed = algorithm::parse_seed(&draw.seed)
        .ok_or_else(|| AppError::internal(format!("stored seed of draw {draw_id} is not hex")))?;
    let outcome = algorithm::run(&draw.inputs, &seed, entropy.as_deref().unwrap_or(""))?;
    let tasks: Vec<(u32, Task)> = outcome
        .drawn
        .iter()
        .filter(|d| d.shortfall.is_none())
        .map(|d| (d.seq, task_for(&draw, d)))
        .collect();
    draw.status = DrawStatus::Completed;
    draw.public_entropy = entropy;
    draw.completed_at = Some(state.clock.now());
    draw.outcome = Some(outcome);
    state.storage.complete_draw(&draw, &tasks).await?;
    tracing::info!(draw = %draw.id, tasks = tasks.len(), "draw completed; tasks go to devices at next sync");
    Ok(draw)
}

/// Body of `POST /api/v1/tasks/{id}/cancel`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CancelRequest {
    /// Why (shown on the officers' devices).
    pub reason: String,
}

/// Body of `POST /api/v1/tasks/{id}/reassign`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReassignRequest {
    /// The new team (two officers).
    pub officer_ids: Vec<String>,
    /// Why (shown on the officers' devices).
    pub reason: String,
}

fn check_reason(reason: &str) -> Result<String, AppError> {
    let r = reason.trim();
    if r.is_empty() {
        return Err(AppError::invalid("reason", "取消或改派任务必须说明理由"));
    }
    if r.chars().count() > 500 || r.chars().any(|c| c.is_control() && c != '\n') {
        return Err(AppError::invalid(
            "reason",
            "理由过长（最多 500 个字符）或含有控制字符",
        ));
    }
    Ok(r.to_string())
}

async fn open_task(state: &AppState, user: &User, task_id: &str) -> Result<Task, AppError> {
    require_drawer(user)?;
    let task = state
        .storage
        .task(&user.agency_id, task_id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("检查任务 {task_id}")))?;
    if task.status == TaskStatus::Cancelled {
        return Err(AppError::Conflict(format!("检查任务 {task_id} 已取消")));
    }
    if state.storage.task_has_inspection(task_id).await? {
        return Err(AppError::Conflict(format!(
            "检查任务 {task_id} 已有检查记录，不能取消或改派"
        )));
    }
    Ok(task)
}

/// Cancels a task with a reason; the cancellation reaches its officers' devices at
/// their next sync (the device then refuses to open it).
pub async fn cancel_task(
    state: &AppState,
    user: &User,
    task_id: &str,
    reason: &str,
) -> Result<Task, AppError> {
    let reason = check_reason(reason)?;
    let mut task = open_task(state, user, task_id).await?;
    task.status = TaskStatus::Cancelled;
    task.note = Some(format!("任务已取消：{reason}"));
    let event = TaskEvent {
        agency_id: task.agency_id.clone(),
        task_id: task.id.clone(),
        at: state.clock.now(),
        kind: TaskEventKind::Cancelled,
        reason,
        before: task.officer_ids.clone(),
        after: vec![],
        by_user: user.id.clone(),
    };
    state.storage.update_task(&task, &event).await?;
    tracing::info!(task = %task.id, "task cancelled");
    Ok(task)
}

/// Checks a team for a task against the rules a draw applies (R-SCENE-1 over the
/// window from `from` to the due date, R-SCENE-2, R-RAND-2 conflicts).
pub fn check_team(
    officers: &[Officer],
    conflicts: &[ConflictPair],
    task: &Task,
    target_area: &str,
    from: NaiveDate,
    team: &[String],
) -> Result<(), AppError> {
    if team.len() != 2 || team[0] == team[1] {
        return Err(AppError::invalid(
            "officer_ids",
            "R-SCENE-2: 检查任务应指派两名不同的执法人员",
        ));
    }
    for (i, id) in team.iter().enumerate() {
        let field = format!("officer_ids[{i}]");
        let o = officers
            .iter()
            .find(|o| &o.id == id)
            .ok_or_else(|| AppError::invalid(&field, format!("执法检查人员名录库中没有 {id}")))?;
        for day in [from, task.due_date.max(from)] {
            o.certificate_check(day, &task.category, target_area)
                .map_err(|p| AppError::invalid(&field, p.to_string()))?;
        }
        if conflicts
            .iter()
            .any(|c| &c.officer_id == id && c.target_id == task.target_id)
        {
            return Err(AppError::invalid(
                &field,
                format!(
                    "R-RAND-2: {}（{}）已申报与检查对象 {} 回避",
                    o.name, o.certificate_no, task.target_id
                ),
            ));
        }
    }
    Ok(())
}

/// Gives a task to another team (checked like a draw) with a reason; the former
/// officers' devices learn of it, the new officers' devices receive the task.
pub async fn reassign_task(
    state: &AppState,
    user: &User,
    task_id: &str,
    req: &ReassignRequest,
) -> Result<Task, AppError> {
    let reason = check_reason(&req.reason)?;
    let mut task = open_task(state, user, task_id).await?;
    let (roster, _) = state
        .storage
        .roster_for(&user.agency_id, Some(""))
        .await?
        .ok_or_else(|| AppError::NotFound(format!("执法主体 {} 的名录库", user.agency_id)))?;
    let target = roster
        .targets
        .iter()
        .find(|t| t.id == task.target_id)
        .ok_or_else(|| AppError::NotFound(format!("检查对象 {}", task.target_id)))?;
    let conflicts: Vec<ConflictPair> = state
        .storage
        .conflicts(&user.agency_id)
        .await?
        .into_iter()
        .map(|c| ConflictPair {
            officer_id: c.officer_id,
            target_id: c.target_id,
        })
        .collect();
    let team: Vec<String> = req
        .officer_ids
        .iter()
        .map(|s| s.trim().to_string())
        .collect();
    let today = liuhen_domain::time::local_date(state.clock.now());
    check_team(
        &roster.officers,
        &conflicts,
        &task,
        &target.area,
        today,
        &team,
    )?;
    let before = std::mem::replace(&mut task.officer_ids, team.clone());
    task.note = Some(format!("任务已改派：{reason}"));
    let event = TaskEvent {
        agency_id: task.agency_id.clone(),
        task_id: task.id.clone(),
        at: state.clock.now(),
        kind: TaskEventKind::Reassigned,
        reason,
        before,
        after: team,
        by_user: user.id.clone(),
    };
    state.storage.update_task(&task, &event).await?;
    tracing::info!(task = %task.id, "task reassigned");
    Ok(task)
}

// ---- the published record (R-POST-4) ------------------------------------------

/// An officer as published: name and certificate number (public roster, R-PRE-2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicOfficer {
    /// Officer id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Certificate number.
    pub certificate_no: String,
}

/// One drawn target of a published draw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicTeam {
    /// Draw order.
    pub seq: u32,
    /// Task id (none when unstaffed).
    pub task_id: Option<String>,
    /// Target id.
    pub target_id: String,
    /// Public name of the target (natural persons masked).
    pub target_name: String,
    /// Credit code (organisations only).
    pub credit_code: Option<String>,
    /// Area.
    pub area: String,
    /// The team as drawn.
    pub drawn_officers: Vec<PublicOfficer>,
    /// The team now (after any reassignment).
    pub officers: Vec<PublicOfficer>,
    /// `open`, `cancelled` or `unstaffed`.
    pub status: String,
    /// Why unstaffed, or the cancellation/reassignment note.
    pub note: Option<String>,
}

/// A published cancellation or reassignment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicEvent {
    /// Task id.
    pub task_id: String,
    /// When.
    pub at: chrono::DateTime<chrono::Utc>,
    /// What.
    pub kind: TaskEventKind,
    /// Why.
    pub reason: String,
    /// Team before.
    pub before: Vec<PublicOfficer>,
    /// Team after.
    pub after: Vec<PublicOfficer>,
}

/// The published record of a draw: everything needed to re-run it
/// (`liuhen-server verify-draw`), no private data of natural persons.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublishedDraw {
    /// Draw id.
    pub id: String,
    /// Agency id.
    pub agency_id: String,
    /// Agency name.
    pub agency_name: String,
    /// State.
    pub status: DrawStatus,
    /// When the inputs were frozen and the seed committed.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// When it was run.
    pub completed_at: Option<chrono::DateTime<chrono::Utc>>,
    /// SHA-256 of the canonical inputs.
    pub inputs_hash: String,
    /// SHA-256 of the seed, published before the draw.
    pub seed_commitment: String,
    /// The seed, revealed with the result.
    pub seed: Option<String>,
    /// Public entropy mixed in at run time.
    pub public_entropy: Option<String>,
    /// The inputs (item, population, officer directory, conflicts, last teams).
    pub inputs: DrawInputs,
    /// The outcome of the algorithm.
    pub outcome: Option<DrawOutcome>,
    /// Drawn targets with officers named.
    pub teams: Vec<PublicTeam>,
    /// Cancellations and reassignments since.
    pub events: Vec<PublicEvent>,
}

fn public_officers(officers: &[Officer], ids: &[String]) -> Vec<PublicOfficer> {
    ids.iter()
        .map(|id| match officers.iter().find(|o| &o.id == id) {
            Some(o) => PublicOfficer {
                id: o.id.clone(),
                name: o.name.clone(),
                certificate_no: o.certificate_no.clone(),
            },
            None => PublicOfficer {
                id: id.clone(),
                name: id.clone(),
                certificate_no: String::new(),
            },
        })
        .collect()
}

/// The published record of a stored draw (the seed only once it is revealed).
pub async fn publish(state: &AppState, draw: StoredDraw) -> Result<PublishedDraw, AppError> {
    let roster = state.storage.roster_for(&draw.agency_id, Some("")).await?;
    let agency_name = roster
        .as_ref()
        .map(|(r, _)| r.agency.name.clone())
        .unwrap_or_default();
    // Officers named: those of the inputs, and current roster entries for
    // reassignments to officers added since.
    let mut officers = draw.inputs.officers.clone();
    if let Some((r, _)) = roster {
        officers.extend(r.officers);
    }
    let tasks = state.storage.draw_tasks(&draw.id).await?;
    let task_ids: Vec<String> = tasks.iter().map(|t| t.task.id.clone()).collect();
    let events = state
        .storage
        .task_events(&draw.agency_id, &task_ids)
        .await?;
    let mut teams = Vec::new();
    if let Some(outcome) = &draw.outcome {
        for d in &outcome.drawn {
            let target = draw.inputs.targets.iter().find(|t| t.id == d.target_id);
            let task = tasks.iter().find(|t| t.seq == d.seq).map(|t| &t.task);
            let (status, note, now) = match (&d.shortfall, task) {
                (Some(s), _) => ("unstaffed", Some(s.message.clone()), vec![]),
                (None, Some(t)) => (
                    if t.status == TaskStatus::Cancelled {
                        "cancelled"
                    } else {
                        "open"
                    },
                    t.note.clone(),
                    t.officer_ids.clone(),
                ),
                (None, None) => ("open", None, d.officer_ids.clone()),
            };
            teams.push(PublicTeam {
                seq: d.seq,
                task_id: task.map(|t| t.id.clone()),
                target_id: d.target_id.clone(),
                target_name: target.map(|t| t.name.clone()).unwrap_or_default(),
                credit_code: target.and_then(|t| t.credit_code.clone()),
                area: target.map(|t| t.area.clone()).unwrap_or_default(),
                drawn_officers: public_officers(&officers, &d.officer_ids),
                officers: public_officers(&officers, &now),
                status: status.to_string(),
                note,
            });
        }
    }
    let events = events
        .iter()
        .map(|e| PublicEvent {
            task_id: e.task_id.clone(),
            at: e.at,
            kind: e.kind,
            reason: e.reason.clone(),
            before: public_officers(&officers, &e.before),
            after: public_officers(&officers, &e.after),
        })
        .collect();
    let revealed = draw.status == DrawStatus::Completed;
    Ok(PublishedDraw {
        id: draw.id,
        agency_id: draw.agency_id,
        agency_name,
        status: draw.status,
        created_at: draw.created_at,
        completed_at: draw.completed_at,
        inputs_hash: draw.inputs_hash,
        seed_commitment: draw.seed_commitment,
        seed: revealed.then_some(draw.seed),
        public_entropy: draw.public_entropy,
        inputs: draw.inputs,
        outcome: draw.outcome,
        teams,
        events,
    })
}

/// What `verify-draw` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// Checks that passed, in Chinese.
    pub passed: Vec<String>,
    /// Checks that failed, in Chinese.
    pub failed: Vec<String>,
}

impl Verification {
    /// Whether every check passed.
    pub fn ok(&self) -> bool {
        self.failed.is_empty()
    }
}

/// Re-runs a published draw from its record alone and compares every part.
pub fn verify(record: &PublishedDraw) -> Verification {
    let mut v = Verification {
        passed: vec![],
        failed: vec![],
    };
    let hash = record.inputs.hash();
    if hash == record.inputs_hash {
        v.passed.push(format!("输入数据哈希一致：{hash}"));
    } else {
        v.failed.push(format!(
            "输入数据哈希不一致：记录为 {}，按公布的输入重新计算为 {hash}（名录或清单在公布后被改动）",
            record.inputs_hash
        ));
    }
    let Some(seed_hex) = &record.seed else {
        v.failed
            .push("该抽查尚未执行，随机种子未公开，暂无法验证抽取结果".to_string());
        return v;
    };
    let Some(seed) = algorithm::parse_seed(seed_hex) else {
        v.failed
            .push("公布的随机种子不是 64 位十六进制数".to_string());
        return v;
    };
    if algorithm::seed_commitment(&seed) == record.seed_commitment {
        v.passed
            .push("随机种子与抽取前公布的承诺值（SHA-256）一致".to_string());
    } else {
        v.failed
            .push("随机种子与抽取前公布的承诺值不一致：种子可能在抽取后被更换".to_string());
    }
    match algorithm::run(
        &record.inputs,
        &seed,
        record.public_entropy.as_deref().unwrap_or(""),
    ) {
        Err(e) => v.failed.push(format!("无法按公布的输入重新抽取：{e}")),
        Ok(outcome) => {
            if Some(&outcome) == record.outcome.as_ref() {
                v.passed.push(format!(
                    "重新抽取结果与公布结果完全一致：从 {} 个检查对象中抽取 {} 个，组成检查组 {} 个，无法组队 {} 个",
                    outcome.population,
                    outcome.drawn.len(),
                    outcome.staffed,
                    outcome.unstaffed
                ));
            } else {
                v.failed.push(
                    "重新抽取结果与公布结果不一致：公布的抽取对象或检查组不是由公布的输入和种子得出的"
                        .to_string(),
                );
            }
            // The published teams as drawn must be the outcome's.
            let mismatched: Vec<u32> = outcome
                .drawn
                .iter()
                .filter(|d| {
                    record
                        .teams
                        .iter()
                        .find(|t| t.seq == d.seq)
                        .is_none_or(|t| {
                            t.target_id != d.target_id
                                || t.drawn_officers
                                    .iter()
                                    .map(|o| &o.id)
                                    .ne(d.officer_ids.iter())
                        })
                })
                .map(|d| d.seq)
                .collect();
            if mismatched.is_empty() {
                v.passed.push("公示的检查组名单与抽取结果一致".to_string());
            } else {
                v.failed.push(format!(
                    "公示的检查组名单与抽取结果不一致（序号 {:?}）",
                    mismatched
                ));
            }
        }
    }
    v
}

/// Public list row of `GET /api/v1/public/draws`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PublicDrawRow {
    /// Draw id.
    pub id: String,
    /// Agency id.
    pub agency_id: String,
    /// Item code.
    pub item_code: String,
    /// Item name.
    pub item_name: String,
    /// State.
    pub status: DrawStatus,
    /// Draw date.
    pub draw_date: NaiveDate,
    /// Due date.
    pub due_date: NaiveDate,
    /// SHA-256 of the inputs.
    pub inputs_hash: String,
    /// SHA-256 of the seed.
    pub seed_commitment: String,
    /// Run at.
    pub completed_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The spot-check item list of an agency as published (R-PRE-3).
pub fn item_label(item: &SpotCheckItem) -> String {
    format!("{}（{}）", item.name, item.code)
}
