"""django-bolt 0.13's WebSocket page (topics/websocket.md) through ``WebSocketTestClient``; the
module (site_moving/examples/websocket.py) says where the examples were changed and why."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

from django_bolt.auth import create_jwt_for_user
from django_bolt.testing import ConnectionClosed, HandshakeRejected, WebSocketTestClient


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 20))


@pytest.fixture(scope="module")
def page(example):
    return example("websocket")


def socket(page, path: str, **kw) -> WebSocketTestClient:
    return WebSocketTestClient(page.APIS, path, **kw)


def test_echo_chat_and_a_room(page):
    async def go():
        async with socket(page, "/ws/echo") as ws:
            await ws.send_text("Hello")
            echo = await ws.receive_text()
        async with socket(page, "/ws/chat") as ws:
            await ws.send_text("hi")
            chat = await ws.receive_text()
        async with socket(page, "/ws/room/lobby") as ws:
            await ws.send_text("hey")
            room = await ws.receive_text()
        return echo, chat, room

    assert run(go()) == ("Echo: Hello", "You said: hi", "[lobby] hey")


def test_sending_and_receiving_each_kind(page):
    async def go():
        async with socket(page, "/ws/kinds") as ws:
            got = [await ws.receive_text(), await ws.receive_bytes(), await ws.receive_json()]
            await ws.send_text("t")
            await ws.send_bytes(b"123")
            await ws.send_json({"k": 1})
            got.append(await ws.receive_json())
            await ws.send_json([1, 2])
            got.append(await ws.receive_json())
        return got

    assert run(go()) == [
        "Hello, World!",
        b"\x00\x01\x02\x03",
        {"type": "message", "data": "Hello"},
        {"text": "t", "bytes": 3, "json": {"k": 1}},
        {"again": [1, 2]},
    ]


def test_a_query_token_checked_by_the_handler(page):
    async def refused():
        async with socket(page, "/ws/connect", query_string="token=wrong"):
            pass

    # Closing before accept refuses the handshake (403), as django-bolt's test client does.
    with pytest.raises(HandshakeRejected) as e:
        run(refused())
    assert e.value.status_code == 403

    async def go():
        async with socket(page, "/ws/connect", query_string="token=secret") as ws:
            return await ws.receive_text()

    assert run(go()) == "connected"


def test_typed_parameters(page):
    async def go(query):
        async with socket(page, "/ws/feed", query_string=query) as ws:
            return await ws.receive_json()

    assert run(go("limit=50")) == {"limit": 50}
    assert run(go("")) == {"limit": 10}
    # The page: 400, "Query parameter 'limit': Invalid integer 'abc'"; here the 422 of every
    # other route (docs/compat.md, @api.websocket).
    with pytest.raises(HandshakeRejected) as e:
        run(go("limit=abc"))
    assert e.value.status_code == 422


def test_closing_from_the_server(page):
    async def go(path):
        async with socket(page, path) as ws:
            with pytest.raises(ConnectionClosed) as closed:
                await ws.receive_text()
            return closed.value.code, closed.value.reason

    assert run(go("/ws/close")) == (1000, "Normal closure")
    assert run(go("/ws/close-code")) == (1000, "")


def test_the_handler_sees_the_client_go(page):
    before = len(page.disconnected)

    async def go():
        async with socket(page, "/ws") as ws:
            await ws.send_text("x")
            return await ws.receive_text()

    assert run(go()) == "x"
    # Leaving the client closes it. As in django-bolt 0.13, iter_text() then simply ends (it
    # catches the WebSocketDisconnect), so the page's `except WebSocketDisconnect` never runs.
    assert len(page.disconnected) == before


def test_authentication_by_header_and_by_cookie(page):
    user = SimpleNamespace(pk=7, username="ann", is_staff=False, is_superuser=False)
    token = create_jwt_for_user(user)

    async def go(path, headers):
        async with socket(page, path, headers=headers) as ws:
            return await ws.receive_text()

    assert run(go("/ws/protected", {"Authorization": f"Bearer {token}"})) == "Welcome"
    assert run(go("/ws/cookie/protected", {"Cookie": f"access_token={token}"})) == "Welcome"
    for path in ("/ws/protected", "/ws/cookie/protected"):
        with pytest.raises(HandshakeRejected) as e:
            run(go(path, {}))
        assert e.value.status_code == 401
    # "A query parameter does not authenticate the handshake."
    with pytest.raises(HandshakeRejected):
        run(go("/ws/protected?token=" + token, {}))


def test_state_broadcast_and_room_chat(page):
    async def go():
        async with socket(page, "/ws/state") as ws:
            state = [await ws.receive_text(), await ws.receive_json()]
        async with socket(page, "/ws/broadcast") as ws:
            await ws.send_text("all")
            broadcast = await ws.receive_text()
        async with socket(page, "/ws/rooms/r1") as ws:
            await ws.send_text("m")
            room = await ws.receive_text()
        return state, broadcast, room

    assert run(go()) == (["Still connected", {"before": True}], "all", "[r1] m")
    assert page.connected_clients == set() and page.rooms == {"r1": set()}
