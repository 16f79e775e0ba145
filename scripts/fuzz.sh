#!/usr/bin/env bash
# Fuzzing of the server's sync-message intake (issue 16): the guard
# (server/src/api/sync_guard.rs), automerge's decode, receive_sync_message on a fork of
# a fixed document and on an empty one, and the reply. See fuzz/.
#
#   scripts/fuzz.sh short        CI, stable toolchain: replays fuzz/corpus/sync_intake (seeds)
#                                and fuzz/corpus/found (libFuzzer's minimised findings),
#                                then random mutations for FUZZ_SECONDS (default 60);
#                                about 2-3 minutes with the build on 2 cores.
#   scripts/fuzz.sh long [RUNS]  libFuzzer through cargo-fuzz (nightly), RUNS inputs
#                                (default 1000000), prints inputs, panics, peak RSS.
#   scripts/fuzz.sh seeds        regenerates the seed corpus from real automerge messages.
#
# After a long run, refresh the committed findings with libFuzzer's minimising merge:
#   fuzz/target/<host>/release/sync_intake -merge=1 fuzz/corpus/found fuzz/corpus/work
# A panic saves the input under fuzz/artifacts/ and fails the run. Replay one with
#   fuzz/target/release/replay --runs 1 fuzz/artifacts/replay/crash-...   (stable), or
#   cargo +nightly fuzz run sync_intake fuzz/artifacts/sync_intake/crash-...
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
mode="${1:-short}"

target="${CARGO_TARGET_DIR:-fuzz/target}"

stable_build() {
    cargo build --release --locked --no-default-features --bins --manifest-path fuzz/Cargo.toml
}

case "$mode" in
short)
    stable_build
    seed="${FUZZ_SEED:-$(date +%s)}"
    echo "== sync_intake replay, seed $seed (FUZZ_SEED=$seed to repeat)"
    "$target/release/replay" --runs "${FUZZ_RUNS:-100000000}" --seconds "${FUZZ_SECONDS:-60}" \
        --seed "$seed" --artifacts fuzz/artifacts/replay fuzz/corpus/sync_intake fuzz/corpus/found
    ;;
long)
    runs="${2:-1000000}"
    if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
        cargo install cargo-fuzz --locked
    fi
    cargo +nightly fuzz build sync_intake
    bin="$target/$(rustc -vV | sed -n 's/^host: //p')/release/sync_intake"
    mkdir -p fuzz/corpus/work fuzz/artifacts/sync_intake
    log=fuzz/artifacts/long-run.log
    echo "== libFuzzer sync_intake, $runs inputs (log: $log)"
    # The working corpus (fuzz/corpus/work) grows across runs and is not committed.
    # -rss_limit_mb fails any input that makes the process exceed 2 GiB.
    status=0
    /usr/bin/time -v "$bin" fuzz/corpus/work fuzz/corpus/sync_intake fuzz/corpus/found \
        -runs="$runs" -rss_limit_mb=2048 -timeout=10 -max_len=65536 \
        -print_final_stats=1 -artifact_prefix=fuzz/artifacts/sync_intake/ \
        2>"$log" || status=$?
    grep -E "^(==|SUMMARY|Done)|panicked|deadly signal|out-of-memory|timeout" "$log" | head -20 || true
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb|Maximum resident set size|Elapsed \(wall" \
        "$log" || true
    exit "$status"
    ;;
seeds)
    stable_build
    rm -f fuzz/corpus/sync_intake/*
    "$target/release/seed_corpus" fuzz/corpus/sync_intake
    ;;
*)
    echo "usage: scripts/fuzz.sh short|long [RUNS]|seeds" >&2
    exit 2
    ;;
esac
