"""Typed requests and responses: Struct options, tagged unions, every field type, response
models. Served under /typed (collected from demo/api.py, which imports this module)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import enum
import uuid
from typing import Annotated, Literal, TypedDict

from django_bolt import Body, BoltAPI, Depends, Header, Meta, Query, Struct, field

typed = BoltAPI(prefix="/typed")


class Size(enum.Enum):
    SMALL = "s"
    LARGE = "l"


class Priority(enum.IntEnum):
    LOW = 1
    HIGH = 2


class Owner(Struct, forbid_unknown_fields=True):
    id: int
    name: str


class Order(Struct, rename="camel"):
    """Every field kind the body decoder knows, with camelCase JSON names."""

    order_id: uuid.UUID
    customer_name: Annotated[str, Meta(min_length=1, max_length=50)]
    total: Annotated[decimal.Decimal, Meta(ge=0)]
    placed_at: dt.datetime
    ship_on: dt.date | None = None
    window: dt.timedelta = dt.timedelta(hours=1)
    size: Size = Size.SMALL
    priority: Priority = Priority.LOW
    status: Literal["new", "paid"] = "new"
    lines: list["Line"] = field(default_factory=list)
    labels: set[str] = field(default_factory=set)
    location: tuple[float, float] | None = None
    counts: dict[str, int] = field(default_factory=dict)
    signature: bytes = b""
    owner: "Owner | None" = None


class Line(Struct):
    sku: Annotated[str, Meta(pattern=r"^[A-Z]{3}-\d+$")]
    qty: Annotated[int, Meta(ge=1, le=1000)]


@typed.post("/orders")
def create_order(order: Order) -> Order:
    return order


class Cat(Struct, tag="cat", tag_field="kind"):
    name: str
    lives: int = 9


class Dog(Struct, tag="dog", tag_field="kind"):
    name: str
    good: bool = True


@typed.post("/pets")
def adopt(pets: list[Cat | Dog]) -> dict:
    return {"cats": [p.name for p in pets if isinstance(p, Cat)], "dogs": [p.name for p in pets if isinstance(p, Dog)]}


class Range(Struct, kw_only=True):
    low: int
    high: int

    def __post_init__(self) -> None:
        if self.low > self.high:
            raise ValueError("low must not exceed high")


@typed.post("/ranges")
def make_range(r: Range) -> dict:
    return {"span": r.high - r.low}


class Settings(TypedDict, total=False):
    theme: Literal["light", "dark"]
    page_size: int


#: Coordinates and scales bounded so that a scaled point stays a finite float (JSON has no inf).
Coordinate = Annotated[float, Meta(ge=-1e12, le=1e12)]


@dataclasses.dataclass
class Point:
    x: Coordinate
    y: Coordinate
    tags: list[str] = dataclasses.field(default_factory=list)


@typed.post("/settings")
def save_settings(settings: Settings) -> Settings:
    return settings


@dataclasses.dataclass
class ScaledPoint:
    """A point times a scale: past the input's bounds, still a finite float."""

    x: float
    y: float
    tags: list[str]


@typed.post("/points")
def add_point(
    point: Point = Body(embed=True), scale: Annotated[float, Meta(gt=0, le=1e6)] = Body(1.0, embed=True)
) -> ScaledPoint:
    return ScaledPoint(point.x * scale, point.y * scale, point.tags)


class PersonOut(Struct):
    id: int
    name: str
    email: str


@typed.get("/people", response_model=list[PersonOut])
def people_out():
    """ORM objects through a response model: only the declared fields, read by attribute."""
    from people.models import Person

    return Person.objects.all()[:3]


@typed.get("/people/dicts")
def people_dicts() -> list[PersonOut]:
    """Plain dicts through the return annotation: extra keys are left out."""
    return [{"id": 1, "name": "a", "email": "a@example.com", "secret": "x"}]


@typed.get("/broken", include_in_schema=False)
def broken() -> list[PersonOut]:
    """Returns the wrong shape on purpose: a 500 naming the field."""
    return [{"id": 1, "name": "a", "email": "a@example.com"}, {"id": "two", "name": "b", "email": "b"}]


@typed.get("/unchecked", response_model=None)
def unchecked() -> list[PersonOut]:
    return [{"anything": "goes"}]


class Paging(Struct):
    """Query parameters grouped in one Struct: ?limit=10&offset=0&order_by=name"""

    limit: Annotated[int, Meta(ge=1, le=100)] = 10
    offset: Annotated[int, Meta(ge=0)] = 0
    order_by: Literal["name", "age"] | None = None
    tags: list[str] = []


class Client(Struct):
    """Headers grouped in one Struct: x-client-id, user-agent."""

    x_client_id: str
    user_agent: str | None = None


@typed.get("/paging")
def paging(page: Annotated[Paging, Query()], client: Client = Header()) -> dict:
    return {
        "limit": page.limit,
        "offset": page.offset,
        "order_by": page.order_by,
        "tags": page.tags,
        "client": client.x_client_id,
        "agent": client.user_agent,
    }


@typed.get("/choices")
def choices(
    size: Size = Size.SMALL,
    priority: Priority | None = None,
    within: dt.timedelta | None = None,
    mode: Literal["fast", "safe"] = "safe",
) -> dict:
    """Enum (by value), IntEnum ("2" from the query), timedelta and Literal query parameters."""
    return {"size": size, "priority": priority, "within": within, "mode": mode}


def page_window(page: Annotated[Paging, Query()]) -> dict:
    """A dependency taking a grouped parameter: it is built before the dependency runs."""
    return {"from": page.offset, "to": page.offset + page.limit}


@typed.get("/window")
async def window(w: dict = Depends(page_window), debug: bool = False) -> dict:
    return {**w, "debug": debug}


class Box(Struct):
    """Refers to a class defined further down: planned at start-up, not at decoration."""

    content: "Later"
    extras: list["Later"] = []


@typed.post("/boxes")
def box(b: Box) -> Box:
    return b


class Later(Struct):
    kind: str
