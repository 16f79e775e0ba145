//! The one error type of the FFI surface: variants a user interface can act on,
//! each carrying the Chinese message to show (`detail`) and, where a rule is not met,
//! its rule ID. The mapping from the core's errors is in one place: [`From`] below.

use liuhen_core::CoreError;
use liuhen_core::blobs::BlobError;
use liuhen_core::doc::DocError;
use liuhen_core::draft_doc::DraftDocError;
use liuhen_core::legal::LegalInputError;
use liuhen_core::store::StoreError;
use liuhen_core::sync::{SyncError, TransportError};

use crate::types::RuleViolation;

/// Everything a call into the core can fail with. `detail` is always a complete
/// sentence in Chinese for the officer; the other fields let the app decide what to do
/// (show a field error, list unmet rules, ask to re-enrol, retry later, ...).
#[derive(Debug, Clone, PartialEq, thiserror::Error, uniffi::Error)]
pub enum LiuhenError {
    /// A value the officer typed was refused; `field` names it.
    #[error("{detail}")]
    InvalidInput {
        /// The field, e.g. `finding.text`.
        field: String,
        /// Message to show.
        detail: String,
    },
    /// A rule of DOMAIN.md is not met (certificate, team, task assignment, evidence).
    #[error("{detail}")]
    RuleNotMet {
        /// Rule ID, e.g. `R-SCENE-1`.
        rule: String,
        /// Message to show (starts with the rule ID).
        detail: String,
    },
    /// Closing was refused: every unmet rule is listed.
    #[error("{detail}")]
    CloseRefused {
        /// The unmet rules, each with its ID and message.
        violations: Vec<RuleViolation>,
        /// Message to show.
        detail: String,
    },
    /// The inspection is closed: add an amendment instead (R-REC-5).
    #[error("{detail}")]
    InspectionClosed {
        /// Inspection id.
        inspection_id: String,
        /// Message to show.
        detail: String,
    },
    /// The step was already done or does not apply (e.g. checked in twice, amending
    /// an inspection that is still open).
    #[error("{detail}")]
    NotApplicable {
        /// Message to show.
        detail: String,
    },
    /// An inspection for this task is already open on this device: continue it.
    #[error("{detail}")]
    TaskAlreadyOpen {
        /// Task id.
        task_id: String,
        /// The inspection to continue.
        inspection_id: String,
        /// Message to show.
        detail: String,
    },
    /// The task was cancelled by the agency.
    #[error("{detail}")]
    TaskCancelled {
        /// Task id.
        task_id: String,
        /// Reason given.
        reason: String,
        /// Message to show.
        detail: String,
    },
    /// No such task, target, officer, inspection or evidence.
    #[error("{detail}")]
    NotFound {
        /// What kind of record (Chinese).
        what: String,
        /// Its id.
        id: String,
        /// Message to show.
        detail: String,
    },
    /// No roster or task list on the device yet: sync once.
    #[error("{detail}")]
    NoRoster {
        /// Message to show.
        detail: String,
    },
    /// An evidence file was refused (wrong type, too large, damaged); nothing stored.
    #[error("{detail}")]
    EvidenceRefused {
        /// Message to show.
        detail: String,
    },
    /// The device storage is full; nothing of this step was written, everything
    /// saved before is intact.
    #[error("{detail}")]
    StorageFull {
        /// Message to show.
        detail: String,
    },
    /// Stored data is damaged or the device log does not verify; nothing was changed.
    #[error("{detail}")]
    DataDamaged {
        /// Message to show.
        detail: String,
    },
    /// The data or the server is newer than this app: upgrade the app.
    #[error("{detail}")]
    UpgradeRequired {
        /// Message to show.
        detail: String,
    },
    /// The device has not been enrolled with a server yet.
    #[error("{detail}")]
    NotEnrolled {
        /// Message to show.
        detail: String,
    },
    /// Enrolment was refused: wrong login or password, or an expired or used code.
    #[error("{detail}")]
    CredentialsRefused {
        /// Server code, e.g. `invalid_credentials`.
        code: String,
        /// Message to show.
        detail: String,
    },
    /// The server no longer accepts this device (token revoked or unknown): enrol
    /// again. Every record stays on the device and syncs after enrolment.
    #[error("{detail}")]
    ReEnrollRequired {
        /// Server code, e.g. `token_revoked`.
        code: String,
        /// Message to show.
        detail: String,
    },
    /// No network, or the server is unavailable: try again later (records are kept).
    #[error("{detail}")]
    Offline {
        /// Message to show.
        detail: String,
    },
    /// The server refused the request; retrying the same thing will not help.
    #[error("{detail}")]
    ServerRejected {
        /// HTTP status.
        status: u16,
        /// Server code.
        code: String,
        /// Message to show.
        detail: String,
    },
    /// The device failed in a way the officer cannot fix (database error, bug).
    #[error("{detail}")]
    Internal {
        /// Message to show (also for the support log).
        detail: String,
    },
}

impl LiuhenError {
    /// A rule violation error with its rule ID.
    fn rule(rule: &str, detail: impl ToString) -> Self {
        LiuhenError::RuleNotMet {
            rule: rule.to_string(),
            detail: detail.to_string(),
        }
    }

    /// Whether trying the same call again later can succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, LiuhenError::Offline { .. })
    }
}

impl From<CoreError> for LiuhenError {
    fn from(e: CoreError) -> Self {
        let detail = e.to_string();
        match e {
            CoreError::Invalid(m) => LiuhenError::InvalidInput {
                field: m.field.clone(),
                detail,
            },
            CoreError::Certificate(_) => LiuhenError::rule("R-SCENE-1", detail),
            CoreError::NotAssigned { .. } => LiuhenError::rule("R-RAND-2", detail),
            CoreError::NotInTeam { .. } | CoreError::TeamIncomplete { .. } => {
                LiuhenError::rule("R-SCENE-2", detail)
            }
            CoreError::EvidenceNotAttached { .. } => LiuhenError::rule("R-REC-5", detail),
            CoreError::WrongEvidenceKind { rule, .. } => LiuhenError::rule(rule, detail),
            CoreError::CloseRefused { violations } => LiuhenError::CloseRefused {
                violations: violations.into_iter().map(RuleViolation::from).collect(),
                detail,
            },
            CoreError::Closed { id } => LiuhenError::InspectionClosed {
                inspection_id: id,
                detail,
            },
            CoreError::AlreadyCheckedIn { .. } | CoreError::NotClosed { .. } => {
                LiuhenError::NotApplicable { detail }
            }
            CoreError::TaskAlreadyOpen {
                task_id,
                inspection_id,
            } => LiuhenError::TaskAlreadyOpen {
                task_id,
                inspection_id,
                detail,
            },
            CoreError::TaskCancelled { id, reason } => LiuhenError::TaskCancelled {
                task_id: id,
                reason,
                detail,
            },
            CoreError::NotFound { what, id }
            | CoreError::Store(StoreError::NotFound { what, id }) => LiuhenError::NotFound {
                what: what.to_string(),
                id,
                detail,
            },
            CoreError::NoRoster => LiuhenError::NoRoster { detail },
            CoreError::Evidence(ref ev) if ev.is_refusal() => {
                LiuhenError::EvidenceRefused { detail }
            }
            CoreError::Blob(BlobError::Read { .. } | BlobError::Empty) => {
                LiuhenError::EvidenceRefused { detail }
            }
            CoreError::Export(ref ex) if ex.is_refusal() => LiuhenError::NotApplicable { detail },
            CoreError::Store(StoreError::DiskFull) => LiuhenError::StorageFull { detail },
            CoreError::Blob(BlobError::Write(ref io))
                if io.kind() == std::io::ErrorKind::StorageFull =>
            {
                LiuhenError::StorageFull {
                    detail: format!(
                        "设备存储空间已满，证据文件未保存（此前已保存的记录完好）；请清理存储空间后重试（{detail}）"
                    ),
                }
            }
            CoreError::Store(StoreError::NewerSchema { .. }) => {
                LiuhenError::UpgradeRequired { detail }
            }
            CoreError::Store(
                StoreError::CorruptFile { .. } | StoreError::CorruptDocument { .. },
            )
            | CoreError::Chain(_)
            | CoreError::DeviceIdentity(_) => LiuhenError::DataDamaged { detail },
            CoreError::Doc(DocError::NewerSchema { .. }) => LiuhenError::UpgradeRequired { detail },
            CoreError::Doc(_) => LiuhenError::DataDamaged { detail },
            CoreError::Blob(BlobError::Missing { .. } | BlobError::Mismatch { .. }) => {
                LiuhenError::DataDamaged { detail }
            }
            CoreError::DraftInvalid(LegalInputError::Invalid { field, .. }) => {
                LiuhenError::InvalidInput {
                    field: field.to_string(),
                    detail,
                }
            }
            CoreError::NotEnrolled => LiuhenError::NotEnrolled { detail },
            CoreError::StaleDraft { .. } | CoreError::DraftDecided { .. } => {
                LiuhenError::NotApplicable { detail }
            }
            CoreError::DraftDoc(ref e) => match **e {
                DraftDocError::UnknownHeads => LiuhenError::NotApplicable { detail },
                DraftDocError::NewerSchema { .. } => LiuhenError::UpgradeRequired { detail },
                _ => LiuhenError::DataDamaged { detail },
            },
            CoreError::DraftDamaged { .. } => LiuhenError::DataDamaged { detail },
            other if is_disk_full(&other) => LiuhenError::StorageFull { detail },
            _ => LiuhenError::Internal { detail },
        }
    }
}

/// Whether an I/O failure deep inside (blob directory, export) was a full disk.
fn is_disk_full(e: &CoreError) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::StorageFull
        {
            return true;
        }
        source = s.source();
    }
    false
}

impl From<TransportError> for LiuhenError {
    fn from(e: TransportError) -> Self {
        let detail = e.to_string();
        match e {
            TransportError::Unauthorized { code, .. } => LiuhenError::ReEnrollRequired {
                code,
                detail: format!("{detail}。本设备上的全部记录均已保留，请重新登记设备后再同步"),
            },
            TransportError::Rejected { status, code, .. } => LiuhenError::ServerRejected {
                status,
                code,
                detail,
            },
            TransportError::Network(_)
            | TransportError::Server { .. }
            | TransportError::Decode(_) => LiuhenError::Offline {
                detail: format!("{detail}。记录已保存在本设备，网络恢复后会自动同步"),
            },
        }
    }
}

impl LiuhenError {
    /// An enrolment failure: a refused credential is the officer's input, not a
    /// revoked device.
    pub(crate) fn from_enrolment(e: SyncError) -> Self {
        match e {
            SyncError::Transport(TransportError::Unauthorized { code, message }) => {
                LiuhenError::CredentialsRefused {
                    code,
                    detail: format!("登记被拒绝：{message}"),
                }
            }
            other => other.into(),
        }
    }
}

impl From<SyncError> for LiuhenError {
    fn from(e: SyncError) -> Self {
        match e {
            SyncError::Transport(t) => t.into(),
            SyncError::Core(c) => c.into(),
            p @ SyncError::Protocol { .. } => LiuhenError::UpgradeRequired {
                detail: p.to_string(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use liuhen_core::model::{CertificateProblem, ModelError};
    use liuhen_core::rules::Violation;

    #[test]
    fn rule_refusals_carry_their_rule_ids() {
        let cert = CoreError::Certificate(CertificateProblem::NotActive {
            name: "吴建国".into(),
            certificate_no: "44180022004".into(),
            status: "暂扣".into(),
        });
        assert!(
            matches!(LiuhenError::from(cert), LiuhenError::RuleNotMet { rule, .. } if rule == "R-SCENE-1")
        );
        let team = CoreError::TeamIncomplete { count: 1 };
        assert!(
            matches!(LiuhenError::from(team), LiuhenError::RuleNotMet { rule, detail } if rule == "R-SCENE-2" && detail.starts_with("R-SCENE-2"))
        );
        let assigned = CoreError::NotAssigned {
            name: "黄志强".into(),
            task_id: "T-1".into(),
        };
        assert!(
            matches!(LiuhenError::from(assigned), LiuhenError::RuleNotMet { rule, .. } if rule == "R-RAND-2")
        );
        let refused = CoreError::CloseRefused {
            violations: vec![Violation {
                rule: "R-SCENE-4".into(),
                message: "R-SCENE-4: 尚未告知权利".into(),
            }],
        };
        match LiuhenError::from(refused) {
            LiuhenError::CloseRefused { violations, detail } => {
                assert_eq!(violations[0].rule, "R-SCENE-4");
                assert!(detail.contains("R-SCENE-4: 尚未告知权利"));
            }
            other => panic!("unexpected {other:?}"),
        }
        let invalid = CoreError::Invalid(ModelError::new("finding.text", "不能为空"));
        assert!(
            matches!(LiuhenError::from(invalid), LiuhenError::InvalidInput { field, .. } if field == "finding.text")
        );
    }

    #[test]
    fn device_failures_say_what_to_do() {
        let full = LiuhenError::from(CoreError::Store(StoreError::DiskFull));
        assert!(
            matches!(&full, LiuhenError::StorageFull { detail } if detail.contains("此前已保存的记录完好"))
        );
        let newer = CoreError::Store(StoreError::NewerSchema {
            found: 9,
            supported: 3,
        });
        assert!(matches!(
            LiuhenError::from(newer),
            LiuhenError::UpgradeRequired { .. }
        ));
        let io_full = CoreError::Blob(BlobError::Write(std::io::Error::from(
            std::io::ErrorKind::StorageFull,
        )));
        assert!(matches!(
            LiuhenError::from(io_full),
            LiuhenError::StorageFull { .. }
        ));
    }

    #[test]
    fn transport_failures_separate_retry_from_re_enrolment() {
        let offline = LiuhenError::from(TransportError::Network("connection refused".into()));
        assert!(offline.is_retryable());
        assert!(
            matches!(&offline, LiuhenError::Offline { detail } if detail.contains("网络恢复后会自动同步"))
        );
        let revoked = LiuhenError::from(TransportError::Unauthorized {
            code: "token_revoked".into(),
            message: "设备已被停用".into(),
        });
        assert!(!revoked.is_retryable());
        assert!(
            matches!(&revoked, LiuhenError::ReEnrollRequired { code, detail } if code == "token_revoked" && detail.contains("全部记录均已保留"))
        );
        let wrong_password =
            LiuhenError::from_enrolment(SyncError::Transport(TransportError::Unauthorized {
                code: "invalid_credentials".into(),
                message: "登录名或密码错误".into(),
            }));
        assert!(matches!(
            wrong_password,
            LiuhenError::CredentialsRefused { .. }
        ));
        let protocol = LiuhenError::from(SyncError::Protocol {
            server: 3,
            client: 1,
        });
        assert!(matches!(protocol, LiuhenError::UpgradeRequired { .. }));
    }
}
