"""django-bolt's ``django_bolt.auth.backends`` import path for the authentication classes.

>>> from django_bolt.auth.backends import JWTAuthentication, get_default_authentication_classes

The classes are ``django_bolt.auth.authentication``'s; ``get_default_authentication_classes``
reads ``BOLT_AUTHENTICATION_CLASSES`` (``django_bolt.conf``).
"""

from __future__ import annotations

from typing import Any

from .authentication import APIKeyAuthentication, JWTAuthentication, SessionAuthentication

__all__ = [
    "JWTAuthentication",
    "APIKeyAuthentication",
    "SessionAuthentication",
    "get_default_authentication_classes",
]


def get_default_authentication_classes() -> list[Any]:
    """The project-wide authentication backends: ``settings.BOLT_AUTHENTICATION_CLASSES``
    (alias ``BOLT_AUTHENTICATION``), ``[]`` when unset."""
    from ..conf import default_authentication

    return default_authentication()
