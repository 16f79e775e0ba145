package cn.liuhen.app.logic

import cn.liuhen.core.LiuhenException
import cn.liuhen.core.RuleViolation

/** How prominently a message is shown. */
enum class MessageKind {
    /** A short note that the step worked with a caveat (e.g. saved, will sync later). */
    INFO,

    /** A banner that stays until dismissed: the step was not done, nothing was lost. */
    WARNING,

    /** A blocking dialog: the officer must act (re-enrol, upgrade, report damage). */
    BLOCKING,
}

/** What the app does next because of an error, beyond showing its text. */
sealed interface NextAction {
    /** Nothing: the officer reads the message and carries on. */
    data object None : NextAction

    /** Go to the enrolment screen; every record stays on the device. */
    data object ReEnrol : NextAction

    /** Continue the inspection already open for the task. */
    data class ContinueInspection(val inspectionId: String) : NextAction

    /** Show the list of unmet rules (close refused). */
    data class ShowUnmetRules(val violations: List<RuleViolation>) : NextAction

    /** Highlight a field of the form. */
    data class FixField(val field: String) : NextAction

    /** Sync once to receive the roster and tasks. */
    data object SyncFirst : NextAction

    /** Install a newer app version. */
    data object UpgradeApp : NextAction

    /** Retry automatically later (background sync takes care of it). */
    data object RetryLater : NextAction
}

/**
 * A message for the officer.
 *
 * @property text the complete sentence(s) to show, in Chinese (with the rule ID where
 *   a rule applies).
 * @property kind how prominently to show it.
 * @property action what the app offers or does next.
 * @property rule the rule ID when a rule of DOMAIN.md is not met.
 */
data class UserMessage(
    val text: String,
    val kind: MessageKind,
    val action: NextAction = NextAction.None,
    val rule: String? = null,
)

/**
 * Turns every failure of a call into the core into a message the officer can act on.
 * The core's `detail` is already a complete Chinese sentence; this adds what the app
 * does about it (re-enrol, retry later, list the rules) and, where the core's text
 * does not say it, that nothing saved was lost.
 */
object ErrorPresenter {
    /** Banner text when storage is full: the step was not saved, earlier records are intact. */
    const val STORAGE_FULL: String = "存储空间已满，本步未保存，此前记录完好。请清理手机存储空间后重试本步。"

    /** Note when a sync could not reach the server: the work is saved and syncs later. */
    const val OFFLINE: String = "已保存，联网后自动同步"

    /** Dialog text when the server no longer accepts this device. */
    const val RE_ENROL: String = "本设备的登记已失效（可能已被管理员撤销）。本设备上的全部记录均已保留，" +
        "不会丢失；请重新登记设备，登记后记录会自动同步。"

    /** The message for [error]. */
    fun present(error: Throwable): UserMessage = when (error) {
        is LiuhenException -> present(error)
        is OutOfMemoryError -> UserMessage("内存不足，本步未完成，此前记录完好。请关闭其他应用后重试。", MessageKind.WARNING)
        else -> UserMessage(
            "发生意外错误，本步未完成，此前已保存的记录完好。请重试；如仍失败请联系管理员。（${error.javaClass.simpleName}）",
            MessageKind.WARNING,
        )
    }

    /** The message for a core error. */
    fun present(e: LiuhenException): UserMessage = when (e) {
        is LiuhenException.InvalidInput ->
            UserMessage(e.detail, MessageKind.WARNING, NextAction.FixField(e.field))
        is LiuhenException.RuleNotMet ->
            UserMessage(withRule(e.rule, e.detail), MessageKind.WARNING, rule = e.rule)
        is LiuhenException.CloseRefused -> UserMessage(
            "尚不能结束检查，以下规则未满足：\n" +
                e.violations.joinToString("\n") { "· " + withRule(it.rule, it.message) },
            MessageKind.WARNING,
            NextAction.ShowUnmetRules(e.violations),
            e.violations.firstOrNull()?.rule,
        )
        is LiuhenException.InspectionClosed -> UserMessage(
            withRule("R-REC-5", e.detail + " 如需更正，请添加更正记录。"),
            MessageKind.WARNING,
            rule = "R-REC-5",
        )
        is LiuhenException.NotApplicable -> UserMessage(e.detail, MessageKind.INFO)
        is LiuhenException.TaskAlreadyOpen ->
            UserMessage(e.detail, MessageKind.INFO, NextAction.ContinueInspection(e.inspectionId))
        is LiuhenException.TaskCancelled -> UserMessage(
            "该任务已被取消" + (if (e.reason.isBlank()) "。" else "：${e.reason}。") + "不能再开始检查。",
            MessageKind.WARNING,
        )
        is LiuhenException.NotFound -> UserMessage(e.detail, MessageKind.WARNING)
        is LiuhenException.NoRoster -> UserMessage(
            e.detail.ifBlank { "本设备尚无执法人员名录和任务，请联网同步一次。" },
            MessageKind.WARNING,
            NextAction.SyncFirst,
        )
        is LiuhenException.EvidenceRefused ->
            UserMessage("证据未保存：${e.detail} 其余记录完好，请重新拍摄或录制。", MessageKind.WARNING)
        is LiuhenException.StorageFull -> UserMessage(STORAGE_FULL, MessageKind.WARNING)
        is LiuhenException.DataDamaged -> UserMessage(
            "${e.detail} 未做任何修改。请勿卸载应用，并联系管理员。",
            MessageKind.BLOCKING,
        )
        is LiuhenException.UpgradeRequired ->
            UserMessage("${e.detail} 请升级应用后继续，本设备上的记录均已保留。", MessageKind.BLOCKING, NextAction.UpgradeApp)
        is LiuhenException.NotEnrolled ->
            UserMessage(e.detail, MessageKind.BLOCKING, NextAction.ReEnrol)
        is LiuhenException.CredentialsRefused ->
            UserMessage("${e.detail} 请核对登记码（或向管理员申请新的登记码）后重试。", MessageKind.WARNING, NextAction.FixField("code"))
        is LiuhenException.ReEnrollRequired -> UserMessage(RE_ENROL, MessageKind.BLOCKING, NextAction.ReEnrol)
        is LiuhenException.Offline -> UserMessage(OFFLINE, MessageKind.INFO, NextAction.RetryLater)
        is LiuhenException.ServerRejected -> UserMessage(
            "服务器拒绝了请求（${e.status}）：${e.detail} 记录仍保留在本设备。",
            MessageKind.WARNING,
        )
        is LiuhenException.Internal -> UserMessage(
            "${e.detail} 本步未完成，此前已保存的记录完好。",
            MessageKind.WARNING,
        )
    }

    /** [text] prefixed with [rule] unless it already starts with it. */
    fun withRule(rule: String, text: String): String =
        if (rule.isBlank() || text.startsWith(rule)) text else "$rule: $text"
}
