"""``BoltAPI``: register handlers with FastAPI-style decorators.

>>> api = BoltAPI()
>>> @api.get("/items/{item_id}")
... async def read_item(item_id: int, q: str | None = None) -> dict:
...     return {"item_id": item_id, "q": q}
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import typing
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence, TypeVar

from ._plans import RoutePlan, SecurityPlan
from .asgi_mounts import django_mount, normalize_mount_prefix
from .dependencies import compile_handler
from .middleware.chain import BodyShape, route_middleware, wrap_endpoint
from .middleware.compression import CompressionConfig
from .middleware.middleware import normalize_middleware_specs, skips
from .params import SignatureError

__all__ = ["BoltAPI", "Router", "Route", "merge_routes", "route_conflicts", "RouteConflictError"]

F = TypeVar("F", bound=Callable[..., Any])

_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "QUERY")
#: ``BoltAPI(trailing_slash=)``: how a route's path is written at registration (django-bolt's modes).
_TRAILING_SLASH_MODES = ("strip", "append", "keep")


class _Unset:
    def __repr__(self) -> str:
        return "<unset>"


_UNSET: Any = _Unset()
#: ``renderers=`` names, and the media type each is sent as.
_RENDERERS = {"json": "application/json", "msgpack": "application/msgpack", "text": "text/plain"}
#: Declared types that add nothing to plain encoding (no plan needed).
_UNCHECKED = {("any",), ("dict", ("any",), ("any",), None), ("list", ("any",), None)}


def _is_response_class(tp: Any) -> bool:
    from .responses import Response

    if not isinstance(tp, type):
        return False
    if issubclass(tp, Response):
        return True
    try:
        from django.http import HttpResponseBase
    except ImportError:  # pragma: no cover - django is a dependency
        return False
    return issubclass(tp, HttpResponseBase)


class RouteConflictError(ValueError):
    """Two handlers claim the same method and path (a start-up error)."""


@dataclass
class Route:
    """One registered handler and its compiled parameter plan."""

    method: str
    path: str
    handler: Callable[..., Any]
    status_code: int = 200
    blocking: bool | None = None
    name: str = ""
    tags: list[str] = field(default_factory=list)
    params: list[tuple] = field(default_factory=list)
    #: What Rust calls: the handler itself, or its dependency-resolving wrapper.
    endpoint: Callable[..., Any] | None = None
    auth: list[Any] = field(default_factory=list)
    guards: list[Any] = field(default_factory=list)
    #: ``response_model=``: a type, ``None`` for no checking, or unset (the return annotation).
    response_model: Any = _UNSET
    #: The other statuses ``response_model={status: type}`` declares (documented, not encoded):
    #: a type, ``None`` (no body) or a ``Response`` class (its media type).
    responses: dict[int, Any] = field(default_factory=dict)
    #: OpenAPI: what the document says of this operation (``include_in_schema=False`` leaves it out).
    summary: str | None = None
    description: str | None = None
    response_class: type | None = None
    include_in_schema: bool = True
    #: Served by the API docs (openapi/routes.py), not by the project's own APIs.
    docs: bool = False
    deprecated: bool = False
    operation_id: str | None = None
    openapi_extra: dict[str, Any] | None = None
    #: False: never compressed (``@no_compress``, or the API's ``compression=False``).
    compress: bool = True
    #: False: no access line or request log entry (the API's ``enable_logging=False``).
    logged: bool = True
    #: What a plain return value may be sent as, in order of preference (``renderers=``);
    #: empty: JSON, whatever ``Accept`` says.
    renderers: tuple[str, ...] = ()
    #: Registered with ``@api.websocket``: GET requests to it open a WebSocket.
    websocket: bool = False
    #: ``name=`` was given (not the handler's name): wins over a derived name in ``django_bolt.urls``.
    name_explicit: bool = False
    #: The API's ``namespace=``: the route reverses as ``"namespace:name"`` (``django_bolt.urls``).
    namespace: str = ""
    #: Made by ``merge_routes``: answers 308 to the same path with/without its trailing slash.
    alias: bool = False
    #: The API's ``error_formatter`` (``django_bolt.error_handlers``): shapes the errors the
    #: endpoint raises.
    error_formatter: Any = None
    #: django-bolt's ``{"type": "cors"|"rate_limit", ...}`` configs from the API's and the
    #: routers' middleware lists, outermost first (``middleware.configs.outer_configs``).
    outer_configs: list[tuple[str, Any]] = field(default_factory=list)
    #: False (``validate_response=False``): the return value is sent as it is, not checked
    #: against the response model, which is still documented.
    validate_response: bool = True

    def limits(self) -> tuple[Any, Any]:
        """``(CorsPlan or None, LimitPlan or None)``: the route's CORS policy (None: the
        project's) and rate limit, from its decorators and middleware configs."""
        from .middleware.configs import route_limits

        return route_limits(self.handler, self.outer_configs)

    def response_plan(self) -> Any:
        """The plan the return value is encoded through, or None when nothing is declared (or
        what is declared says nothing more than "JSON")."""
        from .schema import describe, plan_for

        tp = self.response_model
        if tp is None:
            return None
        explicit = tp is not _UNSET
        if not explicit:
            try:
                tp = typing.get_type_hints(self.handler, include_extras=True).get("return", _UNSET)
            except Exception:  # noqa: BLE001 - an unresolvable annotation just declares nothing
                return None
            if tp is _UNSET or tp is type(None) or _is_response_class(tp):
                return None
        try:
            root, _ = describe(tp)
        except TypeError as e:
            if explicit:
                raise SignatureError(f"{_where(self.handler)}: response_model: {e}") from None
            return None  # e.g. "-> QuerySet": encoded as returned, not checked
        if root in _UNCHECKED or (not explicit and root[0] in ("tuple", "fixtuple")):
            # "-> tuple" is how handlers say they return (status, body).
            return None
        return plan_for(tp, output=True)

    @property
    def is_async(self) -> bool:
        return inspect.iscoroutinefunction(self.handler)

    def plan(self) -> RoutePlan:
        """What Rust reads of this route (``_plans.RoutePlan``)."""
        endpoint = self.endpoint or self.handler
        params = self.params
        if self.error_formatter is not None and not self.websocket:
            endpoint, params = _formatted(endpoint, params, self.error_formatter)
        blocking = False if inspect.iscoroutinefunction(endpoint) else self.blocking
        cors, limit = self.limits()
        from .auth.guards import rust_guard_plan

        rust_auth = [a.plan() for a in self.auth if not getattr(a, "python", False)]
        from .auth.user_loader import register_route_backends

        register_route_backends(self.auth, _where(self.handler))
        py_auth = any(getattr(a, "python", False) for a in self.auth)
        # Python authenticators mean Python decides the guards too (the endpoint wrapper).
        guard_plan = None if py_auth else rust_guard_plan(self.guards)
        security = SecurityPlan(rust_auth, guard_plan) if (self.auth or self.guards) else None
        from ._prechecks import route_precheck
        from .params import resolve_plans

        return RoutePlan(
            self.method,
            self.path,
            endpoint,
            self.status_code,
            resolve_plans(params),
            blocking,
            self.name,
            cors,
            limit,
            security,
            None if self.websocket or not self.validate_response else self.response_plan(),
            self.compress,
            self.renderers,
            self.websocket,
            error_hook=_core_error_hook(self.error_formatter) if self.error_formatter and not self.websocket else None,
            upload_limits=[] if self.websocket else _upload_limits(self.handler),
            logged=self.logged,
            precheck=route_precheck(
                self.method,
                self.path,
                limit,
                self.websocket,
                [a for a in self.auth if not getattr(a, "python", False)],
            ),
        )


class _Registrar:
    """The route decorators ``BoltAPI`` and ``Router`` share. Each verb is ``self.route(METHOD,
    path, **kw)``; a decorator that only needs ``route``/``websocket`` (``api.view``...) belongs
    here, so routers get it too."""

    def route(self, method: str, path: str, **kw: Any) -> Callable[[F], F]:  # pragma: no cover
        raise NotImplementedError

    def get(self, path: str, **kw: Any) -> Callable[[F], F]:
        """``@api.get(path)``: see :meth:`BoltAPI.route`."""
        return self.route("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> Callable[[F], F]:
        """``@api.post(path)``: see :meth:`BoltAPI.route`."""
        return self.route("POST", path, **kw)

    def put(self, path: str, **kw: Any) -> Callable[[F], F]:
        """``@api.put(path)``: see :meth:`BoltAPI.route`."""
        return self.route("PUT", path, **kw)

    def patch(self, path: str, **kw: Any) -> Callable[[F], F]:
        """``@api.patch(path)``: see :meth:`BoltAPI.route`."""
        return self.route("PATCH", path, **kw)

    def delete(self, path: str, **kw: Any) -> Callable[[F], F]:
        """``@api.delete(path)``: see :meth:`BoltAPI.route`."""
        return self.route("DELETE", path, **kw)

    def head(self, path: str, **kw: Any) -> Callable[[F], F]:
        """``@api.head(path)``: see :meth:`BoltAPI.route`."""
        return self.route("HEAD", path, **kw)

    def options(self, path: str, **kw: Any) -> Callable[[F], F]:
        """``@api.options(path)``: see :meth:`BoltAPI.route`."""
        return self.route("OPTIONS", path, **kw)

    def query(self, path: str, **kw: Any) -> Callable[[F], F]:
        """``@api.query(path)``: a route for the HTTP QUERY method (a safe, idempotent request
        whose body carries the query; it is read as a POST's is). See :meth:`BoltAPI.route`."""
        return self.route("QUERY", path, **kw)


class BoltAPI(_Registrar):
    """A set of routes, optionally under a common ``prefix``.

    Several ``BoltAPI`` objects in one project are merged at start-up; a method and path served
    twice is a start-up error. ``include_router`` adds a ``Router``'s routes, ``mount`` another
    API's under a path prefix.

    ``trailing_slash`` (django-bolt's modes) says how each route's path is written when it is
    registered: ``"strip"`` (the default) drops a trailing slash (``/users/`` is served as
    ``/users``), ``"append"`` adds one, ``"keep"`` leaves paths as written. A request for the
    same path with or without the slash, when only the other one is served, gets a 308
    redirect to it (query string kept). ``namespace`` makes the routes reverse as
    ``"namespace:name"`` through ``django_bolt.urls`` (see there).

    ``lifespan``: a function taking this API and returning an async context manager (an
    ``@asynccontextmanager``); its start-up part runs in every worker interpreter before the
    core serves, its shut-down part after the core has drained at stop. Several APIs' lifespans
    start in discovery order and stop in reverse order. ``TestClient`` runs them on ``with``.

    ``validate_response=False``: return values are sent without the response model's check
    (see :meth:`route`).

    ``middleware=[...]``: middleware classes (or ``DjangoMiddleware`` wrappers) around every
    route; ``django_middleware=`` ``True`` (``settings.MIDDLEWARE``), a list of dotted paths, or
    ``{"include"|"exclude": [...]}``: Django middleware around every route, outside the
    ``middleware`` list. See ``django_bolt.middleware``.

    ``enable_logging=False``: this API's requests write no access line (``--log-level info``)
    and no request log entry (``logging_config``/``BOLT_LOGGING``), as django-bolt's switch
    leaves its request logging out; a handler's exception is still logged.
    """

    def __init__(
        self,
        prefix: str = "",
        trailing_slash: str = "strip",
        namespace: str | None = None,
        *,
        title: str = "API",
        version: str = "0.1.0",
        logging_config: Any = None,
        enable_logging: bool = True,
        auth: list[Any] | None = None,
        guards: list[Any] | None = None,
        openapi_config: Any = None,
        include_in_schema: bool = True,
        compression: Any = None,
        middleware: list[Any] | None = None,
        django_middleware: bool | list[str] | dict[str, Any] | None = None,
        lifespan: Callable[[BoltAPI], Any] | None = None,
        error_formatter: Callable[[Any, Any], Any] | None = None,
        validate_response: bool = True,
    ) -> None:
        prefix = _clean_prefix(prefix, "prefix")
        if trailing_slash not in _TRAILING_SLASH_MODES:
            raise ValueError(
                f"trailing_slash must be one of {', '.join(_TRAILING_SLASH_MODES)}, got {trailing_slash!r}"
            )
        if namespace is not None and (not isinstance(namespace, str) or not namespace or ":" in namespace):
            raise ValueError(f"namespace must be a non-empty string without ':', got {namespace!r}")
        if lifespan is not None and not callable(lifespan):
            raise TypeError(f"lifespan must be callable (an @asynccontextmanager function), got {lifespan!r}")
        self.trailing_slash = trailing_slash
        self.namespace = namespace
        #: False: the routes' return values are sent unchecked (a route's own keyword wins).
        self.validate_response = bool(validate_response)
        #: ``lifespan=``; see ``lifespans`` for what a server runs.
        self.lifespan = lifespan
        _check_error_formatter(error_formatter)
        self.error_formatter = error_formatter
        #: APIs mounted into this one (their lifespans run with this one's); and the API this
        #: one is mounted into (then discovery does not serve it a second time by itself).
        self.mounted: list[BoltAPI] = []
        self.mounted_into: BoltAPI | None = None
        self.prefix = prefix
        self.title = title
        self.version = version
        self.routes: list[Route] = []
        #: Request/response logging (a ``LoggingConfig``); the first API that sets one wins.
        self.logging_config = logging_config
        #: False: no access line and no request log entry for this API's routes.
        self.enable_logging = bool(enable_logging)
        #: Defaults for every route of this API (a route's own ``auth=``/``guards=`` replace them;
        #: without either, settings.BOLT_AUTHENTICATION_CLASSES / BOLT_DEFAULT_PERMISSION_CLASSES apply).
        self.auth = list(auth or [])
        self.guards = list(guards or [])
        #: The OpenAPI document's settings and where the docs are served (``/docs`` by default;
        #: ``OpenAPIConfig(enabled=False)`` for none).
        if openapi_config is None:
            from .openapi.config import OpenAPIConfig

            openapi_config = OpenAPIConfig(title=title, version=version)
        self.openapi_config = openapi_config
        #: False: none of this API's routes are in the document (a route's own flag wins).
        self.include_in_schema = include_in_schema
        #: A ``CompressionConfig``; None: the default one; False: this API's routes are never
        #: compressed. ``settings.BOLT_COMPRESSION`` wins (see ``_worker._compression``).
        if compression is not None and compression is not False and not isinstance(compression, CompressionConfig):
            raise TypeError(f"compression must be a CompressionConfig, False or None, got {compression!r}")
        self.compression = compression
        #: Python middleware around every route (``middleware``), after the Django middleware
        #: ``django_middleware`` loads (see ``django_bolt.middleware``).
        self.middleware = _middleware_list(middleware, django_middleware)
        #: ``(prefix, app)`` of the ASGI apps mounted with ``mount_asgi``/``mount_django``.
        self._asgi_mounts: list[tuple[str, Callable[..., Any]]] = []

    def route(
        self,
        method: str,
        path: str,
        *,
        status_code: int | None = None,
        blocking: bool | None = None,
        name: str | None = None,
        tags: list[str] | None = None,
        auth: list[Any] | None = None,
        guards: list[Any] | None = None,
        response_model: Any = _UNSET,
        response_class: type | None = None,
        summary: str | None = None,
        description: str | None = None,
        include_in_schema: bool | None = None,
        deprecated: bool = False,
        operation_id: str | None = None,
        openapi_extra: dict[str, Any] | None = None,
        renderers: Sequence[str] | None = None,
        middleware: list[Any] | None = None,
        validate_response: bool | None = None,
        _websocket: bool = False,
    ) -> Callable[[F], F]:
        """Registers the decorated function for ``method path``.

        The return value is encoded through ``response_model`` (or, without it, the return
        annotation): Structs, dataclasses, TypedDicts and containers of them are checked as
        they are written, and dicts or objects (Django models) are read by field name; a value
        that does not fit is a 500 naming the field, logged. ``response_model=None`` turns the
        checking off. ``response_model={200: Item, 404: NotFound}`` also documents the other
        statuses the handler answers; the success status's type (``status_code``, else the
        dict's first 2xx) is the one the return value is encoded through. A status's value may
        be a type, ``None`` (no body), an ``HTTPException`` class (raised: ``{"detail": ...}``)
        or a ``Response`` class (``PlainText``, ``HTML``, ``Redirect``: its media type).

        ``response_class=HTML`` (or ``PlainText``, ``Redirect``, ``Response``) wraps a returned
        value that is not a ``Response`` already in that class, and documents its media type.

        Content negotiation: ``renderers=("json", "msgpack", "text")`` (any of them, in order of
        preference) lets the request's ``Accept`` choose how a plain return value is sent: JSON,
        MessagePack (``application/msgpack``; also asked for as ``application/vnd.msgpack`` or
        ``application/x-msgpack``), or a ``str`` as ``text/plain``. q-values are honoured (ties go
        to the earlier renderer); a request whose ``Accept`` admits none of them gets 406 before
        the handler runs. Without ``renderers=`` a route sends JSON whatever ``Accept`` says (as
        django-bolt does; RFC 9110 lets a server disregard it). ``Response`` objects are sent as
        they are.

        Where a ``def`` handler runs: ``blocking=True`` puts it on this core's bounded thread pool
        (inside the same sub-interpreter) so slow I/O does not stall the core's other requests;
        ``False`` always runs it inline on the reactor; ``None`` (the default) runs it inline and
        moves it to the pool as soon as one call is seen blocking the core (longer than
        ``--blocking-threshold-ms``), with one warning in the log naming the route; a view whose
        cold first call is slow moves too, so give fast views ``blocking=False``. (Before, it
        took 3 consecutive slow calls, each stalling the core's other requests.) On the pool,
        calls queue per core (``--blocking-queue``; a full queue answers 503 with
        ``Retry-After``), a queued call whose client has gone is not run, and
        ``--request-timeout`` answers 504 for one that takes too long. ``async def`` handlers
        always run on the core's event loop.

        ``validate_response=False`` (else the API's ``validate_response``, True by default)
        sends the return value as it is, without checking it against the response model (which
        is still documented), as django-bolt's keyword does.

        ``middleware=[...]``: middleware classes run around this route after the API's (a
        ``Router(middleware=...)`` passes its own this way), before the handler's
        ``@middleware(...)``; django-bolt's ``{"type": "cors"|"rate_limit", ...}`` configs there
        set the route's CORS policy and rate limit (``django_bolt.middleware.configs``).

        OpenAPI: ``summary=`` (else the docstring's first line, else a title from the handler's
        name), ``description=`` (else the rest of the docstring), ``deprecated=``,
        ``operation_id=`` (else one made from the name, method and path), ``openapi_extra=``
        (keys merged into the operation object), ``include_in_schema=False`` to leave the route
        out of the document (the API's ``include_in_schema`` otherwise).

        >>> @api.get("/items/{id}", response_model={200: Item, 404: NotFound}, tags=["items"])
        ... def read_item(id: int) -> Item: ...
        """
        method = method.upper()
        if method not in _METHODS:
            raise ValueError(f"unsupported method {method!r}; use one of {', '.join(_METHODS)}")
        if not isinstance(path, str) or (path and not path.startswith("/")):
            raise ValueError(f"route path must start with '/' (or be '' for the prefix itself), got {path!r}")
        responses: dict[int, Any] = {}
        if isinstance(response_model, dict):
            responses = dict(response_model)
            for code in responses:
                if code is Ellipsis:
                    continue  # {..., Error}: every other status (OpenAPI's "default" response)
                if not isinstance(code, int) or isinstance(code, bool) or not 100 <= code <= 599:
                    raise ValueError(f"response_model keys must be statuses between 100 and 599 or ..., got {code!r}")
            if not responses:
                raise ValueError("response_model={} names no status")
            if status_code is None:
                codes = sorted(c for c in responses if c is not Ellipsis)
                status_code = next((c for c in codes if 200 <= c < 300), None)
        if status_code is None:
            # A redirecting route answers 307 unless it says otherwise, as django-bolt's Redirect.
            status_code = 307 if _is_subclass(response_class, "Redirect") else 200
        if not isinstance(status_code, int) or not 100 <= status_code <= 599:
            raise ValueError(f"status_code must be between 100 and 599, got {status_code!r}")
        if response_class is not None and not _is_subclass(response_class, "Response"):
            raise ValueError(f"response_class must be a django_bolt Response class, got {response_class!r}")
        if renderers is not None:
            renderers = (renderers,) if isinstance(renderers, str) else tuple(renderers)
            unknown = [r for r in renderers if r not in _RENDERERS]
            if unknown or not renderers:
                raise ValueError(f"renderers must name some of {', '.join(_RENDERERS)}; got {list(renderers)!r}")
        full = _normalize_path(self.prefix + path, self.trailing_slash)
        visible = self.include_in_schema if include_in_schema is None else include_in_schema
        outer_specs = [*self.middleware, *normalize_middleware_specs(middleware, context="router")]
        from .middleware.configs import outer_configs

        configs = outer_configs(outer_specs, f"{method} {full}")

        def decorator(fn: F) -> F:
            if blocking and inspect.iscoroutinefunction(fn):
                raise ValueError(f"{fn.__qualname__}: blocking=True is for def handlers, not async def")
            r = Route(method, full, fn, status_code, blocking, name or fn.__name__, list(tags or []))
            r.name_explicit, r.namespace = bool(name), self.namespace or ""
            r.error_formatter = self.error_formatter
            r.outer_configs = configs
            r.validate_response = bool(self.validate_response if validate_response is None else validate_response)
            r.compress = self.compression is not False and not skips(fn, "compression")
            r.logged = self.enable_logging
            model = response_model
            if getattr(fn, "__paginated__", False) and model is not _UNSET and not responses:
                from .pagination import paginated_model

                model = paginated_model(fn, model)  # list[Item] -> PaginatedResponse[Item]
            if responses:
                model = responses.pop(status_code, _UNSET)
            for code, tp in ((status_code, model), *responses.items()):
                if tp is _UNSET or tp is None or _is_response_class(tp) or _is_subclass(tp, "HTTPException"):
                    continue
                from .schema import describe

                try:
                    describe(tp)
                except TypeError as e:
                    raise SignatureError(f"{_where(fn)}: response_model[{code}]: {e}") from None
            r.response_model = None if _is_response_class(model) else model
            r.responses = responses
            r.summary, r.description, r.response_class = summary, description, response_class
            if _is_response_class(model) and response_class is None:
                r.response_class = model
            r.include_in_schema, r.deprecated = bool(visible), bool(deprecated)
            r.renderers = renderers or ()
            r.operation_id, r.openapi_extra = operation_id, openapi_extra
            from .auth.guards import as_guard

            r.auth = list(auth if auth is not None else (self.auth or _setting("BOLT_AUTHENTICATION_CLASSES")))
            r.guards = [
                as_guard(g)
                for g in (
                    guards if guards is not None else (self.guards or _setting("BOLT_DEFAULT_PERMISSION_CLASSES"))
                )
            ]
            r.endpoint, r.params = compile_handler(fn, full, blocking, r.guards, r.auth)
            if response_class is not None and not _is_subclass(response_class, "JSON"):
                r.endpoint = _wrapping(r.endpoint, response_class, status_code)
            if responses and r.response_model is not None:
                # ``return 404, {...}``: the other statuses' bodies are sent as they are (as
                # django-bolt does); only the success body goes through the response model.
                r.endpoint = _other_statuses_unchecked(r.endpoint, status_code)
            if not _websocket:
                specs = route_middleware(outer_specs, fn)
                shape = BodyShape(_body_plan(r), tuple(r.renderers))
                r.endpoint, r.params = wrap_endpoint(
                    r.endpoint,
                    r.params,
                    specs,
                    handler=fn,
                    status_code=status_code,
                    blocking=blocking,
                    body_shape=shape,
                )
            for other in self.routes:
                if other.method == method and other.path == full:
                    raise RouteConflictError(
                        f"duplicate route {method} {full}: {_where(other.handler)} and {_where(fn)}"
                    )
            self.routes.append(r)
            return fn

        return decorator

    def websocket(
        self,
        path: str,
        *,
        name: str | None = None,
        guards: list[Any] | None = None,
        auth: list[Any] | None = None,
        tags: list[str] | None = None,
        summary: str | None = None,
        description: str | None = None,
        include_in_schema: bool | None = None,
    ) -> Callable[[F], F]:
        """Registers an ``async def`` WebSocket handler for ``path``.

        The handler takes a ``WebSocket`` (a parameter annotated so, or named ``websocket``)
        and any typed path, query, header and cookie parameters, as HTTP handlers do. The
        route's ``auth``/``guards`` (else the API's, else the settings') and rate limit are
        checked on the handshake: a client refused gets 401/403/429 and no WebSocket (Python
        authenticators such as ``SessionAuthentication`` and Python guards run on the core's
        loop before the handler, as on HTTP routes; ``websocket.user`` is who they found). A
        browser's ``Origin`` must be allowed by the CORS settings (or be the server's own).

        >>> @api.websocket("/ws/{room}")
        ... async def room(websocket: WebSocket, room: str, since: int = 0):
        ...     await websocket.accept()
        ...     await websocket.send_json({"room": room, "since": since})
        ...     async for msg in websocket.iter_json():
        ...         await websocket.send_json({"echo": msg})

        WebSocket routes are left out of the OpenAPI document unless ``include_in_schema=True``.
        """
        register = self.route(
            "GET",
            path,
            name=name,
            tags=tags,
            auth=auth,
            guards=guards,
            response_model=None,
            summary=summary,
            description=description,
            include_in_schema=bool(include_in_schema),
            _websocket=True,
        )

        def decorator(fn: F) -> F:
            if not inspect.iscoroutinefunction(fn):
                raise TypeError(f"WebSocket handler {_where(fn)} must be an async function")
            register(fn)
            route = self.routes[-1]
            route.websocket = True
            return fn

        return decorator

    def view(
        self,
        path: str,
        *,
        name: str | None = None,
        methods: list[str] | None = None,
        guards: list[Any] | None = None,
        auth: list[Any] | None = None,
        status_code: int | None = None,
        validate_response: bool | None = None,
        tags: list[str] | None = None,
        include_in_schema: bool | None = None,
    ) -> Callable[[type], type]:
        """Registers an ``APIView`` class: one route at ``path`` per method it implements (or
        per one of ``methods``), each an ordinary route (see ``django_bolt.views``).
        ``guards``/``auth``/``status_code`` override the class's. ``validate_response`` is
        accepted for django-bolt's signature (bolt always encodes through the declared type)."""

        def decorator(cls: type) -> type:
            from .views import register_view

            register_view(
                self,
                cls,
                path,
                name=name,
                methods=methods,
                guards=guards,
                auth=auth,
                status_code=status_code,
                tags=tags,
                include_in_schema=include_in_schema,
            )
            return cls

        return decorator

    def viewset(
        self,
        path: str,
        *,
        name: str | None = None,
        guards: list[Any] | None = None,
        auth: list[Any] | None = None,
        status_code: int | None = None,
        validate_response: bool | None = None,
        lookup_field: str = "pk",
        tags: list[str] | None = None,
        include_in_schema: bool | None = None,
    ) -> Callable[[type], type]:
        """Registers a ``ViewSet`` class: ``GET path`` (list), ``POST path`` (create, 201),
        ``GET``/``PUT``/``PATCH``/``DELETE path/{lookup}`` (retrieve, update, partial_update,
        destroy: 204) for the actions it implements, and its ``@action`` routes. Routes are named
        ``{name}-{action}`` (``name`` defaults to the class's name)."""

        def decorator(cls: type) -> type:
            from .views import register_viewset

            register_viewset(
                self,
                cls,
                path,
                name=name,
                guards=guards,
                auth=auth,
                status_code=status_code,
                lookup_field=lookup_field,
                tags=tags,
                include_in_schema=include_in_schema,
            )
            return cls

        return decorator

    def include(self, other: BoltAPI) -> None:
        """Adds another API's routes to this one, at their own paths (``mount`` adds a prefix)."""
        for r in other.routes:
            for mine in self.routes:
                if mine.method == r.method and mine.path == r.path:
                    raise RouteConflictError(f"duplicate route {r.method} {r.path}")
            self.routes.append(r)
        for prefix, app in other._asgi_mounts:
            self._add_asgi_mount(prefix, app)

    def include_router(self, router: Router, prefix: str = "") -> None:
        """Registers ``router``'s routes (and its nested routers') on this API, under
        ``prefix`` + the routers' prefixes + this API's ``prefix``, with this API's
        ``trailing_slash`` and ``namespace``. A route's ``tags``/``auth``/``guards`` are its own,
        else its router's, else the enclosing router's..., else this API's (``auth``/``guards``)
        or the settings'. Routes added to the router later are not included.

        >>> users = Router(prefix="/users", tags=["users"])
        >>> @users.get("/{user_id}")
        ... async def get_user(user_id: int) -> dict: ...
        >>> api.include_router(users, prefix="/v1")  # GET /v1/users/{user_id}
        """
        if not isinstance(router, Router):
            raise TypeError(
                f"include_router() expects a Router, got {type(router).__name__} (use mount() for a BoltAPI)"
            )
        head = _clean_prefix(prefix, "include_router prefix")
        for websocket, method, path, fn, kw in router.entries():
            full = head + path
            if websocket:
                self.websocket(full, **kw)(fn)
            else:
                self.route(method, full, **kw)(fn)

    def mount(self, path: str, app: BoltAPI) -> None:
        """Serves ``app``'s routes under ``path`` as well (django-bolt's ``mount``): each keeps
        its handler, auth, guards, namespace and settings, and its path is ``path`` + its own,
        written with this API's ``trailing_slash`` mode. ``app`` is then not served by itself
        at its own paths (discovery skips a mounted API), its ``lifespan`` runs with this
        one's, and its ``error_formatter`` becomes this API's (two different ones are an
        error). Routes added to ``app`` after this call are not mounted."""
        if not isinstance(app, BoltAPI):
            raise TypeError(f"mount() expects a BoltAPI, got {type(app).__name__} (use include_router() for a Router)")
        if not isinstance(path, str):
            raise TypeError(f"mount path must be a string, got {path!r}")
        outer: BoltAPI | None = self
        while outer is not None:
            if outer is app:
                raise ValueError("an API cannot be mounted into itself")
            outer = outer.mounted_into
        if app.mounted_into is not None:
            raise ValueError("this API is mounted already (an API is mounted at one place)")
        head = "/" + path.strip("/") if path.strip("/") else ""
        if "{" in head or "}" in head:
            raise ValueError(f"a mount path has no parameters, got {path!r}")
        formatter = app.error_formatter
        if formatter is not None and self.error_formatter not in (None, formatter):
            raise ValueError(
                "the mounted API sets a different error_formatter; set the same one on both APIs, or on one"
            )
        taken = {(r.method, r.path): r for r in self.routes}
        added = []
        for r in app.routes:
            full = _normalize_path(head + r.path, self.trailing_slash)
            other = taken.get((r.method, full))
            if other is not None:
                raise RouteConflictError(
                    f"duplicate route {r.method} {full}: {_where(other.handler)} and {_where(r.handler)} (mounted)"
                )
            copy = dataclasses.replace(r, path=full)
            taken[(r.method, full)] = copy
            added.append(copy)
        mounts = [
            (normalize_mount_prefix(head + (prefix if prefix != "/" else "")), asgi)
            for prefix, asgi in app._asgi_mounts
        ]
        mine = {prefix for prefix, _ in self._asgi_mounts}
        for prefix, _ in mounts:
            if prefix in mine:
                raise ValueError(f"Duplicate ASGI mount prefix: {prefix}")
        self.routes.extend(added)
        self._asgi_mounts.extend(mounts)
        self.mounted.append(app)
        app.mounted_into = self
        if formatter is not None and self.error_formatter is None:
            # One formatter for the API and what it mounts (django-bolt's rule).
            self.error_formatter = formatter
            for r in self.routes:
                if r.error_formatter is None:
                    r.error_formatter = formatter

    def mount_asgi(self, path: str, app: Callable[..., Any]) -> None:
        """Serves the ASGI application ``app`` under the static prefix ``path`` (plus this API's
        ``prefix``), for requests none of bolt's routes match (then Django's fallthrough gets
        what no mount claims). ``/tools`` takes ``/tools`` and ``/tools/...``, not
        ``/toolsets``; the longest prefix wins. The app's scope has ``root_path`` = the prefix
        and ``path`` = the rest; a body sent with ``more_body=True`` is streamed as produced.

        >>> api.mount_asgi("/legacy", legacy_app)  # GET /legacy/x -> legacy_app, path "/x"

        A prefix mounted twice, or equal to a route's path, is a ``ValueError``. WebSocket
        requests to a mount are answered 501 (not supported yet)."""
        if not callable(app):
            raise TypeError(f"mount_asgi() expects a callable ASGI application, got {type(app).__name__}")
        prefix = normalize_mount_prefix(path)
        if self.prefix:
            prefix = normalize_mount_prefix(self.prefix + (prefix if prefix != "/" else ""))
        self._add_asgi_mount(prefix, app)

    def mount_django(self, path: str, app: Any | None = None, *, clear_root_path: bool = False) -> None:
        """Mounts Django's ASGI application (``get_asgi_application()`` unless ``app`` is given)
        at ``path``: Django sees ``root_path`` = the prefix as its script prefix, so its URLs
        resolve without the prefix and ``reverse()`` puts it back; a redirect to a
        root-relative URL outside the prefix gets the prefix in front.

        >>> api.mount_django("/django")  # /django/admin/ -> Django's admin

        ``clear_root_path=True``: Django sees the full path and no script prefix, for URL
        patterns that already include the prefix (``/admin/...`` mounted at ``/admin``)."""
        self.mount_asgi(path, django_mount(app, clear_root_path=clear_root_path))

    def _add_asgi_mount(self, prefix: str, app: Callable[..., Any]) -> None:
        if any(prefix == p for p, _ in self._asgi_mounts):
            raise ValueError(f"Duplicate ASGI mount prefix: {prefix}")
        self._asgi_mounts.append((prefix, app))

    def lifespans(self) -> list[tuple[BoltAPI, Callable[[BoltAPI], Any]]]:
        """``(api, lifespan)`` for this API and the APIs mounted into it, in start-up order."""
        out = [(self, self.lifespan)] if self.lifespan is not None else []
        for child in self.mounted:
            out.extend(child.lifespans())
        return out


class Router(_Registrar):
    """Routes grouped under a common ``prefix``, ``tags``, ``auth`` and ``guards``, added to an
    API with ``api.include_router(router)`` (django-bolt's ``Router``). It has the same
    decorators as ``BoltAPI`` (``get``... ``options``, ``route``, ``websocket``) with the same
    keywords, checked when the decorator is applied; the route is compiled when it is included.
    Routers nest (``router.include_router(child, prefix=...)``, or ``Router(parent=...)``).

    >>> admin = Router(prefix="/admin", tags=["admin"], guards=[IsAdminUser()])
    >>> @admin.get("/users")
    ... async def list_users() -> list[dict]: ...
    >>> api.include_router(admin)  # GET /admin/users, admins only

    ``middleware=[...]``: middleware classes run around this router's routes, after the API's
    and the enclosing routers' and before a route's own ``@middleware`` (django-bolt's order:
    API, router, route, handler); django-bolt's ``{"type": "cors"|"rate_limit", ...}`` configs
    there apply to its routes unless a route sets its own.

    ``dependencies=`` is accepted and stored, unused, as django-bolt does.
    """

    def __init__(
        self,
        prefix: str = "",
        tags: list[str] | None = None,
        dependencies: list[Any] | None = None,
        middleware: list[Any] | None = None,
        auth: list[Any] | None = None,
        guards: list[Any] | None = None,
        parent: Router | None = None,
    ) -> None:
        self.prefix = _clean_prefix(prefix, "Router prefix")
        self.tags = list(tags or [])
        self.dependencies = list(dependencies or [])
        #: Run around this router's routes, after the API's and the enclosing routers', before
        #: the route's own ``@middleware`` (route keyword ``middleware=``).
        self.middleware = normalize_middleware_specs(middleware, context="router")
        #: None: the enclosing router's (or the API's) defaults.
        self.auth = None if auth is None else list(auth)
        self.guards = None if guards is None else list(guards)
        #: ``(websocket, method, path, handler, keywords)`` in registration order.
        self._entries: list[tuple[bool, str, str, Callable[..., Any], dict[str, Any]]] = []
        #: ``(router, extra prefix)`` included into this one.
        self._children: list[tuple[Router, str]] = []
        if parent is not None:
            parent.include_router(self)

    def route(self, method: str, path: str, **kw: Any) -> Callable[[F], F]:
        """``@router.route("GET", path, ...)``: the keywords of :meth:`BoltAPI.route`."""
        method = method.upper() if isinstance(method, str) else method
        if method not in _METHODS:
            raise ValueError(f"unsupported method {method!r}; use one of {', '.join(_METHODS)}")
        return self._recorder(False, method, path, BoltAPI.route, kw)

    def websocket(self, path: str, **kw: Any) -> Callable[[F], F]:
        """``@router.websocket(path, ...)``: see :meth:`BoltAPI.websocket`."""
        return self._recorder(True, "GET", path, BoltAPI.websocket, kw)

    def _recorder(
        self, websocket: bool, method: str, path: str, target: Callable[..., Any], kw: dict[str, Any]
    ) -> Callable[[F], F]:
        if not isinstance(path, str) or (path and not path.startswith("/")):
            raise ValueError(f"route path must start with '/' (or be '' for the prefix itself), got {path!r}")
        args = (None, path) if websocket else (None, method, path)
        try:
            inspect.signature(target).bind(*args, **kw)
        except TypeError as e:
            raise TypeError(f"{'websocket' if websocket else 'route'}(): {e}") from None

        def decorator(fn: F) -> F:
            if websocket and not inspect.iscoroutinefunction(fn):
                raise TypeError(f"WebSocket handler {_where(fn)} must be an async function")
            self._entries.append((websocket, method, path, fn, dict(kw)))
            return fn

        return decorator

    def include_router(self, router: Router, prefix: str = "") -> None:
        """Nests ``router`` in this one: its routes are under this router's prefix + ``prefix``
        + its own, and take this router's defaults where it sets none."""
        if not isinstance(router, Router):
            raise TypeError(f"include_router() expects a Router, got {type(router).__name__}")
        if router is self or any(r is self for r in router._routers()):
            raise ValueError("a router cannot be included into itself")
        self._children.append((router, _clean_prefix(prefix, "include_router prefix")))

    def _routers(self) -> Iterable[Router]:
        for child, _ in self._children:
            yield child
            yield from child._routers()

    def entries(
        self, inherited: dict[str, Any] | None = None
    ) -> list[tuple[bool, str, str, Callable[..., Any], dict[str, Any]]]:
        """Every route of this router and the nested ones: ``(websocket, method, path relative to
        the API, handler, keywords with the routers' defaults filled in)``."""
        defaults = dict(inherited or {})
        if self.tags:
            defaults["tags"] = list(self.tags)
        if self.auth is not None:
            defaults["auth"] = list(self.auth)
        if self.guards is not None:
            defaults["guards"] = list(self.guards)
        chain = list(defaults.get("middleware", [])) + self.middleware
        defaults["middleware"] = chain
        out = []
        for websocket, method, path, fn, kw in self._entries:
            kw = dict(kw)
            for key in ("tags", "auth", "guards"):
                if kw.get(key) is None and key in defaults:
                    kw[key] = list(defaults[key])
            if chain and not websocket:
                kw["middleware"] = chain + list(kw.get("middleware") or [])
            out.append((websocket, method, self.prefix + path, fn, kw))
        for child, extra in self._children:
            for websocket, method, path, fn, kw in child.entries(defaults):
                out.append((websocket, method, self.prefix + extra + path, fn, kw))
        return out


def _upload_limits(handler: Callable[..., Any]) -> list[tuple[str, int]]:
    """``(form field, max_size)`` of each ``File(max_size=...)`` parameter of ``handler``."""
    from .params import file_checks

    try:
        checks = file_checks(handler)
    except (SignatureError, TypeError, ValueError):
        # Not a signature of typed parameters (docs pages, mounted callables): no File().
        return []
    return [(field, m.max_size) for _, field, m in checks if m.max_size is not None]


def _core_error_hook(formatter: Any) -> Callable[..., Any]:
    from .error_handlers import core_error_hook

    return core_error_hook(formatter)


def _formatted(endpoint: Callable[..., Any], params: list[tuple], formatter: Any) -> tuple[Callable[..., Any], list]:
    """``endpoint`` with its exceptions answered by ``formatter``, and the parameter plan that
    gives it the request (the one the handler takes, or one added for the formatter)."""
    from ._plans import K_ANY, SRC_REQUEST, ParamPlan
    from .dependencies import _REQUEST
    from .error_handlers import with_error_formatter

    name = next((p.name for p in params if p.source == SRC_REQUEST), None)
    if name is not None:
        return with_error_formatter(endpoint, name, False, formatter), params
    extra = ParamPlan(_REQUEST, SRC_REQUEST, K_ANY, 0, None, _REQUEST, None, None)
    return with_error_formatter(endpoint, _REQUEST, True, formatter), [*params, extra]


def _clean_prefix(prefix: str, what: str) -> str:
    """A path prefix without its trailing slash ('' for none); it must start with '/'."""
    if not isinstance(prefix, str):
        raise TypeError(f"{what} must be a string, got {prefix!r}")
    prefix = prefix.rstrip("/")
    if prefix and not prefix.startswith("/"):
        raise ValueError(f"{what} must start with '/', got {prefix!r}")
    return prefix


def _normalize_path(path: str, mode: str) -> str:
    """``path`` written as ``trailing_slash=mode`` says (the root stays ``/``)."""
    if not path or path == "/":
        return "/"
    if mode == "strip":
        return path.rstrip("/") or "/"
    if mode == "append":
        return path if path.endswith("/") else path + "/"
    return path


def _check_error_formatter(formatter: Any) -> None:
    if formatter is None:
        return
    if not callable(formatter):
        raise TypeError(f"error_formatter must be callable, not {type(formatter).__name__}")
    # It runs on error paths that cannot await (as in django-bolt).
    call = type(formatter).__call__  # an instance with an ``async def __call__`` too
    if inspect.iscoroutinefunction(formatter) or inspect.iscoroutinefunction(call):
        raise TypeError("error_formatter must be a sync callable, not an async one")


def _is_subclass(tp: Any, name: str) -> bool:
    """Whether ``tp`` is ``responses.<name>`` (``exceptions.HTTPException``) or a subclass of it."""
    from . import exceptions, responses

    return isinstance(tp, type) and issubclass(tp, getattr(responses, name, None) or getattr(exceptions, name))


def _wrapping(endpoint: Callable[..., Any], cls: type, status_code: int) -> Callable[..., Any]:
    """``endpoint`` with a returned value that is not a response wrapped in ``cls``
    (``response_class=``): ``HTML(value)``, ``Redirect(url)``..."""
    from .responses import Redirect, Response

    def wrap(value: Any) -> Any:
        if isinstance(value, Response) or _is_response_class(type(value)):
            return value
        if issubclass(cls, Redirect):
            return cls(value, status_code=status_code if status_code in (301, 302, 303, 307, 308) else 307)
        return cls(value, status_code=status_code)

    if inspect.iscoroutinefunction(endpoint):

        @functools.wraps(endpoint)
        async def wrapped_async(**kw: Any) -> Any:
            return wrap(await endpoint(**kw))

        return wrapped_async

    @functools.wraps(endpoint)
    def wrapped(**kw: Any) -> Any:
        return wrap(endpoint(**kw))

    return wrapped


def _body_plan(r: Route) -> Callable[[], Any]:
    """The plan Rust encodes ``r``'s plain return value through, as ``Route.plan`` gives it."""
    return lambda: r.response_plan() if r.validate_response else None


def _other_statuses_unchecked(endpoint: Callable[..., Any], status_code: int) -> Callable[..., Any]:
    """``endpoint`` with a returned ``(status, body[, headers])`` whose status is not the
    route's success status made a ``JSON`` response, which is sent without the response model's
    check (``response_model={200: A, 404: B}`` documents B; it does not encode through A)."""
    from .responses import JSON, Response

    def unchecked(value: Any) -> Any:
        if type(value) is tuple and 2 <= len(value) <= 3 and type(value[0]) is int and value[0] != status_code:
            code, body = value[0], value[1]
            headers = value[2] if len(value) == 3 else None
            if body is None and (code in (204, 304) or 100 <= code < 200):
                return Response(b"", status_code=code, headers=headers)
            return JSON(body, status_code=code, headers=headers)
        return value

    if inspect.iscoroutinefunction(endpoint):

        @functools.wraps(endpoint)
        async def wrapped_async(**kw: Any) -> Any:
            return unchecked(await endpoint(**kw))

        return wrapped_async

    @functools.wraps(endpoint)
    def wrapped(**kw: Any) -> Any:
        return unchecked(endpoint(**kw))

    return wrapped


def _middleware_list(middleware: Any, django_middleware: Any) -> list[Any]:
    """``BoltAPI(middleware=, django_middleware=)`` as one list, outermost first."""
    out: list[Any] = []
    if django_middleware:
        from .middleware.django_adapter import load_django_middleware

        out.extend(load_django_middleware(django_middleware))
    out.extend(normalize_middleware_specs(middleware, context="api"))
    return out


def _setting(name: str) -> list[Any]:
    """A project-wide default, read with django-bolt's meaning (``conf``):
    ``BOLT_AUTHENTICATION_CLASSES`` (alias ``BOLT_AUTHENTICATION``) or
    ``BOLT_DEFAULT_PERMISSION_CLASSES`` (alias ``BOLT_DEFAULT_GUARDS``); ``[]`` without Django."""
    from . import conf

    if name in ("BOLT_AUTHENTICATION_CLASSES", "BOLT_AUTHENTICATION"):
        return conf.default_authentication()
    return conf.default_guards()


def _where(fn: Callable[..., Any]) -> str:
    return f"{fn.__module__}.{fn.__qualname__}"


def route_conflicts(apis: Iterable[BoltAPI]) -> list[str]:
    """Every duplicate (method, path) across ``apis``, one message each (``merge_routes``
    raises the first; ``bolt check`` lists them all)."""
    seen: dict[tuple[str, str], Route] = {}
    out: list[str] = []
    for api in apis:
        for r in api.routes:
            key = (r.method, r.path)
            if key in seen:
                out.append(f"duplicate route {r.method} {r.path}: {_where(seen[key].handler)} and {_where(r.handler)}")
            else:
                seen[key] = r
    return out


def merge_routes(apis: Iterable[BoltAPI]) -> list[Route]:
    """All routes of several APIs in a stable order; duplicates are a ``RouteConflictError``.
    Then the trailing-slash aliases: for each route whose path with (or without) a trailing
    slash nobody serves, a route there that redirects to it (``_slash_alias``)."""
    apis = list(apis)
    conflicts = route_conflicts(apis)
    if conflicts:
        raise RouteConflictError(conflicts[0])
    seen: dict[tuple[str, str], Route] = {}
    out: list[Route] = []
    for api in apis:
        for r in api.routes:
            seen[(r.method, r.path)] = r
            out.append(r)
    aliases = []
    for r in out:
        # The root has no other spelling; a trailing {name:path} matches either already.
        if r.websocket or r.docs or r.alias or r.path == "/" or r.path.rstrip("/").endswith(":path}"):
            continue
        other = r.path[:-1] if r.path.endswith("/") else r.path + "/"
        if (r.method, other) not in seen:
            seen[(r.method, other)] = alias = _slash_alias(r.method, other)
            aliases.append(alias)
    return out + aliases


def _slash_alias(method: str, path: str) -> Route:
    """A route at ``path`` that answers 308 to the request's own path with its trailing slash
    added or removed, query string kept (django-bolt's redirect for the other spelling of a
    route's path). 308 keeps the method and body, so a POST is re-sent as it was."""
    r = Route(method, path, _redirect_to_other_spelling, 308, False, "", [])
    r.alias, r.include_in_schema, r.response_model = True, False, None
    # Compiled against a path without parameters: the handler reads none of them (it redirects
    # the request's own path), and the route's path keeps them for matching.
    r.endpoint, r.params = compile_handler(_redirect_to_other_spelling, "/", False, [], [])
    return r


def _redirect_to_other_spelling(request: Any) -> Any:
    from .responses import Redirect

    path = request.path
    target = path[:-1] if path.endswith("/") else path + "/"
    # "//host/x/" -> "//host/x" would be a protocol-relative URL: another site.
    target = "/" + target.lstrip("/")
    if request.query_string:
        target += "?" + request.query_string
    return Redirect(target, status_code=308)
