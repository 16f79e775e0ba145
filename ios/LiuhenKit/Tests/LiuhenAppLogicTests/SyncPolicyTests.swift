import XCTest
import LiuhenCore
@testable import LiuhenAppLogic

final class SyncPolicyTests: XCTestCase {
    private let now = Fixture.t0
    private let revoked = ErrorPresenter.present(LiuhenError.ReEnrollRequired(code: "token_revoked", detail: "设备令牌已被吊销"))

    func testRunsOnEveryTriggerWhenNothingIsWrong() {
        for trigger: SyncTrigger in [.appActive, .connectivityRestored, .inspectionClosed, .periodic, .background, .userRequested] {
            var p = SyncPolicy()
            XCTAssertEqual(p.decide(trigger, now: now), .run, "\(trigger)")
        }
    }

    func testBacksOffExponentiallyWhileOfflineUpToTheMaximum() {
        var p = SyncPolicy()
        XCTAssertEqual(p.delay(afterFailures: 1), 30)
        XCTAssertEqual(p.delay(afterFailures: 2), 60)
        XCTAssertEqual(p.delay(afterFailures: 3), 120)
        XCTAssertEqual(p.delay(afterFailures: 50), 30 * 60)

        var t = now
        for n in 1...8 {
            XCTAssertEqual(p.decide(.periodic, now: t), .run)
            p.started()
            p.finished(.offline, now: t)
            XCTAssertEqual(p.consecutiveFailures, n)
            let wait = p.delay(afterFailures: n)
            XCTAssertEqual(p.decide(.inspectionClosed, now: t.addingTimeInterval(wait - 1)), .wait(until: t.addingTimeInterval(wait)))
            t = t.addingTimeInterval(wait)
        }
    }

    func testConnectivityRestoredSkipsTheBackoff() {
        var p = SyncPolicy()
        p.started()
        p.finished(.offline, now: now)
        XCTAssertEqual(p.decide(.connectivityLost, now: now), .waitForNetwork)
        XCTAssertEqual(p.decide(.periodic, now: now.addingTimeInterval(3600)), .waitForNetwork)
        XCTAssertEqual(p.decide(.connectivityRestored, now: now.addingTimeInterval(5)), .run)
    }

    func testUserRequestIgnoresBackoffAndMissingPath() {
        var p = SyncPolicy()
        p.started()
        p.finished(.offline, now: now)
        _ = p.decide(.connectivityLost, now: now)
        XCTAssertEqual(p.decide(.userRequested, now: now.addingTimeInterval(1)), .run)
    }

    func testRevokedTokenStopsEverythingUntilEnrolled() {
        var p = SyncPolicy()
        p.started()
        p.finished(.reEnrollRequired(revoked), now: now)
        for trigger: SyncTrigger in [.appActive, .connectivityRestored, .inspectionClosed, .periodic, .background, .userRequested] {
            XCTAssertEqual(p.decide(trigger, now: now.addingTimeInterval(86_400)), .blocked(revoked), "\(trigger)")
        }
        p.enrolled()
        XCTAssertEqual(p.decide(.periodic, now: now), .run)
    }

    func testOneRunAtATime() {
        var p = SyncPolicy()
        XCTAssertEqual(p.decide(.userRequested, now: now), .run)
        p.started()
        XCTAssertEqual(p.decide(.userRequested, now: now), .alreadyRunning)
        p.finished(.finished(pendingLeft: 0, needsAttention: 0), now: now)
        XCTAssertEqual(p.decide(.inspectionClosed, now: now), .run)
    }

    func testPeriodicWaitsForTheIntervalAfterASuccess() {
        var p = SyncPolicy()
        p.started()
        p.finished(.finished(pendingLeft: 0, needsAttention: 0), now: now)
        XCTAssertEqual(p.decide(.periodic, now: now.addingTimeInterval(60)), .wait(until: now.addingTimeInterval(15 * 60)))
        XCTAssertEqual(p.decide(.inspectionClosed, now: now.addingTimeInterval(60)), .run)
        XCTAssertEqual(p.decide(.periodic, now: now.addingTimeInterval(15 * 60)), .run)
    }

    func testNextBackgroundRunRespectsBackoff() {
        var p = SyncPolicy()
        XCTAssertEqual(p.nextBackgroundRun(now: now), now.addingTimeInterval(30 * 60))
        for _ in 0..<10 { p.started(); p.finished(.offline, now: now) }
        XCTAssertEqual(p.nextBackgroundRun(now: now), now.addingTimeInterval(30 * 60))
    }

    func testOutcomeOfErrors() {
        XCTAssertEqual(SyncOutcome.of(LiuhenError.Offline(detail: "d")), .offline)
        if case .reEnrollRequired = SyncOutcome.of(LiuhenError.ReEnrollRequired(code: "c", detail: "d")) {} else { XCTFail() }
        if case .notEnrolled = SyncOutcome.of(LiuhenError.NotEnrolled(detail: "d")) {} else { XCTFail() }
        if case .failed = SyncOutcome.of(LiuhenError.StorageFull(detail: "d")) {} else { XCTFail() }
    }
}
