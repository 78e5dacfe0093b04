"""The WebSocket side of one interpreter's runtime (not public API).

Rust calls ``open`` and ``start`` for a handshake, ``deliver`` for each message and
``disconnect`` when the client closes or goes; it drains ``outbox`` (what handlers sent) after
each of those calls and after every turn of the loop (src/app/websocket.rs).
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
import os
from collections.abc import Callable
from typing import Any, NamedTuple

from .exceptions import WebSocketDisconnect, WebSocketException
from .state import WebSocketState
from .types import OP_END, OP_REJECT, WebSocket

log = logging.getLogger("django_bolt")
_set_running_loop = asyncio.events._set_running_loop  # noqa: SLF001


class WsConfig(NamedTuple):
    """``BOLT_WS_*`` settings (``DJANGO_BOLT_WS_*`` environment variables win), as django-bolt."""

    #: Largest message a client may send, all fragments together (bytes; 1009 past it).
    max_message_size: int = 1024 * 1024
    #: Seconds between the server's pings.
    heartbeat_interval: float = 5.0
    #: Seconds a client may stay silent (no message, no pong) before it is closed; 0: never.
    client_timeout: float = 10.0
    #: Bytes a socket may hold unsent before its handler's ``send`` waits for the client.
    send_high_water: int = 1024 * 1024
    #: Open WebSockets (handshakes in progress included) the whole server allows, all cores
    #: together; an upgrade past it gets 503. 0 refuses every upgrade (as django-bolt).
    max_connections: int = 10000

    @classmethod
    def from_settings(cls) -> WsConfig:
        from django.conf import settings
        from django.core.exceptions import ImproperlyConfigured

        values: dict[str, Any] = {}
        for field, setting in (
            ("max_message_size", "MAX_MESSAGE_SIZE"),
            ("heartbeat_interval", "HEARTBEAT_INTERVAL"),
            ("client_timeout", "CLIENT_TIMEOUT"),
            ("send_high_water", "SEND_BUFFER"),
            ("max_connections", "MAX_CONNECTIONS"),
        ):
            env = os.environ.get(f"DJANGO_BOLT_WS_{setting}")
            raw: Any = env if env is not None else getattr(settings, f"BOLT_WS_{setting}", None)
            if raw is None:
                continue
            where = f"DJANGO_BOLT_WS_{setting}" if env is not None else f"settings.BOLT_WS_{setting}"
            if field == "max_connections":
                values[field] = _count(raw, where, from_env=env is not None)
                continue
            try:
                value = float(raw)
            except (TypeError, ValueError):
                raise ImproperlyConfigured(f"{where} must be a number, got {raw!r}") from None
            if not value >= 0 or isinstance(raw, bool):
                raise ImproperlyConfigured(f"{where} must be a number of 0 or more, got {raw!r}")
            if field == "heartbeat_interval" and value == 0:
                raise ImproperlyConfigured(f"{where} must be more than 0")
            values[field] = int(value) if field in ("max_message_size", "send_high_water") else value
        return cls(**values)


def _count(raw: Any, where: str, *, from_env: bool) -> int:
    """An int of 0 or more (digits, from the environment), as django-bolt reads counts: a
    setting of another type (``"2"``, ``2.0``, ``True``) is refused."""
    from django.core.exceptions import ImproperlyConfigured

    if from_env and isinstance(raw, str) and raw.strip().isdigit():
        return int(raw)
    if isinstance(raw, int) and not isinstance(raw, bool) and raw >= 0:
        return raw
    raise ImproperlyConfigured(f"{where} must be an int of 0 or more, got {raw!r}")


class Hub:
    """The open WebSockets of one interpreter, by the id Rust gave each."""

    def __init__(self, loop: asyncio.AbstractEventLoop, on_end: Callable[[contextvars.Context], None]) -> None:
        self.loop = loop
        self.config = WsConfig.from_settings()
        #: ``(id, op, a, b)`` for Rust: accept, text, bytes, close, end (types.OP_*).
        self.outbox: list[tuple] = []
        self.sockets: dict[int, WebSocket] = {}
        self._on_end = on_end
        #: The exceptions handlers raised (kept by the test client to re-raise).
        self.errors: list[BaseException] = []
        #: The core's ASGI mounts (``asgi_mounts.Mounts``), set by the runtime when it has any.
        self.mounts: Any = None

    def open(
        self,
        conn_id: int,
        path: str,
        query: str,
        headers: list,
        path_params: dict,
        client: str,
        subprotocols: tuple,
        auth: Any,
        scheme: str = "ws",
    ) -> WebSocket:
        ws = WebSocket(self, conn_id, path, query, headers, path_params, client, subprotocols, auth, scheme)
        self.sockets[conn_id] = ws
        return ws

    def open_mount(
        self, conn_id: int, path: str, query: str, headers: list, client: str, subprotocols: tuple, scheme: str = "ws"
    ) -> tuple[Any, WebSocket] | None:
        """A WebSocket for a mounted ASGI app: ``(coroutine, WebSocket)`` for ``start``, or None
        when no mount that takes WebSockets claims ``path``."""
        if self.mounts is None:
            return None
        ws = WebSocket(self, conn_id, path, query, headers, {}, client, subprotocols, None, scheme)
        coro = self.mounts.websocket(ws, path, query, headers, client, subprotocols, scheme)
        if coro is None:
            return None
        self.sockets[conn_id] = ws
        return coro, ws

    def start(self, conn_id: int, coro: Any, ws: WebSocket) -> None:
        """Runs the handler's coroutine as a Task on the core's loop, started eagerly (up to
        its first real wait: usually after ``accept()``)."""
        _set_running_loop(self.loop)
        try:
            task = asyncio.Task(coro, loop=self.loop, context=contextvars.copy_context(), eager_start=True)
        finally:
            _set_running_loop(None)
        if task.done():
            self._done(conn_id, ws, task)
        else:
            task.add_done_callback(functools.partial(self._done, conn_id, ws))

    def _done(self, conn_id: int, ws: WebSocket, task: asyncio.Task) -> None:
        from ..exceptions import HTTPException

        self.sockets.pop(conn_id, None)
        accepted = ws._state != WebSocketState.CONNECTING  # noqa: SLF001
        ws._state = WebSocketState.DISCONNECTED  # noqa: SLF001
        self._on_end(task.get_context())
        code: int | None = 1000
        reason = ""
        if task.cancelled():
            code, reason = 1001, "going away"
        else:
            exc = task.exception()
            if isinstance(exc, WebSocketDisconnect):
                pass  # the client left; nothing to close
            elif isinstance(exc, HTTPException) and not accepted:
                # A Python authenticator or guard (or the handler) refused the handshake: its
                # status, detail and headers answer it, as on an HTTP route.
                self.outbox.append((conn_id, OP_REJECT, exc, None))
                code, reason = 1008, "refused"
            elif isinstance(exc, WebSocketException):
                code, reason = exc.code, exc.reason
            elif exc is not None:
                code, reason = None, "Internal Server Error"
                self.errors.append(exc)
                log.error("WebSocket handler failed: %s", ws.path, exc_info=(type(exc), exc, exc.__traceback__))
        self.outbox.append((conn_id, OP_END, code, reason))

    def deliver(self, conn_id: int, message: str | bytes) -> int:
        """Queues a client's message for the handler; returns how many it has not read yet."""
        ws = self.sockets.get(conn_id)
        if ws is None:
            return 0
        return ws._queue(message)  # noqa: SLF001

    def backlog(self, conn_id: int) -> int:
        """How many of the client's messages the handler has not read yet."""
        ws = self.sockets.get(conn_id)
        return 0 if ws is None else len(ws._inbox or ())  # noqa: SLF001

    def disconnect(self, conn_id: int, code: int, reason: str) -> None:
        ws = self.sockets.get(conn_id)
        if ws is None or ws._gone is not None:  # noqa: SLF001
            return
        ws._gone = (code, reason)  # noqa: SLF001
        ws._queue((code, reason))  # noqa: SLF001
        self.resume(conn_id)

    def choke(self, conn_id: int) -> None:
        ws = self.sockets.get(conn_id)
        if ws is not None and ws._drained is None:  # noqa: SLF001
            ws._drained = self.loop.create_future()  # noqa: SLF001

    def resume(self, conn_id: int) -> None:
        ws = self.sockets.get(conn_id)
        if ws is None:
            return
        fut, ws._drained = ws._drained, None  # noqa: SLF001
        if fut is not None and not fut.done():
            fut.set_result(None)
