"""Django middleware around API routes see the body bolt sends (issue 13), through the
in-process test client: ``ConditionalGetMiddleware``'s ETag is Django's own for the bytes sent,
``GZipMiddleware`` compresses them (once: bolt's compression leaves an encoded body alone), a
middleware that rewrites ``response.content`` is honoured, streamed responses reach Django as
streaming ones, and a route whose renderer ``Accept`` picks (``renderers=``) shows them the bytes that
renderer writes.

Wire-level checks (raw bytes, no client decoding) are in test_server_body.py."""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json

import msgpack
import pytest
from django.utils.deprecation import MiddlewareMixin
from django.utils.http import quote_etag

from django_bolt import BoltAPI, Struct
from django_bolt.middleware import DjangoMiddleware, middleware
from django_bolt.responses import (
    HTML,
    JSON,
    EventSourceResponse,
    PlainText,
    Response,
    ServerSentEvent,
    StreamingResponse,
)
from django_bolt.testing import TestClient

COND = "django.middleware.http.ConditionalGetMiddleware"
GZIP = "django.middleware.gzip.GZipMiddleware"
IDENTITY = {"Accept-Encoding": "identity"}
ROWS = {"rows": [{"id": i, "name": f"row {i}"} for i in range(300)]}


def django_etag(body: bytes) -> str:
    """The ETag Django's ConditionalGetMiddleware gives a body (django.utils.cache)."""
    return quote_etag(hashlib.md5(body, usedforsecurity=False).hexdigest())


class Item(Struct):
    name: str
    at: dt.datetime
    price: decimal.Decimal


class Shout(MiddlewareMixin):
    """Rewrites the body it reads."""

    def process_response(self, request, response):
        response.content = response.content.upper()
        return response


class Signs(MiddlewareMixin):
    """Appends to the body with ``write`` and says it is text now."""

    def process_response(self, request, response):
        response.write(b"\n-- signed")
        response["Content-Type"] = "text/plain; charset=utf-8"
        return response


class Retypes(MiddlewareMixin):
    """Changes the type without reading the body."""

    def process_response(self, request, response):
        response["Content-Type"] = "application/vnd.api+json"
        return response


class SaysStreaming(MiddlewareMixin):
    def process_response(self, request, response):
        response["X-Streaming"] = str(response.streaming)
        return response


def test_conditional_get_etag_follows_the_body_and_304_only_for_the_current_one():
    """The ETag was that of b"" (none at all): a client's If-None-Match could never be checked
    against the data, and every version of it looked the same."""
    state = {"n": 1}
    api = BoltAPI(django_middleware=[COND])

    @api.get("/counter")
    async def counter() -> dict:
        return {"n": state["n"]}

    with TestClient(api) as c:
        first = c.get("/counter", headers=IDENTITY)
        assert first.json() == {"n": 1}
        assert first.headers["etag"] == django_etag(first.content)
        state["n"] = 2
        second = c.get("/counter", headers=IDENTITY)
        assert second.headers["etag"] == django_etag(second.content) != first.headers["etag"]
        stale = c.get("/counter", headers={**IDENTITY, "If-None-Match": first.headers["etag"]})
        assert (stale.status_code, stale.json()) == (200, {"n": 2})
        current = c.get("/counter", headers={**IDENTITY, "If-None-Match": second.headers["etag"]})
        assert (current.status_code, current.content) == (304, b"")
        assert current.headers["etag"] == second.headers["etag"]


def _kinds(api: BoltAPI) -> None:
    """The same routes on any API: each kind of return value Rust encodes its own way."""
    at = dt.datetime(2026, 11, 28, 7, 0, tzinfo=dt.UTC)

    @api.get("/typed", response_model=list[Item])
    async def typed() -> list:
        return [{"name": "pen", "at": at, "price": decimal.Decimal("1.50")}]

    @api.get("/struct")
    def struct() -> Item:
        return Item(name="ink", at=at, price=decimal.Decimal("2"))

    @api.get("/text")
    async def text() -> str:
        return "plain é"

    @api.get("/html")
    async def html() -> HTML:
        return HTML("<p>é</p>")

    @api.get("/created")
    async def created() -> JSON:
        return JSON({"id": 7}, status_code=201, headers={"x-id": "7"})

    @api.get("/plain")
    async def plain() -> PlainText:
        return PlainText("ok")

    @api.get("/raw")
    async def raw() -> Response:
        return Response(b"\x00\x01", media_type="application/octet-stream")

    @api.get("/tuple")
    async def tuple_() -> tuple:
        return 202, {"queued": True}


@pytest.mark.parametrize("path", ["/typed", "/struct", "/text", "/html", "/created", "/plain", "/raw", "/tuple"])
def test_the_body_middleware_read_is_the_one_bolt_sends(path):
    bare, wrapped = BoltAPI(), BoltAPI(django_middleware=[COND])
    _kinds(bare)
    _kinds(wrapped)
    with TestClient(bare) as b:
        expected = b.get(path, headers=IDENTITY)
    with TestClient(wrapped) as w:
        got = w.get(path, headers=IDENTITY)
    assert (got.status_code, got.content) == (expected.status_code, expected.content)
    assert got.headers["content-type"] == expected.headers["content-type"]
    assert got.headers["etag"] == django_etag(expected.content)


def test_gzip_middleware_compresses_the_body_when_bolt_does_not():
    api = BoltAPI(django_middleware=[GZIP], compression=False)

    @api.get("/rows")
    async def rows() -> dict:
        return ROWS

    with TestClient(api) as c:
        r = c.get("/rows", headers={"Accept-Encoding": "gzip"})
        # The test client decodes the gzip body: once, so twice-compressed bytes would not parse.
        assert (r.headers["content-encoding"], r.json()) == ("gzip", ROWS)
        assert "accept-encoding" in r.headers["vary"].lower()
        r = c.get("/rows", headers=IDENTITY)
        assert "content-encoding" not in r.headers and r.json() == ROWS


def test_gzip_middleware_body_is_not_compressed_again_by_bolt():
    api = BoltAPI(django_middleware=[GZIP])  # bolt's compression on: brotli, gzip fallback

    @api.get("/rows")
    async def rows() -> dict:
        return ROWS

    with TestClient(api) as c:
        r = c.get("/rows", headers={"Accept-Encoding": "gzip, br"})
        assert (r.headers["content-encoding"], r.json()) == ("gzip", ROWS)
        # A client that takes brotli only: Django does not compress, bolt does.
        r = c.get("/rows", headers={"Accept-Encoding": "br"})
        assert (r.headers["content-encoding"], r.json()) == ("br", ROWS)


def test_a_middleware_rewriting_the_body_is_honoured():
    api = BoltAPI(middleware=[DjangoMiddleware(Shout)])

    @api.get("/shout")
    async def shout() -> dict:
        return {"word": "hello"}

    @api.get("/shout-html")
    async def shout_html() -> HTML:
        return HTML("<p>hi</p>")

    signed = BoltAPI(middleware=[DjangoMiddleware(Signs)])

    @signed.get("/signed")
    async def sign() -> PlainText:
        return PlainText("body")

    retyped = BoltAPI(middleware=[DjangoMiddleware(Retypes)])

    @retyped.get("/retyped")
    async def retype() -> dict:
        return {"a": 1}

    with TestClient(api) as c:
        r = c.get("/shout")
        assert (r.content, r.headers["content-type"]) == (b'{"WORD":"HELLO"}', "application/json")
        assert c.get("/shout-html").text == "<P>HI</P>"
    with TestClient(signed) as c:
        r = c.get("/signed")
        assert (r.text, r.headers["content-type"]) == ("body\n-- signed", "text/plain; charset=utf-8")
    with TestClient(retyped) as c:
        r = c.get("/retyped")
        assert (r.json(), r.headers["content-type"]) == ({"a": 1}, "application/vnd.api+json")


def test_streamed_responses_reach_django_as_streaming():
    api = BoltAPI(django_middleware=[GZIP, COND], middleware=[DjangoMiddleware(SaysStreaming)], compression=False)

    @api.get("/lines")
    def lines() -> StreamingResponse:
        return StreamingResponse((f"line {i}\n" for i in range(100)), media_type="text/plain")

    @api.get("/records")
    async def records() -> StreamingResponse:
        async def gen():
            for i in range(50):
                yield {"i": i}

        return StreamingResponse(gen(), media_type="application/x-ndjson")

    lines_text = "".join(f"line {i}\n" for i in range(100))
    with TestClient(api) as c:
        r = c.get("/lines", headers=IDENTITY)
        assert (r.text, r.headers["x-streaming"]) == (lines_text, "True")
        # ConditionalGetMiddleware gives streamed bodies no ETag, as in Django.
        assert "etag" not in r.headers
        r = c.get("/lines", headers={"Accept-Encoding": "gzip"})
        assert (r.headers["content-encoding"], r.text) == ("gzip", lines_text)
        r = c.get("/records", headers={"Accept-Encoding": "gzip"})
        assert r.headers["content-encoding"] == "gzip"
        assert r.text == "".join(f'{{"i":{i}}}\n' for i in range(50))


def test_an_event_stream_through_gzip_middleware_decodes_to_its_events():
    api = BoltAPI(django_middleware=[GZIP], middleware=[DjangoMiddleware(SaysStreaming)], compression=False)
    events = [ServerSentEvent(data={"n": i}, event="tick", id=str(i)) for i in range(40)]

    @api.get("/events")
    async def ticks() -> EventSourceResponse:
        async def gen():
            for e in events:
                yield e
            yield {"plain": True}

        return EventSourceResponse(gen())

    expected = b"".join(e.encode() for e in events) + ServerSentEvent(data={"plain": True}).encode()
    with TestClient(api) as c:
        r = c.get("/events", headers=IDENTITY)
        assert (r.content, r.headers["x-streaming"]) == (expected, "True")
        r = c.get("/events", headers={"Accept-Encoding": "gzip"})
        assert (r.headers["content-encoding"], r.content) == ("gzip", expected)
        assert r.headers["content-type"] == "text/event-stream"


@pytest.mark.parametrize(
    "accept, media, decode",
    [
        ("application/msgpack", "application/msgpack", msgpack.unpackb),
        ("application/json", "application/json", json.loads),
        (None, "application/json", json.loads),
    ],
)
def test_a_negotiated_routes_body_reaches_django_as_sent(accept, media, decode):
    """On a ``renderers=`` route the body read as b"": no ETag at all, whatever the data. Now
    Django sees the bytes the renderer ``Accept`` picks writes, and tags them."""
    state = {"n": 1}
    api = BoltAPI(django_middleware=[COND])

    @api.get("/n", renderers=("json", "msgpack"))
    async def negotiated() -> dict:
        return {"n": state["n"]}

    headers = {**IDENTITY, **({"Accept": accept} if accept else {})}
    with TestClient(api) as c:
        r = c.get("/n", headers=headers)
        assert (decode(r.content), r.headers["content-type"]) == ({"n": 1}, media)
        assert r.headers["etag"] == django_etag(r.content)
        again = c.get("/n", headers={**headers, "If-None-Match": r.headers["etag"]})
        assert (again.status_code, again.content) == (304, b"")
        state["n"] = 2
        changed = c.get("/n", headers={**headers, "If-None-Match": r.headers["etag"]})
        assert (changed.status_code, decode(changed.content)) == (200, {"n": 2})


def test_a_negotiated_text_route_tags_the_text_it_sends():
    api = BoltAPI(django_middleware=[COND])

    @api.get("/t", renderers=("json", "text"))
    async def text() -> str:
        return "plain é"

    with TestClient(api) as c:
        as_text = c.get("/t", headers={**IDENTITY, "Accept": "text/plain"})
        as_json = c.get("/t", headers=IDENTITY)
    assert (as_text.content, as_text.headers["content-type"]) == ("plain é".encode(), "text/plain; charset=utf-8")
    assert (as_json.json(), as_json.headers["content-type"]) == ("plain é", "application/json")
    assert as_text.headers["etag"] == django_etag(as_text.content) != as_json.headers["etag"]


def test_a_plain_value_a_bolt_middleware_below_returns_reaches_django_as_a_response():
    """Django's hooks got the value itself (a dict has no ``status_code``: a 500)."""

    @middleware
    async def cached(request, call_next):
        return {"from": "cache"}

    api = BoltAPI(django_middleware=[COND])

    @api.get("/cached", status_code=203)
    @cached
    async def never() -> dict:
        return {"from": "handler"}

    with TestClient(api) as c:
        r = c.get("/cached", headers=IDENTITY)
        assert (r.status_code, r.json()) == (203, {"from": "cache"})
        assert r.headers["etag"] == django_etag(r.content)
