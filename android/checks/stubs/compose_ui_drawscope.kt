@file:Suppress("unused", "UNUSED_PARAMETER")

package androidx.compose.ui.graphics.drawscope

import androidx.compose.ui.geometry.Size
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.graphics.Path

abstract class DrawStyle
class Stroke(val width: Float = 0f) : DrawStyle()
object Fill : DrawStyle()

interface DrawScope {
    val size: Size
    fun drawPath(path: Path, color: Color, alpha: Float = 1f, style: DrawStyle = Fill) {}
}
