plugins {
    id("com.android.application") version "8.7.3" apply false
    id("org.jetbrains.kotlin.android") version "2.1.0" apply false
    id("org.jetbrains.kotlin.jvm") version "2.1.0" apply false
    id("org.jetbrains.kotlin.plugin.compose") version "2.1.0" apply false
}

/** Where build-native.sh writes the generated uniffi Kotlin bindings (package cn.liuhen.core). */
extra["uniffiGenDir"] = rootDir.resolve("build/generated/uniffi/kotlin")
