import XCTest
import LiuhenCore
@testable import LiuhenAppLogic

/// A core whose sync answers are scripted: one per call, then `fallback` forever.
final class ScriptedCore: SyncingCore, @unchecked Sendable {
    private let lock = NSLock()
    private var script: [Result<SyncSummary, LiuhenError>]
    private var fallback: Result<SyncSummary, LiuhenError>
    private var callCount = 0

    init(_ script: [Result<SyncSummary, LiuhenError>] = [],
         fallback: Result<SyncSummary, LiuhenError> = .success(Fixture.summary())) {
        self.script = script
        self.fallback = fallback
    }

    /// Calls of `syncNow` so far.
    var calls: Int { locked { callCount } }

    /// Every later call answers `result`.
    func answerFromNowOn(_ result: Result<SyncSummary, LiuhenError>) {
        locked { script = []; fallback = result }
    }

    func syncNow() async throws -> SyncSummary {
        let next: Result<SyncSummary, LiuhenError> = locked {
            callCount += 1
            return script.isEmpty ? fallback : script.removeFirst()
        }
        return try next.get()
    }

    private func locked<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }
}

/// A clock the test moves by hand.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var t = Fixture.t0

    var now: Date {
        lock.lock()
        defer { lock.unlock() }
        return t
    }

    func advance(_ s: TimeInterval) {
        lock.lock()
        defer { lock.unlock() }
        t = t.addingTimeInterval(s)
    }
}

final class SyncCoordinatorTests: XCTestCase {
    func testOfflineForDaysKeepsBackingOffThenSyncsWhenTheNetworkReturns() async {
        let offline = LiuhenError.Offline(detail: "无法连接服务器。记录已保存在本设备，网络恢复后会自动同步")
        let core = ScriptedCore(fallback: .failure(offline))
        let clock = TestClock()
        let sync = SyncCoordinator(core: core, clock: { clock.now })

        // Three days of periodic timers, every 15 minutes.
        var runs = 0
        for _ in 0..<(3 * 24 * 4) {
            let (decision, banner) = await sync.trigger(.periodic)
            if decision == .run {
                runs += 1
                XCTAssertEqual(banner?.message, "已保存，联网后自动同步")
                XCTAssertNil(banner?.problem)
            }
            clock.advance(15 * 60)
        }
        // Backed off to the 30-minute maximum: far fewer runs than timer ticks.
        XCTAssertLessThan(runs, 3 * 24 * 4)
        XCTAssertGreaterThan(runs, 3 * 24)
        XCTAssertEqual(core.calls, runs)

        _ = await sync.trigger(.connectivityLost)
        core.answerFromNowOn(.success(Fixture.summary(synced: (0..<300).map { "r\($0)" })))
        let (decision, banner) = await sync.trigger(.connectivityRestored)
        XCTAssertEqual(decision, .run)
        XCTAssertEqual(banner?.message.hasPrefix("同步完成：300 条记录已上传"), true, banner?.message ?? "")
        let failures = await sync.policy.consecutiveFailures
        XCTAssertEqual(failures, 0)
    }

    func testRevokedTokenStopsSyncAndAsksToReEnrolThenResumes() async {
        let core = ScriptedCore([
            .failure(.ReEnrollRequired(code: "token_revoked", detail: "设备令牌已被吊销。本设备上的全部记录均已保留，请重新登记设备后再同步")),
        ])
        let sync = SyncCoordinator(core: core)
        let (_, banner) = await sync.trigger(.inspectionClosed)
        XCTAssertEqual(banner?.problem?.action, .goToEnrollment)
        XCTAssertTrue(banner?.problem?.message.contains("保留") ?? false)

        // Nothing more reaches the server, whatever triggers, until enrolment.
        for t: SyncTrigger in [.userRequested, .periodic, .connectivityRestored, .background] {
            let (d, _) = await sync.trigger(t)
            if case .blocked = d {} else { XCTFail("\(t) must be blocked, got \(d)") }
        }
        XCTAssertEqual(core.calls, 1)

        let (d, b) = await sync.enrolled()
        XCTAssertEqual(d, .run)
        XCTAssertNil(b?.problem)
        XCTAssertEqual(core.calls, 2)
    }

    func testSummaryMentionsWhatIsLeft() {
        let s = Fixture.summary(
            synced: ["a"], pending: [RecordProblem(id: "b", reason: "上传中断")],
            attention: [RecordProblem(id: "c", reason: "证据不一致")])
        let text = SyncCoordinator.describe(s)
        XCTAssertTrue(text.contains("1 条记录已上传"))
        XCTAssertTrue(text.contains("2 个证据文件已上传"))
        XCTAssertTrue(text.contains("审核意见"))
        XCTAssertTrue(text.contains("1 条仍待同步"))
        XCTAssertTrue(text.contains("1 条需处理"))
        XCTAssertFalse(text.contains("未全部同步完"))
    }

    func testSummaryOfARunCutAtItsRoundBoundSaysItGoesOn() {
        let text = SyncCoordinator.describe(Fixture.summary(synced: ["a"], complete: false))
        XCTAssertTrue(text.contains("本次未全部同步完，稍后自动继续"))
    }
}
