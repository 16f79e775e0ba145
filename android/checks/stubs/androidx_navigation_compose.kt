@file:Suppress("unused", "UNUSED_PARAMETER")

package androidx.navigation.compose

import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.navigation.NavBackStackEntry
import androidx.navigation.NavGraphBuilder
import androidx.navigation.NavHostController

interface AnimatedContentScope

@Composable fun rememberNavController(): NavHostController = TODO()

@Composable
fun NavHost(navController: NavHostController, startDestination: String, modifier: Modifier = Modifier, builder: NavGraphBuilder.() -> Unit) {}

fun NavGraphBuilder.composable(route: String, content: @Composable AnimatedContentScope.(NavBackStackEntry) -> Unit) {}
