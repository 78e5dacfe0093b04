"""Hostile clients on the wire: the head deadline (not reset by dripped bytes), the body
timeout, the per-core connection cap and the header-count limit, each seen from a socket.

The 2,000-connection version of the drip test is ``loadtests/drip.py``.
"""

import os
import select
import selectors
import socket
import time

import pytest

from support.boltproc import BoltProcess
from support.wait import poll
from support.wire import Conn, get

HEADER_TIMEOUT = 2.0
BODY_TIMEOUT = 1.0


def fd_count(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


@pytest.fixture(scope="module")
def strict(demo_db, driver):
    """A server with short head and body timeouts."""
    bolt = BoltProcess.start(
        cores=1,
        driver=driver,
        extra=["--header-timeout", str(HEADER_TIMEOUT), "--body-timeout", str(BODY_TIMEOUT)],
    )
    yield bolt
    assert bolt.stop() == 0


def test_drippers_are_closed_at_the_head_deadline(strict):
    """200 clients each sending a byte of their head every 0.5 s all get 408 and are closed by
    the deadline (plus slack), while a normal client is served; the fds come back."""
    get(strict.port, "/hello")
    baseline = fd_count(strict.pid)
    sel = selectors.DefaultSelector()
    opened = {}
    for _ in range(200):
        s = socket.create_connection(("127.0.0.1", strict.port), timeout=5)
        s.setblocking(False)
        opened[s] = time.monotonic()
        sel.register(s, selectors.EVENT_READ)
    head = b"GET /hello HTTP/1.1\r\nHost: t\r\nX-Slow: " + b"a" * 1000
    sent = 0
    closed_after, answers = [], []
    normal = []
    next_drip = time.monotonic()
    give_up = time.monotonic() + HEADER_TIMEOUT + 8
    while opened and time.monotonic() < give_up:
        if time.monotonic() >= next_drip:
            next_drip += 0.5
            for s in opened:
                try:
                    s.send(head[sent : sent + 1])
                except OSError:
                    pass
            sent += 1
            normal.append(get(strict.port, "/hello").status)
        for key, _ in sel.select(timeout=0.05):
            s = key.fileobj
            try:
                data = s.recv(65536)
            except OSError:
                data = b""
            answers.append(data.split(b"\r\n", 1)[0])
            closed_after.append(time.monotonic() - opened.pop(s))
            sel.unregister(s)
            s.close()
    for s in opened:
        s.close()
    assert not opened, f"{len(opened)} drippers still open {HEADER_TIMEOUT + 8}s after connecting"
    assert set(answers) == {b"HTTP/1.1 408 Request Timeout"}, set(answers)
    assert HEADER_TIMEOUT - 0.3 <= min(closed_after) and max(closed_after) < HEADER_TIMEOUT + 2.5, (
        min(closed_after),
        max(closed_after),
    )
    assert normal and set(normal) == {200}, normal
    assert poll(lambda: fd_count(strict.pid), lambda n: n <= baseline, 5) <= baseline


def test_a_silent_new_connection_is_closed_at_the_head_deadline(strict):
    """A connection that never sends a byte is closed without an answer at the head deadline
    (counted from the accept), not kept for the keep-alive timeout."""
    with Conn(strict.port, timeout=HEADER_TIMEOUT + 5) as conn:
        t0 = time.monotonic()
        assert conn.read_until_close() == b""
        took = time.monotonic() - t0
    assert HEADER_TIMEOUT - 0.3 <= took < HEADER_TIMEOUT + 2


def test_keep_alive_head_deadline_starts_at_its_first_byte(strict):
    """Between requests a connection may idle (keep-alive timeout, 60 s) longer than the head
    deadline; the next head then gets the full deadline from its first byte."""
    with Conn(strict.port, timeout=HEADER_TIMEOUT + 5) as conn:
        assert conn.request("GET", "/hello").status == 200
        time.sleep(HEADER_TIMEOUT + 0.5)
        conn.send(b"GET /hello HTTP/1.1\r\n")
        time.sleep(HEADER_TIMEOUT / 2)
        conn.send(b"Host: t\r\n\r\n")
        assert conn.read_response().status == 200
        # The deadline is not extended by bytes: a head dripped past it gets 408.
        t0 = time.monotonic()
        conn.send(b"GET /hello HTTP/1.1\r\n")
        # A field every 0.4 s until the answer is there (never past it, so no reset).
        for _ in range(int(HEADER_TIMEOUT / 0.4) + 5):
            if select.select([conn.sock], [], [], 0.4)[0]:
                break
            conn.send(b"X: y\r\n", tolerate_reset=True)
        resp = conn.read_response()
        assert resp.status == 408
        assert time.monotonic() - t0 < HEADER_TIMEOUT + 2
        conn.assert_closed()


def test_a_stalled_body_gets_408(strict):
    """A body that brings no byte for --body-timeout ends with 408 and a close."""
    with Conn(strict.port, timeout=BODY_TIMEOUT + 5) as conn:
        conn.send(
            b'POST /items HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n{"na'
        )
        t0 = time.monotonic()
        resp = conn.read_response()
        took = time.monotonic() - t0
        conn.assert_closed()
    assert resp.status == 408
    assert resp.json() == {"detail": "Request Timeout"}
    assert BODY_TIMEOUT - 0.3 <= took < BODY_TIMEOUT + 2


def test_a_slow_body_that_keeps_moving_is_served(strict):
    """The body timeout is per read, as nginx's client_body_timeout: a body arriving in pieces
    over more than the timeout in total, none of them late, is answered."""
    body = b'{"name":"slow","price":1.5}'
    head = b"POST /items HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
    with Conn(strict.port) as conn:
        conn.send(head % len(body))
        pieces = [body[i : i + 7] for i in range(0, len(body), 7)]
        t0 = time.monotonic()
        conn.send_in_parts(pieces, pause=BODY_TIMEOUT * 0.6)
        resp = conn.read_response()
    assert time.monotonic() - t0 > BODY_TIMEOUT
    assert resp.status == 200, resp.body
    assert resp.json()["name"] == "slow"


@pytest.fixture(scope="module")
def capped(demo_db, driver):
    """A server with room for 4 connections and 200 header fields."""
    bolt = BoltProcess.start(cores=1, driver=driver, extra=["--max-connections", "4", "--max-headers", "200"])
    yield bolt
    assert bolt.stop() == 0


def test_connections_over_the_cap_get_503_at_once(capped):
    held = [Conn(capped.port) for _ in range(4)]
    try:
        for c in held:
            assert c.request("GET", "/hello").status == 200
        start = len(capped.stderr_lines)
        refused = []
        for _ in range(5):
            with Conn(capped.port) as extra:
                extra.send(b"GET /hello HTTP/1.1\r\nHost: t\r\n\r\n", tolerate_reset=True)
                refused.append(extra.read_response())
                extra.assert_closed()
        for r in refused:
            assert r.status == 503
            assert r.header("connection") == "close"
            assert r.header("retry-after") == "1"
            assert r.json() == {"detail": "server at its connection limit; retry later"}
        # One log line for the burst, not one per refused connection.
        log = capped.wait_stderr("--max-connections (4)", start)
        assert log.count("--max-connections") == 1, log
        # The connections held are served on.
        for c in held:
            assert c.request("GET", "/hello").status == 200
    finally:
        for c in held:
            c.close()
    # Room again once they are gone.
    assert poll(lambda: get(capped.port, "/hello").status, lambda s: s == 200, 5) == 200


def _with_headers(n: int) -> bytes:
    fields = b"".join(b"X-Field-%d: v%d\r\n" % (i, i) for i in range(n - 1))
    return b"GET /hello HTTP/1.1\r\nHost: t\r\n" + fields + b"\r\n"


def test_100_header_fields_are_accepted_by_default(server):
    with Conn(server.port) as conn:
        conn.send(_with_headers(100))
        assert conn.read_response().status == 200
        conn.send(_with_headers(128))
        assert conn.read_response().status == 200


def test_too_many_header_fields_get_431(server):
    with Conn(server.port) as conn:
        conn.send(_with_headers(129))
        resp = conn.read_response()
        conn.assert_closed()
    assert resp.status == 431
    assert resp.json() == {"detail": "too many header fields"}


def test_max_headers_flag_raises_the_limit(capped):
    with Conn(capped.port) as conn:
        conn.send(_with_headers(200))
        assert conn.read_response().status == 200
        conn.send(_with_headers(201))
        assert conn.read_response().status == 431


def test_the_head_stays_bounded_in_bytes_whatever_the_count(capped):
    """--max-headers bounds the count; the head's 16 KiB bound holds regardless (431)."""
    fields = b"".join(b"X-F-%d: %s\r\n" % (i, b"v" * 150) for i in range(150))
    with Conn(capped.port) as conn:
        conn.send(b"GET /hello HTTP/1.1\r\nHost: t\r\n" + fields + b"\r\n", tolerate_reset=True)
        resp = conn.read_response()
    assert resp.status == 431
    assert resp.json() == {"detail": "request header section too large"}
