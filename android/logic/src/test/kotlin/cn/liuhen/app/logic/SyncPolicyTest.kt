package cn.liuhen.app.logic

import cn.liuhen.bindings.test.tempDir
import cn.liuhen.core.LiuhenException
import cn.liuhen.core.SyncSummary
import org.junit.Test
import java.io.File
import kotlin.test.assertEquals
import kotlin.test.assertIs
import kotlin.test.assertTrue

/** Pure sync decisions: backoff while offline, stop and keep records on revocation. */
class SyncPolicyTest {
    private val offline = LiuhenException.Offline("无法连接服务器")
    private val revoked = LiuhenException.ReEnrollRequired("token_revoked", "设备令牌已被撤销")

    @Test
    fun offlineBacksOffExponentiallyUpToOneHour() {
        assertEquals(listOf(30_000L, 60_000L, 120_000L, 240_000L, 480_000L, 960_000L, 1_920_000L, 3_600_000L, 3_600_000L),
            (1..9).map { SyncPolicy.backoffMillis(it) })
        var s = SyncPolicyState()
        var now = 1_000_000L
        val waits = mutableListOf<Long>()
        repeat(3) {
            s = SyncPolicy.failed(s, offline, now)
            val d = assertIs<SyncDecision.Later>(SyncPolicy.decide(s, SyncTrigger.PERIODIC, now))
            waits += d.atMillis - now
            now = d.atMillis
            assertEquals(SyncDecision.RunNow, SyncPolicy.decide(s, SyncTrigger.PERIODIC, now))
        }
        assertEquals(listOf(30_000L, 60_000L, 120_000L), waits)
    }

    @Test
    fun connectivityRestoredAndTheButtonSkipTheBackoff() {
        val s = SyncPolicy.failed(SyncPolicyState(), offline, 0)
        assertEquals(SyncDecision.RunNow, SyncPolicy.decide(s, SyncTrigger.CONNECTIVITY_RESTORED, 1))
        assertEquals(SyncDecision.RunNow, SyncPolicy.decide(s, SyncTrigger.USER, 1))
        assertIs<SyncDecision.Later>(SyncPolicy.decide(s, SyncTrigger.INSPECTION_CLOSED, 1))
        assertEquals(SyncPolicyState(lastSuccessMillis = 5), SyncPolicy.succeeded(s, 5))
    }

    @Test
    fun revokedTokenStopsEveryTriggerUntilReEnrolment() {
        val s = SyncPolicy.failed(SyncPolicyState(), revoked, 0)
        assertTrue(s.reEnrolRequired)
        for (t in SyncTrigger.entries) {
            val d = assertIs<SyncDecision.Stopped>(SyncPolicy.decide(s, t, 10_000_000), t.name)
            assertEquals(SyncFailureKind.RE_ENROL, d.kind)
            assertTrue(d.reason.contains("全部记录均已保留"))
        }
        assertEquals(WorkerResult.STOP, SyncOutcome.NotNow(SyncPolicy.decide(s, SyncTrigger.PERIODIC, 0)).workerResult)
        assertEquals(WorkerResult.STOP, SyncOutcome.Failed(revoked, ErrorPresenter.present(revoked)).workerResult)
        assertEquals(WorkerResult.RETRY, SyncOutcome.Failed(offline, ErrorPresenter.present(offline)).workerResult)
        val again = SyncPolicy.enrolled(s)
        assertEquals(SyncDecision.RunNow, SyncPolicy.decide(again, SyncTrigger.PERIODIC, 0))
    }

    @Test
    fun theStateSurvivesAProcessRestartInItsFile() {
        val f = File(tempDir("liuhen-sync-state"), "sync.state")
        val store = FileSyncStateStore(f)
        assertEquals(SyncPolicyState(), store.load())
        val s = SyncPolicy.failed(SyncPolicy.failed(SyncPolicyState(lastSuccessMillis = 7), offline, 100), revoked, 200)
        store.save(s)
        assertEquals(s, FileSyncStateStore(f).load())
        f.writeText("garbage\nfailures=x")
        assertEquals(SyncPolicyState(), FileSyncStateStore(f).load())
    }

    @Test
    fun aRunCutAtItsRoundBoundIsRetriedSoon() {
        fun summary(complete: Boolean) = SyncSummary(
            requests = 8u, bytesSent = 0uL, bytesReceived = 0uL, synced = emptyList(), needsAttention = emptyList(),
            stillPending = emptyList(), receivedNew = emptyList(), receivedChanges = emptyList(), blobsUploaded = 0u,
            rosterUpdated = false, clockSkewSeconds = null, draftsSynced = emptyList(), draftsReceived = emptyList(),
            draftsRefused = emptyList(), draftsPending = emptyList(), complete = complete,
        )
        assertEquals(WorkerResult.SUCCESS, SyncOutcome.Synced(summary(complete = true)).workerResult)
        assertEquals(WorkerResult.RETRY, SyncOutcome.Synced(summary(complete = false)).workerResult)
    }
}
