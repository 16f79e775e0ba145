#!/usr/bin/env bash
# Binding overhead benchmark (issue 6): FFI read/edit vs the same call direct in Rust,
# in the same run, and opening a store of 10,000 inspections through the bindings.
# Release native library; prints markdown tables.
#   bash scripts/bench-ffi.sh [inspections]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/kotlin-tools.sh
T="${CARGO_TARGET_DIR:-$ROOT/target}"
# The server (dev profile) only hands the phone its roster; the library is measured.
bash scripts/test-kotlin.sh NoSuchTestClass >/dev/null
cargo build -q --release -p liuhen-ffi
OUT="$T/kotlin"
"$KOTLINC" -nowarn -jvm-target 17 -cp "$KOTLIN_CP_LIBS:$OUT/classes/bindings.jar:$OUT/classes/tests.jar" \
  -d "$OUT/classes/bench.jar" bindings/bench/kotlin/*.kt
LIUHEN_SERVER_BIN="$T/debug/liuhen-server" java -Djna.library.path="$T/release" -Dfile.encoding=UTF-8 \
  -cp "$KOTLIN_CP_LIBS:$KOTLIN_CP_TEST:$KOTLIN_CP_STDLIB:$OUT/classes/bindings.jar:$OUT/classes/tests.jar:$OUT/classes/bench.jar" \
  cn.liuhen.bindings.bench.FfiBench "$@"
