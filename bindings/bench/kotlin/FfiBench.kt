package cn.liuhen.bindings.bench

import cn.liuhen.bindings.test.Demo
import cn.liuhen.bindings.test.TestServer
import cn.liuhen.bindings.test.enrolledPhone
import cn.liuhen.bindings.test.tempDir
import cn.liuhen.core.LiuhenCore

/**
 * Binding overhead: one FFI call that reads an inspection and one that applies an edit,
 * each against the same operation called directly in Rust in the same run
 * (`measureDirect*`), and the time to open a store of 10,000 inspections through the
 * bindings. Run by scripts/bench-ffi.sh; prints a table.
 */
object FfiBench {
    private fun adHoc(core: LiuhenCore) =
        core.openAdHoc(Demo.TARGET, "生态环境", "QYHJ-ZX-01", "信访投诉核查", "《中华人民共和国环境保护法》", Demo.LI_MING)

    private fun timeNanos(block: () -> Unit): Long {
        val t = System.nanoTime()
        block()
        return System.nanoTime() - t
    }

    @JvmStatic
    fun main(args: Array<String>) {
        val inspections = args.getOrNull(0)?.toInt() ?: 10_000
        val server = TestServer.start()
        val dir = tempDir("bench-phone")
        val core = try { enrolledPhone(server, dir = dir) } finally { server.close() }

        val id = adHoc(core)
        core.checkIn(id, Demo.LI_MING)
        core.checkIn(id, Demo.CHEN_XIAOHONG)
        val finding = core.addFinding(id, "基准测试检查情况", emptyList(), Demo.LI_MING)
        repeat(20) { core.addFinding(id, "第 $it 条检查情况：现场核查记录。", emptyList(), Demo.LI_MING) }

        // Warm up both paths.
        repeat(300) { core.inspection(id) }
        core.measureDirectReads(id, 300u)

        val reads = 3000
        val ffiRead = timeNanos { repeat(reads) { core.inspection(id) } } / reads.toDouble()
        val directRead = core.measureDirectReads(id, reads.toUInt()).toDouble() / reads

        val edits = 300
        val ffiEdit = timeNanos { repeat(edits) { n -> core.editFinding(id, finding, "经绑定修改第 $n 次", Demo.LI_MING) } } / edits.toDouble()
        val directEdit = core.measureDirectEdits(id, finding, Demo.LI_MING, edits.toUInt()).toDouble() / edits

        println("| operation | through bindings (Kotlin→JNA→Rust) | direct in Rust | ratio |")
        println("|---|---|---|---|")
        println("| read one inspection (21 findings) | %.1f µs | %.1f µs | %.2f× |".format(ffiRead / 1e3, directRead / 1e3, ffiRead / directRead))
        println("| edit one finding (one SQLite transaction) | %.1f µs | %.1f µs | %.2f× |".format(ffiEdit / 1e3, directEdit / 1e3, ffiEdit / directEdit))

        // A store of `inspections` records, then a cold open through the bindings.
        val fill = timeNanos { repeat(inspections - 1) { adHoc(core) } }
        core.destroy()
        var records = 0
        val open = timeNanos { LiuhenCore.open(dir.path).use { c -> c.deviceId() } }
        val openAndList = timeNanos {
            LiuhenCore.open(dir.path).use { c -> records = c.records(false).size }
        }
        println()
        println("| store of %,d inspections | time |".format(records))
        println("|---|---|")
        println("| create them through the bindings | %.1f s (%.2f ms each) |".format(fill / 1e9, fill / 1e6 / (inspections - 1)))
        println("| open the store (LiuhenCore.open) | %.1f ms |".format(open / 1e6))
        println("| open + list every record with its sync state | %.1f ms |".format(openAndList / 1e6))
    }
}
