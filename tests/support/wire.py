"""Raw HTTP/1.1 over TCP for the black-box tests.

No HTTP client library on purpose: the tests write exact request bytes and read
exact response bytes, so a lenient client can never hide a framing bug.

    with Conn(port) as conn:
        conn.send(b"GET /hello HTTP/1.1\\r\\nHost: t\\r\\n\\r\\n")
        resp = conn.read_response()
        assert resp.status == 200

    data = raw(port, b"GET /hello HTTP/1.0\\r\\n\\r\\n", read_until_close=True)
    [resp] = parse_all(data)

The response parser is deliberately strict (CRLF only, one Content-Length,
``Transfer-Encoding: chunked`` decoded and checked), so that it also checks
what the server writes.
"""

from __future__ import annotations

import json
import re
import socket
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

HOST = "127.0.0.1"
DEFAULT_TIMEOUT = 5.0
JSON = [("Content-Type", "application/json")]
FORM = [("Content-Type", "application/x-www-form-urlencoded")]

_STATUS_LINE = re.compile(rb"^HTTP/(1\.[01]) ([0-9]{3})(?: ([^\r\n]*))?$")
_HEADER_LINE = re.compile(rb"^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*?)[ \t]*$")
_CHUNK_SIZE = re.compile(rb"^([0-9A-Fa-f]+)(?:[ \t]*;.*)?$")


class MalformedResponse(AssertionError):
    """The server wrote bytes that are not a valid HTTP/1.1 response."""


@dataclass
class Response:
    version: str  # "1.1" or "1.0"
    status: int
    reason: str
    headers: list[tuple[str, str]]  # names lower-cased, in wire order
    body: bytes
    raw: bytes = field(repr=False)  # the exact bytes of this response

    def header(self, name: str) -> str | None:
        """The value of a header that must appear at most once."""
        values = self.header_values(name)
        assert len(values) <= 1, f"header {name!r} sent {len(values)} times: {values}"
        return values[0] if values else None

    def header_values(self, name: str) -> list[str]:
        name = name.lower()
        return [v for k, v in self.headers if k == name]

    def tokens(self, name: str) -> set[str]:
        """Comma-separated tokens of a list header (``Allow``, ``Connection``), upper-cased."""
        return {
            token.strip().upper() for value in self.header_values(name) for token in value.split(",") if token.strip()
        }

    @property
    def content_type(self) -> str | None:
        return self.header("content-type")

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def json(self):
        return json.loads(self.body)


def _split_lines(head: bytes) -> list[bytes]:
    if re.search(rb"(?<!\r)\n", head) or re.search(rb"\r(?!\n)", head):
        raise MalformedResponse(f"response head has a bare LF or CR: {head!r}")
    return head.split(b"\r\n")


def _parse_chunked(data: bytes, start: int) -> tuple[bytes, int] | None:
    """Decode a chunked body starting at ``start``; None if incomplete."""
    pos = start
    body = bytearray()
    while True:
        eol = data.find(b"\r\n", pos)
        if eol < 0:
            return None
        m = _CHUNK_SIZE.match(data[pos:eol])
        if not m:
            raise MalformedResponse(f"bad chunk-size line {data[pos:eol]!r}")
        size = int(m.group(1), 16)
        pos = eol + 2
        if size == 0:
            # trailer section, then the final CRLF
            while True:
                eol = data.find(b"\r\n", pos)
                if eol < 0:
                    return None
                line = data[pos:eol]
                pos = eol + 2
                if not line:
                    return bytes(body), pos
                if not _HEADER_LINE.match(line):
                    raise MalformedResponse(f"bad trailer line {line!r}")
        if len(data) < pos + size + 2:
            return None
        body += data[pos : pos + size]
        pos += size
        if data[pos : pos + 2] != b"\r\n":
            raise MalformedResponse(f"chunk data not followed by CRLF at {data[pos : pos + 10]!r}")
        pos += 2


def parse_response(data: bytes, *, head: bool = False, eof: bool = False) -> tuple[Response, int] | None:
    """Parse one response at the start of ``data``.

    Returns ``(response, bytes_consumed)``, or None when more bytes are needed.
    ``head=True`` means the request was HEAD (no body whatever the headers say);
    ``eof=True`` means the peer closed, so a body without framing ends here.
    """
    end = data.find(b"\r\n\r\n")
    if end < 0:
        if eof and data:
            raise MalformedResponse(f"connection closed inside a response head: {data[:200]!r}")
        return None
    lines = _split_lines(data[:end])
    m = _STATUS_LINE.match(lines[0])
    if not m:
        raise MalformedResponse(f"bad status line {lines[0]!r}")
    version, status, reason = m.group(1).decode(), int(m.group(2)), (m.group(3) or b"").decode("latin-1")
    headers = []
    for line in lines[1:]:
        hm = _HEADER_LINE.match(line)
        if not hm:
            raise MalformedResponse(f"bad header line {line!r}")
        headers.append((hm.group(1).decode("ascii").lower(), hm.group(2).decode("latin-1")))
    body_start = end + 4
    te = [v for k, v in headers if k == "transfer-encoding"]
    cl = [v for k, v in headers if k == "content-length"]

    def done(body: bytes, consumed: int) -> tuple[Response, int]:
        resp = Response(version, status, reason, headers, body, bytes(data[:consumed]))
        return resp, consumed

    if 100 <= status < 200:
        return done(b"", body_start)  # interim response: never a body
    if te and cl:
        raise MalformedResponse(f"response has both Transfer-Encoding and Content-Length: {headers}")
    if len(cl) > 1:
        raise MalformedResponse(f"response has {len(cl)} Content-Length headers: {cl}")
    if cl and not cl[0].isdigit():
        raise MalformedResponse(f"bad Content-Length {cl[0]!r}")
    if status in (204, 304):
        if te:
            raise MalformedResponse(f"{status} response with Transfer-Encoding")
        if status == 204 and cl and cl[0] != "0":
            raise MalformedResponse(f"204 response with Content-Length {cl[0]}")
        return done(b"", body_start)
    if head:
        return done(b"", body_start)
    if te:
        if te[-1].strip().lower() != "chunked":
            raise MalformedResponse(f"unexpected response Transfer-Encoding {te}")
        parsed = _parse_chunked(data, body_start)
        if parsed is None:
            if eof:
                raise MalformedResponse("connection closed inside a chunked body")
            return None
        return done(*parsed)
    if cl:
        length = int(cl[0])
        if len(data) < body_start + length:
            if eof:
                raise MalformedResponse(f"connection closed after {len(data) - body_start} of {length} body bytes")
            return None
        return done(bytes(data[body_start : body_start + length]), body_start + length)
    # No framing: the body runs to the end of the connection (RFC 9112 §6.3 rule 8).
    if not eof:
        return None
    return done(bytes(data[body_start:]), len(data))


def parse_all(data: bytes, *, head: bool | Sequence[bool] = False) -> list[Response]:
    """Parse every response in a complete byte stream (read until the peer closed)."""
    out: list[Response] = []
    pos = 0
    while pos < len(data):
        is_head = head if isinstance(head, bool) else head[len(out)]
        parsed = parse_response(data[pos:], head=is_head, eof=True)
        assert parsed is not None
        resp, used = parsed
        out.append(resp)
        pos += used
    return out


def request_bytes(
    method: str,
    target: str,
    *,
    headers: Iterable[tuple[str, str]] = (),
    body: bytes | None = None,
    version: str = "HTTP/1.1",
    host: str | None = "test",
) -> bytes:
    """Build a well-formed request; adds Host and (for a body) Content-Length."""
    headers = list(headers)
    names = {k.lower() for k, _ in headers}
    lines = [f"{method} {target} {version}"]
    if host is not None and "host" not in names:
        lines.append(f"Host: {host}")
    lines += [f"{k}: {v}" for k, v in headers]
    if body is not None and "content-length" not in names and "transfer-encoding" not in names:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")


class Conn:
    """One client TCP connection with a read buffer shared by successive responses."""

    def __init__(self, port: int, *, host: str = HOST, timeout: float = DEFAULT_TIMEOUT):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.timeout = timeout
        self.buf = b""
        self.eof = False
        self.reset = False

    @classmethod
    def wrap(cls, sock: socket.socket) -> Conn:
        conn = cls.__new__(cls)
        conn.sock, conn.timeout = sock, sock.gettimeout() or DEFAULT_TIMEOUT
        conn.buf, conn.eof, conn.reset = b"", False, False
        return conn

    def __enter__(self) -> Conn:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.sock.close()

    def send(self, data: bytes, *, tolerate_reset: bool = False) -> None:
        """Write all of ``data``. With ``tolerate_reset``, a peer that already
        answered and closed (EPIPE/ECONNRESET) is not an error: read its reply next."""
        try:
            self.sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            if not tolerate_reset:
                raise

    def send_in_parts(self, parts: Iterable[bytes], *, pause: float = 0.05, tolerate_reset: bool = False) -> None:
        """Write each part separately, pausing between them, so the server sees short reads.
        ``tolerate_reset`` as for ``send`` (a server refusing the body mid-way may close)."""
        for i, part in enumerate(parts):
            if i:
                time.sleep(pause)
            self.send(part, tolerate_reset=tolerate_reset)

    def _fill(self) -> None:
        try:
            chunk = self.sock.recv(65536)
        except ConnectionResetError:
            self.eof = self.reset = True
            return
        except TimeoutError:
            raise AssertionError(
                f"no complete response within {self.timeout}s; buffered so far: {self.buf[:500]!r}"
            ) from None
        if chunk:
            self.buf += chunk
        else:
            self.eof = True

    def read_response(self, *, head: bool = False) -> Response:
        """Read exactly one response (a 1xx interim response counts as one)."""
        while True:
            parsed = parse_response(self.buf, head=head, eof=self.eof)
            if parsed is not None:
                resp, used = parsed
                self.buf = self.buf[used:]
                return resp
            if self.eof:
                how = "reset" if self.reset else "closed"
                raise AssertionError(f"connection {how} before a complete response; got {self.buf[:500]!r}")
            self._fill()

    def read_responses(self, n: int, *, head: bool | Sequence[bool] = False) -> list[Response]:
        return [self.read_response(head=head if isinstance(head, bool) else head[i]) for i in range(n)]

    def request(self, method: str, target: str, **kwargs) -> Response:
        """Send one well-formed request (see ``request_bytes``) and read its response."""
        self.send(request_bytes(method, target, **kwargs))
        return self.read_response(head=method == "HEAD")

    def read_until_close(self, timeout: float | None = None) -> bytes:
        """Everything the server writes until it closes; fails if it stays open."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while not self.eof:
            if time.monotonic() > deadline:
                raise AssertionError(f"server kept the connection open; buffered: {self.buf[:500]!r}")
            self._fill()
        data, self.buf = self.buf, b""
        return data

    def assert_closed(self, timeout: float = 2.0) -> None:
        """The server closed the connection and wrote nothing more."""
        old = self.sock.gettimeout()
        self.sock.settimeout(timeout)
        try:
            rest = self.read_until_close(timeout)
        finally:
            self.sock.settimeout(old)
        assert rest == b"", f"unexpected bytes before close: {rest[:500]!r}"

    def assert_open(self, wait: float = 0.2) -> None:
        """The server has not closed the connection (nor sent stray bytes) after ``wait`` s."""
        assert not self.eof, "connection already closed"
        assert self.buf == b"", f"unexpected buffered bytes: {self.buf[:500]!r}"
        self.sock.settimeout(wait)
        try:
            data = self.sock.recv(1, socket.MSG_PEEK)
        except TimeoutError:
            return
        except ConnectionResetError:
            raise AssertionError("server reset a connection that should stay open") from None
        finally:
            self.sock.settimeout(self.timeout)
        assert data != b"", "server closed a connection that should stay open"
        raise AssertionError(f"unexpected bytes on an idle connection: {data!r}")


def raw(
    sock_or_port: socket.socket | int,
    data: bytes,
    *,
    read_until_close: bool = False,
    responses: int = 1,
    head: bool | Sequence[bool] = False,
    timeout: float = DEFAULT_TIMEOUT,
) -> bytes:
    """Send ``data`` and return the raw bytes the server answered.

    Given a port, opens (and closes) a fresh connection. With ``read_until_close``
    it returns everything up to the server's close and fails if the server keeps
    the connection open; otherwise it returns exactly ``responses`` complete
    responses' worth of bytes.
    """
    if isinstance(sock_or_port, int):
        with Conn(sock_or_port, timeout=timeout) as conn:
            return _raw(conn, data, read_until_close, responses, head)
    return _raw(Conn.wrap(sock_or_port), data, read_until_close, responses, head)


def _raw(conn: Conn, data: bytes, until_close: bool, responses: int, head) -> bytes:
    conn.send(data, tolerate_reset=until_close)
    if until_close:
        return conn.read_until_close()
    return b"".join(r.raw for r in conn.read_responses(responses, head=head))


def get_until_close(port: int, target: bytes, *, source: str | None = None, headers: bytes = b"") -> Response:
    """``GET target`` with ``Connection: close`` on a fresh connection (from the local address
    ``source`` when given), everything read until the server closes; the first response. The
    target goes out exactly as given (``..``, ``%2e``, NUL: nothing is normalised)."""
    with socket.create_connection(
        (HOST, port), timeout=DEFAULT_TIMEOUT, source_address=(source, 0) if source else None
    ) as s:
        s.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\n" + headers + b"Connection: close\r\n\r\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    return parse_all(data)[0]


def get(port: int, target: str, **kwargs) -> Response:
    """One request on a fresh connection."""
    with Conn(port) as conn:
        return conn.request("GET", target, **kwargs)


def fetch(port: int, method: str, target: str, **kwargs) -> Response:
    with Conn(port) as conn:
        return conn.request(method, target, **kwargs)


def json_body(obj) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def multipart(parts: list[tuple[str, str | None, bytes]], boundary: str = "xBoLtx") -> tuple[list, bytes]:
    """A ``multipart/form-data`` body of ``(name, filename or None, data)`` parts (a file part is
    ``application/pdf``); returns (headers, body)."""
    body = b""
    for name, filename, data in parts:
        disp = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        body += f"--{boundary}\r\nContent-Disposition: {disp}\r\n".encode()
        if filename:
            body += b"Content-Type: application/pdf\r\n"
        body += b"\r\n" + data + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return [("Content-Type", f"multipart/form-data; boundary={boundary}")], body
