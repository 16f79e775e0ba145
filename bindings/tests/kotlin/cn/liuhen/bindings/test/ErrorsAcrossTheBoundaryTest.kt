package cn.liuhen.bindings.test

import cn.liuhen.core.CaptureRequest
import cn.liuhen.core.EvidenceType
import cn.liuhen.core.LiuhenCore
import cn.liuhen.core.LiuhenException
import cn.liuhen.core.Step
import kotlinx.coroutines.runBlocking
import org.junit.AfterClass
import org.junit.BeforeClass
import org.junit.Test
import java.io.File
import kotlin.test.assertContains
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertTrue

/**
 * Refusals cross the FFI boundary as typed exceptions carrying their rule IDs and a
 * Chinese message, and a refused step changes nothing.
 */
class ErrorsAcrossTheBoundaryTest {
    companion object {
        private lateinit var server: TestServer
        private lateinit var core: LiuhenCore

        @BeforeClass @JvmStatic fun setUp() {
            server = TestServer.start()
            core = enrolledPhone(server)
        }
        @AfterClass @JvmStatic fun tearDown() { server.close() }
    }

    private fun openAdHoc(): String =
        core.openAdHoc(Demo.TARGET, "生态环境", "QYHJ-ZX-01", "信访投诉核查", "《中华人民共和国环境保护法》", Demo.LI_MING)

    @Test
    fun expiredAndSuspendedCertificatesAreRefusedWithRSCENE1() {
        val id = openAdHoc()
        val expired = assertFailsWith<LiuhenException.RuleNotMet> { core.checkIn(id, Demo.HUANG_ZHIQIANG) }
        assertEquals("R-SCENE-1", expired.rule)
        assertContains(expired.detail, "黄志强")
        assertContains(expired.detail, "有效期")
        val suspended = assertFailsWith<LiuhenException.RuleNotMet> { core.checkIn(id, Demo.WU_JIANGUO) }
        assertEquals("R-SCENE-1", suspended.rule)
        assertTrue(core.inspection(id).team.isEmpty(), "nothing recorded by a refused check-in")
    }

    @Test
    fun anOfficerNotDrawnForTheTaskIsRefusedWithRRAND2() {
        // 陈晓红's phone opens the task; 李明 is on it; nobody else may check in.
        val id = core.openForTask(Demo.TASK, Demo.LI_MING)
        try {
            core.checkIn(id, Demo.LI_MING)
            val again = assertFailsWith<LiuhenException.NotApplicable> { core.checkIn(id, Demo.LI_MING) }
            assertContains(again.detail, "已经签到")
            val second = assertFailsWith<LiuhenException.TaskAlreadyOpen> { core.openForTask(Demo.TASK, Demo.LI_MING) }
            assertEquals(id, second.inspectionId)
        } finally {
            // Leave the task free for other tests: close is refused (team incomplete), so
            // the inspection simply stays open; the other tests use ad hoc inspections.
        }
    }

    @Test
    fun identityNoticeNeedsTwoOfficersRSCENE2() = runBlocking<Unit> {
        val id = openAdHoc()
        core.checkIn(id, Demo.LI_MING)
        val audio = core.captureEvidence(id, Media.wav(tempDir("m"), "a.wav").path, CaptureRequest(EvidenceType.AUDIO, "audio/wav", Step.IDENTITY_NOTICE), Demo.LI_MING)
        val e = assertFailsWith<LiuhenException.RuleNotMet> { core.recordIdentityNotice(id, null, audio.sha256, Demo.LI_MING) }
        assertEquals("R-SCENE-2", e.rule)
    }

    @Test
    fun closingEarlyListsEveryUnmetRule() {
        val id = openAdHoc()
        core.checkIn(id, Demo.LI_MING)
        core.checkIn(id, Demo.CHEN_XIAOHONG)
        val e = assertFailsWith<LiuhenException.CloseRefused> { core.close(id, Demo.LI_MING) }
        val rules = e.violations.map { it.rule }.toSet()
        assertTrue("R-SCENE-3" in rules && "R-SCENE-4" in rules, "unmet rules: $rules")
        assertTrue(e.violations.all { it.message.startsWith(it.rule) }, "each message starts with its rule ID")
        assertEquals(e.violations, core.unmetRules(id))
        assertEquals(null, core.inspection(id).closedAt)
    }

    @Test
    fun aFileThatIsNotAPhotoIsRefusedAndNothingIsStored() = runBlocking<Unit> {
        val id = openAdHoc()
        core.checkIn(id, Demo.LI_MING)
        core.checkIn(id, Demo.CHEN_XIAOHONG)
        val dir = tempDir("bad")
        val text = File(dir, "photo.jpg").apply { writeText("这不是照片") }
        assertFailsWith<LiuhenException.EvidenceRefused> {
            core.captureEvidence(id, text.path, CaptureRequest(EvidenceType.PHOTO, "image/jpeg", Step.FINDINGS), Demo.LI_MING)
        }
        val good = Media.jpeg(dir, "good.jpg", 400, 300)
        val truncated = File(dir, "cut.jpg").apply { writeBytes(good.readBytes().copyOf(good.length().toInt() / 2)) }
        assertFailsWith<LiuhenException.EvidenceRefused> {
            core.captureEvidence(id, truncated.path, CaptureRequest(EvidenceType.PHOTO, "image/jpeg", Step.FINDINGS), Demo.LI_MING)
        }
        val missing = assertFailsWith<LiuhenException.EvidenceRefused> {
            core.captureEvidence(id, File(dir, "absent.jpg").path, CaptureRequest(EvidenceType.PHOTO, "image/jpeg", Step.FINDINGS), Demo.LI_MING)
        }
        assertTrue(missing.detail.isNotBlank())
        assertTrue(core.inspection(id).evidence.isEmpty(), "refused files leave no evidence behind")
        // A finding pointing at evidence that was never captured is refused with R-REC-5.
        val e = assertFailsWith<LiuhenException.RuleNotMet> { core.addFinding(id, "现场照片", listOf("0".repeat(64)), Demo.LI_MING) }
        assertEquals("R-REC-5", e.rule)
        val empty = assertFailsWith<LiuhenException.InvalidInput> { core.addFinding(id, "   ", emptyList(), Demo.LI_MING) }
        assertEquals("finding.text", empty.field)
    }

    @Test
    fun unknownRecordsAndUnenrolledDevicesSayWhatToDo() = runBlocking<Unit> {
        val nf = assertFailsWith<LiuhenException.NotFound> { core.inspection("01900000-0000-7000-8000-000000000000") }
        assertTrue(nf.detail.isNotBlank())
        val fresh = LiuhenCore.open(tempDir("fresh").path)
        assertFailsWith<LiuhenException.NotEnrolled> { fresh.syncNow() }
        assertFailsWith<LiuhenException.NoRoster> { fresh.tasks(null) }
        val wrong = assertFailsWith<LiuhenException.CredentialsRefused> {
            fresh.enrollWithPassword(server.baseUrl, Demo.LI_MING, "wrong-password", "测试手机")
        }
        assertContains(wrong.detail, "密码")
        assertFailsWith<LiuhenException.CredentialsRefused> { fresh.enrollWithCode("ZZZZZZZZ", server.baseUrl, "测试手机") }
        assertEquals(null, fresh.enrollment(), "a failed enrolment stores nothing")
        assertFailsWith<LiuhenException.InvalidInput> { fresh.enrollWithCode("K7PM2QXA", null, "测试手机") }
    }

    @Test
    fun aStoreFromANewerAppOrADamagedFileIsRefusedUntouched() {
        val dir = tempDir("damaged")
        val db = File(dir, "liuhen.db").apply { writeText("not a database at all ".repeat(100)) }
        val before = db.readBytes()
        val e = assertFailsWith<LiuhenException.DataDamaged> { LiuhenCore.open(dir.path) }
        assertContains(e.detail, "损坏")
        assertTrue(before.contentEquals(db.readBytes()), "the damaged file is left as it was")
    }
}
