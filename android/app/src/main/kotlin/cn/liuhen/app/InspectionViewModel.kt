package cn.liuhen.app

import android.app.Application
import android.content.pm.PackageManager
import android.media.AudioAttributes
import android.media.AudioFocusRequest
import android.media.AudioManager
import android.view.Surface
import androidx.lifecycle.AndroidViewModel
import androidx.lifecycle.SavedStateHandle
import androidx.lifecycle.viewModelScope
import cn.liuhen.app.logic.AppPermission
import cn.liuhen.app.logic.CaptureRestore
import cn.liuhen.app.logic.DraftCodec
import cn.liuhen.app.logic.FileFacts
import cn.liuhen.app.logic.FlowEvent
import cn.liuhen.app.logic.InspectionController
import cn.liuhen.app.logic.Interruption
import cn.liuhen.app.logic.PendingCapture
import cn.liuhen.app.logic.PermissionState
import cn.liuhen.app.logic.RecordingMode
import cn.liuhen.app.logic.RecordingState
import cn.liuhen.app.logic.SyncTrigger
import cn.liuhen.app.logic.VideoRecording
import cn.liuhen.core.SyncStatus
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.Job
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.distinctUntilChanged
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.flow.map
import kotlinx.coroutines.isActive
import kotlinx.coroutines.launch
import java.io.File

/**
 * One inspection. Everything that must outlive the screen lives here, not in the
 * composable: the controller, the recorders, the pending photo path and the typed
 * draft. The draft and the captures under way are also written to the
 * [SavedStateHandle] so that a process death (the camera app in front, a long call)
 * loses nothing: the returned photo and a cut audio recording are handed to the core
 * when the process comes back ([CaptureRestore]).
 */
class InspectionViewModel(app: Application, private val saved: SavedStateHandle) : AndroidViewModel(app) {
    private val liuhen = app as LiuhenApp
    /** Where photos, recordings and signatures are written before the core takes them. */
    val captureDir: File = File(app.cacheDir, "capture").apply { mkdirs() }
    private val audio = AudioRecorder(app)
    private var video: VideoRecorder? = null
    private var ticker: Job? = null
    private var focus: AudioFocusRequest? = null

    /** The inspection shown (the navigation argument, kept by the SavedStateHandle). */
    val id: String = saved.get<String>("id") ?: ""

    /** The capture position. */
    val location = LocationTracker(app)

    /** The controller the screen draws and drives. */
    val controller: InspectionController = InspectionController(
        liuhen.core, id, liuhen.core.enrollment()?.officerId ?: "",
        viewModelScope, Dispatchers.IO, grantedPermissions(),
        onClosed = { SyncWork.syncWhenOnline(getApplication(), SyncTrigger.INSPECTION_CLOSED) },
    )

    init {
        controller.start(DraftCodec.decode(saved.keys().filter { it.startsWith("draft.") }.associateWith { saved.get<String>(it) }))
        // Every change of the typed draft is saved at once (process death keeps it).
        viewModelScope.launch {
            controller.model.map { it.draft }.distinctUntilChanged().collect { d ->
                val enc = DraftCodec.encode(d)
                saved.keys().filter { it.startsWith("draft.") && it !in enc }.forEach { saved.remove<String>(it) }
                enc.forEach { (k, v) -> saved[k] = v }
            }
        }
        viewModelScope.launch { location.status.collect { controller.onEvent(FlowEvent.LocationChanged(it)) } }
        // Needs attention → fixed (an amendment or edit sets it back to 待同步): resend at once.
        viewModelScope.launch {
            var last: SyncStatus? = null
            controller.model.map { it.syncStatus }.distinctUntilChanged().collect { now ->
                if (last == SyncStatus.NEEDS_ATTENTION && now == SyncStatus.PENDING) {
                    SyncWork.syncWhenOnline(getApplication(), SyncTrigger.USER)
                }
                last = now
            }
        }
        restoreFromAnEarlierProcess()
    }

    /** What the last 重新同步 said (shown under the 需处理 panel). */
    val resendMessage = kotlinx.coroutines.flow.MutableStateFlow<cn.liuhen.app.logic.UserMessage?>(null)

    /** 重新同步 of this record when it needs attention: resent unchanged (`resend`, R-REC-5), then synced. */
    fun resend() = viewModelScope.launch {
        resendMessage.value = afterSync(getApplication(), liuhen.sync.resend(id))
    }

    private fun grantedPermissions(): PermissionState = AppPermission.entries.fold(PermissionState()) { s, p ->
        val granted = getApplication<Application>().checkSelfPermission(p.manifestName) == PackageManager.PERMISSION_GRANTED
        if (granted) s.withResult(p, true, true) else s
    }

    private var pending: PendingCapture
        get() = PendingCapture(
            photoPath = saved["pending.photo"],
            recordingPath = saved["pending.recording"],
            recordingStartedAtMillis = saved.get<String>("pending.started")?.toLongOrNull(),
            recordingMode = RecordingMode.entries.firstOrNull { it.name == saved.get<String>("pending.mode") } ?: RecordingMode.AUDIO,
        )
        set(p) {
            saved["pending.photo"] = p.photoPath
            saved["pending.recording"] = p.recordingPath
            saved["pending.started"] = p.recordingStartedAtMillis?.toString()
            saved["pending.mode"] = p.recordingMode.name
        }

    private fun facts(path: String?): FileFacts? = path?.let { File(it) }?.takeIf { it.exists() }?.let { FileFacts(it.length(), it.lastModified()) }

    /** Hands over what a killed process left (runs before the camera result can arrive). */
    private fun restoreFromAnEarlierProcess() {
        val p = pending
        if (p.photoPath == null && p.recordingPath == null) return
        pending = PendingCapture()
        val events = CaptureRestore.afterRestart(p, facts(p.photoPath), facts(p.recordingPath))
        events.forEach { whenReady(it) }
    }

    /**
     * Sends [e] once the record is loaded and no other step is being stored: a photo
     * that arrives while the previous step is saving is stored after it, not refused.
     */
    private fun whenReady(e: FlowEvent) = viewModelScope.launch {
        controller.model.first { it.view != null && !it.busy }
        controller.onEvent(e)
    }

    // --- photos

    /** A new file for the system camera to write; its path is kept before the camera starts. */
    fun newPhotoFile(): File {
        val f = File(captureDir, "photo-${System.currentTimeMillis()}.jpg")
        pending = pending.copy(photoPath = f.path)
        return f
    }

    /** The camera app returned. A written photo is never dropped, whatever the result code. */
    fun photoReturned() {
        val path = pending.photoPath ?: return
        pending = pending.copy(photoPath = null)
        val f = File(path)
        if (f.length() > 0) whenReady(FlowEvent.PhotoTaken(path)) else f.delete()
    }

    // --- the identity notice recorded (audio or video)

    /** Starts recording in the chosen mode; [preview] is the camera preview for video. */
    fun startRecording(preview: Surface?) {
        val mode = controller.model.value.draft.recordingMode
        val now = System.currentTimeMillis()
        try {
            val file = when (mode) {
                RecordingMode.AUDIO -> { audio.start(); audio.currentFile }
                RecordingMode.VIDEO -> {
                    val surface = preview ?: throw IllegalStateException("取景画面尚未就绪")
                    val v = VideoRecorder(getApplication()) { f, size ->
                        controller.onEvent(FlowEvent.VideoSegmentFinished(f.path, size))
                        pending = pending.copy(recordingPath = video?.currentFile?.path)
                    }
                    v.start(surface)
                    video = v
                    v.currentFile
                }
            }
            pending = pending.copy(recordingPath = file?.path, recordingStartedAtMillis = now, recordingMode = mode)
            requestFocus()
            controller.onEvent(FlowEvent.RecorderStarted(mode, now))
            ticker?.cancel()
            ticker = viewModelScope.launch {
                while (isActive && controller.model.value.draft.recording != RecordingState.Idle) {
                    controller.onEvent(FlowEvent.Tick(System.currentTimeMillis()))
                    delay(1_000)
                }
            }
        } catch (e: Exception) {
            controller.onEvent(FlowEvent.RecordingFailed(e.message ?: e.toString()))
        }
    }

    /** The officer pressed stop. */
    fun stopRecording() {
        val mode = controller.model.value.draft.recordingMode
        val r = stopRecorders()
        if (r == null) {
            controller.onEvent(FlowEvent.RecordingFailed("录音器未启动"))
            return
        }
        controller.onEvent(
            FlowEvent.RecordingFinished(
                r.first.path, r.second, r.third,
                if (mode == RecordingMode.VIDEO) VideoRecording.MEDIA_TYPE else AudioRecorder.MEDIA_TYPE,
            ),
        )
    }

    /** A call came in, or the screen was left: stop and store what was recorded. */
    fun interrupt(reason: Interruption) {
        if (controller.model.value.draft.recording != RecordingState.Recording) return
        val mode = controller.model.value.draft.recordingMode
        val r = stopRecorders()
        controller.onEvent(
            FlowEvent.RecordingInterrupted(
                reason, r?.first?.path, r?.second ?: 0, r?.third ?: 0,
                if (mode == RecordingMode.VIDEO) VideoRecording.MEDIA_TYPE else AudioRecorder.MEDIA_TYPE,
            ),
        )
    }

    private fun stopRecorders(): Triple<File, Long, Long>? {
        abandonFocus()
        ticker?.cancel()
        val r = audio.stop() ?: video?.stop()
        video = null
        pending = pending.copy(recordingPath = null, recordingStartedAtMillis = null)
        return r
    }

    // A call takes the audio focus: that is how the recorder learns of it without
    // the phone-state permission.
    private fun requestFocus() {
        val am = getApplication<Application>().getSystemService(AudioManager::class.java) ?: return
        val req = AudioFocusRequest.Builder(AudioManager.AUDIOFOCUS_GAIN_TRANSIENT_EXCLUSIVE)
            .setAudioAttributes(AudioAttributes.Builder().setUsage(AudioAttributes.USAGE_MEDIA).build())
            .setOnAudioFocusChangeListener { change ->
                if (change == AudioManager.AUDIOFOCUS_LOSS || change == AudioManager.AUDIOFOCUS_LOSS_TRANSIENT) {
                    interrupt(Interruption.CALL)
                }
            }
            .build()
        am.requestAudioFocus(req)
        focus = req
    }

    private fun abandonFocus() {
        val am = getApplication<Application>().getSystemService(AudioManager::class.java) ?: return
        focus?.let { am.abandonAudioFocusRequest(it) }
        focus = null
    }

    override fun onCleared() {
        // The screen interrupts (and stores) a recording before it is left; this only
        // releases the hardware if that did not happen.
        stopRecorders()
        location.stop()
        controller.close()
    }
}
