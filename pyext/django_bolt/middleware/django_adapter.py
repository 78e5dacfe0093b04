"""Django middleware around API routes: ``DjangoMiddleware``, ``DjangoMiddlewareStack`` and
``BoltAPI(django_middleware=...)``.

A stack is one layer of the route's chain. Per request it builds a Django ``HttpRequest`` from
bolt's (a WSGI environ, as Django's own handler gets), runs the classes as Django's handler does
in async mode (each built once with the next step, adapted with Django's own
``adapt_method_mode``: async-capable ones run on the core's loop, sync-only ones on the core's
thread-sensitive thread through asgiref's ``sync_to_async``), then the ``process_view`` hooks
with the route's handler as the view, then the rest of bolt's chain. Django's own hook-based
middleware that do no I/O (``_INLINE``) have their hooks called on the core's loop directly:
Django's async mode would send each hook to a thread and back, which cost more than the
whole request (two such middleware took /hello from 8 to 183 µs of CPU). What the middleware set on
the Django request reaches the handler: ``request.user`` (loaded with ``auser()``),
``request.session``, and every other public attribute in ``request.state`` (``_messages`` too).

The response comes back to Django's hooks as an ``HttpResponse`` with the status, headers and
``Content-Type`` bolt would send. Its body is rendered when a middleware first reads it
(``content``, iteration, ``write``), with the encoder Rust uses, so the bytes are the ones bolt
would send (``ConditionalGetMiddleware``'s ETag is Django's own for them) and a stack whose
middleware never read the body pays nothing for it. What the hooks leave is sent: their status,
headers and cookies, and a body they read or replaced as it then is (one with a
``Content-Encoding``, as ``GZipMiddleware`` leaves it, is not compressed again by bolt).
Streamed and file responses come as a ``StreamingHttpResponse`` (``streaming`` is true: the
middleware that skip those skip them); ``streaming_content`` gives their chunks' bytes, and an
iterator a middleware puts there is what is streamed. A plain return value on a route with
``renderers=`` is rendered with the renderer Rust picks from the request's ``Accept``, by
Rust's own code (``_native.choose_renderer``/``render``). A Django middleware that answers
itself (a CSRF 403, a redirect) gives its own response, converted to bolt's.
Exceptions are not turned into responses here: they go to the ``process_exception`` hooks,
then on to bolt, which answers them as it answers a handler's.
"""

from __future__ import annotations

from http.cookies import CookieError, Morsel
from typing import Any, Callable, Iterable
from urllib.parse import unquote_to_bytes

from ..responses import _FILE, _JSON, _STREAM, EventSourceResponse, Response, ServerSentEvent, StreamingResponse

__all__ = [
    "DjangoMiddleware",
    "DjangoMiddlewareStack",
    "load_django_middleware",
    "get_django_middleware_setting",
    "DEFAULT_EXCLUDED_MIDDLEWARE",
    "to_bolt_response",
]

#: Middleware ``BoltAPI(django_middleware=True)`` leaves out (none: everything is loaded).
DEFAULT_EXCLUDED_MIDDLEWARE: set[str] = set()

# Headers Rust writes itself.
_HOP = {"content-length", "connection", "transfer-encoding", "keep-alive"}
# Attributes of Django's request that are its own parsing, not something a middleware set.
_OWN = {"GET", "POST", "COOKIES", "FILES", "environ", "path", "path_info", "method", "resolver_match"}


def _resolve(cls: Any) -> Any:
    if isinstance(cls, str):
        from django.utils.module_loading import import_string

        return import_string(cls)
    if not callable(cls):
        raise TypeError(f"a Django middleware is a class or a dotted path, got {cls!r}")
    return cls


def _names(cls: Any) -> frozenset[str]:
    from .middleware import middleware_names

    return middleware_names(cls)


class DjangoMiddlewareStack:
    """Django middleware classes (or dotted paths) run as one layer, in Django's order (every
    ``process_request`` part, then every ``process_view``, then the handler).

    Example::

        api = BoltAPI(middleware=[DjangoMiddlewareStack([SessionMiddleware, AuthenticationMiddleware])])
    """

    def __init__(self, middleware_classes: Iterable[Any]) -> None:
        self.middleware_classes = [_resolve(c) for c in middleware_classes]
        self._kwargs: list[dict[str, Any]] = [{} for _ in self.middleware_classes]

    def without(self, skip: frozenset[str]) -> DjangoMiddlewareStack | None:
        """This stack less the classes ``skip`` names (None when none is left)."""
        keep = [i for i, c in enumerate(self.middleware_classes) if not _names(c) & skip]
        if len(keep) == len(self.middleware_classes):
            return self
        if not keep:
            return None
        other = DjangoMiddlewareStack([self.middleware_classes[i] for i in keep])
        other._kwargs = [self._kwargs[i] for i in keep]
        return other

    def _bolt_django_layer(self, get_response: Callable[[Any], Any]) -> Callable[[Any], Any]:
        return _DjangoLayer(list(zip(self.middleware_classes, self._kwargs)), get_response)

    def __repr__(self) -> str:
        return f"DjangoMiddlewareStack({[c.__name__ for c in self.middleware_classes]!r})"


class DjangoMiddleware(DjangoMiddlewareStack):
    """One Django middleware class (or its dotted path) around API routes; ``init_kwargs`` are
    passed to its constructor after ``get_response``.

    Several of them run one after the other, each its ``process_request`` part and then its
    ``process_view`` (Django runs every ``process_request`` first: use ``DjangoMiddlewareStack``
    or ``django_middleware=[...]`` when that order matters).

    Example::

        api = BoltAPI(middleware=[
            DjangoMiddleware("django.contrib.sessions.middleware.SessionMiddleware"),
            DjangoMiddleware(AuthenticationMiddleware),
        ])
    """

    def __init__(self, middleware_class: Any, **init_kwargs: Any) -> None:
        super().__init__([middleware_class])
        self.middleware_class = self.middleware_classes[0]
        self.init_kwargs = init_kwargs
        self._kwargs = [init_kwargs]

    def __repr__(self) -> str:
        return f"DjangoMiddleware({self.middleware_class.__name__})"


class _DjangoLayer:
    """One stack on one route: Django's middleware chain, built once, called per request."""

    def __init__(self, entries: list[tuple[Any, dict[str, Any]]], call_next: Callable[[Any], Any]) -> None:
        from asgiref.sync import sync_to_async
        from django.core.exceptions import ImproperlyConfigured, MiddlewareNotUsed
        from django.core.handlers.base import BaseHandler

        django_adapt = BaseHandler().adapt_method_mode

        def adapt(is_async: bool, method: Any, method_is_async: bool) -> Any:
            if is_async and not method_is_async:
                # A sync-only middleware runs on the core's pool as one request of that
                # thread, where its async_to_sync back to the loop may wait (on the core's one
                # thread-sensitive thread it would hold every other request's ORM work).
                return sync_to_async(_one_request(method), thread_sensitive=False)
            return django_adapt(is_async, method, method_is_async)

        self.call_next = call_next
        self.view_hooks: list[Callable[..., Any]] = []
        self.exception_hooks: list[Callable[..., Any]] = []
        handler: Any = self._inner
        handler_is_async = True
        # As Django's BaseHandler.load_middleware(is_async=True), without turning exceptions
        # into Django's error pages (bolt answers them).
        for cls, kwargs in reversed(entries):
            can_sync = getattr(cls, "sync_capable", True)
            can_async = getattr(cls, "async_capable", False)
            if not can_sync and not can_async:
                raise ImproperlyConfigured(
                    f"Middleware {cls.__name__} must have at least one of sync_capable/async_capable set to True."
                )
            is_async = False if (not handler_is_async and can_sync) else can_async
            try:
                instance = cls(adapt(is_async, handler, handler_is_async), **kwargs)
            except MiddlewareNotUsed:
                continue
            inline = is_async and _runs_inline(cls)
            hook = _inline_hook if inline else (lambda method: django_adapt(True, method))
            if hasattr(instance, "process_view"):
                self.view_hooks.insert(0, hook(instance.process_view))
            if hasattr(instance, "process_exception"):
                self.exception_hooks.append(hook(instance.process_exception))
            handler, handler_is_async = (_inline_call(instance) if inline else instance), is_async
        self.chain = adapt(True, handler, handler_is_async)

    async def __call__(self, request: Any) -> Any:
        outermost = "_django_request" not in request.state
        django_request = _django_request(request)
        try:
            response = await self.chain(django_request)
        finally:
            if outermost:
                # The two requests point at each other: break the cycle when the request is
                # done, or they (and what they hold) wait for the cycle collector.
                request.state.pop("_django_request", None)
                django_request.__dict__.pop("_bolt_request", None)
        if type(response) in _backed_classes():
            return response.merged()
        return to_bolt_response(response)

    async def _inner(self, django_request: Any) -> Any:
        request = django_request._bolt_request
        view = request.state.get("_view_func")
        for hook in self.view_hooks:
            answer = await hook(django_request, view, (), {})
            if answer is not None:
                return answer
        await _share(django_request, request)
        try:
            response = await self.call_next(request)
        except Exception as e:
            for hook in self.exception_hooks:
                answer = await hook(django_request, e)
                if answer is not None:
                    return answer
            raise
        if _is_django(response):
            # A Django response the handler returned already has its body.
            return response
        return _backed(response, request.state.get("_bolt_body_shape"), request.headers.get("accept"))


#: Django's hook-based middleware whose hooks only read and set headers, attributes and bodies
#: in memory: no database, cache, mail or file I/O, so they can run on the core's loop.
#: (``CsrfViewMiddleware`` reads the session when ``CSRF_USE_SESSIONS``: then it is not here.)
_INLINE = frozenset(
    {
        "django.middleware.security.SecurityMiddleware",
        "django.middleware.clickjacking.XFrameOptionsMiddleware",
        "django.middleware.common.CommonMiddleware",
        "django.middleware.gzip.GZipMiddleware",
        "django.middleware.http.ConditionalGetMiddleware",
        "django.middleware.locale.LocaleMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
    }
)


def _runs_inline(cls: Any) -> bool:
    """Whether ``cls`` is one of ``_INLINE`` itself (not a subclass that may add I/O), with
    ``MiddlewareMixin``'s own ``__call__``/``__acall__``."""
    from django.conf import settings
    from django.utils.deprecation import MiddlewareMixin

    name = f"{cls.__module__}.{cls.__qualname__}"
    if name not in _INLINE or not issubclass(cls, MiddlewareMixin):
        return False
    if name == "django.middleware.csrf.CsrfViewMiddleware" and settings.CSRF_USE_SESSIONS:
        return False
    return cls.__call__ is MiddlewareMixin.__call__ and cls.__acall__ is MiddlewareMixin.__acall__


def _inline_call(instance: Any) -> Callable[[Any], Any]:
    """``MiddlewareMixin.__acall__`` for ``instance`` with its sync hooks called in place."""
    process_request = getattr(instance, "process_request", None)
    process_response = getattr(instance, "process_response", None)
    get_response = instance.get_response

    async def call(request: Any) -> Any:
        response = process_request(request) if process_request is not None else None
        response = response or await get_response(request)
        if process_response is not None:
            response = process_response(request, response)
        return response

    return call


def _inline_hook(method: Any) -> Callable[..., Any]:
    """A sync ``process_view``/``process_exception`` of an ``_INLINE`` class, awaitable."""

    async def hook(*args: Any) -> Any:
        return method(*args)

    return hook


def _is_django(response: Any) -> bool:
    from django.http import HttpResponseBase

    return isinstance(response, HttpResponseBase)


def _one_request(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` with Django's per-request connection handling around it, for a pool thread."""
    from django.db import close_old_connections

    def one_request(*args: Any) -> Any:
        close_old_connections()
        try:
            return fn(*args)
        finally:
            close_old_connections()

    return one_request


def _django_request(request: Any) -> Any:
    """The Django ``WSGIRequest`` for bolt's request (the body is read from memory): one per
    request, shared by every Django layer of the chain, so a ``DjangoMiddleware`` sees what an
    earlier one set (``AuthenticationMiddleware`` needs ``SessionMiddleware``'s session)."""
    dj = request.state.get("_django_request")
    if dj is not None:
        return dj
    from django.core.handlers.wsgi import WSGIRequest

    from ..django_app import wsgi_environ

    environ = wsgi_environ(
        request.method,
        unquote_to_bytes(request.path),
        request.query_string,
        request._raw_headers,
        request.body,
        request.client or "",
        scheme=request.scheme,
    )
    dj = WSGIRequest(environ)
    dj._bolt_request = request
    dj._bolt_own = set(vars(dj))
    request.state["_django_request"] = dj
    return dj


async def _share(dj: Any, request: Any) -> None:
    """What Django's middleware set on its request, on bolt's."""
    own = dj._bolt_own
    for name, value in vars(dj).items():
        if name in own or name in _OWN or (name.startswith("_") and name != "_messages"):
            continue
        request.state[name] = value
    request.state["META"] = dj.META
    auser = getattr(dj, "auser", None)
    if auser is not None:
        # Loaded here, on the loop, with Django's async session and ORM calls: a lazy
        # `request.user` would raise SynchronousOnlyOperation in an async handler.
        request._user = await auser()
    elif "user" in vars(dj):
        request._user = dj.user


_BACKED: Any = None


def _backed_classes() -> tuple[Any, Any]:
    """The ``HttpResponse`` subclass a bolt response travels in through Django's middleware,
    and its streaming twin (made on first use: Django is imported lazily)."""
    global _BACKED
    if _BACKED is None:
        _BACKED = _make_backed_classes()
    return _BACKED


def _make_backed_classes() -> tuple[Any, Any]:
    from django.http import HttpResponse, StreamingHttpResponse

    def start(dj: Any, bolt: Any, shape: Any, accept: str | None) -> None:
        dj._bolt_shape = shape
        # The request's Accept: on a `renderers=` route it picks how a plain value is written.
        dj._bolt_accept = accept
        headers = bolt.headers or {}
        for k, v in headers.items() if isinstance(headers, dict) else headers:
            dj.headers[k] = v
        # A type the handler gave among its headers stays one of them (Rust sends it as it is).
        dj._bolt_had_type = "Content-Type" in dj.headers
        # Else the type Rust would send, so middleware that look at it (the debug toolbar
        # injects only into HTML) see the real one.
        if not dj._bolt_had_type:
            ct = _content_type(bolt, shape, accept)
            if ct is not None:
                dj.headers["Content-Type"] = ct
        dj._bolt_type = dj.headers.get("Content-Type")
        dj.bolt = bolt
        # The handler's cookies live where Django keeps a response's: its hooks see them, and
        # what Django carries over to a response of its own (ConditionalGetMiddleware's 304,
        # the cache's stored copy) keeps them.
        _hold_cookies(dj.cookies, bolt.cookies)

    def final_cookies(dj: Any) -> list[str]:
        return [m.OutputString() for m in dj.cookies.values()]

    def merged_headers(dj: Any, keep_type: bool) -> dict[str, str]:
        skip = _HOP if keep_type else _HOP | {"content-type"}
        return {k.lower(): v for k, v in dj.headers.items() if k.lower() not in skip}

    def bolt_kept(resp: Any, bolt: Any, cookies: list[str]) -> Any:
        """Bolt's own response (its body untouched) with the status, headers and cookies the
        hooks left on ``resp``."""
        bolt.status_code = resp.status_code
        bolt.headers = merged_headers(resp, resp._bolt_had_type)
        bolt.cookies = cookies
        return bolt

    class BoltBackedResponse(HttpResponse):
        """Bolt's response as Django's middleware see it: the status, headers and type bolt
        would send, and a body rendered (with the encoder Rust uses) only when a middleware
        reads it."""

        def __init__(self, bolt: Any, shape: Any, accept: str | None) -> None:
            super().__init__(b"", status=bolt.status_code)
            del self.headers["Content-Type"]
            start(self, bolt, shape, accept)
            # The b"" Django's constructor set is not the body: it is rendered on first read.
            self.__dict__.pop("_bolt_body", None)

        # Django's HttpResponse keeps its body in `_container` (content, iteration, write and
        # tell all go through it): rendering it here makes every one of them see the real bytes.
        @property
        def _container(self) -> list[bytes]:
            body = self.__dict__.get("_bolt_body")
            if body is None:
                rendered = _render(self.bolt, self._bolt_shape, self._bolt_accept)
                body = [rendered if rendered is not None else b""]
                self.__dict__["_bolt_body"] = body
                self.__dict__["_bolt_unknown"] = rendered is None
            return body

        @_container.setter
        def _container(self, value: list[bytes]) -> None:
            self.__dict__["_bolt_body"] = value

        def merged(self) -> Any:
            """Bolt's response with the status, headers, cookies and body Django's hooks left."""
            bolt = self.bolt
            cookies = final_cookies(self)
            ct = self.get("Content-Type")
            body = self.__dict__.get("_bolt_body")
            if body is None and ct != self._bolt_type:
                # A new type for a body nobody read: the body bolt would send, under that type.
                body = self._container
            # A body that could not be rendered here, left empty, is still bolt's to render.
            unknown = self.__dict__.get("_bolt_unknown") and not any(body or ())
            if body is not None and not unknown:
                # Read (then sent as read, the same bytes Rust would have written) or replaced.
                headers = merged_headers(self, False)
                out = Response(b"".join(body), self.status_code, headers, ct or "application/octet-stream")
                out.cookies = cookies
                return out
            return bolt_kept(self, bolt, cookies)

        def __reduce__(self) -> tuple:
            # Django's cache middleware stores the response (pickled by most backends): what it
            # keeps is a plain HttpResponse with the bytes sent, its status, headers and cookies.
            content = self.content
            if self.__dict__.get("_bolt_unknown"):
                import pickle

                raise pickle.PicklingError("this response's body is not known here: it cannot be stored")
            return (_stored_response, (content, self.status_code, list(self.items()), final_cookies(self)))

    class BoltBackedStreamingResponse(StreamingHttpResponse):
        """A streamed (or file) bolt response as Django's ``StreamingHttpResponse``: middleware
        that skip streaming responses skip it; one that reads ``streaming_content`` gets the
        chunks' bytes, and one that replaces it has its iterator sent."""

        def __init__(self, bolt: Any, shape: Any, accept: str | None) -> None:
            super().__init__((), status=bolt.status_code)
            del self.headers["Content-Type"]
            start(self, bolt, shape, accept)
            # Django's constructor set an empty iterator: not a replacement of bolt's.
            self.__dict__.pop("_bolt_iterator", None)
            self.__dict__.pop("_bolt_replaced", None)
            self.is_async = bolt._kind == _STREAM and hasattr(bolt.content, "__aiter__")

        @property
        def _iterator(self) -> Any:
            it = self.__dict__.get("_bolt_iterator")
            if it is None:
                it = _chunks(self.bolt)
                self.__dict__["_bolt_iterator"] = it
            return it

        @_iterator.setter
        def _iterator(self, value: Any) -> None:
            self.__dict__["_bolt_iterator"] = value
            self.__dict__["_bolt_replaced"] = True

        def merged(self) -> Any:
            bolt = self.bolt
            cookies = final_cookies(self)
            ct = self.get("Content-Type")
            if self.__dict__.get("_bolt_replaced") or ct != self._bolt_type:
                headers = merged_headers(self, False)
                out = StreamingResponse(self._iterator, self.status_code, headers, ct)
                if "content-encoding" not in headers:
                    # (A ping is raw bytes: inside a compressed stream it would corrupt it.)
                    out.ping_interval = getattr(bolt, "ping_interval", None)
                out.cookies = cookies
                return out
            return bolt_kept(self, bolt, cookies)

    def _chunks(bolt: Any) -> Any:
        if bolt._kind == _FILE:
            return _file_chunks(bolt.path)
        to_bytes = _event_bytes if isinstance(bolt, EventSourceResponse) else _chunk_bytes
        content = bolt.content
        if hasattr(content, "__aiter__"):

            async def chunks() -> Any:
                async for item in content:
                    yield to_bytes(item)

            return chunks()
        return map(to_bytes, content)

    return BoltBackedResponse, BoltBackedStreamingResponse


class _SetCookie(Morsel):
    """A ``Set-Cookie`` bolt wrote (``Response.set_cookie``) among a Django response's cookies:
    sent exactly as written unless a middleware sets that cookie again (then Django's
    attributes rule, as for any cookie it set)."""

    def __init__(self, header: str) -> None:
        super().__init__()
        name, _, rest = header.partition("=")
        value = rest.split(";", 1)[0].strip()
        super().set(name.strip(), value, value)
        self._header: str | None = header

    def set(self, key: str, val: str, coded_val: str) -> None:
        self._header = None
        super().set(key, val, coded_val)

    def __setitem__(self, key: str, value: Any) -> None:
        self._header = None
        super().__setitem__(key, value)

    def OutputString(self, attrs: Any = None) -> str:  # noqa: N802 - Morsel's name
        return self._header if self._header is not None else super().OutputString(attrs)

    def __reduce__(self) -> tuple:
        return (_SetCookie, (self.OutputString(),))


class _RawSetCookie(_SetCookie):
    """A ``Set-Cookie`` whose name ``SimpleCookie`` refuses (one written by hand into
    ``Response.cookies``), held in a Django response's jar all the same and sent as written."""

    def __init__(self, header: str) -> None:
        Morsel.__init__(self)
        name, _, rest = header.partition("=")
        # Morsel.set would refuse the name: its fields are filled as set fills them.
        self._key = name.strip()
        self._value = self._coded_value = rest.split(";", 1)[0].strip()
        self._header = header

    def __reduce__(self) -> tuple:
        return (_RawSetCookie, (self.OutputString(),))


def _set_cookie(header: str) -> _SetCookie | None:
    """``header`` as a cookie Django's response can hold (None: a name it refuses)."""
    try:
        return _SetCookie(header)
    except CookieError:
        return None


def _hold_cookies(jar: Any, headers: list[str]) -> None:
    """Puts bolt's ``Set-Cookie`` ``headers`` into a Django response's ``cookies`` (a
    ``SimpleCookie``), in order. A name it holds already (the same cookie for another path or
    domain) or refuses is kept under a key no cookie name can be (``;`` is not allowed in one):
    Django sends every value of the jar and carries the jar itself over to its 304, so the second
    cookie goes out wherever the first does, and ``set_cookie``/``delete_cookie`` of that name
    still change the first one only, as on Django's own responses."""
    for header in headers:
        morsel = _set_cookie(header)
        if morsel is not None and morsel.key not in jar:
            jar[morsel.key] = morsel
            continue
        if morsel is None:
            morsel = _RawSetCookie(header)
        n = 1
        while f"{morsel.key};{n}" in jar:
            n += 1
        jar[f"{morsel.key};{n}"] = morsel


def _stored_response(content: bytes, status: int, headers: list[tuple[str, str]], cookies: list[str]) -> Any:
    """What a stored (cached) bolt response comes back as: a Django ``HttpResponse`` with
    the same bytes, status, headers and cookies."""
    from django.http import HttpResponse

    response = HttpResponse(content, status=status)
    del response.headers["Content-Type"]
    for name, value in headers:
        response.headers[name] = value
    _hold_cookies(response.cookies, cookies)
    return response


def _backed(response: Any, shape: Any, accept: str | None) -> Any:
    """Bolt's response (or a plain value's ``MiddlewareResponse``) in Django's clothes."""
    import inspect

    plain, streaming = _backed_classes()
    if not isinstance(response, Response):
        value = response.content
        if inspect.isgenerator(value) or inspect.isasyncgen(value):
            # A generator return value is streamed (as Rust does at the top of the chain).
            as_stream = StreamingResponse(value, response.status_code, response.headers)
            as_stream.cookies = list(response.cookies)
            response = as_stream
    if isinstance(response, Response) and response._kind in (_STREAM, _FILE):
        return streaming(response, shape, accept)
    return plain(response, shape, accept)


def _encode(value: Any, plan: Any = None) -> bytes:
    from .. import _native
    from ..json import ENCODE_TYPES

    return _native.encode(value, ENCODE_TYPES, plan)


#: The type each renderer sends a plain value with (``Render::write`` in src/app/respond.rs);
#: ``text`` sends a value that is not a ``str`` as JSON.
_RENDERED_TYPES = {"json": "application/json", "msgpack": "application/msgpack", "text": "text/plain; charset=utf-8"}


def _renderer(shape: Any, accept: str | None) -> str | None:
    """The renderer Rust picks for this request on a ``renderers=`` route (its own choice,
    ``Render::choose``); None when none is acceptable (Rust answered 406 before the handler)."""
    from .. import _native

    return _native.choose_renderer(shape.renderers, accept)


def _content_type(bolt: Any, shape: Any, accept: str | None) -> str | None:
    """The type Rust sends ``bolt`` with (None: not known)."""
    if isinstance(bolt, Response):
        return bolt.media_type
    if shape is not None and shape.negotiated:
        name = _renderer(shape, accept)
        if name is None:
            return None
        if name == "text" and type(bolt.content) is not str:
            name = "json"
        return _RENDERED_TYPES[name]
    if type(bolt.content) is str:
        return "text/plain; charset=utf-8"
    if type(bolt.content) in (bytes, bytearray):
        return "application/octet-stream"
    return "application/json"


def _render(bolt: Any, shape: Any, accept: str | None) -> bytes | None:
    """The body Rust would write for ``bolt`` (``app::respond``), or None when it cannot be
    known here (a ``renderers=`` route none of whose renderers ``Accept`` takes: Rust answered
    406 before the handler ran, so only a middleware's own call could get here)."""
    content = bolt.content
    if isinstance(bolt, Response):
        if bolt._kind == _JSON:
            return _encode(content)
        if content is None:
            return b""
        if isinstance(content, str):
            return content.encode()
        if type(content) is bytes:
            return content
        return _encode(content)
    if shape is not None and shape.negotiated:
        name = _renderer(shape, accept)
        if name is None:
            return None
        from .. import _native
        from ..json import ENCODE_TYPES

        return _native.render(content, ENCODE_TYPES, shape.plan(), name)[0]
    if type(content) is str:
        return content.encode()
    if type(content) in (bytes, bytearray):
        return bytes(content)
    return _encode(content, shape.plan() if shape is not None else None)


def _chunk_bytes(item: Any) -> bytes:
    # As Rust writes a stream's items (app::stream): text as UTF-8, bytes as they are, anything
    # else as a JSON line.
    if isinstance(item, str):
        return item.encode()
    if isinstance(item, (bytes, bytearray, memoryview)):
        return bytes(item)
    return _encode(item) + b"\n"


def _event_bytes(item: Any) -> bytes:
    if isinstance(item, (str, bytes, bytearray, memoryview)):
        return item.encode() if isinstance(item, str) else bytes(item)
    if not isinstance(item, ServerSentEvent):
        item = ServerSentEvent(data=item)
    return item.encode()


def _file_chunks(path: str) -> Any:
    with open(path, "rb") as f:
        while chunk := f.read(1 << 16):
            yield chunk


def to_bolt_response(response: Any) -> Any:
    """A Django ``HttpResponse`` (or streaming one) as bolt's ``Response``."""
    if getattr(response, "streaming", False):
        out: Any = StreamingResponse(response.streaming_content, response.status_code)
    else:
        out = Response(response.content, response.status_code)
    out.media_type = response.get("Content-Type")
    out.headers = {k.lower(): v for k, v in response.items() if k.lower() not in _HOP and k.lower() != "content-type"}
    out.cookies = [m.OutputString() for m in response.cookies.values()]
    return out


def _dotted_paths(value: Any) -> list[str]:
    from django.core.exceptions import ImproperlyConfigured

    if isinstance(value, str) or not all(isinstance(p, str) for p in value):
        raise ImproperlyConfigured(f"django_middleware include/exclude must be a list of dotted paths, got {value!r}")
    return list(value)


def load_django_middleware(
    config: bool | list[str] | dict[str, Any] | None = True, *, exclude_defaults: bool = True
) -> list[Any]:
    """The middleware ``BoltAPI(django_middleware=config)`` runs: one ``DjangoMiddlewareStack``
    (or nothing). ``True``: ``settings.MIDDLEWARE``; a list: exactly those dotted paths, in that
    order; ``{"include": [...]}`` / ``{"exclude": [...]}``: ``settings.MIDDLEWARE`` filtered.

    Raises:
        ImproperlyConfigured: An entry is not a dotted path.
        ImportError: A path does not import.
    """
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    if config is False or config is None:
        return []
    if isinstance(config, (list, tuple)):
        paths = list(config)
    elif config is True or isinstance(config, dict):
        exclude = set(DEFAULT_EXCLUDED_MIDDLEWARE) if exclude_defaults else set()
        include = None
        if isinstance(config, dict):
            unknown = set(config) - {"include", "exclude"}
            if unknown:
                raise ImproperlyConfigured(f"django_middleware takes 'include' and 'exclude', got {sorted(unknown)}")
            if "include" in config:
                include = set(_dotted_paths(config["include"]))
            if "exclude" in config:
                exclude.update(_dotted_paths(config["exclude"]))
        paths = [
            p for p in getattr(settings, "MIDDLEWARE", []) if (include is None or p in include) and p not in exclude
        ]
    else:
        raise ImproperlyConfigured(f"django_middleware must be True, False, a list or a dict, got {config!r}")
    for p in paths:
        if not isinstance(p, str):
            raise ImproperlyConfigured(
                f"django_middleware entries must be dotted path strings, got {p!r}; to pass a class, use "
                "BoltAPI(middleware=[DjangoMiddlewareStack([...])])"
            )
    return [DjangoMiddlewareStack(paths)] if paths else []


def get_django_middleware_setting() -> list[str]:
    """``settings.MIDDLEWARE`` as a list (empty when unset)."""
    from django.conf import settings

    return list(getattr(settings, "MIDDLEWARE", []) or [])
