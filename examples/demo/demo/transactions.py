"""Transactions from handlers (tests/django_integration/test_transactions.py), on SQLite and on
PostgreSQL: ``transaction.atomic`` rolled back by an exception, and ``select_for_update`` inside
``atomic`` from a ``def`` handler and from an ``async def`` one (through ``sync_to_async``, on
the core's thread-sensitive thread). Served under /tx (collected from demo/api.py, which
imports this module).

``/tx/people/{id}/bump?hold_ms=N`` is a read-modify-write of ``age``: it locks the row, reads
it, waits ``hold_ms`` (so concurrent requests would overlap), then writes ``age + 1``. Without
the row lock concurrent bumps would lose updates on PostgreSQL; with it, each one waits for the
previous one's commit. (SQLite has no row locks: Django leaves ``FOR UPDATE`` out there.)
"""

from __future__ import annotations

import threading
import time
from typing import Annotated

from asgiref.sync import sync_to_async
from django.db import transaction

from django_bolt import BoltAPI, Conflict, NotFound, Query
from people.models import Person

tx = BoltAPI(prefix="/tx")

HoldMs = Annotated[int, Query(ge=0, le=5000)]


class Rollback(Exception):
    """What the failing handlers raise inside ``atomic`` (a 500)."""


def _create_then(name: str, fail: str) -> dict:
    """Creates a person inside ``atomic``, then fails as ``fail`` says: ``error`` (an
    exception, a 500), ``http`` (a 409, raised inside the block) or ``no`` (commits)."""
    with transaction.atomic():
        p = Person.objects.create(name=name, email="tx@example.com", age=1)
        if fail == "error":
            raise Rollback(f"rolled back {name}")
        if fail == "http":
            raise Conflict(f"rolled back {name}")
    return {"id": p.id}


@tx.post("/atomic", include_in_schema=False)
def atomic_sync(name: str, fail: str = "error") -> dict:
    return _create_then(name, fail)


@tx.post("/atomic/async", include_in_schema=False)
async def atomic_async(name: str, fail: str = "error") -> dict:
    return await sync_to_async(_create_then)(name, fail)


def _bump(id: int, hold_ms: int) -> dict:
    with transaction.atomic():
        try:
            p = Person.objects.select_for_update().get(pk=id)
        except Person.DoesNotExist:
            raise NotFound(f"no person {id}") from None
        if hold_ms:
            time.sleep(hold_ms / 1000)
        p.age += 1
        p.save(update_fields=["age"])
    return {"age": p.age, "thread": threading.current_thread().name}


# blocking=False: stays on the worker thread even when a call is slow (hold_ms), so the
# tests see the inline path.
@tx.post("/people/{id}/bump", blocking=False, include_in_schema=False)
def bump_sync(id: int, hold_ms: HoldMs = 0) -> dict:
    return _bump(id, hold_ms)


@tx.post("/people/{id}/bump/blocking", blocking=True, include_in_schema=False)
def bump_blocking(id: int, hold_ms: HoldMs = 0) -> dict:
    return _bump(id, hold_ms)


@tx.post("/people/{id}/bump/async", include_in_schema=False)
async def bump_async(id: int, hold_ms: HoldMs = 0) -> dict:
    return await sync_to_async(_bump)(id, hold_ms)
