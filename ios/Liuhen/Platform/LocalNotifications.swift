import Foundation
import LiuhenAppLogic
import LiuhenCore
import UserNotifications

/// Posts the notifications a sync brings (new tasks from draws or assignment, records
/// returned by a supervisor), each once; `NotificationPlanner` decides which.
@MainActor
enum LocalNotifications {
    private static let knownKey = "liuhen.notified"

    /// Asks for permission once (alerts and sounds); a refusal only means no banners.
    static func requestPermission() {
        UNUserNotificationCenter.current().requestAuthorization(options: [.alert, .sound, .badge]) { _, _ in }
    }

    /// Plans and posts after a sync.
    static func afterSync(core: LiuhenCore, tasksBefore: [TaskView], tasksAfter: [TaskView]) {
        let defaults = UserDefaults.standard
        let known = Set(defaults.stringArray(forKey: knownKey) ?? [])
        let records = (try? core.records(pendingOnly: false)) ?? []
        let returned = records.prefix(200).compactMap { r -> InspectionView? in
            guard let v = try? core.inspection(id: r.id), v.reviewVerdict == .returned else { return nil }
            return v
        }
        // The first sync after enrolment brings every task: remember them silently.
        let firstRun = defaults.object(forKey: knownKey) == nil
        let planned = NotificationPlanner.plan(
            tasksBefore: tasksBefore, tasksAfter: tasksAfter, returned: Array(returned), known: known)
        if !firstRun {
            for n in planned {
                let content = UNMutableNotificationContent()
                content.title = n.title
                content.body = n.body
                content.userInfo = ["target": n.target]
                content.sound = .default
                UNUserNotificationCenter.current().add(UNNotificationRequest(identifier: n.id, content: content, trigger: nil))
            }
        }
        let remember = known.union(NotificationPlanner.remembered(planned, tasksAfter: tasksAfter))
        defaults.set(Array(remember).sorted(), forKey: knownKey)
    }
}
