"""Serializer routes over the demo's Person, written as django-bolt's serializer docs write
them. Served in-process by the tests here and, copied as ``people/api.py`` into a copy of the
demo, by a real ``bolt`` (test_server.py)."""

from __future__ import annotations

from typing import Annotated

from django_bolt import BoltAPI
from django_bolt.serializers import (
    Email,
    Meta,
    PositiveInt,
    Serializer,
    computed_field,
    create_serializer,
    field,
    field_validator,
    model_validator,
)
from people.models import Person

api = BoltAPI(prefix="/ser")


class PersonCreate(Serializer):
    name: Annotated[str, Meta(min_length=2, max_length=100)]
    email: Email
    age: PositiveInt
    password: str = field(write_only=True, default="")

    @field_validator("name")
    def strip_name(cls, value):
        return value.strip()

    @field_validator("email")
    def check_domain(cls, value):
        if value.lower().endswith("@blocked.example"):
            raise ValueError("Email domain not allowed")
        return value.lower()


class PersonOut(Serializer):
    id: int
    name: str
    email: str
    age: int
    is_active: bool = True

    class Config:
        field_sets = {"list": ["id", "name"], "detail": ["id", "name", "email", "age", "is_active"]}

    @computed_field
    def display(self) -> str:
        return f"{self.name} <{self.email}>"


PersonList = PersonOut.fields("list")
PersonModelSerializer = create_serializer(Person, fields=["id", "name", "email", "age", "is_active"])


class Signup(Serializer):
    username: str
    password: str
    password_confirm: str = field(write_only=True)

    @model_validator
    def passwords_match(self):
        if self.password != self.password_confirm:
            raise ValueError("Passwords don't match")

    class Config:
        write_only = {"password"}


class Member(Serializer):
    name: str
    email: str

    @field_validator("email")
    def must_have_at(cls, value):
        if "@" not in value:
            raise ValueError("Invalid email")
        return value


class Team(Serializer):
    name: str
    members: list[Member]


@api.post("/people", status_code=201)
async def create_person(data: PersonCreate) -> PersonOut:
    person = await Person.objects.acreate(name=data.name, email=data.email, age=data.age)
    return await PersonOut.afrom_model(person)


@api.post("/people/check")
async def check_person(data: PersonCreate) -> PersonCreate:
    """Validates without saving; the password (write-only) is never echoed."""
    return data


@api.get("/people/{person_id}")
async def get_person(person_id: int) -> PersonOut:
    return PersonOut.from_model(await Person.objects.aget(id=person_id))


@api.get("/people")
async def list_people() -> list[PersonList]:
    return await PersonList.afrom_models(Person.objects.order_by("id")[:3])


@api.get("/model-people/{person_id}")
async def get_model_person(person_id: int) -> PersonModelSerializer:
    return PersonModelSerializer.from_model(await Person.objects.aget(id=person_id))


@api.get("/people-untyped/{person_id}")
async def get_person_untyped(person_id: int):
    """No declared type: the instance is written through its dump()."""
    return PersonOut.from_model(await Person.objects.aget(id=person_id))


@api.post("/signup")
async def signup(data: Signup) -> dict:
    return {"username": data.username, "dump": data.dump()}


@api.post("/teams")
async def create_team(data: Team) -> Team:
    return data
