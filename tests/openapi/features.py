"""A purpose-built API using every feature the OpenAPI document describes (test_document.py).

Built in this process with no Django settings: nothing here needs them to be documented.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import enum
import uuid
from typing import Annotated, Literal, TypedDict

from django_bolt import (
    HTML,
    Body,
    BoltAPI,
    Depends,
    File,
    Form,
    Header,
    Meta,
    NotFound,
    PlainText,
    Query,
    Redirect,
    Request,
    Struct,
    UploadFile,
    rate_limit,
)
from django_bolt.auth import (
    AllowAny,
    APIKeyAuthentication,
    IsAuthenticated,
    JWTAuthentication,
    SessionAuthentication,
)
from django_bolt.openapi import OpenAPIConfig
from django_bolt.openapi.spec import Contact, ExternalDocumentation, Server, Tag
from django_bolt.param_functions import Cookie

config = OpenAPIConfig(
    title="Features",
    version="3.2.1",
    summary="Every documented feature",
    description="An API for the document's tests.",
    contact=Contact(name="Ops", email="ops@example.com"),
    license={"name": "MIT", "identifier": "MIT"},
    servers=[Server(url="https://api.example.com", description="production"), {"url": "/"}],
    tags=[Tag(name="items", description="What we sell", external_docs=ExternalDocumentation(url="https://x.io"))],
    external_docs=ExternalDocumentation(url="https://docs.example.com", description="Guide"),
    terms_of_service="https://example.com/terms",
    webhooks={"itemSold": {"post": {"responses": {"200": {"description": "OK"}}}}},
    exclude_paths=["/internal"],
)
api = BoltAPI(openapi_config=config)
hidden = BoltAPI(prefix="/hidden", include_in_schema=False)


class Color(enum.Enum):
    """A color."""

    RED = "red"
    BLUE = "blue"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


class Item(Struct, rename="camel", forbid_unknown_fields=True):
    """Something we sell."""

    item_name: Annotated[str, Meta(min_length=1, max_length=20, description="Its name", example="pen")]
    unit_price: Annotated[decimal.Decimal, Meta(ge=0)]
    color: Color = Color.BLUE
    tags: list[str] = []
    note: str | None = None


class Problem(Struct):
    detail: str


class TreeNode(Struct):
    name: str
    children: list[TreeNode] = []


class Cat(Struct, tag="cat"):
    name: str
    lives: int = 9


class Dog(Struct, tag="dog"):
    name: str
    good: bool = True


@dataclasses.dataclass
class Point:
    x: int
    y: float = 0.0


class Movie(TypedDict):
    title: str
    year: int


class Paging(Struct):
    limit: Annotated[int, Meta(ge=1, le=100, description="Page size")] = 10
    offset: int = 0


# --- parameters ---------------------------------------------------------------------------------


def tenant(x_tenant: str = Header(description="Whose data")) -> str:
    return x_tenant


@api.get("/items/{item_id}", tags=["items"], response_model={200: Item, 404: NotFound})
def read_item(
    item_id: int,
    request: Request,
    q: Annotated[str | None, Query(max_length=5, description="Search text", example="pen")] = None,
    page: int = Query(1, alias="p", ge=1, lt=1000, deprecated=True),
    ratio: Annotated[float, Meta(gt=0, multiple_of=0.5)] = 1.0,
    ids: list[int] = Query([], max_length=3),
    color: Color | None = None,
    level: Level = Level.LOW,
    mode: Literal["a", "b"] = "a",
    when: dt.date | None = None,
    at: dt.datetime | None = None,
    clock: dt.time | None = None,
    token: uuid.UUID | None = None,
    price: decimal.Decimal | None = None,
    flag: bool = False,
    x_request_id: str | None = Header(None),
    session: str | None = Cookie(None, alias="sid"),
    who: str = Depends(tenant),
) -> Item:
    """Reads one item.

    Longer words about it."""
    raise NotFound()


@api.get("/grouped")
def grouped(paging: Annotated[Paging, Query()]) -> dict:
    return {}


@api.get("/files/{rest:path}")
def files(rest: str) -> dict:
    return {}


# --- bodies -------------------------------------------------------------------------------------


@api.post("/items", status_code=201, tags=["items"], summary="Create an item", description="Makes one.")
def create_item(item: Item) -> Item:
    return item


@api.post("/tree")
def tree(node: TreeNode) -> TreeNode:
    return node


@api.post("/pets")
def pets(pet: Cat | Dog) -> dict:
    return {}


@api.post("/embedded")
def embedded(point: Point = Body(embed=True), scale: Annotated[float, Body(embed=True, gt=0)] = 1.0) -> Point:
    return point


@api.post("/movies")
def movies(movies: list[Movie]) -> dict[str, int]:
    return {}


@api.post("/optional-body")
def optional_body(item: Item | None = Body(None)) -> dict:
    return {}


@api.post("/form")
def form(name: str = Form(), age: int = Form(ge=0), tags: list[str] = Form([])) -> dict:
    return {}


@api.post("/upload")
def upload(title: str = Form(), doc: UploadFile = File(), extra: list[UploadFile] = File([])) -> dict:
    return {}


# --- responses ----------------------------------------------------------------------------------


@api.get("/page", response_class=HTML)
def page() -> str:
    return "<h1>hi</h1>"


@api.get("/text")
def text() -> PlainText:
    return PlainText("hi")


@api.get("/go", response_class=Redirect)
def go() -> str:
    return "/page"


@api.delete("/items/{item_id}", status_code=204)
def delete_item(item_id: int) -> None:
    return None


@api.get("/anything")
def anything():
    return {"any": "thing"}


@api.get("/plain-dict")
def plain_dict() -> dict:
    return {}


@api.get("/no-input")
def no_input() -> list[Point]:
    return []


@api.get("/limited")
@rate_limit(rps=1)
def limited() -> dict:
    return {}


# --- security -----------------------------------------------------------------------------------

JWT = JWTAuthentication(secret="s3cret")
JWT_COOKIE = JWTAuthentication(secret="s3cret", cookie="access", csrf=False)
KEY = APIKeyAuthentication(header="X-Token", keys={"k"})


@api.get("/secure", auth=[JWT, KEY], guards=[IsAuthenticated()])
def secure() -> dict:
    return {}


@api.get("/optional-auth", auth=[JWT_COOKIE], guards=[AllowAny()])
def optional_auth() -> dict:
    return {}


@api.get("/session", auth=[SessionAuthentication()], guards=[IsAuthenticated()])
def session_route() -> dict:
    return {}


@api.get("/guard-only", auth=[], guards=[IsAuthenticated()])
def guard_only() -> dict:
    return {}


# --- operation fields ---------------------------------------------------------------------------


@api.get("/old", deprecated=True, operation_id="legacyThing", openapi_extra={"x-internal-note": "old"})
def old() -> dict:
    return {}


@api.get("/invisible", include_in_schema=False)
def invisible() -> dict:
    return {}


@api.get("/internal/stats")
def internal_stats() -> dict:
    return {}


@api.get("/docs/extra")
def docs_extra() -> dict:
    return {}


@hidden.get("/thing")
def hidden_thing() -> dict:
    return {}


@hidden.get("/shown", include_in_schema=True)
def hidden_but_shown() -> dict:
    return {}


APIS = [api, hidden]
