"""Authentication and guards, checked before the handler runs (in Rust where they can be).

>>> from django_bolt.auth import JWTAuthentication, IsAuthenticated, Requires, HasPermission
>>> @api.get("/me", auth=[JWTAuthentication()], guards=[IsAuthenticated()])
... async def me(request) -> dict:
...     return {"sub": request.auth["sub"]}

``request.auth`` holds the verified claims; ``request.user`` (sync) or ``await request.auser()``
loads the Django user named by the token's ``sub`` claim, or ``AnonymousUser``.
"""

from ..conf import get_default_permission_classes  # noqa: E402
from .authentication import APIKeyAuthentication, BaseAuthentication, JWTAuthentication, SessionAuthentication
from .backends import get_default_authentication_classes  # noqa: E402 - after the classes it names
from .guards import (
    AllowAny,
    BasePermission,
    HasAllPermissions,
    HasAnyPermission,
    HasPermission,
    IsAdminUser,
    IsAuthenticated,
    IsStaff,
    Requires,
)
from .jwt_utils import (
    CurrentUser,
    OptionalCurrentUser,
    extract_user_id_from_context,
    get_auth_context,
    get_current_user,
    get_current_user_sync,
    require_current_user,
    require_current_user_sync,
)
from .revocation import (
    DjangoCacheRevocation,
    DjangoORMRevocation,
    InMemoryRevocation,
    RevocationStore,
    create_revocation_handler,
)
from .token import Token
from .tokens import (
    TokenPair,
    TokenRotationError,
    create_jwt_for_user,
    create_token_pair,
    rotate_refresh_token,
    set_token_cookies,
)
from .user_loader import get_registered_backend, load_user, load_user_sync, register_auth_backend
from .views import JWTAuthViews, LoginCredentials

__all__ = [
    "APIKeyAuthentication",
    "BaseAuthentication",
    "register_auth_backend",
    "get_registered_backend",
    "load_user",
    "load_user_sync",
    "JWTAuthentication",
    "SessionAuthentication",
    "AllowAny",
    "BasePermission",
    "IsAuthenticated",
    "IsAdminUser",
    "IsStaff",
    "HasPermission",
    "HasAnyPermission",
    "HasAllPermissions",
    "Requires",
    "create_jwt_for_user",
    "create_token_pair",
    "rotate_refresh_token",
    "TokenPair",
    "TokenRotationError",
    "set_token_cookies",
    "RevocationStore",
    "InMemoryRevocation",
    "DjangoCacheRevocation",
    "DjangoORMRevocation",
    "create_revocation_handler",
    "get_default_authentication_classes",
    "get_default_permission_classes",
    "CurrentUser",
    "OptionalCurrentUser",
    "get_current_user",
    "get_current_user_sync",
    "require_current_user",
    "require_current_user_sync",
    "extract_user_id_from_context",
    "get_auth_context",
    "JWTAuthViews",
    "LoginCredentials",
    "Token",
]
