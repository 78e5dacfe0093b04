#!/usr/bin/env python3
"""Resident memory of two-core servers, idle and after a soak: bolt against django-bolt 0.13.

    python3 loadtests/memory.py                  # 30 s soak per server
    python3 loadtests/memory.py --soak 10 --json /tmp/memory.json
    python3 loadtests/run.py ... --memory        # the same, appended to run.py's report

Starts `bolt --cores 2` (the load-test site, as run.py starts bolt) and django-bolt
`manage.py runbolt --processes 2 --workers 1` (as run.py starts its one-process instance),
neither pinned. It reads the memory of each server's whole process tree (django-bolt forks a
worker process per `--processes`; bolt is one process with a sub-interpreter per core):

* **RSS**: the sum of `VmRSS` over the tree, the figure the issue asks for. Pages a forked
  worker still shares with its parent are counted once per process here;
* **PSS**: the sum of `Pss` (smaps_rollup), where each shared page is split between the
  processes that map it, so the tree's total counts it once. For one process the two are
  close; for a forked tree PSS is the fairer total.

Idle: once both answer, after 2 s. Then each server in turn gets the soak: `--soak` seconds of
six wrk clients at once, one per endpoint (`/hello`, `/items/42?q=hello`, `POST /items`,
`/users`, `/users/async`, `/big`), 8 connections each; the other server sits idle meanwhile.
After: 2 s after its soak ended (bolt's cores give freed memory back once a second). Any non-2xx
answer or socket error aborts.

Needs what run.py needs (wrk, the demo DB, `loadtests/.venv-competitor`: run run.py once first).
Memory hardly depends on how busy the box is; the request counts do.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import run  # noqa: E402  (the servers and process-tree helpers of the load tests)
from ab import ENDPOINTS as SOAK  # noqa: E402  (the mixed soak: one wrk per endpoint, all at once)

SETTLE_S = 2.0


def tree_memory(root: int) -> dict:
    """{'rss_kib', 'pss_kib', 'processes'} summed over `root` and its descendants."""
    rss = pss = n = 0
    for pid in run.process_tree(root):
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        rss += int(line.split()[1])
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        pss += int(line.split()[1])
            n += 1
        except OSError:  # a process that ended while we read
            continue
    return {"rss_kib": rss, "pss_kib": pss, "processes": n}


def servers(bolt_bin: str) -> list[run.Server]:
    """bolt --cores 2 and django-bolt --processes 2, configured as run.py configures them."""
    env = dict(os.environ, DJANGO_SETTINGS_MODULE=run.BOLT_SETTINGS, PYTHONUNBUFFERED="1")
    env["PYTHONPATH"] = os.pathsep.join(d for d in (str(HERE), os.environ.get("PYTHONPATH")) if d)
    env.pop("BENCH_COMPRESSION", None)
    bp = run.free_port()
    bolt_argv = [bolt_bin, "--cores", "2", "--settings", run.BOLT_SETTINGS, "--host", "127.0.0.1"]
    bolt_argv += ["--port", str(bp), "--log-level", "warning"]
    bolt = run.Server("bolt-mem", "bolt --cores 2", bolt_argv, run.DEMO_DIR, env, None, bp)
    cenv = dict(os.environ, DJANGO_SETTINGS_MODULE="compsite.settings", PYTHONUNBUFFERED="1")
    cenv.pop("PYTHONPATH", None)
    cenv.pop("BENCH_COMPRESSION", None)
    cp = run.free_port()
    comp_argv = [str(run.COMP_VENV / "bin" / "python"), "manage.py", "runbolt", "--processes", "2", "--workers", "1"]
    comp_argv += ["--host", "127.0.0.1", "--port", str(cp), "--no-admin"]
    comp = run.Server("competitor-mem", "django-bolt --processes 2", comp_argv, run.COMP_DIR, cenv, None, cp)
    return [bolt, comp]


def soak(server: run.Server, seconds: int) -> int:
    """Runs the mixed wrk clients against `server` at once; the requests they completed."""
    procs = []
    for path, script in SOAK.values():
        # A long timeout: on a busy box a slow answer is not what this measures.
        argv = ["wrk", "-t1", "-c8", f"-d{seconds}s", "--timeout", "30s", "-s", str(HERE / script), server.base + path]
        procs.append((path, subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)))
    total = 0
    for path, p in procs:
        out, _ = p.communicate(timeout=seconds + 60)
        m = re.search(r"WRKJSON (\{.*\})", out)
        if p.returncode != 0 or not m:
            raise run.Abort(f"wrk on {server.key} {path} failed:\n{out}")
        res = json.loads(m.group(1))
        bad = {k: v for k, v in res["errors"].items() if v}
        if bad or not res["requests"]:
            raise run.Abort(f"{server.key} {path}: {bad or 'no request completed'} during the soak")
        total += res["requests"]
    return total


def measure(bolt_bin: str, seconds: int) -> dict:
    srvs = servers(bolt_bin)
    out: dict = {"soak_s": seconds, "endpoints": [p for p, _ in SOAK.values()], "servers": {}}
    try:
        for s in srvs:
            s.start(timeout=600)  # two interpreters starting on a busy box take a while
        time.sleep(SETTLE_S)
        for s in srvs:
            out["servers"][s.key] = {"label": s.label, "argv": s.argv, "idle": tree_memory(s.proc.pid)}
        for s in srvs:
            n = soak(s, seconds)
            s.ensure_alive()
            time.sleep(SETTLE_S)
            out["servers"][s.key].update(requests=n, after=tree_memory(s.proc.pid))
    finally:
        for s in srvs:
            s.stop()
    return out


def render(res: dict) -> list[str]:
    """The Markdown section of run.py's report."""

    def mib(kib: int) -> str:
        return f"{kib / 1024:.1f}"

    b, c = res["servers"]["bolt-mem"], res["servers"]["competitor-mem"]
    lines = [
        "",
        f"### Memory: two cores, idle and after a {res['soak_s']} s mixed soak",
        "",
        "Sum over each server's process tree (MiB). RSS counts a page shared by forked processes once per "
        "process; PSS splits it between them. The soak: one wrk per endpoint at once, 8 connections each "
        f"({', '.join(res['endpoints'])}). `python3 loadtests/memory.py --soak {res['soak_s']}`.",
        "",
        "| server | processes | idle RSS | idle PSS | requests in the soak | after RSS | after PSS |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for s in (b, c):
        lines.append(
            f"| {s['label']} | {s['after']['processes']} | {mib(s['idle']['rss_kib'])} | {mib(s['idle']['pss_kib'])} "
            f"| {s['requests']:,} | {mib(s['after']['rss_kib'])} | {mib(s['after']['pss_kib'])} |"
        )
    idle = b["idle"]["rss_kib"] / c["idle"]["rss_kib"]
    after = b["after"]["rss_kib"] / c["after"]["rss_kib"]
    verdict = "met" if idle <= 1 and after <= 1 else "**not met**"
    lines += [
        "",
        f"bolt / django-bolt RSS: idle **{idle:.2f}**, after the soak **{after:.2f}** "
        f"(PSS {b['idle']['pss_kib'] / c['idle']['pss_kib']:.2f} and {b['after']['pss_kib'] / c['after']['pss_kib']:.2f}); "
        f"target ≤ 1.0 (issue 15): {verdict}.",
    ]
    return lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--soak", type=int, default=30, help="seconds of mixed load per server (default 30)")
    ap.add_argument("--json", help="also write the raw figures here")
    args = ap.parse_args()
    bolt_bin = os.environ.get("BOLT_BIN", str(run.REPO / ".venv" / "bin" / "bolt"))
    if not (run.COMP_VENV / "bin" / "python").exists():
        raise SystemExit(f"{run.COMP_VENV} is missing: run loadtests/run.py once (it creates it)")
    try:
        res = measure(bolt_bin, args.soak)
    except run.Abort as e:
        print(f"ABORT: {e}", file=sys.stderr)
        return 2
    print("\n".join(render(res)))
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
