package cn.liuhen.app

import android.app.Application
import android.net.ConnectivityManager
import android.net.Network
import cn.liuhen.app.logic.SyncTrigger
import cn.liuhen.app.logic.FileSyncStateStore
import cn.liuhen.app.logic.SyncCoordinator
import cn.liuhen.core.LiuhenCore
import kotlinx.coroutines.Dispatchers
import java.io.File

/**
 * Holds the one core of the device (store, evidence, signed log) and the sync
 * coordinator for the whole process; schedules background sync.
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

    override fun onCreate() {
        super.onCreate()
        try {
            core = LiuhenCore.open(File(filesDir, "liuhen").path)
            sync = SyncCoordinator(core, FileSyncStateStore(File(filesDir, "sync.state")), Dispatchers.IO)
            SyncWork.schedulePeriodic(this)
            // When a network comes back, one sync (the worker itself waits for CONNECTED).
            getSystemService(ConnectivityManager::class.java)?.registerDefaultNetworkCallback(
                object : ConnectivityManager.NetworkCallback() {
                    override fun onAvailable(network: Network) {
                        SyncWork.syncWhenOnline(this@LiuhenApp, SyncTrigger.CONNECTIVITY_RESTORED)
                    }
                },
            )
        } catch (e: Exception) {
            openError = e
        }
    }
}
