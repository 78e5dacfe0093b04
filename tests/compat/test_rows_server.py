"""The rows of test_rows.py over a real ``bolt`` serving tests/projects/rows: collection
parameters, the QUERY method on the wire, ``get_user``, and a ``File(max_size=...)`` upload
refused while its body is still being sent."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import pytest

from support.boltproc import BoltProcess
from support.paths import PROJECTS
from support.wire import Conn, fetch, json_body


@pytest.fixture(scope="module")
def site(driver) -> Iterator[BoltProcess]:
    server = BoltProcess.start(cwd=PROJECTS / "rows", driver=driver)
    try:
        yield server
    finally:
        server.stop()


def test_collections_over_the_wire(site):
    r = fetch(site.port, "GET", "/coll/set?tags=b&tags=a&tags=b&ids=2&ids=2")
    assert r.status == 200, r.body
    assert r.json() == {"tags": ["a", "b"], "tags_type": "set", "ids": [2], "ids_type": "frozenset"}
    t = fetch(site.port, "GET", "/coll/tuple?point=4&point=5")
    assert t.json()["point"] == [4, 5] and t.json()["point_type"] == "tuple"
    bad = fetch(site.port, "GET", "/coll/tuple?point=4")
    assert bad.status == 422 and bad.json()["detail"][0]["type"] == "too_short"


def test_query_method_on_the_wire(site):
    r = fetch(
        site.port,
        "QUERY",
        "/search?limit=2",
        headers=[("Content-Type", "application/json")],
        body=json_body({"q": "x"}),
    )
    assert r.status == 200, r.body
    assert r.json() == {"method": "QUERY", "asked": {"q": "x"}, "limit": 2}
    no = fetch(site.port, "DELETE", "/search")
    assert no.status == 405 and no.header("allow") == "GET, HEAD, OPTIONS, QUERY"


def test_get_user_over_the_wire(site):
    from django_bolt.auth import create_jwt_for_user

    user = type("U", (), {"pk": 9, "username": "u"})()
    tok = create_jwt_for_user(user, "rows-test", extra_claims={"plan": "team"})
    r = fetch(site.port, "GET", "/me", headers=[("Authorization", f"Bearer {tok}")])
    assert r.status == 200, r.body
    assert r.json() == {"username": "acct-9", "plan": "team"}
    k = fetch(site.port, "GET", "/key-owner", headers=[("X-API-Key", "k-1")])
    assert k.status == 200 and k.json()["username"].startswith("key-")


def _upload_head(path: str, length: int) -> tuple[bytes, bytes]:
    """The head of a multipart upload of ``length`` body bytes, and the start of its body."""
    start = (
        b'--BB\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n"
    )
    head = (
        f"POST {path} HTTP/1.1\r\nHost: t\r\nContent-Type: multipart/form-data; boundary=BB\r\n"
        f"Content-Length: {length}\r\n\r\n"
    ).encode()
    return head, start


def test_upload_over_max_size_is_refused_before_the_body_is_sent(site):
    # A 4 MiB body declared; 8 KiB of file data sent, then the client waits: the server answers
    # the 422 without the rest (which never comes), and closes.
    head, start = _upload_head("/upload/capped", 4 * 1024 * 1024)
    with Conn(site.port) as conn:
        conn.send_in_parts([head + start, *[b"x" * 2048] * 4], tolerate_reset=True)
        conn.sock.settimeout(5)
        resp = conn.read_response()
        assert resp.status == 422, resp.body
        [issue] = json.loads(resp.body)["detail"]
        assert issue["type"] == "file_too_large" and issue["loc"] == ["body", "file"]
        assert issue["ctx"]["max_size"] == 1024 and issue["ctx"]["actual_size"] > 1024
        assert resp.header("connection") == "close"


def test_upload_within_max_size_and_unlimited_routes_still_work(site):
    body = (
        b'--BB\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\n\r\n'
        + b"y" * 1000
        + b"\r\n--BB--\r\n"
    )
    headers = [("Content-Type", "multipart/form-data; boundary=BB")]
    r = fetch(site.port, "POST", "/upload/capped", headers=headers, body=body)
    assert r.status == 200 and r.json() == {"size": 1000}, r.body
    # No limit on this route: a body larger than the other's limit is read whole, sent slowly.
    big = body.replace(b"y" * 1000, b"z" * 20000)
    head = (
        b"POST /upload/free HTTP/1.1\r\nHost: t\r\nContent-Type: multipart/form-data; boundary=BB\r\n"
        + f"Content-Length: {len(big)}\r\n\r\n".encode()
    )
    with Conn(site.port) as conn:
        conn.send_in_parts([head, big[:5000], big[5000:]], pause=0.05)
        resp = conn.read_response()
    assert resp.status == 200 and json.loads(resp.body) == {"size": 20000}


def test_refused_upload_leaves_other_connections_served(site):
    head, start = _upload_head("/upload/capped", 1 << 20)
    s = socket.create_connection(("127.0.0.1", site.port))
    try:
        s.sendall(head + start + b"x" * 4096)
        s.settimeout(5)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        assert data.startswith(b"HTTP/1.1 422")
    finally:
        s.close()
    assert fetch(site.port, "GET", "/search").json() == {"method": "GET"}
