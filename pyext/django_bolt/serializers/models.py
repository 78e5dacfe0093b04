"""Serializers made from Django models: ``create_serializer`` and ``create_serializer_set``
(``from_model``, ``subset`` and the model field types are re-exported from where they live)."""

from __future__ import annotations

from typing import Any

from .base import Serializer, SerializerMeta, from_model, loading_plan, subset
from .model_types import model_fields, type_for_model_field

__all__ = [
    "from_model",
    "subset",
    "loading_plan",
    "model_fields",
    "create_serializer",
    "create_serializer_set",
    "type_for_model_field",
]


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
