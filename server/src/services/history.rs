//! The record's history judged against the write rules (issue 16, R-REC-5): what
//! the desk shows as the R-REC-5 check. Merges refuse rule-breaking changes since
//! this check exists; records merged before it may still hold some (a finding
//! rewritten after close, a deletion), and the desk names each with who and when.

use std::collections::{HashMap, HashSet};

use automerge::Change;

use liuhen_domain::rules::Violation;
use liuhen_domain::write_rules::{
    DeviceAuthor, Judge, RecordContext, Violation as WriteViolation, check_history,
};

use crate::storage::{Storage, StorageResult};

/// Who wrote with which automerge actor in one agency.
#[derive(Debug, Clone, Default)]
pub struct Authors {
    /// Device actor (hex) → the officer and device.
    devices: HashMap<String, DeviceAuthor>,
    /// Actors (hex) of the agency's server users (supervisors' reviews).
    users: HashSet<String>,
}

/// The actors of an agency's enrolled devices (revoked ones too) and users.
pub async fn authors(storage: &dyn Storage, agency_id: &str) -> StorageResult<Authors> {
    let users = storage.users_of_agency(agency_id).await?;
    let officer_of: HashMap<&str, &str> = users
        .iter()
        .filter_map(|u| u.officer_id.as_deref().map(|o| (u.id.as_str(), o)))
        .collect();
    let mut out = Authors {
        users: users
            .iter()
            .map(|u| crate::services::actors::user_actor(&u.id).to_hex_string())
            .collect(),
        ..Authors::default()
    };
    for (d, _) in storage.devices_of_agency(agency_id).await? {
        if let Some(officer) = officer_of.get(d.user_id.as_str()) {
            out.devices.insert(
                d.actor_id.clone(),
                DeviceAuthor {
                    officer_id: (*officer).to_string(),
                    device_id: d.id.clone(),
                },
            );
        }
    }
    Ok(out)
}

/// Every change in `changes` (a document's whole history) that breaks a write
/// rule, judged as its registered device. Changes by actors no device registered
/// (the demo data's simulated phones, which never synced) are not judged: every
/// change a device sends carries its registered actor, checked at the merge.
pub fn violations(
    changes: &[Change],
    authors: &Authors,
    task_officers: &[String],
) -> Vec<WriteViolation> {
    violations_as(changes, authors, None, task_officers)
}

/// [`violations`] with one more device actor (hex) and its author, e.g. the device
/// syncing right now (not yet in `authors` when it enrolled after they were read),
/// taking precedence over `authors`' entry for that actor; `authors` is not copied.
pub fn violations_as(
    changes: &[Change],
    authors: &Authors,
    device: Option<(&str, &DeviceAuthor)>,
    task_officers: &[String],
) -> Vec<WriteViolation> {
    let ctx = RecordContext {
        task_officers: task_officers.to_vec(),
    };
    check_history(changes, &ctx, |c| {
        let actor = c.actor_id().to_hex_string();
        let author = match device {
            Some((hex, a)) if hex == actor => Some(a),
            _ => authors.devices.get(&actor),
        };
        match author {
            Some(a) if !authors.users.contains(&actor) => Judge::Device(a.clone()),
            _ => Judge::Trusted,
        }
    })
}

/// A history violation as the desk shows it: an R-REC-5 finding naming the
/// officer, the device time and whether it came after closure.
pub fn describe(v: WriteViolation) -> Violation {
    let when = chrono::DateTime::from_timestamp(v.time, 0)
        .map(liuhen_domain::time::local_text)
        .unwrap_or_else(|| "时间不明".into());
    let who = v.officer_id.unwrap_or_else(|| v.actor.clone());
    let stage = if v.after_closure { "结案后" } else { "" };
    let detail = v.message.trim_start_matches("R-REC-5: ");
    Violation {
        rule: "R-REC-5".into(),
        message: format!(
            "R-REC-5: {who} 的设备于 {when}（设备时间）{stage}作出了不符合记录规则的修改：{detail}"
        ),
    }
}

/// [`violations`] of a whole history, each [`describe`]d.
pub fn audit(changes: &[Change], authors: &Authors, task_officers: &[String]) -> Vec<Violation> {
    violations(changes, authors, task_officers)
        .into_iter()
        .map(describe)
        .collect()
}
