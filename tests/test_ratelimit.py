"""@rate_limit: a token bucket per client per core, 429 with Retry-After."""

from __future__ import annotations

import socket

from wire import fetch, parse_all


def test_burst_then_429_with_retry_after(server):
    statuses = [fetch(server.port, "GET", "/limited").status for _ in range(6)]
    assert statuses[:3] == [200, 200, 200]
    assert 429 in statuses[3:]
    resp = fetch(server.port, "GET", "/limited")
    if resp.status == 429:
        assert resp.json() == {"detail": "Too Many Requests"}
        assert int(resp.header("retry-after")) >= 1


def test_header_keys_have_their_own_buckets(server):
    assert fetch(server.port, "GET", "/limited/by-key", headers=[("X-API-Key", "alice")]).status == 200
    assert fetch(server.port, "GET", "/limited/by-key", headers=[("X-API-Key", "alice")]).status == 429
    assert fetch(server.port, "GET", "/limited/by-key", headers=[("X-API-Key", "bob")]).status == 200


def _get_from(port: int, source: str, xff: str | None):
    with socket.socket() as s:
        s.bind((source, 0))
        s.connect(("127.0.0.1", port))
        extra = f"X-Forwarded-For: {xff}\r\n" if xff else ""
        s.sendall(f"GET /limited/by-key HTTP/1.1\r\nHost: x\r\n{extra}Connection: close\r\n\r\n".encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    return parse_all(data)[0]


def test_forwarded_for_is_believed_only_from_trusted_proxies(server):
    # 127.0.0.2 is a trusted proxy in the demo settings: each forwarded client gets a bucket.
    assert _get_from(server.port, "127.0.0.2", "198.51.100.1").status == 200
    assert _get_from(server.port, "127.0.0.2", "198.51.100.2").status == 200
    assert _get_from(server.port, "127.0.0.2", "198.51.100.1").status == 429
    # From an untrusted peer the header is ignored: forging new addresses does not help.
    assert _get_from(server.port, "127.0.0.3", "203.0.113.1").status == 200
    assert _get_from(server.port, "127.0.0.3", "203.0.113.2").status == 429
