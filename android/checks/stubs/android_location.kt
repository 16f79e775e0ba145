@file:Suppress("unused", "UNUSED_PARAMETER")

package android.location

import android.os.Bundle
import android.os.Looper

class Location {
    val latitude: Double get() = TODO()
    val longitude: Double get() = TODO()
    val accuracy: Float get() = TODO()
    val time: Long get() = TODO()
    fun hasAccuracy(): Boolean = TODO()
}

/** On API 26–28 every method is abstract (the defaults came with API 30). */
interface LocationListener {
    fun onLocationChanged(location: Location)
    @Deprecated("API 29") fun onStatusChanged(provider: String?, status: Int, extras: Bundle?)
    fun onProviderEnabled(provider: String)
    fun onProviderDisabled(provider: String)
}

class LocationManager {
    val allProviders: List<String> get() = TODO()
    fun isProviderEnabled(provider: String): Boolean = TODO()
    fun getLastKnownLocation(provider: String): Location? = TODO()
    fun requestLocationUpdates(provider: String, minTimeMs: Long, minDistanceM: Float, listener: LocationListener, looper: Looper?) {}
    fun removeUpdates(listener: LocationListener) {}

    companion object {
        const val GPS_PROVIDER: String = "gps"
        const val NETWORK_PROVIDER: String = "network"
    }
}
