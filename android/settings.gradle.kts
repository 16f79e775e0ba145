// The liuhen Android app. Open this folder (android/) in Android Studio.
// Run ./build-native.sh first: it builds the Rust core for the device ABIs and
// generates the Kotlin bindings the logic module compiles against.
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}
plugins {
    // Resolves `jvmToolchain(17)` (logic module): downloads a JDK 17 when none is
    // installed (Android Studio's bundled JDK 17/21 is used when it matches).
    id("org.gradle.toolchains.foojay-resolver-convention") version "0.9.0"
}
dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
    }
}
rootProject.name = "liuhen"
include(":logic", ":app")
