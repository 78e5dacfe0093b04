"""What the Rust JSON encoder writes for each Python type a handler may return."""

from __future__ import annotations

import json

import pytest

from support.inproc import fetch


def test_every_supported_type_is_encoded(app):
    resp = fetch(app, "GET", "/encode")
    assert resp.status == 200
    assert resp.content_type == "application/json"
    assert json.loads(resp.body) == {
        "str": 'héllo "quoted" \n',
        "int": -42,
        "big": 2**100,
        "float": 0.1,
        "true": True,
        "none": None,
        "list": [1, [2, [3]]],
        "tuple": [1, "a"],
        "datetime": "2024-01-02T03:04:05+00:00",
        "date": "2024-01-02",
        "time": "03:04:05",
        "uuid": "00000000-0000-0000-0000-000000000001",
        "decimal": "1.10",
        "enum": "red",
        "dataclass": {"x": 1, "y": 2.5},
        "struct": {"name": "t", "color": "blue"},
        "set": [7],
        "1": "int key",
        "emoji": "🚀",
    }
    # Big ints keep every digit rather than going through a float.
    assert b'"big":1267650600228229401496703205376' in resp.body


def test_nan_is_a_500_naming_the_value(server):
    resp = fetch(server.port, "GET", "/encode/nan")
    assert resp.status == 500
    assert resp.json() == {"detail": "Internal Server Error"}
    assert server.wait_log("Out of range float values are not JSON compliant")


def test_unencodable_object_is_a_500_naming_its_type(server):
    resp = fetch(server.port, "GET", "/encode/object")
    assert resp.status == 500
    assert server.wait_log("Object of type object is not JSON serializable")
    assert fetch(server.port, "GET", "/hello").status == 200


def test_bytes_and_timedelta_values(app):
    resp = fetch(app, "GET", "/claims/encode-more")
    assert resp.status == 200
    # bytes as base64 (what a bytes body field takes), timedelta as ISO 8601 durations (as pydantic writes them)
    assert resp.json() == {"bytes": "AAFoaf8=", "timedelta": "P1DT2H3.5S", "negative": "-PT1H30M"}


@pytest.mark.parametrize(
    ("kind", "body"),
    [
        ("int", b"7"),
        ("big", b"-1208925819614629174706176"),
        ("float", b"2.5"),
        ("true", b"true"),
        ("none", b"null"),
        ("list", b'[1,"a"]'),
        ("decimal", b'"0.10"'),
    ],
)
def test_a_bare_scalar_return_value_is_the_json_document(app, kind, body):
    resp = fetch(app, "GET", f"/claims/scalar/{kind}")
    assert resp.status == 200
    assert resp.content_type == "application/json"
    assert resp.body == body


def test_a_returned_str_is_plain_text_as_in_django_bolt(app):
    resp = fetch(app, "GET", "/claims/scalar/str")
    assert (resp.status, resp.content_type, resp.body) == (200, "text/plain; charset=utf-8", b"plain")
