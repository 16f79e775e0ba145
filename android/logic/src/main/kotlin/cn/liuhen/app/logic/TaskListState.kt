package cn.liuhen.app.logic

import cn.liuhen.core.RecordSummary
import cn.liuhen.core.TaskView

/** What pressing a task row does. */
sealed interface TaskAction {
    /** Open a new inspection for the task. */
    data class Start(val taskId: String) : TaskAction

    /** Continue the inspection already recorded for it. */
    data class Continue(val inspectionId: String) : TaskAction

    /** Show the closed record. */
    data class View(val inspectionId: String) : TaskAction

    /** Nothing (cancelled task). */
    data object None : TaskAction
}

/** One row of the task list. */
data class TaskRow(
    /** Task id. */
    val id: String,
    /** Target name. */
    val title: String,
    /** Item, address. */
    val subtitle: String,
    /** "双随机抽取 · 截止 2026-12-31 · 李明、陈晓红". */
    val meta: String,
    /** Status line: "已取消：…", "检查中", "已结束", "未开始". */
    val status: String,
    /** Button label: 开始检查 / 继续检查 / 查看记录 (empty when cancelled). */
    val buttonLabel: String,
    /** What the button does. */
    val action: TaskAction,
    /** Whether the task was cancelled (shown greyed, with its reason). */
    val cancelled: Boolean,
)

/** The task list screen. */
data class TaskListScreen(
    /** Rows: open tasks first (by due date), cancelled last. */
    val rows: List<TaskRow>,
    /** Shown when there are no tasks. */
    val empty: String?,
)

/** Builds the task list from `tasks(officerId)` and the device's records. */
object TaskListState {
    /** The screen for [tasks]; [records] tell which inspections are closed. */
    fun render(tasks: List<TaskView>, records: List<RecordSummary>): TaskListScreen {
        val closed = records.filter { it.closed }.mapTo(HashSet()) { it.id }
        val rows = tasks.sortedWith(compareBy<TaskView> { it.cancelled }.thenBy { it.dueDate }.thenBy { it.id }).map { t ->
            val insp = t.inspectionId
            val (status, label, action) = when {
                t.cancelled -> Triple(
                    "已取消" + (t.note?.takeIf { it.isNotBlank() }?.let { "：$it" } ?: ""),
                    if (insp != null) "查看记录" else "",
                    if (insp != null) TaskAction.View(insp) else TaskAction.None,
                )
                insp != null && insp in closed -> Triple("已结束", "查看记录", TaskAction.View(insp))
                insp != null -> Triple("检查中", "继续检查", TaskAction.Continue(insp))
                else -> Triple("未开始", "开始检查", TaskAction.Start(t.id))
            }
            val names = t.officerNames.zip(t.officerIds).joinToString("、") { (n, i) -> n.ifBlank { i } }
            TaskRow(
                id = t.id,
                title = t.targetName.ifBlank { t.targetId },
                subtitle = listOf(t.itemName, t.targetAddress).filter { it.isNotBlank() }.joinToString(" · "),
                meta = listOf(if (t.fromDraw) "双随机抽取" else "指派任务", "截止 ${t.dueDate}", names)
                    .filter { it.isNotBlank() }.joinToString(" · "),
                status = status,
                buttonLabel = label,
                action = action,
                cancelled = t.cancelled,
            )
        }
        return TaskListScreen(rows, if (rows.isEmpty()) "暂无检查任务。请联网后点击“立即同步”获取抽查任务。" else null)
    }
}
