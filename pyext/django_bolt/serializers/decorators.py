"""``@field_validator``, ``@model_validator`` and ``@computed_field``: marks on methods that the
Serializer class collects when it is created."""

from __future__ import annotations

import dataclasses
import typing
from typing import Any, Callable, Literal, TypeVar

__all__ = ["field_validator", "model_validator", "computed_field", "ComputedFieldConfig"]

F = TypeVar("F", bound=Callable[..., Any])
Mode = Literal["before", "after"]


def _function(obj: Any) -> Any:
    """The plain function under a classmethod (``@field_validator`` over ``@classmethod``)."""
    return obj.__func__ if isinstance(obj, classmethod) else obj


def field_validator(field_name: str, mode: Mode = "after") -> Callable[[F], F]:
    """Validates (and may transform) one field: called as ``validator(cls, value)`` after the
    value is decoded; returns the new value (``None`` keeps it). ``ValueError``/``TypeError``
    become a 422 entry at the field's place; every field's errors are collected first.

    Validators of one field run in definition order, ``mode="before"`` ones first.
    """
    if mode not in ("before", "after"):
        raise ValueError(f"mode must be 'before' or 'after', got {mode!r}")

    def mark(func: F) -> F:
        if isinstance(func, staticmethod):
            raise TypeError(f"@field_validator({field_name!r}) cannot wrap a staticmethod: it is called with the class")
        fn = _function(func)
        fn.__bolt_field_validator__ = (field_name, mode)
        return func

    return mark


def model_validator(func: Any = None, mode: Mode = "after") -> Any:
    """Validates the whole instance (``validator(self)``), for rules across fields. ``mode="before"``
    ones run before the field validators, ``"after"`` (the default) ones after them. Use bare
    (``@model_validator``) or called (``@model_validator(mode="before")``)."""
    if mode not in ("before", "after"):
        raise ValueError(f"mode must be 'before' or 'after', got {mode!r}")

    def mark(fn: Any) -> Any:
        if isinstance(fn, (staticmethod, classmethod)):
            kind = type(fn).__name__
            raise TypeError(f"@model_validator cannot wrap a {kind}: it is a plain method, called with the instance")
        fn.__bolt_model_validator__ = mode
        return fn

    return mark if func is None else mark(func)


@dataclasses.dataclass(frozen=True, slots=True)
class ComputedFieldConfig:
    """What ``@computed_field`` recorded for one method."""

    method_name: str
    return_type: Any
    alias: str | None = None
    description: str | None = None
    deprecated: bool = False
    include_in_schema: bool = True

    @property
    def key(self) -> str:
        """The key written in the output."""
        return self.alias or self.method_name


def computed_field(
    func: Any = None,
    *,
    alias: str | None = None,
    description: str | None = None,
    deprecated: bool = False,
    include_in_schema: bool = True,
) -> Any:
    """Adds the method's result to the output (``dump()`` and responses) under its name (or
    ``alias``); typed by its return annotation. The method stays a method (``self.total()``)."""

    def mark(fn: Any) -> Any:
        try:
            ret = typing.get_type_hints(fn, include_extras=True).get("return", Any)
        except Exception:  # noqa: BLE001 - an unresolvable annotation is typed Any
            ret = Any
        fn.__bolt_computed_field__ = ComputedFieldConfig(
            method_name=fn.__name__,
            return_type=ret,
            alias=alias,
            description=description,
            deprecated=deprecated,
            include_in_schema=include_in_schema,
        )
        return fn

    return mark if func is None else mark(func)
