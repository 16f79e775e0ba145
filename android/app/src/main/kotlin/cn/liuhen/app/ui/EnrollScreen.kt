package cn.liuhen.app.ui

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.safeDrawingPadding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.Button
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import androidx.lifecycle.viewmodel.compose.viewModel
import cn.liuhen.app.EnrollViewModel
import com.journeyapps.barcodescanner.ScanContract
import com.journeyapps.barcodescanner.ScanOptions
import androidx.activity.compose.rememberLauncherForActivityResult

/** Enrolment: scan the QR code or type the server address and one-time code (scrolls at large font sizes). */
@Composable
fun EnrollScreen(onEnrolled: () -> Unit, vm: EnrollViewModel = viewModel()) {
    val s by vm.controller.screen.collectAsStateWithLifecycle()
    val scan = rememberLauncherForActivityResult(ScanContract()) { r -> r.contents?.let(vm.controller::scanned) }
    Column(
        Modifier.fillMaxSize().safeDrawingPadding().padding(16.dp).verticalScroll(rememberScrollState()),
        verticalArrangement = Arrangement.spacedBy(12.dp),
    ) {
        Text("设备登记")
        Text(s.intro)
        OutlinedButton(onClick = {
            scan.launch(ScanOptions().setDesiredBarcodeFormats(ScanOptions.QR_CODE).setPrompt("请扫描登记二维码").setBeepEnabled(false))
        }) { Text("扫描登记二维码") }
        s.form.scanError?.let { Text(it) }
        OutlinedTextField(
            s.form.serverUrl, vm.controller::serverUrlChanged, Modifier.fillMaxWidth(),
            label = { Text("服务器地址") }, supportingText = { s.fieldErrors["server_url"]?.let { Text(it) } },
        )
        OutlinedTextField(
            s.form.code, vm.controller::codeChanged, Modifier.fillMaxWidth(),
            label = { Text("登记码") }, supportingText = { s.fieldErrors["code"]?.let { Text(it) } },
        )
        s.message?.let { Text(it.text) }
        Button(onClick = { vm.submit(onEnrolled) }, enabled = s.submit.enabled) { Text(s.submit.label) }
    }
}
