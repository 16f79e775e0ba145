// Hand-written stubs of the Android SDK (API 35) members the app module uses, for
// scripts/check-android.sh's type check with kotlinc. Signatures follow the SDK
// reference; bodies are never run. Keep them as narrow as the real API: a stub more
// permissive than Android hides a real error.
@file:Suppress("unused", "UNUSED_PARAMETER")

package android

object Manifest {
    object permission {
        const val CAMERA = "android.permission.CAMERA"
        const val RECORD_AUDIO = "android.permission.RECORD_AUDIO"
        const val ACCESS_FINE_LOCATION = "android.permission.ACCESS_FINE_LOCATION"
        const val ACCESS_COARSE_LOCATION = "android.permission.ACCESS_COARSE_LOCATION"
        const val POST_NOTIFICATIONS = "android.permission.POST_NOTIFICATIONS"
    }
}
