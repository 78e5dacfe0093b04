#!/usr/bin/env python3
"""Where a server's CPU goes on one endpoint, by shared object: bolt against django-bolt 0.13.

    python3 loadtests/profile_share.py --endpoint big          # GET /big, both servers
    python3 loadtests/profile_share.py --endpoint hello --seconds 10

Starts bolt (`--cores 1`) and django-bolt (`runbolt --processes 1 --workers 1`) as run.py does,
one after the other, each pinned to cpu0 with `wrk -t1 -c64` on cpu1, and samples the server's
whole process with `perf record -e cpu-clock` (a software clock, so it works without hardware
counters) for `--seconds`, then `perf report --sort dso`. Each sample lands in one shared
object, which gives the split the issue asks for on GET /big:

* **the handler's Python**: samples in libpython (the interpreter running `big()`, building
  1000 dicts, and any Python the framework runs per request: for django-bolt its Python
  request wrapper lands here too, so its framework share below is an underestimate);
* **the framework**: everything else: the server's own native code (bolt's `_native`, for
  django-bolt its Actix/PyO3 `_core` and msgspec's encoder), the allocators, libc, and the
  kernel (system calls, TCP).

It prints both shares per server, the framework's CPU per request (share x CPU µs/request,
measured from /proc over the same window) and the ratio of bolt's framework share to
django-bolt's (target ≤ 0.5 on GET /big, issue 15). Samples are a few thousand: shares move by
a point or two between runs, and the box's other load inflates every figure (say how busy it was).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import memory  # noqa: E402  (the servers as run.py starts them)
import run  # noqa: E402

PATHS = {
    "big": "/big",
    "hello": "/hello",
    "item": "/items/42?q=hello",
    "users": "/users",
    "users_async": "/users/async",
}


def shares(data: Path, sort: str) -> dict[str, float]:
    """Percent of samples per shared object (``sort="dso"``) or per symbol (``"sym"``)."""
    out = subprocess.run(
        ["perf", "report", "-i", str(data), "--sort", sort, "--stdio", "--no-children"],
        capture_output=True,
        text=True,
    ).stdout
    # A symbol line reads "12.34%  [.] name" ([k] in the kernel); a dso line "12.34%  name".
    line = re.compile(r"\s*([\d.]+)%\s+(?:\[[.k]\]\s+)?(\S.*)$" if sort == "sym" else r"\s*([\d.]+)%\s+(\S.*)$")
    found = {}
    for text in out.splitlines():
        m = line.match(text)
        if m:
            found[m.group(2).strip()] = float(m.group(1))
    return found


def profile(server: run.Server, path: str, seconds: int, tmp: Path) -> dict:
    server.pin = {0}
    server.start(timeout=600)
    try:
        run.pin_tree(server.proc.pid, {0})
        url = server.base + path
        subprocess.run(["taskset", "-c", "1", "wrk", "-t1", "-c64", "-d2s", url], capture_output=True, check=True)
        data = tmp / f"{server.key}.data"
        pids = ",".join(str(p) for p in run.process_tree(server.proc.pid))
        wrk = subprocess.Popen(
            ["taskset", "-c", "1", "wrk", "-t1", "-c64", f"-d{seconds + 2}s", "-s", str(HERE / "report.lua"), url],
            stdout=subprocess.PIPE,
            text=True,
        )
        time.sleep(1)
        t0 = run.tree_cpu_ticks(server.proc.pid)
        subprocess.run(
            [
                "perf",
                "record",
                "-q",
                "-e",
                "cpu-clock",
                "-F",
                "999",
                "-p",
                pids,
                "-o",
                str(data),
                "--",
                "sleep",
                str(seconds),
            ],
            capture_output=True,
            check=True,
        )
        cpu_s = (run.tree_cpu_ticks(server.proc.pid) - t0) / run.CLK_TCK
        out, _ = wrk.communicate()
        m = re.search(r'WRKJSON \{"requests":(\d+),"duration_us":(\d+)', out)
        rate = int(m.group(1)) / (int(m.group(2)) / 1e6)
        return {
            "shares": shares(data, "dso"),
            "symbols": shares(data, "sym"),
            "cpu_us_per_req": cpu_s * 1e6 / (rate * seconds),
        }
    finally:
        server.stop()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--endpoint", default="big", choices=sorted(PATHS))
    ap.add_argument("--seconds", type=int, default=15)
    ap.add_argument(
        "--symbols",
        type=int,
        default=0,
        metavar="N",
        help="also print the N symbols that cost most, as µs per request on each server",
    )
    args = ap.parse_args()
    bolt_bin = os.environ.get("BOLT_BIN", str(run.REPO / ".venv" / "bin" / "bolt"))
    bolt, comp = memory.servers(bolt_bin)
    bolt.argv[bolt.argv.index("--cores") + 1] = "1"
    bolt.label = "bolt --cores 1"
    comp.argv[comp.argv.index("--processes") + 1] = "1"
    comp.label = "django-bolt --processes 1"
    framework, framework_us, symbol_us = {}, {}, {}
    with tempfile.TemporaryDirectory(prefix="bolt-share-") as tmp:
        for s in (bolt, comp):
            r = profile(s, PATHS[args.endpoint], args.seconds, Path(tmp))
            py = sum(v for k, v in r["shares"].items() if "libpython" in k)
            fw = 100.0 - py
            framework[s.key] = fw
            framework_us[s.key] = fw / 100 * r["cpu_us_per_req"]
            top = ", ".join(f"{k} {v:.1f}%" for k, v in sorted(r["shares"].items(), key=lambda kv: -kv[1])[:6])
            print(
                f"{s.label}: {r['cpu_us_per_req']:.1f} µs/request; handler's Python (libpython) {py:.1f}%, "
                f"framework {fw:.1f}% = {fw / 100 * r['cpu_us_per_req']:.1f} µs/request"
            )
            print(f"    by object: {top}")
            symbol_us[s.key] = {k: v / 100 * r["cpu_us_per_req"] for k, v in r["symbols"].items()}
    ratio = framework[bolt.key] / framework[comp.key]
    ratio_us = framework_us[bolt.key] / framework_us[comp.key]
    print(
        f"GET {PATHS[args.endpoint]}: framework share, bolt / django-bolt: {ratio:.2f}; "
        f"framework µs per request, bolt / django-bolt: {ratio_us:.2f}"
    )
    if args.symbols:
        b, c = symbol_us[bolt.key], symbol_us[comp.key]
        names = sorted(set(b) | set(c), key=lambda k: -max(b.get(k, 0.0), c.get(k, 0.0)))[: args.symbols]
        print(f"{'µs/request':>10} {'bolt':>8} {'django-bolt':>12}  symbol")
        for k in names:
            print(f"{'':>10} {b.get(k, 0.0):8.2f} {c.get(k, 0.0):12.2f}  {k[:90]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
