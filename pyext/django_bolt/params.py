"""Parameter markers and the compiler that turns a handler's signature into a plan for Rust.

>>> @api.get("/items/{item_id}")
... def read(item_id: int, q: str | None = None, page: int = Query(1, alias="p")) -> dict: ...

Path parameters are the names in the route; other scalars come from the query string; a
``Struct``, dataclass, ``dict`` or ``list`` of objects is the JSON body; ``request`` (or any
parameter annotated ``Request``) receives the request object.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import decimal
import inspect
import types
import typing
import uuid
from typing import Any, Callable

from .request import Request

__all__ = ["Query", "Path", "Body", "Param", "compile_params", "SignatureError"]

_MISSING: Any = inspect.Parameter.empty

# Shared with src/params.rs: keep the numbers in sync.
SRC_PATH, SRC_QUERY, SRC_REQUEST, SRC_BODY = 0, 1, 2, 3
K_STR, K_INT, K_FLOAT, K_BOOL, K_UUID, K_DATE, K_DATETIME, K_DECIMAL, K_TIME, K_ANY, K_MODEL = range(11)
F_LIST, F_OPTIONAL, F_DEFAULT = 1, 2, 4

_SCALARS: dict[Any, int] = {
    str: K_STR, int: K_INT, float: K_FLOAT, bool: K_BOOL, uuid.UUID: K_UUID, _dt.date: K_DATE,
    _dt.datetime: K_DATETIME, decimal.Decimal: K_DECIMAL, _dt.time: K_TIME,
}


class SignatureError(TypeError):
    """A handler signature that cannot be served; raised at start-up, naming the parameter."""


class Param:
    """Base of the markers: a default plus metadata for where the value comes from."""

    source: int = SRC_QUERY

    def __init__(self, default: Any = _MISSING, *, alias: str | None = None, description: str | None = None,
                 example: Any = None, deprecated: bool = False) -> None:
        if default is Ellipsis:
            default = _MISSING
        self.default = default
        self.alias = alias
        self.description = description
        self.example = example
        self.deprecated = deprecated

    def __repr__(self) -> str:
        return f"{type(self).__name__}(default={self.default!r}, alias={self.alias!r})"


class Query(Param):
    """A query-string parameter: ``page: int = Query(1, alias="p")``."""

    source = SRC_QUERY


class Path(Param):
    """A path parameter (the default for names that appear in the route)."""

    source = SRC_PATH


class Body(Param):
    """The JSON request body."""

    source = SRC_BODY


def _unwrap_optional(tp: Any) -> tuple[Any, bool]:
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1 and len(typing.get_args(tp)) == 2:
            return args[0], True
    return tp, False


def _is_model(tp: Any) -> bool:
    from .struct import Struct

    return isinstance(tp, type) and (issubclass(tp, Struct) or dataclasses.is_dataclass(tp))


def _body_kind(tp: Any) -> int | None:
    base = typing.get_origin(tp) or tp
    if _is_model(tp):
        return K_MODEL
    if base in (dict, list) or tp is Any:
        args = typing.get_args(tp)
        if base is list and args and _is_model(args[0]):
            return K_MODEL
        return K_ANY
    return None


def compile_params(handler: Callable[..., Any], path: str) -> list[tuple]:
    """Returns the handler's parameter plan: one tuple per parameter, in signature order.

    Each tuple is ``(name, source, kind, flags, default, key, model)``; see src/params.rs.
    Raises ``SignatureError`` naming the handler and parameter when it cannot be served.
    """
    where = f"{handler.__module__}.{handler.__qualname__}"
    try:
        hints = typing.get_type_hints(handler, include_extras=False)
    except Exception as e:  # an unresolvable forward reference, say
        raise SignatureError(f"{where}: cannot resolve type hints: {e}") from e
    path_names = {seg[1:-1].split(":")[0] for seg in _segments(path)}
    plan: list[tuple] = []
    bodies = 0
    for p in inspect.signature(handler).parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            raise SignatureError(f"{where}: *args/**kwargs parameter {p.name!r} cannot be served")
        tp = hints.get(p.name, Any if p.annotation is _MISSING else p.annotation)
        marker = p.default if isinstance(p.default, Param) else None
        default = marker.default if marker else p.default
        if tp is Request or (p.name == "request" and tp is Any):
            plan.append((p.name, SRC_REQUEST, K_ANY, 0, None, p.name, None))
            continue
        inner, optional = _unwrap_optional(tp)
        flags = F_OPTIONAL if optional else 0
        if default is not _MISSING:
            flags |= F_DEFAULT
        key = (marker.alias if marker and marker.alias else p.name)
        if marker is not None:
            source = marker.source
        elif p.name in path_names:
            source = SRC_PATH
        elif _body_kind(inner) is not None and not _is_scalar_list(inner):
            source = SRC_BODY
        else:
            source = SRC_QUERY
        if source == SRC_PATH and p.name not in path_names and key not in path_names:
            raise SignatureError(f"{where}: path parameter {p.name!r} is not in the route {path!r}")
        if source == SRC_BODY:
            kind = _body_kind(inner)
            if kind is None:
                kind = K_ANY if inner is Any else None
            if kind is None:
                raise SignatureError(f"{where}: body parameter {p.name!r} has unsupported type {tp!r}")
            bodies += 1
            if bodies > 1:
                raise SignatureError(f"{where}: more than one body parameter ({p.name!r})")
            plan.append((p.name, SRC_BODY, kind, flags, None if default is _MISSING else default, key, inner))
            continue
        if typing.get_origin(inner) is list:
            args = typing.get_args(inner)
            elem = args[0] if args else str
            flags |= F_LIST
            if source == SRC_PATH:
                raise SignatureError(f"{where}: path parameter {p.name!r} cannot be a list")
        else:
            elem = inner
        if elem is Any or elem is _MISSING:
            elem = str
        kind = _SCALARS.get(elem)
        if kind is None:
            raise SignatureError(
                f"{where}: parameter {p.name!r} has unsupported type {tp!r} "
                "(use str, int, float, bool, UUID, date, datetime, time, Decimal, Optional or list of them)")
        if source == SRC_PATH and flags & F_DEFAULT:
            raise SignatureError(f"{where}: path parameter {p.name!r} cannot have a default")
        plan.append((p.name, source, kind, flags, None if default is _MISSING else default, key, None))
    declared = {t[5] for t in plan if t[1] == SRC_PATH}
    missing = path_names - declared
    if missing:
        raise SignatureError(f"{where}: route {path!r} has {sorted(missing)} but the handler does not take them")
    return plan


def _is_scalar_list(tp: Any) -> bool:
    if typing.get_origin(tp) is list:
        args = typing.get_args(tp)
        return bool(args) and args[0] in _SCALARS
    return False


def _segments(path: str) -> list[str]:
    out = []
    i = 0
    while (start := path.find("{", i)) != -1:
        end = path.find("}", start)
        if end == -1:
            break
        out.append(path[start:end + 1])
        i = end + 1
    return out
