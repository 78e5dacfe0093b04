"""A core's threads for sync work its event loop awaits (not public API).

Each core has two executors, both pinned to the core with the worker thread that starts them:

* ``blocking``: ``blocking=True`` handlers, ``sync_to_async(thread_sensitive=False)``,
  ``run_in_executor(None, ...)`` and ``/ready``'s checks, on up to ``--blocking-threads`` threads;
* ``sync``: ``SyncThread``, the one thread where thread-sensitive work runs (Django's async ORM).

``submit`` returns an asyncio future of the core's loop rather than a ``concurrent.futures``
one, so ``loop.run_in_executor`` hands it back as is (``asyncio.wrap_future`` passes asyncio
futures through) and the thread completes it with one ``call_soon_threadsafe``. With
``ThreadPoolExecutor`` the same hand-off cost a concurrent future (a ``Condition``), an idle
semaphore and a chain of callbacks between the two futures: about 200k instructions per await,
a sixth of a 10-row ORM query.
"""

from __future__ import annotations

import asyncio
import collections
import contextvars
import logging
import queue
import select
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

_STOP = object()
# The longest a finished job's result waits for the jobs queued behind it (see CoreThreads._work).
FLUSH_AFTER = 0.002
log = logging.getLogger("django_bolt")
# poll() bits meaning the peer closed or reset the connection (POLLRDHUP: it sent FIN, which an
# HTTP/1.1 client waiting for its response does only when it gave up).
_GONE = select.POLLRDHUP | select.POLLHUP | select.POLLERR


class PoolFull(Exception):
    """``CoreThreads.admit`` refused a call: its queue is full (or the core is shutting down)."""

    def __init__(self, shutting_down: bool = False) -> None:
        super().__init__("shutting down" if shutting_down else "queue full")
        self.shutting_down = shutting_down


class Dropped(Exception):
    """A queued call that never ran: its client had gone, or the core began shutting down."""


def client_gone(fd: int) -> bool:
    """Whether the peer of socket ``fd`` has closed or reset the connection (never blocks)."""
    p = select.poll()
    p.register(fd, select.POLLIN | select.POLLRDHUP)
    try:
        events = p.poll(0)
    except OSError:
        return True
    return any(ev & _GONE for _, ev in events)


def _run_logged(fn: Any, args: tuple) -> None:
    try:
        fn(*args)
    except Exception:
        log.exception("%s failed", getattr(fn, "__qualname__", fn))


def _complete(batch: list) -> None:
    for setter, fut, value in batch:
        setter(fut, value)


def _set_result(fut: asyncio.Future, value: Any) -> None:
    # Done already: cancelled, or answered without it (``--request-timeout``).
    if not fut.done():
        fut.set_result(value)


def _set_exception(fut: asyncio.Future, exc: BaseException) -> None:
    if not fut.done():
        fut.set_exception(exc)


class CoreThreads(ThreadPoolExecutor):
    """Up to ``max_workers`` threads running jobs for ``loop``; ``submit`` returns an asyncio
    future of that loop. A ``ThreadPoolExecutor`` only in name, which
    ``loop.set_default_executor`` requires; none of its machinery is used."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, max_workers: int, name: str, max_queued: int | None = None
    ) -> None:
        super().__init__(max_workers, thread_name_prefix=name)
        #: Calls ``admit`` lets wait for a thread at most (None: unbounded).
        self.max_queued = max_queued
        #: Admitted calls dropped before they ran (client gone, or shutdown), for tests and logs.
        self.dropped = 0
        self._draining = False
        self._loop = loop
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._idle = 0  # free threads minus jobs queued for them, under _lock
        self._deferred: collections.deque = collections.deque()
        self._workers: list[threading.Thread] = []
        self._closed = False

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> asyncio.Future:
        if self._closed:
            raise RuntimeError("cannot schedule new futures after shutdown")
        fut = self._loop.create_future()
        self._enqueue(fut, fn, args, kwargs)
        return fut

    def backlog(self) -> int:
        """Calls waiting for a thread (none while a thread is free)."""
        with self._lock:
            free_or_startable = self._idle + (self._max_workers - len(self._workers))
        return max(0, -free_or_startable)

    def admit(self, fn: Any, fd: int = -1) -> asyncio.Future:
        """``submit(fn)`` for a request's handler, bounded: raises ``PoolFull`` at once when
        ``max_queued`` calls already wait for a thread (or the core is shutting down). When a
        thread takes the call, it first checks socket ``fd`` (-1: none): if the client has gone,
        or the future is done already (its request timed out), the call is dropped, not run."""
        if self._draining:
            raise PoolFull(shutting_down=True)
        fut = self._loop.create_future()
        with self._lock:
            if self.max_queued is not None:
                waiting = -(self._idle + (self._max_workers - len(self._workers)))
                if waiting >= self.max_queued:
                    raise PoolFull()
        self._enqueue(fut, fn, (), {}, fd)
        return fut

    def _enqueue(self, fut: asyncio.Future | None, fn: Any, args: tuple, kwargs: dict, fd: int | None = None) -> None:
        with self._lock:
            if fut is None and self._idle <= 0 and self._workers:
                # Every thread is busy: a thread runs this after its current job, without a
                # wake-up (and the thread switch it costs) of its own.
                self._deferred.append((fn, args))
                return
            self._jobs.put((fut, fn, args, kwargs, fd))
            # Start a thread only when none is free for this job, up to the bound.
            start = self._idle <= 0 and len(self._workers) < self._max_workers
            if start:
                t = threading.Thread(target=self._work, name=f"{self._thread_name_prefix}_{len(self._workers)}")
                self._workers.append(t)
            else:
                self._idle -= 1  # that free thread is spoken for
        if start:
            t.start()

    def _work(self) -> None:
        # Completions go back to the loop in batches: while more jobs are queued (and for at
        # most FLUSH_AFTER seconds), this thread runs on without waking the loop, whose thread
        # would only contend for the GIL, a context switch each time, on one core.
        jobs, loop = self._jobs, self._loop
        batch: list = []
        batch_since = 0.0
        # The last job took longer than FLUSH_AFTER: a slow handler. Its result goes back now,
        # not after the next job (which would delay every queued slow call's response by one
        # call: 2-second calls were answered after 4 s). A fast result can still wait behind a
        # slow job that follows it on the same thread; the thread cannot know in advance.
        slow = False
        while True:
            if batch and (slow or jobs.empty() or time.monotonic() - batch_since > FLUSH_AFTER):
                try:
                    loop.call_soon_threadsafe(_complete, batch)
                except RuntimeError:
                    pass  # the loop is closed: nobody awaits these any more
                batch = []
            item = jobs.get()
            if item is _STOP:
                return
            fut, fn, args, kwargs, fd = item
            if fut is None:  # fire and forget (``run_plain``): nobody awaits it, nothing to wake
                _run_logged(fn, args)
            elif fd is not None and (fut.done() or (fd >= 0 and client_gone(fd))):
                # An admitted request's call that nobody waits for any more: its client closed
                # the connection while it was queued, or it timed out (fut cancelled).
                self.dropped += 1
                if not batch:
                    batch_since = time.monotonic()
                batch.append((_set_exception, fut, Dropped()))
            else:
                began = time.monotonic()
                try:
                    done = (_set_result, fut, fn(*args, **kwargs))
                except BaseException as exc:  # noqa: BLE001 - every outcome goes back to the awaiting task
                    done = (_set_exception, fut, exc)
                now = time.monotonic()
                slow = now - began > FLUSH_AFTER
                if not batch:
                    batch_since = now
                batch.append(done)
                del done
            del item, fut, fn, args, kwargs, fd
            while True:
                with self._lock:
                    if not self._deferred:
                        self._idle += 1
                        break
                    deferred = self._deferred.popleft()
                _run_logged(*deferred)

    def drain(self) -> int:
        """Shutdown begins: refuses new admissions and fails every call still waiting for a
        thread with ``Dropped`` (their requests answer 503 at once instead of running after
        the drain deadline). Runs on the loop's thread. Returns how many were dropped."""
        self._draining = True
        n = 0
        kept = []
        while True:
            try:
                item = self._jobs.get_nowait()
            except queue.Empty:
                break
            fut = item[0] if item is not _STOP else None
            if fut is None:
                kept.append(item)  # a stop, or fire-and-forget housekeeping: still runs
                continue
            # Its claim on a thread goes back (see _enqueue), or the count of free threads stays
            # short by one for ever.
            with self._lock:
                self._idle += 1
            n += 1
            if not fut.done():
                fut.set_exception(Dropped())
        for item in kept:
            self._jobs.put(item)
        self.dropped += n
        return n

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False, timeout: float | None = None) -> bool:
        """Stops the threads; with ``wait``, joins them for at most ``timeout`` seconds (None: no
        limit). Returns whether every thread has ended: one still running a call past the
        timeout is left to it (a Python thread cannot be stopped from outside)."""
        with self._lock:
            self._closed = True
            workers = list(self._workers)
        if cancel_futures:
            while True:
                try:
                    item = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if item is not _STOP and item[0] is not None:
                    item[0].cancel()
        for _ in workers:
            self._jobs.put(_STOP)
        if not wait:
            return not any(t.is_alive() for t in workers)
        deadline = None if timeout is None else time.monotonic() + timeout
        for t in workers:
            t.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        return not any(t.is_alive() for t in workers)

    def started(self) -> int:
        """Threads started so far."""
        return len(self._workers)

    def run_plain(self, fn: Any, /, *args: Any) -> None:
        """Runs ``fn(*args)`` on these threads without a future to await (errors are logged):
        at once on a free thread, else after a busy thread's current job."""
        self._enqueue(None, fn, args, {})


# True in a request's context once it has run work on the core's thread-sensitive thread.
_on_sync_thread: contextvars.ContextVar[bool] = contextvars.ContextVar("django_bolt.on_sync_thread")


class SyncThread(CoreThreads):
    """The one thread of a core where thread-sensitive sync code runs.

    asgiref's ``sync_to_async`` (``thread_sensitive=True``, what Django's async ORM uses) finds
    it through ``AsyncToSync.loop_thread_executors[loop]``, so every core's ORM work stays on one
    thread owned by the core's interpreter, keeping that thread's database connection, and never
    on the reactor. Waits queue here instead of deadlocking.

    Requests interleave on this thread (each await is a chance for another one), so Django's
    per-request housekeeping follows the thread's busy periods: the first request to arrive on
    an idle thread begins it, the last one to end closes what is old, and in between a request
    that ends only replaces a broken connection (``Lifecycle.end(shared=True)``).
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, lifecycle: Any) -> None:
        super().__init__(loop, 1, "bolt-sync")
        self._lifecycle = lifecycle
        self._active = 0  # requests that ran work here and have not ended; touched only here

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> asyncio.Future:
        if not _on_sync_thread.get(False):
            # Runs in the submitting request's own context (Rust gives each request one).
            _on_sync_thread.set(True)
            return super().submit(self._begin_then, fn, *args, **kwargs)
        return super().submit(fn, *args, **kwargs)

    def _begin_then(self, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        self._active += 1
        # The project's receivers hear async requests on the worker thread (Lifecycle).
        self._lifecycle.begin(shared=self._active > 1, notify=False)
        return fn(*args, **kwargs)

    def _end(self) -> None:
        self._active -= 1
        self._lifecycle.end(shared=self._active > 0, notify=False)

    def end_request(self, context: contextvars.Context) -> None:
        """Queues the end of the request whose context this is, if it ran work here (does not
        wait for it)."""
        if context.get(_on_sync_thread, False):
            self.run_plain(self._end)

    def close(self, timeout: float | None = None) -> bool:
        """Closes this thread's database connections and stops the thread (at shutdown),
        waiting at most ``timeout`` seconds; whether it has ended."""
        from django.db import connections

        if self._workers:  # never started: nothing to close, and no thread to start now
            self.run_plain(connections.close_all)
        return self.shutdown(wait=True, timeout=timeout)


class CallingThread:
    """The test client's stand-in for ``SyncThread``: thread-sensitive work (Django's async ORM,
    ``sync_to_async``'s default) runs on the thread that called the client, between turns of
    the loop, so a handler uses the test's own database connection and sees the rows of the
    test's transaction.

    Jobs run between turns of the loop, so no event loop is running on the thread (the client
    sets the test's own aside for the request: Django refuses sync database work under a
    running loop), and with asgiref's thread-locals put back afterwards, so an
    ``async_to_sync`` of the test's own is not sent to this loop afterwards. An
    ``async_to_sync`` *inside* such a job (asgiref's ``WsgiToAsgi`` sends its response that way)
    would wait for this loop on the one thread that turns it: while a job runs, such a call turns
    the loop itself until its coroutine is done (``_turn_until_done``).
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._jobs: collections.deque = collections.deque()
        #: ``Runtime.pump``: turns the loop once (set by the runtime).
        self.pump: Any = None
        #: The thread running jobs now (None between them).
        self._thread: int | None = None

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> asyncio.Future:
        fut = self._loop.create_future()
        self._jobs.append((fut, fn, args, kwargs))
        return fut

    def run_pending(self) -> bool:
        """Runs every queued job on this thread; whether there was any."""
        if not self._jobs:
            return False
        from asgiref.sync import SyncToAsync

        local = SyncToAsync.threadlocal
        saved = dict(vars(local))
        loop = self._loop
        self._thread = threading.get_ident()
        # asgiref's AsyncToSync hands its coroutine to the loop with call_soon_threadsafe, then
        # blocks until it is done. Only while jobs run, and only on this thread, that call turns
        # the loop here instead (an instance attribute: the loop's class is left alone).
        loop.call_soon_threadsafe = self._call_soon_threadsafe  # type: ignore[method-assign]
        try:
            self._run_jobs()
        finally:
            del loop.call_soon_threadsafe
            self._thread = None
            vars(local).clear()
            vars(local).update(saved)
        return True

    def _run_jobs(self) -> None:
        while self._jobs:
            fut, fn, args, kwargs = self._jobs.popleft()
            try:
                value = fn(*args, **kwargs)
            except BaseException as exc:  # noqa: BLE001 - every outcome goes back to the awaiting task
                _set_exception(fut, exc)
            else:
                _set_result(fut, value)
            del fut, fn, args, kwargs

    def _call_soon_threadsafe(self, callback: Any, *args: Any, context: contextvars.Context | None = None) -> Any:
        loop = self._loop
        if threading.get_ident() != self._thread or callback != loop.create_task or self.pump is None:
            return type(loop).call_soon_threadsafe(loop, callback, *args, context=context)
        task = loop.create_task(*args) if context is None else context.run(loop.create_task, *args)
        self._turn_until_done(task)
        return None

    def _turn_until_done(self, task: asyncio.Future) -> None:
        """Turns the loop (and runs the jobs its tasks queue for this thread) until ``task`` is
        done, sleeping on the loop's fd when it has nothing ready, as the client itself does."""
        from asgiref.sync import SyncToAsync

        local = SyncToAsync.threadlocal
        fd = self._loop._selector.fileno()  # type: ignore[attr-defined]  # noqa: SLF001
        while not task.done():
            wait = self.pump()
            if task.done():
                return
            if self._jobs:
                # A job started here sets asgiref's thread-locals: the waiting job keeps its own.
                saved = dict(vars(local))
                try:
                    self._run_jobs()
                finally:
                    vars(local).clear()
                    vars(local).update(saved)
                continue
            if wait != 0:
                select.select([fd], [], [], 0.05 if wait < 0 else min(wait, 0.05))

    def end_request(self, context: contextvars.Context) -> None:
        """Nothing to end: the test owns this thread's connections."""

    def close(self, timeout: float | None = None) -> bool:
        for fut, *_ in self._jobs:
            fut.cancel()
        self._jobs.clear()
        return True
