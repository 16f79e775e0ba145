import XCTest
import LiuhenCore
@testable import LiuhenAppLogic

final class InspectionFlowTests: XCTestCase {
    private let twoOfficers = [Fixture.member("o1", "张三"), Fixture.member("o2", "李四")]

    func testNewInspectionStartsAtCheckIn() {
        let flow = InspectionFlowState(view: Fixture.inspection(), unmet: [
            RuleViolation(rule: "R-SCENE-2", message: "R-SCENE-2: 签到执法人员少于两名"),
        ])
        XCTAssertEqual(flow.current, .checkIn)
        XCTAssertEqual(flow.progress(of: .checkIn), .notStarted)
    }

    func testOneOfficerCheckedInIsIncompleteWithTheCoresRule() {
        let rule = RuleViolation(rule: "R-SCENE-2", message: "R-SCENE-2: 签到执法人员少于两名")
        let flow = InspectionFlowState(view: Fixture.inspection(team: [Fixture.member("o1", "张三")]), unmet: [rule])
        XCTAssertEqual(flow.progress(of: .checkIn), .incomplete(rules: [rule]))
        XCTAssertEqual(flow.resumeStep, .checkIn)
    }

    func testKilledDuringIdentityNoticeResumesThere() {
        // Both checked in (the core reports nothing for check-in), no notice yet.
        let flow = InspectionFlowState(view: Fixture.inspection(team: twoOfficers), unmet: [
            RuleViolation(rule: "R-SCENE-3", message: "尚未出示执法证件、表明身份"),
            RuleViolation(rule: "R-SCENE-4", message: "尚未告知"),
        ])
        XCTAssertEqual(flow.progress(of: .checkIn), .done)
        XCTAssertEqual(flow.current, .identityNotice)
    }

    func testFindingsAreOfferedAfterTheNoticeAndPassedOverOnceRightsNoticeIsGiven() {
        var flow = InspectionFlowState(
            view: Fixture.inspection(team: twoOfficers, identityNotice: Fixture.notice), unmet: [
                RuleViolation(rule: "R-SCENE-4", message: "尚未告知"),
            ])
        XCTAssertEqual(flow.current, .findings)
        flow.update(view: Fixture.inspection(team: twoOfficers, identityNotice: Fixture.notice, rightsNotice: Fixture.rights), unmet: [])
        XCTAssertEqual(flow.resumeStep, .close)
        XCTAssertTrue(flow.readyToClose)
    }

    func testUnmetRulesAreRoutedToTheStepThatFixesThem() {
        XCTAssertEqual(FlowStep.fixing(rule: "R-SCENE-1"), .checkIn)
        XCTAssertEqual(FlowStep.fixing(rule: "R-RAND-2"), .checkIn)
        XCTAssertEqual(FlowStep.fixing(rule: "R-REC-2"), .identityNotice)
        XCTAssertEqual(FlowStep.fixing(rule: "R-REC-3"), .identityNotice)
        XCTAssertEqual(FlowStep.fixing(rule: "R-SCENE-4"), .rightsNotice)
        XCTAssertEqual(FlowStep.fixing(rule: "R-REC-5"), .findings)
        XCTAssertEqual(FlowStep.fixing(rule: "R-XYZ-9"), .close)
    }

    func testCloseListsEveryUnmetRuleWithItsId() {
        let flow = InspectionFlowState(view: Fixture.inspection(team: twoOfficers), unmet: [
            RuleViolation(rule: "R-SCENE-3", message: "尚未出示执法证件、表明身份（亮证告知未录制）"),
            RuleViolation(rule: "R-SCENE-4", message: "R-SCENE-4: 尚未告知当事人"),
        ], current: .close)
        XCTAssertEqual(flow.unmetLines, [
            "R-SCENE-3：尚未出示执法证件、表明身份（亮证告知未录制）",
            "R-SCENE-4: 尚未告知当事人",
        ])
        XCTAssertFalse(flow.readyToClose)
        XCTAssertEqual(flow.progress(of: .close), .incomplete(rules: flow.unmet))
    }

    func testClosedInspectionOpensOnClose() {
        let flow = InspectionFlowState(view: Fixture.inspection(team: twoOfficers, closedAt: Fixture.t0), unmet: [])
        XCTAssertTrue(flow.isClosed)
        XCTAssertEqual(flow.current, .close)
        XCTAssertEqual(flow.progress(of: .close), .done)
        XCTAssertFalse(flow.readyToClose)
    }

    func testPhotosNotInAFindingAreOfferedForTheNextFinding() {
        let view = Fixture.inspection(
            team: twoOfficers,
            findings: [FindingView(id: "f1", text: "排放口无标志牌", author: "o1", at: Fixture.t0, evidence: ["p1"])],
            evidence: [
                Fixture.evidence("p1", .photo, step: .findings),
                Fixture.evidence("p2", .photo, step: .findings),
                Fixture.evidence("a1", .audio, step: .identityNotice),
            ])
        let flow = InspectionFlowState(view: view, unmet: [])
        XCTAssertEqual(flow.unattachedPhotos.map(\.sha256), ["p2"])
    }

    func testCheckInRowsShowTheTaskOfficersAndAnyoneElseCheckedIn() {
        let flow = InspectionFlowState(view: Fixture.inspection(team: [Fixture.member("o1", "张三"), Fixture.member("o9", "赵六")]), unmet: [])
        let rows = flow.checkInRows(assigned: [Fixture.officer("o1", "张三"), Fixture.officer("o2", "李四")])
        XCTAssertEqual(rows.map(\.officerId), ["o1", "o2", "o9"])
        XCTAssertNotNil(rows[0].checkedInAt)
        XCTAssertEqual(rows[1].status, "未签到")
    }

    func testNextAndBackStayWithinTheSteps() {
        var flow = InspectionFlowState(view: Fixture.inspection(), unmet: [], current: .checkIn)
        flow.back()
        XCTAssertEqual(flow.current, .checkIn)
        for _ in 0..<10 { flow.next() }
        XCTAssertEqual(flow.current, .close)
    }
}
