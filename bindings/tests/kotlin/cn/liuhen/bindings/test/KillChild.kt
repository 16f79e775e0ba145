package cn.liuhen.bindings.test

import cn.liuhen.core.CaptureRequest
import cn.liuhen.core.EvidenceType
import cn.liuhen.core.LiuhenCore
import cn.liuhen.core.Step
import kotlinx.coroutines.runBlocking
import java.io.File

/**
 * The app process that gets killed: records findings and photos into inspection
 * `args[1]` of the store in `args[0]` as fast as it can, printing `ACK <kind> <round>-<n>` after
 * each step the core acknowledged. Started by [KilledMidStepTest].
 */
object KillChild {
    @JvmStatic
    fun main(args: Array<String>) = runBlocking {
        val (dir, id, media) = Triple(args[0], args[1], File(args[2]))
        val round = args[3]
        val core = LiuhenCore.open(dir)
        println("READY")
        var n = 0
        while (true) {
            n += 1
            if (n % 3 == 0) {
                val photo = Media.jpeg(media, "p$round-$n.jpg", 640, 480, seed = round.toInt() * 1000 + n)
                val c = core.captureEvidence(id, photo.path, CaptureRequest(EvidenceType.PHOTO, "image/jpeg", Step.FINDINGS), Demo.LI_MING)
                println("ACK photo ${c.sha256}")
            } else {
                core.addFinding(id, "第 $round 轮第 $n 条检查情况", emptyList(), Demo.LI_MING)
                println("ACK finding $round-$n")
            }
            System.out.flush()
        }
    }
}
