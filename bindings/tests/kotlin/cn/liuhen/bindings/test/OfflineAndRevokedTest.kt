package cn.liuhen.bindings.test

import cn.liuhen.core.LiuhenCore
import cn.liuhen.core.LiuhenException
import cn.liuhen.core.SyncStatus
import kotlinx.coroutines.runBlocking
import org.junit.Test
import kotlin.test.assertContains
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertNotNull
import kotlin.test.assertTrue

/**
 * Days offline with hundreds of records waiting, and a device revoked while offline:
 * every record is kept, the officer is told what to do, and all of it syncs later.
 */
class OfflineAndRevokedTest {
    private fun recordFindings(core: LiuhenCore, n: Int): List<String> = (1..n).map { i ->
        val id = core.openAdHoc(Demo.TARGET, "生态环境", "QYHJ-ZX-01", "信访投诉核查", "《中华人民共和国环境保护法》", Demo.LI_MING)
        core.checkIn(id, Demo.LI_MING)
        core.checkIn(id, Demo.CHEN_XIAOHONG)
        core.addFinding(id, "第 $i 次现场核查：未发现异常排放。", emptyList(), Demo.LI_MING)
        id
    }

    @Test
    fun daysOfflineWithHundredsOfRecordsThenOneBatchedSync() = runBlocking<Unit> {
        var server = TestServer.start()
        try {
            val core = enrolledPhone(server)
            server.kill() // no signal for days
            val ids = recordFindings(core, 200)
            val offline = assertFailsWith<LiuhenException.Offline> { core.syncNow() }
            assertContains(offline.detail, "记录已保存在本设备")
            val waiting = core.records(true)
            assertEquals(200, waiting.size)
            assertTrue(waiting.all { it.syncStatus == SyncStatus.PENDING }, "a failed sync leaves every record pending")

            server = server.restart()
            val report = core.syncNow()
            assertEquals(ids.toSet(), report.synced.toSet())
            assertTrue(report.requests <= 10u, "batched: ${report.requests} requests for 200 records")
            assertTrue(core.records(true).isEmpty())
            for (id in listOf(ids.first(), ids.last())) {
                assertContains(assertNotNull(server.inspectionJson(id)), "未发现异常排放")
            }
        } finally {
            server.close()
        }
    }

    @Test
    fun aDeviceRevokedWhileOfflineKeepsItsRecordsAndSyncsAfterReEnrolment() = runBlocking<Unit> {
        TestServer.start().use { server ->
            val core = enrolledPhone(server)
            val media = tempDir("media")
            val complete = recordCompleteInspection(core, media)
            val others = recordFindings(core, 3)
            server.revokeDevice(core.deviceId())

            val e = assertFailsWith<LiuhenException.ReEnrollRequired> { core.syncNow() }
            assertContains(e.detail, "重新登记")
            assertContains(e.detail, "全部记录均已保留")
            val kept = core.records(true).map { it.id }.toSet()
            assertEquals((others + complete).toSet(), kept, "nothing dropped")
            assertEquals(3, core.inspection(complete).evidence.size)
            assertTrue(core.verifyEvidence(complete).isEmpty(), "evidence files intact")
            assertEquals(null, server.inspectionJson(complete), "nothing reached the server")

            // The admin issues a one-time code; the officer enrols the same phone again.
            val code = server.enrollmentCode(Demo.LI_MING)
            val qr = "liuhen://enroll?server=" + java.net.URLEncoder.encode(server.baseUrl, "UTF-8") + "&code=$code"
            val again = core.enrollWithCode(qr, null, "李明 的测试手机")
            assertEquals(Demo.LI_MING, again.officerId)
            val report = core.syncNow()
            assertEquals((others + complete).toSet(), report.synced.toSet())
            assertEquals(3u, report.blobsUploaded)
            assertContains(assertNotNull(server.inspectionJson(complete)), "废水排放口标识牌缺失")
        }
    }
}
