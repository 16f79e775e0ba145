import XCTest
import LiuhenCore
@testable import LiuhenAppLogic

final class DraftStoreTests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("drafts-\(UUID().uuidString)")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
    }

    func testDraftSurvivesARestart() throws {
        var draft = InspectionDraft()
        draft.findingText = "废水排放口未设置标志牌"
        draft.signerName = "刘经理"
        draft.pendingRecordingPath = "/tmp/notice.aac"
        draft.step = .rightsNotice
        try FileDraftStore(directory: dir).save(draft, for: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b")

        // A new store object, as after the app was killed and started again.
        let loaded = FileDraftStore(directory: dir).load("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b")
        XCTAssertEqual(loaded, draft)
    }

    func testMissingOrDamagedDraftIsEmpty() throws {
        let store = FileDraftStore(directory: dir)
        XCTAssertTrue(store.load("none").isEmpty)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try Data("{half".utf8).write(to: dir.appendingPathComponent("bad.json"))
        XCTAssertTrue(store.load("bad").isEmpty)
    }

    func testIdsCannotEscapeTheDirectory() throws {
        let store = FileDraftStore(directory: dir)
        var draft = InspectionDraft()
        draft.findingText = "x"
        try store.save(draft, for: "../../etc/passwd")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        XCTAssertEqual(files.count, 1)
        XCTAssertEqual(store.load("../../etc/passwd"), draft)
        store.remove("../../etc/passwd")
        XCTAssertTrue(store.load("../../etc/passwd").isEmpty)
    }
}

final class RightsNoticeTextTests: XCTestCase {
    private let n = RightsNoticeText.agency(Fixture.agencyNotice, for: Fixture.inspection())

    func testNoticeIsTheAgencysTextWithPartyItemAndEveryChannel() {
        XCTAssertEqual(n.version, "清远生态环境-2026-01")
        XCTAssertTrue(n.text.contains("清远市某某化工有限公司"))
        XCTAssertTrue(n.text.contains("排污许可执行情况检查"))
        XCTAssertTrue(n.text.contains(Fixture.agencyNotice.text))
        XCTAssertEqual(n.remedyChannels, Fixture.agencyNotice.remedyChannels)
        for (i, c) in n.remedyChannels.enumerated() { XCTAssertTrue(n.text.contains("\(i + 1). \(c)")) }
        XCTAssertTrue(n.text.contains("清远生态环境-2026-01"))
    }

    func testWithoutAgencyNoticeTheScreenAsksToSync() {
        let a = RightsNoticeAvailability.from(nil, view: Fixture.inspection())
        XCTAssertNil(a.notice)
        XCTAssertEqual(a, .missing(message: RightsNoticeAvailability.missingMessage))
        XCTAssertTrue(RightsNoticeAvailability.missingMessage.contains("同步"))
        XCTAssertEqual(RightsNoticeAvailability.from(Fixture.agencyNotice, view: Fixture.inspection()).notice, n)
    }

    func testSignedNeedsNameAndSignature() {
        var draft = InspectionDraft()
        draft.signerName = "刘经理"
        XCTAssertNil(n.request(draft: draft, signatureSha256: nil))
        let r = n.request(draft: draft, signatureSha256: "s1")
        XCTAssertEqual(r?.response, .signed(signerName: "刘经理", signatureSha256: "s1"))
        XCTAssertEqual(r?.noticeVersion, "清远生态环境-2026-01")
    }

    func testRefusalNeedsAWitness() {
        var draft = InspectionDraft()
        draft.partyRefused = true
        XCTAssertNil(n.request(draft: draft, signatureSha256: nil))
        draft.witnessName = "王某（村委会）"
        draft.refusalReason = "不认可检查结果"
        XCTAssertEqual(
            n.request(draft: draft, signatureSha256: nil)?.response,
            .refused(witnessName: "王某（村委会）", reason: "不认可检查结果"))
    }
}
