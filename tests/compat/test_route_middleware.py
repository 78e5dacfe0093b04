"""django-bolt 0.13's per-router and per-route middleware through ``TestClient`` (the server's own
path, CORS and rate limits included): ``Router(middleware=...)``, django-bolt's Rust middleware
configs (``{"type": "cors"|"rate_limit"}``, ``@middleware(cors={...})``), ``skip_middleware("cors")``
and ``skip_middleware("rate_limit")``; and ``File(max_size=...)`` and its sibling checks."""

from __future__ import annotations

from typing import Annotated

import pytest

from django_bolt import BoltAPI, Request, Router, UploadFile
from django_bolt.middleware import Middleware, middleware, skip_middleware
from django_bolt.param_functions import File, Form
from django_bolt.testing import TestClient

APP = "https://app.example.com"  # allowed by the demo's CORS_ALLOWED_ORIGINS
OTHER = "https://other.example"


def tagging(name: str) -> type:
    class Tag(Middleware):
        async def process_request(self, request):
            request.state.setdefault("order", []).append(name)
            response = await self.get_response(request)
            response.headers[f"x-{name}"] = "1"
            return response

    Tag.__name__ = f"Tag{name.title()}"
    return Tag


def test_router_middleware_order_and_scope(demo_apis):
    api = BoltAPI(middleware=[tagging("app")])
    outer = Router(prefix="/o", middleware=[tagging("outer")])
    inner = Router(prefix="/i", middleware=[tagging("inner")])

    @inner.get("/x")
    @middleware(tagging("route"))
    async def x(request: Request) -> dict:
        return {"order": request.state["order"]}

    @api.get("/plain")
    async def plain(request: Request) -> dict:
        return {"order": request.state["order"]}

    outer.include_router(inner)
    api.include_router(outer)
    with TestClient(api) as c:
        r = c.get("/o/i/x")
        assert r.json() == {"order": ["app", "outer", "inner", "route"]}
        assert {h for h in r.headers if h.startswith("x-")} >= {"x-app", "x-outer", "x-inner", "x-route"}
        # The router's middleware stays on the router's routes.
        r = c.get("/plain")
        assert r.json() == {"order": ["app"]} and "x-outer" not in r.headers


def test_router_middleware_is_checked_when_the_router_is_made():
    with pytest.raises(TypeError, match="middleware classes"):
        Router(middleware=[tagging("a")(None)])
    with pytest.raises(TypeError, match="function middleware"):
        Router(middleware=[lambda request, call_next: call_next(request)])


def test_a_router_websocket_takes_no_http_middleware(demo_apis):
    api = BoltAPI()
    router = Router(prefix="/r", middleware=[tagging("outer")])

    @router.websocket("/ws")
    async def ws(websocket) -> None:
        await websocket.accept()

    api.include_router(router)  # no TypeError: middleware is for HTTP routes
    assert [r.websocket for r in api.routes] == [True]


def test_rate_limit_configs_and_skip(demo_apis):
    api = BoltAPI(middleware=[{"type": "rate_limit", "rps": 1, "burst": 2}])

    @api.get("/limited")
    async def limited() -> dict:
        return {}

    @api.get("/route-wins")
    @middleware(rate_limit={"rps": 1000})
    async def route_wins() -> dict:
        return {}

    @api.get("/skipped")
    @skip_middleware("rate_limit")
    async def skipped() -> dict:
        return {}

    @api.get("/star")
    @skip_middleware("*")
    async def star() -> dict:
        return {}

    with TestClient(api) as c:
        assert 429 in [c.get("/limited").status_code for _ in range(5)]
        assert [c.get("/route-wins").status_code for _ in range(5)] == [200] * 5
        assert [c.get("/skipped").status_code for _ in range(5)] == [200] * 5
        assert [c.get("/star").status_code for _ in range(5)] == [200] * 5


def test_cors_configs_and_skip(demo_apis):
    api = BoltAPI()
    router = Router(prefix="/r", middleware=[{"type": "cors", "origins": [OTHER]}])

    @router.get("/from-router")
    async def from_router() -> dict:
        return {}

    @api.get("/skipped")
    @skip_middleware("cors")
    async def skipped() -> dict:
        return {}

    @api.get("/typed")
    @middleware(type="cors", origins=[OTHER], credentials=True)
    async def typed() -> dict:
        return {}

    @api.get("/project")
    async def project() -> dict:
        return {}

    api.include_router(router)

    def allow(c, path, origin):
        return c.get(path, headers={"origin": origin}).headers.get("access-control-allow-origin")

    with TestClient(api) as c:
        assert allow(c, "/project", APP) == APP
        assert allow(c, "/skipped", APP) is None
        pre = c.options("/skipped", headers={"origin": APP, "access-control-request-method": "GET"})
        assert "access-control-allow-origin" not in pre.headers
        assert allow(c, "/r/from-router", OTHER) == OTHER and allow(c, "/r/from-router", APP) is None
        r = c.get("/typed", headers={"origin": OTHER})
        assert r.headers["access-control-allow-origin"] == OTHER
        assert r.headers["access-control-allow-credentials"] == "true"


def test_unknown_or_bad_configs_fail_early():
    with pytest.raises(TypeError, match="not run by bolt"):
        middleware(type="auth")
    with pytest.raises(TypeError, match="not run by bolt"):
        middleware(compression={"level": 1})
    with pytest.raises(TypeError, match="unknown 'cors' middleware option"):
        middleware(cors={"origin": ["*"]})
    with pytest.raises(ValueError, match="origins"):
        middleware(type="cors")
    with pytest.raises(ValueError, match="rps"):
        middleware(type="rate_limit", rps=0)
    api = BoltAPI(middleware=[{"type": "auth"}])
    with pytest.raises(TypeError, match="GET /x: middleware config type 'auth'"):
        api.get("/x")


def test_middleware_skip_keyword_is_skip_middleware(demo_apis):
    api = BoltAPI(middleware=[tagging("app")])

    @api.get("/x")
    @middleware(skip=["TagApp", "cors"])
    async def x(request: Request) -> dict:
        return {"order": request.state.get("order", [])}

    with TestClient(api) as c:
        r = c.get("/x", headers={"origin": APP})
        assert r.json() == {"order": []} and "access-control-allow-origin" not in r.headers


def test_file_checks(demo_apis):
    api = BoltAPI()

    @api.post("/avatar")
    async def avatar(
        avatar: Annotated[UploadFile, File(max_size=10, min_size=2, allowed_types=["image/*"])],
        title: str = Form(""),
    ) -> dict:
        return {"size": avatar.size, "title": title}

    @api.post("/many")
    def many(docs: list[UploadFile] = File(max_files=2)) -> dict:
        return {"n": len(docs)}

    with TestClient(api) as c:
        ok = c.post("/avatar", files={"avatar": ("a.png", b"12345", "image/png")}, data={"title": "t"})
        assert ok.status_code == 200 and ok.json() == {"size": 5, "title": "t"}

        def issue(content: bytes, ctype: str) -> dict:
            r = c.post("/avatar", files={"avatar": ("a.png", content, ctype)})
            assert r.status_code == 422
            (only,) = r.json()["detail"]
            assert only["loc"] == ["body", "avatar"]
            return only

        big = issue(b"x" * 11, "image/png")
        assert big["type"] == "file_too_large" and big["ctx"] == {"max_size": 10, "actual_size": 11}
        assert issue(b"x", "image/png")["type"] == "file_too_small"
        wrong = issue(b"xyz", "text/plain")
        assert wrong["type"] == "file_invalid_content_type" and wrong["ctx"]["actual_type"] == "text/plain"
        two = [("docs", ("a", b"1")), ("docs", ("b", b"2"))]
        assert c.post("/many", files=two).json() == {"n": 2}
        r = c.post("/many", files=[*two, ("docs", ("c", b"3"))])
        assert r.status_code == 422 and r.json()["detail"][0]["type"] == "file_too_many"


def test_file_options_are_checked_when_declared():
    with pytest.raises(TypeError, match="list of MIME types"):
        File(allowed_types="image/*")
    with pytest.raises(ValueError, match="allows no file"):
        File(allowed_types=[])
    with pytest.raises(ValueError, match="max_size"):
        File(max_size=-1)
