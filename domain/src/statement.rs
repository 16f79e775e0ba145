//! The standard spoken statements: the identity notice (亮证告知, R-SCENE-3) with the
//! recording notice (音像记录用语, R-REC-3).

use chrono::{DateTime, Utc};

use crate::inspection::Inspection;
use crate::time::local_text;

/// The identity-notice statement officers speak when recording starts: time, place,
/// officers with certificate numbers, the action and the recording focus, and that
/// recording is on.
pub fn identity_statement(i: &Inspection, at: DateTime<Utc>) -> String {
    let officers: Vec<String> = i
        .team
        .iter()
        .map(|m| format!("{}（执法证号：{}）", m.name, m.certificate_no))
        .collect();
    let officers = if officers.is_empty() {
        "（尚无执法人员签到）".to_string()
    } else {
        officers.join("、")
    };
    format!(
        "现在是{time}，地点：{address}。我们是{agency}的执法人员{officers}，\
         现依法对{target}进行现场检查，检查事项：{item}{basis}。\
         这是我们的执法证件，请过目。\
         本次检查全过程进行音像记录，重点记录现场检查情况和证据收集过程，现在开始录音录像，请予以配合。",
        time = local_text(at),
        address = i.meta.target_address,
        agency = i.meta.agency_name,
        target = i.meta.target_name,
        item = i.meta.item_name,
        basis = if i.meta.legal_basis.is_empty() {
            String::new()
        } else {
            format!("，检查依据：{}", i.meta.legal_basis)
        },
    )
}
