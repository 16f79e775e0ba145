package cn.liuhen.app.logic

import cn.liuhen.core.LiuhenException
import cn.liuhen.core.RuleViolation
import org.junit.Test
import kotlin.test.assertEquals
import kotlin.test.assertIs
import kotlin.test.assertTrue

/** Every core error becomes a Chinese message with something the officer can do. */
class ErrorPresenterTest {
    @Test
    fun storageFullSaysTheStepWasNotSavedAndEarlierRecordsAreIntact() {
        val m = ErrorPresenter.present(LiuhenException.StorageFull("设备存储空间不足"))
        assertTrue(m.text.startsWith("存储空间已满，本步未保存，此前记录完好"), m.text)
        assertEquals(MessageKind.WARNING, m.kind)
    }

    @Test
    fun revokedTokenSendsToEnrolmentAndSaysRecordsAreKept() {
        val m = ErrorPresenter.present(LiuhenException.ReEnrollRequired("token_revoked", "设备令牌已被撤销"))
        assertEquals(NextAction.ReEnrol, m.action)
        assertEquals(MessageKind.BLOCKING, m.kind)
        assertTrue(m.text.contains("全部记录均已保留"), m.text)
    }

    @Test
    fun aRefusedCodeAtEnrolmentPointsAtTheCodeField() {
        val m = ErrorPresenter.present(LiuhenException.CredentialsRefused("invalid_credentials", "登记被拒绝：登记码已使用"))
        assertEquals(NextAction.FixField("code"), m.action)
        assertTrue(m.text.startsWith("登记被拒绝：登记码已使用"), m.text)
    }

    @Test
    fun offlineSaysSavedAndSyncsLater() {
        val m = ErrorPresenter.present(LiuhenException.Offline("无法连接服务器"))
        assertEquals("已保存，联网后自动同步", m.text)
        assertEquals(NextAction.RetryLater, m.action)
    }

    @Test
    fun ruleNotMetShowsTheRuleIdOnce() {
        val withId = ErrorPresenter.present(LiuhenException.RuleNotMet("R-SCENE-1", "R-SCENE-1: 黄志强执法证件已过期"))
        assertEquals("R-SCENE-1: 黄志强执法证件已过期", withId.text)
        assertEquals("R-SCENE-1", withId.rule)
        val withoutId = ErrorPresenter.present(LiuhenException.RuleNotMet("R-RAND-2", "吴建国未被指派此任务"))
        assertEquals("R-RAND-2: 吴建国未被指派此任务", withoutId.text)
    }

    @Test
    fun closeRefusedListsEveryUnmetRule() {
        val v = listOf(RuleViolation("R-SCENE-3", "R-SCENE-3: 尚未亮证告知"), RuleViolation("R-REC-1", "R-REC-1: 尚未记录检查情况"))
        val m = ErrorPresenter.present(LiuhenException.CloseRefused(v, "不能结束检查"))
        assertEquals("尚不能结束检查，以下规则未满足：\n· R-SCENE-3: 尚未亮证告知\n· R-REC-1: 尚未记录检查情况", m.text)
        assertEquals(v, assertIs<NextAction.ShowUnmetRules>(m.action).violations)
    }

    @Test
    fun refusedEvidenceAndTaskAlreadyOpenAreActionable() {
        assertTrue(ErrorPresenter.present(LiuhenException.EvidenceRefused("文件不是图片")).text.startsWith("证据未保存：文件不是图片"))
        val open = ErrorPresenter.present(LiuhenException.TaskAlreadyOpen("t", "i-9", "该任务已有进行中的检查"))
        assertEquals(NextAction.ContinueInspection("i-9"), open.action)
        assertTrue(ErrorPresenter.present(IllegalStateException("x")).text.contains("此前已保存的记录完好"))
    }
}
