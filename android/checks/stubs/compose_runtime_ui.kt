// Stubs of Jetpack Compose (BOM 2024.12) members the app uses. Without the Compose
// compiler plugin, @Composable is a plain annotation here: kotlinc checks names, types
// and arguments, not the composable calling rules.
@file:Suppress("unused", "UNUSED_PARAMETER")

package androidx.compose.runtime

import kotlinx.coroutines.CoroutineScope
import kotlin.reflect.KProperty

@Target(AnnotationTarget.FUNCTION, AnnotationTarget.TYPE, AnnotationTarget.TYPE_PARAMETER, AnnotationTarget.PROPERTY_GETTER)
annotation class Composable

interface State<out T> { val value: T }
interface MutableState<T> : State<T> { override var value: T }
interface MutableIntState : MutableState<Int> { var intValue: Int }

operator fun <T> State<T>.getValue(thisObj: Any?, property: KProperty<*>): T = value
operator fun <T> MutableState<T>.setValue(thisObj: Any?, property: KProperty<*>, value: T) { this.value = value }
operator fun MutableIntState.getValue(thisObj: Any?, property: KProperty<*>): Int = intValue
operator fun MutableIntState.setValue(thisObj: Any?, property: KProperty<*>, value: Int) { intValue = value }

fun <T> mutableStateOf(value: T): MutableState<T> = TODO()
fun mutableIntStateOf(value: Int): MutableIntState = TODO()
class SnapshotStateList<T> : MutableList<T> by ArrayList()
fun <T> mutableStateListOf(vararg elements: T): SnapshotStateList<T> = TODO()

@Composable fun <T> remember(calculation: () -> T): T = TODO()
@Composable fun <T> remember(key1: Any?, calculation: () -> T): T = TODO()
@Composable fun rememberCoroutineScope(): CoroutineScope = TODO()
@Composable fun LaunchedEffect(key1: Any?, block: suspend CoroutineScope.() -> Unit) {}

class DisposableEffectScope {
    inline fun onDispose(crossinline onDisposeEffect: () -> Unit): DisposableEffectResult = TODO()
}
interface DisposableEffectResult
@Composable fun DisposableEffect(key1: Any?, effect: DisposableEffectScope.() -> DisposableEffectResult) {}

abstract class ProvidableCompositionLocal<T> {
    val current: T @Composable get() = TODO()
}
