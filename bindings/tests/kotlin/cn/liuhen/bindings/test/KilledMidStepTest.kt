package cn.liuhen.bindings.test

import cn.liuhen.core.LiuhenCore
import org.junit.Test
import java.io.File
import java.util.concurrent.LinkedBlockingQueue
import java.util.concurrent.TimeUnit
import kotlin.concurrent.thread
import kotlin.random.Random
import kotlin.test.assertEquals
import kotlin.test.assertTrue

/**
 * The app is killed (SIGKILL) in the middle of steps, many times: on restart every step
 * the core acknowledged is still there, the signed log verifies and every evidence file
 * is intact.
 */
class KilledMidStepTest {
    @Test
    fun everyAcknowledgedStepSurvivesAKill() {
        val server = TestServer.start()
        val dir = tempDir("killed-phone")
        val id: String
        try {
            val core = enrolledPhone(server, dir = dir)
            id = core.openAdHoc(Demo.TARGET, "生态环境", "QYHJ-ZX-01", "信访投诉核查", "《中华人民共和国环境保护法》", Demo.LI_MING)
            core.checkIn(id, Demo.LI_MING)
            core.checkIn(id, Demo.CHEN_XIAOHONG)
            core.destroy() // release the store before the child process opens it
        } finally {
            server.close()
        }
        val media = tempDir("kill-media")
        val ackedFindings = mutableSetOf<String>()
        val ackedPhotos = mutableSetOf<String>()
        val random = Random(20261123)
        fun record(parts: List<String>) {
            if (parts[1] == "finding") {
                val (r, n) = parts[2].split("-")
                ackedFindings += "第 $r 轮第 $n 条检查情况"
            } else {
                ackedPhotos += parts[2]
            }
        }
        repeat(6) { round ->
            val child = ProcessBuilder(
                File(System.getProperty("java.home"), "bin/java").path,
                "-Djna.library.path=" + System.getProperty("jna.library.path"),
                "-cp", System.getProperty("java.class.path"),
                KillChild::class.java.name, dir.path, id, media.path, round.toString(),
            ).redirectError(ProcessBuilder.Redirect.DISCARD).start()
            val lines = LinkedBlockingQueue<String>()
            thread(isDaemon = true) {
                try {
                    child.inputStream.bufferedReader().forEachLine { lines.add(it) }
                } catch (_: java.io.IOException) {
                    // The pipe closes when the child is killed.
                }
            }
            val killAfter = 3 + random.nextInt(12)
            var acks = 0
            while (acks < killAfter) {
                val line = lines.poll(60, TimeUnit.SECONDS) ?: error("child stalled in round $round")
                val parts = line.split(" ")
                if (parts[0] == "ACK") {
                    acks += 1
                    record(parts)
                }
            }
            child.destroyForcibly() // mid-step: the child is always inside its next step
            child.waitFor(30, TimeUnit.SECONDS)
            // Late lines printed before the kill also count as acknowledged.
            generateSequence { lines.poll() }.filter { it.startsWith("ACK") }.forEach { line ->
                val parts = line.split(" ")
                record(parts)
            }

            val core = LiuhenCore.open(dir.path)
            val view = core.inspection(id)
            val texts = view.findings.map { it.text }.toSet()
            assertTrue(texts.containsAll(ackedFindings), "round $round: lost ${ackedFindings - texts}")
            val hashes = view.evidence.map { it.sha256 }.toSet()
            assertTrue(hashes.containsAll(ackedPhotos), "round $round: lost photos ${ackedPhotos - hashes}")
            assertEquals(emptyList(), core.verifyEvidence(id), "round $round: evidence intact")
            assertTrue(core.verifyLog() > 0u, "round $round: the signed log verifies")
            core.destroy()
        }
        assertTrue(ackedFindings.size + ackedPhotos.size >= 18, "the child made progress in every round")
    }
}
