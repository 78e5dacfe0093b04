"""The per-interpreter runtime that the Rust worker drives (not public API).

Each core's sub-interpreter imports this module, calls ``boot`` and keeps the returned
``Runtime``. Rust calls handlers directly; it comes here only for the rare or Python-shaped
parts: starting and pumping asyncio tasks, the blocking pool, error pages and logging.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import datetime as _dt
import decimal
import functools
import heapq
import importlib
import json
import logging
import os
import re
import sys
import threading
import time
import traceback
import types
import uuid
from asyncio.base_events import _MIN_CANCELLED_TIMER_HANDLES_FRACTION as _MIN_CANCELLED_FRACTION
from asyncio.base_events import _MIN_SCHEDULED_TIMER_HANDLES
from collections.abc import Sequence
from typing import Any

from ._plans import CompressionPlan, ScalarParsers, StaticMount
from ._threads import CallingThread, CoreThreads, Dropped, PoolFull, SyncThread
from .exceptions import HTTPException, RequestValidationError
from .options import WorkerBoot
from .request import Request
from .responses import EventSourceResponse, Response, ServerSentEvent, StreamingResponse

log = logging.getLogger("django_bolt")
_set_running_loop = asyncio.events._set_running_loop  # noqa: SLF001
_get_running_loop = asyncio.events._get_running_loop  # noqa: SLF001
# Rounds of ready callbacks a pump runs after its full loop iteration (see Runtime.pump).
_EXTRA_ROUNDS = 4
# Seconds of callbacks one turn runs before the core goes back to its sockets (Runtime.pump).
# With one slice per reactor round (src/runtime/worker.rs, `pump`), 0.5 ms gave /hello beside
# 1,000 event streams a lower p99 than 1 ms (7 vs 8.3 ms, busy box) at the same CPU; 0.25 ms
# lowered p50 but not p99 and made the streams' events later (loadtests/README.md).
_TURN_BUDGET = 0.0005


class _TimedOut(Exception):
    """A pool call's request passed ``--request-timeout`` (set on its future by ``_time_out``)."""


def _time_out(fut: asyncio.Future) -> None:
    # The thread's own result, if it comes later, is dropped (_threads._set_result); a call not
    # started yet is not run at all.
    if not fut.done():
        fut.set_exception(_TimedOut())


#: ``Retry-After`` of a 503 for a full blocking pool, seconds: a short back-off, since a slot frees
#: as soon as one call ends.
RETRY_AFTER = "1"


def _poll(loop: asyncio.AbstractEventLoop) -> None:
    """The first half of ``BaseEventLoop._run_once`` (Python 3.13): polls I/O without blocking
    and moves the due timers to the ready queue, running nothing. The second half, running the
    callbacks, is ``Runtime.pump``'s, under a time budget."""
    # noqa: SLF001 throughout: these are the loop's own queues, as _run_once uses them.
    scheduled = loop._scheduled  # noqa: SLF001
    count = len(scheduled)
    if count > _MIN_SCHEDULED_TIMER_HANDLES and loop._timer_cancelled_count / count > _MIN_CANCELLED_FRACTION:  # noqa: SLF001
        kept = []
        for handle in scheduled:
            if handle._cancelled:  # noqa: SLF001
                handle._scheduled = False  # noqa: SLF001
            else:
                kept.append(handle)
        heapq.heapify(kept)
        loop._scheduled = scheduled = kept  # noqa: SLF001
        loop._timer_cancelled_count = 0  # noqa: SLF001
    else:
        while scheduled and scheduled[0]._cancelled:  # noqa: SLF001
            loop._timer_cancelled_count -= 1  # noqa: SLF001
            handle = heapq.heappop(scheduled)
            handle._scheduled = False  # noqa: SLF001
    loop._process_events(loop._selector.select(0))  # noqa: SLF001
    ready = loop._ready  # noqa: SLF001
    end = loop.time() + loop._clock_resolution  # noqa: SLF001
    while scheduled:
        if scheduled[0]._when >= end:  # noqa: SLF001
            break
        handle = heapq.heappop(scheduled)
        handle._scheduled = False  # noqa: SLF001
        ready.append(handle)


access_log = logging.getLogger("django_bolt.access")


@types.coroutine
def _resume(coro: Any, first: Any):
    # Hands the future the coroutine was waiting on to the Task, then continues the coroutine
    # exactly where Rust's inline send() left it. This is ``yield from`` written out, because
    # the first value comes from the inline step: what the Task sends or throws in (a result,
    # the awaited future's exception, a cancellation) must reach ``coro``, not this frame.
    pending = first
    while True:
        try:
            sent = yield pending
        except GeneratorExit:
            coro.close()
            raise
        except BaseException as exc:  # noqa: BLE001 - every exception belongs to the coroutine
            try:
                pending = coro.throw(exc)
            except StopIteration as stop:
                return stop.value
        else:
            try:
                pending = coro.send(sent)
            except StopIteration as stop:
                return stop.value


async def _continue(coro: Any, first: Any) -> Any:
    return await _resume(coro, first)


# -- streamed bodies (Rust's app::stream pulls them) --------------------------------------
#: What the chunk helpers return once an iterator is exhausted.
_END = object()
# Iterators over data already in memory: advanced inline, never worth a thread hop.
_INLINE_ITERATORS = frozenset(type(iter(x)) for x in ([], (), "", b"", {}, {}.values(), {}.items(), range(0)))
# A pool batch ends at this many items, bytes or seconds, so a fast generator costs one thread
# hop per batch and a slow one (waiting between items) sends each item as soon as it comes.
_BATCH_ITEMS = 64
_BATCH_BYTES = 64 * 1024
_BATCH_SECONDS = 0.002


class _Batches:
    """A sync iterator pulled in batches on the pool. An error raised after some items of a
    batch waits for the next pull, so the items before it are still sent."""

    __slots__ = ("it", "error")

    def __init__(self, it: Any) -> None:
        self.it = it
        self.error: BaseException | None = None

    def close(self) -> None:
        close = getattr(self.it, "close", None)
        if close is not None:
            close()


def _pull(batches: _Batches) -> list:
    if batches.error is not None:
        error, batches.error = batches.error, None
        raise error
    it = batches.it
    items: list = []
    size = 0
    t0 = time.perf_counter()
    while True:
        try:
            item = next(it)
        except StopIteration:
            items.append(_END)
            return items
        except BaseException as e:
            if not items:
                raise
            batches.error = e
            return items
        items.append(item)
        size += len(item) if isinstance(item, (bytes, str, bytearray)) else 256
        if len(items) >= _BATCH_ITEMS or size >= _BATCH_BYTES or time.perf_counter() - t0 > _BATCH_SECONDS:
            return items


#: What a feeder hands over after its iterator raised (the error is logged already).
_FAILED = object()
# An async stream's feeder runs at most this far ahead of its connection (bytes; an item that
# is not str/bytes counts as _ITEM_GUESS).
_FEED_AHEAD = 64 * 1024
_ITEM_GUESS = 1024
_SIZED = frozenset((str, bytes, bytearray))


class _Feed:
    """An async iterator run ahead of its connection by one long-lived Task (``Runtime.feed``).
    Its items go to ``Runtime.fed`` for Rust to take after each turn of the loop; once
    ``_FEED_AHEAD`` is waiting, it pauses until the connection has taken it (``taken``). One
    Task for the whole stream, not one per item: an event stream's items mostly come after an
    await, and a Task per item was most of an event's cost."""

    __slots__ = ("sid", "it", "unsent", "gate", "task")

    def __init__(self, sid: int, it: Any) -> None:
        self.sid = sid
        self.it = it
        self.unsent = 0
        self.gate: asyncio.Future | None = None
        self.task: asyncio.Task | None = None

    def taken(self) -> bool:
        """The connection took what was waiting: the feeder may run ahead again. True when it
        was paused (its wake-up is now a ready callback: the loop must turn)."""
        self.unsent = 0
        gate = self.gate
        if gate is None:
            return False
        self.gate = None
        if not gate.done():
            gate.set_result(None)
        return True


class Runtime:
    """Python objects and callbacks one worker needs, created inside its interpreter."""

    def __init__(
        self,
        routes: list,
        blocking_threads: int,
        blocking_threshold: float,
        django: bool,
        port: int,
        apis: Sequence[Any] = (),
        *,
        testing: bool = False,
        blocking_queue: int | None = None,
        request_timeout: float = 0.0,
    ) -> None:
        #: A test client's runtime (``django_bolt.testing``): it lives in the test's own
        #: interpreter and thread, so it leaves that thread's event loop, asyncgen hooks and
        #: database connections as they are, runs every handler and every thread-sensitive job
        #: on that thread, and keeps the exceptions behind its 500s for the test to re-raise.
        self.testing = testing
        self.server_exceptions: list[BaseException] = []
        from .auth.user_loader import new_registry

        # The user loaders its routes' backends register by scheme (auth.user_loader): this
        # runtime's own, so a test process's several runtimes do not load each other's users.
        self.user_loaders = new_registry()
        self.routes = [r.plan() for r in routes]
        # What the start-up banner says: the project's routes, and where its docs are.
        docs = [r.path for r in routes if r.docs]
        # (The trailing-slash redirects ``merge_routes`` adds are not the project's routes.)
        self.project_route_count = sum(1 for r in routes if not r.docs and not r.alias)
        self.docs_path = min(docs, key=len) if docs else None
        self.Response = Response
        self.StreamingResponse = StreamingResponse
        self.HTTPException = HTTPException
        from django.http import HttpResponseBase

        from .responses import from_django_response

        #: A Django response a handler returns is converted to ours (django-bolt accepts them).
        self.DjangoResponse = HttpResponseBase
        self.from_django = from_django_response
        self.Request = Request
        from .json import ENCODE_TYPES

        self.encode_types = ENCODE_TYPES
        self.parsers = ScalarParsers(
            uuid.UUID, _dt.date.fromisoformat, _dt.datetime.fromisoformat, decimal.Decimal, _dt.time.fromisoformat
        )
        from .uploads import parse_multipart

        self.parse_multipart = parse_multipart
        self.completed: list = []
        #: ``(stream id, item)`` from async streams' feeders, taken by Rust after each turn.
        self.fed: list = []
        self.loop = asyncio.new_event_loop()
        if not testing:
            asyncio.set_event_loop(self.loop)
            # The loop is set up once as running on this thread (asyncgen hooks, thread id), then
            # turned one iteration at a time by ``pump``: run_forever's set-up and clean-up cost
            # 7 of the 8.4 µs of a turn. It is the *running* loop only while Python runs in it.
            self.loop._run_forever_setup()  # noqa: SLF001
            asyncio.events._set_running_loop(None)
        from ._lifecycle import Lifecycle, TestLifecycle

        # Built on the worker thread, which it tells apart from the pools' threads.
        self.lifecycle = TestLifecycle() if testing else Lifecycle(threading.get_ident())
        if not testing:
            from . import _dbwatch

            _dbwatch.install(self.lifecycle.watch, blocking_threads)
        self.worker_has_db = self.lifecycle.worker_has_db
        self.project_receivers = self.lifecycle.project_receivers
        # Threads start on first use; they inherit the worker's pinning to its core.
        self._pool = CoreThreads(self.loop, blocking_threads, "bolt-blocking", max_queued=blocking_queue)
        #: Seconds a pool handler may take before its request answers 504 (0: no limit).
        self.request_timeout = request_timeout
        # sync_to_async(thread_sensitive=False) and run_in_executor(None) use the same bounded pool.
        self.loop.set_default_executor(self._pool)
        self.sync_thread: SyncThread | CallingThread = (
            CallingThread(self.loop) if testing else SyncThread(self.loop, self.lifecycle)
        )
        if isinstance(self.sync_thread, CallingThread):
            self.sync_thread.pump = self.pump
        from .websocket.hub import Hub

        #: The core's WebSocket handlers (src/app/websocket.rs drains its outbox).
        self.websockets = Hub(self.loop, self.sync_thread.end_request)
        from asgiref.sync import AsyncToSync

        AsyncToSync.loop_thread_executors[self.loop] = self.sync_thread
        from ._asgiref import install

        install((SyncThread, CallingThread))
        # The asyncio loop's epoll fd: readable when a thread finishes work for a suspended
        # handler (call_soon_threadsafe) or a socket the loop watches is ready. Rust waits on it
        # instead of polling the loop.
        self.loop_fd = self.loop._selector.fileno()  # noqa: SLF001 - the only way to wait on the loop
        self.blocking_threshold = blocking_threshold
        self.access_enabled = access_log.isEnabledFor(logging.INFO)
        #: Rust formats and writes the access lines itself, batched off the request path
        #: (src/app/access.rs), when they would go to bolt's own default stderr handler unchanged.
        self.access_native = self.access_enabled and not testing and _access_is_default()
        from django.conf import settings

        self.debug = bool(settings.DEBUG)
        # Non-bolt paths go to Django (None: bolt answers its JSON 404 itself).
        # The first API that sets a LoggingConfig (unless settings.BOLT_LOGGING does).
        self.request_log = _logging_config(next((a.logging_config for a in apis if a.logging_config is not None), None))
        cfg = self.request_log
        # Rust decides per request whether to call log_request: an error, slow, or a sampled
        # success; with what the logger takes now, so a disabled one costs no call.
        self.log_sample_rate, self.log_slow_ms, self.log_errors_from, self.log_min_ms = (
            cfg._gate() if cfg is not None else (0.0, -1.0, 65535.0, 0.0)
        )
        #: Where a handler's unhandled exception is logged once more, as django-bolt does with
        #: its API's LoggingConfig (``Exception in GET /x: ...`` on ``logger_name``).
        self.exception_log = None
        #: The routes of ``enable_logging=False`` APIs, whose exceptions stay out of it.
        self.unlogged: re.Pattern[str] | None = None
        if cfg is not None:
            from .logging.middleware import LoggingMiddleware

            self.exception_log = LoggingMiddleware(cfg)
            quiet = {(r.method, r.path) for r in routes if not getattr(r, "logged", True)}
            if quiet:
                self.unlogged = re.compile("|".join(f"{m} {_path_pattern(p)}" for m, p in sorted(quiet)))
        paths = {(r.method, r.path) for r in routes}
        # Built-in probes, unless switched off or the project serves those paths itself.
        health = getattr(settings, "BOLT_HEALTH_PATH", "/health")
        ready = getattr(settings, "BOLT_READY_PATH", "/ready")
        self.health_path = health if health and ("GET", health) not in paths else None
        self.ready_path = ready if ready and ("GET", ready) not in paths else None
        self.static_mounts = _static_mounts(apis)
        self.compression = _compression(apis)
        from .responses import allowed_file_roots

        # FileResponse's roots, checked again by Rust before a file is opened (None: unset).
        self.file_roots = allowed_file_roots()
        from .cors import project_policy

        self.cors_global = project_policy()
        self.trusted_proxies = [str(p) for p in getattr(settings, "BOLT_TRUSTED_PROXIES", None) or []]
        from .conf import max_param_length

        self.max_param_length = max_param_length()
        self.django_call = None
        if django and getattr(settings, "BOLT_DJANGO_FALLTHROUGH", True):
            from .django_app import DjangoApp

            self.django_call = DjangoApp(port)
        #: The APIs' ASGI mounts, tried for paths no route matched, before Django.
        self.mounts_call = None
        mounts = [m for api in apis for m in getattr(api, "_asgi_mounts", ())]
        if mounts:
            from .asgi_mounts import Mounts, validate_mount_conflicts

            validate_mount_conflicts((r.path for r in routes if not r.alias), mounts)
            # The test client reads each streamed body whole, on the thread that turns this
            # loop: an app (asgiref's WsgiToAsgi) sending from a thread-sensitive job there must
            # not wait for it to read.
            self.mounts_call = Mounts(mounts, port, ahead=None) if testing else Mounts(mounts, port)
            self.websockets.mounts = self.mounts_call
        self.repeats = None
        if not testing:
            from ._log_repeats import install

            exempt = {"django_bolt.access", "django_bolt.request"}
            if cfg is not None:
                exempt.add(cfg.logger_name)
            self.repeats = install(_seconds(settings, "BOLT_LOG_REPEAT_INTERVAL", 10.0), exempt)
        #: ``(api, lifespan)`` of the APIs (mounted ones included), in start-up order; a server
        #: enters them now, before its core serves; a test client on ``with``.
        self.lifespans = _lifespans(apis)
        self._lifespan_stack: contextlib.AsyncExitStack | None = None
        if not testing:
            self.start_lifespans()

    # -- async handlers ------------------------------------------------------------------
    def start_task(
        self, token: int, coro: Any, first: Any, context: contextvars.Context, notify: bool = False
    ) -> asyncio.Task:
        """Continues a coroutine that suspended on real asyncio work as a Task on this loop, in
        the request's own context (the one its first step ran in). ``notify``: the request's
        end goes to the project's ``request_finished`` receivers."""
        # Started eagerly: the Task takes the awaited future now, not a loop turn later.
        _set_running_loop(self.loop)
        try:
            task = asyncio.Task(_continue(coro, first), loop=self.loop, context=context, eager_start=True)
        finally:
            _set_running_loop(None)
        task.add_done_callback(functools.partial(self._done, token, notify))
        return task

    def _done(self, token: int, notify: bool, task: asyncio.Task) -> None:
        self.completed.append((token, task))
        context = task.get_context()
        self.sync_thread.end_request(context)
        if notify:
            try:
                context.run(self.lifecycle.finished)
            except Exception:
                log.exception("request_finished receiver failed")

    def pump(self) -> float:
        """Turns the loop: polls it (I/O, due timers), then runs ready callbacks, and those they
        schedule a few rounds deep without polling again (a completed ORM job takes three such
        rounds: the result, asgiref's shield, the task), for at most ``_TURN_BUDGET`` seconds:
        a burst of work on the loop (a thousand event streams' timers due at once) is cut into
        slices, and the core serves its connections between them. Returns seconds until the
        next timer, 0 when callbacks are still ready, -1 when nothing is scheduled."""
        loop = self.loop
        ready = loop._ready  # noqa: SLF001 - the loop's own queue of ready callbacks
        _set_running_loop(loop)
        try:
            if loop._debug:  # noqa: SLF001 - asyncio's debug mode times callbacks itself
                loop._stopping = True  # noqa: SLF001 - poll without blocking, as stop() would
                try:
                    loop._run_once()  # noqa: SLF001
                finally:
                    loop._stopping = False  # noqa: SLF001
            else:
                _poll(loop)
            deadline = time.perf_counter() + _TURN_BUDGET
            for _ in range(1 + _EXTRA_ROUNDS):
                if not ready:
                    break
                for _ in range(len(ready)):
                    handle = ready.popleft()
                    if not handle._cancelled:  # noqa: SLF001
                        handle._run()  # noqa: SLF001
                    if time.perf_counter() > deadline:
                        return 0.0
        finally:
            _set_running_loop(None)
        if ready:
            return 0.0
        if loop._scheduled:  # noqa: SLF001
            return max(0.0, loop._scheduled[0]._when - loop.time())  # noqa: SLF001
        return -1.0

    # Rust makes the loop the running one only while it drives a coroutine inline (asyncio.sleep
    # needs get_running_loop()); sync handlers see no running loop, so Django's async-safety
    # check lets them use the ORM.
    set_running_loop = staticmethod(asyncio.events._set_running_loop)  # noqa: SLF001

    def run_thread_jobs(self) -> bool:
        """Runs the thread-sensitive work queued for the calling thread (test client only);
        whether there was any."""
        return self.sync_thread.run_pending() if isinstance(self.sync_thread, CallingThread) else False

    # -- blocking sync handlers ----------------------------------------------------------
    def run_blocking(self, handler: Any, kwargs: dict | tuple, fd: int = -1, route: str = "") -> Any:
        """A coroutine that runs ``handler(**kwargs)`` (or ``handler(*args)``) on this core's pool,
        as one request of that pool thread (``Lifecycle``). ``fd``: the client's socket (-1:
        none), checked before the call starts; ``route`` names it in the logs.

        The call is admitted to a bounded queue (``--blocking-queue``): when that is full the
        coroutine raises a 503 with ``Retry-After`` before suspending, so the client hears at
        once. A call whose client has gone before a thread takes it is not run. With
        ``--request-timeout``, a call not done in time answers 504 (logged); its thread still
        runs it to its end."""
        return self._run_blocking(handler, kwargs, fd, route)

    async def _run_blocking(self, handler: Any, kwargs: dict | tuple, fd: int = -1, route: str = "") -> Any:
        call = (
            functools.partial(handler, *kwargs) if isinstance(kwargs, tuple) else functools.partial(handler, **kwargs)
        )
        try:
            fut = self._pool.admit(self.lifecycle.around(call), fd)
        except PoolFull as e:
            if e.shutting_down:
                raise HTTPException(503, "Service Unavailable: shutting down") from None
            raise HTTPException(
                503, "Service Unavailable: the blocking pool is full", {"Retry-After": RETRY_AFTER}
            ) from None
        timer = self.loop.call_later(self.request_timeout, _time_out, fut) if self.request_timeout > 0 else None
        try:
            return await fut
        except _TimedOut:
            log.warning(
                "%s: no response after %.1f s (--request-timeout); answered 504, its pool thread "
                "runs the call to its end",
                route or getattr(handler, "__qualname__", handler),
                self.request_timeout,
            )
            raise HTTPException(504, "Gateway Timeout") from None
        except Dropped:
            # Shutdown dropped it before it ran (a call whose client had gone has no one to
            # answer; this 503 is written to a closed socket, or not at all). The writer decides
            # keep-alive once the handler is done, so a response during the drain says
            # `Connection: close` itself.
            raise HTTPException(503, "Service Unavailable: shutting down") from None
        finally:
            if timer is not None:
                timer.cancel()

    async def run_prechecked(
        self,
        precheck: Any,
        handler: Any,
        kwargs: dict,
        fd: int,
        route: str,
        limit_key: str | None,
        claims: dict | None,
        backend: int | None,
        is_async: bool,
        inline: bool,
    ) -> Any:
        """Runs a route's ``precheck(limit_key, claims, backend)`` (``_prechecks.py``: a shared
        rate limit's cache counter, a JWT revocation lookup; it raises the ``HTTPException``
        that refuses), then its handler. The check does blocking I/O, so it runs on this core's pool:
        with a ``def`` handler in the same pool call (one thread hop, as ``blocking=True``);
        with an ``async def`` one, the handler continues on the loop after it. ``inline`` (the
        test client): everything on the calling thread."""
        if inline:
            precheck(limit_key, claims, backend)
            result = handler(**kwargs)
        elif is_async:
            await self._run_blocking(precheck, (limit_key, claims, backend), fd, route)
            result = handler(**kwargs)
        else:

            def checked() -> Any:
                precheck(limit_key, claims, backend)
                return handler(**kwargs)

            result = await self._run_blocking(checked, (), fd, route)
        if asyncio.iscoroutine(result):
            result = await result
        return result

    def drain_pool(self) -> int:
        """Shutdown begins: calls still queued for the pool are dropped (their requests answer
        503) and new ones are refused. Returns how many were dropped."""
        return self._pool.drain()

    # -- streamed bodies -----------------------------------------------------------------
    END = _END
    FAILED = _FAILED
    #: Items Rust formats as events in an ``EventSourceResponse`` (src/http/sse.rs).
    ServerSentEvent = ServerSentEvent

    def feed(self, token: int, sid: int, it: Any, context: contextvars.Context, method: str, path: str) -> _Feed:
        """Starts the Task that runs async stream ``sid``'s iterator (see ``_Feed``), in the
        request's context; its end is delivered under ``token``."""
        feed = _Feed(sid, it)
        previous = _get_running_loop()
        _set_running_loop(self.loop)
        try:
            # Eager: the items ready at once are in ``fed`` before the head goes out.
            feed.task = task = asyncio.Task(
                self._feed(feed, method, path), loop=self.loop, context=context, eager_start=True
            )
        finally:
            _set_running_loop(previous)
        task.add_done_callback(functools.partial(self._done, token, False))
        return feed

    async def _feed(self, feed: _Feed, method: str, path: str) -> None:
        it = feed.it
        sid = feed.sid
        fed = self.fed
        try:
            async for item in it:
                fed.append((sid, item))
                feed.unsent += len(item) if item.__class__ in _SIZED else _ITEM_GUESS
                if feed.unsent >= _FEED_AHEAD:
                    feed.gate = gate = self.loop.create_future()
                    await gate
            fed.append((sid, _END))
        except asyncio.CancelledError:
            # Its client went away (Rust cancelled this Task): nothing more to send.
            raise
        except BaseException as exc:  # noqa: BLE001 - whatever it raised ends the body short
            # Logged as a handler's error; the headers are gone, so the body ends short.
            self.handle_exception(exc, method, path, "")
            fed.append((sid, _FAILED))
        finally:
            # Paused at a yield (ahead of a slow client, or cancelled while paused): the
            # generator's own finally runs now, not at garbage collection.
            aclose = getattr(it, "aclose", None)
            if aclose is not None:
                await aclose()

    def open_stream(self, resp: Any) -> tuple[Any, int, float | None]:
        """(iterator, kind, ping interval, events) of a StreamingResponse; kind 0: advance inline
        (data already in memory), 1: on the blocking pool, in batches (``pull``), 2: async
        iterator (``feed``). ``events``: its items are Server-Sent Events to format."""
        content = resp.content
        events = isinstance(resp, EventSourceResponse)
        if hasattr(content, "__aiter__"):
            return content.__aiter__(), 2, resp.ping_interval, events
        it = iter(content)
        if type(it) in _INLINE_ITERATORS or self.testing:
            # The test client runs sync steps on the test's thread (its database transaction).
            return it, 0, resp.ping_interval, events
        return _Batches(it), 1, resp.ping_interval, events

    def pull(self, it: _Batches) -> Any:
        """A coroutine: the next batch of a sync iterator's items, from the blocking pool (the
        last item is ``END`` when it is exhausted)."""
        return self._pull_on_pool(it)

    async def _pull_on_pool(self, batches: _Batches) -> list:
        return await self.loop.run_in_executor(self._pool, _pull, batches)

    def close_stream(self, it: Any) -> None:
        """Closes a sync stream's iterator early (its client went away), so a generator's
        ``finally`` runs now. (An async one's feeder Task is cancelled instead.)"""
        close = getattr(it, "close", None)
        if close is not None:
            close()
        return None

    def ready_call(self) -> Any:
        """The coroutine behind ``/ready`` (see django_bolt.health)."""
        from . import health

        return health.readiness(self.loop, self._pool, self.repair_connections)

    def repair_connections(self) -> None:
        """Has each of this core's threads close its broken database connections (after
        ``/ready`` found some): this (the worker) thread now, the thread-sensitive one and
        every started pool thread as soon as they are free (one job each: a barrier keeps a
        thread from taking two; a thread busy past the barrier's wait is skipped)."""
        # Called from /ready's coroutine: Django refuses to close a connection while a loop runs
        # on the thread, but no await can interleave with this synchronous close of the worker
        # thread's own (dead) connection, so the loop is set aside for it, as ``pump`` does
        # between turns.
        running = asyncio.events._get_running_loop()  # noqa: SLF001
        asyncio.events._set_running_loop(None)  # noqa: SLF001
        try:
            self.lifecycle.repair()
        finally:
            asyncio.events._set_running_loop(running)  # noqa: SLF001
        if isinstance(self.sync_thread, SyncThread):
            self.sync_thread.run_plain(self.lifecycle.repair)
        started = self._pool.started()
        if started:
            barrier = threading.Barrier(started)

            def repair_then_wait() -> None:
                self.lifecycle.repair()
                try:
                    barrier.wait(0.5)
                except threading.BrokenBarrierError:
                    pass

            for _ in range(started):
                self._pool.run_plain(repair_then_wait)

    # -- errors --------------------------------------------------------------------------
    def handle_exception(self, exc: BaseException, method: str, path: str, accept: str) -> tuple:
        """(status, content_type, body, headers) for an exception a handler raised."""
        from django.core.exceptions import PermissionDenied, SuspiciousOperation
        from django.http import Http404

        if isinstance(exc, Http404):
            return 404, "application/json", b'{"detail":"Not Found"}', []
        if isinstance(exc, PermissionDenied):
            return 403, "application/json", b'{"detail":"Forbidden"}', []
        if isinstance(exc, SuspiciousOperation):
            # Where Django's own handler logs it (django.security.DisallowedHost, ...).
            logging.getLogger(f"django.security.{type(exc).__name__}").error("%s", exc)
            return 400, "application/json", b'{"detail":"Bad Request"}', []
        if self.testing:
            self.server_exceptions.append(exc)
        logging.getLogger("django.request").error(
            "Internal Server Error: %s %s",
            method,
            path,
            exc_info=(type(exc), exc, exc.__traceback__),
            extra={"status_code": 500},
        )
        if self.exception_log is not None and not (self.unlogged and self.unlogged.fullmatch(f"{method} {path}")):
            try:
                self.exception_log.log_exception({"method": method, "path": path}, exc)
            except Exception:
                # A project's exception_logging_handler that fails must not turn a 500 into a
                # dropped connection; say so once per interval (bounded like other errors).
                log.exception("LoggingConfig.exception_logging_handler failed for %s %s", method, path)
        if self.debug:
            if "text/html" in accept:
                try:
                    return 500, "text/html; charset=utf-8", _technical_500(exc, method, path), []
                except Exception:
                    pass
            tb = traceback.format_exception(exc)
            body = json.dumps({"detail": f"{type(exc).__name__}: {exc}", "traceback": tb}).encode()
            return 500, "application/json", body, []
        return 500, "application/json", b'{"detail":"Internal Server Error"}', []

    def log_request(
        self,
        method: str,
        path: str,
        query: str,
        status: int,
        ms: float,
        client: str,
        req_headers: list,
        req_body: bytes,
        resp_headers: list,
        resp_body: bytes,
        slow: bool,
    ) -> None:
        self.request_log.record(
            method, path, query, status, ms, client, req_headers, req_body, resp_headers, resp_body, slow
        )

    def refresh_jwks(self, url: str) -> None:
        """Fetches the key set at ``url`` again on the blocking pool, off the core's thread
        (called by Rust when a ``jwks_url`` set is due, or a token names an unknown ``kid``)."""
        from .auth import jwks

        self._pool.run_plain(jwks.refresh, url)

    def api_key_claims(self, raw: bytes) -> bytes | None:
        """Claims JSON for a persistent API key, or None when it is unknown, revoked or expired
        (called by Rust on a cache miss; also records when the key was last used)."""
        return self.lifecycle.around(functools.partial(self._api_key_claims, raw))()

    def _api_key_claims(self, raw: bytes) -> bytes | None:
        from django.utils import timezone

        from .models import APIKey

        try:
            text = raw.decode("ascii")
        except UnicodeDecodeError:
            return None
        row = APIKey.objects.lookup(text)
        if row is None:
            return None
        APIKey.objects.filter(pk=row.pk).update(last_used=timezone.now())
        claims = {"api_key": row.prefix, "name": row.name, "scopes": list(row.scopes)}
        if row.owner_id is not None:
            claims["sub"] = str(row.owner_id)
        return json.dumps(claims).encode()

    def warn(self, message: str) -> None:
        log.warning("%s", message)

    def access(self, method: str, path: str, status: int, ms: float, nbytes: int, client: str) -> None:
        access_log.info('%s "%s %s" %d %d %.2fms', client, method, path, status, nbytes, ms)

    # -- lifespan ------------------------------------------------------------------------
    def start_lifespans(self) -> None:
        """Enters every API's lifespan on this interpreter's loop (start-up order); one that
        raises leaves the ones entered before it and raises (the core does not start)."""
        if not self.lifespans or self._lifespan_stack is not None:
            return
        stack = contextlib.AsyncExitStack()

        async def enter() -> None:
            for api, lifespan in self.lifespans:
                cm = lifespan(api)
                if not hasattr(cm, "__aenter__"):
                    raise TypeError(
                        f"lifespan {getattr(lifespan, '__qualname__', lifespan)!r} must return an async context "
                        f"manager (decorate it with @contextlib.asynccontextmanager), got {type(cm).__name__}"
                    )
                await stack.enter_async_context(cm)

        try:
            self._run_until_complete(enter())
        except BaseException:
            self._run_until_complete(stack.aclose())
            raise
        self._lifespan_stack = stack

    def stop_lifespans(self) -> None:
        """Leaves the lifespans entered by ``start_lifespans``, last first; an error is logged."""
        stack, self._lifespan_stack = self._lifespan_stack, None
        if stack is None:
            return
        try:
            self._run_until_complete(stack.aclose())
        except Exception:
            log.exception("lifespan shut-down failed")

    def _run_until_complete(self, coro: Any) -> Any:
        """Runs ``coro`` to its end on this interpreter's loop, from outside any request. A
        server's loop is set up as running on this thread (``__init__``) and is taken out of
        that state meanwhile; a test's own running loop is set aside, as for a request."""
        outer = _get_running_loop()
        _set_running_loop(None)
        serving = not self.testing and not self.loop.is_closed() and self.loop._thread_id is not None  # noqa: SLF001
        if serving:
            self.loop._run_forever_cleanup()  # noqa: SLF001
        try:
            return self.loop.run_until_complete(coro)
        finally:
            if serving:
                self.loop._run_forever_setup()  # noqa: SLF001
                _set_running_loop(None)
            _set_running_loop(outer)

    def shutdown(self, timeout: float = 1.0) -> bool:
        """Closes this core's threads, loop and database connections. Returns False when a pool
        thread was still running a call after ``timeout`` seconds: the interpreter must then
        not be ended (it still runs Python), and the process leaves it to the OS."""
        # The lifespans end first, while the core's threads (sync_to_async, the pool) still run.
        self.stop_lifespans()
        if self.testing:
            self._close_for_test()
            return True
        deadline = time.monotonic() + timeout
        self._pool.drain()
        ended = self._pool.shutdown(wait=True, cancel_futures=True, timeout=timeout)
        ended = self.sync_thread.close(timeout=max(0.0, deadline - time.monotonic())) and ended
        if not ended:
            log.warning(
                "shutdown: a thread of this core was still running a handler %.1f s after the drain; "
                "it is abandoned (Python threads cannot be stopped) and the process exits without it",
                timeout,
            )
        # After the pool's last warnings, so they are written (or counted) before the flush.
        if self.repeats is not None:
            self.repeats.close()
        try:
            for t in asyncio.all_tasks(self.loop):
                t.cancel()
            asyncio.events._set_running_loop(None)
            self.loop._run_forever_cleanup()  # noqa: SLF001
            self.loop.run_until_complete(asyncio.sleep(0))
            self.loop.close()
        except Exception:
            pass
        from django.db import connections

        connections.close_all()
        # CPython 3.13.0 prints "_DeleteDummyThreadOnDel" noise at Py_EndInterpreter unless the
        # dummy thread registered for this Rust thread is dropped first.
        vars(threading._thread_local_info).pop("_track_dummy_thread_ref", None)  # type: ignore[attr-defined]
        return ended

    def _close_for_test(self) -> None:
        # The test's thread, loop and database connections stay as the test left them.
        self.sync_thread.close()
        self._pool.shutdown(wait=True, cancel_futures=True)
        outer = _get_running_loop()  # AsyncTestClient.aclose runs under the test's loop
        _set_running_loop(None)
        try:
            tasks = asyncio.all_tasks(self.loop)
            for t in tasks:
                t.cancel()
            if tasks:
                self.loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        except Exception:
            pass
        finally:
            _set_running_loop(outer)
            self.loop.close()


def _lifespans(apis: Sequence[Any]) -> list[tuple[Any, Any]]:
    """Every API's ``lifespan`` and those of the APIs mounted into it, each once."""
    out: list[tuple[Any, Any]] = []
    seen: set[int] = set()
    for api in apis:
        for owner, lifespan in api.lifespans() if hasattr(api, "lifespans") else ():
            if id(owner) not in seen:
                seen.add(id(owner))
                out.append((owner, lifespan))
    return out


def _static_mounts(apis: Sequence[Any]) -> list[StaticMount]:
    """(url prefix, roots, cache-control, media, CSP) for Rust's static file server.

    STATIC_URL from STATIC_ROOT, plus with DEBUG every staticfiles finder's folders (so the
    admin's CSS works without collectstatic), and MEDIA_URL from MEDIA_ROOT.
    ``BOLT_STATIC = False`` turns it off; ``BOLT_STATIC_CACHE_CONTROL = {"/static/": "..."}`` sets
    Cache-Control per prefix (else django-bolt's ``BOLT_STATIC_MAX_AGE``/``BOLT_MEDIA_MAX_AGE``);
    ``SECURE_CSP`` / ``SECURE_CSP_REPORT_ONLY`` give every file its policy, as django-bolt. The API
    docs' assets are mounted under the docs path (openapi/routes.py).
    """
    from django.conf import settings

    from .openapi.routes import docs_static_mounts

    # The API docs' own scripts and styles, whatever BOLT_STATIC says about the project's files.
    docs = docs_static_mounts(list(apis))
    if not getattr(settings, "BOLT_STATIC", True):
        return docs
    cache = dict(getattr(settings, "BOLT_STATIC_CACHE_CONTROL", {}) or {})
    mounts: dict[str, list[str]] = {}

    def url_prefix(url: str) -> str | None:
        if not url or "://" in url:
            return None  # served elsewhere (a CDN)
        url = url if url.startswith("/") else "/" + url
        return url if url.endswith("/") else url + "/"

    def add(prefix: str | None, root: Any) -> None:
        if prefix and root and os.path.isdir(root):
            roots = mounts.setdefault(prefix, [])
            if str(root) not in roots:
                roots.append(str(root))

    static = url_prefix(getattr(settings, "STATIC_URL", None) or "")
    add(static, getattr(settings, "STATIC_ROOT", None))
    if settings.DEBUG and static and "django.contrib.staticfiles" in settings.INSTALLED_APPS:
        from django.contrib.staticfiles.finders import get_finders

        for finder in get_finders():
            for storage in getattr(finder, "storages", {}).values():
                sub = getattr(storage, "prefix", None)
                add(static + sub.strip("/") + "/" if sub else static, getattr(storage, "location", None))
    media = url_prefix(getattr(settings, "MEDIA_URL", None) or "")
    add(media, getattr(settings, "MEDIA_ROOT", None))
    # django-bolt's BOLT_STATIC_MAX_AGE / BOLT_MEDIA_MAX_AGE, where BOLT_STATIC_CACHE_CONTROL
    # does not name the prefix itself.
    from .conf import max_age_header

    for prefix, name, visibility in (
        (static, "BOLT_STATIC_MAX_AGE", "public"),
        (media, "BOLT_MEDIA_MAX_AGE", "private"),
    ):
        header = max_age_header(name, visibility)
        if prefix and header and prefix not in cache:
            cache[prefix] = header
    # A prefix that is both (Django refuses STATIC_URL == MEDIA_URL, but a static finder's
    # sub-prefix could land on it) is treated as media: its files may be uploads.
    from .conf import static_files_csp

    csp, csp_report_only = static_files_csp()
    return [StaticMount(p, roots, cache.get(p), p == media, csp, csp_report_only) for p, roots in mounts.items()] + docs


def _compression(apis: Sequence[Any]) -> CompressionPlan | None:
    """The project's compression: ``settings.BOLT_COMPRESSION`` when set (None/False: off), else
    the first API's ``CompressionConfig``, else off when every API says ``compression=False``,
    else the default ``CompressionConfig()``, as django-bolt."""
    from django.conf import settings

    from .middleware.compression import CompressionConfig

    if hasattr(settings, "BOLT_COMPRESSION"):
        cfg = settings.BOLT_COMPRESSION
        if cfg is None or cfg is False:
            return None
        if not isinstance(cfg, CompressionConfig):
            raise TypeError(f"BOLT_COMPRESSION must be a CompressionConfig, None or False, got {cfg!r}")
    else:
        given = [getattr(a, "compression", None) for a in apis]
        cfg = next((c for c in given if isinstance(c, CompressionConfig)), None)
        if cfg is None:
            if given and all(c is False for c in given):
                return None
            cfg = CompressionConfig()
    return CompressionPlan(**cfg.to_rust_config())


def _logging_config(api_config: Any) -> Any:
    """``settings.BOLT_LOGGING``, else the first API's ``logging_config``, else None."""
    from django.conf import settings

    from .logconfig import LoggingConfig

    cfg = getattr(settings, "BOLT_LOGGING", None) or api_config
    if cfg is None:
        return None
    if isinstance(cfg, dict):
        cfg = LoggingConfig(**cfg)
    if not isinstance(cfg, LoggingConfig):
        raise TypeError(f"BOLT_LOGGING must be a LoggingConfig or a dict, not {type(cfg).__name__}")
    return cfg


def _path_pattern(path: str) -> str:
    """A regex for a route path: ``{name}`` one segment, ``{name:path}`` the rest."""
    out = []
    for part in re.split(r"(\{[^}]*\})", path):
        if part.startswith("{") and part.endswith("}"):
            out.append(".+" if part.endswith(":path}") else "[^/]+")
        else:
            out.append(re.escape(part))
    return "".join(out)


def _access_is_default() -> bool:
    """Whether ``django_bolt.access`` writes only through the stderr handler ``apply_log_level``
    gave it, as it gave it: no project handler, filter, formatter, clock or stream instead, so
    Rust's line (src/app/access.rs) is the same bytes logging would write to fd 2."""
    import time

    from .discovery import DEFAULT_HANDLERS

    default = DEFAULT_HANDLERS.get(access_log.name)
    if default is None or access_log.propagate or access_log.filters or access_log.handlers != [default[0]]:
        return False
    handler, formatter = default
    if type(handler) is not logging.StreamHandler or handler.filters or handler.level > logging.INFO:
        return False
    if handler.formatter is not formatter or type(formatter) is not logging.Formatter:
        return False
    if formatter.converter is not time.localtime or formatter.datefmt is not None or handler.terminator != "\n":
        return False
    if (formatter.default_time_format, formatter.default_msec_format) != ("%Y-%m-%d %H:%M:%S", "%s,%03d"):
        return False
    if logging.getLogRecordFactory() is not logging.LogRecord or logging.getLevelName(logging.INFO) != "INFO":
        return False
    try:
        return handler.stream is sys.stderr and sys.stderr.fileno() == 2
    except (AttributeError, OSError, ValueError):
        return False


def _seconds(settings: Any, name: str, default: float) -> float:
    value = getattr(settings, name, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise TypeError(f"{name} must be a number of seconds (0 or more), got {value!r}")
    return float(value)


def _technical_500(exc: BaseException, method: str, path: str) -> bytes:
    from django.test import RequestFactory
    from django.views.debug import technical_500_response

    req = RequestFactory().generic(method, path)
    resp = technical_500_response(req, type(exc), exc, exc.__traceback__)
    return resp.content


def boot(config_json: str) -> Runtime:
    """Sets up Django and the app in this interpreter; returns its ``Runtime``.

    ``config_json`` is a ``WorkerBoot`` (options.py) that the main interpreter wrote."""
    cfg = WorkerBoot.from_json(config_json)
    sys.path[:] = cfg.sys_path
    for function, argument in cfg.preload:
        # Before Django: a single-file app configures Django when its script is imported.
        module, _, name = function.partition(":")
        getattr(importlib.import_module(module), name)(argument)
    if os.environ.get("PYTHONPERFSUPPORT") and hasattr(sys, "activate_stack_trampoline"):
        # `perf` sees Python functions in this worker too (the variable reaches only the main
        # interpreter by itself).
        sys.activate_stack_trampoline("perf")
    from .discovery import apply_log_level, discover_apis, load_routes

    routes = load_routes(cfg.settings)
    apply_log_level(cfg.log_level)
    rt = Runtime(
        routes,
        cfg.blocking_threads,
        cfg.blocking_threshold_ms / 1000,
        django=cfg.django,
        port=cfg.port,
        apis=discover_apis(),
        blocking_queue=cfg.blocking_queue,
        request_timeout=cfg.request_timeout,
    )
    if cfg.db_table_fd >= 0:
        from . import _native

        rt.lifecycle.watch.attach(cfg.db_table_fd, _native.interp_id())
    # Everything imported so far (Django, the app) lives as long as the interpreter: move it out
    # of the collector's generations so full collections stop re-scanning it on every request
    # burst (gc.freeze, Python >= 3.7).
    import gc

    gc.collect()
    gc.freeze()
    return rt


__all__ = ["Runtime", "boot", "RequestValidationError"]
