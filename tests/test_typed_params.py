"""Headers, cookies, constraints (Meta / markers) and Depends, as a client sees them."""

from __future__ import annotations

from wire import fetch, json_body


def detail(resp):
    assert resp.status == 422, resp.body
    return resp.json()["detail"]


def test_headers_and_cookies_are_read_by_derived_names(server):
    resp = fetch(server.port, "GET", "/headers", headers=[
        ("X-Request-ID", "abc"), ("x-api-key", "k1"), ("Cookie", "theme=dark; sid=s-42"),
        ("X-Tag", "a"), ("X-Tag", "b")])
    assert resp.status == 200
    assert resp.json() == {"x_request_id": "abc", "api_key": "k1", "session_id": "s-42", "tags": ["a", "b"]}


def test_missing_required_header_is_a_422_at_header_loc(server):
    [err] = detail(fetch(server.port, "GET", "/headers"))
    assert err["type"] == "missing"
    assert err["loc"] == ["header", "x-api-key"]


def test_query_constraints_pass(server):
    resp = fetch(server.port, "GET", "/search?q=abc&page=2&ratio=0.75&ids=1&ids=2")
    assert resp.json() == {"q": "abc", "page": 2, "ratio": 0.75, "ids": [1, 2]}


def test_every_violated_constraint_is_reported(server):
    errs = detail(fetch(server.port, "GET", "/search?q=A&page=0&ratio=0.3&ids=1&ids=2&ids=3&ids=4"))
    by_loc = {tuple(e["loc"]): e for e in errs}
    assert by_loc[("query", "q")]["type"] == "string_too_short"
    assert by_loc[("query", "q")]["msg"] == "String should have at least 2 characters"
    assert by_loc[("query", "page")]["type"] == "greater_than_equal"
    assert by_loc[("query", "page")]["msg"] == "Input should be greater than or equal to 1"
    assert by_loc[("query", "page")]["input"] == "0"
    assert by_loc[("query", "ratio")]["type"] == "multiple_of"
    assert by_loc[("query", "ids")]["type"] == "too_long"


def test_pattern_and_upper_bound(server):
    errs = detail(fetch(server.port, "GET", "/search?q=ABC&page=101"))
    types = {e["loc"][1]: e["type"] for e in errs}
    assert types == {"q": "string_pattern_mismatch", "page": "less_than_equal"}


def test_struct_field_constraints_in_the_body(server):
    errs = detail(fetch(server.port, "POST", "/products", headers=[("Content-Type", "application/json")],
                        body=json_body({"name": "", "price": 0, "qty": 5000})))
    by_loc = {tuple(e["loc"]): e["type"] for e in errs}
    assert by_loc == {("body", "name"): "string_too_short", ("body", "price"): "greater_than",
                      ("body", "qty"): "less_than_equal"}


def test_struct_constraints_pass(server):
    resp = fetch(server.port, "POST", "/products", headers=[("Content-Type", "application/json")],
                 body=json_body({"name": "pen", "price": 2.5}))
    assert resp.json() == {"name": "pen", "price": 2.5, "qty": 1}


def test_async_dependency_chain_is_resolved_and_cached(server):
    resp = fetch(server.port, "GET", "/me?verbose=true", headers=[("Authorization", "Bearer ada")])
    assert resp.status == 200
    body = resp.json()
    assert body["user"] == "ada" and body["greeting"] == "hi" and body["verbose"] is True
    again = fetch(server.port, "GET", "/me", headers=[("Authorization", "Bearer ada")]).json()
    # app_settings is used twice per request (by current_user and by the handler) but runs once.
    assert again["settings_calls"] == body["settings_calls"] + 1


def test_dependency_raising_http_exception(server):
    resp = fetch(server.port, "GET", "/me")
    assert resp.status == 401
    assert resp.json() == {"detail": "missing token"}
    assert resp.header("www-authenticate") == "Bearer"


def test_sync_handler_with_async_dependency_and_request(server):
    resp = fetch(server.port, "GET", "/me/sync", headers=[("Authorization", "Bearer bob")])
    assert resp.json() == {"user": "bob", "path": "/me/sync"}


def test_dependency_parameters_are_validated_like_the_handlers(server):
    [err] = detail(fetch(server.port, "GET", "/me?verbose=perhaps", headers=[("Authorization", "Bearer x")]))
    assert err["loc"] == ["query", "verbose"] and err["type"] == "bool_parsing"


def test_embedded_bodies(server):
    resp = fetch(server.port, "POST", "/items/with-owner", headers=[("Content-Type", "application/json")],
                 body=json_body({"item": {"name": "pen", "price": 1.5}, "owner": {"name": "Ada", "email": "a@x.io"}}))
    assert resp.status == 200
    assert resp.json() == {"item": {"name": "pen", "price": 1.5, "tags": []},
                           "owner": {"name": "Ada", "email": "a@x.io"}, "note": ""}


def test_embedded_body_errors_carry_the_key(server):
    resp = fetch(server.port, "POST", "/items/with-owner", headers=[("Content-Type", "application/json")],
                 body=json_body({"item": {"name": "pen"}}))
    assert resp.status == 422
    locs = [e["loc"] for e in resp.json()["detail"]]
    assert ["body", "item", "price"] in locs or ["body", "owner"] in locs
