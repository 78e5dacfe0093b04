"""Where a WebSocket is in its life."""

from __future__ import annotations

from enum import IntEnum, auto


class WebSocketState(IntEnum):
    """``CONNECTING`` until ``accept()``, ``CONNECTED`` after, ``DISCONNECTED`` once closed."""

    CONNECTING = auto()
    CONNECTED = auto()
    DISCONNECTED = auto()
