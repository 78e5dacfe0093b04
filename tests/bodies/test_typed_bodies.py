"""Typed JSON bodies and responses on the demo's /typed routes, as a client sees them.

Request bodies decode into Structs, dataclasses and TypedDicts; a body that does not fit is a
422 ``{"detail": [...]}`` listing every failing field with ``loc`` prefixed by ``"body"``;
responses go through ``response_model=`` or the return annotation.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from support.boltproc import BoltProcess
from support.errors import assert_errors, detail, err
from support.inproc import fetch
from support.wire import JSON, json_body

UID = "12345678-1234-5678-1234-567812345678"


def post(port: int, path: str, body, headers=JSON):
    data = body if isinstance(body, bytes) else json_body(body)
    return fetch(port, "POST", path, headers=headers, body=data)


FULL_ORDER = {
    "orderId": UID,
    "customerName": "Ada",
    "total": "10.50",
    "placedAt": "2024-01-02T03:04:05Z",
    "shipOn": "2024-01-03",
    "window": "P1DT2H",
    "size": "l",
    "priority": 2,
    "status": "paid",
    "lines": [{"sku": "ABC-1", "qty": 2}, {"sku": "XYZ-99", "qty": "1000"}],
    "labels": ["gift", "gift", "fragile"],
    "location": [1.5, -2],
    "counts": {"a": 1, "b": "2"},
    "signature": "aGVsbG8=",
    "owner": {"id": 7, "name": "Owner"},
}


# ---- /typed/orders: every field kind, camelCase names


def test_full_valid_order_round_trips(app):
    resp = post(app, "/typed/orders", FULL_ORDER)
    assert resp.status == 200, resp.body
    assert resp.content_type == "application/json"
    got = resp.json()
    assert list(got) == [
        "orderId",
        "customerName",
        "total",
        "placedAt",
        "shipOn",
        "window",
        "size",
        "priority",
        "status",
        "lines",
        "labels",
        "location",
        "counts",
        "signature",
        "owner",
    ]
    assert dt.datetime.fromisoformat(got.pop("placedAt")) == dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    assert sorted(got.pop("labels")) == ["fragile", "gift"]  # a set: duplicates gone
    assert got == {
        "orderId": UID,
        "customerName": "Ada",
        "total": "10.50",  # Decimal keeps its digits, as a string
        "shipOn": "2024-01-03",
        "window": "P1DT2H",
        "size": "l",
        "priority": 2,
        "status": "paid",
        "lines": [{"sku": "ABC-1", "qty": 2}, {"sku": "XYZ-99", "qty": 1000}],  # "1000" -> 1000
        "location": [1.5, -2.0],
        "counts": {"a": 1, "b": 2},
        "signature": "aGVsbG8=",
        "owner": {"id": 7, "name": "Owner"},
    }


def test_minimal_order_gets_every_default(app):
    resp = post(
        app,
        "/typed/orders",
        {"orderId": UID, "customerName": "A", "total": 0, "placedAt": "2024-01-02T03:04:05"},
    )
    assert resp.status == 200, resp.body
    got = resp.json()
    assert got == {
        "orderId": UID,
        "customerName": "A",
        "total": "0",
        "placedAt": "2024-01-02T03:04:05",
        "shipOn": None,
        "window": "PT1H",
        "size": "s",
        "priority": 1,
        "status": "new",
        "lines": [],
        "labels": [],
        "location": None,
        "counts": {},
        "signature": "",
        "owner": None,
    }


def test_invalid_order_lists_every_failing_field(app):
    body = {
        "orderId": "not-a-uuid",
        "customerName": "",
        "total": -1,
        "placedAt": "yesterday",
        "window": "soon",
        "size": "m",
        "priority": 5,
        "status": "void",
        "lines": [{"sku": "abc", "qty": 0}, {"qty": "x"}, "ABC-1"],
        "labels": "gift",
        "location": [1],
        "counts": {"a": "many"},
        "signature": "%%%",
        "owner": {"id": 1, "name": "o", "extra": True},
    }
    assert_errors(
        detail(post(app, "/typed/orders", body)),
        [
            err("uuid_parsing", ["body", "orderId"], "Input should be a valid UUID", "not-a-uuid"),
            err("string_too_short", ["body", "customerName"], "String should have at least 1 character", ""),
            err("greater_than_equal", ["body", "total"], "Input should be greater than or equal to 0", -1),
            err("datetime_parsing", ["body", "placedAt"], "Input should be a valid datetime", "yesterday"),
            err("time_delta_parsing", ["body", "window"], "Input should be a valid timedelta", "soon"),
            err("enum", ["body", "size"], "Input should be 's' or 'l'", "m"),
            err("enum", ["body", "priority"], "Input should be 1 or 2", 5),
            err("literal_error", ["body", "status"], "Input should be 'new' or 'paid'", "void"),
            err(
                "string_pattern_mismatch",
                ["body", "lines", 0, "sku"],
                "String should match pattern '^[A-Z]{3}-\\d+$'",
                "abc",
            ),
            err("greater_than_equal", ["body", "lines", 0, "qty"], "Input should be greater than or equal to 1", 0),
            err(
                "int_parsing",
                ["body", "lines", 1, "qty"],
                "Input should be a valid integer, unable to parse string as an integer",
                "x",
            ),
            err("missing", ["body", "lines", 1, "sku"], "Field required", {"qty": "x"}),
            err(
                "model_attributes_type",
                ["body", "lines", 2],
                "Input should be a valid dictionary or object to extract fields from",
                "ABC-1",
            ),
            err("set_type", ["body", "labels"], "Input should be a valid set", "gift"),
            err("too_short", ["body", "location"], "Tuple should have at least 2 items after validation, not 1", [1]),
            err(
                "int_parsing",
                ["body", "counts", "a"],
                "Input should be a valid integer, unable to parse string as an integer",
                "many",
            ),
            err("bytes_invalid_encoding", ["body", "signature"], "Data should be valid base64", "%%%"),
            err("extra_forbidden", ["body", "owner", "extra"], "Extra inputs are not permitted", True),
        ],
    )


def test_order_with_snake_case_keys_misses_the_camel_case_fields(app):
    body = {"order_id": UID, "customer_name": "A", "total": 1, "placed_at": "2024-01-02T03:04:05"}
    assert detail(post(app, "/typed/orders", body)) == [
        err("missing", ["body", name], "Field required", body)
        for name in ("orderId", "customerName", "placedAt")  # "total" is the same in camelCase
    ]


def test_order_body_that_is_not_an_object(app):
    assert detail(post(app, "/typed/orders", [1, 2])) == [
        err(
            "model_attributes_type",
            ["body"],
            "Input should be a valid dictionary or object to extract fields from",
            [1, 2],
        )
    ]


def test_empty_body_is_a_missing_body(app):
    [e] = detail(post(app, "/typed/orders", b""))
    assert e["type"] == "missing" and e["loc"] == ["body"]


def test_large_valid_body(app):
    lines = [{"sku": f"ABC-{i}", "qty": 1 + i % 1000} for i in range(20_000)]
    resp = post(app, "/typed/orders", {**FULL_ORDER, "lines": lines})
    assert resp.status == 200
    assert resp.json()["lines"] == lines


# ---- /typed/pets: tagged union


def test_tagged_union_pets(app):
    resp = post(
        app,
        "/typed/pets",
        [{"kind": "cat", "name": "Tom"}, {"kind": "dog", "name": "Rex", "good": False}, {"name": "Kit", "kind": "cat"}],
    )
    assert resp.status == 200
    assert resp.json() == {"cats": ["Tom", "Kit"], "dogs": ["Rex"]}
    assert post(app, "/typed/pets", []).json() == {"cats": [], "dogs": []}


def test_tagged_union_pet_errors(app):
    body = [{"kind": "cow", "name": "Tom"}, {"name": "Rex"}, {"kind": "cat"}, {"kind": "dog", "name": 3}, 7]
    assert_errors(
        detail(post(app, "/typed/pets", body)),
        [
            err(
                "union_tag_invalid",
                ["body", 0],
                "Input tag 'cow' found using 'kind' does not match any of the expected tags: 'cat', 'dog'",
                {"kind": "cow", "name": "Tom"},
            ),
            err(
                "union_tag_not_found", ["body", 1], "Unable to extract tag using discriminator 'kind'", {"name": "Rex"}
            ),
            err("missing", ["body", 2, "cat", "name"], "Field required", {"kind": "cat"}),
            err("string_type", ["body", 3, "dog", "name"], "Input should be a valid string", 3),
            err(
                "model_attributes_type",
                ["body", 4],
                "Input should be a valid dictionary or object to extract fields from",
                7,
            ),
        ],
    )


def test_pets_body_that_is_not_a_list(app):
    assert detail(post(app, "/typed/pets", {"kind": "cat", "name": "Tom"})) == [
        err("list_type", ["body"], "Input should be a valid list", {"kind": "cat", "name": "Tom"})
    ]


# ---- /typed/ranges: kw_only Struct with __post_init__


def test_post_init_passes(app):
    resp = post(app, "/typed/ranges", {"low": 1, "high": 3})
    assert resp.status == 200 and resp.json() == {"span": 2}


def test_post_init_value_error_is_a_422(app):
    [e] = detail(post(app, "/typed/ranges", {"low": 3, "high": 1}))
    assert (e["type"], e["loc"], e["msg"]) == ("value_error", ["body"], "Value error, low must not exceed high")


def test_post_init_value_error_echoes_the_body_as_input(app):
    # FastAPI/pydantic put the object whose validator failed in "input".
    assert detail(post(app, "/typed/ranges", {"low": 3, "high": 1})) == [
        err("value_error", ["body"], "Value error, low must not exceed high", {"low": 3, "high": 1})
    ]


def test_post_init_does_not_run_when_fields_fail(app):
    assert detail(post(app, "/typed/ranges", {"low": "x"})) == [
        err(
            "int_parsing", ["body", "low"], "Input should be a valid integer, unable to parse string as an integer", "x"
        ),
        err("missing", ["body", "high"], "Field required", {"low": "x"}),
    ]


# ---- /typed/settings: TypedDict total=False


@pytest.mark.parametrize("body", [{}, {"theme": "dark"}, {"page_size": 20}, {"theme": "light", "page_size": 5}])
def test_typeddict_body_round_trips(app, body):
    resp = post(app, "/typed/settings", body)
    assert resp.status == 200
    assert resp.json() == body


def test_typeddict_body_lax_and_unknown_keys(app):
    resp = post(app, "/typed/settings", {"page_size": "20", "unknown": 1})
    assert resp.status == 200
    assert resp.json() == {"page_size": 20}


def test_typeddict_body_errors(app):
    assert detail(post(app, "/typed/settings", {"theme": "blue", "page_size": "x"})) == [
        err("literal_error", ["body", "theme"], "Input should be 'light' or 'dark'", "blue"),
        err(
            "int_parsing",
            ["body", "page_size"],
            "Input should be a valid integer, unable to parse string as an integer",
            "x",
        ),
    ]


# ---- /typed/points: embedded dataclass body and embedded scalar with a constraint


def test_embedded_dataclass_and_scalar(app):
    resp = post(app, "/typed/points", {"point": {"x": 1, "y": "2", "tags": ["a"]}, "scale": 2})
    assert resp.status == 200
    assert resp.json() == {"x": 2.0, "y": 4.0, "tags": ["a"]}


def test_embedded_scalar_default(app):
    resp = post(app, "/typed/points", {"point": {"x": 1, "y": 2}})
    assert resp.status == 200
    assert resp.json() == {"x": 1.0, "y": 2.0, "tags": []}


def test_embedded_errors_carry_the_key(app):
    assert_errors(
        detail(post(app, "/typed/points", {"point": {"x": "a", "tags": [1]}, "scale": 0})),
        [
            err(
                "float_parsing",
                ["body", "point", "x"],
                "Input should be a valid number, unable to parse string as a number",
                "a",
            ),
            err("missing", ["body", "point", "y"], "Field required", {"x": "a", "tags": [1]}),
            err("string_type", ["body", "point", "tags", 0], "Input should be a valid string", 1),
            err("greater_than", ["body", "scale"], "Input should be greater than 0", 0),
        ],
    )


def test_embedded_body_missing_key(app):
    [e] = detail(post(app, "/typed/points", {"scale": 2}))
    assert e["type"] == "missing" and e["loc"] == ["body", "point"]


# ---- responses


def test_response_model_over_orm_objects_keeps_only_declared_fields(app):
    resp = fetch(app, "GET", "/typed/people")
    assert resp.status == 200
    assert resp.content_type == "application/json"
    people = resp.json()
    assert len(people) == 3
    for p in people:
        assert list(p) == ["id", "name", "email"]
        assert isinstance(p["id"], int) and isinstance(p["name"], str) and isinstance(p["email"], str)


def test_return_annotation_filters_dicts(app):
    resp = fetch(app, "GET", "/typed/people/dicts")
    assert resp.status == 200
    assert resp.json() == [{"id": 1, "name": "a", "email": "a@example.com"}]


def test_response_that_does_not_fit_is_a_500_and_the_server_keeps_serving(app):
    resp = fetch(app, "GET", "/typed/broken")
    assert resp.status == 500
    assert resp.json() == {"detail": "Internal Server Error"}
    assert b"two" not in resp.body  # nothing of the bad value leaks to the client
    again = fetch(app, "GET", "/typed/people/dicts")
    assert again.status == 200
    assert fetch(app, "GET", "/typed/broken").status == 500
    assert fetch(app, "GET", "/typed/people").status == 200


def test_response_model_none_passes_the_value_through(app):
    resp = fetch(app, "GET", "/typed/unchecked")
    assert resp.status == 200
    assert resp.json() == [{"anything": "goes"}]


# ---- malformed JSON, content type


@pytest.mark.parametrize(
    ("body", "pos"),
    [
        (b'{"orderId": ', 12),
        (b'{"orderId": "x" "y"}', 16),
        (b"{'orderId': 1}", 1),
        (b'{"a": 1} trailing', 9),
        (b'{\n  "orderId": 1,\n  "total": }', 29),
        (b'{"a":1}\n\n  x', 11),
    ],
)
def test_malformed_json_is_json_invalid_at_the_byte_position(app, body, pos):
    with pytest.raises(json.JSONDecodeError) as ref:  # the position FastAPI reports
        json.loads(body)
    assert ref.value.pos == pos
    [e] = detail(post(app, "/typed/orders", body))
    assert e["type"] == "json_invalid"
    assert e["loc"] == ["body", pos], body
    assert e["msg"].startswith("JSON decode error")


@pytest.mark.parametrize("ctype", ["text/plain", "application/x-www-form-urlencoded", "application/xml"])
def test_wrong_content_type_is_415(app, ctype):
    resp = post(app, "/typed/orders", FULL_ORDER, headers=[("Content-Type", ctype)])
    assert resp.status == 415
    assert resp.json() == {"detail": "Unsupported Media Type: expected application/json"}


@pytest.mark.parametrize("ctype", ["application/json; charset=utf-8", "APPLICATION/JSON", "application/vnd.api+json"])
def test_json_content_types_are_accepted(server, ctype):
    resp = post(server.port, "/typed/orders", FULL_ORDER, headers=[("Content-Type", ctype)])
    assert resp.status == 200, resp.body


# ---- hostile bodies: never take the server down


@pytest.fixture(scope="module")
def _own_servers(demo_db, driver):
    started: list[BoltProcess] = []
    yield started, driver
    for srv in started:
        if srv.is_alive():
            srv.stop()


@pytest.fixture
def own_server(_own_servers):
    """A server of our own, started again if an earlier case killed it: a crash here must not take
    the shared server (and every later test) down, nor hide the next case's result."""
    started, driver = _own_servers
    if not started or not started[-1].is_alive():
        started.append(BoltProcess.start(cores=1, driver=driver))
    return started[-1]


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("arrays-20k", b"[" * 20_000 + b"]" * 20_000),
        ("arrays-100k", b"[" * 100_000 + b"]" * 100_000),
        ("objects-100k", b'{"a":' * 100_000 + b"1" + b"}" * 100_000),
        ("unclosed-200k", b"[" * 200_000),
        ("in-a-field-100k", b'[{"kind":"cat","name":' + b"[" * 100_000 + b"]" * 100_000 + b"}]"),
    ],
)
def test_deeply_nested_body_does_not_crash_the_server(own_server, name, body):
    try:
        resp = post(own_server.port, "/typed/pets", body)
        status = resp.status
    except (AssertionError, OSError) as e:  # connection closed or reset: the process died
        status = f"no response ({e})"
    code = own_server.wait_exit(1.0)  # a crash closes the socket a moment before the exit is seen
    assert code is None, f"{name} killed the server (exit {code}), response: {status}"
    assert status in (400, 413, 422), status
    follow = fetch(own_server.port, "GET", "/typed/people/dicts")
    assert follow.status == 200


# ----------------------------------------------------------------------------------------------
# Structs grouping query parameters and headers; Enum/Literal values from the query string


def test_struct_marked_query_groups_query_parameters_and_header_struct_groups_headers(app):
    resp = fetch(
        app,
        "GET",
        "/typed/paging?limit=5&offset=2&order_by=age&tags=a&tags=b",
        headers=[("X-Client-Id", "c1"), ("User-Agent", "probe/1")],
    )
    assert resp.status == 200, resp.body
    assert resp.json() == {
        "limit": 5,
        "offset": 2,
        "order_by": "age",
        "tags": ["a", "b"],
        "client": "c1",
        "agent": "probe/1",
    }


def test_grouped_defaults_apply_when_the_query_is_empty(app):
    resp = fetch(app, "GET", "/typed/paging", headers=[("X-Client-Id", "c1")])
    assert resp.status == 200, resp.body
    body = resp.json()
    assert (body["limit"], body["offset"], body["order_by"], body["tags"]) == (10, 0, None, [])


def test_grouped_fields_report_every_error_at_their_own_query_and_header_locs(app):
    errs = detail(fetch(app, "GET", "/typed/paging?limit=500&offset=-1&order_by=x"))
    assert_errors(
        errs,
        [
            err("less_than_equal", ["query", "limit"], "Input should be less than or equal to 100", "500"),
            err("greater_than_equal", ["query", "offset"], "Input should be greater than or equal to 0", "-1"),
            err("literal_error", ["query", "order_by"], "Input should be 'name' or 'age'", "x"),
            err("missing", ["header", "x-client-id"], "Field required", None),
        ],
    )


def test_enum_literal_and_timedelta_query_values(app):
    resp = fetch(app, "GET", "/typed/choices?size=l&priority=2&within=PT1H30M&mode=fast")
    assert resp.status == 200, resp.body
    assert resp.json() == {"size": "l", "priority": 2, "within": "PT1H30M", "mode": "fast"}
    errs = detail(fetch(app, "GET", "/typed/choices?size=xl&priority=9&within=soon&mode=slow"))
    assert_errors(
        errs,
        [
            err("enum", ["query", "size"], "Input should be 's' or 'l'", "xl"),
            err("enum", ["query", "priority"], "Input should be 1 or 2", "9"),
            err("time_delta_parsing", ["query", "within"], "Input should be a valid timedelta", "soon"),
            err("literal_error", ["query", "mode"], "Input should be 'fast' or 'safe'", "slow"),
        ],
    )


def test_dependency_with_a_grouped_parameter(app):
    resp = fetch(app, "GET", "/typed/window?limit=20&offset=40&debug=true")
    assert resp.status == 200, resp.body
    assert resp.json() == {"from": 40, "to": 60, "debug": True}
    [e] = detail(fetch(app, "GET", "/typed/window?limit=0"))
    assert (e["type"], e["loc"]) == ("greater_than_equal", ["query", "limit"])


def test_body_type_referring_to_a_class_defined_after_the_route(app):
    resp = post(app, "/typed/boxes", {"content": {"kind": "k"}, "extras": [{"kind": "e"}]})
    assert resp.status == 200, resp.body
    assert resp.json() == {"content": {"kind": "k"}, "extras": [{"kind": "e"}]}
    [e] = detail(post(app, "/typed/boxes", {"content": {}}))
    assert (e["type"], e["loc"]) == ("missing", ["body", "content", "kind"])


# ----------------------------------------------------------------------------------------------
# What a Struct is, inside a worker's interpreter: __slots__, positional __init__, ==, repr,
# to_dict, pickling (POST /claims/struct decodes a Gadget and reports on it)


def test_struct_slots_init_eq_repr_to_dict_and_pickle(app):
    resp = post(app, "/claims/struct", {"name": "gizmo", "parts": ["a", "b"]})
    assert resp.status == 200, resp.body
    assert resp.json() == {
        "repr": "Gadget(name='gizmo', size=1, parts=['a', 'b'])",
        "to_dict": {"name": "gizmo", "size": 1, "parts": ["a", "b"]},
        "pickled_equal": True,
        "pickled_is_copy": True,
        "pickled_type": "Gadget",
        "pickled_repr": "Gadget(name='gizmo', size=1, parts=['a', 'b'])",
        "positional_equals_keywords": True,
        "differs_from_other": True,
        "has_dict": False,
        "slots": ["name", "size", "parts"],
    }


# ----------------------------------------------------------------------------------------------
# Bodies that are not records: dict, set and tuple (marked Body()), a tagged union, a list of one


def test_dict_set_tuple_and_union_bodies(app):
    assert post(app, "/claims/bodies/dict", {"a": 1, "b": "2"}).json() == {"total": 3, "type": "dict"}
    assert post(app, "/claims/bodies/set", ["b", "a", "b"]).json() == {"sorted": ["a", "b"], "type": "set"}
    assert post(app, "/claims/bodies/tuple", [1, "x"]).json() == {"pair": [1, "x"], "type": "tuple"}
    assert post(app, "/claims/bodies/union", {"kind": "dog", "name": "rex"}).json() == {
        "type": "Dog",
        "name": "rex",
    }
    assert post(
        app, "/claims/bodies/list-of-structs", [{"kind": "cat", "name": "a"}, {"kind": "dog", "name": "b"}]
    ).json() == {"types": ["Cat", "Dog"]}


def test_dict_set_tuple_and_union_body_errors(app):
    [e] = detail(post(app, "/claims/bodies/dict", {"a": "x"}))
    assert (e["type"], e["loc"]) == ("int_parsing", ["body", "a"])
    [e] = detail(post(app, "/claims/bodies/tuple", [1, "x", 3]))
    assert (e["type"], e["loc"]) == ("too_long", ["body"])
    [e] = detail(post(app, "/claims/bodies/union", {"kind": "cow", "name": "x"}))
    assert (e["type"], e["loc"]) == ("union_tag_invalid", ["body"])


def test_response_that_does_not_fit_is_logged_with_the_field(server):
    assert fetch(server.port, "GET", "/typed/broken").status == 500
    server.wait_log("response.1.id: expected int, got str")
    assert "response.1.id: expected int, got str" in server.stderr, server.stderr[-2000:]
