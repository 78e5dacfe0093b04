"""Transactions from handlers (routes in examples/demo/demo/transactions.py, under /tx):
``transaction.atomic`` rolled back by an exception raised inside it, and ``select_for_update``
inside ``atomic`` from a ``def`` handler (inline and ``blocking=True``) and an ``async def`` one
(``sync_to_async``, on the core's ``bolt-sync`` thread).

They run on SQLite in every run and on PostgreSQL in scripts/test.sh's PostgreSQL step
(``BOLT_TEST_DATABASE=postgresql``), where the row-lock tests (``postgresql_only``) run too.
"""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from support import inproc
from support.pg import DEMO_DB
from support.wire import fetch, get, json_body

ATOMIC = {"def": "/tx/atomic", "async": "/tx/atomic/async"}
BUMP = {"def": "/tx/people/{}/bump", "blocking": "/tx/people/{}/bump/blocking", "async": "/tx/people/{}/bump/async"}
THREAD = {"blocking": "bolt-blocking", "async": "bolt-sync"}


def _exists(port: int, name: str) -> bool:
    resp = get(port, f"/orm/exists?name={name}")
    assert resp.status == 200, resp.body
    return resp.json()["exists"]


def _new_person(port: int, age: int = 1) -> int:
    name = f"tx-{uuid.uuid4().hex[:8]}"
    resp = fetch(
        port,
        "POST",
        "/orm/people",
        body=json_body({"name": name, "email": "tx@example.com", "age": age}),
        headers=[("Content-Type", "application/json")],
    )
    assert resp.status == 201, resp.body
    return resp.json()["id"]


@pytest.mark.parametrize("kind", list(ATOMIC))
@pytest.mark.parametrize(("fail", "status"), [("error", 500), ("http", 409)])
def test_atomic_rolls_back_when_the_handler_raises_inside_it(server, kind, fail, status):
    name = f"tx-{uuid.uuid4().hex[:8]}"
    resp = fetch(server.port, "POST", f"{ATOMIC[kind]}?name={name}&fail={fail}")
    assert resp.status == status, resp.body
    assert not _exists(server.port, name)  # the INSERT was rolled back
    # The connection is usable afterwards, and the same route commits when nothing fails.
    resp = fetch(server.port, "POST", f"{ATOMIC[kind]}?name={name}&fail=no")
    assert resp.status == 200, resp.body
    assert _exists(server.port, name)
    assert fetch(server.port, "DELETE", f"/orm/people/{resp.json()['id']}").json() == {"deleted": 1}


def test_atomic_rolls_back_in_the_test_client(app):
    name = f"tx-{uuid.uuid4().hex[:8]}"
    resp = inproc.fetch(app, "POST", f"/tx/atomic?name={name}&fail=error")
    assert resp.status == 500
    assert inproc.fetch(app, "GET", f"/orm/exists?name={name}").json() == {"exists": False}


@pytest.mark.parametrize("kind", list(BUMP))
def test_select_for_update_inside_atomic(server, kind):
    """Each bump locks the row (on PostgreSQL: outside ``atomic`` Django would refuse the
    ``FOR UPDATE``), reads and writes it, and commits: the ages follow one another."""
    pk = _new_person(server.port, age=1)
    try:
        for want in (2, 3, 4):
            resp = fetch(server.port, "POST", BUMP[kind].format(pk))
            assert resp.status == 200, resp.body
            assert resp.json()["age"] == want
            thread = resp.json()["thread"]
            if kind in THREAD:
                assert thread.startswith(THREAD[kind]), thread
            else:
                assert not thread.startswith("bolt-"), thread  # the worker thread itself
        missing = fetch(server.port, "POST", BUMP[kind].format(999999))
        assert missing.status == 404, missing.body
    finally:
        fetch(server.port, "DELETE", f"/orm/people/{pk}")


@pytest.mark.postgresql_only
@pytest.mark.parametrize("kind", list(BUMP))
def test_select_for_update_holds_the_row_lock_until_commit(server, postgres, kind):
    """While a bump holds its row (``hold_ms``), another client's ``FOR UPDATE NOWAIT`` on the
    row is refused; once the bump has committed it gets the row, with the new age."""
    import psycopg.errors

    pk = _new_person(server.port, age=10)
    result: dict = {}

    def bump() -> None:
        result["resp"] = fetch(server.port, "POST", BUMP[kind].format(pk) + "?hold_ms=1500")

    t = threading.Thread(target=bump)
    try:
        with postgres.connect(DEMO_DB) as db:
            t.start()
            deadline = time.monotonic() + 5
            refused = False
            while time.monotonic() < deadline and not refused:
                time.sleep(0.05)
                try:
                    with db.transaction():
                        db.execute("SELECT age FROM people_person WHERE id = %s FOR UPDATE NOWAIT", [pk])
                except psycopg.errors.LockNotAvailable:
                    refused = True
            assert refused, "the bump never held the row lock"
            t.join(10)
            assert result["resp"].status == 200, result["resp"].body
            with db.transaction():
                (age,) = db.execute("SELECT age FROM people_person WHERE id = %s FOR UPDATE NOWAIT", [pk]).fetchone()
            assert age == 11
    finally:
        t.join(10)
        fetch(server.port, "DELETE", f"/orm/people/{pk}")


@pytest.mark.postgresql_only
def test_concurrent_bumps_lose_no_update(server2):
    """Read-modify-write from every kind of route on two cores at once (four threads with a
    connection each): the row lock makes them take turns, so no increment is lost."""
    pk = _new_person(server2.port, age=1)
    n = 24
    targets = [list(BUMP.values())[i % len(BUMP)].format(pk) + "?hold_ms=20" for i in range(n)]
    try:
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda t: fetch(server2.port, "POST", t), targets))
        assert [a.status for a in answers] == [200] * n, [a.body for a in answers if a.status != 200]
        assert sorted(a.json()["age"] for a in answers) == list(range(2, n + 2))
    finally:
        fetch(server2.port, "DELETE", f"/orm/people/{pk}")
