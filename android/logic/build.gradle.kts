// Plain-Kotlin module: all screen state and decisions of the app, no Android imports.
// The same sources are compiled and tested on the JVM by scripts/test-kotlin.sh in the
// repository's own test run (kotlinc + JUnit 4 against the real native library).
plugins {
    id("org.jetbrains.kotlin.jvm")
}

kotlin { jvmToolchain(17) }

val uniffiGenDir: File by rootProject.extra

sourceSets {
    main { kotlin.srcDir(uniffiGenDir) }
    // The tests reuse the bindings' test harness (real liuhen-server process, media files).
    test { kotlin.srcDir(rootDir.resolve("../bindings/tests/kotlin")) }
}

dependencies {
    // Plain jar for the JVM; the app swaps it for the Android AAR (see app/build.gradle.kts).
    implementation("net.java.dev.jna:jna:5.14.0")
    implementation("org.jetbrains.kotlinx:kotlinx-coroutines-core:1.9.0")
    testImplementation("junit:junit:4.13.2")
    testImplementation(kotlin("test-junit"))
}

tasks.test {
    // The native library of the host (cargo build -p liuhen-ffi) and the server binary.
    val target = rootDir.resolve("../target/debug")
    systemProperty("jna.library.path", target.path)
    environment("LIUHEN_SERVER_BIN", target.resolve("liuhen-server").path)
}
