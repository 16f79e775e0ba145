import Foundation
import LiuhenCore

/// A local notification the app posts after a sync (UNUserNotificationCenter).
public struct AppNotification: Equatable, Sendable {
    /// Stable identifier (replaces an earlier notification of the same thing).
    public var id: String
    /// Title.
    public var title: String
    /// Body.
    public var body: String
    /// Task or inspection id to open when tapped.
    public var target: String
}

/// Decides which notifications a sync brings: tasks new to this device (drawn by
/// 双随机 or assigned), and records a supervisor returned (退回补正). Each is posted
/// once: the ids already notified are remembered by the caller.
public enum NotificationPlanner {
    /// Notifications for the tasks and records after a sync; `known` holds ids of
    /// tasks already seen and returns already notified (they are not repeated).
    public static func plan(
        tasksBefore: [TaskView], tasksAfter: [TaskView], returned: [InspectionView], known: Set<String>
    ) -> [AppNotification] {
        var out: [AppNotification] = []
        let before = Set(tasksBefore.map(\.id))
        let new = tasksAfter.filter { !$0.cancelled && !before.contains($0.id) && !known.contains("task:\($0.id)") }
        if new.count > 3 {
            let drawn = new.filter(\.fromDraw).count
            out.append(AppNotification(
                id: "tasks:\(new.map(\.id).sorted().joined(separator: ","))",
                title: "收到 \(new.count) 项新检查任务",
                body: drawn > 0 ? "其中 \(drawn) 项为双随机抽取，请在截止日前完成。" : "请在截止日前完成。",
                target: ""))
        } else {
            for t in new {
                out.append(AppNotification(
                    id: "task:\(t.id)",
                    title: t.fromDraw ? "双随机抽取的新检查任务" : "新的检查任务",
                    body: "\(t.targetName.isEmpty ? t.targetId : t.targetName) · \(t.itemName) · 截止 \(t.dueDate)",
                    target: t.id))
            }
        }
        for v in returned where !known.contains("returned:\(v.id)") {
            guard v.reviewVerdict == .returned else { continue }
            let note = v.reviewComments.last?.text ?? "请查看审核意见。"
            out.append(AppNotification(
                id: "returned:\(v.id)",
                title: "检查记录被退回补正",
                body: "\(v.targetName)：\(note)",
                target: v.id))
        }
        return out
    }

    /// The ids to remember after posting `notifications` for `tasksAfter`.
    public static func remembered(_ notifications: [AppNotification], tasksAfter: [TaskView]) -> Set<String> {
        var ids = Set(tasksAfter.map { "task:\($0.id)" })
        for n in notifications where n.id.hasPrefix("returned:") { ids.insert(n.id) }
        return ids
    }
}
