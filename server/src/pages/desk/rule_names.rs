//! Short Chinese names of the inspection rules (DOMAIN.md), shown beside the rule
//! ID wherever the desk lists a rule, so a supervisor reads what is wrong without
//! knowing the IDs by heart.

/// A rule the desk shows: its ID and short Chinese name (the ID alone if unknown).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleName {
    /// Rule ID, e.g. `R-SCENE-3`.
    pub id: String,
    /// Short Chinese name, e.g. 亮证表明身份 ("" if the rule is not known here).
    pub short: &'static str,
}

/// Short names of the rules the checks of `liuhen_domain::rules` report.
const SHORT_NAMES: &[(&str, &str)] = &[
    ("R-SCENE-1", "持证上岗"),
    ("R-SCENE-2", "两人以上执法"),
    ("R-SCENE-3", "亮证表明身份"),
    ("R-SCENE-4", "告知权利和救济途径"),
    ("R-REC-1", "文字记录检查情况"),
    ("R-REC-2", "亮证告知录音录像"),
    ("R-REC-3", "告知用语完整"),
    ("R-REC-4", "24 小时内上传证据"),
    ("R-REC-5", "记录证据不得删改"),
];

/// The short Chinese name of `rule` ("" if unknown).
pub fn short_name(rule: &str) -> &'static str {
    SHORT_NAMES
        .iter()
        .find(|(id, _)| *id == rule)
        .map(|(_, n)| *n)
        .unwrap_or("")
}

/// `rule` with its short name.
pub fn named(rule: &str) -> RuleName {
    RuleName {
        id: rule.to_string(),
        short: short_name(rule),
    }
}
