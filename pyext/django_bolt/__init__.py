"""django-bolt: serve a Django project's typed JSON API from Rust.

>>> from django_bolt import BoltAPI
>>> api = BoltAPI()
>>> @api.get("/hello")
... async def hello() -> dict:
...     return {"message": "Hello, World!"}

Run ``bolt --cores all`` inside the project.
"""

from __future__ import annotations

from .api import BoltAPI, Route, Router
from .cookies import Cookie
from .cors import cors
from .exceptions import (
    BadRequest,
    Conflict,
    Forbidden,
    HTTPException,
    InternalServerError,
    MethodNotAllowed,
    NotFound,
    RequestValidationError,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
    UnprocessableEntity,
)
from .logconfig import LoggingConfig
from .middleware import CompressionConfig, no_compress, skip_middleware
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
from .uploads import UploadFile
from .websocket import (
    CloseCode,
    WebSocket,
    WebSocketClose,
    WebSocketDisconnect,
    WebSocketException,
    WebSocketState,
)

__version__ = "0.1.0"

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
    "RequestValidationError",
    "LoggingConfig",
    "CompressionConfig",
    "no_compress",
    "skip_middleware",
    "cors",
    "rate_limit",
    "__version__",
]
