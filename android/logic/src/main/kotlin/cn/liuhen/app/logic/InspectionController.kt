package cn.liuhen.app.logic

import cn.liuhen.core.InspectionObserver
import cn.liuhen.core.InspectionView
import cn.liuhen.core.LiuhenCore
import cn.liuhen.core.Subscription
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.SharingStarted
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.filterNotNull
import kotlinx.coroutines.flow.map
import kotlinx.coroutines.flow.stateIn
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import kotlinx.coroutines.sync.Mutex
import kotlinx.coroutines.sync.withLock
import kotlinx.coroutines.withContext
import java.time.ZoneId

/**
 * The inspection screen's controller (the view-model without Android): it takes
 * [FlowEvent]s, decides with [FlowUpdate], calls the core on [io] (never the UI
 * thread), watches the record with `observeInspection` and exposes [screen].
 *
 * @param core the device's core.
 * @param inspectionId the inspection shown.
 * @param actor the officer using this device (enrolment's officer id).
 * @param scope where work runs (the Android `viewModelScope`).
 * @param io dispatcher for calls into the core (`Dispatchers.IO` in the app).
 * @param permissions the permissions as known when the screen opens.
 * @param onClosed called after the inspection was closed (the app schedules a sync).
 * @param zone time zone of dates on screen.
 */
class InspectionController(
    private val core: LiuhenCore,
    inspectionId: String,
    actor: String,
    private val scope: CoroutineScope,
    private val io: CoroutineDispatcher,
    permissions: PermissionState = PermissionState(),
    private val onClosed: () -> Unit = {},
    private val zone: ZoneId = CHINA_ZONE,
) : AutoCloseable {
    private val id = inspectionId
    private val _model = MutableStateFlow(FlowModel(inspectionId, actor, permissions = permissions))
    private val latestView = MutableStateFlow<InspectionView?>(null)
    private val effects = Mutex()
    private var subscription: Subscription? = null

    /** The model (for tests and for saving the draft across process death). */
    val model: StateFlow<FlowModel> = _model

    /** What the screen draws. */
    val screen: StateFlow<FlowScreen> =
        _model.map { InspectionFlow.render(it, zone) }
            .stateIn(scope, SharingStarted.Eagerly, InspectionFlow.render(_model.value, zone))

    /**
     * Starts watching the record: reads the statement and the officers who may check
     * in, subscribes, and recomputes the unmet rules on every change (in order).
     */
    fun start(draft: FlowDraft? = null): Job = scope.launch {
        if (draft != null) _model.update { it.copy(draft = draft) }
        val ok = withContext(io) {
            try {
                val statement = runCatching { core.identityStatement(id) }.getOrDefault("")
                val candidates = candidates()
                val notice = agencyNotice()
                _model.update { it.copy(statement = statement, candidates = candidates, agencyNotice = notice, loadError = null) }
                subscription = core.observeInspection(id, object : InspectionObserver {
                    override fun onUpdate(inspection: InspectionView) {
                        latestView.value = inspection
                    }

                    override fun onError(detail: String) {
                        _model.update { it.copy(loadError = detail) }
                    }
                })
                true
            } catch (e: Exception) {
                _model.update { it.copy(loadError = ErrorPresenter.present(e).text) }
                false
            }
        }
        if (!ok) return@launch
        // One collector: views are applied in the order the core delivered them, each
        // with the unmet rules computed for it.
        latestView.filterNotNull().collect { v ->
            val (unmet, sync) = withContext(io) { unmetFor(v) to syncOf() }
            // A sync may have brought a new notice with the roster: read it again.
            val notice = withContext(io) { agencyNotice() }
            _model.update {
                it.copy(view = v, unmet = unmet, syncStatus = sync?.syncStatus, syncProblem = sync?.syncReason, agencyNotice = notice)
            }
        }
    }

    /** This record's line of the device's record list (sync state and reason). */
    private fun syncOf(): cn.liuhen.core.RecordSummary? =
        runCatching { core.records(false).firstOrNull { it.id == id } }.getOrNull()

    /**
     * The agency's rights notice held on the device (R-SCENE-4); `null` when none was
     * received yet (before the first sync the core answers NoRoster: also none).
     */
    private fun agencyNotice(): cn.liuhen.core.AgencyRightsNotice? =
        runCatching { core.agencyRightsNotice() }.getOrNull()

    private fun unmetFor(v: InspectionView) =
        if (v.closedAt != null) emptyList() else runCatching { core.unmetRules(id) }.getOrDefault(_model.value.unmet)

    private fun candidates(): List<OfficerChoice> {
        val v = core.inspection(id)
        val task = v.taskId?.let { t -> runCatching { core.tasks(null) }.getOrDefault(emptyList()).firstOrNull { it.id == t } }
        if (task != null) return task.officerIds.zip(task.officerNames).map { (i, n) -> OfficerChoice(i, n) }
        return runCatching { core.officers() }.getOrDefault(emptyList()).filter { it.active }.map { OfficerChoice(it.id, it.name) }
    }

    /**
     * Handles [event]. Events that change the record run one at a time on [io]; the
     * returned job completes when the core has answered (tests join it).
     */
    fun onEvent(event: FlowEvent): Job = scope.launch {
        var effect: CoreEffect? = null
        effects.withLock {
            _model.update { m ->
                val u = FlowUpdate.update(m, event)
                effect = u.effect
                u.model
            }
        }
        val eff = effect ?: return@launch
        effects.withLock {
            val result = runCatching { withContext(io) { perform(eff) } }
            // Read the record back right away, so the next event is decided on what
            // the core now holds (the observer delivers the same value shortly after).
            val fresh = withContext(io) { runCatching { core.inspection(id) to unmetFor(core.inspection(id)) }.getOrNull() }
            // A refused rights notice may mean a newer text arrived: show the one held now.
            val notice = withContext(io) { agencyNotice() }
            _model.update { m ->
                val next = result.fold({ FlowUpdate.done(m, eff, it) }, { FlowUpdate.failed(m, eff, it) }).copy(agencyNotice = notice)
                if (fresh != null) next.copy(view = fresh.first, unmet = fresh.second) else next
            }
            if (result.isSuccess && eff == CoreEffect.Close) onClosed()
        }
    }

    private suspend fun perform(e: CoreEffect): Any? {
        val by = _model.value.actor
        return when (e) {
            is CoreEffect.CheckIn -> core.checkIn(id, e.officerId, e.location)
            is CoreEffect.Capture -> core.captureEvidence(id, e.filePath, e.request, by)
            is CoreEffect.IdentityNotice -> core.recordIdentityNotice(id, e.statement, e.recordingSha256, by)
            is CoreEffect.AddFinding -> core.addFinding(id, e.text, e.evidence, by)
            is CoreEffect.RightsNotice -> core.recordRightsNotice(id, e.request, by)
            CoreEffect.Close -> core.close(id, by)
            is CoreEffect.Amend -> core.amend(id, e.amends, e.text, emptyList(), by)
        }
    }

    /** Stops watching the record. */
    override fun close() {
        subscription?.cancel()
        subscription?.close()
        subscription = null
    }
}
