package cn.liuhen.app

import android.content.Context
import android.media.MediaRecorder
import android.os.Build
import android.os.SystemClock
import java.io.File

/**
 * The identity-notice recorder: AAC in an M4A file in the app's cache. The file is
 * handed to the core (which copies it into its evidence store) when recording stops.
 */
class AudioRecorder(private val ctx: Context) {
    private var recorder: MediaRecorder? = null
    private var file: File? = null
    private var startedAt = 0L

    /** Starts recording into a new file; throws if the microphone cannot be used. */
    fun start() {
        val f = File(ctx.cacheDir, "capture/notice-${System.currentTimeMillis()}.m4a").apply { parentFile?.mkdirs() }
        val r = if (Build.VERSION.SDK_INT >= 31) MediaRecorder(ctx) else @Suppress("DEPRECATION") MediaRecorder()
        r.setAudioSource(MediaRecorder.AudioSource.MIC)
        r.setOutputFormat(MediaRecorder.OutputFormat.MPEG_4)
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
        val ok = runCatching { r.stop() }.isSuccess // stop() throws when nothing was recorded
        r.release()
        val duration = SystemClock.elapsedRealtime() - startedAt
        return Triple(f, if (ok) f.length() else 0L, duration)
    }
}
