package cn.liuhen.app

import android.content.Context
import android.media.MediaRecorder
import android.os.Build
import android.os.SystemClock
import java.io.File

/**
 * The identity-notice recorder: AAC in ADTS frames (`.aac`, `audio/aac`) in the app's
 * cache, as on iOS. ADTS has no index written at the end: a recording cut by a kill,
 * a crash or a call is still playable up to its last frame (MPEG-4 is not: its index is
 * written by `stop()`). The file is handed to the core (which copies it into its
 * evidence store) when recording stops; [orphans] finds one left by a kill.
 */
class AudioRecorder(private val ctx: Context) {
    private var recorder: MediaRecorder? = null
    private var file: File? = null
    private var startedAt = 0L

    /** The file being written, while recording. */
    val currentFile: File? get() = if (recorder != null) file else null

    /** Starts recording into a new file; throws if the microphone cannot be used. */
    fun start() {
        val f = File(ctx.cacheDir, "capture/notice-${System.currentTimeMillis()}.aac").apply { parentFile?.mkdirs() }
        val r = if (Build.VERSION.SDK_INT >= 31) MediaRecorder(ctx) else @Suppress("DEPRECATION") MediaRecorder()
        r.setAudioSource(MediaRecorder.AudioSource.MIC)
        r.setOutputFormat(MediaRecorder.OutputFormat.AAC_ADTS)
        r.setAudioEncoder(MediaRecorder.AudioEncoder.AAC)
        r.setAudioSamplingRate(16_000)
        r.setAudioEncodingBitRate(32_000)
        r.setOutputFile(f.path)
        r.prepare()
        r.start()
        recorder = r
        file = f
        startedAt = SystemClock.elapsedRealtime()
    }

    /** Stops; returns the file, its size and duration (size 0 when nothing was recorded). */
    fun stop(): Triple<File, Long, Long>? {
        val r = recorder ?: return null
        val f = file ?: return null
        recorder = null
        // stop() throws when nothing was recorded; ADTS frames written before are still
        // playable, so the file's length is reported either way (the core checks the content).
        runCatching { r.stop() }
        r.release()
        val duration = SystemClock.elapsedRealtime() - startedAt
        return Triple(f, f.length(), duration)
    }

    /** Media type of what [start] writes. */
    val mediaType: String get() = MEDIA_TYPE

    companion object {
        /** Media type of the recordings (ADTS AAC). */
        const val MEDIA_TYPE = "audio/aac"

        /**
         * Recordings left in the cache by a kill mid-recording (never handed to the
         * core): playable ADTS files the screen offers to store.
         */
        fun orphans(ctx: Context): List<File> =
            File(ctx.cacheDir, "capture").listFiles { f -> f.name.startsWith("notice-") && f.name.endsWith(".aac") && f.length() > 0 }
                ?.sortedBy { it.name } ?: emptyList()
    }
}
