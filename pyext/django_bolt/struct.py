"""``Struct``: typed records declared by annotations, used as request bodies and responses.

>>> class Item(Struct):
...     name: str
...     price: float
...     tags: list[str] = []
>>> Item(name="pen", price=1.5)
Item(name='pen', price=1.5, tags=[])

Like ``msgspec.Struct``: the fields become ``__slots__`` (fast attribute access, no ``__dict__``),
``__init__`` is generated with the declared signature, and class options go in the class
statement::

    class Event(Struct, rename="camel", kw_only=True, tag="click", forbid_unknown_fields=True):
        user_id: int                          # JSON key "userId"
        at: datetime = field(default_factory=now)

Bodies are decoded from JSON in Rust (sonic-rs) straight into these classes, checked against the
declared types and constraints (see ``django_bolt.json``).
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as _dt
import typing
from typing import Any, Callable, ClassVar

__all__ = [
    "Struct",
    "StructMeta",
    "field",
    "NODEFAULT",
    "UNSET",
    "UnsetType",
    "to_builtins",
    "fields",
    "UnresolvedType",
]


class UnresolvedType(TypeError):
    """An annotation names something not defined (yet): a forward reference to a class that
    comes later in its module."""


class _NoDefault:
    __slots__ = ()

    def __repr__(self) -> str:
        return "NODEFAULT"


NODEFAULT: Any = _NoDefault()


class UnsetType:
    """The type of ``UNSET`` (msgspec's spelling): a field declared ``x: int | UnsetType = UNSET``
    is ``UNSET`` when the input leaves it out, and is left out of the JSON while it is ``UNSET``
    (a PATCH body can tell "not given" from ``null``)."""

    __slots__ = ()
    #: What the Rust plan compiler looks for on a field's default.
    __bolt_unset__ = True
    _instance: UnsetType | None = None

    def __new__(cls) -> UnsetType:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self) -> str:
        return "UNSET"


UNSET: Any = UnsetType()


class _Field:
    """What ``field(...)`` returns: a default, a default factory and/or a JSON name."""

    __slots__ = ("default", "default_factory", "name")

    def __init__(self, default: Any, default_factory: Callable[[], Any] | None, name: str | None) -> None:
        self.default, self.default_factory, self.name = default, default_factory, name


def field(
    *, default: Any = NODEFAULT, default_factory: Callable[[], Any] | None = None, name: str | None = None
) -> Any:
    """Declares a field's default, a zero-argument ``default_factory`` called per instance, or
    the ``name`` it has in JSON (overriding the class's ``rename``)."""
    if default is not NODEFAULT and default_factory is not None:
        raise TypeError("field() takes default or default_factory, not both")
    if default_factory is not None and not callable(default_factory):
        raise TypeError("default_factory must be callable")
    return _Field(default, default_factory, name)


def _camel(s: str) -> str:
    head, *rest = s.lstrip("_").split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


_RENAMES: dict[str, Callable[[str], str]] = {
    "camel": _camel,
    "pascal": lambda s: (c := _camel(s))[:1].upper() + c[1:],
    "kebab": lambda s: s.strip("_").replace("_", "-"),
    "lower": str.lower,
    "upper": str.upper,
}


def _json_name(rename: Any, name: str) -> str:
    if rename is None:
        return name
    if isinstance(rename, str):
        return _RENAMES[rename](name)
    if isinstance(rename, typing.Mapping):
        return rename.get(name, name)
    out = rename(name)
    return name if out is None else out


def _own_annotations(ns: dict[str, Any]) -> dict[str, Any]:
    if "__annotations__" in ns:
        return dict(ns["__annotations__"])
    annotate = ns.get("__annotate__")  # Python 3.14 defers annotations (PEP 649)
    if annotate is None:
        return {}
    import annotationlib  # type: ignore[import-not-found]

    return annotationlib.call_annotate_function(annotate, annotationlib.Format.FORWARDREF)


def _is_classvar(ann: Any) -> bool:
    if isinstance(ann, str):
        return ann.startswith(("ClassVar", "typing.ClassVar"))
    return ann is ClassVar or typing.get_origin(ann) is ClassVar


class StructMeta(type):
    """Turns the annotated fields into ``__slots__`` and generates ``__init__``."""

    def __new__(
        mcls,
        name: str,
        bases: tuple[type, ...],
        ns: dict[str, Any],
        *,
        rename: Any = None,
        tag: Any = None,
        tag_field: str | None = None,
        kw_only: bool = False,
        forbid_unknown_fields: bool | None = None,
        omit_defaults: bool | None = None,
        frozen: bool | None = None,
    ) -> StructMeta:
        parent = next((b.__struct_config__ for b in bases if isinstance(b, StructMeta)), None)

        def inherit(key: str, value: Any) -> Any:
            return value if value is not None else (parent or {}).get(key)

        own = {k: v for k, v in _own_annotations(ns).items() if not k.startswith("__") and not _is_classvar(v)}
        field_names: list[str] = []
        defaults: dict[str, Any] = {}
        explicit: dict[str, str] = {}  # field(name=...) beats the class's rename
        for b in reversed(bases):
            if isinstance(b, StructMeta):
                for f in b.__struct_fields__:
                    if f not in field_names:
                        field_names.append(f)
                defaults.update(b.__struct_defaults__)
                explicit.update(b.__struct_explicit_names__)
        new_slots = []
        for f in own:
            if f not in field_names:
                field_names.append(f)
                new_slots.append(f)
            if f in ns:
                d = ns.pop(f)
                if isinstance(d, _Field):
                    if d.name is not None:
                        explicit[f] = d.name
                    d = d if d.default_factory is not None else d.default
                if d is NODEFAULT:
                    defaults.pop(f, None)
                else:
                    defaults[f] = d
        rename = inherit("rename", rename)
        json_names = {f: explicit.get(f) or _json_name(rename, f) for f in field_names}
        ns["__slots__"] = tuple(new_slots)
        cls = super().__new__(mcls, name, bases, ns)
        kw_only = bool(inherit("kw_only", kw_only or None))
        if tag is True:
            tag_value: Any = name
        elif tag is None or tag is False:
            tag_value = None
        elif isinstance(tag, (str, int)) and not isinstance(tag, bool):
            tag_value = tag
        elif callable(tag):
            tag_value = tag(name)
        else:
            raise TypeError(f"{name}: tag must be True, a str, an int or a callable, got {tag!r}")
        tag_field = inherit("tag_field", tag_field)
        if tag_value is not None and tag_field is None:
            tag_field = "type"
        cls.__struct_fields__ = tuple(field_names)
        cls.__struct_defaults__ = defaults
        cls.__struct_encode_fields__ = json_names
        cls.__struct_explicit_names__ = explicit
        cls.__struct_config__ = {
            "rename": rename,
            "kw_only": kw_only,
            "tag": tag_value,
            "tag_field": tag_field,
            "forbid_unknown_fields": bool(inherit("forbid_unknown_fields", forbid_unknown_fields)),
            "omit_defaults": bool(inherit("omit_defaults", omit_defaults)),
            "frozen": bool(inherit("frozen", frozen)),
        }
        names = list(json_names.values())
        dup = {v for v in names if names.count(v) > 1}
        if dup:
            raise TypeError(f"{name}: several fields are named {sorted(dup)} in JSON")
        if tag_value is not None and tag_field in cls.__struct_encode_fields__.values():
            raise TypeError(f"{name}: tag_field {tag_field!r} collides with a field")
        if "__init__" not in ns:
            cls.__init__ = _make_init(cls, kw_only)
        if cls.__struct_config__["frozen"]:
            cls.__setattr__ = _frozen_setattr
            cls.__delattr__ = _frozen_setattr
            cls.__hash__ = _frozen_hash
        return cls


def _frozen_setattr(self: Any, name: str, *value: Any) -> None:
    raise AttributeError(f"{type(self).__name__} is frozen: cannot set {name!r}")


def _frozen_hash(self: Any) -> int:
    return hash(tuple(getattr(self, f) for f in self.__struct_fields__))


def _make_init(cls: type, kw_only: bool) -> Callable[..., None]:
    """Generates ``__init__(self, a, b=..., *, c=...)`` as dataclasses do: a plain function is the
    fastest way to build instances from Python."""
    fields, defaults = cls.__struct_fields__, cls.__struct_defaults__
    frozen = cls.__struct_config__["frozen"]
    env: dict[str, Any] = {"_NODEFAULT": NODEFAULT, "_setattr": object.__setattr__}
    params: list[str] = []
    body: list[str] = []
    star = kw_only
    for i, f in enumerate(fields):
        if f in defaults:
            d = defaults[f]
            env[f"_d{i}"] = d
            if isinstance(d, _Field):
                params.append(f"{f}=_NODEFAULT")
                env[f"_f{i}"] = d.default_factory
                value = f"_f{i}() if {f} is _NODEFAULT else {f}"
            elif isinstance(d, (list, dict, set, bytearray)):
                params.append(f"{f}=_NODEFAULT")
                env["_copy"] = copy.copy
                value = f"_copy(_d{i}) if {f} is _NODEFAULT else {f}"
            else:
                params.append(f"{f}=_d{i}")
                value = f
        else:
            if not star and any(g in defaults for g in fields[:i]):
                # A required field after a defaulted one can only be given by keyword.
                params.append("*")
                star = True
            params.append(f)
            value = f
        body.append(f"_setattr(self, {f!r}, {value})" if frozen else f"self.{f} = {value}")
    if kw_only and params:
        params.insert(0, "*")
    if "__post_init__" in dir(cls):
        body.append("self.__post_init__()")
    src = f"def __init__(self{', ' if params else ''}{', '.join(params)}):\n    " + "\n    ".join(body or ["pass"])
    exec(src, env)
    init = env["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    return init


class Struct(metaclass=StructMeta):
    """Base class for typed records: keyword construction, ``==``, ``repr`` and ``to_dict``.

    Class options: ``rename`` ("camel", "pascal", "kebab", "lower", "upper", a mapping or a
    callable), ``tag`` (True for the class name, or a str/int) with ``tag_field`` (default
    "type") for tagged unions, ``kw_only``, ``forbid_unknown_fields``, ``omit_defaults``
    (leave fields equal to their default out of the JSON) and ``frozen``.
    """

    __struct_fields__: ClassVar[tuple[str, ...]]
    __struct_defaults__: ClassVar[dict[str, Any]]
    __struct_encode_fields__: ClassVar[dict[str, str]]
    __struct_config__: ClassVar[dict[str, Any]]
    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, f) == getattr(other, f) for f in self.__struct_fields__)

    def __repr__(self) -> str:
        inner = ", ".join(f"{f}={getattr(self, f, '<unset>')!r}" for f in self.__struct_fields__)
        return f"{type(self).__name__}({inner})"

    def __copy__(self) -> Struct:
        new = object.__new__(type(self))
        for f in self.__struct_fields__:
            object.__setattr__(new, f, getattr(self, f))
        return new

    def __reduce__(self) -> tuple:
        return (_rebuild, (type(self), tuple(getattr(self, f) for f in self.__struct_fields__)))

    def to_dict(self) -> dict[str, Any]:
        """The fields as a dict keyed by attribute name (nested values left as they are)."""
        return {f: getattr(self, f) for f in self.__struct_fields__}


def _rebuild(cls: type, values: tuple) -> Struct:
    new = object.__new__(cls)
    for f, v in zip(cls.__struct_fields__, values):
        object.__setattr__(new, f, v)
    return new


def is_msgspec_struct(tp: Any) -> bool:
    """A subclass of the real ``msgspec.Struct`` (not ours): told by its bases' names, so this
    module never imports msgspec, which cannot load in a sub-interpreter. Such classes exist
    only where msgspec loads (``--isolation process``); they are planned like dataclasses."""
    return isinstance(tp, type) and any(
        c.__name__ == "Struct" and c.__module__ == "msgspec" for c in getattr(tp, "__mro__", ())
    )


def _msgspec_fields(tp: type, hints: dict[str, Any]) -> list[tuple[str, str, Any, Any]]:
    import msgspec.structs  # loaded already: ``tp`` is one of its classes

    out = []
    for f in msgspec.structs.fields(tp):
        if f.required:
            d = NODEFAULT
        elif f.default_factory is not msgspec.NODEFAULT:
            d = _Field(NODEFAULT, f.default_factory, None)
        else:
            d = f.default
        out.append((f.name, f.encode_name, hints.get(f.name, Any), d))
    return out


def fields(tp: type) -> list[tuple[str, str, Any, Any]]:
    """``(attribute, json_name, type, default)`` for each field of a Struct, dataclass or
    TypedDict; ``default`` is ``NODEFAULT`` when the field is required, or a ``field(...)`` object
    holding a ``default_factory``. Forward references are resolved here, at first use."""
    try:
        hints = typing.get_type_hints(tp, include_extras=True)
    except NameError as e:
        raise UnresolvedType(
            f"{tp.__qualname__}: cannot resolve the annotation {e.name!r} "
            "(define it at module level before the API is served)"
        ) from e
    if is_msgspec_struct(tp):
        return _msgspec_fields(tp, hints)
    if isinstance(tp, StructMeta):
        out = []
        for f in tp.__struct_fields__:
            d = tp.__struct_defaults__.get(f, NODEFAULT)
            if isinstance(d, (list, dict, set, bytearray)):
                d = _Field(NODEFAULT, (lambda v=d: copy.copy(v)) if d else type(d), None)
            out.append((f, tp.__struct_encode_fields__[f], hints.get(f, Any), d))
        return out
    if dataclasses.is_dataclass(tp):
        out = []
        for f in dataclasses.fields(tp):
            if not f.init:
                continue
            if f.default is not dataclasses.MISSING:
                d = f.default
            elif f.default_factory is not dataclasses.MISSING:
                d = _Field(NODEFAULT, f.default_factory, None)
            else:
                d = NODEFAULT
            out.append((f.name, f.name, hints.get(f.name, Any), d))
        return out
    if typing.is_typeddict(tp):
        out = []
        for k, t in hints.items():
            # Required[]/NotRequired[] are only seen here when annotations were strings
            # (`from __future__ import annotations` hides them from __required_keys__).
            origin = typing.get_origin(t)
            required = origin is typing.Required or (origin is not typing.NotRequired and k in tp.__required_keys__)
            out.append((k, k, t, NODEFAULT if required else None))
        return out
    raise TypeError(f"{tp!r} is not a Struct, dataclass or TypedDict")


def to_builtins(obj: Any) -> Any:
    """The JSON fallback for values Rust does not encode directly."""
    dump = getattr(type(obj), "__bolt_dump__", None)  # a Serializer with computed/write-only fields
    if dump is not None:
        return dump(obj)
    if isinstance(obj, Struct):
        return {tp_name: getattr(obj, f) for f, tp_name in type(obj).__struct_encode_fields__.items()}
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
    if isinstance(obj, (set, frozenset)):
        return list(obj)
    if isinstance(obj, (bytes, bytearray, memoryview)):
        import base64

        return base64.b64encode(bytes(obj)).decode("ascii")
    if isinstance(obj, _dt.timedelta):
        return _iso_duration(obj)
    # QuerySets, generators and other iterables become lists.
    if hasattr(obj, "__iter__") and not isinstance(obj, (str, dict)):
        return list(obj)
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


def _iso_duration(td: _dt.timedelta) -> str:
    """ISO 8601 duration as pydantic writes it: ``P1DT2H3M4.5S``, negative as ``-P...``."""
    sign = "-" if td < _dt.timedelta(0) else ""
    td = abs(td)
    out = f"{sign}P"
    if td.days:
        out += f"{td.days}D"
    secs, us = td.seconds, td.microseconds
    if secs or us or not td.days:
        out += "T"
        h, rem = divmod(secs, 3600)
        m, s = divmod(rem, 60)
        if h:
            out += f"{h}H"
        if m:
            out += f"{m}M"
        if s or us or not (h or m):
            out += f"{s}.{us:06d}".rstrip("0").rstrip(".") + "S"
    return out
