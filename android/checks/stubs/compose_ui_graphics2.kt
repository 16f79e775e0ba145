@file:Suppress("unused", "UNUSED_PARAMETER")

package androidx.compose.ui.graphics

class Color(val value: ULong) {
    companion object {
        val White: Color = TODO()
        val Black: Color = TODO()
    }
}

class Path {
    fun moveTo(x: Float, y: Float) {}
    fun lineTo(x: Float, y: Float) {}
}
