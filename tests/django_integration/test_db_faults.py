"""Database faults under load (issue 16 item 1): the SQLite file replaced, PostgreSQL restarted,
every bolt backend killed with ``pg_terminate_backend``. Clients keep sending requests to the
three kinds of database route (an inline ``def``, a ``blocking=True`` ``def`` and an
``async def``, demo/dbcheck.py) on keep-alive connections while the fault happens; once the
database is back, every database connection bolt holds fails at most one request (a clean 500)
before it is replaced, so at most that many requests fail in all, and every client ends on 200s.

``/ready`` looks at the connections the handlers hold (django_bolt.health): while one of them
is broken it answers 503 naming the database and the core, whatever a fresh connection would
say; once they are replaced it is 200 again.

They need no particular driver and take a while (servers of two cores under load), so they run
once, in scripts/test.sh's PostgreSQL step (``BOLT_TEST_DATABASE=postgresql``), not per driver.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from support.boltproc import BoltProcess
from support.paths import DEMO
from support.pg import DEMO_DB
from support.projects import copy_demo, run_demo_setup
from support.wire import Conn, fetch

CORES = 2
BLOCKING_THREADS = 2
# Each core's threads that run ORM work: the worker, the thread-sensitive one, the pool's.
CONNECTIONS_PER_CORE = 2 + BLOCKING_THREADS
ROUTES = ["/db/conn/inline", "/db/conn/blocking", "/db/conn/async"]
CLIENTS = 9
INTERNAL_ERROR = b'{"detail":"Internal Server Error"}'
APP = "bolt-faults"  # PGAPPNAME of the PostgreSQL server's connections

pytestmark = pytest.mark.postgresql_only


@dataclass
class Answer:
    client: int
    sent: float
    status: int
    body: bytes


@dataclass
class Load:
    """``CLIENTS`` keep-alive clients sending ROUTES in turn until stopped."""

    port: int
    answers: list[Answer] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _client(self, k: int) -> None:
        i = k
        try:
            with Conn(self.port, timeout=30) as conn:
                while not self._stop.is_set():
                    sent = time.monotonic()
                    resp = conn.request("GET", ROUTES[i % len(ROUTES)])
                    i += 1
                    with self._lock:
                        self.answers.append(Answer(k, sent, resp.status, resp.body))
                    if resp.status != 200:
                        time.sleep(0.01)  # a failing database: no need to spin
        except Exception as e:  # noqa: BLE001 - reported by stop()
            with self._lock:
                self.errors.append(f"client {k}: {type(e).__name__}: {e}")

    def __enter__(self) -> Load:
        for k in range(CLIENTS):
            t = threading.Thread(target=self._client, args=(k,), daemon=True)
            t.start()
            self._threads.append(t)
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(30)

    def after(self, t: float) -> list[Answer]:
        with self._lock:
            return [a for a in self.answers if a.sent >= t]

    def wait_answers(self, t: float, n: int, timeout: float = 20) -> None:
        """Until every client has had ``n`` answers to requests sent after ``t``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.after(t)
            if all(sum(a.client == k for a in got) >= n for k in range(CLIENTS)):
                return
            time.sleep(0.05)
        raise AssertionError(f"clients stalled: {len(self.after(t))} answers since the fault ended")


def assert_recovered(load: Load, back: float, bound: int, server: BoltProcess) -> int:
    """After ``back`` (the database is reachable again): at most ``bound`` requests failed, each
    a clean 500, and every client's last requests succeeded. Returns the failures."""
    load.wait_answers(back, 10)
    got = load.after(back)
    failed = [a for a in got if a.status != 200]
    for a in failed:
        assert (a.status, a.body) == (500, INTERNAL_ERROR), (a, server.output()[-3000:])
    assert len(failed) <= bound, (
        f"{len(failed)} of {len(got)} requests failed after the fault (bound {bound})\n{server.output()[-3000:]}"
    )
    for k in range(CLIENTS):
        mine = [a.status for a in got if a.client == k]
        assert mine[-5:] == [200] * 5, (k, mine)
    assert load.errors == [], load.errors
    server.assert_alive()
    return len(failed)


def ready(server: BoltProcess) -> tuple[int, dict]:
    resp = fetch(server.port, "GET", "/ready")
    return resp.status, resp.json()


def start(driver: str, env: dict[str, str], cwd: Path | None = None) -> BoltProcess:
    kwargs = {"cwd": cwd} if cwd is not None else {}
    return BoltProcess.start(
        cores=CORES,
        driver=driver,
        extra=["--blocking-threads", str(BLOCKING_THREADS)],
        env={"DEMO_CONN_HEALTH_CHECKS": "", "DEMO_SIGNAL_RECEIVERS": "", **env},
        **kwargs,
    )


@pytest.fixture
def stopper() -> Iterator[list[BoltProcess]]:
    servers: list[BoltProcess] = []
    yield servers
    for s in servers:
        if s.is_alive():
            s.stop()


# --- SQLite: the database file moved away, then a copy put back --------------------------------------


def test_sqlite_file_replaced_under_load(tmp_path, driver, stopper):
    """CONN_MAX_AGE=60: the file moved away (requests meanwhile fail: SQLite opens a new, empty
    file there), then a copy of it put back in its place, as a restore would: connections still
    open on the old file or on the empty one are replaced, at most one failed request each."""
    if not (DEMO / "db.sqlite3").exists():
        run_demo_setup({"DEMO_DATABASE": "sqlite"})
    project = copy_demo(tmp_path / "demo")
    db = project / "db.sqlite3"
    server = start(driver, {"DEMO_DATABASE": "sqlite", "DEMO_CONN_MAX_AGE": "60"}, cwd=project)
    stopper.append(server)
    with Load(server.port) as load:
        load.wait_answers(0, 3)
        saved = tmp_path / "saved.sqlite3"
        os.rename(db, saved)
        time.sleep(0.5)
        copy = tmp_path / "copy.sqlite3"
        shutil.copyfile(saved, copy)
        os.replace(copy, db)  # the file is back, a new inode
        back = time.monotonic()
        failed = assert_recovered(load, back, CORES * CONNECTIONS_PER_CORE, server)
    print(f"sqlite file replaced: {failed} failed after the file was back")
    # Every connection still open is on the file now at the path: none on the moved-away one
    # nor on the empty file SQLite created meanwhile (unlinked by the put-back).
    on_files = sqlite_fds(server, tmp_path)
    assert on_files, "CONN_MAX_AGE=60 keeps connections open"
    assert all(target == str(db) for target in on_files), on_files
    status, body = ready(server)
    assert status == 200, body


def sqlite_fds(server: BoltProcess, under: Path) -> list[str]:
    """Where the server's open files under ``under`` point (a deleted one ends in ``(deleted)``)."""
    found = []
    for fd in Path(f"/proc/{server.pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith(str(under)) and ".sqlite3" in target:
            found.append(target)
    return found


# --- PostgreSQL: one server (CONN_MAX_AGE=60, no CONN_HEALTH_CHECKS) through every fault ---------------


@pytest.fixture(scope="module")
def pg_bolt(driver, postgres) -> Iterator[BoltProcess]:
    server = start(driver, {**postgres.demo_env(), "PGAPPNAME": APP, "DEMO_CONN_MAX_AGE": "60"})
    try:
        yield server
    finally:
        server.stop()


def _warm(server: BoltProcess, seconds: float = 1.5) -> None:
    """Load long enough that every handler thread of both cores has opened its connection."""
    with Load(server.port) as load:
        time.sleep(seconds)
    assert load.errors == [] and all(a.status == 200 for a in load.answers), load.errors


def _counts(server: BoltProcess) -> dict:
    status, body = ready(server)
    assert status == 200, body
    return body["connections"]


def test_connections_per_core_are_bounded_and_reported(pg_bolt, postgres):
    """Every handler thread of a core holds at most one connection per database: under load on
    all three kinds of route, bolt holds at most CORES x (2 + --blocking-threads) connections,
    the banner says so, and /ready's counts are what the database server sees."""
    limit = CONNECTIONS_PER_CORE
    assert (
        f"databases default (postgresql) | connections at most {limit} per core "
        f"(worker, sync thread, {BLOCKING_THREADS} blocking threads), {CORES * limit} in all"
    ) in pg_bolt.stdout
    _warm(pg_bolt, 2.0)
    pids = postgres.backends(DEMO_DB, APP)
    assert 0 < len(pids) <= CORES * limit, pids
    counts = _counts(pg_bolt)
    assert counts["limit_per_core"] == limit
    assert sorted(counts["per_core"]) == [str(c) for c in range(CORES)], counts
    assert all(0 <= n <= limit for n in counts["per_core"].values()), counts
    assert sum(counts["per_core"].values()) == len(pids), (counts, pids)


def test_every_backend_terminated_under_load(pg_bolt, postgres):
    with Load(pg_bolt.port) as load:
        load.wait_answers(0, 3)
        pids = postgres.backends(DEMO_DB, APP)
        assert 0 < len(pids) <= CORES * CONNECTIONS_PER_CORE, pids
        for pid in pids:
            postgres.terminate(pid)
        back = time.monotonic()
        failed = assert_recovered(load, back, len(pids), pg_bolt)
        after = postgres.backends(DEMO_DB, APP)
        assert not set(after) & set(pids), (pids, after)
    print(f"pg_terminate_backend: {failed} failed, of {len(pids)} connections")


def test_postgresql_restarted_under_load(pg_bolt, postgres):
    with Load(pg_bolt.port) as load:
        load.wait_answers(0, 3)
        held = len(postgres.backends(DEMO_DB, APP))
        assert 0 < held <= CORES * CONNECTIONS_PER_CORE, held
        try:
            postgres.restart()
        finally:
            if not postgres.is_running():
                postgres.start()
        back = time.monotonic()
        failed = assert_recovered(load, back, held, pg_bolt)
    print(f"postgresql restart: {failed} failed after it was back, of {held} connections")


def test_ready_is_503_while_handler_connections_are_broken(pg_bolt, postgres):
    """After pg_terminate_backend of every bolt connection a fresh connection would work, but
    /ready says 503 naming the database and the broken connections (and has its core's threads
    replace them), until none is left; the API then serves on new connections."""
    _warm(pg_bolt)
    pids = postgres.backends(DEMO_DB, APP)
    assert sum(_counts(pg_bolt)["per_core"].values()) == len(pids) > 0
    for pid in pids:
        assert postgres.terminate(pid)
    status, body = ready(pg_bolt)
    assert status == 503, body
    message = body["checks"]["database"]
    assert message.startswith("error: RuntimeError: broken connections: core "), message
    assert "'default' connection of " in message and "closed by the database server" in message, message
    # Each probe lands on one core, which replaces its broken connections: soon none is left.
    statuses = [status]
    for _ in range(60):
        status, body = ready(pg_bolt)
        statuses.append(status)
        if status == 200:
            break
        time.sleep(0.05)
    assert status == 200, (statuses, body)
    assert body["checks"]["database"] == "ok"
    for route in ROUTES * 4:
        resp = fetch(pg_bolt.port, "GET", route)
        assert resp.status == 200, (route, resp.body)
    assert not set(postgres.backends(DEMO_DB, APP)) & set(pids)
