"""The examples of django-bolt's serializer documentation (docs/src/topics/serializers.md), run
as written there: only what each prints or comments is turned into an assert."""

from __future__ import annotations

from typing import Annotated

import pytest

from django_bolt.exceptions import RequestValidationError
from django_bolt.serializers import (
    URL,
    Email,
    Meta,
    Serializer,
    Username,
    computed_field,
    field_validator,
    model_validator,
)


def test_basic_usage_to_dict_and_dump():
    class UserSerializer(Serializer):
        username: str
        email: str

    user = UserSerializer(username="alice", email="alice@example.com")
    assert user.username == "alice"
    assert user.to_dict() == {"username": "alice", "email": "alice@example.com"}
    assert user.dump() == {"username": "alice", "email": "alice@example.com"}


def test_dump_options():
    class UserSerializer(Serializer):
        username: str
        email: str | None = None
        role: str = "user"

    user = UserSerializer(username="alice")
    assert user.dump(exclude_none=True) == {"username": "alice", "role": "user"}
    assert user.dump(exclude_defaults=True) == {"username": "alice"}


def test_defaults_and_optional_fields():
    class UserSerializer(Serializer):
        username: str
        email: str = "no-email@example.com"

    assert UserSerializer(username="bob").email == "no-email@example.com"

    class Optional(Serializer):
        username: str
        email: str | None = None

    assert Optional(username="alice").email is None


def test_field_validator_rejects_and_classmethod_form():
    class UserSerializer(Serializer):
        email: str

        @field_validator("email")
        def validate_email(cls, value):
            if "@" not in value:
                raise ValueError("Invalid email")
            return value

    with pytest.raises(RequestValidationError):
        UserSerializer(email="invalid")

    class UserSerializer2(Serializer):
        email: str

        @field_validator("email")
        @classmethod
        def validate_email(cls, value):
            if "@" not in value:
                raise ValueError("Invalid email")
            return value

    with pytest.raises(RequestValidationError):
        UserSerializer2(email="invalid")
    assert UserSerializer2(email="a@b.c").email == "a@b.c"


def test_staticmethod_and_classmethod_model_validator_are_refused():
    with pytest.raises(TypeError):

        class Bad(Serializer):
            email: str

            @field_validator("email")
            @staticmethod
            def v(value):
                return value

    with pytest.raises(TypeError):

        class Bad2(Serializer):
            email: str

            @model_validator
            @classmethod
            def v(cls):
                pass


def test_transforming_values():
    class UserSerializer(Serializer):
        email: str

        @field_validator("email")
        def normalize_email(cls, value):
            return value.lower().strip()

    assert UserSerializer(email="  ALICE@EXAMPLE.COM  ").email == "alice@example.com"


def test_multiple_validators_stop_at_the_first_failure_of_a_field():
    calls = []

    class UserSerializer(Serializer):
        password: str

        @field_validator("password")
        def check_length(cls, value):
            calls.append("length")
            if len(value) < 8:
                raise ValueError("Password too short")
            return value

        @field_validator("password")
        def check_complexity(cls, value):
            calls.append("complexity")
            if not any(c.isupper() for c in value):
                raise ValueError("Password must have uppercase")
            return value

    with pytest.raises(RequestValidationError) as e:
        UserSerializer(password="short")
    assert calls == ["length"]
    assert [err["msg"] for err in e.value.errors()] == ["Value error, Password too short"]
    calls.clear()
    with pytest.raises(RequestValidationError, match="uppercase"):
        UserSerializer(password="longenough")
    assert calls == ["length", "complexity"]
    assert UserSerializer(password="LongEnough").password == "LongEnough"


def test_multi_error_collection():
    class UserSerializer(Serializer):
        email: str
        password: str

        @field_validator("email")
        def validate_email(cls, value):
            if "@" not in value:
                raise ValueError("Invalid email")
            return value

        @field_validator("password")
        def validate_password(cls, value):
            if len(value) < 8:
                raise ValueError("Password too short")
            return value

    with pytest.raises(RequestValidationError) as e:
        UserSerializer(email="invalid", password="short")
    errors = e.value.errors()
    assert [(err["loc"], err["type"]) for err in errors] == [
        (["body", "email"], "value_error"),
        (["body", "password"], "value_error"),
    ]
    # django-bolt writes the message bare; ours has pydantic's prefix like every 422 of ours.
    assert errors[0]["msg"] == "Value error, Invalid email"
    assert errors[1]["msg"] == "Value error, Password too short"


def test_model_validator_and_execution_order():
    class PasswordSerializer(Serializer):
        password: str
        password_confirm: str

        @model_validator
        def check_passwords_match(self):
            if self.password != self.password_confirm:
                raise ValueError("Passwords don't match")

    PasswordSerializer(password="a", password_confirm="a")
    with pytest.raises(RequestValidationError) as e:
        PasswordSerializer(password="a", password_confirm="b")
    assert e.value.errors()[0]["loc"] == ["body"]

    order = []

    class TestSerializer(Serializer):
        value: str

        @field_validator("value")
        def field_val(cls, v):
            order.append("Field validator")
            return v

        @model_validator
        def model_val(self):
            order.append("Model validator")

        @model_validator(mode="before")
        def model_before(self):
            order.append("Model validator (before)")

    TestSerializer(value="test")
    assert order == ["Model validator (before)", "Field validator", "Model validator"]


def test_computed_fields_alias_and_chaining():
    class UserSerializer(Serializer):
        first_name: str
        last_name: str

        @computed_field
        def full_name(self) -> str:
            return f"{self.first_name} {self.last_name}"

        @computed_field(alias="displayName")
        def display_name(self) -> str:
            return f"{self.first_name} {self.last_name}".upper()

    user = UserSerializer(first_name="John", last_name="Doe")
    assert user.dump() == {
        "first_name": "John",
        "last_name": "Doe",
        "full_name": "John Doe",
        "displayName": "JOHN DOE",
    }

    class ProductSerializer(Serializer):
        price: float
        quantity: int

        @computed_field
        def total(self) -> float:
            return self.price * self.quantity

        @computed_field
        def formatted_total(self) -> str:
            return f"${self.total():.2f}"

    assert ProductSerializer(price=2.5, quantity=3).dump()["formatted_total"] == "$7.50"


class _User(Serializer):
    id: int
    name: str
    email: str
    created_at: str
    password: str = ""

    class Config:
        field_sets = {
            "list": ["id", "name", "email"],
            "detail": ["id", "name", "email", "created_at"],
            "minimal": ["id", "name"],
        }


_USER = _User(id=1, name="John", email="john@example.com", created_at="2024-01-01", password="pw")


def test_only_exclude_use_and_chaining():
    assert _User.only("id", "name").dump(_USER) == {"id": 1, "name": "John"}
    assert "password" not in _User.exclude("password").dump(_USER)
    assert _User.use("minimal").dump(_USER) == {"id": 1, "name": "John"}
    assert _User.use("list").dump(_USER) == {"id": 1, "name": "John", "email": "john@example.com"}
    assert _User.only("id", "name", "email").exclude("email").dump(_USER) == {"id": 1, "name": "John"}
    assert _User.only("id", "name").dump_many([_USER, _USER]) == [{"id": 1, "name": "John"}] * 2
    with pytest.raises(ValueError, match="no field"):
        _User.only("nope")


def test_field_selection_with_computed_fields():
    class UserSerializer(Serializer):
        first_name: str
        last_name: str

        @computed_field
        def full_name(self) -> str:
            return f"{self.first_name} {self.last_name}"

    user = UserSerializer(first_name="John", last_name="Doe")
    assert UserSerializer.only("first_name", "full_name").dump(user) == {"first_name": "John", "full_name": "John Doe"}


def test_subset_fields_and_from_parent():
    class UserSerializer(Serializer):
        id: int
        name: str
        email: str
        password: str

        class Config:
            field_sets = {"list": ["id", "name"], "detail": ["id", "name", "email"]}

    UserMini = UserSerializer.subset("id", "name")
    assert UserMini(id=1, name="John").dump() == {"id": 1, "name": "John"}
    assert UserMini.__struct_fields__ == ("id", "name")
    UserListSerializer = UserSerializer.fields("list")
    assert issubclass(UserListSerializer, Serializer)
    assert UserListSerializer.__struct_fields__ == ("id", "name")
    full = UserSerializer(id=1, name="John", email="john@example.com", password="secret")
    assert UserMini.from_parent(full).dump() == {"id": 1, "name": "John"}


def test_write_only_fields():
    class UserCreateSerializer(Serializer):
        email: str
        password: str

        class Config:
            write_only = {"password"}

    user = UserCreateSerializer(email="test@example.com", password="secret123")
    assert user.dump() == {"email": "test@example.com"}
    assert user.to_dict() == {"email": "test@example.com", "password": "secret123"}
    assert b"secret123" not in user.dump_json()


def test_nested_serializers_dump():
    class AddressSerializer(Serializer):
        street: str
        city: str
        zip_code: str

    class UserSerializer(Serializer):
        id: int
        name: str
        address: AddressSerializer

    class TagSerializer(Serializer):
        id: int
        name: str

    class PostSerializer(Serializer):
        id: int
        title: str
        tags: list[TagSerializer]

    address = AddressSerializer(street="123 Main St", city="NYC", zip_code="10001")
    assert UserSerializer(id=1, name="John", address=address).dump() == {
        "id": 1,
        "name": "John",
        "address": {"street": "123 Main St", "city": "NYC", "zip_code": "10001"},
    }
    tags = [TagSerializer(id=1, name="python"), TagSerializer(id=2, name="django")]
    assert PostSerializer(id=1, title="Hello World", tags=tags).dump()["tags"] == [
        {"id": 1, "name": "python"},
        {"id": 2, "name": "django"},
    ]


def test_inheritance_keeps_validators():
    class BaseUserSerializer(Serializer):
        username: str
        email: str

        @field_validator("email")
        def validate_email(cls, value):
            if "@" not in value:
                raise ValueError("Invalid email")
            return value

    class AdminSerializer(BaseUserSerializer):
        is_admin: bool = False

    admin = AdminSerializer(username="alice", email="alice@example.com", is_admin=True)
    assert admin.is_admin is True
    with pytest.raises(RequestValidationError):
        AdminSerializer(username="alice", email="nope")


def test_type_aliases_in_a_serializer():
    class UserSerializer(Serializer):
        username: Username
        email: Email
        website: URL | None = None

    ok = UserSerializer.model_validate({"username": "alice", "email": "a@example.com", "website": "https://x.io"})
    assert ok.website == "https://x.io"
    with pytest.raises(RequestValidationError) as e:
        UserSerializer.model_validate({"username": "bad name!", "email": "nope", "website": "ftp://x"})
    assert sorted(tuple(err["loc"]) for err in e.value.errors()) == [
        ("body", "email"),
        ("body", "username"),
        ("body", "website"),
    ]


def test_model_validate_collects_every_meta_error():
    class UserSerializer(Serializer):
        name: Annotated[str, Meta(min_length=2)]
        email: Annotated[str, Meta(pattern=r"^[^@]+@[^@]+$")]
        age: Annotated[int, Meta(ge=0, le=150)]

    with pytest.raises(RequestValidationError) as e:
        UserSerializer.model_validate({"name": "X", "email": "invalid", "age": 200})
    assert [tuple(err["loc"]) for err in e.value.errors()] == [("body", "name"), ("body", "email"), ("body", "age")]
    user = UserSerializer.model_validate_json(b'{"name": "Jo", "email": "a@b", "age": 3}')
    assert user.age == 3


def test_direct_instantiation_skips_meta_but_runs_validators():
    class User(Serializer):
        age: Annotated[int, Meta(ge=0)]

    assert User(age=-5).age == -5  # as msgspec: constraints are for parsing
    with pytest.raises(RequestValidationError):
        User.model_validate({"age": -5})
    with pytest.raises(RequestValidationError):
        User(age=-5).validate()


def test_error_handling_page_collects_both_errors():
    class UserSerializer(Serializer):
        email: str
        age: int

        @field_validator("email")
        def validate_email(cls, value):
            if "@" not in value:
                raise ValueError("Invalid email format")
            return value

        @field_validator("age")
        def validate_age(cls, value):
            if value < 0:
                raise ValueError("Must be positive")
            return value

    with pytest.raises(RequestValidationError) as e:
        UserSerializer(email="invalid", age=-5)
    assert [err["loc"] for err in e.value.errors] == [["body", "email"], ["body", "age"]]
