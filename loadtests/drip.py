#!/usr/bin/env python3
"""Slow-head clients ("slowloris"): N connections each sending one byte of a request head every
second, against ``bolt --cores 1 --header-timeout T`` serving the demo.

    python3 loadtests/drip.py                         # 2,000 drippers, --header-timeout 3
    python3 loadtests/drip.py --conns 500 --header-timeout 5 --limit 30
    PYTHONPATH=/work/main/pyext python3 loadtests/drip.py   # another checkout's django_bolt

The head deadline must close every dripper by T (+ slack) however often it sends a byte; what
it reports:

- how many drippers the server closed, how many of those got a 408 first, and when (seconds
  after the dripper connected: the deadline counts from the accept);
- a normal client's ``GET /hello`` every 0.2 s meanwhile: statuses and the slowest answer;
- the server's open descriptors (``/proc/<pid>/fd``): before, at the peak, and once the
  drippers are gone (back at the baseline: nothing leaked).

A dripper still open ``--limit`` seconds after it connected counts as never closed (a server
whose deadline restarts on every byte keeps them all). Needs only the standard library and
the venv's ``bolt`` (or ``$BOLT_BIN``).
"""

from __future__ import annotations

import argparse
import os
import selectors
import socket
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from support.boltproc import BoltProcess  # noqa: E402
from support.projects import run_demo_setup  # noqa: E402

HEAD = b"GET /hello HTTP/1.1\r\nHost: drip\r\n" + b"X-Drip: " + b"a" * 4000


def fd_count(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def settle_fds(pid: int, baseline: int, timeout: float) -> int:
    """The server's descriptor count once it is back at ``baseline`` (or after ``timeout``)."""
    deadline = time.monotonic() + timeout
    n = fd_count(pid)
    while n > baseline and time.monotonic() < deadline:
        time.sleep(0.1)
        n = fd_count(pid)
    return n


class Normal(threading.Thread):
    """A well-behaved client: ``GET /hello`` on a fresh connection every 0.2 s."""

    def __init__(self, port: int):
        super().__init__(daemon=True)
        self.port = port
        self.stop = threading.Event()
        self.statuses: list[int | str] = []
        self.slowest = 0.0

    def run(self) -> None:
        while not self.stop.wait(0.2):
            t0 = time.monotonic()
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
                    s.sendall(b"GET /hello HTTP/1.1\r\nHost: n\r\nConnection: close\r\n\r\n")
                    data = b""
                    while chunk := s.recv(65536):
                        data += chunk
                self.statuses.append(int(data.split(b" ", 2)[1]))
            except (OSError, IndexError, ValueError) as e:
                self.statuses.append(type(e).__name__)
            self.slowest = max(self.slowest, time.monotonic() - t0)


def drip(port: int, n: int, limit: float, pid: int | None = None) -> dict:
    """Opens ``n`` drippers and feeds each a byte a second until the server closes it or
    ``limit`` seconds pass; returns what happened (see the module docstring)."""
    sel = selectors.DefaultSelector()
    opened: dict[socket.socket, float] = {}
    sent: dict[socket.socket, int] = {}
    peak_fds = 0
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.setblocking(False)
        opened[s] = time.monotonic()
        sent[s] = 0
        sel.register(s, selectors.EVENT_READ)
    closed_after: list[float] = []
    got_408 = 0
    next_tick = time.monotonic()
    while opened:
        now = time.monotonic()
        if now >= next_tick:
            next_tick = now + 1.0
            if pid is not None:
                peak_fds = max(peak_fds, fd_count(pid))
            for s in list(opened):
                if now - opened[s] > limit:
                    continue
                try:
                    s.send(HEAD[sent[s] : sent[s] + 1])
                    sent[s] = (sent[s] + 1) % len(HEAD)
                except (BlockingIOError, InterruptedError):
                    pass
                except OSError:
                    pass  # closed by the server: the read below sees it
        if all(now - t > limit for t in opened.values()):
            break
        for key, _ in sel.select(timeout=max(0.0, next_tick - time.monotonic())):
            s = key.fileobj
            try:
                data = s.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if data.startswith(b"HTTP/1.1 408"):
                got_408 += 1
            if data and not data.startswith(b"HTTP/"):
                continue
            # A response (the server closes after it) or the close itself: this dripper is done.
            closed_after.append(time.monotonic() - opened.pop(s))
            sel.unregister(s)
            s.close()
    still_open = len(opened)
    for s in opened:
        sel.unregister(s)
        s.close()
    return {
        "closed": len(closed_after),
        "got_408": got_408,
        "never_closed": still_open,
        "closed_after_max": max(closed_after, default=0.0),
        "closed_after_min": min(closed_after, default=0.0),
        "peak_fds": peak_fds,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--conns", type=int, default=2000)
    ap.add_argument("--header-timeout", type=float, default=3.0)
    ap.add_argument("--limit", type=float, default=20.0, help="give up on a dripper after this many seconds")
    ap.add_argument("--driver", default="auto")
    ap.add_argument("--extra", default="", help="more bolt flags, space-separated")
    args = ap.parse_args()

    run_demo_setup()
    extra = ["--header-timeout", str(args.header_timeout), *args.extra.split()]
    server = BoltProcess.start(cores=1, driver=args.driver, extra=extra)
    try:
        time.sleep(0.5)
        baseline = fd_count(server.pid)
        normal = Normal(server.port)
        normal.start()
        t0 = time.monotonic()
        r = drip(server.port, args.conns, args.limit, server.pid)
        took = time.monotonic() - t0
        normal.stop.set()
        normal.join()
        after = settle_fds(server.pid, baseline, timeout=10)
    finally:
        code = server.stop()
    ok = [s for s in normal.statuses if s == 200]
    print(
        f"drippers {args.conns}, --header-timeout {args.header_timeout}: closed {r['closed']} "
        f"({r['got_408']} with 408) after {r['closed_after_min']:.1f}-{r['closed_after_max']:.1f} s, "
        f"never closed (>{args.limit:.0f} s) {r['never_closed']}; run {took:.1f} s"
    )
    print(
        f"normal client: {len(ok)}/{len(normal.statuses)} x 200, slowest {normal.slowest * 1000:.0f} ms; "
        f"server fds: baseline {baseline}, peak {r['peak_fds']}, after {after}; exit code {code}"
    )
    good = (
        r["never_closed"] == 0
        and r["closed_after_max"] <= args.header_timeout + 2
        and len(ok) == len(normal.statuses) > 0
        and after <= baseline
    )
    print("PASS" if good else "FAIL")
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
