"""``BoltAPI(error_formatter=)`` and ``problem_details`` (RFC 9457), through the test client;
over a real server in test_server.py."""

from __future__ import annotations

import asyncio
import logging

import pytest

from django_bolt import BoltAPI, Router, rate_limit
from django_bolt.auth.authentication import JWTAuthentication
from django_bolt.auth.guards import BasePermission, IsAuthenticated
from django_bolt.error_handlers import BoltError, ProblemDetails, bolt_error_from_exception, problem_details
from django_bolt.exceptions import HTTPException, NotFound, RequestValidationError
from django_bolt.responses import JSON, PlainText
from django_bolt.testing import TestClient

PROBLEM = "application/problem+json"


@pytest.fixture(autouse=True)
def _django(demo_apis):
    """Django set up (on the demo's settings) as for the other test client tests."""


class Never(BasePermission):
    """A Python guard (runs in the endpoint wrapper) that refuses everyone."""

    def has_permission(self, request) -> bool:  # noqa: ARG002
        return False


def _api(formatter=problem_details) -> BoltAPI:
    api = BoltAPI(error_formatter=formatter)

    @api.get("/books/{book_id}")
    def book(book_id: int) -> dict:
        raise NotFound(f"no book {book_id}", headers={"x-hint": "list /books"})

    @api.get("/teapot")
    async def teapot(request) -> dict:
        await asyncio.sleep(0)
        raise HTTPException(418, {"why": "short and stout"})

    @api.get("/invalid")
    def invalid() -> dict:
        raise RequestValidationError([{"type": "missing", "loc": ["query", "q"], "msg": "Field required"}])

    @api.get("/crash")
    def crash() -> dict:
        raise ValueError("a bug with a secret path /etc/x")

    @api.get("/django404")
    def django404() -> dict:
        from django.http import Http404

        raise Http404("nope")

    @api.get("/guarded", guards=[Never()])
    def guarded() -> dict:
        return {}

    @api.get("/typed")
    def typed(n: int) -> int:
        return n

    @api.get("/fine")
    def fine() -> dict:
        return {"fine": True}

    @api.get("/limited")
    @rate_limit(0.001, burst=1)
    def limited() -> dict:
        return {}

    @api.get("/rust-guarded", auth=[JWTAuthentication(secret="s" * 32)], guards=[IsAuthenticated()])
    def rust_guarded() -> dict:
        return {}

    return api


def test_problem_details_for_http_exceptions():
    with TestClient(_api()) as client:
        resp = client.get("/books/7")
        assert resp.status_code == 404
        assert resp.headers["content-type"] == PROBLEM
        assert resp.headers["x-hint"] == "list /books"  # the exception's headers are kept
        assert resp.json() == {
            "type": "about:blank",
            "title": "Not Found",
            "status": 404,
            "detail": "no book 7",
            "instance": "/books/7",
        }
        body = client.get("/teapot").json()
        # A structured detail is the error's extra: a dict's keys are extension members.
        assert (body["status"], body["title"], body["why"]) == (418, "I'm a Teapot", "short and stout")


def test_validation_errors_raised_by_a_handler_become_problem_errors():
    with TestClient(_api()) as client:
        resp = client.get("/invalid")
        assert (resp.status_code, resp.headers["content-type"]) == (422, PROBLEM)
        assert resp.json()["title"] == "Unprocessable Content"
        assert resp.json()["errors"] == [{"type": "missing", "loc": ["query", "q"], "msg": "Field required"}]


def test_unhandled_exceptions_are_logged_then_formatted_without_leaking(caplog):
    with TestClient(_api(), raise_server_exceptions=False) as client:
        with caplog.at_level(logging.ERROR, logger="django.request"):
            resp = client.get("/crash")
    assert resp.status_code == 500
    assert resp.json()["detail"] == "Internal Server Error"
    assert b"secret" not in resp.content
    assert any("Internal Server Error: GET /crash" in r.getMessage() for r in caplog.records)


def test_django_exceptions_and_python_guards_are_formatted():
    with TestClient(_api()) as client:
        resp = client.get("/django404")
        assert (resp.status_code, resp.headers["content-type"]) == (404, PROBLEM)
        resp = client.get("/guarded")
        assert resp.status_code in (401, 403)
        assert resp.headers["content-type"] == PROBLEM


def test_errors_rust_answers_before_the_handler_are_formatted_too():
    with TestClient(_api()) as client:
        assert client.get("/fine").json() == {"fine": True}
        # A parameter that fails validation (checked in Rust): FastAPI's list becomes "errors".
        resp = client.get("/typed?n=x")
        assert (resp.status_code, resp.headers["content-type"]) == (422, PROBLEM)
        body = resp.json()
        assert (body["detail"], body["instance"]) == ("Request validation failed", "/typed")
        assert body["errors"][0]["loc"] == ["query", "n"]
        assert body["errors"][0]["type"] == "int_parsing"
        resp = client.get("/limited")
        resp = client.get("/limited")
        assert (resp.status_code, resp.headers["content-type"]) == (429, PROBLEM)
        assert resp.headers["retry-after"]  # the error's own headers are kept
        assert resp.json()["title"] == "Too Many Requests"
        resp = client.get("/rust-guarded")  # IsAuthenticated with JWT: refused in Rust
        assert (resp.status_code, resp.headers["content-type"]) == (401, PROBLEM)
        assert resp.headers["www-authenticate"].startswith("Bearer")
        # No route, no API: an unknown path keeps the default body.
        assert client.get("/nowhere").json() == {"detail": "Not Found"}


def test_without_a_formatter_rust_made_errors_keep_the_default():
    api = BoltAPI()
    api.get("/typed")(lambda n: n)
    with TestClient(api) as client:
        resp = client.get("/typed")
    assert resp.headers["content-type"] == "application/json"
    assert resp.json()["detail"][0]["type"] == "missing"


def test_a_custom_formatter_gets_the_error_and_the_request():
    seen: list = []

    def formatter(error: BoltError, request) -> JSON:
        seen.append((error.status, error.kind, error.detail, request.path, type(error.exception).__name__))
        return JSON({"error": {"code": error.kind, "message": error.detail}}, status_code=error.status)

    with TestClient(_api(formatter)) as client:
        assert client.get("/books/1").json() == {"error": {"code": "not_found", "message": "no book 1"}}
    assert seen == [(404, "not_found", "no book 1", "/books/1", "NotFound")]


def test_a_failing_formatter_falls_back_to_the_default_body(caplog):
    def broken(error, request):
        raise RuntimeError("formatter bug")

    def wrong_status(error, request):
        return PlainText("fine", status_code=200)

    for formatter in (broken, wrong_status):
        with TestClient(_api(formatter)) as client, caplog.at_level(logging.ERROR, logger="django_bolt"):
            resp = client.get("/books/2")
        assert resp.json() == {"detail": "no book 2"}
        assert "error_formatter failed" in caplog.text


def test_formatter_applies_to_included_routers_and_mounted_apis():
    router = Router(prefix="/r")
    router.get("/x")(lambda: (_ for _ in ()).throw(NotFound("x")))
    child = BoltAPI(error_formatter=problem_details)
    child.get("/y")(lambda: (_ for _ in ()).throw(NotFound("y")))
    parent = BoltAPI()
    parent.get("/own")(lambda: (_ for _ in ()).throw(NotFound("own")))
    parent.include_router(router)
    parent.mount("/c", child)
    assert parent.error_formatter is problem_details
    with TestClient(parent) as client:
        for path in ("/own", "/r/x", "/c/y"):
            assert client.get(path).headers["content-type"] == PROBLEM, path


def test_async_formatters_and_non_callables_are_refused():
    async def formatter(error, request): ...

    with pytest.raises(TypeError, match="sync callable"):
        BoltAPI(error_formatter=formatter)
    with pytest.raises(TypeError, match="must be callable"):
        BoltAPI(error_formatter="problem_details")


def test_bolt_error_and_problem_details_shapes():
    error = bolt_error_from_exception(HTTPException(409, "taken"))
    assert (error.status, error.kind, error.detail) == (409, "conflict", "taken")
    assert bolt_error_from_exception(KeyError("k")).kind == "internal_error"
    assert set(ProblemDetails.__annotations__) >= {"type", "title", "status", "detail", "instance", "errors"}
    assert problem_details.__bolt_error_schema__ == (ProblemDetails, PROBLEM)


def test_the_default_stays_fastapis_422():
    api = BoltAPI()

    @api.get("/invalid")
    def invalid() -> dict:
        raise RequestValidationError([{"type": "missing", "loc": ["query", "q"], "msg": "Field required"}])

    with TestClient(api) as client:
        resp = client.get("/invalid")
    assert resp.headers["content-type"] == "application/json"
    assert resp.json() == {"detail": [{"type": "missing", "loc": ["query", "q"], "msg": "Field required"}]}
