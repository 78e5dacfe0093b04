"""JSON in Rust: ``encode`` and ``decode`` with the same code the server runs for requests.

>>> from django_bolt.json import decode, encode
>>> decode(b'{"name": "pen", "price": "1.5"}', type=Item)
Item(name='pen', price=1.5, tags=[])
>>> encode([Item(name="pen", price=1.5)])
b'[{"name":"pen","price":1.5,"tags":[]}]'

``decode(..., type=T)`` parses with sonic-rs and builds ``T`` directly (Structs, dataclasses,
TypedDicts, containers, scalars), raising ``ValidationError`` that lists every failing field in
FastAPI's shape. msgspec and orjson cannot load in the server's sub-interpreters; this can.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import enum
import uuid
from typing import Any

from . import _native
from .exceptions import RequestValidationError
from .schema import plan_for
from .struct import StructMeta, to_builtins

__all__ = ["encode", "decode", "ValidationError", "ENCODE_TYPES"]


def _untyped_plan(cls: Any) -> Any:
    """The plan the encoder writes a Struct met without a declared type along. A Serializer
    whose output is not its fields (computed or write-only ones) has none: the encoder then
    falls back to ``to_builtins``, which calls its ``dump()``."""
    if getattr(cls, "__bolt_output_differs__", False):
        raise TypeError(f"{cls.__name__} is encoded through dump()")
    return plan_for(cls)


ENCODE_TYPES = (
    _dt.datetime,
    _dt.date,
    _dt.time,
    uuid.UUID,
    decimal.Decimal,
    enum.Enum,
    to_builtins,
    StructMeta,
    _untyped_plan,
)


class ValidationError(RequestValidationError, ValueError):
    """The input does not fit the type: ``errors`` is the list of
    ``{"type", "loc", "msg", "input"}`` dicts (every failing field)."""


def decode(data: bytes | bytearray | str, *, type: Any = Any) -> Any:
    """Parses JSON ``data`` into ``type`` (default: plain dicts/lists/scalars), validating it."""
    try:
        return _native.decode(plan_for(type), data)
    except ValueError as e:
        if e.args and isinstance(e.args[0], list):
            raise ValidationError(e.args[0]) from None
        raise


def encode(obj: Any, *, type: Any = None) -> bytes:
    """Encodes ``obj`` as JSON bytes; with ``type``, checks it fits that type as it goes and
    raises ``TypeError`` naming the first field that does not."""
    return _native.encode(obj, ENCODE_TYPES, None if type is None else plan_for(type, output=True))
