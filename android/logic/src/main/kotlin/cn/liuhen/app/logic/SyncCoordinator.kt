package cn.liuhen.app.logic

import cn.liuhen.core.LiuhenCore
import cn.liuhen.core.SyncSummary
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.sync.Mutex
import kotlinx.coroutines.withContext
import java.io.File
import java.io.IOException

/** Where [SyncPolicyState] is kept between runs and process restarts. */
interface SyncStateStore {
    /** The saved state (a fresh one when nothing was saved or it is unreadable). */
    fun load(): SyncPolicyState

    /** Saves [state]. */
    fun save(state: SyncPolicyState)
}

/**
 * [SyncStateStore] in a small text file (in the app's files directory), written to a
 * temporary file and renamed, so a kill mid-write keeps the previous state.
 */
class FileSyncStateStore(private val file: File) : SyncStateStore {
    override fun load(): SyncPolicyState {
        val lines = try {
            if (!file.exists()) return SyncPolicyState()
            file.readLines(Charsets.UTF_8)
        } catch (_: IOException) {
            return SyncPolicyState()
        }
        val kv = lines.mapNotNull { l -> l.indexOf('=').takeIf { it > 0 }?.let { l.substring(0, it) to l.substring(it + 1) } }.toMap()
        return SyncPolicyState(
            failures = kv["failures"]?.toIntOrNull() ?: 0,
            notBeforeMillis = kv["not_before"]?.toLongOrNull() ?: 0,
            stopped = kv["stopped"]?.takeIf { it.isNotEmpty() }?.replace("\\n", "\n"),
            stoppedKind = kv["stopped_kind"]?.let { k -> SyncFailureKind.entries.firstOrNull { it.name == k } },
            lastSuccessMillis = kv["last_success"]?.toLongOrNull(),
        )
    }

    override fun save(state: SyncPolicyState) {
        val text = buildString {
            appendLine("failures=${state.failures}")
            appendLine("not_before=${state.notBeforeMillis}")
            appendLine("stopped=${state.stopped?.replace("\n", "\\n") ?: ""}")
            appendLine("stopped_kind=${state.stoppedKind?.name ?: ""}")
            appendLine("last_success=${state.lastSuccessMillis ?: ""}")
        }
        file.parentFile?.mkdirs()
        val tmp = File(file.path + ".tmp")
        tmp.writeText(text, Charsets.UTF_8)
        if (!tmp.renameTo(file)) {
            file.delete()
            tmp.renameTo(file)
        }
    }
}

/** What a background worker does after a run. */
enum class WorkerResult {
    /** Done (or nothing to do now); the periodic work comes back later. */
    SUCCESS,

    /** Retry with backoff (WorkManager's `Result.retry()`). */
    RETRY,

    /** Stop background sync until the officer acts (re-enrol, upgrade). */
    STOP,
}

/** The outcome of one request to sync. */
sealed interface SyncOutcome {
    /** A run was made and succeeded; [notices] are the notifications to post (new tasks, returned records). */
    data class Synced(val summary: SyncSummary, val notices: List<Notice> = emptyList()) : SyncOutcome

    /** A run was made and failed; [message] tells the officer; records are kept. */
    data class Failed(val error: Throwable, val message: UserMessage) : SyncOutcome

    /** A run is already under way: this request joins it (no second run). */
    data object AlreadyRunning : SyncOutcome

    /** Not now ([SyncDecision.Later] or [SyncDecision.Stopped]). */
    data class NotNow(val decision: SyncDecision) : SyncOutcome

    /** How the background worker should end for this outcome. */
    val workerResult: WorkerResult
        get() = when (this) {
            // A run cut at its round bound (records kept changing on the server) is
            // done but not finished: the worker comes back soon to go on.
            is Synced -> if (summary.complete) WorkerResult.SUCCESS else WorkerResult.RETRY
            AlreadyRunning -> WorkerResult.SUCCESS
            is Failed -> when (SyncFailureKind.of(error)) {
                SyncFailureKind.RE_ENROL, SyncFailureKind.UPGRADE -> WorkerResult.STOP
                else -> WorkerResult.RETRY
            }
            is NotNow -> if (decision is SyncDecision.Stopped) WorkerResult.STOP else WorkerResult.SUCCESS
        }
}

/**
 * Runs syncs for the "立即同步" button and the WorkManager worker: asks [SyncPolicy],
 * runs at most one `syncNow` at a time on [io], records the result in [store] and
 * exposes the policy state for the records screen.
 *
 * @param clock current time in milliseconds (injected for tests).
 * @param notices detects new tasks and returned records after each successful run.
 */
class SyncCoordinator(
    private val core: LiuhenCore,
    private val store: SyncStateStore,
    private val io: CoroutineDispatcher,
    private val notices: SyncNotices? = null,
    private val clock: () -> Long = System::currentTimeMillis,
) {
    private val running = Mutex()
    private val _state = MutableStateFlow(store.load())

    /** The policy state (stopped? waiting until? last success?). */
    val state: StateFlow<SyncPolicyState> = _state

    /** Handles one [trigger]: runs one batched sync if the policy says so. */
    suspend fun request(trigger: SyncTrigger): SyncOutcome {
        val decision = SyncPolicy.decide(_state.value, trigger, clock())
        if (decision != SyncDecision.RunNow) return SyncOutcome.NotNow(decision)
        if (!running.tryLock()) return SyncOutcome.AlreadyRunning
        try {
            val result = try {
                Result.success(withContext(io) { core.syncNow() })
            } catch (e: CancellationException) {
                // The worker was cancelled (work replaced, app closing): that is not a
                // failed sync. Nothing is recorded, no back-off: the next trigger runs.
                throw e
            } catch (e: Exception) {
                Result.failure(e)
            }
            val now = clock()
            val next = result.fold({ SyncPolicy.succeeded(_state.value, now) }, { SyncPolicy.failed(_state.value, it, now) })
            _state.value = next
            withContext(io) { runCatching { store.save(next) } }
            return result.fold(
                { summary ->
                    val posted = notices?.let { n ->
                        withContext(io) {
                            runCatching { n.afterSync(summary, runCatching { core.enrollment()?.officerId }.getOrNull()) }.getOrDefault(emptyList())
                        }
                    } ?: emptyList()
                    SyncOutcome.Synced(summary, posted)
                },
                { SyncOutcome.Failed(it, ErrorPresenter.present(it)) },
            )
        } finally {
            running.unlock()
        }
    }

    /**
     * 重新同步 of a record the server refused (需处理): puts record [id] back in the sync
     * queue without changing it (`resend`, R-REC-5), then runs a sync as the officer's
     * request. A record that was not waiting for the officer (already 待同步 after a
     * fix) is simply synced. A core error is a [SyncOutcome.Failed] and no sync runs.
     */
    suspend fun resend(id: String): SyncOutcome {
        try {
            withContext(io) { core.resend(id) }
        } catch (e: CancellationException) {
            throw e
        } catch (e: Exception) {
            return SyncOutcome.Failed(e, ErrorPresenter.present(e))
        }
        return request(SyncTrigger.USER)
    }

    /** Call after a successful enrolment: clears a stop so background sync resumes. */
    fun enrolled() {
        val next = SyncPolicy.enrolled(_state.value)
        _state.value = next
        store.save(next)
    }
}
