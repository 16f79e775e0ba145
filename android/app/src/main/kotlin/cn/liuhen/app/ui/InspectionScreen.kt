package cn.liuhen.app.ui

import android.Manifest
import android.app.Activity
import android.content.Intent
import android.content.pm.ActivityInfo
import android.content.pm.PackageManager
import android.net.Uri
import android.provider.Settings
import android.view.Surface
import android.view.SurfaceHolder
import android.view.SurfaceView
import androidx.activity.compose.BackHandler
import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.ExperimentalLayoutApi
import androidx.compose.foundation.layout.FlowRow
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.aspectRatio
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.safeDrawingPadding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.AlertDialog
import androidx.compose.material3.Button
import androidx.compose.material3.Checkbox
import androidx.compose.material3.FilterChip
import androidx.compose.material3.HorizontalDivider
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.DisposableEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.platform.LocalView
import androidx.compose.ui.semantics.LiveRegionMode
import androidx.compose.ui.semantics.contentDescription
import androidx.compose.ui.semantics.heading
import androidx.compose.ui.semantics.liveRegion
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.unit.dp
import androidx.compose.ui.viewinterop.AndroidView
import androidx.core.app.ActivityCompat
import androidx.core.content.FileProvider
import androidx.lifecycle.Lifecycle
import androidx.lifecycle.LifecycleEventObserver
import androidx.lifecycle.compose.LifecycleResumeEffect
import androidx.lifecycle.compose.LocalLifecycleOwner
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import androidx.lifecycle.viewmodel.compose.viewModel
import cn.liuhen.app.InspectionViewModel
import cn.liuhen.app.logic.ActionState
import cn.liuhen.app.logic.AppPermission
import cn.liuhen.app.logic.FlowEvent
import cn.liuhen.app.logic.FlowStep
import cn.liuhen.app.logic.Interruption
import cn.liuhen.app.logic.Offline
import cn.liuhen.app.logic.PermissionAction
import cn.liuhen.app.logic.PermissionNotice
import cn.liuhen.app.logic.RecordingMode
import cn.liuhen.app.logic.RecordingState
import cn.liuhen.app.manifestName

/**
 * The inspection, step by step; only draws the logic module's
 * [cn.liuhen.app.logic.FlowScreen]. All state that must survive rotation and process
 * death is in [InspectionViewModel]. No fixed heights: every text wraps at any font
 * scale, the step chips flow onto more lines instead of clipping.
 */
@OptIn(ExperimentalLayoutApi::class)
@Composable
fun InspectionScreen(onBack: () -> Unit, online: Boolean, vm: InspectionViewModel = viewModel()) {
    val ctx = LocalContext.current
    val activity = ctx as Activity
    val c = vm.controller
    val s by c.screen.collectAsStateWithLifecycle()
    val model by c.model.collectAsStateWithLifecycle()
    val recording = model.draft.recording == RecordingState.Recording

    fun permissionResult(p: AppPermission, granted: Boolean) {
        c.onEvent(FlowEvent.PermissionChanged(p, granted, ActivityCompat.shouldShowRequestPermissionRationale(activity, p.manifestName)))
        if (p == AppPermission.LOCATION && granted) vm.location.start()
    }
    val askMic = rememberLauncherForActivityResult(ActivityResultContracts.RequestPermission()) { permissionResult(AppPermission.MICROPHONE, it) }
    val askCam = rememberLauncherForActivityResult(ActivityResultContracts.RequestPermission()) { permissionResult(AppPermission.CAMERA, it) }
    val askLocation = rememberLauncherForActivityResult(ActivityResultContracts.RequestMultiplePermissions()) { r ->
        permissionResult(AppPermission.LOCATION, r.values.any { it })
    }
    // The pending photo path lives in the view-model's SavedStateHandle, not here.
    val takePicture = rememberLauncherForActivityResult(ActivityResultContracts.TakePicture()) { vm.photoReturned() }

    // Back from the system Settings (or any resume): report what is granted now; location on.
    LifecycleResumeEffect(c) {
        AppPermission.entries.forEach { p ->
            if (activity.checkSelfPermission(p.manifestName) == PackageManager.PERMISSION_GRANTED && !c.model.value.permissions.granted(p)) {
                c.onEvent(FlowEvent.PermissionChanged(p, granted = true, canAskAgain = true))
            }
        }
        vm.location.start()
        onPauseOrDispose { vm.location.stop() }
    }

    // Leaving the screen while recording (home button, screen off, another app) stops the
    // recorder and stores what was recorded; a rotation does not (the recorder is in the
    // view-model and the orientation is locked while recording).
    val lifecycle = LocalLifecycleOwner.current.lifecycle
    DisposableEffect(lifecycle) {
        val obs = LifecycleEventObserver { _, e ->
            if (e == Lifecycle.Event.ON_STOP && !activity.isChangingConfigurations) vm.interrupt(Interruption.BACKGROUND)
        }
        lifecycle.addObserver(obs)
        onDispose { lifecycle.removeObserver(obs) }
    }
    BackHandler(enabled = recording) { vm.interrupt(Interruption.BACKGROUND) }

    // Screen on and orientation locked while recording (R-REC-2: the notice is read in one take).
    val view = LocalView.current
    DisposableEffect(s.identity.keepScreenOn) {
        view.keepScreenOn = s.identity.keepScreenOn
        if (s.identity.keepScreenOn) activity.requestedOrientation = ActivityInfo.SCREEN_ORIENTATION_LOCKED
        onDispose {
            view.keepScreenOn = false
            activity.requestedOrientation = ActivityInfo.SCREEN_ORIENTATION_UNSPECIFIED
        }
    }

    var previewSurface by remember { mutableStateOf<Surface?>(null) }

    @Composable
    fun Permission(n: PermissionNotice?) {
        val it = n ?: return
        Text(it.text)
        OutlinedButton(onClick = {
            when (it.action) {
                PermissionAction.REQUEST -> when (it.permission) {
                    AppPermission.CAMERA -> askCam.launch(it.permission.manifestName)
                    AppPermission.MICROPHONE -> askMic.launch(it.permission.manifestName)
                    AppPermission.LOCATION -> askLocation.launch(arrayOf(Manifest.permission.ACCESS_FINE_LOCATION, Manifest.permission.ACCESS_COARSE_LOCATION))
                }
                PermissionAction.OPEN_SETTINGS -> ctx.startActivity(
                    Intent(Settings.ACTION_APPLICATION_DETAILS_SETTINGS, Uri.fromParts("package", ctx.packageName, null)),
                )
            }
        }) { Text(it.actionLabel) }
    }

    @Composable
    fun Action(a: ActionState, onClick: () -> Unit) {
        Button(onClick = onClick, enabled = a.enabled) { Text(a.label) }
        if (!a.enabled && a.whyNot != null) Text(a.whyNot!!, style = MaterialTheme.typography.bodySmall)
    }

    @Composable
    fun Heading(text: String) {
        HorizontalDivider()
        Text(text, style = MaterialTheme.typography.titleMedium, modifier = Modifier.semantics { heading() })
    }

    Column(
        Modifier.fillMaxSize().safeDrawingPadding().padding(12.dp).verticalScroll(rememberScrollState()),
        verticalArrangement = Arrangement.spacedBy(8.dp),
    ) {
        Row(verticalAlignment = Alignment.CenterVertically) {
            TextButton(onClick = { if (recording) vm.interrupt(Interruption.BACKGROUND); onBack() }) { Text("返回") }
            if (!online) Text(Offline.SHORT, Modifier.semantics { contentDescription = "当前离线，记录保存在本机，联网后自动同步" })
        }
        s.loadError?.let { Text(it); return@Column }
        Text(s.title, style = MaterialTheme.typography.titleLarge, modifier = Modifier.semantics { heading() })
        Text(s.subtitle)
        FlowRow(horizontalArrangement = Arrangement.spacedBy(4.dp)) {
            s.steps.forEach { st ->
                FilterChip(
                    st.current, {},
                    label = { Text((if (st.done) "✓ " else "") + st.step.title) },
                    modifier = Modifier.semantics { contentDescription = st.description },
                )
            }
        }
        s.conflicts.forEach { Text(it) }

        // 需处理: why, how to fix, resend.
        s.attention?.let { a ->
            Heading("需处理")
            Text(a.why)
            Text(a.fix)
            // Resends the record unchanged (the cause was on the server's side); after a
            // fix the record is 待同步 again and the view-model syncs it at once.
            Action(a.resend) { vm.resend() }
            vm.resendMessage.collectAsStateWithLifecycle().value?.let { Text(it.text) }
        }

        // 签到
        Heading(FlowStep.CHECK_IN.title + " · " + s.checkIn.summary)
        s.checkIn.officers.forEach { o ->
            Text(o.label)
            if (o.position.isNotEmpty()) Text(o.position, style = MaterialTheme.typography.bodySmall)
            if (!o.checkedIn && !s.readOnly) Action(o.checkIn) { c.onEvent(FlowEvent.CheckIn(o.id)) }
        }
        // Where a check-in will be recorded (or why not): the same line as for captures.
        if (!s.readOnly && s.checkIn.officers.any { !it.checkedIn }) {
            Text(s.findings.location, style = MaterialTheme.typography.bodySmall)
        }

        // 亮证告知: the statement stays on screen while recording.
        Heading(FlowStep.IDENTITY_NOTICE.title)
        s.identity.given?.let { Text(it) }
        Text(s.identity.statement)
        if (s.identity.given == null && !s.readOnly) {
            if (s.identity.canChooseMode) {
                FlowRow(horizontalArrangement = Arrangement.spacedBy(4.dp)) {
                    RecordingMode.entries.forEach { m ->
                        FilterChip(s.identity.mode == m, { c.onEvent(FlowEvent.RecordingModeChosen(m)) }, label = { Text(m.noun) })
                    }
                }
            }
            Permission(s.identity.microphone)
            if (s.identity.mode == RecordingMode.VIDEO) {
                AndroidView(
                    factory = { context ->
                        SurfaceView(context).apply {
                            contentDescription = "录像取景画面"
                            holder.addCallback(object : SurfaceHolder.Callback {
                                override fun surfaceCreated(h: SurfaceHolder) { previewSurface = h.surface }
                                override fun surfaceChanged(h: SurfaceHolder, format: Int, w: Int, hgt: Int) = Unit
                                override fun surfaceDestroyed(h: SurfaceHolder) {
                                    vm.interrupt(Interruption.BACKGROUND)
                                    previewSurface = null
                                }
                            })
                        }
                    },
                    modifier = Modifier.fillMaxWidth().aspectRatio(3f / 4f),
                )
            }
            s.identity.timer?.let { t ->
                Text(t, style = MaterialTheme.typography.titleMedium, modifier = Modifier.semantics { liveRegion = LiveRegionMode.Polite })
            }
            Text(s.identity.recorderLabel)
            if (recording) {
                Action(s.identity.stopRecording) { vm.stopRecording() }
            } else {
                Action(s.identity.startRecording) { vm.startRecording(previewSurface) }
            }
            Action(s.identity.save) { c.onEvent(FlowEvent.SaveIdentityNotice) }
        }

        // 检查情况/拍照
        Heading(FlowStep.FINDINGS.title)
        s.findings.findings.forEach { f -> Text(f.text); Text(f.meta, style = MaterialTheme.typography.bodySmall) }
        if (!s.readOnly) {
            Permission(s.findings.camera)
            Text(s.findings.location, style = MaterialTheme.typography.bodySmall)
            Permission(model.permissions.notice(AppPermission.LOCATION))
            Text("待关联照片 ${s.findings.unattachedPhotos.size} 张")
            Action(s.findings.takePhoto) {
                val f = vm.newPhotoFile()
                takePicture.launch(FileProvider.getUriForFile(ctx, ctx.packageName + ".files", f))
            }
            OutlinedTextField(s.findings.draftText, { c.onEvent(FlowEvent.FindingTextChanged(it)) }, Modifier.fillMaxWidth(), label = { Text("检查情况") })
            Action(s.findings.addFinding) { c.onEvent(FlowEvent.AddFinding) }
        }

        // 权利告知/签字
        Heading(FlowStep.RIGHTS_NOTICE.title)
        // The agency's text and numbered remedy channels, from the server (R-SCENE-4).
        s.rights.version?.let { Text("权利告知书版本：$it") }
        Text(s.rights.noticeText)
        s.rights.given?.let { Text(it) }
        if (s.rights.given == null && !s.readOnly) {
            Row(verticalAlignment = Alignment.CenterVertically) {
                Checkbox(s.rights.partyRefused, { c.onEvent(FlowEvent.PartyRefusedChanged(it)) })
                Text("当事人拒绝签字")
            }
            if (s.rights.partyRefused) {
                OutlinedTextField(s.rights.witnessName, { c.onEvent(FlowEvent.WitnessNameChanged(it)) }, Modifier.fillMaxWidth(), label = { Text("见证人姓名") })
                OutlinedTextField(model.draft.refusalReason, { c.onEvent(FlowEvent.RefusalReasonChanged(it)) }, Modifier.fillMaxWidth(), label = { Text("拒签理由") })
            } else {
                OutlinedTextField(s.rights.signerName, { c.onEvent(FlowEvent.SignerNameChanged(it)) }, Modifier.fillMaxWidth(), label = { Text("签字人姓名") })
                Text(if (s.rights.signatureStored) "签名已保存" else "请当事人在下方签字")
                SignaturePad(vm.captureDir, enabled = !s.busy) { c.onEvent(FlowEvent.SignatureDrawn(it.path)) }
            }
            Action(s.rights.save) { c.onEvent(FlowEvent.SaveRightsNotice) }
        }

        // 结束
        Heading(FlowStep.CLOSE.title)
        s.close.closedAt?.let { Text(it) }
        s.close.unmet.forEach { Text("· $it") }
        if (!s.readOnly) Action(s.close.close) { c.onEvent(FlowEvent.Close) }

        // 更正 (closed records only)
        s.amend?.let { a ->
            Heading("更正记录")
            a.amendments.forEach { Text(it) }
            FlowRow(horizontalArrangement = Arrangement.spacedBy(4.dp)) {
                a.targets.forEach { (key, label) -> FilterChip(a.chosenTarget == key, { c.onEvent(FlowEvent.AmendTargetChosen(key)) }, label = { Text(label) }) }
            }
            OutlinedTextField(a.draftText, { c.onEvent(FlowEvent.AmendTextChanged(it)) }, Modifier.fillMaxWidth(), label = { Text("更正内容") })
            Action(a.save) { c.onEvent(FlowEvent.SaveAmendment) }
        }

        // 审核意见
        s.review?.let { r ->
            Heading("审核：" + r.verdict + (r.reviewer?.let { "（$it）" } ?: ""))
            r.comments.forEach { cm -> Text(cm.meta + (cm.about?.let { " · 关于$it" } ?: ""), style = MaterialTheme.typography.bodySmall); Text(cm.text) }
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
