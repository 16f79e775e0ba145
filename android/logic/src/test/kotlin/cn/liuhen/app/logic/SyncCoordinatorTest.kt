package cn.liuhen.app.logic

import cn.liuhen.bindings.test.Demo
import cn.liuhen.bindings.test.TestServer
import cn.liuhen.bindings.test.enrolledPhone
import cn.liuhen.bindings.test.tempDir
import cn.liuhen.core.LiuhenCore
import cn.liuhen.core.LiuhenException
import kotlinx.coroutines.asCoroutineDispatcher
import kotlinx.coroutines.runBlocking
import org.junit.Test
import java.io.File
import java.util.concurrent.Executors
import kotlin.test.assertEquals
import kotlin.test.assertIs
import kotlin.test.assertTrue

/** Sync decisions against the real core and a real server: offline, revoked, not enrolled. */
class SyncCoordinatorTest {
    private val io = Executors.newSingleThreadExecutor().asCoroutineDispatcher()
    private var now = 1_000_000L

    private fun coordinator(core: LiuhenCore, stateFile: File = File(tempDir("liuhen-sync"), "sync.state")) =
        SyncCoordinator(core, FileSyncStateStore(stateFile), io) { now }

    @Test
    fun offlineKeepsRecordsPendingAndBacksOff() = runBlocking {
        val server = TestServer.start()
        val core = enrolledPhone(server)
        val id = core.openForTask(Demo.TASK, Demo.LI_MING)
        core.checkIn(id, Demo.LI_MING)
        server.kill()
        val sync = coordinator(core)
        val out = assertIs<SyncOutcome.Failed>(sync.request(SyncTrigger.USER))
        assertIs<LiuhenException.Offline>(out.error)
        assertEquals("已保存，联网后自动同步", out.message.text)
        assertEquals(WorkerResult.RETRY, out.workerResult)
        assertEquals(now + 30_000, sync.state.value.notBeforeMillis)
        assertIs<SyncDecision.Later>(assertIs<SyncOutcome.NotNow>(sync.request(SyncTrigger.PERIODIC)).decision)
        assertEquals(listOf(id), core.records(true).map { it.id }, "the record is still waiting")
        assertEquals(1, core.inspection(id).team.size)
    }

    @Test
    fun revokedTokenStopsBackgroundSyncAndKeepsEveryRecord() = runBlocking {
        TestServer.start().use { server ->
            val core = enrolledPhone(server)
            val id = core.openForTask(Demo.TASK, Demo.LI_MING)
            core.checkIn(id, Demo.LI_MING)
            core.checkIn(id, Demo.CHEN_XIAOHONG)
            server.revokeDevice(core.deviceId())
            val stateFile = File(tempDir("liuhen-sync"), "sync.state")
            val sync = coordinator(core, stateFile)
            val out = assertIs<SyncOutcome.Failed>(sync.request(SyncTrigger.CONNECTIVITY_RESTORED))
            assertIs<LiuhenException.ReEnrollRequired>(out.error)
            assertEquals(NextAction.ReEnrol, out.message.action)
            assertEquals(WorkerResult.STOP, out.workerResult)
            // After a restart of the app the worker is still stopped.
            val restarted = coordinator(core, stateFile)
            assertTrue(restarted.state.value.reEnrolRequired)
            assertIs<SyncDecision.Stopped>(assertIs<SyncOutcome.NotNow>(restarted.request(SyncTrigger.PERIODIC)).decision)
            assertEquals(2, core.inspection(id).team.size, "nothing recorded was dropped")
            assertEquals(listOf(id), core.records(true).map { it.id })

            // Re-enrolment with a new code resumes sync and the record reaches the server.
            val enrol = EnrollmentController(core, restarted, io, "测试手机", reEnrol = true)
            enrol.serverUrlChanged(server.baseUrl)
            enrol.codeChanged(server.enrollmentCode(Demo.LI_MING))
            assertEquals(Demo.LI_MING, enrol.submit()?.officerId, enrol.screen.value.message?.text)
            assertIs<SyncOutcome.Synced>(restarted.request(SyncTrigger.PERIODIC))
            assertEquals(emptyList(), core.records(true).map { it.id })
        }
    }

    @Test
    fun aDeviceNeverEnrolledIsSentToEnrolment() = runBlocking {
        val core = LiuhenCore.open(tempDir("liuhen-phone").path)
        val out = assertIs<SyncOutcome.Failed>(coordinator(core).request(SyncTrigger.USER))
        assertIs<LiuhenException.NotEnrolled>(out.error)
        assertEquals(NextAction.ReEnrol, out.message.action)
    }
}
