"""``deploy/bolt.service`` sets ``SystemCallFilter=@system-service``: bolt must keep io_uring,
core pinning and (under ``--isolation process``) fork and ``PR_SET_PDEATHSIG`` under it. With no
systemd as PID 1 here, ``syscallfilter.py`` installs the same allow-list (the group's calls as
this machine's ``systemd-analyze`` lists them, every other call EPERM) before exec'ing bolt.
io_uring is the point, so these run in the io_uring pass only."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest
import websockets.sync.client

from support.boltproc import BoltProcess, bolt_executable, drivers_under_test
from support.paths import DEMO
from support.wire import fetch

FILTER = Path(__file__).resolve().parent / "syscallfilter.py"
pytestmark = [
    pytest.mark.skipif("uring" not in drivers_under_test(), reason="about io_uring: runs in the io_uring pass"),
    pytest.mark.skipif(
        shutil.which("systemd-analyze") is None and not os.environ.get("CI"), reason="systemd-analyze is not installed"
    ),
]


def filtered(*args: str, without: tuple[str, ...] = ()) -> BoltProcess:
    cut = [a for name in without for a in ("--without", name)]
    argv = [sys.executable, str(FILTER), "@system-service", *cut, bolt_executable(), "--port", "0", *args]
    server = BoltProcess(argv, DEMO)
    try:
        server.wait_stdout(r"listening on http://127\.0\.0\.1:\d+", timeout=60)
    except BaseException:
        server.kill()
        raise
    server.port = server.ports[0]
    return server


def stop(server: BoltProcess) -> None:
    code = server.stop()
    assert code == 0, server.output()


def test_bolt_keeps_io_uring_and_its_cores_under_system_service(demo_db):
    server = filtered("--cores", "2", "--driver", "uring")
    try:
        assert "driver io_uring,io_uring" in server.stdout
        p = server.port
        assert fetch(p, "GET", "/hello").json() == {"message": "Hello, World!"}
        assert len(fetch(p, "GET", "/users").json()) == 10  # sqlite through the ORM
        assert fetch(p, "GET", "/slow-sync?ms=5").json()["slept_ms"] == 5  # the blocking pool
        with websockets.sync.client.connect(f"ws://127.0.0.1:{p}/ws/echo", open_timeout=30) as ws:
            ws.send("filtered")
            assert "filtered" in ws.recv(timeout=30)
    finally:
        stop(server)


def test_process_isolation_under_system_service(demo_db):
    server = filtered("--cores", "2", "--driver", "uring", "--isolation", "process")
    try:
        assert "workers 2 processes" in server.stdout
        assert fetch(server.port, "GET", "/hello").status == 200
    finally:
        stop(server)


def test_the_filter_is_in_force(demo_db):
    # The same filter without io_uring_setup: --driver auto must fall back to epoll, so the
    # passing tests above ran under a filter that would have refused what it does not list.
    server = filtered("--cores", "1", "--driver", "auto", without=("io_uring_setup",))
    try:
        assert "driver epoll" in server.stdout
        assert fetch(server.port, "GET", "/hello").status == 200
    finally:
        stop(server)
