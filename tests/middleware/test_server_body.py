"""Django middleware that read or rewrite the body, over real sockets (issue 13): a copy of the
demo (bolt's compression on: brotli with gzip fallback) with an API behind Django's
``GZipMiddleware`` and ``ConditionalGetMiddleware``. The bytes are checked as they come off the
wire: one gzip layer, Django's ETag, a 304 only for the current data."""

from __future__ import annotations

import gzip
import hashlib
import json

import brotli
import msgpack
import pytest

from support.boltproc import BoltProcess
from support.projects import copy_demo
from support.wire import fetch, get

BODY_API = """
import asyncio

from django_bolt import BoltAPI
from django_bolt.responses import JSON, EventSourceResponse, ServerSentEvent

django_api = BoltAPI(
    prefix="/body",
    django_middleware=[
        "django.middleware.gzip.GZipMiddleware",
        "django.middleware.http.ConditionalGetMiddleware",
    ],
)
bare_api = BoltAPI(prefix="/bare")
cached_api = BoltAPI(
    prefix="/cached",
    django_middleware=[
        "django.middleware.cache.UpdateCacheMiddleware",
        "django.middleware.cache.FetchFromCacheMiddleware",
    ],
)
state = {"n": 0, "cached_calls": 0, "two_cookie_calls": 0}


def rows():
    return {"rows": [{"id": i, "name": f"row {i}"} for i in range(300)]}


@django_api.get("/rows")
async def django_rows() -> dict:
    return rows()


@bare_api.get("/rows")
async def bare_rows() -> dict:
    return rows()


@bare_api.get("/two-cookie-calls")
async def two_cookie_calls() -> dict:
    return {"calls": state["two_cookie_calls"]}


@django_api.get("/counter")
async def counter() -> dict:
    return {"n": state["n"], "pad": "x" * 300}


@django_api.get("/slow-events")
async def slow_events() -> EventSourceResponse:
    async def gen():
        yield ServerSentEvent(data="a" * 300)
        await asyncio.sleep(0.5)
        yield ServerSentEvent(data="b")

    return EventSourceResponse(gen(), ping_interval=0.1)


@django_api.post("/bump")
async def bump() -> dict:
    state["n"] += 1
    return {"n": state["n"]}


@django_api.get("/negotiated", renderers=("json", "msgpack"))
async def negotiated() -> dict:
    return rows()


@django_api.get("/with-cookie")
async def with_cookie() -> JSON:
    return JSON({"pad": "x" * 300}).set_cookie("seen", "1", path="/body")


@django_api.get("/two-cookies")
async def two_cookies() -> JSON:
    return JSON({"pad": "x" * 300}).set_cookie("pref", "a", path="/body").set_cookie("pref", "b", path="/body/x")


@cached_api.get("/two-cookies")
async def cached_two_cookies() -> JSON:
    state["two_cookie_calls"] += 1
    return JSON({"ok": True}).set_cookie("pref", "a", path="/cached").set_cookie("pref", "b", path="/cached/x")


@cached_api.get("/calls")
async def cached_calls() -> dict:
    state["cached_calls"] += 1
    return {"calls": state["cached_calls"]}
"""

ROWS = {"rows": [{"id": i, "name": f"row {i}"} for i in range(300)]}


def django_etag(body: bytes) -> str:
    return '"' + hashlib.md5(body, usedforsecurity=False).hexdigest() + '"'


@pytest.fixture(scope="module")
def server(demo_db, driver, tmp_path_factory):
    project = copy_demo(
        tmp_path_factory.mktemp("body") / "demo",
        "staticfiles",
        settings=(
            '\nBOLT_API = ["demo.api:api", "demo.body_api:django_api", "demo.body_api:bare_api",'
            ' "demo.body_api:cached_api"]\n'
        ),
    )
    (project / "demo" / "body_api.py").write_text(BODY_API)
    # One core: the counter's state lives in one interpreter.
    proc = BoltProcess.start(cores=1, driver=driver, cwd=project)
    yield proc
    proc.stop()


@pytest.mark.parametrize("accept", ["gzip", "gzip, br", "br;q=1, gzip;q=0.5", "gzip, deflate, br, zstd"])
def test_gzip_middleware_body_goes_out_compressed_once(server, accept):
    plain = get(server.port, "/body/rows")
    r = get(server.port, "/body/rows", headers=[("Accept-Encoding", accept)])
    assert r.status == 200 and r.header_values("content-encoding") == ["gzip"]
    assert gzip.decompress(r.body) == plain.body
    assert json.loads(plain.body) == ROWS
    assert int(r.header("content-length")) == len(r.body)
    # ConditionalGetMiddleware's tag of the JSON, made weak by GZipMiddleware.
    assert r.header("etag") == "W/" + django_etag(plain.body)
    assert "accept-encoding" in r.header("vary").lower()


def test_without_gzip_the_body_and_etag_are_the_json(server):
    r = get(server.port, "/body/rows")
    assert r.header("content-encoding") is None and json.loads(r.body) == ROWS
    assert r.header("etag") == django_etag(r.body)
    # A client taking brotli only: Django leaves the body alone, bolt compresses it.
    br = get(server.port, "/body/rows", headers=[("Accept-Encoding", "br")])
    assert br.header("content-encoding") == "br" and brotli.decompress(br.body) == r.body
    assert br.header("etag") == "W/" + django_etag(r.body)


def test_if_none_match_gets_304_only_for_the_current_data(server):
    before = get(server.port, "/body/counter")
    old_tag = before.header("etag")
    assert old_tag == django_etag(before.body)
    assert get(server.port, "/body/counter", headers=[("If-None-Match", old_tag)]).status == 304
    fetch(server.port, "POST", "/body/bump")
    changed = get(server.port, "/body/counter", headers=[("If-None-Match", old_tag)])
    assert changed.status == 200
    assert json.loads(changed.body)["n"] == json.loads(before.body)["n"] + 1
    new_tag = changed.header("etag")
    assert new_tag == django_etag(changed.body) != old_tag
    current = get(server.port, "/body/counter", headers=[("If-None-Match", new_tag)])
    assert (current.status, current.body) == (304, b"")


def test_a_route_without_django_middleware_is_unchanged(server):
    r = get(server.port, "/bare/rows", headers=[("Accept-Encoding", "gzip")])
    # bolt's own gzip (its fallback), no ETag: nothing of Django's ran.
    assert r.header("content-encoding") == "gzip" and r.header("etag") is None
    assert json.loads(gzip.decompress(r.body)) == ROWS


def test_no_ping_is_written_into_an_event_stream_gzip_middleware_compressed(server):
    """bolt's ``: ping`` comments are raw bytes: inside Django's gzip stream they corrupted it."""
    events = b'data: "' + b"a" * 300 + b'"\n\ndata: "b"\n\n'
    plain = get(server.port, "/body/slow-events")
    assert b": ping" in plain.body  # pinged while idle
    assert plain.body.replace(b": ping\n\n", b"") == events
    r = get(server.port, "/body/slow-events", headers=[("Accept-Encoding", "gzip")])
    assert r.header("content-encoding") == "gzip"
    assert gzip.decompress(r.body) == events


def test_a_negotiated_route_is_tagged_for_the_bytes_its_renderer_sent(server):
    """On a ``renderers=`` route Django's middleware read b"": no ETag, for any data."""
    packed = get(server.port, "/body/negotiated", headers=[("Accept", "application/msgpack")])
    assert packed.header("content-type") == "application/msgpack" and msgpack.unpackb(packed.body) == ROWS
    assert packed.header("etag") == django_etag(packed.body)
    as_json = get(server.port, "/body/negotiated")
    assert json.loads(as_json.body) == ROWS and as_json.header("etag") == django_etag(as_json.body)
    again = get(
        server.port,
        "/body/negotiated",
        headers=[("Accept", "application/msgpack"), ("If-None-Match", packed.header("etag"))],
    )
    assert (again.status, again.body) == (304, b"")


def test_a_304_keeps_the_cookie_the_handler_set(server):
    first = get(server.port, "/body/with-cookie")
    assert first.header_values("set-cookie")[0].startswith("seen=1; Path=/body")
    again = get(server.port, "/body/with-cookie", headers=[("If-None-Match", first.header("etag"))])
    assert again.status == 304
    assert again.header_values("set-cookie") == first.header_values("set-cookie")


def test_a_304_keeps_two_cookies_of_one_name(server):
    """The bug: the second ``pref`` (another path) went out on the 200 but not on
    ``ConditionalGetMiddleware``'s 304, whose cookies are Django's jar (one value per name)."""
    first = get(server.port, "/body/two-cookies")
    assert [c.split(";")[0] + ";" + c.split(";")[1] for c in first.header_values("set-cookie")] == [
        "pref=a; Path=/body",
        "pref=b; Path=/body/x",
    ]
    again = get(server.port, "/body/two-cookies", headers=[("If-None-Match", first.header("etag"))])
    assert again.status == 304
    assert again.header_values("set-cookie") == first.header_values("set-cookie")


def test_the_cache_serves_two_cookies_of_one_name(server):
    """The bug: the cache's stored copy held one cookie per name, so the replay lost ``pref=b``."""
    first = get(server.port, "/cached/two-cookies")
    second = get(server.port, "/cached/two-cookies")
    assert json.loads(get(server.port, "/bare/two-cookie-calls").body) == {"calls": 1}, "served from the cache"
    assert [c.split(";")[0] for c in first.header_values("set-cookie")] == ["pref=a", "pref=b"]
    assert second.header_values("set-cookie") == first.header_values("set-cookie")


def test_the_cache_middleware_answers_from_django_s_cache(server):
    """One core, Django's default cache (``LocMemCache``): the second request never reaches the handler."""
    first = get(server.port, "/cached/calls")
    second = get(server.port, "/cached/calls")
    assert json.loads(first.body) == json.loads(second.body)
    assert second.body == first.body and "max-age=" in second.header("cache-control")
    assert second.header("content-type") == "application/json"
