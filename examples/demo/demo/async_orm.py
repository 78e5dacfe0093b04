"""Django's async API in handlers: the async ORM, sync_to_async/async_to_sync and the async auth
helper, each on every request and under concurrency. Served under /orm (collected from
demo/api.py, which imports this module)."""

from __future__ import annotations

import asyncio
import contextvars
import threading
from typing import Annotated

from asgiref.sync import async_to_sync, sync_to_async
from django.db import connection

from django_bolt import BoltAPI, Meta, NotFound, Query, Request, Struct
from django_bolt.auth import JWTAuthentication
from people.models import Person

orm = BoltAPI(prefix="/orm")

FIELDS = ("id", "name", "email", "age", "is_active")


@orm.get("/iter")
async def iterate() -> list:
    """Django's documented idiom: ``async for`` over a QuerySet."""
    return [p async for p in Person.objects.values(*FIELDS)[:10]]


@orm.get("/aiterator")
async def aiterator() -> list:
    return [p.name async for p in Person.objects.order_by("id")[:5].aiterator(chunk_size=2)]


@orm.get("/people/{id}", response_model={200: dict, 404: NotFound})
async def aget(id: int) -> dict:
    try:
        p = await Person.objects.aget(pk=id)
    except Person.DoesNotExist:
        raise NotFound(f"no person {id}") from None
    return {"id": p.id, "name": p.name}


@orm.get("/first")
async def afirst(prefix: str = "Person") -> dict:
    p = await Person.objects.filter(name__startswith=prefix).order_by("id").afirst()
    return {"name": p.name if p else None}


@orm.get("/count")
async def acount(prefix: str = "Person") -> dict:
    return {"count": await Person.objects.filter(name__startswith=prefix).acount()}


@orm.get("/exists")
async def aexists(name: str) -> dict:
    return {"exists": await Person.objects.filter(name=name).aexists()}


#: What people.Person's columns hold (a PositiveSmallIntegerField; a CharField(max_length=100)):
#: anything else is a 422, not a database error.
Age = Annotated[int, Meta(ge=0, le=32767)]


class NewPerson(Struct):
    name: Annotated[str, Meta(max_length=100)]
    email: str
    age: Age


@orm.post("/people", status_code=201)
async def acreate(person: NewPerson) -> dict:
    p = await Person.objects.acreate(name=person.name, email=person.email, age=person.age)
    return {"id": p.id}


@orm.patch("/people/{id}/age", response_model={200: dict, 404: NotFound})
async def aupdate(id: int, age: Annotated[int, Query(ge=0, le=32767)]) -> dict:
    """``QuerySet.aupdate``; then ``Model.asave`` on a fetched row, read back."""
    updated = await Person.objects.filter(pk=id).aupdate(age=age)
    if not updated:
        raise NotFound(f"no person {id}")
    p = await Person.objects.aget(pk=id)
    p.email = f"age-{age}@example.com"
    await p.asave(update_fields=["email"])
    fresh = await Person.objects.aget(pk=id)
    return {"updated": updated, "age": fresh.age, "email": fresh.email}


@orm.delete("/people/{id}")
async def adelete(id: int) -> dict:
    deleted, _ = await Person.objects.filter(pk=id).adelete()
    return {"deleted": deleted}


def _where() -> dict:
    """What a sync function sees of its thread: its name and its database connection."""
    count = Person.objects.filter(pk__lte=3).count()
    return {"thread": threading.current_thread().name, "count": count}


@orm.get("/sync-to-async")
async def sync_to_async_route(sensitive: bool = True) -> dict:
    return await sync_to_async(_where, thread_sensitive=sensitive)()


async def _names(n: int) -> list:
    return [p.name async for p in Person.objects.order_by("id")[:n]]


@orm.get("/async-to-sync")
def async_to_sync_route(n: Annotated[int, Query(ge=0, le=1000)] = 3) -> dict:
    """A ``def`` handler calling async code: its thread-sensitive parts come back to this thread."""
    names = async_to_sync(_names)(n)
    return {"names": names, "thread": threading.current_thread().name}


@orm.get("/me", auth=[JWTAuthentication()])
async def me(request: Request) -> dict:
    """Django's async auth helper: the user the token names, loaded through the async path."""
    user = await request.auser()
    return {"username": getattr(user, "username", None), "authenticated": bool(user.is_authenticated)}


def _connection_id() -> dict:
    """The identity of the database connection this thread uses now (opened if needed)."""
    connection.ensure_connection()
    return {"connection": id(connection.connection), "thread": threading.current_thread().name}


@orm.get("/connection")
async def async_connection() -> dict:
    """Which connection the core's thread-sensitive thread holds during this request."""
    return await sync_to_async(_connection_id)()


@orm.get("/connection/sync")
def sync_connection() -> dict:
    """Which connection the worker thread holds during this inline ``def`` request."""
    return _connection_id()


@orm.get("/slow", include_in_schema=False)
async def slow(n: int = 3_000_000) -> dict:
    """A query that keeps SQLite busy (and the GIL released) for a while."""

    def count() -> int:
        with connection.cursor() as cur:
            cur.execute(
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < %s) SELECT count(*) FROM c",
                [n],
            )
            return cur.fetchone()[0]

    return {"rows": await sync_to_async(count)()}


_probe: contextvars.ContextVar[str] = contextvars.ContextVar("demo_probe")


@orm.get("/context")
async def context_probe(mark: str, suspend: bool = False) -> dict:
    """What this request sees of a context variable the previous request set: each request has
    its own context, so always nothing."""
    before = _probe.get(None)
    _probe.set(mark)
    if suspend:
        await asyncio.sleep(0.005)
    return {"before": before, "after": _probe.get(None)}


@orm.get("/context/sync")
def context_probe_sync(mark: str) -> dict:
    before = _probe.get(None)
    _probe.set(mark)
    return {"before": before, "after": _probe.get(None)}


_seen_in_thread: contextvars.ContextVar[str] = contextvars.ContextVar("demo_seen_in_thread")


def _set_in_thread(value: str) -> str:
    _seen_in_thread.set(value)
    return threading.current_thread().name


@orm.get("/context/back")
async def context_back(value: str) -> dict:
    """A context variable set by sync code run through sync_to_async is seen by its caller
    afterwards (asgiref copies the changes back)."""
    thread = await sync_to_async(_set_in_thread)(value)
    return {"thread": thread, "seen": _seen_in_thread.get(None)}


def _count_through_async_to_sync() -> int:
    return async_to_sync(Person.objects.filter(name__startswith="Person 3").acount)()


@orm.get("/nested")
async def nested() -> dict:
    """sync_to_async -> async_to_sync -> the async ORM again: the innermost sync work goes back to
    the thread that is waiting (asgiref's rule), so nothing deadlocks."""
    return {"count": await sync_to_async(_count_through_async_to_sync)()}


def _reraise() -> None:
    raise  # noqa: PLE0704 - re-raises the caller's exception, as asgiref promises


@orm.get("/in-except")
async def in_except() -> dict:
    """sync_to_async called inside an except block runs the function inside it too."""
    try:
        raise LookupError("the outer one")
    except LookupError:
        try:
            await sync_to_async(_reraise)()
        except LookupError as e:
            return {"reraised": str(e)}
    return {"reraised": None}
