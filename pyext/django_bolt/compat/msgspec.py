"""msgspec's common spellings on bolt's Struct: change ``import msgspec`` to
``from django_bolt.compat import msgspec`` and the code keeps working in the server's
sub-interpreters (where msgspec itself cannot load).

>>> from django_bolt.compat import msgspec
>>> class Item(msgspec.Struct):
...     name: str
...     price: Annotated[float, msgspec.Meta(gt=0)]
>>> msgspec.json.decode(b'{"name": "pen", "price": 1.5}', type=Item)
Item(name='pen', price=1.5)

What differs from msgspec: ``ValidationError.errors`` is FastAPI's list (the message text
differs); ``DecodeError``/``EncodeError`` are ``ValueError``/``TypeError``; ``convert`` goes
through JSON (values must be JSON-able); Struct options bolt has no use for (``gc``,
``weakref``, ``dict``, ``cache_hash``, ``eq``, ``repr_omit_defaults``) are accepted and
ignored, ``array_like``/``order`` are refused.
"""

from __future__ import annotations

import types as _types
from typing import Any

from .. import json as _json
from ..constraints import Meta as _Meta
from ..struct import NODEFAULT, UNSET, StructMeta, UnsetType
from ..struct import Struct as _Struct
from ..struct import field as _field

__all__ = [
    "Struct",
    "Meta",
    "field",
    "NODEFAULT",
    "UNSET",
    "UnsetType",
    "ValidationError",
    "DecodeError",
    "EncodeError",
    "MsgspecError",
    "convert",
    "to_builtins",
    "json",
    "structs",
]

field = _field
ValidationError = _json.ValidationError
MsgspecError = ValueError
DecodeError = ValueError
EncodeError = TypeError

_IGNORED = ("gc", "weakref", "dict", "cache_hash", "eq", "repr_omit_defaults")
_REFUSED = ("array_like", "order")


class _CompatMeta(StructMeta):
    """``StructMeta`` that accepts msgspec's class options bolt has no use for."""

    def __new__(mcls, name: str, bases: tuple[type, ...], ns: dict[str, Any], **kw: Any) -> _CompatMeta:
        for k in _REFUSED:
            if kw.get(k):
                raise TypeError(f"{name}: {k}=True is not supported by bolt's Struct")
            kw.pop(k, None)
        for k in _IGNORED:
            kw.pop(k, None)
        return super().__new__(mcls, name, bases, ns, **kw)


class Struct(_Struct, metaclass=_CompatMeta):
    """``msgspec.Struct`` as bolt's ``Struct`` (same class options: ``rename``, ``tag``,
    ``tag_field``, ``kw_only``, ``frozen``, ``omit_defaults``, ``forbid_unknown_fields``)."""

    __slots__ = ()


class Meta(_Meta):
    """``msgspec.Meta``: the constraints (checked in Rust) and the documentation keywords."""

    def __init__(
        self,
        *,
        gt: float | None = None,
        ge: float | None = None,
        lt: float | None = None,
        le: float | None = None,
        multiple_of: float | None = None,
        pattern: str | None = None,
        min_length: int | None = None,
        max_length: int | None = None,
        tz: bool | None = None,
        title: str | None = None,
        description: str | None = None,
        examples: list[Any] | None = None,
        extra_json_schema: dict[str, Any] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(
            gt=gt,
            ge=ge,
            lt=lt,
            le=le,
            multiple_of=multiple_of,
            min_length=min_length,
            max_length=max_length,
            pattern=pattern,
            description=description,
            example=examples[0] if examples else None,
        )
        self.tz, self.title, self.examples = tz, title, examples
        self.extra_json_schema, self.extra = extra_json_schema, extra


def _encode(obj: Any, *, enc_hook: Any = None, order: Any = None) -> bytes:
    if enc_hook is not None:
        raise TypeError("enc_hook is not supported: give the type a Struct/dataclass shape instead")
    return _json.encode(obj)


def _decode(data: bytes | str, *, type: Any = Any, strict: bool = True, dec_hook: Any = None) -> Any:
    if dec_hook is not None:
        raise TypeError("dec_hook is not supported")
    return _json.decode(data, type=type)


class _Encoder:
    """``msgspec.json.Encoder``."""

    def encode(self, obj: Any) -> bytes:
        return _json.encode(obj)


class _Decoder:
    """``msgspec.json.Decoder(type)``."""

    def __init__(self, type: Any = Any, *, strict: bool = True) -> None:
        self.type = type

    def decode(self, data: bytes | str) -> Any:
        return _json.decode(data, type=self.type)


json = _types.SimpleNamespace(encode=_encode, decode=_decode, Encoder=_Encoder, Decoder=_Decoder)
json.__doc__ = "msgspec.json: encode/decode in Rust (the server's own codec)."


def to_builtins(obj: Any, *, builtin_types: Any = None, str_keys: bool = False, order: Any = None) -> Any:
    """Plain dicts/lists/str/int/float/bool/None, as the JSON encoding has them (datetimes as
    ISO text, Structs as dicts with their JSON names)."""
    return _json.decode(_json.encode(obj))


def convert(obj: Any, type: Any, *, strict: bool = True, from_attributes: bool = False, dec_hook: Any = None) -> Any:
    """``obj`` (dicts, lists, scalars; with ``from_attributes`` any object with the fields as
    attributes, such as a model instance) checked and built as ``type``, as a request body would
    be; raises ``ValidationError`` listing every failure."""
    if from_attributes and not isinstance(obj, dict) and isinstance(type, StructMeta):
        obj = {type.__struct_encode_fields__[f]: getattr(obj, f) for f in type.__struct_fields__ if hasattr(obj, f)}
    return _json.decode(_json.encode(obj), type=type)


def _asdict(obj: Any) -> dict[str, Any]:
    return {f: getattr(obj, f) for f in obj.__struct_fields__}


def _astuple(obj: Any) -> tuple[Any, ...]:
    return tuple(getattr(obj, f) for f in obj.__struct_fields__)


def _replace(obj: Any, **changes: Any) -> Any:
    return type(obj)(**{**_asdict(obj), **changes})


structs = _types.SimpleNamespace(
    asdict=_asdict, astuple=_astuple, replace=_replace, force_setattr=object.__setattr__, NODEFAULT=NODEFAULT
)
structs.__doc__ = "msgspec.structs: asdict, astuple, replace, force_setattr."
