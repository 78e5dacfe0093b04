"""django-bolt's ``django_bolt.auth.jwt_utils``: the JWT helpers and the current-user
dependencies.

>>> from django_bolt import CurrentUser
>>> @api.get("/me", auth=[JWTAuthentication()], guards=[IsAuthenticated()])
... async def me(user: CurrentUser) -> dict:
...     return {"id": user.id}

``CurrentUser`` is the authenticated user (401 without one), ``OptionalCurrentUser`` the user or
None. Both load the user as ``await request.auser()`` does (once per request; the user the
authenticator names, from ``AUTH_USER_MODEL``). ``create_jwt_for_user`` is
``django_bolt.auth.tokens``'s.
"""

from __future__ import annotations

from typing import Annotated, Any

from ..exceptions import Unauthorized
from ..params import Depends
from .tokens import create_jwt_for_user

__all__ = [
    "create_jwt_for_user",
    "get_current_user",
    "get_current_user_sync",
    "require_current_user",
    "require_current_user_sync",
    "CurrentUser",
    "OptionalCurrentUser",
    "extract_user_id_from_context",
    "get_auth_context",
]


def _signed_in(user: Any) -> Any:
    return user if user is not None and getattr(user, "is_authenticated", False) else None


async def get_current_user(request: Any) -> Any:
    """A dependency: the request's authenticated user, or None (nobody authenticated it, or
    the user it names no longer exists). ``user=Depends(get_current_user)``."""
    return _signed_in(await request.auser())


def get_current_user_sync(request: Any) -> Any:
    """:func:`get_current_user` for code that cannot await: reads ``request.user``."""
    return _signed_in(request.user)


async def require_current_user(request: Any) -> Any:
    """A dependency: the request's authenticated user; a 401 when there is none."""
    user = await get_current_user(request)
    if user is None:
        raise Unauthorized(detail="Authentication required")
    return user


def require_current_user_sync(request: Any) -> Any:
    """:func:`require_current_user` for code that cannot await."""
    user = get_current_user_sync(request)
    if user is None:
        raise Unauthorized(detail="Authentication required")
    return user


#: The authenticated user as a handler parameter (``user: CurrentUser``); 401 without one.
CurrentUser = Annotated[Any, Depends(require_current_user)]
#: The authenticated user or None (``user: OptionalCurrentUser``).
OptionalCurrentUser = Annotated[Any, Depends(get_current_user)]


def extract_user_id_from_context(request: Any) -> str | None:
    """The ``user_id`` of the request's auth context (``request.context``), or None."""
    return (request.context or {}).get("user_id")


def get_auth_context(request: Any) -> dict[str, Any]:
    """The request's auth context (``user_id``, ``is_staff``, ``is_superuser``,
    ``auth_backend``, ``permissions``, ``auth_claims``); ``{}`` when nothing authenticated it."""
    return dict(request.context or {})
