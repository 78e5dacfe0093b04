"""The test client against the same requests over loopback HTTP, in one run.

    .venv/bin/python benches/test_client.py            # 9 interleaved rounds (~30 s)
    .venv/bin/python benches/test_client.py --quick    # 3 short rounds

Both sides run the demo project's own handlers (examples/demo): ``TestClient(discover_apis())``
in this process, and ``bolt --cores 1 --no-django`` on 127.0.0.1 for the socket side, asked by
two clients: httpx (what ``TestClient`` is, so the same client library on both sides) and the
standard library's ``http.client`` (the cheapest Python client, a harder baseline). Every
client keeps its connection alive. Per round, each side runs N requests of each endpoint,
the order of the sides rotating from round to round; the figure is wall time per request,
this process pinned to core 0 and the server to core 1. Medians over rounds.

Target (issue 11): a ``client.get("/hello")`` round trip costs at most 1/5 of the same request
over loopback HTTP. Missing it is reported, not an error (exit 0); a response that differs
between the sides is an error (exit 1).
"""

from __future__ import annotations

import argparse
import http.client
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "examples" / "demo"
ENDPOINTS = {
    "GET /hello": ("GET", "/hello", None),
    "GET /items/7?q=x": ("GET", "/items/7?q=x", None),
    "POST /items": ("POST", "/items", b'{"name":"pen","price":1.5,"tags":["a"]}'),
}
TARGET = 0.2


def start_server() -> tuple[subprocess.Popen, int]:
    bolt = Path(sys.executable).parent / "bolt"
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    proc = subprocess.Popen(
        ["taskset", "-c", "1", str(bolt), "--cores", "1", "--port", "0", "--no-django", "--log-level", "warning"],
        cwd=DEMO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 60
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        m = re.search(r"http://[\d.]+:(\d+)", line)
        if m:
            return proc, int(m.group(1))
        if not line and proc.poll() is not None:
            break
    proc.kill()
    raise SystemExit("bolt did not start")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    rounds, n = (3, 300) if args.quick else (9, 1500)
    os.sched_setaffinity(0, {0})
    sys.path.insert(0, str(DEMO))
    os.environ["DJANGO_SETTINGS_MODULE"] = "demo.settings"
    import django

    django.setup()
    del os.environ["DJANGO_SETTINGS_MODULE"]
    import httpx

    from django_bolt.discovery import discover_apis
    from django_bolt.testing import TestClient

    proc, port = start_server()
    try:
        client = TestClient(discover_apis(), base_url=f"http://127.0.0.1:{port}")
        wire = httpx.Client(base_url=f"http://127.0.0.1:{port}")
        plain = http.client.HTTPConnection("127.0.0.1", port)

        def via_httpx(c):
            def go(method, path, body):
                if body is None:
                    return c.request(method, path).content
                return c.request(method, path, content=body, headers={"content-type": "application/json"}).content

            return go

        def via_http_client(method, path, body):
            headers = {"content-type": "application/json"} if body is not None else {}
            plain.request(method, path, body=body, headers=headers)
            return plain.getresponse().read()

        sides = {
            "TestClient": via_httpx(client),
            "httpx loopback": via_httpx(wire),
            "http.client loopback": via_http_client,
        }
        for name, (method, path, body) in ENDPOINTS.items():
            answers = {side: go(method, path, body) for side, go in sides.items()}
            if len(set(answers.values())) != 1:
                print(f"{name}: the sides answered differently: {answers}")
                return 1
        times: dict[tuple[str, str], list[float]] = {(s, e): [] for s in sides for e in ENDPOINTS}
        order = list(sides)
        for r in range(rounds):
            for side in order[r % len(order) :] + order[: r % len(order)]:
                go = sides[side]
                for ep, (method, path, body) in ENDPOINTS.items():
                    t0 = time.perf_counter()
                    for _ in range(n):
                        go(method, path, body)
                    times[(side, ep)].append((time.perf_counter() - t0) / n * 1e6)
        client.close()
        wire.close()
    finally:
        proc.terminate()
        proc.wait(10)
    print(
        f"{platform.node()} ({os.cpu_count()} cores), Python {platform.python_version()}, {rounds} rounds x {n} requests"
    )
    print(
        f"{'endpoint':<18} {'TestClient µs':>14} {'httpx loopback µs':>18} {'ratio':>6} {'http.client µs':>15} {'ratio':>6}"
    )
    met = True
    for ep in ENDPOINTS:
        med = {s: statistics.median(times[(s, ep)]) for s in sides}
        r1 = med["TestClient"] / med["httpx loopback"]
        r2 = med["TestClient"] / med["http.client loopback"]
        print(
            f"{ep:<18} {med['TestClient']:>14.1f} {med['httpx loopback']:>18.1f} {r1:>6.2f}"
            f" {med['http.client loopback']:>15.1f} {r2:>6.2f}"
        )
        if ep == "GET /hello":
            met = r1 <= TARGET
    print(f"target: GET /hello through TestClient <= {TARGET} x httpx over loopback: {'met' if met else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
