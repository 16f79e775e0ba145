import BackgroundTasks
import Foundation
import LiuhenAppLogic
import Network

/// Background sync: a BGProcessingTask that needs network, and an NWPathMonitor that
/// triggers a sync when the network path becomes usable. Every decision goes through
/// the app's `SyncCoordinator` (backoff, stop on a revoked token).
enum BackgroundSync {
    /// Must match BGTaskSchedulerPermittedIdentifiers in Info.plist.
    static let taskIdentifier = "cn.liuhen.field.sync"

    /// Registers the task handler. Call from `application(_:didFinishLaunchingWithOptions:)`,
    /// before launch finishes (BGTaskScheduler requires it).
    static func register(coordinator: @escaping @Sendable () async -> SyncCoordinator?) {
        _ = BGTaskScheduler.shared.register(forTaskWithIdentifier: taskIdentifier, using: nil) { task in
            guard let task = task as? BGProcessingTask else {
                task.setTaskCompleted(success: false)
                return
            }
            let work = Task {
                guard let sync = await coordinator() else {
                    task.setTaskCompleted(success: false)
                    return
                }
                let (decision, banner) = await sync.trigger(.background)
                schedule(earliest: await sync.nextBackgroundRun())
                let ok = decision == .run && banner?.problem == nil
                task.setTaskCompleted(success: ok)
            }
            task.expirationHandler = {
                // The core keeps what it synced so far; the rest stays pending.
                work.cancel()
            }
        }
    }

    /// Asks the system for the next background run (no-op if one is pending already).
    static func schedule(earliest: Date) {
        let request = BGProcessingTaskRequest(identifier: taskIdentifier)
        request.requiresNetworkConnectivity = true
        request.requiresExternalPower = false
        request.earliestBeginDate = earliest
        do {
            try BGTaskScheduler.shared.submit(request)
        } catch {
            // Unavailable in the simulator and when Background App Refresh is off;
            // the foreground triggers (network, timer, close, button) still sync.
            NSLog("liuhen: background sync not scheduled: \(error)")
        }
    }
}

/// Watches the network path and reports when it becomes usable or goes away.
final class ConnectivityMonitor: @unchecked Sendable {
    private let monitor = NWPathMonitor()
    private let queue = DispatchQueue(label: "cn.liuhen.field.path")
    private var lastSatisfied: Bool?

    /// Starts; `onChange(true)` when the path becomes satisfied, `false` when lost.
    func start(onChange: @escaping @Sendable (Bool) -> Void) {
        monitor.pathUpdateHandler = { [weak self] path in
            guard let self else { return }
            let satisfied = path.status == .satisfied
            if satisfied != self.lastSatisfied {
                self.lastSatisfied = satisfied
                onChange(satisfied)
            }
        }
        monitor.start(queue: queue)
    }

    /// Stops watching.
    func stop() { monitor.cancel() }
}
