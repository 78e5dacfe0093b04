"""Content negotiation (``renderers=``, src/app/respond.rs ``Render``): ``Accept`` with q-values
chooses JSON, MessagePack or text for a plain return value; 406 before the handler runs when
nothing fits; routes without ``renderers=`` stay JSON."""

from __future__ import annotations

import json

import msgpack
import pytest

from support.wire import get

ITEM = {"id": 7, "name": "pen", "tags": ["a", "b"], "price": 1.5, "stock": None}


def _get(server, path, accept=None):
    return get(server.port, path, headers=[("Accept", accept)] if accept is not None else [])


@pytest.mark.parametrize(
    ("accept", "media"),
    [
        (None, "application/json"),
        ("*/*", "application/json"),
        ("application/json", "application/json"),
        ("application/msgpack", "application/msgpack"),
        ("application/vnd.msgpack", "application/msgpack"),
        ("application/x-msgpack;q=0.9, application/json;q=0.5", "application/msgpack"),
        ("application/json, application/msgpack;q=0.5", "application/json"),
        ("application/*", "application/json"),
        ("text/html, application/msgpack;q=0.1", "application/msgpack"),
    ],
)
def test_accept_chooses_the_renderer(server, accept, media):
    resp = _get(server, "/neg/item", accept)
    assert resp.status == 200
    assert resp.content_type == media
    body = msgpack.unpackb(resp.body) if media == "application/msgpack" else json.loads(resp.body)
    assert body == ITEM


def test_nothing_acceptable_is_406_and_the_handler_does_not_run(server):
    before = _get(server, "/neg/calls").json()["n"]
    resp = _get(server, "/neg/item", "text/html")
    assert resp.status == 406
    assert resp.json() == {"detail": "Not Acceptable"}
    assert _get(server, "/neg/item", "application/json;q=0, application/msgpack;q=0").status == 406
    assert _get(server, "/neg/calls").json()["n"] == before


def test_a_route_without_renderers_sends_json_whatever_accept_says(server):
    # As django-bolt does (RFC 9110 lets a server disregard Accept): no 406 for such routes.
    resp = _get(server, "/hello", "application/xml")
    assert resp.status == 200 and resp.json() == {"message": "Hello, World!"}


def test_renderers_json_alone_refuses_an_accept_without_json(server):
    assert _get(server, "/neg/strict", "application/xml").status == 406
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    assert _get(server, "/neg/strict", browser).json() == {"strict": True}


def test_a_str_as_text_or_json(server):
    text = _get(server, "/neg/greeting?name=bolt")
    assert text.content_type == "text/plain; charset=utf-8"
    assert text.body == b"hello bolt"
    as_json = _get(server, "/neg/greeting?name=bolt", "application/json")
    assert as_json.content_type == "application/json"
    assert as_json.json() == "hello bolt"


def test_the_document_lists_each_media_type(demo_apis):
    from django_bolt.testing import TestClient

    with TestClient(demo_apis) as c:
        doc = c.get("/docs/openapi.json").json()
    item = doc["paths"]["/neg/item"]["get"]["responses"]
    assert list(item["200"]["content"]) == ["application/json", "application/msgpack"]
    assert "406" in item
    assert "406" not in doc["paths"]["/hello"]["get"]["responses"]


def test_negotiated_responses_vary_on_accept(server):
    # RFC 9110 §12.5.5: Accept chose the bytes (or the 406), so a shared cache must key on it;
    # without it a cache could hand a MessagePack body to a JSON client.
    for accept in (None, "application/json", "application/msgpack", "text/html"):
        resp = _get(server, "/neg/item", accept)
        assert resp.header_values("vary") == ["accept"], (accept, resp.status)


def test_routes_without_renderers_do_not_vary_on_accept(server):
    assert "accept" not in (_get(server, "/hello", "application/xml").header("vary") or "")
