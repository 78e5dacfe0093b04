"""The request object a handler receives when it declares a ``request`` parameter.

>>> @api.post("/echo")
... def echo(request: Request) -> dict:
...     return {"method": request.method, "agent": request.headers.get("user-agent")}
"""

from __future__ import annotations

import json
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl

__all__ = ["Request", "Headers"]


class Headers(dict):
    """Request headers, keyed by lower-cased name (lookups are case-insensitive).

    Repeated headers are joined with ``", "`` as RFC 9110 §5.3 allows; use ``getlist`` for
    the separate values.
    """

    def __init__(self, raw: list[tuple[str, str]]) -> None:
        super().__init__()
        self._raw = raw
        for k, v in raw:
            if k in self:
                dict.__setitem__(self, k, self[k] + ", " + v)
            else:
                dict.__setitem__(self, k, v)

    def __getitem__(self, key: str) -> str:
        return dict.__getitem__(self, key.lower())

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        return dict.get(self, key.lower(), default)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and dict.__contains__(self, key.lower())

    def getlist(self, key: str) -> list[str]:
        key = key.lower()
        return [v for k, v in self._raw if k == key]


class Request:
    """An HTTP request as the handler sees it. Parsed parts are computed on first use."""

    __slots__ = (
        "method",
        "path",
        "query_string",
        "_raw_headers",
        "body",
        "path_params",
        "client",
        "scheme",
        "_headers",
        "_query",
        "_cookies",
        "state",
        "auth",
        "_user",
        "_backend",
        "_context",
        "_meta",
        "_session",
        "_form",
        "_django_view",
    )

    def __init__(
        self,
        method: str,
        path: str,
        query_string: str,
        raw_headers: list[tuple[str, str]],
        body: bytes,
        path_params: dict[str, Any],
        client: str | None,
        auth: dict | None = None,
        scheme: str = "http",
    ) -> None:
        self.method = method
        self.path = path
        self.query_string = query_string
        self._raw_headers = raw_headers
        self.body = body
        self.path_params = path_params
        self.client = client
        #: ``"http"`` or ``"https"``: what a proxy in ``BOLT_TRUSTED_PROXIES`` says the client used
        #: (its ``X-Forwarded-Proto``), else ``"http"``; a header from any other peer is ignored.
        self.scheme = scheme
        self._headers: Headers | None = None
        self._query: dict[str, str] | None = None
        self._cookies: dict[str, str] | None = None
        self.state: dict[str, Any] = {}
        #: The verified token's claims (None when the request is not authenticated).
        self.auth = auth
        self._user: Any = None
        #: The authenticator that let the request in when Python decided ("session").
        self._backend: str | None = None
        self._context: Any = _UNSET
        self._meta: dict[str, Any] | None = None
        self._session: Any = None
        self._form: tuple[dict[str, str], dict[str, Any]] | None = None
        self._django_view: Any = None

    @property
    def user(self) -> Any:
        """The Django user the token's ``sub`` claim names (loaded on first access), or
        ``AnonymousUser``. In async code use ``await request.auser()``."""
        if self._user is None:
            custom = _custom_scheme(self.auth)
            if custom is None:
                self._user = _load_user(self.auth)
            else:
                from .auth.user_loader import load_user_sync

                ctx = self.context or {}
                self._user = _or_anonymous(load_user_sync(ctx.get("user_id"), custom, ctx))
        return self._user

    async def auser(self) -> Any:
        """``request.user`` for async handlers: the lookup runs on the core's thread-sensitive
        thread, where Django's async ORM runs (``sync_to_async``'s default, as Django's own
        ``auser``)."""
        if self._user is None:
            custom = _custom_scheme(self.auth)
            if custom is None:
                from asgiref.sync import sync_to_async

                self._user = await sync_to_async(_load_user)(self.auth)
            else:
                from .auth.user_loader import load_user

                ctx = self.context or {}
                self._user = _or_anonymous(await load_user(ctx.get("user_id"), custom, ctx))
        return self._user

    @property
    def headers(self) -> Headers:
        """Headers by lower-case name."""
        if self._headers is None:
            self._headers = Headers(self._raw_headers)
        return self._headers

    @property
    def query(self) -> dict[str, str]:
        """Query parameters (the last value wins for repeated keys)."""
        if self._query is None:
            self._query = dict(parse_qsl(self.query_string, keep_blank_values=True))
        return self._query

    @property
    def query_params(self) -> dict[str, str]:
        return self.query

    @property
    def cookies(self) -> dict[str, str]:
        """Cookies from the ``Cookie`` header."""
        if self._cookies is None:
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(self.headers.get("cookie", ""))
            except Exception:
                pass
            self._cookies = {k: m.value for k, m in jar.items()}
        return self._cookies

    @property
    def form(self) -> dict[str, str]:
        """The fields of a URL-encoded or multipart form body (the last value wins for a
        repeated name); ``{}`` for any other body. Parsed on first use; the declared
        ``Form()`` parameters are the typed way to read them."""
        return self._parsed_form()[0]

    @property
    def files(self) -> dict[str, Any]:
        """The uploaded files of a multipart body by field name: an ``UploadFile``, or a list
        of them when the field has several; ``{}`` for any other body."""
        return self._parsed_form()[1]

    def _parsed_form(self) -> tuple[dict[str, str], dict[str, Any]]:
        if self._form is None:
            content_type = self.headers.get("content-type", "")
            mime = content_type.split(";")[0].strip().lower()
            fields: dict[str, str] = {}
            files: dict[str, Any] = {}
            if self.body and mime == "application/x-www-form-urlencoded":
                fields = dict(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))
            elif self.body and mime == "multipart/form-data":
                from .exceptions import HTTPException
                from .uploads import TooManyFiles, parse_multipart

                try:
                    pairs, by_name = parse_multipart(content_type, self.body)
                except TooManyFiles:
                    raise HTTPException(413, "Too many files") from None
                except Exception:  # noqa: BLE001 - Django's parser's errors: a bad body, not a bug
                    raise HTTPException(400, "Malformed multipart body") from None
                fields = dict(pairs)
                files = {k: v[0] if len(v) == 1 else v for k, v in by_name.items()}
            self._form = (fields, files)
        return self._form

    @property
    def params(self) -> dict[str, Any]:
        """The path parameters (django-bolt's name for ``path_params``)."""
        return self.path_params

    @property
    def context(self) -> dict[str, Any] | None:
        """What authenticated the request, shaped as django-bolt's auth context: ``user_id``,
        ``is_staff``, ``is_superuser``, ``auth_backend`` (``"jwt"``, ``"api_key"``,
        ``"session"``), ``permissions`` (when the token or key has some) and ``auth_claims``
        (a token's claims). None when nothing authenticated it."""
        if self._context is _UNSET:
            self._context = _auth_context(self.auth, self._backend, self._user)
        return self._context

    @property
    def META(self) -> dict[str, Any]:  # noqa: N802 - Django's name
        """The request as Django's ``HttpRequest.META`` (CGI names): ``REQUEST_METHOD``,
        ``PATH_INFO``, ``QUERY_STRING``, ``REMOTE_ADDR``, ``SERVER_NAME``/``SERVER_PORT``,
        ``CONTENT_TYPE``/``CONTENT_LENGTH`` and an ``HTTP_*`` key per header."""
        if self._meta is None:
            host = self.headers.get("host", "")
            name, _, port = host.rpartition(":") if host.rfind(":") > host.rfind("]") else (host, "", "")
            meta: dict[str, Any] = {
                "REQUEST_METHOD": self.method,
                "PATH_INFO": self.path,
                "SCRIPT_NAME": "",
                "QUERY_STRING": self.query_string,
                "SERVER_NAME": name or "localhost",
                "SERVER_PORT": port or "80",
                "SERVER_PROTOCOL": "HTTP/1.1",
                # Django's REMOTE_ADDR is the address alone; `client` is "ip:port" ("[v6]:port").
                "REMOTE_ADDR": remote_addr(self.client),
                "REMOTE_HOST": remote_addr(self.client),
            }
            for key, value in self.headers.items():
                if key == "content-type":
                    meta["CONTENT_TYPE"] = value
                elif key == "content-length":
                    meta["CONTENT_LENGTH"] = value
                else:
                    meta["HTTP_" + key.upper().replace("-", "_")] = value
            self._meta = meta
        return self._meta

    @property
    def session(self) -> Any:
        """The Django session. Behind Django's ``SessionMiddleware``
        (``BoltAPI(django_middleware=...)``), the middleware's: saved and its cookie set as Django
        does. Otherwise the one the session cookie names (``SESSION_ENGINE``'s ``SessionStore``,
        loaded on first use; a new, empty one without the cookie), not saved automatically: call
        ``request.session.save()`` (or ``await ...asave()``) and set the cookie on the response
        when the key is new. In async code use its async methods (``await request.session.aget("k")``)."""
        from_middleware = self.state.get("session")
        if from_middleware is not None:
            return from_middleware
        if self._session is None:
            from importlib import import_module

            from django.conf import settings

            store = import_module(settings.SESSION_ENGINE).SessionStore
            self._session = store(self.cookies.get(settings.SESSION_COOKIE_NAME) or None)
        return self._session

    @property
    def raw_cookies(self) -> dict[str, str]:
        """The cookies as sent, in a new dict."""
        return dict(self.cookies)

    def get_full_path(self) -> str:
        """The path with its query string, as Django's ``get_full_path()``."""
        return self.path + ("?" + self.query_string if self.query_string else "")

    def get_host(self) -> str:
        """The host the client asked for, as Django's ``get_host()``: ``Host`` (or
        ``X-Forwarded-Host`` with ``USE_X_FORWARDED_HOST``), checked against ``ALLOWED_HOSTS``.
        Raises Django's ``DisallowedHost`` (a 400 when it leaves the handler) for any other."""
        return self._as_django().get_host()

    def is_secure(self) -> bool:
        """Whether the client used HTTPS, as Django's ``is_secure()``: ``request.scheme`` (what
        a ``BOLT_TRUSTED_PROXIES`` peer's ``X-Forwarded-Proto`` says), unless the project sets
        ``SECURE_PROXY_SSL_HEADER``, which Django then believes instead (from any peer)."""
        return self._as_django().is_secure()

    def build_absolute_uri(self, location: str | None = None) -> str:
        """The absolute URI of ``location`` (default: this request's path and query), as
        Django's ``build_absolute_uri``: a relative location is joined to this request's URL,
        an absolute one is returned as it is; the scheme is :meth:`is_secure`'s and the host
        :meth:`get_host`'s (so a ``Host`` outside ``ALLOWED_HOSTS`` raises ``DisallowedHost``).

        >>> request.build_absolute_uri("/items/7")   # doctest: +SKIP
        'https://api.example.com/items/7'
        """
        return self._as_django().build_absolute_uri(location)

    def _as_django(self) -> Any:
        """This request as a Django ``HttpRequest`` (its META, path and scheme) for the methods
        Django defines on the host and scheme, so Django's settings rule them as in its views."""
        if self._django_view is None:
            self._django_view = _django_view_class()(self)
        return self._django_view

    # django-bolt's mapping access: request.get("method"), request["params"]...
    _KEYS = ("method", "path", "body", "params", "query", "headers", "cookies", "state", "auth", "context")

    def _item(self, key: str) -> Any:
        if key == "params":
            return self.path_params
        if key in ("auth", "context"):
            return self.context
        return getattr(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        """django-bolt's dict-like access: ``"method"``, ``"path"``, ``"body"``, ``"params"``,
        ``"query"``, ``"headers"``, ``"cookies"``, ``"state"``, ``"auth"``/``"context"`` (the
        auth context, or ``default`` when none); any other key gives ``default``."""
        if key not in self._KEYS:
            return default
        value = self._item(key)
        return default if value is None and key in ("auth", "context") else value

    def __getitem__(self, key: str) -> Any:
        """``request["method"]``... (the keys of :meth:`get`; ``"auth"`` is not one, as in
        django-bolt). An unknown key raises ``KeyError``."""
        if key not in self._KEYS or key == "auth":
            raise KeyError(key)
        return self._item(key)

    def setdefault(self, key: str, default: Any = None) -> Any:
        """As :meth:`get` (``"state"`` always exists)."""
        return self.get(key, default)

    def json(self) -> Any:  # noqa: D401
        """The body parsed as JSON (``None`` when empty)."""
        return json.loads(self.body) if self.body else None

    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.path}>"


_UNSET: Any = object()
_DJANGO_VIEW: Any = None


def _django_view_class() -> Any:
    """Django's ``HttpRequest`` over a bolt request (made on first use: Django is imported
    lazily). The path and query stay as the client sent them (percent-encoded), as
    ``get_full_path()`` gives them."""
    global _DJANGO_VIEW
    if _DJANGO_VIEW is None:
        from django.http import HttpRequest

        class BoltRequestView(HttpRequest):
            def __init__(self, bolt: Request) -> None:
                super().__init__()
                self.META = bolt.META
                self.method = bolt.method
                self.path = self.path_info = bolt.path
                # Copies, not the bolt request: it keeps this view, and a cycle would wait for
                # the cycle collector.
                self._bolt_scheme = bolt.scheme
                self._bolt_full_path = bolt.get_full_path()

            def _get_scheme(self) -> str:
                return self._bolt_scheme

            def get_full_path(self, force_append_slash: bool = False) -> str:
                return self._bolt_full_path

        _DJANGO_VIEW = BoltRequestView
    return _DJANGO_VIEW


def _auth_context(auth: dict | None, backend: str | None, user: Any) -> dict[str, Any] | None:
    """django-bolt's auth context dict from our claims (or the session's user)."""
    if auth is None:
        # Without claims only a Python authenticator (the session) sets a user on the request.
        if user is None or not getattr(user, "is_authenticated", False):
            return None
        backend = backend or "session"
        return {
            "user_id": str(user.pk),
            "is_staff": bool(user.is_staff),
            "is_superuser": bool(user.is_superuser),
            "auth_backend": backend,
        }
    api_key = "api_key" in auth
    uid = auth.get("sub") or auth.get("user_id") or (auth.get("id") if api_key else None)
    ctx: dict[str, Any] = {
        "is_staff": bool(auth.get("is_staff", False)),
        "is_superuser": bool(auth.get("is_superuser", False)),
        "auth_backend": "api_key" if api_key else "jwt",
    }
    if uid is not None:
        ctx["user_id"] = str(uid)
    perms = auth.get("permissions", auth.get("scopes") if api_key else None)
    if perms:
        ctx["permissions"] = list(perms) if isinstance(perms, (list, tuple, set)) else [perms]
    if not api_key:
        ctx["auth_claims"] = dict(auth)
    return ctx


def _custom_scheme(auth: dict | None) -> str | None:
    """The scheme that authenticated the request when a backend with its own ``get_user`` is
    registered for it (``auth.user_loader``), else None (the default lookup below)."""
    if auth is None:
        return None
    from .auth.user_loader import _registry

    if not _registry:
        return None
    scheme = "api_key" if "api_key" in auth else "jwt"
    return scheme if scheme in _registry else None


def _or_anonymous(user: Any) -> Any:
    if user is not None:
        return user
    from django.contrib.auth.models import AnonymousUser

    return AnonymousUser()


def _load_user(auth: dict | None) -> Any:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import AnonymousUser

    uid = (auth or {}).get("sub") or (auth or {}).get("user_id")
    if uid is None:
        return AnonymousUser()
    user = get_user_model()._default_manager.filter(pk=uid, is_active=True).first()
    return user if user is not None else AnonymousUser()


def remote_addr(client: str | None) -> str:
    """The address part of bolt's ``client`` (``"1.2.3.4:5678"``, ``"[::1]:5678"``): Django's
    ``REMOTE_ADDR``. Behind a trusted proxy (``BOLT_TRUSTED_PROXIES``) ``client`` is the forwarded
    address with port 0."""
    if not client:
        return ""
    host, sep, _ = client.rpartition(":")
    return (host if sep else client).strip("[]")
