@file:Suppress("unused", "UNUSED_PARAMETER")

package androidx.lifecycle

import android.app.Application
import kotlinx.coroutines.CoroutineScope

abstract class Lifecycle {
    abstract fun addObserver(observer: LifecycleObserver)
    abstract fun removeObserver(observer: LifecycleObserver)
    enum class Event { ON_CREATE, ON_START, ON_RESUME, ON_PAUSE, ON_STOP, ON_DESTROY, ON_ANY }
}

interface LifecycleOwner { val lifecycle: Lifecycle }
interface LifecycleObserver
fun interface LifecycleEventObserver : LifecycleObserver {
    fun onStateChanged(source: LifecycleOwner, event: Lifecycle.Event)
}

abstract class ViewModel {
    protected open fun onCleared() {}
}

open class AndroidViewModel(application: Application) : ViewModel() {
    open fun <T : Application> getApplication(): T = TODO()
}

val ViewModel.viewModelScope: CoroutineScope get() = TODO()

class SavedStateHandle {
    fun keys(): Set<String> = TODO()
    operator fun <T> get(key: String): T? = TODO()
    operator fun <T> set(key: String, value: T?) {}
    fun <T> remove(key: String): T? = TODO()
    operator fun contains(key: String): Boolean = TODO()
}
