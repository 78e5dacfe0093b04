"""``django_bolt.json`` in process: ``decode(data, type=T)`` and ``encode(obj, type=T)``.

No server here. Table-driven cases give the JSON text, the declared type and either the exact
value built or the exact list of error dicts (``type``, ``loc``, ``msg``, ``input``) in
pydantic/FastAPI words. Property tests (hypothesis) check that whatever ``encode`` writes,
``decode`` reads back equal.

Every type used by ``decode`` is declared at module level: this module uses postponed
annotations, so every field annotation is a forward reference resolved at first use.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import decimal
import enum
import hashlib
import hmac
import itertools
import json
import math
import subprocess
import sys
import time
import uuid
from typing import Annotated, Any, Literal, NotRequired, Optional, Required, TypedDict, Union

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from django_bolt import Meta, Struct, _native, field
from django_bolt.json import ValidationError, decode, encode
from django_bolt.schema import describe, plan_for
from support.errors import assert_errors, err
from support.paths import TESTS

UTC = dt.UTC
U1 = uuid.UUID("12345678-1234-5678-1234-567812345678")

MSG_INT_PARSING = "Input should be a valid integer, unable to parse string as an integer"
MSG_INT_FROM_FLOAT = "Input should be a valid integer, got a number with a fractional part"


def errors_of(data, tp) -> list[dict]:
    with pytest.raises(ValidationError) as info:
        decode(data, type=tp)
    errs = info.value.errors
    assert errs, "ValidationError without errors"
    return errs


# ----------------------------------------------------------------------------------------------
# types used below


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


class Inner(Struct):
    a: int
    b: str = "x"


class Outer(Struct):
    name: str
    inner: Inner
    items: list[Inner] = []
    tags: list[str] = field(default_factory=list)


class Cat(Struct, tag="cat", tag_field="kind"):
    name: str
    lives: int = 9


class Dog(Struct, tag="dog", tag_field="kind"):
    name: str
    good: bool = True


class TagA(Struct, tag=True):  # tag is the class name, tag_field defaults to "type"
    x: int


class TagB(Struct, tag=2):
    x: int


class Node(Struct):
    value: int
    children: list[Node] = []


class Holder(Struct):
    later: Later  # defined below: a forward reference resolved at first use
    maybe: Optional[Later] = None


class Later(Struct):
    v: int


class Camel(Struct, rename="camel"):
    user_id: int
    first_name: str = field(name="given")  # field(name=) beats the class's rename
    is_admin: bool = False


class Kebab(Struct, rename="kebab"):
    max_size: int


class Pascal(Struct, rename="pascal"):
    max_size: int


class Mapped(Struct, rename={"max_size": "MAX"}):
    max_size: int
    other: int = 0


class Upper(Struct, rename=lambda n: n.upper()):
    max_size: int


class KwOnly(Struct, kw_only=True):
    a: int = 1
    b: int  # a required field after a defaulted one: fine when keyword-only


class Strict(Struct, forbid_unknown_fields=True):
    a: int


class Omit(Struct, omit_defaults=True):
    a: int
    b: int = 0
    c: list[int] = field(default_factory=list)
    d: Optional[str] = None


class Frozen(Struct, frozen=True):
    a: int
    tags: tuple[str, ...] = ()


class Span(Struct):
    lo: int
    hi: int

    def __post_init__(self) -> None:
        if self.lo > self.hi:
            raise ValueError("lo must not exceed hi")


class Positive(Struct):
    n: int

    def __post_init__(self) -> None:
        if self.n <= 0:  # not an `assert`: pytest would rewrite its message in this module
            raise AssertionError("n must be positive")


class Exploding(Struct):
    n: int

    def __post_init__(self) -> None:
        raise RuntimeError("boom")


_counter = itertools.count()


class Counted(Struct):
    n: int = field(default_factory=lambda: next(_counter))
    bag: dict[str, int] = field(default_factory=dict)
    seen: set[str] = set()


class Partial(TypedDict, total=False):
    theme: Literal["light", "dark"]
    page_size: int


class Full(TypedDict):
    a: int
    b: str


class Mixed(TypedDict):
    a: int
    b: NotRequired[str]


class MixedPartial(TypedDict, total=False):
    a: Required[int]
    b: str


@dataclasses.dataclass
class Point:
    x: float
    y: float
    tags: list[str] = dataclasses.field(default_factory=list)
    z: int = 0


@dataclasses.dataclass
class CheckedPoint:
    x: int

    def __post_init__(self) -> None:
        if self.x < 0:
            raise ValueError("x must not be negative")


class WithPoint(Struct):
    point: Point
    extra: Optional[Full] = None


class WithAny(Struct):
    a: Any
    b: object = None


class Dup(Struct):
    a: int


class Unsupported(Struct):
    c: complex


class Untagged1(Struct):
    a: int


class Untagged2(Struct):
    b: int


class Unresolved(Struct):
    f: Undefined  # noqa: F821 - never defined on purpose


class Person(Struct):
    id: int
    name: str


# ----------------------------------------------------------------------------------------------
# valid inputs: scalars (lax numeric/bool strings as pydantic), containers, unions

VALID = [
    # int
    (b"12", int, 12),
    (b'"12"', int, 12),
    (b'" 12 "', int, 12),
    (b'"-7"', int, -7),
    (b'"+3"', int, 3),
    (b"12.0", int, 12),
    (b"-9223372036854775808", int, -(2**63)),
    (b"9223372036854775808", int, 2**63),
    (b"18446744073709551615", int, 2**64 - 1),
    (b'"99999999999999999999999"', int, 99999999999999999999999),
    # float
    (b"1.5", float, 1.5),
    (b"1", float, 1.0),
    (b'"1.5"', float, 1.5),
    (b'" -2.25 "', float, -2.25),
    (b"1e-3", float, 0.001),
    (b"1.7976931348623157e308", float, 1.7976931348623157e308),
    # str
    (b'"a"', str, "a"),
    (b'""', str, ""),
    (b'"\\u00e9\\n\\t\\"\\\\\\/"', str, 'é\n\t"\\/'),
    (b'"\\ud83d\\ude00"', str, "\U0001f600"),
    ('"h\u00e9llo \u2603"'.encode(), str, "h\u00e9llo \u2603"),
    (b'"a\\u0000b"', str, "a\x00b"),
    # bool: JSON booleans, 0/1 and pydantic's strings
    (b"true", bool, True),
    (b"false", bool, False),
    (b"1", bool, True),
    (b"0", bool, False),
    *[(f'"{s}"'.encode(), bool, True) for s in ("true", "True", "1", "yes", "y", "on", "t")],
    *[(f'"{s}"'.encode(), bool, False) for s in ("false", "FALSE", "0", "no", "n", "off", "f")],
    # bytes are base64 in JSON
    (b'"aGVsbG8="', bytes, b"hello"),
    (b'""', bytes, b""),
    (b'"AAEC/w=="', bytes, b"\x00\x01\x02\xff"),
    # Decimal keeps the digits it is given
    (b'"1.10"', decimal.Decimal, decimal.Decimal("1.10")),
    (b"0.1", decimal.Decimal, decimal.Decimal("0.1")),
    (b"7", decimal.Decimal, decimal.Decimal("7")),
    (b'"-1E+3"', decimal.Decimal, decimal.Decimal("-1E+3")),
    # datetime / date / time
    (b'"2024-01-02T03:04:05Z"', dt.datetime, dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
    (
        b'"2024-01-02T03:04:05.250+02:00"',
        dt.datetime,
        dt.datetime(2024, 1, 2, 3, 4, 5, 250000, tzinfo=dt.timezone(dt.timedelta(hours=2))),
    ),
    (b'"2024-01-02T03:04:05"', dt.datetime, dt.datetime(2024, 1, 2, 3, 4, 5)),
    (b'"2024-01-02 03:04:05"', dt.datetime, dt.datetime(2024, 1, 2, 3, 4, 5)),
    (b'"2024-02-29"', dt.date, dt.date(2024, 2, 29)),
    (b'"10:11:12.5"', dt.time, dt.time(10, 11, 12, 500000)),
    (b'"10:11"', dt.time, dt.time(10, 11)),
    # timedelta: ISO 8601 durations (pydantic's output) and numbers of seconds
    (b'"P1DT2H"', dt.timedelta, dt.timedelta(days=1, hours=2)),
    (b'"-PT0.5S"', dt.timedelta, dt.timedelta(seconds=-0.5)),
    (b'"PT1H30M"', dt.timedelta, dt.timedelta(minutes=90)),
    (b'"P1W"', dt.timedelta, dt.timedelta(weeks=1)),
    (b'"P2DT3H4M5.000006S"', dt.timedelta, dt.timedelta(days=2, hours=3, minutes=4, seconds=5, microseconds=6)),
    (b'"PT0S"', dt.timedelta, dt.timedelta(0)),
    (b"3.5", dt.timedelta, dt.timedelta(seconds=3.5)),
    (b"-1", dt.timedelta, dt.timedelta(seconds=-1)),
    (b"86400", dt.timedelta, dt.timedelta(days=1)),
    # UUID
    (b'"12345678-1234-5678-1234-567812345678"', uuid.UUID, U1),
    (b'"12345678123456781234567812345678"', uuid.UUID, U1),
    (b'"12345678-1234-5678-1234-567812345678"', Optional[uuid.UUID], U1),
    # Enum (by value) and Literal
    (b'"red"', Color, Color.RED),
    (b"2", Level, Level.HIGH),
    (b'"2"', Level, Level.HIGH),  # lax, as pydantic
    (b'"a"', Literal["a", "b"], "a"),
    (b"3", Literal[1, 2, 3], 3),
    (b"true", Literal[True], True),
    (b"null", Literal[None, "x"], None),
    (b"1", Literal["1", 1], 1),
    (b'"1"', Literal["1", 1], "1"),
    # sequences
    (b'[1,"2",3]', list[int], [1, 2, 3]),
    (b"[]", list[int], []),
    (b"[1,2,2]", set[int], {1, 2}),
    (b'["a","b","a"]', frozenset[str], frozenset({"a", "b"})),
    (b'[1,"2"]', tuple[int, ...], (1, 2)),
    (b'[1,"a"]', tuple[int, str], (1, "a")),
    (b"[]", tuple[()], ()),
    (b"[[1,2],[3]]", list[list[int]], [[1, 2], [3]]),
    # dicts
    (b'{"a":1,"b":"2"}', dict[str, int], {"a": 1, "b": 2}),
    (b"{}", dict[str, int], {}),
    (b'{"1":"a","20":"b"}', dict[int, str], {1: "a", 20: "b"}),
    (b'{"red":1}', dict[Color, int], {Color.RED: 1}),
    (b'{"12345678-1234-5678-1234-567812345678":true}', dict[uuid.UUID, bool], {U1: True}),
    # Optional
    (b"null", Optional[int], None),
    (b'"3"', Optional[int], 3),
    (b"null", Optional[Inner], None),
    (b'{"a":1}', Optional[Inner], Inner(a=1)),
    # untagged unions, smart mode: a member that takes the JSON kind as is wins
    (b'"1"', Union[int, str], "1"),
    (b"1", Union[int, str], 1),
    (b'"1"', Union[str, int], "1"),
    (b"1", Union[str, int], 1),
    (b"true", Union[int, bool], True),
    (b"1", Union[bool, int], 1),
    (b"1.5", Union[int, float], 1.5),
    (b'[[1,2],"x"]', list[Union[list[int], str]], [[1, 2], "x"]),
    (b'{"a":1}', Union[int, Inner], Inner(a=1)),
    (b"null", Union[int, str, None], None),
    # Any
    (b'[1,2.5,"x",null,true,{"b":[]}]', Any, [1, 2.5, "x", None, True, {"b": []}]),
    (b'{"a":{"b":[1]}}', dict[str, Any], {"a": {"b": [1]}}),
    (b"[1,2]", list, [1, 2]),
    (b'{"a":1}', dict, {"a": 1}),
    # constraints that pass
    (b'"abc"', Annotated[str, Meta(min_length=3, max_length=3, pattern=r"^[a-z]+$")], "abc"),
    (b"5", Annotated[int, Meta(gt=0, le=5, multiple_of=5)], 5),
    (b"[1,2,3]", Annotated[list[int], Meta(min_length=3)], [1, 2, 3]),
    (b'"0"', Annotated[decimal.Decimal, Meta(ge=0)], decimal.Decimal("0")),
]


@pytest.mark.parametrize(("data", "tp", "expected"), VALID, ids=[f"{c[0]!r}->{c[1]!r}" for c in VALID])
def test_valid_inputs_build_the_declared_type(data, tp, expected):
    got = decode(data, type=tp)
    assert got == expected
    assert type(got) is type(expected)


def test_str_input_is_accepted_like_bytes():
    assert decode('{"a": 1}', type=Inner) == Inner(a=1)
    assert decode(bytearray(b'{"a": 1}'), type=Inner) == Inner(a=1)


def test_int_or_str_union_keeps_lax_conversions_last():
    # "1" is a str for int | str (smart mode); a float that is not whole is neither
    assert decode(b'["1", 1, "x"]', type=list[Union[int, str]]) == ["1", 1, "x"]


def test_float_is_a_python_float_even_for_json_ints():
    got = decode(b"[1, 2]", type=list[float])
    assert got == [1.0, 2.0] and all(type(x) is float for x in got)


def test_set_and_tuple_results_have_the_declared_container_type():
    assert type(decode(b"[1]", type=set[int])) is set
    assert type(decode(b"[1]", type=frozenset[int])) is frozenset
    assert type(decode(b"[1]", type=tuple[int, ...])) is tuple


# ----------------------------------------------------------------------------------------------
# invalid inputs: the exact error dicts (loc is relative to the document; the server prefixes
# "body")

INVALID = [
    # int
    (b'"x"', int, [err("int_parsing", [], MSG_INT_PARSING, "x")]),
    (b'""', int, [err("int_parsing", [], MSG_INT_PARSING, "")]),
    (b'"0x10"', int, [err("int_parsing", [], MSG_INT_PARSING, "0x10")]),
    (b"12.5", int, [err("int_from_float", [], MSG_INT_FROM_FLOAT, 12.5)]),
    (b"true", int, [err("int_type", [], "Input should be a valid integer", True)]),
    (b"null", int, [err("int_type", [], "Input should be a valid integer", None)]),
    (b"[1]", int, [err("int_type", [], "Input should be a valid integer", [1])]),
    # float
    (
        b'"abc"',
        float,
        [err("float_parsing", [], "Input should be a valid number, unable to parse string as a number", "abc")],
    ),
    (b"true", float, [err("float_type", [], "Input should be a valid number", True)]),
    (b"{}", float, [err("float_type", [], "Input should be a valid number", {})]),
    # str is strict: numbers are not strings
    (b"1", str, [err("string_type", [], "Input should be a valid string", 1)]),
    (b"null", str, [err("string_type", [], "Input should be a valid string", None)]),
    # bool
    (
        b'"maybe"',
        bool,
        [err("bool_parsing", [], "Input should be a valid boolean, unable to interpret input", "maybe")],
    ),
    (b"null", bool, [err("bool_type", [], "Input should be a valid boolean", None)]),
    (b"[]", bool, [err("bool_type", [], "Input should be a valid boolean", [])]),
    # bytes
    (b'"!!"', bytes, [err("bytes_invalid_encoding", [], "Data should be valid base64", "!!")]),
    (b'"aGk"', bytes, [err("bytes_invalid_encoding", [], "Data should be valid base64", "aGk")]),
    (b"1", bytes, [err("bytes_type", [], "Input should be a valid bytes", 1)]),
    (
        b'"YQ=="',
        Annotated[bytes, Meta(min_length=2)],
        [err("bytes_too_short", [], "Data should have at least 2 bytes", "YQ==")],
    ),
    # Decimal
    (b'"x"', decimal.Decimal, [err("decimal_parsing", [], "Input should be a valid decimal", "x")]),
    (b'"NaN"', decimal.Decimal, [err("decimal_parsing", [], "Input should be a valid decimal", "NaN")]),
    (
        b"[]",
        decimal.Decimal,
        [err("decimal_type", [], "Decimal input should be an integer, float, string or Decimal object", [])],
    ),
    # datetime / date / time
    (b'"nope"', dt.datetime, [err("datetime_parsing", [], "Input should be a valid datetime", "nope")]),
    (
        b'"2024-02-30T00:00:00"',
        dt.datetime,
        [err("datetime_parsing", [], "Input should be a valid datetime", "2024-02-30T00:00:00")],
    ),
    (b"[]", dt.datetime, [err("datetime_type", [], "Input should be a valid datetime", [])]),
    (
        b'"2024-13-02"',
        dt.date,
        [err("date_parsing", [], "Input should be a valid date in the format YYYY-MM-DD", "2024-13-02")],
    ),
    (
        b'"2023-02-29"',
        dt.date,
        [err("date_parsing", [], "Input should be a valid date in the format YYYY-MM-DD", "2023-02-29")],
    ),
    (b"3", dt.date, [err("date_type", [], "Input should be a valid date", 3)]),
    (b'"25:00"', dt.time, [err("time_parsing", [], "Input should be a valid time", "25:00")]),
    (b"1", dt.time, [err("time_type", [], "Input should be a valid time", 1)]),
    # timedelta
    (b'"x"', dt.timedelta, [err("time_delta_parsing", [], "Input should be a valid timedelta", "x")]),
    (b'"P"', dt.timedelta, [err("time_delta_parsing", [], "Input should be a valid timedelta", "P")]),
    (b'"P1H"', dt.timedelta, [err("time_delta_parsing", [], "Input should be a valid timedelta", "P1H")]),
    (b'"1D"', dt.timedelta, [err("time_delta_parsing", [], "Input should be a valid timedelta", "1D")]),
    (b"true", dt.timedelta, [err("time_delta_parsing", [], "Input should be a valid timedelta", True)]),
    # UUID
    (b'"x"', uuid.UUID, [err("uuid_parsing", [], "Input should be a valid UUID", "x")]),
    (
        b'"12345678-1234-5678-1234-56781234567"',
        uuid.UUID,
        [err("uuid_parsing", [], "Input should be a valid UUID", "12345678-1234-5678-1234-56781234567")],
    ),
    (b"1", uuid.UUID, [err("uuid_type", [], "UUID input should be a string, bytes or UUID object", 1)]),
    # Enum and Literal (pydantic's "'a', 'b' or 'c'")
    (b'"green"', Color, [err("enum", [], "Input should be 'red' or 'blue'", "green")]),
    (b'"RED"', Color, [err("enum", [], "Input should be 'red' or 'blue'", "RED")]),
    (b"3", Level, [err("enum", [], "Input should be 1 or 2", 3)]),
    (b'"3"', Level, [err("enum", [], "Input should be 1 or 2", "3")]),
    (b'"c"', Literal["a", "b"], [err("literal_error", [], "Input should be 'a' or 'b'", "c")]),
    (b'"d"', Literal["a", "b", "c"], [err("literal_error", [], "Input should be 'a', 'b' or 'c'", "d")]),
    (b"4", Literal[1, 2, 3], [err("literal_error", [], "Input should be 1, 2 or 3", 4)]),
    (b"1", Literal[True], [err("literal_error", [], "Input should be True", 1)]),
    (b"true", Literal[1], [err("literal_error", [], "Input should be 1", True)]),
    # sequences: every failing item, at its index
    (
        b'[1,"x",2.5,null]',
        list[int],
        [
            err("int_parsing", [1], MSG_INT_PARSING, "x"),
            err("int_from_float", [2], MSG_INT_FROM_FLOAT, 2.5),
            err("int_type", [3], "Input should be a valid integer", None),
        ],
    ),
    (b"{}", list[int], [err("list_type", [], "Input should be a valid list", {})]),
    (b'"ab"', list[str], [err("list_type", [], "Input should be a valid list", "ab")]),
    (b'"ab"', set[str], [err("set_type", [], "Input should be a valid set", "ab")]),
    (b"1", frozenset[int], [err("frozen_set_type", [], "Input should be a valid frozenset", 1)]),
    (b"1", tuple[int, ...], [err("tuple_type", [], "Input should be a valid tuple", 1)]),
    (b'[[1],["x"]]', list[list[int]], [err("int_parsing", [1, 0], MSG_INT_PARSING, "x")]),
    (b"[[1]]", set[Any], [err("set_item_not_hashable", [], "Set items should be hashable", [[1]])]),
    # fixed tuples
    (
        b"[1]",
        tuple[int, str],
        [err("too_short", [], "Tuple should have at least 2 items after validation, not 1", [1])],
    ),
    (
        b'[1,"a",3]',
        tuple[int, str],
        [err("too_long", [], "Tuple should have at most 2 items after validation, not 3", [1, "a", 3])],
    ),
    (
        b'["x",1]',
        tuple[int, str],
        [
            err("int_parsing", [0], MSG_INT_PARSING, "x"),
            err("string_type", [1], "Input should be a valid string", 1),
        ],
    ),
    # dicts: the key is the loc
    (
        b'{"a":"x","b":[]}',
        dict[str, int],
        [
            err("int_parsing", ["a"], MSG_INT_PARSING, "x"),
            err("int_type", ["b"], "Input should be a valid integer", []),
        ],
    ),
    (b'{"x":"a"}', dict[int, str], [err("int_parsing", ["x"], MSG_INT_PARSING, "x")]),
    (b"[]", dict[str, int], [err("dict_type", [], "Input should be a valid dictionary", [])]),
    # Optional does not make other types acceptable
    (b'"x"', Optional[int], [err("int_parsing", [], MSG_INT_PARSING, "x")]),
    # untagged unions: when every member fails, each member's errors under its label
    (
        b"1.5",
        Union[int, str],
        [
            err("int_from_float", ["int"], MSG_INT_FROM_FLOAT, 1.5),
            err("string_type", ["str"], "Input should be a valid string", 1.5),
        ],
    ),
    (
        b"null",
        Union[int, str],
        [
            err("int_type", ["int"], "Input should be a valid integer", None),
            err("string_type", ["str"], "Input should be a valid string", None),
        ],
    ),
    (
        b'{"b":1}',
        Union[int, Inner],
        [
            err("int_type", ["int"], "Input should be a valid integer", {"b": 1}),
            err("missing", ["Inner", "a"], "Field required", {"b": 1}),
            err("string_type", ["Inner", "b"], "Input should be a valid string", 1),
        ],
    ),
    # constraints
    (
        b'"ab"',
        Annotated[str, Meta(min_length=3)],
        [err("string_too_short", [], "String should have at least 3 characters", "ab")],
    ),
    (
        b'""',
        Annotated[str, Meta(min_length=1)],
        [err("string_too_short", [], "String should have at least 1 character", "")],
    ),
    (
        b'"abcdef"',
        Annotated[str, Meta(max_length=3)],
        [err("string_too_long", [], "String should have at most 3 characters", "abcdef")],
    ),
    (
        b'"ab1"',
        Annotated[str, Meta(pattern=r"^[a-z]+$")],
        [err("string_pattern_mismatch", [], "String should match pattern '^[a-z]+$'", "ab1")],
    ),
    (b"0", Annotated[int, Meta(gt=0)], [err("greater_than", [], "Input should be greater than 0", 0)]),
    (
        b'"0"',
        Annotated[int, Meta(ge=1)],
        [err("greater_than_equal", [], "Input should be greater than or equal to 1", "0")],
    ),
    (b"10", Annotated[int, Meta(lt=10)], [err("less_than", [], "Input should be less than 10", 10)]),
    (b"11", Annotated[int, Meta(le=10)], [err("less_than_equal", [], "Input should be less than or equal to 10", 11)]),
    (b"7", Annotated[int, Meta(multiple_of=5)], [err("multiple_of", [], "Input should be a multiple of 5", 7)]),
    (
        b"-1.5",
        Annotated[float, Meta(ge=0)],
        [err("greater_than_equal", [], "Input should be greater than or equal to 0", -1.5)],
    ),
    (
        b'"-1"',
        Annotated[decimal.Decimal, Meta(ge=0)],
        [err("greater_than_equal", [], "Input should be greater than or equal to 0", "-1")],
    ),
    (
        b"[1,2]",
        Annotated[list[int], Meta(min_length=3)],
        [err("too_short", [], "List should have at least 3 items after validation, not 2", [1, 2])],
    ),
    (
        b"[1,2,3,4]",
        Annotated[list[int], Meta(max_length=3)],
        [err("too_long", [], "List should have at most 3 items after validation, not 4", [1, 2, 3, 4])],
    ),
    (
        b'[1,"x"]',
        list[Annotated[int, Meta(ge=2)]],
        [
            err("greater_than_equal", [0], "Input should be greater than or equal to 2", 1),
            err("int_parsing", [1], MSG_INT_PARSING, "x"),
        ],
    ),
]


@pytest.mark.parametrize(("data", "tp", "expected"), INVALID, ids=[f"{c[0]!r}->{c[1]!r}" for c in INVALID])
def test_invalid_inputs_list_the_exact_errors(data, tp, expected):
    assert_errors(errors_of(data, tp), expected)


@pytest.mark.parametrize(
    ("tp", "data", "expected"),
    [
        (
            Annotated[set[int], Meta(max_length=2)],
            b"[1,2,3]",
            err("too_long", [], "Set should have at most 2 items after validation, not 3", [1, 2, 3]),
        ),
        (
            Annotated[dict[str, int], Meta(max_length=1)],
            b'{"a":1,"b":2}',
            err("too_long", [], "Dictionary should have at most 1 item after validation, not 2", {"a": 1, "b": 2}),
        ),
    ],
)
def test_length_errors_name_the_container_kind_as_pydantic(tp, data, expected):
    # pydantic says "Set should have ..." and "Dictionary should have ...", not "List".
    assert errors_of(data, tp) == [expected]


def test_validation_error_is_a_value_error_with_the_errors():
    with pytest.raises(ValueError) as info:
        decode(b'"x"', type=int)
    assert isinstance(info.value, ValidationError)
    assert info.value.errors[0]["type"] == "int_parsing"


# ----------------------------------------------------------------------------------------------
# numbers at and beyond 64 bits, floats


@pytest.mark.parametrize("n", [2**64 + 1, -(2**63) - 1, 10**30 + 1, -(10**30) - 1])
def test_json_integers_beyond_64_bits_keep_every_digit(n):
    # Python's json and pydantic read JSON integers of any size exactly.
    text = str(n).encode()
    assert decode(text, type=int) == n
    got = decode(text, type=Any)
    assert type(got) is int and got == n
    assert decode(b"[" + text + b"]", type=list[int]) == [n]


def test_negative_zero_keeps_its_sign():
    got = decode(b"-0.0", type=float)
    assert got == 0.0 and math.copysign(1.0, got) == -1.0
    assert math.copysign(1.0, decode(b"-0.0", type=Any)) == -1.0


def _hs256(payload: bytes, key: bytes) -> str:
    """An HS256 JWT over exactly these claim bytes (RFC 7515), signed here: _native.jwt_encode
    re-serialises its claims, which would rewrite the numbers under test."""

    def b64(b: bytes) -> str:
        return base64.urlsafe_b64encode(b).rstrip(b"=").decode()

    header = b64(b'{"alg":"HS256","typ":"JWT"}')
    signing_input = f"{header}.{b64(payload)}"
    sig = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(sig)}"


def test_jwt_claims_read_numbers_as_any_fields_do():
    # JWT claims (request.auth, _native.jwt_decode) and `Any` fields share one untyped decoder:
    # a wide integer claim is an exact int and -0.0 keeps its sign (they were a float that lost
    # digits and +0.0).
    wide = 123456789012345678901234567890
    payload = json.dumps(
        {"exp": int(time.time()) + 300, "wide": wide, "neg": -wide, "nz": -0.0, "items": [1, -0.0]}
    ).encode()
    assert b"-0.0" in payload and str(wide).encode() in payload
    key = b"k" * 32
    claims = _native.jwt_decode(_hs256(payload, key), "HS256", key, 0)
    assert claims == decode(payload, type=Any)
    assert type(claims["wide"]) is int and claims["wide"] == wide
    assert type(claims["neg"]) is int and claims["neg"] == -wide
    assert math.copysign(1.0, claims["nz"]) == -1.0
    assert math.copysign(1.0, claims["items"][1]) == -1.0


def test_jwt_encode_keeps_claims_numbers_exact():
    # Signing re-writes the claims compactly but keeps every number's text (it signed 1e+30 and
    # 0.0 before: a serde round trip through floats).
    wide = 123456789012345678901234567890
    claims = {"exp": int(time.time()) + 300, "wide": wide, "nz": -0.0}
    key = b"k" * 32
    token = _native.jwt_encode("HS256", key, json.dumps(claims).encode())
    back = _native.jwt_decode(token, "HS256", key, 0)
    assert type(back["wide"]) is int and back["wide"] == wide
    assert math.copysign(1.0, back["nz"]) == -1.0
    with pytest.raises(ValueError, match="must be a JSON object"):
        _native.jwt_encode("HS256", key, b"[1]")


def test_non_finite_json_numbers_are_invalid_json():
    [e] = errors_of(b"1e400", float)
    assert e["type"] == "json_invalid"
    [e] = errors_of(b"NaN", float)
    assert e["type"] == "json_invalid"


# ----------------------------------------------------------------------------------------------
# timedelta range: what encode writes must decode


@pytest.mark.parametrize(
    "td",
    [
        dt.timedelta(days=200_000),
        dt.timedelta(days=999_999_999),
        dt.timedelta.max,
        dt.timedelta.min,
        dt.timedelta(days=-3, microseconds=7),
    ],
)
def test_every_timedelta_round_trips(td):
    text = encode(td)
    assert decode(text, type=dt.timedelta) == td, text


@pytest.mark.parametrize("data", [b"1e20", b"-1e20", b'"P1000000000D"'])
def test_timedeltas_beyond_the_range_are_errors_not_clamped(data):
    # 1e20 seconds is ~1.2e15 days; timedelta stops at 999,999,999 days.
    [e] = errors_of(data, dt.timedelta)
    assert e["type"] == "time_delta_parsing"
    assert e["loc"] == []
    assert e["input"] == json.loads(data)


# ----------------------------------------------------------------------------------------------
# Structs: nested locs, every error, missing fields, defaults


def test_nested_struct_decodes():
    got = decode(b'{"name":"n","inner":{"a":1},"items":[{"a":2,"b":"y"}]}', type=Outer)
    assert got == Outer(name="n", inner=Inner(a=1), items=[Inner(a=2, b="y")], tags=[])
    assert isinstance(got.inner, Inner) and isinstance(got.items[0], Inner)


def test_every_error_of_a_nested_struct_is_listed_with_its_loc():
    data = b'{"inner":{"a":"x"},"items":[{"a":1},{"b":2},"s"],"tags":[1]}'
    doc = json.loads(data)
    assert_errors(
        errors_of(data, Outer),
        [
            err("missing", ["name"], "Field required", doc),
            err("int_parsing", ["inner", "a"], MSG_INT_PARSING, "x"),
            err("missing", ["items", 1, "a"], "Field required", {"b": 2}),
            err("string_type", ["items", 1, "b"], "Input should be a valid string", 2),
            err(
                "model_attributes_type",
                ["items", 2],
                "Input should be a valid dictionary or object to extract fields from",
                "s",
            ),
            err("string_type", ["tags", 0], "Input should be a valid string", 1),
        ],
    )


def test_all_missing_fields_are_listed():
    assert errors_of(b"{}", Outer) == [
        err("missing", ["name"], "Field required", {}),
        err("missing", ["inner"], "Field required", {}),
    ]


def test_struct_from_a_non_object():
    assert errors_of(b"[]", Outer) == [
        err("model_attributes_type", [], "Input should be a valid dictionary or object to extract fields from", [])
    ]


def test_unknown_fields_are_ignored_by_default():
    assert decode(b'{"a":1,"zzz":[1,2]}', type=Inner) == Inner(a=1, b="x")


def test_duplicate_keys_last_one_wins_as_in_python_json():
    # json.loads and pydantic keep the last value of a repeated key; so do dict and Any here.
    assert decode(b'{"a":1,"a":2}', type=dict[str, int]) == {"a": 2}
    assert decode(b'{"a":1,"a":2}', type=Dup) == Dup(a=2)
    assert decode(b'{"a":"x","a":2}', type=Dup) == Dup(a=2)


def test_default_values_and_mutable_defaults_are_fresh_per_instance():
    one = decode(b'{"name":"n","inner":{"a":1}}', type=Outer)
    two = decode(b'{"name":"n","inner":{"a":1}}', type=Outer)
    assert one.items == [] and one.tags == [] and one.inner.b == "x"
    assert one.items is not two.items and one.tags is not two.tags
    one.items.append(Inner(a=9))
    one.tags.append("t")
    assert two.items == [] and two.tags == []
    assert Outer(name="p", inner=Inner(a=1)).items == []  # the class default was not touched


def test_default_factory_is_called_once_per_instance():
    a = decode(b"{}", type=Counted)
    b = decode(b"{}", type=Counted)
    assert b.n == a.n + 1
    assert a.bag == {} and a.bag is not b.bag
    assert a.seen == set() and a.seen is not b.seen
    given_n = decode(b'{"n": 100, "seen": ["x"]}', type=Counted)
    assert given_n.n == 100 and given_n.seen == {"x"}


def test_field_order_and_unicode_keys():
    got = decode('{"b":"é","a":"3"}'.encode(), type=Inner)
    assert got == Inner(a=3, b="é")


# ---- rename


@pytest.mark.parametrize(
    ("cls", "data", "value", "encoded"),
    [
        (
            Camel,
            b'{"userId":1,"given":"a","isAdmin":true}',
            Camel(user_id=1, first_name="a", is_admin=True),
            b'{"userId":1,"given":"a","isAdmin":true}',
        ),
        (Kebab, b'{"max-size":1}', Kebab(max_size=1), b'{"max-size":1}'),
        (Pascal, b'{"MaxSize":1}', Pascal(max_size=1), b'{"MaxSize":1}'),
        (Mapped, b'{"MAX":1}', Mapped(max_size=1), b'{"MAX":1,"other":0}'),
        (Upper, b'{"MAX_SIZE":1}', Upper(max_size=1), b'{"MAX_SIZE":1}'),
    ],
)
def test_rename_is_used_both_ways(cls, data, value, encoded):
    assert decode(data, type=cls) == value
    assert encode(value) == encoded
    assert encode(value, type=cls) == encoded


def test_renamed_fields_report_their_json_names():
    doc = {"user_id": 1, "first_name": "a"}
    assert errors_of(json.dumps(doc).encode(), Camel) == [
        err("missing", ["userId"], "Field required", doc),
        err("missing", ["given"], "Field required", doc),
    ]
    assert errors_of(b'{"userId":"x","given":"a"}', Camel) == [err("int_parsing", ["userId"], MSG_INT_PARSING, "x")]


# ---- kw_only, forbid_unknown_fields, omit_defaults, frozen


def test_kw_only():
    assert decode(b'{"b":2}', type=KwOnly) == KwOnly(a=1, b=2)
    with pytest.raises(TypeError):
        KwOnly(1, 2)  # type: ignore[misc]
    assert errors_of(b'{"a":1}', KwOnly) == [err("missing", ["b"], "Field required", {"a": 1})]


def test_forbid_unknown_fields_lists_each_extra_key():
    assert decode(b'{"a":1}', type=Strict) == Strict(a=1)
    assert errors_of(b'{"a":"x","b":2,"c":[3]}', Strict) == [
        err("int_parsing", ["a"], MSG_INT_PARSING, "x"),
        err("extra_forbidden", ["b"], "Extra inputs are not permitted", 2),
        err("extra_forbidden", ["c"], "Extra inputs are not permitted", [3]),
    ]


def test_omit_defaults_on_encode():
    assert encode(Omit(a=1)) == b'{"a":1}'
    assert encode(Omit(a=1), type=Omit) == b'{"a":1}'
    assert encode(Omit(a=1, b=2, c=[1], d="x")) == b'{"a":1,"b":2,"c":[1],"d":"x"}'
    assert encode([Omit(a=1, b=0, d=None)], type=list[Omit]) == b'[{"a":1}]'
    # and what it leaves out decodes back to the defaults
    assert decode(encode(Omit(a=5)), type=Omit) == Omit(a=5)


def test_frozen():
    got = decode(b'{"a":1,"tags":["x"]}', type=Frozen)
    assert got == Frozen(a=1, tags=("x",))
    with pytest.raises(AttributeError):
        got.a = 2  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del got.a
    assert hash(got) == hash(Frozen(a=1, tags=("x",)))
    assert {got, Frozen(a=1, tags=("x",))} == {got}


# ---- __post_init__


def test_post_init_value_error_is_a_value_error_issue():
    [e] = errors_of(b'{"lo":3,"hi":1}', Span)
    assert (e["type"], e["loc"], e["msg"]) == ("value_error", [], "Value error, lo must not exceed hi")
    assert decode(b'{"lo":1,"hi":3}', type=Span) == Span(lo=1, hi=3)


def test_post_init_errors_carry_the_loc_of_the_object():
    errs = errors_of(b'[{"lo":1,"hi":3},{"lo":3,"hi":1},{"lo":"x","hi":1}]', list[Span])
    assert [(e["type"], e["loc"]) for e in errs] == [("value_error", [1]), ("int_parsing", [2, "lo"])]


def test_post_init_error_input_is_the_object_as_in_pydantic():
    # pydantic (and so FastAPI) echo the object that failed its validator as "input".
    assert errors_of(b'{"lo":3,"hi":1}', Span) == [
        err("value_error", [], "Value error, lo must not exceed hi", {"lo": 3, "hi": 1})
    ]


def test_post_init_assertion_is_a_value_error_issue():
    [e] = errors_of(b'{"n":0}', Positive)
    assert (e["type"], e["loc"], e["msg"]) == ("value_error", [], "Value error, n must be positive")


def test_post_init_raising_something_else_propagates():
    with pytest.raises(RuntimeError, match="boom"):
        decode(b'{"n":1}', type=Exploding)


# ---- tagged unions


def test_tagged_union_picks_by_tag():
    got = decode(b'[{"kind":"cat","name":"c"},{"kind":"dog","name":"d","good":false}]', type=list[Union[Cat, Dog]])
    assert got == [Cat(name="c", lives=9), Dog(name="d", good=False)]
    assert decode(b'{"type":"TagA","x":1}', type=Union[TagA, TagB]) == TagA(x=1)
    assert decode(b'{"type":2,"x":1}', type=Union[TagA, TagB]) == TagB(x=1)
    assert decode(b"null", type=Optional[Union[TagA, TagB]]) is None
    assert decode(b"3", type=Union[TagA, TagB, int]) == 3


def test_tagged_union_errors():
    u = Union[Cat, Dog]
    doc = {"kind": "cow", "name": "c"}
    assert errors_of(json.dumps(doc).encode(), u) == [
        err(
            "union_tag_invalid",
            [],
            "Input tag 'cow' found using 'kind' does not match any of the expected tags: 'cat', 'dog'",
            doc,
        )
    ]
    assert errors_of(b'{"name":"c"}', u) == [
        err("union_tag_not_found", [], "Unable to extract tag using discriminator 'kind'", {"name": "c"})
    ]
    assert errors_of(b'{"kind":1}', u) == [
        err(
            "union_tag_invalid",
            [],
            "Input tag 1 found using 'kind' does not match any of the expected tags: 'cat', 'dog'",
            {"kind": 1},
        )
    ]
    assert errors_of(b"1", u) == [
        err("model_attributes_type", [], "Input should be a valid dictionary or object to extract fields from", 1)
    ]
    # the member's own errors sit under the tag, as pydantic's discriminated unions do
    assert_errors(
        errors_of(b'{"kind":"cat","lives":"x"}', u),
        [
            err("int_parsing", ["cat", "lives"], MSG_INT_PARSING, "x"),
            err("missing", ["cat", "name"], "Field required", {"kind": "cat", "lives": "x"}),
        ],
    )
    [e] = errors_of(b'{"type":"2","x":1}', Union[TagA, TagB])
    assert e["type"] == "union_tag_invalid"
    assert e["msg"] == "Input tag '2' found using 'type' does not match any of the expected tags: 'TagA', 2"


def test_a_tagged_struct_alone_checks_its_tag():
    assert decode(b'{"kind":"cat","name":"c"}', type=Cat) == Cat(name="c")
    assert decode(b'{"name":"c"}', type=Cat) == Cat(name="c")
    assert errors_of(b'{"kind":"dog","name":"d"}', Cat) == [
        err("literal_error", ["kind"], "Input should be 'cat'", "dog")
    ]


def test_tags_are_written_on_encode():
    assert encode(Cat(name="c")) == b'{"kind":"cat","name":"c","lives":9}'
    assert encode([Cat(name="c"), Dog(name="d")], type=list[Union[Cat, Dog]]) == (
        b'[{"kind":"cat","name":"c","lives":9},{"kind":"dog","name":"d","good":true}]'
    )
    assert encode(TagB(x=1)) == b'{"type":2,"x":1}'


# ---- TypedDict and dataclasses


def test_typeddict_total_false():
    assert decode(b"{}", type=Partial) == {}
    assert decode(b'{"theme":"dark","page_size":"20"}', type=Partial) == {"theme": "dark", "page_size": 20}
    assert type(decode(b"{}", type=Partial)) is dict
    assert errors_of(b'{"theme":"blue","page_size":"x","other":1}', Partial) == [
        err("literal_error", ["theme"], "Input should be 'light' or 'dark'", "blue"),
        err("int_parsing", ["page_size"], MSG_INT_PARSING, "x"),
    ]


def test_typeddict_total_true_requires_every_key():
    assert decode(b'{"a":1,"b":"x"}', type=Full) == {"a": 1, "b": "x"}
    assert errors_of(b'{"a":1}', Full) == [err("missing", ["b"], "Field required", {"a": 1})]


def test_typeddict_required_and_not_required_markers():
    assert decode(b'{"a":1}', type=Mixed) == {"a": 1}
    assert decode(b'{"a":1,"b":"x"}', type=Mixed) == {"a": 1, "b": "x"}
    assert errors_of(b'{"b":"x"}', Mixed) == [err("missing", ["a"], "Field required", {"b": "x"})]
    assert decode(b'{"a":1}', type=MixedPartial) == {"a": 1}
    assert errors_of(b"{}", MixedPartial) == [err("missing", ["a"], "Field required", {})]


def test_dataclass_bodies():
    got = decode(b'{"x":1,"y":"2.5"}', type=Point)
    assert got == Point(x=1.0, y=2.5, tags=[], z=0)
    assert type(got.x) is float
    other = decode(b'{"x":1,"y":2}', type=Point)
    assert got.tags is not other.tags
    assert_errors(
        errors_of(b'{"x":"a","tags":[1]}', Point),
        [
            err("float_parsing", ["x"], "Input should be a valid number, unable to parse string as a number", "a"),
            err("missing", ["y"], "Field required", {"x": "a", "tags": [1]}),
            err("string_type", ["tags", 0], "Input should be a valid string", 1),
        ],
    )
    nested = decode(b'{"point":{"x":1,"y":2},"extra":{"a":1,"b":"c"}}', type=WithPoint)
    assert nested == WithPoint(point=Point(1.0, 2.0), extra={"a": 1, "b": "c"})
    assert encode(Point(1.0, 2.0, ["t"])) == b'{"x":1.0,"y":2.0,"tags":["t"],"z":0}'


def test_dataclass_post_init_value_error():
    [e] = errors_of(b'{"x":-1}', CheckedPoint)
    assert (e["type"], e["loc"], e["msg"]) == ("value_error", [], "Value error, x must not be negative")


def test_any_fields_take_any_json():
    assert decode(b'{"a":[1,{"x":null}]}', type=WithAny) == WithAny(a=[1, {"x": None}], b=None)


# ---- recursive types and forward references


def test_recursive_struct():
    got = decode(b'{"value":1,"children":[{"value":2,"children":[{"value":3}]},{"value":4}]}', type=Node)
    assert got == Node(1, [Node(2, [Node(3)]), Node(4)])
    assert errors_of(b'{"value":1,"children":[{"value":2,"children":[{"value":"x"}]}]}', Node) == [
        err("int_parsing", ["children", 0, "children", 0, "value"], MSG_INT_PARSING, "x")
    ]
    assert encode(got, type=Node) == (
        b'{"value":1,"children":[{"value":2,"children":[{"value":3,"children":[]}]},{"value":4,"children":[]}]}'
    )


def test_recursive_struct_depth_is_bounded_not_a_crash():
    depth = 50
    doc = b'{"value":0}'
    for _ in range(depth):
        doc = b'{"value":0,"children":[' + doc + b"]}"
    node = decode(doc, type=Node)
    n = 0
    while node.children:
        node, n = node.children[0], n + 1
    assert n == depth
    deep = b'{"value":0,"children":[' * 5000 + b"{}" + b"]}" * 5000
    with pytest.raises(ValidationError):
        decode(deep, type=Node)


def test_forward_references_resolve():
    assert decode(b'{"later":{"v":1},"maybe":{"v":"2"}}', type=Holder) == Holder(later=Later(1), maybe=Later(2))


# ---- start-up errors: types that cannot be planned


@pytest.mark.parametrize(
    ("tp", "words"),
    [
        (complex, ["complex"]),
        (Unsupported, ["Unsupported.c", "complex"]),
        (list[complex], ["complex"]),
        (dict[str, complex], ["complex"]),
        (Union[Untagged1, Untagged2], ["Untagged1", "tag"]),
        (list[Union[Untagged1, Untagged2]], ["Untagged1", "tag"]),
        (Unresolved, ["Unresolved", "Undefined"]),
        (dict[list[int], int], ["dict keys"]),
        (Literal[1.5], ["Literal"]),
        (Annotated[str, Meta(gt=1)], ["numbers"]),
    ],
)
def test_unplannable_types_raise_type_error_naming_them(tp, words):
    with pytest.raises(TypeError) as info:
        describe(tp)
    for w in words:
        assert w in str(info.value)
    with pytest.raises(TypeError):
        plan_for(tp)
    with pytest.raises(TypeError):
        decode(b"{}", type=tp)


def test_enum_with_unsupported_values_is_refused():
    class FloatEnum(enum.Enum):
        A = 1.5

    with pytest.raises(TypeError, match="FloatEnum"):
        describe(FloatEnum)


def test_struct_definition_errors():
    with pytest.raises(TypeError, match="collides"):

        class Clash(Struct, tag="x", tag_field="a"):
            a: int

    with pytest.raises(TypeError, match="named"):

        class Twice(Struct):
            a: int = field(name="b")
            b: int = 0

    with pytest.raises(TypeError):
        field(default=1, default_factory=list)


# ----------------------------------------------------------------------------------------------
# json_invalid carries the byte position of the error in the whole document


@pytest.mark.parametrize(
    ("data", "pos"),
    [
        (b"", 0),
        (b'{"a": 1', 7),
        (b'{"orderId": ', 12),
        (b"[1, 2", 5),
        (b'{"a": x}', 6),
        (b"1 2", 2),
        (b'{\n  "a": 1,\n  "b": }', 19),
        (b'{"a":1}\n  x', 10),
        (b"[\n1,\n2,\n@]", 8),
    ],
)
def test_json_invalid_reports_the_byte_position(data, pos):
    # the reference is Python's own json module, which FastAPI uses for this error
    with pytest.raises(json.JSONDecodeError) as ref:
        json.loads(data)
    assert ref.value.pos == pos
    [e] = errors_of(data, Any)
    assert e["type"] == "json_invalid"
    assert e["loc"] == [pos], data
    assert e["msg"].startswith("JSON decode error")


def test_invalid_utf8_is_json_invalid():
    [e] = errors_of(b'"\xff"', str)
    assert e["type"] == "json_invalid"


def test_lone_surrogate_escape_is_json_invalid():
    [e] = errors_of(b'"\\ud800"', str)
    assert e["type"] == "json_invalid"


def test_decode_rejects_other_input_types():
    with pytest.raises(TypeError):
        decode(123, type=int)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------------------------
# deep nesting: must raise ValidationError or return, never take the process down

_DEEP_SCRIPT = """
import sys
from typing import Any
from django_bolt.json import ValidationError, decode
kind, n = sys.argv[1], int(sys.argv[2])
tp = {"any": Any, "list": list[Any], "dict": dict[str, Any], "node": None}[kind.split("-")[0]]
if kind.startswith("node"):
    from bodies.test_json_codec import Node as tp
if kind.endswith("objects"):
    data = b'{"a":' * n + b"1" + b"}" * n
elif kind.endswith("unclosed"):
    data = b"[" * n
elif kind == "node":
    data = b'{"value":0,"children":[' * n + b"]}" * n
else:
    data = b"[" * n + b"]" * n
try:
    decode(data, type=tp)
    print("returned")
except ValidationError as e:
    print("raised", e.errors[0]["type"])
"""


@pytest.mark.parametrize(
    ("kind", "n"),
    [
        ("any", 100_000),
        ("list", 100_000),
        ("any-objects", 100_000),
        ("dict-objects", 100_000),
        ("any-unclosed", 100_000),
        ("node", 100_000),
        ("any", 1_000_000),
    ],
)
def test_deep_nesting_never_crashes(kind, n):
    proc = subprocess.run(
        [sys.executable, "-c", _DEEP_SCRIPT, kind, str(n)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=TESTS,  # the script imports this module (bodies.test_json_codec), which imports support
    )
    assert proc.returncode == 0, f"decode crashed the process (exit {proc.returncode}): {proc.stderr[-2000:]}"
    assert proc.stdout.startswith(("returned", "raised")), proc.stdout + proc.stderr


def test_moderate_nesting_is_a_validation_error_in_process():
    # Refused while parsing, as pydantic's parser does ("json_invalid"), at the bracket where
    # the document goes deeper than 256 levels.
    with pytest.raises(ValidationError) as info:
        decode(b"[" * 1000 + b"]" * 1000, type=Any)
    assert info.value.errors[0]["type"] == "json_invalid"
    assert info.value.errors[0]["loc"] == [256]


# ----------------------------------------------------------------------------------------------
# encode


def test_encode_plain_values():
    assert encode([1, "a", None, 1.5, True, {"a": [1]}]) == b'[1,"a",null,1.5,true,{"a":[1]}]'
    assert encode(dt.date(2024, 1, 2)) == b'"2024-01-02"'
    assert encode(dt.time(1, 2, 3)) == b'"01:02:03"'
    assert encode(dt.datetime(2024, 1, 2, 3, 4, 5)) == b'"2024-01-02T03:04:05"'
    assert encode(U1) == b'"12345678-1234-5678-1234-567812345678"'
    assert encode(decimal.Decimal("1.10")) == b'"1.10"'
    assert encode(b"hi") == b'"aGk="'
    assert encode(dt.timedelta(days=1, hours=2)) == b'"P1DT2H"'
    assert encode(dt.timedelta(seconds=-0.5)) == b'"-PT0.5S"'
    assert encode(Color.RED) == b'"red"' and encode(Level.HIGH) == b"2"
    assert encode((1, 2)) == b"[1,2]"
    assert sorted(json.loads(encode({1, 2}))) == [1, 2]
    assert encode(2**70) == str(2**70).encode() and encode(-(2**70)) == str(-(2**70)).encode()
    assert json.loads(encode('é\u2028"\\\n\x01\x00')) == 'é\u2028"\\\n\x01\x00'
    assert encode({"k": Color.BLUE, U1: 1}) == b'{"k":"blue","12345678-1234-5678-1234-567812345678":1}'


def test_encode_struct_and_datetime_with_offset_decode_back():
    x = dt.datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=dt.timezone(-dt.timedelta(hours=5, minutes=30)))
    back = decode(encode(x), type=dt.datetime)
    assert back == x and back.utcoffset() == x.utcoffset()


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_encode_refuses_non_finite_floats(value):
    with pytest.raises((TypeError, ValueError)):
        encode(value)
    with pytest.raises((TypeError, ValueError)):
        encode([value], type=list[float])


def test_encode_refuses_unknown_objects_and_cycles():
    with pytest.raises(TypeError, match="object"):
        encode(object())
    loop: list = []
    loop.append(loop)
    with pytest.raises(TypeError):
        encode(loop)
    d: dict = {}
    d["self"] = d
    with pytest.raises(TypeError):
        encode(d)
    with pytest.raises(TypeError):
        encode("a\ud800b")


def test_encode_deep_python_structures_raise_not_crash():
    x: list = []
    for _ in range(100_000):
        x = [x]
    for tp in (None, Any, list[Any]):
        with pytest.raises(TypeError):
            encode(x, type=tp)


@pytest.mark.parametrize(
    ("value", "tp", "message"),
    [
        ([{"id": 1, "name": "a"}, {"id": "two", "name": "b"}], list[Person], "response.1.id: expected int, got str"),
        ([Person(id=1, name="a"), Person(id=1.5, name="b")], list[Person], "response.1.id: expected int, got float"),
        ({"id": 1}, Person, "response.name"),
        ({"a": "x"}, dict[str, int], "response.a: expected int, got str"),
        ((1, 2), tuple[int, str], "response.1: expected str, got int"),
        (True, int, "response: expected int, got bool"),
        ("x", list[str], "response"),
        ({"kind": "cat"}, Union[Cat, Dog], "response"),
        (Color.RED, Level, "response"),
    ],
)
def test_encode_with_a_type_names_the_path_that_does_not_fit(value, tp, message):
    with pytest.raises(TypeError) as info:
        encode(value, type=tp)
    assert message in str(info.value)


def test_encode_with_a_type_reads_only_declared_fields():
    assert encode([{"id": 1, "name": "a", "secret": "x"}], type=list[Person]) == b'[{"id":1,"name":"a"}]'

    class Row:
        def __init__(self) -> None:
            self.id, self.name, self.password = 7, "r", "hunter2"

    assert encode([Row()], type=list[Person]) == b'[{"id":7,"name":"r"}]'


# ----------------------------------------------------------------------------------------------
# property tests: decode(encode(x), type=T) == x


class Leaf(Struct):
    label: str
    n: int


class Tree(Struct, rename="camel"):
    text: str
    number: int
    ratio: float
    flag: bool
    when: dt.datetime
    day: dt.date
    clock: dt.time
    uid: uuid.UUID
    blob: bytes
    color: Color
    level: Level
    amount: decimal.Decimal
    duration: dt.timedelta
    tags: list[str]
    scores: dict[str, float]
    unique: frozenset[int]
    pair: tuple[int, str]
    either: Union[int, str]
    maybe_ratio: Optional[float]
    pets: list[Union[Cat, Dog]]
    raw: Any
    leaf: Optional[Leaf] = None
    leaves: list[Leaf] = field(default_factory=list)
    by_name: dict[str, Leaf] = field(default_factory=dict)


INT64 = st.integers(min_value=-(2**63), max_value=2**63)
FINITE = st.floats(allow_nan=False, allow_infinity=False)
OFFSETS = st.integers(min_value=-(23 * 60 + 59), max_value=23 * 60 + 59).map(
    lambda m: dt.timezone(dt.timedelta(minutes=m))
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | INT64 | FINITE | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
LEAVES = st.builds(Leaf, label=st.text(), n=INT64)
PETS = st.one_of(
    st.builds(Cat, name=st.text(), lives=INT64),
    st.builds(Dog, name=st.text(), good=st.booleans()),
)
TREES = st.builds(
    Tree,
    text=st.text(),
    number=INT64,
    ratio=FINITE,
    flag=st.booleans(),
    when=st.datetimes(timezones=st.none() | st.just(UTC) | OFFSETS),
    day=st.dates(),
    clock=st.times(),
    uid=st.uuids(),
    blob=st.binary(max_size=64),
    color=st.sampled_from(Color),
    level=st.sampled_from(Level),
    amount=st.decimals(allow_nan=False, allow_infinity=False),
    # within the range every decoder handles; the full range is test_every_timedelta_round_trips
    duration=st.timedeltas(min_value=dt.timedelta(days=-100_000), max_value=dt.timedelta(days=100_000)),
    tags=st.lists(st.text(), max_size=5),
    scores=st.dictionaries(st.text(), FINITE, max_size=5),
    unique=st.frozensets(INT64, max_size=5),
    pair=st.tuples(INT64, st.text()),
    either=st.one_of(INT64, st.text()),
    maybe_ratio=st.none() | FINITE,
    pets=st.lists(PETS, max_size=3),
    raw=JSON_VALUES,
    leaf=st.none() | LEAVES,
    leaves=st.lists(LEAVES, max_size=3),
    by_name=st.dictionaries(st.text(max_size=8), LEAVES, max_size=3),
)

PROPERTY = settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@PROPERTY
@given(TREES)
def test_property_struct_round_trip(tree):
    data = encode(tree)
    assert decode(data, type=Tree) == tree
    assert encode(tree, type=Tree) == data
    # and it is JSON any parser reads, with the camelCase names
    doc = json.loads(data)
    assert doc["text"] == tree.text and doc["number"] == tree.number
    assert doc["maybeRatio"] == tree.maybe_ratio
    assert base64.b64decode(doc["blob"]) == tree.blob


@PROPERTY
@given(JSON_VALUES)
def test_property_any_agrees_with_python_json(value):
    text = json.dumps(value).encode()
    assert decode(text, type=Any) == json.loads(text)
    assert json.loads(encode(value)) == value
    assert decode(encode(value), type=Any) == value


@PROPERTY
@given(st.lists(st.one_of(INT64, st.text()), max_size=10))
def test_property_int_or_str_union_keeps_each_kind(values):
    assert decode(json.dumps(values).encode(), type=list[Union[int, str]]) == values


@PROPERTY
@given(st.text())
def test_property_strings_round_trip(s):
    assert decode(encode(s), type=str) == s
    assert decode(json.dumps(s).encode(), type=str) == s
    assert decode(json.dumps(s, ensure_ascii=False).encode(), type=str) == s


class _Loose(Struct):
    label: "NotDefinedAnywhere"  # noqa: F821 - a type no plan can describe
    n: int


def test_struct_whose_field_type_cannot_be_planned_still_encodes_its_values():
    # Encoding does not need the declared types: such a Struct goes through the Python fallback.
    assert json.loads(encode([_Loose("x", 1)])) == [{"label": "x", "n": 1}]
    with pytest.raises(TypeError, match="complex is not JSON serializable"):
        encode(_Loose(1j, 2))
