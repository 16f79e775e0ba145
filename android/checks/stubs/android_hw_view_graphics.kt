@file:Suppress("unused", "UNUSED_PARAMETER")

package android.hardware

@Deprecated("API 21: camera2")
class Camera {
    fun setDisplayOrientation(degrees: Int) {}
    fun unlock() {}
    fun lock() {}
    fun release() {}

    companion object {
        @JvmStatic fun open(): Camera? = TODO()
    }
}
