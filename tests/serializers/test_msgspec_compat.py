"""``from django_bolt.compat import msgspec``: django-bolt docs examples written for msgspec run
with only that import changed (docs_api.py), through the test client; and the module's own
spellings (json.encode/decode, convert, to_builtins, structs, Meta, UNSET)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated

import pytest

from django_bolt.compat import msgspec
from django_bolt.testing import TestClient


@pytest.fixture(scope="module")
def docs_client(demo_apis):
    from . import docs_api

    with TestClient(docs_api.api, raise_server_exceptions=False) as client:
        yield client


def test_constraints_on_parameters(docs_client):
    assert docs_client.get("/docs/articles?page=2&code=XYZ").json() == {"page": 2, "code": "XYZ"}
    r = docs_client.get("/docs/articles?page=0&code=xy")
    assert r.status_code == 422
    assert sorted(e["loc"][-1] for e in r.json()["detail"]) == ["code", "page"]


def test_struct_body(docs_client):
    r = docs_client.post("/docs/users", json={"username": "ann", "email": "a@b.c"})
    assert r.json() == {"username": "ann"}
    r = docs_client.post("/docs/users", json={"email": "a@b.c"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "username"]


def test_form_models(docs_client):
    r = docs_client.post("/docs/login", data={"username": "ann", "password": "pw", "remember_me": "true"})
    assert r.json() == {"username": "ann", "remember": True}
    assert docs_client.post("/docs/register", data={"username": "ann", "email": "e", "password": "p"}).json() == {
        "username": "ann"
    }
    r = docs_client.post("/docs/register", data={"username": "an", "email": "e", "password": "p"})
    assert r.status_code == 422
    (err,) = r.json()["detail"]
    assert err["msg"] == "Value error, Username must be at least 3 characters"
    assert err["loc"][-1] == "username"


def test_quickstart_serializers(docs_client):
    assert docs_client.get("/docs/missions?status=active&limit=5").json() == {"status": "active", "limit": 5}
    assert docs_client.get("/docs/missions").json() == {"status": None, "limit": 10}
    assert docs_client.get("/docs/missions?limit=500").status_code == 422
    r = docs_client.post("/docs/missions", json={"name": "Apollo", "launch_date": "2030-01-02T03:04:05Z"})
    assert r.json() == {"name": "Apollo", "launch_date": "2030-01-02T03:04:05+00:00", "status": "planned"}
    r = docs_client.post("/docs/missions", json={"name": "test flight"})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "name"]
    r = docs_client.post("/docs/missions/7/astronauts", data={"name": "Sally", "role": "Pilot"})
    assert r.json() == {"name": "Sally", "role": "Pilot", "mission": 7}
    r = docs_client.post("/docs/missions/7/astronauts", data={"name": "Sally", "role": "Cook"})
    assert r.status_code == 422 and "Role must be one of" in r.json()["detail"][0]["msg"]


class Item(msgspec.Struct, gc=False):
    name: str
    price: Annotated[float, msgspec.Meta(gt=0, examples=[9.5], title="Price")]
    tags: list[str] = msgspec.field(default_factory=list)
    at: dt.datetime | None = None


def test_json_encode_decode_and_validation_error():
    item = msgspec.json.decode(b'{"name": "pen", "price": 1.5}', type=Item)
    assert item == Item(name="pen", price=1.5)
    assert json.loads(msgspec.json.encode(item)) == {"name": "pen", "price": 1.5, "tags": [], "at": None}
    assert msgspec.json.Decoder(Item).decode(b'{"name": "a", "price": 2}').price == 2.0
    assert msgspec.json.Encoder().encode([1, "a"]) == b'[1,"a"]'
    with pytest.raises(msgspec.ValidationError) as e:
        msgspec.json.decode(b'{"name": "pen", "price": -1}', type=Item)
    assert e.value.errors[0]["loc"] == ["price"]
    # ValidationError is a DecodeError (a ValueError) as in msgspec.
    assert issubclass(msgspec.ValidationError, msgspec.DecodeError)


def test_convert_to_builtins_and_structs():
    at = dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    item = msgspec.convert({"name": "a", "price": 3, "at": "2030-01-02T03:04:05Z"}, Item)
    assert item.at == at and item.price == 3.0
    assert msgspec.to_builtins(item) == {"name": "a", "price": 3.0, "tags": [], "at": "2030-01-02T03:04:05+00:00"}

    class Obj:
        name, price = "o", 1.0

    assert msgspec.convert(Obj(), Item, from_attributes=True) == Item(name="o", price=1.0)
    assert msgspec.structs.asdict(item)["name"] == "a"
    assert msgspec.structs.replace(item, name="b").name == "b"
    assert msgspec.structs.astuple(Item(name="x", price=1.0)) == ("x", 1.0, [], None)


class Patch(msgspec.Struct, omit_defaults=False):
    name: str | msgspec.UnsetType = msgspec.UNSET
    note: str | None | msgspec.UnsetType = msgspec.UNSET
    age: int = 0


def test_unset_fields_tell_absent_from_null():
    assert msgspec.UNSET is msgspec.UnsetType() and not msgspec.UNSET and repr(msgspec.UNSET) == "UNSET"
    p = msgspec.json.decode(b'{"note": null}', type=Patch)
    assert p.name is msgspec.UNSET and p.note is None and p.age == 0
    # UNSET fields are left out of the JSON; None and other defaults are written.
    assert msgspec.json.encode(p) == b'{"note":null,"age":0}'
    assert msgspec.json.encode(Patch(name="n")) == b'{"name":"n","age":0}'
    assert json.loads(msgspec.json.encode([Patch()])) == [{"age": 0}]
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(b'{"name": 5}', type=Patch)


def test_unset_in_a_route(docs_client):
    r = docs_client.patch("/docs/profile", json={"bio": None})
    assert r.json() == {"changed": ["bio"], "echo": {"bio": None}}
    r = docs_client.patch("/docs/profile", json={"name": "Ann"})
    assert r.json() == {"changed": ["name"], "echo": {"name": "Ann"}}
    assert docs_client.patch("/docs/profile", json={"name": 3}).status_code == 422


def test_refused_options():
    with pytest.raises(TypeError, match="array_like"):

        class Row(msgspec.Struct, array_like=True):
            a: int
