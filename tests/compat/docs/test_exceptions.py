"""django-bolt 0.13's exceptions reference (ref/exceptions.md) through ``TestClient``; the module
(site_moving/examples/exceptions.py) says where the examples were changed and why."""

from __future__ import annotations

import pytest

from django_bolt import BoltAPI, exceptions
from django_bolt.exceptions import RequestValidationError
from django_bolt.responses import FileResponse
from django_bolt.testing import TestClient
from support.paths import DEMO


@pytest.fixture(scope="module")
def page(example):
    return example("exceptions")


@pytest.fixture(scope="module")
def client(page):
    with TestClient(page.APIS, raise_server_exceptions=False) as c:
        yield c


def test_raising_the_4xx_classes(client):
    r = client.get("/users/0")
    assert r.status_code == 400 and r.json() == {"detail": "Invalid user ID"}
    r = client.get("/users/2000000000")
    assert r.status_code == 404 and r.json() == {"detail": "User not found"}


def test_headers_and_extra(client):
    r = client.get("/token")
    assert r.status_code == 401 and r.json() == {"detail": "Token expired"}
    assert r.headers["www-authenticate"] == "Bearer"
    r = client.post("/signup")
    assert r.status_code == 400
    assert r.json() == {
        "detail": "Validation failed",
        "extra": {"field": "email", "value": "invalid@", "suggestion": "Enter a valid email address"},
    }
    r = client.get("/teapot")
    assert r.status_code == 418 and r.json() == {"detail": "I'm a teapot", "extra": {"brew": "tea"}}
    assert r.headers["x-pot"] == "1"
    r = client.get("/default-detail")
    assert r.status_code == 409 and r.json() == {"detail": "Conflict"}


@pytest.mark.parametrize(
    ("name", "status"),
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
    ],
)
def test_the_status_of_each_class_in_the_tables(name, status):
    assert getattr(exceptions, name)().status_code == status


def test_validation_errors_on_the_wire(client):
    # The page's shapes are msgspec's (missing_field, "Object missing required field `price`");
    # bolt's are FastAPI's, on purpose (docs/compat.md, "request-validation 422 shape"): the
    # same loc, with pydantic's type and message.
    r = client.post("/items", json={"age": 3})
    assert r.status_code == 422
    [e] = r.json()["detail"]
    assert e["loc"] == ["body", "price"] and e["type"] == "missing"
    [e] = client.post("/items", json={"price": 1, "age": "old"}).json()["detail"]
    assert e["loc"] == ["body", "age"] and e["type"] == "int_parsing"
    [e] = client.post(
        "/items", content=b'{"price": 1,\n "age": }', headers={"content-type": "application/json"}
    ).json()["detail"]
    assert e["type"] == "json_invalid" and e["loc"][0] == "body"
    errors = client.post("/items", json={"age": "old"}).json()["detail"]
    assert {tuple(e["loc"]) for e in errors} == {("body", "price"), ("body", "age")}


def test_str_of_a_request_validation_error_names_each_field(page):
    # The page: str(e) == "body.email: Invalid email; body.password: Too short" (bolt's messages
    # carry pydantic's "Value error, " prefix: docs/compat.md, "request-validation 422 shape").
    with pytest.raises(RequestValidationError) as info:
        page.MySerializer(email="bad", password="short")
    e = info.value
    assert [err["loc"] for err in e.errors()] == [["body", "email"], ["body", "password"]]
    assert str(e) == "body.email: Value error, Invalid email; body.password: Value error, Too short"
    assert str(RequestValidationError([{"loc": ["query", "page"], "msg": "bad"}, "plain"])) == "query.page: bad; plain"
    assert str(RequestValidationError([])) == "Validation error"


def test_model_validate_collects_every_error(page):
    with pytest.raises(RequestValidationError) as info:
        page.UserSerializer.model_validate({"name": "X", "email": "bad", "age": 200})
    assert len(info.value.errors()) == 3
    assert [e["loc"] for e in info.value.errors()] == [["body", "name"], ["body", "email"], ["body", "age"]]
    ok = page.UserSerializer.model_validate({"name": "Ann", "email": "a@b", "age": 30})
    assert ok.name == "Ann"


def test_a_bare_file_error_is_a_500_but_a_missing_file_response_is_404(demo_apis):
    # The page's status table maps FileNotFoundError to 404; django-bolt does it for any one a
    # handler raises, with str(exc), which names the path. Here only FileResponse's own is a 404
    # (docs/compat.md, exceptions.HTTPException).
    api = BoltAPI()

    @api.get("/open")
    async def open_config():
        raise FileNotFoundError(2, "No such file or directory", "/etc/app/secret.conf")

    @api.get("/denied")
    async def denied():
        raise PermissionError(13, "Permission denied", "/etc/app/secret.conf")

    @api.get("/download")
    async def download():
        return FileResponse(str(DEMO / "files" / "no-such-file.csv"))  # under BOLT_ALLOWED_FILE_PATHS

    with TestClient(api, raise_server_exceptions=False) as client:
        for path in ("/open", "/denied"):
            r = client.get(path)
            assert r.status_code == 500 and "secret.conf" not in r.text
        r = client.get("/download")
        assert r.status_code == 404 and r.json() == {"detail": "Not Found"}
