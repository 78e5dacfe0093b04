"""The compared load-test endpoints: ONE module, imported by both servers.

bolt (ours) imports it through ``loadtests/bolt_site/settings.py`` and django-bolt 0.13 through
``loadtests/competitor/compsite/settings.py``, both as ``BOLT_API = ["bench_api:api", ...]``
(``loadtests/`` is on PYTHONPATH; run.py sets it). Every handler below is the same function
object on both sides; the only difference is where ``Struct``/``Meta`` come from:

* this project's ``django_bolt`` exports its own ``Struct`` and ``Meta``;
* django-bolt 0.13 exports neither and documents msgspec's (``msgspec.Struct``,
  ``msgspec.Meta``), so the ImportError branch takes those.

Our ``django_bolt`` is tried first, so msgspec being installed next to it changes nothing.

``people.models.Person`` is the demo's model under bolt (cwd examples/demo) and the
competitor's twin under django-bolt (cwd loadtests/competitor): the same fields, the same
100 seeded rows.
"""

import inspect
from typing import Annotated

from django_bolt import BoltAPI

try:
    from django_bolt import Meta, Struct  # this project's django_bolt

    OURS = True
except ImportError:  # django-bolt 0.13 (PyPI): it has neither, and uses msgspec's
    from msgspec import Meta, Struct

    OURS = False

from django_bolt import ModelViewSet  # both export it at the top level
from people.models import Person

# django-bolt 0.13's own switches for production: no request-logging middleware and no
# compression on this API. Ours takes `compression=False` alike; its access log is off unless
# `bolt --log-level info` turns it on (run.py's `hello_log` row), so `enable_logging=False`,
# which would keep this API out of that log, is passed to django-bolt only.
_SWITCHES = {"compression": False} if OURS else {"enable_logging": False, "compression": False}
_ACCEPTED = inspect.signature(BoltAPI).parameters
API_KWARGS = {k: v for k, v in _SWITCHES.items() if k in _ACCEPTED}

api = BoltAPI(**API_KWARGS)


@api.get("/hello")
async def hello() -> dict:
    return {"message": "Hello, World!"}


@api.get("/items/{id}")
async def get_item(id: int, q: str | None = None) -> dict:
    return {"id": id, "q": q}


class Item(Struct):
    name: str
    price: float
    tags: list[str] = []


@api.post("/items")
async def create_item(item: Item) -> Item:
    return item


# POST /orders: a nested body with constraints (pattern, lengths, bounds), validated on decode.
class Line(Struct):
    sku: Annotated[str, Meta(pattern=r"^[A-Z]{3}-\d+$")]
    qty: Annotated[int, Meta(ge=1, le=1000)]
    price: Annotated[float, Meta(gt=0)]


class Address(Struct):
    street: Annotated[str, Meta(min_length=1, max_length=200)]
    city: str
    zip: Annotated[str, Meta(max_length=10)]
    country: Annotated[str, Meta(min_length=2, max_length=2)]


class Order(Struct):
    id: int
    customer: Annotated[str, Meta(min_length=1, max_length=100)]
    email: str
    paid: bool
    total: Annotated[float, Meta(ge=0)]
    note: str | None = None
    tags: list[str] = []
    ship_to: Address | None = None
    lines: list[Line] = []


@api.post("/orders")
async def create_order(order: Order) -> Order:
    return order


# POST /signup: django-bolt's Serializer on both sides (ours on our Struct, 0.13's on msgspec),
# two field validators run on every body; the values already normalized, so the echo is equal.
from django_bolt.serializers import Serializer, field_validator  # noqa: E402


class Signup(Serializer):
    name: Annotated[str, Meta(min_length=2, max_length=50)]
    email: Annotated[str, Meta(pattern=r"^[^@ ]+@[^@ ]+$")]
    age: Annotated[int, Meta(ge=0, le=150)]
    tags: list[str] = []

    @field_validator("email")
    def lower(cls, value):
        return value.lower()

    @field_validator("name")
    def strip(cls, value):
        if not value.strip():
            raise ValueError("blank name")
        return value.strip()


@api.post("/signup")
async def signup(data: Signup) -> Signup:
    return data


@api.get("/users")
def users() -> list:
    """A plain def handler with the sync ORM (both servers run it off their event loop)."""
    return list(Person.objects.order_by("id").values("id", "name", "email", "age", "is_active")[:10])


@api.get("/users/async")
async def users_async() -> list:
    """Django's async ORM idiom: an async def handler iterating a QuerySet with `async for`."""
    return [u async for u in Person.objects.order_by("id").values("id", "name", "email", "age", "is_active")[:10]]


@api.get("/big")
async def big() -> list:
    return [
        {"id": i, "name": f"item {i}", "price": i * 1.25, "in_stock": i % 3 != 0, "qty": i * 7 % 100}
        for i in range(1000)
    ]


# ---------------------------------------------------------------------------------------------
# GET /catalog: a ~50 KiB JSON document for the compression rows (run.py: gzip, br, zstd,
# identity50k, gzip1, br3). It is on its own API object, `compressed`, which does not switch
# compression off: whether and how it is compressed is the project's setting
# (`settings.BOLT_COMPRESSION`, which both servers read first), set per server instance by
# run.py through loadtests/bench_compression.py. The servers of the other rows set it to None.

_CATEGORIES = ("books", "garden", "kitchen", "outdoor", "office", "toys", "audio", "sports")
_WORDS = tuple(
    (
        "oak steel compact deluxe travel classic smart wireless organic linen ceramic portable "
        "heavy duty mini pro family eco quiet rapid vintage modular foldable waterproof bamboo "
        "cotton carbon solar digital handmade premium lite max ultra soft hard round"
    ).split()
)
_PHRASES = (
    "ships in two days",
    "made from recycled materials",
    "easy to clean",
    "fits most models",
    "includes a two-year warranty",
    "assembled by hand",
    "tested for daily use",
    "gift wrapped",
    "available in three colours",
    "replacement parts on request",
    "low energy use",
    "certified food safe",
    "designed in Lisbon",
    "battery not included",
    "dishwasher safe",
)
CATALOG_ITEMS = 160


def _sentence(phrases: list[str]) -> str:
    text = "; ".join(phrases)
    return text[0].upper() + text[1:] + "."


def _catalog(n: int) -> list[dict]:
    """`n` product rows, deterministic (a fixed-seed LCG), with the mix of numbers, short
    repeated strings and free text of a real listing (so it compresses like one, about 5-8x)."""
    state = 20261127

    def rnd(k: int) -> int:
        nonlocal state
        state = (state * 6364136223846793005 + 1442695040888963407) % (1 << 64)
        return (state >> 33) % k

    rows = []
    for i in range(n):
        cat = _CATEGORIES[rnd(len(_CATEGORIES))]
        words = [_WORDS[rnd(len(_WORDS))] for _ in range(3)]
        stock = rnd(400) if rnd(5) else 0
        rows.append(
            {
                "id": 10_000 + i,
                "sku": f"{cat[:3].upper()}-{rnd(1_000_000):06d}",
                "name": " ".join(words).title() + f" {cat[:-1] if cat.endswith('s') else cat}",
                "category": cat,
                "price": (rnd(50_000) + 99) / 100,
                "currency": "EUR",
                "in_stock": stock > 0,
                "stock": stock,
                "rating": (10 + rnd(41)) / 10,
                "reviews": rnd(5_000),
                "tags": [_WORDS[rnd(len(_WORDS))] for _ in range(1 + rnd(4))],
                "description": _sentence([_PHRASES[rnd(len(_PHRASES))] for _ in range(2 + rnd(3))]),
                "updated_at": f"2026-{1 + rnd(11):02d}-{1 + rnd(28):02d}T{rnd(24):02d}:{rnd(60):02d}:{rnd(60):02d}Z",
            }
        )
    return rows


# Built once: the handler's work per request is the JSON encoding (plus the compression), as
# for rows a view keeps cached.
_CATALOG = _catalog(CATALOG_ITEMS)

compressed = BoltAPI(**{k: v for k, v in API_KWARGS.items() if k != "compression"})


@compressed.get("/catalog")
async def catalog() -> list:
    return _CATALOG


# ---------------------------------------------------------------------------------------------
# GET /mw/hello: the hello handler behind a header-only Django middleware stack (run.py row
# `hello_mw`), so what wrapping an API in Django middleware costs is measured against
# django-bolt's `django_middleware=` on the same handler; /hello above, in the same server,
# shows that routes without middleware do not pay for this API existing.
MW_STACK = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
with_django_middleware = BoltAPI(prefix="/mw", django_middleware=MW_STACK, **API_KWARGS)


@with_django_middleware.get("/hello")
async def hello_behind_middleware() -> dict:
    return {"message": "Hello, World!"}


# ---------------------------------------------------------------------------------------------
# GET /vs/people: a ModelViewSet's generated list action (run.py row `viewset20`), 20 rows
# encoded through serializer_class. The class is the same on both servers; each generates the
# six CRUD routes from it (only the list is measured).


class PersonRow(Struct):
    id: int
    name: str
    email: str
    age: int
    is_active: bool


@api.viewset("/vs/people")
class PeopleViewSet(ModelViewSet):
    queryset = Person.objects.filter(id__lte=20).order_by("id")
    serializer_class = PersonRow
