"""Issuing JWTs (signed in Rust, with the same crate that verifies them)."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

__all__ = ["create_jwt_for_user", "create_token_pair", "rotate_refresh_token"]


def create_jwt_for_user(
    user: Any,
    secret: str | bytes | None = None,
    algorithm: str = "HS256",
    expires_in: int = 3600,
    extra_claims: dict[str, Any] | None = None,
) -> str:
    """A signed token for a Django user, as django-bolt's ``create_jwt_for_user(user, secret,
    algorithm, expires_in, extra_claims)``: ``sub`` (the user's pk, as text), ``iat``, ``exp``,
    ``is_staff``, ``is_superuser``, ``username``, and ``email``/``first_name``/``last_name``
    when the user has them, plus ``jti`` (a unique id, which refresh-token rotation uses) and
    ``extra_claims`` (which win). ``secret`` defaults to SECRET_KEY (a PEM private key for
    RS/ES/EdDSA)."""
    from .. import _native

    if isinstance(secret, int) and not isinstance(secret, bool):
        # The older order here was (user, expires_in, ...): a number where the secret goes.
        raise TypeError("create_jwt_for_user(user, secret, algorithm, expires_in, extra_claims): pass expires_in=")
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": str(user.pk),
        "exp": now + int(expires_in),
        "iat": now,
        "is_staff": bool(getattr(user, "is_staff", False)),
        "is_superuser": bool(getattr(user, "is_superuser", False)),
        "username": user.get_username() if hasattr(user, "get_username") else getattr(user, "username", ""),
        "jti": uuid.uuid4().hex,
    }
    for name in ("email", "first_name", "last_name"):
        value = getattr(user, name, None)
        if value:
            claims[name] = value
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
    access = create_jwt_for_user(user, secret, algorithm, access_expires_in, extra_claims)
    refresh = create_jwt_for_user(user, secret, algorithm, refresh_expires_in, {"type": "refresh"})
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
