@file:Suppress("unused", "UNUSED_PARAMETER")

package androidx.work

import android.content.Context
import java.util.concurrent.Future
import java.util.concurrent.TimeUnit

class WorkerParameters
class Data {
    fun getString(key: String): String? = TODO()
}
fun workDataOf(vararg pairs: Pair<String, Any?>): Data = TODO()

abstract class CoroutineWorker(appContext: Context, params: WorkerParameters) : ListenableWorker() {
    val applicationContext: Context get() = TODO()
    val inputData: Data get() = TODO()
    abstract suspend fun doWork(): Result
}

abstract class ListenableWorker {
    abstract class Result {
        companion object {
            @JvmStatic fun success(): Result = TODO()
            @JvmStatic fun retry(): Result = TODO()
            @JvmStatic fun failure(): Result = TODO()
        }
    }
}

enum class BackoffPolicy { EXPONENTIAL, LINEAR }
enum class NetworkType { NOT_REQUIRED, CONNECTED, UNMETERED }
enum class ExistingWorkPolicy { REPLACE, KEEP, APPEND, APPEND_OR_REPLACE }
enum class ExistingPeriodicWorkPolicy { REPLACE, KEEP, UPDATE, CANCEL_AND_REENQUEUE }

class Constraints {
    class Builder {
        fun setRequiredNetworkType(networkType: NetworkType): Builder = TODO()
        fun build(): Constraints = TODO()
    }
}

abstract class WorkRequest
class OneTimeWorkRequest : WorkRequest()
class PeriodicWorkRequest : WorkRequest()

class OneTimeWorkRequestBuilderImpl {
    fun setConstraints(constraints: Constraints): OneTimeWorkRequestBuilderImpl = TODO()
    fun setInputData(inputData: Data): OneTimeWorkRequestBuilderImpl = TODO()
    fun setBackoffCriteria(policy: BackoffPolicy, backoffDelay: Long, timeUnit: TimeUnit): OneTimeWorkRequestBuilderImpl = TODO()
    fun build(): OneTimeWorkRequest = TODO()
}
class PeriodicWorkRequestBuilderImpl {
    fun setConstraints(constraints: Constraints): PeriodicWorkRequestBuilderImpl = TODO()
    fun setBackoffCriteria(policy: BackoffPolicy, backoffDelay: Long, timeUnit: TimeUnit): PeriodicWorkRequestBuilderImpl = TODO()
    fun build(): PeriodicWorkRequest = TODO()
}
inline fun <reified W : CoroutineWorker> OneTimeWorkRequestBuilder(): OneTimeWorkRequestBuilderImpl = TODO()
inline fun <reified W : CoroutineWorker> PeriodicWorkRequestBuilder(repeatInterval: Long, repeatIntervalTimeUnit: TimeUnit): PeriodicWorkRequestBuilderImpl = TODO()

class WorkInfo {
    val state: State get() = TODO()
    enum class State {
        ENQUEUED, RUNNING, SUCCEEDED, FAILED, BLOCKED, CANCELLED;
        val isFinished: Boolean get() = this == SUCCEEDED || this == FAILED || this == CANCELLED
    }
}

abstract class WorkManager {
    abstract fun enqueueUniqueWork(uniqueWorkName: String, existingWorkPolicy: ExistingWorkPolicy, work: OneTimeWorkRequest): Any
    abstract fun enqueueUniquePeriodicWork(uniqueWorkName: String, existingPeriodicWorkPolicy: ExistingPeriodicWorkPolicy, periodicWork: PeriodicWorkRequest): Any
    abstract fun cancelUniqueWork(uniqueWorkName: String): Any
    abstract fun getWorkInfosForUniqueWork(uniqueWorkName: String): Future<List<WorkInfo>>

    companion object {
        @JvmStatic fun getInstance(context: Context): WorkManager = TODO()
    }
}
