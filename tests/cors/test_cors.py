"""CORS with django-cors-headers' settings, answered by Rust."""

from __future__ import annotations

from support.wire import fetch

APP = "https://app.example.com"


def preflight(server, path, origin, method="POST", headers="content-type"):
    h = [("Origin", origin), ("Access-Control-Request-Method", method)]
    if headers:
        h.append(("Access-Control-Request-Headers", headers))
    return fetch(server.port, "OPTIONS", path, headers=h)


def test_preflight_for_an_allowed_origin(server):
    resp = preflight(server, "/items", APP)
    assert resp.status == 204
    assert resp.header("access-control-allow-origin") == APP
    assert resp.header("access-control-allow-credentials") == "true"
    assert "POST" in resp.tokens("access-control-allow-methods")
    assert "content-type" in resp.header("access-control-allow-headers")
    assert resp.header("access-control-max-age") == "600"
    assert "origin" in resp.header("vary").lower()


def test_preflight_for_a_regex_origin(server):
    assert (
        preflight(server, "/items", "https://shop.example.org").header("access-control-allow-origin")
        == "https://shop.example.org"
    )


def test_preflight_from_an_unknown_origin_gets_no_cors_headers(server):
    resp = preflight(server, "/items", "https://evil.example.net")
    assert resp.header("access-control-allow-origin") is None


def test_preflight_with_a_header_not_allowed(server):
    assert preflight(server, "/items", APP, headers="x-evil").header("access-control-allow-origin") is None


def test_actual_request_gets_origin_credentials_and_expose(server):
    resp = fetch(server.port, "GET", "/hello", headers=[("Origin", APP)])
    assert resp.status == 200
    assert resp.header("access-control-allow-origin") == APP
    assert resp.header("access-control-allow-credentials") == "true"
    assert resp.header("access-control-expose-headers") == "x-total"
    assert "origin" in resp.header("vary").lower()


def test_actual_request_from_unknown_origin_has_no_allow_origin(server):
    resp = fetch(server.port, "GET", "/hello", headers=[("Origin", "https://evil.example.net")])
    assert resp.status == 200
    assert resp.header("access-control-allow-origin") is None


def test_per_route_policy_is_a_wildcard_without_credentials(server):
    resp = fetch(server.port, "GET", "/public", headers=[("Origin", "https://anyone.test")])
    assert resp.header("access-control-allow-origin") == "*"
    assert resp.header("access-control-allow-credentials") is None
    pf = preflight(server, "/public", "https://anyone.test", method="GET", headers=None)
    assert pf.status == 204 and pf.header("access-control-allow-origin") == "*"


def test_errors_carry_cors_headers_too(server):
    resp = fetch(server.port, "GET", "/items/abc", headers=[("Origin", APP)])
    assert resp.status == 422
    assert resp.header("access-control-allow-origin") == APP


def test_plain_options_without_preflight_headers_is_the_automatic_204(server):
    resp = fetch(server.port, "OPTIONS", "/hello")
    assert resp.status == 204
    assert "GET" in resp.tokens("allow")
