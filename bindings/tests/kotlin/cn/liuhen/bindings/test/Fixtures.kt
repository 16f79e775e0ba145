package cn.liuhen.bindings.test

import cn.liuhen.core.CaptureLocation
import cn.liuhen.core.CaptureRequest
import cn.liuhen.core.EvidenceType
import cn.liuhen.core.InspectionObserver
import cn.liuhen.core.InspectionView
import cn.liuhen.core.LiuhenCore
import cn.liuhen.core.PartyResponse
import cn.liuhen.core.RecordsObserver
import cn.liuhen.core.RecordsSnapshot
import cn.liuhen.core.RightsNoticeRequest
import cn.liuhen.core.Step
import kotlinx.coroutines.runBlocking
import java.io.File
import java.nio.file.Files
import java.util.concurrent.LinkedBlockingQueue
import java.util.concurrent.TimeUnit

/** Demo officers (server/src/demo.rs, core/tests/data/demo-roster.json). */
object Demo {
    const val LI_MING = "qy-zf-001"
    const val CHEN_XIAOHONG = "qy-zf-002"
    /** Certificate expired 2026-06-30. */
    const val HUANG_ZHIQIANG = "qy-zf-003"
    /** Certificate suspended. */
    const val WU_JIANGUO = "qy-zf-004"
    const val TASK = "QY-2026-SJ-0117"
    const val TARGET = "qy-dx-0001"
}

/** Every directory [tempDir] made in this JVM, removed with its contents when the JVM exits. */
private val madeDirs = java.util.concurrent.ConcurrentLinkedQueue<File>().also { dirs ->
    Runtime.getRuntime().addShutdownHook(Thread { dirs.forEach { it.deleteRecursively() } })
}

/** A new temporary directory. */
fun tempDir(prefix: String): File = Files.createTempDirectory(prefix).toFile().also { madeDirs.add(it) }

/** A phone: a core in its own data directory, enrolled for `officer` and synced once. */
fun enrolledPhone(server: TestServer, officer: String = Demo.LI_MING, dir: File = tempDir("liuhen-phone")): LiuhenCore {
    val core = LiuhenCore.open(dir.path)
    runBlocking {
        core.enrollWithPassword(server.baseUrl, officer, DEMO_PASSWORD, "$officer 的测试手机")
        check(core.syncNow().rosterUpdated) { "the first sync brings the roster" }
    }
    return core
}

/** Records a complete inspection of the demo task through the bindings; returns its id. */
fun recordCompleteInspection(core: LiuhenCore, media: File, by: String = Demo.LI_MING): String = runBlocking {
    val id = core.openForTask(Demo.TASK, by)
    core.checkIn(id, Demo.LI_MING)
    core.checkIn(id, Demo.CHEN_XIAOHONG)
    val audio = core.captureEvidence(id, Media.wav(media, "notice.wav").path, CaptureRequest(EvidenceType.AUDIO, "audio/wav", Step.IDENTITY_NOTICE), by)
    core.recordIdentityNotice(id, null, audio.sha256, by)
    val photo = core.captureEvidence(id, Media.jpeg(media, "outlet.jpg").path, CaptureRequest(EvidenceType.PHOTO, "image/jpeg", Step.FINDINGS, CaptureLocation(23.6312, 113.2405, 9.0, java.time.Instant.now().minusSeconds(10))), by)
    core.addFinding(id, "废水排放口标识牌缺失，现场已拍照。", listOf(photo.sha256), by)
    val signature = core.captureEvidence(id, Media.signaturePng(media, "sign.png").path, CaptureRequest(EvidenceType.SIGNATURE, "image/png", Step.RIGHTS_NOTICE), by)
    // R-SCENE-4: the agency's notice as the server sent it with the roster, by version.
    val notice = checkNotNull(core.agencyRightsNotice()) { "the demo roster carries the agency's rights notice" }
    core.recordRightsNotice(id, RightsNoticeRequest(notice.version, PartyResponse.Signed("张伟", signature.sha256)), by)
    core.close(id, by)
    id
}

/** An inspection observer that queues what it receives. */
class QueueingInspectionObserver : InspectionObserver {
    val updates = LinkedBlockingQueue<InspectionView>()
    val errors = LinkedBlockingQueue<String>()
    override fun onUpdate(inspection: InspectionView) { updates.add(inspection) }
    override fun onError(detail: String) { errors.add(detail) }

    /** The next update matching `p` within 30 s (earlier ones are skipped). */
    fun awaitMatching(p: (InspectionView) -> Boolean): InspectionView {
        val deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30)
        while (System.nanoTime() < deadline) {
            val v = updates.poll(1, TimeUnit.SECONDS) ?: continue
            if (p(v)) return v
        }
        throw AssertionError("no matching inspection update within 30 s")
    }
}

/** A records observer that keeps every snapshot. */
class RecordingRecordsObserver : RecordsObserver {
    val snapshots = LinkedBlockingQueue<RecordsSnapshot>()
    override fun onUpdate(snapshot: RecordsSnapshot) { snapshots.add(snapshot) }
}
