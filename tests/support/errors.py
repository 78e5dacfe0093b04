"""Validation errors in FastAPI's shape ``{"type", "loc", "msg", "input"}`` (pydantic's types and
words), compared as sets."""

from __future__ import annotations

import json
from typing import Any


def err(type_: str, loc: list, msg: str, input_: Any) -> dict:
    return {"type": type_, "loc": loc, "msg": msg, "input": input_}


def canon(errors: list[dict]) -> list[str]:
    """Errors as sorted JSON texts: compares the full set without depending on the order."""
    return sorted(json.dumps(e, sort_keys=True, default=repr) for e in errors)


def assert_errors(actual: list[dict], expected: list[dict]) -> None:
    """The same errors, in any order, none missing and none extra."""
    assert canon(actual) == canon(expected)


def detail(resp, *, content_type: bool = True) -> list[dict]:
    """The ``detail`` list of a 422 response; with ``content_type``, its body is also declared
    ``application/json``."""
    assert resp.status == 422, (resp.status, resp.body[:500])
    if content_type:
        assert resp.content_type == "application/json"
    return resp.json()["detail"]
