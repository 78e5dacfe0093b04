"""``--backlog``: the listen backlog of the sockets the server binds (django-bolt's runbolt flag).

``ss -ltn`` shows a listening socket's backlog in its Send-Q column, so the tests read what the
kernel was given rather than trusting the flag parser.
"""

import subprocess
import sys

import pytest

from support.boltproc import DEMO, BoltProcess
from support.wire import get


def _backlogs(port: int) -> list[int]:
    out = subprocess.run(["ss", "-Hltn", f"sport = :{port}"], capture_output=True, text=True, check=True).stdout
    # State Recv-Q Send-Q Local Peer: Send-Q is the backlog of a listening socket.
    return sorted(int(line.split()[2]) for line in out.splitlines() if line.strip())


def test_default_backlog_is_4096_on_every_cores_listener(demo_db, driver):
    bolt = BoltProcess.start(cores=2, driver=driver)
    try:
        assert _backlogs(bolt.port) == [4096, 4096]
    finally:
        bolt.stop()


def test_backlog_flag_sets_every_cores_listener(demo_db, driver):
    bolt = BoltProcess.start(cores=2, driver=driver, extra=["--backlog", "123"])
    try:
        assert _backlogs(bolt.port) == [123, 123]
        assert get(bolt.port, "/hello").status == 200
    finally:
        bolt.stop()


def test_runbolt_backlog_with_processes_sets_the_shared_listener(demo_db, driver):
    # django-bolt's deployments pass --backlog to runbolt; with --processes the supervisor binds
    # one socket that every worker process accepts on.
    cmd = [sys.executable, "manage.py", "runbolt", "--processes", "2", "--backlog", "77", "--port", "0"]
    server = BoltProcess([*cmd, "--driver", driver], DEMO)
    try:
        server.wait_ready()
        assert _backlogs(server.port) == [77]
        assert get(server.port, "/hello").status == 200
    finally:
        assert server.stop() == 0


@pytest.mark.parametrize("value", ["-1", "x"])
def test_bad_backlog_is_refused_at_start(demo_db, driver, value):
    bolt = BoltProcess.launch(cores=1, driver=driver, extra=["--backlog", value])
    try:
        code = bolt.wait_exit(30)
    finally:
        bolt.kill()
    assert code != 0 and "--backlog" in bolt.stderr, bolt.output()
    assert "listening on" not in bolt.stdout
