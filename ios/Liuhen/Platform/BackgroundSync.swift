import BackgroundTasks
import Foundation
import LiuhenAppLogic
import Network

/// Background sync: a `BGAppRefreshTask` (app refresh runs regularly; a
/// `BGProcessingTask` rarely runs, issue 21), and an NWPathMonitor that triggers a sync
/// when the network path becomes usable. Every decision goes through the app's
/// `SyncCoordinator` (backoff, stop on a revoked token).
enum BackgroundSync {
    /// Must match BGTaskSchedulerPermittedIdentifiers in Info.plist (checked by
    /// scripts/check-mobile.sh).
    static let taskIdentifier = "cn.liuhen.field.sync"

    /// Registers the task handler. Call from `application(_:didFinishLaunchingWithOptions:)`,
    /// before launch finishes (BGTaskScheduler requires it).
    static func register(coordinator: @escaping @Sendable () async -> SyncCoordinator?) {
        _ = BGTaskScheduler.shared.register(forTaskWithIdentifier: taskIdentifier, using: nil) { task in
            guard let refresh = task as? BGAppRefreshTask else {
                task.setTaskCompleted(success: false)
                return
            }
            let handle = RefreshTaskHandle(refresh)
            let work = Task { await BackgroundSync.run(handle, coordinator: coordinator) }
            refresh.expirationHandler = {
                // The core keeps what it synced so far; the rest stays pending.
                work.cancel()
                handle.complete(success: false)
            }
        }
    }

    private static func run(
        _ handle: RefreshTaskHandle, coordinator: @Sendable () async -> SyncCoordinator?
    ) async {
        guard let sync = await coordinator() else {
            handle.complete(success: false)
            return
        }
        let (decision, banner) = await sync.trigger(.background)
        schedule(earliest: await sync.nextBackgroundRun())
        handle.complete(success: decision == .run && banner?.problem == nil)
    }

    /// Asks the system for the next background run (replaces a pending request).
    static func schedule(earliest: Date) {
        let request = BGAppRefreshTaskRequest(identifier: taskIdentifier)
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

/// The system's task, shared between the sync and the expiration handler. BGTask is
/// not marked Sendable, which Swift 6 warned about when the task was captured by the
/// `Task {}` closure; its methods may be called from any thread (Apple's docs), and
/// this wrapper makes sure `setTaskCompleted` is called exactly once under a lock.
final class RefreshTaskHandle: @unchecked Sendable {
    private let task: BGAppRefreshTask
    private let lock = NSLock()
    private var completed = false

    init(_ task: BGAppRefreshTask) { self.task = task }

    /// Reports the outcome; later calls do nothing.
    func complete(success: Bool) {
        lock.lock()
        defer { lock.unlock() }
        guard !completed else { return }
        completed = true
        task.setTaskCompleted(success: success)
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
