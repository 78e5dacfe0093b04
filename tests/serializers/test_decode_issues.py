"""The decoder's side of validator failures: an exception from ``__post_init__`` carrying
``__bolt_issues__`` becomes one 422 entry per issue, placed under the record; one without it (or
with a malformed one) stays a single entry at the record."""

from __future__ import annotations

import pytest

from django_bolt import Struct
from django_bolt.json import ValidationError, decode


class Issues(ValueError):
    def __init__(self, issues):
        super().__init__("whole")
        self.__bolt_issues__ = issues


class Inner(Struct):
    a: int
    b: str

    def __post_init__(self):
        if self.b == "two":
            raise Issues([(("a",), "bad a"), (("b", 0), "bad b0")])
        if self.b == "malformed":
            raise Issues([("a", 1, 2)])
        if self.b == "plain":
            raise ValueError("plain failure")
        if self.b == "bug":
            raise KeyError("a bug")


class Outer(Struct):
    items: list[Inner]


def errors(body: bytes) -> list[dict]:
    with pytest.raises(ValidationError) as e:
        decode(body, type=Outer)
    return e.value.errors


def test_issues_are_placed_under_the_record():
    errs = errors(b'{"items": [{"a": 1, "b": "ok"}, {"a": 5, "b": "two"}]}')
    assert [(e["loc"], e["msg"], e["type"]) for e in errs] == [
        (["items", 1, "a"], "Value error, bad a", "value_error"),
        (["items", 1, "b", 0], "Value error, bad b0", "value_error"),
    ]
    assert errs[0]["input"] == 5  # the field's own input


def test_without_usable_issues_the_record_gets_one_entry():
    for b in ("malformed", "plain"):
        (e,) = errors(b'{"items": [{"a": 1, "b": "%s"}]}' % b.encode())
        assert e["loc"] == ["items", 0] and e["type"] == "value_error"


def test_other_exceptions_are_not_validation():
    with pytest.raises(KeyError):
        decode(b'{"items": [{"a": 1, "b": "bug"}]}', type=Outer)
