"""Shared and per-core rate limits side by side (tests/shared)."""

from django_bolt import BoltAPI
from django_bolt.ratelimit import rate_limit

api = BoltAPI()


# 20 requests per 20 s window per X-Client value, across every server sharing the cache.
@api.get("/shared")
@rate_limit(rps=1, burst=20, key="x-client", shared=True)
def shared() -> dict:
    return {"ok": True}


@api.get("/shared/async")
@rate_limit(rps=1, burst=20, key="x-client", shared=True)
async def shared_async() -> dict:
    return {"ok": True, "async": True}


# The same shape without shared=: each server's core has its own bucket of 5.
@api.get("/local")
@rate_limit(rps=0.01, burst=5, key="x-client")
def local() -> dict:
    return {"ok": True}


# For measuring what the shared counter costs: limits nothing in practice.
@api.get("/hello-shared")
@rate_limit(rps=1_000_000, burst=1_000_000, shared=True)
def hello_shared() -> dict:
    return {"hello": "world"}


@api.get("/hello-local")
@rate_limit(rps=1_000_000, burst=1_000_000)
def hello_local() -> dict:
    return {"hello": "world"}


# The pool hop alone (what a shared limit adds besides the count), for the same comparison.
@api.get("/hello-pool", blocking=True)
@rate_limit(rps=1_000_000, burst=1_000_000)
def hello_pool() -> dict:
    return {"hello": "world"}


# -- JWT revocation: a token revoked through one server is refused by every server -------------------
from django_bolt.auth import IsAuthenticated, JWTAuthentication  # noqa: E402
from django_bolt.auth.revocation import DjangoCacheRevocation  # noqa: E402

store = DjangoCacheRevocation("default")
jwt = JWTAuthentication(revocation_store=store)


@api.get("/me", auth=[jwt], guards=[IsAuthenticated()])
async def me(request) -> dict:
    return {"sub": request.auth["sub"]}


@api.get("/me/sync", auth=[jwt], guards=[IsAuthenticated()])
def me_sync(request) -> dict:
    return {"sub": request.auth["sub"]}


@api.post("/logout", auth=[jwt], guards=[IsAuthenticated()])
async def logout(request) -> dict:
    claims = request.auth
    await store.revoke(claims["jti"], exp=claims.get("exp"))
    return {"revoked": claims["jti"]}


async def _session_ended(jti: str, claims: dict) -> bool:
    # A two-argument handler also gets the claims (django-bolt's rule).
    return claims.get("sid") == "ended"


@api.get("/by-session", auth=[JWTAuthentication(revoked_token_handler=_session_ended)], guards=[IsAuthenticated()])
def by_session(request) -> dict:
    return {"ok": True}


@api.get("/needs-jti", auth=[JWTAuthentication(require_jti=True)], guards=[IsAuthenticated()])
def needs_jti(request) -> dict:
    return {"ok": True}


# -- TokenPair and set_token_cookies --------------------------------------------------------------------
from django_bolt import Response  # noqa: E402
from django_bolt.auth import create_token_pair, set_token_cookies  # noqa: E402


@api.post("/login")
def login(user_id: str) -> Response:
    pair = create_token_pair(user_id, claims={"role": "member"}, method="pwd")
    body = {"access": pair.access_token, "refresh": pair.refresh_token, "typ": pair.refresh_claims["typ"]}
    return set_token_cookies(Response(body), pair, refresh_path="/refresh")


# -- refresh-token rotation (django-bolt's async rotate_refresh_token), its state in Redis -------------
from django_bolt import HTTPException  # noqa: E402
from django_bolt.auth import TokenRotationError, rotate_refresh_token  # noqa: E402

refresh_auth = [JWTAuthentication(token_type="refresh", require_jti=True)]


async def _rotate(request, **options) -> dict:
    try:
        pair = await rotate_refresh_token(request.auth, store=store, **options)
    except TokenRotationError as e:
        raise HTTPException(401, f"rotation refused: {e}") from None
    return {"access": pair.access_token, "refresh": pair.refresh_token, "access_claims": pair.access_claims}


@api.post("/rotate", auth=refresh_auth, guards=[IsAuthenticated()])
async def rotate(request) -> dict:
    return await _rotate(request, claims={"role": "member"})


@api.post("/rotate/keep", auth=refresh_auth, guards=[IsAuthenticated()])
async def rotate_keep(request) -> dict:
    return await _rotate(request, rotate=False)


@api.post("/rotate/capped", auth=refresh_auth, guards=[IsAuthenticated()])
async def rotate_capped(request) -> dict:
    return await _rotate(request, max_session_lifetime=100, access_ttl=900)


@api.post("/logout-family", auth=refresh_auth, guards=[IsAuthenticated()])
async def logout_family(request) -> dict:
    await store.revoke_family(request.auth["fam"], exp=request.auth.get("exp"))
    return {"ok": True}


@api.post("/logout-all", auth=refresh_auth, guards=[IsAuthenticated()])
async def logout_all(request) -> dict:
    return {"version": await store.bump_user_version(request.auth["sub"])}


@api.post("/pair")
async def pair(user_id: str) -> dict:
    version = await store.get_user_version(user_id)
    p = create_token_pair(user_id, version=version, method="pwd")
    return {"access": p.access_token, "refresh": p.refresh_token, "fam": p.refresh_claims["fam"]}
