"""``BoltAPI(trailing_slash=)``: how paths are written at registration, and the 308 redirect
from the other spelling (django-bolt's modes), through the test client."""

from __future__ import annotations

import pytest

from django_bolt import BoltAPI
from django_bolt.api import merge_routes
from django_bolt.testing import TestClient


@pytest.fixture(autouse=True)
def _django(demo_apis):
    """Django set up (on the demo's settings) as for the other test client tests."""


def _served(*apis: BoltAPI) -> dict[tuple[str, str], bool]:
    """(method, path) -> whether it is a redirect alias, for the merged routes."""
    return {(r.method, r.path): r.alias for r in merge_routes(apis)}


def test_strip_is_the_default_and_the_slashed_spelling_redirects():
    api = BoltAPI()

    @api.get("/users/")
    def users(q: str = "") -> dict:
        return {"q": q}

    assert [r.path for r in api.routes] == ["/users"]
    assert _served(api) == {("GET", "/users"): False, ("GET", "/users/"): True}
    with TestClient(api, follow_redirects=False) as client:
        assert client.get("/users").json() == {"q": ""}
        resp = client.get("/users/?q=a%20b&x=1")
        assert resp.status_code == 308
        assert resp.headers["location"] == "/users?q=a%20b&x=1"
        assert resp.content == b""
    with TestClient(api) as client:  # followed, as a browser or httpx would
        assert client.get("/users/?q=z").json() == {"q": "z"}


def test_append_mode_redirects_to_the_slashed_path_and_keeps_the_method():
    api = BoltAPI(prefix="/api", trailing_slash="append")

    @api.post("/items")
    def create(body: dict) -> dict:
        return {"got": body}

    @api.get("/items/{item_id}")
    def item(item_id: int) -> dict:
        return {"id": item_id}

    @api.get("/")
    def root() -> dict:
        return {"root": True}

    assert [r.path for r in api.routes] == ["/api/items/", "/api/items/{item_id}/", "/api/"]
    with TestClient(api, follow_redirects=False) as client:
        resp = client.post("/api/items", json={"a": 1})
        assert (resp.status_code, resp.headers["location"]) == (308, "/api/items/")
        resp = client.get("/api/items/42")
        assert (resp.status_code, resp.headers["location"]) == (308, "/api/items/42/")
        assert client.get("/api/items/42/").json() == {"id": 42}
        assert client.get("/api").status_code == 308
    with TestClient(api) as client:
        # 308: httpx re-sends the POST with its body, as RFC 9110 asks.
        assert client.post("/api/items", json={"a": 1}).json() == {"got": {"a": 1}}


def test_keep_mode_serves_both_spellings_when_both_are_registered():
    api = BoltAPI(trailing_slash="keep")

    @api.get("/a")
    def a() -> str:
        return "a"

    @api.get("/a/")
    def a_slash() -> str:
        return "a/"

    @api.get("/b/")
    def b() -> str:
        return "b/"

    assert _served(api) == {("GET", "/a"): False, ("GET", "/a/"): False, ("GET", "/b/"): False, ("GET", "/b"): True}
    with TestClient(api, follow_redirects=False) as client:
        # A returned str is text/plain, as in django-bolt.
        assert client.get("/a").text == "a"
        assert client.get("/a/").text == "a/"
        assert client.get("/b").headers["location"] == "/b/"


def test_each_api_keeps_its_own_mode_when_merged():
    strip, append = BoltAPI(), BoltAPI(trailing_slash="append")
    strip.get("/users/")(lambda: "users")
    append.get("/items")(lambda: "items")
    with TestClient([strip, append], follow_redirects=False) as client:
        assert client.get("/users").status_code == 200
        assert client.get("/users/").headers["location"] == "/users"
        assert client.get("/items/").status_code == 200
        assert client.get("/items").headers["location"] == "/items/"


def test_a_redirect_never_leaves_the_site():
    from types import SimpleNamespace

    from django_bolt.api import _redirect_to_other_spelling

    # "//host/x" would be protocol-relative: another site. The router matches no empty segment
    # today (404), so the handler is asked directly.
    resp = _redirect_to_other_spelling(SimpleNamespace(path="//evil.example/x/", query_string="a=1"))
    assert resp.headers["location"] == "/evil.example/x?a=1"
    api = BoltAPI()
    api.get("/{a}/{b}")(lambda a, b: {})
    with TestClient(api, follow_redirects=False) as client:
        assert client.get("//evil.example/x/").status_code == 404
        resp = client.get("/%2F%2Fevil/x/")  # percent-encoded slashes stay encoded
        assert resp.headers["location"] == "/%2F%2Fevil/x"


def test_aliases_are_not_documented_nor_counted_as_routes():
    api = BoltAPI()
    api.get("/users")(lambda: [])
    with TestClient(api) as client:
        doc = client.get("/docs/openapi.json").json()
    assert list(doc["paths"]) == ["/users"]


def test_other_methods_of_a_path_are_not_redirected_over_a_405():
    api = BoltAPI()
    api.get("/users")(lambda: [])
    with TestClient(api, follow_redirects=False) as client:
        assert client.post("/users").status_code == 405
        # The alias of GET /users serves GET only: a POST to /users/ is not sent on.
        assert client.post("/users/").status_code == 405


def test_bad_modes_are_refused():
    with pytest.raises(ValueError, match="trailing_slash must be one of strip, append, keep"):
        BoltAPI(trailing_slash="add")
