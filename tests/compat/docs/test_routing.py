"""django-bolt 0.13's routing page (topics/routing.md) through ``TestClient``; the module
(site_moving/examples/routing.py) says where the examples were changed and why."""

from __future__ import annotations

import pytest

from django_bolt.testing import TestClient


@pytest.fixture(scope="module")
def client(example):
    with TestClient(example("routing").APIS, follow_redirects=False) as c:
        yield c


def test_basic_routes_and_every_method(client):
    assert client.get("/users").json() == {"users": []}
    assert client.post("/users").json() == {"created": True}
    assert client.get("/items").json() == {"items": []}
    assert client.post("/items").json() == {"created": True}
    assert client.put("/items/3").json() == {"replaced": True}
    assert client.patch("/items/3").json() == {"updated": True}
    assert client.delete("/items/3").json() == {"deleted": True}
    head = client.head("/items")
    assert head.status_code == 200 and head.content == b""
    options = client.options("/items")
    assert options.headers["allow"] == "GET, POST, PUT, PATCH, DELETE"


def test_path_parameters(client):
    assert client.get("/users/7").json() == {"user_id": 7}
    assert client.get("/posts/1/comments/2").json() == {"post_id": 1, "comment_id": 2}
    assert client.get("/users/abc").status_code == 422


def test_route_options_and_sync_handlers(client):
    assert client.get("/options/users/5").json() == {"user_id": 5}
    assert client.get("/sync").json() == {"sync": True}
    doc = client.get("/docs/openapi.json").json()
    op = doc["paths"]["/options/users/{user_id}"]["get"]
    assert op["summary"] == "Get user" and op["description"] == "Get a user by ID" and op["tags"] == ["users"]


def test_trailing_slash_modes_redirect_to_the_registered_path(client):
    assert client.get("/strip/users").json() == []
    r = client.get("/strip/users/")
    assert r.status_code == 308 and r.headers["location"] == "/strip/users"
    assert client.get("/append/users/").json() == []
    r = client.get("/append/users")
    assert r.status_code == 308 and r.headers["location"] == "/append/users/"


def test_a_mounted_api(client):
    assert client.get("/api/v1/users").json() == {"users": []}
