#!/usr/bin/env bash
# Sourced by scripts/test-kotlin.sh and scripts/check-mobile.sh: the native library,
# the server and the bindings generator, built so that nothing is compiled twice
# (issue 17).
#
# `cargo test --workspace --no-run` is exactly the build `cargo test --workspace`
# makes: the same packages, so the same features for every crate. scripts/test-all.sh
# runs the tests just before, so in CI this is a no-op. A narrower command (`cargo build
# -p liuhen-ffi -p liuhen-server`, as before) resolves features over fewer packages
# (core without its default `cli`; regex and zerocopy without the features proptest
# adds) and rebuilt core, ffi, the server and 23 dependencies (27 units). It leaves
# target/debug/libliuhen_ffi.so and target/debug/liuhen-server.
native_build() {
  cargo test -q --workspace --no-run
}

# Runs the uniffi generator: `uniffi_bindgen ARGS...`. `cargo test --workspace` builds
# target/debug/uniffi-bindgen (bindgen/ has a test, so its binary is built with the
# workspace's features); `cargo run -p uniffi-bindgen` would resolve features for that
# package alone and compile uniffi and its dependencies again.
uniffi_bindgen() {
  local bin="${CARGO_TARGET_DIR:-$PWD/target}/debug/uniffi-bindgen"
  if [ -x "$bin" ]; then
    "$bin" "$@"
  else
    cargo run -q -p uniffi-bindgen -- "$@"
  fi
}
