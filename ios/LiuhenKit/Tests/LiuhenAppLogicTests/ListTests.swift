import XCTest
import LiuhenCore
@testable import LiuhenAppLogic

final class ListTests: XCTestCase {
    func testSyncLabels() {
        XCTAssertEqual(SyncStatus.pending.label, "待同步")
        XCTAssertEqual(SyncStatus.syncing.label, "同步中")
        XCTAssertEqual(SyncStatus.synced.label, "已同步")
        XCTAssertEqual(SyncStatus.needsAttention.label, "需处理")
        XCTAssertEqual(SyncStatus.needsAttention.tone, .attention)
    }

    func testHundredsOfPendingRecordsAreCountedAndKept() {
        let records = (0..<300).map { Fixture.record("r\($0)", .pending) }
            + [Fixture.record("x", .needsAttention, reason: "服务器拒绝：证据缺失")]
        let list = RecordListState(snapshot: RecordsSnapshot(records: records, syncing: false))
        XCTAssertEqual(list.rows.count, 301)
        XCTAssertEqual(list.waitingCount, 300)
        XCTAssertEqual(list.attentionCount, 1)
        XCTAssertEqual(list.summary, "300 条记录待同步，联网后自动同步；1 条记录需处理")
        XCTAssertEqual(list.rows.last?.reason, "服务器拒绝：证据缺失")
        XCTAssertTrue(list.canSyncNow)
    }

    func testSyncingDisablesTheButton() {
        let list = RecordListState(snapshot: RecordsSnapshot(records: [Fixture.record("a", .syncing)], syncing: true))
        XCTAssertFalse(list.canSyncNow)
        XCTAssertEqual(list.syncButtonTitle, "同步中…")
        XCTAssertEqual(list.summary, "正在同步…")
    }

    func testBlockedForReEnrollmentSaysRecordsAreKept() {
        let list = RecordListState(
            snapshot: RecordsSnapshot(records: [Fixture.record("a", .pending), Fixture.record("b", .pending)], syncing: false),
            blockedForReEnrollment: true)
        XCTAssertTrue(list.summary.contains("重新登记"))
        XCTAssertTrue(list.summary.contains("2 条记录保存在本设备"))
    }

    func testAllSynced() {
        let list = RecordListState(snapshot: RecordsSnapshot(records: [Fixture.record("a", .synced)], syncing: false))
        XCTAssertEqual(list.summary, "全部记录已同步")
    }

    func testTaskRowsShowStateAndPutCancelledLast() {
        let tasks = [
            Fixture.task("c", due: "2026-01-10", cancelled: true),
            Fixture.task("b", due: "2026-02-01", inspectionId: "i-b"),
            Fixture.task("a", due: "2026-03-01", inspectionId: "i-a"),
            Fixture.task("n", due: "2026-01-20"),
        ]
        let list = TaskListState(tasks: tasks, records: [Fixture.record("i-a", .pending, closed: true), Fixture.record("i-b", .pending, closed: false)])
        XCTAssertEqual(list.rows.map(\.id), ["n", "b", "a", "c"])
        XCTAssertEqual(list.rows[0].state, .notStarted)
        XCTAssertEqual(list.rows[1].state, .inProgress(inspectionId: "i-b"))
        XCTAssertEqual(list.rows[2].state, .closed(inspectionId: "i-a"))
        XCTAssertEqual(list.rows[3].state, .cancelled(reason: "企业已注销"))
        XCTAssertEqual(list.rows[0].source, "双随机抽查")
        // A name missing from the roster falls back to the officer id.
        XCTAssertEqual(list.rows[0].officers, "张三、o2")
    }
}
