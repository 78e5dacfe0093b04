"""A server stopping with WebSockets open (SIGTERM or SIGINT): each open socket gets a close frame
1001 (Going Away) from the server, its handler sees ``WebSocketDisconnect(1001)`` and runs its
``finally``, and the process exits 0 within the drain deadline. New upgrades during the drain
are refused with 503."""

from __future__ import annotations

import asyncio
import signal
import time

import pytest
import websockets

from support.boltproc import BoltProcess
from support.wire import Conn

from .rawws import OP_CLOSE, OP_TEXT, RawWS, close_payload, handshake_bytes


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_open_sockets_get_1001_and_their_handlers_finish(demo_db, driver, sig):
    server = BoltProcess.start(cores=1, driver=driver)
    base = f"ws://127.0.0.1:{server.port}/ws"

    async def go():
        # One handler waiting in receive(), one that only sends (it learns from send()).
        reader = await websockets.connect(f"{base}/goodbye?name=reader")
        sender = await websockets.connect(f"{base}/ticker?name=sender")
        assert await sender.recv() == "0"
        t0 = time.monotonic()
        server.proc.send_signal(sig)
        for ws in (reader, sender):
            with pytest.raises(websockets.ConnectionClosed):
                while True:
                    await ws.recv()
            await ws.wait_closed()
        return time.monotonic() - t0, [(ws.close_code, ws.close_reason) for ws in (reader, sender)]

    try:
        took, closes = asyncio.run(asyncio.wait_for(go(), 15))
        # The close frame the client received from the server (the library answers with it).
        assert closes == [(1001, "server shutting down")] * 2, closes
        assert took < 3, f"closing took {took:.1f} s"
        code = server.wait_exit(10)
        assert code == 0, server.output()
    finally:
        server.kill()
    # Each handler's `finally` ran after it saw the 1001.
    assert "ws-finally reader: disconnect 1001" in server.stderr, server.output()
    assert "ws-finally sender: disconnect 1001" in server.stderr, server.output()


def test_raw_sockets_see_the_close_frame_and_the_process_exits(demo_db, driver):
    server = BoltProcess.start(cores=1, driver=driver)
    sockets = []
    try:
        for path in ("/ws/echo", "/ws/watch", "/ws/rooms/x"):
            sockets.append(RawWS.connect(server.port, path))
        sockets[0].send_frame(OP_TEXT, b"alive")
        assert sockets[0].read_frame() == (True, OP_TEXT, b"alive")
        t0 = time.monotonic()
        server.proc.send_signal(signal.SIGINT)
        for ws in sockets[:2]:
            assert ws.read_close() == (1001, "server shutting down")
            ws.send_frame(OP_CLOSE, close_payload(1001))
            ws.assert_closed()
        # The third never answers the close: the server waits for it a bounded time (5 s).
        assert sockets[2].read_close()[0] == 1001
        code = server.wait_exit(12)
        took = time.monotonic() - t0
        assert code == 0, server.output()
        assert took < 8, f"stopping took {took:.1f} s"
        sockets[2].assert_closed()
    finally:
        for ws in sockets:
            ws.conn.close()
        server.kill()


def test_an_upgrade_during_the_drain_is_refused_with_503(demo_db, driver):
    server = BoltProcess.start(cores=1, driver=driver)
    held = c = None
    try:
        # A socket that keeps the drain going (it answers the close late), and a connection
        # whose handshake is half sent when the drain begins (a connection mid-request is
        # left to finish it).
        held = RawWS.connect(server.port, "/ws/echo")
        raw = handshake_bytes("/ws/echo", "MDEyMzQ1Njc4OWFiY2RlZg==")
        c = Conn(server.port)
        c.send(raw[:20])
        time.sleep(0.2)
        server.proc.send_signal(signal.SIGTERM)
        assert held.read_close()[0] == 1001
        c.send(raw[20:])
        resp = c.read_response()
        assert resp.status == 503, resp.status
        assert resp.json() == {"detail": "Server is shutting down"}
        held.send_frame(OP_CLOSE, close_payload(1001))
        assert server.wait_exit(12) == 0, server.output()
    finally:
        if held is not None:
            held.conn.close()
        if c is not None:
            c.close()
        server.kill()
