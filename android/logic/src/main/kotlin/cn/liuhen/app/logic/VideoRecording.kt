package cn.liuhen.app.logic

/**
 * The recorded identity notice (亮证告知, R-SCENE-3, R-REC-2 录音录像) as pure decisions:
 * what each mode needs, the timer, whether the screen stays on, and what happens when
 * recording is interrupted.
 *
 * Video is written as MPEG-4 in segments of about 30 s (24 MB at 720p; `MediaRecorder`'s
 * `setNextOutputFile`, API 26): each finished segment is a complete, playable file
 * stored as evidence at once, so a kill or a crash loses at most the segment under way.
 * A call, or the app leaving the screen, stops the recorder: the part recorded up to
 * then is finished (`stop()` writes its index) and stored, and the officer is told to
 * record again after the call ([FlowEvent.RecordingInterrupted]). Audio is ADTS AAC,
 * playable even when cut.
 */
object VideoRecording {
    /** Media type of video segments. */
    const val MEDIA_TYPE: String = "video/mp4"

    /** The permission still missing to record in [mode], if any (camera first for video). */
    fun missingPermission(p: PermissionState, mode: RecordingMode): AppPermission? = when {
        mode == RecordingMode.VIDEO && !p.granted(AppPermission.CAMERA) -> AppPermission.CAMERA
        !p.granted(AppPermission.MICROPHONE) -> AppPermission.MICROPHONE
        else -> null
    }

    /** "01:05" for [millis] (hours shown past one hour: "1:02:03"). */
    fun timer(millis: Long): String {
        val total = (millis.coerceAtLeast(0) / 1000)
        val h = total / 3600
        val m = (total % 3600) / 60
        val s = total % 60
        return if (h > 0) "%d:%02d:%02d".format(h, m, s) else "%02d:%02d".format(m, s)
    }

    /** The timer shown while recording ("● 录像中 00:42"), or `null` when not recording. */
    fun timerLabel(m: FlowModel): String? {
        val d = m.draft
        val start = d.recordingStartedAtMillis ?: return null
        if (d.recording != RecordingState.Recording) return null
        val segments = if (d.recordingMode == RecordingMode.VIDEO && d.videoSegmentsStored > 0) "（已保存 ${d.videoSegmentsStored} 段）" else ""
        return "● ${d.recordingMode.noun}中 ${timer(m.nowMillis - start)}$segments"
    }

    /** Whether the screen must stay on (while recording, or while a recording is being stored). */
    fun keepScreenOn(m: FlowModel): Boolean = m.draft.recording != RecordingState.Idle
}
