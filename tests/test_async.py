"""``async def`` handlers that really await do not block the core."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from wire import Conn

CLIENTS = 50
SLEEP_MS = 200


def test_async_sleep_returns_after_sleeping(server):
    with Conn(server.port) as conn:
        start = time.monotonic()
        resp = conn.request("GET", f"/sleep?ms={SLEEP_MS}")
        elapsed = time.monotonic() - start
    assert resp.status == 200
    assert resp.json() == {"slept_ms": SLEEP_MS}
    assert elapsed >= SLEEP_MS / 1000 * 0.9


def test_concurrent_async_sleeps_overlap_on_one_core(server):
    """50 connections each sleeping 200 ms on a --cores 1 server: serially that
    would take 10 s; interleaved on the interpreter's event loop, well under 3 s."""
    conns = [Conn(server.port, timeout=10) for _ in range(CLIENTS)]
    barrier = threading.Barrier(CLIENTS + 1)

    def one(conn: Conn):
        barrier.wait()
        return conn.request("GET", f"/sleep?ms={SLEEP_MS}")

    try:
        with ThreadPoolExecutor(CLIENTS) as pool:
            futures = [pool.submit(one, c) for c in conns]
            barrier.wait()
            start = time.monotonic()
            responses = [f.result() for f in futures]
            elapsed = time.monotonic() - start
    finally:
        for c in conns:
            c.close()
    assert [r.status for r in responses] == [200] * CLIENTS
    assert all(r.json() == {"slept_ms": SLEEP_MS} for r in responses)
    assert elapsed < 3.0, f"{CLIENTS} concurrent 200 ms sleeps took {elapsed:.2f}s"
