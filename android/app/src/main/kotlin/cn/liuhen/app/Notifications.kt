package cn.liuhen.app

import android.Manifest
import android.app.Notification
import android.app.NotificationChannel
import android.app.NotificationManager
import android.app.PendingIntent
import android.content.Context
import android.content.Intent
import android.content.pm.PackageManager
import android.os.Build
import cn.liuhen.app.logic.Notice
import cn.liuhen.app.logic.NoticeKind

/**
 * System notifications of what a sync brought (new tasks from draws, returned
 * records): the logic module decides what to say ([cn.liuhen.app.logic.SyncNotices]);
 * this only posts. Tapping opens the task list or the record.
 */
object Notifications {
    private const val CHANNEL_TASKS = "tasks"
    private const val CHANNEL_RECORDS = "records"

    /** Intent extra: the record to open. */
    const val EXTRA_INSPECTION = "cn.liuhen.app.open_inspection"

    /** Creates the channels (once; API 26+ needs them). */
    fun createChannels(ctx: Context) {
        val nm = ctx.getSystemService(NotificationManager::class.java) ?: return
        nm.createNotificationChannel(
            NotificationChannel(CHANNEL_TASKS, "检查任务", NotificationManager.IMPORTANCE_DEFAULT).apply {
                description = "双随机抽查和指派的新任务"
            },
        )
        nm.createNotificationChannel(
            NotificationChannel(CHANNEL_RECORDS, "检查记录", NotificationManager.IMPORTANCE_HIGH).apply {
                description = "被退回补正的检查记录"
            },
        )
    }

    /** Whether the app may post (Android 13+ asks the officer; before, always). */
    fun allowed(ctx: Context): Boolean =
        Build.VERSION.SDK_INT < 33 ||
            ctx.checkSelfPermission(Manifest.permission.POST_NOTIFICATIONS) == PackageManager.PERMISSION_GRANTED

    /** Posts [notices] (nothing when not allowed: the task list and records still show everything). */
    fun post(ctx: Context, notices: List<Notice>) {
        if (notices.isEmpty() || !allowed(ctx)) return
        val nm = ctx.getSystemService(NotificationManager::class.java) ?: return
        notices.forEach { n ->
            val open = Intent(ctx, MainActivity::class.java)
                .addFlags(Intent.FLAG_ACTIVITY_SINGLE_TOP or Intent.FLAG_ACTIVITY_CLEAR_TOP)
                .putExtra(EXTRA_INSPECTION, n.openInspectionId)
            val pi = PendingIntent.getActivity(
                ctx, n.key.hashCode(), open, PendingIntent.FLAG_IMMUTABLE or PendingIntent.FLAG_UPDATE_CURRENT,
            )
            val channel = if (n.kind == NoticeKind.RETURNED) CHANNEL_RECORDS else CHANNEL_TASKS
            val built = Notification.Builder(ctx, channel)
                .setSmallIcon(android.R.drawable.stat_notify_sync)
                .setContentTitle(n.title)
                .setContentText(n.text)
                .setStyle(Notification.BigTextStyle().bigText(n.text))
                .setContentIntent(pi)
                .setAutoCancel(true)
                .build()
            nm.notify(n.key, 1, built)
        }
    }
}
