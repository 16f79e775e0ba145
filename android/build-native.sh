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
JNI="$HERE/app/src/main/jniLibs"
GEN="$HERE/build/generated/uniffi/kotlin"

cd "$ROOT"
flag=(); [ "$PROFILE" = release ] && flag=(--release)

echo "== building liuhen-ffi for arm64-v8a and x86_64 ($PROFILE)"
cargo ndk -t arm64-v8a -t x86_64 --platform 26 -o "$JNI" build "${flag[@]}" -p liuhen-ffi

echo "== generating Kotlin bindings into $GEN"
# Host build of the same crate: uniffi reads the interface from the library's metadata.
cargo build "${flag[@]}" -p liuhen-ffi
rm -rf "$GEN"
mkdir -p "$GEN"
cargo run -q "${flag[@]}" -p liuhen-ffi --features bindgen --bin uniffi-bindgen -- generate \
  --library "$ROOT/target/$PROFILE/libliuhen_ffi.so" --language kotlin --out-dir "$GEN"

ls -l "$JNI"/*/libliuhen_ffi.so
echo "== done: open android/ in Android Studio"
