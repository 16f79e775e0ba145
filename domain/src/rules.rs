//! Rule checks as pure functions: an inspection (plus what the checker knows about
//! the roster and the device log) in, a list of violations with rule IDs out. The
//! close step uses them on the device; the server runs the same code after sync.

use serde::{Deserialize, Serialize};

use crate::inspection::{Acknowledgement, EvidenceKind, Inspection};
use crate::model::Officer;
use crate::time::local_date;

/// One unmet rule, with its ID from DOMAIN.md and a Chinese message for the officer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// Rule ID, e.g. `R-SCENE-2`.
    pub rule: String,
    /// What is missing or wrong, in Chinese, starting with the rule ID.
    pub message: String,
}

impl Violation {
    fn new(rule: &str, message: impl std::fmt::Display) -> Self {
        Violation {
            rule: rule.to_string(),
            message: format!("{rule}: {message}"),
        }
    }
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// What the checker knows besides the document.
#[derive(Debug, Clone, Default)]
pub struct RuleContext<'a> {
    /// The roster to check certificates against (the device's cached copy, or the
    /// server's). Without it only what the document itself records is checked.
    pub roster: Option<&'a [Officer]>,
    /// Evidence hashes the device log recorded for this inspection; each must still be
    /// referenced by the document (R-REC-5).
    pub logged_evidence: &'a [String],
}

/// Minimum team size on site (R-SCENE-2).
pub const MIN_TEAM: usize = 2;

/// Every rule the inspection does not (yet) meet. An empty list means it may close.
pub fn check(i: &Inspection, ctx: &RuleContext<'_>) -> Vec<Violation> {
    let mut out = vec![];
    check_team(i, ctx, &mut out);
    check_identity_notice(i, &mut out);
    if i.findings.is_empty() {
        out.push(Violation::new(
            "R-REC-1",
            "尚未记录检查情况（至少一条检查发现，无问题也应如实记录）",
        ));
    }
    check_rights_notice(i, &mut out);
    check_evidence_links(i, ctx, &mut out);
    out
}

fn check_team(i: &Inspection, ctx: &RuleContext<'_>, out: &mut Vec<Violation>) {
    if i.team.len() < MIN_TEAM {
        out.push(Violation::new(
            "R-SCENE-2",
            format!(
                "现场检查至少需要 {MIN_TEAM} 名执法人员签到，当前仅 {} 名",
                i.team.len()
            ),
        ));
    }
    for m in &i.team {
        let date = local_date(m.checked_in_at);
        match ctx.roster {
            Some(roster) => match roster.iter().find(|o| o.id == m.officer_id) {
                None => out.push(Violation::new(
                    "R-SCENE-1",
                    format!("{}（证号 {}）不在执法人员名录中", m.name, m.certificate_no),
                )),
                Some(o) => {
                    if let Err(p) = o.certificate_check(date, &i.meta.category, &i.meta.target_area)
                    {
                        out.push(Violation {
                            rule: "R-SCENE-1".into(),
                            message: p.to_string(),
                        });
                    }
                }
            },
            None => {
                if m.certificate_valid_until < date {
                    out.push(Violation::new(
                        "R-SCENE-1",
                        format!(
                            "{}（证号 {}）签到时执法证件已过期（有效期至 {}）",
                            m.name, m.certificate_no, m.certificate_valid_until
                        ),
                    ));
                }
            }
        }
    }
}

fn check_identity_notice(i: &Inspection, out: &mut Vec<Violation>) {
    match &i.identity_notice {
        None => out.push(Violation::new(
            "R-SCENE-3",
            "尚未出示执法证件、表明身份（亮证告知未录制）",
        )),
        Some(n) => {
            if n.statement.trim().is_empty() {
                out.push(Violation::new("R-REC-3", "亮证告知用语为空"));
            }
            match i.evidence_by_hash(&n.recording_sha256) {
                Some(e) if matches!(e.kind, EvidenceKind::Audio | EvidenceKind::Video) => {}
                Some(_) => out.push(Violation::new(
                    "R-REC-3",
                    "亮证告知关联的证据不是录音或录像",
                )),
                None => out.push(Violation::new(
                    "R-REC-2",
                    "亮证告知的录音录像未作为证据保存",
                )),
            }
        }
    }
}

fn check_rights_notice(i: &Inspection, out: &mut Vec<Violation>) {
    let Some(r) = &i.rights_notice else {
        out.push(Violation::new(
            "R-SCENE-4",
            "尚未告知当事人执法事由、依据、权利义务和救济途径",
        ));
        return;
    };
    if r.remedy_channels.iter().all(|c| c.trim().is_empty()) {
        out.push(Violation::new("R-SCENE-4", "权利告知未列明救济途径"));
    }
    match &r.acknowledgement {
        Acknowledgement::Signed {
            signer_name,
            signature_sha256,
        } => {
            if signer_name.trim().is_empty() {
                out.push(Violation::new("R-SCENE-4", "当事人签名缺少签名人姓名"));
            }
            match i.evidence_by_hash(signature_sha256) {
                Some(e) if e.kind == EvidenceKind::Signature => {}
                _ => out.push(Violation::new("R-SCENE-4", "当事人签名图像未作为证据保存")),
            }
        }
        Acknowledgement::Refused { witness_name, .. } => {
            if witness_name.trim().is_empty() {
                out.push(Violation::new(
                    "R-SCENE-4",
                    "当事人拒绝签字的，应有见证人在场并记录见证人姓名",
                ));
            }
        }
    }
}

fn check_evidence_links(i: &Inspection, ctx: &RuleContext<'_>, out: &mut Vec<Violation>) {
    let refs = i
        .findings
        .iter()
        .map(|f| (format!("检查发现 {}", f.id), &f.evidence))
        .chain(
            i.amendments
                .iter()
                .map(|a| (format!("更正 {}", a.id), &a.evidence)),
        );
    for (owner, hashes) in refs {
        for h in hashes {
            if i.evidence_by_hash(h).is_none() {
                out.push(Violation::new(
                    "R-REC-5",
                    format!("{owner} 引用的证据 {} 不在记录中", short(h)),
                ));
            }
        }
    }
    for h in ctx.logged_evidence {
        if i.evidence_by_hash(h).is_none() {
            out.push(Violation::new(
                "R-REC-5",
                format!(
                    "设备日志记录过的证据 {} 已从检查记录中消失（证据不得删除）",
                    short(h)
                ),
            ));
        }
    }
    for a in &i.amendments {
        let target_ok = match a.amends.split_once(':') {
            Some(("finding", id)) => i.findings.iter().any(|f| f.id == id),
            Some(("amendment", id)) => i.amendments.iter().any(|x| x.id == id),
            None => matches!(
                a.amends.as_str(),
                "identity_notice" | "rights_notice" | "meta" | "team"
            ),
            _ => false,
        };
        if !target_ok {
            out.push(Violation::new(
                "R-REC-5",
                format!("更正 {} 指向的内容“{}”不存在", a.id, a.amends),
            ));
        }
    }
}

fn short(h: &str) -> &str {
    h.get(..12).unwrap_or(h)
}
