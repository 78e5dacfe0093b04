"""Responses and exceptions as django-bolt 0.13 means them, through the in-process
``TestClient`` (tests/compat/test_samecall_server.py sends the same over a real server)."""

from __future__ import annotations

import pytest
from django.http import FileResponse as DjangoFileResponse
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse, StreamingHttpResponse

from django_bolt import BoltAPI
from django_bolt import exceptions as exc
from django_bolt.responses import HTML, JSON, PlainText, Redirect, Response
from django_bolt.testing import TestClient


@pytest.fixture(scope="module")
def client(demo_apis):
    api = BoltAPI()

    @api.get("/response/{case}")
    def response(case: str):
        return {
            "dict": lambda: Response({"a": [1, 2]}),
            "none": lambda: Response(),
            "str": lambda: Response("hi"),
            "bytes": lambda: Response(b"\x00raw"),
            "text-media": lambda: Response("<svg/>", media_type="image/svg+xml"),
            "problem": lambda: Response({"title": "x"}, status_code=400, media_type="application/problem+json"),
            "number-as-text": lambda: Response(42, media_type="text/plain"),
        }[case]()

    @api.get("/returns/str")
    def returns_str() -> str:
        return "plain words"

    @api.get("/returns/bytes")
    async def returns_bytes() -> bytes:
        return b"\x89PNG"

    @api.get("/returns/tuple-str")
    def tuple_str():
        return 201, "made"

    @api.get("/negotiated", renderers=("json", "text"))
    def negotiated() -> str:
        return "words"

    @api.get("/kw/{case}")
    def keywords(case: str):
        return {
            "json": lambda: JSON(data={"d": 1}, status_code=202),
            "json-content": lambda: JSON(content={"d": 2}),
            "text": lambda: PlainText(text="t"),
            "html": lambda: HTML(html="<b>h</b>"),
        }[case]()

    @api.get("/redirect")
    def redirect():
        return Redirect("/elsewhere")

    @api.get("/redirect-class", response_class=Redirect)
    def redirect_class():
        return "/target"

    @api.get("/django/{case}")
    def django(case: str):
        if case == "plain":
            r = HttpResponse(b"body", status=418, content_type="text/x-thing")
            r["X-Extra"] = "1"
            r.set_cookie("a", "1", httponly=True)
            r.set_cookie("b", "2")
            return r
        if case == "json":
            return JsonResponse({"from": "django"}, status=201)
        if case == "redirect":
            return HttpResponseRedirect("/login/")
        if case == "stream":
            return StreamingHttpResponse(iter([b"a", b"b"]), content_type="text/csv")
        if case == "file":
            import io

            return DjangoFileResponse(io.BytesIO(b"file bytes"), filename="f.bin")
        raise AssertionError(case)

    @api.get("/cookies")
    def cookies():
        return PlainText("c").set_cookie("sid", "x", max_age=60).delete_cookie("old")

    @api.get("/raise/{name}")
    def raise_(name: str):
        raise getattr(exc, name)()

    @api.get("/raise-extra")
    def raise_extra():
        raise exc.NotFound(detail="no item", extra=["a", "b"], headers={"x-why": "gone"})

    @api.get("/raise-body")
    def raise_body():
        raise exc.HTTPException(status_code=402, detail="ignored", body={"pay": "up"})

    @api.get("/raise-positional")
    def raise_positional():
        raise exc.HTTPException(451, "Legal", {"x-h": "1"}, {"law": "x"})

    with TestClient(api, follow_redirects=False) as c:
        yield c


@pytest.mark.parametrize(
    "case, media, body",
    [
        ("dict", "application/json", b'{"a":[1,2]}'),
        ("none", "application/json", b"{}"),
        ("str", "application/json", b'"hi"'),
        ("bytes", "application/json", b"\x00raw"),
        ("text-media", "image/svg+xml", b"<svg/>"),
        ("problem", "application/problem+json", b'{"title":"x"}'),
        ("number-as-text", "text/plain", b"42"),
    ],
)
def test_response_is_json_by_default_as_in_django_bolt(client, case, media, body):
    r = client.get(f"/response/{case}")
    assert r.headers["content-type"] == media and r.content == body


def test_returned_str_and_bytes(client):
    r = client.get("/returns/str")
    assert r.headers["content-type"] == "text/plain; charset=utf-8" and r.text == "plain words"
    r = client.get("/returns/bytes")
    assert r.headers["content-type"] == "application/octet-stream" and r.content == b"\x89PNG"
    r = client.get("/returns/tuple-str")
    assert r.status_code == 201 and r.text == "made" and r.headers["content-type"].startswith("text/plain")


def test_negotiating_route_still_sends_json_when_json_is_asked(client):
    assert client.get("/negotiated", headers={"accept": "application/json"}).content == b'"words"'
    assert client.get("/negotiated", headers={"accept": "text/plain"}).content == b"words"


@pytest.mark.parametrize(
    "case, status, media, body",
    [
        ("json", 202, "application/json", b'{"d":1}'),
        ("json-content", 200, "application/json", b'{"d":2}'),
        ("text", 200, "text/plain; charset=utf-8", b"t"),
        ("html", 200, "text/html; charset=utf-8", b"<b>h</b>"),
    ],
)
def test_django_bolt_keywords_of_the_response_classes(client, case, status, media, body):
    r = client.get(f"/kw/{case}")
    assert (r.status_code, r.headers["content-type"], r.content) == (status, media, body)


def test_response_class_attributes_have_django_bolts_names():
    assert JSON(data=[1]).data == [1]
    assert PlainText("x").text == "x" and HTML("<p>").html == "<p>"
    assert Redirect("/a").url == "/a"
    with pytest.raises(TypeError):
        JSON({"a": 1}, content={"b": 2})


def test_redirect_default_is_307(client):
    assert Redirect("/x").status_code == 307
    r = client.get("/redirect")
    assert r.status_code == 307 and r.headers["location"] == "/elsewhere"
    r = client.get("/redirect-class")
    assert r.status_code == 307 and r.headers["location"] == "/target"


def test_returning_a_django_response(client):
    r = client.get("/django/plain")
    assert r.status_code == 418 and r.content == b"body"
    assert r.headers["content-type"] == "text/x-thing" and r.headers["x-extra"] == "1"
    cookies = r.headers.get_list("set-cookie")
    assert len(cookies) == 2 and cookies[0].startswith("a=1") and "HttpOnly" in cookies[0]
    r = client.get("/django/json")
    assert r.status_code == 201 and r.json() == {"from": "django"}
    r = client.get("/django/redirect")
    assert r.status_code == 302 and r.headers["location"] == "/login/"
    r = client.get("/django/stream")
    assert r.content == b"ab" and r.headers["content-type"] == "text/csv"
    r = client.get("/django/file")
    assert r.content == b"file bytes" and "f.bin" in r.headers["content-disposition"]


def test_set_and_delete_cookie_chain(client):
    cookies = client.get("/cookies").headers.get_list("set-cookie")
    assert cookies[0].startswith("sid=x") and "Max-Age=60" in cookies[0]
    assert cookies[1].startswith("old=") and "Max-Age=0" in cookies[1]


@pytest.mark.parametrize(
    "name, status",
    [
        ("BadRequest", 400),
        ("Unauthorized", 401),
        ("Forbidden", 403),
        ("NotFound", 404),
        ("MethodNotAllowed", 405),
        ("NotAcceptable", 406),
        ("Conflict", 409),
        ("Gone", 410),
        ("UnprocessableEntity", 422),
        ("TooManyRequests", 429),
        ("InternalServerError", 500),
        ("NotImplemented", 501),
        ("BadGateway", 502),
        ("ServiceUnavailable", 503),
        ("GatewayTimeout", 504),
        ("ClientException", 400),
        ("ServerException", 500),
    ],
)
def test_every_exception_class_of_django_bolt(client, name, status):
    from http import HTTPStatus

    r = client.get(f"/raise/{name}")
    assert r.status_code == status and r.json() == {"detail": HTTPStatus(status).phrase}
    cls = getattr(exc, name)
    assert issubclass(cls, exc.HTTPException) and issubclass(cls, exc.BoltException)
    base = exc.ClientException if status < 500 else exc.ServerException
    assert issubclass(cls, base)


def test_extra_body_and_positional_order(client):
    r = client.get("/raise-extra")
    assert r.status_code == 404 and r.json() == {"detail": "no item", "extra": ["a", "b"]}
    assert r.headers["x-why"] == "gone"
    r = client.get("/raise-body")
    assert r.status_code == 402 and r.json() == {"pay": "up"}
    r = client.get("/raise-positional")
    assert r.status_code == 451 and r.json() == {"detail": "Legal", "extra": {"law": "x"}}
    assert r.headers["x-h"] == "1"


def test_exception_objects_read_as_django_bolts():
    e = exc.HTTPException(404, "Item not found")
    assert str(e) == "404: Item not found" and e.args == ("404: Item not found",)
    assert (e.extra, e.body, e.headers) == (None, None, {})
    assert exc.NotFound(detail="x").status_code == 404
    # Our older positional detail still works beside django-bolt's order.
    assert exc.NotFound("gone away").detail == "gone away"
    assert exc.NotFound(410, "moved").status_code == 410
    v = exc.RequestValidationError([{"loc": ["query", "q"], "msg": "bad"}], body=b"{}")
    assert v.errors() == v.errors == [{"loc": ["query", "q"], "msg": "bad"}] and v.status_code == 422
    r = exc.ResponseValidationError(["e1"])
    assert isinstance(r, exc.ValidationException) and r.errors() == ["e1"]
    assert issubclass(exc.UnloadedRelationError, exc.SerializationError)
    assert issubclass(exc.SerializationError, ValueError)
