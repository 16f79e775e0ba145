@file:Suppress("unused", "UNUSED_PARAMETER")

package androidx.compose.ui.input.pointer

import androidx.compose.ui.Modifier

class PointerInputChange {
    val position: androidx.compose.ui.geometry.Offset get() = TODO()
}
interface PointerInputScope
fun Modifier.pointerInput(key1: Any?, block: suspend PointerInputScope.() -> Unit): Modifier = TODO()
