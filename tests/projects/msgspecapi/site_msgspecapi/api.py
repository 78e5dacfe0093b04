# A django-bolt 0.13 style api.py, unmodified: its body and response types are real
# msgspec.Struct classes. msgspec refuses own-GIL sub-interpreters, so this project serves only
# under `bolt --isolation process` (tests/process).
import msgspec

from django_bolt import BoltAPI

api = BoltAPI()


class Item(msgspec.Struct):
    name: str
    price: float
    tags: list[str] = []


@api.post("/items")
async def create_item(item: Item) -> Item:
    return item


@api.get("/items/{item_id}")
async def get_item(item_id: int) -> Item:
    return Item(name=f"n{item_id}", price=1.5)
