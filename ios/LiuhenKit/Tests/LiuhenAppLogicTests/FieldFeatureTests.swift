import XCTest
import LiuhenCore
@testable import LiuhenAppLogic

final class LocationPolicyTests: XCTestCase {
    private let now = Fixture.t0
    private func fix(accuracy: Double = 8, age: TimeInterval = 10) -> LocationFix {
        LocationFix(latitude: 23.6312, longitude: 113.2405, accuracyMeters: accuracy, timestamp: now.addingTimeInterval(-age))
    }

    func testAFreshAccurateFixIsRecordedWithAccuracyAndAge() {
        let p = LocationPolicy.position(permission: .allowed, fix: fix(), now: now)
        XCTAssertEqual(p.lat, 23.6312)
        XCTAssertEqual(p.lon, 113.2405)
        XCTAssertEqual(p.note, "位置：±8 米，10 秒前定位")
    }

    func testTheRecordedLocationCarriesAccuracyAndFixTime() {
        let p = LocationPolicy.position(permission: .allowed, fix: fix(), now: now)
        XCTAssertEqual(
            p.location,
            CaptureLocation(lat: 23.6312, lon: 113.2405, accuracyM: 8, fixedAt: now.addingTimeInterval(-10)))
        XCTAssertNil(LocationPolicy.position(permission: .denied, fix: fix(), now: now).location)
        XCTAssertNil(LocationPolicy.position(permission: .allowed, fix: fix(accuracy: 0), now: now).location)
        XCTAssertEqual(LocationPolicy.recorded(nil), "未取得位置")
        XCTAssertTrue(LocationPolicy.recorded(p.location).hasPrefix("位置：北纬 23.63120，东经 113.24050，精度约 8 米，"))
    }

    func testACheckInRowSaysWhereOrThatNoPositionWasTaken() {
        let at = now.addingTimeInterval(-5)
        let located = TeamMemberView(
            officerId: "o1", name: "李明", certificateNo: "44180021001", checkedInAt: now,
            location: CaptureLocation(lat: 23.6312, lon: 113.2405, accuracyM: 6.4, fixedAt: at))
        let plain = TeamMemberView(officerId: "o2", name: "陈晓红", certificateNo: "44180021002", checkedInAt: now)
        var view = Fixture.inspection()
        view.team = [located, plain]
        let rows = InspectionFlowState(view: view, unmet: [], current: .checkIn).checkInRows(assigned: [])
        XCTAssertTrue(rows[0].position?.contains("精度约 6 米") == true)
        XCTAssertEqual(rows[1].position, "未取得位置")
    }

    func testStaleOrCoarseFixesAreNotRecorded() {
        XCTAssertNil(LocationPolicy.position(permission: .allowed, fix: fix(age: 600), now: now).lat)
        let coarse = LocationPolicy.position(permission: .allowed, fix: fix(accuracy: 1500), now: now)
        XCTAssertNil(coarse.lat)
        XCTAssertTrue(coarse.note.contains("精度不足"))
        XCTAssertNil(LocationPolicy.position(permission: .allowed, fix: fix(accuracy: -1), now: now).lat)
    }

    func testNoFixYetOfflineStillSavesEvidence() {
        let p = LocationPolicy.position(permission: .allowed, fix: nil, now: now)
        XCTAssertNil(p.lat)
        XCTAssertTrue(p.note.contains("无网络也可定位"))
    }

    func testPermissionStatesExplainAndOfferSettingsWhereUseful() {
        let denied = LocationPolicy.position(permission: .denied, fix: fix(), now: now)
        XCTAssertNil(denied.lat)
        XCTAssertTrue(denied.offersSettings)
        XCTAssertFalse(LocationPolicy.position(permission: .restricted, fix: fix(), now: now).offersSettings)
        XCTAssertNil(LocationPolicy.position(permission: .approximate, fix: fix(), now: now).lat)
        XCTAssertTrue(LocationPolicy.position(permission: .servicesOff, fix: nil, now: now).note.contains("定位服务"))
    }
}

final class NoticeRecordingTests: XCTestCase {
    private let t0 = Fixture.t0

    func testTimerIsVisibleAndScreenStaysOnWhileRecording() {
        var s = NoticeRecordingState(medium: .video)
        XCTAssertFalse(s.keepsScreenOn)
        XCTAssertNil(s.timer(at: t0))
        s.start(at: t0)
        XCTAssertTrue(s.keepsScreenOn)
        XCTAssertEqual(s.timer(at: t0.addingTimeInterval(83)), "● 录像中 01:23")
        XCTAssertEqual(s.timerAccessibility(at: t0.addingTimeInterval(83)), "正在录像，已 1 分 23 秒")
        s.stop(at: t0.addingTimeInterval(95))
        XCTAssertEqual(s.phase, .finished(seconds: 95))
        XCTAssertFalse(s.keepsScreenOn)
        XCTAssertEqual(NoticeMedium.video.mediaType, "video/quicktime")
        XCTAssertEqual(NoticeMedium.audio.mediaType, "audio/aac")
    }

    func testACallCutsTheRecordingKeepsWhatWasRecordedAndAsksToStartAgain() {
        var s = NoticeRecordingState(medium: .video)
        s.start(at: t0)
        s.interrupt(.call, at: t0.addingTimeInterval(40))
        XCTAssertEqual(s.phase, .interrupted(seconds: 40, reason: .call))
        XCTAssertFalse(s.keepsScreenOn)
        let m = s.interruptionMessage ?? ""
        XCTAssertTrue(m.contains("来电中断了录像"))
        XCTAssertTrue(m.contains("40 秒"))
        XCTAssertTrue(m.contains("重新宣读"))
        // A second interruption after the first changes nothing.
        s.interrupt(.background, at: t0.addingTimeInterval(50))
        XCTAssertEqual(s.phase, .interrupted(seconds: 40, reason: .call))
    }
}

final class AttentionAdviceTests: XCTestCase {
    func testEachReasonSaysWhyWhatToDoAndOffersAnAction() {
        let r5 = Fixture.record("a", .needsAttention, reason: "R-REC-5: 已结束的记录不能修改")
        let a = AttentionAdvice.of(r5)
        XCTAssertEqual(a?.action, .amend)
        XCTAssertEqual(a?.actionLabel, "追加更正")
        XCTAssertEqual(a?.rules, ["R-REC-5"])
        XCTAssertTrue(a?.why.contains("不能修改") ?? false)
        XCTAssertEqual(AttentionAdvice.of(Fixture.record("b", .needsAttention, reason: "设备令牌已吊销"))?.action, .reEnroll)
        XCTAssertEqual(AttentionAdvice.of(Fixture.record("c", .needsAttention, reason: nil))?.action, .resend)
        XCTAssertNil(AttentionAdvice.of(Fixture.record("d", .pending)))
        XCTAssertEqual(AttentionAdvice.all([r5, Fixture.record("d", .synced)]).map(\.id), ["a"])
        XCTAssertTrue(a?.accessibilityText.contains("需处理") ?? false)
    }
}

final class NotificationPlannerTests: XCTestCase {
    func testNewDrawnTasksAndReturnedRecordsAreNotifiedOnce() {
        let before = [Fixture.task("t1")]
        let after = [Fixture.task("t1"), Fixture.task("t2"), Fixture.task("t3", cancelled: true)]
        let returned = Fixture.inspection(
            comments: [ReviewCommentView(id: "c1", authorName: "王科长", at: Fixture.t0, text: "请补拍排放口照片", item: nil)],
            verdict: .returned)
        let n = NotificationPlanner.plan(tasksBefore: before, tasksAfter: after, returned: [returned], known: [])
        XCTAssertEqual(n.map(\.id), ["task:t2", "returned:insp-1"])
        XCTAssertEqual(n[0].title, "双随机抽取的新检查任务")
        XCTAssertTrue(n[1].body.contains("请补拍排放口照片"))
        let known = NotificationPlanner.remembered(n, tasksAfter: after)
        XCTAssertTrue(NotificationPlanner.plan(tasksBefore: [], tasksAfter: after, returned: [returned], known: known).isEmpty)
    }

    func testManyNewTasksAreOneNotification() {
        let after = (1...6).map { Fixture.task("t\($0)") }
        let n = NotificationPlanner.plan(tasksBefore: [], tasksAfter: after, returned: [], known: [])
        XCTAssertEqual(n.count, 1)
        XCTAssertEqual(n[0].title, "收到 6 项新检查任务")
    }
}

final class AmendmentFormTests: XCTestCase {
    func testOnlyAClosedRecordIsAmendedAndEveryPartCanBePointedAt() {
        XCTAssertNil(AmendmentForm(view: Fixture.inspection()))
        let finding = FindingView(id: "f1", text: "废水排放口未设置标志牌", author: "o1", at: Fixture.t0, evidence: [])
        var form = AmendmentForm(view: Fixture.inspection(
            identityNotice: Fixture.notice, findings: [finding], rightsNotice: Fixture.rights, closedAt: Fixture.t0))!
        XCTAssertEqual(form.targets.map(\.id), ["meta", "identity_notice", "finding:f1", "rights_notice"])
        XCTAssertEqual(form.missing, "请选择要更正的内容")
        form.selected = "finding:f1"
        XCTAssertNotNil(form.missing)
        form.text = "  标志牌实为已设置但被遮挡  "
        XCTAssertNil(form.missing)
        XCTAssertEqual(form.call?.amends, "finding:f1")
        XCTAssertEqual(form.call?.text, "标志牌实为已设置但被遮挡")
    }
}

final class DraftEditorTests: XCTestCase {
    private func template() -> DraftInput {
        DraftInput(
            kind: "penalty", title: "", category: "", partyKind: "company", partyName: "", partyCode: "",
            legalBasis: "", facts: "", discretion: "", conclusion: "", fineFen: nil, revocation: false,
            suspension: false, majorCoercion: false, hearingHeld: false, crimeSuspected: false,
            publicInterest: false, socialRisk: false, complex: false, otherItems: [], confidential: "",
            inspectionIds: [], evidence: [])
    }

    func testANewDraftIsFilledFromTheInspection() {
        let finding = FindingView(id: "f1", text: "未设置标志牌", author: "o1", at: Fixture.t0, evidence: [])
        let s = DraftEditorState(template: template(), inspection: Fixture.inspection(findings: [finding]))
        XCTAssertEqual(s.content.partyName, "清远市某某化工有限公司")
        XCTAssertEqual(s.content.inspectionIds, ["insp-1"])
        XCTAssertEqual(s.content.facts, "未设置标志牌")
        XCTAssertTrue(s.missing.contains { $0.field == "title" })
    }

    func testFineIsTypedInYuanAndSentInFen() {
        var s = DraftEditorState(template: template(), inspection: Fixture.inspection())
        s.content.title = "关于某某公司未设置排污口标志的处罚决定"
        s.fineYuan = "1234.5"
        XCTAssertEqual(try s.fineFen.get(), 123_450)
        XCTAssertEqual(s.input?.fineFen, 123_450)
        s.fineYuan = "12.345"
        XCTAssertNil(s.input)
        XCTAssertEqual(s.missing.first?.field, "fine")
        s.fineYuan = "五千"
        XCTAssertNil(s.input)
        s.fineYuan = ""
        XCTAssertEqual(try s.fineFen.get(), nil)
    }
}

final class CapturedPhotoTests: XCTestCase {
    func testCameraBytesAreKeptAndTheirExifIsSeen() {
        var jpeg: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x20]
        jpeg += Array("Exif".utf8) + [0, 0] + Array(repeating: 0, count: 24)
        let p = CapturedPhoto(data: Data(jpeg), mediaType: CapturedPhoto.sniffMediaType(Data(jpeg)))
        XCTAssertEqual(p.mediaType, "image/jpeg")
        XCTAssertEqual(p.fileExtension, "jpg")
        XCTAssertTrue(p.hasExif)
        let stripped = CapturedPhoto(data: Data([0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10] + Array("JFIF".utf8)), mediaType: "image/jpeg")
        XCTAssertFalse(stripped.hasExif)
        var heic: [UInt8] = [0, 0, 0, 0x18]
        heic += Array("ftypheic".utf8)
        XCTAssertEqual(CapturedPhoto.sniffMediaType(Data(heic)), "image/heic")
        XCTAssertEqual(CapturedPhoto.sniffMediaType(Data([1, 2, 3])), "application/octet-stream")
    }
}
