#!/usr/bin/env python3
"""Many Server-Sent Event clients on one core, and a plain endpoint beside them.

`bolt --cores 1` serves the demo, pinned to cpu0. N clients (default 1,000) on cpu1 each open
`GET /streams/ticker?interval=0.1&count=200` (an event every 100 ms for 20 s) with raw asyncio
sockets and check that every event arrives, in order (ids 0..count-1), and when: each event's
lateness against its client's own schedule is recorded. Meanwhile `GET /hello` on the same
core is timed, its p99 being the number that matters:

- `--hello probe` (default): a separate process on cpu1 sends one request at a time over a
  keep-alive connection, 200 a second, and times each: the latency a normal client sees while
  the streams run (open loop: the probe does not slow down when the server does). It runs at
  real-time priority (`chrt -f 50`): on this 2-core box it shares cpu1 with the 1,000 clients,
  and without it their CPU use showed up as the server's latency (p99 10-15 ms vs 7 ms).
- `--hello wrk`: `wrk --latency -t1 -c4` as fast as it can: the core saturated with /hello
  beside the streams (closed loop: latency there is mostly queueing behind wrk's own requests).

    python3 loadtests/sse_scale.py                       # 1,000 clients, 20 s
    python3 loadtests/sse_scale.py --clients 200 --count 50   # a quick look

Standard library only; needs `taskset` and `chrt` (root, for the probe's priority), `wrk` for
`--hello wrk`, and the demo set up (scripts/demo.sh or scripts/test.sh). Prints a Markdown
summary; exits 1 when an event was lost or out of order.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "examples" / "demo"
BOLT = REPO / ".venv" / "bin" / "bolt"
PORT = 8391


ID = re.compile(rb"^id: (\d+)$", re.M)
DELIVERED: list[int] = []  # events each client got, in order


async def client(i: int, args: argparse.Namespace, gaps: list[float], failures: list[str]) -> None:
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", PORT)
    except OSError as e:
        failures.append(f"client {i}: connect: {e}")
        return
    target = f"/streams/ticker?interval={args.interval}&count={args.count}"
    writer.write(f"GET {target} HTTP/1.1\r\nHost: t\r\n\r\n".encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200") or b"transfer-encoding: chunked" not in head:
        failures.append(f"client {i}: bad head {head[:80]!r}")
        writer.close()
        return
    expected = 0
    last = None
    buf = b""
    try:
        # Raw reads, ids found by a regex over each (C speed): the client must not be the
        # bottleneck on its one core. Chunk-size lines are skipped by the pattern.
        while expected < args.count:
            data = await reader.read(65536)
            if not data:
                break
            buf += data
            cut = buf.rfind(b"\n\n")
            if cut < 0:
                continue
            complete, buf = buf[: cut + 2], buf[cut + 2 :]
            now = time.monotonic()
            for m in ID.finditer(complete):
                got = int(m.group(1))
                if got != expected:
                    failures.append(f"client {i}: event {got} where {expected} was due")
                    return
                if last is not None:
                    gaps.append(now - last)
                last = now
                expected += 1
    except ConnectionError as e:
        failures.append(f"client {i}: after {expected} events: {e!r}")
        return
    finally:
        writer.close()
        DELIVERED.append(expected)
    if expected != args.count:
        failures.append(f"client {i}: {expected} of {args.count} events")


async def run_clients(args: argparse.Namespace) -> tuple[list[float], list[str], float]:
    gaps: list[float] = []
    failures: list[str] = []
    t0 = time.monotonic()
    # Opened gradually (as real clients arrive), not in one burst.
    tasks = []
    for i in range(args.clients):
        tasks.append(asyncio.create_task(client(i, args, gaps, failures)))
        if i % 50 == 49:
            await asyncio.sleep(0.05)
    await asyncio.gather(*tasks)
    return gaps, failures, time.monotonic() - t0


PROBE = r"""
import socket, sys, time
port, secs, rate = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
s = socket.create_connection(("127.0.0.1", port))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
req = b"GET /hello HTTP/1.1\r\nHost: t\r\n\r\n"
lat, end, due = [], time.monotonic() + secs, time.monotonic()
while time.monotonic() < end:
    t0 = time.monotonic()
    s.sendall(req)
    buf = b""
    while True:
        buf += s.recv(65536)
        h = buf.find(b"\r\n\r\n")
        if h >= 0:
            n = int(buf[:h].lower().split(b"content-length: ")[1].split(b"\r\n")[0])
            if len(buf) >= h + 4 + n:
                break
    lat.append(time.monotonic() - t0)
    due += 1 / rate
    wait = due - time.monotonic()
    if wait > 0:
        time.sleep(wait)
lat.sort()
print(len(lat), lat[len(lat) // 2], lat[int(len(lat) * 0.99)], lat[-1])
"""


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=1000)
    ap.add_argument("--interval", type=float, default=0.1)
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--driver", default="auto")
    ap.add_argument("--hello", choices=("probe", "wrk"), default="probe")
    ap.add_argument("--probe-rate", type=float, default=200.0, help="probe requests per second")
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, args.clients * 2 + 256)), hard))
    log = open("/tmp/sse_scale_bolt.log", "w")
    server = subprocess.Popen(
        ["taskset", "-c", "0", str(BOLT), "--cores", "1", "--port", str(PORT), "--driver", args.driver],
        cwd=DEMO,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while "listening on" not in Path("/tmp/sse_scale_bolt.log").read_text():
            if server.poll() is not None or time.monotonic() > deadline:
                print(Path("/tmp/sse_scale_bolt.log").read_text(), file=sys.stderr)
                return 2
            time.sleep(0.1)
        os.sched_setaffinity(0, {1})
        subprocess.run(["wrk", "-t1", "-c4", "-d2s", f"http://127.0.0.1:{PORT}/hello"], capture_output=True)
        rss_before = rss_mib(server.pid)
        duration = args.count * args.interval
        window = max(2.0, duration - 3)
        if args.hello == "wrk":
            cmd = ["wrk", "-t1", "-c4", f"-d{window:g}s", "--latency", f"http://127.0.0.1:{PORT}/hello"]
        else:
            cmd = ["chrt", "-f", "50", sys.executable, "-c", PROBE, str(PORT), str(window), str(args.probe_rate)]
        wrk = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        cpu0 = cpu_seconds(server.pid)
        gaps, failures, elapsed = asyncio.run(run_clients(args))
        cpu = cpu_seconds(server.pid) - cpu0
        out, _ = wrk.communicate()
        rss_after = rss_mib(server.pid)
    finally:
        server.terminate()
        server.wait(10)
        log.close()
    if args.hello == "wrk":
        p99 = re.search(r"99%\s+(\S+)", out)
        rps = re.search(r"Requests/sec:\s+(\S+)", out)
        hello = f"wrk -t1 -c4: p99 {p99.group(1) if p99 else '?'}, {rps.group(1) if rps else '?'} req/s"
    else:
        n, p50, p99, worst = out.split()
        hello = (
            f"probe at {args.probe_rate:g}/s: {n} requests, p50 {float(p50) * 1e3:.2f} ms, "
            f"p99 {float(p99) * 1e3:.2f} ms, max {float(worst) * 1e3:.2f} ms"
        )
    events = sum(DELIVERED)
    gaps.sort()

    def pct(q: float) -> float:
        return gaps[min(len(gaps) - 1, int(q * len(gaps)))] * 1e3 if gaps else float("nan")

    print(f"## {args.clients} SSE clients on `bolt --cores 1` ({args.count} events, {args.interval * 1e3:g} ms apart)")
    print()
    print(f"- events delivered in order: {events} of {args.clients * args.count}; failures: {len(failures)}")
    print(
        f"- gap between a client's events (due: {args.interval * 1e3:g} ms + the generator's own time): "
        f"p50 {pct(0.5):.1f} ms, p99 {pct(0.99):.1f} ms, max {pct(1.0):.1f} ms"
    )
    print(f"- `/hello` meanwhile (same core), {hello}")
    print(f"- server CPU over the run: {cpu:.1f} s in {elapsed:.1f} s ({cpu / elapsed * 100:.0f}% of its core)")
    print(f"- server RSS: {rss_before:.1f} MiB before, {rss_after:.1f} MiB after all streams ended")
    for f in failures[:10]:
        print(f"  - {f}")
    return 1 if failures or events != args.clients * args.count else 0


if __name__ == "__main__":
    sys.exit(main())
