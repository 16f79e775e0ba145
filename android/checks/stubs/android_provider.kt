@file:Suppress("unused")

package android.provider

object Settings {
    const val ACTION_APPLICATION_DETAILS_SETTINGS: String = "android.settings.APPLICATION_DETAILS_SETTINGS"
}
