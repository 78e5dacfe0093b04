"""Bad input never takes a core down: garbage, abrupt closes, idle timeouts."""

from __future__ import annotations

import random
import socket
import time

from support.boltproc import BoltProcess
from support.wire import fetch


def test_random_garbage_never_takes_the_core_down(server):
    rng = random.Random(1234)
    seeds = [
        b"GET / HTTP/1.1\r\n",
        b"POST /items HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n",
        b"\x16\x03\x01\x02\x00\x01",
        b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
        b"\r\n\r\n\r\n",
    ]
    for i in range(150):
        data = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(0, 8)):
            pos = rng.randrange(len(data) + 1)
            data[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 12)))
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
            try:
                s.sendall(bytes(data))
                s.shutdown(socket.SHUT_WR)
                s.settimeout(2)
                while s.recv(65536):
                    pass
            except (ConnectionError, TimeoutError):
                pass
        if i % 25 == 0:
            assert fetch(server.port, "GET", "/hello").status == 200
    assert fetch(server.port, "GET", "/hello").status == 200


def test_idle_keep_alive_connection_is_closed_after_the_timeout(demo_db, driver):
    server = BoltProcess.start(cores=1, driver=driver, extra=["--keep-alive-timeout", "1"])
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
            s.sendall(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
            first = s.recv(65536)
            assert first.startswith(b"HTTP/1.1 200")
            t0 = time.monotonic()
            assert s.recv(65536) == b""  # the server closed the idle connection
            assert 0.5 < time.monotonic() - t0 < 4
    finally:
        server.stop()
