"""Bounded error logs: a failing route under load writes lines per interval, not per request.

Installed in every worker interpreter on every logging handler the project configured
(``install``). A warning or error that repeats one already written in the last
``settings.BOLT_LOG_REPEAT_INTERVAL`` seconds (10 by default; 0 turns this off) is counted
instead of written; when the interval ends, one line says how many were held back:

    ERROR django.request: Internal Server Error: GET /boom
    Traceback (most recent call last): ...
    ERROR django.request: Internal Server Error: GET /boom [and 5237 more like it in 10 s]

"Repeats" means: the same logger, level and message template (before its arguments are
filled in) and, for records with a traceback, the same exception type raised along the same
lines of code, so the same failure on ``/users/1`` and ``/users/2`` is one. Records below
WARNING, and the per-request logs (``django_bolt.access``, the request log), are never held
back: they are what their owner turned on.

``django.security.DisallowedHost`` (a client sent a ``Host`` outside ALLOWED_HOSTS, which any
scanner does) is written as one line at WARNING without the traceback Django attaches, and
counted like the rest.
"""

from __future__ import annotations

import heapq
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

__all__ = ["Repeats", "install"]

#: Beyond this many distinct failures in one interval, new ones are grouped by logger and level
#: alone (a bound on memory, whatever varies between them).
_MAX_KEYS = 1000
#: Frames of a traceback that make up its key.
_MAX_FRAMES = 64
_MARK = "_bolt_repeat"


def _traceback_key(exc_info: Any) -> tuple | None:
    if not exc_info or exc_info[0] is None:
        return None
    frames = []
    tb = exc_info[2]
    while tb is not None and len(frames) < _MAX_FRAMES:
        frames.append((tb.tb_frame.f_code, tb.tb_lineno))
        tb = tb.tb_next
    return (exc_info[0], tuple(frames))


def _key(record: logging.LogRecord) -> tuple:
    if record.name.startswith("django.security."):
        # One kind of security event is one line per interval whatever the client sent (the
        # message names the hostile value, which varies).
        return (record.name, record.levelno)
    # Django's "%s: %s" (reason, path) serves every 4xx and 5xx: its status tells them apart.
    status = getattr(record, "status_code", None)
    return (record.name, record.levelno, str(record.msg), status, _traceback_key(record.exc_info))


class _Held:
    __slots__ = ("first", "count")

    def __init__(self, first: logging.LogRecord) -> None:
        self.first = first
        self.count = 0


class _Later:
    """Runs functions at their time on one thread of this interpreter, started on first use.

    Not the core's asyncio loop: it turns only while a handler awaits on it, and a failing
    ``def`` route never does."""

    def __init__(self) -> None:
        self._cv = threading.Condition()
        self._due: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = 0
        self._thread: threading.Thread | None = None
        self._closed = False

    def __call__(self, delay: float, fn: Callable[[], None]) -> None:
        with self._cv:
            if self._closed:
                return
            heapq.heappush(self._due, (time.monotonic() + delay, self._seq, fn))
            self._seq += 1
            if self._thread is None:
                # Not a daemon: isolated interpreters refuse those; close() joins it.
                self._thread = threading.Thread(target=self._run, name="bolt-log-repeats")
                self._thread.start()
            self._cv.notify()

    def _run(self) -> None:
        with self._cv:
            while not self._closed:
                if not self._due:
                    self._cv.wait()
                    continue
                wait = self._due[0][0] - time.monotonic()
                if wait > 0:
                    self._cv.wait(wait)
                    continue
                _, _, fn = heapq.heappop(self._due)
                self._cv.release()
                try:
                    fn()
                except Exception:  # noqa: BLE001 - a failing handler must not stop the counts
                    pass
                finally:
                    self._cv.acquire()

    def close(self) -> None:
        with self._cv:
            self._closed = True
            self._due.clear()
            self._cv.notify()
            thread = self._thread
        if thread is not None:
            thread.join()


class Repeats(logging.Filter):
    """A handler filter that writes a repeated warning or error once per interval, then its
    count (see the module docstring)."""

    def __init__(self, interval: float, exempt: set[str]) -> None:
        super().__init__()
        self.interval = interval
        self._exempt = exempt
        self._lock = threading.Lock()
        self._held: dict[tuple, _Held] = {}
        self._later = _Later()

    def filter(self, record: logging.LogRecord) -> bool:
        # One record can reach several handlers that all carry this filter: decide once.
        decided = record.__dict__.get(_MARK)
        if decided is None:
            decided = self._decide(record)
            record.__dict__[_MARK] = decided
        return decided

    def _decide(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING or record.name in self._exempt:
            return True
        key = _key(record)
        with self._lock:
            if len(self._held) >= _MAX_KEYS and key not in self._held:
                key = (record.name, record.levelno)
            held = self._held.get(key)
            if held is not None:
                held.count += 1
                return False
            self._held[key] = _Held(record)
        self._later(self.interval, lambda: self._release(key))
        return True

    def _release(self, key: tuple) -> None:
        with self._lock:
            held = self._held.pop(key, None)
        if held is None or held.count == 0:
            return
        first = held.first
        summary = logging.LogRecord(
            first.name,
            first.levelno,
            first.pathname,
            first.lineno,
            "%s [and %d more like it in %g s]",
            (first.getMessage(), held.count, self.interval),
            None,
            first.funcName,
        )
        summary.__dict__[_MARK] = True
        summary.__dict__["repeated"] = held.count
        logging.getLogger(first.name).handle(summary)

    def close(self) -> None:
        """Writes every pending count now and stops the timer thread (at shutdown)."""
        self._later.close()
        with self._lock:
            keys = list(self._held)
        for key in keys:
            self._release(key)


class _OneLineWarning(logging.Filter):
    """``DisallowedHost`` as one line at WARNING: a client's mistake, not the server's error."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.WARNING:
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        return True


def _handlers() -> list[logging.Handler]:
    seen: dict[int, logging.Handler] = {}
    loggers: list[Any] = [logging.getLogger()]
    loggers += [lg for lg in logging.Logger.manager.loggerDict.values() if isinstance(lg, logging.Logger)]
    for lg in loggers:
        for h in lg.handlers:
            seen[id(h)] = h
    if logging.lastResort is not None:
        seen[id(logging.lastResort)] = logging.lastResort
    return list(seen.values())


def install(interval: float, exempt: set[str]) -> Repeats | None:
    """Puts a ``Repeats`` filter on every handler configured now (the project's LOGGING and
    bolt's own) and the ``DisallowedHost`` one on its logger; None when ``interval`` is 0."""
    logging.getLogger("django.security.DisallowedHost").addFilter(_OneLineWarning())
    if interval <= 0:
        return None
    repeats = Repeats(interval, exempt)
    for h in _handlers():
        h.addFilter(repeats)
    return repeats
