package cn.liuhen.app

import android.app.Application
import android.net.ConnectivityManager
import android.net.Network
import android.net.NetworkCapabilities
import cn.liuhen.app.logic.FileNoticeMarkStore
import cn.liuhen.app.logic.FileSyncStateStore
import cn.liuhen.app.logic.SyncCoordinator
import cn.liuhen.app.logic.SyncNotices
import cn.liuhen.app.logic.SyncTrigger
import cn.liuhen.core.LiuhenCore
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import java.io.File

/**
 * Holds the one core of the device (store, evidence, signed log) and the sync
 * coordinator for the whole process; schedules background sync; tracks whether a
 * network is there (the offline indicator).
 */
class LiuhenApp : Application() {
    /** The device's core; opened once per process. */
    lateinit var core: LiuhenCore
        private set

    /** Sync decisions and runs (button and worker share it: one run at a time). */
    lateinit var sync: SyncCoordinator
        private set

    /** Why the core could not be opened (damaged store, newer data), if it could not. */
    var openError: Throwable? = null
        private set

    private val _online = MutableStateFlow(true)

    /** Whether a network with internet is there now (drives the offline banner). */
    val online: StateFlow<Boolean> = _online

    override fun onCreate() {
        super.onCreate()
        Notifications.createChannels(this)
        try {
            core = LiuhenCore.open(File(filesDir, "liuhen").path)
            val notices = SyncNotices(core, FileNoticeMarkStore(File(filesDir, "notices.state")))
            sync = SyncCoordinator(core, FileSyncStateStore(File(filesDir, "sync.state")), Dispatchers.IO, notices = notices)
            SyncWork.schedulePeriodic(this)
            watchNetwork()
        } catch (e: Exception) {
            openError = e
        }
    }

    private fun watchNetwork() {
        val cm = getSystemService(ConnectivityManager::class.java) ?: return
        _online.value = cm.getNetworkCapabilities(cm.activeNetwork)
            ?.hasCapability(NetworkCapabilities.NET_CAPABILITY_INTERNET) == true
        cm.registerDefaultNetworkCallback(
            object : ConnectivityManager.NetworkCallback() {
                override fun onAvailable(network: Network) {
                    _online.value = true
                    // When a network comes back, one sync (the worker itself waits for CONNECTED).
                    SyncWork.syncWhenOnline(this@LiuhenApp, SyncTrigger.CONNECTIVITY_RESTORED)
                }

                override fun onLost(network: Network) {
                    _online.value = false
                }
            },
        )
    }
}
