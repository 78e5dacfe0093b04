"""``field()`` options, ``Config``, ``from_model`` sources and the errors ``model_validate``
reports for validators."""

from __future__ import annotations

import types
from typing import Literal

import pytest

from django_bolt.exceptions import RequestValidationError
from django_bolt.json import encode
from django_bolt.serializers import Serializer, computed_field, field, field_validator


class Account(Serializer, rename="camel"):
    user_id: int = field(read_only=True, default=0)
    display_name: str = field(alias="name", source="profile.nick")
    password: str = field(write_only=True, default="")
    internal: str = field(exclude=True, default="x")
    tags: list[str] = field(default_factory=list)

    @field_validator("display_name")
    def no_admin(cls, value):
        if value == "admin":
            raise ValueError("reserved")
        return value


def test_options_shape_input_and_output():
    a = Account(display_name="Ann", password="pw", user_id=3)
    assert a.tags == [] and Account(display_name="B").tags is not a.tags
    assert a.dump() == {"userId": 3, "displayName": "Ann", "tags": []}
    assert a.dump(by_alias=True) == {"userId": 3, "name": "Ann", "tags": []}
    # Responses: the same fields as dump(), under their JSON names.
    assert encode(a, type=Account) == b'{"userId":3,"displayName":"Ann","tags":[]}'
    assert Account.__read_only_fields__ == {"user_id"} and Account.__write_only_fields__ == {"password"}
    # Input takes the JSON names; the write-only field is accepted there.
    b = Account.model_validate({"displayName": "Bo", "password": "s"})
    assert (b.display_name, b.password, b.user_id) == ("Bo", "s", 0)


def test_model_validate_reports_validator_failures_at_the_field():
    with pytest.raises(RequestValidationError) as e:
        Account.model_validate({"displayName": "admin"})
    assert e.value.errors == [
        {"type": "value_error", "loc": ["body", "displayName"], "msg": "Value error, reserved", "input": "admin"}
    ]


def test_from_model_reads_sources_and_skips_absent_defaults():
    row = types.SimpleNamespace(user_id=9, profile=types.SimpleNamespace(nick="Nick"))
    a = Account.from_model(row)
    assert (a.user_id, a.display_name, a.password, a.tags) == (9, "Nick", "", [])


def test_unknown_names_are_refused_when_the_class_is_made():
    with pytest.raises(TypeError, match="names no field"):

        class A(Serializer):
            x: int

            @field_validator("y")
            def v(cls, value):
                return value

    with pytest.raises(TypeError, match="no field"):

        class B(Serializer):
            x: int

            class Config:
                write_only = {"y"}


class Member(Serializer):
    name: str
    secret: str = field(write_only=True, default="")

    @computed_field
    def initial(self) -> str:
        return self.name[:1]


class Team(Serializer):
    members: list[Member]


def test_nested_output_types_in_a_typed_response():
    t = Team(members=[Member(name="Ann", secret="s")])
    assert encode(t, type=Team) == b'{"members":[{"name":"Ann","initial":"A"}]}'
    assert encode({"team": t}) == b'{"team":{"members":[{"name":"Ann","initial":"A"}]}}'
    assert t.dump() == {"members": [{"name": "Ann", "initial": "A"}]}


def test_frozen_serializer_validators_still_transform():
    class F(Serializer, frozen=True):
        name: str

        @field_validator("name")
        def up(cls, value):
            return value.upper()

    f = F(name="a")
    assert f.name == "A"
    with pytest.raises(AttributeError):
        f.name = "b"


def test_user_post_init_runs_after_validators():
    seen = []

    class P(Serializer):
        name: str

        @field_validator("name")
        def strip(cls, value):
            return value.strip()

        def __post_init__(self):
            seen.append(self.name)

    P(name=" x ")
    assert seen == ["x"]


def test_config_model_fields_make_the_fields(demo_apis):
    from people.models import Person

    class PersonSerializer(Serializer):
        name: str  # declared here: wins over the model's Annotated[str, max_length]

        class Config:
            model = Person
            fields = ["id", "name", "email", "age", "is_active"]
            read_only_fields = ["id"]

        @computed_field
        def adult(self) -> bool:
            return self.age >= 18

    assert PersonSerializer.__struct_fields__ == ("name", "id", "email", "age", "is_active")
    assert PersonSerializer.__read_only_fields__ == {"id"}
    p = Person.objects.order_by("id").first()
    s = PersonSerializer.from_model(p)
    assert s.dump() == {
        "name": p.name,
        "id": p.id,
        "email": p.email,
        "age": p.age,
        "is_active": p.is_active,
        "adult": p.age >= 18,
    }
    with pytest.raises(RequestValidationError) as e:
        PersonSerializer.model_validate({"name": "x", "email": "a@b.c", "age": -1})
    assert [err["loc"] for err in e.value.errors] == [["body", "age"]]  # PositiveSmallIntegerField: ge=0

    class WithoutEmail(Serializer):
        class Config:
            model = Person
            exclude = ["email"]

    assert WithoutEmail.__struct_fields__ == ("id", "name", "age", "is_active")
    with pytest.raises(ValueError, match="no fields"):

        class Bad(Serializer):
            class Config:
                model = Person
                fields = ["nope"]


def test_literal_choices_are_checked_on_direct_construction():
    class Article(Serializer):
        title: str
        status: Literal["draft", "published"]
        level: Literal[1, 2, 3] | None = None

    assert Article(title="t", status="draft").status == "draft"
    with pytest.raises(RequestValidationError) as e:
        Article(title="t", status="archived", level=7)
    assert [(err["loc"], err["msg"]) for err in e.value.errors] == [
        (["body", "status"], "Value error, Input should be 'draft' or 'published'"),
        (["body", "level"], "Value error, Input should be 1 or 2 or 3 or None"),
    ]
