#!/usr/bin/env bash
# Runs the sync benchmarks (benches/benches/sync.rs) against a real liuhen-server
# process on loopback: batched sync of 1, 100 and 1,000 changed inspections against
# a naive one-request-per-document baseline, then N = 1, 4, 16, 32 devices syncing
# at once (throughput, p50/p99 exchange latency).
#
# The bench starts the server binary found next to it (target/release/liuhen-server
# for `cargo bench`), so this builds the server in the release profile first.
#
# Usage: scripts/bench-sync.sh [compare|load]   (no argument: both)
# Expect a few minutes for the optimised builds and up to ~10 minutes of benching.
# Progress goes to stderr, the tables to stdout.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo build --release -p liuhen-server" >&2
cargo build --release -p liuhen-server
echo "== cargo bench -p liuhen-benches --no-default-features --features e2e --bench sync" >&2
exec cargo bench -p liuhen-benches --no-default-features --features e2e --bench sync -- "$@"
