"""Rows of the compat table that used to be missing, written as a django-bolt 0.13 project writes
them (tests/compat/test_rows*.py serve them in-process and over a real ``bolt``): ``set``/
``frozenset``/``tuple`` parameters, the QUERY method, ``BaseAuthentication.get_user`` and uploads
refused while they stream."""

from types import SimpleNamespace
from typing import Annotated

from django_bolt import BoltAPI, UploadFile
from django_bolt.auth import APIKeyAuthentication, IsAuthenticated, JWTAuthentication
from django_bolt.params import File, Form, Header, Query

api = BoltAPI()


# -- set / frozenset / tuple parameters ------------------------------------------------------------


@api.get("/coll/set")
def set_param(tags: set[str] = Query(), ids: frozenset[int] = Query(default=frozenset())):
    return {"tags": sorted(tags), "tags_type": type(tags).__name__, "ids": sorted(ids), "ids_type": type(ids).__name__}


@api.get("/coll/tuple")
def tuple_param(point: tuple[int, int], scores: Annotated[tuple[float, ...], Query(max_length=3)] = ()):
    return {"point": list(point), "point_type": type(point).__name__, "scores": list(scores)}


@api.get("/coll/header")
def header_set(x_tag: set[str] = Header()):
    return {"tags": sorted(x_tag), "type": type(x_tag).__name__}


@api.post("/coll/form")
def form_set(colour: set[str] = Form()):
    return {"colours": sorted(colour), "type": type(colour).__name__}


@api.get("/coll/default")
def set_default(tags: set[str] = {"x"}):  # noqa: B006 - copied per request, the test checks it
    tags.add("seen")
    return {"tags": sorted(tags)}


# -- the QUERY method -----------------------------------------------------------------------------


@api.query("/search")
def search(body: dict, limit: int = 10):
    return {"method": "QUERY", "asked": body, "limit": limit}


@api.get("/search")
def search_get():
    return {"method": "GET"}


@api.query("/query-only")
async def query_only(request):
    return {"body": request.body.decode()}


# -- BaseAuthentication.get_user ---------------------------------------------------------------------


class AccountJWT(JWTAuthentication):
    """Loads the user from somewhere other than AUTH_USER_MODEL (here: made up from the claims)."""

    async def get_user(self, user_id, auth_context):
        if user_id == "404":
            return None
        claims = auth_context.get("auth_claims", {})
        return SimpleNamespace(username=f"acct-{user_id}", plan=claims.get("plan"), is_authenticated=True)


class KeyOwner(APIKeyAuthentication):
    """A sync loader: ``request.user`` works in sync code too."""

    def get_user_sync(self, user_id):
        return SimpleNamespace(username=f"key-{user_id}", is_authenticated=True)


JWT = AccountJWT(secret="rows-test")
KEYS = KeyOwner(api_keys={"k-1"})


@api.get("/me", auth=[JWT], guards=[IsAuthenticated()])
async def me(request):
    user = await request.auser()
    return {"username": getattr(user, "username", ""), "plan": getattr(user, "plan", None)}


@api.get("/me-sync", auth=[JWT], guards=[IsAuthenticated()])
def me_sync(request):
    # An async-only get_user cannot serve sync request.user: a RuntimeError naming the fix.
    try:
        return {"username": request.user.username}
    except RuntimeError as e:
        return {"error": str(e)}


@api.get("/key-owner", auth=[KEYS], guards=[IsAuthenticated()])
def key_owner(request):
    return {"username": request.user.username}


# -- uploads refused while they stream ---------------------------------------------------------------


@api.post("/upload/capped")
async def capped(file: Annotated[UploadFile, File(max_size=1024)]):
    return {"size": file.size}


@api.post("/upload/free")
async def free(file: UploadFile):
    return {"size": file.size}
