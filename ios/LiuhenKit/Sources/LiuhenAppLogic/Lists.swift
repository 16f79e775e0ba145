import Foundation
import LiuhenCore

/// How a sync status is drawn (the view picks colours from the tone).
public enum StatusTone: Equatable, Sendable {
    /// Waiting (grey).
    case waiting
    /// In progress (blue).
    case busy
    /// Done (green).
    case done
    /// Needs the officer (orange).
    case attention
}

extension SyncStatus {
    /// The label on the record row: 待同步 / 同步中 / 已同步 / 需处理.
    public var label: String {
        switch self {
        case .pending: return "待同步"
        case .syncing: return "同步中"
        case .synced: return "已同步"
        case .needsAttention: return "需处理"
        }
    }

    /// How the label is drawn.
    public var tone: StatusTone {
        switch self {
        case .pending: return .waiting
        case .syncing: return .busy
        case .synced: return .done
        case .needsAttention: return .attention
        }
    }
}

/// Date and time as shown on every screen (China time, 24-hour clock).
public enum Display {
    /// `2026-03-05 14:07`.
    public static func dateTime(_ date: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "zh_CN")
        f.timeZone = TimeZone(identifier: "Asia/Shanghai")
        f.dateFormat = "yyyy-MM-dd HH:mm"
        return f.string(from: date)
    }
}

/// One row of the record list.
public struct RecordRow: Identifiable, Equatable, Sendable {
    /// Inspection id.
    public var id: String
    /// Target name.
    public var title: String
    /// “已结束” or “进行中” and the time of the last change.
    public var subtitle: String
    /// The sync label.
    public var statusLabel: String
    /// Its tone.
    public var tone: StatusTone
    /// Why it needs the officer, or why it is still waiting.
    public var reason: String?
}

/// The record list screen: every record with its sync state, the 立即同步 button and
/// a summary line.
public struct RecordListState: Equatable, Sendable {
    /// Rows, latest change first (as the core orders them).
    public var rows: [RecordRow]
    /// Whether a sync run is under way (the button shows progress).
    public var syncing: Bool
    /// Records not yet on the server.
    public var waitingCount: Int
    /// Records the server refused.
    public var attentionCount: Int

    /// Builds the screen from the core's snapshot. `blockedForReEnrollment` comes
    /// from the sync policy (the token was revoked).
    public init(snapshot: RecordsSnapshot, blockedForReEnrollment: Bool = false) {
        rows = snapshot.records.map { r in
            RecordRow(
                id: r.id,
                title: r.targetName.isEmpty ? "（未命名检查对象）" : r.targetName,
                subtitle: "\(r.closed ? "已结束" : "进行中") · \(Display.dateTime(r.updatedAt))",
                statusLabel: r.syncStatus.label,
                tone: r.syncStatus.tone,
                reason: r.syncReason)
        }
        syncing = snapshot.syncing
        waitingCount = snapshot.records.filter { $0.syncStatus == .pending || $0.syncStatus == .syncing }.count
        attentionCount = snapshot.records.filter { $0.syncStatus == .needsAttention }.count
        self.blockedForReEnrollment = blockedForReEnrollment
    }

    /// Whether sync is stopped until the device is enrolled again.
    public var blockedForReEnrollment: Bool

    /// The line above the list.
    public var summary: String {
        if blockedForReEnrollment {
            return "同步已暂停：需要重新登记设备。\(waitingCount) 条记录保存在本设备，重新登记后自动同步。"
        }
        if syncing { return "正在同步…" }
        var parts: [String] = []
        if waitingCount > 0 { parts.append("\(waitingCount) 条记录待同步，联网后自动同步") }
        if attentionCount > 0 { parts.append("\(attentionCount) 条记录需处理") }
        return parts.isEmpty ? "全部记录已同步" : parts.joined(separator: "；")
    }

    /// Whether the 立即同步 button is enabled.
    public var canSyncNow: Bool { !syncing }

    /// Label of the button.
    public var syncButtonTitle: String { syncing ? "同步中…" : "立即同步" }
}

/// What the officer can do with a task.
public enum TaskState: Equatable, Sendable {
    /// No inspection yet: 开始检查.
    case notStarted
    /// An inspection is open on this device: 继续检查.
    case inProgress(inspectionId: String)
    /// Closed on site: 查看记录.
    case closed(inspectionId: String)
    /// Cancelled by the agency.
    case cancelled(reason: String?)

    /// Label of the row's badge.
    public var label: String {
        switch self {
        case .notStarted: return "未开始"
        case .inProgress: return "进行中"
        case .closed: return "已结束"
        case .cancelled: return "已取消"
        }
    }
}

/// One row of the task list.
public struct TaskRow: Identifiable, Equatable, Sendable {
    /// Task id.
    public var id: String
    /// Target name.
    public var title: String
    /// Target address.
    public var address: String
    /// Item name.
    public var item: String
    /// “双随机抽查” or “指派任务”.
    public var source: String
    /// Assigned officers, e.g. “张三、李四”.
    public var officers: String
    /// “截止 2026-03-31”.
    public var due: String
    /// State.
    public var state: TaskState
}

/// The task list screen, from the core's tasks and records.
public struct TaskListState: Equatable, Sendable {
    /// Rows: open tasks first (by due date), then cancelled ones.
    public var rows: [TaskRow]
    /// Shown when the list is empty.
    public var emptyMessage: String

    /// Builds the rows.
    public init(tasks: [TaskView], records: [RecordSummary]) {
        let closed = Set(records.filter(\.closed).map(\.id))
        rows = tasks.map { t in
            let state: TaskState
            if t.cancelled {
                state = .cancelled(reason: t.note)
            } else if let id = t.inspectionId {
                state = closed.contains(id) ? .closed(inspectionId: id) : .inProgress(inspectionId: id)
            } else {
                state = .notStarted
            }
            let names = zip(t.officerIds, t.officerNames).map { $1.isEmpty ? $0 : $1 }
            return TaskRow(
                id: t.id,
                title: t.targetName.isEmpty ? t.targetId : t.targetName,
                address: t.targetAddress,
                item: t.itemName,
                source: t.fromDraw ? "双随机抽查" : "指派任务",
                officers: names.joined(separator: "、"),
                due: "截止 \(t.dueDate)",
                state: state)
        }
        .sorted { a, b in
            let ac = a.state.isCancelled, bc = b.state.isCancelled
            if ac != bc { return !ac }
            return a.due < b.due
        }
        emptyMessage = "暂无检查任务。任务由双随机抽取或指派后，联网同步即可收到。"
    }
}

extension TaskState {
    var isCancelled: Bool {
        if case .cancelled = self { return true }
        return false
    }
}
