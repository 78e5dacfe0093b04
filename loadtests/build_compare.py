#!/usr/bin/env python3
"""Two builds of django-bolt side by side on the JSON endpoints: the same project
(loadtests/bolt_site) served by each build's package, wrk against each in turn, rounds
interleaved so machine drift hits both alike. Used to price the portable build (no
target-cpu) against an x86-64-v3 (AVX2) one.

    python3 loadtests/build_compare.py A=/path/a/pyext B=/path/b/pyext [--rounds 3] [--seconds 5]

Each NAME=DIR is a directory holding a django_bolt package with its built _native module.
Prints requests/s per round and the median ratio of the later builds to the first.
Standard library only; needs wrk and the demo database (examples/demo/setup.sh).
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEMO = REPO / "examples" / "demo"
ENDPOINTS = {
    "GET /big": ("/big", "report.lua"),
    "POST /items": ("/items", "post_items.lua"),
    "POST /orders": ("/orders", "post_orders.lua"),
}
BANNER = re.compile(r"listening on http://127\.0\.0\.1:(\d+)")


def start(pkg: str, python: str) -> tuple[subprocess.Popen, int]:
    env = dict(os.environ, PYTHONPATH=f"{pkg}{os.pathsep}{HERE}", PYTHONUNBUFFERED="1")
    env.pop("DJANGO_SETTINGS_MODULE", None)
    args = [python, "-m", "django_bolt", "--cores", "1", "--port", "0", "--settings", "bolt_site.settings"]
    p = subprocess.Popen(args, cwd=DEMO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = p.stdout.readline()
        if not line:
            break
        m = BANNER.search(line)
        if m:
            return p, int(m.group(1))
    p.kill()
    raise SystemExit(f"{pkg}: bolt did not start")


def wrk(port: int, path: str, script: str, seconds: int) -> float:
    out = subprocess.run(
        ["wrk", "-t1", "-c32", f"-d{seconds}s", "-s", str(HERE / script), f"http://127.0.0.1:{port}{path}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if not m or non2xx:
        raise SystemExit(f"wrk {path}: {out}")
    return float(m.group(1))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("builds", nargs="+", help="NAME=DIR of a django_bolt package")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--python", default=sys.executable)
    a = ap.parse_args()
    builds = [b.split("=", 1) for b in a.builds]
    servers = {name: start(pkg, a.python) for name, pkg in builds}
    rps: dict[tuple[str, str], list[float]] = {}
    try:
        for rnd in range(a.rounds):
            order = builds if rnd % 2 == 0 else builds[::-1]
            for ep, (path, script) in ENDPOINTS.items():
                for name, _ in order:
                    r = wrk(servers[name][1], path, script, a.seconds)
                    rps.setdefault((name, ep), []).append(r)
                    print(f"round {rnd + 1} {ep:14} {name:10} {r:10.0f} req/s", flush=True)
    finally:
        for p, _ in servers.values():
            p.send_signal(signal.SIGINT)
            p.wait(timeout=20)
    first = builds[0][0]
    print("\nmedian req/s (ratio to " + first + ")")
    for ep in ENDPOINTS:
        base = statistics.median(rps[(first, ep)])
        cells = [
            f"{n} {statistics.median(rps[(n, ep)]):.0f} ({statistics.median(rps[(n, ep)]) / base:.3f})"
            for n, _ in builds
        ]
        print(f"{ep:14} " + " | ".join(cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
