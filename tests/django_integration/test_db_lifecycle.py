"""Django's per-request database housekeeping on API routes (issue 9 §2).

Django's handlers send ``request_started``/``request_finished`` around every request; their
receivers close connections older than ``CONN_MAX_AGE`` and connections that broke. bolt does
the same for API routes on the thread whose connection the request used: the worker thread for
an inline ``def`` handler, a pool thread for a ``blocking=True`` one, and the core's
thread-sensitive thread (``bolt-sync``) for the ORM work of an ``async def`` one.

Each configuration gets a server of its own (``--cores 1``), on SQLite and on a real PostgreSQL
(the ``postgres`` fixture, tests/support/pg.py). The demo's ``/db/conn/...`` routes (demo/dbcheck.py)
answer which physical connection served them: ``serial`` numbers the connections the server
opens (a ``connection_created`` receiver) and on PostgreSQL ``pid`` is ``pg_backend_pid()``.

* ``CONN_MAX_AGE=0`` (Django's default): a new connection for every request, closed after it;
* ``CONN_MAX_AGE=60``: one connection per thread, reused;
* ``CONN_MAX_AGE=1``: reused within the second, replaced once older;
* PostgreSQL drops the connection (``pg_terminate_backend``): with ``CONN_HEALTH_CHECKS`` the
  next request succeeds on a new one; without, at most one request fails (500) and the
  connection is replaced after it; a PostgreSQL restart (and outage) mid-run: clean 500s while
  it is down, then recovery without restarting bolt;
* receivers of the project's own on the two signals hear each API request once.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from support.boltproc import BoltProcess
from support.paths import DEMO
from support.wait import eventually, poll
from support.wire import get

ROUTES = {"inline": "/db/conn/inline", "blocking": "/db/conn/blocking", "async": "/db/conn/async"}
KINDS = list(ROUTES)
# Every setting the servers here depend on, with "" meaning the demo's default (so nothing in
# the caller's environment leaks into a configuration).
BASE_ENV = {"DEMO_DATABASE": "", "DEMO_CONN_MAX_AGE": "", "DEMO_CONN_HEALTH_CHECKS": "", "DEMO_SIGNAL_RECEIVERS": ""}
INTERNAL_ERROR = {"detail": "Internal Server Error"}
DEMO_SQLITE = DEMO / "db.sqlite3"


@dataclass
class Database:
    name: str  # "sqlite" or "postgresql"
    env: dict[str, str]
    pg: object | None = None  # the PostgresServer


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request) -> Database:
    if request.param == "sqlite":
        request.getfixturevalue("demo_db")
        return Database("sqlite", {})
    pg = request.getfixturevalue("postgres")
    return Database("postgresql", pg.demo_env(), pg)


@pytest.fixture
def postgresql(request) -> Database:
    pg = request.getfixturevalue("postgres")
    return Database("postgresql", pg.demo_env(), pg)


class Servers:
    """One bolt per configuration, started on first use, stopped at the end of the module (or
    when the driver changes). Each gets its own ``PGAPPNAME``, so its PostgreSQL connections can
    be told apart in ``pg_stat_activity``."""

    def __init__(self, driver: str) -> None:
        self.driver = driver
        self._running: dict[tuple, BoltProcess] = {}

    def get(self, db: Database, **settings: str) -> BoltProcess:
        env = {**BASE_ENV, **db.env, **settings}
        key = tuple(sorted(env.items()))
        server = self._running.get(key)
        if server is None:
            app = f"bolt-dbtest-{len(self._running) + 1}"
            # One pool thread: a blocking route's requests all run on the same thread (with
            # more, the pool may start a second one, which has its own connection).
            server = BoltProcess.start(
                cores=1, driver=self.driver, extra=["--blocking-threads", "1"], env={**env, "PGAPPNAME": app}
            )
            server.app_name = app
            self._running[key] = server
        server.assert_alive()
        return server

    def stop_all(self) -> None:
        problems = []
        for server in self._running.values():
            try:
                code = server.stop()
            except AssertionError as e:
                problems.append(str(e))
                continue
            if code != 0:
                problems.append(f"bolt exited with {code} after SIGINT\n{server.output()}")
        self._running.clear()
        assert not problems, "\n\n".join(problems)


@pytest.fixture(scope="module")
def servers(driver) -> Iterator[Servers]:
    running = Servers(driver)
    try:
        yield running
    finally:
        running.stop_all()


def conn_of(server: BoltProcess, kind: str) -> dict:
    """The connection that served one request to the ``kind`` route (checks the thread too)."""
    resp = get(server.port, ROUTES[kind])
    assert resp.status == 200, f"{ROUTES[kind]} -> {resp.status} {resp.body!r}\n{server.output()}"
    found = resp.json()
    assert found["people"] == 3
    thread = found["thread"]
    if kind == "inline":
        assert not thread.startswith("bolt-"), found  # the worker thread itself
    elif kind == "blocking":
        assert thread == "bolt-blocking_0", found
    else:
        assert thread == "bolt-sync_0", found
        assert found["people_async"] == 3
    return found


def ident(found: dict) -> tuple:
    """What identifies a physical connection: its serial (and backend pid on PostgreSQL)."""
    return found["serial"], found["pid"]


def backends(db: Database, server: BoltProcess) -> list[int]:
    """The server's PostgreSQL backends (its connections, as the database server sees them)."""
    return db.pg.backends(db.env["DEMO_PG_NAME"], server.app_name)


def sqlite_files(server: BoltProcess) -> list[str]:
    """The server's open file descriptors on the SQLite database (one per open connection)."""
    fds = Path(f"/proc/{server.pid}/fd")
    found = []
    for fd in fds.iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue  # closed meanwhile
        if target == str(DEMO_SQLITE):
            found.append(fd.name)
    return found


# --- CONN_MAX_AGE ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_max_age_0_gives_every_request_a_new_connection(servers, database, kind):
    """Django's default CONN_MAX_AGE=0: the connection is closed at the end of each request."""
    server = servers.get(database)  # CONN_MAX_AGE unset: Django's default, 0
    seen = [conn_of(server, kind) for _ in range(5)]
    serials = [s["serial"] for s in seen]
    assert len(set(serials)) == 5, seen
    assert serials == sorted(serials), seen
    if database.pg is not None:
        assert len({s["pid"] for s in seen}) == 5, seen
        # Closed, not leaked: once the last request has ended, the server holds no connection.
        eventually(lambda: backends(database, server), lambda pids: pids == [])
    else:
        eventually(lambda: sqlite_files(server), lambda fds: fds == [])


@pytest.mark.parametrize("kind", KINDS)
def test_max_age_60_reuses_one_connection(servers, database, kind):
    server = servers.get(database, DEMO_CONN_MAX_AGE="60")
    seen = [conn_of(server, kind) for _ in range(10)]
    assert len({ident(s) for s in seen}) == 1, seen
    if database.pg is not None:
        pid = seen[0]["pid"]
        eventually(lambda: backends(database, server), lambda pids: pid in pids)
    else:
        assert sqlite_files(server)  # kept open between requests


def test_max_age_1_reuses_within_the_age_then_renews(servers, database):
    """All three kinds of route on one timeline: the connection a thread opens is reused for a
    second; the first request after that closes it and opens a new one, which is reused again."""
    server = servers.get(database, DEMO_CONN_MAX_AGE="1")  # fresh: no connection yet
    rounds = []
    for i in range(2):
        if i:
            time.sleep(1.5)  # every connection is now older than CONN_MAX_AGE
        start = time.monotonic()
        rounds.append({kind: [conn_of(server, kind) for _ in range(3)] for kind in KINDS})
        took = time.monotonic() - start
        assert took < 0.9, f"a round took {took:.2f}s: too slow to test a 1 s CONN_MAX_AGE"
    for kind in KINDS:
        first, second = ({ident(s) for s in r[kind]} for r in rounds)
        assert len(first) == 1 and len(second) == 1, (kind, rounds)  # reused within the second
        assert first != second, (kind, rounds)  # renewed after it


# --- a connection the database server dropped --------------------------------------------------------


def _terminate(db: Database, server: BoltProcess, pid: int) -> None:
    assert db.pg.terminate(pid), f"backend {pid} did not terminate"
    assert pid not in backends(db, server)


def _assert_clean_500(server: BoltProcess, resp, kind: str) -> None:
    assert resp.status == 500, f"{ROUTES[kind]} -> {resp.status} {resp.body!r}"
    assert resp.json() == INTERNAL_ERROR
    server.assert_alive()


def _recover(server: BoltProcess, kind: str, failed_pid: int | None) -> tuple[list[int], dict]:
    """Requests until one succeeds; at most one may fail first. (statuses, the success)."""
    statuses = []
    for _ in range(2):
        resp = get(server.port, ROUTES[kind])
        statuses.append(resp.status)
        if resp.status == 200:
            found = resp.json()
            assert found["pid"] != failed_pid, found
            return statuses, found
        _assert_clean_500(server, resp, kind)
    raise AssertionError(f"{ROUTES[kind]}: two failures in a row {statuses}\n{server.output()}")


@pytest.mark.parametrize("kind", KINDS)
def test_dropped_connection_with_health_checks_next_request_succeeds(servers, postgresql, kind):
    """CONN_HEALTH_CHECKS: the request's first query checks the connection and replaces it."""
    server = servers.get(postgresql, DEMO_CONN_MAX_AGE="60", DEMO_CONN_HEALTH_CHECKS="1")
    old = conn_of(server, kind)
    assert conn_of(server, kind)["pid"] == old["pid"]  # persistent
    _terminate(postgresql, server, old["pid"])
    new = conn_of(server, kind)  # the very next request
    assert new["pid"] != old["pid"] and new["serial"] != old["serial"], (old, new)
    assert ident(conn_of(server, kind)) == ident(new)  # and the new one is kept


@pytest.mark.parametrize("kind", KINDS)
def test_dropped_connection_without_health_checks_one_request_fails_at_most(servers, postgresql, kind):
    """Without health checks the dead connection is found by the query that uses it: that
    request fails (500) and marks it, and its end closes it; the next request opens a new one."""
    server = servers.get(postgresql, DEMO_CONN_MAX_AGE="60")
    old = conn_of(server, kind)
    _terminate(postgresql, server, old["pid"])
    statuses, new = _recover(server, kind, old["pid"])
    assert statuses in ([200], [500, 200]), statuses
    assert ident(conn_of(server, kind)) == ident(new)  # the new one is kept
    if statuses == [500, 200]:
        assert "Internal Server Error: GET " + ROUTES[kind] in server.stderr


def test_postgresql_restart_mid_run(servers, postgresql):
    """PostgreSQL restarted (every connection dropped), then down for a while, then back: bolt
    answers 500 while it cannot reach the database, stays up, and recovers by itself."""
    pg = postgresql.pg
    server = servers.get(postgresql, DEMO_CONN_MAX_AGE="60")
    for kind in KINDS:
        conn_of(server, kind)
    try:
        pg.restart()  # pg_ctl restart -m fast
        for kind in KINDS:
            statuses, _ = _recover(server, kind, None)
            assert statuses in ([200], [500, 200]), (kind, statuses)
        pg.stop()
        for kind in KINDS:
            for _ in range(2):
                _assert_clean_500(server, get(server.port, ROUTES[kind]), kind)
        pg.start()
    finally:
        if not pg.is_running():
            pg.start()
    for kind in KINDS:
        # The failed connections were closed at the end of their requests: no failure now.
        found = conn_of(server, kind)
        assert ident(conn_of(server, kind)) == ident(found)
    assert "OperationalError" in server.stderr


# --- the project's own receivers: the real signals -------------------------------------------------


def _signals(server: BoltProcess) -> dict:
    resp = get(server.port, "/db/signals")
    assert resp.status == 200, resp
    return resp.json()


def _delta(before: dict, after: dict, prefix: str) -> dict:
    def total(snapshot: dict) -> dict:
        sums = {"started": 0, "finished": 0}
        for name, calls in snapshot["calls"].items():
            if name.startswith(prefix):
                for k in sums:
                    sums[k] += calls[k]
        return sums

    b, a = total(before), total(after)
    return {k: a[k] - b[k] for k in a}


def test_project_signal_receivers_hear_each_api_request_once(servers, demo_db):
    """With receivers of the project's own connected, bolt sends the real request_started and
    request_finished (sender ``BoltHandler``), once per request, on the thread that ran it; and
    Django's own receivers still close each request's connection (CONN_MAX_AGE=0)."""
    server = servers.get(Database("sqlite", {}), DEMO_SIGNAL_RECEIVERS="1")
    n = 4
    before = _signals(server)
    assert before["connected"] is True
    worker = before["thread"]
    seen = {kind: [conn_of(server, kind) for _ in range(n)] for kind in KINDS}
    for kind, found in seen.items():
        assert len({s["serial"] for s in found}) == n, (kind, found)  # a new connection each time
    eventually(lambda: sqlite_files(server), lambda fds: fds == [])  # each closed after its request

    def deltas(after: dict) -> dict:
        return {
            "worker": _delta(before, after, worker),
            "blocking": _delta(before, after, "bolt-blocking_0"),
            "sync": _delta(before, after, "bolt-sync_0"),
        }

    # The worker thread hears the inline and the async requests (an async handler's are
    # sent around it there, wherever its ORM work ran), and also ran the second
    # /db/signals (started) and finished the first.
    want = {
        "worker": {"started": 2 * n + 1, "finished": 2 * n + 1},
        "blocking": {"started": n, "finished": n},
        "sync": {"started": 0, "finished": 0},
    }
    after = poll(lambda: _signals(server), lambda a: deltas(a) == want, 3)  # an async request ends just after
    assert deltas(after) == want, after
    assert set(after["calls"]) == {worker, "bolt-blocking_0"}, after  # no other thread
    assert after["senders"] == ["BoltHandler"]


def test_default_demo_has_no_signal_receivers(servers, demo_db):
    """Without DEMO_SIGNAL_RECEIVERS the demo connects none (so bolt stays on its fast path)."""
    server = servers.get(Database("sqlite", {}))
    conn_of(server, "inline")
    found = _signals(server)
    assert (found["connected"], found["calls"], found["senders"]) == (False, {}, [])


def test_project_signal_receivers_hear_async_requests_without_database_work(servers, demo_db):
    """Django's ASGIHandler sends both signals for every request: so does bolt for an async
    handler that never touches the database, inline (/hello) or suspended (/sleep)."""
    server = servers.get(Database("sqlite", {}), DEMO_SIGNAL_RECEIVERS="1")
    before = _signals(server)
    for _ in range(3):
        assert get(server.port, "/hello").status == 200
        assert get(server.port, "/sleep?ms=5").status == 200
    time.sleep(0.2)
    after = _signals(server)
    # Every thread together: the 6 requests, plus the second /db/signals (started) and the first (finished).
    assert _delta(before, after, "") == {"started": 7, "finished": 7}
