"""CORS, decided in Rust. Project-wide from django-cors-headers' setting names::

    CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
    CORS_ALLOWED_ORIGIN_REGEXES = [r"^https://\\w+\\.example\\.com$"]
    CORS_ALLOW_ALL_ORIGINS = False
    CORS_ALLOW_CREDENTIALS = False
    CORS_ALLOW_METHODS = ["DELETE", "GET", "OPTIONS", "PATCH", "POST", "PUT"]
    CORS_ALLOW_HEADERS = ["accept", "authorization", "content-type", "user-agent", "x-csrftoken",
                          "x-requested-with"]
    CORS_EXPOSE_HEADERS = []
    CORS_PREFLIGHT_MAX_AGE = 86400

or per route, which replaces the project's policy for that route::

    @api.get("/public")
    @cors(origins=["*"])
    def public() -> dict: ...

Preflights are answered without running Python; ``Vary: Origin`` is set; credentials are never
combined with ``*`` (the origin is echoed instead). Non-API paths (the admin, Django views) are
left to Django's own middleware.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Iterable, TypeVar

from ._plans import CorsPlan

__all__ = ["cors", "project_policy"]

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_METHODS = ("DELETE", "GET", "OPTIONS", "PATCH", "POST", "PUT")
DEFAULT_HEADERS = ("accept", "authorization", "content-type", "user-agent", "x-csrftoken", "x-requested-with")


def _policy(
    origins: Iterable[str],
    regexes: Iterable[str],
    allow_all: bool,
    credentials: bool,
    methods: Iterable[str],
    headers: Iterable[str],
    expose: Iterable[str],
    max_age: int | None,
) -> CorsPlan:
    origins = list(origins)
    if "*" in origins:
        allow_all, origins = True, [o for o in origins if o != "*"]
    for o in origins:
        if not re.fullmatch(r"[a-z][a-z0-9+.-]*://[^/\s]+", o) and o != "null":
            raise ValueError(f"CORS origin {o!r} must be scheme://host[:port] with no path")
    regexes = list(regexes)
    for r in regexes:
        re.compile(r)
    if max_age is not None and (not isinstance(max_age, int) or max_age < 0):
        raise ValueError("CORS_PREFLIGHT_MAX_AGE must be a non-negative int or None")
    return CorsPlan(
        origins,
        regexes,
        bool(allow_all),
        bool(credentials),
        [m.upper() for m in methods],
        [h.lower() for h in headers],
        list(expose),
        max_age,
    )


def project_policy() -> CorsPlan | None:
    """The project's policy from settings, or None when no CORS setting is present."""
    from django.conf import settings

    names = ("CORS_ALLOWED_ORIGINS", "CORS_ALLOWED_ORIGIN_REGEXES", "CORS_ALLOW_ALL_ORIGINS")
    if not any(getattr(settings, n, None) for n in names):
        return None
    return _policy(
        getattr(settings, "CORS_ALLOWED_ORIGINS", ()) or (),
        getattr(settings, "CORS_ALLOWED_ORIGIN_REGEXES", ()) or (),
        getattr(settings, "CORS_ALLOW_ALL_ORIGINS", False),
        getattr(settings, "CORS_ALLOW_CREDENTIALS", False),
        getattr(settings, "CORS_ALLOW_METHODS", DEFAULT_METHODS),
        getattr(settings, "CORS_ALLOW_HEADERS", DEFAULT_HEADERS),
        getattr(settings, "CORS_EXPOSE_HEADERS", ()),
        getattr(settings, "CORS_PREFLIGHT_MAX_AGE", 86400),
    )


def cors(
    origins: Iterable[str] = ("*",),
    *,
    origin_regexes: Iterable[str] = (),
    credentials: bool = False,
    methods: Iterable[str] = DEFAULT_METHODS,
    headers: Iterable[str] = DEFAULT_HEADERS,
    expose_headers: Iterable[str] = (),
    max_age: int | None = 86400,
) -> Callable[[F], F]:
    """Per-route CORS policy (put it below the route decorator or above; both work)."""
    policy = _policy(origins, origin_regexes, False, credentials, methods, headers, expose_headers, max_age)

    def decorator(fn: F) -> F:
        fn.__bolt_cors__ = policy  # type: ignore[attr-defined]
        return fn

    return decorator
