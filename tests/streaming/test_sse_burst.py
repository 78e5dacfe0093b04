"""Many event streams due at the same instant on one core, with plain requests beside them
(src/runtime/worker.rs, `pump`): the asyncio loop's burst is cut into slices that yield to the
connections between them, so requests are answered during the burst, and the streams are not
starved by a client that keeps the core busy with requests: every event still arrives, in order.
Behaviour only; the latencies are measured by loadtests/sse_scale.py."""

from __future__ import annotations

import re
import selectors
import socket
import threading
import time

import pytest

from support.wire import HOST

pytestmark = pytest.mark.usefixtures("demo_db")

ID = re.compile(rb"^id: (\d+)$", re.M)
STREAMS = 300
COUNT = 20


def _hello_until(port: int, stop: threading.Event, answers: list[bytes]) -> None:
    """Asks ``/hello`` one request after another on a keep-alive connection until ``stop``."""
    with socket.create_connection((HOST, port), timeout=30) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        while not stop.is_set():
            s.sendall(b"GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
            buf = b""
            while True:
                data = s.recv(65536)
                assert data, "server closed the /hello connection"
                buf += data
                head, sep, body = buf.partition(b"\r\n\r\n")
                if sep:
                    length = int(re.search(rb"(?i)content-length: (\d+)", head).group(1))
                    if len(body) >= length:
                        break
            answers.append(head.split(b"\r\n", 1)[0] + b" " + body)


def test_requests_are_answered_while_hundreds_of_streams_are_due_and_every_event_arrives(server):
    # 300 streams, each an event every 50 ms, all opened at once so their events fall due
    # together (more Python than one slice of the loop holds); a client asks /hello back to back
    # on the same (only) core all the while.
    stop = threading.Event()
    answers: list[bytes] = []
    asker = threading.Thread(target=_hello_until, args=(server.port, stop, answers), daemon=True)
    sel = selectors.DefaultSelector()
    got: dict[socket.socket, bytes] = {}
    try:
        for _ in range(STREAMS):
            s = socket.create_connection((HOST, server.port), timeout=10)
            s.sendall(f"GET /streams/ticker?interval=0.05&count={COUNT} HTTP/1.1\r\nHost: t\r\n\r\n".encode())
            s.setblocking(False)
            sel.register(s, selectors.EVENT_READ)
            got[s] = b""
        asker.start()
        open_ = set(got)
        deadline = time.monotonic() + 60
        while open_ and time.monotonic() < deadline:
            for key, _ in sel.select(timeout=1):
                s = key.fileobj
                data = s.recv(65536)
                got[s] += data
                if not data or got[s].endswith(b"\r\n0\r\n\r\n"):
                    sel.unregister(s)
                    open_.discard(s)
        stop.set()
        asker.join(30)
        assert not open_, f"{len(open_)} of {STREAMS} streams unfinished after 60 s"
        for data in got.values():
            assert data.startswith(b"HTTP/1.1 200"), data[:100]
            assert [int(i) for i in ID.findall(data)] == list(range(COUNT))
        # Answered throughout (the streams take about a second), each one whole.
        assert len(answers) >= 10
        assert set(answers) == {b'HTTP/1.1 200 OK {"message":"Hello, World!"}'}
    finally:
        stop.set()
        for s in got:
            s.close()
        sel.close()
