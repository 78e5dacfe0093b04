"""django-bolt 0.13's permissions and authentication pages (docs/src/topics/permissions.md,
authentication.md), their examples as written.

Where bolt differs: ``import msgspec`` is ``from django_bolt.compat import msgspec``; examples
that reuse one path get their own (``# path:``); ``orders`` returns a list, not ``[...]``.
Left out, not ported yet: the examples of ``JWTAuthViews``/revocation, ``set_token_cookies``,
JWKS/OIDC and a ``JWTAuthentication`` subclass's ``get_user`` (all but OIDC exist now: docs/compat.md §8).
``DB_APIS`` need a user table (the demo's); ``APIS`` do not.
"""

from django.contrib.auth import aauthenticate

from django_bolt import BoltAPI, CurrentUser, Depends, OptionalCurrentUser
from django_bolt.auth import (
    AllowAny,
    APIKeyAuthentication,
    IsAuthenticated,
    JWTAuthentication,
    Requires,
    create_jwt_for_user,
    get_current_user,
)
from django_bolt.compat import msgspec
from django_bolt.exceptions import HTTPException, Unauthorized

api = BoltAPI()


@api.get("/profile", auth=[JWTAuthentication()], guards=[IsAuthenticated()])
async def profile(request):
    return {"user_id": request.context["user_id"]}


@api.get("/public", guards=[AllowAny()])
async def public():
    return {"message": "Anyone can see this"}


IsClient = Requires("role", "client")
IsStaff = Requires("is_staff", True)
IsSuperuser = Requires("is_superuser", True)


@api.get("/orders", auth=[JWTAuthentication()], guards=[IsAuthenticated(), IsClient])
async def list_orders():
    return {"orders": []}


@api.get(
    "/reports",
    auth=[APIKeyAuthentication(api_keys={"key-1"}, key_permissions={"key-1": ["reports.view"]})],
    guards=[Requires("permissions", "reports.view")],
)
async def reports(): ...


@api.get(
    "/client-orders",  # path: /orders
    auth=[JWTAuthentication()],
    guards=[Requires("role", "client", message="Client accounts only")],
)
async def list_client_orders(): ...


@api.post(
    "/admin/settings",
    auth=[JWTAuthentication()],
    guards=[IsAuthenticated(), Requires("is_staff", True), Requires("permissions", "core.change_settings")],
)
async def update_settings():
    return {"updated": True}


@api.get("/data", auth=[JWTAuthentication()], guards=[IsAuthenticated()])
async def get_data():
    return {"protected": True}


async def require_active_subscription(request):
    # The page queries a Subscription model; here a claim stands in for it.
    if not request.context["auth_claims"].get("subscribed"):
        raise HTTPException(status_code=403, detail="Subscription required")


@api.get("/premium", auth=[JWTAuthentication()], guards=[IsAuthenticated()])
async def premium(_=Depends(require_active_subscription)):
    return {"ok": True}


@api.get(
    "/cookie-profile",  # path: /profile
    auth=[JWTAuthentication(cookie="access_token")],
    guards=[IsAuthenticated()],
)
async def cookie_profile(request):
    return {"user_id": request["context"]["user_id"]}


db_api = BoltAPI()


class LoginRequest(msgspec.Struct):
    username: str
    password: str


@db_api.post("/auth/token")
async def login(credentials: LoginRequest):
    user = await aauthenticate(username=credentials.username, password=credentials.password)

    if user is None:
        raise Unauthorized(detail="Invalid credentials")

    token = create_jwt_for_user(user, expires_in=3600)  # 1 hour

    return {"access_token": token, "token_type": "bearer", "expires_in": 3600}


@db_api.get("/me", auth=[JWTAuthentication()], guards=[IsAuthenticated()])
async def get_me(request):
    user = await request.auser()
    return {"id": user.id}


@db_api.get("/sync-me", auth=[JWTAuthentication()], guards=[IsAuthenticated()])
def get_me_sync(request):  # path: /me
    user = request.user  # Lazily loads from database

    return {"id": user.id, "username": user.username, "email": user.email}


@db_api.get("/current/me", auth=[JWTAuthentication()])  # path: /me
async def get_current_me(user: CurrentUser):
    return {"id": user.id}


@db_api.get("/home", auth=[JWTAuthentication()])
def home(user: OptionalCurrentUser):
    return {"signed_in": user is not None}


@db_api.get("/depends/me", auth=[JWTAuthentication()], guards=[IsAuthenticated()])  # path: /me
async def get_me_by_dependency(user=Depends(get_current_user)):
    return {"id": user.id, "username": user.username}


APIS = [api]
DB_APIS = [db_api]
