"""Query parameter coercion and FastAPI-shaped 422 errors, via ``GET /types``.

``/types`` declares ``i: int`` (required) and, with defaults, ``f: float = 0.0``,
``b: bool = False``, ``u: UUID | None``, ``d: date | None``, ``dt: datetime | None``,
``dec: Decimal | None``, ``s: str = ""``, ``tags: list[str] = []``, ``opt = None``,
and echoes the coerced values as JSON.
"""

import pytest

from support.wire import get

DEFAULTS = {
    "i": 1,
    "f": 0.0,
    "b": False,
    "u": None,
    "d": None,
    "dt": None,
    "dec": None,
    "s": "",
    "tags": [],
    "opt": None,
}


def types(server, query: str):
    return get(server.port, f"/types?{query}")


def test_every_type_is_coerced(server):
    resp = types(
        server,
        "i=1&f=1.5&b=true&u=12345678-1234-5678-1234-567812345678"
        "&d=2024-01-02&dt=2024-01-02T03:04:05&dec=1.10&s=x&tags=a&tags=b&opt=",
    )
    assert resp.status == 200, resp.body
    assert resp.content_type.startswith("application/json")
    assert resp.json() == {
        "i": 1,
        "f": 1.5,
        "b": True,
        "u": "12345678-1234-5678-1234-567812345678",
        "d": "2024-01-02",
        "dt": "2024-01-02T03:04:05",
        "dec": "1.10",
        "s": "x",
        "tags": ["a", "b"],
        "opt": None,
    }


def test_omitted_optional_params_take_their_defaults(server):
    resp = types(server, "i=1")
    assert resp.status == 200, resp.body
    assert resp.json() == DEFAULTS


@pytest.mark.parametrize("value", ["-7", "0", "+3", "42"])
def test_int_accepts_signed_decimal_strings(server, value):
    assert types(server, f"i={value}").json()["i"] == int(value)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("true", True),
        ("True", True),
        ("1", True),
        ("yes", True),
        ("on", True),
        ("false", False),
        ("0", False),
        ("no", False),
        ("off", False),
    ],
)
def test_bool_accepts_pydantic_spellings(server, value, expected):
    assert types(server, f"i=1&b={value}").json()["b"] is expected


def test_repeated_param_fills_a_list_in_order(server):
    assert types(server, "i=1&tags=z&tags=a&tags=z").json()["tags"] == ["z", "a", "z"]


def test_missing_required_param_gives_422_field_required(server):
    resp = types(server, "f=1.5")
    assert resp.status == 422
    assert resp.content_type.startswith("application/json")
    assert resp.json() == {
        "detail": [{"type": "missing", "loc": ["query", "i"], "msg": "Field required", "input": None}]
    }


@pytest.mark.parametrize(
    "param, value, error_types",
    [
        ("i", "abc", {"int_parsing"}),
        ("i", "1.5", {"int_parsing"}),
        ("f", "abc", {"float_parsing"}),
        ("b", "maybe", {"bool_parsing"}),
        ("u", "not-a-uuid", {"uuid_parsing"}),
        ("d", "2024-13-45", {"date_parsing", "date_from_datetime_parsing"}),
        ("dt", "yesterday", {"datetime_parsing", "datetime_from_date_parsing"}),
        ("dec", "one", {"decimal_parsing"}),
    ],
)
def test_bad_value_gives_422_naming_the_param(server, param, value, error_types):
    query = f"{param}={value}" if param == "i" else f"i=1&{param}={value}"
    resp = types(server, query)
    assert resp.status == 422
    [error] = resp.json()["detail"]
    assert error["type"] in error_types
    assert error["loc"] == ["query", param]
    assert error["input"] == value
    assert isinstance(error["msg"], str) and error["msg"]


def test_every_bad_param_is_reported_at_once(server):
    resp = types(server, "i=abc&f=abc&b=maybe")
    assert resp.status == 422
    locs = [e["loc"] for e in resp.json()["detail"]]
    assert sorted(locs) == [["query", "b"], ["query", "f"], ["query", "i"]]
