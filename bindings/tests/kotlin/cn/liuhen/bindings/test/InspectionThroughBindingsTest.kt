package cn.liuhen.bindings.test

import cn.liuhen.core.ReviewVerdict
import cn.liuhen.core.SyncStatus
import kotlinx.coroutines.runBlocking
import org.junit.AfterClass
import org.junit.BeforeClass
import org.junit.Test
import java.util.concurrent.TimeUnit
import kotlin.test.assertContains
import kotlin.test.assertEquals
import kotlin.test.assertNotNull
import kotlin.test.assertTrue

/**
 * A complete inspection recorded through the generated Kotlin bindings on the real
 * native library, synced to a real liuhen-server process, and a supervisor's comment
 * coming back to the phone through sync and the observer.
 */
class InspectionThroughBindingsTest {
    companion object {
        private lateinit var server: TestServer

        @BeforeClass @JvmStatic fun startServer() { server = TestServer.start() }
        @AfterClass @JvmStatic fun stopServer() { server.close() }
    }

    @Test
    fun completeInspectionSyncsAndTheSupervisorsCommentComesBack() = runBlocking<Unit> {
        val core = enrolledPhone(server)
        val enrollment = assertNotNull(core.enrollment())
        assertEquals(Demo.LI_MING, enrollment.officerId)
        val task = core.tasks(Demo.LI_MING).single { it.id == Demo.TASK }
        assertEquals(listOf("李明", "陈晓红"), task.officerNames)
        assertEquals(null, task.inspectionId)

        val records = RecordingRecordsObserver()
        val recordsSub = core.observeRecords(records)
        assertTrue(records.snapshots.poll()!!.records.isEmpty(), "current value delivered at once")

        val media = tempDir("media")
        val id = recordCompleteInspection(core, media)
        assertEquals(id, core.tasks(Demo.LI_MING).single { it.id == Demo.TASK }.inspectionId, "the task links to its inspection")

        val view = core.inspection(id)
        assertEquals(listOf(Demo.LI_MING, Demo.CHEN_XIAOHONG), view.team.map { it.officerId })
        val notice = assertNotNull(view.identityNotice)
        assertContains(notice.statement, "李明")
        assertContains(notice.statement, "44180021001")
        assertEquals(3, view.evidence.size)
        assertNotNull(view.closedAt)
        assertTrue(core.unmetRules(id).isEmpty())
        val photo = view.evidence.single { it.kind == cn.liuhen.core.EvidenceType.PHOTO }
        assertNotNull(core.evidenceFile(photo.sha256), "the original is on the device")
        val latest = records.snapshots.toList().last().records.single()
        assertEquals(SyncStatus.PENDING, latest.syncStatus)
        assertTrue(latest.closed)

        val observer = QueueingInspectionObserver()
        val sub = core.observeInspection(id, observer)
        assertEquals(id, observer.updates.poll(5, TimeUnit.SECONDS)!!.id, "current value delivered at once")

        val first = core.syncNow()
        assertContains(first.synced, id)
        assertEquals(3u, first.blobsUploaded)
        assertTrue(first.needsAttention.isEmpty() && first.stillPending.isEmpty(), "$first")
        assertEquals(SyncStatus.SYNCED, core.records(false).single().syncStatus)
        val onServer = assertNotNull(server.inspectionJson(id), "the server has the inspection")
        assertContains(onServer, "废水排放口标识牌缺失")
        val syncing = records.snapshots.toList()
        assertTrue(syncing.any { it.syncing }, "observers see the sync under way")
        assertEquals(false, syncing.last().syncing)

        server.review(id, "请补充排放口全景照片。", "returned")
        val second = core.syncNow()
        assertContains(second.receivedChanges, id)
        val returned = observer.awaitMatching { it.reviewComments.isNotEmpty() }
        assertEquals("请补充排放口全景照片。", returned.reviewComments.single().text)
        assertEquals("演示督查员", returned.reviewComments.single().authorName)
        assertEquals(ReviewVerdict.RETURNED, returned.reviewVerdict)
        assertEquals(ReviewVerdict.RETURNED, core.inspection(id).reviewVerdict)

        // After cancelling, no more deliveries.
        sub.cancel()
        recordsSub.cancel()
        observer.updates.clear()
        core.amend(id, "finding:" + returned.findings.single().id, "补充：排放口全景照片见附件。", emptyList(), Demo.LI_MING)
        assertEquals(null, observer.updates.poll(200, TimeUnit.MILLISECONDS))
        assertTrue(core.verifyLog() > 10uL, "every step is in the signed device log")
    }
}
