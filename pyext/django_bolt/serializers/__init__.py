"""django-bolt's ``Serializer`` on our ``Struct``: validators, computed fields, read/write-only
fields, field selection, Django model helpers and constrained type aliases.

>>> from django_bolt.serializers import Serializer, field_validator, Email
>>> class Signup(Serializer):
...     email: Email
...     @field_validator("email")
...     def lower(cls, value):
...         return value.lower()

A body typed ``Signup`` is decoded in Rust straight into the class (types and constraints
checked there); the validators then run, each failure a 422 entry at its field.
"""

from __future__ import annotations

from ..constraints import Meta
from .base import Serializer, SerializerValidationError, SerializerView
from .decorators import ComputedFieldConfig, computed_field, field_validator, model_validator
from .fields import FieldConfig, field
from .models import create_serializer, create_serializer_set
from .types import *  # noqa: F403 - the type aliases are part of this module's API
from .types import __all__ as _types_all

__all__ = [
    "Serializer",
    "SerializerView",
    "SerializerValidationError",
    "field",
    "FieldConfig",
    "Meta",
    "field_validator",
    "model_validator",
    "computed_field",
    "ComputedFieldConfig",
    "create_serializer",
    "create_serializer_set",
    *_types_all,
]
