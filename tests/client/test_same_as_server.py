"""The same requests through ``TestClient`` and through ``bolt`` on a socket give the same
status, header fields (in order, ``date`` aside) and body.

Both sides get byte-identical requests: one httpx client builds each request (a multipart body
carries its boundary in the bytes), and the test client is given the server's own origin, so
even the ``Host`` a handler echoes is the same. The server runs the demo with ``--no-django`` (the
test client serves the APIs only, as django-bolt's does).
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from django_bolt.testing import TestClient
from support.boltproc import BoltProcess, serve
from support.tokens import mint

_FAR = 4102444800  # 2100-01-01: tokens that do not expire during the run
USER = mint({"sub": "7", "exp": _FAR})
ADMIN = mint({"sub": "1", "role": "admin", "exp": _FAR})
BOUNDARY = "bolt-table-boundary"
MULTIPART = (
    f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="title"\r\n\r\nreport\r\n'
    f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="doc"; filename="a.txt"\r\n'
    f"Content-Type: text/plain\r\n\r\nhello file\r\n--{BOUNDARY}--\r\n"
).encode()

# (method, path, keywords for httpx.Request). Each row is one request, sent to both sides in order.
REQUESTS: list[tuple[str, str, dict]] = [
    ("GET", "/hello", {}),
    ("GET", "/v2/hello", {}),
    ("GET", "/items/7?q=x", {}),
    ("GET", "/items/seven", {}),
    ("GET", "/items/7?q=a&q=b", {}),
    ("POST", "/items", {"json": {"name": "pen", "price": 1.5, "tags": ["a"]}}),
    ("POST", "/items", {"json": {"name": 3, "price": "x"}}),
    ("POST", "/items", {"content": b'{"name": "pen", "price": ', "headers": {"content-type": "application/json"}}),
    ("POST", "/items", {"content": b"name=pen", "headers": {"content-type": "text/plain"}}),
    (
        "POST",
        "/orders",
        {
            "json": {
                "id": 1,
                "customer": "",
                "email": "e",
                "paid": True,
                "total": -1,
                "lines": [{"sku": "bad", "qty": 0, "price": 0}],
            }
        },
    ),
    ("PUT", "/items/3", {}),
    ("DELETE", "/items/3", {}),
    ("PATCH", "/items/3", {}),
    ("HEAD", "/hello", {}),
    ("OPTIONS", "/items/3", {}),
    ("PROPFIND", "/hello", {}),
    ("GET", "/nowhere", {}),
    (
        "GET",
        "/types?i=1&f=2.5&b=true&u=00000000-0000-0000-0000-000000000001&d=2024-01-02&dt=2024-01-02T03:04:05Z&dec=1.10&tags=a&tags=b",
        {},
    ),
    ("GET", "/types?i=x&b=maybe&d=2024-13-40", {}),
    ("GET", "/encode", {}),
    ("GET", "/teapot", {}),
    ("GET", "/files/a/b/c.txt", {}),
    ("GET", "/text", {}),
    ("GET", "/html", {}),
    ("GET", "/redirect", {}),
    ("POST", "/created", {}),
    ("GET", "/response", {}),
    ("GET", "/json", {}),
    ("GET", "/missing/5", {}),
    ("GET", "/django-errors/404", {}),
    ("GET", "/django-errors/403", {}),
    ("GET", "/django-errors/400", {}),
    ("GET", "/headers", {"headers": {"x-request-id": "abc", "user-agent": "table"}}),
    ("GET", "/search?q=pen&limit=500", {}),
    ("POST", "/form", {"data": {"name": "ann", "age": "3", "tags": ["x", "y"]}}),
    ("POST", "/form", {"data": {"name": "ann", "age": "-1"}}),
    (
        "POST",
        "/upload",
        {"content": MULTIPART, "headers": {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}},
    ),
    ("GET", "/me", {}),
    # /me with a token answers with a per-process call counter: not comparable across processes.
    ("GET", "/claims/path/7/abc", {}),
    ("GET", "/public", {"headers": {"origin": "https://elsewhere.example"}}),
    ("GET", "/hello", {"headers": {"origin": "https://app.example.com"}}),
    (
        "OPTIONS",
        "/items/1",
        {
            "headers": {
                "origin": "https://app.example.com",
                "access-control-request-method": "PUT",
                "access-control-request-headers": "content-type",
            }
        },
    ),
    ("GET", "/limited", {}),
    ("GET", "/static-key", {}),
    ("GET", "/static-key", {"headers": {"x-api-key": "test-key-1"}}),
    ("GET", "/secure/hello-jwt", {}),
    ("GET", "/secure/hello-jwt", {"headers": {"authorization": f"Bearer {USER}"}}),
    ("GET", "/secure/hello-jwt", {"headers": {"authorization": "Bearer not.a.token"}}),
    ("GET", "/secure/admin-claim", {"headers": {"authorization": f"Bearer {USER}"}}),
    ("GET", "/secure/admin-claim", {"headers": {"authorization": f"Bearer {ADMIN}"}}),
    ("GET", "/tuple", {}),
    ("GET", "/cookies/set", {}),
    ("POST", "/echo", {"json": {"a": [1, 2]}}),
    ("GET", "/sleep?ms=5", {}),
    ("GET", "/users", {}),
    ("GET", "/users/async", {}),
    ("GET", "/orm/count", {}),
    ("GET", "/orm/people/1", {}),
    ("GET", "/orm/people/999999", {}),
    ("GET", "/health", {}),
    ("GET", "/hello?" + "x" * 9000, {}),
]


@pytest.fixture(scope="module")
def no_django_server(demo_db, driver) -> Iterator[BoltProcess]:
    yield from serve(cores=1, driver=driver, extra=["--no-django"])


def test_table_has_forty_requests_or_more():
    assert len(REQUESTS) >= 40


def test_client_answers_as_the_server_does(demo_apis, no_django_server):
    origin = f"http://127.0.0.1:{no_django_server.port}"
    differences = []
    with (
        httpx.Client(base_url=origin, follow_redirects=False) as wire,
        TestClient(demo_apis, base_url=origin, raise_server_exceptions=False, follow_redirects=False) as client,
    ):
        for method, path, kw in REQUESTS:
            request = wire.build_request(method, path, **kw)
            body = request.read()
            over_socket = wire.send(request)
            # A fresh Request with the same bytes: httpx requests are single-use streams.
            same = httpx.Request(method, request.url, headers=request.headers, content=body)
            in_process = client.send(same)
            pair = (_comparable(over_socket), _comparable(in_process))
            if pair[0] != pair[1]:
                differences.append(f"{method} {path[:60]}:\n  socket:     {pair[0]}\n  in-process: {pair[1]}")
    assert not differences, "\n".join(differences)


def _comparable(r: httpx.Response) -> tuple:
    headers = [(k, v) for k, v in r.headers.raw if k.lower() != b"date"]
    return r.status_code, headers, r.content
