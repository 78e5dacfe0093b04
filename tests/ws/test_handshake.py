"""The opening handshake (RFC 6455 §4): what is refused before any Python runs (400/426), the
Origin check (403), the route's authentication and parameters (401/422), and the handler's own
decision: 101 only when it accepts, 403 when it closes first, 500 when it raises first."""

from __future__ import annotations

import asyncio
import base64
import os

import pytest
import websockets

from support.tokens import mint
from support.wire import Conn, get

from .rawws import RawWS, accept_for, handshake_bytes

KEY = base64.b64encode(b"0123456789abcdef").decode()


def answer(port: int, raw: bytes):
    with Conn(port) as c:
        c.send(raw)
        resp = c.read_response()
        c.assert_closed()
        return resp


def test_101_carries_the_accept_key_for_the_client_key(server):
    with Conn(server.port) as c:
        c.send(handshake_bytes("/ws/echo", KEY))
        resp = c.read_response(head=True)
    assert resp.status == 101
    assert resp.header("sec-websocket-accept") == accept_for(KEY)
    assert resp.header("upgrade").lower() == "websocket"
    assert resp.header("connection").lower() == "upgrade"
    # accept(headers=...) adds its own.
    assert resp.header("x-echo") == "yes"


@pytest.mark.parametrize(
    "raw, status, why",
    [
        (b"GET /ws/echo HTTP/1.1\r\nHost: t\r\n\r\n", 426, "a plain GET to a WebSocket route"),
        (handshake_bytes("/ws/echo", KEY, version="8"), 426, "a version other than 13"),
        (handshake_bytes("/ws/echo", "c2hvcnQ="), 400, "a key that is not 16 bytes"),
        (handshake_bytes("/ws/echo", "not base64!"), 400, "a key that is not base64"),
        (
            handshake_bytes("/ws/echo", KEY).replace(b"Connection: Upgrade", b"Connection: close"),
            400,
            "no upgrade token",
        ),
        (handshake_bytes("/ws/echo", KEY).replace(b"HTTP/1.1", b"HTTP/1.0"), 400, "HTTP/1.0"),
        (handshake_bytes("/ws/echo", KEY).replace(b"Sec-WebSocket-Key: ", b"X-Key: "), 400, "no key"),
    ],
)
def test_bad_handshakes_are_refused(server, raw, status, why):
    resp = answer(server.port, raw)
    assert resp.status == status, why
    if status == 426:
        assert resp.header("sec-websocket-version") == "13"
        assert resp.header("upgrade") == "websocket"
    server.assert_alive()


def test_other_methods_on_a_websocket_path_get_405(server):
    with Conn(server.port) as c:
        resp = c.request("POST", "/ws/echo")
    assert resp.status == 405
    assert "GET" in resp.header("allow")


def test_handler_closing_before_accept_refuses_with_403(server):
    resp = answer(server.port, handshake_bytes("/ws/refuse", KEY))
    assert resp.status == 403
    assert resp.json() == {"detail": "WebSocket connection refused"}


def test_handler_raising_before_accept_gives_500(server):
    resp = answer(server.port, handshake_bytes("/ws/fail", KEY))
    assert resp.status == 500
    assert resp.json() == {"detail": "WebSocket handler failed"}
    assert get(server.port, "/hello").status == 200


@pytest.mark.parametrize(
    "origin, allowed",
    [
        ("https://evil.example", False),
        ("https://app.example.com", True),  # CORS_ALLOWED_ORIGINS
        ("https://abc.example.org", True),  # CORS_ALLOWED_ORIGIN_REGEXES
        ("null", False),
    ],
)
def test_origin_must_be_allowed_by_the_cors_settings(server, origin, allowed):
    raw = handshake_bytes("/ws/echo", KEY, extra=f"Origin: {origin}\r\n")
    with Conn(server.port) as c:
        c.send(raw)
        resp = c.read_response(head=allowed)
    if allowed:
        assert resp.status == 101
    else:
        assert resp.status == 403
        assert resp.json() == {"detail": "Origin not allowed"}


def test_a_page_of_the_server_itself_may_connect(server):
    raw = handshake_bytes("/ws/echo", KEY, extra=f"Origin: http://127.0.0.1:{server.port}\r\n", port=server.port)
    with Conn(server.port) as c:
        c.send(raw)
        assert c.read_response(head=True).status == 101


def test_authentication_is_checked_before_accepting(server):
    resp = answer(server.port, handshake_bytes("/ws/secure", KEY))
    assert resp.status == 401
    assert resp.header("www-authenticate").lower().startswith("bearer")
    bad = answer(server.port, handshake_bytes("/ws/secure", KEY, extra="Authorization: Bearer nope\r\n"))
    assert bad.status == 401


def test_an_authenticated_client_gets_its_claims(server):
    token = mint({"sub": "42", "exp": 4102444800})

    async def go():
        async with websockets.connect(
            f"ws://127.0.0.1:{server.port}/ws/secure", additional_headers={"Authorization": f"Bearer {token}"}
        ) as ws:
            return await ws.recv()

    assert asyncio.run(go()) == '{"sub":"42"}'


def test_typed_parameters_are_validated_before_accepting(server):
    resp = answer(server.port, handshake_bytes("/ws/rooms/r1?since=soon", KEY))
    assert resp.status == 422
    [issue] = resp.json()["detail"]
    assert issue["loc"] == ["query", "since"]


def test_a_refused_handshake_leaves_no_handler_running(server):
    # Many refusals in a row: each one's handler ends and the core keeps answering.
    for _ in range(50):
        assert answer(server.port, handshake_bytes("/ws/refuse", KEY)).status == 403
    assert get(server.port, "/hello").status == 200


def test_random_keys_get_their_own_accept(server):
    for _ in range(5):
        key = base64.b64encode(os.urandom(16)).decode()
        with RawWS.connect(server.port, "/ws/echo") as ws:
            assert ws.response.status == 101
        assert accept_for(key) != accept_for(KEY)


def test_head_on_a_websocket_route_is_426_too(server):
    with Conn(server.port) as c:
        c.send(b"HEAD /ws/echo HTTP/1.1\r\nHost: t\r\n\r\n")
        resp = c.read_response(head=True)
    assert resp.status == 426
    assert resp.header("sec-websocket-version") == "13"
