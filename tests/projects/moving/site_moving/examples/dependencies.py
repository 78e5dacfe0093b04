"""django-bolt 0.13's dependencies page (docs/src/topics/dependencies.md), its examples as written.

Where the page cannot run as printed (in django-bolt either), the smallest change, marked:
- names the page uses but never defines or imports are defined or imported here (``# defined:``):
  ``HTTPException``, ``Unauthorized``, ``Forbidden``, ``User`` (Django's), ``some_dependency``,
  ``is_rate_limited``, ``get_connection`` and ``Settings`` (a stand-in: the demo has no such model);
- ``request.get("context")`` holds a user only on a route that authenticates: the page assumes
  ``BOLT_AUTHENTICATION_CLASSES``; here the routes that read it say ``auth=`` (``# auth:``);
- ``await connection.ensure_connection()`` and ``await User.objects.all()[:10]`` await what is
  not awaitable (a sync method, a QuerySet), a TypeError in Django itself: the connection is
  opened with ``sync_to_async``, the users read with ``async for`` as dicts (``# changed:``);
- examples that reuse a path get their own (``# path:``);
- "Testing with dependencies" is pseudocode by the page's own word (django-bolt 0.13 has no
  dependency overrides): not ported.

``APIS`` need no table (the moving project serves them too); ``DB_APIS`` need the demo's user
table; the examples with the page's ``Item`` model are in dependencies_models.py.
"""

import time
from dataclasses import dataclass
from typing import Annotated

from asgiref.sync import sync_to_async
from django.contrib.auth.models import User  # defined: the page's User

from django_bolt import BoltAPI, Depends
from django_bolt.auth import JWTAuthentication
from django_bolt.exceptions import Forbidden, HTTPException, TooManyRequests, Unauthorized  # defined
from django_bolt.param_functions import Cookie, Header

api = BoltAPI()
db_api = BoltAPI()


# --- Basic usage ---------------------------------------------------------------------------------


async def get_current_user(request):
    """Dependency that extracts the current user."""
    user_id = request.get("context", {}).get("user_id")
    if not user_id:
        raise HTTPException(status_code=401, detail="Not authenticated")
    return await User.objects.aget(id=user_id)


@db_api.get("/profile", auth=[JWTAuthentication()])  # auth: the page assumes a project-wide one
async def get_profile(user=Depends(get_current_user)):
    return {"id": user.id, "username": user.username}


# --- Dependency patterns -------------------------------------------------------------------------


async def get_db_connection(request):
    """Get database connection from request context."""
    return request.get("db_connection")


@api.get("/db-connection")  # path: the page shows only the dependency
async def db_connection(conn=Depends(get_db_connection)):
    return {"connection": conn}


async def get_api_version(x_api_version: Annotated[str, Header()] = "v1"):
    """Extract API version from header."""
    return x_api_version


@api.get("/data")
async def get_data(version=Depends(get_api_version)):
    if version == "v2":
        return {"format": "new"}
    return {"format": "legacy"}


from django_bolt.auth import get_current_user  # noqa: E402, F811 - the page imports it here


@db_api.get("/me", auth=[JWTAuthentication()])  # auth: the page assumes a project-wide one
async def me(user=Depends(get_current_user)):
    return {"id": user.id, "username": user.username, "email": user.email}


# --- Dependency caching --------------------------------------------------------------------------

call_count = 0


async def expensive_operation(request):
    global call_count
    call_count += 1
    # Expensive computation
    return {"count": call_count}


@api.get("/test")
async def test(
    dep1=Depends(expensive_operation),
    dep2=Depends(expensive_operation),  # Same dependency
):
    # expensive_operation is called ONCE, result is reused
    return {"dep1": dep1, "dep2": dep2}


fresh_calls = 0


def some_dependency():  # defined: the page leaves it to the reader
    global fresh_calls
    fresh_calls += 1
    return fresh_calls


@api.get("/fresh")
async def fresh(dep=Depends(some_dependency, use_cache=False)):
    # Always gets fresh result
    return dep


# --- Sync and async dependencies -----------------------------------------------------------------


# Async dependency
async def async_dep(request):
    user = await User.objects.aget(id=1)
    return user


# Sync dependency
def sync_dep(request):
    return {"timestamp": time.time()}


@db_api.get("/mixed")
async def mixed(user=Depends(async_dep), data=Depends(sync_dep)):
    return {"user": user.username, "data": data}


# --- Nested dependencies -------------------------------------------------------------------------


class Settings:  # defined: a stand-in for the page's settings model (the demo has none)
    enable_new_ui = True
    beta_features = False

    class objects:  # noqa: N801 - a model's manager, as the page calls it
        @staticmethod
        async def afirst():
            return Settings()


async def get_settings(request):
    """Get application settings."""
    return await Settings.objects.afirst()


async def get_feature_flags(settings=Depends(get_settings)):
    """Get feature flags based on settings."""
    return {
        "new_ui": settings.enable_new_ui,
        "beta": settings.beta_features,
    }


@api.get("/features")
async def features(flags=Depends(get_feature_flags)):
    return flags


# --- Class-based dependencies --------------------------------------------------------------------


class Connection:  # defined: what the page's get_connection() returns
    closed = 0

    async def close(self):
        Connection.closed += 1


async def get_connection():  # defined
    return Connection()


class DatabaseSession:
    def __init__(self, request):
        self.request = request
        self.connection = None

    async def __aenter__(self):
        self.connection = await get_connection()
        return self.connection

    async def __aexit__(self, *args):
        if self.connection:
            await self.connection.close()


@api.get("/session/data")  # path: /data
async def get_session_data(db=Depends(DatabaseSession)):
    async with db:
        # Use database connection
        pass


# --- Parameter extraction in dependencies --------------------------------------------------------


async def verify_token(
    authorization: Annotated[str, Header()],
    session_id: Annotated[str, Cookie()],
):
    """Verify both token and session."""
    # Validate authorization header
    # Validate session cookie
    return {"valid": True}


@api.get("/secure")
async def secure_endpoint(auth=Depends(verify_token)):
    return {"status": "authenticated"}


# --- Common dependency patterns ------------------------------------------------------------------


async def get_db(request):
    """Provide a database session."""
    from django.db import connection

    # changed: `await connection.ensure_connection()`. Looked up on the ORM's thread (the lambda),
    # so that the connection is the one closed at the end of the request.
    await sync_to_async(lambda: connection.ensure_connection())()
    return connection


@db_api.get("/users")
async def list_users(db=Depends(get_db)):
    return [u async for u in User.objects.values("id", "username")[:10]]  # changed: `await User.objects.all()[:10]`


@dataclass
class Pagination:
    page: int
    page_size: int
    offset: int


def get_pagination(page: int = 1, page_size: int = 20) -> Pagination:
    """Extract pagination parameters."""
    return Pagination(
        page=page,
        page_size=min(page_size, 100),  # Max 100 per page
        offset=(page - 1) * page_size,
    )


def is_rate_limited(client_ip):  # defined: the page's "rate limit logic"
    return client_ip == "203.0.113.9"


async def check_rate_limit(request):
    """Check if request is rate limited."""
    client_ip = request.get("headers", {}).get("x-forwarded-for", "unknown")
    # Check rate limit logic
    if is_rate_limited(client_ip):
        raise TooManyRequests(detail="Rate limit exceeded")
    return True


@api.get("/api/data")
async def get_limited_data(_=Depends(check_rate_limit)):  # the page's second get_data (ruff: F811)
    return {"data": "value"}


async def require_admin(request):
    """Require admin user."""
    user_id = request.get("context", {}).get("user_id")
    if not user_id:
        raise Unauthorized()

    user = await User.objects.aget(id=user_id)
    if not user.is_staff:
        raise Forbidden(detail="Admin access required")

    return user


@db_api.delete("/users/{user_id}", auth=[JWTAuthentication()])  # auth: the page assumes a project-wide one
async def delete_user(user_id: int, admin=Depends(require_admin)):
    await User.objects.filter(id=user_id).adelete()
    return {"deleted": True}


APIS = [api]
DB_APIS = [db_api]
