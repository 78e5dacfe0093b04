"""``X-Forwarded-Proto``: believed only from a peer in ``BOLT_TRUSTED_PROXIES`` (tests/projects/edges
trusts 127.0.0.2), as X-Forwarded-For is. From it, ``request.scheme`` and the scheme Django sees
(``wsgi.url_scheme``: ``is_secure()``, ``build_absolute_uri()``) are what the client used; from any
other peer a forged header changes neither. ``request.META`` carries the header as sent either way
(Django's ``SECURE_PROXY_SSL_HEADER`` reads it there when the project opts in)."""

from __future__ import annotations

from support.wire import get_until_close

TRUSTED, STRANGER = "127.0.0.2", "127.0.0.1"


def _get(port: int, path: bytes, source: str, proto: str | None) -> dict:
    extra = f"X-Forwarded-Proto: {proto}\r\n".encode() if proto else b""
    r = get_until_close(port, path, source=source, headers=extra)
    assert r.status == 200, r.body
    return r.json()


def test_a_trusted_proxys_forwarded_proto_is_the_scheme(edges):
    assert _get(edges.port, b"/scheme", TRUSTED, "https") == {"scheme": "https", "proto": "https"}
    assert _get(edges.port, b"/scheme", TRUSTED, "http") == {"scheme": "http", "proto": "http"}
    assert _get(edges.port, b"/scheme", TRUSTED, None) == {"scheme": "http", "proto": None}
    django = _get(edges.port, b"/django/scheme", TRUSTED, "https")
    assert django == {"secure": True, "uri": "https://x/x", "proto": "https"}


def test_forwarded_proto_from_an_untrusted_peer_is_ignored(edges):
    assert _get(edges.port, b"/scheme", STRANGER, "https") == {"scheme": "http", "proto": "https"}
    django = _get(edges.port, b"/django/scheme", STRANGER, "https")
    assert django == {"secure": False, "uri": "http://x/x", "proto": "https"}
