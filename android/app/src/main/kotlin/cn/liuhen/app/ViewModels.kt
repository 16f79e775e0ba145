package cn.liuhen.app

import android.app.Application
import android.os.Build
import androidx.lifecycle.AndroidViewModel
import androidx.lifecycle.viewModelScope
import cn.liuhen.app.logic.EnrollmentController
import cn.liuhen.app.logic.FlowDraft
import cn.liuhen.app.logic.InspectionController
import cn.liuhen.app.logic.PermissionState
import cn.liuhen.app.logic.RecordListScreen
import cn.liuhen.app.logic.RecordListState
import cn.liuhen.app.logic.SyncOutcome
import cn.liuhen.app.logic.SyncTrigger
import cn.liuhen.app.logic.TaskListScreen
import cn.liuhen.app.logic.TaskListState
import cn.liuhen.app.logic.UserMessage
import cn.liuhen.app.logic.ErrorPresenter
import cn.liuhen.core.RecordsObserver
import cn.liuhen.core.RecordsSnapshot
import cn.liuhen.core.Subscription
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.combine
import kotlinx.coroutines.flow.SharingStarted
import kotlinx.coroutines.flow.stateIn
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import java.time.Instant

private val Application.liuhen get() = this as LiuhenApp

/** Enrolment screen: wraps the logic module's [EnrollmentController]. */
class EnrollViewModel(app: Application) : AndroidViewModel(app) {
    /** The controller the screen draws and drives. */
    val controller = EnrollmentController(
        app.liuhen.core, app.liuhen.sync, Dispatchers.IO,
        "${Build.MANUFACTURER} ${Build.MODEL}",
        reEnrol = app.liuhen.sync.state.value.reEnrolRequired,
    )

    /** Submits; on success schedules background sync again and runs the first sync. */
    fun submit(onDone: () -> Unit) = viewModelScope.launch {
        if (controller.submit() != null) {
            SyncWork.schedulePeriodic(getApplication())
            SyncWork.syncWhenOnline(getApplication(), SyncTrigger.USER)
            onDone()
        }
    }
}

/** Task list and records list with sync status; the 立即同步 button. */
class HomeViewModel(app: Application) : AndroidViewModel(app) {
    private val core = app.liuhen.core
    private val sync = app.liuhen.sync
    private val snapshot = MutableStateFlow(RecordsSnapshot(emptyList(), false))
    private val tasks = MutableStateFlow(TaskListState.render(emptyList(), emptyList()))
    private val subscription: Subscription
    private val _message = MutableStateFlow<UserMessage?>(null)

    /** A message from the last sync or task action. */
    val message: StateFlow<UserMessage?> = _message

    /** The task list. */
    val taskList: StateFlow<TaskListScreen> = tasks

    /** The records list (with the offline banner). */
    val records: StateFlow<RecordListScreen> = combine(snapshot, sync.state, app.liuhen.online) { s, p, online ->
        RecordListState.render(s, p, enrolled = core.enrollment() != null, now = Instant.now(), online = online)
    }.stateIn(viewModelScope, SharingStarted.Eagerly, RecordListState.render(snapshot.value, sync.state.value, true, Instant.now()))

    init {
        subscription = core.observeRecords(object : RecordsObserver {
            override fun onUpdate(snapshot: RecordsSnapshot) {
                this@HomeViewModel.snapshot.value = snapshot
                refreshTasks()
            }
        })
    }

    /** Re-reads the task list (after a sync brought new draws). */
    fun refreshTasks() = viewModelScope.launch {
        val rows = withContext(Dispatchers.IO) {
            runCatching { TaskListState.render(core.tasks(core.enrollment()?.officerId), core.records(false)) }
        }
        rows.onSuccess { tasks.value = it }.onFailure { _message.value = ErrorPresenter.present(it) }
    }

    /** The 立即同步 button: runs now; when offline, also queues a run for when the network returns. */
    fun syncNow() = viewModelScope.launch {
        _message.value = afterSync(getApplication(), sync.request(SyncTrigger.USER))
        refreshTasks()
    }

    /** 重新同步 of a 需处理 record: resent unchanged (`resend`, R-REC-5), then synced. */
    fun resend(id: String) = viewModelScope.launch {
        _message.value = afterSync(getApplication(), sync.resend(id))
        refreshTasks()
    }

    /** Opens (or continues) the inspection of a task; returns its id to navigate to. */
    suspend fun open(taskId: String): String? = withContext(Dispatchers.IO) {
        try {
            core.openForTask(taskId, core.enrollment()?.officerId ?: "")
        } catch (e: cn.liuhen.core.LiuhenException.TaskAlreadyOpen) {
            e.inspectionId
        } catch (e: Exception) {
            _message.value = ErrorPresenter.present(e)
            null
        }
    }

    /** The message was read. */
    fun dismiss() { _message.value = null }

    override fun onCleared() = subscription.cancel()
}

/**
 * What the app does after a sync the officer asked for: posts the notifications, queues
 * a run for when the network returns if it failed offline, and returns the message to show.
 */
internal fun afterSync(app: Application, out: SyncOutcome): UserMessage? = when (out) {
    is SyncOutcome.Failed -> out.message.also {
        if (out.workerResult == cn.liuhen.app.logic.WorkerResult.RETRY) SyncWork.syncWhenOnline(app, SyncTrigger.USER)
    }
    is SyncOutcome.Synced -> {
        Notifications.post(app, out.notices)
        if (!out.summary.complete) SyncWork.syncWhenOnline(app, SyncTrigger.USER)
        UserMessage(
            "同步完成：${out.summary.synced.size} 条记录已上传" +
                (if (out.summary.needsAttention.isNotEmpty()) "，${out.summary.needsAttention.size} 条需处理（见“检查记录”）" else "") +
                (if (!out.summary.complete) "；本次未全部同步完，稍后自动继续" else ""),
            cn.liuhen.app.logic.MessageKind.INFO,
        )
    }
    else -> null
}
