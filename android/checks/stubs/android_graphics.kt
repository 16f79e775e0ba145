@file:Suppress("unused", "UNUSED_PARAMETER")

package android.graphics

import java.io.OutputStream

class Bitmap {
    fun compress(format: CompressFormat, quality: Int, stream: OutputStream): Boolean = TODO()

    enum class Config { ARGB_8888 }
    enum class CompressFormat { PNG, JPEG }

    companion object {
        @JvmStatic fun createBitmap(width: Int, height: Int, config: Config): Bitmap = TODO()
    }
}

class Canvas(bitmap: Bitmap) {
    fun drawColor(color: Int) {}
    fun drawLine(startX: Float, startY: Float, stopX: Float, stopY: Float, paint: Paint) {}
}

class Paint {
    var color: Int = 0
    var strokeWidth: Float = 0f
    var style: Style = Style.FILL
    var isAntiAlias: Boolean = false

    enum class Style { FILL, STROKE }
}

object Color {
    const val BLACK: Int = -16777216
    const val WHITE: Int = -1
}
