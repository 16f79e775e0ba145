package cn.liuhen.app.logic

import cn.liuhen.bindings.test.Demo
import cn.liuhen.bindings.test.Media
import cn.liuhen.bindings.test.TestServer
import cn.liuhen.bindings.test.enrolledPhone
import cn.liuhen.bindings.test.tempDir
import cn.liuhen.core.CaptureRequest
import cn.liuhen.core.EvidenceType
import cn.liuhen.core.LiuhenCore
import cn.liuhen.core.Step
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.asCoroutineDispatcher
import kotlinx.coroutines.cancel
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.After
import org.junit.Test
import java.io.File
import java.util.concurrent.Executors
import kotlin.test.assertEquals
import kotlin.test.assertIs
import kotlin.test.assertNotNull
import kotlin.test.assertTrue

/**
 * The rights notice of R-SCENE-4 as the server's agency data delivers it (issue 21),
 * against the real core and a real `liuhen-server` seeded with the demo: the screen
 * shows the demo agency's text, version and three channels; saving records that version
 * and those channels, and the server receives them.
 */
class RightsNoticeFromTheServerTest {
    companion object {
        /** The demo agency's notice (core/tests/data/demo-roster.json). */
        const val DEMO_VERSION = "清远生态环境-2026-01"
    }

    // One server per test: each opens the demo task.
    private val server = TestServer.start()

    @After
    fun stopServer() { server.close() }

    /** An inspection of the demo task up to the rights-notice step, through the core. */
    private fun atRightsNotice(core: LiuhenCore, media: File): String = runBlocking {
        val by = Demo.LI_MING
        val id = core.openForTask(Demo.TASK, by)
        core.checkIn(id, Demo.LI_MING)
        core.checkIn(id, Demo.CHEN_XIAOHONG)
        val audio = core.captureEvidence(id, Media.wav(media, "notice.wav").path, CaptureRequest(EvidenceType.AUDIO, "audio/wav", Step.IDENTITY_NOTICE), by)
        core.recordIdentityNotice(id, null, audio.sha256, by)
        val photo = core.captureEvidence(id, Media.jpeg(media, "outlet.jpg").path, CaptureRequest(EvidenceType.PHOTO, "image/jpeg", Step.FINDINGS), by)
        core.addFinding(id, "废水排放口标识牌缺失", listOf(photo.sha256), by)
        id
    }

    @Test
    fun theScreenShowsTheServersNoticeAndRecordsItsVersion_R_SCENE_4() {
        val core = enrolledPhone(server)
        val media = tempDir("liuhen-media")
        val id = atRightsNotice(core, media)
        val pool = Executors.newFixedThreadPool(2)
        val io = pool.asCoroutineDispatcher()
        val scope = CoroutineScope(SupervisorJob() + io)
        val c = InspectionController(core, id, Demo.LI_MING, scope, io)
        try {
            runBlocking {
                withTimeout(120_000) {
                    c.start()
                    var s = c.screen.first { it.current == FlowStep.RIGHTS_NOTICE && !it.busy }
                    val held = assertNotNull(core.agencyRightsNotice(), "the demo roster carries the notice")
                    assertEquals(DEMO_VERSION, held.version)
                    assertEquals(3, held.remedyChannels.size, held.remedyChannels.toString())

                    // What the officer reads to the party: the server's text and channels.
                    assertEquals(DEMO_VERSION, s.rights.version)
                    assertEquals(held.remedyChannels, s.rights.channels)
                    assertTrue(s.rights.noticeText.startsWith("清远市生态环境局执法人员依法对你（单位）进行现场检查"), s.rights.noticeText)
                    assertTrue(s.rights.noticeText.contains("\n1. 自知道该行为之日起六十日内向清远市人民政府申请行政复议"), s.rights.noticeText)
                    assertTrue(s.rights.noticeText.contains("\n3. 对执法人员的执法行为有异议的"), s.rights.noticeText)

                    c.onEvent(FlowEvent.SignerNameChanged("张伟")).join()
                    c.onEvent(FlowEvent.SignatureDrawn(Media.signaturePng(media, "sign.png").path)).join()
                    c.screen.first { it.rights.signatureStored && !it.busy }
                    c.onEvent(FlowEvent.SaveRightsNotice).join()
                    s = c.screen.first { it.current == FlowStep.CLOSE && !it.busy }
                    assertEquals(DEMO_VERSION, s.rights.version, "the version recorded is shown")
                }
            }
        } finally {
            c.close()
            scope.cancel()
            pool.shutdown()
        }

        // The core recorded the version read and that text's channels.
        val told = assertNotNull(core.inspection(id).rightsNotice)
        assertEquals(DEMO_VERSION, told.noticeVersion)
        assertEquals(core.agencyRightsNotice()?.remedyChannels, told.remedyChannels)
        assertEquals(3, told.remedyChannels.size)

        // And the server has them once synced.
        runBlocking { core.syncNow() }
        val onServer = assertNotNull(server.inspectionJson(id), "the record reached the server")
        assertTrue(onServer.contains(DEMO_VERSION), onServer)
        assertTrue(onServer.contains("自知道该行为之日起六个月内向有管辖权的人民法院提起行政诉讼"), onServer)
    }

    /**
     * 重新同步 of a 需处理 record (R-REC-5): the server refused a record whose evidence
     * file was damaged on the phone; once the file is whole again the officer resends
     * the record unchanged and the sync delivers it.
     */
    @Test
    fun aRefusedRecordIsResentUnchangedAndSynced_R_REC_5() = runBlocking<Unit> {
        val dir = tempDir("liuhen-phone")
        val core = enrolledPhone(server, dir = dir)
        val media = tempDir("liuhen-media")
        val id = core.openForTask(Demo.TASK, Demo.LI_MING)
        core.checkIn(id, Demo.LI_MING)
        val photo = core.captureEvidence(id, Media.jpeg(media, "outlet.jpg").path, CaptureRequest(EvidenceType.PHOTO, "image/jpeg", Step.FINDINGS), Demo.LI_MING)
        val blob = File(File(File(dir, "blobs"), photo.sha256.take(2)), photo.sha256)
        assertTrue(blob.isFile, "the core keeps evidence at $blob")
        val original = blob.readBytes()
        blob.writeBytes("damaged bytes".toByteArray())

        val sync = SyncCoordinator(core, FileSyncStateStore(File(tempDir("liuhen-sync"), "sync.state")), Executors.newSingleThreadExecutor().asCoroutineDispatcher())
        val first = assertIs<SyncOutcome.Synced>(sync.request(SyncTrigger.USER))
        assertEquals(1, first.summary.needsAttention.size, first.summary.toString())
        val row = RecordListState.render(core.records(false).let { cn.liuhen.core.RecordsSnapshot(it, false) }, sync.state.value, true, java.time.Instant.now())
            .rows.single { it.id == id }
        assertTrue(row.needsAttention)
        val resend = assertNotNull(row.resend)
        assertTrue(resend.enabled, resend.whyNot)
        val before = core.inspection(id)

        blob.writeBytes(original) // the cause is gone; the record itself is not touched
        assertIs<SyncOutcome.Synced>(sync.resend(id))
        assertEquals(emptyList(), core.records(true).map { it.id }, "nothing waits any more")
        assertEquals(before, core.inspection(id), "resent unchanged")
        assertNotNull(server.inspectionJson(id), "the server has the record")
    }
}
