#!/usr/bin/env python3
"""Resident memory per core of each isolation mode, on the demo project.

    PYTHONPATH=$PWD/pyext python3 loadtests/isolation_rss.py [--cores 2] [--requests 2000]

Starts ``bolt --cores N`` once per mode, sends every core the same requests (a few routes,
``--requests`` in all, on fresh connections so each worker gets its share), then reads
``/proc/<pid>/status`` (VmRSS and RssAnon+RssShmem) of the server and of each worker process.
Sub-interpreters: one process, so per core = (process RSS) / N, the main interpreter included.
Process isolation: each worker's own RSS (forked pages shared with the supervisor are counted in
each, as RSS does), the supervisor's beside it, and the PSS of them all (shared pages split). Standard library only; the box may be busy:
RSS does not depend on it much, but say so with the numbers.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "examples" / "demo"
PATHS = ["/hello", "/items/42?q=x", "/users", "/big", "/users/async"]


def status_kib(pid: int) -> dict[str, int]:
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "RssAnon", "RssFile", "RssShmem"):
                out[k] = int(v.split()[0])
    # PSS: pages shared with the supervisor (forked, copy-on-write) counted once in all.
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k == "Pss":
                out["Pss"] = int(v.split()[0])
    return out


def children(pid: int) -> list[int]:
    kids: list[int] = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/children") as f:
            kids += [int(x) for x in f.read().split()]
    return sorted(kids)


def measure(bolt: str, cores: int, mode: str, requests: int) -> dict:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    env.pop("DJANGO_SETTINGS_MODULE", None)
    argv = [bolt, "--cores", str(cores), "--port", "0", "--isolation", mode, "--log-level", "warning"]
    proc = subprocess.Popen(argv, cwd=DEMO, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        port = None
        deadline = time.monotonic() + 60
        while port is None and time.monotonic() < deadline:
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", proc.stdout.readline())
            port = int(m.group(1)) if m else None
        if port is None:
            raise SystemExit(f"{mode}: no banner")
        for i in range(requests):
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            c.request("GET", PATHS[i % len(PATHS)])
            c.getresponse().read()
            c.close()
        time.sleep(1.5)  # the cores give freed memory back once a second
        main = status_kib(proc.pid)
        workers = [status_kib(k) for k in children(proc.pid)]
        return {"mode": mode, "cores": cores, "server": main, "workers": workers}
    finally:
        proc.send_signal(2)
        proc.wait(30)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--bolt", default=str(Path(sys.executable).parent / "bolt"))
    args = ap.parse_args()
    for mode in ("subinterpreter", "process"):
        r = measure(args.bolt, args.cores, mode, args.requests)
        mib = lambda kib: f"{kib / 1024:.1f}"  # noqa: E731
        if mode == "subinterpreter":
            rss = r["server"]["VmRSS"]
            print(f"{mode}: process RSS {mib(rss)} MiB for {args.cores} cores = {mib(rss / args.cores)} MiB per core")
        else:
            ws = [w["VmRSS"] for w in r["workers"]]
            anon = [w["RssAnon"] for w in r["workers"]]
            sup = r["server"]["VmRSS"]
            print(
                f"{mode}: worker RSS {', '.join(mib(w) for w in ws)} MiB (anonymous {', '.join(mib(a) for a in anon)}), "
                f"supervisor {mib(sup)} MiB; total {mib(sum(ws) + sup)} MiB = {mib((sum(ws) + sup) / args.cores)} MiB per core"
            )
            pss = sum(w["Pss"] for w in r["workers"]) + r["server"]["Pss"]
            print(f"{mode}: PSS (shared pages split) total {mib(pss)} MiB = {mib(pss / args.cores)} MiB per core")
    return 0


if __name__ == "__main__":
    sys.exit(main())
