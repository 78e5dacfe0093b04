"""``websocket.scheme``: ``"wss"`` when a proxy in ``BOLT_TRUSTED_PROXIES`` says the client used
HTTPS (``X-Forwarded-Proto``), as ``request.scheme`` is ``"https"``; ``"ws"`` otherwise, whatever
another peer claims. Over a real ``bolt`` (tests/projects/edges trusts 127.0.0.2) and through
``WebSocketTestClient(base_url=...)``."""

from __future__ import annotations

import asyncio
import base64
import os
import socket

import pytest

from django_bolt import BoltAPI, WebSocket
from django_bolt.testing import WebSocketTestClient
from support.wire import HOST, Conn

from .rawws import OP_TEXT, RawWS, accept_for

TRUSTED, STRANGER = "127.0.0.2", "127.0.0.1"


@pytest.fixture(autouse=True)
def django_ready(request) -> None:
    """Django set up with the demo's settings unless a test before configured others: left to the
    test client, it would configure minimal ones, and the demo's tests after this one need its."""
    from django.conf import settings

    if not settings.configured:
        request.getfixturevalue("demo_apis")


def _scheme_over(port: int, source: str, proto: str | None) -> str:
    key = base64.b64encode(os.urandom(16)).decode()
    extra = f"X-Forwarded-Proto: {proto}\r\n" if proto else ""
    sock = socket.create_connection((HOST, port), timeout=5, source_address=(source, 0))
    with Conn.wrap(sock) as conn:
        conn.send(
            (
                "GET /ws/scheme HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n{extra}\r\n"
            ).encode()
        )
        resp = conn.read_response(head=True)
        assert (resp.status, resp.header("sec-websocket-accept")) == (101, accept_for(key))
        fin, op, payload = RawWS(conn, resp).read_frame()
    assert (fin, op) == (True, OP_TEXT)
    return payload.decode()


@pytest.mark.parametrize(
    "source, proto, scheme",
    [
        (TRUSTED, "https", "wss"),
        (TRUSTED, "http", "ws"),
        (TRUSTED, None, "ws"),
        (STRANGER, "https", "ws"),
    ],
)
def test_the_scheme_follows_a_trusted_proxy_only(edges, source, proto, scheme):
    assert _scheme_over(edges.port, source, proto) == scheme


def _client_scheme(base_url: str | None) -> str:
    api = BoltAPI()

    @api.websocket("/s")
    async def s(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text(f"{websocket.scheme} {websocket.headers['host']}")

    async def go() -> str:
        kwargs = {} if base_url is None else {"base_url": base_url}
        async with WebSocketTestClient(api, "/s", **kwargs) as ws:
            return await ws.receive_text()

    return asyncio.run(asyncio.wait_for(go(), 20))


@pytest.mark.parametrize(
    "base_url, seen",
    [
        (None, "ws testserver"),
        ("http://testserver", "ws testserver"),
        ("https://api.example.com", "wss api.example.com"),
        ("wss://api.example.com:8443", "wss api.example.com:8443"),
        ("ws://localhost", "ws localhost"),
    ],
)
def test_the_test_clients_base_url_gives_host_and_scheme(base_url, seen):
    assert _client_scheme(base_url) == seen


def test_a_base_url_that_is_not_http_or_ws_is_refused():
    with pytest.raises(ValueError, match="base_url"):
        WebSocketTestClient(BoltAPI(), "/s", base_url="ftp://testserver")
