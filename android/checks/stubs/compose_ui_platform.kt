@file:Suppress("unused")

package androidx.compose.ui.platform

import android.content.Context
import android.view.View
import androidx.compose.runtime.ProvidableCompositionLocal

val LocalContext: ProvidableCompositionLocal<Context> = TODO()
val LocalView: ProvidableCompositionLocal<View> = TODO()
