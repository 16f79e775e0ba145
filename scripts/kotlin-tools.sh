#!/usr/bin/env bash
# Installs (once) and locates the JVM-side tools for the Kotlin tests:
# kotlinc 2.4.20 from the npm registry (no Maven repository is reachable here), JNA and
# JUnit 4 from Debian. Source this file; it sets KOTLIN_HOME, KOTLINC and KOTLIN_CP_*.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.ci-tools"
KOTLIN_VERSION=2.4.20
export KOTLIN_HOME="$TOOLS/kotlin-$KOTLIN_VERSION"

if [ ! -x "$KOTLIN_HOME/bin/kotlinc" ]; then
  echo "== installing kotlinc $KOTLIN_VERSION (npm registry)"
  mkdir -p "$TOOLS"
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack "kotlin-compiler@$KOTLIN_VERSION" >/dev/null && tar xzf kotlin-compiler-*.tgz)
  rm -rf "$KOTLIN_HOME"
  mv "$tmp/package" "$KOTLIN_HOME"
  rm -rf "$tmp"
fi

if [ ! -f /usr/share/java/jna.jar ] || [ ! -f /usr/share/java/junit4.jar ]; then
  echo "== installing JNA and JUnit 4 (Debian)"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get install -y libjna-java junit4 >/dev/null 2>&1 || {
    $SUDO apt-get update >/dev/null
    $SUDO apt-get install -y libjna-java junit4 >/dev/null
  }
fi

export KOTLINC="$KOTLIN_HOME/bin/kotlinc"
# Compile-time and run-time class paths shared by every Kotlin module here.
export KOTLIN_CP_LIBS="/usr/share/java/jna.jar:$KOTLIN_HOME/lib/kotlinx-coroutines-core-jvm.jar"
export KOTLIN_CP_TEST="/usr/share/java/junit4.jar:/usr/share/java/hamcrest-core.jar:$KOTLIN_HOME/lib/kotlin-test.jar:$KOTLIN_HOME/lib/kotlin-test-junit.jar"
export KOTLIN_CP_STDLIB="$KOTLIN_HOME/lib/kotlin-stdlib.jar"
