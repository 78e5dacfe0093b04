"""Liveness and readiness endpoints.

``GET /health`` is answered by Rust without running Python (the process and its cores are up).
``GET /ready`` runs the registered checks (the database by default) and answers 503 naming the
failing ones::

    from django_bolt.health import add_health_check

    async def cache_ok() -> bool:
        return await cache.aget("ping", True)

    add_health_check(cache_ok, name="cache", timeout=1.0)

Settings: ``BOLT_HEALTH_PATH`` (default ``"/health"``) and ``BOLT_READY_PATH`` (``"/ready"``);
``None`` turns one off. A route of your own at the same path wins. Both stay out of the access
log.
"""

from __future__ import annotations

import asyncio
import inspect
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from .responses import JSON

__all__ = [
    "add_health_check",
    "clear_health_checks",
    "check_database",
    "connection_counts",
    "HealthCheck",
    "health_handler",
    "ready_handler",
    "register_health_checks",
]

Check = Callable[[], Any] | Callable[[], Awaitable[Any]]


@dataclass
class HealthCheck:
    name: str
    fn: Check
    timeout: float


_checks: list[HealthCheck] = []


def add_health_check(fn: Check, *, name: str | None = None, timeout: float = 2.0) -> None:
    """Registers ``fn`` (sync or async) for ``/ready``.

    As in django-bolt a check may return ``(ok, message)``: it fails when ``ok`` is false (the
    message is reported). Otherwise it passes when it returns anything but ``False`` without
    raising within ``timeout`` seconds. Sync checks run on the core's blocking pool, so a slow
    one cannot stall the core.
    """
    if timeout <= 0:
        raise ValueError("timeout must be positive")
    label = name or getattr(fn, "__name__", "check")
    if any(c.name == label for c in _checks):
        raise ValueError(f"a health check named {label!r} is already registered")
    _checks.append(HealthCheck(label, fn, timeout))


def clear_health_checks() -> None:
    """Removes every registered check, the database one included."""
    _checks.clear()


def check_database() -> None:
    """The connections API handlers hold, on every core, are not broken, and each configured
    database answers a query and is migrated.

    A handler connection the database server dropped, or whose SQLite file was replaced, fails
    the check (naming its core and thread) until it is replaced, which its thread's next request
    does; this needs no query (django_bolt._dbwatch). Reaching the database is checked on a
    connection of the check's own, opened and closed here, so the handlers' are left alone."""
    from django.db import connections

    from . import _dbwatch

    broken = [f"core {r.core}: {b}" for r in _dbwatch.survey() for b in r.broken]
    if broken:
        raise RuntimeError("broken connections: " + "; ".join(broken))
    for alias in connections:
        probe = connections.create_connection(alias)
        probe.bolt_probe = True  # not one of the thread's connections (see _lifecycle)
        try:
            with probe.cursor() as cur:
                cur.execute("SELECT 1")
                if "django_migrations" not in probe.introspection.table_names(cur):
                    raise RuntimeError(f"database {alias!r} has no django_migrations table (not migrated?)")
        finally:
            probe.close()


def connection_counts() -> dict[str, Any]:
    """The database connections API handlers hold, per core (``{"0": 3, "1": 2}``), and the
    most a core can hold: one per thread that runs handlers (the worker, the thread-sensitive
    one, ``--blocking-threads``) and database."""
    from . import _dbwatch

    per_core = {str(r.core): r.connections for r in _dbwatch.survey()}
    return {"per_core": per_core, "limit_per_core": _dbwatch.limit_per_core()}


add_health_check(check_database, name="database", timeout=5.0)


def verdict(result: Any) -> tuple[bool, str]:
    """(passed, message) of what a check returned: django-bolt's ``(ok, message)`` pair, or
    anything else, which passes unless it is ``False``."""
    if isinstance(result, tuple) and len(result) == 2 and isinstance(result[0], bool):
        return result[0], str(result[1])
    if result is False:
        return False, "returned False"
    return True, "ok"


async def _outcome(check: HealthCheck, loop: asyncio.AbstractEventLoop | None, pool: Any) -> tuple[bool, str]:
    try:
        if inspect.iscoroutinefunction(check.fn):
            result = await asyncio.wait_for(check.fn(), check.timeout)
        else:
            loop = loop or asyncio.get_running_loop()
            result = await asyncio.wait_for(loop.run_in_executor(pool, check.fn), check.timeout)
        return verdict(result)
    except TimeoutError:
        return False, f"timed out after {check.timeout:g}s"
    except Exception as e:  # a failing check is an answer, not a crash
        return False, f"{type(e).__name__}: {e}"


async def _run(check: HealthCheck, loop: asyncio.AbstractEventLoop, pool: Any) -> str:
    ok, message = await _outcome(check, loop, pool)
    return "ok" if ok else f"error: {message}"


async def readiness(loop: asyncio.AbstractEventLoop, pool: Any, repair: Callable[[], None] | None = None) -> JSON:
    """Runs every check concurrently; 200 when all pass, 503 otherwise. ``repair``: called when
    the database check failed, to have this core's threads replace broken connections."""
    results = await asyncio.gather(*(_run(c, loop, pool) for c in _checks))
    checks = {c.name: r for c, r in zip(_checks, results)}
    ok = all(r == "ok" for r in checks.values())
    body: dict[str, Any] = {"status": "ok" if ok else "unavailable", "checks": checks}
    if _django_databases():
        body["connections"] = connection_counts()
    if repair is not None and checks.get("database", "ok") != "ok":
        repair()
    return JSON(body, status_code=200 if ok else 503)


def _django_databases() -> bool:
    try:
        from django.conf import settings

        return bool(settings.configured and settings.DATABASES)
    except Exception:  # noqa: BLE001 - no Django: no connections to count
        return False


async def health_handler() -> dict[str, str]:
    """django-bolt's liveness handler: ``{"status": "ok"}``."""
    return {"status": "ok"}


async def ready_handler() -> JSON:
    """django-bolt's readiness handler: ``{"status": "healthy"|"unhealthy", "checks": {name:
    {"healthy": bool, "message": str}}}``; unlike django-bolt's it answers 503 when a check
    fails, so a load balancer sees it."""
    results = await asyncio.gather(*(_outcome(c, None, None) for c in _checks))
    checks = {c.name: {"healthy": ok, "message": msg} for c, (ok, msg) in zip(_checks, results)}
    healthy = all(ok for ok, _ in results)
    return JSON(
        {"status": "healthy" if healthy else "unhealthy", "checks": checks}, status_code=200 if healthy else 503
    )


def register_health_checks(api: Any) -> None:
    """Serves ``GET /health`` and ``GET /ready`` from ``api`` with django-bolt's handlers and
    body shapes (the server's own ``BOLT_HEALTH_PATH``/``BOLT_READY_PATH`` give way to a route
    of the project's at the same path)."""
    api.get("/health", response_model=None)(health_handler)
    api.get("/ready", response_model=None)(ready_handler)
