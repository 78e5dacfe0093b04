"""Real ``msgspec.Struct`` classes (django-bolt 0.13's models) as bodies and return types, through
the in-process test client: planned like dataclasses, validated and encoded by the Rust codec.
They load only where msgspec does: the test client's main interpreter, or ``--isolation process``
(test_process.py serves the same shapes over a socket)."""

from __future__ import annotations

import msgspec
import pytest

from django_bolt import BoltAPI
from django_bolt.struct import is_msgspec_struct
from django_bolt.testing import TestClient


class Tag(msgspec.Struct):
    label: str


class Item(msgspec.Struct, rename="camel"):
    item_name: str
    price: float
    tags: list[Tag] = msgspec.field(default_factory=list)
    note: str | None = None


@pytest.fixture(scope="module")
def client(demo_apis):
    api = BoltAPI()

    @api.post("/items")
    async def create(item: Item) -> Item:
        return item

    @api.get("/items/{n}")
    def one(n: int) -> Item:
        return Item(item_name=f"n{n}", price=1.5, tags=[Tag("a")])

    with TestClient(api) as c:
        yield c


def test_only_real_msgspec_structs_are_recognised():
    from django_bolt import Struct

    class Ours(Struct):
        x: int

    assert is_msgspec_struct(Item) and not is_msgspec_struct(Ours) and not is_msgspec_struct(dict)


def test_body_is_decoded_into_the_struct_and_encoded_back_with_its_names(client):
    r = client.post("/items", json={"itemName": "pen", "price": 2, "tags": [{"label": "x"}]})
    assert r.status_code == 200
    assert r.json() == {"itemName": "pen", "price": 2.0, "tags": [{"label": "x"}], "note": None}


def test_missing_and_mistyped_fields_are_422_at_their_place(client):
    r = client.post("/items", json={"itemName": "pen"})
    assert r.status_code == 422
    assert [d["loc"] for d in r.json()["detail"]] == [["body", "price"]]
    r = client.post("/items", json={"itemName": "pen", "price": 1, "tags": [{"label": 3}]})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "tags", 0, "label"]


def test_a_returned_struct_is_encoded(client):
    assert client.get("/items/3").json() == {"itemName": "n3", "price": 1.5, "tags": [{"label": "a"}], "note": None}
