//! `--demo`: loads the demo agency (清远市生态环境局) idempotently: its roster, one
//! officer account per roster officer and a supervisor, a legal reviewer and an
//! admin, all with the password [`DEMO_PASSWORD`]; and makes a one-time enrollment
//! code for the first officer; the spot-check item list and one declared conflict
//! for double random draws. For trying the system out only.

use liuhen_core::model::{RosterSnapshot, TargetKind};

use crate::admin::{NewUser, create_user, load_roster};
use crate::draws::algorithm::SpotCheckItem;
use crate::enroll::create_code;
use crate::error::AppError;
use crate::state::AppState;
use crate::storage::{ConflictRecord, Role};

/// The demo roster (also used by the core's tests and the field CLI demo).
pub const DEMO_ROSTER_JSON: &str = include_str!("../../core/tests/data/demo-roster.json");

/// Password of every demo account. Demo only: never on a real deployment.
pub const DEMO_PASSWORD: &str = "demo-password";

/// What `--demo` set up.
#[derive(Debug, Clone)]
pub struct DemoSummary {
    /// Agency id.
    pub agency_id: String,
    /// Logins that exist now, with their roles (created now or before).
    pub logins: Vec<(String, Role)>,
    /// Logins created by this run.
    pub created: Vec<String>,
    /// Login of the first officer.
    pub first_officer_login: String,
    /// One-time enrollment code for the first officer (valid 24 h).
    pub enrollment_code: String,
}

/// The demo spot-check item list (随机抽查事项清单, R-PRE-3), consistent with the
/// demo roster: both items of its tasks, in the 生态环境 category.
pub fn demo_items() -> Vec<SpotCheckItem> {
    vec![
        SpotCheckItem {
            code: "QYHJ-SJ-03".into(),
            name: "排污许可证执行情况检查".into(),
            checking_body: "清远市生态环境局".into(),
            legal_basis: "《排污许可管理条例》".into(),
            category: "生态环境".into(),
            target_kinds: vec![TargetKind::Organisation, TargetKind::IndividualBusiness],
            target_areas: vec!["441800".into()],
            content: "排污许可证载明事项执行情况、自行监测、执行报告和环境管理台账".into(),
            ratio_bp: 5_000,
            method: "现场检查".into(),
            frequency: "每年一次".into(),
        },
        SpotCheckItem {
            code: "QYHJ-SJ-07".into(),
            name: "危险废物规范化环境管理检查".into(),
            checking_body: "清远市生态环境局".into(),
            legal_basis: "《中华人民共和国固体废物污染环境防治法》".into(),
            category: "生态环境".into(),
            target_kinds: vec![],
            target_areas: vec![],
            content: "危险废物贮存、转移联单、管理台账和处置去向".into(),
            ratio_bp: 10_000,
            method: "现场检查".into(),
            frequency: "每半年一次".into(),
        },
    ]
}

/// The demo declared conflict (回避): 陈晓红 (qy-zf-002) with 英德市华盈再生资源有限公司
/// (qy-dx-0002), so a draw of QYHJ-SJ-07 shows a staffing shortfall for it.
pub const DEMO_CONFLICT: (&str, &str, &str) = ("qy-zf-002", "qy-dx-0002", "近亲属在该单位任职");

/// The demo roster, parsed.
pub fn demo_roster() -> Result<RosterSnapshot, AppError> {
    serde_json::from_str(DEMO_ROSTER_JSON)
        .map_err(|e| AppError::internal(format!("demo roster: {e}")))
}

/// Loads the demo agency; running it again changes nothing but issuing a new code.
pub async fn load(state: &AppState) -> Result<DemoSummary, AppError> {
    let roster = demo_roster()?;
    load_roster(state, &roster).await?;
    let agency_id = roster.agency.id.clone();
    state
        .storage
        .upsert_check_items(&agency_id, &demo_items())
        .await?;
    let (officer_id, target_id, reason) = DEMO_CONFLICT;
    state
        .storage
        .put_conflict(&ConflictRecord {
            agency_id: agency_id.clone(),
            officer_id: officer_id.into(),
            target_id: target_id.into(),
            reason: reason.into(),
            declared_at: state.clock.now(),
        })
        .await?;
    let mut accounts: Vec<(String, String, Role, Option<String>)> = roster
        .officers
        .iter()
        .map(|o| {
            (
                o.id.clone(),
                o.name.clone(),
                Role::Officer,
                Some(o.id.clone()),
            )
        })
        .collect();
    accounts.push((
        "supervisor".into(),
        "演示督查员".into(),
        Role::Supervisor,
        None,
    ));
    accounts.push((
        "legal".into(),
        "演示法制审核员".into(),
        Role::LegalReviewer,
        None,
    ));
    accounts.push(("admin".into(), "演示管理员".into(), Role::Admin, None));

    let mut created = Vec::new();
    let mut logins = Vec::new();
    for (login, name, role, officer_id) in accounts {
        logins.push((login.clone(), role));
        if state.storage.user_by_login(&login).await?.is_some() {
            continue;
        }
        create_user(
            state,
            NewUser {
                agency_id: agency_id.clone(),
                login: login.clone(),
                name,
                role,
                officer_id,
                password: DEMO_PASSWORD.to_string(),
            },
        )
        .await?;
        created.push(login);
    }
    let first = roster
        .officers
        .first()
        .ok_or_else(|| AppError::internal("demo roster has no officer"))?;
    let user = state
        .storage
        .user_by_login(&first.id)
        .await?
        .ok_or_else(|| AppError::internal("demo officer account missing"))?;
    let (enrollment_code, _) = create_code(state, &user).await?;
    Ok(DemoSummary {
        agency_id,
        logins,
        created,
        first_officer_login: first.id.clone(),
        enrollment_code,
    })
}
