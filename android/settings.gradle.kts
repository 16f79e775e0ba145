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
dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
    }
}
rootProject.name = "liuhen"
include(":logic", ":app")
