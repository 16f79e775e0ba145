package cn.liuhen.app.logic

import cn.liuhen.core.EvidenceType
import cn.liuhen.core.LiuhenException
import org.junit.Test
import kotlin.test.assertEquals
import kotlin.test.assertIs
import kotlin.test.assertNull
import kotlin.test.assertTrue

/** Events in, model and core call out: nothing typed is lost on refusals. */
class FlowUpdateTest {
    private val granted = PermissionState().withResult(AppPermission.CAMERA, true, true).withResult(AppPermission.MICROPHONE, true, true)

    private fun apply(m: FlowModel, vararg es: FlowEvent): Update =
        es.fold(Update(m)) { u, e -> FlowUpdate.update(u.model, e) }

    @Test
    fun cameraDeniedKeepsTheTypedFindingAndExplainsIt() {
        val u = apply(
            Views.model(Views.noticed(), permissions = granted),
            FlowEvent.FindingTextChanged("危废贮存间未张贴标识"),
            FlowEvent.PermissionChanged(AppPermission.CAMERA, granted = false, canAskAgain = false),
            FlowEvent.PhotoTaken("/tmp/never.jpg"),
        )
        assertNull(u.effect, "no photo may be captured without the permission")
        assertEquals("危废贮存间未张贴标识", u.model.draft.findingText)
        assertEquals("未获得相机权限，无法拍照", u.model.message?.text)
        val screen = InspectionFlow.render(u.model)
        assertEquals(PermissionAction.OPEN_SETTINGS, screen.findings.camera?.action)
        assertEquals("危废贮存间未张贴标识", screen.findings.draftText)
        // The finding itself can still be saved without a photo.
        val add = FlowUpdate.update(u.model, FlowEvent.AddFinding)
        assertEquals(CoreEffect.AddFinding("危废贮存间未张贴标识", emptyList()), add.effect)
    }

    @Test
    fun microphoneDeniedRefusesToStartRecordingButKeepsTheEditedStatement() {
        val perms = granted.withResult(AppPermission.MICROPHONE, granted = false, canAskAgain = true)
        val u = apply(Views.model(Views.checkedIn(), permissions = perms), FlowEvent.StatementEdited("改过的告知用语"), FlowEvent.RecordingStarted)
        assertEquals(RecordingState.Idle, u.model.draft.recording)
        assertEquals("改过的告知用语", u.model.draft.statementOverride)
        assertTrue(u.model.message!!.text.startsWith("未获得麦克风权限"), u.model.message!!.text)
    }

    @Test
    fun storageFullKeepsTheDraftAndShowsTheBanner() {
        val typed = apply(Views.model(Views.noticed(), permissions = granted), FlowEvent.FindingTextChanged("排污口无标识"), FlowEvent.AddFinding)
        val effect = assertIs<CoreEffect.AddFinding>(typed.effect)
        assertTrue(typed.model.busy)
        val after = FlowUpdate.failed(typed.model, effect, LiuhenException.StorageFull("磁盘已满"))
        assertEquals("排污口无标识", after.draft.findingText)
        assertEquals(ErrorPresenter.STORAGE_FULL, after.message?.text)
        assertEquals(false, after.busy)
        // Saved: now the text is cleared.
        assertEquals("", FlowUpdate.done(typed.model, effect, "f-2").draft.findingText)
    }

    @Test
    fun anEmptyOrTooShortRecordingIsRefusedAndNothingIsStored_R_REC_2() {
        val m = Views.model(Views.checkedIn(), permissions = granted)
        val empty = apply(m, FlowEvent.RecordingStarted, FlowEvent.RecordingFinished("/tmp/a.m4a", 0, 5_000))
        assertNull(empty.effect)
        assertEquals(RecordingState.Idle, empty.model.draft.recording)
        assertEquals("R-REC-2", empty.model.message?.rule)
        val short = apply(m, FlowEvent.RecordingStarted, FlowEvent.RecordingFinished("/tmp/a.m4a", 900, 200))
        assertNull(short.effect)
        assertEquals("R-REC-3", short.model.message?.rule)
        val ok = apply(m, FlowEvent.RecordingStarted, FlowEvent.RecordingFinished("/tmp/a.m4a", 48_000, 15_000))
        val capture = assertIs<CoreEffect.Capture>(ok.effect)
        assertEquals(EvidenceType.AUDIO, capture.request.kind)
        assertEquals(RecordingState.Storing, ok.model.draft.recording)
    }

    @Test
    fun aStepWhileAnotherIsStoredIsNotSentTwice() {
        val busy = Views.model(Views.noticed(), permissions = granted).copy(busy = true, draft = FlowDraft(findingText = "x"))
        assertNull(FlowUpdate.update(busy, FlowEvent.AddFinding).effect)
    }

    @Test
    fun closingWithUnmetRulesStillAsksTheCoreWhichListsThem() {
        val m = Views.model(Views.withFinding(), Views.unmetFresh.drop(3), granted)
        val u = FlowUpdate.update(m, FlowEvent.Close)
        assertEquals(CoreEffect.Close, u.effect)
        val refused = LiuhenException.CloseRefused(Views.unmetFresh.drop(3), "不能结束")
        val after = FlowUpdate.failed(u.model, CoreEffect.Close, refused)
        assertTrue(after.message!!.text.contains("R-SCENE-4: 尚未告知当事人"), after.message!!.text)
        assertIs<NextAction.ShowUnmetRules>(after.message!!.action)
    }
}
