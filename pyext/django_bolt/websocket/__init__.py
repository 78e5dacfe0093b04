"""WebSocket routes: ``@api.websocket(path)`` and the ``WebSocket`` a handler talks through.

>>> from django_bolt import BoltAPI
>>> from django_bolt.websocket import WebSocket
>>> api = BoltAPI()
>>> @api.websocket("/ws/{room}")
... async def chat(websocket: WebSocket, room: str, name: str = "anon"):
...     await websocket.accept()
...     async for text in websocket.iter_text():
...         await websocket.send_text(f"{room}/{name}: {text}")

The handshake, framing, pings and limits are handled in Rust; the handler runs on the core's
asyncio loop in the core's own interpreter.
"""

from __future__ import annotations

from .close_codes import (
    WS_1000_NORMAL_CLOSURE,
    WS_1001_GOING_AWAY,
    WS_1002_PROTOCOL_ERROR,
    WS_1003_UNSUPPORTED_DATA,
    WS_1008_POLICY_VIOLATION,
    WS_1009_MESSAGE_TOO_BIG,
    WS_1011_INTERNAL_ERROR,
    WS_1012_SERVICE_RESTART,
    WS_1013_TRY_AGAIN_LATER,
    CloseCode,
)
from .exceptions import WebSocketClose, WebSocketDisconnect, WebSocketException
from .state import WebSocketState
from .types import WebSocket

__all__ = [
    "WebSocket",
    "WebSocketState",
    "CloseCode",
    "WS_1000_NORMAL_CLOSURE",
    "WS_1001_GOING_AWAY",
    "WS_1002_PROTOCOL_ERROR",
    "WS_1003_UNSUPPORTED_DATA",
    "WS_1008_POLICY_VIOLATION",
    "WS_1009_MESSAGE_TOO_BIG",
    "WS_1011_INTERNAL_ERROR",
    "WS_1012_SERVICE_RESTART",
    "WS_1013_TRY_AGAIN_LATER",
    "WebSocketException",
    "WebSocketDisconnect",
    "WebSocketClose",
]
