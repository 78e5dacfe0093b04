"""django-bolt 0.13's documentation examples over a real ``bolt``: tests/projects/moving mounts
each page's module (site_moving/examples/) under ``/ex/<page>/<n>``; a few examples per page,
as a user's client would see them on the wire."""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace

import brotli
import pytest
import websockets

from django_bolt.auth import create_jwt_for_user
from support.wire import Conn, fetch, json_body, multipart

SECRET = "moving-test"  # the project's SECRET_KEY, which JWTAuthentication() reads


def get(moving_site, path, headers=()):
    return fetch(moving_site.port, "GET", path, headers=list(headers))


def test_routing(moving_site):
    assert get(moving_site, "/ex/routing/0/posts/1/comments/2").json() == {"post_id": 1, "comment_id": 2}
    assert fetch(moving_site.port, "DELETE", "/ex/routing/0/items/3").json() == {"deleted": True}
    assert get(moving_site, "/ex/routing/0/sync").json() == {"sync": True}
    assert get(moving_site, "/ex/routing/2/api/v1/users").json() == {"users": []}
    r = get(moving_site, "/ex/routing/0/strip/users/")
    assert r.status == 308 and r.header("location") == "/ex/routing/0/strip/users"


def test_an_explicit_head_route_sends_no_body(moving_site):
    # The page's @api.head handler returns {}; HEAD must not carry it (the next response on
    # the connection would start with it).
    with Conn(moving_site.port) as conn:
        head = conn.request("HEAD", "/ex/routing/0/items")
        after = conn.request("GET", "/ex/routing/0/users")
    assert head.status == 200 and head.body == b""
    assert after.status == 200 and after.json() == {"users": []}


def test_requests(moving_site):
    assert get(moving_site, "/ex/requests/0/params/users/9").json() == {"user_id": "9"}
    assert get(moving_site, "/ex/requests/0/typed/users/3?page=2").json() == {"user_id": 3, "page": 2}
    assert get(moving_site, "/ex/requests/0/articles?page=0").status == 422
    assert get(moving_site, "/ex/requests/0/secure", [("X-Api-Key", "k")]).json() == {"api_key": "k"}
    assert get(moving_site, "/ex/requests/0/preferences", [("Cookie", "session_id=s; theme=dark")]).json() == {
        "theme": "dark",
        "language": "en",
    }
    headers, body = multipart([("files", f"{i}.pdf", b"x") for i in range(6)])
    r = fetch(moving_site.port, "POST", "/ex/requests/0/upload-multiple", headers=headers, body=body)
    assert r.status == 422 and r.json()["detail"][0]["type"] == "file_too_many"


def test_responses(moving_site):
    r = fetch(moving_site.port, "POST", "/ex/responses/0/users")
    assert r.status == 201 and r.header("x-created-by") == "django-bolt"
    r = get(moving_site, "/ex/responses/0/items/2")
    assert r.status == 404 and r.json() == {"detail": "Item not found"}
    assert get(moving_site, "/ex/responses/0/stream").body == "".join(f"chunk {i}\n" for i in range(100)).encode()
    r = get(moving_site, "/ex/responses/0/old-page")
    assert r.status == 307 and r.header("location") == "/new-page"


def test_auth(moving_site):
    user = SimpleNamespace(pk=7, username="ann", is_staff=False, is_superuser=False)
    client = create_jwt_for_user(user, SECRET, extra_claims={"role": "client"})
    vip = create_jwt_for_user(user, SECRET, extra_claims={"role": "vip"})
    assert get(moving_site, "/ex/auth/0/orders", [("Authorization", f"Bearer {client}")]).json() == {"orders": []}
    r = get(moving_site, "/ex/auth/0/client-orders", [("Authorization", f"Bearer {vip}")])
    assert r.status == 403 and r.json() == {"detail": "Client accounts only"}
    assert get(moving_site, "/ex/auth/0/reports", [("X-API-Key", "key-1")]).status == 200
    assert get(moving_site, "/ex/auth/0/profile").status == 401


def test_views_and_pagination(moving_site):
    assert get(moving_site, "/ex/views/0/items/3").json() == {"id": 3}
    r = fetch(
        moving_site.port,
        "PUT",
        "/ex/views/0/users/4",
        headers=[("Content-Type", "application/json")],
        body=json_body({"name": "x"}),
    )
    assert r.json() == {"user_id": 4, "updated": True}
    page = get(moving_site, "/ex/views/0/articles?page=3").json()
    assert page["total"] == 45 and [a["id"] for a in page["items"]] == list(range(41, 46))


def test_openapi_examples(moving_site):
    assert get(moving_site, "/ex/openapi/0/search?q=x").json() == {"query": "x", "page": 1, "limit": 20}
    assert get(moving_site, "/ex/openapi/0/internal/hidden").json() == {}


def test_dependencies(moving_site):
    assert get(moving_site, "/ex/dependencies/0/data").json() == {"format": "legacy"}
    assert get(moving_site, "/ex/dependencies/0/data", [("X-API-Version", "v2")]).json() == {"format": "new"}
    cached = get(moving_site, "/ex/dependencies/0/test").json()
    assert cached["dep1"] == cached["dep2"]
    assert get(moving_site, "/ex/dependencies/0/features").json() == {"new_ui": True, "beta": False}
    secure = [("Authorization", "t"), ("Cookie", "session_id=s")]
    assert get(moving_site, "/ex/dependencies/0/secure", secure).json() == {"status": "authenticated"}
    assert get(moving_site, "/ex/dependencies/0/secure").status == 422
    r = get(moving_site, "/ex/dependencies/0/api/data", [("X-Forwarded-For", "203.0.113.9")])
    assert r.status == 429 and r.json() == {"detail": "Rate limit exceeded"}
    r = get(moving_site, "/ex/dependencies/0/session/data")
    assert r.status == 200 and r.json() is None


def test_exceptions(moving_site):
    r = get(moving_site, "/ex/exceptions/0/users/0")
    assert r.status == 400 and r.json() == {"detail": "Invalid user ID"}
    r = get(moving_site, "/ex/exceptions/0/token")
    assert r.status == 401 and r.header("www-authenticate") == "Bearer"
    r = fetch(moving_site.port, "POST", "/ex/exceptions/0/signup")
    assert r.status == 400 and r.json()["extra"]["field"] == "email"
    r = fetch(
        moving_site.port,
        "POST",
        "/ex/exceptions/0/items",
        headers=[("Content-Type", "application/json")],
        body=json_body({"age": 3}),
    )
    assert r.status == 422 and r.json()["detail"][0]["loc"] == ["body", "price"]


def test_compression(moving_site):
    br = [("Accept-Encoding", "br")]
    r = get(moving_site, "/ex/compression/0/users", br)
    assert r.header("content-encoding") == "br"
    assert json.loads(brotli.decompress(r.body)) == [{"id": i, "name": f"user-{i}"} for i in range(1000)]
    r = get(moving_site, "/ex/compression/0/sse/feed", br)
    assert r.header("content-encoding") == "br"
    assert brotli.decompress(r.body).decode().count("data: ") == 20
    assert get(moving_site, "/ex/compression/0/raw-users", br).header("content-encoding") is None
    assert get(moving_site, "/ex/compression/1/off/users", br).header("content-encoding") is None
    r = get(moving_site, "/ex/compression/0/cached", [("Accept-Encoding", "br, zstd")])
    assert r.header("content-encoding") == "zstd" and r.body == b'(\xb5/\xfd \x0fy\x00\x00{"cached":true}'


def test_quickstart(moving_site):
    # The moving project has no tables for the page's models: what is answered before a query.
    assert get(moving_site, "/ex/quickstart/0").json() == {"status": "operational", "message": "Mission Control Online"}
    assert get(moving_site, "/ex/quickstart/0/missions/abc").status == 422
    assert get(moving_site, "/ex/quickstart/0/missions?limit=200").status == 422
    r = fetch(
        moving_site.port,
        "POST",
        "/ex/quickstart/0/missions",
        headers=[("Content-Type", "application/json")],
        body=json_body({"name": "", "description": "x" * 501}),
    )
    assert r.status == 422 and {tuple(e["loc"]) for e in r.json()["detail"]} == {
        ("body", "name"),
        ("body", "description"),
    }
    assert get(moving_site, "/ex/quickstart/0/missions/1/classified").status == 422
    r = get(moving_site, "/ex/quickstart/0/go")
    assert r.status in (302, 307) and r.header("location") == "/dashboard"
    assert "All Systems Operational" in get(moving_site, "/ex/quickstart/0/status-page").text


def test_websocket(moving_site):
    base = f"ws://127.0.0.1:{moving_site.port}/ex/websocket/0"
    user = SimpleNamespace(pk=7, username="ann", is_staff=False, is_superuser=False)
    token = create_jwt_for_user(user, SECRET)

    async def go():
        async with websockets.connect(f"{base}/ws/echo") as ws:
            await ws.send("Hello")
            echo = await ws.recv()
        async with websockets.connect(f"{base}/ws/feed?limit=50") as ws:
            feed = json.loads(await ws.recv())
        async with websockets.connect(
            f"{base}/ws/protected", additional_headers={"Authorization": f"Bearer {token}"}
        ) as ws:
            welcome = await ws.recv()
        return echo, feed, welcome

    assert asyncio.run(asyncio.wait_for(go(), 20)) == ("Echo: Hello", {"limit": 50}, "Welcome")

    async def refused(path):
        async with websockets.connect(f"{base}{path}"):
            pass

    for path, status in (("/ws/feed?limit=abc", 422), ("/ws/protected", 401), ("/ws/connect?token=x", 403)):
        with pytest.raises(websockets.exceptions.InvalidStatus) as e:
            asyncio.run(asyncio.wait_for(refused(path), 20))
        assert e.value.response.status_code == status, path
