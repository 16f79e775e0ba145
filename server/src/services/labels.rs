//! Chinese names of the store's values (review states, draft states, ...), for every
//! place that shows them to a person: pages, messages of the services, the device
//! API's labels. The store keeps only stable codes (`as_str`); words live here.

use crate::storage::Role;
use crate::storage::access::AccessAction;
use crate::storage::legal::{DisputeOutcome, DraftStatus};
use crate::storage::public_profile::{AppealCounts, AppealKind, DocumentKind, PublicDocument};
use crate::storage::publicity::WithdrawReason;
use crate::storage::queue::ReviewState;

/// The Chinese name of a stored value.
pub trait Label {
    /// The name shown to a person.
    fn label(self) -> &'static str;
}

/// Chinese label (the state badge).
impl Label for ReviewState {
    fn label(self) -> &'static str {
        match self {
            ReviewState::Open => "现场进行中",
            ReviewState::Pending => "待审核",
            ReviewState::Returned => "已退回",
            ReviewState::Amended => "已补正待复核",
            ReviewState::Approved => "审核通过",
        }
    }
}

/// Chinese label (shown publicly as the category of the reason).
impl Label for WithdrawReason {
    fn label(self) -> &'static str {
        match self {
            WithdrawReason::Revoked => "决定被撤销",
            WithdrawReason::ConfirmedIllegal => "决定被确认违法",
            WithdrawReason::Redo => "决定被责令重新作出",
        }
    }
}

/// Chinese label.
impl Label for DocumentKind {
    fn label(self) -> &'static str {
        match self {
            DocumentKind::FlowChart => "流程图",
            DocumentKind::ServiceGuide => "服务指南",
        }
    }
}

/// Chinese label.
impl Label for AppealKind {
    fn label(self) -> &'static str {
        match self {
            AppealKind::Reconsideration => "行政复议",
            AppealKind::Litigation => "行政诉讼",
        }
    }
}

/// Chinese label.
impl Label for DraftStatus {
    fn label(self) -> &'static str {
        match self {
            DraftStatus::Drafting => "起草中",
            DraftStatus::InReview => "审核中",
            DraftStatus::Returned => "退回修改",
            DraftStatus::Disputed => "协调中",
            DraftStatus::Approved => "审核通过",
            DraftStatus::Decided => "已作出决定",
        }
    }
}

/// Chinese label.
impl Label for DisputeOutcome {
    fn label(self) -> &'static str {
        match self {
            DisputeOutcome::Upheld => "维持审核意见",
            DisputeOutcome::Overturned => "采纳承办单位意见",
        }
    }
}

/// Chinese label.
impl Label for AccessAction {
    fn label(self) -> &'static str {
        match self {
            AccessAction::ViewRecord => "查看记录",
            AccessAction::ViewOriginal => "查看原件",
            AccessAction::PlayRecording => "播放录音",
            AccessAction::Export => "导出",
        }
    }
}

/// The agency history's words for an uploaded flow chart or service guide.
pub fn document_added_detail(d: &PublicDocument) -> String {
    format!(
        "上传{}《{}》（{}，{} 字节，SHA-256 {}）",
        d.kind.label(),
        d.title,
        d.file_name,
        d.size,
        d.sha256
    )
}

/// The agency history's words for a year's appeal numbers of one kind.
pub fn appeals_detail(year: i32, kind: AppealKind, n: &AppealCounts) -> String {
    format!(
        "{year} 年{}：受理 {}，维持/驳回 {}，撤销/变更/确认违法 {}，其他 {}",
        kind.label(),
        n.total,
        n.upheld,
        n.corrected,
        n.other
    )
}

/// Chinese name of a role.
pub fn role_label(role: Role) -> &'static str {
    match role {
        Role::Officer => "执法人员",
        Role::Supervisor => "审核人员",
        Role::LegalReviewer => "法制审核人员",
        Role::Admin => "管理员",
    }
}
