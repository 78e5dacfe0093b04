"""Authentication backends. Their checks run in Rust; these classes only configure them."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from .._plans import ApiKeyPlan, JwtPlan

__all__ = ["BaseAuthentication", "JWTAuthentication", "SessionAuthentication", "APIKeyAuthentication"]


def _check_jwks_url(url: str, jwks: Any, secret: Any, public_key: Any, issuer: Any, audience: Any) -> None:
    """django-bolt's rules for ``jwks_url``."""
    from .jwks import check_https

    check_https(url, "jwks_url")
    if jwks is not None or secret is not None or public_key is not None:
        raise ValueError("JWTAuthentication takes jwks_url, jwks or a key (secret/public_key): one of them")
    if not issuer or not audience:
        # As django-bolt: a provider's keys sign other applications' tokens too.
        raise ValueError("JWTAuthentication with jwks_url needs issuer= and audience= (against token substitution)")


def _jwks_document(jwks: Any) -> bytes | None:
    """A ``jwks=`` key set (a dict, or its JSON as text or bytes) as JSON bytes; Rust parses its
    keys at start-up (each needs a ``kid``)."""
    import json

    if jwks is None:
        return None
    if isinstance(jwks, Mapping):
        return json.dumps(jwks).encode()
    if isinstance(jwks, (str, bytes)):
        return jwks.encode() if isinstance(jwks, str) else bytes(jwks)
    raise TypeError(f"jwks must be a JWK set (a dict, or its JSON), got {type(jwks).__name__}")


def _text_or_bytes(v: str | bytes | None) -> bytes | None:
    if v is None:
        return None
    return v.encode() if isinstance(v, str) else bytes(v)


class BaseAuthentication:
    """What every authentication backend shares (django-bolt's base class), and the hook that
    loads ``request.user``.

    Subclass a built-in backend to change how its user is loaded::

        class MyJWT(JWTAuthentication):
            async def get_user(self, user_id, auth_context):
                return await Account.objects.filter(pk=user_id).afirst()

    ``await request.auser()`` awaits ``get_user(user_id, auth_context)`` (``auth_context`` is
    ``request.context``); sync ``request.user`` calls ``get_user_sync(user_id)`` when the class
    defines it, a plain ``def get_user`` as it is, and refuses (RuntimeError naming the fix) an
    ``async def get_user`` alone. A loader returning None leaves the request's user
    ``AnonymousUser``. Without an override the user is the ``AUTH_USER_MODEL`` row the token's
    ``sub``/``user_id`` names.

    The loader is chosen by the scheme that authenticated the request (``scheme_name``), once
    per interpreter (``auth.user_loader``; django-bolt keeps one registry by scheme too): two
    backends of one scheme with different loaders in one project are a start-up error.

    A direct subclass is checked in Python: define ``authenticate(request)`` returning the user
    or None (django-bolt's ``to_metadata()``, compiling a new backend into Rust, is not
    supported).
    """

    #: The scheme a refused, unauthenticated request is told to use (``WWW-Authenticate``);
    #: None: refusals are 403.
    www_authenticate: str | None = None

    @property
    def scheme_name(self) -> str:
        """The authentication scheme's name (``"jwt"``, ``"api_key"``, ``"session"``; a
        Python backend's class name in lower case)."""
        return type(self).__name__.lower()

    @property
    def python(self) -> bool:
        """Whether this backend is checked in Python (it defines ``authenticate(request)``)."""
        return callable(getattr(type(self), "authenticate", None))

    def plan(self) -> tuple:
        """What Rust is told of a backend checked in Python."""
        if not self.python:
            raise TypeError(
                f"{type(self).__name__} subclasses BaseAuthentication without authenticate(request): "
                "define it (the user or None), or subclass JWTAuthentication/APIKeyAuthentication"
            )
        return ("python",)

    async def get_user(self, user_id: str | None, auth_context: dict[str, Any]) -> Any | None:
        """The user of an authenticated request (``await request.auser()``); override it.
        This default loads none (the built-in loader by ``sub``/``user_id`` runs instead)."""
        return None


class JWTAuthentication(BaseAuthentication):
    """Bearer JWTs verified in Rust with the ``jsonwebtoken`` crate; django-bolt's signature
    ``(secret, algorithms, header, cookie, audience, issuer, revoked_token_handler,
    revocation_store, require_jti, public_key, leeway=60, token_type, csrf, jwks_url, jwks,
    oidc_issuer, jwks_refresh_interval)``.

    ``secret`` defaults to ``settings.SECRET_KEY`` (HMAC algorithms); RS*/PS*/ES*/EdDSA take
    ``public_key`` (PEM). The token's ``alg`` must be in ``algorithms``; ``exp`` is required;
    ``nbf``, ``aud`` and ``iss`` are checked (the last two when configured). The token comes from
    ``header`` as ``Bearer <token>``, or, when the request has no such header, from the cookie
    named ``cookie`` when given. ``leeway`` (seconds of clock skew allowed on ``exp``/``nbf``)
    is 60 by default, as in django-bolt.

    ``token_type``: the ``typ`` a token must carry on this route, checked in Rust before Python
    runs (e.g. ``"refresh"`` on a rotation route): ``typ`` must be exactly it and neither
    ``token_type`` (djangorestframework-simplejwt) nor ``token_use`` (django-allauth, Cognito)
    may say otherwise. None (the default): a token whose ``typ``, ``token_type`` or
    ``token_use`` is ``refresh``, ``offline`` or ``id`` (any case) is refused, so a refresh or
    ID token never authenticates an ordinary route. Either refusal is a 401.

    ``csrf`` (default True): a token read from the cookie, on an unsafe method (not GET, HEAD,
    OPTIONS, TRACE), must come from this site, as in django-bolt: ``Sec-Fetch-Site`` decides
    when sent (``same-origin`` or ``none`` pass); else ``Origin`` (or ``Referer``) must name the
    request's scheme, ``Host`` and port (the scheme is https only when a proxy listed in
    ``BOLT_TRUSTED_PROXIES`` sends ``X-Forwarded-Proto: https``); with none of them the request
    is refused. A refusal is a 403. A token from the header is never checked (browsers do not
    attach it); ``csrf=False`` turns the check off for API-only cookie clients.

     ``revocation_store`` (``auth.revocation``) or ``revoked_token_handler`` (an
    ``async (jti[, claims]) -> bool``) turn on ``require_jti`` and a lookup by ``jti`` before
    the handler, on the core's blocking pool: a revoked token answers 401 "Token has been
    revoked". ``require_jti=True`` alone refuses tokens without a ``jti``.

    ``jwks``: a JWK set (a dict or its JSON) in place of ``secret``/``public_key``: each token's
    ``kid`` header picks its key (a set of one key also takes tokens without ``kid``); an
    unknown ``kid`` is a 401. Pass ``algorithms`` of the keys' family (e.g. ``["RS256"]``); a
    key of another family, or a set without any ``kid``, is a start-up error.

    ``jwks_url``: the set at that HTTPS address (``issuer`` and ``audience`` required, as in
    django-bolt; the CA file is Python's default, ``SSL_CERT_FILE`` or the system's), fetched
    when the server starts, and refreshed by the first token checked each time
    ``jwks_refresh_interval`` seconds (300) have passed since the last fetch, and at once by a
    token whose ``kid`` the set lacks (then at most once in 30 seconds). One copy
    serves every core; the fetch runs on a core's blocking pool, never on the core's own
    thread, and the request that starts it is answered with the keys held then (a token
    naming a key not fetched yet is a 401 until the refresh lands). A failed refresh keeps the
    keys held and logs one WARNING. A key the provider removed stops verifying tokens, even
    ones verified before, once the refresh lands::

        JWTAuthentication(jwks_url="https://idp.example/.well-known/jwks.json",
                          issuer="https://idp.example", audience="api", algorithms=["RS256"])

    ``oidc_issuer``: OpenID Connect discovery, as in django-bolt: when the backend is built,
    ``<oidc_issuer>/.well-known/openid-configuration`` is fetched; its ``issuer`` must equal
    ``oidc_issuer`` (a trailing slash aside) and becomes the ``iss`` required; its
    ``jwks_uri`` is used as ``jwks_url``; ``algorithms``, when not given, are its
    ``id_token_signing_alg_values_supported`` (``none`` left out). It needs ``audience`` and
    takes no ``issuer``, ``jwks_url`` or ``jwks``. A wrong
    algorithm name or a key that does not fit is a start-up error.
    """

    #: The scheme a refused, unauthenticated request is told to use (``WWW-Authenticate``).
    www_authenticate = "Bearer"
    scheme_name = "jwt"

    def __init__(
        self,
        secret: str | bytes | None = None,
        algorithms: Iterable[str] | None = None,
        header: str = "authorization",
        cookie: str | None = None,
        audience: str | Iterable[str] | None = None,
        issuer: str | Iterable[str] | None = None,
        revoked_token_handler: Any = None,
        revocation_store: Any = None,
        require_jti: bool = False,
        public_key: str | bytes | None = None,
        leeway: int = 60,
        token_type: str | None = None,
        csrf: bool = True,
        jwks_url: str | None = None,
        jwks: Any = None,
        oidc_issuer: str | None = None,
        jwks_refresh_interval: int = 300,
    ) -> None:
        # django-bolt's signature, in its order.
        if isinstance(jwks_refresh_interval, bool) or not isinstance(jwks_refresh_interval, (int, float)):
            raise TypeError(f"jwks_refresh_interval must be seconds (a number), got {jwks_refresh_interval!r}")
        if not jwks_refresh_interval > 0:
            raise ValueError("jwks_refresh_interval must be > 0 seconds")
        self.oidc_issuer = oidc_issuer
        if oidc_issuer is not None:
            if jwks_url is not None or jwks is not None or issuer is not None:
                raise ValueError(
                    "JWTAuthentication: oidc_issuer names the issuer and its keys: pass no issuer, jwks_url or jwks"
                )
            if not audience:
                raise ValueError("JWTAuthentication with oidc_issuer needs audience= (against token substitution)")
            from .jwks import discover

            # As django-bolt: when the backend is built, from the provider's discovery document.
            issuer, jwks_url, discovered = discover(oidc_issuer)
            if algorithms is None and discovered:
                algorithms = discovered
        if jwks_url is not None:
            _check_jwks_url(jwks_url, jwks, secret, public_key, issuer, audience)
        self.jwks_url = jwks_url
        self.jwks_refresh_interval = jwks_refresh_interval
        if secret is not None and public_key is not None:
            raise ValueError("JWTAuthentication takes secret (HMAC) or public_key (asymmetric), not both")
        if jwks is not None and (secret is not None or public_key is not None):
            raise ValueError("JWTAuthentication takes a key set (jwks) or a key (secret/public_key), not both")
        self.jwks = _jwks_document(jwks)
        self.secret = secret
        algorithms = ("HS256",) if algorithms is None else algorithms
        self.algorithms = [algorithms] if isinstance(algorithms, str) else list(algorithms)
        self.header = header.lower()
        self.cookie = cookie
        self.csrf = csrf
        self.audience = [audience] if isinstance(audience, str) else list(audience or [])
        self.issuer = [issuer] if isinstance(issuer, str) else list(issuer or [])
        if not isinstance(leeway, int) or leeway < 0:
            raise ValueError("leeway must be a non-negative int (seconds)")
        self.leeway = leeway
        self.public_key = public_key
        if token_type is not None and (not isinstance(token_type, str) or not token_type):
            raise TypeError(f"token_type must be the expected 'typ' claim (e.g. 'refresh') or None, got {token_type!r}")
        self.token_type = token_type
        if revocation_store is not None and not hasattr(revocation_store, "is_revoked"):
            raise TypeError(f"revocation_store must be a RevocationStore, got {revocation_store!r}")
        if revoked_token_handler is not None and not callable(revoked_token_handler):
            raise TypeError(f"revoked_token_handler must be callable, got {revoked_token_handler!r}")
        self.revocation_store = revocation_store
        if revocation_store is not None and revoked_token_handler is None:
            from .revocation import create_revocation_handler

            revoked_token_handler = create_revocation_handler(revocation_store)
        self.revoked_token_handler = revoked_token_handler
        # As in django-bolt: revocation needs a jti to look up, so it requires one.
        self.require_jti = bool(require_jti) or revoked_token_handler is not None

    def plan(self) -> JwtPlan:
        """What Rust needs (resolved in each worker, so SECRET_KEY comes from its settings)."""
        secret = self.secret
        if self.jwks_url is not None and self.jwks is None:
            from .jwks import fetch

            # Fetched as each worker starts (the first worker's copy becomes the process's),
            # then refreshed on Rust's schedule (src/auth/jwks.rs).
            self.jwks = fetch(self.jwks_url)
        needs_secret = self.jwks is None and any(a.upper().startswith("HS") for a in self.algorithms)
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
            token_type=self.token_type,
            cookie_csrf=self.cookie is not None and bool(self.csrf),
            jwks=self.jwks,
            jwks_url=self.jwks_url,
            jwks_refresh_interval=float(self.jwks_refresh_interval),
        )

    def __repr__(self) -> str:
        return f"JWTAuthentication(algorithms={self.algorithms!r}, header={self.header!r}, cookie={self.cookie!r})"


# src/auth/csrf.rs's REFUSAL, the 403 of a JWT cookie failing the same check.
_CSRF_REFUSAL = (
    "CSRF check failed: a cookie-authenticated request with an unsafe method must come from this site "
    "(Sec-Fetch-Site same-origin or none, or an Origin or Referer naming this scheme, host and port)"
)


class SessionAuthentication(BaseAuthentication):
    """Django's session cookie and auth backends, as the admin uses them: a browser logged into
    the admin can call the API.

    ``csrf`` (default True), as in django-bolt: a request with an unsafe method (not GET, HEAD,
    OPTIONS, TRACE) that a session authenticates must come from this site, by the check a JWT
    read from a cookie gets (no CSRF token): ``Sec-Fetch-Site`` decides when sent
    (``same-origin`` or ``none`` pass); else ``Origin`` (or ``Referer``) must name the request's
    scheme, ``Host`` and port; with none of them the request is refused. A refusal is a 403.
    ``csrf=False`` turns the check off (an API used only by non-browsers)::

        @api.post("/notes", auth=[SessionAuthentication()], guards=[IsAuthenticated()])

    It runs in Python, in the worker, after any Rust authenticator found no credentials.
    """

    #: Tells Route.plan() that this authenticator is checked in Python.
    python = True
    scheme_name = "session"
    #: No scheme to name (as in DRF): a guard refusing an anonymous request answers 403.
    www_authenticate = None

    def __init__(self, *, login_url: str | None = None, csrf: bool = True) -> None:
        #: Where a request with no logged-in user is sent (Django's ``redirect_to_login``, a
        #: 302 with ``?next=``); None: it goes on anonymous and the guards decide.
        self.login_url = login_url
        #: False: unsafe methods skip the cross-site check (an API used only by non-browsers).
        self.csrf = csrf

    def plan(self) -> tuple:
        return ("python",)

    def authenticate(self, request: Any) -> Any:
        """The logged-in user, or None; raises 403 when the cross-site check fails."""
        from importlib import import_module

        from django.conf import settings
        from django.contrib.auth import get_user
        from django.core.handlers.wsgi import WSGIRequest

        from ..django_app import wsgi_environ
        from ..exceptions import HTTPException

        key = request.cookies.get(settings.SESSION_COOKIE_NAME)
        if not key:
            return self._anonymous(request)
        environ = wsgi_environ(
            request.method,
            request.path.encode(),
            request.query_string,
            request._raw_headers,
            request.body,
            request.client or "",
            scheme=request.scheme,
        )
        dj = WSGIRequest(environ)
        dj.session = import_module(settings.SESSION_ENGINE).SessionStore(key)
        user = get_user(dj)
        if not user.is_authenticated:
            return self._anonymous(request)
        request._backend = "session"
        # As for a JWT cookie, checked once the session is known good: a stale cookie alone
        # leaves the request anonymous (the guards answer), not refused here.
        if self.csrf:
            from .. import _native

            if not _native.csrf_passes(request.method, request._raw_headers, request.scheme == "https"):
                raise HTTPException(403, _CSRF_REFUSAL)
        return user

    def _anonymous(self, request: Any) -> None:
        if self.login_url is None:
            return None
        from django.contrib.auth.views import redirect_to_login

        from ..exceptions import HTTPException

        target = redirect_to_login(request.get_full_path(), self.login_url)
        raise HTTPException(302, "Found", headers={"location": target["Location"]})

    def __repr__(self) -> str:
        return f"SessionAuthentication(login_url={self.login_url!r}, csrf={self.csrf!r})"


class APIKeyAuthentication(BaseAuthentication):
    """API keys from a header (``X-API-Key`` by default), checked in Rust; the key may be sent
    bare or as ``Bearer <key>`` / ``ApiKey <key>``.

    As django-bolt: ``APIKeyAuthentication(api_keys={"k1", "k2"}, header="x-api-key",
    key_permissions={"k1": {"items.read"}})`` checks an in-memory set, and a request with a key
    gets ``request.context == {"user_id": "apikey:<key>", "auth_backend": "api_key",
    "permissions": [...], ...}`` (``request.auth``: ``{"api_key": "static", "id": ...,
    "permissions": [...]}``, so ``Requires("permissions", "items.read")`` and
    ``HasPermission("items.read")`` see them). With no keys at all nothing is accepted, as in
    django-bolt.

    ``database=True`` checks the persistent keys of the ``APIKey`` model instead (``manage.py
    bolt_apikey create``; needs ``django_bolt`` in INSTALLED_APPS and its migrations): each core
    caches the answer for ``cache_ttl`` seconds, so a revoked key stops working within that
    time everywhere, without a restart. ``request.auth`` then holds ``{"api_key", "name",
    "scopes", "sub"}`` (``sub`` is the owner's pk, so ``request.user`` is the owner).
    """

    #: The scheme a refused, unauthenticated request is told to use (``WWW-Authenticate``).
    www_authenticate = "ApiKey"
    scheme_name = "api_key"

    def __init__(
        self,
        api_keys: Iterable[str] | None = None,
        header: str = "x-api-key",
        key_permissions: Mapping[str, Iterable[str]] | None = None,
        *,
        database: bool = False,
        cache_ttl: float = 5.0,
        keys: Iterable[str] | None = None,
    ) -> None:
        if keys is not None:
            if api_keys is not None:
                raise TypeError("pass the keys once: api_keys= (django-bolt's name) or keys=")
            api_keys = keys
        if isinstance(api_keys, str):
            raise TypeError(f"api_keys must be a set of keys, not one string: api_keys={{{api_keys!r}}}")
        if database and api_keys is not None:
            raise ValueError("APIKeyAuthentication: api_keys={...} (in memory) or database=True, not both")
        if cache_ttl < 0:
            raise ValueError("cache_ttl must be >= 0 seconds")
        if not isinstance(header, str) or not header:
            raise TypeError(f"header must be a header name, got {header!r}")
        self.header = header.lower()
        self.database = bool(database)
        self.api_keys: set[str] | None = None if database else set(api_keys or ())
        self.key_permissions = {k: sorted(set(v)) for k, v in (key_permissions or {}).items()}
        unknown = set(self.key_permissions) - (self.api_keys or set())
        if unknown:
            raise ValueError(f"key_permissions names keys that are not in api_keys: {len(unknown)} of them")
        self.cache_ttl = float(cache_ttl)

    @property
    def keys(self) -> set[str] | None:
        """The in-memory keys (None: the database's); the older name of ``api_keys``."""
        return self.api_keys

    def plan(self) -> ApiKeyPlan:
        import hashlib
        import json

        if self.api_keys is None:
            from django.apps import apps

            if not apps.is_installed("django_bolt"):
                raise RuntimeError(
                    "APIKeyAuthentication(database=True) stores keys in the database: add 'django_bolt' to "
                    "INSTALLED_APPS and migrate, or pass api_keys={...} for in-memory keys"
                )
            return ApiKeyPlan(self.header, None, self.cache_ttl)
        keys = sorted(self.api_keys)
        hashes = [hashlib.sha256(k.encode()).hexdigest() for k in keys]
        claims = [
            json.dumps(
                {"api_key": "static", "id": f"apikey:{k}", "permissions": self.key_permissions.get(k, [])}
            ).encode()
            for k in keys
        ]
        return ApiKeyPlan(self.header, hashes, self.cache_ttl, key_claims=claims)

    def __repr__(self) -> str:
        where = "database" if self.database else f"{len(self.api_keys or ())} in-memory keys"
        return f"APIKeyAuthentication(header={self.header!r}, {where})"
