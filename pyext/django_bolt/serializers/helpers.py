"""django-bolt's module path for the model helpers (they live in ``models``)."""

from __future__ import annotations

from .models import create_serializer, create_serializer_set, type_for_model_field

#: django-bolt's name for :func:`type_for_model_field`.
get_msgspec_type_for_django_field = type_for_model_field

__all__ = ["create_serializer", "create_serializer_set", "get_msgspec_type_for_django_field"]
