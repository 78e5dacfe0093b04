"""What a WebSocket handler raises and catches."""

from __future__ import annotations

from .close_codes import CloseCode


class WebSocketException(Exception):
    """A WebSocket error; raised out of a handler, it closes the socket with ``code``.

    >>> raise WebSocketException(CloseCode.POLICY_VIOLATION, "no such room")
    """

    def __init__(self, code: int = CloseCode.INTERNAL_ERROR, reason: str = "") -> None:
        self.code = code
        self.reason = reason
        super().__init__(f"WebSocket error {code}: {reason}")


class WebSocketDisconnect(WebSocketException):
    """The client closed the socket (``code`` is the one it sent) or went away (1006).

    >>> try:
    ...     await websocket.receive_text()
    ... except WebSocketDisconnect as e:
    ...     print("left with", e.code)
    """

    def __init__(self, code: int = CloseCode.NORMAL, reason: str = "") -> None:
        super().__init__(code, reason)


class WebSocketClose(WebSocketException):
    """Raised by a handler to close the socket on purpose with ``code`` and ``reason``."""

    def __init__(self, code: int = CloseCode.NORMAL, reason: str = "") -> None:
        super().__init__(code, reason)
