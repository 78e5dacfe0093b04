"""django-bolt's Python middleware API through the in-process test client: class middleware
(``BaseMiddleware``, ``Middleware``, any ``__init__(get_response)`` class), ``@middleware`` on a
route (classes and ``(request, call_next)`` functions), ordering, short-circuits, exceptions,
``skip_middleware`` by name, the built-in Timing/Logging/ErrorHandler middleware, and that a
route without middleware is served by its own endpoint, unwrapped."""

from __future__ import annotations

import asyncio
import logging

import pytest

from django_bolt import BoltAPI, HTTPException, Request, WebSocket
from django_bolt.middleware import (
    BaseMiddleware,
    ErrorHandlerMiddleware,
    LoggingMiddleware,
    Middleware,
    TimingMiddleware,
    middleware,
    skip_middleware,
)
from django_bolt.middleware.middleware import FunctionMiddlewareSpec
from django_bolt.responses import JSON, PlainText
from django_bolt.struct import Struct
from django_bolt.testing import TestClient

#: What each middleware saw, in order, for the current request.
TRACE: list[str] = []


def tracing(name: str) -> type:
    class Tracing(Middleware):
        async def process_request(self, request):
            TRACE.append(f"{name}>")
            request.state.setdefault("seen", []).append(name)
            response = await self.get_response(request)
            TRACE.append(f"<{name}")
            response.headers[f"x-{name}"] = str(response.status_code)
            return response

    Tracing.__name__ = Tracing.__qualname__ = f"Tracing{name.upper()}"
    return Tracing


OuterA, InnerB, RouteC = tracing("a"), tracing("b"), tracing("c")


class DjangoShaped:
    """No base class at all: Django's shape, ``__init__(get_response)`` and ``__call__``."""

    def __init__(self, get_response):
        self.get_response = get_response

    async def __call__(self, request):
        response = await self.get_response(request)
        response.headers["x-plain-class"] = "1"
        return response


class Gate(BaseMiddleware):
    exclude_paths = ["/open", "/docs/**"]
    exclude_methods = ["OPTIONS"]

    async def process_request(self, request):
        token = request.headers.get("x-token")
        if token == "refuse":
            raise HTTPException(403, "refused by gate", headers={"x-gate": "no"})
        if token != "ok":
            # A response of its own: the handler never runs.
            return JSON({"gate": "closed"}, status_code=401, headers={"www-authenticate": "Token"})
        return await self.get_response(request)


@middleware
async def stamp(request, call_next):
    TRACE.append("stamp>")
    response = await call_next(request)
    TRACE.append("<stamp")
    response.headers["x-stamp"] = request.state.get("stamp", "none")
    return response


@middleware
def sync_function_middleware(request, call_next):
    # A plain def returning call_next's awaitable works too.
    request.state["stamp"] = "from-sync-fn"
    return call_next(request)


class Item(Struct):
    id: int
    name: str


HANDLED: list[str] = []


def build_api() -> BoltAPI:
    api = BoltAPI(middleware=[OuterA, InnerB, DjangoShaped])

    @api.get("/order")
    @middleware(RouteC)
    @stamp
    async def order(request: Request) -> dict:
        TRACE.append("handler")
        return {"seen": request.state["seen"]}

    @api.get("/sync/{n}")
    def sync_handler(n: int, request: Request) -> dict:
        return {"n": n, "seen": request.state["seen"]}

    @api.post("/created", status_code=201)
    async def created(item: Item) -> Item:
        return item

    @api.get("/tuple")
    async def tuple_return():
        return 202, {"accepted": True}, {"x-from-handler": "yes"}

    @api.get("/object")
    async def object_return():
        return PlainText("plain", headers={"x-from-handler": "obj"})

    @api.get("/fails")
    async def fails():
        raise HTTPException(404, "no such thing")

    @api.get("/none-of-it")
    @skip_middleware("*")
    async def none_of_it(request: Request) -> dict:
        return {"seen": request.state.get("seen", [])}

    @api.get("/some-of-it")
    @skip_middleware("TracingA", f"{DjangoShaped.__module__}.DjangoShaped")
    async def some_of_it(request: Request) -> dict:
        return {"seen": request.state.get("seen", [])}

    @api.get("/fn-stamp")
    @stamp
    @sync_function_middleware
    async def fn_stamp() -> dict:
        return {"ok": True}

    return api


@pytest.fixture(scope="module")
def client(demo_apis):
    with TestClient(build_api()) as c:
        yield c


@pytest.fixture(autouse=True)
def _clear():
    TRACE.clear()
    HANDLED.clear()


def test_order_global_then_route_then_handler_and_back(client):
    r = client.get("/order")
    assert r.status_code == 200
    assert r.json() == {"seen": ["a", "b", "c"]}
    # Route middleware run in the order the decorators were applied (bottom up), as django-bolt.
    assert TRACE == ["a>", "b>", "stamp>", "c>", "handler", "<c", "<stamp", "<b", "<a"]
    # Headers every layer set reach the wire.
    assert (r.headers["x-a"], r.headers["x-b"], r.headers["x-c"]) == ("200", "200", "200")
    assert r.headers["x-plain-class"] == "1"
    assert r.headers["x-stamp"] == "none"
    assert r.headers["content-type"] == "application/json"


def test_sync_handler_sees_the_request_middleware_changed(client):
    assert client.get("/sync/7").json() == {"n": 7, "seen": ["a", "b"]}


def test_status_and_response_model_survive(client):
    r = client.post("/created", json={"id": 1, "name": "pen"})
    assert r.status_code == 201 and r.json() == {"id": 1, "name": "pen"}
    assert r.headers["x-a"] == "201"
    # A body that fails validation is answered before Python runs (bolt decodes in Rust).
    bad = client.post("/created", json={"id": "x"})
    assert bad.status_code == 422 and "x-a" not in bad.headers


def test_tuple_and_response_objects_keep_their_headers(client):
    r = client.get("/tuple")
    assert (r.status_code, r.json()) == (202, {"accepted": True})
    assert r.headers["x-from-handler"] == "yes" and r.headers["x-a"] == "202"
    r = client.get("/object")
    assert (r.text, r.headers["content-type"]) == ("plain", "text/plain; charset=utf-8")
    assert r.headers["x-from-handler"] == "obj" and r.headers["x-b"] == "200"


def test_a_handler_exception_passes_through_middleware(client):
    r = client.get("/fails")
    assert r.status_code == 404 and r.json() == {"detail": "no such thing"}
    # The after-part of each middleware did not run: the exception went past it.
    assert TRACE == ["a>", "b>"]
    assert "x-a" not in r.headers


def test_skip_middleware_star_and_by_name(client):
    r = client.get("/none-of-it")
    assert r.json() == {"seen": []} and "x-a" not in r.headers and "x-plain-class" not in r.headers
    r = client.get("/some-of-it")
    assert r.json() == {"seen": ["b"]}
    assert "x-a" not in r.headers and "x-plain-class" not in r.headers and r.headers["x-b"] == "200"


def test_function_middleware_sync_and_async(client):
    r = client.get("/fn-stamp")
    assert r.json() == {"ok": True} and r.headers["x-stamp"] == "from-sync-fn"


def test_base_middleware_short_circuits_raises_and_excludes():
    api = BoltAPI(middleware=[Gate])

    @api.get("/guarded")
    async def guarded() -> dict:
        HANDLED.append("guarded")
        return {"in": True}

    @api.get("/open")
    async def open_() -> dict:
        return {"open": True}

    @api.get("/docs/a/b")
    async def deep() -> dict:
        return {"deep": True}

    with TestClient(api) as c:
        r = c.get("/guarded")
        assert (r.status_code, r.json(), r.headers["www-authenticate"]) == (401, {"gate": "closed"}, "Token")
        r = c.get("/guarded", headers={"x-token": "refuse"})
        assert (r.status_code, r.json(), r.headers["x-gate"]) == (403, {"detail": "refused by gate"}, "no")
        assert HANDLED == []
        assert c.get("/guarded", headers={"x-token": "ok"}).json() == {"in": True}
        assert HANDLED == ["guarded"]
        assert c.get("/open").json() == {"open": True}
        assert c.get("/docs/a/b").json() == {"deep": True}


def test_timing_middleware():
    api = BoltAPI(middleware=[TimingMiddleware])

    @api.get("/t")
    async def t(request: Request) -> dict:
        return {"id": request.state["request_id"], "start": isinstance(request.state["start_time"], float)}

    with TestClient(api) as c:
        r = c.get("/t")
        assert r.json() == {"id": r.headers["x-request-id"], "start": True}
        assert len(r.headers["x-request-id"]) == 36
        assert r.headers["x-response-time"].endswith("s") and float(r.headers["x-response-time"][:-1]) >= 0


def test_logging_middleware(caplog):
    api = BoltAPI(middleware=[LoggingMiddleware])

    @api.get("/logged")
    async def logged(q: str = "") -> dict:
        return {"q": q}

    @api.get("/health-extra")
    async def health() -> dict:
        return {}

    with TestClient(api) as c, caplog.at_level(logging.INFO, logger="django_bolt.requests"):
        c.get("/logged?q=1")
    messages = [r.getMessage() for r in caplog.records if r.name == "django_bolt.requests"]
    assert messages[0] == "Request: {'method': 'GET', 'path': '/logged', 'query': {'q': '1'}}"
    assert messages[1].startswith("Response: 200 for GET /logged (")


def test_error_handler_middleware(caplog):
    class Debugging(ErrorHandlerMiddleware):
        def __init__(self, get_response):
            super().__init__(get_response, debug=True)

    for cls, debug in ((ErrorHandlerMiddleware, False), (Debugging, True)):
        api = BoltAPI(middleware=[cls])

        @api.get("/boom")
        async def boom() -> dict:
            raise ValueError("kaboom")

        @api.get("/http")
        async def http() -> dict:
            raise HTTPException(409, "conflict")

        with TestClient(api, raise_server_exceptions=False) as c, caplog.at_level(logging.ERROR):
            r = c.get("/boom")
            assert r.status_code == 500
            if debug:
                assert "ValueError: kaboom" in r.json()["detail"]
            else:
                assert r.json() == {"detail": "Internal Server Error"}
            assert (c.get("/http").status_code, c.get("/http").json()) == (409, {"detail": "conflict"})
        assert any(r.name == "django_bolt.errors" and "kaboom" in r.getMessage() for r in caplog.records)


def test_suspending_middleware_and_handler():
    class Slow(Middleware):
        async def process_request(self, request):
            await asyncio.sleep(0.002)
            response = await self.get_response(request)
            await asyncio.sleep(0.001)
            response.headers["x-slow"] = "1"
            return response

    api = BoltAPI(middleware=[Slow])

    @api.get("/s")
    async def s() -> dict:
        await asyncio.sleep(0.001)
        return {"ok": 1}

    with TestClient(api) as c:
        r = c.get("/s")
        assert r.json() == {"ok": 1} and r.headers["x-slow"] == "1"


def test_middleware_sets_cookies_on_plain_values():
    @middleware
    async def cookie(request, call_next):
        response = await call_next(request)
        response.set_cookie("seen", "1", httponly=True)
        return response

    api = BoltAPI()

    @api.get("/c")
    @cookie
    async def c_() -> dict:
        return {"ok": True}

    with TestClient(api) as c:
        r = c.get("/c")
        assert r.json() == {"ok": True}
        assert "seen=1" in r.headers["set-cookie"] and "HttpOnly" in r.headers["set-cookie"]


def test_a_route_without_middleware_is_not_wrapped():
    api = BoltAPI(middleware=[OuterA])
    bare = BoltAPI()

    @bare.get("/bare")
    async def bare_handler() -> dict:
        return {}

    @api.get("/skipped")
    @skip_middleware("*")
    async def skipped() -> dict:
        return {}

    @api.get("/wrapped")
    async def wrapped() -> dict:
        return {}

    plans = {r.path: r.plan() for r in (*api.routes, *bare.routes)}
    # What Rust calls is the handler itself, with its own parameters: no wrapper, no request.
    assert plans["/bare"].handler is bare_handler and plans["/bare"].params == []
    assert plans["/skipped"].handler is skipped and plans["/skipped"].params == []
    assert plans["/wrapped"].handler is not wrapped
    assert [p.name for p in api.routes[1].params] == ["__bolt_mw_request__"]


def test_bad_middleware_entries_fail_at_registration():
    with pytest.raises(TypeError, match="pass class, not instance|Pass middleware classes"):
        BoltAPI(middleware=[TimingMiddleware(lambda r: r)])
    with pytest.raises(TypeError, match="function middleware"):
        BoltAPI(middleware=[lambda request, call_next: call_next(request)])
    with pytest.raises(TypeError, match="Unsupported"):
        BoltAPI(middleware=[42])
    assert isinstance(stamp, type(lambda: 0))  # @middleware made a route decorator
    assert FunctionMiddlewareSpec


def test_import_surface():
    import importlib

    import django_bolt

    mw = importlib.import_module("django_bolt.middleware")
    for name in mw.__all__:
        assert getattr(mw, name) is not None, name
    assert (mw.cors, mw.rate_limit) == (django_bolt.cors, django_bolt.rate_limit)
    # django-bolt's top-level names; `django_bolt.middleware` is the decorator there too.
    assert django_bolt.middleware is mw.middleware
    for name in ("BaseMiddleware", "Middleware", "TimingMiddleware", "DjangoMiddleware", "MiddlewareProtocol"):
        assert getattr(django_bolt, name) is getattr(mw, name)


def test_websocket_routes_are_left_alone():
    from django_bolt.testing import WebSocketTestClient

    api = BoltAPI(middleware=[OuterA])

    @api.websocket("/ws")
    async def ws(websocket: WebSocket):
        await websocket.accept()
        await websocket.send_json({"ok": True})
        await websocket.close()

    # Middleware does not run on WebSocket routes (as django-bolt): the handler is called as is.
    assert api.routes[0].plan().handler is ws

    async def go():
        async with WebSocketTestClient(api, "/ws") as client:
            return await client.receive_json()

    assert asyncio.run(asyncio.wait_for(go(), 20)) == {"ok": True}
    assert TRACE == []
