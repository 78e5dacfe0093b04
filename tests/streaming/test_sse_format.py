"""Events are formatted by the server (Rust, src/http/sse.rs) as ``format_sse_event`` (django-bolt
0.13's function) formats them: the same bytes for every shape of item, from sync and async
generators, through the test client (the same code path as a socket)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

import pytest

from django_bolt import BoltAPI, EventSourceResponse, ServerSentEvent
from django_bolt.json import encode
from django_bolt.testing import TestClient

ITEMS: list[object] = [
    ServerSentEvent(data={"n": 0}, event="tick", id="0", retry=1500),
    ServerSentEvent(data="a string is JSON too"),
    ServerSentEvent(data=[1, 2.5, None, True]),
    ServerSentEvent(data={"when": dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)}),
    ServerSentEvent(raw_data="line one\nline two\r\nline three\rfour"),
    ServerSentEvent(raw_data="unicode\u2028separators\x85too\x0bvt"),
    ServerSentEvent(raw_data=""),
    ServerSentEvent(raw_data="ends with a break\n"),
    ServerSentEvent(comment="just a comment"),
    ServerSentEvent(comment="two\nlines", event="e", id="", retry=0),
    ServerSentEvent(),
    ServerSentEvent(data={"ü": "日本"}, id="ïd"),
    {"plain": "dict", "nested": {"k": [1, 2]}},
    [1, "two"],
    42,
    "already formatted: sent as it is\n\n",
    b"bytes too\n\n",
]


def python_format(item: object) -> bytes:
    """The reference: what django-bolt's Python side writes for one item."""
    if isinstance(item, bytes):
        return item
    if isinstance(item, str):
        return item.encode()
    if isinstance(item, ServerSentEvent):
        return item.encode()
    return ServerSentEvent(data=item).encode()


@pytest.fixture
def client(demo_apis):
    api = BoltAPI()

    @api.get("/async", response_class=EventSourceResponse)
    async def from_async():
        for i, item in enumerate(ITEMS):
            if i % 3 == 0:
                await asyncio.sleep(0)
            yield item

    @api.get("/sync", response_class=EventSourceResponse)
    def from_sync():
        yield from ITEMS

    @api.get("/explicit")
    async def explicit() -> EventSourceResponse:
        async def gen():
            for item in ITEMS:
                yield item

        return EventSourceResponse(gen())

    @api.get("/bad-id")
    async def bad_id() -> EventSourceResponse:
        async def gen():
            yield ServerSentEvent(data=1)
            sneaky = ServerSentEvent(data=2)
            object.__setattr__(sneaky, "id", "1\nevent: injected")  # past the validation
            yield sneaky
            yield ServerSentEvent(data=3)

        return EventSourceResponse(gen())

    @api.get("/unencodable")
    async def unencodable() -> EventSourceResponse:
        async def gen():
            yield {"ok": 1}
            yield {"no": object()}

        return EventSourceResponse(gen())

    with TestClient(api, raise_server_exceptions=False) as c:
        yield c


EXPECTED = b"".join(python_format(i) for i in ITEMS)


@pytest.mark.parametrize("path", ["/async", "/sync", "/explicit"])
def test_events_are_the_bytes_format_sse_event_writes(client, path):
    resp = client.get(path)
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "text/event-stream"
    assert resp.content == EXPECTED


def test_the_reference_covers_the_tricky_shapes():
    # The table above would prove little if these did not hold.
    assert python_format(ITEMS[4]) == b"data: line one\ndata: line two\ndata: line three\ndata: four\n\n"
    assert python_format(ITEMS[5]) == b"data: unicode\ndata: separators\ndata: too\ndata: vt\n\n"
    assert python_format(ITEMS[6]) == b"data: \n\n"
    assert python_format(ITEMS[10]) == b"\n\n"
    assert python_format(ITEMS[12]) == b"data: " + encode(ITEMS[12]) + b"\n\n"


def test_an_event_field_with_a_line_break_ends_the_stream_instead_of_injecting(client, caplog):
    with caplog.at_level(logging.ERROR):
        resp = client.get("/bad-id")
    assert b"injected" not in resp.content
    assert resp.content.startswith(b"data: 1\n\n")
    assert b"data: 3" not in resp.content
    assert any("line breaks" in r.getMessage() or "line breaks" in str(r.exc_info) for r in caplog.records)


def test_an_unencodable_event_ends_the_stream_and_is_logged(client, caplog):
    with caplog.at_level(logging.ERROR):
        resp = client.get("/unencodable")
    assert resp.content == b'data: {"ok":1}\n\n'
    assert any("JSON" in (r.getMessage() + str(r.exc_info)) for r in caplog.records)
