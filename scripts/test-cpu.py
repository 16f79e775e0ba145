#!/usr/bin/env python3
"""CPU seconds per test (issue 17): where the test phase's CPU goes.

Runs every test of the given test executables ONE AT A TIME (`<exe> --exact NAME
--test-threads=1`, as scripts/run-tests.py runs it: package directory, cargo's
variables) and records, per test, the wall time and the user + system CPU seconds of
the test process and every descendant it waited for (the servers, Node and Chromium it
spawns: getrusage of reaped children is cumulative). Services the tests only talk to
(PostgreSQL's backends, Garage) are not counted. Writes a ranked table.

    python3 scripts/test-cpu.py [--filter SUBSTR] [--out FILE] PACKAGE:TARGET...

e.g. `python3 scripts/test-cpu.py liuhen-e2e:it liuhen-server:it liuhen-core:it`
(the keys of target/test-times.json). Needs the build of `cargo test --workspace
--no-run` and, for the e2e, PostgreSQL and Garage (scripts/postgres.sh, scripts/s3.sh).
"""

import argparse
import importlib.util
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
spec = importlib.util.spec_from_file_location("run_tests", HERE / "run-tests.py")
rt = importlib.util.module_from_spec(spec)
spec.loader.exec_module(rt)


def run_one(job, env, args):
    """(wall, cpu, rc) of one process and its reaped descendants."""
    t0 = time.monotonic()
    p = subprocess.Popen(
        [job["exe"], *args], cwd=job["dir"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    out = p.stdout.read()
    rc, cpu = rt.wait_with_cpu(p)
    return time.monotonic() - t0, cpu, rc, out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("keys", nargs="+")
    ap.add_argument("--filter", default="")
    ap.add_argument("--out", default=None, help="JSON lines, one per test (appended)")
    ap.add_argument("--whole", action="store_true", help="run each executable once, all its tests")
    a = ap.parse_args()
    tdir = rt.target_dir()
    jobs = {j["key"]: j for j in rt.list_executables([])}
    rows = []
    for key in a.keys:
        job = jobs.get(key)
        if job is None:
            sys.exit(f"no test executable {key}; known: {', '.join(sorted(jobs))}")
        env = rt.env_for(job, tdir)
        if a.whole:
            wall, cpu, rc, out = run_one(job, env, [a.filter] if a.filter else [])
            rows.append({"exe": key, "test": "(all)", "wall": round(wall, 2), "cpu": round(cpu, 2), "rc": rc})
            print(f"{cpu:7.2f} CPU-s {wall:7.2f} s  {'ok' if rc == 0 else 'FAILED'}  {key}", flush=True)
            if rc != 0:
                sys.stdout.write(out.decode(errors="replace")[-3000:])
            continue
        listed = subprocess.run(
            [job["exe"], "--list", "--format=terse"], cwd=job["dir"], env=env, capture_output=True, text=True
        ).stdout
        names = [l[: -len(": test")] for l in listed.splitlines() if l.endswith(": test")]
        names = [n for n in names if a.filter in n]
        for n in names:
            wall, cpu, rc, out = run_one(job, env, ["--exact", n, "--test-threads=1"])
            row = {"exe": key, "test": n, "wall": round(wall, 2), "cpu": round(cpu, 2), "rc": rc}
            rows.append(row)
            print(f"{cpu:7.2f} CPU-s {wall:7.2f} s  {'ok' if rc == 0 else 'FAILED'}  {key} {n}", flush=True)
            if rc != 0:
                sys.stdout.write(out.decode(errors="replace")[-3000:])
            if a.out:
                with open(a.out, "a") as f:
                    f.write(json.dumps(row) + "\n")
    print("\n== ranked by CPU seconds")
    total = sum(r["cpu"] for r in rows)
    for r in sorted(rows, key=lambda r: -r["cpu"])[:40]:
        print(f"{r['cpu']:7.2f} CPU-s {r['wall']:7.2f} s  {r['exe']} {r['test']}")
    print(f"{total:7.2f} CPU-s in {len(rows)} tests")
    return 1 if any(r["rc"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
