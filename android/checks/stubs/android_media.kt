@file:Suppress("unused", "UNUSED_PARAMETER")

package android.media

import android.content.Context
import android.view.Surface
import java.io.File

class MediaRecorder {
    constructor()
    /** API 31. */
    constructor(context: Context)
    fun setAudioSource(source: Int) {}
    fun setVideoSource(source: Int) {}
    fun setOutputFormat(format: Int) {}
    fun setAudioEncoder(encoder: Int) {}
    fun setAudioSamplingRate(rate: Int) {}
    fun setAudioEncodingBitRate(bitRate: Int) {}
    fun setOutputFile(path: String?) {}
    fun setNextOutputFile(file: File) {}
    fun setMaxFileSize(bytes: Long) {}
    fun setOrientationHint(degrees: Int) {}
    fun setProfile(profile: CamcorderProfile) {}
    @Suppress("DEPRECATION") fun setCamera(c: android.hardware.Camera?) {}
    fun setPreviewDisplay(sv: Surface?) {}
    fun setOnInfoListener(listener: OnInfoListener?) {}
    fun prepare() {}
    fun start() {}
    fun stop() {}
    fun reset() {}
    fun release() {}

    fun interface OnInfoListener {
        fun onInfo(mr: MediaRecorder, what: Int, extra: Int)
    }

    object AudioSource {
        const val MIC: Int = 1
        const val CAMCORDER: Int = 5
    }

    object VideoSource {
        const val CAMERA: Int = 1
    }

    object OutputFormat {
        const val MPEG_4: Int = 2
        const val AAC_ADTS: Int = 6
    }

    object AudioEncoder {
        const val AAC: Int = 3
    }

    companion object {
        const val MEDIA_RECORDER_INFO_MAX_FILESIZE_APPROACHING: Int = 802
        const val MEDIA_RECORDER_INFO_NEXT_OUTPUT_FILE_STARTED: Int = 803
    }
}

class CamcorderProfile {
    companion object {
        const val QUALITY_LOW: Int = 0
        const val QUALITY_720P: Int = 5
        @JvmStatic fun hasProfile(quality: Int): Boolean = TODO()
        @JvmStatic fun get(quality: Int): CamcorderProfile = TODO()
    }
}

class AudioAttributes {
    class Builder {
        fun setUsage(usage: Int): Builder = TODO()
        fun build(): AudioAttributes = TODO()
    }

    companion object {
        const val USAGE_MEDIA: Int = 1
    }
}

class AudioFocusRequest {
    class Builder(focusGain: Int) {
        fun setAudioAttributes(attributes: AudioAttributes): Builder = TODO()
        fun setOnAudioFocusChangeListener(listener: AudioManager.OnAudioFocusChangeListener): Builder = TODO()
        fun build(): AudioFocusRequest = TODO()
    }
}

class AudioManager {
    fun requestAudioFocus(focusRequest: AudioFocusRequest): Int = TODO()
    fun abandonAudioFocusRequest(focusRequest: AudioFocusRequest): Int = TODO()

    fun interface OnAudioFocusChangeListener {
        fun onAudioFocusChange(focusChange: Int)
    }

    companion object {
        const val AUDIOFOCUS_GAIN_TRANSIENT_EXCLUSIVE: Int = 4
        const val AUDIOFOCUS_LOSS: Int = -1
        const val AUDIOFOCUS_LOSS_TRANSIENT: Int = -2
    }
}
