package cn.liuhen.app.ui

import android.graphics.Bitmap
import android.graphics.Canvas
import android.graphics.Color
import android.graphics.Paint
import androidx.compose.foundation.Canvas
import androidx.compose.foundation.background
import androidx.compose.foundation.gestures.detectDragGestures
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.height
import androidx.compose.material3.Button
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.mutableStateListOf
import androidx.compose.runtime.remember
import androidx.compose.ui.Modifier
import androidx.compose.ui.geometry.Offset
import androidx.compose.ui.graphics.Path
import androidx.compose.ui.graphics.drawscope.Stroke
import androidx.compose.ui.input.pointer.pointerInput
import androidx.compose.ui.unit.dp
import java.io.File

/** A signature pad: strokes drawn with a finger, saved as a PNG (black on white). */
@Composable
fun SignaturePad(dir: File, enabled: Boolean, onSaved: (File) -> Unit) {
    val strokes = remember { mutableStateListOf<MutableList<Offset>>() }
    val size = remember { intArrayOf(0, 0) }
    Column {
        Canvas(
            Modifier.fillMaxWidth().height(200.dp).background(androidx.compose.ui.graphics.Color.White)
                .pointerInput(enabled) {
                    if (!enabled) return@pointerInput
                    detectDragGestures(
                        onDragStart = { strokes.add(mutableStateListOf(it)) },
                        onDrag = { change, _ -> strokes.lastOrNull()?.add(change.position) },
                    )
                },
        ) {
            size[0] = this.size.width.toInt(); size[1] = this.size.height.toInt()
            strokes.forEach { s ->
                val p = Path()
                s.firstOrNull()?.let { p.moveTo(it.x, it.y) }
                s.drop(1).forEach { p.lineTo(it.x, it.y) }
                drawPath(p, androidx.compose.ui.graphics.Color.Black, style = Stroke(width = 6f))
            }
        }
        Row {
            OutlinedButton(onClick = { strokes.clear() }) { Text("清除重签") }
            Button(enabled = enabled && strokes.isNotEmpty() && size[0] > 0, onClick = {
                val bmp = Bitmap.createBitmap(size[0], size[1], Bitmap.Config.ARGB_8888)
                val c = Canvas(bmp).apply { drawColor(Color.WHITE) }
                val paint = Paint().apply { color = Color.BLACK; strokeWidth = 6f; style = Paint.Style.STROKE; isAntiAlias = true }
                strokes.forEach { s -> s.zipWithNext { a, b -> c.drawLine(a.x, a.y, b.x, b.y, paint) } }
                val f = File(dir, "signature-${System.currentTimeMillis()}.png").apply { parentFile?.mkdirs() }
                f.outputStream().use { bmp.compress(Bitmap.CompressFormat.PNG, 100, it) }
                onSaved(f)
            }) { Text("确认签名") }
        }
    }
}
