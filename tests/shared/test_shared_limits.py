"""rate_limit(shared=True): one limit across servers, counted in Django's cache on a real Redis.

Two bolt servers (two "hosts") on their own ports share one Redis: together they let through
exactly the limit in a window. A route without ``shared=`` keeps its per-core buckets. A Redis
that is down fails open with one bounded warning; a shared route without
``BOLT_RATE_LIMIT_CACHE`` refuses to start, naming the route.
"""

from __future__ import annotations

import math
import threading
import time
import uuid

import pytest
from django.test import override_settings

from django_bolt import BoltAPI
from django_bolt.ratelimit import rate_limit
from django_bolt.testing import TestClient
from support.boltproc import BoltProcess
from support.paths import PROJECTS
from support.projects import run_bolt
from support.redisproc import free_port
from support.wire import fetch

PROJECT = PROJECTS / "shared"
WINDOW = 20  # the project's /shared: rps=1, burst=20 -> 20 requests per 20 s window
LIMIT = 20


def _fresh_window(window: float, need: float = 6.0) -> None:
    """Waits for the start of the next window when fewer than ``need`` seconds are left of this
    one: the burst below must fall in one window to be counted against one limit."""
    left = window - (time.time() % window)
    if left < need:
        time.sleep(left + 0.05)


def _hammer(hosts: list[BoltProcess], path: str, client: str, per_host: int) -> list[tuple[int, int, str | None]]:
    """``per_host`` requests to each host at once (a thread per host); ``(host, status,
    Retry-After)`` of each."""
    out: list[tuple[int, int, str | None]] = []
    lock = threading.Lock()

    def run(i: int, host: BoltProcess) -> None:
        for _ in range(per_host):
            r = fetch(host.port, "GET", path, headers=[("X-Client", client)])
            with lock:
                out.append((i, r.status, r.header("retry-after")))

    threads = [threading.Thread(target=run, args=(i, h)) for i, h in enumerate(hosts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return out


@pytest.mark.parametrize("path", ["/shared", "/shared/async"])
def test_two_hosts_together_allow_exactly_the_limit(two_hosts, path):
    _fresh_window(WINDOW)
    results = _hammer(list(two_hosts), path, f"c-{uuid.uuid4().hex}", per_host=LIMIT)
    ok = [r for r in results if r[1] == 200]
    refused = [r for r in results if r[1] == 429]
    # Each host's own bucket would let 20 through (40 in all): the shared counter allows 20.
    assert len(ok) == LIMIT, results
    assert len(refused) == LIMIT, results
    # Both hosts served some (they were hammered at once), and every refusal says when to retry.
    for _, _, retry in refused:
        assert retry is not None and 1 <= int(retry) <= WINDOW, refused


def test_a_shared_refusal_has_the_usual_body_and_other_clients_are_unaffected(two_hosts):
    a, b = two_hosts
    _fresh_window(WINDOW)
    client = f"c-{uuid.uuid4().hex}"
    for i in range(LIMIT):
        assert fetch((a, b)[i % 2].port, "GET", "/shared", headers=[("X-Client", client)]).status == 200
    over = fetch(b.port, "GET", "/shared", headers=[("X-Client", client)])
    assert over.status == 429 and over.json() == {"detail": "Too Many Requests"}
    other = fetch(b.port, "GET", "/shared", headers=[("X-Client", client + "-other")])
    assert other.status == 200


def test_a_route_without_shared_keeps_per_core_buckets(two_hosts):
    # /local: burst 5 per core bucket, no sharing: each host lets 5 through on its own.
    results = _hammer(list(two_hosts), "/local", f"c-{uuid.uuid4().hex}", per_host=8)
    by_host = [sum(1 for h, s, _ in results if h == i and s == 200) for i in (0, 1)]
    assert by_host == [5, 5], results


def test_the_counter_lives_in_redis(two_hosts, redis_server):
    _fresh_window(WINDOW)
    before = set(redis_server.client().keys("*bolt:rl:*"))
    assert fetch(two_hosts[0].port, "GET", "/shared", headers=[("X-Client", uuid.uuid4().hex)]).status == 200
    new = set(redis_server.client().keys("*bolt:rl:*")) - before
    assert len(new) == 1, new
    key = new.pop()
    assert int(redis_server.client().get(key)) == 1
    ttl = redis_server.client().ttl(key)
    assert 0 < ttl <= 2 * WINDOW + 1, ttl  # expires: no counter outlives its use for long


def test_redis_down_fails_open_with_one_warning(driver):
    # Nothing listens on this port: every shared count fails at once (connection refused).
    env = {"SHARED_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}
    server = BoltProcess.launch(cwd=PROJECT, driver=driver, env=env)
    try:
        server.wait_ready(90.0)
        t0 = time.monotonic()
        statuses = [
            fetch(server.port, "GET", "/shared", headers=[("X-Client", "down")]).status for _ in range(LIMIT + 8)
        ]
        took = time.monotonic() - t0
        # Served while the per-core bucket allows (20, refilling 1/s), then refused by that
        # bucket in Rust.
        assert statuses[:LIMIT] == [200] * LIMIT, statuses
        assert 429 in statuses and statuses.count(200) <= LIMIT + math.ceil(took), (statuses, took)
        assert server.wait_log("shared rate limit of GET /shared", timeout=5), server.output()
        time.sleep(0.3)
        lines = [ln for ln in server.stderr_lines if "shared rate limit of GET /shared" in ln]
        # 20 failures, one line: the repeat bound holds the rest back for its interval.
        assert len(lines) == 1, server.stderr
        assert lines[0].startswith("WARNING django_bolt.ratelimit: shared rate limit of GET /shared"), lines
        assert "unavailable" in lines[0] and "serving the request" in lines[0], lines
    finally:
        assert server.stop() == 0, server.output()


def test_a_shared_route_without_the_cache_setting_refuses_to_start():
    from support.boltproc import server_env

    r = run_bolt(PROJECT, env={**server_env(), "SHARED_NO_LIMIT_CACHE": "1"})
    assert r.returncode != 0
    assert "GET /shared" in r.stderr and "BOLT_RATE_LIMIT_CACHE" in r.stderr, r.stderr


# -- the test client (in-process, the local-memory cache) -------------------------------------------


def _api() -> BoltAPI:
    api = BoltAPI()

    @api.get("/s")
    @rate_limit(rps=1, burst=3, key="x-client", shared=True)
    def s() -> dict:
        return {"ok": True}

    @api.get("/a")
    @rate_limit(rps=1, burst=3, key="x-client", shared=True)
    async def a() -> dict:
        return {"ok": True}

    return api


@pytest.mark.parametrize("path", ["/s", "/a"])
def test_test_client_counts_in_the_cache(demo_apis, path):
    # Two clients of the same API, like two hosts: the counter is the cache's, not a bucket's.
    with override_settings(BOLT_RATE_LIMIT_CACHE="default"):
        api = _api()
        _fresh_window(3, need=1.5)
        key = uuid.uuid4().hex
        with TestClient(api) as c1, TestClient(api) as c2:
            statuses = [(c1, c2)[i % 2].get(path, headers={"X-Client": key}).status_code for i in range(5)]
            refused = c1.get(path, headers={"X-Client": key})
    assert statuses[:3] == [200, 200, 200] and statuses[3:] == [429, 429], statuses
    assert 1 <= int(refused.headers["retry-after"]) <= math.ceil(3)


def test_test_client_refuses_a_shared_route_without_the_setting(demo_apis):
    from django.core.exceptions import ImproperlyConfigured

    with override_settings(BOLT_RATE_LIMIT_CACHE=None):
        with pytest.raises(ImproperlyConfigured, match=r"GET /s: rate_limit\(shared=True\) needs"):
            TestClient(_api()).get("/s")


def test_fixed_windows_count_and_say_when_the_next_begins(demo_apis):
    from django_bolt._prechecks import SharedLimit
    from django_bolt.exceptions import HTTPException

    limit = SharedLimit("GET /x", rate=2, burst=4, alias="default")  # 4 requests per 2 s window
    assert (limit.count, limit.window) == (4, 2.0)
    client = uuid.uuid4().hex
    start = 1000.0  # window number 500 spans [1000, 1002)
    for _ in range(4):
        limit.check(client, now=start + 0.1)
    with pytest.raises(HTTPException) as over:
        limit.check(client, now=start + 0.5)
    assert over.value.status_code == 429 and over.value.headers == {"Retry-After": "2"}
    limit.check(client + "-other", now=start + 0.5)  # another key: its own counter
    limit.check(client, now=start + 2.0)  # the next window starts from zero
    # The key is hashed (clients send arbitrary header values) and names its window.
    key = limit.cache_key("a b\n" * 100, 501)
    assert key.startswith("bolt:rl:") and key.endswith(":501") and len(key) < 60 and " " not in key
