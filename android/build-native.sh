#!/usr/bin/env bash
# Builds the Rust core (crate liuhen-ffi) for the Android ABIs with cargo-ndk and
# generates the Kotlin bindings. Run from anywhere; needs rustup, cargo-ndk and the
# Android NDK (ANDROID_NDK_HOME, or the NDK installed by Android Studio's SDK manager).
#
#   rustup target add aarch64-linux-android x86_64-linux-android
#   cargo install cargo-ndk --version ^3
#   bash android/build-native.sh            # release build
#   PROFILE=debug bash android/build-native.sh
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
PROFILE="${PROFILE:-release}"
# Overridable for scripts/check-android.sh, which runs this script with a stand-in cargo.
JNI="${ANDROID_JNI_DIR:-$HERE/app/src/main/jniLibs}"
GEN="${UNIFFI_GEN_DIR:-$HERE/build/generated/uniffi/kotlin}"

cd "$ROOT"
# Host library name: uniffi-bindgen reads the interface from the host build.
case "$(uname -s)" in
  Darwin) HOST_LIB="libliuhen_ffi.dylib" ;;
  MINGW* | MSYS* | CYGWIN*) HOST_LIB="liuhen_ffi.dll" ;;
  *) HOST_LIB="libliuhen_ffi.so" ;;
esac
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
# A plain string, not an array: macOS bash 3.2 fails on an empty array expansion under set -u.
FLAG=""
if [ "$PROFILE" = release ]; then FLAG="--release"; fi

echo "== building liuhen-ffi for arm64-v8a and x86_64 ($PROFILE)"
# shellcheck disable=SC2086 # FLAG is empty or one word
cargo ndk -t arm64-v8a -t x86_64 --platform 26 -o "$JNI" build $FLAG -p liuhen-ffi

echo "== generating Kotlin bindings into $GEN"
# Host build of the same crate: uniffi reads the interface from the library's metadata.
# shellcheck disable=SC2086
cargo build $FLAG -p liuhen-ffi
rm -rf "$GEN"
mkdir -p "$GEN"
# shellcheck disable=SC2086
cargo run -q $FLAG -p uniffi-bindgen -- generate \
  --library "$TARGET_DIR/$PROFILE/$HOST_LIB" --language kotlin --out-dir "$GEN"

ls -l "$JNI"/*/libliuhen_ffi.so
echo "== done: open android/ in Android Studio"
