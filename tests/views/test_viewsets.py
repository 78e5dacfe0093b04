"""Class-based views through TestClient: the routes api.viewset/api.view generate (paths,
methods, statuses), the CRUD actions over the demo's Person with the async ORM, @action,
lookup_field, class-level auth/guards, self.request, and their OpenAPI entries."""

from __future__ import annotations

from support.tokens import mint


def people():
    from people.models import Person

    return Person.objects


def test_the_generated_routes_are_ordinary_routes(demo_apis):
    from views.viewset_api import api

    table = {(r.method, r.path): r for r in api.routes}
    expected = {
        ("GET", "/v/people"): ("PeopleViewSet-list", 200),
        ("POST", "/v/people"): ("PeopleViewSet-create", 201),
        ("GET", "/v/people/{pk}"): ("PeopleViewSet-retrieve", 200),
        ("PUT", "/v/people/{pk}"): ("PeopleViewSet-update", 200),
        ("PATCH", "/v/people/{pk}"): ("PeopleViewSet-partial_update", 200),
        ("DELETE", "/v/people/{pk}"): ("PeopleViewSet-destroy", 204),
        ("POST", "/v/people/{pk}/deactivate"): ("PeopleViewSet-deactivate", 200),
        ("GET", "/v/people/oldest"): ("PeopleViewSet-oldest", 200),
        ("GET", "/v/people/{pk}/whoami"): ("PeopleViewSet-whoami", 200),
        ("GET", "/v/by-email/{email}"): ("by-email-retrieve", 200),
        ("GET", "/v/hello/{name}"): ("HelloView", 200),
        ("POST", "/v/hello/{name}"): ("HelloView", 200),
        ("POST", "/v/created"): ("CreatedView", 201),
    }
    for key, (name, status) in expected.items():
        assert key in table, key
        assert (table[key].name, table[key].status_code) == (name, status), key
    # ReadOnlyModelViewSet: list and retrieve only.
    assert {m for (m, p) in table if p.startswith("/v/plain")} == {"GET"}
    assert ("PUT", "/v/items/{pk}") not in table  # ItemViewSet implements no update
    # A list that customises nothing asks Rust for nothing (no request object to build); one
    # whose get_queryset reads the request gets it.
    assert table[("GET", "/v/plain")].params == []
    assert [p.name for p in table[("GET", "/v/young")].params] == ["request"]
    # Typed parameters are read in Rust: the lookup is an int (the model's key), the body the
    # create serializer, the action's own query parameter with its constraints.
    from django_bolt._plans import K_INT, SRC_PATH, SRC_QUERY

    kinds = {p.name: p for p in table[("GET", "/v/people/{pk}")].params}
    assert (kinds["pk"].source, kinds["pk"].kind) == (SRC_PATH, K_INT)
    oldest = {p.name: p for p in table[("GET", "/v/people/oldest")].params}
    assert (oldest["limit"].source, oldest["limit"].kind, oldest["limit"].default) == (SRC_QUERY, K_INT, 3)
    create = {p.name: p for p in table[("POST", "/v/people")].params}
    assert "body" in create and create["body"].model is not None


def test_list_is_paginated_and_filtered(client):
    r = client.get("/v/people")
    assert r.status_code == 200
    data = r.json()
    assert data["total"] == people().count()
    assert data["page"] == 1 and data["page_size"] == 10 and data["next_page"] == 2
    assert "previous_page" not in data  # None fields are left out (omit_defaults)
    assert data["items"][:2] == [{"id": 1, "name": "Person 1"}, {"id": 2, "name": "Person 2"}]
    # filter_queryset reads self.request: only names starting with "Person 1" (1, 10-19, 100).
    data = client.get("/v/people", params={"prefix": "Person 1", "page": 2}).json()
    assert data["total"] == 12 and data["page"] == 2 and [i["id"] for i in data["items"]] == [19, 100]


def test_unpaginated_list_reads_the_columns_in_one_query(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        r = client.get("/v/plain")
    assert r.status_code == 200
    rows = r.json()
    assert [p["id"] for p in rows] == list(range(1, 21))
    assert rows[6] == {"id": 7, "name": "Person 7", "email": "person7@example.com", "age": 25, "is_active": False}
    assert len(ctx.captured_queries) == 1


def test_overridden_get_queryset_is_used_by_list_and_retrieve(client):
    # Seeded ages are 18 + i % 60: under 20 are Person 1, 60 and 61.
    assert client.get("/v/young").json() == [
        {"id": 1, "name": "Person 1"},
        {"id": 60, "name": "Person 60"},
        {"id": 61, "name": "Person 61"},
    ]
    assert [p["id"] for p in client.get("/v/young", params={"under": "19"}).json()] == [60]
    assert client.get("/v/young/60").status_code == 200
    assert client.get("/v/young/2").status_code == 404


def test_retrieve_and_missing_rows(client):
    assert client.get("/v/people/7").json() == {
        "id": 7,
        "name": "Person 7",
        "email": "person7@example.com",
        "age": 25,
        "is_active": False,
    }
    r = client.get("/v/people/999999")
    assert r.status_code == 404 and r.json() == {"detail": "Not found"}
    # The lookup is typed from the model's key: not an int is a 422 before any query.
    r = client.get("/v/people/abc")
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["path", "pk"]
    # filter_queryset applies to lookups too: Person 7 is not among names starting "Person 1".
    assert client.get("/v/people/7", params={"prefix": "Person 1"}).status_code == 404


def test_lookup_field(client):
    r = client.get("/v/by-email/person12@example.com")
    assert r.status_code == 200 and r.json()["id"] == 12
    assert client.get("/v/by-email/nobody@example.com").status_code == 404


def test_create_update_partial_update_destroy(client, scratch):
    r = client.post("/v/people", json={"name": f"{scratch}ada", "email": "ada@example.com", "age": 36})
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["name"] == f"{scratch}ada" and created["is_active"] is True
    pk = created["id"]
    assert people().get(pk=pk).age == 36

    # The body is decoded and checked in Rust against the create serializer.
    r = client.post("/v/people", json={"name": "", "email": "x@example.com", "age": -1})
    assert r.status_code == 422
    assert {tuple(e["loc"]) for e in r.json()["detail"]} == {("body", "name"), ("body", "age")}

    r = client.put(f"/v/people/{pk}", json={"name": f"{scratch}grace", "email": "grace@example.com", "age": 40})
    assert r.status_code == 200 and r.json()["name"] == f"{scratch}grace"
    assert client.put(f"/v/people/{pk}", json={"name": "x"}).status_code == 422  # PUT wants every field

    r = client.patch(f"/v/people/{pk}", json={"age": 41})
    assert r.status_code == 200
    row = people().get(pk=pk)
    assert (row.name, row.email, row.age) == (f"{scratch}grace", "grace@example.com", 41)
    r = client.patch(f"/v/people/{pk}", json={"age": "old"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "age"]
    assert client.patch("/v/people/999999", json={"age": 1}).status_code == 404

    r = client.post(f"/v/people/{pk}/deactivate")
    assert r.status_code == 200 and r.json()["is_active"] is False
    assert people().get(pk=pk).is_active is False

    r = client.delete(f"/v/people/{pk}")
    assert r.status_code == 204 and r.content == b""
    assert not people().filter(pk=pk).exists()
    assert client.delete(f"/v/people/{pk}").status_code == 404


def test_custom_actions(client):
    # Seeded ages are 18 + i % 60: the oldest are Person 59 (77) and Person 58 (76).
    r = client.get("/v/people/oldest", params={"limit": 2})
    assert r.status_code == 200
    assert r.json() == [{"id": 59, "name": "Person 59"}, {"id": 58, "name": "Person 58"}]
    assert client.get("/v/people/oldest", params={"limit": 11}).status_code == 422
    r = client.get("/v/people/5/whoami")
    assert r.json() == {"pk": 5, "action": "whoami", "path": "/v/people/5/whoami", "kwargs": {"pk": 5}}


def test_viewset_with_handwritten_actions(client):
    assert client.get("/v/items").json() == [{"id": 1}, {"id": 2}]
    assert client.get("/v/items/4").json() == {"id": 4}
    r = client.post("/v/items", json={"name": "pen", "price": 1.5})
    assert r.status_code == 201 and r.json() == {"id": 3, "name": "pen", "price": 1.5}
    assert client.post("/v/items", json={"name": "pen", "price": 0}).status_code == 422
    assert client.patch("/v/items/4", json={"name": "ink", "price": 2}).json() == {"id": 4, "patched": "ink"}
    r = client.delete("/v/items/4")
    assert r.status_code == 204 and r.content == b""
    r = client.put("/v/items/4", json={})
    assert r.status_code == 405 and "PATCH" in r.headers["allow"]


def test_api_view(client):
    r = client.get("/v/hello/bob", params={"shout": "true"})
    assert r.json() == {"hello": "BOB", "method": "GET"}
    r = client.post("/v/hello/bob", json={"text": "hi"})
    assert r.json() == {"to": "bob", "text": "hi", "has_request": True}
    assert client.post("/v/hello/bob", json={}).status_code == 422
    assert client.post("/v/created").status_code == 201
    assert client.delete("/v/hello/bob").status_code == 405


def test_class_level_auth_and_guards(client):
    r = client.get("/v/secret")
    assert r.status_code == 401
    token = mint({"sub": "42", "exp": 4102444800})
    r = client.get("/v/secret", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200 and r.json() == {"sub": "42"}
    bearer = {"Authorization": f"Bearer {token}"}
    for path in ("/v/guarded", "/v/guarded/1"):
        assert client.get(path).status_code == 401, path
        assert client.get(path, headers={"Authorization": "Bearer nonsense"}).status_code == 401, path
        assert client.get(path, headers=bearer).status_code == 200, path
    assert client.get("/v/guarded", headers=bearer).json() == [
        {"id": 1, "name": "Person 1"},
        {"id": 2, "name": "Person 2"},
    ]


def test_openapi_documents_the_generated_routes(demo_apis):
    from openapi_spec_validator import validate

    from django_bolt.openapi import OpenAPIConfig
    from django_bolt.openapi.schema_generator import generate
    from views.viewset_api import api

    spec = generate(api.routes, OpenAPIConfig(title="views", version="1"))
    validate(spec)
    ops = spec["paths"]["/v/people/{pk}"]
    assert set(ops) == {"get", "put", "patch", "delete"}
    assert [(p["name"], p["in"], p["schema"]["type"]) for p in ops["get"]["parameters"]] == [("pk", "path", "integer")]
    assert "204" in ops["delete"]["responses"]
    create = spec["paths"]["/v/people"]["post"]
    assert "201" in create["responses"] and "requestBody" in create
    listing = spec["paths"]["/v/people"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert "PaginatedResponse" in str(listing)
    assert spec["paths"]["/v/people/oldest"]["get"]["tags"] == ["people"]


def test_registration_errors_name_the_class(demo_apis):
    import pytest

    from django_bolt import APIView, BoltAPI, ViewSet, action

    api = BoltAPI()

    class SyncList(ViewSet):
        def list(self, request):
            return []

    with pytest.raises(TypeError, match=r"SyncList\.list must be async def"):
        api.viewset("/x")(SyncList)

    class WithAction(APIView):
        async def get(self) -> dict:
            return {}

        @action(methods=["GET"], detail=False)
        async def extra(self, request) -> dict:
            return {}

    with pytest.raises(ValueError, match=r"WithAction\.extra uses @action.*api\.viewset"):
        api.view("/y")(WithAction)
    with pytest.raises(TypeError, match="must inherit from ViewSet"):
        api.viewset("/w")(WithAction)

    class Empty(APIView):
        pass

    with pytest.raises(ValueError, match="does not implement any HTTP methods"):
        api.view("/z")(Empty)
    with pytest.raises(ValueError, match="does not implement method 'post'"):
        api.view("/z", methods=["POST"])(WithAction)
    with pytest.raises(ValueError, match="Invalid HTTP method 'FETCH'"):
        action(methods=["FETCH"], detail=False)
    assert api.routes == []
