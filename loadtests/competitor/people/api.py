"""The five load-test endpoints in django-bolt 0.13's own API.

The handlers mirror examples/demo/demo/api.py line for line (same sync/async
choice, same values), written the way django-bolt documents them: a
msgspec.Struct for the JSON body, a plain sync handler for the ORM read
(django-bolt detects the ORM use and runs it off the event loop), logging and
compression off so nothing but the handler work is on the hot path.
"""
from typing import Annotated

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


# POST /orders: a nested body with constraints, validated on decode (msgspec on this side).
class Line(msgspec.Struct):
    sku: Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{3}-\d+$")]
    qty: Annotated[int, msgspec.Meta(ge=1, le=1000)]
    price: Annotated[float, msgspec.Meta(gt=0)]


class Address(msgspec.Struct):
    street: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    city: str
    zip: Annotated[str, msgspec.Meta(max_length=10)]
    country: Annotated[str, msgspec.Meta(min_length=2, max_length=2)]


class Order(msgspec.Struct):
    id: int
    customer: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    email: str
    paid: bool
    total: Annotated[float, msgspec.Meta(ge=0)]
    note: str | None = None
    tags: list[str] = []
    ship_to: Address | None = None
    lines: list[Line] = []


@api.post("/orders")
async def create_order(order: Order) -> Order:
    return order
