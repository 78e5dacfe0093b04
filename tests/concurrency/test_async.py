"""``async def`` handlers that really await do not block the core."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from support.boltproc import BoltProcess
from support.wire import Conn, fetch

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


def test_blocking_handler_runs_on_the_pool(server):
    resp = fetch(server.port, "GET", "/slow-sync?ms=10")
    assert resp.status == 200
    assert resp.json()["thread"].startswith("bolt-blocking")


def test_slow_def_handler_moves_to_the_pool_by_itself(demo_db, driver):
    server = BoltProcess.start(cores=1, driver=driver)
    try:
        threads = [fetch(server.port, "GET", "/slow-auto?ms=60").json()["thread"] for _ in range(5)]
        # Inline on the worker thread until seen blocking 3 times, then on the pool.
        assert not threads[0].startswith("bolt-blocking")
        assert threads[-1].startswith("bolt-blocking")
        assert "running it on the blocking pool from now on" in server.stderr
    finally:
        server.stop()


def test_a_coroutine_that_never_suspends_runs_inline_without_a_task(server):
    """Driven to completion where it is called: no asyncio task exists for it."""
    resp = fetch(server.port, "GET", "/claims/coroutine")
    assert resp.status == 200
    assert resp.json()["task_before"] is False and resp.json()["task_after"] is False


def test_a_coroutine_that_awaits_asyncio_continues_as_a_task_on_the_loop(server):
    """Inline until its first real suspension, then a task of the interpreter's event loop."""
    resp = fetch(server.port, "GET", "/claims/coroutine?suspend=true")
    assert resp.status == 200
    assert resp.json()["task_before"] is False and resp.json()["task_after"] is True
