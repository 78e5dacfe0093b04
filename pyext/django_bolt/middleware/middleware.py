"""Per-route middleware switches, as django-bolt 0.13's ``django_bolt.middleware.middleware``.

Only compression is a middleware here; the decorators record what a route skips on the
function (``__bolt_skip_middleware__``), and the route's plan carries it to Rust.
"""

from __future__ import annotations

from typing import Any, Callable, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def skip_middleware(*middleware_names: str) -> Callable[[F], F]:
    """Skips the named middleware for a route (``"compression"``, or ``"*"`` for all).

    Example::

        @api.get("/raw")
        @skip_middleware("compression")
        async def raw():
            return {"raw": True}
    """

    def decorator(func: F) -> F:
        skipped = getattr(func, "__bolt_skip_middleware__", None)
        if skipped is None:
            skipped = set()
            func.__bolt_skip_middleware__ = skipped  # type: ignore[attr-defined]
        skipped.update(middleware_names)
        return func

    return decorator


# A TypeVar, not PEP 695 syntax: an older Python must import the package far enough to say it
# needs 3.13 (tests/server/test_startup.py).
def no_compress(func: F) -> F:  # noqa: UP047
    """Never compresses this route's responses (``@skip_middleware("compression")``).

    Example::

        @api.get("/already-small")
        @no_compress
        async def small():
            return {"ok": True}
    """
    return skip_middleware("compression")(func)


def skips(func: Any, name: str) -> bool:
    """Whether ``func`` was marked to skip the middleware ``name``."""
    skipped = getattr(func, "__bolt_skip_middleware__", ())
    return name in skipped or "*" in skipped
