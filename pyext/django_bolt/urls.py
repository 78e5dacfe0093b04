"""Django ``reverse()`` for bolt's route names (django-bolt's ``django_bolt.urls``).

Bolt serves its routes before Django's URL resolver sees a request, so Django cannot reverse
their names by itself. Include this module in the project's URLconf::

    # urls.py
    urlpatterns = [path("", include("django_bolt.urls")), ...]

and ``django.urls.reverse("get_user", kwargs={"user_id": 3})``, ``reverse_lazy`` and
``{% url %}`` give bolt's paths. A route's name is its ``name=``, else its handler's name;
an API's ``namespace=`` groups its routes as ``reverse("namespace:name")``. Path parameters are
untyped (``{user_id}`` → ``<user_id>``) except ``{p:path}`` (``<path:p>``). The patterns only
reverse: a request that reaches Django at one of them (bolt did not serve it) gets 404.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponseNotFound
from django.urls import include, path

from .api import BoltAPI, Route

__all__ = ["build_urlpatterns"]

_PARAM = re.compile(r"\{([^}:]+)(?::([^}]+))?\}")


def _django_route(bolt_path: str) -> str:
    """``/files/{p:path}`` → ``files/<path:p>`` (Django routes have no leading slash)."""
    return _PARAM.sub(
        lambda m: f"<path:{m.group(1)}>" if m.group(2) == "path" else f"<{m.group(1)}>", bolt_path
    ).lstrip("/")


def _not_served(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseNotFound:
    # Bolt answers these paths itself; Django only sees one for a method or spelling bolt
    # does not serve.
    return HttpResponseNotFound()


def _routes(apis: BoltAPI | Iterable[BoltAPI] | Iterable[Route]) -> list[Route]:
    if isinstance(apis, BoltAPI):
        return list(apis.routes)
    out: list[Route] = []
    for item in apis:
        out.extend(item.routes if isinstance(item, BoltAPI) else [item])
    return out


def build_urlpatterns(apis: BoltAPI | Iterable[BoltAPI] | Iterable[Route]) -> list:
    """Reverse-only ``urlpatterns`` for the named routes of ``apis`` (an API, several, or
    routes). Several methods on one path give one pattern; an explicit ``name=`` wins over a
    handler's name; two explicit names for different paths are ``ImproperlyConfigured``."""
    chosen: dict[tuple[str, str], tuple[str, bool]] = {}
    for r in _routes(apis):
        if r.docs or r.alias or not r.name:
            continue
        key, route = (r.namespace, r.name), _django_route(r.path)
        before = chosen.get(key)
        if before is None or (r.name_explicit and not before[1]):
            chosen[key] = (route, r.name_explicit)
        elif before[0] != route and r.name_explicit and before[1]:
            label = f"{r.namespace}:{r.name}" if r.namespace else r.name
            raise ImproperlyConfigured(f"route name {label!r} names both {before[0]!r} and {route!r}")
    flat: list = []
    grouped: dict[str, list] = {}
    for (namespace, name), (route, _) in chosen.items():
        (grouped.setdefault(namespace, []) if namespace else flat).append(path(route, _not_served, name=name))
    return flat + [path("", include((patterns, namespace))) for namespace, patterns in grouped.items()]


def _discovered() -> list:
    from .discovery import StartupError, discover_apis

    try:
        return build_urlpatterns(discover_apis())
    except StartupError:
        return []  # no API in the project: nothing to reverse


def __getattr__(name: str) -> Any:
    # ``urlpatterns`` is built when Django's resolver first reads it (PEP 562), not at import:
    # importing ``build_urlpatterns`` needs no settings, and the project's API modules (which
    # may import this one) are imported after the URLconf.
    if name == "urlpatterns":
        patterns = _discovered()
        globals()["urlpatterns"] = patterns
        return patterns
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
