"""Django's per-request database housekeeping, seen from inside a handler (tests/django_integration/test_db_lifecycle.py).

Each ``/db/conn/...`` route runs a query and answers which physical database connection it used,
on which thread: ``serial`` numbers every connection this interpreter opens (a
``connection_created`` receiver stores it on the connection's ``DatabaseWrapper``; ``id()`` of
closed objects gets reused), and on PostgreSQL ``pid`` is the server's backend process
(``pg_backend_pid()``). With ``CONN_MAX_AGE=0`` each request shows a new one; with a number,
the same one until it is that old; after the server drops it, a new one.

``DEMO_SIGNAL_RECEIVERS=1`` connects receivers of the project's own to ``request_started`` and
``request_finished`` (so bolt sends the real signals instead of its fast path); they count their
calls per thread, and ``/db/signals`` returns the counts. Served under /db (collected from
demo/api.py, which imports this module).
"""

from __future__ import annotations

import itertools
import os
import threading

from asgiref.sync import sync_to_async
from django.core.signals import request_finished, request_started
from django.db import connection
from django.db.backends.signals import connection_created

from django_bolt import BoltAPI
from people.models import Person

dbcheck = BoltAPI(prefix="/db")

_serials = itertools.count(1)


def _number_connection(sender, connection, **kwargs) -> None:
    connection.demo_serial = next(_serials)


connection_created.connect(_number_connection, dispatch_uid="demo.dbcheck.serial")


def _identity() -> dict:
    """The connection this thread's request uses: a real query on it, then who it is."""
    people = Person.objects.filter(pk__lte=3).count()
    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()" if connection.vendor == "postgresql" else "SELECT NULL")
        (pid,) = cur.fetchone()
    return {
        "serial": connection.demo_serial,
        "pid": pid,
        "vendor": connection.vendor,
        "people": people,
        "thread": threading.current_thread().name,
    }


# blocking=False: always on the worker thread, even when a loaded machine makes a new
# PostgreSQL connection slow enough to move an automatic handler to the pool.
@dbcheck.get("/conn/inline", blocking=False)
def conn_inline() -> dict:
    """A ``def`` handler, run inline on the worker thread."""
    return _identity()


@dbcheck.get("/conn/blocking", blocking=True)
def conn_blocking() -> dict:
    """A ``def`` handler on the core's blocking pool."""
    return _identity()


@dbcheck.get("/conn/async")
async def conn_async() -> dict:
    """An ``async def`` handler: the async ORM, then sync code through ``sync_to_async``
    (thread-sensitive), both on the core's thread-sensitive thread."""
    people = await Person.objects.filter(pk__lte=3).acount()
    return {**await sync_to_async(_identity)(), "people_async": people}


# --- the project's own request signal receivers (DEMO_SIGNAL_RECEIVERS=1) --------------------------

SIGNAL_RECEIVERS = os.environ.get("DEMO_SIGNAL_RECEIVERS", "").strip().lower() in {"1", "true", "yes", "on"}
_calls: dict[str, dict[str, int]] = {}
_senders: set[str] = set()
_lock = threading.Lock()


def _count(kind: str, sender) -> None:
    with _lock:
        per_thread = _calls.setdefault(threading.current_thread().name, {"started": 0, "finished": 0})
        per_thread[kind] += 1
        _senders.add(getattr(sender, "__name__", repr(sender)))


def on_request_started(sender, **kwargs) -> None:
    _count("started", sender)


def on_request_finished(sender, **kwargs) -> None:
    _count("finished", sender)


if SIGNAL_RECEIVERS:
    request_started.connect(on_request_started, dispatch_uid="demo.dbcheck.started")
    request_finished.connect(on_request_finished, dispatch_uid="demo.dbcheck.finished")


@dbcheck.get("/signals")
def signals() -> dict:
    """The receivers' calls so far per thread (this request has started, not finished yet)."""
    with _lock:
        return {
            "connected": SIGNAL_RECEIVERS,
            "thread": threading.current_thread().name,
            "calls": {name: dict(c) for name, c in _calls.items()},
            "senders": sorted(_senders),
        }
