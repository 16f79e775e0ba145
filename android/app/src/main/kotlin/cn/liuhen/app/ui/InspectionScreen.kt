package cn.liuhen.app.ui

import android.app.Activity
import android.content.Intent
import android.content.pm.PackageManager
import android.net.Uri
import android.provider.Settings
import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.AlertDialog
import androidx.compose.material3.Button
import androidx.compose.material3.Checkbox
import androidx.compose.material3.FilterChip
import androidx.compose.material3.HorizontalDivider
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.remember
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.unit.dp
import androidx.core.app.ActivityCompat
import androidx.core.content.ContextCompat
import androidx.core.content.FileProvider
import androidx.lifecycle.compose.LifecycleResumeEffect
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import androidx.lifecycle.viewmodel.compose.viewModel
import cn.liuhen.app.AudioRecorder
import cn.liuhen.app.InspectionViewModel
import cn.liuhen.app.manifestName
import cn.liuhen.app.logic.ActionState
import cn.liuhen.app.logic.AppPermission
import cn.liuhen.app.logic.FlowEvent
import cn.liuhen.app.logic.FlowStep
import cn.liuhen.app.logic.PermissionAction
import cn.liuhen.app.logic.PermissionNotice
import cn.liuhen.app.logic.PermissionState
import cn.liuhen.app.logic.RecordingState
import java.io.File

/** The inspection, step by step; only draws the logic module's [cn.liuhen.app.logic.FlowScreen]. */
@Composable
fun InspectionScreen(id: String, onBack: () -> Unit, vm: InspectionViewModel = viewModel()) {
    val ctx = LocalContext.current
    val activity = ctx as Activity
    val initial = remember {
        AppPermission.entries.fold(PermissionState()) { s, p ->
            val granted = ContextCompat.checkSelfPermission(ctx, p.manifestName) == PackageManager.PERMISSION_GRANTED
            if (granted) s.withResult(p, true, true) else s
        }
    }
    val c = remember(id) { vm.controller(id, initial, null) }
    val s by c.screen.collectAsStateWithLifecycle()
    val recorder = remember { AudioRecorder(ctx) }
    val captureDir = File(ctx.cacheDir, "capture").apply { mkdirs() }

    fun permissionLauncherResult(p: AppPermission, granted: Boolean) =
        c.onEvent(FlowEvent.PermissionChanged(p, granted, ActivityCompat.shouldShowRequestPermissionRationale(activity, p.manifestName)))
    val askMic = rememberLauncherForActivityResult(ActivityResultContracts.RequestPermission()) { permissionLauncherResult(AppPermission.MICROPHONE, it) }
    val askCam = rememberLauncherForActivityResult(ActivityResultContracts.RequestPermission()) { permissionLauncherResult(AppPermission.CAMERA, it) }
    val photoFile = remember { arrayOfNulls<File>(1) }
    val takePicture = rememberLauncherForActivityResult(ActivityResultContracts.TakePicture()) { ok ->
        val f = photoFile[0]
        if (ok && f != null && f.length() > 0) c.onEvent(FlowEvent.PhotoTaken(f.path))
    }

    // Back from the system Settings (or any resume): report what is granted now.
    LifecycleResumeEffect(c) {
        AppPermission.entries.forEach { p ->
            if (ContextCompat.checkSelfPermission(ctx, p.manifestName) == PackageManager.PERMISSION_GRANTED &&
                !c.model.value.permissions.granted(p)
            ) c.onEvent(FlowEvent.PermissionChanged(p, granted = true, canAskAgain = true))
        }
        onPauseOrDispose {}
    }

    @Composable
    fun Permission(n: PermissionNotice?) {
        val it = n ?: return
        Text(it.text)
        OutlinedButton(onClick = {
            when (it.action) {
                PermissionAction.REQUEST -> (if (it.permission == AppPermission.CAMERA) askCam else askMic).launch(it.permission.manifestName)
                PermissionAction.OPEN_SETTINGS -> ctx.startActivity(
                    Intent(Settings.ACTION_APPLICATION_DETAILS_SETTINGS, Uri.fromParts("package", ctx.packageName, null)),
                )
            }
        }) { Text(it.actionLabel) }
    }

    @Composable
    fun Action(a: ActionState, onClick: () -> Unit) {
        Button(onClick = onClick, enabled = a.enabled) { Text(a.label) }
        if (!a.enabled && a.whyNot != null) Text(a.whyNot!!)
    }

    Column(Modifier.padding(12.dp).verticalScroll(rememberScrollState()), verticalArrangement = Arrangement.spacedBy(8.dp)) {
        TextButton(onClick = onBack) { Text("返回") }
        s.loadError?.let { Text(it); return@Column }
        Text(s.title)
        Text(s.subtitle)
        Row { s.steps.forEach { st -> FilterChip(st.current, {}, label = { Text((if (st.done) "✓ " else "") + st.step.title) }) } }
        s.conflicts.forEach { Text(it) }

        // 签到
        HorizontalDivider(); Text(FlowStep.CHECK_IN.title + " · " + s.checkIn.summary)
        s.checkIn.officers.forEach { o ->
            Text(o.label)
            if (!o.checkedIn && !s.readOnly) Action(o.checkIn) { c.onEvent(FlowEvent.CheckIn(o.id)) }
        }

        // 亮证告知: the statement stays on screen while recording.
        HorizontalDivider(); Text(FlowStep.IDENTITY_NOTICE.title)
        s.identity.given?.let { Text(it) }
        Text(s.identity.statement)
        if (s.identity.given == null && !s.readOnly) {
            Permission(s.identity.microphone)
            Text(s.identity.recorderLabel)
            if (c.model.value.draft.recording == RecordingState.Recording) {
                Action(s.identity.stopRecording) {
                    val r = recorder.stop()
                    if (r == null) c.onEvent(FlowEvent.RecordingFailed("录音器未启动"))
                    else c.onEvent(FlowEvent.RecordingFinished(r.first.path, r.second, r.third))
                }
            } else {
                Action(s.identity.startRecording) {
                    try { recorder.start(); c.onEvent(FlowEvent.RecordingStarted) } catch (e: Exception) { c.onEvent(FlowEvent.RecordingFailed(e.toString())) }
                }
            }
            Action(s.identity.save) { c.onEvent(FlowEvent.SaveIdentityNotice) }
        }

        // 检查情况/拍照
        HorizontalDivider(); Text(FlowStep.FINDINGS.title)
        s.findings.findings.forEach { f -> Text(f.text); Text(f.meta) }
        if (!s.readOnly) {
            Permission(s.findings.camera)
            Text("待关联照片 ${s.findings.unattachedPhotos.size} 张")
            Action(s.findings.takePhoto) {
                val f = File(captureDir, "photo-${System.currentTimeMillis()}.jpg")
                photoFile[0] = f
                takePicture.launch(FileProvider.getUriForFile(ctx, ctx.packageName + ".files", f))
            }
            OutlinedTextField(s.findings.draftText, { c.onEvent(FlowEvent.FindingTextChanged(it)) }, Modifier.fillMaxWidth(), label = { Text("检查情况") })
            Action(s.findings.addFinding) { c.onEvent(FlowEvent.AddFinding) }
        }

        // 权利告知/签字
        HorizontalDivider(); Text(FlowStep.RIGHTS_NOTICE.title)
        Text(s.rights.noticeText)
        s.rights.given?.let { Text(it) }
        if (s.rights.given == null && !s.readOnly) {
            Row { Checkbox(s.rights.partyRefused, { c.onEvent(FlowEvent.PartyRefusedChanged(it)) }); Text("当事人拒绝签字") }
            if (s.rights.partyRefused) {
                OutlinedTextField(s.rights.witnessName, { c.onEvent(FlowEvent.WitnessNameChanged(it)) }, label = { Text("见证人姓名") })
                OutlinedTextField(c.model.value.draft.refusalReason, { c.onEvent(FlowEvent.RefusalReasonChanged(it)) }, label = { Text("拒签理由") })
            } else {
                OutlinedTextField(s.rights.signerName, { c.onEvent(FlowEvent.SignerNameChanged(it)) }, label = { Text("签字人姓名") })
                Text(if (s.rights.signatureStored) "签名已保存" else "请当事人在下方签字")
                SignaturePad(captureDir, enabled = !s.busy) { c.onEvent(FlowEvent.SignatureDrawn(it.path)) }
            }
            Action(s.rights.save) { c.onEvent(FlowEvent.SaveRightsNotice) }
        }

        // 结束
        HorizontalDivider(); Text(FlowStep.CLOSE.title)
        s.close.closedAt?.let { Text(it) }
        s.close.unmet.forEach { Text("· $it") }
        if (!s.readOnly) Action(s.close.close) { c.onEvent(FlowEvent.Close) }

        // 更正 (closed records only)
        s.amend?.let { a ->
            HorizontalDivider(); Text("更正记录")
            a.amendments.forEach { Text(it) }
            Row { a.targets.forEach { (key, label) -> FilterChip(a.chosenTarget == key, { c.onEvent(FlowEvent.AmendTargetChosen(key)) }, label = { Text(label) }) } }
            OutlinedTextField(a.draftText, { c.onEvent(FlowEvent.AmendTextChanged(it)) }, Modifier.fillMaxWidth(), label = { Text("更正内容") })
            Action(a.save) { c.onEvent(FlowEvent.SaveAmendment) }
        }

        // 审核意见
        s.review?.let { r ->
            HorizontalDivider(); Text("审核：" + r.verdict + (r.reviewer?.let { "（$it）" } ?: ""))
            r.comments.forEach { cm -> Text(cm.meta + (cm.about?.let { " · 关于$it" } ?: "")); Text(cm.text) }
        }
    }

    s.message?.let { m ->
        AlertDialog(
            onDismissRequest = { c.onEvent(FlowEvent.DismissMessage) },
            text = { Text(m.text) },
            confirmButton = { TextButton(onClick = { c.onEvent(FlowEvent.DismissMessage) }) { Text("知道了") } },
        )
    }
}
