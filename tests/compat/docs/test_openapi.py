"""django-bolt 0.13's OpenAPI page (topics/openapi.md) through ``TestClient``: the document and
the docs UIs the examples configure (site_moving/examples/openapi.py says what was changed)."""

from __future__ import annotations

import pytest

from django_bolt.testing import TestClient


@pytest.fixture(scope="module")
def doc_and_client(example):
    with TestClient(example("openapi").APIS) as c:
        yield c.get("/docs/openapi.json").json(), c


def test_config_tags_summaries_and_docstrings(doc_and_client):
    doc, _ = doc_and_client
    assert doc["info"]["title"] == "My API" and doc["info"]["version"] == "1.0.0"
    assert doc["info"]["description"] == "API for my application"
    op = doc["paths"]["/users/{user_id}"]["get"]
    assert op["summary"] == "Get a user" and op["tags"] == ["users"]
    assert op["description"].startswith("Retrieve a user by their unique ID.")
    assert doc["paths"]["/articles"]["get"]["tags"] == ["articles"]
    search = doc["paths"]["/search"]["get"]
    assert "**q**" in search["description"]
    params = {p["name"]: p for p in search["parameters"]}
    assert params["q"]["required"] is True and params["page"]["schema"]["default"] == 1


def test_models_and_per_status_responses(doc_and_client):
    doc, _ = doc_and_client
    schemas = doc["components"]["schemas"]
    assert set(schemas["User"]["properties"]) == {"id", "username", "email"}
    item = doc["paths"]["/items/{item_id}"]["get"]["responses"]
    assert item["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/Item")
    assert item["404"]["content"]["application/json"]["schema"]["$ref"].endswith("/Error")
    other = doc["paths"]["/any/items/{item_id}"]["get"]["responses"]
    assert other["default"]["content"]["application/json"]["schema"]["$ref"].endswith("/Error")
    body = doc["paths"]["/users"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["$ref"].endswith("/CreateUser")
    assert "201" in doc["paths"]["/created/users"]["post"]["responses"]


def test_hidden_routes_and_the_uis(doc_and_client):
    doc, client = doc_and_client
    assert "/internal" not in doc["paths"] and "/admin" not in doc["paths"]
    assert "/internal/hidden" not in doc["paths"]
    assert client.get("/internal").json() == {"internal": True}
    assert client.get("/internal/hidden").json() == {}
    assert "swagger" in client.get("/docs").text.lower()
    assert "redoc" in client.get("/docs/redoc").text.lower()
