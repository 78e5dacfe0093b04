"""The README's WebSocket example is the demo's ``/ws/rooms/{room}`` handler, word for word, and
does what the README says over a real socket."""

from __future__ import annotations

import asyncio
import json
import re

import websockets

from support.paths import DEMO, REPO


def _readme_block() -> str:
    readme = (REPO / "README.md").read_text()
    section = readme.split("## WebSockets", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_readme_handler_is_the_demos():
    block = _readme_block()
    handler = block[block.index('@ws.websocket("/rooms/{room}")') :].strip()
    assert handler in (DEMO / "demo" / "ws.py").read_text()


def test_readme_example_over_a_socket(server):
    async def go():
        url = f"ws://127.0.0.1:{server.port}/ws/rooms/lobby?since=7"
        async with websockets.connect(url, subprotocols=["chat"]) as ws:
            first = await ws.recv()
            await ws.send(json.dumps({"text": "hi"}))
            return ws.subprotocol, first, json.loads(await ws.recv())

    proto, first, echo = asyncio.run(asyncio.wait_for(go(), 10))
    assert proto == "chat"
    assert first == '{"room":"lobby","since":7}'
    assert echo == {"room": "lobby", "echo": {"text": "hi"}}
