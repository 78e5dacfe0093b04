"""``Struct``: typed records declared by annotations, used as request bodies and responses.

>>> class Item(Struct):
...     name: str
...     price: float
...     tags: list[str] = []
>>> Item(name="pen", price=1.5)
Item(name='pen', price=1.5, tags=[])

Bodies are decoded from JSON in Rust (sonic-rs) and checked against the declared fields here;
every failing field is reported in FastAPI's 422 shape.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as _dt
import decimal
import typing
import uuid
from typing import Any, ClassVar

__all__ = ["Struct", "convert", "to_builtins"]

_NODEFAULT: Any = object()


class Struct:
    """Base class for typed records: keyword construction, ``==``, ``repr`` and ``to_dict``."""

    __struct_fields__: ClassVar[tuple[str, ...]] = ()
    __struct_defaults__: ClassVar[dict[str, Any]] = {}
    __slots__ = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        fields: list[str] = []
        defaults: dict[str, Any] = {}
        for klass in reversed(cls.__mro__):
            for name in klass.__dict__.get("__annotations__", {}):
                if name.startswith("__") or typing.get_origin(klass.__annotations__[name]) is ClassVar:
                    continue
                if name not in fields:
                    fields.append(name)
                if name in klass.__dict__:
                    defaults[name] = klass.__dict__[name]
        cls.__struct_fields__ = tuple(fields)
        cls.__struct_defaults__ = defaults

    def __init__(self, **kwargs: Any) -> None:
        for name in self.__struct_fields__:
            if name in kwargs:
                value = kwargs.pop(name)
            elif name in self.__struct_defaults__:
                value = self.__struct_defaults__[name]
                if isinstance(value, (list, dict, set)):
                    value = copy.copy(value)
            else:
                raise TypeError(f"{type(self).__name__}() missing required argument {name!r}")
            object.__setattr__(self, name, value)
        if kwargs:
            raise TypeError(f"{type(self).__name__}() got unexpected arguments {sorted(kwargs)}")

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, f) == getattr(other, f) for f in self.__struct_fields__)

    def __repr__(self) -> str:
        inner = ", ".join(f"{f}={getattr(self, f)!r}" for f in self.__struct_fields__)
        return f"{type(self).__name__}({inner})"

    def to_dict(self) -> dict[str, Any]:
        """The fields as a dict (nested values left as they are)."""
        return {f: getattr(self, f) for f in self.__struct_fields__}


_FIELDS: dict[type, list[tuple[str, Any, Any]]] = {}


def _fields(tp: type) -> list[tuple[str, Any, Any]]:
    """(name, type, default) per field, resolved once per class (get_type_hints is slow)."""
    try:
        return _FIELDS[tp]
    except KeyError:
        pass
    _FIELDS[tp] = out = _resolve_fields(tp)
    return out


def _resolve_fields(tp: type) -> list[tuple[str, Any, Any]]:
    hints = typing.get_type_hints(tp, include_extras=True)
    if dataclasses.is_dataclass(tp):
        out = []
        for f in dataclasses.fields(tp):
            if f.default is not dataclasses.MISSING:
                d = f.default
            elif f.default_factory is not dataclasses.MISSING:
                d = f.default_factory
            else:
                d = _NODEFAULT
            out.append((f.name, hints.get(f.name, Any), d))
        return out
    return [(n, hints.get(n, Any), tp.__struct_defaults__.get(n, _NODEFAULT)) for n in tp.__struct_fields__]


_TYPE_NAMES = {int: ("int_type", "Input should be a valid integer"),
               float: ("float_type", "Input should be a valid number"),
               str: ("string_type", "Input should be a valid string"),
               bool: ("bool_type", "Input should be a valid boolean")}


_TRUE = {"1", "on", "t", "true", "y", "yes"}
_FALSE = {"0", "off", "f", "false", "n", "no"}


class _Errors(list):
    def add(self, typ: str, loc: tuple, msg: str, value: Any) -> None:
        self.append({"type": typ, "loc": list(loc), "msg": msg, "input": value})


def convert(tp: Any, value: Any, loc: tuple = ("body",)) -> Any:
    """Checks the decoded JSON ``value`` against ``tp`` and builds it.

    Raises ``RequestValidationError`` listing every failing field.
    """
    from .exceptions import RequestValidationError

    errors = _Errors()
    out = _convert(tp, value, loc, errors)
    if errors:
        raise RequestValidationError(list(errors))
    return out


def _check_meta(meta: Any, value: Any, loc: tuple, errors: _Errors) -> None:
    """pydantic's constraint errors for a converted value."""
    import re

    def n(v: float) -> str:
        return str(int(v)) if float(v).is_integer() else str(v)

    if isinstance(value, (int, float, decimal.Decimal)) and not isinstance(value, bool):
        checks = [("gt", lambda b: value > b, "greater_than", "greater than"),
                  ("ge", lambda b: value >= b, "greater_than_equal", "greater than or equal to"),
                  ("lt", lambda b: value < b, "less_than", "less than"),
                  ("le", lambda b: value <= b, "less_than_equal", "less than or equal to")]
        for attr, ok, typ, words in checks:
            bound = getattr(meta, attr, None)
            if bound is not None and not ok(bound):
                errors.add(typ, loc, f"Input should be {words} {n(bound)}", value)
                return
        m = getattr(meta, "multiple_of", None)
        if m is not None and abs(value / m - round(value / m)) > 1e-9:
            errors.add("multiple_of", loc, f"Input should be a multiple of {n(m)}", value)
    if isinstance(value, (str, list, tuple, set, dict)):
        what, unit = ("String", "character") if isinstance(value, str) else ("List", "item")
        size = len(value)
        lo, hi = getattr(meta, "min_length", None), getattr(meta, "max_length", None)
        tail = "" if isinstance(value, str) else f" after validation, not {size}"
        if lo is not None and size < lo:
            errors.add("string_too_short" if what == "String" else "too_short", loc,
                       f"{what} should have at least {lo} {unit}{'s' if lo != 1 else ''}{tail}", value)
        elif hi is not None and size > hi:
            errors.add("string_too_long" if what == "String" else "too_long", loc,
                       f"{what} should have at most {hi} {unit}{'s' if hi != 1 else ''}{tail}", value)
        pat = getattr(meta, "pattern", None)
        if pat is not None and isinstance(value, str) and not re.search(pat, value):
            errors.add("string_pattern_mismatch", loc, f"String should match pattern '{pat}'", value)


def _convert(tp: Any, value: Any, loc: tuple, errors: _Errors) -> Any:
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        from .params import Meta

        base, *extras = typing.get_args(tp)
        before = len(errors)
        out = _convert(base, value, loc, errors)
        if len(errors) == before:
            for meta in extras:
                if isinstance(meta, Meta):
                    _check_meta(meta, out, loc, errors)
        return out
    if tp is Any or tp is object:
        return value
    if origin is typing.Union or origin is getattr(__import__("types"), "UnionType"):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        for a in args:
            if a is type(None):
                continue
            trial = _Errors()
            out = _convert(a, value, loc, trial)
            if not trial:
                return out
        errors.add("union_type", loc, f"Input does not match any of {tp}", value)
        return None
    if origin is typing.Literal:
        if value in typing.get_args(tp):
            return value
        errors.add("literal_error", loc, f"Input should be one of {typing.get_args(tp)!r}", value)
        return None
    if origin in (list, set, tuple, frozenset) or tp in (list, set, tuple):
        if not isinstance(value, list):
            errors.add("list_type", loc, "Input should be a valid list", value)
            return None
        args = typing.get_args(tp)
        elem = args[0] if args else Any
        items = [_convert(elem, v, loc + (i,), errors) for i, v in enumerate(value)]
        return (origin or tp)(items) if (origin or tp) is not list else items
    if origin is dict or tp is dict:
        if not isinstance(value, dict):
            errors.add("dict_type", loc, "Input should be a valid dictionary", value)
            return None
        args = typing.get_args(tp)
        vt = args[1] if len(args) == 2 else Any
        return {k: _convert(vt, v, loc + (k,), errors) for k, v in value.items()}
    if isinstance(tp, type) and (issubclass(tp, Struct) or dataclasses.is_dataclass(tp)):
        if not isinstance(value, dict):
            errors.add("model_attributes_type", loc, "Input should be a valid dictionary or object", value)
            return None
        kwargs = {}
        for name, ftp, default in _fields(tp):
            if name in value:
                kwargs[name] = _convert(ftp, value[name], loc + (name,), errors)
            elif default is _NODEFAULT:
                errors.add("missing", loc + (name,), "Field required", None)
        if errors:
            return None
        return tp(**kwargs)
    # Lax mode, as pydantic (and so FastAPI) does: numeric and boolean strings are accepted,
    # and a string that does not parse is a *_parsing error rather than a *_type one.
    if tp is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str):
            low = value.strip().lower()
            if low in _TRUE or low in _FALSE:
                return low in _TRUE
            errors.add("bool_parsing", loc, "Input should be a valid boolean, unable to interpret input", value)
            return None
    elif tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                errors.add("int_parsing", loc, "Input should be a valid integer, unable to parse string as an integer",
                           value)
                return None
    elif tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value.strip())
            except ValueError:
                errors.add("float_parsing", loc, "Input should be a valid number, unable to parse string as a number",
                           value)
                return None
    elif tp is str:
        if isinstance(value, str):
            return value
    elif tp in (uuid.UUID, _dt.date, _dt.datetime, _dt.time, decimal.Decimal):
        try:
            if tp is decimal.Decimal and isinstance(value, (int, float)):
                return decimal.Decimal(str(value))
            if isinstance(value, str):
                return tp(value) if tp in (uuid.UUID, decimal.Decimal) else tp.fromisoformat(value)
        except (ValueError, decimal.InvalidOperation):
            pass
        errors.add(f"{tp.__name__.lower()}_parsing", loc, f"Input should be a valid {tp.__name__}", value)
        return None
    else:
        if isinstance(tp, type) and isinstance(value, tp):
            return value
        errors.add("is_instance_of", loc, f"Input should be an instance of {getattr(tp, '__name__', tp)}", value)
        return None
    typ, msg = _TYPE_NAMES[tp]
    errors.add(typ, loc, msg, value)
    return None


def to_builtins(obj: Any) -> Any:
    """The JSON fallback for values Rust does not encode directly."""
    if isinstance(obj, Struct):
        return obj.to_dict()
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
    if isinstance(obj, (set, frozenset)):
        return list(obj)
    if isinstance(obj, (bytes, bytearray, memoryview)):
        return bytes(obj).decode("utf-8", "replace")
    if isinstance(obj, _dt.timedelta):
        return obj.total_seconds()
    # QuerySets, generators and other iterables become lists.
    if hasattr(obj, "__iter__") and not isinstance(obj, (str, dict)):
        return list(obj)
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")
