@file:Suppress("unused", "UNUSED_PARAMETER", "DEPRECATION")

package android.net

abstract class Uri {
    companion object {
        @JvmStatic fun fromParts(scheme: String, ssp: String, fragment: String?): Uri = TODO()
    }
}

class Network

class NetworkCapabilities {
    fun hasCapability(capability: Int): Boolean = TODO()

    companion object {
        const val NET_CAPABILITY_INTERNET: Int = 12
    }
}

class ConnectivityManager {
    val activeNetwork: Network? get() = TODO()
    fun getNetworkCapabilities(network: Network?): NetworkCapabilities? = TODO()
    fun registerDefaultNetworkCallback(networkCallback: NetworkCallback) {}

    open class NetworkCallback {
        open fun onAvailable(network: Network) {}
        open fun onLost(network: Network) {}
    }
}
