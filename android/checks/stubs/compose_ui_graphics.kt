@file:Suppress("unused", "UNUSED_PARAMETER")

package androidx.compose.ui.geometry

class Offset {
    val x: Float get() = TODO()
    val y: Float get() = TODO()
}

class Size {
    val width: Float get() = TODO()
    val height: Float get() = TODO()
}
