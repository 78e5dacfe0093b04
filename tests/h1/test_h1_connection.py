"""HTTP/1.1 connection management: persistence, pipelining, close (RFC 9112 §9)."""

import socket
import time

from support.wire import Conn, parse_all, raw

HELLO = {"message": "Hello, World!"}


def test_keep_alive_serves_two_requests_on_one_socket(server):
    with Conn(server.port) as conn:
        conn.send(b"GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
        first = conn.read_response()
        conn.send(b"GET /items/2 HTTP/1.1\r\nHost: t\r\n\r\n")
        second = conn.read_response()
        conn.assert_open()
    assert first.status == second.status == 200
    assert first.json() == HELLO
    assert second.json() == {"id": 2, "q": None}


def test_keep_alive_survives_many_requests(server):
    with Conn(server.port) as conn:
        for i in range(100):
            assert conn.request("GET", f"/items/{i}").json() == {"id": i, "q": None}
        conn.assert_open()


def test_pipelined_requests_are_answered_in_order(server):
    body = b'{"name":"pipe","price":1.25}'
    with Conn(server.port) as conn:
        conn.send(
            b"GET /hello HTTP/1.1\r\nHost: t\r\n\r\n"
            b"POST /items HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n%s"
            b"GET /items/3?q=x HTTP/1.1\r\nHost: t\r\n\r\n" % (len(body), body)
        )
        responses = conn.read_responses(3)
        conn.assert_open()
    assert [r.status for r in responses] == [200, 200, 200]
    assert responses[0].json() == HELLO
    assert responses[1].json() == {"name": "pipe", "price": 1.25, "tags": []}
    assert responses[2].json() == {"id": 3, "q": "x"}


def test_deep_pipeline_of_small_requests(server):
    n = 64
    with Conn(server.port) as conn:
        conn.send(b"".join(b"GET /items/%d HTTP/1.1\r\nHost: t\r\n\r\n" % i for i in range(n)))
        responses = conn.read_responses(n)
    assert [r.json()["id"] for r in responses] == list(range(n))


def test_request_split_across_writes(server):
    with Conn(server.port) as conn:
        conn.send_in_parts([b"GE", b"T /hel", b"lo HTTP/1.1\r\nHo", b"st: t\r", b"\n\r\n"])
        resp = conn.read_response()
    assert resp.json() == HELLO


def test_connection_close_closes_after_the_response(server):
    with Conn(server.port) as conn:
        conn.send(b"GET /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        resp = conn.read_response()
        conn.assert_closed()
    assert resp.status == 200
    assert resp.json() == HELLO


def test_connection_close_token_is_case_insensitive(server):
    with Conn(server.port) as conn:
        conn.send(b"GET /hello HTTP/1.1\r\nHost: t\r\nconnection: Close\r\n\r\n")
        assert conn.read_response().status == 200
        conn.assert_closed()


def test_ignores_requests_pipelined_after_connection_close(server):
    """RFC 9112 §9.6: no further requests are processed after a "close"."""
    data = raw(
        server.port,
        b"GET /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\nGET /items/1 HTTP/1.1\r\nHost: t\r\n\r\n",
        read_until_close=True,
    )
    [resp] = parse_all(data)
    assert resp.json() == HELLO


def test_http10_closes_by_default(server):
    data = raw(server.port, b"GET /hello HTTP/1.0\r\n\r\n", read_until_close=True)
    [resp] = parse_all(data)
    assert resp.status == 200
    assert resp.json() == HELLO


def test_http10_with_host_closes_by_default(server):
    data = raw(server.port, b"GET /hello HTTP/1.0\r\nHost: t\r\n\r\n", read_until_close=True)
    [resp] = parse_all(data)
    assert resp.json() == HELLO


def test_responses_carry_a_date_header(server):
    """RFC 9110 §6.6.1: an origin server with a clock MUST send Date."""
    with Conn(server.port) as conn:
        resp = conn.request("GET", "/hello")
    assert resp.header("date") is not None
    assert resp.header("date").endswith(" GMT")


def test_client_half_close_still_gets_the_response(server):
    """A client may shut down its write side right after the request."""
    with Conn(server.port) as conn:
        conn.send(b"GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
        conn.sock.shutdown(socket.SHUT_WR)
        data = conn.read_until_close()
    [resp] = parse_all(data)
    assert resp.json() == HELLO


def test_http10_keep_alive_is_opt_in(server):
    with Conn(server.port) as conn:
        conn.send(b"GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        first = conn.read_response()
        assert first.json() == HELLO
        assert "KEEP-ALIVE" in first.tokens("connection")
        conn.send(b"GET /hello HTTP/1.0\r\n\r\n")
        assert conn.read_response().json() == HELLO
        conn.assert_closed()


def test_absolute_form_request_target_is_accepted(server):
    """RFC 9112 §3.2.2: a server MUST accept the absolute-form in requests."""
    with Conn(server.port) as conn:
        resp = conn.request("GET", "http://test/items/4?q=abs")
    assert resp.json() == {"id": 4, "q": "abs"}


def test_body_of_a_get_request_is_framed_and_skipped(server):
    with Conn(server.port) as conn:
        conn.send(
            b"GET /hello HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabcGET /items/1 HTTP/1.1\r\nHost: t\r\n\r\n"
        )
        first, second = conn.read_responses(2)
    assert first.json() == HELLO
    assert second.json() == {"id": 1, "q": None}


def test_slow_request_head_gets_408_and_close(server):
    """A client that never finishes its head cannot hold a connection forever."""
    with Conn(server.port, timeout=30) as conn:
        conn.send(b"GET /hello HTTP/1.1\r\nHost: t\r\n")
        start = time.monotonic()
        resp = conn.read_response()
        conn.assert_closed()
    assert resp.status == 408
    assert isinstance(resp.json()["detail"], str)
    assert time.monotonic() - start < 30
