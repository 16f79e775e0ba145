package cn.liuhen.app

import android.Manifest
import android.content.Context
import android.content.pm.PackageManager
import android.location.Location
import android.location.LocationListener
import android.location.LocationManager
import android.os.Bundle
import android.os.Looper
import cn.liuhen.app.logic.LocationFix
import cn.liuhen.app.logic.LocationPolicy
import cn.liuhen.app.logic.LocationStatus
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow

/**
 * The capture position from the platform `LocationManager` (GPS works offline and
 * without Google Play services, which most phones in China lack). Only while the
 * inspection screen is shown; the decisions are [LocationPolicy]'s.
 */
class LocationTracker(private val ctx: Context) {
    private val lm: LocationManager? = ctx.getSystemService(LocationManager::class.java)
    private val _status = MutableStateFlow<LocationStatus>(LocationStatus.Searching(null))
    private var best: LocationFix? = null
    private var listening = false

    /** The status for captures now. */
    val status: StateFlow<LocationStatus> = _status

    // Every method implemented: on API 26–28 they are abstract in the platform
    // interface, and a lambda would crash with AbstractMethodError.
    private val listener = object : LocationListener {
        override fun onLocationChanged(location: Location) = onFix(location)

        @Deprecated("Deprecated in API 29")
        override fun onStatusChanged(provider: String?, status: Int, extras: Bundle?) = Unit

        override fun onProviderEnabled(provider: String) = refresh()

        override fun onProviderDisabled(provider: String) = refresh()
    }

    /** Whether a location permission is granted. */
    fun permitted(): Boolean =
        ctx.checkSelfPermission(Manifest.permission.ACCESS_FINE_LOCATION) == PackageManager.PERMISSION_GRANTED ||
            ctx.checkSelfPermission(Manifest.permission.ACCESS_COARSE_LOCATION) == PackageManager.PERMISSION_GRANTED

    private fun serviceOn(): Boolean {
        val m = lm ?: return false
        return runCatching {
            m.isProviderEnabled(LocationManager.GPS_PROVIDER) || m.isProviderEnabled(LocationManager.NETWORK_PROVIDER)
        }.getOrDefault(false)
    }

    /** Starts listening (again after a permission was granted); harmless when already listening. */
    fun start() {
        val m = lm
        if (m == null || !permitted()) return refresh()
        if (!listening) {
            try {
                for (p in listOf(LocationManager.GPS_PROVIDER, LocationManager.NETWORK_PROVIDER)) {
                    if (m.allProviders.contains(p)) {
                        m.getLastKnownLocation(p)?.let(::onFix)
                        m.requestLocationUpdates(p, 5_000L, 0f, listener, Looper.getMainLooper())
                    }
                }
                listening = true
            } catch (_: SecurityException) {
                // Permission withdrawn in between: the status says so.
            }
        }
        refresh()
    }

    /** Stops listening (screen left). */
    fun stop() {
        if (listening) runCatching { lm?.removeUpdates(listener) }
        listening = false
    }

    /** Recomputes the status at the current time (fixes age). */
    fun refresh() {
        _status.value = LocationPolicy.status(best, permitted(), serviceOn(), System.currentTimeMillis())
    }

    private fun onFix(l: Location) {
        val fix = LocationFix(l.latitude, l.longitude, if (l.hasAccuracy()) l.accuracy.toDouble() else Double.MAX_VALUE, l.time)
        best = LocationPolicy.better(best, fix, System.currentTimeMillis())
        refresh()
    }
}
