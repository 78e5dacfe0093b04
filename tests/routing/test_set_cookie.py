"""Cookies a response sets (``set_cookie``/``delete_cookie`` on every response class): one
``Set-Cookie`` field per cookie on the wire, every attribute written, bad cookies refused when
set; and ``django_bolt.Cookie`` is the response cookie, as in django-bolt."""

from __future__ import annotations

import datetime as dt

import pytest

from django_bolt import HTML, JSON, BoltAPI, Cookie, PlainText, Redirect, Response
from django_bolt.params import SignatureError
from support.wire import fetch

SID = "sid=abc123; Max-Age=3600; Path=/; Secure; HttpOnly; SameSite=Strict"
THEME = 'theme="dark mode"; Path=/app; Secure; SameSite=None; Partitioned'
OLD = 'old=""; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/'


def test_each_cookie_is_its_own_set_cookie_field_on_the_wire(server):
    resp = fetch(server.port, "GET", "/cookies/set")
    assert resp.status == 200
    assert resp.header_values("set-cookie") == [SID, THEME, OLD]
    assert resp.json() == {"ok": True}


def test_the_test_client_gets_the_same_fields(app):
    r = app.get("/cookies/set")
    assert r.headers.get_list("set-cookie") == [SID, THEME, OLD]


@pytest.mark.parametrize(
    "response",
    [Response(b"x"), JSON({}), PlainText("t"), HTML("<p>"), Redirect("/elsewhere")],
    ids=lambda r: type(r).__name__,
)
def test_every_response_class_sets_and_deletes_cookies(response):
    assert response.set_cookie("a", "1").delete_cookie("b", path="/p", domain="example.com") is response
    assert response.cookies == [
        "a=1; Path=/; SameSite=Lax",
        'b=""; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/p; Domain=example.com',
    ]


def test_expires_is_an_http_date_and_naive_datetimes_are_utc():
    aware = dt.datetime(2030, 1, 2, 4, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    naive = dt.datetime(2030, 1, 2, 3, 4, 5)
    for when in (aware, naive):
        value = Cookie("c", "v", expires=when, samesite=False).to_header_value()
        assert value == "c=v; Expires=Wed, 02 Jan 2030 03:04:05 GMT; Path=/"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"name": "bad name"},
        {"name": "semi;colon"},
        {"name": "ok", "samesite": "sometimes"},
        {"name": "ok", "path": "/a;b"},
        {"name": "ok", "domain": "x\r\nSet-Cookie: evil=1"},
        {"name": "ok", "max_age": "60"},
    ],
)
def test_a_bad_cookie_is_refused_when_set(kwargs):
    name = kwargs.pop("name")
    with pytest.raises(ValueError):
        JSON({}).set_cookie(name, "v", **kwargs)


def test_the_response_cookie_is_not_a_parameter_marker():
    api = BoltAPI()
    with pytest.raises(SignatureError, match="django_bolt.param_functions.Cookie"):

        @api.get("/x")
        def x(sid: str = Cookie(None)) -> dict:  # type: ignore[arg-type]
            return {}


def test_param_functions_is_the_marker_import_path():
    from django_bolt import params
    from django_bolt.param_functions import Body, Cookie, Depends, File, Form, Header, Path, Query

    assert (Cookie, Query, Path, Body, Header, Form, File, Depends) == (
        params.Cookie,
        params.Query,
        params.Path,
        params.Body,
        params.Header,
        params.Form,
        params.File,
        params.Depends,
    )
