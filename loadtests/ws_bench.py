#!/usr/bin/env python3
"""WebSocket measurements: echo round trips against bolt and django-bolt 0.13 with the same
handler (loadtests/ws_api.py), and the memory of many idle sockets on one bolt core.

    python3 loadtests/ws_bench.py echo --conns 50 --duration 10     # both servers, one at a time
    python3 loadtests/ws_bench.py idle --sockets 5000                # bolt --cores 1: RSS before/after

Each server gets core 0 (bolt --cores 1 pins itself there; django-bolt under taskset), the client
core 1. The client is plain asyncio with pre-built frames; it can be the bottleneck, so besides
round trips per second the report gives the server's CPU time per round trip (utime+stime from
/proc), the unit DESIGN.md §7 compares servers by. Needs the worktree's venv python for bolt
(BOLT_PY) and loadtests/.venv-competitor for django-bolt (COMP_PY).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEMO = ROOT / "examples" / "demo"
COMP = HERE / "competitor"
BOLT_PY = os.environ.get("BOLT_PY", str(Path("/work/main/.venv/bin/python")))
COMP_PY = os.environ.get("COMP_PY", str(Path("/work/main/loadtests/.venv-competitor/bin/python")))
TICK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("server did not start")


def start(which: str) -> tuple[subprocess.Popen, int]:
    port = free_port()
    if which == "bolt":
        env = dict(os.environ, DJANGO_SETTINGS_MODULE="bolt_site.ws_settings", PYTHONPATH=f"{HERE}:{ROOT / 'pyext'}")
        cmd = [BOLT_PY, "-m", "django_bolt", "--cores", "1", "--settings", "bolt_site.ws_settings",
               "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]  # fmt: skip
        cwd = DEMO
    else:
        env = dict(os.environ, DJANGO_SETTINGS_MODULE="compsite.ws_settings", PYTHONUNBUFFERED="1")
        env.pop("PYTHONPATH", None)
        cmd = ["taskset", "-c", "0", COMP_PY, "manage.py", "runbolt", "--processes", "1", "--workers", "1",
               "--host", "127.0.0.1", "--port", str(port), "--no-admin"]  # fmt: skip
        cwd = COMP
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_port(port, proc)
    time.sleep(1.0)
    return proc, port


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        # django-bolt 0.13's runbolt does not always end on SIGTERM.
        for p in reversed(tree(proc.pid)):
            os.kill(p, 9)
        proc.wait()


def tree(pid: int) -> list[int]:
    out = [pid]
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        out += tree(int(child))
    return out


def cpu_seconds(pid: int) -> float:
    total = 0
    for p in tree(pid):
        fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICK


def rss_mib(pid: int) -> float:
    total = 0
    for p in tree(pid):
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


def frame(opcode: int, payload: bytes) -> bytes:
    key = b"\x11\x22\x33\x44"
    masked = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    return bytes([0x80 | opcode, 0x80 | len(payload)]) + key + masked


async def connect(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    r, w = await asyncio.open_connection("127.0.0.1", port)
    key = base64.b64encode(os.urandom(16)).decode()
    w.write(
        f"GET /ws/echo HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    head = await r.readuntil(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 101"):
        raise RuntimeError(head.decode(errors="replace"))
    return r, w


async def echo_client(port: int, stop_at: float, counts: list[int], i: int) -> None:
    r, w = await connect(port)
    msg = frame(0x1, b"hello, websocket echo 0123456789")
    n = 0
    while time.monotonic() < stop_at:
        w.write(msg)
        while True:
            b0, b1 = await r.readexactly(2)
            payload = await r.readexactly(b1 & 0x7F)
            if b0 & 0x0F == 0x9:  # a server ping: answer it, keep waiting for the echo
                w.write(frame(0xA, payload))
                continue
            break
        n += 1
    counts[i] = n
    w.write(frame(0x8, b"\x03\xe8"))
    w.close()


def run_echo(which: str, conns: int, duration: float) -> dict:
    proc, port = start(which)
    try:
        counts = [0] * conns

        async def go() -> float:
            # Warm-up, then the measured window.
            warm = time.monotonic() + 1.0
            await asyncio.gather(*(echo_client(port, warm, [0] * conns, i) for i in range(conns)))
            cpu0, t0 = cpu_seconds(proc.pid), time.monotonic()
            stop = t0 + duration
            await asyncio.gather(*(echo_client(port, stop, counts, i) for i in range(conns)))
            return cpu_seconds(proc.pid) - cpu0, time.monotonic() - t0

        cpu, wall = asyncio.run(go())
        total = sum(counts)
        return {"server": which, "round_trips": total, "per_s": total / wall,
                "server_cpu_us": cpu / total * 1e6, "server_cpu_share": cpu / wall}  # fmt: skip
    finally:
        stop(proc)


def run_idle(which: str, sockets: int) -> dict:
    proc, port = start(which)
    try:
        before = rss_mib(proc.pid)

        async def go():
            held = []
            for start_at in range(0, sockets, 500):
                held += await asyncio.gather(*(connect(port) for _ in range(min(500, sockets - start_at))))
            await asyncio.sleep(2)
            after = rss_mib(proc.pid)
            # Still answering: one echo on the last socket.
            r, w = held[-1]
            w.write(frame(0x1, b"ping?"))
            while True:
                b0, b1 = await r.readexactly(2)
                payload = await r.readexactly(b1 & 0x7F)
                if b0 & 0x0F == 0x1:
                    break
            for _, w in held:
                w.close()
            return after, payload

        after, echoed = asyncio.run(go())
        assert echoed == b"ping?", echoed
        return {"server": which, "sockets": sockets, "rss_before_mib": before, "rss_after_mib": after,
                "kib_per_socket": (after - before) * 1024 / sockets}  # fmt: skip
    finally:
        stop(proc)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["echo", "idle"])
    ap.add_argument("--conns", type=int, default=50)
    ap.add_argument("--duration", type=float, default=10)
    ap.add_argument("--sockets", type=int, default=5000)
    ap.add_argument("--server", choices=["both", "bolt", "competitor"], default="both")
    ap.add_argument("--reps", type=int, default=1)
    a = ap.parse_args()
    os.sched_setaffinity(0, {1})
    servers = ["bolt", "competitor"] if a.server == "both" else [a.server]
    for rep in range(a.reps):
        for s in servers:
            res = run_echo(s, a.conns, a.duration) if a.mode == "echo" else run_idle(s, a.sockets)
            print(rep, {k: round(v, 2) if isinstance(v, float) else v for k, v in res.items()}, flush=True)


if __name__ == "__main__":
    sys.setrecursionlimit(10000)
    main()
