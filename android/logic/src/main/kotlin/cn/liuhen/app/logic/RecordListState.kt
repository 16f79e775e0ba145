package cn.liuhen.app.logic

import cn.liuhen.core.RecordSummary
import cn.liuhen.core.RecordsSnapshot
import cn.liuhen.core.SyncStatus
import java.time.Duration
import java.time.Instant
import java.time.ZoneId

/** One row of the records list with its own sync state. */
data class RecordRow(
    /** Inspection id. */
    val id: String,
    /** Target name. */
    val title: String,
    /** "检查中" / "已结束" and the last change. */
    val subtitle: String,
    /** 待同步 / 同步中 / 已同步 / 需处理. */
    val syncLabel: String,
    /** Why it needs attention (or why it is still pending), if known. */
    val syncReason: String?,
    /** Whether the officer must look at it. */
    val needsAttention: Boolean,
    /** What to do about it (needs attention), in Chinese. */
    val attentionHint: String? = null,
    /** Label of the row's button ("查看原因并处理" when it needs attention, else "查看"). */
    val actionLabel: String = "查看",
    /** What a screen reader says for the row (the whole row in one sentence). */
    val contentDescription: String = "",
    /** 重新同步 of a record that needs attention ([SyncCoordinator.resend]); `null` otherwise. */
    val resend: ActionState? = null,
)

/** The "立即同步" button and what is said next to it. */
data class SyncBar(
    /** The button. */
    val button: ActionState,
    /** Records waiting to sync (pending or needing attention). */
    val pendingCount: Int,
    /** Badge text when many records wait or they wait long; `null` otherwise. */
    val badge: String?,
    /** Background sync state ("网络恢复后自动同步", the re-enrol request, ...). */
    val status: String?,
)

/** The records screen. */
data class RecordListScreen(
    /** Rows, latest change first. */
    val rows: List<RecordRow>,
    /** The sync bar. */
    val sync: SyncBar,
    /** Shown when there are no records. */
    val empty: String?,
    /** The offline banner ("当前离线……"), `null` while online. */
    val offline: String? = null,
    /** Records the server refused (需处理), for the banner above the list. */
    val attentionCount: Int = 0,
)

/** Builds the records list from the records observer's snapshot and the sync policy state. */
object RecordListState {
    /** The label of [s]. */
    fun label(s: SyncStatus): String = when (s) {
        SyncStatus.PENDING -> "待同步"
        SyncStatus.SYNCING -> "同步中"
        SyncStatus.SYNCED -> "已同步"
        SyncStatus.NEEDS_ATTENTION -> "需处理"
    }

    /**
     * The screen for [snapshot] at [now].
     *
     * @param policy the background sync state.
     * @param enrolled whether the device is enrolled.
     */
    fun render(
        snapshot: RecordsSnapshot,
        policy: SyncPolicyState,
        enrolled: Boolean,
        now: Instant,
        zone: ZoneId = CHINA_ZONE,
        online: Boolean = true,
    ): RecordListScreen {
        val rows = snapshot.records.map { r -> row(r, zone) }
        val waiting = snapshot.records.filter { it.syncStatus != SyncStatus.SYNCED }
        val pending = waiting.size
        val oldest = waiting.minOfOrNull { it.updatedAt }
        val days = oldest?.let { Duration.between(it, now).toDays() } ?: 0
        val badge = when {
            pending == 0 -> null
            pending >= SyncPolicy.MANY_PENDING || (oldest != null && Duration.between(oldest, now).toMillis() >= SyncPolicy.LONG_PENDING_MILLIS) ->
                "$pending 条记录待同步" + (if (days >= 1) "，最早一条已等待 $days 天" else "") + "。联网后将一次性批量同步，记录不会丢失。"
            else -> null
        }
        val button = ActionState.of(
            if (snapshot.syncing) "同步中…" else "立即同步",
            if (!enrolled) "本设备尚未登记，请先登记设备" else null,
            if (policy.reEnrolRequired) "设备登记已失效，请重新登记后同步（记录均已保留）" else null,
            if (snapshot.syncing) "正在同步" else null,
        )
        val status = when {
            policy.stopped != null -> policy.stopped
            policy.failures > 0 -> "上次同步未成功，已保存，联网后自动同步"
            pending > 0 -> "联网后自动同步"
            else -> policy.lastSuccessMillis?.let { "全部记录已同步（${InspectionFlow.time(Instant.ofEpochMilli(it), zone)}）" }
        }
        val attention = snapshot.records.count { it.syncStatus == SyncStatus.NEEDS_ATTENTION }
        return RecordListScreen(
            rows, SyncBar(button, pending, badge, status), if (rows.isEmpty()) "本设备上还没有检查记录" else null,
            offline = Offline.banner(online, pending),
            attentionCount = attention,
        )
    }

    private fun row(r: RecordSummary, zone: ZoneId): RecordRow {
        val subtitle = (if (r.closed) "已结束" else "检查中") + " · 更新于 " + InspectionFlow.time(r.updatedAt, zone)
        val attention = NeedsAttention.panel(r.syncStatus, r.syncReason, r.closed)
        val reason = r.syncReason
        return RecordRow(
            id = r.id,
            title = r.targetName,
            subtitle = subtitle,
            syncLabel = label(r.syncStatus),
            syncReason = reason,
            needsAttention = attention != null,
            attentionHint = attention?.fix,
            actionLabel = if (attention != null) NeedsAttention.ROW_ACTION else "查看",
            contentDescription = listOfNotNull(r.targetName, subtitle, label(r.syncStatus), reason).joinToString("，"),
            resend = attention?.resend,
        )
    }
}

/** The offline indicator. */
object Offline {
    /** The banner while offline (`null` online): what still works, and what waits. */
    fun banner(online: Boolean, pending: Int): String? = when {
        online -> null
        pending > 0 -> "当前离线：可以继续检查，记录保存在本机。$pending 条记录待同步，联网后自动同步。"
        else -> "当前离线：可以继续检查，记录保存在本机，联网后自动同步。"
    }

    /** The short label on the inspection screen's top bar while offline. */
    const val SHORT: String = "离线"
}
