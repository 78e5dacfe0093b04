"""Issuing JWTs (signed in Rust, with the same crate that verifies them)."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any, Mapping

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

    ``kid`` names the signing key in both tokens' headers (a verifier with a key set picks
    it). This project's older positional form ``(user, access_expires_in, refresh_expires_in,
    extra_claims, secret, algorithm)`` is accepted too."""
    access_ttl = int(_pick("the access lifetime", access_expires_in, access_ttl, DEFAULT_ACCESS_TTL))
    refresh_ttl = int(_pick("the refresh lifetime", refresh_expires_in, refresh_ttl, DEFAULT_REFRESH_TTL))
    extra = _pick("the extra claims", extra_claims, claims, None)
    _check_reserved(extra)
    if method is not None:
        extra = {**(extra or {}), "amr": method if isinstance(method, list) else [method]}
    return _mint_pair(
        _user_id(user),
        key=_key(secret),
        algorithm=algorithm,
        kid=kid,
        access_ttl=access_ttl,
        refresh_ttl=refresh_ttl,
        extra=extra,
        version=version,
        oat=oat,
        fam=None,
    )


def _check_reserved(claims: dict[str, Any] | None) -> None:
    reserved = RESERVED_CLAIMS.intersection(claims or ())
    if reserved:
        raise ValueError(f"claims must not override reserved lifecycle claims: {sorted(reserved)}")


def _mint_pair(
    user_id: str,
    *,
    key: bytes,
    algorithm: str,
    kid: str | None,
    access_ttl: int,
    refresh_ttl: int,
    extra: dict[str, Any] | None,
    version: int,
    oat: int | None,
    fam: str | None,
) -> TokenPair:
    """Both tokens of a pair; ``fam`` keeps a rotated pair in its family (None: a new one)."""
    from .. import _native

    now = int(time.time())
    base: dict[str, Any] = {"sub": user_id, "iat": now, "oat": now if oat is None else int(oat), "ver": version}
    base.update(extra or {})
    access_claims = {**base, "typ": "access", "exp": now + access_ttl, "jti": str(uuid.uuid4())}
    refresh_claims = {
        **base,
        "typ": "refresh",
        "exp": now + refresh_ttl,
        "jti": str(uuid.uuid4()),
        "fam": fam or str(uuid.uuid4()),
    }
    return TokenPair(
        _native.jwt_encode(algorithm, key, json.dumps(access_claims).encode(), kid),
        _native.jwt_encode(algorithm, key, json.dumps(refresh_claims).encode(), kid),
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


async def rotate_refresh_token(
    refresh_claims: Mapping[str, Any],
    *,
    store: Any,
    secret: str | bytes | None = None,
    algorithm: str = "HS256",
    kid: str | None = None,
    access_ttl: int = DEFAULT_ACCESS_TTL,
    refresh_ttl: int = DEFAULT_REFRESH_TTL,
    rotate: bool = True,
    max_session_lifetime: int | None = None,
    leeway: int = 60,
    claims: dict[str, Any] | None = None,
) -> TokenPair:
    """Trades a verified refresh token for new tokens, as django-bolt's: ``refresh_claims`` are
    the claims Rust already verified (``request.auth`` on a route with
    ``JWTAuthentication(token_type="refresh")``); this does the checks that need state, in
    ``store`` (a revocation store of ``auth.revocation``)::

        @api.post("/auth/refresh", auth=[JWTAuthentication(token_type="refresh", require_jti=True)],
                  guards=[IsAuthenticated()])
        async def refresh(request):
            try:
                return await rotate_refresh_token(request.auth, store=store)
            except TokenRotationError:
                raise HTTPException(401, "Invalid token") from None

    In order: the token needs a ``jti`` (and, to rotate, a family ``fam``); its family must not
    be revoked; its ``oat`` (origin auth time) may not be in the future, and with
    ``max_session_lifetime`` it must exist and be less than that many seconds ago (the new
    access token then ends with the session at the latest); its ``ver`` must equal the store's
    ``get_user_version(sub)`` (``bump_user_version`` logs a user out everywhere). Then, with
    ``rotate=True``, the token is consumed atomically (``store.consume``) and a new pair of the
    same family comes back; presenting a consumed token again is reuse: its whole family is
    revoked. ``rotate=False`` returns a new access token only (``refresh_token == ""``) and
    leaves the refresh token usable until revoked. Only ``oat`` and ``amr`` carry over; pass
    other claims again in ``claims=``; ``kid`` names the signing key in the new headers. ``leeway`` must be the verifying backend's, so a consumed
    token stays marked as long as it verifies.

    Every refusal raises ``TokenRotationError`` (answer a uniform 401: the message is for logs).
    A store without consume/family support raises it too."""
    if isinstance(refresh_claims, (str, bytes)):
        raise TypeError(
            "rotate_refresh_token takes the verified claims (request.auth on a route with "
            "JWTAuthentication(token_type='refresh')), not the token"
        )
    _check_reserved(claims)
    if leeway < 0:
        raise ValueError("leeway must be >= 0")
    if max_session_lifetime is not None and max_session_lifetime < 0:
        raise ValueError("max_session_lifetime must be >= 0")

    jti = _text_claim(refresh_claims, "jti")
    if jti is None:
        raise TokenRotationError("Refresh token missing jti")
    fam = _text_claim(refresh_claims, "fam")
    if rotate and fam is None:
        raise TokenRotationError("Rotating refresh token missing family id")
    # A revoked family ends the session in both modes.
    if fam is not None and await _store_call(store, "is_family_revoked", fam, what="refresh-token families"):
        raise TokenRotationError("Refresh token family revoked")
    # Without rotation the token stays usable, so only its own revocation is checked.
    if not rotate and await store.is_revoked(jti):
        raise TokenRotationError("Refresh token revoked")
    user_id = _text_claim(refresh_claims, "sub")
    if user_id is None:
        raise TokenRotationError("Refresh token missing subject")

    now = int(time.time())
    oat = _int_claim(refresh_claims, "oat", "origin auth time")
    if oat is not None and oat > now:
        raise TokenRotationError("Refresh token origin auth time is in the future")
    if max_session_lifetime is not None:
        # No oat, no proof of the session's age: re-minting would start it afresh.
        if oat is None:
            raise TokenRotationError("Refresh token missing origin auth time")
        left = oat + max_session_lifetime - now
        if left <= 0:
            raise TokenRotationError("Session exceeded maximum lifetime")
        # Access tokens are not checked against the cap once issued: end this one with it.
        access_ttl = min(access_ttl, left)

    try:
        version = int(await store.get_user_version(user_id))
    except NotImplementedError:
        version = 0
    token_version = _int_claim(refresh_claims, "ver", "version")
    # Equal, not merely not older: a token ahead of the store must not outlive a later bump.
    if (token_version or 0) != version:
        raise TokenRotationError("Refresh token version does not match current version")

    if rotate:
        exp = _int_claim(refresh_claims, "exp", "expiry")
        if exp is None:
            raise TokenRotationError("Refresh token has invalid expiry")
        # The backend accepts the token until exp + leeway: keep it marked that long.
        mark_until = max(exp, now + leeway)
        if not await _store_call(store, "consume", jti, exp=mark_until, what="atomic refresh rotation"):
            # Reuse: burn the family, so the chain the rightful holder rotated to dies too. Its
            # newest member may live refresh_ttl from now.
            await _store_call(
                store, "revoke_family", fam, exp=max(now + refresh_ttl, mark_until), what="refresh-token families"
            )
            raise TokenRotationError("Refresh token revoked or already used")

    carried = {"amr": refresh_claims["amr"]} if "amr" in refresh_claims else {}
    carried.update(claims or {})
    key = _key(secret)
    if rotate:
        return _mint_pair(
            user_id,
            key=key,
            algorithm=algorithm,
            kid=kid,
            access_ttl=access_ttl,
            refresh_ttl=refresh_ttl,
            extra=carried,
            version=version,
            oat=oat,
            fam=fam,
        )
    from .. import _native

    access_claims = {
        **carried,
        "sub": user_id,
        "iat": now,
        "exp": now + access_ttl,
        "typ": "access",
        "jti": str(uuid.uuid4()),
        "ver": version,
    }
    if oat is not None:
        access_claims["oat"] = oat
    access = _native.jwt_encode(algorithm, key, json.dumps(access_claims).encode(), kid)
    return TokenPair(access, "", access_claims, dict(refresh_claims))


def _text_claim(claims: Mapping[str, Any], name: str) -> str | None:
    value = claims.get(name)
    return value if isinstance(value, str) and value else None


def _int_claim(claims: Mapping[str, Any], name: str, what: str) -> int | None:
    value = claims.get(name)
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise TokenRotationError(f"Refresh token has invalid {what}") from None


async def _store_call(store: Any, method: str, *args: Any, what: str, **kwargs: Any) -> Any:
    """``await store.<method>(...)``; a store without it cannot rotate safely."""
    call = getattr(store, method, None)
    if call is None:
        raise TokenRotationError(f"Revocation store does not support {what}")
    try:
        return await call(*args, **kwargs)
    except NotImplementedError as e:
        raise TokenRotationError(f"Revocation store does not support {what}") from e
