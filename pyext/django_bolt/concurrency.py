"""django-bolt 0.13's ``django_bolt.concurrency`` helpers, on this server's threads.

django-bolt runs sync ORM work on a process-wide ORM thread pool and, for requests with Django
middleware, on a per-request "lane"; these helpers are how its users reach them. Here each core
already has the two places such work belongs (``_threads``): the core's **blocking pool**
(``run_in_executor(None, ...)``, ``blocking=True`` handlers) and its **sync thread**, where
Django's async ORM (``sync_to_async(thread_sensitive=True)``) keeps the core's database
connection. So the same calls work unchanged, mapped onto those:

* ``await sync_to_thread(fn, *args, **kwargs)``: ``fn`` on the core's blocking pool;
* ``await run_in_orm_executor(fn, *args)``: ``fn`` where Django's async ORM runs (the sync thread);
* ``run_orm_blocking(fn, *args)``: ``fn`` now, on the calling thread, even inside a running
  event loop (Django's ``async_unsafe`` check does not see that loop during the call);
* ``in_orm_executor_thread()``: whether the caller runs inside ``run_in_orm_executor``'s call or
  on the core's sync thread.

Every helper runs ``fn`` in a copy of the caller's context, so context variables (a
request-scoped database router, say) are seen and writes stay behind. There are no lanes here:
Django middleware around API routes run on the core's own threads (README, "Middleware"), so
``LaneAffinityError`` exists for ``except`` clauses and is never raised.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import threading
from typing import Any, Callable

from asgiref.sync import sync_to_async

__all__ = ("LaneAffinityError", "in_orm_executor_thread", "run_in_orm_executor", "run_orm_blocking", "sync_to_thread")

# The core's sync thread (``_threads.SyncThread``) is named after this.
_SYNC_THREAD_PREFIX = "bolt-sync"
_state = threading.local()


class LaneAffinityError(RuntimeError):
    """django-bolt's error for a sync ORM call made away from its request's lane. Defined so that
    code catching it imports; this server has no lanes and never raises it."""


def in_orm_executor_thread() -> bool:
    """Whether the calling thread is running ORM work handed off by ``run_in_orm_executor``, or is
    the core's sync thread (where Django's async ORM runs)."""
    return getattr(_state, "depth", 0) > 0 or threading.current_thread().name.startswith(_SYNC_THREAD_PREFIX)


def _marked[T](fn: Callable[..., T], *args: Any) -> T:
    _state.depth = getattr(_state, "depth", 0) + 1
    try:
        return fn(*args)
    finally:
        _state.depth -= 1


async def run_in_orm_executor[T](fn: Callable[..., T], *args: Any) -> T:
    """Runs the sync ``fn(*args)`` where Django's async ORM runs (the core's sync thread, with the
    core's database connection) and returns its result, in a copy of the caller's context."""
    return await sync_to_async(_marked, thread_sensitive=True)(fn, *args)


async def sync_to_thread[T](fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Runs the sync ``fn(*args, **kwargs)`` on the core's blocking pool (``--blocking-threads``)
    and returns its result, in a copy of the caller's context: the event loop serves other
    requests meanwhile. For blocking I/O; Django's ORM works there too, on the pool thread's own
    database connection."""
    loop = asyncio.get_running_loop()
    ctx = contextvars.copy_context()
    return await loop.run_in_executor(None, functools.partial(ctx.run, fn, *args, **kwargs))


def run_orm_blocking[T](fn: Callable[..., T], *args: Any) -> T:
    """Runs ``fn(*args)`` now, on the calling thread, in a copy of its context, and returns its
    result; for code that cannot await (django-bolt's synchronous user loading).

    Inside a running event loop the loop is hidden from the call, so Django's ``async_unsafe``
    check lets an ORM query through; the loop (the core) waits for it, as any blocking call
    would. Prefer ``await run_in_orm_executor(...)`` in ``async def`` code."""
    ctx = contextvars.copy_context()
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return ctx.run(fn, *args)
    asyncio.events._set_running_loop(None)
    try:
        return ctx.run(fn, *args)
    finally:
        asyncio.events._set_running_loop(loop)
