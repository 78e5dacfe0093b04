"""``BOLT_WS_MAX_CONNECTIONS`` (here through ``DJANGO_BOLT_WS_MAX_CONNECTIONS``): a cap on the
open WebSockets of the whole server, every core together, as django-bolt caps its process's.
Past it an upgrade gets 503 before any 101; refused handshakes hold no slot; a closed socket
gives its slot back; 0 refuses every upgrade; a bad value stops the start."""

from __future__ import annotations

import base64
import os
import time

import pytest

from support.boltproc import BoltProcess, serve
from support.wire import Conn

from .rawws import OP_CLOSE, RawWS, close_payload, handshake_bytes

KEY = base64.b64encode(b"0123456789abcdef").decode()


@pytest.fixture(scope="module")
def capped(demo_db, driver):
    # Two cores: the cap is the server's, wherever SO_REUSEPORT puts each connection.
    yield from serve(cores=2, driver=driver, env={"DJANGO_BOLT_WS_MAX_CONNECTIONS": "3"})


def upgrade(port: int, path: str = "/ws/echo"):
    key = base64.b64encode(os.urandom(16)).decode()
    with Conn(port) as c:
        c.send(handshake_bytes(path, key))
        return c.read_response()


def test_past_the_cap_the_upgrade_gets_503(capped):
    held = [RawWS.connect(capped.port, "/ws/echo") for _ in range(3)]
    try:
        # Many tries, so some land on each core: every one is refused.
        for _ in range(8):
            resp = upgrade(capped.port)
            assert resp.status == 503, resp.status
            assert resp.json() == {"detail": "Too many WebSocket connections"}
        # The refusal carries the CORS headers, as every refusal does.
        with Conn(capped.port) as c:
            c.send(handshake_bytes("/ws/echo", KEY, extra="Origin: https://app.example.com\r\n"))
            resp = c.read_response()
        assert resp.status == 503
        assert resp.header("access-control-allow-origin") == "https://app.example.com"
        # HTTP is not capped.
        with Conn(capped.port) as c:
            assert c.request("GET", "/hello").status == 200
    finally:
        for ws in held:
            ws.send_frame(OP_CLOSE, close_payload(1000))
            ws.conn.close()


def test_closed_sockets_and_refusals_give_their_slots_back(capped):
    # Refused handshakes (403, 500, 401, 422) hold no slot once answered.
    for path in ("/ws/refuse", "/ws/fail", "/ws/secure", "/ws/rooms/r?since=soon") * 2:
        assert upgrade(capped.port, path).status in (401, 403, 422, 500), path
    for _ in range(3):
        # All three slots are free (the server noticed every earlier close)...
        batch = wait_open(capped.port, 3)
        assert upgrade(capped.port).status == 503
        # ...and sockets closed by their client (the closing handshake, or just dropped)
        # give theirs back.
        batch[0].send_frame(OP_CLOSE, close_payload(1000))
        batch[0].read_close()
        for ws in batch:
            ws.conn.close()


def wait_open(port: int, n: int) -> list[RawWS]:
    """``n`` open sockets, once the server has that many slots free (within 5 s)."""
    deadline = time.monotonic() + 5
    while not (got := open_all(port, n)):
        assert time.monotonic() < deadline, f"{n} slots not free"
        time.sleep(0.1)
    return got


def open_all(port: int, n: int) -> list[RawWS]:
    """``n`` open sockets, or none (closing those it got) when the server refused one."""
    got: list[RawWS] = []
    for _ in range(n):
        try:
            got.append(RawWS.connect(port, "/ws/echo"))
        except AssertionError:
            for ws in got:
                ws.conn.close()
            return []
    return got


def test_zero_refuses_every_upgrade(demo_db, driver):
    server = BoltProcess.start(cores=1, driver=driver, env={"DJANGO_BOLT_WS_MAX_CONNECTIONS": "0"})
    try:
        assert upgrade(server.port).status == 503
    finally:
        assert server.stop() == 0


@pytest.mark.parametrize("value", ["-1", "2.5", "lots"])
def test_a_bad_value_stops_the_start(demo_db, driver, value):
    proc = BoltProcess.launch(cores=1, driver=driver, env={"DJANGO_BOLT_WS_MAX_CONNECTIONS": value})
    try:
        assert proc.proc.wait(timeout=30) != 0
    finally:
        proc.kill()
    assert "DJANGO_BOLT_WS_MAX_CONNECTIONS must be an int of 0 or more" in proc.output()


@pytest.mark.parametrize("value, expected", [(2, 2), (0, 0), ("2", None), (True, None), (2.0, None), (-1, None)])
def test_the_django_setting_takes_an_int_of_0_or_more(demo_apis, value, expected):
    # As django-bolt: the setting must be an int (the environment variable is text, parsed).
    from django.core.exceptions import ImproperlyConfigured
    from django.test import override_settings

    from django_bolt.websocket.hub import WsConfig

    with override_settings(BOLT_WS_MAX_CONNECTIONS=value):
        if expected is None:
            with pytest.raises(ImproperlyConfigured, match="BOLT_WS_MAX_CONNECTIONS must be an int of 0 or more"):
                WsConfig.from_settings()
        else:
            assert WsConfig.from_settings().max_connections == expected
