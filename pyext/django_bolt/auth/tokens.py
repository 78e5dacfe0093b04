"""Issuing JWTs (signed in Rust, with the same crate that verifies them)."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

__all__ = ["create_jwt_for_user", "create_token_pair", "rotate_refresh_token"]


def create_jwt_for_user(
    user: Any,
    expires_in: int = 3600,
    extra_claims: dict[str, Any] | None = None,
    secret: str | bytes | None = None,
    algorithm: str = "HS256",
) -> str:
    """A signed token for a Django user: ``sub`` (the user's pk), ``iat``, ``exp``, ``jti``,
    plus ``extra_claims``. ``secret`` defaults to SECRET_KEY (a PEM private key for RS/ES/EdDSA)."""
    from .. import _native

    now = int(time.time())
    claims: dict[str, Any] = {"sub": str(user.pk), "iat": now, "exp": now + int(expires_in), "jti": uuid.uuid4().hex}
    if getattr(user, "is_staff", False):
        claims["is_staff"] = True
    if getattr(user, "is_superuser", False):
        claims["is_superuser"] = True
    claims.update(extra_claims or {})
    return _native.jwt_encode(algorithm, _key(secret), json.dumps(claims).encode())


def _key(secret: str | bytes | None) -> bytes:
    from django.conf import settings

    key = secret if secret is not None else settings.SECRET_KEY
    return key.encode() if isinstance(key, str) else bytes(key)


def create_token_pair(
    user: Any,
    access_expires_in: int = 900,
    refresh_expires_in: int = 14 * 86400,
    extra_claims: dict[str, Any] | None = None,
    secret: str | bytes | None = None,
    algorithm: str = "HS256",
) -> dict[str, Any]:
    """``{"access", "refresh", "token_type", "expires_in"}`` for a user. The refresh token
    (``"type": "refresh"``) is refused by JWTAuthentication; trade it with
    :func:`rotate_refresh_token`."""
    access = create_jwt_for_user(user, access_expires_in, extra_claims, secret, algorithm)
    refresh = create_jwt_for_user(user, refresh_expires_in, {"type": "refresh"}, secret, algorithm)
    return {"access": access, "refresh": refresh, "token_type": "bearer", "expires_in": access_expires_in}


def rotate_refresh_token(
    refresh_token: str,
    access_expires_in: int = 900,
    refresh_expires_in: int = 14 * 86400,
    secret: str | bytes | None = None,
    algorithm: str = "HS256",
) -> dict[str, Any]:
    """Verifies a refresh token and returns a new pair; the old refresh token is spent.

    Rotation state lives in Django's cache (``bolt:refresh:<jti>`` until the token's expiry), so
    use a cache all workers share (database, Redis...) in production. A spent, invalid or expired
    refresh token, or an inactive user, raises ``Unauthorized``.
    """
    from django.contrib.auth import get_user_model
    from django.core.cache import cache

    from .. import _native
    from ..exceptions import Unauthorized

    try:
        claims = _native.jwt_decode(refresh_token, algorithm, _key(secret), 0)
    except ValueError as e:
        raise Unauthorized(f"invalid refresh token: {e}") from None
    if claims.get("type") != "refresh" or not claims.get("jti"):
        raise Unauthorized("not a refresh token")
    ttl = max(1, int(claims["exp"]) - int(time.time()))
    if not cache.add(f"bolt:refresh:{claims['jti']}", 1, ttl):
        raise Unauthorized("refresh token already used")
    user = get_user_model()._default_manager.filter(pk=claims.get("sub"), is_active=True).first()
    if user is None:
        raise Unauthorized("user inactive or gone")
    return create_token_pair(user, access_expires_in, refresh_expires_in, secret=secret, algorithm=algorithm)
