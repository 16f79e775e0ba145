#!/usr/bin/env bash
# Every check of the phone apps this Linux machine allows (no Xcode, no Android SDK):
#
#  1. generates the Swift bindings from the real native library with uniffi-bindgen
#     (the same build, scripts/native-build.sh, and the same bindgen binary as
#     scripts/test-kotlin.sh, so nothing is built twice when both run);
#  2. scripts/check_swift_bindings.py: every core call, argument label, record
#     initialiser, enum case and record field the iOS Swift code uses exists in the
#     generated Swift — then its self-test: misspelled calls, labels, cases and fields
#     in a copy of the sources must each be caught;
#  3. scripts/check_ios_plist.py: Info.plist parses (plistlib), has a Chinese usage
#     description for camera, microphone and location as the code uses them, and its
#     background task identifiers and modes match the code — with its own self-test;
#  4. scripts/check-android.sh, when it exists (the Android half).
#
# ios/README.md says what these prove and what still needs Xcode.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
PROFILE_DIR="${CARGO_TARGET_DIR:-$ROOT/target}/debug"
OUT="${CARGO_TARGET_DIR:-$ROOT/target}/swift"

if ! command -v python3 >/dev/null 2>&1; then
  echo "== installing python3 (Debian)"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get install -y python3 >/dev/null 2>&1 || {
    $SUDO apt-get update >/dev/null
    $SUDO apt-get install -y python3 >/dev/null
  }
fi

status=0

source scripts/native-build.sh

echo "== building the native library (scripts/native-build.sh, as scripts/test-kotlin.sh)"
native_build

echo "== generating Swift bindings"
rm -rf "$OUT/gen"
mkdir -p "$OUT/gen"
uniffi_bindgen generate --no-format \
  --library "$PROFILE_DIR/libliuhen_ffi.so" --language swift --out-dir "$OUT/gen"
GEN="$OUT/gen/LiuhenCore.swift"
if [ ! -f "$GEN" ]; then
  echo "no $GEN: uniffi named the module differently (see bindings/uniffi.toml)" >&2
  ls "$OUT/gen" >&2
  exit 1
fi

echo "== Swift code against the generated bindings"
python3 scripts/check_swift_bindings.py --generated "$GEN" --ios ios || status=1
echo "== the checker catches misspellings (self-test)"
python3 scripts/check_swift_bindings.py --generated "$GEN" --ios ios --self-test || status=1

echo "== Info.plist (plistlib)"
python3 scripts/check_ios_plist.py --ios ios || status=1
python3 scripts/check_ios_plist.py --ios ios --self-test || status=1

echo "== shell scripts of the iOS build"
bash -n ios/build-xcframework.sh || status=1

if [ -f scripts/check-android.sh ]; then
  echo "== Android checks (scripts/check-android.sh)"
  bash scripts/check-android.sh || status=1
else
  echo "== scripts/check-android.sh not present: Android checks skipped"
fi

exit $status
