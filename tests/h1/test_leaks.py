"""Resources come back: file descriptors and threads after many connections.

Counts are read from /proc/<server pid>/ before and after a burst of
connections that end in every way a connection can end.
"""

import os
import socket
import struct
import time

from support.wait import poll
from support.wire import Conn, get

ROUNDS = 200


def fd_count(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def thread_count(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/task"))


def settle(pid: int, baseline: int, count=fd_count, timeout: float = 5.0) -> int:
    """Wait for the count to come back to ``baseline``; returns the last value."""
    return poll(lambda: count(pid), lambda value: value <= baseline, timeout)


def warm_up(server) -> None:
    for path in ("/hello", "/users", "/sleep?ms=1", "/boom"):
        get(server.port, path)


def test_no_fd_leak_after_keep_alive_and_closed_connections(server):
    warm_up(server)
    before = fd_count(server.pid)
    for i in range(ROUNDS):
        with Conn(server.port) as conn:
            conn.request("GET", "/hello")
            if i % 2:
                conn.send(b"GET /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
                conn.read_response()
                conn.assert_closed()
    assert settle(server.pid, before) <= before


def test_no_fd_leak_after_rejected_requests(server):
    warm_up(server)
    before = fd_count(server.pid)
    for _ in range(ROUNDS // 4):
        with Conn(server.port) as conn:
            conn.send(b"GET /hello HTTP/1.1\r\nHost : t\r\n\r\n")
            assert conn.read_response().status == 400
            conn.assert_closed()
    assert settle(server.pid, before) <= before


def test_no_fd_leak_when_clients_vanish_mid_request(server):
    """Half a head, half a body, or a reset while a handler is still sleeping."""
    warm_up(server)
    before = fd_count(server.pid)
    partials = [
        b"GET /hel",
        b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nonly part",
        b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
        b"GET /sleep?ms=300 HTTP/1.1\r\nHost: t\r\n\r\n",
    ]
    for i in range(ROUNDS // 4):
        for data in partials:
            with Conn(server.port) as conn:
                conn.send(data)
                if i % 2:  # abortive close: RST instead of FIN
                    conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    time.sleep(0.4)  # let the last sleeping handlers finish
    assert settle(server.pid, before) <= before
    assert get(server.port, "/hello").status == 200


def test_thread_count_is_stable_under_load(server):
    warm_up(server)
    before = thread_count(server.pid)
    for _ in range(ROUNDS // 2):
        get(server.port, "/users")
        get(server.port, "/sleep?ms=1")
    assert settle(server.pid, before, count=thread_count) <= before
