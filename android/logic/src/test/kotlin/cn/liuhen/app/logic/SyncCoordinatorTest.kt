package cn.liuhen.app.logic

import cn.liuhen.bindings.test.Demo
import cn.liuhen.bindings.test.TestServer
import cn.liuhen.bindings.test.enrolledPhone
import cn.liuhen.bindings.test.tempDir
import cn.liuhen.core.LiuhenCore
import cn.liuhen.core.LiuhenException
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.asCoroutineDispatcher
import kotlinx.coroutines.async
import kotlinx.coroutines.runBlocking
import org.junit.Test
import java.io.File
import java.util.concurrent.CountDownLatch
import java.util.concurrent.Executors
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertIs
import kotlin.test.assertTrue

/** Sync decisions against the real core and a real server: offline, revoked, not enrolled. */
class SyncCoordinatorTest {
    private val io = Executors.newSingleThreadExecutor().asCoroutineDispatcher()
    private var now = 1_000_000L

    private fun coordinator(core: LiuhenCore, stateFile: File = File(tempDir("liuhen-sync"), "sync.state")) =
        SyncCoordinator(core, FileSyncStateStore(stateFile), io, clock = { now })

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

    /**
     * Issue 21: closing an inspection during a sync used to REPLACE the running worker;
     * the coordinator took the CancellationException for a failed sync and backed off an
     * hour. A cancelled run now rethrows, records nothing, and the next trigger runs.
     */
    @Test
    fun aCancelledRunIsNotAFailureAndDoesNotSilenceAutoSync() = runBlocking {
        TestServer.start().use { server ->
            val core = enrolledPhone(server)
            val id = core.openForTask(Demo.TASK, Demo.LI_MING)
            core.checkIn(id, Demo.LI_MING)
            val stateFile = File(tempDir("liuhen-sync"), "sync.state")
            val sync = coordinator(core, stateFile)
            // Hold the io thread so the run is cancelled while it waits to sync.
            val hold = CountDownLatch(1)
            io.executor.execute { hold.await() }
            val run = async(start = CoroutineStart.UNDISPATCHED) { sync.request(SyncTrigger.PERIODIC) }
            run.cancel()
            hold.countDown()
            assertFailsWith<CancellationException> { run.await() }
            assertEquals(SyncPolicyState(), sync.state.value, "nothing recorded: no failure, no back-off")
            assertEquals(SyncPolicyState(), coordinator(core, stateFile).state.value, "nor after a restart")
            assertEquals(SyncDecision.RunNow, SyncPolicy.decide(sync.state.value, SyncTrigger.INSPECTION_CLOSED, now))
            assertIs<SyncOutcome.Synced>(sync.request(SyncTrigger.INSPECTION_CLOSED), "the next run goes ahead")
            assertEquals(emptyList(), core.records(true).map { it.id })
        }
    }

    @Test
    fun aNewRunNeverCancelsTheRunningOne() {
        assertEquals(OnceWorkPolicy.APPEND_OR_REPLACE, OnceWork.policy(OnceWorkState.RUNNING))
        assertEquals(OnceWorkPolicy.KEEP, OnceWork.policy(OnceWorkState.WAITING))
        assertEquals(OnceWorkPolicy.KEEP, OnceWork.policy(OnceWorkState.NONE))
        val s = SyncPolicyState(failures = 2, notBeforeMillis = 5)
        assertEquals(s, SyncPolicy.failed(s, CancellationException("work replaced"), 1_000))
    }
}
