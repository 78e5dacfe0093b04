"""Errors answered before a handler runs, seen from a browser on an allowed origin and through the
API's ``error_formatter=problem_details`` (tests/projects/edges): each must carry the route's
``Access-Control-Allow-Origin`` (else the page cannot read why it was refused) and be formatted as
the API's other errors are. Also QUERY in the default CORS methods."""

from __future__ import annotations

import json

from support.wire import Conn, fetch, json_body

APP = "https://app.example.com"
PROBLEM = "application/problem+json"


def _readable_by_the_page(resp) -> None:
    assert resp.header("access-control-allow-origin") == APP, resp.headers
    assert "origin" in ",".join(resp.header_values("vary")).lower(), resp.headers


def test_a_body_failing_validation_is_readable_and_formatted(edges):
    resp = fetch(
        edges.port,
        "POST",
        "/items",
        headers=[("Origin", APP), ("Content-Type", "application/json")],
        body=json_body({"name": "x", "price": "not a number"}),
    )
    assert resp.status == 422, resp.body
    _readable_by_the_page(resp)
    assert resp.content_type == PROBLEM
    assert resp.json()["errors"][0]["loc"] == ["body", "price"]


def test_a_token_refused_in_rust_is_readable_and_formatted(edges):
    resp = fetch(edges.port, "GET", "/private", headers=[("Origin", APP), ("Authorization", "Bearer nope")])
    assert resp.status == 401, resp.body
    _readable_by_the_page(resp)
    assert resp.content_type == PROBLEM
    assert resp.header("www-authenticate").startswith("Bearer")


def test_a_body_over_the_upload_limit_is_readable_and_formatted(edges):
    # 413 is decided from the head (Content-Length over BOLT_MAX_UPLOAD_SIZE) before the route runs.
    head = (
        b"POST /items HTTP/1.1\r\nHost: t\r\nOrigin: https://app.example.com\r\n"
        b"Content-Type: application/json\r\nContent-Length: 1000000\r\n\r\n"
    )
    with Conn(edges.port) as conn:
        conn.send(head)
        conn.sock.settimeout(5)
        resp = conn.read_response()
    assert resp.status == 413, resp.body
    _readable_by_the_page(resp)
    assert resp.content_type == PROBLEM
    assert resp.json()["status"] == 413


def test_a_chunked_body_over_the_upload_limit_is_readable_and_formatted(edges):
    head = (
        b"POST /items HTTP/1.1\r\nHost: t\r\nOrigin: https://app.example.com\r\n"
        b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    with Conn(edges.port) as conn:
        conn.send(head + b"20000\r\n" + b"x" * 1024, tolerate_reset=True)
        conn.sock.settimeout(5)
        resp = conn.read_response()
    assert resp.status == 413, resp.body
    _readable_by_the_page(resp)
    assert resp.content_type == PROBLEM


def test_a_file_refused_while_it_arrives_is_readable_and_formatted(edges):
    head = (
        b"POST /upload/capped HTTP/1.1\r\nHost: t\r\nOrigin: https://app.example.com\r\n"
        b"Content-Type: multipart/form-data; boundary=BB\r\nContent-Length: 60000\r\n\r\n"
    )
    start = b'--BB\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n\r\n'
    with Conn(edges.port) as conn:
        conn.send_in_parts([head + start, *[b"x" * 2048] * 4], tolerate_reset=True)
        conn.sock.settimeout(5)
        resp = conn.read_response()
    assert resp.status == 422, resp.body
    _readable_by_the_page(resp)
    assert resp.content_type == PROBLEM
    [issue] = json.loads(resp.body)["errors"]
    assert issue["type"] == "file_too_large" and issue["loc"] == ["body", "file"]
    assert resp.header("connection") == "close"


def test_a_refusal_from_an_unlisted_origin_has_no_allow_origin(edges):
    resp = fetch(
        edges.port,
        "POST",
        "/items",
        headers=[("Origin", "https://evil.example.net"), ("Content-Type", "application/json")],
        body=b"{}",
    )
    assert resp.status == 422
    assert resp.header("access-control-allow-origin") is None


def test_query_passes_the_preflight_with_the_default_methods(edges):
    # The project sets CORS_ALLOWED_ORIGINS only: the methods are the default list, which has
    # QUERY as django-bolt 0.13's does.
    pf = fetch(
        edges.port,
        "OPTIONS",
        "/search",
        headers=[
            ("Origin", APP),
            ("Access-Control-Request-Method", "QUERY"),
            ("Access-Control-Request-Headers", "content-type"),
        ],
    )
    assert pf.status == 204
    assert pf.header("access-control-allow-origin") == APP
    assert pf.header("access-control-allow-methods") == "GET, POST, PUT, PATCH, DELETE, OPTIONS, QUERY"
    resp = fetch(
        edges.port,
        "QUERY",
        "/search",
        headers=[("Origin", APP), ("Content-Type", "application/json")],
        body=json_body({"q": 1}),
    )
    assert resp.status == 200 and resp.json() == {"asked": {"q": 1}}
    _readable_by_the_page(resp)
