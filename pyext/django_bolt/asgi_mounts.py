"""ASGI applications mounted at a static path prefix (``api.mount_asgi``, ``api.mount_django``).

A request no bolt route matches is offered to the mounts (longest prefix first) before Django's
own fallthrough. The app gets a standard HTTP scope whose ``path`` is the part after the prefix
and whose ``root_path`` is the prefix (django-bolt 0.13's scope); ``receive()`` gives the whole
body at once, then waits until the response is over and says ``http.disconnect``. The app runs
as its own Task on the core's loop: a complete body becomes one response; a body sent with
``more_body=True`` goes out chunk by chunk as the app produces it (``StreamingResponse``). An
app that sends no ``http.response.start`` within ``BOLT_ASGI_MOUNT_TIMEOUT`` seconds (30) is
stopped and its client gets 504, as in django-bolt.

A WebSocket upgrade under a mount goes to the app as a ``websocket`` scope (``Mounts.websocket``,
called by the WebSocket hub), over the same socket machinery as a bolt WebSocket route. Mounts
get no ``lifespan`` scope: django-bolt 0.13 sends none either (``BoltAPI(lifespan=)`` is the
start-up hook).
"""

from __future__ import annotations

import asyncio
import collections
import json
import logging
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import unquote

from .responses import Response, StreamingResponse

__all__ = [
    "Mounts",
    "normalize_mount_prefix",
    "validate_mount_conflicts",
    "django_mount",
]

log = logging.getLogger("django_bolt")

# Headers the server writes itself (framing belongs to it, RFC 9112 §6).
_HOP = {b"content-length", b"connection", b"transfer-encoding", b"keep-alive"}
# Chunks an app may send ahead of a slow client before its ``send()`` waits.
_AHEAD = 16
_END = object()
_REDIRECTS = (301, 302, 303, 307, 308)


def normalize_mount_prefix(path: str) -> str:
    """``/x`` for ``x``, ``/x/``, ``/x``; ``/`` for the root. A prefix is static: ``{`` or ``}``
    is a ``ValueError`` (django-bolt 0.13's rules)."""
    if not isinstance(path, str):
        raise TypeError(f"ASGI mount path must be a string, got {path!r}")
    mount_path = "/" + path.strip("/") if path else "/"
    if "{" in mount_path or "}" in mount_path:
        raise ValueError(f"ASGI mount path must be static (no dynamic parameters), got: {mount_path}")
    return mount_path


def validate_mount_conflicts(route_paths: Iterable[str], mounts: Iterable[tuple[str, Any]]) -> None:
    """Raises ``ValueError`` for a prefix mounted twice, or one that is also a route's path
    exactly (then the route would always win and the mount's root could never be reached)."""
    paths = set(route_paths)
    seen: set[str] = set()
    for prefix, _app in mounts:
        if prefix in seen:
            raise ValueError(f"Duplicate ASGI mount prefix: {prefix}")
        seen.add(prefix)
        if prefix in paths:
            raise ValueError(
                f"ASGI mount prefix {prefix} conflicts with an existing HTTP route (exact collision is not allowed)."
            )


def _name(app: Any) -> str:
    return getattr(app, "__qualname__", None) or type(app).__qualname__


class Mounts:
    """The mounts of every API a core serves; Rust calls it for paths no route matched.

    ``timeout``: seconds an app may take to send ``http.response.start`` before its client gets
    504 (``BOLT_ASGI_MOUNT_TIMEOUT``). ``ahead``: chunks of a streamed body an app may send
    before its ``send()`` waits for the client to take them (None: no bound; the test client
    reads every body whole, on the thread that would otherwise have to read them as they come).
    """

    def __init__(
        self,
        mounts: Iterable[tuple[str, Any]],
        server_port: int = 0,
        timeout: float | None = None,
        ahead: int | None = _AHEAD,
    ) -> None:
        # Longest prefix first, so /api/v2 wins over /api; the root mount ("/") comes last.
        self.mounts = sorted(mounts, key=lambda m: len(m[0]), reverse=True)
        self.server_port = server_port
        if timeout is None:
            from .conf import asgi_mount_timeout

            timeout = asgi_mount_timeout()
        self.timeout = timeout
        self.ahead = ahead
        #: The prefixes whose app takes WebSocket connections (Rust hands those upgrades to the
        #: WebSocket hub); ``mount_django``'s Django app serves HTTP only, as in django-bolt.
        self.websocket_prefixes = [p for p, app in self.mounts if not getattr(app, "_bolt_http_only", False)]

    def match(self, target_path: str) -> tuple[str, str, Any] | None:
        """``(root_path, path, app)`` of the mount that claims ``target_path``, else None."""
        path = unquote(target_path)
        for prefix, app in self.mounts:
            if prefix == "/":
                return "", path, app
            if path == prefix or path.startswith(prefix + "/"):
                return prefix, path[len(prefix) :] or "/", app
        return None

    def scope(
        self,
        kind: str,
        root: str,
        sub: str,
        target_path: str,
        query: str,
        headers: list[tuple[str, str]],
        client: str,
        scheme: str,
        http_version: str,
    ) -> dict[str, Any]:
        """The connection scope both kinds share (django-bolt 0.13's fields)."""
        raw = [(k.lower().encode("latin-1"), v.encode()) for k, v in headers]
        host, _, port = client.rpartition(":")
        server_name = next((v.decode().rsplit(":", 1)[0] for k, v in raw if k == b"host"), "localhost")
        return {
            "type": kind,
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": http_version,
            "scheme": scheme,
            "path": sub,
            "raw_path": target_path.encode("latin-1", "replace"),
            "root_path": root,
            "query_string": query.encode("latin-1", "replace"),
            "headers": raw,
            "client": (host.strip("[]"), int(port)) if port.isdigit() else None,
            "server": (server_name, self.server_port),
            "extensions": {},
        }

    def __call__(
        self,
        method: str,
        target_path: str,
        query: str,
        headers: list[tuple[str, str]],
        body: bytes,
        client: str,
        scheme: str = "http",
        http_version: str = "1.1",
    ) -> Any:
        """``None`` when no mount claims the path, else the coroutine giving the app's response."""
        found = self.match(target_path)
        if found is None:
            return None
        root, sub, app = found
        if getattr(app, "_bolt_http_only", False) and any(
            k.lower() == "upgrade" and v.lower() == "websocket" for k, v in headers
        ):
            # Only Django's own ASGI app gets here (other mounts take WebSockets): it would
            # answer a handshake as a page.
            return Response(
                b'{"detail":"The app mounted here (Django\'s ASGI handler) serves HTTP only, not WebSocket"}',
                404,
                media_type="application/json",
            )
        scope = self.scope("http", root, sub, target_path, query, headers, client, scheme, http_version)
        scope["method"] = method
        return _serve(app, scope, body, self.timeout, self.ahead)

    def websocket(
        self,
        ws: Any,
        target_path: str,
        query: str,
        headers: list[tuple[str, str]],
        client: str,
        subprotocols: tuple[str, ...],
        scheme: str,
    ) -> Any:
        """The coroutine running the mounted app for the WebSocket ``ws`` (the hub's
        ``WebSocket``, which speaks to the socket), or None when no WebSocket mount claims the
        path."""
        found = self.match(target_path)
        if found is None or getattr(found[2], "_bolt_http_only", False):
            return None
        root, sub, app = found
        scope = self.scope("websocket", root, sub, target_path, query, headers, client, scheme, "1.1")
        scope["subprotocols"] = list(subprotocols)
        return _AsgiWebSocket(app, ws).run(scope)


class _AsgiWebSocket:
    """ASGI's WebSocket messages over the hub's ``WebSocket``: the same socket a bolt handler
    gets, so the handshake, the 403 for a close before accept, backpressure, heartbeats and
    the shutdown's 1001 are the server's own."""

    def __init__(self, app: Any, ws: Any) -> None:
        self.app = app
        self.ws = ws
        self.connected = False
        self.gone: dict[str, Any] | None = None

    async def run(self, scope: dict[str, Any]) -> None:
        await self.app(scope, self.receive, self.send)

    async def receive(self) -> dict[str, Any]:
        from .websocket import WebSocketDisconnect, WebSocketState

        if not self.connected:
            self.connected = True
            return {"type": "websocket.connect"}
        if self.gone is not None:
            return self.gone
        if self.ws.state == WebSocketState.CONNECTING:
            raise RuntimeError(
                f"ASGI app {_name(self.app)} called receive() again before websocket.accept or websocket.close"
            )
        try:
            return await self.ws.receive()
        except WebSocketDisconnect as exc:
            self.gone = {"type": "websocket.disconnect", "code": exc.code, "reason": exc.reason or ""}
            return self.gone

    async def send(self, message: dict[str, Any]) -> None:
        from .websocket import WebSocketState

        kind = message.get("type")
        ws = self.ws
        if kind == "websocket.accept":
            headers = [(bytes(k), bytes(v)) for k, v in message.get("headers") or ()]
            await ws.accept(message.get("subprotocol"), headers)
        elif kind == "websocket.send":
            if ws.state == WebSocketState.CONNECTING:
                # ASGI lets a first websocket.send accept the connection.
                await ws.accept()
            await ws.send(message)
        elif kind == "websocket.close":
            # Before accept, the client gets 403 (no denial-response extension here).
            await ws.close(message.get("code") or 1000, message.get("reason") or "")
        else:
            raise RuntimeError(f"ASGI app {_name(self.app)} sent an unexpected WebSocket message type {kind!r}")


async def _serve(app: Any, scope: dict[str, Any], body: bytes, timeout: float, ahead: int | None) -> Response:
    loop = asyncio.get_running_loop()
    exchange = _Exchange(loop, body, app, scope["method"] == "HEAD", ahead)
    # Its own Task: the app may go on producing a streamed body after this coroutine returned.
    task = exchange.task = loop.create_task(exchange.run(scope))
    # django-bolt's rule: the app has `timeout` seconds to start its response; the body then
    # has no limit.
    exchange.timer = loop.call_later(timeout, exchange.time_out, timeout)
    try:
        return await exchange.head
    except BaseException:
        task.cancel()
        raise
    finally:
        exchange.timer.cancel()


class _Exchange:
    """One request to a mounted app: its ``receive``/``send`` and the response they build."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        body: bytes,
        app: Any,
        head_only: bool = False,
        ahead: int | None = _AHEAD,
    ) -> None:
        self.loop = loop
        self.ahead = ahead
        self.timer: asyncio.TimerHandle | None = None
        #: HEAD: the body is never sent, so a streamed one is not waited for.
        self.head_only = head_only
        self.app = app
        self.body = body
        self.task: asyncio.Task | None = None
        #: The response, once the app has sent its head and a first body part.
        self.head: asyncio.Future = loop.create_future()
        self.requested = False
        self.waiters: list[asyncio.Future] = []
        self.status: int | None = None
        self.headers: list[tuple[str, str]] = []
        self.finished = False
        #: A streamed body: chunks the client has not read yet, then ``_END`` or an exception.
        self.chunks: collections.deque[Any] | None = None
        self.readable = asyncio.Event()
        self.writable = asyncio.Event()

    async def receive(self) -> dict[str, Any]:
        if not self.requested:
            self.requested = True
            return {"type": "http.request", "body": self.body, "more_body": False}
        # ASGI: after the body, receive() waits for the client to go. Apps (Django's
        # ASGIHandler) listen for that while they answer, so it must not come early.
        if not self.finished:
            waiter = self.loop.create_future()
            self.waiters.append(waiter)
            await waiter
        return {"type": "http.disconnect"}

    async def send(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "http.response.start":
            if self.status is not None:
                raise RuntimeError(f"ASGI app {_name(self.app)} sent http.response.start twice")
            self.status = int(message["status"])
            if self.timer is not None:
                self.timer.cancel()
            self.headers = [
                (bytes(k).decode("latin-1").lower(), bytes(v).decode("latin-1"))
                for k, v in message.get("headers", ())
                if bytes(k).lower() not in _HOP
            ]
        elif kind == "http.response.body":
            if self.status is None:
                raise RuntimeError(f"ASGI app {_name(self.app)} sent http.response.body before http.response.start")
            if self.finished and self.head_only:
                return  # a HEAD response's body parts, dropped
            if self.finished:
                raise RuntimeError(f"ASGI app {_name(self.app)} sent http.response.body after the body ended")
            chunk = bytes(message.get("body", b""))
            more = bool(message.get("more_body", False))
            if self.chunks is None:
                if not more:
                    self._finish()
                    if not self.head.done():
                        self.head.set_result(self._response(chunk))
                    return
                if self.head_only:
                    # The head is all the client gets; the app is stopped rather than left
                    # producing a body nobody reads.
                    self._finish()
                    if not self.head.done():
                        self.head.set_result(self._response(_Chunks(self, ended=True)))
                    if self.task is not None:
                        self.task.cancel()
                    return
                self.chunks = collections.deque()
                if not self.head.done():
                    self.head.set_result(self._response(_Chunks(self)))
            while self.ahead is not None and len(self.chunks) >= self.ahead:
                self.writable.clear()
                await self.writable.wait()
            self.chunks.append(chunk)
            if not more:
                self.chunks.append(_END)
                self._finish()
            self.readable.set()
        else:
            raise RuntimeError(f"ASGI app {_name(self.app)} sent an unexpected message type {kind!r}")

    def time_out(self, timeout: float) -> None:
        """No ``http.response.start`` in time: the client gets 504 and the app is stopped."""
        if self.status is not None or self.head.done():
            return
        log.warning("ASGI app %s sent no http.response.start within %ss: 504", _name(self.app), timeout)
        detail = f"ASGI mount timed out after {timeout:g} seconds waiting for response headers"
        self.head.set_result(Response(json.dumps({"detail": detail}).encode(), 504, media_type="application/json"))
        if self.task is not None:
            self.task.cancel()

    def _response(self, content: Any) -> Response:
        resp = (
            StreamingResponse(content, self.status) if isinstance(content, _Chunks) else Response(content, self.status)
        )
        # A list keeps repeated headers (Set-Cookie); Content-Type travels among them.
        resp.headers = self.headers  # type: ignore[assignment]
        resp.media_type = None  # type: ignore[assignment]
        return resp

    def _finish(self) -> None:
        self.finished = True
        for waiter in self.waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def run(self, scope: dict[str, Any]) -> None:
        try:
            await self.app(scope, self.receive, self.send)
        except BaseException as exc:  # noqa: BLE001 - the response or the log says what happened
            if not self.head.done():
                # Before any response: a 500, logged as a handler's error by the caller.
                self.head.set_exception(exc)
            elif self.chunks is not None and not self.finished:
                # Mid-stream: the head is gone, so the body ends short (and the feeder logs it).
                self.chunks.append(exc)
                self.readable.set()
            elif not isinstance(exc, asyncio.CancelledError):
                log.error("ASGI app %s raised after its response was sent", _name(self.app), exc_info=exc)
        else:
            if not self.head.done():
                if self.status is None:
                    self.head.set_exception(
                        RuntimeError(f"ASGI app {_name(self.app)} returned without sending http.response.start")
                    )
                else:
                    self.head.set_result(self._response(b""))
            elif self.chunks is not None and not self.finished:
                # Returned without a last ``more_body=False``: the body ends here.
                self.chunks.append(_END)
                self.readable.set()
        finally:
            self._finish()


class _Chunks:
    """A streamed body's async iterator; closing it (client gone) cancels the app's Task."""

    def __init__(self, exchange: _Exchange, ended: bool = False) -> None:
        self.exchange = exchange
        self.ended = ended

    def __aiter__(self) -> _Chunks:
        return self

    async def __anext__(self) -> bytes:
        ex = self.exchange
        if self.ended:
            raise StopAsyncIteration
        chunks = ex.chunks
        assert chunks is not None
        while not chunks:
            ex.readable.clear()
            await ex.readable.wait()
        item = chunks.popleft()
        ex.writable.set()
        if item is _END:
            raise StopAsyncIteration
        if isinstance(item, BaseException):
            raise item
        return item

    async def aclose(self) -> None:
        self.cancel()

    def cancel(self) -> None:
        task = self.exchange.task
        if task is not None and not task.done():
            task.cancel()


def django_mount(app: Any | None = None, *, clear_root_path: bool = False) -> Callable[..., Any]:
    """Django's ASGI application (``get_asgi_application()`` unless ``app`` is given) wrapped
    for a mount: it sees the full path (Django resolves URLs from it, with ``root_path`` as
    its script prefix), and a redirect to a root-relative URL gets the prefix in front."""
    from django.core.handlers.asgi import ASGIHandler

    if app is None:
        from django.core.asgi import get_asgi_application

        app = get_asgi_application()
    asgi_app = app
    if isinstance(app, ASGIHandler):
        # Its ``handle``, not ``__call__``: that wraps each request in a ThreadSensitiveContext,
        # which gives the request a thread of its own and ends it with a daemon thread, refused
        # in a sub-interpreter (RuntimeError after every response, the thread left behind).
        # Without it, thread-sensitive work goes to the core's sync thread, as for API routes.
        asgi_app = app.handle

    async def django_mount_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        root = scope.get("root_path") or ""
        scope = dict(scope)
        if root:
            # Django takes the script prefix (root_path) off the full path itself.
            scope["path"] = root + scope["path"]
        if clear_root_path:
            scope["root_path"] = ""
        prefix = scope["root_path"]

        async def django_send(message: dict[str, Any]) -> None:
            if prefix and message.get("type") == "http.response.start" and message.get("status") in _REDIRECTS:
                message = dict(message)
                message["headers"] = [_prefixed(k, v, prefix) for k, v in message.get("headers", ())]
            await send(message)

        await asgi_app(scope, receive, django_send)

    if isinstance(app, ASGIHandler):
        # Django's handler serves HTTP only: WebSocket upgrades are not handed to it (django-bolt
        # marks it the same way). Another app given here takes them.
        django_mount_app._bolt_http_only = True  # type: ignore[attr-defined]
    return django_mount_app


def _prefixed(name: Any, value: Any, prefix: str) -> tuple[Any, Any]:
    """A ``Location`` header to a root-relative URL outside ``prefix``, with ``prefix`` in front."""
    if bytes(name).lower() != b"location":
        return name, value
    location = bytes(value).decode("latin-1")
    if (
        location.startswith("/")
        and not location.startswith("//")
        and not (location == prefix or location.startswith(prefix + "/"))
    ):
        return name, (prefix + location).encode("latin-1")
    return name, value
