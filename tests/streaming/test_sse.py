"""Server-Sent Events: the wire format (``format_sse_event``, ``ServerSentEvent``), an
``EventSourceResponse`` over a real socket (headers, event order, keep-alive pings while idle),
generator handlers with ``response_class=EventSourceResponse``, and the test client."""

from __future__ import annotations

import socket

import pytest

from django_bolt import EventSourceResponse, ServerSentEvent, StreamingResponse, format_sse_event
from support.inproc import fetch as inproc_fetch
from support.wire import HOST, get

pytestmark = pytest.mark.usefixtures("demo_db")

EVENTS = (
    b'event: tick\ndata: {"n":0}\nid: 0\nretry: 1500\n\n'
    b'data: {"n":1}\n\n'
    b'data: {"n":2}\n\n'
    b": the end\ndata: line one\ndata: line two\n\n"
)


def test_format_sse_event_fields_and_multiline_data():
    assert format_sse_event(data_bytes=b'{"a":1}') == b'data: {"a":1}\n\n'
    assert (
        format_sse_event(data_str="a\nb", event="e", id="7", retry=10, comment="hi\nthere")
        == b": hi\n: there\nevent: e\ndata: a\ndata: b\nid: 7\nretry: 10\n\n"
    )
    # Bytes with a line break are split into data lines too (a raw newline would end the field).
    assert format_sse_event(data_bytes=b"x\ny") == b"data: x\ndata: y\n\n"


def test_server_sent_event_validation():
    with pytest.raises(ValueError, match="not both"):
        ServerSentEvent(data=1, raw_data="x")
    with pytest.raises(ValueError, match="line breaks"):
        ServerSentEvent(event="a\nb")
    with pytest.raises(ValueError, match="line breaks"):
        ServerSentEvent(id="1\r")
    with pytest.raises(ValueError, match="non-negative"):
        ServerSentEvent(retry=-1)
    assert ServerSentEvent(data={"x": [1, 2]}, id="3").encode() == b'data: {"x":[1,2]}\nid: 3\n\n'


def test_streaming_response_refuses_what_is_not_an_iterator():
    def gen():
        yield b""

    with pytest.raises(TypeError, match="pass gen\\(\\), not gen"):
        StreamingResponse(gen)
    with pytest.raises(TypeError, match="iterator"):
        StreamingResponse(b"bytes are not a stream")
    with pytest.raises(ValueError, match="ping_interval"):
        EventSourceResponse(iter(()), ping_interval=0)


def test_event_stream_headers_and_events_in_order(server):
    resp = get(server.port, "/streams/events?n=3&delay=0.05")
    assert resp.status == 200
    assert resp.content_type == "text/event-stream"
    assert resp.header("cache-control") == "no-cache"
    assert resp.header("x-accel-buffering") == "no"
    assert resp.header("transfer-encoding") == "chunked"
    assert resp.body == EVENTS


def test_generator_handlers_with_response_class(server):
    assert get(server.port, "/streams/sync-events?n=2").body == (
        b'event: sync\ndata: {"i":0}\n\nevent: sync\ndata: {"i":1}\n\n'
    )
    resp = get(server.port, "/streams/quiet?wait=0.05")
    assert resp.content_type == "text/event-stream"
    assert resp.body == b'data: {"after":0.05}\n\n'


def test_keep_alive_pings_while_the_generator_is_idle(server):
    # One event after 0.5 s, pings every 0.1 s before it.
    with socket.create_connection((HOST, server.port), timeout=10) as s:
        s.sendall(b"GET /streams/ping-fast?wait=0.5 HTTP/1.1\r\nHost: t\r\n\r\n")
        data = b""
        while not data.endswith(b"0\r\n\r\n"):
            data += s.recv(65536)
    body = data.split(b"\r\n\r\n", 1)[1]
    payload = b""
    while body:
        size_end = body.index(b"\r\n")
        size = int(body[:size_end], 16)
        payload += body[size_end + 2 : size_end + 2 + size]
        body = body[size_end + 4 + size :]
    pings = payload.count(b": ping\n\n")
    assert 2 <= pings <= 6, payload
    assert payload.endswith(b'data: {"after":0.5}\n\n')
    assert payload.replace(b": ping\n\n", b"") == b'data: {"after":0.5}\n\n'


def test_test_client_reads_an_event_stream_whole(app):
    resp = inproc_fetch(app, "GET", "/streams/events?n=3")
    assert resp.status == 200
    assert resp.body == EVENTS
