"""``BOLT_WS_*`` settings on a server of their own (through their ``DJANGO_BOLT_WS_*`` environment
variables): the server's pings, the idle timeout, the message size limit, and a bad value refused
at start-up."""

from __future__ import annotations

import asyncio
import time

import pytest
import websockets

from support.boltproc import BoltProcess, serve

from .rawws import OP_BINARY, OP_CLOSE, OP_PING, OP_PONG, OP_TEXT, RawWS

ENV = {
    "DJANGO_BOLT_WS_HEARTBEAT_INTERVAL": "0.2",
    "DJANGO_BOLT_WS_CLIENT_TIMEOUT": "1",
    "DJANGO_BOLT_WS_MAX_MESSAGE_SIZE": "1000",
}


@pytest.fixture(scope="module")
def tuned(demo_db, driver):
    yield from serve(cores=1, driver=driver, env=ENV)


def test_server_pings_on_the_heartbeat(tuned):
    with RawWS.connect(tuned.port, "/ws/echo") as ws:
        t0 = time.monotonic()
        assert ws.read_frame() == (True, OP_PING, b"")
        assert time.monotonic() - t0 < 1


def test_a_silent_client_is_closed_after_the_timeout(tuned):
    with RawWS.connect(tuned.port, "/ws/watch") as ws:
        t0 = time.monotonic()
        assert ws.read_close() == (1001, "idle timeout")
        took = time.monotonic() - t0
        assert 0.8 < took < 3, took


def test_a_client_answering_pings_stays_open(tuned):
    with RawWS.connect(tuned.port, "/ws/echo") as ws:
        t_end = time.monotonic() + 2.0
        while time.monotonic() < t_end:
            fin, op, payload = ws.read_frame()
            assert op == OP_PING, op
            ws.send_frame(OP_PONG, payload)
        ws.send_frame(OP_TEXT, b"still here")
        while True:
            fin, op, payload = ws.read_frame()
            if op != OP_PING:
                break
        assert (op, payload) == (OP_TEXT, b"still here")


def test_the_library_client_stays_open_past_the_timeout(tuned):
    async def go():
        async with websockets.connect(f"ws://127.0.0.1:{tuned.port}/ws/echo") as ws:
            await asyncio.sleep(2)
            await ws.send("late")
            return await ws.recv()

    assert asyncio.run(asyncio.wait_for(go(), 10)) == "late"


def test_message_size_limit_is_the_setting(tuned):
    with RawWS.connect(tuned.port, "/ws/echo") as ws:
        ws.send_frame(OP_BINARY, b"x" * 1000)
        while (frame := ws.read_frame())[1] == OP_PING:
            pass
        assert frame == (True, OP_BINARY, b"x" * 1000)
        ws.send_frame(OP_BINARY, b"x" * 1001)
        while (frame := ws.read_frame())[1] == OP_PING:
            pass
        assert frame[1] == OP_CLOSE and frame[2][:2] == (1009).to_bytes(2, "big")


def test_a_bad_setting_stops_the_start(demo_db, driver):
    proc = BoltProcess.launch(cores=1, driver=driver, env={"DJANGO_BOLT_WS_MAX_MESSAGE_SIZE": "lots"})
    try:
        assert proc.proc.wait(timeout=30) != 0
    finally:
        proc.kill()
    assert "DJANGO_BOLT_WS_MAX_MESSAGE_SIZE must be a number" in proc.output()
