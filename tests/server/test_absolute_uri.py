"""``request.build_absolute_uri()``, ``get_host()`` and ``is_secure()`` over a real ``bolt``
(tests/projects/edges: 127.0.0.2 is the trusted proxy, ``ALLOWED_HOSTS`` names a few hosts):
Django's answers for bolt's request, so the scheme is what a trusted proxy's
``X-Forwarded-Proto`` says and a ``Host`` outside ``ALLOWED_HOSTS`` is a 400."""

from __future__ import annotations

from support.wire import Conn, get_until_close, request_bytes

TRUSTED, STRANGER = "127.0.0.2", "127.0.0.1"


def _uri(port: int, source: str, headers: bytes = b"") -> tuple[int, dict]:
    r = get_until_close(port, b"/uri/a%20b?x=1&y=%C3%A9", source=source, headers=headers)
    return r.status, r.json()


def test_absolute_uris_are_djangos_for_the_path_as_sent(edges):
    status, body = _uri(edges.port, STRANGER)
    assert status == 200, body
    assert body == {
        "here": "http://x/uri/a%20b?x=1&y=%C3%A9",
        "sibling": "http://x/uri/other?page=2",
        "rooted": "http://x/items/7",
        "elsewhere": "https://cdn.example.net/x.js",
        "host": "x",
        "secure": False,
    }


def test_a_trusted_proxys_https_makes_them_https(edges):
    status, body = _uri(edges.port, TRUSTED, b"X-Forwarded-Proto: https\r\n")
    assert status == 200, body
    assert (body["here"], body["rooted"], body["secure"]) == (
        "https://x/uri/a%20b?x=1&y=%C3%A9",
        "https://x/items/7",
        True,
    )


def test_anyone_elses_forwarded_proto_changes_nothing(edges):
    status, body = _uri(edges.port, STRANGER, b"X-Forwarded-Proto: https\r\n")
    assert status == 200, body
    assert (body["here"][:7], body["secure"]) == ("http://", False)


def test_a_host_outside_allowed_hosts_is_a_400_not_a_500(edges):
    with Conn(edges.port) as conn:
        conn.send(request_bytes("GET", "/uri/a", host="evil.example"))
        refused = conn.read_response()
        conn.send(request_bytes("GET", "/uri/a", host="api.example.com"))
        allowed = conn.read_response()
    assert refused.status == 400, refused.body
    assert allowed.status == 200 and allowed.json()["here"] == "http://api.example.com/uri/a"
