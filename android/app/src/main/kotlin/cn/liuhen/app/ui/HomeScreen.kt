package cn.liuhen.app.ui

import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.ExperimentalLayoutApi
import androidx.compose.foundation.layout.FlowRow
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.safeDrawingPadding
import androidx.compose.material3.OutlinedButton
import androidx.compose.ui.semantics.LiveRegionMode
import androidx.compose.ui.semantics.contentDescription
import androidx.compose.ui.semantics.liveRegion
import androidx.compose.ui.semantics.semantics
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.AlertDialog
import androidx.compose.material3.Badge
import androidx.compose.material3.Button
import androidx.compose.material3.Tab
import androidx.compose.material3.TabRow
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableIntStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import androidx.lifecycle.viewmodel.compose.viewModel
import cn.liuhen.app.HomeViewModel
import cn.liuhen.app.logic.NextAction
import cn.liuhen.app.logic.TaskAction
import kotlinx.coroutines.launch

/**
 * Home: the offline banner, the sync bar, the task list from the draws, and the records
 * with their sync state (needs attention says why and opens the record to fix it).
 * Rows wrap at any font scale; each row reads as one sentence to a screen reader.
 */
@OptIn(ExperimentalLayoutApi::class)
@Composable
fun HomeScreen(onOpen: (String) -> Unit, onReEnrol: () -> Unit, onDrafts: () -> Unit, vm: HomeViewModel = viewModel()) {
    val tasks by vm.taskList.collectAsStateWithLifecycle()
    val records by vm.records.collectAsStateWithLifecycle()
    val message by vm.message.collectAsStateWithLifecycle()
    var tab by remember { mutableIntStateOf(0) }
    val scope = rememberCoroutineScope()

    Column(Modifier.fillMaxSize().safeDrawingPadding().padding(8.dp)) {
        records.offline?.let { Text(it, Modifier.fillMaxWidth().padding(4.dp).semantics { liveRegion = LiveRegionMode.Polite }) }
        // Sync bar: 立即同步, pending count, badge, background state.
        FlowRow(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            Button(onClick = vm::syncNow, enabled = records.sync.button.enabled) { Text(records.sync.button.label) }
            if (records.sync.pendingCount > 0) {
                Badge(Modifier.semantics { contentDescription = "${records.sync.pendingCount} 条记录待同步" }) { Text("${records.sync.pendingCount}") }
            }
            OutlinedButton(onClick = onDrafts) { Text("决定草案") }
        }
        if (records.attentionCount > 0) Text("${records.attentionCount} 条记录需处理：服务器未接受，请在“检查记录”中查看原因并更正")
        records.sync.button.whyNot?.let { Text(it) }
        records.sync.badge?.let { Text(it) }
        records.sync.status?.let { Text(it) }
        if (records.sync.button.whyNot != null && records.sync.status?.contains("重新登记") == true) {
            TextButton(onClick = onReEnrol) { Text("重新登记设备") }
        }
        TabRow(selectedTabIndex = tab) {
            Tab(tab == 0, { tab = 0 }, text = { Text("检查任务") })
            Tab(tab == 1, { tab = 1 }, text = { Text("检查记录") })
        }
        if (tab == 0) {
            tasks.empty?.let { Text(it, Modifier.padding(16.dp)) }
            LazyColumn {
                items(tasks.rows, key = { it.id }) { row ->
                    Column(Modifier.fillMaxWidth().padding(8.dp).semantics(mergeDescendants = true) {}) {
                        Text(row.title)
                        Text(row.subtitle)
                        Text(row.meta)
                        Text(row.status)
                        if (row.buttonLabel.isNotEmpty()) {
                            Button(onClick = {
                                when (val a = row.action) {
                                    is TaskAction.Start -> scope.launch { vm.open(a.taskId)?.let(onOpen) }
                                    is TaskAction.Continue -> onOpen(a.inspectionId)
                                    is TaskAction.View -> onOpen(a.inspectionId)
                                    TaskAction.None -> {}
                                }
                            }) { Text(row.buttonLabel) }
                        }
                    }
                }
            }
        } else {
            records.empty?.let { Text(it, Modifier.padding(16.dp)) }
            LazyColumn {
                items(records.rows, key = { it.id }) { r ->
                    Column(
                        Modifier.fillMaxWidth().clickable(onClickLabel = r.actionLabel) { onOpen(r.id) }.padding(8.dp)
                            .semantics(mergeDescendants = true) { contentDescription = r.contentDescription },
                    ) {
                        Text(r.title)
                        Text(r.subtitle)
                        Text(r.syncLabel + (r.syncReason?.let { "：$it" } ?: ""))
                        r.attentionHint?.let { Text(it) }
                        if (r.needsAttention) OutlinedButton(onClick = { onOpen(r.id) }) { Text(r.actionLabel) }
                        r.resend?.let { a -> OutlinedButton(onClick = { vm.resend(r.id) }, enabled = a.enabled) { Text(a.label) } }
                    }
                }
            }
        }
    }
    message?.let { m ->
        AlertDialog(
            onDismissRequest = vm::dismiss,
            text = { Text(m.text) },
            confirmButton = {
                TextButton(onClick = { vm.dismiss(); if (m.action == NextAction.ReEnrol) onReEnrol() }) {
                    Text(if (m.action == NextAction.ReEnrol) "重新登记设备" else "知道了")
                }
            },
        )
    }
}
