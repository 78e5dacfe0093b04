#!/usr/bin/env python3
"""User-space instructions per request of bolt (or the floor server), counted by callgrind.

    python3 loadtests/instructions.py before=/tmp/before after=pyext          # GET /hello
    python3 loadtests/instructions.py --endpoint item --top 40 after=pyext
    python3 loadtests/instructions.py floor=@target/release/examples/floor    # the floor server
    python3 loadtests/instructions.py --endpoint jwt --top 40 after=pyext      # /hello behind JWT (run.py's jwt row)
    python3 loadtests/instructions.py quiet=pyext logged=pyext,info            # the access log's cost

CPU time per request moves by tens of percent on this shared box; the number of instructions
the server executes per request does not depend on how busy the box is. Where the CPU has no
usable performance counters (this VM: "PMU not available due to virtualization", so `perf stat
-e instructions` reports `<not supported>`), valgrind's callgrind counts them instead: each build
(`name=package folder`, as in ab.py, or `name=@binary` for the floor server) is started in turn
under `valgrind --tool=callgrind --instr-atstart=no` on cpu0 with the load-test site; once it
answers, counting is switched on, a warm-up of `--warmup` seconds of wrk runs, the counters are
zeroed, wrk runs `--seconds` seconds (`-t1 -c64` on cpu1, as run.py), and the counters are
dumped: instructions (Ir) / requests wrk completed. Under callgrind the server is about 50x
slower, so a run completes a few thousand requests. Kernel work (system calls) is not counted.

It prints, per build, instructions per request and the `--top` functions by their own
instructions per request (`callgrind_annotate`), and keeps the dumps with `--keep DIR`
(`callgrind_annotate --inclusive=yes --tree=calling DIR/<name>.out` explains a function's
callees). Needs `valgrind` (apt-get install -y valgrind), `wrk`, `taskset`.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
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
sys.path.insert(0, str(HERE))
from ab import ENDPOINTS  # noqa: E402  (one table of the endpoints and their wrk scripts)
from run import demo_secret_key  # noqa: E402

# run.py's `jwt` row: /hello behind JWTAuthentication + IsAuthenticated, with a bearer token.
ENDPOINTS = {**ENDPOINTS, "jwt": ("/secure/hello-jwt", "report.lua")}


def bearer(python: Path) -> list[str]:
    """wrk's header arguments for the jwt endpoint: an HS256 token for user 1 (as run.py mints it)."""
    claims = f'{{"sub":"1","exp":{int(time.time()) + 3600}}}'
    code = "import sys\nfrom django_bolt import _native\nprint(_native.jwt_encode('HS256', sys.argv[1].encode(), sys.argv[2].encode()))"
    tok = subprocess.run(
        [str(python), "-c", code, demo_secret_key(), claims], capture_output=True, text=True, check=True
    )
    return ["-H", f"Authorization: Bearer {tok.stdout.strip()}"]


def wrk(port: int, path: str, script: str, seconds: int, headers: list[str] = (), connections: int = 64) -> int:
    """Requests completed; wrk's timeouts (the server is slow under callgrind) are not counted."""
    argv = ["taskset", "-c", "1", "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s", *headers]
    argv += ["-s", str(HERE / script), f"http://127.0.0.1:{port}{path}"]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    m = re.search(r'WRKJSON \{"requests":(\d+)', out)
    if not m or '"status":0,' not in out:
        raise SystemExit(f"wrk on :{port}{path} failed or saw non-2xx answers:\n{out}")
    return int(m.group(1))


def control(pid: int, *args: str) -> None:
    subprocess.run(["callgrind_control", *args, str(pid)], check=True, capture_output=True)


def count(name: str, spec: str, port: int, endpoint: str, args, outdir: Path) -> tuple[int, int, Path]:
    """Runs one build under callgrind: (instructions, requests, dump file)."""
    out = outdir / f"{name}.%p"
    vg = ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}"]
    if spec.startswith("@"):  # the floor server (pins its own thread to cpu0)
        argv = ["taskset", "-c", "0", *vg, spec[1:], "--port", str(port), "--cores", "0"]
        env = dict(os.environ)
    else:
        # `folder,info`: the same build with its access log on (run.py's hello_log row).
        spec, _, level = spec.partition(",")
        python = BOLT.parent / "python"
        argv = ["taskset", "-c", "0", *vg, str(python), str(BOLT), "--cores", "1", "--port", str(port)]
        argv += ["--settings", "bolt_site.settings", "--log-level", level or "warning"]
        env = dict(os.environ, PYTHONPATH=f"{Path(spec).resolve()}:{HERE}")
    proc = subprocess.Popen(argv, cwd=DEMO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + args.start_timeout
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/hello", timeout=30).read()
                break
            except OSError:
                if proc.poll() is not None:
                    raise SystemExit(f"{name} exited with {proc.returncode} during start-up") from None
                if time.monotonic() > deadline:
                    raise SystemExit(f"{name} did not answer within {args.start_timeout} s") from None
                time.sleep(1)
        path, script = ENDPOINTS[endpoint]
        headers = bearer(BOLT.parent / "python") if endpoint == "jwt" else []
        control(proc.pid, "-i", "on")
        wrk(port, path, script, args.warmup, headers, args.connections)
        control(proc.pid, "-z")
        n = wrk(port, path, script, args.seconds, headers, args.connections)
        before = set(outdir.iterdir())
        control(proc.pid, "-d")
        for _ in range(100):
            new = [p for p in set(outdir.iterdir()) - before if p.stat().st_size > 0]
            if new:
                break
            time.sleep(0.2)
        else:
            raise SystemExit(f"{name}: callgrind wrote no dump")
        time.sleep(1)  # let it finish writing
        dump = new[0]
        m = re.search(r"^summary: (\d+)", dump.read_text(errors="replace"), re.M)
        if not m:
            raise SystemExit(f"{name}: no summary line in {dump}")
        return int(m.group(1)), n, dump
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()


def top_functions(dump: Path, requests: int, top: int) -> list[str]:
    text = subprocess.run(["callgrind_annotate", str(dump)], capture_output=True, text=True).stdout
    rows = []
    for line in text.splitlines():
        m = re.match(r"\s*([\d,]+) \(\s*[\d.]+%\)\s+(.*)", line)
        if m and "PROGRAM TOTALS" not in line:
            fn = re.sub(r" \[[^]]*\]$", "", m.group(2))
            rows.append(f"{int(m.group(1).replace(',', '')) / requests:9.0f}  {fn[:150]}")
    return rows[:top]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("builds", nargs="+", help="name=package folder, or name=@binary (the floor server)")
    ap.add_argument("--endpoint", default="hello", choices=sorted(ENDPOINTS))
    ap.add_argument("--seconds", type=int, default=20, help="counted wrk run (default 20)")
    ap.add_argument("--warmup", type=int, default=5, help="wrk seconds before counting (default 5)")
    ap.add_argument(
        "--connections",
        type=int,
        default=64,
        help="wrk connections (default 64, as run.py). The requests still in flight when wrk stops are "
        "counted in the instructions but not in the requests: on a slow endpoint (/big under callgrind "
        "answers a few a second) use 1",
    )
    ap.add_argument("--top", type=int, default=25, help="functions listed per build (default 25)")
    ap.add_argument("--start-timeout", type=int, default=900, help="seconds a build may take to answer")
    ap.add_argument("--keep", help="keep the callgrind dumps in this folder")
    ap.add_argument("--port", type=int, default=8150, help="first build's port (default 8150; then +1 each)")
    args = ap.parse_args()
    if not shutil.which("valgrind"):
        raise SystemExit("valgrind is not installed (apt-get install -y valgrind)")
    builds = dict(b.split("=", 1) for b in args.builds)
    outdir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bolt-callgrind-"))
    outdir.mkdir(parents=True, exist_ok=True)
    results = {}
    try:
        for i, (name, spec) in enumerate(builds.items()):
            if spec.startswith("@") and args.endpoint != "hello":
                continue  # the floor answers /hello only
            ins, n, dump = count(name, spec, args.port + i, args.endpoint, args, outdir)
            results[name] = ins / n
            print(f"{name}: {ins:,} instructions / {n:,} requests = {ins / n:,.0f} per request ({args.endpoint})")
            for row in top_functions(dump, n, args.top):
                print("   " + row)
            if args.keep:
                dump.rename(outdir / f"{name}.out")
    finally:
        if not args.keep:
            shutil.rmtree(outdir, ignore_errors=True)
    first = next(iter(results.values()), None)
    if first:
        print("user-space instructions per request (ratio to the first):")
        for name, v in results.items():
            print(f"  {name:12s} {v:9,.0f}  ({v / first:.3f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
