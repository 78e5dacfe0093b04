"""The ``bolt`` command: start-up errors and shutdown signals."""

import re
import signal
import socket
import time

import pytest
from boltproc import HOST, BoltProcess
from wire import Conn, get


@pytest.mark.parametrize("reuseport", [False, True], ids=["plain", "so_reuseport"])
def test_exits_1_when_the_port_is_in_use(demo_db, driver, reuseport):
    """Also when the holder set SO_REUSEPORT: a stale server must not silently share the port."""
    with socket.socket() as holder:
        if reuseport:
            holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        holder.bind((HOST, 0))
        holder.listen()
        port = holder.getsockname()[1]
        bolt = BoltProcess.launch(cores=1, driver=driver, port=port)
        try:
            code = bolt.wait_exit(30)
        finally:
            bolt.kill()
    assert code == 1, f"expected exit code 1, got {code}\n{bolt.output()}"
    assert str(port) in bolt.stderr + bolt.stdout, bolt.output()
    assert "listening on" not in bolt.stdout


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_stops_the_server_with_exit_code_0(demo_db, driver, sig):
    bolt = BoltProcess.start(cores=1, driver=driver)
    try:
        assert get(bolt.port, "/hello").status == 200
        code = bolt.stop(sig)
    finally:
        bolt.kill()
    assert code == 0, bolt.output()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((HOST, bolt.port), timeout=2).close()


def test_stop_waits_for_an_in_flight_request(demo_db, driver):
    """Drain on shutdown: a request already being handled still gets its response."""
    bolt = BoltProcess.start(cores=1, driver=driver)
    try:
        with Conn(bolt.port, timeout=10) as conn:
            conn.send(b"GET /sleep?ms=500 HTTP/1.1\r\nHost: t\r\n\r\n")
            time.sleep(0.1)
            bolt.proc.send_signal(signal.SIGINT)
            resp = conn.read_response()
        code = bolt.wait_exit(10)
    finally:
        bolt.kill()
    assert resp.status == 200 and resp.json() == {"slept_ms": 500}
    assert code == 0, bolt.output()


def driver_names(banner: str) -> list[str]:
    m = re.search(r"\bdriver ([\w,]+)", banner)
    assert m, f"no driver in banner {banner!r}"
    return m.group(1).split(",")


EXPECTED_DRIVER = {"uring": {"io_uring"}, "epoll": {"epoll"}, "auto": {"io_uring", "epoll"}}


def test_banner_names_the_driver_of_every_worker(server, server2, driver):
    """--driver is honoured (no silent fallback), and the banner says so per worker."""
    one, two = driver_names(server.stdout), driver_names(server2.stdout)
    assert len(one) == 1 and len(two) == 2
    assert set(one + two) <= EXPECTED_DRIVER[driver]
