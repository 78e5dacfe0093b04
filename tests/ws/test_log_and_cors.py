"""A handshake in the access log (one line, as an HTTP request's: 101 or the refusal's status,
the handshake's duration), and refusals carrying the CORS headers of their route."""

from __future__ import annotations

import asyncio
import base64
import re

import pytest
import websockets

from support.boltproc import serve
from support.wire import Conn

from .rawws import handshake_bytes

KEY = base64.b64encode(b"0123456789abcdef").decode()
ALLOWED = "https://app.example.com"  # the demo's CORS_ALLOWED_ORIGINS


@pytest.fixture(scope="module")
def logging_server(demo_db, driver):
    yield from serve(cores=1, driver=driver, log_level="info")


def line_for(server, needle: str) -> str:
    assert server.wait_log(needle), server.output()
    return next(line for line in server.stderr.splitlines() if needle in line)


def test_an_accepted_handshake_is_one_access_line_written_at_the_101(logging_server):
    s = logging_server

    async def go():
        async with websockets.connect(f"ws://127.0.0.1:{s.port}/ws/rooms/logged?since=3") as ws:
            await ws.recv()
            # Logged while the socket is still open: the line is the handshake's.
            return s.wait_log('"GET /ws/rooms/logged?since=3" 101')

    assert asyncio.run(go())
    line = line_for(s, '"GET /ws/rooms/logged?since=3" 101')
    m = re.search(r'127\.0\.0\.1:\d+ "GET /ws/rooms/logged\?since=3" 101 0 (\d+\.\d+)ms', line)
    assert m, line
    assert float(m.group(1)) < 1000
    assert s.stderr.count("/ws/rooms/logged") == 1, "one line per upgrade"


@pytest.mark.parametrize(
    "path, status",
    [("/ws/secure", 401), ("/ws/refuse", 403), ("/ws/fail", 500), ("/ws/rooms/r?since=soon", 422)],
)
def test_a_refused_handshake_is_logged_with_its_status(logging_server, path, status):
    with Conn(logging_server.port) as c:
        c.send(handshake_bytes(path, KEY))
        assert c.read_response().status == status
    line_for(logging_server, f'"GET {path}" {status}')


def test_a_bad_handshake_is_logged_too(logging_server):
    with Conn(logging_server.port) as c:
        c.send(b"GET /ws/echo?plain=1 HTTP/1.1\r\nHost: t\r\n\r\n")
        assert c.read_response().status == 426
    line_for(logging_server, '"GET /ws/echo?plain=1" 426')


def refusal(port: int, raw: bytes):
    with Conn(port) as c:
        c.send(raw)
        return c.read_response()


@pytest.mark.parametrize(
    "raw, status",
    [
        (handshake_bytes("/ws/secure", KEY, extra=f"Origin: {ALLOWED}\r\n"), 401),
        (handshake_bytes("/ws/refuse", KEY, extra=f"Origin: {ALLOWED}\r\n"), 403),
        (handshake_bytes("/ws/rooms/r?since=soon", KEY, extra=f"Origin: {ALLOWED}\r\n"), 422),
        (handshake_bytes("/ws/fail", KEY, extra=f"Origin: {ALLOWED}\r\n"), 500),
        (handshake_bytes("/ws/guarded", KEY, extra=f"Origin: {ALLOWED}\r\n"), 403),
        (handshake_bytes("/ws/echo", "c2hvcnQ=", extra=f"Origin: {ALLOWED}\r\n"), 400),
        (f"GET /ws/echo HTTP/1.1\r\nHost: t\r\nOrigin: {ALLOWED}\r\n\r\n".encode(), 426),
    ],
    ids=["401", "403", "422", "500", "403-python-guard", "400", "426"],
)
def test_refusals_carry_the_cors_headers(server, raw, status):
    resp = refusal(server.port, raw)
    assert resp.status == status
    assert resp.header("access-control-allow-origin") == ALLOWED
    assert resp.header("access-control-allow-credentials") == "true"
    assert resp.header("access-control-expose-headers") == "x-total"


def test_a_refused_origin_gets_no_cors_grant(server):
    resp = refusal(server.port, handshake_bytes("/ws/echo", KEY, extra="Origin: https://evil.example\r\n"))
    assert resp.status == 403
    assert resp.header("access-control-allow-origin") is None
