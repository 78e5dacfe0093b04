#!/usr/bin/env python3
"""SIGTERM under wrk load: how many requests a client that does not retry sees fail (issue 16,
item 6).

    python3 loadtests/drain_wrk.py                      # 5 tries, 64 connections, io_uring
    python3 loadtests/drain_wrk.py --tries 3 --driver epoll --connections 128
    PYTHONPATH=/work/main/pyext python3 loadtests/drain_wrk.py   # another checkout's django_bolt

Each try starts ``bolt --cores 2`` on the demo, runs ``wrk -t1 -c N -d 4s /hello`` and sends the
server SIGTERM after ``--after`` seconds, then reports wrk's socket errors. ``read`` errors are
requests whose connection closed or was reset before a whole response came: a keep-alive
connection closed while a request was on the wire, or (before the drain accepted what the
listener still queued) a connection reset because it was still in the listen queue when the
listener closed. ``write`` (and ``connect``) errors are wrk's reconnects refused once the
listeners are closed, expected after the signal (wrk counts a failed non-blocking connect as a
write error). A retrying client (tests/h1/test_drain.py) must see none of the former.
Needs wrk and the venv's ``bolt`` (or ``$BOLT_BIN``).
"""

from __future__ import annotations

import argparse
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from support.boltproc import BoltProcess  # noqa: E402
from support.projects import run_demo_setup  # noqa: E402

ERRORS = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
REQUESTS = re.compile(r"(\d+) requests in")


def one_try(driver: str, connections: int, after: float) -> dict[str, int]:
    bolt = BoltProcess.start(cores=2, driver=driver)
    try:
        wrk = subprocess.Popen(
            ["wrk", "-t1", f"-c{connections}", "-d4s", f"http://127.0.0.1:{bolt.port}/hello"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        time.sleep(after)
        bolt.proc.send_signal(signal.SIGTERM)
        out, _ = wrk.communicate(timeout=60)
        code = bolt.wait_exit(30)
    finally:
        bolt.kill()
    m = ERRORS.search(out)
    connect, read, write, timeout = (int(x) for x in m.groups()) if m else (0, 0, 0, 0)
    n = REQUESTS.search(out)
    return {
        "requests": int(n.group(1)) if n else 0,
        "connect": connect,
        "read": read,
        "write": write,
        "timeout": timeout,
        "exit": code,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tries", type=int, default=5)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--after", type=float, default=2.0, help="seconds of load before SIGTERM")
    ap.add_argument("--driver", default="uring", choices=["uring", "epoll", "auto"])
    args = ap.parse_args()
    run_demo_setup()
    reads = []
    for i in range(args.tries):
        r = one_try(args.driver, args.connections, args.after)
        reads.append(r["read"])
        print(
            f"try {i + 1}: {r['requests']} requests; socket errors: read {r['read']}, write {r['write']}, "
            f"connect {r['connect']}, timeout {r['timeout']}; bolt exit {r['exit']}",
            flush=True,
        )
    print(f"read errors per try ({args.driver}, -c{args.connections}): {'/'.join(map(str, reads))}")


if __name__ == "__main__":
    main()
