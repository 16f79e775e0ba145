package cn.liuhen.app

import android.content.Context
import androidx.work.BackoffPolicy
import androidx.work.Constraints
import androidx.work.CoroutineWorker
import androidx.work.ExistingPeriodicWorkPolicy
import androidx.work.ExistingWorkPolicy
import androidx.work.NetworkType
import androidx.work.OneTimeWorkRequestBuilder
import androidx.work.PeriodicWorkRequestBuilder
import androidx.work.WorkManager
import androidx.work.WorkerParameters
import androidx.work.workDataOf
import androidx.work.WorkInfo
import cn.liuhen.app.logic.OnceWork
import cn.liuhen.app.logic.OnceWorkPolicy
import cn.liuhen.app.logic.OnceWorkState
import cn.liuhen.app.logic.SyncOutcome
import cn.liuhen.app.logic.SyncPolicy
import cn.liuhen.app.logic.SyncTrigger
import cn.liuhen.app.logic.WorkerResult
import java.util.concurrent.TimeUnit

/**
 * Background sync: WorkManager runs it only with a network (CONNECTED), so a one-time
 * request enqueued while offline runs when connectivity returns. The decisions (run,
 * back off, stop for re-enrolment) are the logic module's; this only maps them.
 */
class SyncWorker(ctx: Context, params: WorkerParameters) : CoroutineWorker(ctx, params) {
    override suspend fun doWork(): Result {
        val app = applicationContext as LiuhenApp
        if (app.openError != null) return Result.failure()
        val trigger = inputData.getString(KEY_TRIGGER)?.let { t -> SyncTrigger.entries.firstOrNull { it.name == t } }
            ?: SyncTrigger.PERIODIC
        val out = app.sync.request(trigger)
        if (out is SyncOutcome.Synced) Notifications.post(applicationContext, out.notices)
        return when (out.workerResult) {
            WorkerResult.SUCCESS -> Result.success()
            WorkerResult.RETRY -> Result.retry()
            WorkerResult.STOP -> {
                // Token revoked (or upgrade needed): stop until the officer acts; records stay.
                SyncWork.cancelAll(applicationContext)
                Result.failure()
            }
        }
    }

    companion object {
        const val KEY_TRIGGER = "trigger"
    }
}

/** Scheduling of [SyncWorker]. */
object SyncWork {
    private const val PERIODIC = "liuhen-sync-periodic"
    private const val ONCE = "liuhen-sync-once"

    private val online = Constraints.Builder().setRequiredNetworkType(NetworkType.CONNECTED).build()

    /** Every hour while a network is there (also after reboot). */
    fun schedulePeriodic(ctx: Context) {
        val req = PeriodicWorkRequestBuilder<SyncWorker>(1, TimeUnit.HOURS)
            .setConstraints(online)
            .setBackoffCriteria(BackoffPolicy.EXPONENTIAL, SyncPolicy.BASE_BACKOFF_MILLIS, TimeUnit.MILLISECONDS)
            .build()
        WorkManager.getInstance(ctx).enqueueUniquePeriodicWork(PERIODIC, ExistingPeriodicWorkPolicy.KEEP, req)
    }

    /**
     * One run as soon as a network is there (after a close, or now for the button when
     * offline). A waiting run is kept (hundreds of closes while offline still give one
     * batched run); a running one is never cancelled, a new run is appended after it
     * ([OnceWork.policy]; issue 21: REPLACE cancelled the running sync).
     * Returns at once: WorkManager's state is read on a background thread.
     */
    fun syncWhenOnline(ctx: Context, trigger: SyncTrigger) {
        val app = ctx.applicationContext
        scheduler.execute { enqueueOnce(app, trigger) }
    }

    /** One thread, so two requests never decide on the same stale state. */
    private val scheduler = java.util.concurrent.Executors.newSingleThreadExecutor()

    private fun enqueueOnce(ctx: Context, trigger: SyncTrigger) {
        val wm = WorkManager.getInstance(ctx)
        val req = OneTimeWorkRequestBuilder<SyncWorker>()
            .setConstraints(online)
            .setInputData(workDataOf(SyncWorker.KEY_TRIGGER to trigger.name))
            .setBackoffCriteria(BackoffPolicy.EXPONENTIAL, SyncPolicy.BASE_BACKOFF_MILLIS, TimeUnit.MILLISECONDS)
            .build()
        val existing = runCatching { wm.getWorkInfosForUniqueWork(ONCE).get() }.getOrDefault(emptyList())
        val state = when {
            existing.any { it.state == WorkInfo.State.RUNNING } -> OnceWorkState.RUNNING
            existing.any { !it.state.isFinished } -> OnceWorkState.WAITING
            else -> OnceWorkState.NONE
        }
        val policy = when (OnceWork.policy(state)) {
            OnceWorkPolicy.KEEP -> ExistingWorkPolicy.KEEP
            OnceWorkPolicy.APPEND_OR_REPLACE -> ExistingWorkPolicy.APPEND_OR_REPLACE
        }
        wm.enqueueUniqueWork(ONCE, policy, req)
    }

    /** Stops background sync (re-enrolment needed). */
    fun cancelAll(ctx: Context) {
        WorkManager.getInstance(ctx).cancelUniqueWork(PERIODIC)
        WorkManager.getInstance(ctx).cancelUniqueWork(ONCE)
    }
}
