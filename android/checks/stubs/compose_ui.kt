@file:Suppress("unused", "UNUSED_PARAMETER")

package androidx.compose.ui

interface Modifier {
    infix fun then(other: Modifier): Modifier = TODO()
    companion object : Modifier
}

interface Alignment {
    interface Vertical
    interface Horizontal
    companion object {
        val CenterVertically: Vertical = TODO()
        val CenterHorizontally: Horizontal = TODO()
    }
}
