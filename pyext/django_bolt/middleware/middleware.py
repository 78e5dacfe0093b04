"""Python middleware around API routes, as django-bolt 0.13's ``django_bolt.middleware``.

A middleware is Django-shaped: a class built with the next step of the chain
(``__init__(get_response)``) whose ``async __call__(request)`` returns a response; or a function
``async def m(request, call_next)`` made a route decorator by ``@middleware``. Order: the API's
``django_middleware``, then its ``middleware=[...]``, then the route's ``@middleware(...)``, then
the handler; responses come back the other way. What a middleware sees as the response always
has ``status_code`` and ``headers`` (see ``chain.MiddlewareResponse``), and what it sets there
reaches the wire through Rust's normal response path (CORS, compression).

A route no middleware applies to has no wrapper at all: nothing here runs for it.

Compression is done by Rust; ``skip_middleware("compression")``/``no_compress`` switch it off
per route, and ``skip_middleware`` also names Python middleware to leave out for a route.
"""

from __future__ import annotations

import inspect
import logging
import re
import time
import traceback
import uuid
from abc import ABC, abstractmethod
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Protocol, TypeVar, runtime_checkable

from ..exceptions import HTTPException

if TYPE_CHECKING:
    from ..request import Request

__all__ = [
    "MiddlewareProtocol",
    "BaseMiddleware",
    "Middleware",
    "GetResponse",
    "MiddlewareType",
    "FunctionMiddlewareSpec",
    "middleware",
    "skip_middleware",
    "no_compress",
    "TimingMiddleware",
    "LoggingMiddleware",
    "ErrorHandlerMiddleware",
]

F = TypeVar("F", bound=Callable[..., Any])

#: The next step of a chain: the request in, (awaited) the response out.
GetResponse = Callable[["Request"], Awaitable[Any]]


@runtime_checkable
class MiddlewareProtocol(Protocol):
    """What a middleware class is: built once with the next step, called once per request."""

    def __init__(self, get_response: GetResponse) -> None: ...

    async def __call__(self, request: Request) -> Any: ...


#: A middleware class (``BaseMiddleware``/``Middleware`` subclass or any ``MiddlewareProtocol``).
MiddlewareType = type[MiddlewareProtocol] | type["BaseMiddleware"]


@dataclass(frozen=True)
class FunctionMiddlewareSpec:
    """A function middleware ``async def m(request, call_next)`` attached to a route."""

    func: Callable[..., Any]


def _glob(path: str) -> str:
    # "**" spans segments, "*" stays inside one (django-bolt's exclude_paths rule).
    return "^" + re.escape(path).replace(r"\*\*", ".*").replace(r"\*", "[^/]*") + "$"


class BaseMiddleware(ABC):
    """A middleware class with per-path and per-method exclusions; subclasses write
    ``process_request`` and call ``self.get_response(request)`` to go on.

    Attributes:
        exclude_paths: Paths this middleware leaves alone (``*`` matches within a segment,
            ``**`` across segments), e.g. ``["/health", "/docs/**"]``.
        exclude_methods: Methods it leaves alone, e.g. ``["OPTIONS"]``.

    Example::

        class RequireClientId(BaseMiddleware):
            exclude_paths = ["/health"]

            async def process_request(self, request):
                if "x-client-id" not in request.headers:
                    raise HTTPException(400, "X-Client-Id is required")
                return await self.get_response(request)

        api = BoltAPI(middleware=[RequireClientId])
    """

    exclude_paths: list[str] | None = None
    exclude_methods: list[str] | None = None

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response
        self._exclude_pattern = (
            re.compile("|".join(_glob(p) for p in self.exclude_paths)) if self.exclude_paths else None
        )
        self._exclude_methods_set = {m.upper() for m in self.exclude_methods} if self.exclude_methods else None

    async def __call__(self, request: Request) -> Any:
        if self._should_skip(request):
            return await self.get_response(request)
        return await self.process_request(request)

    def _should_skip(self, request: Request) -> bool:
        if self._exclude_methods_set and request.method in self._exclude_methods_set:
            return True
        return bool(self._exclude_pattern and self._exclude_pattern.match(request.path))

    @abstractmethod
    async def process_request(self, request: Request) -> Any:
        """Handles one request: return ``await self.get_response(request)`` (changed or not), or
        a response of your own to answer without the handler."""


class Middleware(ABC):
    """The plain middleware base class (``BaseMiddleware`` without exclusions).

    Example::

        class RequestId(Middleware):
            async def process_request(self, request):
                request.state["request_id"] = rid = str(uuid.uuid4())
                response = await self.get_response(request)
                response.headers["X-Request-ID"] = rid
                return response
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    @abstractmethod
    async def process_request(self, request: Request) -> Any:
        """Handles one request (see ``BaseMiddleware.process_request``)."""

    async def __call__(self, request: Request) -> Any:
        return await self.process_request(request)


def _is_function(spec: Any) -> bool:
    return inspect.isfunction(spec) or inspect.ismethod(spec) or inspect.isbuiltin(spec)


def normalize_middleware_specs(specs: Any, *, context: str, allow_function_middleware: bool = False) -> list[Any]:
    """The entries of a ``middleware=[...]`` list (``context="api"``/``"router"``) or of a
    route's ``@middleware(...)`` (``context="route"``), checked: classes, ``DjangoMiddleware`` /
    ``DjangoMiddlewareStack`` wrappers, dicts (django-bolt's Rust middleware configs: kept here,
    read by ``configs``) and, for a route, functions.

    Raises:
        TypeError: An instance where a class belongs, a function at API level, anything else.
    """
    out: list[Any] = []
    for spec in specs or ():
        if isinstance(spec, dict) or hasattr(spec, "_bolt_django_layer"):
            out.append(spec)
        elif isinstance(spec, FunctionMiddlewareSpec) or (not isinstance(spec, type) and _is_function(spec)):
            if not allow_function_middleware:
                raise TypeError(
                    f"{context} middleware does not take function middleware ({getattr(spec, 'func', spec)!r}); "
                    "attach it to a route with @middleware, or write a middleware class"
                )
            out.append(spec if isinstance(spec, FunctionMiddlewareSpec) else FunctionMiddlewareSpec(spec))
        elif isinstance(spec, type):
            out.append(spec)
        elif callable(spec) or isinstance(spec, (BaseMiddleware, Middleware)):
            raise TypeError(
                f"{context} middleware does not accept middleware instances ({type(spec).__name__}). "
                "Pass middleware classes instead, e.g. middleware=[MyMiddleware]."
            )
        else:
            raise TypeError(
                f"Unsupported {context} middleware entry: {spec!r}. Expected a middleware class, a "
                "DjangoMiddleware wrapper or (on a route) a function middleware."
            )
    return out


def _attach(handler: Any, specs: list[Any]) -> Any:
    existing = getattr(handler, "__bolt_middleware__", None)
    if existing is None:
        existing = []
        handler.__bolt_middleware__ = existing
    existing.extend(specs)
    return handler


def middleware(*args: Any, **kwargs: Any) -> Any:
    """Middleware for one route, or a function made into route middleware.

    ``@middleware(ClassA, ClassB)`` on a handler (under ``@api.get``) runs those classes around
    it, after the API's and its routers' middleware. ``@middleware`` on ``async def m(request,
    call_next)`` makes ``m`` a decorator that does the same with the function. Keyword
    arguments are django-bolt's Rust middleware configs, run by bolt's Rust CORS and rate
    limiter: ``@middleware(type="cors", origins=[...])``, ``@middleware(cors={"origins":
    [...]})``, ``@middleware(type="rate_limit", rps=10)``, ``@middleware(skip=["cors"])`` (see
    ``django_bolt.middleware.configs``); any other config is a TypeError.

    Example::

        @middleware
        async def timed(request, call_next):
            response = await call_next(request)
            response.headers["X-Timed"] = "yes"
            return response

        @api.get("/timed")
        @timed
        async def timed_endpoint():
            return {"ok": True}
    """
    if len(args) == 1 and not kwargs and callable(args[0]) and not isinstance(args[0], type):
        spec = normalize_middleware_specs(args, context="route", allow_function_middleware=True)[0]

        def route_decorator(handler: F) -> F:
            return _attach(handler, [spec])

        return route_decorator

    if kwargs:
        from .configs import read_config

        read_config(kwargs, "@middleware(...)")  # a bad config fails here, not at start-up

    def decorator(handler: F) -> F:
        specs = normalize_middleware_specs(args, context="route", allow_function_middleware=True)
        if kwargs:
            specs.append(dict(kwargs))
            skip = kwargs.get("skip")
            if skip:
                skip_middleware(*([skip] if isinstance(skip, str) else skip))(handler)
        return _attach(handler, specs)

    return decorator


def skip_middleware(*middleware_names: str) -> Callable[[F], F]:
    """Leaves middleware out for a route: ``"compression"``, ``"cors"`` (no CORS headers at all
    for the route, not even the project's ``CORS_*`` policy; a preflight for it is refused) and
    ``"rate_limit"`` (done in Rust), a Python middleware by the name or dotted path of its class
    or function, a Django middleware by its class name or dotted path, or ``"*"`` for every bolt
    middleware (compression, CORS, rate limit and Python middleware; a Django middleware,
    CSRF's for one, is skipped only by its name).

    Example::

        @api.get("/raw")
        @skip_middleware("compression", "TimingMiddleware")
        async def raw():
            return {"raw": True}
    """

    def decorator(func: F) -> F:
        skipped = getattr(func, "__bolt_skip_middleware__", None)
        if skipped is None:
            skipped = set()
            func.__bolt_skip_middleware__ = skipped  # type: ignore[attr-defined]
        skipped.update(middleware_names)
        return func

    return decorator


# A TypeVar, not PEP 695 syntax: an older Python must import the package far enough to say it
# needs 3.13 (tests/server/test_startup.py).
def no_compress(func: F) -> F:  # noqa: UP047
    """Never compresses this route's responses (``@skip_middleware("compression")``).

    Example::

        @api.get("/already-small")
        @no_compress
        async def small():
            return {"ok": True}
    """
    return skip_middleware("compression")(func)


def skips(func: Any, name: str) -> bool:
    """Whether ``func`` was marked to skip the middleware ``name``."""
    skipped = getattr(func, "__bolt_skip_middleware__", ())
    return name in skipped or "*" in skipped


class TimingMiddleware(BaseMiddleware):
    """Times each request: ``request.state["request_id"]`` (a UUID4) and
    ``request.state["start_time"]`` for the handler; ``X-Request-ID`` and ``X-Response-Time``
    (seconds, e.g. ``0.0012s``) on the response.

    Example::

        api = BoltAPI(middleware=[TimingMiddleware])
    """

    async def process_request(self, request: Request) -> Any:
        request_id = str(uuid.uuid4())
        start = time.perf_counter()
        request.state["request_id"] = request_id
        request.state["start_time"] = start
        response = await self.get_response(request)
        response.headers["X-Request-ID"] = request_id
        response.headers["X-Response-Time"] = f"{time.perf_counter() - start:.4f}s"
        return response


class LoggingMiddleware(BaseMiddleware):
    """Logs each request and its response status and time to ``django_bolt.requests`` (or
    ``logger``), at ``log_level``; leaves ``/health``, ``/metrics``, ``/docs`` and
    ``/openapi.json`` alone. Give arguments through a subclass (it is built with only
    ``get_response``).

    Example::

        class VerboseLogging(LoggingMiddleware):
            def __init__(self, get_response):
                super().__init__(get_response, log_headers=True, log_level=logging.DEBUG)
    """

    exclude_paths = ["/health", "/metrics", "/docs", "/openapi.json"]

    def __init__(
        self,
        get_response: GetResponse,
        logger: logging.Logger | None = None,
        log_body: bool = False,
        log_headers: bool = False,
        log_level: int = logging.INFO,
    ) -> None:
        super().__init__(get_response)
        self.logger = logger or logging.getLogger("django_bolt.requests")
        self.log_body = log_body
        self.log_headers = log_headers
        self.log_level = log_level

    async def process_request(self, request: Request) -> Any:
        if self.logger.isEnabledFor(self.log_level):
            data: dict[str, Any] = {"method": request.method, "path": request.path}
            if request.query:
                data["query"] = dict(request.query)
            if self.log_headers:
                data["headers"] = dict(request.headers)
            if self.log_body and request.body:
                data["body_size"] = len(request.body)
            self.logger.log(self.log_level, "Request: %s", data)
        start = time.perf_counter()
        response = await self.get_response(request)
        self.logger.log(
            self.log_level,
            "Response: %s for %s %s (%.4fs)",
            response.status_code,
            request.method,
            request.path,
            time.perf_counter() - start,
        )
        return response


class ErrorHandlerMiddleware(BaseMiddleware):
    """Turns an exception that is not an ``HTTPException`` into ``HTTPException(500)``, logged
    to ``django_bolt.errors``; with ``debug`` the detail is the traceback. Put it first.

    Example::

        api = BoltAPI(middleware=[ErrorHandlerMiddleware])
    """

    def __init__(self, get_response: GetResponse, debug: bool = False) -> None:
        super().__init__(get_response)
        self.debug = debug
        self.logger = logging.getLogger("django_bolt.errors")

    async def process_request(self, request: Request) -> Any:
        try:
            return await self.get_response(request)
        except HTTPException:
            raise
        except Exception as e:
            self.logger.exception("Unhandled exception: %s", e)
            detail = traceback.format_exc() if self.debug else "Internal Server Error"
            raise HTTPException(500, detail) from None


def middleware_names(target: Any) -> frozenset[str]:
    """The names ``@skip_middleware`` may give ``target`` (a class, a function, a dotted path)."""
    if isinstance(target, str):
        return frozenset({target, target.rpartition(".")[2]})
    return frozenset({target.__name__, f"{target.__module__}.{target.__qualname__}"})
