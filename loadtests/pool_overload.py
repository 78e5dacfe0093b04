"""The blocking pool under overload and at shutdown (issue 16, items 3 and 9), as figures.

    PYTHONPATH=pyext python loadtests/pool_overload.py overload --cores 2 -n 400 --ms 2000
    PYTHONPATH=pyext python loadtests/pool_overload.py shutdown --cores 1 -n 600 --ms 2000 \\
        -- --blocking-threads 2 --blocking-queue 1000 --shutdown-timeout 2

``overload``: ``n`` connections each send one GET /slow-sync?ms=MS at once; prints how many got
200/503/nothing, when the 503s came and how long the slowest 200 waited.
``shutdown``: the same requests, SIGINT one second later; prints the exit code, the seconds from
SIGINT to exit, whether stderr says "panicked", and what the clients got.
Arguments after ``--`` go to ``bolt``. Runs the demo project with the ``bolt`` beside this Python.
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

DEMO = Path(__file__).resolve().parent.parent / "examples" / "demo"


def start(cores: int, extra: list[str]) -> tuple[subprocess.Popen, int, list[str]]:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    bolt = str(Path(sys.executable).parent / "bolt")
    args = [bolt, "--cores", str(cores), "--host", "127.0.0.1", "--port", "0", *extra]
    p = subprocess.Popen(args, cwd=DEMO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    port = None
    for line in p.stdout:
        m = re.search(r"127\.0\.0\.1:(\d+)", line)
        if m:
            port = int(m.group(1))
            break
    if port is None:
        sys.exit(f"bolt did not start: {p.stderr.read()}")
    err: list[str] = []
    threading.Thread(target=lambda: err.extend(p.stderr), daemon=True).start()
    threading.Thread(target=lambda: collections.deque(p.stdout, 0), daemon=True).start()
    return p, port, err


def send(port: int, n: int, ms: int) -> list[socket.socket]:
    socks = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(f"GET /slow-sync?ms={ms} HTTP/1.1\r\nHost: t\r\n\r\n".encode())
        socks.append(s)
    return socks


def collect(socks: list[socket.socket], t0: float, timeout: float) -> list[tuple[str, float]]:
    out: list = [None] * len(socks)

    def read(i: int) -> None:
        s = socks[i]
        s.settimeout(timeout)
        try:
            data = s.recv(64)
        except OSError as e:
            data = type(e).__name__.encode()
        out[i] = ((data[9:12] if data.startswith(b"HTTP/") else data or b"closed").decode(), time.monotonic() - t0)
        s.close()

    threads = [threading.Thread(target=read, args=(i,)) for i in range(len(socks))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def summary(results: list[tuple[str, float]]) -> str:
    by = collections.defaultdict(list)
    for status, t in results:
        by[status].append(t)
    return ", ".join(f"{k}: {len(v)} (first {min(v):.2f}s, last {max(v):.2f}s)" for k, v in sorted(by.items()))


def main() -> None:
    argv = sys.argv[1:]
    extra = argv[argv.index("--") + 1 :] if "--" in argv else []
    argv = argv[: argv.index("--")] if "--" in argv else argv
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=("overload", "shutdown"))
    ap.add_argument("--cores", type=int, default=1)
    ap.add_argument("-n", type=int, default=400)
    ap.add_argument("--ms", type=int, default=2000)
    a = ap.parse_args(argv)
    p, port, err = start(a.cores, extra)
    try:
        t0 = time.monotonic()
        socks = send(port, a.n, a.ms)
        if a.what == "overload":
            results = collect(socks, t0, timeout=300)
            print(f"{a.n} x {a.ms} ms on {a.cores} core(s) {' '.join(extra)}: {summary(results)}")
            p.send_signal(signal.SIGINT)
            p.wait(60)
            return
        time.sleep(1)
        t1 = time.monotonic()
        p.send_signal(signal.SIGINT)
        results = collect(socks, t1, timeout=60)
        try:
            code = p.wait(300)
        except subprocess.TimeoutExpired:
            code = "alive after 300 s"
        exited = time.monotonic() - t1
        time.sleep(0.2)
        stderr = "".join(err)
        print(
            f"shutdown with {a.n} x {a.ms} ms queued, {' '.join(extra)}: exit {code} {exited:.1f}s after SIGINT, "
            f"panicked in stderr: {'panicked' in stderr}; clients: {summary(results)}"
        )
    finally:
        if p.poll() is None:
            p.kill()


if __name__ == "__main__":
    main()
