#!/usr/bin/env bash
# Sourced by scripts/test-kotlin.sh and scripts/check-mobile.sh: the native library,
# the server and the bindings generator, built so that nothing is compiled twice
# (issue 17).
#
# `cargo test --workspace --no-run` is exactly the build `cargo test --workspace`
# makes: the same packages, so the same features for every crate. scripts/test-all.sh
# runs the tests just before, so in CI this is a no-op. A narrower command (`cargo build
# -p liuhen-ffi -p liuhen-server`, as before) resolves features over fewer packages
# (core with other features; regex and zerocopy without the features proptest
# adds) and rebuilt core, ffi, the server and 23 dependencies (27 units). It leaves
# target/debug/liuhen-server (a binary the server's tests run, so cargo copies it up)
# and the native library in target/debug/deps/: cargo copies a library up to
# target/debug/ only for a command that names its package, so native_build copies it
# (a fresh clone has no target/debug/libliuhen_ffi.so at all, and an old one would be
# stale).
native_build() {
  cargo test -q --workspace --no-run
  local debug
  debug="${CARGO_TARGET_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/target}/debug"
  cp -p "$debug/deps/libliuhen_ffi.so" "$debug/libliuhen_ffi.so"
}

# Runs the uniffi generator (the bindgen/ crate) on the library built by native_build:
# `uniffi_bindgen ARGS...`. native_build made target/debug/uniffi-bindgen too (the
# crate's integration test needs the binary), with the workspace's features; a
# `cargo run -p uniffi-bindgen` would resolve features for that crate alone and
# compile uniffi and its generator a second time.
uniffi_bindgen() {
  "${CARGO_TARGET_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/target}/debug/uniffi-bindgen" "$@"
}
