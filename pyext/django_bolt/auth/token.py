"""``Token``: django-bolt's dataclass of JWT claims, signed and verified by the same Rust code
that guards routes (``jsonwebtoken``), not PyJWT.

>>> token = Token.create(sub="42", expires_delta=timedelta(minutes=5), permissions=["items.read"])
>>> encoded = token.encode(secret="s3cret")
>>> Token.decode(encoded, secret="s3cret").permissions
['items.read']
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = ["Token"]

#: The claims ``Token`` has fields for; ``decode`` puts any other into ``extras``.
_FIELDS = ("exp", "sub", "iat", "iss", "aud", "jti", "nbf", "is_staff", "is_superuser", "is_admin", "permissions")


def _utc_seconds(value: datetime) -> datetime:
    """``value`` in UTC without microseconds (a naive one is taken as UTC), as claims hold it."""
    value = value.astimezone(UTC) if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return value.replace(microsecond=0)


def _now() -> datetime:
    return _utc_seconds(datetime.now(UTC))


@dataclass
class Token:
    """A JWT's claims as django-bolt's ``Token``: ``exp`` and ``sub`` required (``exp`` in the
    future and ``iat`` not, unless decoded), ``iat`` now by default; ``iss``, ``aud``, ``jti``,
    ``nbf``; bolt's ``is_staff``, ``is_superuser``, ``is_admin``, ``permissions``; any other
    claim in ``extras``. Datetimes are kept in UTC, whole seconds."""

    exp: datetime
    sub: str
    iat: datetime = field(default_factory=_now)
    iss: str | None = None
    aud: str | None = None
    jti: str | None = None
    nbf: datetime | None = None
    is_staff: bool | None = None
    is_superuser: bool | None = None
    is_admin: bool | None = None
    permissions: list[str] | None = None
    extras: dict[str, Any] = field(default_factory=dict)
    _skip_validation: bool = field(default=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.sub, str) or not self.sub:
            raise ValueError("sub (subject) must be a non-empty string")
        if not isinstance(self.exp, datetime):
            raise ValueError("exp must be a datetime object")
        self.exp = _utc_seconds(self.exp)
        if isinstance(self.iat, datetime):
            self.iat = _utc_seconds(self.iat)
        if isinstance(self.nbf, datetime):
            self.nbf = _utc_seconds(self.nbf)
        if not self._skip_validation:
            now = _now()
            if self.exp <= now:
                raise ValueError("exp (expiration) must be in the future")
            if isinstance(self.iat, datetime) and self.iat > now:
                raise ValueError("iat (issued at) must be current or past time")

    def to_dict(self) -> dict[str, Any]:
        """The claims: datetimes as Unix seconds, unset fields left out, then ``extras``."""
        claims: dict[str, Any] = {"exp": int(self.exp.timestamp()), "sub": self.sub, "iat": int(self.iat.timestamp())}
        for name in ("iss", "aud", "jti"):
            if getattr(self, name) is not None:
                claims[name] = getattr(self, name)
        if self.nbf is not None:
            claims["nbf"] = int(self.nbf.timestamp())
        for name in ("is_staff", "is_superuser", "is_admin", "permissions"):
            if getattr(self, name) is not None:
                claims[name] = getattr(self, name)
        claims.update(self.extras)
        return claims

    def encode(self, secret: str | bytes, algorithm: str = "HS256", headers: dict[str, Any] | None = None) -> str:
        """The signed token (``secret``: the HMAC key, or a PEM private key for RS/PS/ES/EdDSA).
        ``headers`` may name the key (``{"kid": ...}``); other header fields are refused (the
        signer here writes ``alg``, ``typ`` and ``kid`` only). Raises ValueError."""
        from .. import _native

        extra = set(headers or ()) - {"kid"}
        if extra:
            raise NotImplementedError(f"Token.encode(headers=...): only 'kid' can be set here, not {sorted(extra)}")
        key = secret.encode() if isinstance(secret, str) else bytes(secret)
        try:
            return _native.jwt_encode(algorithm, key, json.dumps(self.to_dict()).encode(), (headers or {}).get("kid"))
        except (TypeError, ValueError) as e:
            raise ValueError(f"Failed to encode token: {e}") from e

    @classmethod
    def decode(
        cls,
        encoded_token: str,
        secret: str | bytes,
        algorithm: str = "HS256",
        audience: str | None = None,
        issuer: str | None = None,
        verify_exp: bool = True,
        verify_nbf: bool = True,
    ) -> Token:
        """Verifies ``encoded_token`` (signature, ``algorithm``; ``exp`` and ``nbf`` unless told
        not to; ``aud``/``iss`` when given) and returns its ``Token``. Raises ValueError."""
        from .. import _native

        key = secret.encode() if isinstance(secret, str) else bytes(secret)
        # A leeway of "now" turns the verifier's exp/nbf checks off (verify_exp=False...): exp is
        # compared with now - leeway, i.e. 0; a larger one would wrap the verifier's arithmetic.
        leeway = 0 if verify_exp and verify_nbf else int(_now().timestamp())
        try:
            claims = _native.jwt_decode(encoded_token, algorithm, key, leeway)
        except (TypeError, ValueError) as e:
            raise ValueError(f"Failed to decode token: {e}") from e
        now = int(_now().timestamp())
        problems = []
        # With one of the two checks off the verifier checked neither: do the other here.
        if leeway and verify_exp and int(claims["exp"]) < now:
            problems.append("token has expired")
        if leeway and verify_nbf and "nbf" in claims and int(claims["nbf"]) > now:
            problems.append("token is not valid yet (nbf)")
        if audience is not None:
            aud = claims.get("aud")
            if audience != aud and not (isinstance(aud, list) and audience in aud):
                problems.append("invalid audience")
        if issuer is not None and claims.get("iss") != issuer:
            problems.append("invalid issuer")
        if "sub" not in claims:
            problems.append("token has no sub")
        if problems:
            raise ValueError(f"Failed to decode token: {', '.join(problems)}")
        stamp = lambda v: datetime.fromtimestamp(int(v), tz=UTC)  # noqa: E731
        return cls(
            exp=stamp(claims["exp"]),
            sub=claims["sub"],
            iat=stamp(claims.get("iat", int(claims["exp"]) - 3600)),
            iss=claims.get("iss"),
            aud=claims.get("aud"),
            jti=claims.get("jti"),
            nbf=stamp(claims["nbf"]) if "nbf" in claims else None,
            is_staff=claims.get("is_staff"),
            is_superuser=claims.get("is_superuser"),
            is_admin=claims.get("is_admin"),
            permissions=claims.get("permissions"),
            extras={k: v for k, v in claims.items() if k not in _FIELDS},
            _skip_validation=True,
        )

    @classmethod
    def create(
        cls,
        sub: str,
        expires_delta: timedelta | None = None,
        issuer: str | None = None,
        audience: str | None = None,
        is_staff: bool = False,
        is_admin: bool = False,
        permissions: list[str] | None = None,
        **extra_claims: Any,
    ) -> Token:
        """A token for ``sub`` living ``expires_delta`` (an hour by default); ``is_staff``
        implies ``is_admin``, as in django-bolt."""
        now = datetime.now(UTC)
        return cls(
            exp=now + (expires_delta if expires_delta is not None else timedelta(hours=1)),
            sub=sub,
            iat=now,
            iss=issuer,
            aud=audience,
            is_staff=is_staff,
            is_admin=is_admin or is_staff,
            permissions=permissions,
            extras=extra_claims,
        )
