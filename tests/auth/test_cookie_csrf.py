"""The cross-site check of cookie tokens (``JWTAuthentication(cookie=..., csrf=True)``, the
default), django-bolt's rule, over a real socket (demo routes under /claims/jwt)."""

from __future__ import annotations

import socket
import time

import pytest

from support.tokens import mint
from support.wire import HOST, Conn, fetch

ROUTE = "/claims/jwt/cookie"
REFUSAL = (
    "CSRF check failed: a cookie-authenticated request with an unsafe method must come from this site "
    "(Sec-Fetch-Site same-origin or none, or an Origin or Referer naming this scheme, host and port)"
)


def cookie(sub: str = "5") -> tuple[str, str]:
    return ("Cookie", f"access_token={mint({'sub': sub, 'exp': int(time.time()) + 60})}")


def post(server, *headers: tuple[str, str], path: str = ROUTE):
    return fetch(server.port, "POST", path, headers=list(headers), body=b"")


def test_safe_methods_are_not_checked(server):
    resp = fetch(server.port, "GET", ROUTE, headers=[cookie(), ("Sec-Fetch-Site", "cross-site")])
    assert resp.status == 200 and resp.json() == {"sub": "5"}


def test_an_unsafe_request_without_any_origin_signal_is_refused(server):
    resp = post(server, cookie())
    assert resp.status == 403 and resp.json() == {"detail": REFUSAL}


@pytest.mark.parametrize("site, status", [("same-origin", 200), ("none", 200), ("same-site", 403), ("cross-site", 403)])
def test_sec_fetch_site_decides(server, site, status):
    # Sec-Fetch-Site wins over an Origin that would say otherwise.
    origin = "http://evil.example" if status == 200 else "http://test"
    assert post(server, cookie(), ("Sec-Fetch-Site", site), ("Origin", origin)).status == status


@pytest.mark.parametrize(
    "headers, status, why",
    [
        ([("Origin", "http://test")], 200, "same scheme, host and port"),
        ([("Origin", "HTTP://TEST:80")], 200, "case and the default port"),
        ([("Referer", "http://test/form?x=1")], 200, "Referer when there is no Origin"),
        ([("Origin", "http://evil.example")], 403, "another site"),
        ([("Origin", "https://test")], 403, "https is another origin than this plain-HTTP request"),
        ([("Origin", "http://test:8080")], 403, "another port"),
        ([("Origin", "null")], 403, "an opaque origin"),
        ([("Origin", "http://evil.example"), ("Referer", "http://test/")], 403, "Origin is the one read"),
        ([("Referer", "http://test@evil.example/")], 403, "user info"),
        ([("Host", "api.example:8000"), ("Origin", "http://api.example:8000")], 200, "Host with a port"),
    ],
)
def test_origin_or_referer_must_name_this_site(server, headers, status, why):
    resp = post(server, cookie(), *headers)
    assert resp.status == status, why
    if status == 403:
        assert resp.json() == {"detail": REFUSAL}


def _from(source: str, port: int, *headers: tuple[str, str]):
    sock = socket.create_connection((HOST, port), timeout=10, source_address=(source, 0))
    with Conn.wrap(sock) as conn:
        return conn.request("POST", ROUTE, headers=[cookie(), *headers], body=b"")


def test_the_scheme_is_https_only_through_a_trusted_proxy(server):
    # The demo trusts 127.0.0.2 (BOLT_TRUSTED_PROXIES); its X-Forwarded-Proto says the scheme.
    proto = ("X-Forwarded-Proto", "https")
    assert _from("127.0.0.2", server.port, proto, ("Origin", "https://test")).status == 200
    assert _from("127.0.0.2", server.port, proto, ("Origin", "http://test")).status == 403
    # From anyone else the header is ignored: the scheme stays http.
    assert _from("127.0.0.1", server.port, proto, ("Origin", "https://test")).status == 403
    assert _from("127.0.0.1", server.port, proto, ("Origin", "http://test")).status == 200


def test_a_header_token_is_not_checked(server):
    tok = cookie()[1].split("=", 1)[1]
    resp = post(server, ("Authorization", f"Bearer {tok}"), ("Sec-Fetch-Site", "cross-site"))
    assert resp.status == 200 and resp.json() == {"sub": "5"}


def test_a_bad_cookie_token_is_a_401_and_no_cookie_is_not_authenticated(server):
    bad = post(server, ("Cookie", "access_token=not.a.token"), ("Sec-Fetch-Site", "cross-site"))
    assert bad.status == 401
    assert post(server, ("Sec-Fetch-Site", "cross-site")).status == 401


def test_csrf_false_reads_the_cookie_unchecked(server):
    resp = post(server, cookie("9"), ("Sec-Fetch-Site", "cross-site"), path="/claims/jwt/cookie-unchecked")
    assert resp.status == 200 and resp.json() == {"sub": "9"}
