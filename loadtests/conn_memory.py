#!/usr/bin/env python3
"""What idle keep-alive connections and a rejected large body cost a server, and whether the
memory comes back (issue 16, item 5).

    python3 loadtests/conn_memory.py --connections 5000 --settle 60

Starts ``bolt --cores 1`` on the demo project, then reports its RSS (``/proc/<pid>/status``):
at rest after a warm-up, with N idle keep-alive connections open (each has answered one
``GET /hello``), ``settle`` seconds after they all closed, and the same around a 10 MiB
chunked body that the server refuses (413, above ``--max-body``). Each figure after a spike is
also given as a share of the RSS before it (issue 16's target: within 10% a minute after).
``--driver`` picks bolt's I/O driver (uring, epoll, auto), ``--huge-pages`` passes bolt's flag
on (its default when not given). Each RSS is followed by the part of it in transparent huge
pages (``AnonHugePages`` of ``/proc/<pid>/smaps_rollup``).
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "examples" / "demo"
BANNER = re.compile(rb"listening on http://127\.0\.0\.1:(\d+)")
HELLO = b"GET /hello HTTP/1.1\r\nHost: m\r\n\r\n"


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def huge_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("AnonHugePages:"):
            return int(line.split()[1])
    return 0


def read_response(s: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    m = re.search(rb"(?i)content-length: *(\d+)", head)
    want = int(m.group(1)) if m else 0
    while len(body) < want:
        chunk = s.recv(65536)
        if not chunk:
            break
        body += chunk
    return head


def start(bolt: str, driver: str, huge_pages: str | None) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen(
        [
            bolt,
            "--cores",
            "1",
            "--port",
            "0",
            "--log-level",
            "warning",
            "--max-body",
            str(1 << 20),
            "--driver",
            driver,
            *(["--huge-pages", huge_pages] if huge_pages else []),
        ],
        cwd=DEMO,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    line = b""
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        m = BANNER.search(line)
        if m:
            return proc, int(m.group(1))
    proc.kill()
    raise RuntimeError(f"no banner: {line!r}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--connections", type=int, default=5000)
    ap.add_argument("--settle", type=float, default=60.0, help="seconds to wait after closing")
    ap.add_argument("--bolt", default=str(Path(sys.executable).parent / "bolt"))
    ap.add_argument("--idle-wait", type=float, default=3.0, help="seconds before measuring the idle ones")
    ap.add_argument("--driver", default="auto", choices=["auto", "uring", "epoll"])
    ap.add_argument("--huge-pages", choices=["on", "off"], help="bolt's --huge-pages (default: bolt's)")
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, args.connections + 1000)), hard))

    proc, port = start(args.bolt, args.driver, args.huge_pages)
    huge = {}
    try:
        with socket.create_connection(("127.0.0.1", port)) as s:
            for _ in range(2000):
                s.sendall(HELLO)
                read_response(s)
        time.sleep(1)
        base = rss_kib(proc.pid)
        huge["base"] = huge_kib(proc.pid)
        conns = []
        for _ in range(args.connections):
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(HELLO)
            read_response(s)
            conns.append(s)
        # Idle means past the server's hold on a quiet connection's buffers (250 ms) and one
        # of its once-a-second looks at memory to give back.
        time.sleep(args.idle_wait)
        held = rss_kib(proc.pid)
        huge["held"] = huge_kib(proc.pid)
        for s in conns:
            s.close()
        time.sleep(2)
        closed = rss_kib(proc.pid)
        huge["closed"] = huge_kib(proc.pid)
        time.sleep(args.settle)
        settled = rss_kib(proc.pid)
        huge["settled"] = huge_kib(proc.pid)

        with socket.create_connection(("127.0.0.1", port)) as s:
            s.sendall(
                b"POST /items HTTP/1.1\r\nHost: m\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            )
            piece = b"%x\r\n" % 65536 + b"x" * 65536 + b"\r\n"
            try:
                for _ in range(160):  # 10 MiB
                    s.sendall(piece)
            except OSError:
                pass  # refused part-way: the server answered and closed
            status = read_response(s).split(b"\r\n", 1)[0]
        spike = rss_kib(proc.pid)
        huge["spike"] = huge_kib(proc.pid)
        time.sleep(args.settle)
        after_spike = rss_kib(proc.pid)
        huge["after_spike"] = huge_kib(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)

    n = args.connections

    def over(kib: int, pre: int) -> str:
        return f"{(kib - pre) / 1024:+.1f} MiB, {100 * (kib - pre) / pre:+.1f}% of pre-spike"

    hp = f" --huge-pages {args.huge_pages}" if args.huge_pages else ""
    print(
        f"bolt --cores 1 --driver {args.driver}{hp}, {n} connections, settle {args.settle:g} s "
        "(pid rss, of it in huge pages; KiB)"
    )
    print(f"  at rest           {base:>9} {huge['base']:>7}")
    print(f"  {n} idle open   {held:>9} {huge['held']:>7}   {(held - base) / n:.1f} KiB per connection")
    print(f"  closed, 2 s       {closed:>9} {huge['closed']:>7}   {over(closed, base)}")
    print(f"  closed, {args.settle:g} s      {settled:>9} {huge['settled']:>7}   {over(settled, base)}")
    print(f"  10 MiB body: {status.decode(errors='replace')}")
    print(f"  after it          {spike:>9} {huge['spike']:>7}   {over(spike, settled)}")
    print(f"  {args.settle:g} s later       {after_spike:>9} {huge['after_spike']:>7}   {over(after_spike, settled)}")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
