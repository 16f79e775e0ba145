//! `--demo`: loads the demo agency (清远市生态环境局) idempotently: its roster, one
//! officer account per roster officer and a supervisor, a legal reviewer and an
//! admin, all with the password [`DEMO_PASSWORD`]; and makes a one-time enrollment
//! code for the first officer. For trying the system out only.

use liuhen_core::model::RosterSnapshot;

use crate::admin::{NewUser, create_user, load_roster};
use crate::enroll::create_code;
use crate::error::AppError;
use crate::state::AppState;
use crate::storage::Role;

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
