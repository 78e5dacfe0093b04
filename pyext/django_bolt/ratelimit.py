"""``@rate_limit``: a token bucket per client, kept in Rust on each core.

>>> @api.get("/search")
... @rate_limit(rps=10, burst=20)                 # per client IP
... def search(q: str) -> list: ...
>>> @rate_limit(rps=100, key="x-api-key")         # per value of a header
>>> @rate_limit(rps=5, key="api_key")             # shorthand for the X-API-Key header
>>> @rate_limit(rps=5, key="user")                # per authenticated user (token/key `sub`), else per IP
>>> @rate_limit()                                  # django-bolt's defaults: 100/s, bursts of 200

Over the limit the answer is 429 ``{"detail": "Too Many Requests"}`` with ``Retry-After``. Buckets
are per core (no locks between cores), so ``--cores 4`` allows up to 4x the rate overall.

``shared=True`` makes the limit exact across cores and hosts, counted in the Django cache named
by ``BOLT_RATE_LIMIT_CACHE`` (Redis in production): at most ``burst`` requests per window of
``burst / rps`` seconds per key, all servers together (``_prechecks.SharedLimit`` says how).
The per-core bucket stays in front: a request over it is refused without touching the cache.
``BOLT_TRUSTED_PROXIES = ["10.0.0.0/8"]`` makes ``X-Forwarded-For`` from those peers count as the
client address; from anyone else it is ignored.
"""

from __future__ import annotations

from typing import Any, Callable, TypeVar

from ._plans import LimitPlan

__all__ = ["rate_limit", "limit_plan"]

F = TypeVar("F", bound=Callable[..., Any])


def limit_plan(rps: float = 100, burst: float | None = None, key: str = "ip", shared: bool = False) -> LimitPlan:
    """The bucket ``@rate_limit(rps, burst, key)`` gives a route (its rules, below); also what a
    django-bolt ``{"type": "rate_limit", ...}`` middleware config is read as."""
    if isinstance(rps, bool) or not isinstance(rps, (int, float)) or not rps > 0:
        raise ValueError(f"rps must be a positive number, got {rps!r}")
    if burst is not None and (isinstance(burst, bool) or not isinstance(burst, (int, float))):
        raise ValueError(f"burst must be a number, got {burst!r}")
    burst_v = float(burst) if burst is not None else 2.0 * float(rps)
    if burst_v < 1:
        raise ValueError("burst must be at least 1")
    if not isinstance(key, str) or not key:
        raise ValueError(f"key must be 'ip', 'user', 'api_key' or a header name, got {key!r}")
    if not isinstance(shared, bool):
        raise ValueError(f"shared must be True or False, got {shared!r}")
    header = {"ip": "", "user": "@user", "api_key": "x-api-key"}.get(key, key.lower())
    return LimitPlan(float(rps), burst_v, header, shared)


def rate_limit(rps: float = 100, burst: int | None = None, key: str = "ip", shared: bool = False) -> Callable[[F], F]:
    """Limits the decorated route to ``rps`` requests per second per key (100 by default), with
    bursts up to ``burst`` (default: twice ``rps``), as django-bolt's ``rate_limit``. ``key`` is
    ``"ip"``, ``"user"``, ``"api_key"`` or a header name. With ``"user"`` the route's
    authentication runs first. ``shared=True``: also counted across every core and host in the
    cache ``BOLT_RATE_LIMIT_CACHE`` names (``burst`` requests per ``burst / rps`` seconds, in
    fixed windows); the route then answers through the core's blocking pool."""
    plan = limit_plan(rps, burst, key, shared)

    def decorator(fn: F) -> F:
        fn.__bolt_rate_limit__ = plan  # type: ignore[attr-defined]
        return fn

    return decorator
