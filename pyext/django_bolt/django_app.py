"""Everything that is not a bolt route goes to Django's own handler, in the same interpreter.

Django's ``WSGIHandler`` runs with ``settings.MIDDLEWARE``, so the admin, plain views and
third-party apps work unchanged. Rust calls :meth:`DjangoApp.__call__` only for paths no bolt
route claims; a path Django cannot resolve either gets bolt's JSON 404 without running the
middleware stack.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote_to_bytes

from .responses import Response, StreamingResponse

__all__ = ["DjangoApp"]

# Headers Rust writes itself (framing belongs to the server, RFC 9112 §6).
_HOP = {"content-length", "connection", "transfer-encoding", "keep-alive"}


def wsgi_environ(
    method: str,
    path_bytes: bytes,
    query: str,
    headers: list[tuple[str, str]],
    body: bytes,
    client: str,
    server_port: str = "0",
    scheme: str = "http",
) -> dict[str, Any]:
    """A PEP 3333 environ for Django from bolt's view of a request. ``scheme`` is bolt's
    (``Request.scheme``): https only when a trusted proxy's X-Forwarded-Proto says so; the
    header itself stays in ``HTTP_X_FORWARDED_PROTO`` as sent, for ``SECURE_PROXY_SSL_HEADER``."""
    host, _, port = client.rpartition(":")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        # PEP 3333: the path is the percent-decoded bytes, carried as latin-1 text.
        "PATH_INFO": path_bytes.decode("latin-1"),
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": server_port,
        "REMOTE_ADDR": host.strip("[]"),
        "REMOTE_PORT": port,
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scheme,
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "CONTENT_LENGTH": str(len(body)),
    }
    for name, value in headers:
        if name == "content-type":
            environ["CONTENT_TYPE"] = value
        elif name == "content-length":
            continue
        else:
            key = "HTTP_" + name.upper().replace("-", "_")
            environ[key] = environ[key] + "," + value if key in environ else value
    if "HTTP_HOST" in environ:
        environ["SERVER_NAME"] = environ["HTTP_HOST"].rsplit(":", 1)[0]
    return environ


def _closing(result: Any) -> Iterator[bytes]:
    """A WSGI result's chunks, then its ``close()`` (PEP 3333), however iteration ends."""
    try:
        yield from result
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()


class DjangoApp:
    """Django's WSGI application plus the checks that decide whether it should see a path."""

    def __init__(self, server_port: int = 0) -> None:
        from django.conf import settings
        from django.core.handlers.wsgi import WSGIHandler

        # Static and media files never get here: Rust serves them before routing.
        self.app = WSGIHandler()
        self.append_slash = bool(getattr(settings, "APPEND_SLASH", True))
        self.server_port = str(server_port)

    def claims(self, path: str) -> bool:
        """Whether Django has a URL pattern for ``path`` (or for it with a slash appended)."""
        from django.urls import Resolver404, get_resolver

        resolver = get_resolver()
        try:
            resolver.resolve(path)
            return True
        except Resolver404:
            pass
        if self.append_slash and not path.endswith("/"):
            try:
                resolver.resolve(path + "/")
                return True  # CommonMiddleware will redirect to the slashed URL
            except Resolver404:
                pass
        return False

    def __call__(
        self,
        method: str,
        target_path: str,
        query: str,
        headers: list[tuple[str, str]],
        body: bytes,
        client: str,
        scheme: str = "http",
    ) -> Response:
        """Django's response, or bolt's JSON 404 when Django has no such URL either."""
        path_bytes = unquote_to_bytes(target_path)
        try:
            path = path_bytes.decode("utf-8")
        except UnicodeDecodeError:
            path = None
        if path is None or not self.claims(path):
            return Response(b'{"detail":"Not Found"}', 404, media_type="application/json")
        environ = wsgi_environ(method, path_bytes, query, headers, body, client, self.server_port, scheme)
        status_line = "500 Internal Server Error"
        out_headers: list[tuple[str, str]] = []

        def start_response(status: str, response_headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            nonlocal status_line, out_headers
            status_line = status
            out_headers = [(k.lower(), v) for k, v in response_headers if k.lower() not in _HOP]
            return lambda data: None

        result = self.app(environ, start_response)
        status = int(status_line.split(" ", 1)[0])
        if getattr(result, "streaming", False):
            # StreamingHttpResponse, FileResponse: sent chunk by chunk as the client reads, and
            # closed (request_finished) when done or when the client goes away.
            resp: Response = StreamingResponse(_closing(result), status)
        else:
            try:
                content = b"".join(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
            resp = Response(content, status)
        # A list keeps repeated headers (Set-Cookie); Content-Type travels among them.
        resp.headers = out_headers  # type: ignore[assignment]
        resp.media_type = None  # type: ignore[assignment]
        return resp
