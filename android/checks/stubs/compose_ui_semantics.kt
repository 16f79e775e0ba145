@file:Suppress("unused", "UNUSED_PARAMETER")

package androidx.compose.ui.semantics

import androidx.compose.ui.Modifier

interface SemanticsPropertyReceiver
var SemanticsPropertyReceiver.contentDescription: String
    get() = TODO()
    set(value) = TODO()
var SemanticsPropertyReceiver.liveRegion: LiveRegionMode
    get() = TODO()
    set(value) = TODO()
fun SemanticsPropertyReceiver.heading() {}
enum class LiveRegionMode { Polite, Assertive }
fun Modifier.semantics(mergeDescendants: Boolean = false, properties: SemanticsPropertyReceiver.() -> Unit): Modifier = TODO()
