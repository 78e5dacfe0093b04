"""Middleware over real sockets: a copy of the demo with an API behind Django's session and
authentication middleware plus bolt's ``TimingMiddleware``, a session cookie from the admin's
login form, and the headers middleware set going through Rust's CORS and compression."""

from __future__ import annotations

import gzip
import json

import pytest

from support.boltproc import BoltProcess
from support.projects import copy_demo
from support.session import logged_in
from support.wire import fetch, get

MW_API = """
from django_bolt import BoltAPI, Request
from django_bolt.middleware import BaseMiddleware, TimingMiddleware, middleware, skip_middleware
from django_bolt.responses import JSON


class Gate(BaseMiddleware):
    exclude_paths = ["/mw/open", "/mw/me", "/mw/big", "/mw/visit", "/mw/bare"]

    async def process_request(self, request):
        if request.headers.get("x-key") != "k":
            return JSON({"gate": "closed"}, status_code=401)
        return await self.get_response(request)


api = BoltAPI(
    prefix="/mw",
    middleware=[TimingMiddleware, Gate],
    django_middleware=[
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
    ],
)


@middleware
async def tag(request, call_next):
    response = await call_next(request)
    response.headers["x-tag"] = "route"
    return response


@api.get("/me")
@tag
async def me(request: Request) -> dict:
    user = await request.auser()
    return {
        "user": user.username if user.is_authenticated else None,
        "request_id": request.state["request_id"],
    }


@api.post("/visit")
def visit(request: Request) -> dict:
    request.session["visits"] = request.session.get("visits", 0) + 1
    return {"user": request.user.username, "visits": request.session["visits"]}


@api.get("/big")
async def big() -> dict:
    return {"rows": [{"id": i, "name": f"row {i}"} for i in range(300)]}


@api.get("/gated")
async def gated() -> dict:
    return {"in": True}


@api.get("/bare")
@skip_middleware("*", "SessionMiddleware", "AuthenticationMiddleware")
async def bare() -> dict:
    return {"bare": True}
"""


@pytest.fixture(scope="module")
def server(demo_db, admin_user, driver, tmp_path_factory):
    project = copy_demo(
        tmp_path_factory.mktemp("mw") / "demo",
        "staticfiles",
        settings='\nBOLT_API = ["demo.api:api", "demo.mw_api:api"]\n',
    )
    (project / "demo" / "mw_api.py").write_text(MW_API)
    proc = BoltProcess.start(cores=1, driver=driver, cwd=project)
    yield proc
    proc.stop()


def test_session_user_from_the_admin_login(server, admin_user):
    anon = get(server.port, "/mw/me")
    assert anon.status == 200 and json.loads(anon.body)["user"] is None
    b = logged_in(server, admin_user)
    cookie = [("Cookie", b.cookie_header())]
    r = get(server.port, "/mw/me", headers=cookie)
    body = json.loads(r.body)
    assert body["user"] == admin_user[0]
    # TimingMiddleware's request id is the one the handler saw, on the wire; the route's own
    # middleware header too.
    assert r.header("x-request-id") == body["request_id"]
    assert r.header("x-response-time").endswith("s")
    assert r.header("x-tag") == "route"
    first = fetch(server.port, "POST", "/mw/visit", headers=cookie)
    second = fetch(server.port, "POST", "/mw/visit", headers=cookie)
    assert json.loads(first.body)["user"] == admin_user[0]
    assert json.loads(second.body)["visits"] == json.loads(first.body)["visits"] + 1


def test_middleware_headers_survive_compression_and_cors(server):
    r = get(
        server.port,
        "/mw/big",
        headers=[("Accept-Encoding", "gzip"), ("Origin", "https://app.example.com")],
    )
    assert r.status == 200 and r.header("content-encoding") == "gzip"
    assert json.loads(gzip.decompress(r.body))["rows"][299] == {"id": 299, "name": "row 299"}
    assert len(r.header("x-request-id")) == 36
    assert r.header("access-control-allow-origin") == "https://app.example.com"
    # SessionMiddleware says the answer depends on the cookie; Rust adds Accept-Encoding.
    vary = ",".join(r.header_values("vary")).lower()
    assert "cookie" in vary and "accept-encoding" in vary


def test_short_circuit_and_skip(server):
    refused = get(server.port, "/mw/gated")
    assert (refused.status, json.loads(refused.body)) == (401, {"gate": "closed"})
    # TimingMiddleware is outside the gate: its header is on the refusal too.
    assert refused.header("x-request-id") is not None
    assert json.loads(get(server.port, "/mw/gated", headers=[("x-key", "k")]).body) == {"in": True}
    bare = get(server.port, "/mw/bare")
    assert json.loads(bare.body) == {"bare": True}
    assert bare.header("x-request-id") is None and bare.header("vary") is None
