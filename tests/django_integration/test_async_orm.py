"""Django's async API in handlers, on every request and under concurrency (routes in
examples/demo/demo/async_orm.py, under /orm).

Thread-sensitive work (Django's async ORM, ``sync_to_async`` by default) runs on one thread per
core, ``bolt-sync``; ``thread_sensitive=False`` work on the core's blocking pool.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from support.boltproc import BoltProcess, serve
from support.paths import DEMO
from support.pg import DEMO_DB, demo_database
from support.projects import manage_shell
from support.tokens import mint
from support.wire import Conn, fetch, get, json_body

ROUNDS = 3


def test_async_for_answers_every_request(server):
    """The defect: the first request answered, every later one was a 500 ("Single thread
    executor already being used, would deadlock")."""
    for _ in range(5):
        resp = get(server.port, "/orm/iter")
        assert resp.status == 200, resp.body
        rows = resp.json()
        assert [r["id"] for r in rows] == list(range(1, 11))
        assert set(rows[0]) == {"id", "name", "email", "age", "is_active"}


def test_the_demo_async_users_route_answers_every_request(server):
    for _ in range(ROUNDS):
        resp = get(server.port, "/users/async")
        assert resp.status == 200, resp.body
        assert [r["name"] for r in resp.json()] == [f"Person {i}" for i in range(1, 11)]


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/orm/aiterator", ["Person 1", "Person 2", "Person 3", "Person 4", "Person 5"]),
        ("/orm/people/7", {"id": 7, "name": "Person 7"}),
        ("/orm/first?prefix=Person%209", {"name": "Person 9"}),
        ("/orm/count?prefix=Person%201", {"count": 12}),  # 1, 10-19, 100
        ("/orm/exists?name=Person%2042", {"exists": True}),
        ("/orm/exists?name=Nobody", {"exists": False}),
    ],
)
def test_async_queryset_api(server, target, expected):
    for _ in range(ROUNDS):
        resp = get(server.port, target)
        assert resp.status == 200, resp.body
        assert resp.json() == expected


def test_aget_of_a_missing_row_is_a_404(server):
    resp = get(server.port, "/orm/people/999999")
    assert resp.status == 404
    assert resp.json() == {"detail": "no person 999999"}


def test_acreate_aupdate_asave_adelete(server):
    name = f"orm-{uuid.uuid4().hex[:8]}"
    for _ in range(ROUNDS):
        created = fetch(
            server.port,
            "POST",
            "/orm/people",
            body=json_body({"name": name, "email": "x@example.com", "age": 30}),
            headers=[("Content-Type", "application/json")],
        )
        assert created.status == 201, created.body
        pk = created.json()["id"]
        assert get(server.port, f"/orm/exists?name={name}").json() == {"exists": True}
        updated = fetch(server.port, "PATCH", f"/orm/people/{pk}/age?age=44")
        assert updated.status == 200, updated.body
        assert updated.json() == {"updated": 1, "age": 44, "email": "age-44@example.com"}
        deleted = fetch(server.port, "DELETE", f"/orm/people/{pk}")
        assert deleted.json() == {"deleted": 1}
        assert get(server.port, f"/orm/exists?name={name}").json() == {"exists": False}


def test_sync_to_async_thread_sensitive_runs_on_the_cores_sync_thread(server):
    seen = {get(server.port, "/orm/sync-to-async").json()["thread"] for _ in range(ROUNDS)}
    assert seen == {"bolt-sync_0"}


def test_sync_to_async_not_thread_sensitive_runs_on_the_blocking_pool(server):
    for _ in range(ROUNDS):
        resp = get(server.port, "/orm/sync-to-async?sensitive=false")
        assert resp.status == 200, resp.body
        assert resp.json()["thread"].startswith("bolt-blocking")
        assert resp.json()["count"] == 3


def test_async_to_sync_inside_a_def_handler(server):
    for _ in range(ROUNDS):
        resp = get(server.port, "/orm/async-to-sync?n=4")
        assert resp.status == 200, resp.body
        assert resp.json()["names"] == ["Person 1", "Person 2", "Person 3", "Person 4"]


@pytest.fixture(scope="module")
def orm_user(demo_db) -> str:
    code = (
        "from django.contrib.auth.models import User\n"
        "u, _ = User.objects.get_or_create(username='orm-user')\n"
        "print(u.pk)\n"
    )
    out = manage_shell(code).strip().splitlines()
    return out[-1]


def test_auser_loads_the_tokens_user(server, orm_user):
    token = mint({"sub": orm_user, "exp": int(time.time()) + 600})
    for _ in range(ROUNDS):
        resp = get(server.port, "/orm/me", headers=[("Authorization", f"Bearer {token}")])
        assert resp.status == 200, resp.body
        assert resp.json() == {"username": "orm-user", "authenticated": True}
    anonymous = get(server.port, "/orm/me")
    assert anonymous.json() == {"username": "", "authenticated": False}


@pytest.mark.parametrize("suspend", ["false", "true"])
def test_context_variables_do_not_leak_between_async_requests(server, suspend):
    for i in range(ROUNDS):
        resp = get(server.port, f"/orm/context?mark=a{i}&suspend={suspend}")
        assert resp.json() == {"before": None, "after": f"a{i}"}


def test_context_variables_do_not_leak_between_def_requests(server):
    for i in range(ROUNDS):
        assert get(server.port, f"/orm/context/sync?mark=s{i}").json() == {"before": None, "after": f"s{i}"}


def test_sync_to_async_copies_context_changes_back_to_the_caller(server):
    for i in range(ROUNDS):
        assert get(server.port, f"/orm/context/back?value=v{i}").json() == {"thread": "bolt-sync_0", "seen": f"v{i}"}


def test_async_to_sync_inside_sync_to_async_does_not_deadlock(server):
    for _ in range(ROUNDS):
        resp = get(server.port, "/orm/nested")
        assert resp.status == 200, resp.body
        assert resp.json() == {"count": 11}  # 3, 30-39


def test_sync_to_async_inside_an_except_block_sees_the_exception(server):
    assert get(server.port, "/orm/in-except").json() == {"reraised": "the outer one"}


@contextlib.contextmanager
def people_locked(request) -> Iterator[None]:
    """The demo's people table locked against readers by another client while the block runs:
    SQLite's whole file (``BEGIN EXCLUSIVE``), or PostgreSQL's table (``LOCK TABLE``)."""
    if demo_database() == "sqlite":
        db = sqlite3.connect(DEMO / "db.sqlite3", timeout=5, isolation_level=None)
        db.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            db.execute("COMMIT")
            db.close()
        return
    pg = request.getfixturevalue("postgres")
    with pg.connect(DEMO_DB) as db:
        db.execute("BEGIN")
        db.execute("LOCK TABLE people_person IN ACCESS EXCLUSIVE MODE")
        try:
            yield
        finally:
            db.execute("COMMIT")


def test_a_request_waiting_on_the_database_does_not_delay_hello(server, request):
    """An async ORM request blocked on a database lock is suspended: the same core keeps
    answering /hello at once, and the ORM request finishes once the lock is released."""
    locked = people_locked(request)
    locked.__enter__()
    result: dict = {}

    def waiting_request() -> None:
        result["resp"] = get(server.port, "/orm/count?prefix=Person%202")

    waiter = threading.Thread(target=waiting_request)
    try:
        waiter.start()
        time.sleep(0.3)  # the ORM request is now waiting for the lock on bolt-sync
        latencies = []
        for _ in range(5):
            t0 = time.monotonic()
            assert get(server.port, "/hello").status == 200
            latencies.append(time.monotonic() - t0)
        assert waiter.is_alive(), "the ORM request should still be waiting for the lock"
        assert max(latencies) < 0.5, latencies
    finally:
        locked.__exit__(None, None, None)
        waiter.join(20)
    assert result["resp"].status == 200, result["resp"].body
    assert result["resp"].json() == {"count": 11}  # 2, 20-29


MIX = [
    "/orm/iter",
    "/users/async",
    "/orm/aiterator",
    "/orm/people/5",
    "/orm/first",
    "/orm/count",
    "/orm/exists?name=Person%205",
    "/orm/sync-to-async",
    "/orm/sync-to-async?sensitive=false",
    "/orm/async-to-sync",
    "/orm/context?mark=m&suspend=true",
    "/orm/context/back?value=x",
    "/orm/nested",
    "/hello",
]


def _hammer(port: int, clients: int, seconds: float, *, writes_apart: bool = False) -> tuple[int, list[str]]:
    """``clients`` keep-alive connections sending MIX in turn for ``seconds``, then one write
    round trip each (acreate + adelete); returns the number of answered requests and a
    description of every failure. ``writes_apart``: the writes wait until every client has
    stopped reading (see the two-core test)."""
    deadline = time.monotonic() + seconds
    failures: list[str] = []
    lock = threading.Lock()
    reads_done = threading.Barrier(clients)

    def fail(what: str, resp) -> None:
        with lock:
            failures.append(f"{what}: {resp.status} {resp.body[:200]!r}")

    def client(k: int) -> int:
        done = 0
        with Conn(port, timeout=30) as conn:
            i = k
            while time.monotonic() < deadline:
                target = MIX[i % len(MIX)]
                i += 1
                resp = conn.request("GET", target)
                done += 1
                if resp.status != 200:
                    fail(target, resp)
            if writes_apart:
                reads_done.wait(60)
            name = f"hammer-{uuid.uuid4().hex[:8]}"
            created = conn.request(
                "POST",
                "/orm/people",
                body=json_body({"name": name, "email": "h@x.io", "age": 1}),
                headers=[("Content-Type", "application/json")],
            )
            if created.status != 201:
                fail("create", created)
            else:
                deleted = conn.request("DELETE", f"/orm/people/{created.json()['id']}")
                if deleted.status != 200 or deleted.json() != {"deleted": 1}:
                    fail("delete", deleted)
        return done + 2

    with ThreadPoolExecutor(clients) as pool:
        total = sum(pool.map(client, range(clients)))
    return total, failures


# Two routes of MIX run on the core's blocking pool (sync_to_async(thread_sensitive=False), and the
# def handler calling async_to_sync once it is moved there). When they are the slow ones (on
# PostgreSQL) most of the 64 clients of a core can wait there at once, past the default queue (4 x 8
# threads), and get the pool's 503 + Retry-After by design (tests/concurrency cover that). These
# tests check answers under concurrency, so their server queues as many calls as they have clients.
ROOM_FOR_EVERY_CLIENT = ["--blocking-queue", "64"]


@pytest.fixture
def roomy_1core(demo_db, driver) -> Iterator[BoltProcess]:
    yield from serve(cores=1, driver=driver, extra=ROOM_FOR_EVERY_CLIENT)


@pytest.fixture
def roomy_2cores(demo_db, driver) -> Iterator[BoltProcess]:
    yield from serve(cores=2, driver=driver, extra=ROOM_FOR_EVERY_CLIENT)


def test_64_concurrent_clients_for_10_seconds_on_one_core(roomy_1core):
    total, failures = _hammer(roomy_1core.port, 64, 10.0)
    assert failures == [], f"{len(failures)} failures of {total}: {failures[:5]}"
    assert total > 64 * len(MIX) / 4


def test_64_concurrent_clients_per_core_on_two_cores(roomy_2cores):
    """Each core has its own connection. SQLite lets one connection write while another one
    holds a read cursor open across awaits (``aiterator``) only by waiting, and refuses at once
    when both want to write (its deadlock rule), so on SQLite the writes of this test start once
    the reads are over; mixing them is for a database with row locks (PostgreSQL)."""
    total, failures = _hammer(roomy_2cores.port, 128, 10.0, writes_apart=True)
    assert failures == [], f"{len(failures)} failures of {total}: {failures[:5]}"
    assert total > 128 * len(MIX) / 4


def test_shutdown_after_async_orm_work_is_clean(demo_db, driver):
    """The core's threads end with the interpreter: no 'Exception ignored' noise, exit 0."""
    server = BoltProcess.start(cores=1, driver=driver)
    try:
        assert get(server.port, "/orm/iter").status == 200
        assert get(server.port, "/orm/sync-to-async?sensitive=false").status == 200
    finally:
        code = server.stop()
    assert code == 0, server.output()
    assert "Exception ignored" not in server.stderr, server.stderr
    assert "panicked" not in server.stderr, server.stderr


def test_shutdown_answers_a_handler_still_suspended_after_the_deadline(demo_db, driver):
    """SIGINT while an async handler sleeps longer than --shutdown-timeout: the client gets a
    503 instead of a hang, and the process exits 0."""
    server = BoltProcess.start(cores=1, driver=driver, extra=["--shutdown-timeout", "1"])
    result: dict = {}

    def sleeper() -> None:
        result["resp"] = get(server.port, "/sleep?ms=5000")

    t = threading.Thread(target=sleeper)
    t.start()
    time.sleep(0.5)
    code = server.stop()
    t.join(10)
    assert code == 0, server.output()
    assert result["resp"].status == 503
    assert "panicked" not in server.stderr, server.stderr
