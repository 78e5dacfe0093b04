"""The demo API: the benchmark endpoints plus one route per feature that exists."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import decimal
import enum
import hashlib
import os
import threading
import time
import uuid
from typing import Annotated, Literal

from django_bolt import (
    HTML,
    JSON,
    Body,
    BoltAPI,
    Depends,
    File,
    Forbidden,
    Form,
    Header,
    HTTPException,
    Meta,
    NotFound,
    PlainText,
    Query,
    Redirect,
    Request,
    Response,
    Struct,
    Unauthorized,
    UploadFile,
    _native,
    cors,
    rate_limit,
)
from django_bolt.auth import (
    APIKeyAuthentication,
    BasePermission,
    HasPermission,
    IsAuthenticated,
    IsStaff,
    JWTAuthentication,
    Requires,
    SessionAuthentication,
    TokenRotationError,
    create_jwt_for_user,
    create_token_pair,
    rotate_refresh_token,
)
from django_bolt.auth.revocation import DjangoCacheRevocation
from django_bolt.health import add_health_check
from django_bolt.param_functions import Cookie
from people.models import Person

# Discovery collects this module's BoltAPIs in the order they appear: keep this order.
# isort: off
from .typed import typed  # noqa: F401 - collected by discovery (every BoltAPI in this module)
from .claims import claims  # noqa: F401 - the README claims' own routes, under /claims
from .annotated import annotated  # noqa: F401 - collected by discovery too
from .guarded import guarded  # noqa: F401 - collected by discovery too
from .async_orm import orm  # noqa: F401 - Django's async API, under /orm
from .dbcheck import dbcheck  # noqa: F401 - per-request database housekeeping, under /db
from .transactions import tx  # noqa: F401 - transaction.atomic and select_for_update, under /tx
from .streams import streams  # noqa: F401 - streamed bodies and SSE, under /streams
from .negotiation import negotiation  # noqa: F401 - content negotiation, under /neg
from .downloads import downloads  # noqa: F401 - FileResponse, under /downloads
from .ws import ws  # noqa: F401 - WebSocket routes, under /ws
# isort: on

MAINTENANCE_FLAG = os.path.join(os.path.dirname(os.path.dirname(__file__)), ".maintenance")


async def not_in_maintenance() -> bool:
    """A readiness check of the demo's own: /ready fails while examples/demo/.maintenance exists."""
    return not os.path.exists(MAINTENANCE_FLAG)


add_health_check(not_in_maintenance, name="maintenance")

api = BoltAPI()
# A second API with a prefix: every BoltAPI found in this module is served, merged.
v2 = BoltAPI(prefix="/v2")


@v2.get("/hello")
async def hello_v2() -> dict:
    return {"message": "Hello from v2"}


# --- the benchmark endpoints (the same on every server we compare) -------------------------


@api.get("/hello")
async def hello() -> dict:
    return {"message": "Hello, World!"}


@api.get("/client")
async def client_address(request: Request) -> dict:
    """Who bolt says is asking: behind a proxy listed in BOLT_TRUSTED_PROXIES, the address its
    X-Forwarded-For names; otherwise the peer."""
    return {"client": request.client, "remote_addr": request.META["REMOTE_ADDR"]}


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


# POST /orders: the load tests' validated body (loadtests/competitor has the msgspec twin).
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


@api.get("/users")
def users() -> list:
    return list(Person.objects.order_by("id").values("id", "name", "email", "age", "is_active")[:10])


@api.get("/big")
async def big() -> list:
    return [
        {"id": i, "name": f"item {i}", "price": i * 1.25, "in_stock": i % 3 != 0, "qty": i * 7 % 100}
        for i in range(1000)
    ]


# --- the rest of the features ----------------------------------------------------------------


@api.put("/items/{id}")
async def update_item(id: int) -> dict:
    return {"id": id, "updated": True}


@api.delete("/items/{id}")
async def delete_item(id: int) -> dict:
    return {"id": id, "deleted": True}


@api.get("/whoami")
def whoami() -> dict:
    """Which core's interpreter answered: proves the parallelism."""
    return {"interp_id": _native.interp_id(), "thread_id": threading.get_ident(), "pid": os.getpid()}


@api.get("/interpreters")
def interpreters() -> dict:
    return {"count": _native.interpreter_count()}


@api.get("/types")
def types(
    i: int,
    f: float = 0.0,
    b: bool = False,
    u: uuid.UUID | None = None,
    d: dt.date | None = None,
    dt_: dt.datetime | None = Query(None, alias="dt"),
    dec: decimal.Decimal | None = None,
    s: str = "",
    tags: list[str] = [],  # noqa: B006 - copied per request
    opt: int | None = None,
) -> dict:
    return {"i": i, "f": f, "b": b, "u": u, "d": d, "dt": dt_, "dec": dec, "s": s, "tags": tags, "opt": opt}


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


@dataclasses.dataclass
class Point:
    x: int
    y: float


class Tagged(Struct):
    name: str
    color: Color = Color.BLUE


@api.get("/encode")
def encode() -> dict:
    """One of every type the Rust encoder writes."""
    return {
        "str": 'héllo "quoted" \n',
        "int": -42,
        "big": 2**100,
        "float": 0.1,
        "true": True,
        "none": None,
        "list": [1, [2, [3]]],
        "tuple": (1, "a"),
        "datetime": dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
        "date": dt.date(2024, 1, 2),
        "time": dt.time(3, 4, 5),
        "uuid": uuid.UUID(int=1),
        "decimal": decimal.Decimal("1.10"),
        "enum": Color.RED,
        "dataclass": Point(1, 2.5),
        "struct": Tagged(name="t"),
        "set": {7},
        1: "int key",
        "emoji": "🚀",
    }


# Routes that fail, or take their time, on purpose (for the tests) are left out of the OpenAPI
# document: its clients, and schemathesis, have nothing to learn from them.
@api.get("/encode/nan", include_in_schema=False)
def encode_nan() -> dict:
    return {"x": float("nan")}


@api.get("/encode/object", include_in_schema=False)
def encode_object() -> dict:
    return {"x": object()}


@api.get("/boom", include_in_schema=False)
def boom() -> dict:
    raise ValueError("this handler always fails")


@api.get("/teapot", response_model={418: HTTPException})
def teapot() -> dict:
    raise HTTPException(418, "short and stout", headers={"x-tea": "earl grey"})


@api.get("/sleep", include_in_schema=False)
async def sleep(ms: int = 200) -> dict:
    await asyncio.sleep(ms / 1000)
    return {"slept_ms": ms}


@api.get("/users/async")
async def users_async() -> list:
    return [p async for p in Person.objects.order_by("id").values("id", "name")[:10]]


@api.get("/slow-sync", blocking=True, include_in_schema=False)
def slow_sync(ms: int = 100) -> dict:
    time.sleep(ms / 1000)
    return {"slept_ms": ms, "thread": threading.current_thread().name}


@api.get("/slow-auto", include_in_schema=False)
def slow_auto(ms: int = 60) -> dict:
    """A def handler not marked blocking: after it holds the core too long a few times, bolt
    moves it to the blocking pool by itself."""
    time.sleep(ms / 1000)
    return {"slept_ms": ms, "thread": threading.current_thread().name}


# How many /slow-counted calls this core's interpreter has started (tests: a queued call whose
# client has gone, or that shutdown dropped, never starts).
_started = {"n": 0}
_started_lock = threading.Lock()


@api.get("/slow-counted", blocking=True, include_in_schema=False)
def slow_counted(ms: int = 100) -> dict:
    with _started_lock:
        _started["n"] += 1
    time.sleep(ms / 1000)
    return {"slept_ms": ms}


@api.get("/slow-counted/started", include_in_schema=False)
def slow_counted_started() -> dict:
    return {"started": _started["n"]}


@api.get("/files/{rest:path}")
def files(rest: str) -> dict:
    return {"path": rest}


@api.get("/text")
def text() -> PlainText:
    return PlainText("hello")


@api.get("/html")
def html() -> HTML:
    return HTML("<h1>hello</h1>")


@api.get("/redirect")
def redirect() -> Redirect:
    return Redirect("/hello")


@api.post("/created", status_code=201)
def created() -> dict:
    return {"created": True}


@api.get("/response", response_model={203: Response})
def raw_response() -> Response:
    return Response(b"raw,bytes", status_code=203, headers={"x-kind": "raw"}, media_type="text/csv")


@api.get("/json", response_model={201: JSON})
def json_response() -> JSON:
    return JSON({"wrapped": [1, 2]}, status_code=201, headers={"x-kind": "json"})


@api.get("/cookies/set")
def set_cookies() -> JSON:
    """Two cookies set and one deleted: three Set-Cookie fields."""
    return (
        JSON({"ok": True})
        .set_cookie("sid", "abc123", max_age=3600, httponly=True, secure=True, samesite="Strict")
        .set_cookie("theme", "dark mode", path="/app", secure=True, samesite="None", partitioned=True)
        .delete_cookie("old")
    )


@api.get("/missing/{id}", response_model={404: NotFound})
def missing(id: int) -> dict:
    raise NotFound(f"no thing {id}")


@api.get("/django-errors/{kind}", response_model={400: HTTPException, 403: Forbidden, 404: NotFound})
def django_errors(kind: Literal["404", "403", "400"]) -> dict:
    """Django's own exceptions raised in a handler map to their HTTP statuses."""
    from django.core.exceptions import PermissionDenied, SuspiciousOperation
    from django.http import Http404

    raise {"404": Http404("no such thing"), "403": PermissionDenied("nope"), "400": SuspiciousOperation("odd")}[kind]


# --- headers, cookies, constraints and dependencies ---------------------------------------------


@api.get("/headers")
def read_headers(
    x_request_id: str | None = Header(None),
    api_key: str = Header(alias="X-API-Key"),
    session_id: str | None = Cookie(None, alias="sid"),
    tags: list[str] = Header([], alias="x-tag"),
) -> dict:
    return {"x_request_id": x_request_id, "api_key": api_key, "session_id": session_id, "tags": tags}


@api.get("/search")
def search(
    q: Annotated[str, Meta(min_length=2, max_length=10, pattern="^[a-z]+$")],
    page: int = Query(1, ge=1, le=100),
    ratio: float = Query(0.5, gt=0, lt=1, multiple_of=0.25),
    ids: list[int] = Query([], max_length=3),
) -> dict:
    return {"q": q, "page": page, "ratio": ratio, "ids": ids}


class Product(Struct):
    name: Annotated[str, Meta(min_length=1, max_length=20)]
    price: Annotated[float, Meta(gt=0)]
    qty: Annotated[int, Meta(ge=0, le=1000)] = 1


@api.post("/products")
def create_product(product: Product) -> Product:
    return product


CALLS = {"settings": 0}


def app_settings() -> dict:
    CALLS["settings"] += 1
    return {"greeting": "hi"}


async def current_user(authorization: str | None = Header(None), cfg: dict = Depends(app_settings)) -> dict:
    if not authorization or not authorization.startswith("Bearer "):
        raise Unauthorized("missing token", headers={"www-authenticate": "Bearer"})
    return {"name": authorization.removeprefix("Bearer "), "greeting": cfg["greeting"]}


@api.get("/me", response_model={200: dict, 401: Unauthorized})
async def me(user: dict = Depends(current_user), cfg: dict = Depends(app_settings), verbose: bool = False) -> dict:
    before = CALLS["settings"]
    return {"user": user["name"], "greeting": cfg["greeting"], "verbose": verbose, "settings_calls": before}


@api.get("/me/sync", response_model={200: dict, 401: Unauthorized})
def me_sync(user: dict = Depends(current_user), request: Request = None) -> dict:  # type: ignore[assignment]
    return {"user": user["name"], "path": request.path}


@api.get("/public")
@cors(origins=["*"], methods=["GET"])
def public() -> dict:
    """Any site may read this one (its own CORS policy replaces the project's)."""
    return {"public": True}


@api.get("/limited")
@rate_limit(rps=2, burst=3)
def limited() -> dict:
    return {"ok": True}


@api.get("/limited/by-key")
@rate_limit(rps=1, burst=1, key="api_key")
def limited_by_key() -> dict:
    return {"ok": True}


class Owner(Struct):
    name: str
    email: str


@api.post("/items/with-owner")
def item_with_owner(
    item: Item = Body(embed=True), owner: Owner = Body(embed=True), note: str = Body("", embed=True)
) -> dict:
    """Several bodies, each under its own key: {"item": {...}, "owner": {...}, "note": "..."}."""
    return {"item": item, "owner": owner, "note": note}


# --- forms and uploads -----------------------------------------------------------------------------


@api.post("/form")
def form(name: str = Form(), age: int = Form(ge=0), tags: list[str] = Form([])) -> dict:
    return {"name": name, "age": age, "tags": tags}


@api.post("/upload")
def upload(title: str = Form(), doc: UploadFile = File(), extra: list[UploadFile] = File([])) -> dict:
    data = doc.read()
    return {
        "title": title,
        "filename": doc.filename,
        "content_type": doc.content_type,
        "size": doc.size,
        "sha256": hashlib.sha256(data).hexdigest(),
        "extra": [f.filename for f in extra],
    }


# --- authentication and guards -------------------------------------------------------------------


class Credentials(Struct):
    username: str
    password: str


@api.post("/token", response_model={200: dict, 401: Unauthorized})
def token(credentials: Credentials) -> dict:
    """Exchanges a username and password for a JWT (HS256, signed with SECRET_KEY)."""
    from django.contrib.auth import authenticate

    user = authenticate(username=credentials.username, password=credentials.password)
    if user is None:
        raise Unauthorized("invalid credentials")
    return {"access": create_jwt_for_user(user, expires_in=900), "token_type": "bearer"}


@api.post("/token/pair", response_model={200: dict, 401: Unauthorized})
def token_pair(credentials: Credentials) -> dict:
    from django.contrib.auth import authenticate

    user = authenticate(username=credentials.username, password=credentials.password)
    if user is None:
        raise Unauthorized("invalid credentials")
    return create_token_pair(user)


#: Where spent refresh tokens, revoked families and user versions are kept: the default cache
#: (local memory here, so one core's; a multi-host project puts it on Redis).
REFRESH_STORE = DjangoCacheRevocation("default")


@api.post(
    "/token/refresh",
    auth=[JWTAuthentication(token_type="refresh", require_jti=True)],
    guards=[IsAuthenticated()],
    response_model={200: dict, 401: Unauthorized},
)
async def token_refresh(request: Request) -> dict:
    """Rotation, as django-bolt's: send the refresh token as the bearer token; it is spent and a
    new pair comes back. Replaying a spent one revokes its whole family."""
    try:
        return await rotate_refresh_token(request.auth, store=REFRESH_STORE)
    except TokenRotationError:
        # One answer for every reason, as django-bolt's JWTAuthViews: no oracle.
        raise Unauthorized("Invalid token") from None


secure = BoltAPI(prefix="/secure", auth=[JWTAuthentication()], guards=[IsAuthenticated()])


class NotBanned(BasePermission):
    """A custom async guard: plain Python, runs before the handler."""

    async def has_permission(self, request) -> bool:
        if request.headers.get("x-banned") == "teapot":
            raise HTTPException(418, "banned teapots")
        return request.headers.get("x-banned") != "1"


@secure.get("/hello-jwt")
async def hello_jwt() -> dict:
    """/hello behind JWT + IsAuthenticated, both decided in Rust (the loadtests' security row)."""
    return {"message": "Hello, World!"}


@secure.get("/limited-per-user")
@rate_limit(rps=1, burst=1, key="user")
async def limited_per_user() -> dict:
    return {"ok": True}


def weekday_guard(request) -> bool:
    """A custom guard as a plain sync function of the request."""
    return request.headers.get("x-day") != "sunday"


@secure.get("/sync-guard", guards=[IsAuthenticated(), weekday_guard])
def sync_guard() -> dict:
    return {"ok": True}


@secure.get("/whoami")
async def secure_whoami(request: Request) -> dict:
    return {"sub": request.auth["sub"], "user": (await request.auser()).get_username()}


@secure.get("/admin-claim", guards=[Requires("role", "admin")])
async def admin_claim(request: Request) -> dict:
    return {"role": request.auth["role"]}


@secure.get("/staff", guards=[IsAuthenticated() & IsStaff()])
def staff_only(request: Request) -> dict:
    return {"staff": request.user.username}


@secure.get("/perm", guards=[HasPermission("people.change_person")])
def with_perm() -> dict:
    return {"perm": True}


@secure.get("/custom", guards=[IsAuthenticated() & NotBanned()])
async def custom_guard() -> dict:
    return {"custom": True}


@secure.get("/not-admin", guards=[~Requires("role", "admin") | Requires("scope", "override")])
async def not_admin() -> dict:
    return {"ok": True}


# API keys: persistent ones (manage.py bolt_apikey create), cached per core for 1 s here.
keyed = BoltAPI(prefix="/keyed", auth=[APIKeyAuthentication(database=True, cache_ttl=1.0)], guards=[IsAuthenticated()])


@keyed.get("/hello-key")
async def hello_key() -> dict:
    """/hello behind a persistent API key (cached per core) + IsAuthenticated."""
    return {"message": "Hello, World!"}


@keyed.get("/whoami")
def keyed_whoami(request: Request) -> dict:
    return {
        "key": request.auth["api_key"],
        "scopes": request.auth["scopes"],
        "owner": request.user.username if request.user.is_authenticated else None,
    }


@keyed.get("/write", guards=[Requires("scopes", "write")])
def keyed_write() -> dict:
    return {"write": True}


@api.get("/static-key", auth=[APIKeyAuthentication(keys={"test-key-1"})], guards=[IsAuthenticated()])
def static_key() -> dict:
    return {"ok": True}


# A browser logged into the admin can call these (CSRF checked on unsafe methods).
browser = BoltAPI(prefix="/session", auth=[SessionAuthentication()], guards=[IsAuthenticated()])


@browser.get("/me")
def session_me(request: Request) -> dict:
    return {"username": request.user.username, "staff": request.user.is_staff}


@browser.post("/echo")
def session_echo(request: Request) -> dict:
    return {"username": request.user.username, "body": request.body.decode()}


@api.get("/tuple", response_model={202: dict})
def tuple_response() -> tuple:
    return 202, {"accepted": True}


@api.post("/echo")
def echo(request: Request) -> dict:
    return {
        "method": request.method,
        "path": request.path,
        "query": request.query,
        "body": request.body.decode("utf-8", "replace"),
        "content_type": request.headers.get("content-type"),
    }
