package cn.liuhen.app.logic

import cn.liuhen.core.LiuhenException

/** Why a sync is asked for. */
enum class SyncTrigger {
    /** The officer pressed 立即同步. */
    USER,

    /** The network came back (WorkManager's CONNECTED constraint was met). */
    CONNECTIVITY_RESTORED,

    /** An inspection was closed on site. */
    INSPECTION_CLOSED,

    /** The periodic background run. */
    PERIODIC,
}

/** How a failed sync run is handled. */
enum class SyncFailureKind {
    /** No network or server down: retry with backoff; records stay pending. */
    OFFLINE,

    /** Token revoked or device unknown (or never enrolled): stop, ask to re-enrol, keep records. */
    RE_ENROL,

    /** The server or data needs a newer app: stop until upgraded. */
    UPGRADE,

    /** Anything else (storage full, server refusal, internal): retry later, slowly. */
    OTHER;

    companion object {
        /** The kind of [e]. */
        fun of(e: Throwable): SyncFailureKind = when (e) {
            is LiuhenException.Offline -> OFFLINE
            is LiuhenException.ReEnrollRequired, is LiuhenException.NotEnrolled -> RE_ENROL
            is LiuhenException.UpgradeRequired -> UPGRADE
            else -> OTHER
        }
    }
}

/**
 * What background sync remembers between runs (persisted by [SyncStateStore]).
 *
 * @property failures consecutive failed runs (0 after a success).
 * @property notBeforeMillis no automatic run before this time (backoff).
 * @property stopped why background sync is stopped until the officer acts (re-enrol,
 *   upgrade); `null` while it runs.
 * @property stoppedKind the kind of failure that stopped it.
 * @property lastSuccessMillis when the last run succeeded.
 */
data class SyncPolicyState(
    val failures: Int = 0,
    val notBeforeMillis: Long = 0,
    val stopped: String? = null,
    val stoppedKind: SyncFailureKind? = null,
    val lastSuccessMillis: Long? = null,
) {
    /** Whether the officer must re-enrol before anything syncs again. */
    val reEnrolRequired: Boolean get() = stoppedKind == SyncFailureKind.RE_ENROL
}

/** The decision for one trigger. */
sealed interface SyncDecision {
    /** Run one (batched) sync now. */
    data object RunNow : SyncDecision

    /** Not before [atMillis] (backoff after failures). */
    data class Later(val atMillis: Long) : SyncDecision

    /** Background sync is stopped: [reason] tells the officer what to do. */
    data class Stopped(val reason: String, val kind: SyncFailureKind) : SyncDecision
}

/**
 * When to sync, as pure decisions: at once when the officer asks, when the network
 * returns and after a close; periodically otherwise; exponential backoff after the
 * network failed; stopped (records kept) when the device must be re-enrolled. One run
 * sends every pending record in one batched exchange (the core batches), so hundreds
 * of waiting records still mean one decision and one run.
 */
object SyncPolicy {
    /** First retry delay after a network failure. */
    const val BASE_BACKOFF_MILLIS: Long = 30_000

    /** Longest retry delay (the periodic run comes at least this often). */
    const val MAX_BACKOFF_MILLIS: Long = 60 * 60_000

    /** Pending records from which the list shows a "many waiting" badge. */
    const val MANY_PENDING: Int = 50

    /** Age of the oldest pending record from which the list warns (one day). */
    const val LONG_PENDING_MILLIS: Long = 24 * 60 * 60_000

    /** Delay before retry number [failures] (1 = first failure): 30 s, 60 s, 2 min, … up to 1 h. */
    fun backoffMillis(failures: Int): Long {
        if (failures <= 0) return 0
        val shift = (failures - 1).coerceAtMost(20)
        return (BASE_BACKOFF_MILLIS shl shift).coerceAtMost(MAX_BACKOFF_MILLIS)
    }

    /** The decision for [trigger] at [nowMillis]. */
    fun decide(state: SyncPolicyState, trigger: SyncTrigger, nowMillis: Long): SyncDecision {
        state.stopped?.let { reason ->
            val kind = state.stoppedKind ?: SyncFailureKind.OTHER
            // The officer may still try by hand after an upgrade; never after a revocation
            // (the server would refuse again): enrolment clears the stop.
            if (!(trigger == SyncTrigger.USER && kind != SyncFailureKind.RE_ENROL)) return SyncDecision.Stopped(reason, kind)
        }
        return when (trigger) {
            // A person asked, or the network just came back: try now whatever the backoff.
            SyncTrigger.USER, SyncTrigger.CONNECTIVITY_RESTORED -> SyncDecision.RunNow
            SyncTrigger.INSPECTION_CLOSED, SyncTrigger.PERIODIC ->
                if (nowMillis >= state.notBeforeMillis) SyncDecision.RunNow else SyncDecision.Later(state.notBeforeMillis)
        }
    }

    /** The state after a successful run. */
    fun succeeded(state: SyncPolicyState, nowMillis: Long): SyncPolicyState =
        SyncPolicyState(lastSuccessMillis = nowMillis)

    /**
     * The state after a run failed with [error] at [nowMillis]. A cancellation is not a
     * failure (the run was stopped, not refused): the state is unchanged.
     */
    fun failed(state: SyncPolicyState, error: Throwable, nowMillis: Long): SyncPolicyState {
        if (error is kotlinx.coroutines.CancellationException) return state
        val kind = SyncFailureKind.of(error)
        val failures = state.failures + 1
        return when (kind) {
            SyncFailureKind.RE_ENROL -> state.copy(failures = failures, stopped = ErrorPresenter.RE_ENROL, stoppedKind = kind)
            SyncFailureKind.UPGRADE -> state.copy(
                failures = failures,
                stopped = ErrorPresenter.present(error).text,
                stoppedKind = kind,
            )
            SyncFailureKind.OFFLINE -> state.copy(failures = failures, notBeforeMillis = nowMillis + backoffMillis(failures))
            // Not a network problem: retrying quickly will not help; wait the longest delay.
            SyncFailureKind.OTHER -> state.copy(failures = failures, notBeforeMillis = nowMillis + MAX_BACKOFF_MILLIS)
        }
    }

    /** The state after the device was enrolled again: background sync resumes at once. */
    fun enrolled(state: SyncPolicyState): SyncPolicyState = SyncPolicyState(lastSuccessMillis = state.lastSuccessMillis)
}

/** What the one-time sync work of WorkManager is doing when a new run is asked for. */
enum class OnceWorkState {
    /** No one-time work exists (or it finished, failed or was cancelled). */
    NONE,

    /** A run is waiting (for the network, or for its back-off). */
    WAITING,

    /** A run is under way. */
    RUNNING,
}

/** How a new one-time sync request joins the existing one (WorkManager's `ExistingWorkPolicy`). */
enum class OnceWorkPolicy {
    /** Keep the waiting run: hundreds of closes while offline still give one batched run. */
    KEEP,

    /**
     * Run again after the running one (never cancel it): what was closed after the
     * running sync read its pending records goes out right after it.
     */
    APPEND_OR_REPLACE,
}

/** The scheduling decision for one-time sync work. */
object OnceWork {
    /**
     * How to enqueue a new run when the existing one is [existing]. Never `REPLACE`:
     * replacing cancels a running sync (closing an inspection during a sync would then
     * cancel it mid-way, issue 21).
     */
    fun policy(existing: OnceWorkState): OnceWorkPolicy = when (existing) {
        OnceWorkState.RUNNING -> OnceWorkPolicy.APPEND_OR_REPLACE
        OnceWorkState.NONE, OnceWorkState.WAITING -> OnceWorkPolicy.KEEP
    }
}
