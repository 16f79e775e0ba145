import XCTest
import LiuhenCore
@testable import LiuhenAppLogic

final class ErrorPresentationTests: XCTestCase {
    func testRevokedTokenSendsToEnrollmentAndSaysRecordsAreKept() {
        let p = ErrorPresenter.present(LiuhenError.ReEnrollRequired(code: "token_revoked", detail: "设备令牌已被吊销"))
        XCTAssertEqual(p.action, .goToEnrollment)
        XCTAssertTrue(p.recordsKept)
        XCTAssertTrue(p.message.contains("保留"), p.message)
        XCTAssertTrue(p.message.contains("重新登记"), p.message)
    }

    func testOfflineSaysSavedAndSyncsLater() {
        let p = ErrorPresenter.present(LiuhenError.Offline(detail: "无法连接服务器"))
        XCTAssertEqual(p.title, "已保存，联网后自动同步")
        XCTAssertEqual(p.action, .waitForNetwork)
    }

    func testStorageFullFromCoreAndFromAppFileWrites() {
        let core = ErrorPresenter.present(LiuhenError.StorageFull(detail: "存储空间不足"))
        XCTAssertEqual(core.action, .freeStorage)
        XCTAssertTrue(core.message.contains("之前保存的记录完好"))

        let cocoa = NSError(domain: NSCocoaErrorDomain, code: 640)
        XCTAssertEqual(ErrorPresenter.present(cocoa).action, .freeStorage)
        let posix = NSError(domain: NSPOSIXErrorDomain, code: Int(ENOSPC))
        XCTAssertEqual(ErrorPresenter.present(posix).action, .freeStorage)
        let wrapped = NSError(domain: NSCocoaErrorDomain, code: 512, userInfo: [NSUnderlyingErrorKey: posix])
        XCTAssertEqual(ErrorPresenter.present(wrapped).action, .freeStorage)
    }

    func testRuleNotMetCitesTheRule() {
        let p = ErrorPresenter.present(LiuhenError.RuleNotMet(rule: "R-SCENE-1", detail: "执法证已过期"))
        XCTAssertEqual(p.ruleIds, ["R-SCENE-1"])
        XCTAssertTrue(p.message.hasPrefix("R-SCENE-1"), p.message)
        XCTAssertTrue(p.title.contains("R-SCENE-1"))
    }

    func testCloseRefusedListsEveryUnmetRule() {
        let violations = [
            RuleViolation(rule: "R-SCENE-2", message: "R-SCENE-2: 签到执法人员少于两名"),
            RuleViolation(rule: "R-SCENE-4", message: "尚未告知当事人执法事由、依据、权利义务和救济途径"),
        ]
        let p = ErrorPresenter.present(LiuhenError.CloseRefused(violations: violations, detail: "不能结束检查"))
        XCTAssertEqual(p.action, .showUnmetRules)
        XCTAssertEqual(p.ruleIds, ["R-SCENE-2", "R-SCENE-4"])
        XCTAssertEqual(p.unmetRules, violations)
        XCTAssertTrue(p.message.contains("R-SCENE-2: 签到执法人员少于两名"))
        XCTAssertTrue(p.message.contains("R-SCENE-4：尚未告知"), p.message)
        XCTAssertTrue(p.title.contains("2 项"))
    }

    func testTaskAlreadyOpenOffersToContinue() {
        let p = ErrorPresenter.present(LiuhenError.TaskAlreadyOpen(taskId: "t1", inspectionId: "i9", detail: "已有检查"))
        XCTAssertEqual(p.action, .continueInspection(inspectionId: "i9"))
    }

    func testClosedInspectionOffersAmendment() {
        let p = ErrorPresenter.present(LiuhenError.InspectionClosed(inspectionId: "i1", detail: "检查已结束"))
        XCTAssertEqual(p.action, .addAmendment(inspectionId: "i1"))
        XCTAssertEqual(p.ruleIds, ["R-REC-5"])
    }

    func testInvalidInputNamesTheField() {
        let p = ErrorPresenter.present(LiuhenError.InvalidInput(field: "finding.text", detail: "检查情况不能为空"))
        XCTAssertEqual(p.field, "finding.text")
        XCTAssertEqual(p.action, .dismiss)
    }

    func testEveryCaseHasAChineseMessageAndTitle() {
        let all: [LiuhenError] = [
            .InvalidInput(field: "f", detail: "d"), .RuleNotMet(rule: "R-SCENE-3", detail: "d"),
            .CloseRefused(violations: [], detail: "d"), .InspectionClosed(inspectionId: "i", detail: "d"),
            .NotApplicable(detail: "d"), .TaskAlreadyOpen(taskId: "t", inspectionId: "i", detail: "d"),
            .TaskCancelled(taskId: "t", reason: "r", detail: "d"), .NotFound(what: "任务", id: "t", detail: "d"),
            .NoRoster(detail: "d"), .EvidenceRefused(detail: "d"), .StorageFull(detail: "d"),
            .DataDamaged(detail: "d"), .UpgradeRequired(detail: "d"), .NotEnrolled(detail: "d"),
            .ReEnrollRequired(code: "c", detail: "d"), .Offline(detail: "d"),
            .ServerRejected(status: 422, code: "c", detail: "d"), .Internal(detail: "d"),
        ]
        for e in all {
            let p = ErrorPresenter.present(e)
            XCTAssertFalse(p.title.isEmpty, "\(e)")
            XCTAssertTrue(p.message.contains("d"), "\(e): the core's detail is shown")
            XCTAssertNotNil(p.title.range(of: "\\p{Han}", options: .regularExpression), "\(e): title in Chinese")
        }
        XCTAssertEqual(ErrorPresenter.present(LiuhenError.NoRoster(detail: "d")).action, .syncFirst)
        XCTAssertEqual(ErrorPresenter.present(LiuhenError.UpgradeRequired(detail: "d")).action, .upgradeApp)
        XCTAssertEqual(ErrorPresenter.present(LiuhenError.NotEnrolled(detail: "d")).action, .goToEnrollment)
    }

    func testPermissionDeniedErrorExplainsSettings() {
        let p = ErrorPresenter.present(PermissionDeniedError(permission: .microphone))
        XCTAssertEqual(p.action, .openSettings)
        XCTAssertTrue(p.message.contains("设置"))
    }
}
