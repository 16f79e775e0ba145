package cn.liuhen.app.ui

import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.ExperimentalLayoutApi
import androidx.compose.foundation.layout.FlowRow
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.safeDrawingPadding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.Button
import androidx.compose.material3.Checkbox
import androidx.compose.material3.FilterChip
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.semantics.contentDescription
import androidx.compose.ui.semantics.heading
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import androidx.lifecycle.viewmodel.compose.viewModel
import cn.liuhen.app.DraftsViewModel
import cn.liuhen.app.logic.DECISION_KINDS

/** The decision drafts on the phone, with their sync state; new drafts by kind. */
@OptIn(ExperimentalLayoutApi::class)
@Composable
fun DraftListScreen(onBack: () -> Unit, onOpen: (String) -> Unit, onNew: (String) -> Unit, vm: DraftsViewModel = viewModel()) {
    val s by vm.controller.list.collectAsStateWithLifecycle()
    Column(Modifier.fillMaxSize().safeDrawingPadding().padding(12.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
        TextButton(onClick = onBack) { Text("返回") }
        Text("决定草案", style = MaterialTheme.typography.titleLarge, modifier = Modifier.semantics { heading() })
        Text(s.legalNote, style = MaterialTheme.typography.bodySmall)
        Text("新建草案：")
        FlowRow(horizontalArrangement = Arrangement.spacedBy(4.dp)) {
            DECISION_KINDS.forEach { (key, label) -> OutlinedButton(onClick = { onNew(key) }) { Text(label) } }
        }
        s.empty?.let { Text(it) }
        LazyColumn {
            items(s.rows, key = { it.id }) { r ->
                Column(
                    Modifier.fillMaxWidth().clickable { onOpen(r.id) }.padding(8.dp)
                        .semantics(mergeDescendants = true) { contentDescription = r.contentDescription },
                ) {
                    Text(r.title)
                    Text(r.status)
                    Text(r.updated, style = MaterialTheme.typography.bodySmall)
                }
            }
        }
    }
}

/** One draft's form: kind, text fields, the R-LEGAL-2 circumstances, conflicts, save. */
@OptIn(ExperimentalLayoutApi::class)
@Composable
fun DraftFormScreen(onBack: () -> Unit, vm: DraftsViewModel = viewModel()) {
    val state by vm.controller.form.collectAsStateWithLifecycle()
    val f = state
    Column(
        Modifier.fillMaxSize().safeDrawingPadding().padding(12.dp).verticalScroll(rememberScrollState()),
        verticalArrangement = Arrangement.spacedBy(8.dp),
    ) {
        TextButton(onClick = onBack) { Text("返回") }
        if (f == null) {
            Text("正在读取草案……")
            return@Column
        }
        val s = f.screen()
        Text(if (s.id == null) "新建决定草案" else "编辑决定草案", style = MaterialTheme.typography.titleLarge, modifier = Modifier.semantics { heading() })
        Text(s.status)
        Text(cn.liuhen.app.logic.DraftsController.LEGAL_NOTE, style = MaterialTheme.typography.bodySmall)
        FlowRow(horizontalArrangement = Arrangement.spacedBy(4.dp)) {
            DECISION_KINDS.forEach { (key, label) ->
                FilterChip(s.kind == key, { vm.controller.edit { it.withKind(key) } }, label = { Text(label) })
            }
        }
        s.conflicts.forEach { Text(it) }
        s.fields.forEach { field ->
            OutlinedTextField(
                field.value, { v -> vm.controller.edit { it.withField(field.key, v) } }, Modifier.fillMaxWidth(),
                label = { Text(field.label) }, singleLine = !field.multiline, minLines = if (field.multiline) 3 else 1,
                isError = field.error != null, supportingText = { field.error?.let { Text(it) } },
            )
        }
        Text("重大执法决定情形（R-LEGAL-2）")
        s.flags.forEach { flag ->
            Row(verticalAlignment = Alignment.CenterVertically) {
                Checkbox(flag.checked, { on -> vm.controller.edit { it.withFlag(flag.key, on) } })
                Text(flag.label)
            }
        }
        s.majorNote?.let { Text(it) }
        s.message?.let { Text(it.text) }
        Button(onClick = { vm.save() }, enabled = s.save.enabled) { Text(s.save.label) }
        if (!s.save.enabled) s.save.whyNot?.let { Text(it, style = MaterialTheme.typography.bodySmall) }
    }
}
