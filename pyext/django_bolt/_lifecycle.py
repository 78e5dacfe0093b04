"""Django's per-request housekeeping for API routes (not public API).

Django's handlers send ``request_started`` and ``request_finished`` around every request; their
receivers clear the query log, close database connections that are past ``CONN_MAX_AGE`` or
broken, and close cache connections. API routes get the same, on the thread whose connections
the request used:

* a ``def`` handler run inline: the worker thread, around the call;
* a ``def`` handler on the blocking pool: that pool thread, around the call;
* an ``async def`` handler: the core's thread-sensitive thread (where Django's async ORM runs),
  see ``_worker.SyncThread`` for how requests that interleave there share it.

Sending the two signals costs about 28 µs a request here, more than a whole ``/hello``, so
Django's own receivers' work is done directly, and only on threads that hold a database
connection (a ``connection_created`` receiver tells). Receivers a project connects itself are
called once per request, with ``sender=BoltHandler``, as ``Signal.send`` would call them: on the
thread that ran a ``def`` handler, and on the worker thread for an ``async def`` one (before
it starts and after it ends, whether or not it ever ran work on another thread).
"""

from __future__ import annotations

import threading
import time
from typing import Any

from ._dbwatch import Watch

#: Seconds between two checks of one connection when requests begin (see _close_if_broken).
RECHECK_AFTER = 0.1


class BoltHandler:
    """The ``sender`` of the request signals for API routes."""


class Lifecycle:
    """Begins and ends a request on the current thread (see the module docstring)."""

    def __init__(self, worker_ident: int, *, watch_connections: bool = True) -> None:
        from django.core import signals
        from django.core.cache import close_caches
        from django.core.handlers.base import reset_urlconf
        from django.db import close_old_connections, reset_queries
        from django.db.backends.signals import connection_created

        self._started = signals.request_started
        self._finished = signals.request_finished
        self._close_caches = close_caches if _caches_need_closing() else None
        # Django's own receivers; their work is done directly below. ``reset_urlconf`` undoes a
        # middleware's ``request.urlconf``, which API routes never set.
        self._django = {reset_queries, close_old_connections, close_caches, reset_urlconf}
        self._counts: tuple[int, int] = (-1, -1)
        self._project: dict[Any, tuple[list, list]] = {}
        self._tls = threading.local()
        self._worker_ident = worker_ident
        #: This core's open connections, checked without a query (django_bolt._dbwatch).
        self.watch = Watch(worker_ident)
        #: ``[True]`` while the worker thread holds a database connection (or the project has
        #: receivers of its own); Rust reads it to skip the housekeeping of inline handlers that
        #: cannot have used one.
        self.worker_has_db = [False]
        #: ``[True]`` when the project has receivers of its own (Rust then calls ``started``
        #: and ``finished`` around ``async def`` handlers too).
        self.project_receivers = [False]
        if not watch_connections:
            self._refresh()
            return
        connection_created.connect(self._on_connect, weak=False, dispatch_uid="django_bolt.lifecycle")
        from django.db import connections

        for conn in connections.all(initialized_only=True):  # opened at start-up, on this thread
            if conn.connection is not None:
                self._on_connect(type(conn), connection=conn)
        self._refresh()

    def _on_connect(self, sender: Any, connection: Any = None, **kwargs: Any) -> None:
        if connection is not None and getattr(connection, "bolt_probe", False):
            return  # /ready's own short-lived connection (health.check_database)
        # This thread's connection wrappers, kept here: ``connections.all()`` costs about 4 µs
        # a call (asgiref's Local), the work on them about 2.
        wrappers = self._tls.__dict__.setdefault("wrappers", [])
        if connection is not None:
            self.watch.opened(connection)
        if connection is not None and all(w is not connection for w in wrappers):
            wrappers.append(connection)
        self._tls.db = True
        if threading.get_ident() == self._worker_ident:
            self.worker_has_db[0] = True

    def _refresh(self) -> None:
        """The project's own receivers of both signals, looked up again when their count changes."""
        counts = (len(self._started.receivers), len(self._finished.receivers))
        if counts == self._counts:
            return
        self._counts = counts
        for sig in (self._started, self._finished):
            # Django >= 5.0: (sync receivers, async receivers) that listen to this sender.
            sync, asynchronous = sig._live_receivers(BoltHandler)  # noqa: SLF001
            self._project[sig] = ([r for r in sync if r not in self._django], list(asynchronous))
        self.project_receivers[0] = any(s or a for s, a in self._project.values())
        if self.project_receivers[0]:
            self.worker_has_db[0] = True

    def _notify(self, sig: Any) -> None:
        self._refresh()
        sync, asynchronous = self._project[sig]
        for receiver in sync:
            receiver(signal=sig, sender=BoltHandler)
        if asynchronous:
            import asyncio

            from asgiref.sync import async_to_sync

            async def gather() -> None:
                await asyncio.gather(*(r(signal=sig, sender=BoltHandler) for r in asynchronous))

            async_to_sync(gather)()

    def started(self) -> None:
        """The project's ``request_started`` receivers (for an ``async def`` handler)."""
        self._notify(self._started)

    def finished(self) -> None:
        """The project's ``request_finished`` receivers (for an ``async def`` handler)."""
        self._notify(self._finished)

    def begin(self, shared: bool = False, notify: bool = True) -> None:
        """``request_started`` on this thread (``shared``: see ``end``; ``notify``: call the
        project's receivers too)."""
        if getattr(self._tls, "db", False):
            for conn in self._tls.wrappers:
                # Dropped by the server or its file replaced: closed now, so this request opens
                # a new one instead of failing on it (one poll or stat, no query).
                self._close_if_broken(conn, throttle=True)
                if not shared:
                    conn.queries_log.clear()
                    conn.close_if_unusable_or_obsolete()
                    if conn.connection is None:
                        self.watch.closed(conn)
        if notify:
            self._notify(self._started)

    def repair(self) -> None:
        """Closes this thread's broken connections (``/ready`` asks each of the core's threads,
        so a core that gets no traffic replaces them too); the next request opens new ones."""
        if getattr(self._tls, "db", False):
            for conn in self._tls.wrappers:
                self._close_if_broken(conn)

    def _close_if_broken(self, conn: Any, throttle: bool = False) -> None:
        """Closes ``conn`` when its socket or file says it is broken. ``throttle`` (a request
        beginning): at most once per ``RECHECK_AFTER`` seconds per connection, as a ``poll`` or
        ``stat`` costs several µs where system calls are slow; a connection that breaks in
        between fails one query, and ``end`` replaces it."""
        if conn.connection is None:
            return
        found = self.watch.get(conn)
        if found is None or conn.in_atomic_block:
            return
        if throttle:
            now = time.monotonic()
            if now - found.checked_at < RECHECK_AFTER:
                return
            found.checked_at = now
        if found.broken():
            conn.close()
            self.watch.closed(conn)

    def end(self, shared: bool = False, notify: bool = True) -> None:
        """``request_finished`` on this thread. ``shared``: other requests still use this thread
        (the core's thread-sensitive thread), so a broken connection is replaced now, but one
        that is merely old stays open under them (an async iteration may hold a cursor on it)
        until the thread is idle."""
        if getattr(self._tls, "db", False):
            still_open = False
            for conn in self._tls.wrappers:
                if conn.errors_occurred:
                    # A query failed: Django asks is_usable (always true on SQLite) below.
                    self._close_if_broken(conn)
                if not shared:
                    conn.close_if_unusable_or_obsolete()
                elif conn.connection is not None and conn.errors_occurred and not conn.is_usable():
                    conn.close()
                if conn.connection is None:
                    self.watch.closed(conn)
                still_open = still_open or conn.connection is not None
            if not shared and self._close_caches is not None:
                self._close_caches()
            if not still_open:
                self._tls.db = False
                if threading.get_ident() == self._worker_ident and not self.project_receivers[0]:
                    self.worker_has_db[0] = False
        if notify:
            self._notify(self._finished)

    def around(self, fn: Any) -> Any:
        """``fn`` wrapped so it runs as one whole request on the thread that calls it."""

        def request() -> Any:
            self.begin()
            try:
                return fn()
            finally:
                self.end()

        return request


class TestLifecycle(Lifecycle):
    """A test client's requests, as Django's test client handles them: the project's own
    ``request_started``/``request_finished`` receivers are called, but no connection is closed,
    aged out or has its query log cleared (the test's transaction and ``assertNumQueries`` live
    on that connection), and no thread is watched for connections."""

    def __init__(self) -> None:
        super().__init__(threading.get_ident(), watch_connections=False)

    def begin(self, shared: bool = False, notify: bool = True) -> None:
        if notify:
            self._notify(self._started)

    def end(self, shared: bool = False, notify: bool = True) -> None:
        if notify:
            self._notify(self._finished)


def _caches_need_closing() -> bool:
    """Whether any configured cache backend does something on ``close()`` (memcached, Redis);
    Django's local-memory, file, database and dummy caches do nothing, and then the ~5 µs of
    ``close_caches`` per request are skipped."""
    from django.conf import settings
    from django.core.cache.backends.base import BaseCache
    from django.utils.module_loading import import_string

    for config in getattr(settings, "CACHES", {}).values():
        try:
            backend = import_string(config["BACKEND"])
        except Exception:  # noqa: BLE001 - an unknown backend: assume it needs closing
            return True
        if getattr(backend, "close", BaseCache.close) is not BaseCache.close:
            return True
    return False
