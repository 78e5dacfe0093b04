"""django-bolt 0.13's class-based views and pagination pages through ``TestClient``: the
examples without a model (site_moving/examples/views.py) and those with one, against the demo's
people (views_models.py); the modules say where the examples were changed and why."""

from __future__ import annotations

import pytest

from django_bolt.testing import TestClient


@pytest.fixture(scope="module")
def client(example):
    with TestClient(example("views").APIS + example("views_models").APIS) as c:
        yield c


def test_api_views(client):
    assert client.get("/hello").json() == {"message": "Hello"}
    assert client.post("/hello?name=Ann").json() == {"message": "Hello, Ann"}
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE", "QUERY"):
        assert client.request(method, "/resource").json() == {"method": method}
    assert client.get("/users/4").json() == {"user_id": 4}
    assert client.put("/users/4", json={"name": "x"}).json() == {"user_id": 4, "updated": True}
    assert client.put("/users/4", json={}).status_code == 422


def test_a_viewset_and_its_actions(client):
    assert client.get("/items").json() == [{"id": 1}, {"id": 2}]
    assert client.get("/items/3").json() == {"id": 3}
    assert client.post("/items", json={"name": "n"}).json() == {"id": 1, "created": True}
    assert client.put("/items/3", json={"name": "n"}).json() == {"id": 3, "updated": True}
    assert client.patch("/items/3", json={}).json() == {"id": 3, "patched": True}
    assert client.delete("/items/3").status_code in (200, 204)
    assert client.post("/items/5/custom-action-name").json() == {"action": "custom-action-name", "article_id": 5}
    assert client.get("/items/search?query=q&limit=5").json() == {"query": "q", "limit": 5, "results": []}


def test_pagination_over_a_list(client):
    page = client.get("/articles?page=2").json()
    assert page["total"] == 45 and page["page"] == 2 and len(page["items"]) == 20
    assert page["items"][0] == {"id": 21, "title": "Article 21"}
    assert len(client.get("/articles?page_size=50").json()["items"]) == 45
    offset = client.get("/offset/articles?limit=5&offset=40").json()
    assert [a["id"] for a in offset["items"]] == [41, 42, 43, 44, 45] and offset["total"] == 45


def test_model_viewset_with_pagination(client):
    page = client.get("/m/articles?page=1").json()
    assert page["total"] >= 100 and set(page["items"][0]) == {"id", "name", "email"}
    first = page["items"][0]
    assert client.get(f"/m/articles/{first['id']}").json() == first
    assert client.get("/m/articles/999999").status_code == 404


def test_lookup_field_and_model_actions(client):
    first = client.get("/m/articles").json()["items"][0]
    assert client.get(f"/m/by-id/{first['id']}").json() == {"id": first["id"], "title": first["name"]}
    assert len(client.get("/m/by-id/published").json()) == 3
    assert client.post("/m/by-id/9/feature").json() == {"featured": True, "article_id": 9}


def test_cursor_pagination(client):
    first = client.get("/m/cursor/articles").json()
    ids = [p["id"] for p in first["items"]]
    assert len(ids) == 20 and ids == sorted(ids, reverse=True)
    after = client.get(f"/m/cursor/articles?cursor={first['next_cursor']}").json()
    assert after["items"][0]["id"] < ids[-1]


def test_pagination_class_on_a_viewset_and_a_model_viewset(client):
    page = client.get("/m/paged?page=2&page_size=5").json()
    assert page["page"] == 2 and page["page_size"] == 5 and len(page["items"]) == 5
    assert set(page["items"][0]) == {"id", "name", "email"}
    listed = client.get("/m/listed?page_size=3").json()
    assert len(listed["items"]) == 3 and set(listed["items"][0]) == {"id", "name"}  # list_serializer_class
    one = listed["items"][0]["id"]
    assert set(client.get(f"/m/listed/{one}").json()) == {"id", "name", "email"}  # serializer_class


def test_a_custom_page_envelope(client):
    page = client.get("/m/drf/articles?page=2").json()
    assert set(page) == {"count", "next", "previous", "results"}
    assert page["count"] >= 100 and len(page["results"]) == 20
    assert page["next"] == "/m/drf/articles?page_size=20&page=3"
    assert page["previous"] == "/m/drf/articles?page_size=20&page=1"
    assert set(page["results"][0]) == {"id", "name", "email"}
    doc = client.get("/docs/openapi.json").json()
    assert "DRFPage_ArticleSchema_" in doc["components"]["schemas"]
