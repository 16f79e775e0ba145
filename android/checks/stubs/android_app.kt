@file:Suppress("unused", "UNUSED_PARAMETER")

package android.app

import android.content.Context
import android.content.Intent
import android.os.Bundle

abstract class Application : Context() {
    open fun onCreate() {}
}

abstract class Activity : Context() {
    val application: Application get() = TODO()
    open val intent: Intent? get() = TODO()
    open val isChangingConfigurations: Boolean get() = TODO()
    open var requestedOrientation: Int
        get() = TODO()
        set(value) = TODO()
    protected open fun onCreate(savedInstanceState: Bundle?) {}
    protected open fun onNewIntent(intent: Intent) {}
}

class NotificationChannel(id: String, name: CharSequence, importance: Int) {
    var description: String? = null
}

class NotificationManager {
    fun createNotificationChannel(channel: NotificationChannel) {}
    fun notify(tag: String?, id: Int, notification: Notification) {}

    companion object {
        const val IMPORTANCE_DEFAULT: Int = 3
        const val IMPORTANCE_HIGH: Int = 4
    }
}

class Notification {
    abstract class Style
    class BigTextStyle : Style() {
        fun bigText(cs: CharSequence?): BigTextStyle = TODO()
    }

    class Builder(context: Context, channelId: String) {
        fun setSmallIcon(icon: Int): Builder = TODO()
        fun setContentTitle(title: CharSequence?): Builder = TODO()
        fun setContentText(text: CharSequence?): Builder = TODO()
        fun setStyle(style: Style?): Builder = TODO()
        fun setContentIntent(intent: PendingIntent?): Builder = TODO()
        fun setAutoCancel(autoCancel: Boolean): Builder = TODO()
        fun build(): Notification = TODO()
    }
}

class PendingIntent {
    companion object {
        const val FLAG_IMMUTABLE: Int = 67108864
        const val FLAG_UPDATE_CURRENT: Int = 134217728
        @JvmStatic fun getActivity(context: Context, requestCode: Int, intent: Intent, flags: Int): PendingIntent = TODO()
    }
}
