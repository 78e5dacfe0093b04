"""``bolt --isolation process``: a supervisor and one worker process per core, each serving from
its main interpreter with the same Rust worker. Over real sockets: every kind of route answers, a
worker killed with SIGKILL is replaced and the port keeps answering, ``--max-requests`` recycles
workers under a client loop without one failed request, and an api.py with a real
``msgspec.Struct`` body serves here (and is refused, naming msgspec, without the flag)."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time

import pytest
import websockets

from support.boltproc import BoltProcess
from support.paths import PROJECTS
from support.projects import copy_project, run_bolt
from support.wire import JSON, Conn, fetch, json_body

PROCESS = ["--isolation", "process"]


def children(pid: int) -> list[int]:
    """The supervisor's worker processes (``/proc/<pid>/task/*/children``)."""
    out: list[int] = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/children") as f:
            out += [int(x) for x in f.read().split()]
    return sorted(out)


def wait_children(pid: int, n: int, without: set[int] = frozenset(), timeout: float = 10.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        kids = children(pid)
        if len(kids) == n and not set(kids) & without:
            return kids
        time.sleep(0.02)
    raise AssertionError(f"supervisor {pid} has workers {children(pid)}, wanted {n} without {without}")


@pytest.fixture(scope="module")
def server(demo_db, driver):
    s = BoltProcess.start(cores=2, driver=driver, extra=PROCESS)
    yield s
    code = s.stop()
    assert code == 0, f"bolt exited with {code} after SIGINT\n{s.output()}"


def test_banner_names_the_isolation_and_the_worker_processes(server):
    assert "isolation process" in server.stdout
    assert "workers 2 processes" in server.stdout
    kids = children(server.pid)
    assert len(kids) == 2
    # Each worker is pinned to its own core.
    cores = {frozenset(os.sched_getaffinity(k)) for k in kids}
    assert all(len(c) == 1 for c in cores) and len(cores) == 2


def test_every_kind_of_route_answers(server):
    p = server.port
    assert fetch(p, "GET", "/hello").json() == {"message": "Hello, World!"}
    assert fetch(p, "GET", "/items/7?q=x").json() == {"id": 7, "q": "x"}
    r = fetch(p, "POST", "/items", headers=JSON, body=json_body({"name": "pen", "price": 2}))
    assert r.status == 200 and r.json()["name"] == "pen"
    r = fetch(p, "POST", "/items", headers=JSON, body=b'{"name": 3}')
    assert r.status == 422 and r.json()["detail"][0]["loc"][0] == "body"
    assert len(fetch(p, "GET", "/users").json()) == 10  # sync ORM
    assert fetch(p, "GET", "/slow-sync?ms=10").json()["slept_ms"] == 10  # blocking pool
    assert fetch(p, "GET", "/sleep?ms=20").json() == {"slept_ms": 20}  # suspended coroutine
    assert fetch(p, "GET", "/secure/whoami").status == 401  # Rust JWT auth
    assert fetch(p, "GET", "/admin/").status == 302  # Django fallthrough
    assert fetch(p, "GET", "/media/README.txt").status == 200  # a file served by Rust
    assert fetch(p, "GET", "/health").status == 200
    assert fetch(p, "GET", "/docs/openapi.json").json()["openapi"].startswith("3.")
    r = fetch(p, "GET", "/streams/count?n=3")
    assert r.body == b"line 0\nline 1\nline 2\n"

    async def echo() -> str:
        async with websockets.connect(f"ws://127.0.0.1:{p}/ws/echo") as ws:
            await ws.send("hi")
            return await ws.recv()

    assert "hi" in asyncio.run(echo())


def test_a_killed_worker_is_restarted_and_the_port_keeps_answering(server):
    before = children(server.pid)
    mark = len(server.stderr_lines)
    os.kill(before[0], signal.SIGKILL)
    # A connection the dying worker had already accepted (its io_uring accepts until the kernel
    # tears the ring down) is reset with it, as with any server killed mid-accept. Once the
    # supervisor has seen the death, the other worker takes every connection while the dead one
    # is restarted: the socket is the supervisor's.
    server.wait_stderr("killed by SIGKILL", start=mark)
    for _ in range(20):
        assert fetch(server.port, "GET", "/hello").status == 200
    server.wait_stderr("serving again", start=mark)
    after = wait_children(server.pid, 2, without={before[0]})
    assert before[1] in after
    # The new worker serves too: fresh connections reach both within a few tries.
    seen: set[int] = set()
    deadline = time.monotonic() + 10
    while seen != set(after) and time.monotonic() < deadline:
        seen.add(fetch(server.port, "GET", "/claims/worker").json()["pid"])
    assert seen == set(after)


def test_recycling_by_max_requests_loses_no_request(demo_db, driver):
    s = BoltProcess.start(cores=2, driver=driver, extra=[*PROCESS, "--max-requests", "150"])
    errors: list[str] = []
    done = 0
    retried = 0
    stop = threading.Event()

    def loop() -> None:
        # Up to 5 requests per connection, then a new one (or at once on `Connection: close`).
        # A keep-alive connection a draining worker closed while idle (for 100 ms: a client thread
        # descheduled on a busy box) is retried on a new connection, as HTTP clients do for an
        # idempotent request (RFC 9112 9.3.1); a fresh connection must never fail.
        nonlocal done, retried
        while not stop.is_set():
            try:
                conn = Conn(s.port)
            except OSError as e:  # refused: the port must never be lost
                errors.append(repr(e))
                continue
            with conn as c:
                for i in range(5):
                    try:
                        r = c.request("GET", "/hello")
                    except Exception as e:  # noqa: BLE001 - any failure counts
                        if i == 0:
                            errors.append(repr(e))
                        else:
                            retried += 1
                        break
                    if r.status != 200:
                        errors.append(f"status {r.status}")
                    done += 1
                    if r.header("connection") == "close":
                        break

    try:
        first = set(children(s.pid))
        threads = [threading.Thread(target=loop) for _ in range(4)]
        for t in threads:
            t.start()
        s.wait_stderr("drained and exited", timeout=30)
        deadline = time.monotonic() + 30
        while done < 800 and time.monotonic() < deadline:
            time.sleep(0.05)
        stop.set()
        for t in threads:
            t.join()
        assert errors == [], (errors[:5], s.stderr)
        assert done >= 800
        # Every original worker was replaced, and two workers serve now.
        now = set(wait_children(s.pid, 2))
        assert not first & now
        assert "recycled (" in s.stderr
    finally:
        stop.set()
        assert s.stop() == 0, s.output()


def test_msgspec_struct_body_serves_under_process_isolation(tmp_path, driver):
    proj = copy_project("msgspecapi", tmp_path / "p")
    s = BoltProcess.start(cores=1, driver=driver, extra=PROCESS, cwd=proj)
    try:
        r = fetch(s.port, "POST", "/items", headers=JSON, body=json_body({"name": "pen", "price": 2}))
        assert r.status == 200 and r.json() == {"name": "pen", "price": 2.0, "tags": []}
        r = fetch(s.port, "POST", "/items", headers=JSON, body=json_body({"name": "pen"}))
        assert r.status == 422
        assert r.json()["detail"][0]["loc"] == ["body", "price"]
        assert fetch(s.port, "GET", "/items/3").json() == {"name": "n3", "price": 1.5, "tags": []}
    finally:
        assert s.stop() == 0, s.output()


def test_msgspec_is_refused_without_process_isolation_naming_it():
    r = run_bolt(PROJECTS / "msgspecapi")
    assert r.returncode == 1
    assert "msgspec" in r.stderr and "--isolation process" in r.stderr


def test_recycling_needs_process_isolation():
    r = run_bolt("noapi", "--max-requests", "10")
    assert r.returncode == 1 and "add --isolation process" in r.stderr


def test_workers_lifetime_needs_process_isolation():
    r = run_bolt("noapi", "--workers-lifetime", "60")
    assert r.returncode == 1 and "add --isolation process" in r.stderr


@pytest.mark.parametrize(
    ("limit", "reason"),
    [
        # Every worker is above 1 MiB: each is replaced about once a second, gracefully.
        (["--max-rss", "1"], "resident memory"),
        # django-bolt's --workers-lifetime: each worker is replaced once it has been up 2 s.
        (["--workers-lifetime", "2"], "--workers-lifetime 2"),
    ],
    ids=["max_rss", "workers_lifetime"],
)
def test_recycling_by_a_limit_replaces_a_worker_and_keeps_serving(demo_db, driver, limit, reason):
    s = BoltProcess.start(cores=1, driver=driver, extra=[*PROCESS, *limit])
    try:
        first = children(s.pid)
        s.wait_stderr(reason, timeout=20)
        s.wait_stderr("drained and exited", timeout=20)
        for _ in range(20):
            assert fetch(s.port, "GET", "/hello").status == 200
        assert first[0] not in children(s.pid)
    finally:
        assert s.stop() == 0, s.output()
