"""The five load-test endpoints in django-bolt 0.13's own API.

The handlers mirror examples/demo/demo/api.py line for line (same sync/async
choice, same values), written the way django-bolt documents them: a
msgspec.Struct for the JSON body, a plain sync handler for the ORM read
(django-bolt detects the ORM use and runs it off the event loop), logging and
compression off so nothing but the handler work is on the hot path.
"""
import msgspec

from django_bolt import BoltAPI

from people.models import Person

api = BoltAPI(enable_logging=False, compression=False)


class Item(msgspec.Struct):
    name: str
    price: float
    tags: list[str] = []


@api.get("/hello")
async def hello() -> dict:
    return {"message": "Hello, World!"}


@api.get("/items/{id}")
async def get_item(id: int, q: str | None = None) -> dict:
    return {"id": id, "q": q}


@api.post("/items")
async def create_item(item: Item) -> Item:
    return item


@api.get("/users")
def users() -> list:
    return list(Person.objects.order_by("id").values("id", "name", "email", "age", "is_active")[:10])


@api.get("/big")
async def big() -> list:
    return [
        {"id": i, "name": f"item {i}", "price": i * 1.25, "in_stock": i % 3 != 0, "qty": i * 7 % 100}
        for i in range(1000)
    ]
