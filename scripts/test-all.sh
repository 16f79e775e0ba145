#!/usr/bin/env bash
# Runs every test of the repository. This is the README's test command and what CI
# runs (.ci/run). It installs what it needs itself; a fresh machine needs only the
# Rust toolchain.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets -- -D warnings

echo "== cargo test"
cargo test --workspace --no-fail-fast
