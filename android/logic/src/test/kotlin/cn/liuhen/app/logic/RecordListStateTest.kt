package cn.liuhen.app.logic

import cn.liuhen.core.RecordSummary
import cn.liuhen.core.RecordsSnapshot
import cn.liuhen.core.SyncStatus
import cn.liuhen.core.TaskView
import org.junit.Test
import java.time.Duration
import java.time.Instant
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNull
import kotlin.test.assertTrue

/** Records with per-record sync labels, the pending badge, the sync button; the task list. */
class RecordListStateTest {
    private val now = Instant.parse("2026-03-05T02:00:00Z")

    private fun rec(i: Int, s: SyncStatus, age: Duration, reason: String? = null) =
        RecordSummary("r-$i", "单位$i", null, true, now.minus(age), s, reason)

    @Test
    fun threeHundredRecordsWaitingForDaysGiveOneBadgeAndOneSyncDecision() {
        val records = (1..300).map { rec(it, SyncStatus.PENDING, Duration.ofHours(it.toLong() / 4)) }
        val s = RecordListState.render(RecordsSnapshot(records, false), SyncPolicyState(), enrolled = true, now = now)
        assertEquals(300, s.sync.pendingCount)
        assertEquals("300 条记录待同步，最早一条已等待 3 天。联网后将一次性批量同步，记录不会丢失。", s.sync.badge)
        assertTrue(s.sync.button.enabled)
        assertEquals("立即同步", s.sync.button.label)
        // However many records wait, connectivity returning is one decision for one batched run.
        val decisions = listOf(SyncTrigger.CONNECTIVITY_RESTORED).map { SyncPolicy.decide(SyncPolicyState(), it, now.toEpochMilli()) }
        assertEquals(listOf<SyncDecision>(SyncDecision.RunNow), decisions)
    }

    @Test
    fun eachRecordShowsItsOwnSyncState() {
        val records = listOf(
            rec(1, SyncStatus.PENDING, Duration.ofMinutes(5)),
            rec(2, SyncStatus.SYNCING, Duration.ofMinutes(6)),
            rec(3, SyncStatus.SYNCED, Duration.ofMinutes(7)),
            rec(4, SyncStatus.NEEDS_ATTENTION, Duration.ofMinutes(8), "R-SCENE-1: 证件已过期"),
        )
        val s = RecordListState.render(RecordsSnapshot(records, true), SyncPolicyState(), true, now)
        assertEquals(listOf("待同步", "同步中", "已同步", "需处理"), s.rows.map { it.syncLabel })
        assertEquals("R-SCENE-1: 证件已过期", s.rows[3].syncReason)
        assertTrue(s.rows[3].needsAttention)
        assertEquals(3, s.sync.pendingCount)
        assertNull(s.sync.badge, "3 fresh records are no reason for a badge")
        assertFalse(s.sync.button.enabled)
        assertEquals("同步中…", s.sync.button.label)
    }

    @Test
    fun afterRevocationTheButtonAsksToReEnrolAndTheRecordsAreStillListed() {
        val records = (1..3).map { rec(it, SyncStatus.PENDING, Duration.ofHours(1)) }
        val stopped = SyncPolicy.failed(SyncPolicyState(), cn.liuhen.core.LiuhenException.ReEnrollRequired("token_revoked", "x"), 0)
        val s = RecordListState.render(RecordsSnapshot(records, false), stopped, true, now)
        assertEquals(3, s.rows.size)
        assertFalse(s.sync.button.enabled)
        assertEquals("设备登记已失效，请重新登记后同步（记录均已保留）", s.sync.button.whyNot)
        assertEquals(ErrorPresenter.RE_ENROL, s.sync.status)
    }

    private fun task(id: String, cancelled: Boolean = false, note: String? = null, inspection: String? = null, due: String = "2026-12-31") =
        TaskView(id, "qy-dx-0001", "清远市华瓷陶瓷有限公司", "清城区", "QYHJ-SJ-03", "排污许可证执行情况检查", "《排污许可管理条例》",
            "生态环境", listOf("qy-zf-001", "qy-zf-002"), listOf("李明", "陈晓红"), due, true, cancelled, note, inspection)

    @Test
    fun taskListShowsCancelledWithReasonAndContinuesOpenInspections() {
        val tasks = listOf(
            task("t-cancel", cancelled = true, note = "企业已停产", due = "2026-01-01"),
            task("t-new", due = "2026-12-01"),
            task("t-open", inspection = "i-open", due = "2026-11-01"),
            task("t-done", inspection = "i-done", due = "2026-10-01"),
        )
        val records = listOf(RecordSummary("i-done", "x", "t-done", true, now, SyncStatus.SYNCED, null))
        val s = TaskListState.render(tasks, records)
        assertEquals(listOf("t-done", "t-open", "t-new", "t-cancel"), s.rows.map { it.id })
        assertEquals(listOf("查看记录", "继续检查", "开始检查", ""), s.rows.map { it.buttonLabel })
        assertEquals(TaskAction.Continue("i-open"), s.rows[1].action)
        assertEquals("已取消：企业已停产", s.rows[3].status)
        assertEquals(TaskAction.None, s.rows[3].action)
        assertEquals("双随机抽取 · 截止 2026-12-01 · 李明、陈晓红", s.rows[2].meta)
        assertTrue(TaskListState.render(emptyList(), emptyList()).empty!!.contains("立即同步"))
    }
}
