package cn.liuhen.app.logic

/**
 * What the inspection screen keeps across rotation and process death (Android's
 * `SavedStateHandle`, a string map): the typed draft and the captures under way.
 * Photos, recordings and signatures already handed to the core are in its store and
 * need nothing here.
 */
object DraftCodec {
    private const val P = "draft."

    /** The draft as strings (the recorder's state is not kept: a new process has no recorder). */
    fun encode(d: FlowDraft): Map<String, String> = buildMap {
        put(P + "finding", d.findingText)
        d.statementOverride?.let { put(P + "statement", it) }
        put(P + "signer", d.signerName)
        put(P + "refused", d.partyRefused.toString())
        put(P + "witness", d.witnessName)
        put(P + "refusal_reason", d.refusalReason)
        put(P + "mode", d.recordingMode.name)
        d.amendTarget?.let { put(P + "amend_target", it) }
        put(P + "amend", d.amendText)
        // Remedy channels are the agency's (rights notice from the server), not typed.
    }

    /** The draft from [m] (missing keys give the defaults); `null` when nothing was saved. */
    fun decode(m: Map<String, String?>): FlowDraft? {
        if (m.keys.none { it.startsWith(P) }) return null
        return FlowDraft(
            findingText = m[P + "finding"] ?: "",
            statementOverride = m[P + "statement"],
            signerName = m[P + "signer"] ?: "",
            partyRefused = m[P + "refused"] == "true",
            witnessName = m[P + "witness"] ?: "",
            refusalReason = m[P + "refusal_reason"] ?: "",
            recordingMode = RecordingMode.entries.firstOrNull { it.name == m[P + "mode"] } ?: RecordingMode.AUDIO,
            amendTarget = m[P + "amend_target"],
            amendText = m[P + "amend"] ?: "",
        )
    }
}

/**
 * Captures under way, kept before the camera app or the recorder is started so that a
 * rotation or a process death in between loses nothing.
 *
 * @property photoPath the file the system camera was asked to write.
 * @property recordingPath the file the recorder is writing.
 * @property recordingStartedAtMillis when the recorder started (wall clock).
 * @property recordingMode audio or video.
 */
data class PendingCapture(
    val photoPath: String? = null,
    val recordingPath: String? = null,
    val recordingStartedAtMillis: Long? = null,
    val recordingMode: RecordingMode = RecordingMode.AUDIO,
)

/** What the file system says about a file. */
data class FileFacts(
    /** Size in bytes (0 when missing). */
    val length: Long,
    /** Last write (wall clock). */
    val lastModifiedMillis: Long,
)

/** Decisions about captures a new process finds under way. */
object CaptureRestore {
    /**
     * The events that hand over what a previous process left: a photo the camera app
     * wrote (its result may have been delivered to a process that no longer exists),
     * and an audio recording cut by the kill (ADTS: playable up to its last frame).
     * A video segment under way is not finished (MPEG-4 has no index until stopped):
     * it is not stored, and the officer is told; finished segments are already stored.
     *
     * @param photo the facts of [PendingCapture.photoPath], if it is set.
     * @param recording the facts of [PendingCapture.recordingPath], if it is set.
     */
    fun afterRestart(p: PendingCapture, photo: FileFacts?, recording: FileFacts?): List<FlowEvent> {
        val out = mutableListOf<FlowEvent>()
        if (p.photoPath != null && photo != null && photo.length > 0) out += FlowEvent.PhotoTaken(p.photoPath)
        if (p.recordingPath != null && recording != null) {
            val duration = p.recordingStartedAtMillis?.let { recording.lastModifiedMillis - it } ?: 0
            out += when (p.recordingMode) {
                RecordingMode.AUDIO -> FlowEvent.RecordingInterrupted(
                    Interruption.BACKGROUND, p.recordingPath.takeIf { recording.length > 0 }, recording.length, duration, "audio/aac",
                )
                RecordingMode.VIDEO -> FlowEvent.RecordingInterrupted(Interruption.BACKGROUND, null, 0, duration, VideoRecording.MEDIA_TYPE)
            }
        }
        return out
    }
}
