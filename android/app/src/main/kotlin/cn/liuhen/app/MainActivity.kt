package cn.liuhen.app

import android.Manifest
import android.content.Intent
import android.os.Build
import android.os.Bundle
import androidx.activity.ComponentActivity
import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.compose.setContent
import androidx.activity.enableEdgeToEdge
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.safeDrawingPadding
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import androidx.navigation.NavHostController
import androidx.navigation.compose.NavHost
import androidx.navigation.compose.composable
import androidx.navigation.compose.rememberNavController
import cn.liuhen.app.logic.AppPermission
import cn.liuhen.app.logic.ErrorPresenter
import cn.liuhen.app.ui.DraftFormScreen
import cn.liuhen.app.ui.DraftListScreen
import cn.liuhen.app.ui.EnrollScreen
import cn.liuhen.app.ui.HomeScreen
import cn.liuhen.app.ui.InspectionScreen
import kotlinx.coroutines.flow.MutableStateFlow

/** Android permission name of each permission the logic module knows. */
val AppPermission.manifestName: String
    get() = when (this) {
        AppPermission.CAMERA -> Manifest.permission.CAMERA
        AppPermission.MICROPHONE -> Manifest.permission.RECORD_AUDIO
        AppPermission.LOCATION -> Manifest.permission.ACCESS_FINE_LOCATION
    }

/**
 * The one activity: enrolment, home (tasks, records, drafts), inspection, drafts.
 * Edge-to-edge (Android 15 enforces it at targetSdk 35): every screen pads itself with
 * `safeDrawingPadding()`, so nothing sits under the status, navigation or cut-out bars
 * or the keyboard.
 */
class MainActivity : ComponentActivity() {
    /** The record a tapped notification asks to open. */
    private val openRequest = MutableStateFlow<String?>(null)

    override fun onCreate(savedInstanceState: Bundle?) {
        enableEdgeToEdge()
        super.onCreate(savedInstanceState)
        openRequest.value = intent?.getStringExtra(Notifications.EXTRA_INSPECTION)
        val app = application as LiuhenApp
        setContent {
            MaterialTheme {
                app.openError?.let { e ->
                    Text(ErrorPresenter.present(e).text, Modifier.fillMaxSize().safeDrawingPadding().padding(16.dp))
                    return@MaterialTheme
                }
                val online by app.online.collectAsStateWithLifecycle()
                val nav = rememberNavController()
                // Android 13+: ask once for notifications (new tasks, returned records).
                val askNotifications = rememberLauncherForActivityResult(ActivityResultContracts.RequestPermission()) {}
                LaunchedEffect(Unit) {
                    if (Build.VERSION.SDK_INT >= 33 && !Notifications.allowed(this@MainActivity)) {
                        askNotifications.launch(Manifest.permission.POST_NOTIFICATIONS)
                    }
                }
                val open by openRequest.collectAsStateWithLifecycle()
                LaunchedEffect(open) {
                    open?.let { nav.navigate("inspection/$it"); openRequest.value = null }
                }
                val start = if (app.core.enrollment() == null || app.sync.state.value.reEnrolRequired) "enroll" else "home"
                Routes(nav, start, online)
            }
        }
    }

    override fun onNewIntent(intent: Intent) {
        super.onNewIntent(intent)
        intent.getStringExtra(Notifications.EXTRA_INSPECTION)?.let { openRequest.value = it }
    }
}

@androidx.compose.runtime.Composable
private fun Routes(nav: NavHostController, start: String, online: Boolean) {
    NavHost(nav, startDestination = start) {
        composable("enroll") {
            EnrollScreen(onEnrolled = { nav.navigate("home") { popUpTo("enroll") { inclusive = true } } })
        }
        composable("home") {
            HomeScreen(
                onOpen = { id -> nav.navigate("inspection/$id") },
                onReEnrol = { nav.navigate("enroll") },
                onDrafts = { nav.navigate("drafts") },
            )
        }
        // The id reaches InspectionViewModel through its SavedStateHandle.
        composable("inspection/{id}") {
            InspectionScreen(onBack = { nav.popBackStack() }, online = online)
        }
        composable("drafts") {
            DraftListScreen(
                onBack = { nav.popBackStack() },
                onOpen = { id -> nav.navigate("draft/$id") },
                onNew = { kind -> nav.navigate("draft/new:$kind") },
            )
        }
        composable("draft/{id}") {
            DraftFormScreen(onBack = { nav.popBackStack() })
        }
    }
}
