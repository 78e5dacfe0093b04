#!/usr/bin/env python3
"""A/B two (or more) builds of bolt on the same endpoints, in one run: each build's package
folder (a copy of `pyext/` with its compiled `_native`) serves the load-test site on its own
port, pinned with the server to cpu0 and wrk to cpu1; the builds take turns per endpoint and
round (order alternating), and the report gives each build's median server CPU µs per request
and its ratio to the first build. Use it to check that a change costs nothing (or what it
saves) before the full `run.py` comparison.

    cp -r pyext /tmp/before            # before the change (with its built .so)
    ...change, then `maturin develop --release`...
    python3 loadtests/ab.py --rounds 5 before=/tmp/before after=pyext

A build may name a log level after a comma, e.g. `after-log=pyext,info` (the access log on); that
server's stderr then goes to a file in a temporary folder (removed at the end), as a deployment's
log would, instead of /dev/null.

Standard library only; needs `wrk`, `taskset`, the repository's .venv and the demo database
(`examples/demo/setup.sh`).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEMO = REPO / "examples" / "demo"
BOLT = Path(os.environ.get("BOLT_BIN", REPO / ".venv" / "bin" / "bolt"))
# name -> (path, wrk script)
ENDPOINTS = {
    "hello": ("/hello", "report.lua"),
    "item": ("/items/42?q=hello", "report.lua"),
    "post": ("/items", "post_items.lua"),
    "users": ("/users", "report.lua"),
    "users_async": ("/users/async", "report.lua"),
    "big": ("/big", "report.lua"),
}


def cpu_ticks(pid: int) -> int:
    """utime + stime of every thread of the process."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        fields = Path(f"/proc/{pid}/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total


def wrk(port: int, path: str, script: str, seconds: int) -> int:
    out = subprocess.run(
        [
            "taskset",
            "-c",
            "1",
            "wrk",
            "-t1",
            "-c64",
            f"-d{seconds}s",
            "-s",
            str(HERE / script),
            f"http://127.0.0.1:{port}{path}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    m = re.search(r'WRKJSON \{"requests":(\d+)', out)
    if not m or '"status":0,' not in out:
        raise SystemExit(f"wrk on :{port}{path} failed or saw non-2xx answers:\n{out}")
    return int(m.group(1))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("builds", nargs="+", help="name=package folder (the folder holding django_bolt/)")
    ap.add_argument("--endpoints", default=",".join(ENDPOINTS))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=int, default=4)
    ap.add_argument("-v", "--verbose", action="store_true", help="print every round's value too")
    args = ap.parse_args()
    builds = dict(b.split("=", 1) for b in args.builds)
    eps = args.endpoints.split(",")
    procs = {}
    logs = tempfile.TemporaryDirectory(prefix="bolt-ab-")
    for i, (name, spec) in enumerate(builds.items()):
        folder, _, level = spec.partition(",")
        level = level or "warning"
        port = 8130 + i
        env = dict(os.environ, PYTHONPATH=f"{Path(folder).resolve()}:{HERE}")
        err = subprocess.DEVNULL if level == "warning" else open(Path(logs.name) / f"{name}.log", "ab")  # noqa: SIM115
        procs[name] = (
            subprocess.Popen(
                [
                    "taskset",
                    "-c",
                    "0",
                    str(BOLT),
                    "--cores",
                    "1",
                    "--port",
                    str(port),
                    "--settings",
                    "bolt_site.settings",
                    "--log-level",
                    level,
                ],
                cwd=DEMO,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=err,
            ),
            port,
        )
    try:
        for name, (proc, port) in procs.items():
            for _ in range(100):
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/hello", timeout=1).read()
                    break
                except OSError:
                    if proc.poll() is not None:
                        raise SystemExit(f"{name} exited with {proc.returncode}") from None
                    time.sleep(0.2)
        us: dict[tuple[str, str], list[float]] = {(n, e): [] for n in procs for e in eps}
        tick = os.sysconf("SC_CLK_TCK")
        for r in range(args.rounds):
            order = list(procs.items()) if r % 2 == 0 else list(reversed(procs.items()))
            for e in eps:
                path, script = ENDPOINTS[e]
                for name, (proc, port) in order:
                    wrk(port, path, script, 1)  # warm-up
                    c0 = cpu_ticks(proc.pid)
                    n = wrk(port, path, script, args.seconds)
                    us[(name, e)].append((cpu_ticks(proc.pid) - c0) / tick * 1e6 / n)
        first = next(iter(procs))
        print(f"server CPU µs/request, median of {args.rounds} rounds (ratio to {first})")
        for e in eps:
            base = statistics.median(us[(first, e)])
            cells = [
                f"{n} {statistics.median(us[(n, e)]):7.1f} ({statistics.median(us[(n, e)]) / base:.3f})" for n in procs
            ]
            print(f"{e:12s} " + "   ".join(cells))
            if args.verbose:
                for n in procs:
                    print(f"{'':12s} {n} runs: " + " ".join(f"{x:.1f}" for x in us[(n, e)]))
    finally:
        for proc, _ in procs.values():
            proc.terminate()
        for proc, _ in procs.values():
            proc.wait(timeout=20)
        logs.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
