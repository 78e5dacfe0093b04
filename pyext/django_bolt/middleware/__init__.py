"""Middleware: Python middleware around API routes (django-bolt's API), Django middleware
around them, and the response compression settings (done in Rust).

>>> api = BoltAPI(middleware=[TimingMiddleware], django_middleware=[
...     "django.contrib.sessions.middleware.SessionMiddleware",
...     "django.contrib.auth.middleware.AuthenticationMiddleware",
... ])
"""

from __future__ import annotations

from ..cors import cors
from ..ratelimit import rate_limit
from .compression import CompressionConfig
from .django_adapter import (
    DEFAULT_EXCLUDED_MIDDLEWARE,
    DjangoMiddleware,
    DjangoMiddlewareStack,
    get_django_middleware_setting,
    load_django_middleware,
)
from .middleware import (
    BaseMiddleware,
    ErrorHandlerMiddleware,
    GetResponse,
    LoggingMiddleware,
    Middleware,
    MiddlewareProtocol,
    MiddlewareType,
    TimingMiddleware,
    middleware,
    no_compress,
    skip_middleware,
)

__all__ = [
    "MiddlewareProtocol",
    "BaseMiddleware",
    "Middleware",
    "GetResponse",
    "MiddlewareType",
    "CompressionConfig",
    "middleware",
    "cors",
    "rate_limit",
    "skip_middleware",
    "no_compress",
    "TimingMiddleware",
    "LoggingMiddleware",
    "ErrorHandlerMiddleware",
    "DjangoMiddleware",
    "DjangoMiddlewareStack",
    "load_django_middleware",
    "get_django_middleware_setting",
    "DEFAULT_EXCLUDED_MIDDLEWARE",
]
