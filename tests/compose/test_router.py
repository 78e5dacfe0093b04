"""``Router`` and ``api.include_router``: prefixes, nesting, inherited tags/auth/guards, through
the test client."""

from __future__ import annotations

import asyncio

import pytest

from django_bolt import BoltAPI, Router
from django_bolt.api import RouteConflictError
from django_bolt.auth.guards import AllowAny, IsAuthenticated
from django_bolt.testing import TestClient
from django_bolt.testing.websocket import WebSocketTestClient
from django_bolt.websocket import WebSocket


@pytest.fixture(autouse=True)
def _django(demo_apis):
    """Django set up (on the demo's settings) as for the other test client tests."""


def _paths(api: BoltAPI) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in api.routes]


def test_router_routes_are_served_under_both_prefixes():
    router = Router(prefix="/users/")  # a trailing slash on a prefix is dropped, as django-bolt does

    @router.get("")
    def list_users() -> list:
        return [1, 2]

    @router.get("/{user_id}")
    def get_user(user_id: int) -> dict:
        return {"id": user_id}

    @router.post("/")
    def create(body: dict) -> dict:
        return body

    api = BoltAPI(prefix="/api")
    api.include_router(router, prefix="/v1")
    assert _paths(api) == [("GET", "/api/v1/users"), ("GET", "/api/v1/users/{user_id}"), ("POST", "/api/v1/users")]
    with TestClient(api) as client:
        assert client.get("/api/v1/users").json() == [1, 2]
        assert client.get("/api/v1/users/5").json() == {"id": 5}
        assert client.get("/api/v1/users/x").status_code == 422
        assert client.post("/api/v1/users", json={"a": 1}).json() == {"a": 1}
        assert client.get("/users").status_code == 404


def test_every_verb_and_route_keyword_is_shared_with_bolt_api():
    router = Router(prefix="/r")
    for verb in ("get", "post", "put", "patch", "delete", "head", "options"):
        getattr(router, verb)("/" + verb, status_code=201, name=f"r_{verb}", summary=verb)(lambda: None)
    api = BoltAPI()
    api.include_router(router)
    got = {(r.method, r.path, r.status_code, r.name, r.summary) for r in api.routes}
    assert ("PATCH", "/r/patch", 201, "r_patch", "patch") in got
    assert len(got) == 7


def test_unknown_keywords_and_bad_paths_fail_when_decorating():
    router = Router()
    with pytest.raises(TypeError, match="route\\(\\).*colour"):
        router.get("/x", colour="red")
    with pytest.raises(ValueError, match="must start with '/'"):
        router.get("x")
    with pytest.raises(ValueError, match="unsupported method"):
        router.route("BREW", "/x")
    with pytest.raises(ValueError, match="must start with '/'"):
        Router(prefix="users")
    with pytest.raises(TypeError, match="expects a Router"):
        BoltAPI().include_router(BoltAPI())
    with pytest.raises(TypeError, match="expects a Router"):
        router.include_router(BoltAPI())
    with pytest.raises(ValueError, match="into itself"):
        router.include_router(router)


def test_nested_routers_combine_prefixes_and_nearest_defaults_win():
    v1 = Router(prefix="/v1", tags=["v1"], guards=[IsAuthenticated()])
    users = Router(prefix="/users", tags=["users"])
    public = Router(prefix="/public", guards=[AllowAny()], parent=v1)

    @users.get("/{user_id}")
    def get_user(user_id: int) -> dict:
        return {"id": user_id}

    @users.get("/me", tags=["me"], guards=[AllowAny()])
    def me() -> dict:
        return {"me": True}

    @public.get("/hello")
    def hello() -> dict:
        return {"hello": True}

    v1.include_router(users, prefix="/people")
    api = BoltAPI()
    api.include_router(v1, prefix="/api")
    routes = {r.path: r for r in api.routes}
    assert set(routes) == {"/api/v1/people/users/{user_id}", "/api/v1/people/users/me", "/api/v1/public/hello"}
    assert routes["/api/v1/people/users/{user_id}"].tags == ["users"]  # the router's own tags
    assert routes["/api/v1/people/users/me"].tags == ["me"]  # the route's own
    assert routes["/api/v1/public/hello"].tags == ["v1"]  # the enclosing router's
    with TestClient(api) as client:
        # IsAuthenticated comes down from v1 to users' route; its own AllowAny wins on /me.
        assert client.get("/api/v1/people/users/3").status_code in (401, 403)
        assert client.get("/api/v1/people/users/me").json() == {"me": True}
        assert client.get("/api/v1/public/hello").json() == {"hello": True}


def test_api_auth_and_guards_apply_when_no_router_sets_them():
    router = Router(prefix="/r")

    @router.get("/x")
    def x() -> dict:
        return {}

    api = BoltAPI(guards=[IsAuthenticated()])
    api.include_router(router)
    with TestClient(api) as client:
        assert client.get("/r/x").status_code in (401, 403)


def test_router_websocket_routes():
    router = Router(prefix="/ws")

    @router.websocket("/echo")
    async def echo(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_json({"hi": True})
        await websocket.close()

    with pytest.raises(TypeError, match="must be an async function"):
        router.websocket("/sync")(lambda websocket: None)
    api = BoltAPI()
    api.include_router(router)
    (route,) = api.routes
    assert (route.method, route.path, route.websocket) == ("GET", "/ws/echo", True)

    async def talk() -> object:
        async with WebSocketTestClient(api, "/ws/echo") as ws:
            return await ws.receive_json()

    assert asyncio.run(talk()) == {"hi": True}


def test_a_router_included_twice_conflicts():
    router = Router(prefix="/r")
    router.get("/x")(lambda: None)
    api = BoltAPI()
    api.include_router(router)
    with pytest.raises(RouteConflictError, match="duplicate route GET /r/x"):
        api.include_router(router)
    api.include_router(router, prefix="/again")
    assert ("GET", "/again/r/x") in _paths(api)


def test_routes_added_after_include_are_not_served():
    router = Router()
    router.get("/early")(lambda: None)
    api = BoltAPI()
    api.include_router(router)
    router.get("/late")(lambda: None)
    assert _paths(api) == [("GET", "/early")]


def test_router_is_a_top_level_name():
    import django_bolt

    assert django_bolt.Router is Router
    assert "Router" in django_bolt.__all__
