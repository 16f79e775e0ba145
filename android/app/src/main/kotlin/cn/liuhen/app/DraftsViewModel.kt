package cn.liuhen.app

import android.app.Application
import androidx.lifecycle.AndroidViewModel
import androidx.lifecycle.SavedStateHandle
import androidx.lifecycle.viewModelScope
import cn.liuhen.app.logic.DraftsController
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.launch

/**
 * Decision drafts (决定草案, R-LEGAL-1): wraps the logic module's [DraftsController].
 * On the form route the navigation argument `id` is a draft id, or `new:<kind>`.
 */
class DraftsViewModel(app: Application, saved: SavedStateHandle) : AndroidViewModel(app) {
    private val liuhen = app as LiuhenApp

    /** The controller the screens draw and drive. */
    val controller = DraftsController(liuhen.core, liuhen.core.enrollment()?.officerId ?: "", Dispatchers.IO)

    init {
        val arg = saved.get<String>("id")
        viewModelScope.launch {
            controller.refresh()
            when {
                arg == null -> {}
                arg.startsWith("new:") -> controller.new(arg.removePrefix("new:"))
                else -> controller.open(arg)
            }
        }
    }

    /** Re-reads the list. */
    fun refresh() = viewModelScope.launch { controller.refresh() }

    /** Saves the form. */
    fun save() = viewModelScope.launch { controller.save() }
}
