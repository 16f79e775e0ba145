#!/usr/bin/env bash
# Runs every test of the repository. This is the README's test command and what CI
# runs (.ci/run). It installs what it needs itself; a fresh machine needs only the
# Rust toolchain, Java 17 and Node (kotlinc comes from the npm registry, JNA and
# JUnit 4 from Debian).
set -euo pipefail
cd "$(dirname "$0")/.."
# A one-shot build gains nothing from incremental artifacts; they only take disk.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets -- -D warnings

status=0
echo "== browser tools (Chromium, playwright-core) for the desk's browser test"
bash scripts/browser-tools.sh || status=1

echo "== JavaScript client tools (@automerge/automerge, tus-js-client) for the independent client test"
bash scripts/js-client-tools.sh || status=1

echo "== cargo test"
cargo test --workspace --no-fail-fast || status=1

echo "== fuzzing the server's sync-message intake (short run, stable toolchain)"
FUZZ_SECONDS="${FUZZ_SECONDS:-60}" bash scripts/fuzz.sh short || status=1

echo "== Kotlin tests (generated bindings on the real native library, Android logic module)"
bash scripts/test-kotlin.sh || status=1

echo "== phone app checks (Swift against the generated bindings, Info.plist, Android checks)"
bash scripts/check-mobile.sh || status=1

exit $status
