"""django-bolt 0.13's exceptions reference (docs/src/ref/exceptions.md), its examples as written.

Where bolt differs: ``msgspec`` is ``django_bolt.compat.msgspec`` (its ``Meta``, ``convert``);
the page's ``MySerializer`` and ``UserSerializer`` are not shown there, so they are defined here
with what its comments say they check (``# defined:``); ``User`` is Django's (``# defined:``); the
``raise`` snippets ("Adding custom headers", "Adding extra data") are put in handlers.
What the page says that bolt does differently on purpose (the 422 ``type``/``msg`` wording; a
bare ``FileNotFoundError`` is not a 404) is in docs/compat.md, rows "request-validation 422
shape" and "exceptions: HTTPException(...)".

``APIS`` need no table but ``/users/{user_id}`` reaches the user table past its 400 check (the
demo's, in process).
"""

from typing import Annotated

from django.contrib.auth.models import User  # defined: the page's User

from django_bolt import BoltAPI
from django_bolt.compat.msgspec import Meta
from django_bolt.exceptions import BadRequest, HTTPException, NotFound, Unauthorized
from django_bolt.serializers import Serializer, field_validator

api = BoltAPI()


@api.get("/users/{user_id}")
async def get_user(user_id: int):
    if user_id < 1:
        raise BadRequest(detail="Invalid user ID")

    user = await User.objects.filter(id=user_id).afirst()
    if not user:
        raise NotFound(detail="User not found")

    return {"id": user.id}


@api.get("/token")  # the page's "Adding Custom Headers" snippet
async def expired_token():
    raise Unauthorized(detail="Token expired", headers={"WWW-Authenticate": "Bearer"})


@api.post("/signup")  # the page's "Adding Extra Data" snippet
async def signup():
    raise BadRequest(
        detail="Validation failed",
        extra={"field": "email", "value": "invalid@", "suggestion": "Enter a valid email address"},
    )


@api.get("/teapot")  # HTTPException(status_code, detail, headers, extra), as the page lists it
async def teapot():
    raise HTTPException(status_code=418, detail="I'm a teapot", headers={"X-Pot": "1"}, extra={"brew": "tea"})


@api.get("/default-detail")  # "Error message (defaults to HTTP phrase)"
async def default_detail():
    raise HTTPException(status_code=409)


class Item(Serializer):  # defined: the body of the page's "Example Validation Errors"
    price: float
    age: int = 0


@api.post("/items")
async def create_item(item: Item):
    return {"price": item.price}


class MySerializer(Serializer):  # defined: "body.email: Invalid email; body.password: Too short"
    email: str
    password: str

    @field_validator("email")
    def check_email(cls, value):
        if "@" not in value:
            raise ValueError("Invalid email")
        return value

    @field_validator("password")
    def check_password(cls, value):
        if len(value) < 8:
            raise ValueError("Too short")
        return value


class UserSerializer(Serializer):  # defined: the Meta constraints the page's comments name
    name: Annotated[str, Meta(min_length=2)]
    email: Annotated[str, Meta(pattern=r"^[^@]+@[^@]+$")]
    age: Annotated[int, Meta(le=150)]


APIS = [api]
