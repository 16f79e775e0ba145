package cn.liuhen.app.logic

import cn.liuhen.core.SyncStatus

/** What fixing a refused record means. */
enum class AttentionFix {
    /** The record is closed: add an amendment (更正, R-REC-5); the change makes it sync again. */
    AMEND,

    /** The record is open: complete or correct the steps; any change makes it sync again. */
    EDIT,
}

/**
 * A record the server refused (需处理), as the officer can act on it: why, what to do,
 * and resending. A local change (an edit, or an amendment once closed) sets it back to
 * 待同步; when the cause was on the server's side (roster, agency data), 重新同步 puts
 * the unchanged record back in the queue (`resend`, R-REC-5) and syncs
 * ([SyncCoordinator.resend]).
 *
 * @property why the server's reason, in Chinese.
 * @property fix what to do, in Chinese.
 * @property fixAction where the fix is made.
 * @property fixLabel the label of the button that goes there.
 * @property resend the 重新同步 button (resends the record unchanged, then syncs).
 */
data class AttentionPanel(
    val why: String,
    val fix: String,
    val fixAction: AttentionFix,
    val fixLabel: String,
    val resend: ActionState,
)

/** Decisions about records that need attention. */
object NeedsAttention {
    /** Shown when the server gave no reason. */
    const val NO_REASON: String = "服务器未接受该记录（未说明原因）"

    /**
     * The panel for a record in [status] with [reason]; `null` unless it needs
     * attention. [closed] tells whether only an amendment can change it.
     */
    fun panel(status: SyncStatus?, reason: String?, closed: Boolean): AttentionPanel? {
        if (status != SyncStatus.NEEDS_ATTENTION) return null
        val why = reason?.takeIf { it.isNotBlank() } ?: NO_REASON
        val fix = if (closed) AttentionFix.AMEND else AttentionFix.EDIT
        return AttentionPanel(
            why = "服务器未接受：$why",
            fix = when (fix) {
                AttentionFix.AMEND -> "检查已结束，记录不可直接修改（R-REC-5）。请按上述原因添加更正记录；" +
                    "保存更正后记录会重新同步。如原因已在服务器端消除，可直接重新同步（记录不作修改）。"
                AttentionFix.EDIT -> "请按上述原因补全或修改记录；修改后记录会重新同步。" +
                    "如原因已在服务器端消除，可直接重新同步（记录不作修改）。"
            },
            fixAction = fix,
            fixLabel = if (fix == AttentionFix.AMEND) "添加更正" else "修改记录",
            resend = ActionState.of(RESEND),
        )
    }

    /** The label of the button that resends a refused record unchanged. */
    const val RESEND: String = "重新同步"

    /** The button on a record row that needs attention. */
    const val ROW_ACTION: String = "查看原因并处理"

    /**
     * The state after a fix: the record is 待同步 again and [resendNow] is what the
     * 重新同步 button offers (enabled unless background sync is stopped).
     */
    fun resendNow(status: SyncStatus?, policy: SyncPolicyState): ActionState? {
        if (status != SyncStatus.PENDING) return null
        return ActionState.of(
            "重新同步",
            if (policy.reEnrolRequired) "设备登记已失效，请重新登记后同步（记录均已保留）" else null,
        )
    }
}
