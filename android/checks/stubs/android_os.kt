@file:Suppress("unused", "UNUSED_PARAMETER")

package android.os

class Bundle

class Looper {
    companion object {
        @JvmStatic fun getMainLooper(): Looper = TODO()
    }
}

object SystemClock {
    @JvmStatic fun elapsedRealtime(): Long = TODO()
}

object Build {
    @JvmField val MANUFACTURER: String = ""
    @JvmField val MODEL: String = ""

    object VERSION {
        @JvmField val SDK_INT: Int = 0
    }
}
