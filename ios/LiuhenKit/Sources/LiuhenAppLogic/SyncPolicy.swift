import Foundation
import LiuhenCore

/// Why a sync is being considered.
public enum SyncTrigger: Equatable, Sendable {
    /// The app came to the foreground or started.
    case appActive
    /// The network path became usable (NWPathMonitor).
    case connectivityRestored
    /// The network path went away.
    case connectivityLost
    /// An inspection was just closed on site.
    case inspectionClosed
    /// The periodic timer (foreground) fired.
    case periodic
    /// The system ran the background task (BGTaskScheduler).
    case background
    /// The officer pressed 立即同步.
    case userRequested
}

/// What the policy says to do.
public enum SyncDecision: Equatable, Sendable {
    /// Run `syncNow` now.
    case run
    /// Do not run before this time (backing off after failures, or one is running).
    case wait(until: Date)
    /// Do not run: there is no network path; it runs when the path comes back.
    case waitForNetwork
    /// Do not run: the device must be enrolled (again) first. Records are kept.
    case blocked(ErrorPresentation)
    /// A run is already under way.
    case alreadyRunning
}

/// How a sync run ended, as far as the policy cares.
public enum SyncOutcome: Equatable, Sendable {
    /// The run finished; `pendingLeft` records are still waiting (e.g. an upload
    /// failed) and `needsAttention` were refused by the server.
    case finished(pendingLeft: Int, needsAttention: Int)
    /// No network or server down: back off and retry (records are kept).
    case offline
    /// Token revoked or device unknown: stop until the device is enrolled again.
    case reEnrollRequired(ErrorPresentation)
    /// Not enrolled at all.
    case notEnrolled(ErrorPresentation)
    /// Any other error; retrying the same thing soon is unlikely to help.
    case failed(ErrorPresentation)

    /// The outcome of a thrown error.
    public static func of(_ error: Error) -> SyncOutcome {
        let p = ErrorPresenter.present(error)
        switch error as? LiuhenError {
        case .Offline?: return .offline
        case .ReEnrollRequired?: return .reEnrollRequired(p)
        case .NotEnrolled?: return .notEnrolled(p)
        default: return .failed(p)
        }
    }
}

/// When to sync: on connectivity, after a close, periodically, on request; backing
/// off exponentially while offline; stopped (and asking to re-enrol) when the token
/// was revoked. A plain value: every decision is a function of its state and `now`.
public struct SyncPolicy: Equatable, Sendable {
    /// First wait after a failed run.
    public var baseDelay: TimeInterval = 30
    /// Longest wait between tries while offline.
    public var maxDelay: TimeInterval = 30 * 60
    /// Interval of the periodic sync while the app is in the foreground.
    public var periodicInterval: TimeInterval = 15 * 60
    /// Earliest start of the next background task.
    public var backgroundInterval: TimeInterval = 30 * 60

    /// Failed runs in a row (offline or other errors).
    public private(set) var consecutiveFailures = 0
    /// Not before this time, after failures.
    public private(set) var notBefore: Date?
    /// Set when the server no longer accepts the device: sync stops until enrolment.
    public private(set) var blocked: ErrorPresentation?
    /// Whether a run is under way.
    public private(set) var running = false
    /// Whether the last known network path is usable (assumed until told otherwise).
    public private(set) var networkAvailable = true
    /// The last run that finished without error.
    public private(set) var lastSuccess: Date?

    /// A policy with the default timings.
    public init() {}

    /// What to do for `trigger` at `now`.
    public mutating func decide(_ trigger: SyncTrigger, now: Date) -> SyncDecision {
        switch trigger {
        case .connectivityLost:
            networkAvailable = false
            return .waitForNetwork
        case .connectivityRestored:
            networkAvailable = true
            // The network is back: what failed offline can go now.
            notBefore = nil
        default:
            break
        }
        if let b = blocked { return .blocked(b) }
        if running { return .alreadyRunning }
        if trigger == .userRequested { return .run }
        if !networkAvailable && trigger != .background { return .waitForNetwork }
        if let nb = notBefore, now < nb { return .wait(until: nb) }
        if trigger == .periodic, let last = lastSuccess, now < last.addingTimeInterval(periodicInterval) {
            return .wait(until: last.addingTimeInterval(periodicInterval))
        }
        return .run
    }

    /// Marks the start of a run (call when `decide` said `.run`).
    public mutating func started() { running = true }

    /// Records how a run ended.
    public mutating func finished(_ outcome: SyncOutcome, now: Date) {
        running = false
        switch outcome {
        case .finished:
            consecutiveFailures = 0
            notBefore = nil
            lastSuccess = now
        case .offline, .failed:
            consecutiveFailures += 1
            notBefore = now.addingTimeInterval(delay(afterFailures: consecutiveFailures))
        case let .reEnrollRequired(p), let .notEnrolled(p):
            blocked = p
        }
    }

    /// The device was enrolled (again): sync may go on, at once.
    public mutating func enrolled() {
        blocked = nil
        consecutiveFailures = 0
        notBefore = nil
    }

    /// Wait after `n` failures in a row: base, 2×base, 4×base, …, at most `maxDelay`.
    public func delay(afterFailures n: Int) -> TimeInterval {
        guard n > 0 else { return 0 }
        let factor = pow(2.0, Double(min(n - 1, 20)))
        return min(baseDelay * factor, maxDelay)
    }

    /// When the next background task should run at the earliest.
    public func nextBackgroundRun(now: Date) -> Date {
        max(notBefore ?? now, now.addingTimeInterval(backgroundInterval))
    }
}
