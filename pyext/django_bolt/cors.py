"""CORS, decided in Rust. Project-wide from django-cors-headers' setting names::

    CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
    CORS_ALLOWED_ORIGIN_REGEXES = [r"^https://\\w+\\.example\\.com$"]
    CORS_ALLOW_ALL_ORIGINS = False
    CORS_ALLOW_CREDENTIALS = False
    CORS_ALLOW_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "QUERY"]
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

__all__ = ["cors", "cors_policy", "project_policy", "NO_CORS"]

F = TypeVar("F", bound=Callable[..., Any])

#: django-bolt 0.13's default methods (``@cors``'s and the project's), QUERY included so a
#: cross-origin ``@api.query`` route passes its preflight without configuration.
DEFAULT_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "QUERY")
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


def cors_policy(
    origins: Iterable[str] | str | None = None,
    methods: Iterable[str] | None = None,
    headers: Iterable[str] | None = None,
    credentials: bool = False,
    max_age: int | None = 3600,
    *,
    origin_regexes: Iterable[str] = (),
    expose_headers: Iterable[str] = (),
    stacklevel: int = 2,
) -> CorsPlan:
    """The policy ``@cors(...)`` gives a route (its arguments and rules, below); also what a
    django-bolt ``{"type": "cors", ...}`` middleware config is read as."""
    if origins is None:
        raise ValueError(
            "@cors() requires 'origins', e.g. @cors(origins=['https://example.com']) or @cors(origins=['*']); "
            "for the project-wide policy (CORS_ALLOWED_ORIGINS...) remove the decorator"
        )
    origin_list = [origins] if isinstance(origins, str) else list(origins)
    if "*" in origin_list and credentials:
        import warnings

        warnings.warn(
            "CORS misconfiguration: '*' with credentials=True is not allowed by the CORS specification; "
            "the request's origin is echoed instead. Name the origins explicitly.",
            RuntimeWarning,
            stacklevel=stacklevel + 1,
        )
    return _policy(
        origin_list,
        [origin_regexes] if isinstance(origin_regexes, str) else origin_regexes,
        False,
        credentials,
        DEFAULT_METHODS if methods is None else [methods] if isinstance(methods, str) else methods,
        DEFAULT_HEADERS if headers is None else [headers] if isinstance(headers, str) else headers,
        [expose_headers] if isinstance(expose_headers, str) else expose_headers,
        max_age,
    )


#: The policy of a route that skips CORS (``@skip_middleware("cors")``): no origin passes, so
#: its responses carry no ``Access-Control-*`` header and a preflight for it is refused, whatever
#: the project's ``CORS_*`` settings allow.
NO_CORS = CorsPlan([], [], False, False, [], [], [], None)


def cors(
    origins: Iterable[str] | str | None = None,
    methods: Iterable[str] | None = None,
    headers: Iterable[str] | None = None,
    credentials: bool = False,
    max_age: int | None = 3600,
    *,
    origin_regexes: Iterable[str] = (),
    expose_headers: Iterable[str] = (),
) -> Callable[[F], F]:
    """Per-route CORS policy (put it below the route decorator or above; both work), with
    django-bolt's arguments and rules: ``origins`` is required (a list, or one origin as a
    string; ``["*"]`` for any), ``methods``/``headers`` default to the project's defaults,
    ``max_age`` to 3600 seconds. ``"*"`` with ``credentials=True`` warns (the request's origin is
    echoed, never ``*``). For the project-wide policy use the ``CORS_*`` settings instead."""
    policy = cors_policy(
        origins,
        methods,
        headers,
        credentials,
        max_age,
        origin_regexes=origin_regexes,
        expose_headers=expose_headers,
        stacklevel=2,
    )

    def decorator(fn: F) -> F:
        fn.__bolt_cors__ = policy  # type: ignore[attr-defined]
        return fn

    return decorator
