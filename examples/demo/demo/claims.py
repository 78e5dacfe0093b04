"""One route per README claim that the rest of the demo does not show, under /claims (collected
from demo/api.py, which imports this module). Each is requested by a test in tests/."""

from __future__ import annotations

import asyncio
import atexit
import dataclasses
import datetime as dt
import decimal
import enum
import json
import os
import pickle
import threading
import uuid
from typing import Annotated, Literal

from django_bolt import (
    Body,
    BoltAPI,
    Depends,
    File,
    Form,
    Header,
    Meta,
    Path,
    Query,
    Request,
    Struct,
    UploadFile,
    _native,
    rate_limit,
)
from django_bolt.auth import (
    AllowAny,
    HasAllPermissions,
    HasAnyPermission,
    IsAdminUser,
    IsAuthenticated,
    JWTAuthentication,
)
from django_bolt.param_functions import Cookie

from .jwt_keys import ensure_keys, public_key

claims = BoltAPI(prefix="/claims")


def _announce_end() -> None:
    """At shutdown each interpreter runs its own atexit callbacks as it is ended: say which
    interpreter ended on which OS thread (tests/server/test_cli.py compares with /claims/worker)."""
    os.write(2, f"claims: interpreter {_native.interp_id()} ended on thread {threading.get_native_id()}\n".encode())


atexit.register(_announce_end)


# --- JWT with asymmetric keys: RS*/PS* (one RSA key), ES256, ES384, EdDSA ---------------------------
# The key pairs are made with `openssl` on first use (demo/jwt_keys.py); without openssl these
# routes are missing and their tests fail with 404.

if ensure_keys() is not None:
    _RSA_ALGS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"]

    @claims.get(
        "/jwt/rs256-only",
        auth=[JWTAuthentication(algorithms=["RS256"], public_key=public_key("rsa"))],
        guards=[IsAuthenticated()],
    )
    def jwt_rs256_only(request: Request) -> dict:
        """RS256 only: an HS256 token "signed" with this public key's PEM must not get in."""
        return {"sub": request.auth["sub"]}

    @claims.get(
        "/jwt/rsa",
        auth=[JWTAuthentication(algorithms=_RSA_ALGS, public_key=public_key("rsa"))],
        guards=[IsAuthenticated()],
    )
    def jwt_rsa(request: Request) -> dict:
        return {"sub": request.auth["sub"]}

    @claims.get(
        "/jwt/es256",
        auth=[JWTAuthentication(algorithms=["ES256"], public_key=public_key("p256"))],
        guards=[IsAuthenticated()],
    )
    def jwt_es256(request: Request) -> dict:
        return {"sub": request.auth["sub"]}

    @claims.get(
        "/jwt/es384",
        auth=[JWTAuthentication(algorithms=["ES384"], public_key=public_key("p384"))],
        guards=[IsAuthenticated()],
    )
    def jwt_es384(request: Request) -> dict:
        return {"sub": request.auth["sub"]}

    @claims.get(
        "/jwt/eddsa",
        auth=[JWTAuthentication(algorithms=["EdDSA"], public_key=public_key("ed25519"))],
        guards=[IsAuthenticated()],
    )
    def jwt_eddsa(request: Request) -> dict:
        return {"sub": request.auth["sub"]}


# --- token types and cookie tokens (tests/auth/test_token_type.py, test_cookie_csrf.py) --------

_REFRESH_ONLY = [JWTAuthentication(token_type="refresh")]


@claims.post("/jwt/refresh-only", auth=_REFRESH_ONLY, guards=[IsAuthenticated()])
def refresh_only(request: Request) -> dict:
    return {"typ": request.auth.get("typ")}


_COOKIE = [JWTAuthentication(cookie="access_token")]


@claims.get("/jwt/cookie", auth=_COOKIE, guards=[IsAuthenticated()])
def cookie_token_read(request: Request) -> dict:
    return {"sub": request.auth["sub"]}


@claims.post("/jwt/cookie", auth=_COOKIE, guards=[IsAuthenticated()])
def cookie_token_write(request: Request) -> dict:
    return {"sub": request.auth["sub"]}


@claims.post("/jwt/cookie-unchecked", auth=[JWTAuthentication(cookie="access_token", csrf=False)])
def cookie_token_unchecked(request: Request) -> dict:
    return {"sub": (request.auth or {}).get("sub")}


# --- a JWK set: the token's kid picks the key (tests/auth/test_jwks.py) -------------------------------

#: Two HMAC keys by kid (JWK "oct" keys: the key bytes, base64url).
JWKS_OCT = {"2026-a": b"demo-jwks-key-a-0123456789abcdef", "2026-b": b"demo-jwks-key-b-fedcba9876543210"}


def _b64url(raw: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


_JWKS = {"keys": [{"kty": "oct", "kid": kid, "alg": "HS256", "k": _b64url(key)} for kid, key in JWKS_OCT.items()]}


@claims.get("/jwt/jwks", auth=[JWTAuthentication(jwks=_JWKS)], guards=[IsAuthenticated()])
def jwks_hmac(request: Request) -> dict:
    return {"sub": request.auth["sub"]}


if ensure_keys() is not None:

    def _ed25519_jwk() -> dict:
        """The demo's Ed25519 public key as a JWK (RFC 8037): its SPKI DER ends with the 32 key bytes."""
        import base64

        pem = public_key("ed25519").decode()
        der = base64.b64decode("".join(line for line in pem.splitlines() if not line.startswith("-----")))
        return {"kty": "OKP", "crv": "Ed25519", "kid": "ed-1", "x": _b64url(der[-32:])}

    @claims.get(
        "/jwt/jwks-eddsa",
        auth=[JWTAuthentication(algorithms=["EdDSA"], jwks=json.dumps({"keys": [_ed25519_jwk()]}))],
        guards=[IsAuthenticated()],
    )
    def jwks_eddsa(request: Request) -> dict:
        return {"sub": request.auth["sub"]}


# --- guards decided in Python: AllowAny, IsAdminUser, HasAnyPermission, HasAllPermissions ----------

_JWT = [JWTAuthentication()]


@claims.get("/guards/allow-any", auth=_JWT, guards=[AllowAny()])
def allow_any(request: Request) -> dict:
    return {"sub": (request.auth or {}).get("sub")}


@claims.get("/guards/admin", auth=_JWT, guards=[IsAdminUser()])
def admin_only(request: Request) -> dict:
    return {"admin": request.user.username}


@claims.get("/guards/any-perm", auth=_JWT, guards=[HasAnyPermission("people.change_person", "people.delete_person")])
def any_perm(request: Request) -> dict:
    return {"user": request.user.username}


@claims.get("/guards/all-perms", auth=_JWT, guards=[HasAllPermissions("people.change_person", "people.delete_person")])
def all_perms(request: Request) -> dict:
    return {"user": request.user.username}


# --- responses --------------------------------------------------------------------------------------


@claims.get("/tuple3", response_model={201: dict})
def tuple3() -> tuple:
    """(status, body, headers)."""
    return 201, {"made": True}, {"x-made-by": "tuple", "location": "/claims/tuple3/1"}


# --- Struct: __slots__, positional __init__, ==, repr, to_dict, pickling ------------------------------


class Gadget(Struct):
    name: str
    size: int = 1
    parts: list[str] = []


@claims.post("/struct")
def struct_abilities(g: Gadget) -> dict:
    clone = pickle.loads(pickle.dumps(g))
    return {
        "repr": repr(g),
        "to_dict": g.to_dict(),
        "pickled_equal": clone == g,
        "pickled_is_copy": clone is not g,
        "pickled_type": type(clone).__name__,
        "pickled_repr": repr(clone),
        "positional_equals_keywords": Gadget(g.name, g.size, g.parts)
        == Gadget(name=g.name, size=g.size, parts=g.parts),
        "differs_from_other": g != Gadget(name=g.name + "!"),
        "has_dict": hasattr(g, "__dict__"),
        "slots": list(Gadget.__slots__),
    }


# --- parameters: typed path values, Path/Header/Cookie constraints, grouped Cookie/Form/dataclass -----


class Shade(enum.Enum):
    LIGHT = "light"
    DARK = "dark"


@claims.get("/path-types/{u}/{d}/{t}/{dec}/{shade}/{mode}/{ratio}/{flag}")
def path_types(
    u: uuid.UUID,
    d: dt.date,
    t: dt.time,
    dec: decimal.Decimal,
    shade: Shade,
    mode: Literal["a", "b"],
    ratio: float,
    flag: bool,
    at: dt.time | None = None,
) -> dict:
    """Path values of every scalar kind, plus a `time` query value."""
    return {
        "u": u,
        "d": d,
        "t": t,
        "dec": dec,
        "shade": shade,
        "mode": mode,
        "ratio": ratio,
        "flag": flag,
        "at": at,
        "types": [type(v).__name__ for v in (u, d, t, dec, shade, ratio, flag)],
    }


@claims.get("/path/{n}/{code}")
def constrained_path(
    n: Annotated[int, Path(ge=1, le=10)], code: Annotated[str, Path(min_length=3, max_length=3, pattern=r"^[A-Z]+$")]
) -> dict:
    return {"n": n, "code": code}


@claims.get("/constrained")
def constrained_header_cookie(
    x_count: Annotated[int, Header(ge=1, le=5)], token: Annotated[str, Cookie(min_length=8, pattern=r"^[a-f0-9]+$")]
) -> dict:
    return {"x_count": x_count, "token": token}


class Prefs(Struct):
    """Cookies grouped in one Struct: theme=dark; lang=fr"""

    theme: Literal["light", "dark"] = "light"
    lang: Annotated[str, Meta(min_length=2, max_length=5)] = "en"


@claims.get("/grouped/cookies")
def grouped_cookies(prefs: Annotated[Prefs, Cookie()]) -> dict:
    return {"theme": prefs.theme, "lang": prefs.lang, "type": type(prefs).__name__}


@dataclasses.dataclass
class Signup:
    """Form fields grouped in a dataclass."""

    username: Annotated[str, Meta(min_length=3)]
    age: Annotated[int, Meta(ge=13)]
    newsletter: bool = False


@claims.post("/grouped/form")
def grouped_form(signup: Annotated[Signup, Form()]) -> dict:
    return {**dataclasses.asdict(signup), "type": type(signup).__name__}


@dataclasses.dataclass
class Window:
    start: Annotated[int, Meta(ge=0)] = 0
    size: Annotated[int, Meta(le=50)] = 10


@claims.get("/grouped/query-dataclass")
def grouped_query_dataclass(w: Annotated[Window, Query()]) -> dict:
    return {"start": w.start, "size": w.size, "type": type(w).__name__}


# --- a dependency that reads the request (and a query value) ----------------------------------------


def client_info(request: Request, tenant: str = Query("public")) -> dict:
    return {
        "method": request.method,
        "path": request.path,
        "agent": request.headers.get("user-agent"),
        "cookies": dict(request.cookies),
        "query": dict(request.query),
        "tenant": tenant,
    }


async def described(info: dict = Depends(client_info)) -> str:
    return f"{info['method']} {info['path']} for {info['tenant']}"


@claims.get("/dep-request")
def dep_request(info: dict = Depends(client_info), summary: str = Depends(described)) -> dict:
    return {"info": info, "summary": summary}


# --- rate limit keyed on a header of our choosing ---------------------------------------------------


@claims.get("/limited/by-tenant")
@rate_limit(rps=1, burst=1, key="x-tenant")
def limited_by_tenant() -> dict:
    return {"ok": True}


# --- which OS thread serves (worker pinning) ---------------------------------------------------------


@claims.get("/worker")
def worker() -> dict:
    """The native id of the thread running this handler: a def handler runs inline, on the worker."""
    return {"tid": threading.get_native_id(), "pid": os.getpid(), "interp_id": _native.interp_id()}


# --- responses: bytes and timedelta values, and bare scalars at the top level ------------------------


@claims.get("/encode-more")
def encode_more() -> dict:
    return {
        "bytes": b"\x00\x01hi\xff",
        "timedelta": dt.timedelta(days=1, hours=2, seconds=3.5),
        "negative": dt.timedelta(minutes=-90),
    }


_SCALARS = {
    "str": "plain",
    "int": 7,
    "big": -(2**80),
    "float": 2.5,
    "true": True,
    "none": None,
    "list": [1, "a"],
    "decimal": decimal.Decimal("0.10"),
}


@claims.get("/scalar/{kind}")
def scalar(kind: Literal["str", "int", "big", "float", "true", "none", "list", "decimal"]):
    return _SCALARS[kind]


# --- bodies that are not Structs: dict, set, tuple, a tagged union of Structs --------------------------


class Cat(Struct, tag="cat", tag_field="kind"):
    name: str


class Dog(Struct, tag="dog", tag_field="kind"):
    name: str
    good: bool = True


@claims.post("/bodies/dict")
def body_dict(counts: dict[str, int]) -> dict:
    return {"total": sum(counts.values()), "type": type(counts).__name__}


@claims.post("/bodies/set")
def body_set(tags: set[str] = Body()) -> dict:
    """A container of scalars stays a query parameter unless marked Body()."""
    return {"sorted": sorted(tags), "type": type(tags).__name__}


@claims.post("/bodies/tuple")
def body_tuple(pair: tuple[int, str] = Body()) -> dict:
    return {"pair": list(pair), "type": type(pair).__name__}


@claims.post("/bodies/list-of-structs")
def body_list_of_structs(pets: list[Cat | Dog]) -> dict:
    return {"types": [type(p).__name__ for p in pets]}


@claims.post("/bodies/union")
def body_union(pet: Cat | Dog) -> dict:
    return {"type": type(pet).__name__, "name": pet.name}


# --- uploads: large ones are spooled to a temporary file -----------------------------------------------


@claims.post("/upload-spool")
def upload_spool(doc: UploadFile = File()) -> dict:
    path = getattr(doc.raw_file, "name", None)
    return {"size": doc.size, "on_disk": isinstance(path, str) and os.path.isfile(path)}


# --- a coroutine that never suspends is driven inline (no asyncio task); one that awaits real asyncio
# work continues on the interpreter's event loop -------------------------------------------------------


def _task() -> bool:
    try:
        return asyncio.current_task() is not None
    except RuntimeError:  # no running loop at all
        return False


@claims.get("/coroutine")
async def coroutine_probe(suspend: bool = False) -> dict:
    before = _task()
    if suspend:
        await asyncio.sleep(0.01)
    return {"task_before": before, "task_after": _task(), "thread": threading.current_thread().name}
