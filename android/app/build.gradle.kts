plugins {
    id("com.android.application")
    id("org.jetbrains.kotlin.android")
    id("org.jetbrains.kotlin.plugin.compose")
}

android {
    namespace = "cn.liuhen.app"
    compileSdk = 35

    defaultConfig {
        applicationId = "cn.liuhen.app"
        minSdk = 26
        targetSdk = 35
        versionCode = 1
        versionName = "0.1.0"
        // Only the ABIs build-native.sh produces.
        ndk { abiFilters += listOf("arm64-v8a", "x86_64") }
    }

    buildTypes {
        release {
            isMinifyEnabled = false
        }
    }
    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
    kotlinOptions { jvmTarget = "17" }
    buildFeatures { compose = true }
    // jniLibs/<abi>/libliuhen_ffi.so come from build-native.sh (src/main/jniLibs).
}

val checkNative by tasks.registering {
    description = "Fails early with a clear message when build-native.sh has not been run."
    doLast {
        val so = file("src/main/jniLibs/arm64-v8a/libliuhen_ffi.so")
        if (!so.exists()) throw GradleException("缺少本地库 $so：请先运行 android/build-native.sh")
    }
}
tasks.named("preBuild") { dependsOn(checkNative) }

dependencies {
    // The logic module brings the generated bindings; JNA is swapped for its Android AAR.
    implementation(project(":logic")) { exclude(group = "net.java.dev.jna") }
    implementation("net.java.dev.jna:jna:5.14.0@aar")

    val composeBom = platform("androidx.compose:compose-bom:2024.12.01")
    implementation(composeBom)
    implementation("androidx.compose.ui:ui")
    implementation("androidx.compose.material3:material3")
    implementation("androidx.compose.material:material-icons-core")
    implementation("androidx.activity:activity-compose:1.9.3")
    implementation("androidx.lifecycle:lifecycle-viewmodel-compose:2.8.7")
    implementation("androidx.lifecycle:lifecycle-runtime-compose:2.8.7")
    implementation("androidx.navigation:navigation-compose:2.8.5")
    implementation("androidx.work:work-runtime-ktx:2.10.0")
    implementation("org.jetbrains.kotlinx:kotlinx-coroutines-android:1.9.0")
    // QR scanning without Google Play services (not present on most phones in China).
    implementation("com.journeyapps:zxing-android-embedded:4.3.0")
}
