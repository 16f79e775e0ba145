#!/usr/bin/env python3
"""Runs the workspace's test executables side by side (issue 17).

`cargo test --workspace` runs its ~20 test executables one after another, and the
longest of them (the end-to-end binary) mostly waits on server processes, sockets and
Chromium. This script asks cargo for the executables of exactly that command
(`cargo test --workspace --no-run --message-format=json`, a no-op after the build),
runs them as concurrent processes, longest first (by the times of the previous run,
kept in target/test-times.json), at most --jobs at a time, plus the doctests
(`cargo test --workspace --doc`). Each process writes its own log under
target/test-logs/; the logs are printed in a fixed order when all have ended, then a
summary: every executable's wall time and result, and the name of every failed test
with the log that holds its output. Any failure (a failed test, a crash, a missing
executable) makes the exit status 1.

    python3 scripts/run-tests.py [--jobs N] [--e2e-threads N] [-- ARGS for every test executable]

Each executable runs the way `cargo test` runs it: in its package's directory, with
cargo's CARGO_MANIFEST_DIR / CARGO_PKG_* variables and target/debug/deps on the
library path.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Without recorded times: the end-to-end binary first (minutes), then the other
# integration-test binaries, then the unit tests.
DEFAULT_ORDER = ["liuhen-e2e:it(rest)", "liuhen-e2e:it(browser)", "liuhen-e2e:it", "liuhen-server:it", "liuhen-core:it"]
# libtest threads of integration-test binaries whose tests mostly wait on SQLite's
# fsyncs and local servers rather than the CPU (issue 17: the server's `it` binary
# alone, 134 tests, 23 s with libtest's default of two threads, 16 s with four).
TEST_THREADS = {"liuhen-server:it": 4, "liuhen-core:it": 4}


def target_dir() -> Path:
    t = os.environ.get("CARGO_TARGET_DIR")
    return Path(t) if t else ROOT / "target"


def list_executables(cargo_args):
    """The test executables `cargo test --workspace` would run, in cargo's order."""
    r = subprocess.run(
        ["cargo", "test", "--workspace", "--no-run", "--message-format=json", *cargo_args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    if r.returncode != 0:
        sys.stderr.write(r.stderr)
        sys.exit("run-tests.py: `cargo test --workspace --no-run` failed: nothing was run")
    out = r.stdout
    exes = []
    for line in out.splitlines():
        if not line.startswith("{"):
            continue
        m = json.loads(line)
        if m.get("reason") != "compiler-artifact" or not m.get("executable"):
            continue
        if not m["profile"]["test"]:
            continue
        pkg_dir = Path(m["manifest_path"]).parent
        pkg = package_name(m["package_id"], pkg_dir)
        exes.append(
            {
                "key": f"{pkg}:{m['target']['name']}",
                "target": m["target"]["name"],
                "kind": ",".join(m["target"]["kind"]),
                "package": pkg,
                "dir": pkg_dir,
                "exe": m["executable"],
            }
        )
    return exes


def package_name(package_id: str, pkg_dir: Path) -> str:
    """The package name from cargo's package id (`path+file:///…/dir#name@0.1.0`)."""
    tail = package_id.rsplit("#", 1)[-1]
    name = tail.split("@", 1)[0]
    # `…/core#0.1.0`: the name is the directory's when it equals it.
    if re.fullmatch(r"[0-9][0-9.]*.*", name):
        return cargo_toml_name(pkg_dir) or pkg_dir.name
    return name


def cargo_toml_name(pkg_dir: Path):
    try:
        text = (pkg_dir / "Cargo.toml").read_text()
    except OSError:
        return None
    m = re.search(r'^\s*name\s*=\s*"([^"]+)"', text, re.M)
    return m.group(1) if m else None


def package_version(pkg_dir: Path) -> str:
    try:
        text = (pkg_dir / "Cargo.toml").read_text()
    except OSError:
        return "0.0.0"
    m = re.search(r'^\s*version\s*=\s*"([^"]+)"', text, re.M)
    return m.group(1) if m else "0.0.0"


def env_for(job, tdir: Path):
    env = dict(os.environ)
    version = package_version(job["dir"])
    major, minor, patch = (version.split("-")[0].split(".") + ["0", "0", "0"])[:3]
    env.update(
        {
            "CARGO_MANIFEST_DIR": str(job["dir"]),
            "CARGO_PKG_NAME": job["package"],
            "CARGO_PKG_VERSION": version,
            "CARGO_PKG_VERSION_MAJOR": major,
            "CARGO_PKG_VERSION_MINOR": minor,
            "CARGO_PKG_VERSION_PATCH": patch,
            "CARGO_CRATE_NAME": job["target"].replace("-", "_"),
        }
    )
    libs = [str(tdir / "debug" / "deps"), str(tdir / "debug")]
    old = env.get("LD_LIBRARY_PATH")
    env["LD_LIBRARY_PATH"] = ":".join(libs + ([old] if old else []))
    return env


# Info strings of fenced doc blocks rustdoc does not compile (`text`, `ignore`, and
# other languages). Anything else (no info string, `rust`, `no_run`, `should_panic`,
# `compile_fail`, `edition…`) is a doctest.
NOT_RUST = {"text", "ignore", "sh", "bash", "console", "shell", "json", "toml", "sql",
            "html", "xml", "txt", "plain", "kotlin", "swift", "js", "javascript", "yaml",
            "csv", "ini", "diff", "http", "mermaid"}
FENCE = re.compile(r"^\s*(?://[/!]|\*)\s?(```+|~~~+)\s*([^`]*)$")


def doctest_sources(crate_dirs):
    """Files with at least one doc block rustdoc would compile and run.

    `cargo test --doc` runs rustdoc over every library of the workspace, which costs
    about as much as checking it, even when no doctest exists (issue 17). A block
    counts as a doctest unless its info string names a language other than Rust or
    `ignore`; doc attributes that pull in a file (`#[doc = include_str!(…)]`) count
    too, as they may hold Rust blocks.
    """
    found = []
    for d in crate_dirs:
        for f in sorted((d / "src").rglob("*.rs")) if (d / "src").is_dir() else []:
            try:
                text = f.read_text(errors="replace")
            except OSError:
                continue
            if re.search(r"#!?\[doc\s*=\s*include_str!", text):
                found.append(f)
                continue
            open_fence = None
            for line in text.splitlines():
                m = FENCE.match(line)
                if not m:
                    continue
                if open_fence is not None:
                    if m.group(1).startswith(open_fence) and not m.group(2).strip():
                        open_fence = None
                    continue
                open_fence = m.group(1)
                tags = {t.strip() for t in m.group(2).split(",") if t.strip()}
                if not tags & NOT_RUST:
                    found.append(f)
                    break
    return found


def load_times(path: Path):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def order(jobs, times):
    def rank(job):
        if job["key"] in times:
            return (0, -float(times[job["key"]]))
        if job["key"] in DEFAULT_ORDER:
            return (0, -1e9 + DEFAULT_ORDER.index(job["key"]))
        return (1, 0.0)

    return sorted(jobs, key=rank)


def run_job(job, log_dir: Path, extra_args, tdir: Path):
    log = log_dir / (re.sub(r"[^A-Za-z0-9_.-]+", "-", job["key"]).strip("-") + ".log")
    job["log"] = log
    start = time.monotonic()
    with open(log, "w") as f:
        if job["kind"] == "doctest":
            cmd = ["cargo", "test", "--workspace", "--doc", "--", *extra_args]
            cwd, env = ROOT, os.environ
        else:
            cmd = [job["exe"], *job.get("args", []), *extra_args]
            cwd, env = job["dir"], env_for(job, tdir)
        f.write(f"$ (cd {cwd} && {' '.join(cmd)})\n")
        f.flush()
        cpu = 0.0
        try:
            p = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=f, stderr=subprocess.STDOUT)
            rc, cpu = wait_with_cpu(p)
        except OSError as e:
            f.write(f"could not start: {e}\n")
            rc = 127
    job["rc"] = rc
    job["cpu"] = cpu
    job["wall"] = time.monotonic() - start


def wait_with_cpu(p):
    """Waits for process `p`: (exit code, user + system CPU seconds of it and of every
    descendant it waited for: its servers, Node, Chromium's reaped processes; not
    PostgreSQL's or Garage's). Where the test phase's CPU goes (issue 17)."""
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    return p.returncode, ru.ru_utime + ru.ru_stime


def cpu_jiffies():
    """(busy, total) jiffies of the whole machine since boot (/proc/stat), or None."""
    try:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields) - idle, sum(fields)


class BusySampler(threading.Thread):
    """How busy the machine's cores were in each window of the test phase: where the
    phase left a core idle (waiting on sleeps, back-offs, one long test alone) and
    where it was CPU-bound (issue 17). Counts every process, not only the tests'."""

    def __init__(self, window=10.0):
        super().__init__(daemon=True)
        self.window, self.shares, self.done = window, [], threading.Event()

    def run(self):
        last = cpu_jiffies()
        while last and not self.done.wait(self.window):
            now = cpu_jiffies()
            if not now:
                return
            busy, total = now[0] - last[0], now[1] - last[1]
            self.shares.append(busy / total if total else 0.0)
            last = now

    def line(self):
        self.done.set()
        if not self.shares:
            return None
        cells = " ".join(f"{round(100 * s):d}" for s in self.shares)
        mean = 100 * sum(self.shares) / len(self.shares)
        return f"cores busy, % per {self.window:.0f} s: {cells} (mean {mean:.0f}%)"


def failed_tests(log: Path):
    names = []
    try:
        for line in log.read_text(errors="replace").splitlines():
            m = re.match(r"test (.+?) \.\.\. FAILED", line)
            if m:
                names.append(m.group(1))
    except OSError:
        pass
    return names


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--jobs", type=int, default=int(os.environ.get("LIUHEN_TEST_JOBS", "3")))
    ap.add_argument(
        "--e2e-threads",
        type=int,
        default=int(os.environ.get("LIUHEN_E2E_THREADS", "4")),
        help="libtest threads of the end-to-end binary (it mostly waits)",
    )
    ap.add_argument("--no-doc", action="store_true", help="skip the doctests")
    ap.add_argument("rest", nargs="*", help="arguments after -- go to every test executable")
    a = ap.parse_args()

    tdir = target_dir()
    log_dir = tdir / "test-logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    for old in log_dir.glob("*.log"):
        old.unlink()
    times_path = tdir / "test-times.json"
    times = load_times(times_path)

    jobs = list_executables([])
    split = []
    for job in jobs:
        if job["key"] in TEST_THREADS and not any(r.startswith("--test-threads") for r in a.rest):
            split.append(dict(job, args=[f"--test-threads={TEST_THREADS[job['key']]}"]))
        elif job["key"] != "liuhen-e2e:it":
            split.append(job)
        elif a.rest:
            job["args"] = [f"--test-threads={a.e2e_threads}"]
            split.append(job)
        else:
            # Two processes: the browser suites (their tests are named `*_browser::…`)
            # hold one browser slot in turn, so in the same process as the rest they
            # kept libtest threads waiting on it; alone, two threads let one suite set
            # up while another's browser runs. The filter and the skip split the tests
            # exactly in two.
            split.append(dict(job, key="liuhen-e2e:it(browser)", args=["_browser", "--test-threads=2"]))
            split.append(
                dict(job, key="liuhen-e2e:it(rest)", args=["--skip", "_browser", f"--test-threads={a.e2e_threads}"])
            )
    jobs = split
    if not a.no_doc:
        sources = doctest_sources(sorted({j["dir"] for j in jobs}))
        if sources:
            jobs.append({"key": "doctests:all", "kind": "doctest", "package": "", "target": "", "dir": ROOT, "exe": ""})
            print(f"doctests in {len(sources)} files (e.g. {sources[0]}): cargo test --doc runs")
        else:
            print("no doctests in the workspace's libraries (every doc block is text or ignore): "
                  "cargo test --doc skipped")
    queue = order(jobs, times)

    t0 = time.monotonic()
    sampler = BusySampler()
    sampler.start()
    sem = threading.Semaphore(max(1, a.jobs))
    threads = []

    def worker(job):
        try:
            run_job(job, log_dir, a.rest, tdir)
        finally:
            sem.release()

    for job in queue:
        sem.acquire()
        t = threading.Thread(target=worker, args=(job,))
        t.start()
        threads.append(t)
    for t in threads:
        t.join()
    total = time.monotonic() - t0

    # The logs in cargo's order (as `cargo test` would have printed them).
    for job in jobs:
        print(f"\n==== {job['key']} ({job['kind']}) -- {job['wall']:.1f} s, exit {job['rc']}")
        sys.stdout.write(job["log"].read_text(errors="replace"))
    sys.stdout.flush()

    failures = 0
    cpu = sum(j["cpu"] for j in jobs)
    lines = [f"test executables: {len(jobs)}, {a.jobs} at a time, {total:.1f} s in all, {cpu:.0f} CPU-s"]
    busy = sampler.line()
    if busy:
        lines.append(busy)
    for job in sorted(jobs, key=lambda j: -j["wall"]):
        mark = "ok" if job["rc"] == 0 else f"FAILED (exit {job['rc']})"
        lines.append(f"  {job['wall']:7.1f} s {job['cpu']:6.1f} CPU-s  {job['key']:<32} {mark}")
    for job in jobs:
        if job["rc"] != 0:
            failures += 1
            names = failed_tests(job["log"])
            lines.append(f"FAILED {job['key']}: its output is in {job['log']}")
            lines.extend(f"    {n}" for n in names)
            if not names:
                lines.append("    (no failed test named: the executable itself failed, see its log)")
    print("\n==== " + "\n".join(lines))
    (log_dir / "summary.txt").write_text("\n".join(lines) + "\n")

    if not a.rest:  # a filtered run's times say nothing about the next full run
        times.update({j["key"]: round(j["wall"], 1) for j in jobs if j["rc"] == 0})
        try:
            times_path.write_text(json.dumps(times, indent=1, sort_keys=True) + "\n")
        except OSError:
            pass
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
