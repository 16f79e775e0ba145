@file:Suppress("unused", "UNUSED_PARAMETER")

package androidx.lifecycle.compose

import androidx.compose.runtime.Composable
import androidx.compose.runtime.ProvidableCompositionLocal
import androidx.compose.runtime.State
import androidx.lifecycle.LifecycleOwner
import kotlinx.coroutines.flow.StateFlow

@Composable fun <T> StateFlow<T>.collectAsStateWithLifecycle(): State<T> = TODO()

val LocalLifecycleOwner: ProvidableCompositionLocal<LifecycleOwner> = TODO()

interface LifecyclePauseOrDisposeEffectResult
class LifecycleResumePauseEffectScope {
    inline fun onPauseOrDispose(crossinline onPauseOrDisposeEffect: LifecycleOwner.() -> Unit): LifecyclePauseOrDisposeEffectResult = TODO()
}

@Composable
fun LifecycleResumeEffect(key1: Any?, effects: LifecycleResumePauseEffectScope.() -> LifecyclePauseOrDisposeEffectResult) {}
