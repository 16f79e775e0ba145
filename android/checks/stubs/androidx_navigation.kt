@file:Suppress("unused", "UNUSED_PARAMETER")

package androidx.navigation

import android.os.Bundle

class NavBackStackEntry {
    val arguments: Bundle? get() = TODO()
}

class PopUpToBuilder { var inclusive: Boolean = false }
class NavOptionsBuilder {
    fun popUpTo(route: String, popUpToBuilder: PopUpToBuilder.() -> Unit = {}) {}
}

open class NavController {
    fun navigate(route: String, builder: NavOptionsBuilder.() -> Unit = {}) {}
    fun popBackStack(): Boolean = TODO()
}
class NavHostController : NavController()
class NavGraphBuilder
