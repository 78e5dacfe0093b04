"""django-bolt 0.13's authentication page (docs/src/topics/authentication.md): the examples that
auth.py left out, as written: a custom user query, access and refresh tokens (issuing a pair,
the rotation endpoint, logging out everywhere), API keys with a custom header, combined backends,
the authentication context and revocation.

Where the page cannot run as printed: ``LoginRequest``, ``jwt_auth`` and ``api_keys`` come from
earlier examples of the page (``# defined:``); the custom query's ``select_related("track",
"member")``/``defer(...)`` name fields of the page's own user model, which Django's has not, so
it reads ``User.objects.aget(id=user_id)`` (``# changed:``); ``import msgspec`` is
``from django_bolt.compat import msgspec``; examples that reuse a path get their own
(``# path:``). Not ported: JWKS/OIDC (an identity provider's endpoint; ``jwks=`` is tested in
tests/auth), ``DjangoORMRevocation`` (it needs the page's ``RevokedToken`` model), the session
and Django-decorator examples (tests/middleware/test_docs_examples.py). All routes need the
demo's user table (in process only).
"""

from django.contrib.auth import aauthenticate
from django.contrib.auth.models import User  # defined

from django_bolt import BoltAPI
from django_bolt.auth import (
    APIKeyAuthentication,
    DjangoCacheRevocation,
    InMemoryRevocation,
    IsAuthenticated,
    JWTAuthentication,
    TokenRotationError,
    create_token_pair,
    rotate_refresh_token,
    set_token_cookies,
)
from django_bolt.compat import msgspec
from django_bolt.exceptions import Unauthorized
from django_bolt.responses import JSON

api = BoltAPI()


class MyJWT(JWTAuthentication):
    async def get_user(self, user_id, auth_context):
        return await User.objects.aget(id=user_id)  # changed: no track/member on Django's User


@api.get("/tasks", auth=[MyJWT()], guards=[IsAuthenticated()])
async def tasks(request):
    user = await request.auser()  # loaded with your query
    return {"username": user.username}  # the page's `...`


class LoginRequest(msgspec.Struct):  # defined: the page's earlier LoginRequest
    username: str
    password: str


@api.post("/auth/login")
async def login(credentials: LoginRequest):
    user = await aauthenticate(
        username=credentials.username,
        password=credentials.password,
    )
    if user is None:
        raise Unauthorized(detail="Invalid credentials")

    pair = create_token_pair(user, method="pwd")
    response = JSON({"status": "ok"})
    return set_token_cookies(response, pair, refresh_path="/auth/refresh")


store = DjangoCacheRevocation()


@api.post(
    "/auth/refresh",
    auth=[JWTAuthentication(cookie="refresh_token", token_type="refresh")],
    guards=[IsAuthenticated()],
)
async def refresh(request):
    claims = request["context"]["auth_claims"]
    try:
        pair = await rotate_refresh_token(claims, store=store)
    except TokenRotationError:
        raise Unauthorized(detail="Invalid refresh token") from None

    response = JSON({"status": "ok"})
    return set_token_cookies(response, pair, refresh_path="/auth/refresh")


jwt_auth = JWTAuthentication(cookie="access_token")  # defined: the page's jwt_auth, for cookie tokens


@api.post("/auth/logout-all", auth=[jwt_auth], guards=[IsAuthenticated()])
async def logout_all(request):
    await store.bump_user_version(request["context"]["user_id"])
    return {"status": "logged out everywhere"}


api_keys = {"sk-prod-123abc", "sk-prod-456def"}


@api.get(
    "/internal",
    auth=[APIKeyAuthentication(api_keys=api_keys)],
    guards=[IsAuthenticated()],
)
async def internal_endpoint(request):
    return {"status": "authorized"}


@api.get(  # the "Custom header" snippet on a route
    "/internal/bearer",
    auth=[APIKeyAuthentication(api_keys=api_keys, header="Authorization")],
    guards=[IsAuthenticated()],
)
async def internal_by_authorization(request):
    return {"status": "authorized"}


@api.get(
    "/data",
    auth=[JWTAuthentication(), APIKeyAuthentication(api_keys=api_keys)],
    guards=[IsAuthenticated()],
)
async def get_data(request):
    backend = request.context.get("auth_backend")
    return {"authenticated_via": backend}


@api.get("/context", auth=[JWTAuthentication()], guards=[IsAuthenticated()])
async def show_context(request):
    context = request.context

    return {
        "user_id": context.get("user_id"),
        "is_staff": context.get("is_staff"),
        "is_superuser": context.get("is_superuser"),
        "auth_backend": context.get("auth_backend"),  # "jwt" or "api_key"
        "permissions": context.get("permissions", []),
        "auth_claims": context.get("auth_claims", {}),  # JWT only
    }


revocations = InMemoryRevocation()  # the page's `store = InMemoryRevocation()` (store is taken above)
revoking_jwt = JWTAuthentication(revocation_store=revocations)  # the page's jwt_auth


@api.post("/logout", auth=[revoking_jwt], guards=[IsAuthenticated()])
async def logout(request):
    claims = request["context"]["auth_claims"]
    await revocations.revoke(claims["jti"], exp=claims.get("exp"))
    return {"status": "logged out"}


@api.get("/revocable/me", auth=[revoking_jwt], guards=[IsAuthenticated()])  # added: a route to try the token on
async def revocable_me(request):
    return {"user_id": request.context["user_id"]}


APIS = [api]
