"""Request body framing: Content-Length, chunked (RFC 9112 §6-7), Expect: 100-continue."""

import pytest

from support.wire import Conn

ITEM = b'{"name":"chunky","price":2.5,"tags":["x"]}'
ITEM_JSON = {"name": "chunky", "price": 2.5, "tags": ["x"]}
POST_CHUNKED = (
    b"POST /items HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
)


def chunked(*parts: bytes) -> bytes:
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"


def test_content_length_body(server):
    with Conn(server.port) as conn:
        conn.send(
            b"POST /items HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (len(ITEM), ITEM)
        )
        assert conn.read_response().json() == ITEM_JSON


def test_content_length_body_split_across_writes(server):
    with Conn(server.port) as conn:
        conn.send_in_parts(
            [
                b"POST /items HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n",
                b"Content-Length: %d\r\n\r\n" % len(ITEM),
                ITEM[:10],
                ITEM[10:25],
                ITEM[25:],
            ]
        )
        assert conn.read_response().json() == ITEM_JSON


def test_chunked_request_body(server):
    with Conn(server.port) as conn:
        conn.send(POST_CHUNKED + chunked(ITEM[:7], ITEM[7:20], ITEM[20:]))
        resp = conn.read_response()
        assert resp.status == 200, resp.raw
        assert resp.json() == ITEM_JSON
        assert conn.request("GET", "/hello").status == 200, "connection reusable after a chunked body"


def test_chunked_request_body_split_across_writes(server):
    """Chunk boundaries, CRLFs and the size lines themselves arrive in pieces."""
    stream = POST_CHUNKED + chunked(ITEM[:7], ITEM[7:20], ITEM[20:])
    cuts = [0, 30, len(POST_CHUNKED) - 1, len(POST_CHUNKED) + 1, len(POST_CHUNKED) + 4]
    cuts += list(range(len(POST_CHUNKED) + 9, len(stream), 7)) + [len(stream)]
    parts = [stream[a:b] for a, b in zip(cuts, cuts[1:]) if b > a]
    with Conn(server.port) as conn:
        conn.send_in_parts(parts, pause=0.02)
        resp = conn.read_response()
    assert resp.status == 200, resp.raw
    assert resp.json() == ITEM_JSON


def test_chunked_coding_name_is_case_insensitive(server):
    with Conn(server.port) as conn:
        conn.send(POST_CHUNKED.replace(b"chunked", b"Chunked") + chunked(ITEM))
        assert conn.read_response().json() == ITEM_JSON


def test_chunk_extensions_are_ignored(server):
    """RFC 9112 §7.1.1: a recipient MUST ignore unrecognized chunk extensions."""
    body = b"%x;name=value\r\n%s\r\n%x;flag\r\n%s\r\n0;last=1\r\n\r\n" % (10, ITEM[:10], len(ITEM) - 10, ITEM[10:])
    with Conn(server.port) as conn:
        conn.send(POST_CHUNKED + body)
        resp = conn.read_response()
    assert resp.status == 200, resp.raw
    assert resp.json() == ITEM_JSON


def test_chunked_trailer_fields_are_consumed(server):
    """Trailer fields after the last chunk belong to this request, not the next one."""
    body = b"%x\r\n%s\r\n0\r\nX-Checksum: abc\r\nX-Other: 1\r\n\r\n" % (len(ITEM), ITEM)
    with Conn(server.port) as conn:
        conn.send(POST_CHUNKED + body + b"GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
        first, second = conn.read_responses(2)
    assert first.json() == ITEM_JSON
    assert second.json() == {"message": "Hello, World!"}


def test_unused_body_is_skipped_before_the_next_request(server):
    """A handler that ignores the body: the body bytes must not be parsed as a request."""
    with Conn(server.port) as conn:
        conn.send(
            b"POST /created HTTP/1.1\r\nHost: t\r\nContent-Length: 22\r\n\r\nGET /boom HTTP/1.1\r\n\r\n"
            b"GET /hello HTTP/1.1\r\nHost: t\r\n\r\n"
        )
        first, second = conn.read_responses(2)
    assert first.status == 201
    assert second.status == 200 and second.json() == {"message": "Hello, World!"}


def test_expect_100_continue_gets_interim_response(server):
    with Conn(server.port) as conn:
        conn.send(
            b"POST /items HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
            b"Expect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(ITEM)
        )
        interim = conn.read_response()
        assert interim.status == 100
        assert interim.raw.startswith(b"HTTP/1.1 100 Continue\r\n")
        conn.send(ITEM)
        final = conn.read_response()
        assert final.status == 200
        assert final.json() == ITEM_JSON
        assert conn.request("GET", "/hello").status == 200


def test_expect_100_continue_with_chunked_body(server):
    with Conn(server.port) as conn:
        conn.send(POST_CHUNKED.replace(b"\r\n\r\n", b"\r\nExpect: 100-continue\r\n\r\n"))
        assert conn.read_response().status == 100
        conn.send(chunked(ITEM))
        assert conn.read_response().json() == ITEM_JSON


@pytest.mark.parametrize("size", [0, 1, 64 * 1024])
def test_echo_body_sizes_round_trip(server, size):
    body = (b"abcdefghij" * (size // 10 + 1))[:size]
    with Conn(server.port, timeout=10) as conn:
        resp = conn.request("POST", "/echo", headers=[("Content-Type", "text/plain")], body=body)
    assert resp.status == 200
    assert resp.json()["body"] == body.decode()
