package cn.liuhen.app.logic

import cn.liuhen.core.CaptureLocation
import cn.liuhen.core.EvidenceType
import cn.liuhen.core.RecordSummary
import cn.liuhen.core.RecordsSnapshot
import cn.liuhen.core.Step
import cn.liuhen.core.SyncStatus
import cn.liuhen.core.TaskView
import org.junit.Test
import java.time.Instant
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertIs
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue

/**
 * The phone features of issue 21 as pure state: location on captures, the video
 * identity notice with its timer and interruptions, needs-attention, the offline
 * banner, what survives process death, notifications between syncs, draft forms.
 */
class PhoneFeaturesStateTest {
    private val now = 1_772_416_800_000L // 2026-03-02 10:00 Beijing
    private val granted = PermissionState().withResult(AppPermission.CAMERA, true, true).withResult(AppPermission.MICROPHONE, true, true)

    private fun apply(m: FlowModel, vararg es: FlowEvent): Update =
        es.fold(Update(m)) { u, e -> FlowUpdate.update(u.model, e) }

    // --- location

    @Test
    fun aCheckInCarriesTheFixOrSaysNoPositionWasTaken() {
        val fix = LocationFix(23.6821, 113.0561, 7.6, now - 10_000)
        val ok = LocationPolicy.status(fix, permitted = true, serviceOn = true, nowMillis = now)
        val m = Views.model(Views.opened(), permissions = granted)
        val located = apply(m, FlowEvent.LocationChanged(ok), FlowEvent.CheckIn(Views.LI))
        assertEquals(
            CoreEffect.CheckIn(Views.LI, CaptureLocation(23.6821, 113.0561, 7.6, Instant.ofEpochMilli(now - 10_000))),
            located.effect,
        )
        for (status in listOf(LocationStatus.NoPermission, LocationStatus.ServiceOff, LocationStatus.Searching(null))) {
            val u = apply(m, FlowEvent.LocationChanged(status), FlowEvent.CheckIn(Views.LI))
            assertEquals(CoreEffect.CheckIn(Views.LI, null), u.effect, "$status: no position rather than a wrong one")
            assertEquals("已签到（未取得位置）。", FlowUpdate.done(u.model, u.effect as CoreEffect, null).message?.text)
        }
        assertEquals(
            "位置：北纬 23.68210，东经 113.05610，精度约 8 米，2026-03-02 09:59 定位",
            LocationPolicy.recorded(CaptureLocation(23.6821, 113.0561, 7.6, Instant.ofEpochMilli(now - 10_000))),
        )
        assertEquals("未取得位置", LocationPolicy.recorded(null))
    }

    @Test
    fun aFreshPreciseFixGoesOnThePhotoAStaleOrCoarseOneDoesNot() {
        val fix = LocationFix(23.6821, 113.0561, 12.0, now - 30_000)
        val ok = LocationPolicy.status(fix, permitted = true, serviceOn = true, nowMillis = now)
        assertEquals(LocationStatus.Usable(fix), ok)
        assertEquals("位置：北纬 23.68210，东经 113.05610，精度约 12 米，2026-03-02 09:59 定位", LocationPolicy.label(ok))

        val stale = LocationPolicy.status(fix, true, true, now + LocationPolicy.MAX_AGE_MILLIS)
        assertIs<LocationStatus.Searching>(stale)
        val coarse = LocationPolicy.status(fix.copy(accuracyMeters = 1500.0), true, true, now)
        assertEquals("正在定位（最近一次精度约 1500 米，不够准确或已过时，不记入证据）", LocationPolicy.label(coarse))
        assertEquals(LocationStatus.NoPermission, LocationPolicy.status(fix, false, true, now))
        assertEquals(LocationStatus.ServiceOff, LocationPolicy.status(fix, true, false, now))
        assertIs<LocationStatus.Searching>(LocationPolicy.status(fix.copy(lat = Double.NaN), true, true, now))

        val m = Views.model(Views.noticed(), permissions = granted).copy(draft = FlowDraft(findingText = "x"))
        val withFix = apply(m, FlowEvent.LocationChanged(ok), FlowEvent.PhotoTaken("/tmp/p.jpg"))
        val req = assertIs<CoreEffect.Capture>(withFix.effect).request
        assertEquals(CaptureLocation(23.6821, 113.0561, 12.0, Instant.ofEpochMilli(now - 30_000)), req.location)
        val without = apply(m, FlowEvent.LocationChanged(stale), FlowEvent.PhotoTaken("/tmp/p.jpg"))
        assertNull(assertIs<CoreEffect.Capture>(without.effect).request.location, "no position rather than a wrong one")
        // The officer is told when the photo is stored without a position.
        val stored = FlowUpdate.done(without.model, without.effect as CoreEffect, null)
        assertEquals("照片已保存（未取得位置）。", stored.message?.text)
        // A fix with no accuracy (0) never goes on the record: the core would refuse it.
        assertIs<LocationStatus.Searching>(LocationPolicy.status(fix.copy(accuracyMeters = 0.0), true, true, now))
        assertTrue(InspectionFlow.render(withFix.model).findings.location.startsWith("位置：北纬"))
    }

    @Test
    fun theBetterFixKeepsAPreciseRecentOneOverACoarseNewerOne() {
        val gps = LocationFix(23.68, 113.05, 8.0, now)
        val cell = LocationFix(23.70, 113.10, 900.0, now + 5_000)
        assertEquals(gps, LocationPolicy.better(gps, cell, now + 5_000))
        val laterGps = gps.copy(atMillis = now + 60_000, accuracyMeters = 10.0)
        assertEquals(laterGps, LocationPolicy.better(gps, laterGps, now + 60_000))
    }

    // --- video identity notice

    @Test
    fun videoNeedsTheCameraAndShowsATimerAndKeepsTheScreenOn() {
        val mic = PermissionState().withResult(AppPermission.MICROPHONE, true, true)
        val m = Views.model(Views.checkedIn(), permissions = mic)
        val chosen = apply(m, FlowEvent.RecordingModeChosen(RecordingMode.VIDEO)).model
        val s = InspectionFlow.render(chosen)
        assertEquals("开始录像", s.identity.startRecording.label)
        assertEquals("R-REC-2: 未获得相机权限，无法录像", s.identity.startRecording.whyNot)
        val refused = apply(chosen, FlowEvent.RecorderStarted(RecordingMode.VIDEO, now)).model
        assertEquals(RecordingState.Idle, refused.draft.recording)
        assertTrue(refused.message!!.text.contains("相机"), refused.message!!.text)

        val ok = apply(m.copy(permissions = granted), FlowEvent.RecordingModeChosen(RecordingMode.VIDEO), FlowEvent.RecorderStarted(RecordingMode.VIDEO, now), FlowEvent.Tick(now + 65_000)).model
        val r = InspectionFlow.render(ok).identity
        assertEquals("● 录像中 01:05", r.timer)
        assertTrue(r.keepScreenOn)
        assertFalse(r.canChooseMode, "no switching while recording")
        assertEquals("停止录像", r.stopRecording.label)
        assertTrue(r.stopRecording.enabled)
        assertEquals("1:02:03", VideoRecording.timer(3_723_000))
    }

    @Test
    fun aFinishedSegmentIsStoredWhileRecordingGoesOn() {
        val m = apply(
            Views.model(Views.checkedIn(), permissions = granted),
            FlowEvent.RecordingModeChosen(RecordingMode.VIDEO), FlowEvent.RecorderStarted(RecordingMode.VIDEO, now),
        ).model
        val u = FlowUpdate.update(m, FlowEvent.VideoSegmentFinished("/tmp/seg-1.mp4", 3_000_000))
        val c = assertIs<CoreEffect.Capture>(u.effect)
        assertEquals(EvidenceType.VIDEO, c.request.kind)
        assertEquals("video/mp4", c.request.mediaType)
        assertEquals(Step.IDENTITY_NOTICE, c.request.step)
        val after = FlowUpdate.done(u.model, c, null)
        assertEquals(RecordingState.Recording, after.draft.recording)
        assertEquals(1, after.draft.videoSegmentsStored)
        assertEquals("● 录像中 00:30（已保存 1 段）", VideoRecording.timerLabel(after.copy(nowMillis = now + 30_000)))
    }

    @Test
    fun aCallStopsTheRecordingAndWhatWasRecordedIsStoredWithAnExplanation() {
        val m = apply(Views.model(Views.checkedIn(), permissions = granted), FlowEvent.RecorderStarted(RecordingMode.AUDIO, now)).model
        val u = FlowUpdate.update(m, FlowEvent.RecordingInterrupted(Interruption.CALL, "/tmp/notice.aac", 40_000, 12_000, "audio/aac"))
        val c = assertIs<CoreEffect.Capture>(u.effect)
        assertEquals(EvidenceType.AUDIO, c.request.kind)
        assertEquals(
            "录音因来电中断，已保存中断前录制的 00:12。如告知未宣读完整，请通话结束后重新录音（R-REC-2）。",
            u.model.message!!.text,
        )
        val stored = FlowUpdate.done(u.model, c, null)
        assertEquals(RecordingState.Idle, stored.draft.recording)
        assertNotNull(stored.message, "the explanation stays once the part is stored")

        val nothing = FlowUpdate.update(m, FlowEvent.RecordingInterrupted(Interruption.CALL, null, 0, 300, "audio/aac"))
        assertNull(nothing.effect)
        assertEquals(RecordingState.Idle, nothing.model.draft.recording)
        assertTrue(nothing.model.message!!.text.startsWith("录音因来电中断，未录到可保存的内容"))
    }

    // --- what survives rotation and process death

    @Test
    fun theTypedDraftAndPendingCapturesSurviveProcessDeath() {
        val d = FlowDraft(
            findingText = "排放口标识缺失", statementOverride = "我们是……", signerName = "张伟", partyRefused = true,
            witnessName = "王五", refusalReason = "不认可", recordingMode = RecordingMode.VIDEO, amendTarget = "rights_notice",
            amendText = "补充", recording = RecordingState.Recording,
        )
        val back = DraftCodec.decode(DraftCodec.encode(d))
        assertEquals(d.copy(recording = RecordingState.Idle), back)
        assertNull(DraftCodec.decode(emptyMap()))

        val photo = CaptureRestore.afterRestart(PendingCapture(photoPath = "/c/photo-1.jpg"), FileFacts(2_000_000, now), null)
        assertEquals(listOf<FlowEvent>(FlowEvent.PhotoTaken("/c/photo-1.jpg")), photo, "the returned photo is never dropped")
        assertEquals(emptyList(), CaptureRestore.afterRestart(PendingCapture(photoPath = "/c/photo-2.jpg"), FileFacts(0, now), null))

        val audio = CaptureRestore.afterRestart(
            PendingCapture(recordingPath = "/c/notice-1.aac", recordingStartedAtMillis = now - 20_000),
            null, FileFacts(80_000, now),
        ).single()
        assertEquals(FlowEvent.RecordingInterrupted(Interruption.BACKGROUND, "/c/notice-1.aac", 80_000, 20_000, "audio/aac"), audio)
        val video = assertIs<FlowEvent.RecordingInterrupted>(
            CaptureRestore.afterRestart(
                PendingCapture(recordingPath = "/c/video-3.mp4", recordingStartedAtMillis = now - 20_000, recordingMode = RecordingMode.VIDEO),
                null, FileFacts(9_000_000, now),
            ).single(),
        )
        assertNull(video.filePath, "an unfinished MPEG-4 segment is never stored")
    }

    // --- needs attention, offline

    private fun summary(id: String, status: SyncStatus, closed: Boolean = true, reason: String? = null) =
        RecordSummary(id, "清远市华瓷陶瓷有限公司", null, closed, Instant.ofEpochMilli(now), status, reason)

    @Test
    fun aRefusedRecordSaysWhyHowToFixItAndResendsOnlyAfterTheFix() {
        val snap = RecordsSnapshot(listOf(summary("a", SyncStatus.NEEDS_ATTENTION, reason = "R-SCENE-1: 证件已过期"), summary("b", SyncStatus.SYNCED)), false)
        val s = RecordListState.render(snap, SyncPolicyState(), true, Instant.ofEpochMilli(now))
        assertEquals(1, s.attentionCount)
        val row = s.rows[0]
        assertTrue(row.needsAttention)
        assertEquals("查看原因并处理", row.actionLabel)
        assertTrue(row.attentionHint!!.contains("添加更正"), row.attentionHint)
        assertTrue(row.contentDescription.contains("需处理") && row.contentDescription.contains("证件已过期"), row.contentDescription)

        val p = assertNotNull(NeedsAttention.panel(SyncStatus.NEEDS_ATTENTION, "R-SCENE-1: 证件已过期", closed = true))
        assertEquals("服务器未接受：R-SCENE-1: 证件已过期", p.why)
        assertEquals(AttentionFix.AMEND, p.fixAction)
        assertTrue(p.resend.enabled, "resent unchanged when the cause was on the server's side")
        assertEquals("重新同步", p.resend.label)
        assertEquals(p.resend, row.resend)
        assertNull(s.rows.first { it.id == "b" }.resend, "a synced record has nothing to resend")
        assertEquals(AttentionFix.EDIT, NeedsAttention.panel(SyncStatus.NEEDS_ATTENTION, null, closed = false)!!.fixAction)
        assertEquals("服务器未接受：" + NeedsAttention.NO_REASON, NeedsAttention.panel(SyncStatus.NEEDS_ATTENTION, " ", true)!!.why)
        assertNull(NeedsAttention.panel(SyncStatus.PENDING, null, true))
        assertTrue(NeedsAttention.resendNow(SyncStatus.PENDING, SyncPolicyState())!!.enabled, "fixed: 待同步 again")
        assertFalse(NeedsAttention.resendNow(SyncStatus.PENDING, SyncPolicyState(stoppedKind = SyncFailureKind.RE_ENROL, stopped = "x"))!!.enabled)

        val flow = InspectionFlow.render(Views.model(Views.closed()).copy(syncStatus = SyncStatus.NEEDS_ATTENTION, syncProblem = "R-SCENE-1: 证件已过期"))
        assertEquals("添加更正", flow.attention!!.fixLabel)
    }

    @Test
    fun theOfflineBannerSaysWhatStillWorks() {
        val snap = RecordsSnapshot(listOf(summary("a", SyncStatus.PENDING)), false)
        assertNull(RecordListState.render(snap, SyncPolicyState(), true, Instant.ofEpochMilli(now)).offline)
        assertEquals(
            "当前离线：可以继续检查，记录保存在本机。1 条记录待同步，联网后自动同步。",
            RecordListState.render(snap, SyncPolicyState(), true, Instant.ofEpochMilli(now), online = false).offline,
        )
        assertEquals("当前离线：可以继续检查，记录保存在本机，联网后自动同步。", Offline.banner(false, 0))
    }

    // --- notifications between syncs

    private fun task(id: String, due: String, fromDraw: Boolean = true) = TaskView(
        id, "T-$id", "企业$id", "清远市", "QYHJ-SJ-07", "排污许可证执行情况检查", "《排污许可管理条例》", "生态环境",
        listOf(Views.LI), listOf("李明"), due, fromDraw, false, null, null,
    )

    @Test
    fun newTasksAndReturnedRecordsAreNotifiedOnce() {
        val t1 = task("1", "2026-12-01")
        val t2 = task("2", "2026-11-01", fromDraw = false)
        val before = NoticeMark(setOf("1"), emptySet())
        val after = NoticeMark(setOf("1", "2"), setOf("insp-9"))
        val n = SyncNotices.between(before, after, listOf(t1, t2), mapOf("insp-9" to "清远市华瓷陶瓷有限公司"))
        assertEquals(listOf("task:2", "returned:insp-9"), n.map { it.key })
        assertEquals("新的检查任务", n[0].title)
        assertEquals("企业2 · 排污许可证执行情况检查 · 截止 2026-11-01", n[0].text)
        assertEquals("insp-9", n[1].openInspectionId)
        assertEquals(emptyList(), SyncNotices.between(after, after, listOf(t1, t2), emptyMap()), "nothing twice")

        val many = (1..5).map { task("$it", "2026-12-0$it") }
        val summed = SyncNotices.between(null, NoticeMark(many.mapTo(HashSet()) { it.id }), many, emptyMap()).single()
        assertEquals("收到 5 项检查任务", summed.title)
        assertEquals("其中双随机抽查 5 项。最早截止 2026-12-01：企业1", summed.text)
    }

    // --- decision drafts

    @Test
    fun theDraftFormChecksTheFineAndNamesMajorDecisions() {
        assertEquals(2_000_000L, DraftsController.fen("20000"))
        assertEquals(123_450L, DraftsController.fen("1,234.50元"))
        assertNull(DraftsController.fen(" "))
        assertEquals("1234.5", DraftsController.fineYuan(123_450))
        val input = cn.liuhen.core.DraftInput(
            "penalty", "", "", "company", "", "", "", "", "", "", null,
            false, false, false, false, false, false, false, false,
            otherItems = emptyList(), confidential = "", inspectionIds = emptyList(), evidence = emptyList(),
        )
        val f = DraftFormState(null, input, emptyList(), "新草案（未保存）").withField("fine_fen", "12.345")
        assertEquals(
            mapOf("title" to "请填写草案标题", "party_name" to "请填写当事人名称", "fine_fen" to "罚款金额应为不小于 0 的数字，最多两位小数，例如 20000 或 1234.50"),
            f.localErrors(),
        )
        val s = f.withField("title", "处罚决定").withField("party_name", "华瓷").withField("fine_fen", "-1").screen()
        assertFalse(s.save.enabled)
        val major = f.withField("title", "t").withField("party_name", "p").withField("fine_fen", "").withFlag("revocation", true).screen()
        assertTrue(major.save.enabled)
        assertTrue(major.majorNote!!.contains("R-LEGAL-1"))
        assertEquals(10, major.fields.size)
    }
}
