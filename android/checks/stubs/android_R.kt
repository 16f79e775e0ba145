@file:Suppress("unused", "ClassName")

package android

object R {
    object drawable {
        const val stat_notify_sync: Int = 0x01080080
    }
}
