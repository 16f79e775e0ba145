import Foundation
import LiuhenCore

/// The one call of the core the sync coordinator needs (the app passes its
/// `LiuhenCore`; tests pass a fake).
public protocol SyncingCore: AnyObject, Sendable {
    /// Runs one sync (`LiuhenCore.syncNow`).
    func syncNow() async throws -> SyncSummary
}

extension LiuhenCore: SyncingCore {}

/// What the screens show about sync after a run or a decision.
public struct SyncBanner: Equatable, Sendable {
    /// One line for the record list.
    public var message: String
    /// Set when the officer must act (re-enrol, upgrade, contact support).
    public var problem: ErrorPresentation?
}

/// Runs sync when the policy says so, one run at a time, and keeps the policy's
/// state. Every trigger (network back, close, timer, background task, button) goes
/// through `trigger(_:)`.
public actor SyncCoordinator {
    private let core: SyncingCore
    private let clock: @Sendable () -> Date
    /// The policy's current state.
    public private(set) var policy: SyncPolicy
    /// The last banner.
    public private(set) var banner: SyncBanner?

    /// A coordinator for `core`.
    public init(core: SyncingCore, policy: SyncPolicy = SyncPolicy(), clock: @escaping @Sendable () -> Date = { Date() }) {
        self.core = core
        self.policy = policy
        self.clock = clock
    }

    /// Considers a sync for `trigger` and runs it when the policy agrees. Returns the
    /// decision and, if it ran, the banner to show.
    @discardableResult
    public func trigger(_ trigger: SyncTrigger) async -> (SyncDecision, SyncBanner?) {
        let decision = policy.decide(trigger, now: clock())
        switch decision {
        case .run:
            break
        case let .blocked(p):
            let b = SyncBanner(message: p.title, problem: p)
            banner = b
            return (decision, b)
        case .waitForNetwork:
            let b = SyncBanner(message: "已保存，联网后自动同步", problem: nil)
            banner = b
            return (decision, b)
        case .wait, .alreadyRunning:
            return (decision, nil)
        }
        policy.started()
        let outcome: SyncOutcome
        let b: SyncBanner
        do {
            let s = try await core.syncNow()
            outcome = .finished(pendingLeft: s.stillPending.count, needsAttention: s.needsAttention.count)
            b = SyncBanner(message: Self.describe(s), problem: nil)
        } catch {
            outcome = SyncOutcome.of(error)
            switch outcome {
            case .offline:
                b = SyncBanner(message: "已保存，联网后自动同步", problem: nil)
            case let .reEnrollRequired(p), let .notEnrolled(p), let .failed(p):
                b = SyncBanner(message: p.title, problem: p)
            case .finished:
                b = SyncBanner(message: "", problem: nil)
            }
        }
        policy.finished(outcome, now: clock())
        banner = b
        return (decision, b)
    }

    /// The device was enrolled again: lift the stop and sync at once.
    @discardableResult
    public func enrolled() async -> (SyncDecision, SyncBanner?) {
        policy.enrolled()
        return await trigger(.userRequested)
    }

    /// When the next background task should run.
    public func nextBackgroundRun() -> Date { policy.nextBackgroundRun(now: clock()) }

    /// The summary line of a finished run.
    public static func describe(_ s: SyncSummary) -> String {
        var parts = ["同步完成：\(s.synced.count) 条记录已上传"]
        if s.blobsUploaded > 0 { parts.append("\(s.blobsUploaded) 个证据文件已上传") }
        let received = s.receivedNew.count + s.receivedChanges.count
        if received > 0 { parts.append("收到 \(received) 条更新（含审核意见）") }
        if !s.stillPending.isEmpty { parts.append("\(s.stillPending.count) 条仍待同步，稍后自动重试") }
        if !s.needsAttention.isEmpty { parts.append("\(s.needsAttention.count) 条需处理") }
        if !s.complete { parts.append("本次未全部同步完，稍后自动继续") }
        if let skew = s.clockSkewSeconds, abs(skew) > 300 {
            parts.append("手机时间与服务器相差约 \(abs(skew) / 60) 分钟，请校准手机时间")
        }
        return parts.joined(separator: "；")
    }
}
