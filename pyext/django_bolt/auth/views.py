"""Ready-made login, refresh, logout and logout-everywhere routes for cookie JWTs, as
django-bolt's ``auth.views``.

>>> store = DjangoCacheRevocation("default")      # Redis: every core and host sees one state
>>> JWTAuthViews(store=store).register(api)      # POST /auth/login, /auth/refresh, /auth/logout, /auth/logout-all
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from ..struct import Struct

__all__ = ["JWTAuthViews", "LoginCredentials"]


class LoginCredentials(Struct):
    """The JSON body ``POST <prefix>/login`` takes: ``{"username": ..., "password": ...}``."""

    username: str
    password: str


#: ``async (request, credentials) -> user or None``: who the credentials name.
CredentialValidator = Callable[[Any, LoginCredentials], Awaitable[Any]]


class JWTAuthViews:
    """Registers four routes on a ``BoltAPI`` (django-bolt's paths, cookies, statuses and bodies):

    - ``POST {prefix}/login`` with ``LoginCredentials``: ``credential_validator`` (default:
      Django's ``aauthenticate``) names the user; an unknown or inactive one is 401
      ``{"detail": "Invalid credentials"}``. Else 200 ``{"ok": true}`` and a new pair as
      cookies (``set_token_cookies``: ``access_cookie`` on ``/``, ``refresh_cookie`` only on
      ``prefix``; ``HttpOnly``, ``SameSite=Lax``, ``Secure`` unless ``secure_cookies=False``),
      minted with the store's user version and ``amr: ["pwd"]``.
    - ``POST {prefix}/refresh``: the refresh cookie (``token_type="refresh"``, checked in Rust
      with the cookie CSRF check) is rotated with ``rotate_refresh_token``; any refusal is 401
      ``{"detail": "Invalid token"}``.
    - ``POST {prefix}/logout``: revokes the refresh token's family and deletes both cookies.
    - ``POST {prefix}/logout-all``: ``store.bump_user_version`` (every earlier refresh token
      of the user stops rotating) and deletes both cookies.

    ``store`` is a revocation store with rotation support (``auth.revocation``); ``kid`` names
    the signing key in every token's header.
    """

    def __init__(
        self,
        *,
        store: Any,
        secret: str | bytes | None = None,
        algorithm: str = "HS256",
        kid: str | None = None,
        prefix: str = "/auth",
        access_cookie: str = "access_token",
        refresh_cookie: str = "refresh_token",
        secure_cookies: bool = True,
        credential_validator: CredentialValidator | None = None,
    ) -> None:
        for method in ("consume", "revoke_family", "is_family_revoked", "get_user_version", "bump_user_version"):
            if not callable(getattr(store, method, None)):
                raise TypeError(f"JWTAuthViews(store=...) needs a revocation store with {method}(), got {store!r}")
        self.store = store
        self.secret = secret
        self.algorithm = algorithm
        self.kid = kid
        self.prefix = prefix.rstrip("/")
        self.access_cookie = access_cookie
        self.refresh_cookie = refresh_cookie
        self.secure_cookies = secure_cookies
        self.credential_validator = credential_validator or self._authenticate

    async def _authenticate(self, request: Any, credentials: LoginCredentials) -> Any:
        from django.contrib.auth import aauthenticate

        return await aauthenticate(username=credentials.username, password=credentials.password)

    def _with_cookies(self, pair: Any) -> Any:
        from ..responses import JSON
        from .tokens import set_token_cookies

        return set_token_cookies(
            JSON({"ok": True}),
            pair,
            access_cookie=self.access_cookie,
            refresh_cookie=self.refresh_cookie,
            refresh_path=self.prefix,
            secure=self.secure_cookies,
        )

    def _without_cookies(self) -> Any:
        from ..responses import JSON

        response = JSON({"ok": True})
        response.delete_cookie(self.access_cookie, path="/")
        response.delete_cookie(self.refresh_cookie, path=self.prefix)
        return response

    def register(self, api: Any) -> None:
        """Adds the four routes to ``api``."""
        from ..exceptions import HTTPException
        from .authentication import JWTAuthentication
        from .guards import IsAuthenticated
        from .tokens import TokenRotationError, create_token_pair, rotate_refresh_token

        refresh_auth = [
            JWTAuthentication(
                secret=self.secret,
                algorithms=[self.algorithm],
                cookie=self.refresh_cookie,
                token_type="refresh",
                require_jti=True,
            )
        ]
        guarded = {"auth": refresh_auth, "guards": [IsAuthenticated()], "tags": ["auth"]}

        @api.post(f"{self.prefix}/login", tags=["auth"], summary="Log in")
        async def login(request: Any, credentials: LoginCredentials) -> Any:
            user = await self.credential_validator(request, credentials)
            if user is None or not getattr(user, "is_active", True):
                raise HTTPException(status_code=401, detail="Invalid credentials")
            version = await self.store.get_user_version(str(user.pk))
            pair = create_token_pair(
                user, secret=self.secret, algorithm=self.algorithm, kid=self.kid, version=version, method="pwd"
            )
            return self._with_cookies(pair)

        @api.post(f"{self.prefix}/refresh", summary="Refresh tokens", **guarded)
        async def refresh(request: Any) -> Any:
            try:
                pair = await rotate_refresh_token(
                    request.auth, store=self.store, secret=self.secret, algorithm=self.algorithm, kid=self.kid
                )
            except TokenRotationError:
                # One answer for every reason: no oracle.
                raise HTTPException(status_code=401, detail="Invalid token") from None
            return self._with_cookies(pair)

        @api.post(f"{self.prefix}/logout", summary="Log out", **guarded)
        async def logout(request: Any) -> Any:
            fam = request.auth.get("fam")
            if not isinstance(fam, str) or not fam:
                raise HTTPException(status_code=401, detail="Invalid token")
            await self.store.revoke_family(fam, exp=request.auth.get("exp"))
            return self._without_cookies()

        @api.post(f"{self.prefix}/logout-all", summary="Log out everywhere", **guarded)
        async def logout_all(request: Any) -> Any:
            await self.store.bump_user_version(request.auth["sub"])
            return self._without_cookies()
