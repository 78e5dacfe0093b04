"""Type plans: a Python type described once, compiled into a Rust plan (src/schema/) that decodes
JSON straight into that type, validates it and encodes it back.

``plan_for(tp)`` is cached per interpreter; a type that cannot be planned raises ``TypeError``
naming the type and, for fields, where it sits (``Order.items[].price``).

The description is plain tuples (see ``src/schema/plan.rs`` for the reading side)::

    node  = ("int", constraints) | ("str", constraints) | ("list", node, constraints) | ...
            ("struct", index)     -> defs[index] = (cls, kind, fields, tag_field, tag_value,
                                                    forbid_unknown, omit_defaults)
    field = (attribute, json_name, node, default_kind, default)
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import decimal
import enum
import types
import typing
import uuid
from typing import Any

from . import _native
from .constraints import BOUNDS, LENGTHS, PATTERN, Meta, merge
from .struct import NODEFAULT, StructMeta, UnresolvedType, _Field, fields, is_msgspec_struct

__all__ = ["plan_for", "describe", "type_of_plan"]

# default_kind in a field description
REQUIRED, VALUE, FACTORY, OMIT = 0, 1, 2, 3

_SIMPLE = {
    bool: "bool",
    int: "int",
    float: "float",
    str: "str",
    bytes: "bytes",
    bytearray: "bytes",
    decimal.Decimal: "decimal",
    _dt.datetime: "datetime",
    _dt.date: "date",
    _dt.time: "time",
    _dt.timedelta: "timedelta",
    uuid.UUID: "uuid",
    type(None): "none",
}
_CONSTRAINED = {"int", "float", "str", "bytes", "decimal"}
_SEQS = {
    list: "list",
    set: "set",
    frozenset: "frozenset",
    tuple: "tuple",
    typing.Sequence: "list",
    typing.MutableSequence: "list",
    typing.AbstractSet: "set",
    typing.MutableSet: "set",
}
_MAPS = {dict, typing.Mapping, typing.MutableMapping}


def _is_record(tp: Any) -> bool:
    return isinstance(tp, type) and (
        isinstance(tp, StructMeta) or dataclasses.is_dataclass(tp) or typing.is_typeddict(tp) or is_msgspec_struct(tp)
    )


class _Describer:
    def __init__(self, output: bool = False) -> None:
        self.defs: list[tuple | None] = []
        self.index: dict[type, int] = {}
        #: Describing what a response is encoded along: a record class with
        #: ``__bolt_output_type__()`` (a Serializer with computed or write-only fields) is
        #: described as the type it returns.
        self.output = output

    def node(self, tp: Any, where: str, constraints: tuple | None = None) -> tuple:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            base, *extras = typing.get_args(tp)
            meta = None
            for x in extras:
                if isinstance(x, Meta):
                    meta = x.merged(meta) if meta is not None else x
            return self.node(base, where, merge(constraints, meta.constraints() if meta is not None else None))
        if origin in (typing.NotRequired, typing.Required, typing.ReadOnly):
            # TypedDict key qualifiers: presence is already in __required_keys__.
            return self.node(typing.get_args(tp)[0], where, constraints)
        if isinstance(tp, typing.TypeAliasType):
            return self.node(tp.__value__, where, constraints)
        if isinstance(tp, typing.NewType):
            return self.node(tp.__supertype__, where, constraints)
        if tp is Any or tp is object:
            return ("any",)
        if tp is None:
            tp = type(None)
        if isinstance(tp, typing.TypeVar):
            return self.node(tp.__bound__ or Any, where, constraints)
        if isinstance(tp, (str, typing.ForwardRef)):
            raise UnresolvedType(f"{where}: unresolved forward reference {tp!r}")
        kind = _SIMPLE.get(tp)
        if kind is not None:
            if constraints is not None and kind not in _CONSTRAINED:
                raise TypeError(f"{where}: constraints do not apply to {tp.__name__}")
            self._check_constraints(kind, constraints, where)
            return (kind, constraints) if kind in _CONSTRAINED else (kind,)
        if origin is typing.Union or origin is types.UnionType:
            # ``| UnsetType`` says "may be left out"; the field's default (UNSET) carries that.
            args = tuple(a for a in typing.get_args(tp) if not getattr(a, "__bolt_unset__", False))
            if len(args) == 1:
                return self.node(args[0], where, constraints)
            rest = [a for a in args if a is not type(None) and a is not None]
            inner: tuple
            if len(rest) == 1:
                inner = self.node(rest[0], where, constraints)
            else:
                inner = self.union(rest, where, constraints)
            return ("optional", inner) if len(rest) < len(args) else inner
        if origin is typing.Literal:
            values = typing.get_args(tp)
            for v in values:
                if not (v is None or isinstance(v, (str, int, bool)) or isinstance(v, enum.Enum)):
                    raise TypeError(f"{where}: Literal values must be str, int, bool, None or Enum, got {v!r}")
            return ("literal", [v.value if isinstance(v, enum.Enum) else v for v in values], list(values))
        if isinstance(tp, type) and issubclass(tp, enum.Enum):
            members = list(tp)
            for m in members:
                if not isinstance(m.value, (str, int)) or isinstance(m.value, bool):
                    raise TypeError(
                        f"{where}: Enum {tp.__name__} has a {type(m.value).__name__} value "
                        "(only str and int values are supported)"
                    )
            return ("enum", tp, [(m.value, m) for m in members])
        base = origin or tp
        if base in _SEQS:
            args = typing.get_args(tp)
            if base is tuple and args and not (len(args) == 2 and args[1] is Ellipsis):
                if args == ((),):
                    args = ()
                return ("fixtuple", [self.node(a, f"{where}[{i}]") for i, a in enumerate(args)])
            item = args[0] if args else Any
            self._check_constraints("list", constraints, where)
            return (_SEQS[base], self.node(item, f"{where}[]"), constraints)
        if base in _MAPS:
            args = typing.get_args(tp)
            key, value = args if len(args) == 2 else (Any, Any)
            knode = self.node(key, f"{where}{{key}}")
            if knode[0] not in ("str", "any", "int", "enum", "literal", "uuid"):
                raise TypeError(f"{where}: dict keys must be str, int, Enum, Literal or UUID (JSON object keys)")
            self._check_constraints("list", constraints, where)
            return ("dict", knode, self.node(value, f"{where}{{}}"), constraints)
        if _is_record(tp):
            if self.output and hasattr(tp, "__bolt_output_type__"):
                tp = tp.__bolt_output_type__()
            if constraints is not None:
                raise TypeError(f"{where}: constraints do not apply to {tp.__name__}")
            return ("struct", self.record(tp))
        name = getattr(tp, "__qualname__", repr(tp))
        raise TypeError(
            f"{where}: unsupported type {name} (use str, int, float, bool, bytes, Decimal, "
            "datetime, date, time, timedelta, UUID, Enum, Literal, list/set/tuple/dict, "
            "Optional/Union, Struct, dataclass or TypedDict)"
        )

    def union(self, members: list, where: str, constraints: tuple | None) -> tuple:
        nodes = [self.node(m, where, constraints) for m in members]
        structs = [n for n in nodes if n[0] == "struct"]
        if len(structs) > 1:
            # Several records in one union need tags to tell them apart (msgspec's rule too).
            tags: list[tuple[Any, int]] = []
            fields_seen = set()
            for n in structs:
                d = self.defs[n[1]]
                cls = members[nodes.index(n)]
                if d is None or d[4] is None:
                    raise TypeError(
                        f"{where}: a union of several Structs needs each to declare tag= ({cls.__name__} does not)"
                    )
                fields_seen.add(d[3])
                tags.append((d[4], n[1]))
            if len(fields_seen) > 1:
                raise TypeError(f"{where}: the Structs of a union must share one tag_field, got {sorted(fields_seen)}")
            values = [t for t, _ in tags]
            if len(set(values)) != len(values):
                raise TypeError(f"{where}: two Structs of a union have the same tag")
            others = [n for n in nodes if n[0] != "struct"]
            tagged = ("tagged", fields_seen.pop(), tags)
            return ("union", others + [tagged]) if others else tagged
        return ("union", nodes)

    def record(self, tp: type) -> int:
        if tp in self.index:
            return self.index[tp]
        idx = len(self.defs)
        self.index[tp] = idx
        self.defs.append(None)  # placeholder: recursive types refer to it while it is built
        try:
            described = fields(tp)
        except TypeError as e:
            raise type(e)(f"{tp.__qualname__}: {e}") from None
        out = []
        for attr, json_name, ftp, default in described:
            node = self.node(ftp, f"{tp.__qualname__}.{attr}")
            if default is NODEFAULT:
                out.append((attr, json_name, node, REQUIRED, None))
            elif default is None and typing.is_typeddict(tp):
                out.append((attr, json_name, node, OMIT, None))
            elif isinstance(default, _Field):
                out.append((attr, json_name, node, FACTORY, default.default_factory))
            else:
                out.append((attr, json_name, node, VALUE, default))
        if isinstance(tp, StructMeta):
            cfg = tp.__struct_config__
            kind = "struct"
            tag_field, tag_value = cfg["tag_field"], cfg["tag"]
            forbid, omit = cfg["forbid_unknown_fields"], cfg["omit_defaults"]
        else:
            kind = "dataclass" if dataclasses.is_dataclass(tp) else "typeddict"
            tag_field = tag_value = None
            forbid = omit = False
        self.defs[idx] = (tp, kind, out, tag_field, tag_value, forbid, omit)
        return idx

    @staticmethod
    def _check_constraints(kind: str, c: tuple | None, where: str) -> None:
        if c is None:
            return
        numeric = kind in ("int", "float", "decimal")
        if not numeric and any(v is not None for v in c[BOUNDS]):
            raise TypeError(f"{where}: gt/ge/lt/le/multiple_of apply to numbers only")
        if numeric and (any(v is not None for v in c[LENGTHS]) or c[PATTERN] is not None):
            raise TypeError(f"{where}: min_length/max_length/pattern do not apply to numbers")
        if kind != "str" and c[PATTERN] is not None:
            raise TypeError(f"{where}: pattern applies to str only")


def describe(tp: Any, where: str | None = None, *, output: bool = False) -> tuple[tuple, list[tuple]]:
    """``(root_node, struct_defs)`` for ``tp``; raises ``TypeError`` if it cannot be planned.
    ``output``: the shape values of ``tp`` are encoded in (see ``_Describer.output``)."""
    d = _Describer(output)
    root = d.node(tp, where or getattr(tp, "__qualname__", None) or repr(tp))
    return root, d.defs  # type: ignore[return-value]


_PLANS: dict[Any, Any] = {}
_OUTPUT = object()  # the second half of an output plan's key in _PLANS
#: id(plan) -> (plan, the type it was compiled from): what the OpenAPI document reads a parameter
#: plan's type from (the plan is kept alive here, so its id is never reused).
_TYPES: dict[int, tuple[Any, Any]] = {}


def plan_for(tp: Any, where: str | None = None, *, output: bool = False) -> Any:
    """The compiled plan (an opaque capsule) for ``tp``, built once per interpreter.
    ``output=True``: the plan responses declared as ``tp`` are encoded along (differs from the
    decoding one only for Serializers with computed or write-only fields)."""
    key = (tp, _OUTPUT) if output else tp
    try:
        return _PLANS[key]
    except KeyError:
        pass
    except TypeError:  # unhashable (Annotated with an unhashable marker, say)
        plan = _native.compile_plan(*describe(tp, where, output=output))
        _TYPES[id(plan)] = (plan, tp)
        return plan
    plan = _PLANS[key] = _native.compile_plan(*describe(tp, where, output=output))
    _TYPES[id(plan)] = (plan, tp)
    return plan


def type_of_plan(plan: Any) -> Any:
    """The type ``plan`` (from :func:`plan_for`) was compiled from; ``KeyError`` for any other."""
    return _TYPES[id(plan)][1]
