"""django-bolt: serve a Django project's typed JSON API from Rust.

>>> from django_bolt import BoltAPI
>>> api = BoltAPI()
>>> @api.get("/hello")
... async def hello() -> dict:
...     return {"message": "Hello, World!"}

Run ``bolt --cores all`` inside the project.
"""

from __future__ import annotations

from . import status_codes as status
from .api import BoltAPI, Route, Router
from .auth import (
    AllowAny,
    APIKeyAuthentication,
    HasAllPermissions,
    HasAnyPermission,
    HasPermission,
    IsAdminUser,
    IsAuthenticated,
    IsStaff,
    JWTAuthentication,
    Requires,
    SessionAuthentication,
    create_jwt_for_user,
)
from .cookies import Cookie
from .cors import cors
from .decorators import action
from .enums import FileSize, MediaType
from .exceptions import (
    BadGateway,
    BadRequest,
    Conflict,
    Forbidden,
    GatewayTimeout,
    Gone,
    HTTPException,
    InternalServerError,
    MethodNotAllowed,
    NotAcceptable,
    NotFound,
    NotImplemented,
    RequestValidationError,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
    UnprocessableEntity,
)
from .logconfig import LoggingConfig

# As in django-bolt, the attribute ``django_bolt.middleware`` is the ``@middleware`` decorator;
# ``from django_bolt.middleware import X`` still reads the package.
from .middleware import (
    BaseMiddleware,
    CompressionConfig,
    DjangoMiddleware,
    ErrorHandlerMiddleware,
    LoggingMiddleware,
    Middleware,
    MiddlewareProtocol,
    TimingMiddleware,
    middleware,
    no_compress,
    skip_middleware,
)
from .pagination import (
    CursorPagination,
    LimitOffsetPagination,
    PageNumberPagination,
    PaginatedResponse,
    PaginationBase,
    paginate,
)
from .params import Body, Depends, File, Form, Header, Meta, Path, Query
from .ratelimit import rate_limit
from .request import Request
from .responses import (
    HTML,
    JSON,
    EventSourceResponse,
    FileResponse,
    PlainText,
    Redirect,
    Response,
    ServerSentEvent,
    StreamingResponse,
    format_sse_event,
)
from .struct import Struct, field
from .types import (
    APIKeyAuth,
    AuthContext,
    DjangoModel,
    JWTClaims,
    TimingState,
    TracingState,
    UserType,
)
from .types import Request as RequestProtocol
from .uploads import UploadFile
from .views import (
    APIView,
    CreateMixin,
    DestroyMixin,
    ListMixin,
    ModelViewSet,
    PartialUpdateMixin,
    ReadOnlyModelViewSet,
    RetrieveMixin,
    UpdateMixin,
    ViewSet,
)
from .websocket import (
    CloseCode,
    WebSocket,
    WebSocketClose,
    WebSocketDisconnect,
    WebSocketException,
    WebSocketState,
)

__version__ = "0.1.0"

# django-bolt's top-level OpenAPI names, imported on first use: ``django_bolt.openapi`` needs a
# newer Python than this package's first import, which must reach ``bolt``'s version check.
_OPENAPI_NAMES = frozenset(
    (
        "OpenAPIConfig",
        "SwaggerRenderPlugin",
        "RedocRenderPlugin",
        "ScalarRenderPlugin",
        "RapidocRenderPlugin",
        "StoplightRenderPlugin",
        "JsonRenderPlugin",
        "YamlRenderPlugin",
    )
)


def __getattr__(name: str) -> object:
    if name in _OPENAPI_NAMES:
        from . import openapi

        return getattr(openapi, name)
    raise AttributeError(f"module 'django_bolt' has no attribute {name!r}")


__all__ = [
    "WebSocket",
    "WebSocketState",
    "WebSocketDisconnect",
    "WebSocketClose",
    "WebSocketException",
    "CloseCode",
    "BoltAPI",
    "Route",
    "Router",
    "Request",
    "Response",
    "JSON",
    "PlainText",
    "HTML",
    "Redirect",
    "StreamingResponse",
    "EventSourceResponse",
    "ServerSentEvent",
    "format_sse_event",
    "FileResponse",
    "Struct",
    "field",
    "Query",
    "Path",
    "Body",
    "Header",
    "Cookie",
    "Form",
    "File",
    "UploadFile",
    "Depends",
    "Meta",
    "HTTPException",
    "BadRequest",
    "Unauthorized",
    "Forbidden",
    "NotFound",
    "MethodNotAllowed",
    "Conflict",
    "UnprocessableEntity",
    "TooManyRequests",
    "InternalServerError",
    "ServiceUnavailable",
    "NotAcceptable",
    "Gone",
    "NotImplemented",
    "BadGateway",
    "GatewayTimeout",
    "RequestValidationError",
    "LoggingConfig",
    "CompressionConfig",
    "no_compress",
    "skip_middleware",
    "middleware",
    "MiddlewareProtocol",
    "BaseMiddleware",
    "Middleware",
    "TimingMiddleware",
    "LoggingMiddleware",
    "ErrorHandlerMiddleware",
    "DjangoMiddleware",
    "cors",
    "rate_limit",
    "APIView",
    "ViewSet",
    "ModelViewSet",
    "ReadOnlyModelViewSet",
    "ListMixin",
    "RetrieveMixin",
    "CreateMixin",
    "UpdateMixin",
    "PartialUpdateMixin",
    "DestroyMixin",
    "action",
    "PaginationBase",
    "PageNumberPagination",
    "LimitOffsetPagination",
    "CursorPagination",
    "PaginatedResponse",
    "paginate",
    # django-bolt's names (docs/compat.md)
    "status",
    "MediaType",
    "FileSize",
    "RequestProtocol",
    "UserType",
    "AuthContext",
    "DjangoModel",
    "JWTClaims",
    "APIKeyAuth",
    "TimingState",
    "TracingState",
    "JWTAuthentication",
    "APIKeyAuthentication",
    "SessionAuthentication",
    "AllowAny",
    "IsAuthenticated",
    "IsAdminUser",
    "IsStaff",
    "HasPermission",
    "HasAnyPermission",
    "HasAllPermissions",
    "Requires",
    "create_jwt_for_user",
    "OpenAPIConfig",
    "SwaggerRenderPlugin",
    "RedocRenderPlugin",
    "ScalarRenderPlugin",
    "RapidocRenderPlugin",
    "StoplightRenderPlugin",
    "JsonRenderPlugin",
    "YamlRenderPlugin",
    "__version__",
]
