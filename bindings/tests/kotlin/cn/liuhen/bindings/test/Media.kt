package cn.liuhen.bindings.test

import java.awt.BasicStroke
import java.awt.Color
import java.awt.image.BufferedImage
import java.io.ByteArrayInputStream
import java.io.File
import javax.imageio.ImageIO
import javax.sound.sampled.AudioFileFormat
import javax.sound.sampled.AudioFormat
import javax.sound.sampled.AudioInputStream
import javax.sound.sampled.AudioSystem
import kotlin.math.PI
import kotlin.math.sin

/** Real media files made with the JDK's own encoders, as a phone's camera or recorder would. */
object Media {
    /** A JPEG photo of `w`×`h` pixels with some structure (not a flat colour). */
    fun jpeg(dir: File, name: String, w: Int = 1024, h: Int = 768, seed: Int = 1): File {
        val img = BufferedImage(w, h, BufferedImage.TYPE_INT_RGB)
        for (y in 0 until h) for (x in 0 until w) {
            img.setRGB(x, y, ((x * 7 + seed * 31) and 0xff shl 16) or ((y * 3 + seed) and 0xff shl 8) or ((x xor y) and 0xff))
        }
        return File(dir, name).also { check(ImageIO.write(img, "jpg", it)) { "no JPEG writer" } }
    }

    /** A PNG signature: dark strokes on white, as a signature pad saves it. */
    fun signaturePng(dir: File, name: String): File {
        val img = BufferedImage(600, 200, BufferedImage.TYPE_INT_RGB)
        val g = img.createGraphics()
        g.color = Color.WHITE
        g.fillRect(0, 0, 600, 200)
        g.color = Color.BLACK
        g.stroke = BasicStroke(4f)
        g.drawPolyline(intArrayOf(40, 120, 180, 260, 330, 420, 520), intArrayOf(150, 60, 140, 50, 150, 70, 120), 7)
        g.dispose()
        return File(dir, name).also { check(ImageIO.write(img, "png", it)) }
    }

    /** A WAV recording: `seconds` of a 440 Hz tone, 16 kHz mono 16-bit. */
    fun wav(dir: File, name: String, seconds: Int = 2): File {
        val rate = 16000f
        val samples = (rate * seconds).toInt()
        val pcm = ByteArray(samples * 2)
        for (i in 0 until samples) {
            val v = (sin(2 * PI * 440 * i / rate) * 8000).toInt()
            pcm[2 * i] = (v and 0xff).toByte()
            pcm[2 * i + 1] = (v shr 8 and 0xff).toByte()
        }
        val format = AudioFormat(rate, 16, 1, true, false)
        val file = File(dir, name)
        AudioSystem.write(AudioInputStream(ByteArrayInputStream(pcm), format, samples.toLong()), AudioFileFormat.Type.WAVE, file)
        return file
    }
}
