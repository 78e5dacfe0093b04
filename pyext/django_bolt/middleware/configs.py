"""django-bolt's Rust middleware configs, read as bolt's per-route CORS policy and rate limit.

In django-bolt, ``@cors``/``@rate_limit`` attach dicts such as ``{"type": "cors", "origins":
[...]}`` to a route, and the same dicts may be listed in ``BoltAPI(middleware=[...])``,
``Router(middleware=[...])`` or given to ``@middleware(type="cors", ...)``. bolt reads them here:

- ``{"type": "cors", ...}`` (``@cors``'s arguments) or ``{"cors": {...}}`` (``@middleware(cors=
  {...})``): the route's CORS policy;
- ``{"type": "rate_limit", ...}`` (``@rate_limit``'s arguments) or ``{"rate_limit": {...}}``:
  the route's rate limit;
- ``{"skip": [...]}`` (``@middleware(skip=[...])``): as ``@skip_middleware(...)``.

The most specific config wins: the route's own (``@cors``/``@rate_limit``, then its
``@middleware`` dicts), then its routers' (innermost first), then its API's. A config of another
type is an error when the route is registered, never a silent no-op.

``@skip_middleware("cors")`` (or ``"*"``) gives the route no CORS at all, not even the project's
``CORS_*`` policy; ``@skip_middleware("rate_limit")`` (or ``"*"``) no rate limit.
"""

from __future__ import annotations

from typing import Any, Iterable

from .._plans import CorsPlan, LimitPlan
from ..cors import NO_CORS, cors_policy
from ..ratelimit import limit_plan

__all__ = ["read_config", "route_limits"]

_CORS_KEYS = ("origins", "methods", "headers", "credentials", "max_age", "origin_regexes", "expose_headers")
_LIMIT_KEYS = ("rps", "burst", "key")


def _args(kind: str, values: Any, allowed: tuple[str, ...], where: str) -> dict[str, Any]:
    if not isinstance(values, dict):
        raise TypeError(f"{where}: the {kind!r} middleware config must be a dict, got {values!r}")
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        raise TypeError(f"{where}: unknown {kind!r} middleware option(s) {unknown}; it takes {', '.join(allowed)}")
    return values


def read_config(spec: dict[str, Any], where: str) -> list[tuple[str, Any]]:
    """What one config dict sets: ``("cors", CorsPlan)``, ``("rate_limit", LimitPlan)`` and
    ``("skip", names)`` entries. ``where`` names the route or list for error messages.

    Raises:
        TypeError / ValueError: A config bolt does not run, or bad arguments for one it does.
    """
    spec = dict(spec)
    kind = spec.pop("type", None)
    out: list[tuple[str, Any]] = []
    if kind is not None:
        if kind == "cors":
            out.append(("cors", cors_policy(**_args("cors", spec, _CORS_KEYS, where), stacklevel=3)))
        elif kind == "rate_limit":
            out.append(("rate_limit", limit_plan(**_args("rate_limit", spec, _LIMIT_KEYS, where))))
        else:
            raise TypeError(
                f"{where}: middleware config type {kind!r} is not run by bolt; "
                "the configs it runs are 'cors' and 'rate_limit' (or write a middleware class)"
            )
        return out
    for key, value in spec.items():
        if key == "cors":
            out.append(("cors", cors_policy(**_args("cors", value, _CORS_KEYS, where), stacklevel=3)))
        elif key == "rate_limit":
            out.append(("rate_limit", limit_plan(**_args("rate_limit", value, _LIMIT_KEYS, where))))
        elif key == "skip":
            names = [value] if isinstance(value, str) else list(value)
            if not all(isinstance(n, str) for n in names):
                raise TypeError(f"{where}: middleware skip= takes names, got {value!r}")
            out.append(("skip", names))
        else:
            raise TypeError(
                f"{where}: middleware config {key!r} is not run by bolt; "
                "use cors={...}, rate_limit={...}, skip=[...] or type='cors'/'rate_limit'"
            )
    return out


def _configs(specs: Iterable[Any], where: str) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for spec in specs:
        if isinstance(spec, dict):
            out.extend(read_config(spec, where))
    return out


def outer_configs(specs: Iterable[Any], where: str) -> list[tuple[str, Any]]:
    """The configs of the API's and routers' middleware lists (outermost first), checked."""
    return _configs(specs, where)


def route_limits(handler: Any, outer: list[tuple[str, Any]]) -> tuple[CorsPlan | None, LimitPlan | None]:
    """The route's CORS policy (None: the project's) and rate limit (None: none), from the
    handler's ``@cors``/``@rate_limit``/``@middleware`` dicts/``@skip_middleware`` and ``outer``
    (``outer_configs`` of its API's and routers' lists). Read when the route is planned, so the
    decorators may sit above or below the route decorator."""
    own = _configs(getattr(handler, "__bolt_middleware__", None) or (), _name(handler))
    skip = set(getattr(handler, "__bolt_skip_middleware__", None) or ())
    for kind, value in (*own, *outer):
        if kind == "skip":
            skip.update(value)
    # Most specific first: the route's decorators, its @middleware dicts, then innermost router.
    found: dict[str, Any] = {}
    attrs = (("cors", "__bolt_cors__"), ("rate_limit", "__bolt_rate_limit__"))
    for kind, attr in attrs:
        value = getattr(handler, attr, None)
        if value is not None:
            found[kind] = value
    for kind, value in (*own, *reversed(outer)):
        if kind != "skip":
            found.setdefault(kind, value)
    everything = "*" in skip
    cors = NO_CORS if everything or "cors" in skip else found.get("cors")
    limit = None if everything or "rate_limit" in skip else found.get("rate_limit")
    return cors, limit


def _name(handler: Any) -> str:
    return f"{getattr(handler, '__module__', '?')}.{getattr(handler, '__qualname__', handler)!s}"
