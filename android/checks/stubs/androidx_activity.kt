@file:Suppress("unused", "UNUSED_PARAMETER")

package androidx.activity

import androidx.lifecycle.Lifecycle
import androidx.lifecycle.LifecycleOwner

abstract class ComponentActivity : android.app.Activity(), LifecycleOwner {
    override val lifecycle: Lifecycle get() = TODO()
}

fun ComponentActivity.enableEdgeToEdge() {}
