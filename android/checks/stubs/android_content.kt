@file:Suppress("unused", "UNUSED_PARAMETER")

package android.content

import java.io.File

abstract class Context {
    open val cacheDir: File get() = TODO()
    open val filesDir: File get() = TODO()
    open val packageName: String get() = TODO()
    open val applicationContext: Context get() = TODO()
    open fun <T> getSystemService(serviceClass: Class<T>): T? = TODO()
    open fun startActivity(intent: Intent) {}
    open fun checkSelfPermission(permission: String): Int = TODO()
}

open class Intent {
    constructor(action: String?, uri: android.net.Uri?)
    constructor(packageContext: Context, cls: Class<*>)
    fun addFlags(flags: Int): Intent = TODO()
    fun putExtra(name: String, value: String?): Intent = TODO()
    fun getStringExtra(name: String): String? = TODO()

    companion object {
        const val FLAG_ACTIVITY_SINGLE_TOP: Int = 0x20000000
        const val FLAG_ACTIVITY_CLEAR_TOP: Int = 0x04000000
    }
}
