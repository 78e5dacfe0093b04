"""``WebSocketTestClient``: a WebSocket served in this interpreter, with no socket.

>>> async with WebSocketTestClient(api, "/ws/echo") as ws:
...     await ws.send_text("hello")
...     assert await ws.receive_text() == "hello"

The handshake takes the server's own path (``src/runtime/inprocess.rs``): routing, the Origin
check, rate limits, authentication, guards and typed parameters, then the handler's decision.
The handler runs on the test client's runtime loop, turned on this thread while the test waits
for what it sends, so under pytest-django it uses the test's database connection.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from .. import _native
from ..auth.user_loader import activate as activate_user_loaders
from ..websocket.close_codes import CloseCode
from .client import CLIENT_ADDRESS, _get_running_loop, _Served, _set_running_loop

if TYPE_CHECKING:
    from ..api import BoltAPI

__all__ = ["WebSocketTestClient", "HandshakeRejected", "ConnectionClosed", "WebSocketClient"]

_OPEN, _SEND, _RECEIVE, _CLOSE = 0, 1, 2, 3
_TEXT, _BYTES, _CLOSED, _END = 1, 2, 3, 4
# Any valid key: the test client has no socket to protect, but the server checks the handshake.
_KEY = b"dGhlIHNhbXBsZSBub25jZQ=="
#: ``base_url`` schemes, and whether the client connects over TLS with each.
_SECURE = {"http": False, "ws": False, "https": True, "wss": True}


class HandshakeRejected(Exception):
    """The server answered the handshake with ``status_code`` (403 when the handler closed
    first, 401 when authentication failed...) and opened no WebSocket; ``body`` is its JSON."""

    def __init__(self, status_code: int, body: bytes = b"") -> None:
        self.status_code = status_code
        self.body = body
        super().__init__(f"WebSocket handshake rejected with HTTP {status_code}")


class ConnectionClosed(Exception):
    """The server closed the WebSocket with ``code`` and ``reason``."""

    def __init__(self, code: int = CloseCode.NORMAL, reason: str = "") -> None:
        self.code = code
        self.reason = reason
        super().__init__(f"WebSocket closed with code {code}: {reason}")


class WebSocketTestClient:
    """One WebSocket to ``path`` of ``api`` (a ``BoltAPI`` or several), as django-bolt's.

    ``headers`` (a dict), ``query_string`` (without ``?``) and ``subprotocols`` go into the
    handshake; ``cors_allowed_origins``/``read_django_settings`` as on ``TestClient``.
    ``base_url`` (``http``/``ws`` or ``https``/``wss``) gives the ``Host`` and the scheme:
    with ``https://`` or ``wss://`` the handler's ``websocket.scheme`` is ``"wss"``.
    Entering raises ``HandshakeRejected`` when the server refuses; leaving closes with 1000 and,
    with ``raise_server_exceptions``, re-raises what the handler raised.
    """

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        api: BoltAPI | Sequence[BoltAPI],
        path: str,
        headers: dict[str, str] | None = None,
        query_string: str = "",
        subprotocols: list[str] | None = None,
        cors_allowed_origins: list[str] | None = None,
        read_django_settings: bool = True,
        raise_server_exceptions: bool = True,
        base_url: str = "http://testserver",
    ) -> None:
        url = urlsplit(base_url)
        if url.scheme not in _SECURE or not url.netloc:
            raise ValueError(f"base_url must be an http, https, ws or wss URL with a host, got {base_url!r}")
        self._host = url.netloc
        self._secure = _SECURE[url.scheme]
        self.api = api
        self.path = path
        self.headers = dict(headers or {})
        self.query_string = query_string
        self.subprotocols = list(subprotocols or [])
        self._cors = cors_allowed_origins
        self._read_settings = read_django_settings
        self._raise = raise_server_exceptions
        self._served: _Served | None = None
        self._token = 0
        self._inbox: deque[tuple] = deque()
        self._accepted = False
        self._closed = False
        self._close_code: int | None = None
        self._close_reason = ""
        self._subprotocol: str | None = None
        #: The 101's headers, names lower-case.
        self.response_headers: dict[str, str] = {}

    # -- the connection --------------------------------------------------------------------
    def _call(self, op: int, arg: Any) -> Any:
        assert self._served is not None
        # As TestClient does: no loop runs on this thread while the server's code does.
        outer = _get_running_loop()
        _set_running_loop(None)
        activate_user_loaders(self._served.runtime.user_loaders)
        try:
            return _native.test_ws(self._served.app, op, self._token, arg)
        finally:
            _set_running_loop(outer)

    async def __aenter__(self) -> WebSocketTestClient:
        self._served = _Served(
            self.api,
            raise_server_exceptions=self._raise,
            cors_allowed_origins=self._cors,
            read_django_settings=self._read_settings,
            static_files_config=None,
            bootstrap_django=True,
        )
        target = quote(self.path, safe="/%:@!$&'()*+,;=-._~")
        if self.query_string:
            target += "?" + self.query_string
        fields = [
            (b"host", self._host.encode()),
            (b"upgrade", b"websocket"),
            (b"connection", b"Upgrade"),
            (b"sec-websocket-key", _KEY),
            (b"sec-websocket-version", b"13"),
        ]
        if self.subprotocols:
            fields.append((b"sec-websocket-protocol", ", ".join(self.subprotocols).encode()))
        fields += [(k.lower().encode(), str(v).encode()) for k, v in self.headers.items()]
        try:
            opening = (target.encode(), fields, CLIENT_ADDRESS, self._secure)
            status, headers, body, token, first = self._call(_OPEN, opening)
            if status != 101:
                self._raise_handler_error()
                raise HandshakeRejected(status, body)
        except BaseException:
            self._served.close()
            raise
        self._token = token
        self._accepted = True
        self.response_headers = {k.decode().lower(): v.decode() for k, v in headers}
        self._subprotocol = self.response_headers.get("sec-websocket-protocol")
        self._inbox.extend(first)
        return self

    async def __aexit__(self, *exc: Any) -> None:
        try:
            if not self._closed:
                self._closed = True
                self._close_code = CloseCode.NORMAL
                self._call(_CLOSE, CloseCode.NORMAL)
            if exc[0] is None:
                self._raise_handler_error()
        finally:
            if self._served is not None:
                self._served.close()

    def _raise_handler_error(self) -> None:
        errors = self._served.runtime.websockets.errors if self._served is not None else []
        if errors and self._raise:
            err = errors[-1]
            errors.clear()
            raise err

    @property
    def accepted(self) -> bool:
        """Whether the handler accepted."""
        return self._accepted

    @property
    def closed(self) -> bool:
        """Whether either side closed."""
        return self._closed

    @property
    def close_code(self) -> int | None:
        """The close code, once closed."""
        return self._close_code

    @property
    def close_reason(self) -> str:
        """The server's close reason, once it closed."""
        return self._close_reason

    @property
    def accepted_subprotocol(self) -> str | None:
        """The subprotocol the handler chose."""
        return self._subprotocol

    # -- sending ---------------------------------------------------------------------------
    async def send_text(self, data: str) -> None:
        """Sends a text message to the handler."""
        if self._closed:
            raise RuntimeError("WebSocket is closed")
        self._call(_SEND, str(data))

    async def send_bytes(self, data: bytes) -> None:
        """Sends a binary message to the handler."""
        if self._closed:
            raise RuntimeError("WebSocket is closed")
        self._call(_SEND, bytes(data))

    async def send_json(self, data: Any, mode: str = "text") -> None:
        """Sends ``data`` as JSON text (or bytes with ``mode="binary"``)."""
        text = json.dumps(data, separators=(",", ":"))
        await (self.send_text(text) if mode == "text" else self.send_bytes(text.encode()))

    async def close(self, code: int = CloseCode.NORMAL) -> None:
        """Closes from the client's side: the handler's ``receive`` raises ``WebSocketDisconnect``."""
        if not self._closed:
            self._closed = True
            self._close_code = code
            self._call(_CLOSE, code)

    # -- receiving -------------------------------------------------------------------------
    async def receive(self, timeout: float = 5.0) -> dict[str, Any]:
        """The next message as ``{"type": "websocket.send", "text"|"bytes": ...}``; raises
        ``ConnectionClosed`` when the server closed, ``TimeoutError`` when nothing came."""
        if not self._inbox and not self._closed:
            self._inbox.extend(self._call(_RECEIVE, float(timeout)))
        if not self._inbox:
            if self._closed:
                raise ConnectionClosed(self._close_code or CloseCode.NORMAL, self._close_reason)
            raise TimeoutError(f"No message received within {timeout}s")
        op, a, b = self._inbox.popleft()
        if op == _TEXT:
            return {"type": "websocket.send", "text": a}
        if op == _BYTES:
            return {"type": "websocket.send", "bytes": a}
        # The server closed (op 3), or the handler ended without closing (op 4).
        self._closed = True
        self._close_code = CloseCode.INTERNAL_ERROR if (op == _END and a is None) else a
        self._close_reason = b
        self._inbox.clear()
        self._raise_handler_error()
        raise ConnectionClosed(self._close_code, b)

    async def receive_text(self, timeout: float = 5.0) -> str:
        """The next text message."""
        m = await self.receive(timeout)
        return m["text"] if "text" in m else m["bytes"].decode()

    async def receive_bytes(self, timeout: float = 5.0) -> bytes:
        """The next binary message."""
        m = await self.receive(timeout)
        return m["bytes"] if "bytes" in m else m["text"].encode()

    async def receive_json(self, timeout: float = 5.0, mode: str = "text") -> Any:
        """The next message parsed as JSON."""
        return json.loads(await (self.receive_text(timeout) if mode == "text" else self.receive_bytes(timeout)))

    async def iter_text(self, timeout: float = 5.0) -> AsyncIterator[str]:
        """Text messages until the server closes (or nothing comes within ``timeout``)."""
        while not self._closed or self._inbox:
            try:
                yield await self.receive_text(timeout)
            except (ConnectionClosed, TimeoutError):
                return

    async def iter_bytes(self, timeout: float = 5.0) -> AsyncIterator[bytes]:
        """Binary messages until the server closes."""
        while not self._closed or self._inbox:
            try:
                yield await self.receive_bytes(timeout)
            except (ConnectionClosed, TimeoutError):
                return

    async def iter_json(self, timeout: float = 5.0) -> AsyncIterator[Any]:
        """JSON messages until the server closes."""
        while not self._closed or self._inbox:
            try:
                yield await self.receive_json(timeout)
            except (ConnectionClosed, TimeoutError):
                return


#: django-bolt's other name for it.
WebSocketClient = WebSocketTestClient
