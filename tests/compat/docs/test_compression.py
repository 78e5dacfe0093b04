"""django-bolt 0.13's compression page (topics/compression.md) through ``TestClient`` (it runs
the server's own response path, compression included); the module
(site_moving/examples/compression.py) says where the examples were changed and why."""

from __future__ import annotations

import pytest

from django_bolt.testing import TestClient

USERS = [{"id": i, "name": f"user-{i}"} for i in range(1000)]


@pytest.fixture(scope="module")
def page(example):
    return example("compression")


@pytest.fixture(scope="module")
def client(page):
    with TestClient(page.APIS) as c:
        yield c


def coding(client, path: str, accept: str) -> str | None:
    r = client.get(path, headers={"accept-encoding": accept})
    assert r.status_code == 200
    return r.headers.get("content-encoding")


def test_brotli_with_a_gzip_fallback_by_default(client):
    r = client.get("/users", headers={"accept-encoding": "gzip, br"})
    assert r.headers["content-encoding"] == "br" and r.json() == USERS
    assert coding(client, "/users", "gzip") == "gzip"
    assert coding(client, "/users", "deflate") is None  # neither the backend nor gzip
    assert coding(client, "/users", "identity") is None


def test_negotiation_with_wildcards(client):
    assert coding(client, "/users", "*") == "br"  # "* accepts any unmentioned coding"
    assert coding(client, "/users", "*;q=0") is None  # "*;q=0 rejects them"
    assert coding(client, "/users", "br;q=0, *") == "gzip"  # "an explicit br;q=0 rejects brotli"


def test_event_stream_is_compressed_event_by_event(client):
    r = client.get("/sse/feed", headers={"accept-encoding": "br"})
    assert r.headers["content-encoding"] == "br"
    events = [line for line in r.text.splitlines() if line.startswith("data:")]
    assert len(events) == 20 and events[0] == 'data: {"i":0,"msg":"' + "x" * 200 + '"}'


def test_opting_out(client):
    assert coding(client, "/raw-users", "br") is None
    assert client.get("/raw", headers={"accept-encoding": "br"}).json() == {"plain": True}
    assert coding(client, "/off/users", "br, gzip") is None  # BoltAPI(compression=False)


def test_a_body_the_handler_compressed_itself_is_sent_as_it_is(client):
    r = client.get("/cached", headers={"accept-encoding": "br, gzip, zstd"})
    assert r.headers["content-encoding"] == "zstd"  # not wrapped in brotli
    assert r.json() == {"cached": True}  # httpx undoes the one zstd layer


def test_a_configured_compression(client):
    assert coding(client, "/tuned/users", "br") == "br"
    assert coding(client, "/tuned/users", "gzip") == "gzip"
    assert coding(client, "/tuned/small", "br") is None  # under minimum_size=500
