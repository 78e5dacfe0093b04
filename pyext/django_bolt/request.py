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
        "_headers",
        "_query",
        "_cookies",
        "state",
        "auth",
        "_user",
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
    ) -> None:
        self.method = method
        self.path = path
        self.query_string = query_string
        self._raw_headers = raw_headers
        self.body = body
        self.path_params = path_params
        self.client = client
        self._headers: Headers | None = None
        self._query: dict[str, str] | None = None
        self._cookies: dict[str, str] | None = None
        self.state: dict[str, Any] = {}
        #: The verified token's claims (None when the request is not authenticated).
        self.auth = auth
        self._user: Any = None

    @property
    def user(self) -> Any:
        """The Django user the token's ``sub`` claim names (loaded on first access), or
        ``AnonymousUser``. In async code use ``await request.auser()``."""
        if self._user is None:
            self._user = _load_user(self.auth)
        return self._user

    async def auser(self) -> Any:
        """``request.user`` for async handlers: the lookup runs on the core's thread-sensitive
        thread, where Django's async ORM runs (``sync_to_async``'s default, as Django's own
        ``auser``)."""
        if self._user is None:
            from asgiref.sync import sync_to_async

            self._user = await sync_to_async(_load_user)(self.auth)
        return self._user

    @property
    def session(self) -> Any:
        """Django's session, on a route behind Django's ``SessionMiddleware``
        (``BoltAPI(django_middleware=...)``). In async code use its async methods
        (``await request.session.aget("k")``)."""
        try:
            return self.state["session"]
        except KeyError:
            raise AttributeError(
                "request.session needs Django's SessionMiddleware around this route: "
                "BoltAPI(django_middleware=['django.contrib.sessions.middleware.SessionMiddleware', ...])"
            ) from None

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

    def json(self) -> Any:  # noqa: D401
        """The body parsed as JSON (``None`` when empty)."""
        return json.loads(self.body) if self.body else None

    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.path}>"


def _load_user(auth: dict | None) -> Any:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import AnonymousUser

    uid = (auth or {}).get("sub") or (auth or {}).get("user_id")
    if uid is None:
        return AnonymousUser()
    user = get_user_model()._default_manager.filter(pk=uid, is_active=True).first()
    return user if user is not None else AnonymousUser()
