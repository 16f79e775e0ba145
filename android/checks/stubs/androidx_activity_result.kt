@file:Suppress("unused", "UNUSED_PARAMETER")

package androidx.activity.result

abstract class ActivityResultLauncher<I> {
    fun launch(input: I) {}
}
