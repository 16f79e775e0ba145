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
        return when (app.sync.request(trigger).workerResult) {
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
     * offline). Enqueued again it replaces the waiting one: hundreds of closes while
     * offline still give one batched run when the network returns.
     */
    fun syncWhenOnline(ctx: Context, trigger: SyncTrigger) {
        val req = OneTimeWorkRequestBuilder<SyncWorker>()
            .setConstraints(online)
            .setInputData(workDataOf(SyncWorker.KEY_TRIGGER to trigger.name))
            .setBackoffCriteria(BackoffPolicy.EXPONENTIAL, SyncPolicy.BASE_BACKOFF_MILLIS, TimeUnit.MILLISECONDS)
            .build()
        WorkManager.getInstance(ctx).enqueueUniqueWork(ONCE, ExistingWorkPolicy.REPLACE, req)
    }

    /** Stops background sync (re-enrolment needed). */
    fun cancelAll(ctx: Context) {
        WorkManager.getInstance(ctx).cancelUniqueWork(PERIODIC)
        WorkManager.getInstance(ctx).cancelUniqueWork(ONCE)
    }
}
