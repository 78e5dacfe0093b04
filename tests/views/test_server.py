"""The class-based views and pagination of viewset_api.py over a real ``bolt`` (one core, the
demo's database, ``--settings viewset_site``): the same routes, statuses and bodies as through
TestClient, on the wire."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.boltproc import BoltProcess, serve
from support.tokens import mint
from support.wire import JSON, fetch, get, json_body

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def views_server(demo_db, driver) -> Iterator[BoltProcess]:
    path = os.pathsep.join(p for p in (str(HERE), os.environ.get("PYTHONPATH")) if p)
    yield from serve(cores=1, driver=driver, extra=["--settings", "viewset_site"], env={"PYTHONPATH": path})


def test_viewset_crud_on_the_wire(views_server):
    port = views_server.port
    r = get(port, "/v/people?page=2&page_size=5")
    assert r.status == 200
    page = r.json()
    assert [i["id"] for i in page["items"]] == [6, 7, 8, 9, 10]
    assert (page["page"], page["page_size"], page["next_page"], page["previous_page"]) == (2, 5, 3, 1)
    assert page["total"] >= 100

    assert get(port, "/v/people/3").json()["email"] == "person3@example.com"
    missing = get(port, "/v/people/999999")
    assert missing.status == 404 and missing.json() == {"detail": "Not found"}
    assert get(port, "/v/people/abc").status == 422

    name = f"vs-wire-{uuid.uuid4().hex[:8]}"
    created = fetch(
        port, "POST", "/v/people", body=json_body({"name": name, "email": "w@example.com", "age": 30}), headers=JSON
    )
    assert created.status == 201, created.body
    pk = created.json()["id"]
    try:
        patched = fetch(port, "PATCH", f"/v/people/{pk}", body=json_body({"age": 31}), headers=JSON)
        assert patched.status == 200 and patched.json()["age"] == 31 and patched.json()["name"] == name
        bad = fetch(port, "PATCH", f"/v/people/{pk}", body=json_body({"age": -5}), headers=JSON)
        assert bad.status == 422 and bad.json()["detail"][0]["loc"] == ["body", "age"]
        assert fetch(port, "POST", f"/v/people/{pk}/deactivate").json()["is_active"] is False
    finally:
        gone = fetch(port, "DELETE", f"/v/people/{pk}")
    assert gone.status == 204 and gone.body == b""
    assert get(port, f"/v/people/{pk}").status == 404


def test_views_actions_and_auth_on_the_wire(views_server):
    port = views_server.port
    assert get(port, "/v/plain").json()[19]["id"] == 20
    assert get(port, "/v/people/oldest?limit=1").json() == [{"id": 59, "name": "Person 59"}]
    assert get(port, "/v/hello/ann?shout=1").json() == {"hello": "ANN", "method": "GET"}
    assert get(port, "/v/secret").status == 401
    token = mint({"sub": "7", "exp": 4102444800})
    ok = get(port, "/v/secret", headers=[("Authorization", f"Bearer {token}")])
    assert ok.status == 200 and ok.json() == {"sub": "7"}
    put = fetch(port, "PUT", "/v/items/1", body=b"{}", headers=JSON)
    assert put.status == 405


def test_pagination_on_the_wire(views_server):
    port = views_server.port
    page = get(port, "/v/paged/offset?limit=3&offset=10").json()
    assert [i["id"] for i in page["items"]] == [11, 12, 13] and page["limit"] == 3 and page["offset"] == 10
    first = get(port, "/v/paged/cursor").json()
    second = get(port, f"/v/paged/cursor?cursor={first['next_cursor']}").json()
    assert second["items"][0]["id"] == 31 and second["has_previous"] is True
