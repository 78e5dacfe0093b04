"""A raw WebSocket client over a socket, for what a client library would never send: unmasked
frames, bad UTF-8, oversized lengths, hand-made fragments.

    with RawWS.connect(port, "/ws/echo") as ws:
        ws.send_frame(OP_TEXT, b"hi")
        assert ws.read_frame() == (True, OP_TEXT, b"hi")
"""

from __future__ import annotations

import base64
import hashlib
import os
import struct

from support.wire import Conn, Response

OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def handshake_bytes(path: str, key: str, *, extra: str = "", version: str = "13", port: int | None = None) -> bytes:
    host = f"127.0.0.1:{port}" if port else "t"
    return (
        f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: {version}\r\n{extra}\r\n"
    ).encode()


def accept_for(key: str) -> str:
    return base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()


def frame(opcode: int, payload: bytes, *, fin: bool = True, mask: bool = True, rsv: int = 0) -> bytes:
    head = bytes([(0x80 if fin else 0) | rsv | opcode])
    n = len(payload)
    bit = 0x80 if mask else 0
    if n < 126:
        head += bytes([bit | n])
    elif n < 65536:
        head += bytes([bit | 126]) + struct.pack("!H", n)
    else:
        head += bytes([bit | 127]) + struct.pack("!Q", n)
    if not mask:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def close_payload(code: int, reason: str = "") -> bytes:
    return struct.pack("!H", code) + reason.encode()


class RawWS:
    def __init__(self, conn: Conn, response: Response):
        self.conn = conn
        self.response = response

    @classmethod
    def connect(cls, port: int, path: str, *, extra: str = "", timeout: float = 5.0) -> RawWS:
        """Opens a WebSocket; asserts the server answered 101 with the right accept key."""
        key = base64.b64encode(os.urandom(16)).decode()
        conn = Conn(port, timeout=timeout)
        try:
            conn.send(handshake_bytes(path, key, extra=extra))
            resp = conn.read_response(head=True)
            assert resp.status == 101, (resp.status, resp.body)
            assert resp.header("sec-websocket-accept") == accept_for(key)
        except BaseException:
            # A refused handshake (callers retry on it) must not leave its socket to the
            # garbage collector: pytest turns that ResourceWarning into a failure.
            conn.close()
            raise
        return cls(conn, resp)

    def __enter__(self) -> RawWS:
        return self

    def __exit__(self, *exc) -> None:
        self.conn.close()

    def send(self, data: bytes) -> None:
        self.conn.send(data, tolerate_reset=True)

    def send_frame(self, opcode: int, payload: bytes = b"", **kw) -> None:
        self.send(frame(opcode, payload, **kw))

    def _need(self, n: int) -> bytes:
        while len(self.conn.buf) < n:
            chunk = self.conn.sock.recv(65536)
            if not chunk:
                raise EOFError(f"connection closed with {len(self.conn.buf)} of {n} bytes")
            self.conn.buf += chunk
        out, self.conn.buf = self.conn.buf[:n], self.conn.buf[n:]
        return out

    def read_frame(self) -> tuple[bool, int, bytes]:
        """(fin, opcode, payload) of the next server frame; server frames must be unmasked."""
        fin, rsv1, op, payload = self.read_frame_rsv1()
        assert not rsv1, "no extension was negotiated"
        return fin, op, payload

    def read_frame_rsv1(self) -> tuple[bool, bool, int, bytes]:
        """(fin, rsv1, opcode, payload): RSV1 marks a compressed message (permessage-deflate)."""
        b0, b1 = self._need(2)
        assert b1 & 0x80 == 0, "server frames must not be masked"
        assert b0 & 0x30 == 0, "RSV2/RSV3 set"
        n = b1 & 0x7F
        if n == 126:
            (n,) = struct.unpack("!H", self._need(2))
        elif n == 127:
            (n,) = struct.unpack("!Q", self._need(8))
        return bool(b0 & 0x80), bool(b0 & 0x40), b0 & 0x0F, self._need(n)

    def read_close(self) -> tuple[int, str]:
        """Reads frames up to a close frame; its (code, reason)."""
        while True:
            fin, op, payload = self.read_frame()
            if op == OP_CLOSE:
                if not payload:
                    return 1005, ""
                return struct.unpack("!H", payload[:2])[0], payload[2:].decode()

    def assert_closed(self, timeout: float = 3.0) -> None:
        """The server ends the TCP connection after the closing handshake."""
        self.conn.sock.settimeout(timeout)
        try:
            while self.conn.sock.recv(65536):
                pass
        except ConnectionResetError:
            pass
        except TimeoutError:
            raise AssertionError("server kept the connection open after the close") from None
