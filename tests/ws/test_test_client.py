"""``django_bolt.testing.WebSocketTestClient``: the demo's WebSocket routes and inline ones served in
this interpreter, through the server's own handshake path (refusals, auth, parameters) with no socket."""

from __future__ import annotations

import asyncio

import pytest

from django_bolt import BoltAPI, WebSocket, WebSocketDisconnect
from django_bolt.testing import ConnectionClosed, HandshakeRejected, WebSocketTestClient
from support.tokens import mint


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 20))


def test_echo(demo_apis):
    async def go():
        async with WebSocketTestClient(demo_apis, "/ws/echo") as ws:
            await ws.send_text("hi")
            text = await ws.receive_text()
            await ws.send_bytes(b"\x00\x01")
            data = await ws.receive_bytes()
            return text, data, ws.response_headers.get("x-echo")

    assert run(go()) == ("hi", b"\x00\x01", "yes")


def test_parameters_subprotocol_and_json(demo_apis):
    async def go():
        async with WebSocketTestClient(
            demo_apis, "/ws/rooms/lobby", query_string="since=3", subprotocols=["chat"]
        ) as ws:
            first = await ws.receive_json()
            await ws.send_json({"a": 1})
            return ws.accepted_subprotocol, first, await ws.receive_json()

    assert run(go()) == ("chat", {"room": "lobby", "since": 3}, {"room": "lobby", "echo": {"a": 1}})


@pytest.mark.parametrize(
    "path, query, headers, status",
    [
        ("/ws/refuse", "", {}, 403),
        ("/ws/secure", "", {}, 401),
        ("/ws/rooms/x", "since=soon", {}, 422),
        ("/ws/echo", "", {"Origin": "https://evil.example"}, 403),
        ("/ws/nowhere", "", {}, 404),
    ],
)
def test_refused_handshakes(demo_apis, path, query, headers, status):
    async def go():
        async with WebSocketTestClient(demo_apis, path, query_string=query, headers=headers):
            pass

    with pytest.raises(HandshakeRejected) as e:
        run(go())
    assert e.value.status_code == status


def test_authenticated_handshake(demo_apis):
    token = mint({"sub": "7", "exp": 4102444800})

    async def go():
        async with WebSocketTestClient(demo_apis, "/ws/secure", headers={"Authorization": f"Bearer {token}"}) as ws:
            return await ws.receive_json()

    assert run(go()) == {"sub": "7"}


def test_handler_errors_are_raised_or_answered(demo_apis):
    async def fail(raise_exc):
        async with WebSocketTestClient(demo_apis, "/ws/fail", raise_server_exceptions=raise_exc):
            pass

    with pytest.raises(RuntimeError, match="fails before accept"):
        run(fail(True))
    with pytest.raises(HandshakeRejected) as e:
        run(fail(False))
    assert e.value.status_code == 500

    async def crash():
        async with WebSocketTestClient(demo_apis, "/ws/crash", raise_server_exceptions=False) as ws:
            await ws.send_text("boom")
            with pytest.raises(ConnectionClosed) as closed:
                await ws.receive_text()
            return closed.value.code

    assert run(crash()) == 1011


def test_server_close_code_and_many_messages(demo_apis):
    async def go():
        async with WebSocketTestClient(demo_apis, "/ws/bye") as ws:
            await ws.send_text("4001 later")
            with pytest.raises(ConnectionClosed) as closed:
                await ws.receive_text()
            bye = (closed.value.code, closed.value.reason, ws.close_code)
        async with WebSocketTestClient(demo_apis, "/ws/burst", query_string="n=300&size=5") as ws:
            got = [m async for m in ws.iter_text()]
            return bye, len(got), got[-1], ws.close_code, ws.close_reason

    assert run(go()) == ((4001, "later", 4001), 300, "299:xxxxx", 1000, "done")


def test_inline_api_sees_the_clients_close(demo_apis):
    api = BoltAPI()
    seen: list[int] = []

    @api.websocket("/watch/{n}")
    async def watch(websocket: WebSocket, n: int):
        await websocket.accept()
        await websocket.send_json({"n": n * 2})
        try:
            await websocket.receive_text()
        except WebSocketDisconnect as e:
            seen.append(e.code)

    async def go():
        async with WebSocketTestClient(api, "/watch/21") as ws:
            doubled = await ws.receive_json()
            await ws.close(4003)
            return doubled

    assert run(go()) == {"n": 42}
    assert seen == [4003]


def test_plain_http_to_a_websocket_route_is_426(demo_apis):
    from django_bolt.testing import TestClient

    with TestClient(demo_apis) as client:
        resp = client.get("/ws/echo")
    assert resp.status_code == 426
    assert resp.headers["sec-websocket-version"] == "13"
