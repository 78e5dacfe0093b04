"""Response types a handler may return instead of a plain value.

>>> @api.get("/page")
... def page() -> HTML:
...     return HTML("<h1>Hi</h1>")
>>> @api.post("/things")
... def create() -> JSON:
...     return JSON({"created": True}, status_code=201, headers={"x-id": "7"})
>>> @api.post("/login")
... def login() -> JSON:
...     return JSON({"ok": True}).set_cookie("sid", "abc", httponly=True, secure=True)
>>> @api.get("/report")
... def report() -> FileResponse:
...     return FileResponse("/srv/reports/2026.pdf", filename="2026.pdf")
"""

from __future__ import annotations

import datetime as _dt
import errno
import functools
import inspect
import logging
import os
import stat
from dataclasses import dataclass
from typing import Any, Literal, Mapping, TypeVar

from .cookies import Cookie, SameSitePolicy
from .exceptions import HTTPException

__all__ = [
    "Response",
    "JSON",
    "PlainText",
    "HTML",
    "Redirect",
    "StreamingResponse",
    "EventSourceResponse",
    "ServerSentEvent",
    "format_sse_event",
    "FileResponse",
    "File",
    "FileResponseNotFound",
    "FilePathNotAllowed",
    "allowed_file_roots",
]

R = TypeVar("R", bound="Response")

# How the Rust writer treats `content`: raw text/bytes, a value to encode as JSON, or an
# iterator whose chunks it sends as the client reads them.
_RAW = 0
_JSON = 1
_STREAM = 2
# A file on disk, sent by Rust in chunks off the reactor (``app::respond::FILE_KIND``).
_FILE = 3


@functools.lru_cache(maxsize=64)
def _is_json_media(media_type: str | None) -> bool:
    # Cached: a project uses a handful of media types, and this runs for every Response.
    if not media_type:
        return False
    base = media_type.split(";", 1)[0].strip().lower()
    return base == "application/json" or base.endswith("+json")


class Response:
    """A response with explicit content, status, headers and media type.

    As in django-bolt, the media type defaults to ``application/json``: ``Response({"ok": True})``
    is JSON and ``Response()`` is ``{}``. Bytes are sent as they are whatever the media type;
    other content under a JSON media type is encoded as JSON, and under any other media type a
    ``str`` is sent as UTF-8 (anything else as its ``str()``).

    >>> Response({"ok": True}, headers={"Allow": "GET, POST"})
    >>> Response("<svg/>", media_type="image/svg+xml")
    """

    __slots__ = ("content", "status_code", "headers", "media_type", "cookies")
    default_media_type = "application/json"

    def __init__(
        self,
        content: Any = None,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
    ) -> None:
        if not isinstance(status_code, int) or not 100 <= status_code <= 599:
            raise ValueError(f"status_code must be an int between 100 and 599, got {status_code!r}")
        if media_type is None:
            media_type = self.default_media_type
        if type(self) is Response:
            # django-bolt's rules for the generic class (its subclasses say what they hold).
            if content is None:
                content = {}
            elif isinstance(content, (bytearray, memoryview)):
                content = bytes(content)
            if not (isinstance(content, (str, bytes)) or _is_json_media(media_type)):
                content = str(content)
        self.content = content
        self.status_code = status_code
        self.headers = dict(headers) if headers else {}
        self.media_type = media_type
        #: ``Set-Cookie`` field values, one per cookie, in the order set (Rust sends each).
        self.cookies: list[str] = []

    @property
    def _kind(self) -> int:
        """How Rust sends ``content``: bytes as they are, else JSON under a JSON media type."""
        if isinstance(self.content, bytes) or not _is_json_media(self.media_type):
            return _RAW
        return _JSON

    def set_cookie(
        self: R,
        name: str,
        value: str = "",
        max_age: int | None = None,
        expires: _dt.datetime | str | None = None,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: SameSitePolicy = "Lax",
        partitioned: bool = False,
    ) -> R:
        """Adds a ``Set-Cookie`` (``Cookie``'s attributes; Django's ``set_cookie`` names) and
        returns the response, so calls chain: ``JSON({...}).set_cookie("sid", token, httponly=True)``."""
        cookie = Cookie(name, value, max_age, expires, path, domain, secure, httponly, samesite, partitioned)
        self.cookies.append(cookie.to_header_value())
        return self

    def delete_cookie(
        self: R,
        name: str,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: SameSitePolicy = False,
    ) -> R:
        """Tells the browser to drop cookie ``name`` (set with the same ``path`` and ``domain``)."""
        cookie = Cookie.deletion(name, path, domain, secure=secure, httponly=httponly, samesite=samesite)
        self.cookies.append(cookie.to_header_value())
        return self

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status_code={self.status_code!r}, media_type={self.media_type!r})"


_NO_CONTENT: Any = object()


def _first(kind: str, value: Any, content: Any) -> Any:
    """The body given positionally / by django-bolt's keyword, or by our older ``content=``."""
    if content is not _NO_CONTENT:
        if value is not _NO_CONTENT:
            raise TypeError(f"pass the body once: {kind}= or content=, not both")
        return content
    return value


class JSON(Response):
    """``data`` encoded as JSON (in Rust, like a plain return value): ``JSON(data,
    status_code=200, headers=None)`` as in django-bolt (``content=`` is accepted too)."""

    __slots__ = ()
    _kind = _JSON  # type: ignore[assignment]
    default_media_type = "application/json"

    def __init__(
        self,
        data: Any = _NO_CONTENT,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        *,
        content: Any = _NO_CONTENT,
    ) -> None:
        data = _first("data", data, content)
        super().__init__(None if data is _NO_CONTENT else data, status_code, headers, media_type or "application/json")

    @property
    def data(self) -> Any:
        """The value sent as JSON (django-bolt's name for ``content``)."""
        return self.content


class PlainText(Response):
    """A ``text/plain; charset=utf-8`` response: ``PlainText(text, status_code, headers)``."""

    __slots__ = ()
    _kind = _RAW  # type: ignore[assignment]

    def __init__(
        self,
        text: str = _NO_CONTENT,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        *,
        content: str = _NO_CONTENT,
    ) -> None:
        text = _first("text", text, content)
        super().__init__("" if text is _NO_CONTENT else text, status_code, headers, "text/plain; charset=utf-8")

    @property
    def text(self) -> str:
        return self.content


class HTML(Response):
    """A ``text/html; charset=utf-8`` response: ``HTML(html, status_code, headers)``."""

    __slots__ = ()
    _kind = _RAW  # type: ignore[assignment]

    def __init__(
        self,
        html: str = _NO_CONTENT,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        *,
        content: str = _NO_CONTENT,
    ) -> None:
        html = _first("html", html, content)
        super().__init__("" if html is _NO_CONTENT else html, status_code, headers, "text/html; charset=utf-8")

    @property
    def html(self) -> str:
        return self.content


#: ``Redirect``'s status when none is given: 307, as in django-bolt (the method and body are kept).
REDIRECT_DEFAULT_STATUS = 307


class Redirect(Response):
    """A redirect to ``url``: 307 by default, as in django-bolt (301, 302, 303 or 308 also
    accepted)."""

    __slots__ = ()
    _kind = _RAW  # type: ignore[assignment]

    def __init__(
        self, url: str, status_code: int = REDIRECT_DEFAULT_STATUS, headers: Mapping[str, str] | None = None
    ) -> None:
        if status_code not in (301, 302, 303, 307, 308):
            raise ValueError(f"redirect status must be 301, 302, 303, 307 or 308, got {status_code}")
        h = {"location": url}
        if headers:
            h.update(headers)
        super().__init__(b"", status_code, h, "text/plain; charset=utf-8")

    @property
    def url(self) -> str:
        return self.headers["location"]


class StreamingResponse(Response):
    """A body sent chunk by chunk as the client reads it, from a generator or iterator (sync or
    async) of ``str`` (sent as UTF-8) or ``bytes`` chunks; other items are sent as JSON lines.

    >>> @api.get("/export")
    ... def export():
    ...     def rows():
    ...         yield "id,name\\n"
    ...         for p in Person.objects.iterator():
    ...             yield f"{p.id},{p.name}\\n"
    ...     return StreamingResponse(rows(), media_type="text/csv")

    Sent with ``Transfer-Encoding: chunked`` unless ``headers`` give a ``content-length``. The
    iterator is advanced only while the client keeps reading, and closed (``GeneratorExit`` /
    ``CancelledError`` delivered, its ``finally`` run) when the client goes away. Sync
    generators run on the core's blocking pool, so one that waits does not hold the core.
    """

    __slots__ = ("ping_interval",)
    _kind = _STREAM  # type: ignore[assignment]

    def __init__(
        self,
        content: Any,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
    ) -> None:
        if callable(content) and not hasattr(content, "__iter__") and not hasattr(content, "__aiter__"):
            fn = (
                "generator function"
                if inspect.isgeneratorfunction(content) or inspect.isasyncgenfunction(content)
                else "callable"
            )
            raise TypeError(
                f"StreamingResponse needs an iterator, not a {fn}: pass gen(), not gen "
                f"(got {getattr(content, '__qualname__', type(content).__name__)})"
            )
        if not (hasattr(content, "__iter__") or hasattr(content, "__aiter__")) or isinstance(content, (str, bytes)):
            raise TypeError(
                f"StreamingResponse content must be an iterator or async iterator, got {type(content).__name__}"
            )
        super().__init__(None, status_code, headers, media_type or "application/octet-stream")
        self.content = content
        #: Seconds of silence after which an SSE stream sends a ``: ping`` comment (None: never).
        self.ping_interval: float | None = None

    @property
    def is_async_generator(self) -> bool:
        """Whether ``content`` is an async iterator (django-bolt's name)."""
        return hasattr(self.content, "__aiter__")


@dataclass(frozen=True)  # (no slots=: the module must import on old Pythons to say 3.13 is needed)
class ServerSentEvent:
    """One Server-Sent Event, for ``EventSourceResponse``.

    ``data`` is sent as JSON; ``raw_data`` as it is (one ``data:`` line per line); ``comment``
    as ``:`` lines; ``event``, ``id`` and ``retry`` as their fields.

    >>> ServerSentEvent(data={"price": 42.5}, event="update", id="1")
    """

    data: Any = None
    raw_data: str | None = None
    event: str | None = None
    id: str | None = None
    retry: int | None = None
    comment: str | None = None

    def __post_init__(self) -> None:
        if self.data is not None and self.raw_data is not None:
            raise ValueError("ServerSentEvent takes data (sent as JSON) or raw_data (sent as is), not both")
        for name in ("event", "id"):
            v = getattr(self, name)
            if v is not None and ("\n" in v or "\r" in v or "\0" in v):
                raise ValueError(f"SSE {name!r} must not contain line breaks or NUL")
        if self.retry is not None and (not isinstance(self.retry, int) or self.retry < 0):
            raise ValueError("SSE 'retry' must be a non-negative integer (milliseconds)")

    def encode(self) -> bytes:
        """The event in the ``text/event-stream`` wire format."""
        if self.raw_data is not None:
            return format_sse_event(
                data_str=self.raw_data, event=self.event, id=self.id, retry=self.retry, comment=self.comment
            )
        from .json import encode

        return format_sse_event(
            data_bytes=None if self.data is None else encode(self.data),
            event=self.event,
            id=self.id,
            retry=self.retry,
            comment=self.comment,
        )


def format_sse_event(
    *,
    data_str: str | None = None,
    data_bytes: bytes | None = None,
    event: str | None = None,
    id: str | None = None,
    retry: int | None = None,
    comment: str | None = None,
) -> bytes:
    """One event in the SSE wire format (WHATWG HTML §9.2), ending with the blank line that
    dispatches it. Multi-line data and comments become one field line each."""
    if data_bytes is not None and event is None and id is None and retry is None and comment is None:
        if b"\n" not in data_bytes and b"\r" not in data_bytes:
            return b"data: " + data_bytes + b"\n\n"
    lines: list[str] = []
    if comment is not None:
        lines.extend(f": {line}" for line in comment.splitlines() or [""])
    if event is not None:
        lines.append(f"event: {event}")
    data = data_str if data_str is not None else data_bytes.decode("utf-8") if data_bytes is not None else None
    if data is not None:
        lines.extend(f"data: {line}" for line in data.splitlines() or [""])
    if id is not None:
        lines.append(f"id: {id}")
    if retry is not None:
        lines.append(f"retry: {retry}")
    return ("\n".join(lines) + "\n\n").encode("utf-8")


SSE_DEFAULT_PING_INTERVAL: float = 15.0


class EventSourceResponse(StreamingResponse):
    """Server-Sent Events (``text/event-stream``): each item the iterator yields is one event.
    ``ServerSentEvent`` items are sent as they say; ``str``/``bytes`` as already formatted; any
    other value as an event whose ``data`` is its JSON. While the iterator is idle for
    ``ping_interval`` seconds a ``: ping`` comment keeps proxies from closing the connection.

    >>> @api.get("/ticks")
    ... async def ticks():
    ...     async def events():
    ...         for i in range(10):
    ...             yield ServerSentEvent(data={"n": i}, event="tick", id=str(i))
    ...             await asyncio.sleep(1)
    ...     return EventSourceResponse(events())

    A generator handler with ``response_class=EventSourceResponse`` is wrapped the same way.
    """

    __slots__ = ()

    def __init__(
        self,
        content: Any,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        ping_interval: float | None = SSE_DEFAULT_PING_INTERVAL,
    ) -> None:
        # The items stay as the iterator yields them (as in django-bolt); the server formats
        # each as an event when it sends it (Rust: http/sse.rs).
        super().__init__(content, status_code, headers, "text/event-stream")
        if ping_interval is not None and not ping_interval > 0:
            raise ValueError("ping_interval must be a positive number of seconds, or None")
        self.ping_interval = ping_interval
        # Proxies must pass events through as they come, and nobody may cache them.
        for name, value in (
            ("cache-control", "no-cache"),
            ("x-accel-buffering", "no"),
        ):
            self.headers.setdefault(name, value)


class FileResponseNotFound(FileNotFoundError, HTTPException):
    """The file a ``FileResponse`` names does not exist: answered 404 ``{"detail": "Not Found"}``
    (an ``HTTPException``); still a ``FileNotFoundError`` for code that catches that, as in
    django-bolt."""

    def __init__(self, path: str) -> None:
        FileNotFoundError.__init__(self, errno.ENOENT, "File not found", path)
        # What Rust reads of an HTTPException; the path stays out of the response.
        self.status_code, self.detail, self.headers = 404, "Not Found", {}


class FilePathNotAllowed(PermissionError, HTTPException):
    """A ``FileResponse`` path outside ``BOLT_ALLOWED_FILE_PATHS``: answered 403
    ``{"detail": "Forbidden"}`` (an ``HTTPException``); still a ``PermissionError``, as in
    django-bolt."""

    def __init__(self, message: str) -> None:
        PermissionError.__init__(self, message)
        self.status_code, self.detail, self.headers = 403, "Forbidden", {}


_log = logging.getLogger("django_bolt.files")
# The resolved roots per raw setting value, so a test's override_settings is seen at once.
_roots_cache: dict[tuple[str, ...], list[str]] = {}


def allowed_file_roots() -> list[str] | None:
    """The real paths of ``settings.BOLT_ALLOWED_FILE_PATHS``, or None when it is unset or
    empty: then, as in django-bolt, a ``FileResponse`` may name any file.

    Raises ``ImproperlyConfigured`` (naming the setting and the entry) for an entry that is not
    a path or not an existing directory; the server checks this at start-up.
    """
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    raw = getattr(settings, "BOLT_ALLOWED_FILE_PATHS", None)
    if not raw:
        return None
    if isinstance(raw, (str, bytes, os.PathLike)):
        raise ImproperlyConfigured(f"BOLT_ALLOWED_FILE_PATHS must be a list of directories, got {raw!r}")
    try:
        key = tuple(os.fspath(p) for p in raw)
    except TypeError as e:
        raise ImproperlyConfigured(f"BOLT_ALLOWED_FILE_PATHS must be a list of paths: {e}") from None
    roots = _roots_cache.get(key)
    if roots is None:
        roots = []
        for entry in key:
            real = os.path.realpath(entry)
            if not os.path.isdir(real):
                raise ImproperlyConfigured(f"BOLT_ALLOWED_FILE_PATHS: {entry!r} is not an existing directory")
            roots.append(real)
        _roots_cache[key] = roots
    return roots


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _resolve_file(path: str | os.PathLike[str]) -> str:
    """``path`` with symlinks and ``..`` resolved, checked against the allowed roots first (so
    a refusal says nothing about whether a file outside exists), then to be a regular file."""
    raw = os.fspath(path)
    if not isinstance(raw, str):
        raise TypeError(f"FileResponse path must be a str or os.PathLike[str], got {path!r}")
    real = os.path.realpath(raw)
    roots = allowed_file_roots()
    if roots is not None and not any(_inside(real, root) for root in roots):
        _log.warning("FileResponse refused %r: it resolves to %r, outside BOLT_ALLOWED_FILE_PATHS", raw, real)
        raise FilePathNotAllowed(
            f"File path {raw!r} is not within allowed directories. Configure BOLT_ALLOWED_FILE_PATHS in Django settings."
        )
    try:
        st = os.stat(real)
    except FileNotFoundError:
        raise FileResponseNotFound(raw) from None
    if not stat.S_ISREG(st.st_mode):
        raise ValueError(f"FileResponse path is not a regular file: {raw!r}")
    return real


class FileResponse(Response):
    """The file at ``path``, sent by Rust from disk in chunks, off the core's thread.

    ``media_type`` defaults to a guess from ``filename`` (else ``path``); ``filename`` adds
    ``Content-Disposition: attachment`` (or ``inline``) with an RFC 6266 ``filename*`` for
    non-ASCII names. ETag/Last-Modified, 304s, and single ranges (206/416, ``If-Range``) are
    answered for GET and HEAD. The path is resolved here (symlinks, ``..``) and must lie under
    ``BOLT_ALLOWED_FILE_PATHS`` when that is set (else :class:`FilePathNotAllowed`, a 403); a
    missing file raises :class:`FileResponseNotFound` (a 404).

    >>> @api.get("/invoices/{number}")
    ... def invoice(number: int) -> FileResponse:
    ...     return FileResponse(f"/srv/invoices/{number}.pdf", filename=f"invoice-{number}.pdf")
    """

    __slots__ = ("path", "filename", "content_disposition_type")
    _kind = _FILE  # type: ignore[assignment]

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        media_type: str | None = None,
        filename: str | None = None,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        content_disposition_type: Literal["attachment", "inline"] = "attachment",
    ) -> None:
        if content_disposition_type not in ("attachment", "inline"):
            raise ValueError(
                f"content_disposition_type must be 'attachment' or 'inline', got {content_disposition_type!r}"
            )
        super().__init__(None, status_code, headers, "application/octet-stream")
        #: None: Rust guesses it from ``filename`` or ``path``, as for static files.
        self.media_type = media_type  # type: ignore[assignment]
        #: The real path (symlinks resolved), checked against the allowed roots.
        self.path = _resolve_file(path)
        self.filename = filename
        self.content_disposition_type = content_disposition_type

    def __repr__(self) -> str:
        return f"FileResponse({self.path!r}, status_code={self.status_code!r}, filename={self.filename!r})"


class File(FileResponse):
    """django-bolt's ``File(path, *, media_type, filename, status_code, headers)``: the file at
    ``path`` as the whole response, ``Content-Disposition: attachment`` when ``filename`` is given.

    django-bolt reads the file into memory first; here it is sent as a :class:`FileResponse`
    (from disk, in chunks, with ``Content-Length``): the client gets the same response. Like a
    ``FileResponse`` the path must lie under ``BOLT_ALLOWED_FILE_PATHS`` when that is set
    (django-bolt's ``File`` does not check it) and a missing file is a 404.

    >>> @api.get("/download")
    ... async def download():
    ...     return File("/srv/files/report.pdf", filename="report.pdf", media_type="application/pdf")
    """

    __slots__ = ()

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        media_type: str | None = None,
        filename: str | None = None,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(path, media_type=media_type, filename=filename, status_code=status_code, headers=headers)

    def read_bytes(self) -> bytes:
        """The file's content (django-bolt's method)."""
        with open(self.path, "rb") as f:
            return f.read()

    def __repr__(self) -> str:
        return f"File({self.path!r}, status_code={self.status_code!r}, filename={self.filename!r})"


def from_django_response(resp: Any) -> Response:
    """One of our responses carrying a Django ``HttpResponse`` a handler returned (as
    django-bolt accepts them: ``@login_required``'s redirect, ``render(...)``, a
    ``StreamingHttpResponse``): its status, headers, cookies and body, the body unchanged."""
    headers = {k: v for k, v in resp.items() if k.lower() != "content-type"}
    media = resp.get("Content-Type") or "application/octet-stream"
    out: Response
    if getattr(resp, "streaming", False):
        out = StreamingResponse(_closing(resp), resp.status_code, headers, media)
    else:
        out = Response(bytes(resp.content), resp.status_code, headers, media)
        _close_resources(resp)
    out.cookies = [morsel.OutputString() for morsel in resp.cookies.values()]
    return out


def _close_resources(resp: Any) -> None:
    # What HttpResponse.close() does but its request_finished signal: a response is not the
    # end of a request here (the server's own housekeeping runs after it is sent).
    for closer in getattr(resp, "_resource_closers", ()):
        try:
            closer()
        except Exception:  # noqa: BLE001 - as Django's close(): one closer does not stop the others
            _log.exception("closing a returned Django response's resource failed")
    getattr(resp, "_resource_closers", []).clear()


def _closing(resp: Any) -> Any:
    content = resp.streaming_content
    if hasattr(content, "__aiter__"):

        async def agen() -> Any:
            try:
                async for chunk in content:
                    yield chunk
            finally:
                _close_resources(resp)

        return agen()

    def gen() -> Any:
        try:
            yield from content
        finally:
            _close_resources(resp)

    return gen()
