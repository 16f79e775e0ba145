#!/usr/bin/env bash
# The JVM half of the test run: generates the Kotlin bindings from the real native
# library of this workspace, compiles them, the Android app's plain-Kotlin logic module
# and the Kotlin tests, and runs the tests with JUnit 4 against a real liuhen-server.
#
#   bash scripts/test-kotlin.sh            # everything
#   bash scripts/test-kotlin.sh SomeTest   # only test classes whose name contains SomeTest
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/kotlin-tools.sh

PROFILE_DIR="${CARGO_TARGET_DIR:-$ROOT/target}/debug"
OUT="${CARGO_TARGET_DIR:-$ROOT/target}/kotlin"
FILTER="${1:-}"

source scripts/native-build.sh

echo "== building the native library and the server (the test run's own build)"
if [ -n "${LIUHEN_SKIP_SERVER_BUILD:-}" ]; then
  # Development only: reuse the last server binary while the server crate is mid-edit.
  cargo build -q -p liuhen-ffi -p uniffi-bindgen
else
  native_build
fi

echo "== generating Kotlin bindings"
rm -rf "$OUT/gen"
mkdir -p "$OUT/gen" "$OUT/classes"
uniffi_bindgen generate --no-format \
  --library "$PROFILE_DIR/libliuhen_ffi.so" --language kotlin --out-dir "$OUT/gen"

# Recompile a jar only when its sources changed (kotlinc is slow on two cores).
compile() { # name, classpath, sources...
  local name="$1" cp="$2"
  shift 2
  local stamp="$OUT/classes/$name.sha256"
  local sum
  sum="$(cat "$@" | sha256sum | cut -d' ' -f1)-$(echo "$cp" | sha256sum | cut -d' ' -f1)"
  if [ -f "$OUT/classes/$name.jar" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$sum" ]; then
    return
  fi
  echo "== compiling $name"
  "$KOTLINC" -nowarn -jvm-target 17 -cp "$cp" -d "$OUT/classes/$name.jar" "$@"
  echo "$sum" >"$stamp"
}

BINDINGS_JAR="$OUT/classes/bindings.jar"
LOGIC_JAR="$OUT/classes/logic.jar"
TESTS_JAR="$OUT/classes/tests.jar"

compile bindings "$KOTLIN_CP_LIBS" $(find "$OUT/gen" -name '*.kt' | sort)
mapfile -t LOGIC_SRC < <(find android/logic/src/main/kotlin -name '*.kt' | sort)
compile logic "$KOTLIN_CP_LIBS:$BINDINGS_JAR" "${LOGIC_SRC[@]}"
mapfile -t TEST_SRC < <(find bindings/tests/kotlin android/logic/src/test/kotlin -name '*.kt' | sort)
compile tests "$KOTLIN_CP_LIBS:$KOTLIN_CP_TEST:$BINDINGS_JAR:$LOGIC_JAR" "${TEST_SRC[@]}"

# Test classes: every *Test.kt file's class (file name = class name, package from the file).
CLASSES=()
for f in "${TEST_SRC[@]}"; do
  base="$(basename "$f" .kt)"
  case "$base" in *Test) ;; *) continue ;; esac
  if [ -n "$FILTER" ] && [[ "$base" != *"$FILTER"* ]]; then continue; fi
  pkg="$(sed -n 's/^package \([a-zA-Z0-9_.]*\).*/\1/p' "$f" | head -1)"
  CLASSES+=("${pkg:+$pkg.}$base")
done

echo "== running ${#CLASSES[@]} Kotlin test classes"
export LIUHEN_SERVER_BIN="$PROFILE_DIR/liuhen-server"
# A short JUnit run: the client compiler only and one GC thread cost less CPU than the
# JVM's default tiered compilation and G1 (issue 17: ~23 CPU-s instead of ~25 for the whole
# script, three runs each). The JVM's temporary directory follows TMPDIR, as the Rust
# tests' does (scripts/test-all.sh puts it in memory).
java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Djna.library.path="$PROFILE_DIR" -Dfile.encoding=UTF-8 \
  -Djava.io.tmpdir="${TMPDIR:-/tmp}" \
  -cp "$KOTLIN_CP_LIBS:$KOTLIN_CP_TEST:$KOTLIN_CP_STDLIB:$BINDINGS_JAR:$LOGIC_JAR:$TESTS_JAR" \
  org.junit.runner.JUnitCore "${CLASSES[@]}"
