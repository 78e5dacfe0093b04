"""``File(max_size=...)`` on a chunked multipart body (no Content-Length): refused with 422 while
the body still arrives, then the connection closed, as a Content-Length body is
(tests/compat/test_rows_server.py); before, a chunked body was read whole (up to the body limit)
first. Served by tests/projects/edges."""

from __future__ import annotations

import json
import time

from support.wire import Conn

HEAD = (
    b"POST /upload/capped HTTP/1.1\r\nHost: t\r\nContent-Type: multipart/form-data; boundary=BB\r\n"
    b"Transfer-Encoding: chunked\r\n\r\n"
)
PART = b'--BB\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n\r\n'


def chunk(data: bytes) -> bytes:
    return b"%x\r\n" % len(data) + data + b"\r\n"


def test_chunked_upload_over_max_size_is_refused_before_the_body_ends(edges):
    # The part's headers, then 2 KiB of file data in 512-byte chunks over several writes (the
    # limit is 1 KiB); the body never ends, so only a refusal while it streams can answer.
    with Conn(edges.port) as conn:
        conn.send(HEAD)
        time.sleep(0.05)
        # A chunk boundary inside the part's headers: what is measured is the decoded body.
        conn.send(chunk(PART[:20]))
        time.sleep(0.05)
        conn.send(chunk(PART[20:]))
        for _ in range(4):
            time.sleep(0.05)
            conn.send(chunk(b"x" * 512), tolerate_reset=True)
        conn.sock.settimeout(5)
        resp = conn.read_response()
        assert resp.status == 422, resp.body
        [issue] = json.loads(resp.body)["errors"]
        assert issue["type"] == "file_too_large" and issue["loc"] == ["body", "file"]
        # Counted in decoded bytes: chunk-size lines are not file data.
        assert 1024 < issue["ctx"]["actual_size"] <= 2048, issue
        assert resp.header("connection") == "close"
        conn.assert_closed()


def test_chunked_upload_within_max_size_is_served(edges):
    body = PART + b"y" * 1000 + b"\r\n--BB--\r\n"
    with Conn(edges.port) as conn:
        # Split so that the closing delimiter straddles two chunks and two writes.
        cut = len(body) - 7
        conn.send(HEAD + chunk(body[:300]))
        time.sleep(0.05)
        conn.send(chunk(body[300:cut]))
        time.sleep(0.05)
        conn.send(chunk(body[cut:]) + b"0\r\n\r\n")
        resp = conn.read_response()
    assert resp.status == 200, resp.body
    assert resp.json() == {"size": 1000}
