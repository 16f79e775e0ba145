package cn.liuhen.app.logic

import cn.liuhen.core.ReviewCommentView
import cn.liuhen.core.ReviewVerdict
import cn.liuhen.core.EvidenceType
import cn.liuhen.core.Step
import org.junit.Test
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue

/** The step screen computed from inspection values, one step at a time. */
class InspectionFlowTest {
    private val all = PermissionState().withResult(AppPermission.CAMERA, true, true).withResult(AppPermission.MICROPHONE, true, true)

    @Test
    fun freshInspectionStartsAtCheckInAndExplainsWhyTheNoticeWaits_R_SCENE_2() {
        val s = InspectionFlow.render(Views.model(Views.opened(), Views.unmetFresh, all))
        assertEquals(FlowStep.CHECK_IN, s.current)
        assertTrue(s.steps.none { it.done })
        assertEquals(listOf(true, true), s.checkIn.officers.map { it.checkIn.enabled })
        assertFalse(s.identity.startRecording.enabled)
        assertEquals("R-SCENE-2: 需两名执法人员签到（当前 0 名）", s.identity.startRecording.whyNot)
        assertFalse(s.close.close.enabled)
        assertEquals(Views.unmetFresh.map { it.message }, s.close.unmet)
    }

    @Test
    fun oneOfficerIsNotEnoughAndTheCheckedInOneCannotCheckInTwice() {
        val v = Views.opened().copy(team = listOf(Views.member(Views.LI, "李明")))
        val s = InspectionFlow.render(Views.model(v, permissions = all))
        assertEquals(FlowStep.CHECK_IN, s.current)
        val li = s.checkIn.officers.first { it.id == Views.LI }
        assertTrue(li.checkedIn)
        assertFalse(li.checkIn.enabled)
        assertTrue(s.checkIn.officers.first { it.id == Views.CHEN }.checkIn.enabled)
        assertEquals("已签到 1/2 名", s.checkIn.summary)
        assertEquals("R-SCENE-2: 需两名执法人员签到（当前 1 名）", s.identity.save.whyNot)
    }

    @Test
    fun afterCheckInTheStatementIsShownAndRecordingIsNeededBeforeSaving_R_REC_2() {
        val s = InspectionFlow.render(Views.model(Views.checkedIn(), permissions = all))
        assertEquals(FlowStep.IDENTITY_NOTICE, s.current)
        assertTrue(s.steps.first { it.step == FlowStep.CHECK_IN }.done)
        assertTrue(s.identity.statement.startsWith("我们是清远市生态环境局执法人员"))
        assertTrue(s.identity.startRecording.enabled)
        assertEquals("R-REC-2: 请先录制亮证告知录音或录像", s.identity.save.whyNot)
        // Findings wait for the notice (R-SCENE-3).
        assertEquals("R-SCENE-3: 请先出示执法证件、亮证告知", s.findings.addFinding.whyNot)
    }

    @Test
    fun aRecordingStoredBeforeAKillIsOfferedForSavingAfterRestart() {
        val v = Views.checkedIn().copy(evidence = listOf(Views.evidence("d".repeat(64), EvidenceType.AUDIO, Step.IDENTITY_NOTICE)))
        val s = InspectionFlow.render(Views.model(v, permissions = all))
        assertTrue(s.identity.save.enabled, s.identity.save.whyNot)
        assertEquals("重新录音", s.identity.startRecording.label)
    }

    @Test
    fun microphoneDeniedForGoodExplainsSettingsAndDisablesRecording() {
        val perms = all.withResult(AppPermission.MICROPHONE, granted = false, canAskAgain = false)
        val s = InspectionFlow.render(Views.model(Views.checkedIn(), permissions = perms))
        val n = assertNotNull(s.identity.microphone)
        assertEquals(PermissionAction.OPEN_SETTINGS, n.action)
        assertTrue(n.text.contains("系统设置 → 应用 → 留痕 → 权限"), n.text)
        assertTrue(n.text.contains("不会丢失"), n.text)
        assertFalse(s.identity.startRecording.enabled)
        assertEquals("R-REC-2: 未获得麦克风权限，无法录音", s.identity.startRecording.whyNot)
    }

    @Test
    fun afterTheNoticeFindingsAreCurrentAndUnattachedPhotosAreCounted() {
        val v = Views.noticed().let { it.copy(evidence = it.evidence + Views.evidence("e".repeat(64), EvidenceType.PHOTO, Step.FINDINGS)) }
        val m = Views.model(v, permissions = all).copy(draft = FlowDraft(findingText = "危废贮存间未张贴标识"))
        val s = InspectionFlow.render(m)
        assertEquals(FlowStep.FINDINGS, s.current)
        assertEquals(listOf("e".repeat(64)), s.findings.unattachedPhotos)
        assertTrue(s.findings.addFinding.enabled)
        assertTrue(s.findings.takePhoto.enabled)
        assertNull(s.identity.microphone)
    }

    @Test
    fun rightsNoticeNeedsSignerAndSignatureOrAWitness_R_SCENE_4() {
        val base = Views.model(Views.withFinding(), permissions = all)
        val s = InspectionFlow.render(base)
        assertEquals(FlowStep.RIGHTS_NOTICE, s.current)
        // The agency's text from the server, its channels numbered, its version.
        assertEquals(
            Views.notice.text + "\n1. 六十日内申请行政复议\n2. 六个月内提起行政诉讼\n3. 向 12345 政务服务便民热线投诉、举报",
            s.rights.noticeText,
        )
        assertEquals(Views.notice.remedyChannels, s.rights.channels)
        assertEquals("清远生态环境-2026-01", s.rights.version)
        assertEquals("R-SCENE-4: 请填写签字人姓名", s.rights.save.whyNot)
        val named = InspectionFlow.render(base.copy(draft = FlowDraft(signerName = "张伟")))
        assertEquals("R-SCENE-4: 请当事人在签字板上签字", named.rights.save.whyNot)
        val refused = InspectionFlow.render(base.copy(draft = FlowDraft(partyRefused = true)))
        assertEquals("R-SCENE-4: 当事人拒绝签字的，请填写见证人姓名", refused.rights.save.whyNot)
        val witnessed = InspectionFlow.render(base.copy(draft = FlowDraft(partyRefused = true, witnessName = "村委会王某")))
        assertTrue(witnessed.rights.save.enabled)
    }

    @Test
    fun withoutTheAgencysNoticeTheStepAsksForASyncAndCannotBeSaved_R_SCENE_4() {
        val ready = Views.model(Views.withFinding(), permissions = all)
            .copy(agencyNotice = null, draft = FlowDraft(partyRefused = true, witnessName = "村委会王某"))
        val s = InspectionFlow.render(ready)
        assertEquals("尚未收到本机关的权利告知书，请先同步", s.rights.noticeText)
        assertEquals(emptyList(), s.rights.channels)
        assertNull(s.rights.version)
        assertFalse(s.rights.save.enabled)
        assertEquals("R-SCENE-4: 尚未收到本机关的权利告知书，请先同步", s.rights.save.whyNot)
        val u = FlowUpdate.update(ready, FlowEvent.SaveRightsNotice)
        assertNull(u.effect, "nothing is sent to the core")
        assertEquals("R-SCENE-4: 尚未收到本机关的权利告知书，请先同步", u.model.message?.text)
        // With the notice held, its version goes to the core (which records its channels).
        val sent = FlowUpdate.update(ready.copy(agencyNotice = Views.notice), FlowEvent.SaveRightsNotice).effect
        assertEquals(
            CoreEffect.RightsNotice(
                cn.liuhen.core.RightsNoticeRequest("清远生态环境-2026-01", cn.liuhen.core.PartyResponse.Refused("村委会王某", "")),
            ),
            sent,
        )
    }

    @Test
    fun aGivenNoticeShowsTheVersionAndChannelsRecorded() {
        val given = InspectionFlow.render(Views.model(Views.rightsGiven(), permissions = all))
        assertEquals("清远生态环境-2026-01", given.rights.version)
        assertTrue(given.rights.noticeText.startsWith(Views.notice.text), given.rights.noticeText)
        // A newer text arrived since: the record still shows what was told, by version.
        val newer = Views.notice.copy(version = "清远生态环境-2026-02", remedyChannels = listOf("新途径"))
        val later = InspectionFlow.render(Views.model(Views.rightsGiven(), permissions = all).copy(agencyNotice = newer))
        assertEquals("清远生态环境-2026-01", later.rights.version)
        assertEquals(Views.notice.remedyChannels, later.rights.channels)
        assertTrue(later.rights.noticeText.contains("版本 清远生态环境-2026-01"), later.rights.noticeText)
        assertTrue(later.rights.noticeText.contains("3. 向 12345"), later.rights.noticeText)
    }

    @Test
    fun closeIsEnabledOnlyWithoutUnmetRulesAndListsThemInChinese() {
        val ready = InspectionFlow.render(Views.model(Views.rightsGiven(), permissions = all))
        assertEquals(FlowStep.CLOSE, ready.current)
        assertTrue(ready.close.close.enabled)
        val unmet = listOf(cn.liuhen.core.RuleViolation("R-SCENE-1", "R-SCENE-1: 陈晓红（证号 X）签到时执法证件已过期"))
        val blocked = InspectionFlow.render(Views.model(Views.rightsGiven(), unmet, all))
        assertFalse(blocked.close.close.enabled)
        assertEquals(listOf("R-SCENE-1: 陈晓红（证号 X）签到时执法证件已过期"), blocked.close.unmet)
        assertTrue(blocked.close.close.whyNot!!.startsWith("尚有 1 项规则未满足"))
    }

    @Test
    fun closedRecordIsReadOnlyWithAmendmentsOnly_R_REC_5() {
        val s = InspectionFlow.render(Views.model(Views.closed(), permissions = all).copy(draft = FlowDraft(amendTarget = "finding:f-1", amendText = "标识牌位置更正为北侧")))
        assertTrue(s.readOnly)
        assertNull(s.current)
        assertTrue(s.steps.all { it.done })
        assertFalse(s.findings.addFinding.enabled)
        assertTrue(s.findings.addFinding.whyNot!!.startsWith("R-REC-5"))
        assertFalse(s.checkIn.officers.any { it.checkIn.enabled })
        val amend = assertNotNull(s.amend)
        assertTrue(amend.save.enabled, amend.save.whyNot)
        assertEquals("finding:f-1", amend.targets.first().first)
        assertEquals("已于 2026-03-02 10:08 结束检查", s.close.closedAt)
    }

    @Test
    fun supervisorVerdictAndCommentsAreShownOnTheRecord() {
        val v = Views.closed().copy(
            reviewVerdict = ReviewVerdict.RETURNED,
            reviewedBy = "王科长",
            reviewComments = listOf(
                ReviewCommentView("c2", "王科长", Views.T0.plusSeconds(7200), "请补拍标识牌位置", "finding:f-1"),
                ReviewCommentView("c1", "王科长", Views.T0.plusSeconds(3600), "录音清晰", null),
            ),
        )
        val r = assertNotNull(InspectionFlow.render(Views.model(v)).review)
        assertEquals("退回补正", r.verdict)
        assertEquals("王科长", r.reviewer)
        assertEquals(listOf("录音清晰", "请补拍标识牌位置"), r.comments.map { it.text })
        assertEquals("王科长 · 2026-03-02 11:00", r.comments[0].meta)
        assertEquals("检查情况：废水排放口标识牌缺失", r.comments[1].about)
        assertNull(InspectionFlow.render(Views.model(Views.closed())).review)
    }
}
