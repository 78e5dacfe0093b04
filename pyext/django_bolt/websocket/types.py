"""The ``WebSocket`` object a handler receives: django-bolt's API over this server's core.

What the handler sends goes to its hub's outbox, which Rust drains after the handler runs;
what the client sends arrives through ``Hub.deliver``. Nothing here blocks or touches a socket.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from .close_codes import CloseCode
from .exceptions import WebSocketDisconnect
from .state import WebSocketState

if TYPE_CHECKING:
    from .hub import Hub

# Outbox operations; src/app/websocket.rs reads the same numbers.
OP_ACCEPT, OP_TEXT, OP_BYTES, OP_CLOSE, OP_END, OP_REJECT = 0, 1, 2, 3, 4, 5
# A handler sending in a loop without ever awaiting real work yields to the loop after this many
# messages or bytes, so the core writes what it queued (and learns the client is slow: see
# ``Hub.choke``) and serves its other connections meanwhile.
_YIELD_EVERY = 16
_YIELD_BYTES = 256 * 1024


class WebSocket:
    """One WebSocket connection, as django-bolt's handlers see it.

    >>> @api.websocket("/ws")
    ... async def echo(websocket: WebSocket):
    ...     await websocket.accept()
    ...     async for text in websocket.iter_text():
    ...         await websocket.send_text(text)
    """

    def __init__(
        self,
        hub: Hub,
        conn_id: int,
        path: str,
        query: str,
        headers: list[tuple[str, str]],
        path_params: dict[str, str],
        client: str,
        subprotocols: tuple[str, ...],
        auth: Any = None,
        scheme: str = "ws",
    ) -> None:
        self._hub = hub
        self._id = conn_id
        self._path = path
        self._query = query
        self._header_list = headers
        self._path_params = path_params
        self._client = client
        self._subprotocols = list(subprotocols)
        #: The authenticated claims (JWT payload or API key), or None.
        self.auth = auth
        #: ``"ws"`` or ``"wss"``: ``"wss"`` when a proxy in ``BOLT_TRUSTED_PROXIES`` says the
        #: client used HTTPS (its ``X-Forwarded-Proto``), as ``request.scheme`` is ``"https"``.
        self.scheme = scheme
        self._state = WebSocketState.CONNECTING
        #: What the client sent and the handler has not read (None until the first message:
        #: an empty deque is 600 bytes, and most sockets are idle).
        self._inbox: deque[Any] | None = None
        self._waiter: asyncio.Future | None = None
        #: Set when the client closed or vanished: (code, reason).
        self._gone: tuple[int, str] | None = None
        self._sent = 0
        self._sent_bytes = 0
        #: Set while Rust holds more of this socket's output than its send buffer allows.
        self._drained: asyncio.Future | None = None
        #: The user a Python authenticator found (else loaded from ``auth`` on first use).
        self._user: Any = None

    # -- what the request said ---------------------------------------------------------
    @property
    def state(self) -> WebSocketState:
        """``CONNECTING``, ``CONNECTED`` or ``DISCONNECTED``."""
        return self._state

    @property
    def url(self) -> str:
        """The path the client connected to."""
        return self._path

    @property
    def path(self) -> str:
        """The path the client connected to."""
        return self._path

    @property
    def query_string(self) -> bytes:
        """The raw query string."""
        return self._query.encode()

    @property
    def path_params(self) -> dict[str, str]:
        """The route's path parameters, as text."""
        return self._path_params

    @property
    def headers(self) -> Mapping[str, str]:
        """The handshake's headers, names lower-case (repeated ones joined with ``, ``)."""
        if not hasattr(self, "_headers"):
            h: dict[str, str] = {}
            for k, v in self._header_list:
                h[k] = f"{h[k]}, {v}" if k in h else v
            self._headers = h
        return self._headers

    @property
    def query_params(self) -> dict[str, Any]:
        """The query parameters (a list for a repeated key)."""
        if not hasattr(self, "_query_params"):
            parsed = parse_qs(self._query, keep_blank_values=True)
            self._query_params = {k: v[0] if len(v) == 1 else v for k, v in parsed.items()}
        return self._query_params

    @property
    def cookies(self) -> dict[str, str]:
        """The handshake's cookies."""
        out: dict[str, str] = {}
        for k, v in self._header_list:
            if k == "cookie":
                for part in v.split(";"):
                    name, sep, value = part.strip().partition("=")
                    if sep:
                        out[name] = value.strip('"')
        return out

    @property
    def subprotocols(self) -> list[str]:
        """The subprotocols the client offered, in its order of preference."""
        return self._subprotocols

    @property
    def client(self) -> tuple[str, int] | None:
        """The client's (host, port)."""
        host, sep, port = self._client.rpartition(":")
        if not sep or not port.isdigit():
            return None
        return host.strip("[]"), int(port)

    @property
    def user(self) -> Any:
        """The Django user: the one a Python authenticator (``SessionAuthentication``) found,
        else the one the token's ``sub`` claim names, else ``AnonymousUser``. In async code
        (every handler) prefer ``await websocket.auser()``."""
        if self._user is None:
            from ..request import _load_user

            self._user = _load_user(self.auth)
        return self._user

    async def auser(self) -> Any:
        """``user``, with any database lookup on the core's thread-sensitive thread."""
        if self._user is None:
            from asgiref.sync import sync_to_async

            from ..request import _load_user

            self._user = await sync_to_async(_load_user)(self.auth)
        return self._user

    def _handshake_request(self) -> Any:
        """The handshake as an HTTP ``Request`` (GET, no body), for authenticators and guards."""
        from ..request import Request

        return Request(
            "GET", self._path, self._query, self._header_list, b"", self._path_params, self._client, self.auth
        )

    # -- the handshake -----------------------------------------------------------------
    async def accept(self, subprotocol: str | None = None, headers: list[tuple[bytes, bytes]] | None = None) -> None:
        """Completes the handshake (the server answers 101); before it nothing can be sent
        or received. ``subprotocol``: one of ``subprotocols``, sent back to the client;
        ``headers``: extra ``(name, value)`` pairs for the 101 response."""
        if self._state != WebSocketState.CONNECTING:
            return
        if subprotocol is not None and subprotocol not in self._subprotocols:
            raise ValueError(f"subprotocol {subprotocol!r} was not offered by the client ({self._subprotocols})")
        self._hub.outbox.append((self._id, OP_ACCEPT, subprotocol, list(headers or ())))
        self._state = WebSocketState.CONNECTED

    # -- receiving ---------------------------------------------------------------------
    async def receive(self) -> dict[str, Any]:
        """The next message: ``{"type": "websocket.receive", "text": ...}`` (or ``"bytes"``).
        Raises ``WebSocketDisconnect`` once the client has closed or gone."""
        if self._state == WebSocketState.CONNECTING:
            raise RuntimeError("WebSocket is not connected: call accept() first")
        while not self._inbox:
            if self._state == WebSocketState.DISCONNECTED:
                code, reason = self._gone or (CloseCode.NORMAL, "")
                raise WebSocketDisconnect(code, reason)
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        item = self._inbox.popleft()  # type: ignore[union-attr] - not empty here
        if not self._inbox:
            self._inbox = None  # an idle socket keeps no deque
        if isinstance(item, str):
            return {"type": "websocket.receive", "text": item}
        if isinstance(item, bytes):
            return {"type": "websocket.receive", "bytes": item}
        # The client's close, after every message it sent before it.
        self._state = WebSocketState.DISCONNECTED
        raise WebSocketDisconnect(*item)

    async def receive_text(self) -> str:
        """The next message as text (a binary one is decoded as UTF-8)."""
        m = await self.receive()
        return m["text"] if "text" in m else m["bytes"].decode()

    async def receive_bytes(self) -> bytes:
        """The next message as bytes (a text one is encoded as UTF-8)."""
        m = await self.receive()
        return m["bytes"] if "bytes" in m else m["text"].encode()

    async def receive_json(self, mode: str = "text") -> Any:
        """The next message parsed as JSON (``mode``: ``"text"`` or ``"binary"`` messages)."""
        data = await (self.receive_text() if mode == "text" else self.receive_bytes())
        return json.loads(data)

    async def iter_text(self) -> AsyncIterator[str]:
        """Text messages until the client closes."""
        try:
            while True:
                yield await self.receive_text()
        except WebSocketDisconnect:
            return

    async def iter_bytes(self) -> AsyncIterator[bytes]:
        """Binary messages until the client closes."""
        try:
            while True:
                yield await self.receive_bytes()
        except WebSocketDisconnect:
            return

    async def iter_json(self) -> AsyncIterator[Any]:
        """JSON messages until the client closes."""
        try:
            while True:
                yield await self.receive_json()
        except WebSocketDisconnect:
            return

    # -- sending -----------------------------------------------------------------------
    async def send(self, message: dict[str, Any]) -> None:
        """Sends ``{"type": "websocket.send", "text"|"bytes": ...}`` or ``{"type":
        "websocket.close", "code": ..., "reason": ...}``. Raises ``WebSocketDisconnect`` when
        the client is gone; waits while the client reads slower than the handler writes."""
        kind = message.get("type")
        if kind == "websocket.close":
            await self.close(message.get("code", CloseCode.NORMAL), message.get("reason", ""))
            return
        if kind != "websocket.send":
            raise ValueError(f"unknown WebSocket message type {kind!r}")
        if self._gone is not None:
            self._state = WebSocketState.DISCONNECTED
            raise WebSocketDisconnect(CloseCode.ABNORMAL_CLOSURE if self._gone[0] == 1006 else self._gone[0])
        if self._state != WebSocketState.CONNECTED:
            raise RuntimeError("WebSocket is not connected")
        if message.get("text") is not None:
            data: str | bytes = str(message["text"])
            self._hub.outbox.append((self._id, OP_TEXT, data, None))
        elif message.get("bytes") is not None:
            data = bytes(message["bytes"])
            self._hub.outbox.append((self._id, OP_BYTES, data, None))
        else:
            raise ValueError("websocket.send needs 'text' or 'bytes'")
        self._sent += 1
        self._sent_bytes += len(data)
        if self._drained is not None:
            await self._drained
        elif self._sent >= _YIELD_EVERY or self._sent_bytes >= _YIELD_BYTES:
            self._sent = self._sent_bytes = 0
            await asyncio.sleep(0)

    async def send_text(self, data: str) -> None:
        """Sends a text message."""
        await self.send({"type": "websocket.send", "text": data})

    async def send_bytes(self, data: bytes) -> None:
        """Sends a binary message."""
        await self.send({"type": "websocket.send", "bytes": data})

    async def send_json(self, data: Any, mode: str = "text") -> None:
        """Sends ``data`` as JSON (encoded like a response body: Structs, dates, UUIDs...)."""
        from ..json import encode

        raw = encode(data)
        if mode == "text":
            await self.send_text(raw.decode())
        else:
            await self.send_bytes(raw)

    async def close(self, code: int = CloseCode.NORMAL, reason: str = "") -> None:
        """Closes the socket with ``code`` and ``reason``. Before ``accept()`` it refuses the
        handshake (the client gets 403)."""
        if self._state == WebSocketState.DISCONNECTED:
            return
        self._state = WebSocketState.DISCONNECTED
        if self._gone is None:
            self._hub.outbox.append((self._id, OP_CLOSE, int(code), str(reason)))
        self._wake()

    # -- called by the hub -------------------------------------------------------------
    def _queue(self, item: Any) -> int:
        """Queues what the client sent (a message, or its close as ``(code, reason)``) and
        wakes the handler; how many items are unread."""
        if self._inbox is None:
            self._inbox = deque()
        self._inbox.append(item)
        self._wake()
        return len(self._inbox)

    def _wake(self) -> None:
        w = self._waiter
        if w is not None and not w.done():
            w.set_result(None)
