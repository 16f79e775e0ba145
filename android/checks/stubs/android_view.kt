@file:Suppress("unused", "UNUSED_PARAMETER")

package android.view

import android.content.Context

class Surface

open class View(context: Context) {
    var keepScreenOn: Boolean = false
    var contentDescription: CharSequence? = null
}

interface SurfaceHolder {
    val surface: Surface
    fun addCallback(callback: Callback)

    interface Callback {
        fun surfaceCreated(holder: SurfaceHolder)
        fun surfaceChanged(holder: SurfaceHolder, format: Int, width: Int, height: Int)
        fun surfaceDestroyed(holder: SurfaceHolder)
    }
}

open class SurfaceView(context: Context) : View(context) {
    val holder: SurfaceHolder get() = TODO()
}
