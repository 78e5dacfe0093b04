"""Issuing JWTs (signed in Rust, with the same crate that verifies them)."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

__all__ = ["create_jwt_for_user"]


def create_jwt_for_user(user: Any, expires_in: int = 3600, extra_claims: dict[str, Any] | None = None,
                        secret: str | bytes | None = None, algorithm: str = "HS256") -> str:
    """A signed token for a Django user: ``sub`` (the user's pk), ``iat``, ``exp``, ``jti``,
    plus ``extra_claims``. ``secret`` defaults to SECRET_KEY (a PEM private key for RS/ES/EdDSA)."""
    from django.conf import settings

    from .. import _native

    now = int(time.time())
    claims: dict[str, Any] = {"sub": str(user.pk), "iat": now, "exp": now + int(expires_in), "jti": uuid.uuid4().hex}
    if getattr(user, "is_staff", False):
        claims["is_staff"] = True
    if getattr(user, "is_superuser", False):
        claims["is_superuser"] = True
    claims.update(extra_claims or {})
    key = secret if secret is not None else settings.SECRET_KEY
    key_bytes = key.encode() if isinstance(key, str) else bytes(key)
    return _native.jwt_encode(algorithm, key_bytes, json.dumps(claims).encode())
