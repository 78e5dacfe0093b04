"""Authentication backends. Their checks run in Rust; these classes only configure them."""

from __future__ import annotations

from typing import Any, Iterable

from .._plans import ApiKeyPlan, JwtPlan

__all__ = ["JWTAuthentication", "SessionAuthentication", "APIKeyAuthentication"]


def _text_or_bytes(v: str | bytes | None) -> bytes | None:
    if v is None:
        return None
    return v.encode() if isinstance(v, str) else bytes(v)


class JWTAuthentication:
    """Bearer JWTs verified in Rust with the ``jsonwebtoken`` crate.

    ``secret`` defaults to ``settings.SECRET_KEY`` (HMAC algorithms); RS*/PS*/ES*/EdDSA take
    ``public_key`` (PEM). The token's ``alg`` must be in ``algorithms``; ``exp`` is required;
    ``nbf``, ``aud`` and ``iss`` are checked (the last two when configured). The token comes from
    ``header`` as ``Bearer <token>``, or from the cookie named ``cookie`` when given.
    A wrong algorithm name or a key that does not fit is a start-up error.
    """

    #: The scheme a refused, unauthenticated request is told to use (``WWW-Authenticate``).
    www_authenticate = "Bearer"

    def __init__(
        self,
        secret: str | bytes | None = None,
        algorithms: Iterable[str] = ("HS256",),
        header: str = "authorization",
        cookie: str | None = None,
        audience: str | Iterable[str] | None = None,
        issuer: str | Iterable[str] | None = None,
        leeway: int = 0,
        public_key: str | bytes | None = None,
    ) -> None:
        self.secret = secret
        self.algorithms = [algorithms] if isinstance(algorithms, str) else list(algorithms)
        self.header = header.lower()
        self.cookie = cookie
        self.audience = [audience] if isinstance(audience, str) else list(audience or [])
        self.issuer = [issuer] if isinstance(issuer, str) else list(issuer or [])
        if not isinstance(leeway, int) or leeway < 0:
            raise ValueError("leeway must be a non-negative int (seconds)")
        self.leeway = leeway
        self.public_key = public_key

    def plan(self) -> JwtPlan:
        """What Rust needs (resolved in each worker, so SECRET_KEY comes from its settings)."""
        secret = self.secret
        needs_secret = any(a.upper().startswith("HS") for a in self.algorithms)
        if secret is None and needs_secret:
            from django.conf import settings

            secret = settings.SECRET_KEY
        return JwtPlan(
            self.algorithms,
            _text_or_bytes(secret),
            _text_or_bytes(self.public_key),
            self.audience,
            self.issuer,
            self.leeway,
            self.header,
            self.cookie,
        )

    def __repr__(self) -> str:
        return f"JWTAuthentication(algorithms={self.algorithms!r}, header={self.header!r}, cookie={self.cookie!r})"


class SessionAuthentication:
    """Django's session cookie and auth backends, as the admin uses them, with CSRF checks on
    unsafe methods (Django's own CsrfViewMiddleware: send ``X-CSRFToken`` from the ``csrftoken``
    cookie). A browser logged into the admin can call the API.

    It runs in Python, in the worker, after any Rust authenticator found no credentials.
    """

    #: Tells Route.plan() that this authenticator is checked in Python.
    python = True
    #: No scheme to name (as in DRF): a guard refusing an anonymous request answers 403.
    www_authenticate = None

    def plan(self) -> tuple:
        return ("python",)

    def authenticate(self, request: Any) -> Any:
        """The logged-in user, or None; raises 403 when the CSRF check fails."""
        from django.conf import settings
        from django.contrib.auth import get_user
        from django.core.handlers.wsgi import WSGIRequest
        from django.utils.module_loading import import_string

        from ..django_app import wsgi_environ
        from ..exceptions import HTTPException

        key = request.cookies.get(settings.SESSION_COOKIE_NAME)
        if not key:
            return None
        environ = wsgi_environ(
            request.method,
            request.path.encode(),
            request.query_string,
            request._raw_headers,
            request.body,
            request.client or "",
        )
        dj = WSGIRequest(environ)
        dj.session = import_string(settings.SESSION_ENGINE).SessionStore(key)
        user = get_user(dj)
        if not user.is_authenticated:
            return None
        if request.method not in ("GET", "HEAD", "OPTIONS", "TRACE"):
            from django.middleware.csrf import CsrfViewMiddleware

            refused = CsrfViewMiddleware(lambda r: None).process_view(dj, lambda r: None, (), {})
            if refused is not None:
                raise HTTPException(403, "CSRF check failed: send the X-CSRFToken header from the csrftoken cookie")
        return user

    def __repr__(self) -> str:
        return "SessionAuthentication()"


class APIKeyAuthentication:
    """API keys from a header (``X-API-Key`` by default), checked in Rust.

    By default keys are the persistent ones of the ``APIKey`` model (``manage.py bolt_apikey
    create``): each core caches the answer for ``cache_ttl`` seconds, so a revoked key stops
    working within that time everywhere, without a restart. ``keys={...}`` checks an in-memory
    set instead (tests, small setups). ``request.auth`` holds ``{"api_key", "name", "scopes",
    "sub"}`` (``sub`` is the owner's pk, so ``request.user`` is the owner).
    """

    #: The scheme a refused, unauthenticated request is told to use (``WWW-Authenticate``).
    www_authenticate = "ApiKey"

    def __init__(self, header: str = "x-api-key", keys: Iterable[str] | None = None, cache_ttl: float = 5.0) -> None:
        if cache_ttl < 0:
            raise ValueError("cache_ttl must be >= 0 seconds")
        self.header = header.lower()
        self.keys = None if keys is None else set(keys)
        self.cache_ttl = float(cache_ttl)

    def plan(self) -> ApiKeyPlan:
        import hashlib

        if self.keys is None:
            from django.apps import apps

            if not apps.is_installed("django_bolt"):
                raise RuntimeError(
                    "APIKeyAuthentication() stores keys in the database: add 'django_bolt' to "
                    "INSTALLED_APPS and migrate, or pass keys={...} for in-memory keys"
                )
        hashes = None if self.keys is None else [hashlib.sha256(k.encode()).hexdigest() for k in self.keys]
        return ApiKeyPlan(self.header, hashes, self.cache_ttl)

    def __repr__(self) -> str:
        return f"APIKeyAuthentication(header={self.header!r}, in_memory={self.keys is not None})"
