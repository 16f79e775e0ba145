#!/usr/bin/env bash
# Runs every test of the repository. This is the README's test command and what CI
# runs (.ci/run). It installs what it needs itself; a fresh machine needs only the
# Rust toolchain, Java 17 and Node (kotlinc comes from the npm registry, JNA and
# JUnit 4 from Debian).
set -euo pipefail
cd "$(dirname "$0")/.."
# A one-shot build gains nothing from incremental artifacts; they only take disk.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

mkdir -p target
# The machine's own speed, measured the same way before and after the run: the CPU
# seconds of hashing 256 MiB (sha256sum). On this kind of shared virtual machine a
# fixed workload's CPU time changed by up to a quarter within one minute (session 13),
# and the test run's times and CPU seconds with it: they are read against this.
machine_speed() {
    local TIMEFORMAT='%U'
    { time (head -c 268435456 /dev/zero | sha256sum >/dev/null); } 2>&1
}
speed_before="$(machine_speed)"
# Phase times, printed at the end of the run (also when it fails) so that each landing's
# figures can be read off its log (issue 17).
run_start=$(date +%s)
phase_start=$run_start
phase_lines=()
phase_done() { # NAME: the time since the previous phase_done (or the start)
    local now
    now=$(date +%s)
    phase_lines+=("$(printf '%6d s  %s' $((now - phase_start)) "$1")")
    phase_start=$now
}
print_phases() {
    echo "== phase times (wall, load average now: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?'))"
    printf '%s\n' "${phase_lines[@]}"
    [ -f target/side-times.txt ] && sed 's/^/          beside: /' target/side-times.txt
    [ -f target/test-logs/summary.txt ] && sed 's/^/          /' target/test-logs/summary.txt
    printf '%6d s  total\n' $(($(date +%s) - run_start))
    # User and system CPU of every process the run waited for, then of the PostgreSQL
    # and Garage daemons: the warm run's bound on two cores is their sum over two
    # (issue 17). `times` writes to a file: in a $(...) subshell it would count none.
    times >target/run-cpu.txt
    echo "        CPU of the run's processes (user, system): $(tail -1 target/run-cpu.txt)"
    if [ -f target/service-cpu.txt ]; then
        echo "        CPU of the services: $(cat target/service-cpu.txt)"
    fi
    echo "        machine speed (user-s to hash 256 MiB; less is faster): $speed_before before the run, $(machine_speed) after (not in the counts above)"
}
# The tools the later steps need (Debian packages, npm packages, kotlinc) wait on the
# network and the disk, the first build on the CPU: fetch them meanwhile (issue 17).
tools_log=target/tools.log
# Each background job leaves its exit status in a file when it ends (a finished job
# stays a zombie, alive to `kill -0`, until this shell waits for it).
rm -f target/tools.rc target/s3-install.rc
(
    rc=0
    {
        bash scripts/system-packages.sh &&
            bash scripts/browser-tools.sh &&
            bash scripts/js-client-tools.sh &&
            source scripts/kotlin-tools.sh
    } || rc=$?
    echo "$rc" >target/tools.rc
    exit "$rc"
) >"$tools_log" 2>&1 &
tools_pid=$!
# Garage, the real S3 server of the object-store and deployment tests, is built once
# per machine and reused after (scripts/s3.sh, issue 18): meanwhile the build runs.
(
    rc=0
    bash scripts/s3.sh install || rc=$?
    echo "$rc" >target/s3-install.rc
    exit "$rc"
) >target/s3-install.log 2>&1 &
s3_install_pid=$!

# The fuzz run needs neither the workspace build nor the services (its crate is a
# workspace of its own, with its own release build in fuzz/target): it starts now and
# runs beside the build, whose last minute (the server crate, then its test binary)
# leaves a core idle (issue 17, session 13). Its output follows the cargo tests'.
rm -f target/side-times.txt
timed() { # NAME COMMAND...: runs it, appends its wall time to target/side-times.txt
    local t0=$SECONDS rc=0
    "${@:2}" || rc=1
    printf '%6d s  %s%s\n' $((SECONDS - t0)) "$1" "$([ $rc = 0 ] || echo ' FAILED')" >>target/side-times.txt
    return $rc
}
(
    echo "== fuzzing the server's sync-message intake (short run, stable toolchain)"
    # No clippy: the workspace's wrapper is exported only later, and not for this one.
    # 10 s of random mutations (~1.5 million inputs, a new seed each run) after the
    # replay of the committed corpus (the seeds and every minimised libFuzzer finding):
    # the replay is the regression check, the mutations a short search that goes on
    # elsewhere with every run; `scripts/fuzz.sh` alone runs 60 s and long searches are
    # `scripts/fuzz.sh long`. The run takes one whole core of a build phase that is
    # CPU-bound on two cores, so each of its seconds is half a second of the run
    # (issue 17: 60 s in session 10, 30 s in session 11, 20 s in session 13).
    timed "fuzz (release build + ${FUZZ_SECONDS:-10} s run)" \
        env -u RUSTC_WORKSPACE_WRAPPER -u CLIPPY_ARGS FUZZ_SECONDS="${FUZZ_SECONDS:-10}" \
        bash scripts/fuzz.sh short
) >target/side-fuzz.log 2>&1 &
fuzz_pid=$!

# CPU seconds a process used, with the children it waited for (/proc/PID/stat).
proc_cpu() { # PID
    local stat ticks
    stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 0
    ticks="$(getconf CLK_TCK 2>/dev/null || echo 100)"
    echo "${stat##*) }" | awk -v t="$ticks" '{printf "%.0f", ($12 + $13 + $14 + $15) / t}'
}
# The services' CPU: daemons, so the run's own count leaves them out (issue 17).
service_cpu() {
    local pg="" garage=""
    if [ -f target/liuhen-postgres.state ]; then
        local dir
        read -r dir _ < target/liuhen-postgres.state
        [ -f "$dir/postmaster.pid" ] && pg="$(proc_cpu "$(head -1 "$dir/postmaster.pid")")"
    fi
    [ -f target/s3/garage.pid ] && garage="$(proc_cpu "$(cat target/s3/garage.pid)")"
    echo "PostgreSQL (server and ended backends) ${pg:-?} s, Garage ${garage:-?} s" >target/service-cpu.txt
}
stop_services() {
    service_cpu || true
    bash scripts/s3.sh stop || true
    bash scripts/postgres.sh stop || true
}
# PostgreSQL and Garage start as soon as their programs are there (the Debian packages,
# the Garage install), while the build runs: their start is mostly waiting on
# processes (~3 s), which the build's CPU covers. The environment they print goes to
# target/services.env; a service that does not start fails the run after the build.
rm -f target/services.env target/service-cpu.txt target/services.starting
(
    # target/services.starting marks a start in progress: an early exit of the run
    # lets it finish (then stops the service) instead of orphaning a half-started one.
    trap 'rm -f target/services.starting' EXIT
    until [ -f target/tools.rc ]; do sleep 0.2; done
    touch target/services.starting
    bash scripts/postgres.sh start >>target/services.env || {
        echo "PostgreSQL did not start: the PostgreSQL backend's tests need it (scripts/postgres.sh)" >&2
        exit 1
    }
    rm -f target/services.starting
    until [ -f target/s3-install.rc ]; do sleep 0.2; done
    touch target/services.starting
    bash scripts/s3.sh start >>target/services.env || {
        echo "the S3 server (Garage) did not start: the object-store tests need it (scripts/s3.sh)" >&2
        exit 1
    }
    source target/services.env
    bash scripts/s3.sh smoke
) >target/services.log 2>&1 &
services_pid=$!
# On any exit: a service start in progress finishes (at most a minute), the start job
# ends (it may still be waiting for the tools), then both services are stopped. (Each
# step may fail under `set -e`, which would end the trap before the rest.)
end_service_start() {
    local i
    for i in $(seq 300); do
        [ -f target/services.starting ] || break
        sleep 0.2
    done
    { kill "$services_pid" || true; wait "$services_pid" || true; } 2>/dev/null
}
# A run that ends early (fmt, the build) does not leave the fuzz run going on alone.
kill_tree() { # PID: the process and its descendants
    local c
    for c in $(pgrep -P "$1" 2>/dev/null); do kill_tree "$c"; done
    kill "$1" 2>/dev/null || true
}
fuzz_waited=0
end_fuzz() {
    [ "$fuzz_waited" = 1 ] || kill_tree "$fuzz_pid"
}
remove_test_tmp() {
    if [ -n "${test_tmp:-}" ]; then rm -rf "$test_tmp" || true; fi
}
trap 'end_fuzz; end_service_start; stop_services; remove_test_tmp; print_phases' EXIT

echo "== cargo fmt --check"
cargo fmt --all -- --check
phase_done "cargo fmt --check"

# Clippy runs inside the test build instead of before it (issue 17): clippy-driver
# compiles the workspace's crates (its lints, warnings are errors, exactly what
# `cargo clippy --workspace --all-targets -- -D warnings` checks), rustc the
# dependencies -- once, where `cargo clippy` would build all of them a second time in
# check mode. Exported, so every cargo call below (and in the scripts) reuses the build.
RUSTC_WORKSPACE_WRAPPER="$(command -v clippy-driver || echo "$(rustc --print sysroot)/bin/clippy-driver")"
export RUSTC_WORKSPACE_WRAPPER
export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"
echo "== build of every target with clippy (warnings are errors)"
# Every target `--all-targets` names, except a library test target marked `test = false`
# (the server's: its tests are in its integration test binary, issue 17), which
# `--all-targets` would build all the same. (The workspace has no examples.)
cargo test --workspace --tests --benches --no-run
phase_done "build of every target with clippy"

status=0
echo "== tools: system packages (scripts/system-packages.sh), Chromium and playwright-core,"
echo "   @automerge/automerge and tus-js-client, kotlinc (fetched during the build)"
if ! wait "$tools_pid"; then
    status=1
    echo "tool installation failed:" >&2
fi
cat "$tools_log"
phase_done "waiting for the tools after the build"

# The tests' scratch files (every server's and phone's data directory, SQLite files,
# uploads, Chromium's profiles) go to a directory in memory when /dev/shm is a tmpfs
# with room (4 GiB; the largest test file is a 300 MiB video): on ext4 every
# SQLite commit's fsync was kernel CPU and a wait, 8% of the core tests' CPU and
# ~1 s of the server tests' (session 14). The tests kill processes, never the
# machine, so what they check is the same in memory: a killed process's writes are
# in the page cache either way. LIUHEN_TESTS_ON_DISK=1 keeps TMPDIR as it is.
test_tmp=""
source scripts/memory-dir.sh
if [ -z "${LIUHEN_TESTS_ON_DISK:-}" ] && shm="$(memory_dir 4194304)"; then
    test_tmp="$(mktemp -d "$shm/liuhen-tests.XXXXXX")"
    export TMPDIR="$test_tmp"
fi

# The mobile checks (the Kotlin tests, then the phone app checks) run while the cargo
# tests run: those mostly wait on servers, sockets and Chromium, these on the CPU. (At a
# lower priority, nice 5, the mobile checks were starved into the run's tail: 144 and
# 189 s instead of ~100.) Their output follows the cargo tests'.
(
    side=0
    echo "== Kotlin tests (generated bindings on the real native library, Android logic module)"
    timed "Kotlin tests" bash scripts/test-kotlin.sh || side=1
    echo "== phone app checks (Swift against the generated bindings, Info.plist, Android checks)"
    timed "phone app checks" bash scripts/check-mobile.sh || side=1
    exit $side
) >target/side-mobile.log 2>&1 &
mobile_pid=$!

echo "== services: PostgreSQL (scripts/postgres.sh), S3 (Garage, scripts/s3.sh); stopped on exit"
echo "   a service that cannot be installed or started fails the run (issue 18)"
if ! wait "$services_pid"; then
    cat target/services.log >&2
    if ! wait "$s3_install_pid"; then
        cat target/s3-install.log >&2
        echo "the S3 server (Garage) could not be installed: the object-store tests need it (scripts/s3.sh)" >&2
    fi
    exit 1
fi
cat target/services.log
source target/services.env
phase_done "services (started during the build)"

# The test executables of `cargo test --workspace` (and its doctests, if any) run side
# by side instead of one after another, which left a core idle whenever a test waited
# on a server, a socket or Chromium (issue 17; docs/building.md has the figures). Each
# has its own log under target/test-logs/; they are printed in cargo's order when all
# have ended, then every executable's time and every failed test with its log. A
# failing test still fails the run.
echo "== cargo tests (scripts/run-tests.py: the test executables side by side)"
# The browser suites run every check either way; their screenshots (192 full pages
# in the page walk alone) are a third of their CPU and nobody reads a CI machine's
# files. Run by themselves (`cargo test -p liuhen-e2e --test it _browser`) they take
# them (issue 17).
export LIUHEN_SCREENSHOTS="${LIUHEN_SCREENSHOTS:-0}"
python3 scripts/run-tests.py || status=1
phase_done "cargo tests (test executables side by side)"

echo "== fuzz run, Kotlin tests, phone app checks (run beside the cargo tests)"
wait "$fuzz_pid" || status=1
fuzz_waited=1
wait "$mobile_pid" || status=1
cat target/side-fuzz.log target/side-mobile.log
phase_done "waiting for the checks beside the cargo tests"

exit $status
