"""Issuing JWTs (signed in Rust, with the same crate that verifies them)."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

__all__ = [
    "create_jwt_for_user",
    "create_token_pair",
    "rotate_refresh_token",
    "set_token_cookies",
    "TokenPair",
    "TokenRotationError",
]


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


#: django-bolt's lifetimes for ``create_token_pair``: 15 minutes, 7 days.
DEFAULT_ACCESS_TTL = 900
DEFAULT_REFRESH_TTL = 7 * 86400
#: The lifecycle claims ``create_token_pair`` mints; ``claims=`` may not override them.
RESERVED_CLAIMS = frozenset({"sub", "iat", "exp", "typ", "jti", "fam", "oat", "ver"})


class TokenRotationError(Exception):
    """A refresh token cannot be rotated (revoked, reused, wrong type, missing ``jti``, past
    the session cap), as django-bolt's."""


class TokenPair(dict):
    """An issued access + refresh token pair and their claims, with django-bolt's attributes
    ``access_token``, ``refresh_token``, ``access_claims`` and ``refresh_claims``.

    Different on purpose: it is also the dict this project's ``create_token_pair`` returned
    before, ``{"access", "refresh", "token_type": "bearer", "expires_in"}``, so a handler that
    returns it still answers that JSON and ``pair["access"]`` keeps working (django-bolt's is a
    dataclass)."""

    def __init__(
        self, access_token: str, refresh_token: str, access_claims: dict[str, Any], refresh_claims: dict[str, Any]
    ) -> None:
        super().__init__(
            access=access_token,
            refresh=refresh_token,
            token_type="bearer",
            expires_in=int(access_claims["exp"]) - int(access_claims["iat"]),
        )
        self.access_token = access_token
        self.refresh_token = refresh_token
        self.access_claims = access_claims
        self.refresh_claims = refresh_claims

    def __repr__(self) -> str:
        return f"TokenPair(access_claims={self.access_claims!r}, refresh_claims={self.refresh_claims!r})"


def _user_id(user: Any) -> str:
    # A Django user, or a bare id for flows that never load the model (magic links...).
    return str(user.pk) if hasattr(user, "pk") else str(user)


def _pick(name: str, ours: Any, theirs: Any, default: Any) -> Any:
    if ours is not None and theirs is not None:
        raise TypeError(f"create_token_pair: pass {name} once (django-bolt's name or this project's older one)")
    return ours if ours is not None else theirs if theirs is not None else default


def create_token_pair(
    user: Any,
    access_expires_in: int | None = None,
    refresh_expires_in: int | None = None,
    extra_claims: dict[str, Any] | None = None,
    secret: str | bytes | None = None,
    algorithm: str = "HS256",
    *,
    kid: str | None = None,
    access_ttl: int | None = None,
    refresh_ttl: int | None = None,
    claims: dict[str, Any] | None = None,
    method: str | list[str] | None = None,
    version: int = 0,
    oat: int | None = None,
) -> TokenPair:
    """A fresh access + refresh pair for ``user`` (a Django user or a bare id), as django-bolt's
    ``create_token_pair(user, *, secret, algorithm, kid, access_ttl, refresh_ttl, claims,
    method, version, oat)``: both tokens carry ``sub``, ``iat``, ``oat`` (origin auth time,
    kept across rotations), ``ver`` (``version``), a ``jti`` and ``claims``; the access one
    ``typ: "access"``, the refresh one ``typ: "refresh"`` and a family id ``fam``. ``method``
    is recorded as ``amr``. A refresh token never authenticates a route (refused in Rust).

    This project's older positional form ``(user, access_expires_in, refresh_expires_in,
    extra_claims, secret, algorithm)`` is accepted too. ``kid`` is refused: the signer here
    writes no header fields."""
    from .. import _native

    if kid is not None:
        raise NotImplementedError("create_token_pair(kid=...): JWT header fields are not supported by this server")
    access_ttl = int(_pick("the access lifetime", access_expires_in, access_ttl, DEFAULT_ACCESS_TTL))
    refresh_ttl = int(_pick("the refresh lifetime", refresh_expires_in, refresh_ttl, DEFAULT_REFRESH_TTL))
    extra = _pick("the extra claims", extra_claims, claims, None)
    if extra:
        reserved = RESERVED_CLAIMS.intersection(extra)
        if reserved:
            raise ValueError(f"claims must not override reserved lifecycle claims: {sorted(reserved)}")
    now = int(time.time())
    base: dict[str, Any] = {"sub": _user_id(user), "iat": now, "oat": now if oat is None else int(oat), "ver": version}
    base.update(extra or {})
    if method is not None:
        base["amr"] = method if isinstance(method, list) else [method]
    access_claims = {**base, "typ": "access", "exp": now + access_ttl, "jti": str(uuid.uuid4())}
    refresh_claims = {
        **base,
        "typ": "refresh",
        "exp": now + refresh_ttl,
        "jti": str(uuid.uuid4()),
        "fam": str(uuid.uuid4()),
    }
    key = _key(secret)
    return TokenPair(
        _native.jwt_encode(algorithm, key, json.dumps(access_claims).encode()),
        _native.jwt_encode(algorithm, key, json.dumps(refresh_claims).encode()),
        access_claims,
        refresh_claims,
    )


def set_token_cookies(
    response: Any,
    pair: TokenPair,
    *,
    access_cookie: str = "access_token",
    refresh_cookie: str = "refresh_token",
    refresh_path: str = "/",
    secure: bool = True,
    samesite: str = "Lax",
    domain: str | None = None,
) -> Any:
    """Sets the pair as cookies on ``response`` (anything with Django's ``set_cookie``) and
    returns it, as django-bolt's: both ``HttpOnly``, ``Secure`` and ``SameSite=Lax`` by default,
    each living until its token's ``exp``; the refresh cookie only on ``refresh_path`` (make
    it the refresh endpoint's path so ordinary requests do not carry it). No refresh cookie
    when the pair has no refresh token."""
    now = int(time.time())
    tokens = [(access_cookie, pair.access_token, pair.access_claims, "/")]
    if pair.refresh_token:
        tokens.append((refresh_cookie, pair.refresh_token, pair.refresh_claims, refresh_path))
    for name, token, claims, path in tokens:
        response.set_cookie(
            name,
            token,
            max_age=max(0, int(claims["exp"]) - now),
            path=path,
            domain=domain,
            secure=secure,
            httponly=True,
            samesite=samesite,
        )
    return response


def rotate_refresh_token(
    refresh_token: str,
    access_expires_in: int = 900,
    refresh_expires_in: int = DEFAULT_REFRESH_TTL,
    secret: str | bytes | None = None,
    algorithm: str = "HS256",
) -> TokenPair:
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
    if claims.get("typ", claims.get("type")) != "refresh" or not claims.get("jti"):
        raise Unauthorized("not a refresh token")
    ttl = max(1, int(claims["exp"]) - int(time.time()))
    if not cache.add(f"bolt:refresh:{claims['jti']}", 1, ttl):
        raise Unauthorized("refresh token already used")
    user = get_user_model()._default_manager.filter(pk=claims.get("sub"), is_active=True).first()
    if user is None:
        raise Unauthorized("user inactive or gone")
    return create_token_pair(user, access_expires_in, refresh_expires_in, secret=secret, algorithm=algorithm)
