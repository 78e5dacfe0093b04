"""django-bolt's ``django_bolt.auth.jwt_utils`` import path for the JWT helpers.

>>> from django_bolt.auth.jwt_utils import create_jwt_for_user

``create_jwt_for_user`` is ``django_bolt.auth.tokens``'s (docs/compat.md says where its
arguments differ). django-bolt's ``get_current_user``/``extract_user_id_from_context``/
``get_auth_context`` are not here: use ``request.user`` / ``await request.auser()`` and
``request.auth`` (the token's claims).
"""

from __future__ import annotations

from .tokens import create_jwt_for_user

__all__ = ["create_jwt_for_user"]
