@file:Suppress("unused", "UNUSED_PARAMETER")

package android.content.pm

object PackageManager {
    const val PERMISSION_GRANTED: Int = 0
    const val PERMISSION_DENIED: Int = -1
}

object ActivityInfo {
    const val SCREEN_ORIENTATION_UNSPECIFIED: Int = -1
    const val SCREEN_ORIENTATION_LOCKED: Int = 14
}
