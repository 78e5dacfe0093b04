"""Authentication on the handshake, checked before any 101: authenticators in Rust (JWT, API
keys) and in Python (Django's session, run on the core's loop as on HTTP routes), and guards in
Python; a refused client gets the same 401/403 an HTTP route would give it."""

from __future__ import annotations

import asyncio
import base64

import pytest
import websockets

from support.session import logged_in
from support.tokens import mint
from support.wire import Conn

from .rawws import handshake_bytes

KEY = base64.b64encode(b"0123456789abcdef").decode()


def answer(port: int, path: str, extra: str = ""):
    with Conn(port) as c:
        c.send(handshake_bytes(path, KEY, extra=extra))
        resp = c.read_response()
        c.assert_closed()
        return resp


def messages(port: int, path: str, headers: dict[str, str]) -> list:
    async def go():
        async with websockets.connect(f"ws://127.0.0.1:{port}{path}", additional_headers=headers) as ws:
            return [m async for m in ws]

    return asyncio.run(asyncio.wait_for(go(), 10))


def test_api_key_in_rust(server):
    resp = answer(server.port, "/ws/keyed")
    assert resp.status == 401
    assert resp.header("www-authenticate").lower().startswith("apikey")
    assert answer(server.port, "/ws/keyed", "X-API-Key: wrong\r\n").status == 401
    assert messages(server.port, "/ws/keyed", {"X-API-Key": "ws-key"}) == ["key ok"]


def test_session_in_python_refuses_an_anonymous_client_with_403(server):
    # The session names no scheme (as on HTTP routes): 403, not 401.
    resp = answer(server.port, "/ws/session")
    assert resp.status == 403
    assert resp.json() == {"detail": "You do not have permission to perform this action."}
    bad = answer(server.port, "/ws/session", "Cookie: sessionid=not-a-session\r\n")
    assert bad.status == 403
    server.assert_alive()


def test_session_in_python_lets_a_logged_in_browser_through(server, admin_user):
    cookie = logged_in(server, admin_user).cookie_header()
    assert messages(server.port, "/ws/session", {"Cookie": cookie}) == ['{"user":"admin"}']


def test_token_or_session_401_names_the_tokens_scheme(server, admin_user):
    resp = answer(server.port, "/ws/jwt-or-session")
    assert resp.status == 401
    assert resp.header("www-authenticate").lower().startswith("bearer")
    token = mint({"sub": "999999", "exp": 4102444800})
    assert messages(server.port, "/ws/jwt-or-session", {"Authorization": f"Bearer {token}"}) == [
        '{"user":"","claims":true}'
    ]
    cookie = logged_in(server, admin_user).cookie_header()
    assert messages(server.port, "/ws/jwt-or-session", {"Cookie": cookie}) == ['{"user":"admin","claims":false}']


@pytest.mark.parametrize("header, status", [("", 403), ("X-Pass: no\r\n", 403), ("X-Pass: yes\r\n", 101)])
def test_a_guard_in_python(server, header, status):
    if status == 101:
        assert messages(server.port, "/ws/guarded", {"X-Pass": "yes"}) == ["passed"]
        return
    resp = answer(server.port, "/ws/guarded", header)
    assert resp.status == status
    assert resp.json() == {"detail": "You do not have permission to perform this action."}


def test_refusals_in_python_leave_no_handler_behind(server):
    for _ in range(30):
        assert answer(server.port, "/ws/guarded").status == 403
        assert answer(server.port, "/ws/session").status == 403
    assert messages(server.port, "/ws/guarded", {"X-Pass": "yes"}) == ["passed"]
    # Not logged as handler failures.
    assert "WebSocket handler failed" not in server.stderr
