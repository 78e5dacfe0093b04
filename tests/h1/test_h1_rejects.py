"""Malformed or ambiguous requests are refused, the connection closed, the server unharmed.

Each rule is its own test. The server answers with an error status and a JSON
``{"detail": "..."}`` body, then closes (the rest of the stream cannot be
trusted), and keeps serving new connections.
"""

import pytest

from support.wire import Conn, Response, get


def assert_rejected(server, request: bytes, status: int | tuple[int, ...] = 400) -> Response:
    with Conn(server.port) as conn:
        conn.send(request, tolerate_reset=True)
        resp = conn.read_response()
        conn.assert_closed()
    statuses = status if isinstance(status, tuple) else (status,)
    assert resp.status in statuses, resp.raw[:500]
    assert resp.content_type is not None and resp.content_type.startswith("application/json")
    detail = resp.json()["detail"]
    assert isinstance(detail, str) and detail
    assert get(server.port, "/hello").status == 200, "server must keep serving"
    return resp


# --- Content-Length / Transfer-Encoding (RFC 9112 §6.1, §6.3) ---------------------------


def test_rejects_both_content_length_and_transfer_encoding(server):
    """§6.1: a smuggling vector; the server MAY reject, we always do."""
    assert_rejected(
        server,
        b"POST /items HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    )


def test_rejects_duplicate_content_length_with_different_values(server):
    """§6.3 rule 5: an invalid Content-Length is unrecoverable."""
    assert_rejected(
        server,
        b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nContent-Length: 5\r\n\r\nhello",
    )


def test_rejects_duplicate_content_length_with_equal_values(server):
    assert_rejected(
        server,
        b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
    )


def test_rejects_content_length_list(server):
    assert_rejected(server, b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5, 5\r\n\r\nhello")


@pytest.mark.parametrize("value", [b"abc", b"-1", b"+5", b"0x5", b"5 5", b""])
def test_rejects_non_numeric_content_length(server, value):
    assert_rejected(server, b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: %s\r\n\r\nhello" % value)


@pytest.mark.parametrize("coding", [b"gzip", b"chunked, gzip", b"identity"])
def test_rejects_transfer_encoding_other_than_chunked(server, coding):
    """§6.3 rule 4: chunked must be the final coding of a request, else 400 and close."""
    assert_rejected(server, b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: %s\r\n\r\n0\r\n\r\n" % coding)


def test_rejects_bad_chunk_size(server):
    assert_rejected(
        server,
        b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
    )


def test_rejects_chunk_size_overflow(server):
    assert_rejected(
        server,
        b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"fffffffffffffffffffffff\r\nhello\r\n0\r\n\r\n",
    )


def test_rejects_chunk_data_longer_than_its_size(server):
    assert_rejected(
        server,
        b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n",
    )


@pytest.mark.parametrize(
    "trailer",
    [b":\r\n", b"NoColon\r\n", b"X-A : 1\r\n", b"X-A: 1\r\n 2\r\n", b"X-A: \x00\r\n"],
    ids=["empty-name", "no-colon", "space-before-colon", "obs-fold", "nul"],
)
def test_rejects_malformed_chunked_trailer_line(server, trailer):
    """§7.1.2: trailer lines are field lines (§5); one a parsing front-end refuses is refused,
    not skipped, with the request it ends (they were served; hyper refuses them)."""
    assert_rejected(
        server,
        b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n"
        + trailer
        + b"\r\nGET /hello HTTP/1.1\r\nHost: t\r\n\r\n",
    )


@pytest.mark.parametrize("target", [b"/hello<", b"/hello>", b"/hello`", b"/hello?q=%22<", b'/hello?q="'])
def test_rejects_target_bytes_no_uri_holds(server, target):
    """§3.2 / RFC 3986 §2: `<`, `>`, backquote (and `"` in a query) are in no URI; refused as
    hyper refuses them."""
    assert_rejected(server, b"GET %s HTTP/1.1\r\nHost: t\r\n\r\n" % target)


# --- Message syntax (RFC 9112 §2-5) -----------------------------------------------------


def test_rejects_obs_fold(server):
    """§5.2: a server MUST reject obs-fold in a request (or replace it; we reject)."""
    assert_rejected(server, b"GET /hello HTTP/1.1\r\nHost: t\r\nX-Folded: a\r\n b\r\n\r\n")


def test_rejects_bare_lf_line_endings(server):
    assert_rejected(server, b"GET /hello HTTP/1.1\nHost: t\n\n")


def test_rejects_whitespace_before_header_colon(server):
    """§5.1: a server MUST reject whitespace between field name and colon with 400."""
    assert_rejected(server, b"GET /hello HTTP/1.1\r\nHost : t\r\n\r\n")


def test_rejects_invalid_request_line(server):
    assert_rejected(server, b"GET/hello HTTP/1.1\r\nHost: t\r\n\r\n")


def test_rejects_unsupported_http_version(server):
    """400, or 505 HTTP Version Not Supported (RFC 9110 §15.6.6)."""
    assert_rejected(server, b"GET /hello HTTP/9.9\r\nHost: t\r\n\r\n", status=(400, 505))


def test_rejects_fragment_in_request_target(server):
    """§3.2: origin-form is absolute-path [ "?" query ]; clients never send a fragment."""
    assert_rejected(server, b"GET /hello#top HTTP/1.1\r\nHost: t\r\n\r\n")


def test_rejects_nul_in_header_value(server):
    """RFC 9110 §5.5: NUL is never valid in a field value."""
    assert_rejected(server, b"GET /hello HTTP/1.1\r\nHost: t\r\nX-A: a\x00b\r\n\r\n")


def test_rejects_transfer_encoding_in_http10(server):
    """§6.1: Transfer-Encoding in an HTTP/1.0 message means faulty framing."""
    assert_rejected(server, b"POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n")


# --- Host (RFC 9112 §3.2) ---------------------------------------------------------------


def test_rejects_missing_host_in_http11(server):
    """§3.2: a server MUST respond 400 to an HTTP/1.1 request without Host."""
    assert_rejected(server, b"GET /hello HTTP/1.1\r\n\r\n")


def test_rejects_duplicate_host(server):
    """§3.2: ... or with more than one Host field line."""
    assert_rejected(server, b"GET /hello HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")


# --- Limits -----------------------------------------------------------------------------


def test_rejects_long_request_target_with_414(server):
    assert_rejected(server, b"GET /hello?q=%s HTTP/1.1\r\nHost: t\r\n\r\n" % (b"a" * 10 * 1024), status=414)


def test_rejects_oversized_headers_with_431(server):
    padding = b"".join(b"X-Pad-%d: %s\r\n" % (i, b"p" * 1000) for i in range(20))
    assert_rejected(server, b"GET /hello HTTP/1.1\r\nHost: t\r\n%s\r\n" % padding, status=431)


def test_rejects_one_huge_header_with_431(server):
    assert_rejected(server, b"GET /hello HTTP/1.1\r\nHost: t\r\nX-Huge: %s\r\n\r\n" % (b"h" * 20 * 1024), status=431)


def test_rejects_oversized_content_length_with_413(server):
    """Refused from the head alone: the server must not wait for 999999999 bytes."""
    assert_rejected(
        server,
        b"POST /items HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 999999999\r\n\r\n",
        status=413,
    )


def test_rejects_oversized_content_length_with_expect_before_100(server):
    """With Expect: 100-continue the final 413 comes instead of the 100."""
    assert_rejected(
        server,
        b"POST /items HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
        b"Expect: 100-continue\r\nContent-Length: 999999999\r\n\r\n",
        status=413,
    )
