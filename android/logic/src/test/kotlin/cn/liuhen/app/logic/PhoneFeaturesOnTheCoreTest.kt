package cn.liuhen.app.logic

import cn.liuhen.bindings.test.Demo
import cn.liuhen.bindings.test.Media
import cn.liuhen.bindings.test.TestServer
import cn.liuhen.bindings.test.enrolledPhone
import cn.liuhen.bindings.test.jsonField
import cn.liuhen.bindings.test.recordCompleteInspection
import cn.liuhen.bindings.test.tempDir
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
import org.junit.AfterClass
import org.junit.BeforeClass
import org.junit.Test
import java.io.File
import java.util.concurrent.Executors
import kotlin.test.assertEquals
import kotlin.test.assertIs
import kotlin.test.assertNotNull
import kotlin.test.assertTrue

/**
 * The phone features of issue 21 against the real core (native library through the
 * generated bindings) and a real `liuhen-server`: the capture position reaching the
 * server, the video identity notice cut by a call, notifications of drawn tasks and
 * returned records between syncs, and decision drafts saved offline and synced.
 */
class PhoneFeaturesOnTheCoreTest {
    companion object {
        private lateinit var server: TestServer

        @BeforeClass @JvmStatic
        fun startServer() { server = TestServer.start() }

        @AfterClass @JvmStatic
        fun stopServer() { server.close() }

        /** A minimal MPEG-4 file (ftyp isom + mdat), as a finished MediaRecorder segment begins. */
        fun mp4(dir: File, name: String): File = File(dir, name).apply {
            val ftyp = byteArrayOf(0, 0, 0, 0x18) + "ftypisom".toByteArray() + byteArrayOf(0, 0, 2, 0) + "isomiso2".toByteArray()
            val seed = name.hashCode()
            val payload = ByteArray(4096) { (it * 31 + seed).toByte() } // each segment its own bytes
            val mdat = byteArrayOf(0, 0, 0x10, 0x08) + "mdat".toByteArray() + payload
            writeBytes(ftyp + mdat)
        }
    }

    private val ioPool = Executors.newFixedThreadPool(2)
    private val io = ioPool.asCoroutineDispatcher()
    private val granted = PermissionState().withResult(AppPermission.CAMERA, true, true).withResult(AppPermission.MICROPHONE, true, true)

    private fun <T> withController(srv: TestServer = server, body: suspend (LiuhenCore, InspectionController, File) -> T): T {
        val core = enrolledPhone(srv)
        val id = core.openForTask(Demo.TASK, Demo.LI_MING)
        val scope = CoroutineScope(SupervisorJob() + io)
        val c = InspectionController(core, id, Demo.LI_MING, scope, io, granted)
        try {
            return runBlocking { withTimeout(120_000) { body(core, c, tempDir("liuhen-media")) } }
        } finally {
            c.close()
            scope.cancel()
            ioPool.shutdown()
        }
    }

    private suspend fun InspectionController.loaded(p: (FlowScreen) -> Boolean = { true }) =
        screen.first { it.title.isNotEmpty() && !it.busy && p(it) }

    @Test
    fun thePositionOfAPhotoReachesTheServer() = withController { core, c, media ->
        c.start()
        c.loaded()
        c.onEvent(FlowEvent.CheckIn(Demo.LI_MING)).join()
        c.onEvent(FlowEvent.CheckIn(Demo.CHEN_XIAOHONG)).join()
        c.onEvent(FlowEvent.RecordingStarted).join()
        val wav = Media.wav(media, "notice.wav")
        c.onEvent(FlowEvent.RecordingFinished(wav.path, wav.length(), 2_000, "audio/wav")).join()
        c.loaded { it.identity.save.enabled }
        c.onEvent(FlowEvent.SaveIdentityNotice).join()
        c.loaded { it.current == FlowStep.FINDINGS }

        val now = System.currentTimeMillis()
        val fix = LocationFix(23.682137, 113.056142, 9.0, now - 5_000)
        c.onEvent(FlowEvent.LocationChanged(LocationPolicy.status(fix, permitted = true, serviceOn = true, nowMillis = now))).join()
        c.onEvent(FlowEvent.PhotoTaken(Media.jpeg(media, "outlet.jpg", seed = 7).path)).join()
        c.onEvent(FlowEvent.FindingTextChanged("排放口标识牌缺失")).join()
        c.loaded { it.findings.unattachedPhotos.size == 1 }
        c.onEvent(FlowEvent.AddFinding).join()
        c.loaded { it.current == FlowStep.RIGHTS_NOTICE }

        core.syncNow()
        val json = assertNotNull(server.inspectionJson(c.model.value.inspectionId))
        assertTrue(json.contains("23.682137") && json.contains("113.056142"), "the capture position is on the record: $json")
    }

    @Test
    fun aCheckInAndAPhotoWithAFixReachTheServerWithTheirLocation() {
        // A server of its own: the record stays open there, and the other tests open the same task.
        val own = TestServer.start()
        try {
            located(own)
        } finally {
            own.close()
        }
    }

    private fun located(own: TestServer) = withController(own) { core, c, media ->
        c.start()
        c.loaded()
        // 李明 checks in with a fresh GPS fix; then the fix is lost (indoors) and
        // 陈晓红 checks in without one: 「未取得位置」, nothing made up.
        val t0 = System.currentTimeMillis()
        val atCheckIn = LocationFix(23.681234, 113.056789, 6.5, t0 - 4_000)
        c.onEvent(FlowEvent.LocationChanged(LocationPolicy.status(atCheckIn, permitted = true, serviceOn = true, nowMillis = t0))).join()
        c.onEvent(FlowEvent.CheckIn(Demo.LI_MING)).join()
        c.loaded { s -> s.checkIn.officers.any { it.id == Demo.LI_MING && it.checkedIn } }
        c.onEvent(FlowEvent.LocationChanged(LocationStatus.Searching(null))).join()
        c.onEvent(FlowEvent.CheckIn(Demo.CHEN_XIAOHONG)).join()
        val rows = c.loaded { s -> s.checkIn.officers.all { it.checkedIn } }.checkIn.officers
        assertTrue(rows.first { it.id == Demo.LI_MING }.position.startsWith("位置：北纬 23.68123，东经 113.05679，精度约 7 米"), rows.toString())
        assertEquals("未取得位置", rows.first { it.id == Demo.CHEN_XIAOHONG }.position)

        c.onEvent(FlowEvent.RecordingStarted).join()
        val wav = Media.wav(media, "notice.wav")
        c.onEvent(FlowEvent.RecordingFinished(wav.path, wav.length(), 2_000, "audio/wav")).join()
        c.loaded { it.identity.save.enabled }
        c.onEvent(FlowEvent.SaveIdentityNotice).join()
        c.loaded { it.current == FlowStep.FINDINGS }
        val t1 = System.currentTimeMillis()
        val atPhoto = LocationFix(23.681377, 113.056911, 11.5, t1 - 2_000)
        c.onEvent(FlowEvent.LocationChanged(LocationPolicy.status(atPhoto, permitted = true, serviceOn = true, nowMillis = t1))).join()
        c.onEvent(FlowEvent.PhotoTaken(Media.jpeg(media, "outlet.jpg", seed = 11).path)).join()
        c.loaded { it.findings.unattachedPhotos.size == 1 }

        // On the phone: the core reads both back exactly.
        val id = c.model.value.inspectionId
        val view = core.inspection(id)
        val li = view.team.first { it.officerId == Demo.LI_MING }
        assertEquals(LocationPolicy.toCapture(atCheckIn), li.location)
        assertEquals(null, view.team.first { it.officerId == Demo.CHEN_XIAOHONG }.location)
        val photo = view.evidence.first { it.kind == EvidenceType.PHOTO }
        assertEquals(LocationPolicy.toCapture(atPhoto), photo.location)

        // On the server: the record it stored carries both, with accuracy and fix time.
        core.syncNow()
        val json = assertNotNull(own.inspectionJson(id))
        for (part in listOf("23.681234", "113.056789", "\"accuracy_m\":6.5", "23.681377", "113.056911", "\"accuracy_m\":11.5", "\"fixed_at\"")) {
            assertTrue(json.contains(part), "$part on the server's record: $json")
        }
    }

    @Test
    fun aVideoNoticeCutByACallKeepsEverySegmentAndSaysWhatToDo() = withController { core, c, media ->
        c.start()
        c.loaded()
        c.onEvent(FlowEvent.CheckIn(Demo.LI_MING)).join()
        c.onEvent(FlowEvent.CheckIn(Demo.CHEN_XIAOHONG)).join()
        c.onEvent(FlowEvent.RecordingModeChosen(RecordingMode.VIDEO)).join()
        val t0 = System.currentTimeMillis()
        c.onEvent(FlowEvent.RecorderStarted(RecordingMode.VIDEO, t0)).join()
        c.onEvent(FlowEvent.VideoSegmentFinished(mp4(media, "seg-1.mp4").path, 4120)).join()
        c.onEvent(FlowEvent.Tick(t0 + 41_000)).join()
        // The screen is derived from the model asynchronously: wait for the state after the tick.
        assertTrue(c.screen.first { it.identity.timer == "● 录像中 00:41（已保存 1 段）" }.identity.keepScreenOn)
        // The call: the recorder is stopped, the part recorded since the last segment is stored.
        val cut = mp4(media, "seg-2.mp4")
        c.onEvent(FlowEvent.RecordingInterrupted(Interruption.CALL, cut.path, cut.length(), 11_000, "video/mp4")).join()
        val s = c.loaded { it.identity.save.enabled }
        assertTrue(s.message!!.text.startsWith("录像因来电中断，已保存中断前录制的 00:11"), s.message!!.text)
        assertEquals(false, s.identity.keepScreenOn)
        val id = c.model.value.inspectionId
        val videos = core.inspection(id).evidence.filter { it.kind == EvidenceType.VIDEO && it.step == Step.IDENTITY_NOTICE }
        assertEquals(2, videos.size, "both parts are evidence of the step")
        c.onEvent(FlowEvent.SaveIdentityNotice).join()
        val given = c.loaded { it.identity.given != null }
        assertTrue(given.identity.given!!.endsWith("亮证告知（已录像）"), given.identity.given)
    }

    @Test
    fun drawnTasksAndReturnedRecordsAreNotifiedOnceBetweenSyncs() = runBlocking<Unit> {
        val core = enrolledPhone(server)
        val stateDir = tempDir("liuhen-notices")
        val notices = SyncNotices(core, FileNoticeMarkStore(File(stateDir, "notices.state")))
        val sync = SyncCoordinator(core, FileSyncStateStore(File(stateDir, "sync.state")), io, notices = notices)
        val first = assertIs<SyncOutcome.Synced>(sync.request(SyncTrigger.USER))
        assertTrue(first.notices.size <= 1, "the first sync sums up: ${first.notices}")
        assertEquals(emptyList(), assertIs<SyncOutcome.Synced>(sync.request(SyncTrigger.USER)).notices)

        // A supervisor runs a double random draw: 李明's new tasks are notified.
        val supervisor = server.login("supervisor")
        val committed = server.request("POST", "/api/v1/draws", """{"item_code":"QYHJ-SJ-07"}""", supervisor)
        assertEquals(201, committed.status, committed.body)
        val drawId = assertNotNull(jsonField(committed.body, "id"))
        val ran = server.request("POST", "/api/v1/draws/$drawId/run", """{"public_entropy":"2026135"}""", supervisor)
        assertEquals(200, ran.status, ran.body)
        val drawn = assertIs<SyncOutcome.Synced>(sync.request(SyncTrigger.PERIODIC)).notices
        assertTrue(drawn.isNotEmpty() && drawn.all { it.kind == NoticeKind.NEW_TASKS }, drawn.toString())
        assertTrue(drawn.any { it.title.contains("双随机") || it.text.contains("双随机") }, drawn.toString())

        // A record returned for correction is notified, once.
        val id = recordCompleteInspection(core, tempDir("liuhen-media"))
        assertEquals(emptyList(), assertIs<SyncOutcome.Synced>(sync.request(SyncTrigger.INSPECTION_CLOSED)).notices)
        server.review(id, "请补充排放口近景照片", "returned")
        val returned = assertIs<SyncOutcome.Synced>(sync.request(SyncTrigger.PERIODIC)).notices.single()
        assertEquals(NoticeKind.RETURNED, returned.kind)
        assertEquals(id, returned.openInspectionId)
        assertEquals(emptyList(), assertIs<SyncOutcome.Synced>(sync.request(SyncTrigger.PERIODIC)).notices, "not twice")
        // After a restart of the app: still not twice.
        val again = SyncCoordinator(core, FileSyncStateStore(File(stateDir, "sync.state")), io, notices = SyncNotices(core, FileNoticeMarkStore(File(stateDir, "notices.state"))))
        assertEquals(emptyList(), assertIs<SyncOutcome.Synced>(again.request(SyncTrigger.USER)).notices)
    }

    @Test
    fun aDecisionDraftIsWrittenOfflineAndReachesTheServer() = runBlocking<Unit> {
        val phoneServer = TestServer.start()
        var srv = phoneServer
        try {
            val core = enrolledPhone(srv)
            val drafts = DraftsController(core, Demo.LI_MING, io)
            drafts.refresh()
            assertEquals(DraftsController.EMPTY, drafts.list.value.empty)
            srv.kill() // no signal at the site
            assertNotNull(drafts.new("penalty"))
            drafts.edit { it.withField("title", "关于鑫达陶瓷超标排放的处罚决定").withField("party_name", "清远市鑫达陶瓷有限公司") }
            drafts.edit { it.withField("legal_basis", "《大气污染防治法》第九十九条").withField("facts", "颗粒物超标排放").withField("fine_fen", "20000") }
            val id = assertNotNull(drafts.save(), drafts.form.value?.message?.text)
            assertEquals("草案已保存在本机，联网后随同步上传", drafts.form.value!!.message!!.text)
            assertEquals(2_000_000L, core.draft(id).content.fineFen)
            val row = drafts.list.value.rows.single()
            assertEquals("待同步", row.status)

            // A field the core refuses is named on the form; nothing is written.
            drafts.edit { it.withField("title", "题".repeat(20_001)) }
            assertEquals(null, drafts.save())
            assertTrue(drafts.form.value!!.fieldErrors.containsKey("title"), drafts.form.value!!.fieldErrors.toString())

            srv = srv.restart()
            core.syncNow()
            drafts.refresh()
            assertEquals("已同步 · 起草中", drafts.list.value.rows.single().status)
            val reopened = assertNotNull(drafts.open(id))
            assertEquals("20000", reopened.fineYuan)
            drafts.edit { it.withField("discretion", "一般情节，首次违法") }
            assertEquals(id, drafts.save())
            assertEquals("一般情节，首次违法", core.draft(id).content.discretion)
        } finally {
            srv.kill()
        }
    }
}
