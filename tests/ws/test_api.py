"""The handler's API through a real client library (``websockets``): subprotocols, typed path and
query parameters, JSON messages, many messages in order, many sockets at once, a slow reader's
bounded memory, and HTTP on the same core meanwhile."""

from __future__ import annotations

import asyncio
import json
import time

import websockets

from support.procstat import rss_kib
from support.wire import Conn, get

from .rawws import OP_TEXT, RawWS


def run(coro, timeout: float = 20):
    return asyncio.run(asyncio.wait_for(coro, timeout))


def test_subprotocol_parameters_and_json(server):
    async def go():
        url = f"ws://127.0.0.1:{server.port}/ws/rooms/lobby?since=7"
        async with websockets.connect(url, subprotocols=["v2", "chat"]) as ws:
            assert ws.subprotocol == "chat"
            hello = json.loads(await ws.recv())
            await ws.send(json.dumps({"n": [1, 2]}))
            echo = json.loads(await ws.recv())
        return hello, echo

    hello, echo = run(go())
    assert hello == {"room": "lobby", "since": 7}
    assert echo == {"room": "lobby", "echo": {"n": [1, 2]}}


def test_no_subprotocol_when_none_is_chosen(server):
    async def go():
        async with websockets.connect(f"ws://127.0.0.1:{server.port}/ws/rooms/x") as ws:
            return ws.subprotocol, json.loads(await ws.recv())

    assert run(go()) == (None, {"room": "x", "since": 0})


def test_percent_encoded_path_parameters_are_decoded(server):
    async def go():
        async with websockets.connect(f"ws://127.0.0.1:{server.port}/ws/rooms/caf%C3%A9") as ws:
            return json.loads(await ws.recv())

    assert run(go())["room"] == "café"


def test_many_messages_arrive_in_order_then_the_close(server):
    async def go():
        async with websockets.connect(f"ws://127.0.0.1:{server.port}/ws/burst?n=5000&size=50") as ws:
            got = [m async for m in ws]
            return got, ws.close_code, ws.close_reason

    got, code, reason = run(go())
    assert [int(m.split(":")[0]) for m in got] == list(range(5000))
    assert (code, reason) == (1000, "done")


def test_many_sockets_at_once_and_http_meanwhile(server):
    async def client(i: int) -> list[str]:
        async with websockets.connect(f"ws://127.0.0.1:{server.port}/ws/echo") as ws:
            out = []
            for j in range(10):
                await ws.send(f"{i}-{j}")
                out.append(await ws.recv())
            return out

    async def go():
        results = await asyncio.gather(*(client(i) for i in range(200)))
        return results

    results = run(go(), timeout=60)
    for i, out in enumerate(results):
        assert out == [f"{i}-{j}" for j in range(10)]
    assert get(server.port, "/hello").status == 200


def test_http_is_served_while_sockets_are_open(server):
    async def go():
        async with websockets.connect(f"ws://127.0.0.1:{server.port}/ws/echo") as ws:
            await ws.send("before")
            assert await ws.recv() == "before"
            t0 = time.monotonic()
            resp = await asyncio.to_thread(get, server.port, "/hello")
            took = time.monotonic() - t0
            await ws.send("after")
            assert await ws.recv() == "after"
            return resp.status, took

    status, took = run(go())
    assert status == 200 and took < 1


def test_a_reader_that_stops_costs_bounded_memory(server):
    # 1,000 messages of 100 kB (100 MB) to a client that reads nothing for a while: the handler's
    # send waits once the socket holds its send buffer (1 MiB), so the server does not queue 100 MB.
    before = rss_kib(server.pid)
    with RawWS.connect(server.port, "/ws/burst?n=1000&size=100000", timeout=10) as ws:
        ws.conn.sock.setsockopt(__import__("socket").SOL_SOCKET, __import__("socket").SO_RCVBUF, 65536)
        time.sleep(1.5)
        stalled = rss_kib(server.pid)
        count = 0
        while True:
            fin, op, payload = ws.read_frame()
            if op != OP_TEXT:
                break
            assert int(payload.split(b":")[0]) == count
            count += 1
    assert count == 1000
    grew_mib = (stalled - before) / 1024
    assert grew_mib < 16, f"server RSS grew {grew_mib:.1f} MiB while the client was not reading"


def test_many_refused_and_dropped_sockets_leave_the_core_serving(server):
    for _ in range(30):
        with Conn(server.port) as c:
            c.send(b"GET /ws/echo HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\n")  # never finished
    for _ in range(30):
        ws = RawWS.connect(server.port, "/ws/echo")
        ws.conn.close()
    assert get(server.port, "/hello").status == 200


def test_a_client_faster_than_its_handler_costs_bounded_memory(server):
    # 5,000 messages of 20 kB (100 MB) to a handler that reads nothing for a second: the socket
    # stops reading while the handler has many unread, so the server does not hold 100 MB.
    import threading

    from .rawws import OP_BINARY, frame

    before = rss_kib(server.pid)
    peak = [before]
    with RawWS.connect(server.port, "/ws/slow", timeout=30) as ws:
        msg = frame(OP_BINARY, b"y" * 20_000)
        sender = threading.Thread(target=lambda: [ws.send(msg) for _ in range(5000)], daemon=True)
        sender.start()
        while sender.is_alive():
            peak[0] = max(peak[0], rss_kib(server.pid))
            sender.join(0.05)
        counts = []
        while not counts or counts[-1] != b"5000":
            fin, op, payload = ws.read_frame()
            assert op == OP_TEXT, op
            counts.append(payload)
    assert counts == [str(n).encode() for n in range(1000, 5001, 1000)]
    grew_mib = (peak[0] - before) / 1024
    assert grew_mib < 30, f"server RSS grew {grew_mib:.1f} MiB while its handler was not reading"
