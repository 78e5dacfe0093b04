"""Headers, cookies, constraints (Meta / markers) and Depends, as a client sees them."""

from __future__ import annotations

from functools import partial

from support import errors
from support.inproc import fetch
from support.wire import json_body

detail = partial(errors.detail, content_type=False)  # the 422's detail list (its Content-Type not checked here)


def test_headers_and_cookies_are_read_by_derived_names(app):
    resp = fetch(
        app,
        "GET",
        "/headers",
        headers=[
            ("X-Request-ID", "abc"),
            ("x-api-key", "k1"),
            ("Cookie", "theme=dark; sid=s-42"),
            ("X-Tag", "a"),
            ("X-Tag", "b"),
        ],
    )
    assert resp.status == 200
    assert resp.json() == {"x_request_id": "abc", "api_key": "k1", "session_id": "s-42", "tags": ["a", "b"]}


def test_missing_required_header_is_a_422_at_header_loc(app):
    [err] = detail(fetch(app, "GET", "/headers"))
    assert err["type"] == "missing"
    assert err["loc"] == ["header", "x-api-key"]


def test_query_constraints_pass(app):
    resp = fetch(app, "GET", "/search?q=abc&page=2&ratio=0.75&ids=1&ids=2")
    assert resp.json() == {"q": "abc", "page": 2, "ratio": 0.75, "ids": [1, 2]}


def test_every_violated_constraint_is_reported(app):
    errs = detail(fetch(app, "GET", "/search?q=A&page=0&ratio=0.3&ids=1&ids=2&ids=3&ids=4"))
    by_loc = {tuple(e["loc"]): e for e in errs}
    assert by_loc[("query", "q")]["type"] == "string_too_short"
    assert by_loc[("query", "q")]["msg"] == "String should have at least 2 characters"
    assert by_loc[("query", "page")]["type"] == "greater_than_equal"
    assert by_loc[("query", "page")]["msg"] == "Input should be greater than or equal to 1"
    assert by_loc[("query", "page")]["input"] == "0"
    assert by_loc[("query", "ratio")]["type"] == "multiple_of"
    assert by_loc[("query", "ids")]["type"] == "too_long"


def test_pattern_and_upper_bound(app):
    errs = detail(fetch(app, "GET", "/search?q=ABC&page=101"))
    types = {e["loc"][1]: e["type"] for e in errs}
    assert types == {"q": "string_pattern_mismatch", "page": "less_than_equal"}


def test_struct_field_constraints_in_the_body(app):
    errs = detail(
        fetch(
            app,
            "POST",
            "/products",
            headers=[("Content-Type", "application/json")],
            body=json_body({"name": "", "price": 0, "qty": 5000}),
        )
    )
    by_loc = {tuple(e["loc"]): e["type"] for e in errs}
    assert by_loc == {
        ("body", "name"): "string_too_short",
        ("body", "price"): "greater_than",
        ("body", "qty"): "less_than_equal",
    }


def test_struct_constraints_pass(app):
    resp = fetch(
        app,
        "POST",
        "/products",
        headers=[("Content-Type", "application/json")],
        body=json_body({"name": "pen", "price": 2.5}),
    )
    assert resp.json() == {"name": "pen", "price": 2.5, "qty": 1}


def test_async_dependency_chain_is_resolved_and_cached(app):
    resp = fetch(app, "GET", "/me?verbose=true", headers=[("Authorization", "Bearer ada")])
    assert resp.status == 200
    body = resp.json()
    assert body["user"] == "ada" and body["greeting"] == "hi" and body["verbose"] is True
    again = fetch(app, "GET", "/me", headers=[("Authorization", "Bearer ada")]).json()
    # app_settings is used twice per request (by current_user and by the handler) but runs once.
    assert again["settings_calls"] == body["settings_calls"] + 1


def test_dependency_raising_http_exception(app):
    resp = fetch(app, "GET", "/me")
    assert resp.status == 401
    assert resp.json() == {"detail": "missing token"}
    assert resp.header("www-authenticate") == "Bearer"


def test_sync_handler_with_async_dependency_and_request(app):
    resp = fetch(app, "GET", "/me/sync", headers=[("Authorization", "Bearer bob")])
    assert resp.json() == {"user": "bob", "path": "/me/sync"}


def test_dependency_parameters_are_validated_like_the_handlers(app):
    [err] = detail(fetch(app, "GET", "/me?verbose=perhaps", headers=[("Authorization", "Bearer x")]))
    assert err["loc"] == ["query", "verbose"] and err["type"] == "bool_parsing"


def test_embedded_bodies(app):
    resp = fetch(
        app,
        "POST",
        "/items/with-owner",
        headers=[("Content-Type", "application/json")],
        body=json_body({"item": {"name": "pen", "price": 1.5}, "owner": {"name": "Ada", "email": "a@x.io"}}),
    )
    assert resp.status == 200
    assert resp.json() == {
        "item": {"name": "pen", "price": 1.5, "tags": []},
        "owner": {"name": "Ada", "email": "a@x.io"},
        "note": "",
    }


def test_embedded_body_errors_carry_the_key(app):
    resp = fetch(
        app,
        "POST",
        "/items/with-owner",
        headers=[("Content-Type", "application/json")],
        body=json_body({"item": {"name": "pen"}}),
    )
    assert resp.status == 422
    errs = {tuple(e["loc"]): e["type"] for e in resp.json()["detail"]}
    # Both failures at once: the item's missing price and the missing owner (note defaults to "").
    assert errs == {("body", "item", "price"): "missing", ("body", "owner"): "missing"}


# ----------------------------------------------------------------------------------------------
# Path values of every scalar kind, and constraints on Path / Header / Cookie (checked in Rust)


def test_path_values_of_every_kind_are_coerced(app):
    resp = fetch(
        app,
        "GET",
        "/claims/path-types/12345678-1234-5678-1234-567812345678/2024-01-02/03:04:05/1.50/dark/a/0.5/true?at=10:11",
    )
    assert resp.status == 200, resp.body
    assert resp.json() == {
        "u": "12345678-1234-5678-1234-567812345678",
        "d": "2024-01-02",
        "t": "03:04:05",
        "dec": "1.50",
        "shade": "dark",
        "mode": "a",
        "ratio": 0.5,
        "flag": True,
        "at": "10:11:00",
        "types": ["UUID", "date", "time", "Decimal", "Shade", "float", "bool"],
    }


def test_bad_path_values_are_all_reported_at_path_locs(app):
    errs = detail(fetch(app, "GET", "/claims/path-types/not-a-uuid/2024-13-02/25:00/x/grey/c/half/maybe"))
    types = {tuple(e["loc"]): e["type"] for e in errs}
    # pydantic says date_from_datetime_parsing here, bolt date_parsing (as test_params tolerates).
    assert types.pop(("path", "d")) in {"date_parsing", "date_from_datetime_parsing"}
    assert types == {
        ("path", "u"): "uuid_parsing",
        ("path", "t"): "time_parsing",
        ("path", "dec"): "decimal_parsing",
        ("path", "shade"): "enum",
        ("path", "mode"): "literal_error",
        ("path", "ratio"): "float_parsing",
        ("path", "flag"): "bool_parsing",
    }
    assert all(
        e["input"] == value
        for e, value in zip(errs, ["not-a-uuid", "2024-13-02", "25:00", "x", "grey", "c", "half", "maybe"])
    )


def test_path_constraints(app):
    assert fetch(app, "GET", "/claims/path/3/ABC").json() == {"n": 3, "code": "ABC"}
    errs = detail(fetch(app, "GET", "/claims/path/0/abcd"))
    assert [(e["type"], e["loc"], e["input"]) for e in errs] == [
        ("greater_than_equal", ["path", "n"], "0"),
        ("string_too_long", ["path", "code"], "abcd"),
    ]
    errs = detail(fetch(app, "GET", "/claims/path/11/abc"))
    assert [(e["type"], e["loc"]) for e in errs] == [
        ("less_than_equal", ["path", "n"]),
        ("string_pattern_mismatch", ["path", "code"]),
    ]


def test_header_and_cookie_constraints(app):
    ok = fetch(app, "GET", "/claims/constrained", headers=[("X-Count", "3"), ("Cookie", "token=abcdef0123")])
    assert ok.status == 200 and ok.json() == {"x_count": 3, "token": "abcdef0123"}
    errs = detail(fetch(app, "GET", "/claims/constrained", headers=[("X-Count", "9"), ("Cookie", "token=xyz")]))
    assert [(e["type"], e["loc"], e["input"]) for e in errs] == [
        ("less_than_equal", ["header", "x-count"], "9"),
        ("string_too_short", ["cookie", "token"], "xyz"),
    ]
    errs = detail(
        fetch(app, "GET", "/claims/constrained", headers=[("X-Count", "0"), ("Cookie", "token=NOT-HEX-AT-ALL")])
    )
    assert [(e["type"], e["loc"]) for e in errs] == [
        ("greater_than_equal", ["header", "x-count"]),
        ("string_pattern_mismatch", ["cookie", "token"]),
    ]


# ----------------------------------------------------------------------------------------------
# Structs and dataclasses grouping cookies, form fields and query values


def test_struct_marked_cookie_groups_cookies(app):
    resp = fetch(app, "GET", "/claims/grouped/cookies", headers=[("Cookie", "theme=dark; lang=fr; other=1")])
    assert resp.status == 200, resp.body
    assert resp.json() == {"theme": "dark", "lang": "fr", "type": "Prefs"}
    assert fetch(app, "GET", "/claims/grouped/cookies").json() == {
        "theme": "light",
        "lang": "en",
        "type": "Prefs",
    }
    errs = detail(fetch(app, "GET", "/claims/grouped/cookies", headers=[("Cookie", "theme=blue; lang=x")]))
    assert [(e["type"], e["loc"], e["input"]) for e in errs] == [
        ("literal_error", ["cookie", "theme"], "blue"),
        ("string_too_short", ["cookie", "lang"], "x"),
    ]


def test_dataclass_marked_form_groups_form_fields(app):
    form = [("Content-Type", "application/x-www-form-urlencoded")]
    resp = fetch(app, "POST", "/claims/grouped/form", headers=form, body=b"username=ada&age=36&newsletter=true")
    assert resp.status == 200, resp.body
    assert resp.json() == {"username": "ada", "age": 36, "newsletter": True, "type": "Signup"}
    errs = detail(fetch(app, "POST", "/claims/grouped/form", headers=form, body=b"username=ad&age=3"))
    assert [(e["type"], e["loc"], e["input"]) for e in errs] == [
        ("string_too_short", ["body", "username"], "ad"),
        ("greater_than_equal", ["body", "age"], "3"),
    ]


def test_dataclass_marked_query_groups_query_values(app):
    resp = fetch(app, "GET", "/claims/grouped/query-dataclass?start=2&size=6")
    assert resp.status == 200 and resp.json() == {"start": 2, "size": 6, "type": "Window"}
    assert fetch(app, "GET", "/claims/grouped/query-dataclass").json() == {
        "start": 0,
        "size": 10,
        "type": "Window",
    }
    errs = detail(fetch(app, "GET", "/claims/grouped/query-dataclass?start=-1&size=60"))
    assert [(e["type"], e["loc"]) for e in errs] == [
        ("greater_than_equal", ["query", "start"]),
        ("less_than_equal", ["query", "size"]),
    ]


# ----------------------------------------------------------------------------------------------
# A dependency that reads the request object (and a query value), used by another dependency


def test_dependency_reads_the_request(app):
    resp = fetch(
        app,
        "GET",
        "/claims/dep-request?tenant=acme&x=1",
        headers=[("User-Agent", "probe/2"), ("Cookie", "a=b; c=d")],
    )
    assert resp.status == 200, resp.body
    assert resp.json() == {
        "info": {
            "method": "GET",
            "path": "/claims/dep-request",
            "agent": "probe/2",
            "cookies": {"a": "b", "c": "d"},
            "query": {"tenant": "acme", "x": "1"},
            "tenant": "acme",
        },
        "summary": "GET /claims/dep-request for acme",
    }
    assert fetch(app, "GET", "/claims/dep-request").json()["summary"] == "GET /claims/dep-request for public"
