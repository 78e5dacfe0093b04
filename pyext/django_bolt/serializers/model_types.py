"""Django model fields as Serializer field types: ``type_for_model_field`` and ``model_fields``
(the annotations and defaults a generated Serializer gets)."""

from __future__ import annotations

import datetime as _dt
import decimal
import typing
import uuid
from typing import Annotated, Any, Literal

from ..constraints import Meta
from ..struct import field as _struct_field

__all__ = ["type_for_model_field", "model_fields"]


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
