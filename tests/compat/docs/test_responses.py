"""django-bolt 0.13's responses page (topics/responses.md) through ``TestClient``; the module
(site_moving/examples/responses.py) says where the examples were changed and why."""

from __future__ import annotations

import pytest

from django_bolt.testing import TestClient


@pytest.fixture(scope="module")
def client(example):
    with TestClient(example("responses").APIS, follow_redirects=False) as c:
        yield c


def test_json_and_status(client):
    assert client.get("/data").json() == {"message": "Hello", "count": 42}
    assert client.get("/items").json() == [{"id": 1}, {"id": 2}]
    r = client.post("/users")
    assert r.status_code == 201 and r.headers["x-created-by"] == "django-bolt"
    assert r.json() == {"id": 1, "username": "john"}
    assert client.post("/users-status").status_code == 201


def test_text_html_redirects(client):
    r = client.get("/hello")
    assert r.text == "Hello, World!" and r.headers["content-type"].startswith("text/plain")
    assert client.get("/status").headers["x-status"] == "healthy"
    assert client.get("/page").headers["content-type"].startswith("text/html")
    r = client.get("/old-page")
    assert r.status_code == 307 and r.headers["location"] == "/new-page"
    r = client.get("/external")
    assert r.status_code == 302 and r.headers["location"] == "https://example.com"
    assert client.get("/text").headers["content-type"].startswith("text/plain")
    r = client.get("/bytes")
    assert r.content == b"binary data" and r.headers["content-type"] == "application/octet-stream"


def test_streams(client):
    assert client.get("/stream").text == "".join(f"chunk {i}\n" for i in range(100))
    assert client.get("/async-stream").text == "".join(f"data: {i}\n\n" for i in range(10))
    events = client.get("/events")
    assert events.headers["content-type"].startswith("text/event-stream")
    assert events.text.count("data: ") == 10 and 'data: {"count":9}' in events.text


def test_options_and_cookies(client):
    r = client.options("/items")
    assert r.status_code == 204 and r.headers["allow"] == "GET, POST, PUT, DELETE"
    cookie = client.post("/login").headers["set-cookie"]
    for part in ("session=abc123", "Max-Age=3600", "Domain=.example.com", "Secure", "HttpOnly", "SameSite=Lax"):
        assert part in cookie
    two = client.post("/login-two").headers.get_list("set-cookie")
    assert [c.split("=")[0] for c in two] == ["session", "preferences"]
    gone = client.post("/logout").headers["set-cookie"]
    assert gone.startswith("session=") and "Max-Age=0" in gone
    both = client.post("/refresh").headers.get_list("set-cookie")
    assert [c.split("=")[0] for c in both] == ["old_session", "new_session"]


def test_cookie_header_value(example):
    header = example("responses").session_cookie_header()
    assert header == "session=abc123; Max-Age=3600; Path=/; Secure; HttpOnly; SameSite=Strict"


def test_response_models(client):
    user = {"id": 3, "username": "john", "email": "john@example.com"}
    assert client.get("/users/3").json() == user
    assert client.get("/annotated/users/3").json() == user
    assert client.get("/items/1").json() == {"id": 1, "name": "Alice"}
    r = client.get("/items/2")
    assert r.status_code == 404 and r.json() == {"detail": "Item not found"}
    assert client.delete("/items/1").status_code == 204
    assert client.delete("/items/2").status_code == 404
    r = client.post("/items")
    assert r.status_code == 201 and r.json() == {"id": 1, "name": "New"}
    r = client.post("/plans/4/start")
    assert r.status_code == 400 and r.json() == {"detail": "not healthy"}
    assert client.delete("/gone/1").status_code == 204
