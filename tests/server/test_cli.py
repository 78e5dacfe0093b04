"""The ``bolt`` command: start-up errors, shutdown signals, and the flags of the README's table."""

import os
import platform
import re
import signal
import socket
import sys
import time

import pytest

from support.boltproc import BANNER_DRIVERS, EXPECTED_DRIVER, HOST, BoltProcess, bolt_executable
from support.paths import TESTS
from support.wire import Conn, fetch, get


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
    m = BANNER_DRIVERS.search(banner)
    assert m, f"no driver in banner {banner!r}"
    return m.group(1).split(",")


def test_banner_names_the_driver_of_every_worker(server, server2, driver):
    """--driver is honoured (no silent fallback), and the banner says so per worker."""
    one, two = driver_names(server.stdout), driver_names(server2.stdout)
    assert len(one) == 1 and len(two) == 2
    assert set(one + two) <= EXPECTED_DRIVER[driver]


# ----------------------------------------------------------------------------------------------
# The flags of the README's table that need a server of their own


def _shutdown_during(driver: str, target: str, timeout: str) -> tuple[object, float, int | None, float, BoltProcess]:
    """Starts bolt with --shutdown-timeout ``timeout``, sends ``target``, SIGINTs while it is in flight:
    (response, seconds to it, exit code, seconds to the exit, the server)."""
    bolt = BoltProcess.start(cores=1, driver=driver, extra=["--shutdown-timeout", timeout])
    try:
        with Conn(bolt.port, timeout=15) as conn:
            conn.send(f"GET {target} HTTP/1.1\r\nHost: t\r\n\r\n".encode())
            time.sleep(0.3)  # in flight
            t0 = time.monotonic()
            bolt.proc.send_signal(signal.SIGINT)
            resp = conn.read_response()
            answered = time.monotonic() - t0
            code = bolt.wait_exit(15)
            exited = time.monotonic() - t0
    finally:
        bolt.kill()
    return resp, answered, code, exited, bolt


def test_shutdown_timeout_bounds_how_long_in_flight_requests_may_take(demo_db, driver):
    """--shutdown-timeout 1: an 8 s (asyncio) request does not hold the exit for 8 s. At the
    deadline its client gets a 503 and the server exits 0."""
    resp, answered, code, exited, bolt = _shutdown_during(driver, "/sleep?ms=8000", "1")
    assert resp.status == 503 and resp.json() == {"detail": "Service Unavailable: shutting down"}
    assert 0.8 <= answered < 4, f"503 {answered:.2f}s after SIGINT\n{bolt.output()}"
    assert code == 0, bolt.output()
    assert exited < 5, f"exit {exited:.2f}s after SIGINT with --shutdown-timeout 1\n{bolt.output()}"


def test_shutdown_timeout_answers_a_running_blocking_handler_and_abandons_its_thread(demo_db, driver):
    """A def handler on the blocking pool cannot be interrupted: its client gets the 503 at the
    deadline, and the process exits (0) without waiting for the handler's thread (it used to
    wait for it: 3 s here, without bound in general)."""
    resp, answered, code, exited, bolt = _shutdown_during(driver, "/slow-sync?ms=3000", "1")
    assert resp.status == 503 and resp.json() == {"detail": "Service Unavailable: shutting down"}
    assert 0.8 <= answered < 2.5, f"503 {answered:.2f}s after SIGINT\n{bolt.output()}"
    assert code == 0, bolt.output()
    assert exited < 2.4, f"exit {exited:.2f}s after SIGINT\n{bolt.output()}"


def test_shutdown_timeout_longer_than_the_request_lets_it_finish(demo_db, driver):
    bolt = BoltProcess.start(cores=1, driver=driver, extra=["--shutdown-timeout", "6"])
    try:
        with Conn(bolt.port, timeout=15) as conn:
            conn.send(b"GET /sleep?ms=2000 HTTP/1.1\r\nHost: t\r\n\r\n")
            time.sleep(0.3)
            bolt.proc.send_signal(signal.SIGINT)
            resp = conn.read_response()
        code = bolt.wait_exit(15)
    finally:
        bolt.kill()
    assert resp.status == 200 and resp.json() == {"slept_ms": 2000}
    assert code == 0, bolt.output()


def test_max_body_flag_sets_the_413_limit(demo_db, driver):
    bolt = BoltProcess.start(cores=1, driver=driver, extra=["--max-body", "1000"])
    try:
        text = [("Content-Type", "text/plain")]
        ok = fetch(bolt.port, "POST", "/echo", headers=text, body=b"a" * 1000)
        assert ok.status == 200 and ok.json()["body"] == "a" * 1000
        assert fetch(bolt.port, "POST", "/echo", headers=text, body=b"a" * 1001).status == 413
        # The same limit for a chunked body, whose size is only known while reading it.
        with Conn(bolt.port) as conn:
            conn.send(
                b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n"
                + b"258\r\n"
                + b"b" * 600
                + b"\r\n"
                + b"258\r\n"
                + b"b" * 600
                + b"\r\n0\r\n\r\n",
                tolerate_reset=True,
            )
            assert conn.read_response().status == 413
    finally:
        assert bolt.stop() == 0


def _concurrent_slow_sync(port: int, n: int, ms: int) -> tuple[list[str], float]:
    """``n`` GET /slow-sync at once (one connection each): the pool thread names, the wall time."""
    conns = [Conn(port, timeout=20) for _ in range(n)]
    try:
        t0 = time.monotonic()
        for c in conns:
            c.send(f"GET /slow-sync?ms={ms} HTTP/1.1\r\nHost: t\r\n\r\n".encode())
        responses = [c.read_response() for c in conns]
        took = time.monotonic() - t0
    finally:
        for c in conns:
            c.close()
    assert [r.status for r in responses] == [200] * n, [r.body for r in responses]
    return [r.json()["thread"] for r in responses], took


@pytest.mark.parametrize("threads", [2, 5])
def test_blocking_threads_flag_sizes_the_pool(demo_db, driver, threads):
    bolt = BoltProcess.start(cores=1, driver=driver, extra=["--blocking-threads", str(threads)])
    try:
        names, took = _concurrent_slow_sync(bolt.port, 2 * threads, 400)
    finally:
        assert bolt.stop() == 0
    assert all(n.startswith("bolt-blocking") for n in names), names
    # Exactly `threads` threads shared the work, so it took two rounds of 400 ms, not one or more.
    assert len(set(names)) == threads, names
    assert 0.75 <= took < 4, f"{2 * threads} requests of 400 ms on {threads} threads took {took:.2f}s"


def test_header_timeout_flag(demo_db, driver):
    """--header-timeout 1: a client that never finishes its head gets 408 after about 1 s (the
    default is 10 s)."""
    bolt = BoltProcess.start(cores=1, driver=driver, extra=["--header-timeout", "1"])
    try:
        with Conn(bolt.port, timeout=15) as conn:
            conn.send(b"GET /hello HTTP/1.1\r\nHost: t\r\n")
            t0 = time.monotonic()
            resp = conn.read_response()
            took = time.monotonic() - t0
            conn.assert_closed()
    finally:
        assert bolt.stop() == 0
    assert resp.status == 408
    assert 0.7 <= took < 4, f"408 after {took:.2f}s with --header-timeout 1"


def test_blocking_threshold_flag(demo_db, driver):
    """--blocking-threshold-ms 1000: a def handler taking 60 ms is under it and stays inline."""
    bolt = BoltProcess.start(cores=1, driver=driver, extra=["--blocking-threshold-ms", "1000"])
    try:
        threads = [fetch(bolt.port, "GET", "/slow-auto?ms=60").json()["thread"] for _ in range(5)]
    finally:
        assert bolt.stop() == 0
    assert not any(t.startswith("bolt-blocking") for t in threads), threads
    assert "running it on the blocking pool from now on" not in bolt.stderr


# ----------------------------------------------------------------------------------------------
# --driver auto falls back to epoll where the kernel refuses io_uring; --driver uring does not

NOURING = TESTS / "support" / "nouring.py"
needs_seccomp_arch = pytest.mark.skipif(
    platform.machine() not in ("x86_64", "aarch64"), reason="the io_uring seccomp filter knows x86-64 and arm64 only"
)


def _without_io_uring(errno: int, driver: str) -> BoltProcess:
    return BoltProcess(
        [
            sys.executable,
            str(NOURING),
            str(errno),
            bolt_executable(),
            "--cores",
            "1",
            "--host",
            HOST,
            "--port",
            "0",
            "--driver",
            driver,
        ]
    )


@needs_seccomp_arch
@pytest.mark.parametrize("errno", [1, 38], ids=["EPERM", "ENOSYS"])
def test_auto_falls_back_to_epoll_when_io_uring_is_refused(demo_db, errno):
    bolt = _without_io_uring(errno, "auto")
    try:
        bolt.wait_ready()
        assert bolt.drivers == ["epoll"], bolt.output()
        assert get(bolt.port, "/hello").json() == {"message": "Hello, World!"}
        assert bolt.stop() == 0
    finally:
        bolt.kill()
    assert "io_uring unavailable" in bolt.stderr and "worker 0 uses epoll" in bolt.stderr, bolt.output()


@needs_seccomp_arch
def test_driver_uring_without_io_uring_is_one_message_and_exit_1(demo_db):
    """Was a panic ('worker still shared after the runtime ended') and exit 134."""
    bolt = _without_io_uring(38, "uring")
    try:
        code = bolt.wait_exit(30)
    finally:
        bolt.kill()
    assert code == 1, bolt.output()
    assert "io_uring unavailable" in bolt.stderr and "--driver epoll or auto" in bolt.stderr
    assert "listening on" not in bolt.stdout


# ----------------------------------------------------------------------------------------------
# --host and --cores all


def test_host_flag_sets_the_listen_address(demo_db, driver):
    """--host 127.0.0.2 (another loopback address): served there, not on 127.0.0.1."""
    bolt = BoltProcess([bolt_executable(), "--cores", "1", "--host", "127.0.0.2", "--port", "0", "--driver", driver])
    try:
        m = bolt.wait_stdout(r"listening on http://127\.0\.0\.2:(\d+)", 30)
        port = int(m.group(1))
        with Conn(port, host="127.0.0.2") as conn:
            assert conn.request("GET", "/hello").status == 200
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((HOST, port), timeout=2).close()
        assert bolt.stop() == 0
    finally:
        bolt.kill()


def test_cores_all_starts_one_worker_per_available_cpu(demo_db, driver):
    bolt = BoltProcess.start(cores="all", driver=driver)
    try:
        cpus = len(os.sched_getaffinity(0))
        assert f"| workers {cpus} |" in bolt.stdout, bolt.stdout
        assert len(bolt.drivers) == cpus
        assert get(bolt.port, "/interpreters").json() == {"count": cpus + 1}
    finally:
        assert bolt.stop() == 0


def test_shutdown_ends_every_interpreter_on_its_own_worker_thread(demo_db, driver):
    """Each worker's interpreter is ended by that worker's thread (demo/claims.py registers an
    atexit callback that names the interpreter and the thread running it as it is ended)."""
    bolt = BoltProcess.start(cores=2, driver=driver)
    try:
        workers = bolt.worker_threads(2)
        assert len(workers) == 2, workers
        assert bolt.stop() == 0
    finally:
        bolt.kill()
    ended = {int(i): int(t) for i, t in re.findall(r"claims: interpreter (\d+) ended on thread (\d+)", bolt.stderr)}
    assert {i: ended.get(i) for i in workers} == workers, bolt.output()


def test_flag_defaults_are_those_of_the_readme_table():
    import argparse

    from django_bolt.cli import add_server_arguments

    p = argparse.ArgumentParser()
    add_server_arguments(p)
    o = vars(p.parse_args([]))
    assert (o["cores"], o["host"], o["port"], o["log_level"], o["driver"]) == (
        "all",
        "127.0.0.1",
        8000,
        "warning",
        "auto",
    )
    assert (o["keep_alive_timeout"], o["header_timeout"], o["shutdown_timeout"]) == (60.0, 10.0, 10.0)
    assert (o["max_body"], o["blocking_threads"]) == (10 * 1024 * 1024, 8)
    assert (o["blocking_queue"], o["request_timeout"], o["blocking_threshold_ms"]) == (0, 0.0, 25.0)


def test_blocking_queue_default_is_four_times_the_threads():
    import json

    from django_bolt.options import ServerOptions
    from django_bolt.serve import native_config

    def boot(**opts) -> dict:
        return json.loads(native_config(ServerOptions.from_dict(opts), [None], "s")["boot"])

    assert boot()["blocking_queue"] == 32
    assert boot(blocking_threads=3)["blocking_queue"] == 12
    assert boot(blocking_queue=100, request_timeout=2.5)["blocking_queue"] == 100
    assert boot(request_timeout=2.5)["request_timeout"] == 2.5


def test_default_max_body_is_10_mib(server):
    """The shared server runs without --max-body: 10 MiB exactly is taken, one byte more is 413."""
    limit = 10 * 1024 * 1024
    with Conn(server.port, timeout=30) as conn:
        resp = conn.request(
            "POST", "/created", headers=[("Content-Type", "application/octet-stream")], body=b"\0" * limit
        )
        assert resp.status == 201, resp.body
    with Conn(server.port) as conn:
        conn.send(f"POST /created HTTP/1.1\r\nHost: t\r\nContent-Length: {limit + 1}\r\n\r\n".encode())
        assert conn.read_response().status == 413
