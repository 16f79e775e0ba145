package cn.liuhen.app.logic

import cn.liuhen.core.LiuhenCore
import cn.liuhen.core.ReviewVerdict
import cn.liuhen.core.SyncSummary
import cn.liuhen.core.TaskView
import java.io.File
import java.io.IOException

/** What a notification is about. */
enum class NoticeKind {
    /** New tasks reached the phone (from a draw, or assigned). */
    NEW_TASKS,

    /** A supervisor returned a record for correction (退回补正). */
    RETURNED,
}

/**
 * One system notification to post after a sync.
 *
 * @property key stable key (the same event never gives two notifications).
 * @property kind what it is about.
 * @property title the title, in Chinese.
 * @property text the text, in Chinese.
 * @property openTaskId the task to show when tapped (new tasks), if one.
 * @property openInspectionId the record to open when tapped (returned), if one.
 */
data class Notice(
    val key: String,
    val kind: NoticeKind,
    val title: String,
    val text: String,
    val openTaskId: String? = null,
    val openInspectionId: String? = null,
)

/**
 * What the phone had already told the officer about: the open tasks it knew and the
 * records it knew as returned. Kept between syncs and restarts by [NoticeMarkStore].
 */
data class NoticeMark(
    val taskIds: Set<String> = emptySet(),
    val returnedIds: Set<String> = emptySet(),
)

/** Where the [NoticeMark] is kept. */
interface NoticeMarkStore {
    /** The saved mark, or `null` when none was saved yet (first sync after enrolment). */
    fun load(): NoticeMark?

    /** Saves [mark]. */
    fun save(mark: NoticeMark)
}

/** [NoticeMarkStore] in a small text file, written to a temporary file and renamed. */
class FileNoticeMarkStore(private val file: File) : NoticeMarkStore {
    override fun load(): NoticeMark? {
        val lines = try {
            if (!file.exists()) return null
            file.readLines(Charsets.UTF_8)
        } catch (_: IOException) {
            return null
        }
        fun ids(prefix: String) = lines.filter { it.startsWith(prefix) }.mapTo(HashSet()) { it.removePrefix(prefix) }
        return NoticeMark(ids("task="), ids("returned="))
    }

    override fun save(mark: NoticeMark) {
        val text = buildString {
            mark.taskIds.sorted().forEach { appendLine("task=$it") }
            mark.returnedIds.sorted().forEach { appendLine("returned=$it") }
        }
        file.parentFile?.mkdirs()
        val tmp = File(file.path + ".tmp")
        tmp.writeText(text, Charsets.UTF_8)
        if (!tmp.renameTo(file)) {
            file.delete()
            tmp.renameTo(file)
        }
    }
}

/**
 * Detects what is new between two syncs: tasks that reached the phone (a draw was run,
 * a task was assigned) and records a supervisor returned for correction. Pure diff in
 * [between]; [afterSync] reads the core and keeps the mark.
 */
class SyncNotices(private val core: LiuhenCore, private val store: NoticeMarkStore) {
    /**
     * The notifications for what [summary] brought, for the officer [officerId]. The
     * first sync after enrolment only sums up the tasks received (no flood of one
     * notification per task).
     */
    fun afterSync(summary: SyncSummary, officerId: String?): List<Notice> {
        val before = store.load()
        val tasks = core.tasks(officerId).filter { !it.cancelled }
        // Verdicts are read only for records that changed, or were returned before.
        val candidates = summary.receivedChanges + summary.receivedNew + (before?.returnedIds ?: emptySet())
        val returned = candidates.distinct().filterTo(HashSet()) { id ->
            runCatching { core.inspection(id).reviewVerdict == ReviewVerdict.RETURNED }.getOrDefault(false)
        }
        val names = returned.associateWith { id -> runCatching { core.inspection(id).targetName }.getOrDefault("") }
        val after = NoticeMark(tasks.mapTo(HashSet()) { it.id }, returned)
        val notices = between(before, after, tasks, names)
        store.save(after)
        return notices
    }

    companion object {
        /** Up to this many new tasks get one notification each; more are summed up. */
        const val MAX_SEPARATE: Int = 3

        /**
         * The notifications between [before] (`null`: first sync) and [after]; [tasks]
         * are the open tasks now, [targetNames] the target of each returned record.
         */
        fun between(before: NoticeMark?, after: NoticeMark, tasks: List<TaskView>, targetNames: Map<String, String>): List<Notice> {
            val out = mutableListOf<Notice>()
            val fresh = tasks.filter { it.id in after.taskIds && (before == null || it.id !in before.taskIds) }
                .sortedWith(compareBy({ it.dueDate }, { it.id }))
            if (fresh.size > MAX_SEPARATE || (before == null && fresh.isNotEmpty())) {
                val draws = fresh.count { it.fromDraw }
                out += Notice(
                    key = "tasks:" + fresh.joinToString(",") { it.id },
                    kind = NoticeKind.NEW_TASKS,
                    title = "收到 ${fresh.size} 项检查任务",
                    text = (if (draws > 0) "其中双随机抽查 $draws 项。" else "") +
                        "最早截止 ${fresh.first().dueDate}：${fresh.first().targetName.ifBlank { fresh.first().targetId }}",
                )
            } else {
                fresh.forEach { t ->
                    out += Notice(
                        key = "task:${t.id}",
                        kind = NoticeKind.NEW_TASKS,
                        title = if (t.fromDraw) "新的双随机抽查任务" else "新的检查任务",
                        text = "${t.targetName.ifBlank { t.targetId }} · ${t.itemName} · 截止 ${t.dueDate}",
                        openTaskId = t.id,
                    )
                }
            }
            val returned = after.returnedIds.filter { before == null || it !in before.returnedIds }.sorted()
            returned.forEach { id ->
                out += Notice(
                    key = "returned:$id",
                    kind = NoticeKind.RETURNED,
                    title = "检查记录被退回补正",
                    text = "${targetNames[id]?.ifBlank { null } ?: id}：审核人员退回了记录，请查看审核意见并添加更正。",
                    openInspectionId = id,
                )
            }
            return out
        }
    }
}
