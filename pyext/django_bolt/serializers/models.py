"""Serializers and Django models: ``from_model``, ``subset`` and ``create_serializer``."""

from __future__ import annotations

import datetime as _dt
import decimal
import typing
import uuid
from typing import Annotated, Any, Literal

from ..constraints import Meta
from ..struct import NODEFAULT, _Field
from ..struct import field as _struct_field

__all__ = [
    "from_model",
    "subset",
    "model_fields",
    "create_serializer",
    "create_serializer_set",
    "type_for_model_field",
]


def _serializer_of(tp: Any) -> tuple[Any, bool] | None:
    """``(SerializerClass, many)`` when ``tp`` is a Serializer, ``list[Serializer]`` or one of
    them optional; else None."""
    from .base import Serializer

    origin = typing.get_origin(tp)
    if origin is Annotated:
        return _serializer_of(typing.get_args(tp)[0])
    if origin in (typing.Union, __import__("types").UnionType):
        rest = [a for a in typing.get_args(tp) if a is not type(None)]
        return _serializer_of(rest[0]) if len(rest) == 1 else None
    if origin in (list, tuple, set, typing.Sequence) and typing.get_args(tp):
        inner = typing.get_args(tp)[0]
        if isinstance(inner, type) and issubclass(inner, Serializer):
            return inner, True
        return None
    if isinstance(tp, type) and issubclass(tp, Serializer):
        return tp, False
    return None


def _is_many_manager(value: Any) -> bool:
    return hasattr(value, "all") and hasattr(value, "model") and not isinstance(value, type)


def from_model(cls: Any, instance: Any, *, max_depth: int, depth: int) -> Any:
    """See ``Serializer.from_model``."""
    if depth > max_depth:
        raise ValueError(f"{cls.__name__}.from_model: nested deeper than max_depth={max_depth} (circular serializers?)")
    hints = typing.get_type_hints(cls, include_extras=True)
    sources = cls.__source_mapping__
    meta = getattr(type(instance), "_meta", None)
    data: dict[str, Any] = {}
    for f in cls.__struct_fields__:
        tp = hints.get(f, Any)
        nested = _serializer_of(tp)
        path = sources.get(f)
        try:
            if path is not None:
                value: Any = instance
                for part in path.split("."):
                    value = getattr(value, part)
                    if value is None:
                        break
            else:
                value = _model_attr(instance, meta, f, nested is not None)
        except AttributeError:
            if f in cls.__struct_defaults__:
                continue  # left to its default
            raise
        if callable(value) and not _is_many_manager(value) and not isinstance(value, type):
            value = value()  # a model method named as the field (get_full_name, say)
        if _is_many_manager(value):
            items = list(value.all())
            if nested is not None:
                value = [nested[0].from_model(o, max_depth=max_depth, _depth=depth + 1) for o in items]
            else:
                value = [getattr(o, "pk", o) for o in items]
        elif nested is not None and value is not None:
            ser, many = nested
            if many:
                value = [ser.from_model(o, max_depth=max_depth, _depth=depth + 1) for o in value]
            elif not isinstance(value, ser):
                value = ser.from_model(value, max_depth=max_depth, _depth=depth + 1)
        data[f] = value
    return cls(**data)


def loading_plan(
    cls: Any, model: Any, prefix: str = "", under_prefetch: bool = False, depth: int = 0
) -> tuple[list[str], list[str]]:
    """See ``Serializer.loading_plan``: walks each field's name (or ``source`` path) through the
    model's relations. A ForeignKey read as its key needs nothing; one read through (a nested
    Serializer, ``source="author.name"``) is a ``select_related``; a many-to-many or reverse
    relation is a ``prefetch_related``. Nested Serializers add their own lookups below the
    relation's (as prefetches once under a prefetch)."""
    select: list[str] = []
    prefetch: list[str] = []
    if depth > 8:  # circular serializers: from_model's max_depth reports them
        return select, prefetch
    hints = typing.get_type_hints(cls, include_extras=True)
    for f in cls.__struct_fields__:
        nested = _serializer_of(hints.get(f, Any))
        path = (cls.__source_mapping__.get(f) or f).split(".")
        current, lookup, many = model, [], under_prefetch
        for i, part in enumerate(path):
            try:
                mf = current._meta.get_field(part)
            except Exception:  # noqa: BLE001 - a property or a method: nothing to load
                break
            if not mf.is_relation or mf.related_model is None:
                break
            last = i == len(path) - 1
            if not (mf.many_to_many or mf.one_to_many) and last and nested is None:
                break  # a ForeignKey read as its key: no join
            lookup.append(part)
            many = many or mf.many_to_many or mf.one_to_many
            (prefetch if many else select).append(prefix + "__".join(lookup))
            current = mf.related_model
            if last and nested is not None:
                sub = loading_plan(nested[0], current, prefix + "__".join(lookup) + "__", many, depth + 1)
                select += sub[0]
                prefetch += sub[1]
            if many:
                break  # what lies beyond a prefetch is the nested Serializer's to say
    return list(dict.fromkeys(select)), list(dict.fromkeys(prefetch))


def _model_attr(instance: Any, meta: Any, name: str, nested: bool) -> Any:
    """``instance.<name>``; for a ForeignKey/OneToOne typed as a scalar, the key itself
    (``author_id``) so no query is made."""
    if meta is not None and not nested:
        try:
            mf = meta.get_field(name)
        except Exception:  # noqa: BLE001 - not a model field (a property, an annotation)
            mf = None
        if mf is not None and (mf.many_to_one or mf.one_to_one) and getattr(mf, "concrete", False):
            return getattr(instance, mf.attname)
    return getattr(instance, name)


def subset(cls: Any, fields: tuple[str, ...], name: str | None) -> Any:
    """See ``Serializer.subset``."""
    from .base import Serializer, SerializerMeta

    hints = typing.get_type_hints(cls, include_extras=True)
    known = set(cls.__struct_fields__)
    computed = {c.method_name: c for c in cls.__bolt_computed__.values()}
    computed_keys = {k: c.method_name for k, c in cls.__bolt_computed__.items()}
    for f in fields:
        if f not in known and f not in computed and f not in computed_keys:
            raise ValueError(f"{cls.__name__} has no field {f!r}")
    wanted = [f for f in cls.__struct_fields__ if f in fields]
    ann: dict[str, Any] = {}
    ns: dict[str, Any] = {"__annotations__": ann, "__module__": cls.__module__, "__qualname__": name or ""}
    for f in wanted:
        ann[f] = hints.get(f, Any)
        d = cls.__struct_defaults__.get(f, NODEFAULT)
        if isinstance(d, _Field):
            ns[f] = _struct_field(default_factory=d.default_factory)
        elif d is not NODEFAULT:
            ns[f] = d
    keep_methods = {computed_keys.get(f, f) for f in fields if f in computed or f in computed_keys}
    for klass in reversed(cls.__mro__):
        for attr, raw in vars(klass).items():
            fn = getattr(raw, "__func__", raw)
            mark = getattr(fn, "__bolt_field_validator__", None)
            if (mark is not None and mark[0] in wanted) or attr in keep_methods:
                ns[attr] = raw
            elif getattr(fn, "__bolt_model_validator__", None) is not None:
                continue  # cross-field rules may read fields the subset does not have
    configs = {f: c for f, c in cls.__bolt_field_configs__.items() if f in wanted}

    class Config:
        read_only = set(cls.__read_only_fields__) & set(wanted)
        write_only = set(cls.__write_only_fields__) & set(wanted)
        field_sets: dict[str, list[str]] = {}
        model = getattr(getattr(cls, "Config", None), "model", None)

    ns["Config"] = Config
    new_name = name or f"{cls.__name__}Subset"
    ns["__qualname__"] = new_name
    cfg = cls.__struct_config__
    new = SerializerMeta(new_name, (Serializer,), ns, rename=cfg["rename"], omit_defaults=cfg["omit_defaults"] or None)
    new.__bolt_field_configs__ = {**new.__bolt_field_configs__, **configs}
    new.__source_mapping__ = {f: c.source for f, c in new.__bolt_field_configs__.items() if c.source}

    def from_parent(sub: Any, instance: Any) -> Any:
        return sub(**{f: getattr(instance, f) for f in sub.__struct_fields__ if hasattr(instance, f)})

    new.from_parent = classmethod(from_parent)
    return new


def type_for_model_field(mf: Any) -> Any:
    """The annotation a Django model field becomes in ``create_serializer``: its Python type,
    ``Literal`` of its choices, ``max_length`` as a ``Meta`` constraint, ``| None`` when null."""
    from django.db import models

    meta: dict[str, Any] = {}
    base: Any
    choices = getattr(mf, "choices", None)
    if choices and isinstance(mf, (models.CharField, models.IntegerField)):
        base = Literal.__getitem__(tuple(c[0] for c in choices))
    elif isinstance(mf, models.ManyToManyField):
        base = list[int]
    elif isinstance(mf, (models.ForeignKey, models.OneToOneField)):
        base = type_for_model_field(mf.target_field) if mf.target_field is not mf else int
        base = typing.get_args(base)[0] if typing.get_origin(base) is Annotated else base
    elif isinstance(mf, models.BooleanField):
        base = bool
    elif isinstance(mf, (models.AutoField, models.BigAutoField, models.SmallAutoField)):
        base = int
    elif isinstance(mf, models.IntegerField):
        base = int
        for v in mf.validators:
            code = getattr(v, "code", "")
            if code == "min_value":
                meta["ge"] = v.limit_value
            elif code == "max_value":
                meta["le"] = v.limit_value
    elif isinstance(mf, models.FloatField):
        base = float
    elif isinstance(mf, models.DecimalField):
        base = decimal.Decimal
    elif isinstance(mf, models.DateTimeField):
        base = _dt.datetime
    elif isinstance(mf, models.DateField):
        base = _dt.date
    elif isinstance(mf, models.TimeField):
        base = _dt.time
    elif isinstance(mf, models.DurationField):
        base = _dt.timedelta
    elif isinstance(mf, models.UUIDField):
        base = uuid.UUID
    elif isinstance(mf, models.JSONField):
        base = Any
    elif isinstance(mf, (models.CharField, models.TextField)):
        base = str
        if getattr(mf, "max_length", None) and isinstance(mf, models.CharField):
            meta["max_length"] = mf.max_length
    elif isinstance(mf, models.BinaryField):
        base = bytes
    else:
        base = Any
    if meta:
        base = Annotated[base, Meta(**meta)]
    if mf.null and base is not Any:
        base = base | None
    return base


def model_fields(model: Any, fields: Any = None, exclude: Any = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(annotations, defaults)`` for the concrete fields of ``model`` (``fields``: the names to
    take, in that order, or ``"__all__"``/None for all in the model's order; ``exclude``: names to
    leave out), typed by :func:`type_for_model_field`. Fields with a model default, ``null=True``
    or an auto primary key get a default (the model's, ``None``), so input may leave them out."""
    from django.db import models

    concrete = [f for f in model._meta.get_fields() if isinstance(f, models.Field) and f.name]
    by_name = {f.name: f for f in concrete}
    if fields is not None and fields != "__all__":
        unknown = [f for f in fields if f not in by_name]
        if unknown:
            raise ValueError(f"{model.__name__} has no fields {unknown}")
        chosen = [by_name[f] for f in fields]
    else:
        chosen = concrete
    excluded = set(exclude or ())
    unknown = excluded - set(by_name)
    if unknown:
        raise ValueError(f"{model.__name__} has no fields {sorted(unknown)} (in exclude)")
    ann: dict[str, Any] = {}
    defaults: dict[str, Any] = {}
    for mf in chosen:
        if mf.name in excluded:
            continue
        ann[mf.name] = type_for_model_field(mf)
        if mf.primary_key and isinstance(mf, models.AutoField | models.BigAutoField | models.SmallAutoField):
            defaults[mf.name] = None
            ann[mf.name] = ann[mf.name] | None
        elif mf.has_default() and not callable(mf.default):
            defaults[mf.name] = mf.default
        elif mf.has_default():
            defaults[mf.name] = _struct_field(default_factory=mf.default)
        elif mf.null:
            defaults[mf.name] = None
        elif isinstance(mf, models.ManyToManyField):
            defaults[mf.name] = _struct_field(default_factory=list)
    return ann, defaults


def create_serializer(
    model: Any,
    *,
    fields: list[str] | None = None,
    exclude: list[str] | None = None,
    write_only: set[str] | None = None,
    read_only: set[str] | None = None,
    serializer_name: str | None = None,
) -> Any:
    """A Serializer class with one field per concrete field of ``model`` (see
    :func:`model_fields`); ``write_only``/``read_only`` as in ``Config``."""
    from .base import Serializer, SerializerMeta

    ann, defaults = model_fields(model, fields, exclude)
    ns: dict[str, Any] = {"__annotations__": ann, "__module__": model.__module__, **defaults}
    name = serializer_name or f"{model.__name__}Serializer"
    ns["__qualname__"] = name
    ns["__doc__"] = f"Serializer generated from {model.__name__}'s fields."
    ns["Config"] = type(
        "Config",
        (),
        {"model": model, "write_only": set(write_only or ()) & set(ann), "read_only": set(read_only or ()) & set(ann)},
    )
    return SerializerMeta(name, (Serializer,), ns)


def create_serializer_set(
    model: Any,
    *,
    create_fields: list[str] | None = None,
    update_fields: list[str] | None = None,
    public_fields: list[str] | None = None,
    write_only: set[str] | None = None,
    read_only: set[str] | None = None,
) -> tuple[Any, Any, Any]:
    """``(Create, Update, Public)`` serializers of ``model`` from three field lists."""
    return (
        create_serializer(
            model, fields=create_fields, write_only=write_only, serializer_name=f"{model.__name__}Create"
        ),
        create_serializer(
            model, fields=update_fields, write_only=write_only, serializer_name=f"{model.__name__}Update"
        ),
        create_serializer(model, fields=public_fields, read_only=read_only, serializer_name=f"{model.__name__}Public"),
    )
