"""request.client and request.META["REMOTE_ADDR"]: the peer, or behind a proxy listed in
BOLT_TRUSTED_PROXIES (the demo trusts 127.0.0.2) the client its X-Forwarded-For names."""

from __future__ import annotations

from support.wire import get_until_close


def _client(port: int, source: str, xff: str | None = None) -> dict:
    extra = f"X-Forwarded-For: {xff}\r\n".encode() if xff else b""
    r = get_until_close(port, b"/client", source=source, headers=extra)
    assert r.status == 200, r.body
    return r.json()


def test_remote_addr_is_the_peer_address_without_its_port(server):
    got = _client(server.port, "127.0.0.1")
    host, _, port = got["client"].rpartition(":")
    assert host == "127.0.0.1" and port.isdigit() and int(port) > 0, got
    assert got["remote_addr"] == "127.0.0.1", got


def test_forwarded_for_from_an_untrusted_peer_is_ignored(server):
    got = _client(server.port, "127.0.0.1", "198.51.100.9")
    assert got["remote_addr"] == "127.0.0.1", got


def test_a_trusted_proxys_forwarded_client_is_the_client(server):
    got = _client(server.port, "127.0.0.2", "198.51.100.9")
    assert got == {"client": "198.51.100.9:0", "remote_addr": "198.51.100.9"}, got
    # The right-most entry that is not a trusted proxy: entries to its left may be forged.
    got = _client(server.port, "127.0.0.2", "203.0.113.1, 198.51.100.10, 127.0.0.2")
    assert got["remote_addr"] == "198.51.100.10", got
    # A trusted proxy without the header (or with a garbled one): the proxy itself.
    assert _client(server.port, "127.0.0.2")["remote_addr"] == "127.0.0.2"
    assert _client(server.port, "127.0.0.2", "not-an-address")["remote_addr"] == "127.0.0.2"


def test_ipv6_forwarded_client(server):
    got = _client(server.port, "127.0.0.2", "2001:db8::7")
    assert got == {"client": "[2001:db8::7]:0", "remote_addr": "2001:db8::7"}, got
