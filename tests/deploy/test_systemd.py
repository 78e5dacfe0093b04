"""bolt under systemd socket activation, with Debian's ``systemd-socket-activate`` binding the
socket and passing it as fd 3, as ``deploy/bolt.socket`` does: the connection that caused the
activation is answered, both isolation modes serve the passed socket, a restart under a client
loop loses no request (``relaunch.py`` holds the socket as systemd would while bolt restarts),
and unusable ``LISTEN_*`` variables or a disagreeing ``--port`` stop bolt with the reason. Also
``systemd-analyze verify`` on the shipped units (it runs without systemd as PID 1)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from support.boltproc import BoltProcess, bolt_executable, server_env
from support.nginx import require_tool
from support.paths import DEMO
from support.projects import run_bolt
from support.wire import Conn

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
ACTIVATE = shutil.which("systemd-socket-activate")
# Skipped without it, except under CI, where scripts/env.sh installs it.
pytestmark = pytest.mark.skipif(
    ACTIVATE is None and not os.environ.get("CI"), reason="systemd-socket-activate is not installed (Debian: systemd)"
)
# Starting bolt on this 2-core box while others build can take several seconds; a request that
# waits in the socket's backlog meanwhile must still be answered.
PATIENCE = 120.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def activated(*bolt_args: str, driver: str, gap: float = 0.0, relaunch: bool = False) -> tuple[BoltProcess, int]:
    """``systemd-socket-activate`` on a free port running bolt (through ``relaunch.py`` when
    asked) on the demo project; not started until the first connection. Returns it and the port."""
    env = server_env()
    # systemd-socket-activate passes its child only the variables named with -E.
    passed = [a for k in env if re.fullmatch(r"[A-Z_][A-Z0-9_]*", k) for a in ("-E", k)]
    bolt = [bolt_executable(), "--cores", "1", "--driver", driver, *bolt_args]
    cmd = [sys.executable, str(HERE / "relaunch.py"), "--gap", str(gap), *bolt] if relaunch else bolt
    for _ in range(3):  # the free port may be taken between the probe and the bind
        port = free_port()
        proc = BoltProcess([ACTIVATE, "-l", f"127.0.0.1:{port}", *passed, *cmd], DEMO, env=env)
        deadline = time.monotonic() + 10
        while "Listening on" not in proc.stderr and proc.proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        if "Listening on" in proc.stderr:
            return proc, port
        proc.kill()
    raise AssertionError(f"systemd-socket-activate did not listen\n{proc.output()}")


def hello(port: int, timeout: float = PATIENCE) -> int:
    """GET /hello on a new connection; its status."""
    with Conn(port, timeout=timeout) as c:
        r = c.request("GET", "/hello", headers=[("Connection", "close")])
        assert r.status != 200 or r.json() == {"message": "Hello, World!"}
        return r.status


def stop(proc: BoltProcess) -> None:
    code = proc.stop()
    assert code == 0, f"exited with {code} after SIGINT\n{proc.output()}"


@pytest.mark.parametrize("isolation", ["subinterpreter", "process"])
def test_bolt_serves_the_socket_systemd_passes(demo_db, driver, isolation):
    proc, port = activated("--isolation", isolation, driver=driver)
    try:
        # Nothing runs bolt yet: this connection starts it, waits in the backlog, and is answered.
        assert hello(port) == 200
        proc.wait_ready(PATIENCE)
        assert proc.port == port, "the banner names the passed socket's address"
        assert f"isolation {isolation}" in proc.stdout
        assert [hello(port) for _ in range(5)] == [200] * 5
        # bolt listens on no socket of its own: the only listener on the port is fd 3.
        assert "Execing" in proc.stderr
    finally:
        stop(proc)


def test_a_restart_through_the_held_socket_loses_no_request(demo_db, driver):
    # A pause of 0.5 s between the old bolt's exit and the new one's start (RestartSec=):
    # connections made then can only wait in the kernel's backlog.
    proc, port = activated(driver=driver, gap=0.5, relaunch=True)
    try:
        assert hello(port) == 200
        proc.wait_ready(PATIENCE)
        results: list[tuple[float, float, int | str]] = []  # (sent, answered, status or error)
        stop_loop = threading.Event()

        def loop() -> None:
            while not stop_loop.is_set():
                sent = time.monotonic()
                try:
                    status: int | str = hello(port)
                except Exception as e:  # noqa: BLE001 - any failure counts
                    status = repr(e)
                results.append((sent, time.monotonic(), status))

        threads = [threading.Thread(target=loop, daemon=True) for _ in range(3)]
        for t in threads:
            t.start()
        time.sleep(0.5)
        mark = len(proc.stderr_lines)
        proc.proc.send_signal(signal.SIGHUP)
        proc.wait_stderr("stopped (0)", start=mark, timeout=PATIENCE)
        down = time.monotonic()
        proc.wait_stderr("started pid", start=mark, timeout=PATIENCE)
        # The new bolt serves: requests sent after it started are answered (its banner may come
        # later, once every core booted, on a busy machine).
        up = time.monotonic()
        deadline = up + PATIENCE
        while sum(1 for r in results if r[0] > up) < 20 and time.monotonic() < deadline:
            time.sleep(0.05)
        stop_loop.set()
        for t in threads:
            t.join(PATIENCE)
    finally:
        stop(proc)
    failed = [r for r in results if r[2] != 200]
    assert not failed, f"{len(failed)} of {len(results)} requests failed: {failed[:5]}\n{proc.output()}"
    # Sent before the old bolt had exited, answered after the new one started: they waited in
    # the socket's backlog through the time no bolt ran (the client threads all block there).
    queued = [r for r in results if r[0] <= down and r[1] >= up]
    assert queued, "no request waited through the time no bolt was running"
    assert sum(1 for r in results if r[0] > up) >= 20, "the new bolt did not serve"
    assert len(results) > 20
    assert proc.stderr.count("relaunch: started pid") == 2


def _activation_env(**extra: str) -> dict[str, str]:
    return {**server_env(), **extra}


def test_listen_fds_for_another_process_is_refused():
    r = run_bolt(DEMO, env=_activation_env(LISTEN_FDS="1", LISTEN_PID="1"))
    assert r.returncode == 1
    assert "LISTEN_FDS is meant for process 1" in r.stderr
    assert "ExecStart=" in r.stderr


def test_malformed_listen_fds_is_refused():
    r = run_bolt(DEMO, env=_activation_env(LISTEN_FDS="one", LISTEN_PID="1"))
    assert r.returncode == 1
    assert "LISTEN_FDS='one' is not a number" in r.stderr


def test_dev_is_refused_under_activation():
    r = run_bolt(DEMO, "--dev", env=_activation_env(LISTEN_FDS="1", LISTEN_PID="1"))
    assert r.returncode == 1
    assert "--dev does not combine with socket activation" in r.stderr


def test_a_port_that_disagrees_with_the_passed_socket_is_refused(driver):
    proc, port = activated("--port", "9", driver=driver)
    try:
        # bolt exits before serving, and the socket (this test's only holder) closes unanswered.
        with pytest.raises((OSError, AssertionError), match="reset|closed|Connection"):
            hello(port, timeout=PATIENCE)
        assert proc.proc.wait(PATIENCE) == 1
    finally:
        proc.kill()
    assert f"--port 9 disagrees with the socket systemd passed (127.0.0.1:{port})" in proc.stderr


def test_systemd_analyze_verifies_the_units(tmp_path):
    analyze = require_tool(shutil.which("systemd-analyze"), "systemd-analyze")
    # The units as shipped, but with paths that exist here (verify checks ExecStart= is executable).
    service = (ROOT / "deploy" / "bolt.service").read_text()
    service = service.replace("/srv/mysite/.venv/bin/bolt", bolt_executable())
    service = service.replace("/srv/mysite", str(DEMO))
    (tmp_path / "bolt.service").write_text(service)
    shutil.copy(ROOT / "deploy" / "bolt.socket", tmp_path / "bolt.socket")
    r = subprocess.run(
        [analyze, "verify", str(tmp_path / "bolt.socket"), str(tmp_path / "bolt.service")],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "SYSTEMD_LOG_LEVEL": "notice"},
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout + r.stderr == "", r.stdout + r.stderr
