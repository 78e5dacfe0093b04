"""The API this suite tests: the demo's Person model through every kind of handler."""

from __future__ import annotations

from django_bolt import BoltAPI, NotFound
from people.models import Person

api = BoltAPI(prefix="/people")


def _row(p: Person) -> dict:
    return {"id": p.id, "name": p.name}


@api.get("/sync/{id}")
def get_sync(id: int) -> dict:
    try:
        return _row(Person.objects.get(id=id))
    except Person.DoesNotExist:
        raise NotFound(f"no person {id}") from None


@api.get("/blocking/{id}", blocking=True)
def get_blocking(id: int) -> dict:
    return _row(Person.objects.get(id=id))


@api.get("/async/{id}")
async def get_async(id: int) -> dict:
    return _row(await Person.objects.aget(id=id))


@api.get("/async-for")
async def names(prefix: str) -> list:
    return [p.name async for p in Person.objects.filter(name__startswith=prefix).order_by("id")]


@api.post("/async", status_code=201)
async def create(name: str, age: int) -> dict:
    return _row(await Person.objects.acreate(name=name, email=f"{name}@example.com", age=age))


@api.get("/broken")
def broken() -> dict:
    raise LookupError("the handler's own error")
