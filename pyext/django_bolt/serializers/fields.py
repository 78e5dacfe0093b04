"""``field()``: per-field options of a Serializer (read/write-only, model source, alias, docs).

Constraints (lengths, bounds, patterns) are not field options: they go in the type, as
``Annotated[str, Meta(max_length=100)]``, so Rust checks them while decoding.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

__all__ = ["FieldConfig", "field", "UNSET_DEFAULT", "get_msgspec_type_for_django_field"]


class _Unset:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<no default>"


#: ``FieldConfig.default`` when the field has no default (it is required).
UNSET_DEFAULT: Any = _Unset()


@dataclasses.dataclass(frozen=True, slots=True)
class FieldConfig:
    """What ``field(...)`` declared for one field (read by the Serializer class, not per request)."""

    read_only: bool = False
    write_only: bool = False
    #: Attribute path on the model read by ``from_model`` (``"author.name"``).
    source: str | None = None
    #: The key ``dump(by_alias=True)`` writes instead of the field's name.
    alias: str | None = None
    default: Any = UNSET_DEFAULT
    default_factory: Callable[[], Any] | None = None
    description: str | None = None
    title: str | None = None
    examples: list[Any] | None = None
    deprecated: bool = False
    #: Never written by ``dump()`` nor in responses.
    exclude: bool = False
    include_in_schema: bool = True

    def has_default(self) -> bool:
        """True when the field may be left out of the input."""
        return self.default is not UNSET_DEFAULT or self.default_factory is not None

    def get_default(self) -> Any:
        """A fresh default value (the factory's result, or the default itself)."""
        if self.default_factory is not None:
            return self.default_factory()
        if self.default is UNSET_DEFAULT:
            raise ValueError("this field has no default")
        return self.default


class FieldMarker:
    """The value ``field()`` leaves in the class body; the Serializer class replaces it."""

    __slots__ = ("config",)

    def __init__(self, config: FieldConfig) -> None:
        self.config = config

    def __repr__(self) -> str:
        c = self.config
        parts = [f"{n}={getattr(c, n)!r}" for n in ("read_only", "write_only", "source", "alias") if getattr(c, n)]
        return f"field({', '.join(parts)})"


def field(
    *,
    read_only: bool = False,
    write_only: bool = False,
    source: str | None = None,
    alias: str | None = None,
    default: Any = UNSET_DEFAULT,
    default_factory: Callable[[], Any] | None = None,
    description: str | None = None,
    title: str | None = None,
    examples: list[Any] | None = None,
    deprecated: bool = False,
    exclude: bool = False,
    include_in_schema: bool = True,
) -> Any:
    """Declares a Serializer field's options, used as its default in the class body::

        class UserSerializer(Serializer):
            id: int = field(read_only=True, default=0)
            email: str = field(source="email_address")
            password: str = field(write_only=True)
            tags: list[str] = field(default_factory=list)

    ``read_only``: written by ``dump()``, still accepted in input (as django-bolt does);
    ``write_only``: accepted in input, never written; ``source``: the model attribute
    (dotted path) ``from_model`` reads; ``alias``: the key ``dump(by_alias=True)`` writes;
    ``exclude``: never written.
    """
    if default is not UNSET_DEFAULT and default_factory is not None:
        raise TypeError("field() takes default or default_factory, not both")
    if default_factory is not None and not callable(default_factory):
        raise TypeError("default_factory must be callable")
    return FieldMarker(
        FieldConfig(
            read_only=read_only,
            write_only=write_only,
            source=source,
            alias=alias,
            default=default,
            default_factory=default_factory,
            description=description,
            title=title,
            examples=examples,
            deprecated=deprecated,
            exclude=exclude,
            include_in_schema=include_in_schema,
        )
    )


def get_msgspec_type_for_django_field(model_field: Any) -> Any:
    """django-bolt's name (and module) for ``models.type_for_model_field``: the annotation a
    Django model field becomes in a generated Serializer."""
    from .model_types import type_for_model_field

    return type_for_model_field(model_field)
