package cn.liuhen.app

import android.Manifest
import android.os.Bundle
import androidx.activity.ComponentActivity
import androidx.activity.compose.setContent
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.navigation.compose.NavHost
import androidx.navigation.compose.composable
import androidx.navigation.compose.rememberNavController
import cn.liuhen.app.logic.AppPermission
import cn.liuhen.app.logic.ErrorPresenter
import cn.liuhen.app.ui.EnrollScreen
import cn.liuhen.app.ui.HomeScreen
import cn.liuhen.app.ui.InspectionScreen

/** Android permission name of each permission the logic module knows. */
val AppPermission.manifestName: String
    get() = when (this) {
        AppPermission.CAMERA -> Manifest.permission.CAMERA
        AppPermission.MICROPHONE -> Manifest.permission.RECORD_AUDIO
    }

/** The one activity: enrolment, home (tasks, records), inspection. */
class MainActivity : ComponentActivity() {
    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        val app = application as LiuhenApp
        setContent {
            MaterialTheme {
                app.openError?.let { e ->
                    Text(ErrorPresenter.present(e).text)
                    return@MaterialTheme
                }
                val nav = rememberNavController()
                val start = if (app.core.enrollment() == null || app.sync.state.value.reEnrolRequired) "enroll" else "home"
                NavHost(nav, startDestination = start) {
                    composable("enroll") {
                        EnrollScreen(onEnrolled = { nav.navigate("home") { popUpTo("enroll") { inclusive = true } } })
                    }
                    composable("home") {
                        HomeScreen(
                            onOpen = { id -> nav.navigate("inspection/$id") },
                            onReEnrol = { nav.navigate("enroll") },
                        )
                    }
                    composable("inspection/{id}") { entry ->
                        InspectionScreen(entry.arguments?.getString("id") ?: "", onBack = { nav.popBackStack() })
                    }
                }
            }
        }
    }
}
