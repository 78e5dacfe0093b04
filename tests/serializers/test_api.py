"""Serializers in handlers, through the test client: bodies decoded in Rust into the class with
validator failures as 422 entries at their fields, responses written through the output plan
(computed fields in, write-only fields out), Django model helpers over the demo's Person with
the async ORM."""

from __future__ import annotations

import asyncio
import json

import pytest

from django_bolt.schema import plan_for


def post(client, path, payload):
    return client.post(path, content=json.dumps(payload), headers={"content-type": "application/json"})


def test_body_is_decoded_and_validated_and_write_only_is_not_echoed(ser_client):
    r = post(
        ser_client,
        "/ser/people/check",
        {"name": "  Ann  ", "email": "ANN@Example.com", "age": 30, "password": "s3cret"},
    )
    assert r.status_code == 200, r.text
    # Validators transformed the values; the write-only password is not in the output.
    assert r.json() == {"name": "Ann", "email": "ann@example.com", "age": 30}


def test_constraint_and_validator_failures_are_422s_at_their_fields(ser_client):
    r = post(ser_client, "/ser/people/check", {"name": "A", "email": "not-an-email", "age": 0})
    assert r.status_code == 422
    locs = sorted(tuple(e["loc"]) for e in r.json()["detail"])
    assert locs == [("body", "age"), ("body", "email"), ("body", "name")]
    # Types and constraints pass, the field validator refuses: its message at its field.
    r = post(ser_client, "/ser/people/check", {"name": "Ann", "email": "ann@blocked.example", "age": 3})
    assert r.status_code == 422
    assert r.json()["detail"] == [
        {
            "type": "value_error",
            "loc": ["body", "email"],
            "msg": "Value error, Email domain not allowed",
            "input": "ann@blocked.example",
        }
    ]


def test_model_validator_failure_is_at_the_body(ser_client):
    r = post(ser_client, "/ser/signup", {"username": "u", "password": "a", "password_confirm": "b"})
    assert r.status_code == 422
    (err,) = r.json()["detail"]
    assert err["loc"] == ["body"] and err["msg"] == "Value error, Passwords don't match"
    r = post(ser_client, "/ser/signup", {"username": "u", "password": "a", "password_confirm": "a"})
    assert r.status_code == 200
    assert r.json() == {"username": "u", "dump": {"username": "u"}}


def test_nested_validator_errors_carry_the_container_path(ser_client):
    body = {"name": "t", "members": [{"name": "a", "email": "a@x.io"}, {"name": "b", "email": "nope"}]}
    r = post(ser_client, "/ser/teams", body)
    assert r.status_code == 422
    assert [e["loc"] for e in r.json()["detail"]] == [["body", "members", 1, "email"]]
    body["members"][1]["email"] = "b@x.io"
    assert post(ser_client, "/ser/teams", body).json() == body


def test_response_has_computed_fields(ser_client, example):
    from people.models import Person

    p = Person.objects.order_by("id").first()
    r = ser_client.get(f"/ser/people/{p.id}")
    assert r.status_code == 200
    assert r.json() == {
        "id": p.id,
        "name": p.name,
        "email": p.email,
        "age": p.age,
        "is_active": p.is_active,
        "display": f"{p.name} <{p.email}>",
    }
    # Untyped: the encoder meets the instance and writes its dump().
    assert ser_client.get(f"/ser/people-untyped/{p.id}").json() == r.json()


def test_field_set_subset_list_from_a_queryset(ser_client):
    from people.models import Person

    want = [{"id": p.id, "name": p.name} for p in Person.objects.order_by("id")[:3]]
    assert ser_client.get("/ser/people").json() == want


def test_create_serializer_from_the_model(ser_client, example):
    from people.models import Person

    S = example.PersonModelSerializer
    assert S.__struct_fields__ == ("id", "name", "email", "age", "is_active")
    p = Person.objects.order_by("id").first()
    assert ser_client.get(f"/ser/model-people/{p.id}").json() == {
        "id": p.id,
        "name": p.name,
        "email": p.email,
        "age": p.age,
        "is_active": p.is_active,
    }
    # The model's max_length is a constraint; PositiveSmallIntegerField's bounds too.
    with pytest.raises(Exception) as e:
        S.model_validate({"name": "x" * 101, "email": "a@b.c", "age": -1})
    assert sorted(tuple(err["loc"]) for err in e.value.errors) == [("body", "age"), ("body", "name")]
    assert S.model_validate({"name": "x", "email": "a@b.c", "age": 1}).is_active is True


def test_afrom_model_and_friends_with_the_async_orm(example):
    from people.models import Person

    async def main():
        p = await Person.objects.order_by("id").afirst()
        out = await example.PersonOut.afrom_model(p)
        rows = await example.PersonList.afrom_models(Person.objects.order_by("id")[:2])
        ids = [i async for i in Person.objects.order_by("id").values_list("id", flat=True)[:2]]
        return p, out, rows, ids

    p, out, rows, ids = asyncio.run(main())
    assert (out.id, out.name, out.display()) == (p.id, p.name, f"{p.name} <{p.email}>")
    assert [r.id for r in rows] == ids and type(rows[0]) is example.PersonList
    created = example.PersonModelSerializer(name="Zed", email="zed@x.io", age=4)
    unsaved = created.to_model(Person)
    assert (unsaved.pk, unsaved.name, unsaved.is_active) == (None, "Zed", True)
    updated = example.PersonCreate(name="Zoe", email="zoe@x.io", age=5).update_instance(
        Person(name="a", email="b", age=1)
    )
    assert (updated.name, updated.email, updated.age) == ("Zoe", "zoe@x.io", 5)


def test_output_plan_differs_only_when_needed(example):
    # A Serializer without computed/write-only fields is encoded along its own plan.
    assert plan_for(example.PersonOut, output=True) is not plan_for(example.PersonOut)
    assert example.Member.__bolt_output_type__() is example.Member
    out = example.PersonOut.__bolt_output_type__()
    assert out is not example.PersonOut
    assert set(out.__struct_encode_fields__.values()) == {"id", "name", "email", "age", "is_active", "display"}
