"""Building a route's middleware chain and the endpoint Rust calls through it.

``route_middleware`` picks what applies to a route (the API's Django middleware, its
``middleware=[...]``, the route's ``@middleware``, less what ``@skip_middleware`` names);
``wrap_endpoint`` returns the endpoint unchanged when nothing applies, else an async endpoint
that takes the request, runs the chain, and calls the route's own endpoint at the bottom.

The response a middleware sees: a ``Response`` the handler returned, as it is; any other return
value as a ``MiddlewareResponse`` holding it unencoded. At the top the latter becomes
``(status, value, headers)``, which Rust encodes exactly as it would have encoded the plain
value (the route's response model, renderers), with the headers added. Exceptions are not
caught here: an ``HTTPException`` raised by the handler or a middleware gives its response.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from typing import Any, Callable

from ..request import Request
from .middleware import FunctionMiddlewareSpec, middleware_names

__all__ = ["BodyShape", "MiddlewareResponse", "route_middleware", "wrap_endpoint", "middleware_names"]

_MW_REQUEST = "__bolt_mw_request__"


class MiddlewareResponse:
    """A plain return value as middleware sees it: ``status_code``, ``headers`` (a dict; set
    what you like), ``cookies`` (``Set-Cookie`` values), ``content`` (the value, not yet encoded).

    ``set_cookie``/``delete_cookie`` work as on ``Response``.
    """

    __slots__ = ("status_code", "headers", "content", "cookies")

    def __init__(self, content: Any, status_code: int = 200, headers: Any = None) -> None:
        self.content = content
        self.status_code = status_code
        self.headers: dict[str, str] = dict(headers) if headers else {}
        self.cookies: list[str] = []

    @property
    def body(self) -> bytes:
        """The content encoded as JSON (for a middleware that wants to look at the bytes)."""
        from ..json import encode

        return encode(self.content)

    def set_cookie(self, name: str, value: str = "", **kw: Any) -> MiddlewareResponse:
        """Adds a ``Set-Cookie`` (``Response.set_cookie``'s arguments)."""
        from ..responses import Response

        r = Response()
        r.set_cookie(name, value, **kw)
        self.cookies.extend(r.cookies)
        return self

    def delete_cookie(self, name: str, **kw: Any) -> MiddlewareResponse:
        """Tells the browser to drop a cookie (``Response.delete_cookie``'s arguments)."""
        from ..responses import Response

        r = Response()
        r.delete_cookie(name, **kw)
        self.cookies.extend(r.cookies)
        return self

    def to_wire(self) -> tuple:
        """``(status, value, headers)`` for Rust."""
        headers: list[tuple[str, str]] = list(self.headers.items())
        headers.extend(("set-cookie", c) for c in self.cookies)
        return (self.status_code, self.content, headers)

    def __repr__(self) -> str:
        return f"MiddlewareResponse(status_code={self.status_code!r})"


_UNSET: Any = object()


class BodyShape:
    """What Rust encodes a route's plain return value by, for a Django middleware that reads
    the body: the declared type's plan (made on first use: types may be defined after the
    route) and the renderers ``Accept`` picks among (``renderers=``; empty: always JSON)."""

    __slots__ = ("_plan_of", "_plan", "renderers")

    def __init__(self, plan_of: Callable[[], Any] | None, renderers: tuple[str, ...] = ()) -> None:
        self._plan_of = plan_of
        self._plan: Any = _UNSET
        self.renderers = renderers

    @property
    def negotiated(self) -> bool:
        """Whether ``Accept`` picks how a plain value is written."""
        return bool(self.renderers)

    def plan(self) -> Any:
        if self._plan is _UNSET:
            self._plan = self._plan_of() if self._plan_of is not None else None
        return self._plan


def _without_skipped(specs: list[Any], skip: frozenset[str]) -> list[Any]:
    if not skip:
        return specs
    skip_all = "*" in skip
    kept: list[Any] = []
    for spec in specs:
        if isinstance(spec, dict):
            continue
        if hasattr(spec, "_bolt_django_layer"):
            # "*" never removes a Django middleware (CSRF): only its own name does.
            narrowed = spec.without(skip)
            if narrowed is not None:
                kept.append(narrowed)
            continue
        if skip_all:
            continue
        target = spec.func if isinstance(spec, FunctionMiddlewareSpec) else spec
        if not middleware_names(target) & skip:
            kept.append(spec)
    return kept


def route_middleware(global_specs: list[Any], handler: Any) -> list[Any]:
    """The middleware a route runs, outermost first: the API's, then the route's own, without
    those ``@skip_middleware`` names (dict configs, run by Rust in django-bolt, are dropped)."""
    own = getattr(handler, "__bolt_middleware__", None) or []
    skip = frozenset(getattr(handler, "__bolt_skip_middleware__", ()) or ())
    specs = [s for s in (*global_specs, *own) if not isinstance(s, dict)]
    return _without_skipped(specs, skip)


def _layer(spec: Any, get_response: Callable[[Any], Any], status_code: int) -> Callable[[Any], Any]:
    if isinstance(spec, FunctionMiddlewareSpec):
        fn = spec.func

        async def function_middleware(request: Any) -> Any:
            result = fn(request, get_response)
            return await result if inspect.isawaitable(result) else result

        return function_middleware
    if hasattr(spec, "_bolt_django_layer"):

        async def as_response(request: Any) -> Any:
            # Django's hooks need a response: a plain value a bolt middleware below returned is
            # made one as the handler's is.
            return _as_response(await get_response(request), status_code)

        return spec._bolt_django_layer(as_response)
    return spec(get_response)


def _as_response(value: Any, status_code: int) -> Any:
    """What middleware sees of a handler's return value."""
    from ..responses import Response

    if isinstance(value, Response) or type(value) is MiddlewareResponse:
        return value
    if type(value) is tuple and 2 <= len(value) <= 3 and type(value[0]) is int:
        return MiddlewareResponse(value[1], value[0], value[2] if len(value) == 3 else None)
    if _is_django_response(value):
        return value
    return MiddlewareResponse(value, status_code)


def _is_django_response(value: Any) -> bool:
    try:
        from django.http import HttpResponseBase
    except ImportError:  # pragma: no cover - django is a dependency
        return False
    return isinstance(value, HttpResponseBase)


def _to_wire(value: Any) -> Any:
    """What Rust is given of the chain's answer."""
    if type(value) is MiddlewareResponse:
        return value.to_wire()
    if _is_django_response(value):
        from .django_adapter import to_bolt_response

        return to_bolt_response(value)
    return value


def _inline(fn: Callable[..., Any], kw: dict[str, Any]) -> Any:
    # As bolt calls plain `def` handlers: no running loop, so Django's ORM may be used.
    loop = asyncio.events._get_running_loop()
    asyncio.events._set_running_loop(None)
    try:
        return fn(**kw)
    finally:
        asyncio.events._set_running_loop(loop)


def wrap_endpoint(
    endpoint: Callable[..., Any],
    plan: list,
    specs: list[Any],
    *,
    handler: Callable[..., Any],
    status_code: int,
    blocking: bool | None,
    body_shape: BodyShape | None = None,
) -> tuple[Callable[..., Any], list]:
    """(endpoint, plan) with ``specs`` around it; both unchanged when ``specs`` is empty.

    ``handler`` is the route's own function (Django's ``process_view`` gets it as the view);
    ``status_code`` the route's success status; ``blocking=True`` runs a sync endpoint on the
    interpreter's thread pool, as dependencies do; ``body_shape`` how Rust encodes a plain
    return value (for Django middleware that read the body).
    """
    if not specs:
        return endpoint, plan
    from .._plans import K_ANY, SRC_REQUEST, ParamPlan

    is_async = inspect.iscoroutinefunction(endpoint)
    on_pool = blocking is True

    async def call_endpoint(request: Any) -> Any:
        kw = request.state.pop("_bolt_endpoint_kwargs")
        # Every request argument is the chain's request object, so what middleware put in
        # `request.state` (or the user Django's middleware set) is what the handler sees.
        for k, v in kw.items():
            if isinstance(v, Request) and v is not request:
                kw[k] = request
        if is_async:
            value = await endpoint(**kw)
        elif on_pool:
            value = await asyncio.get_running_loop().run_in_executor(None, functools.partial(endpoint, **kw))
        else:
            value = _inline(endpoint, kw)
            if inspect.isawaitable(value):
                value = await value
        return _as_response(value, status_code)

    chain: Callable[[Any], Any] = call_endpoint
    for spec in reversed(specs):
        chain = _layer(spec, chain, status_code)

    @functools.wraps(endpoint)
    async def with_middleware(**kw: Any) -> Any:
        request = kw.pop(_MW_REQUEST)
        request.state["_bolt_endpoint_kwargs"] = kw
        # Django's process_view gets the handler as the view (@csrf_exempt is read from it).
        request.state["_view_func"] = handler
        request.state["_bolt_body_shape"] = body_shape
        return _to_wire(await chain(request))

    return with_middleware, [*plan, ParamPlan(_MW_REQUEST, SRC_REQUEST, K_ANY, 0, None, _MW_REQUEST, None, None)]
