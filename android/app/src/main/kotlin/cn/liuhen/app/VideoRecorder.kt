package cn.liuhen.app

import android.content.Context
import android.hardware.Camera
import android.media.CamcorderProfile
import android.media.MediaRecorder
import android.os.Build
import android.os.SystemClock
import android.view.Surface
import java.io.File

/**
 * The video identity notice (录像): camera and microphone into MPEG-4 segments of at
 * most [SEGMENT_BYTES]. When a segment is nearly full the next file is handed to the
 * recorder (`setNextOutputFile`, API 26 = minSdk); the finished one is complete and
 * playable and goes to [onSegment] at once (stored as evidence), so a kill or a crash
 * loses at most the segment under way. The legacy `android.hardware.Camera` API is
 * used because it feeds `MediaRecorder` directly on every API 26+ phone.
 *
 * @param onSegment called (on the recorder's thread) with each finished segment and its size.
 */
@Suppress("DEPRECATION")
class VideoRecorder(private val ctx: Context, private val onSegment: (File, Long) -> Unit) {
    private var camera: Camera? = null
    private var recorder: MediaRecorder? = null
    private var current: File? = null
    private var next: File? = null
    private var segmentStartedAt = 0L
    private var segment = 0

    /** The file being written now (kept by the screen for a restart). */
    val currentFile: File? get() = current

    /** Starts recording with the preview on [preview]; throws if the camera or microphone cannot be used. */
    fun start(preview: Surface) {
        val cam = Camera.open() ?: throw IllegalStateException("没有可用的后置相机")
        try {
            cam.setDisplayOrientation(90)
            cam.unlock()
            val r = if (Build.VERSION.SDK_INT >= 31) MediaRecorder(ctx) else MediaRecorder()
            r.setCamera(cam)
            r.setAudioSource(MediaRecorder.AudioSource.CAMCORDER)
            r.setVideoSource(MediaRecorder.VideoSource.CAMERA)
            val quality = if (CamcorderProfile.hasProfile(CamcorderProfile.QUALITY_720P)) CamcorderProfile.QUALITY_720P else CamcorderProfile.QUALITY_LOW
            r.setProfile(CamcorderProfile.get(quality))
            r.setOrientationHint(90)
            r.setMaxFileSize(SEGMENT_BYTES)
            val first = newFile()
            r.setOutputFile(first.path)
            r.setPreviewDisplay(preview)
            r.setOnInfoListener { mr, what, _ ->
                when (what) {
                    MediaRecorder.MEDIA_RECORDER_INFO_MAX_FILESIZE_APPROACHING -> {
                        val n = newFile()
                        next = n
                        runCatching { mr.setNextOutputFile(n) }
                    }
                    MediaRecorder.MEDIA_RECORDER_INFO_NEXT_OUTPUT_FILE_STARTED -> {
                        val done = current
                        current = next
                        next = null
                        segmentStartedAt = SystemClock.elapsedRealtime()
                        if (done != null) onSegment(done, done.length())
                    }
                }
            }
            r.prepare()
            r.start()
            recorder = r
            camera = cam
            current = first
            segmentStartedAt = SystemClock.elapsedRealtime()
        } catch (e: Exception) {
            runCatching { cam.lock() }
            cam.release()
            throw e
        }
    }

    /**
     * Stops (the officer pressed stop, a call came in, the app left the screen); the
     * last segment is finished by `stop()`. Returns it with its size and duration (size
     * 0 when nothing was recorded), or `null` when not recording.
     */
    fun stop(): Triple<File, Long, Long>? {
        val r = recorder ?: return null
        val f = current ?: return null
        recorder = null
        val ok = runCatching { r.stop() }.isSuccess
        r.reset()
        r.release()
        camera?.let { runCatching { it.lock() }; it.release() }
        camera = null
        current = null
        next?.delete()
        next = null
        return Triple(f, if (ok) f.length() else 0L, SystemClock.elapsedRealtime() - segmentStartedAt)
    }

    private fun newFile(): File {
        segment += 1
        return File(ctx.cacheDir, "capture/video-${System.currentTimeMillis()}-$segment.mp4").apply { parentFile?.mkdirs() }
    }

    companion object {
        /** Largest segment: about 30 s at 720p (a kill loses at most this much). */
        const val SEGMENT_BYTES: Long = 24L * 1024 * 1024
    }
}
