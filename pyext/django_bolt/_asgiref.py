"""A shorter path through asgiref's ``sync_to_async`` for calls bound for a core's
thread-sensitive thread (not public API).

Django's async ORM makes one ``sync_to_async(fn)()`` call per query. asgiref's general
``SyncToAsync.__call__`` picks among four executors, wraps the call in two partials and an
``asyncio.shield`` (one more loop turn), and sets a deadlock guard: about 210k instructions per
call, 90 µs here, a sixth of a 10-row query. When the call goes to bolt's ``SyncThread`` (asgiref
would choose it through ``AsyncToSync.loop_thread_executors``) none of that choice is needed, and
this path does only what asgiref's does for that executor:

* the function runs on that thread, in a copy of the caller's context, with asgiref's
  thread-locals set (so ``async_to_sync`` inside it comes back to this loop), inside the
  caller's ``except`` block when there is one;
* context variables it sets are copied back to the caller (asgiref's ``_restore_context``, which
  also re-homes ``Local`` storage);
* a cancelled caller gets ``CancelledError`` and any ``async_to_sync`` task the function started
  is cancelled; the function itself runs to its end, its result dropped (asgiref first waits for
  it).

Every other call (``thread_sensitive=False``, an explicit ``context=``, inside
``ThreadSensitiveContext`` or under an ``async_to_sync`` frame, another loop) takes asgiref's own
code. If asgiref's internals are not where this expects them, nothing is replaced.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import os
import sys
import threading
import types
from typing import Any


def install(target: type | tuple[type, ...]) -> bool:
    """Routes ``sync_to_async`` calls whose executor is an instance of ``target`` through the
    short path, in this interpreter. Returns whether it is installed."""
    try:
        from asgiref import sync

        restore = sync._restore_context  # noqa: SLF001
        parent_executor = sync.AsyncToSync.executors._storage._data  # noqa: SLF001 - the Local's ContextVar
        sensitive_context = sync.SyncToAsync.thread_sensitive_context
        loop_executors = sync.AsyncToSync.loop_thread_executors
        threadlocal = sync.SyncToAsync.threadlocal
        original = sync.SyncToAsync.__call__
    except AttributeError:
        return False
    if getattr(original, "_bolt_short_path", False):
        return True
    if not isinstance(parent_executor, contextvars.ContextVar):
        return False
    get_running_loop = asyncio.get_running_loop
    pid = os.getpid()

    async def short(func: Any, loop: asyncio.AbstractEventLoop, executor: Any, args: tuple, kwargs: dict) -> Any:
        context = contextvars.copy_context()
        exc = sys.exc_info()[1]
        task_context: list = []

        def run() -> Any:
            restore(context)
            return func(*args, **kwargs)

        def job() -> Any:
            threadlocal.main_event_loop = loop
            threadlocal.main_event_loop_pid = pid
            threadlocal.task_context = task_context
            if exc is not None:
                try:
                    raise exc
                except BaseException:
                    return context.run(run)
            return context.run(run)

        future = executor.submit(job)
        try:
            return await future
        except asyncio.CancelledError:
            if task_context:
                task_context[0].cancel()
            raise
        finally:
            restore(context)

    async def __call__(self: Any, *args: Any, **kwargs: Any) -> Any:
        if self._thread_sensitive and self.context is None:  # noqa: SLF001
            loop = get_running_loop()
            executor = loop_executors.get(loop)
            storage = parent_executor.get(None)
            if (
                isinstance(executor, target)
                and sensitive_context.get(None) is None
                and (
                    storage is None or storage.thread_id != threading.get_ident() or storage.data.get("current") is None
                )
            ):
                return await short(self.func, loop, executor, args, kwargs)
        return await original(self, *args, **kwargs)

    __call__._bolt_short_path = True  # type: ignore[attr-defined]
    __call__.__doc__ = original.__doc__
    sync.SyncToAsync.__call__ = __call__
    _install_init(sync.SyncToAsync)
    return True


def _install_init(cls: type) -> None:
    """``sync_to_async(obj.method)`` (what every async ORM call does) in a third of the time:
    asgiref's ``__init__`` asks ``inspect.iscoroutinefunction`` twice and copies the wrapper
    attributes through ``functools.update_wrapper`` (13 µs); for a bound method of a plain
    function the same checks and attributes cost 4. Anything else takes asgiref's own."""
    original = cls.__init__
    method, function = types.MethodType, types.FunctionType
    not_sync = inspect.CO_COROUTINE | inspect.CO_ITERABLE_COROUTINE | inspect.CO_ASYNC_GENERATOR
    markcoroutinefunction = inspect.markcoroutinefunction

    def __init__(
        self: Any,
        func: Any,
        thread_sensitive: bool = True,
        executor: Any = None,
        context: contextvars.Context | None = None,
    ) -> None:
        f = getattr(func, "__func__", None) if type(func) is method else None
        if (
            type(f) is not function
            or executor is not None
            or f.__code__.co_flags & not_sync
            or getattr(f, "_is_coroutine_marker", None) is not None
            or f.__dict__
        ):
            original(self, func, thread_sensitive, executor, context)
            return
        d = self.__dict__
        d["__module__"] = f.__module__
        d["__name__"] = f.__name__
        d["__qualname__"] = f.__qualname__
        d["__doc__"] = f.__doc__
        d["__annotations__"] = f.__annotations__
        d["__type_params__"] = f.__type_params__
        d["__wrapped__"] = func
        d["func"] = func
        d["context"] = context
        d["_thread_sensitive"] = thread_sensitive
        d["_executor"] = None
        d["__self__"] = func.__self__
        markcoroutinefunction(self)

    __init__.__doc__ = original.__doc__
    cls.__init__ = __init__
