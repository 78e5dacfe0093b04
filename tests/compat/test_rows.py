"""Rows of the compat table built this session, in-process (``TestClient``) on
tests/projects/rows: ``set``/``frozenset``/``tuple`` parameters, the QUERY method,
``BaseAuthentication.get_user`` and ``File(max_size=...)``. test_rows_server.py serves the same
project over a real ``bolt``."""

from __future__ import annotations

import importlib
import sys
from typing import Annotated, Any

import pytest

from django_bolt import BoltAPI
from django_bolt.auth import BaseAuthentication, IsAuthenticated, create_jwt_for_user
from django_bolt.param_functions import Path, Query
from django_bolt.params import SignatureError
from django_bolt.testing import TestClient
from support.paths import PROJECTS


@pytest.fixture(scope="module")
def rows_api(demo_apis):
    if str(PROJECTS / "rows") not in sys.path:
        sys.path.insert(0, str(PROJECTS / "rows"))
    return importlib.import_module("site_rows.api").api


@pytest.fixture(scope="module")
def client(rows_api):
    with TestClient(rows_api) as c:
        yield c


def token(sub: Any, **claims: Any) -> str:
    user = type("U", (), {"pk": sub, "username": "u"})()
    return create_jwt_for_user(user, "rows-test", extra_claims=claims)


# -- set / frozenset / tuple parameters --------------------------------------------------------------


def test_set_and_frozenset_query_parameters(client):
    r = client.get("/coll/set?tags=b&tags=a&tags=b&ids=3&ids=1&ids=3")
    assert r.status_code == 200, r.text
    assert r.json() == {"tags": ["a", "b"], "tags_type": "set", "ids": [1, 3], "ids_type": "frozenset"}
    # The default (frozenset()) when the key is absent; the required one is a 422.
    assert client.get("/coll/set?tags=x").json()["ids"] == []
    missing = client.get("/coll/set")
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["type"] == "missing" and missing.json()["detail"][0]["loc"] == ["query", "tags"]


def test_items_are_coerced_and_a_bad_one_is_a_422_at_its_index(client):
    r = client.get("/coll/set?tags=a&ids=1&ids=x")
    assert r.status_code == 422
    [issue] = r.json()["detail"]
    assert issue["type"] == "int_parsing" and issue["loc"] == ["query", "ids", 1] and issue["input"] == "x"


def test_tuple_parameters_fixed_and_variable_length(client):
    r = client.get("/coll/tuple?point=1&point=2&scores=1.5&scores=2")
    assert r.status_code == 200, r.text
    assert r.json() == {"point": [1, 2], "point_type": "tuple", "scores": [1.5, 2.0]}
    short = client.get("/coll/tuple?point=1")
    assert short.status_code == 422
    [issue] = short.json()["detail"]
    assert (issue["type"], issue["loc"]) == ("too_short", ["query", "point"])
    assert issue["msg"] == "Tuple should have at least 2 items after validation, not 1"
    long = client.get("/coll/tuple?point=1&point=2&point=3")
    assert long.json()["detail"][0]["type"] == "too_long"
    many = client.get("/coll/tuple?point=1&point=2&scores=1&scores=2&scores=3&scores=4")
    assert many.status_code == 422 and many.json()["detail"][0]["loc"] == ["query", "scores"]


def test_set_from_repeated_headers_and_form_fields(client):
    r = client.get("/coll/header", headers=[("X-Tag", "b"), ("X-Tag", "a"), ("X-Tag", "b")])
    assert r.json() == {"tags": ["a", "b"], "type": "set"}
    f = client.post("/coll/form", data={"colour": ["red", "blue", "red"]})
    assert f.json() == {"colours": ["blue", "red"], "type": "set"}


def test_a_set_default_is_copied_for_each_request(client):
    assert client.get("/coll/default").json() == {"tags": ["seen", "x"]}
    # The handler added to the set it got; the next request still gets {"x"}.
    assert client.get("/coll/default").json() == {"tags": ["seen", "x"]}


def test_string_set_lengths_count_items_not_characters():
    api = BoltAPI()

    @api.get("/s")
    def s(names: Annotated[set[str], Query(max_length=2)]):
        return sorted(names)

    with TestClient(api) as c:
        assert c.get("/s?names=long-name&names=other").json() == ["long-name", "other"]
        # Three distinct values: too many; a repeated value counts once.
        assert c.get("/s?names=a&names=b&names=c").json()["detail"][0]["msg"].startswith("Set should have at most 2")
        assert c.get("/s?names=a&names=a&names=b").status_code == 200


def test_unservable_collections_are_refused_at_start_up():
    api = BoltAPI()
    with pytest.raises(SignatureError, match="items must share one type"):

        @api.get("/mixed")
        def mixed(pair: tuple[int, str] = Query()):
            return pair

    with pytest.raises(SignatureError, match="cannot be a set"):

        @api.get("/p/{ids}")
        def in_path(ids: set[int] = Path()):
            return ids


def test_openapi_documents_sets_as_unique_items_and_fixed_tuples_by_position(client):
    doc = client.get("/docs/openapi.json").json()
    params = {p["name"]: p["schema"] for p in doc["paths"]["/coll/set"]["get"]["parameters"]}
    assert params["tags"] == {"type": "array", "items": {"type": "string"}, "uniqueItems": True}
    assert params["ids"]["uniqueItems"] is True and params["ids"]["items"] == {"type": "integer"}
    tup = {p["name"]: p["schema"] for p in doc["paths"]["/coll/tuple"]["get"]["parameters"]}
    assert tup["point"] == {
        "type": "array",
        "prefixItems": [{"type": "integer"}, {"type": "integer"}],
        "minItems": 2,
        "maxItems": 2,
    }
    assert tup["scores"]["items"] == {"type": "number"} and tup["scores"]["maxItems"] == 3


# -- the QUERY method ---------------------------------------------------------------------------------


def test_query_method_is_routed_with_its_body(client):
    r = client.query("/search?limit=3", json={"name": "ada"})
    assert r.status_code == 200, r.text
    assert r.json() == {"method": "QUERY", "asked": {"name": "ada"}, "limit": 3}
    assert client.get("/search").json() == {"method": "GET"}
    assert client.request("QUERY", "/query-only", content=b"raw").json() == {"body": "raw"}


def test_other_methods_get_405_with_query_in_allow(client):
    r = client.post("/search", json={})
    assert r.status_code == 405
    assert r.headers["allow"] == "GET, HEAD, OPTIONS, QUERY"
    assert client.get("/query-only").headers["allow"] == "OPTIONS, QUERY"


def test_query_operation_in_openapi_3_2(client):
    doc = client.get("/docs/openapi.json").json()
    assert doc["openapi"] == "3.2.0"
    op = doc["paths"]["/search"]["query"]
    assert "requestBody" in op and op["operationId"].endswith("_query")
    # An API without QUERY routes stays 3.1.
    plain = BoltAPI()

    @plain.get("/x")
    def x():
        return {}

    with TestClient(plain) as c:
        assert c.get("/docs/openapi.json").json()["openapi"] == "3.1.0"


# -- BaseAuthentication.get_user -------------------------------------------------------------------------


def test_async_get_user_loads_the_user_for_auser(client):
    r = client.get("/me", headers={"Authorization": f"Bearer {token(7, plan='pro')}"})
    assert r.status_code == 200, r.text
    assert r.json() == {"username": "acct-7", "plan": "pro"}
    # get_user returning None leaves the request anonymous.
    none = client.get("/me", headers={"Authorization": f"Bearer {token(404)}"})
    assert none.json() == {"username": "", "plan": None}


def test_async_only_get_user_refuses_sync_request_user(client):
    r = client.get("/me-sync", headers={"Authorization": f"Bearer {token(7)}"})
    assert "get_user is async" in r.json()["error"] and "get_user_sync" in r.json()["error"]


def test_get_user_sync_serves_sync_request_user(client):
    r = client.get("/key-owner", headers={"X-API-Key": "k-1"})
    assert r.status_code == 200, r.text
    assert r.json()["username"].startswith("key-")


def test_a_direct_subclass_authenticates_in_python():
    class Header(BaseAuthentication):
        def authenticate(self, request):
            name = request.headers.get("x-user")
            return type("User", (), {"is_authenticated": True, "username": name})() if name else None

    api = BoltAPI()

    @api.get("/who", auth=[Header()], guards=[IsAuthenticated()])
    async def who(request):
        return {"user": request.user.username}

    with TestClient(api) as c:
        assert c.get("/who", headers={"X-User": "bo"}).json() == {"user": "bo"}
        assert c.get("/who").status_code == 403


def test_two_loaders_for_one_scheme_are_a_start_up_error():
    from django_bolt.auth import JWTAuthentication

    class A(JWTAuthentication):
        async def get_user(self, user_id, auth_context):
            return None

    class B(JWTAuthentication):
        async def get_user(self, user_id, auth_context):
            return None

    api = BoltAPI()

    @api.get("/a", auth=[A(secret="s")])
    def a():
        return {}

    @api.get("/b", auth=[B(secret="s")])
    def b():
        return {}

    with pytest.raises(ValueError, match="both load the users"):
        TestClient(api)


def test_a_backend_without_authenticate_is_refused():
    class Nothing(BaseAuthentication):
        pass

    api = BoltAPI()

    @api.get("/n", auth=[Nothing()])
    def n():
        return {}

    with pytest.raises(TypeError, match="without authenticate"):
        TestClient(api)


# -- File(max_size=...) -----------------------------------------------------------------------------------


def test_file_over_max_size_is_django_bolts_422(client):
    r = client.post("/upload/capped", files={"file": ("big.bin", b"x" * 2000, "application/octet-stream")})
    assert r.status_code == 422
    [issue] = r.json()["detail"]
    assert issue["type"] == "file_too_large" and issue["loc"] == ["body", "file"]
    assert issue["ctx"]["max_size"] == 1024
    assert client.post("/upload/capped", files={"file": ("ok.bin", b"x" * 1024)}).json() == {"size": 1024}


def test_make_delete_cookie_expires_the_cookie():
    from django_bolt.cookies import make_delete_cookie

    header = make_delete_cookie("sid", path="/app").to_header_value()
    assert header.startswith("sid=") and "Max-Age=0" in header and "Path=/app" in header
    assert "Expires=Thu, 01 Jan 1970 00:00:00 GMT" in header
    assert "Secure" in make_delete_cookie("__Host-sid").to_header_value()
    assert "Secure" not in header


def test_url_encoded_form_of_more_than_1000_fields_is_a_422(client):
    many = "&".join(f"f{i}=1" for i in range(1001))
    r = client.post("/coll/form", content=many, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 422
    [issue] = r.json()["detail"]
    assert (issue["type"], issue["loc"], issue["msg"]) == (
        "too_many_fields",
        ["body"],
        "Too many form fields (max 1000)",
    )
    ok = "&".join(["colour=a"] + [f"f{i}=1" for i in range(999)])
    assert client.post(
        "/coll/form", content=ok, headers={"Content-Type": "application/x-www-form-urlencoded"}
    ).json() == {
        "colours": ["a"],
        "type": "set",
    }
