// Kotlin 2.4.20: the version scripts/kotlin-tools.sh installs for the JVM tests here,
// so the logic module is built by Gradle with the compiler that tested it.
plugins {
    id("com.android.application") version "8.7.3" apply false
    id("org.jetbrains.kotlin.android") version "2.4.20" apply false
    id("org.jetbrains.kotlin.jvm") version "2.4.20" apply false
    id("org.jetbrains.kotlin.plugin.compose") version "2.4.20" apply false
}

/** Where build-native.sh writes the generated uniffi Kotlin bindings (package cn.liuhen.core). */
extra["uniffiGenDir"] = rootDir.resolve("build/generated/uniffi/kotlin")
