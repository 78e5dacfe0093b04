"""``TestClient`` and ``AsyncTestClient``: httpx clients whose transport is the in-process server."""

from __future__ import annotations

import asyncio
import functools
import re
import threading
import weakref
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import httpx

from .. import _native
from ..auth.user_loader import activate as activate_user_loaders

if TYPE_CHECKING:
    from ..api import BoltAPI

__all__ = [
    "TestClient",
    "AsyncTestClient",
    "create_test_client",
    "BoltTestClientWarning",
    "SharedTestConnectionError",
]

_get_running_loop = asyncio.events._get_running_loop  # noqa: SLF001
_set_running_loop = asyncio.events._set_running_loop  # noqa: SLF001
#: The peer address handlers, rate limits and ``BOLT_TRUSTED_PROXIES`` see.
CLIENT_ADDRESS = "127.0.0.1"


class BoltTestClientWarning(RuntimeWarning):
    """Advice about a test set-up the test client cannot serve as asked (django-bolt's category,
    so ``warnings.simplefilter("ignore", BoltTestClientWarning)`` keeps working)."""


class SharedTestConnectionError(RuntimeError):
    """Kept for django-bolt's import path. django-bolt raises it when a handler's thread and the
    test contend for one shared database connection; here handlers run on the test's own
    thread, on its own connection, so there is no such contention and it is never raised."""


def _ensure_django() -> None:
    """Configures a minimal Django when the test did not (django-bolt's ``bootstrap_django``)."""
    import django
    from django.apps import apps
    from django.conf import settings

    if not settings.configured:
        settings.configure(
            DEBUG=False,
            SECRET_KEY="django-bolt-test-client",
            INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth"],
            DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
            USE_TZ=True,
        )
    if not apps.ready:
        django.setup()


class _Served:
    """One ``BoltAPI`` served in this interpreter: its runtime and the native application."""

    def __init__(
        self,
        api: BoltAPI | Sequence[BoltAPI],
        *,
        raise_server_exceptions: bool,
        cors_allowed_origins: list[str] | None,
        read_django_settings: bool,
        static_files_config: dict | None,
        bootstrap_django: bool,
    ) -> None:
        if bootstrap_django:
            _ensure_django()
        from .._worker import Runtime
        from ..api import BoltAPI, merge_routes
        from ..openapi.routes import docs_routes

        apis = [api] if isinstance(api, BoltAPI) else list(api)
        routes = merge_routes(apis)
        routes += docs_routes(apis, routes)
        rt = Runtime(routes, 8, 0.025, django=False, port=0, apis=apis, testing=True)
        if not read_django_settings:
            rt.static_mounts = []
            rt.cors_global = None
            rt.trusted_proxies = []
        if cors_allowed_origins is not None:
            from ..cors import _policy, project_policy

            base = project_policy() if read_django_settings else None
            origins = list(cors_allowed_origins)
            rt.cors_global = (
                _policy([o for o in origins if o != "*"], (), "*" in origins, False, _methods(), _headers(), (), 86400)
                if base is None
                else base._replace(origins=[o for o in origins if o != "*"], allow_all="*" in origins)
            )
        if static_files_config is not None:
            from .._plans import StaticMount

            prefix = "/" + static_files_config.get("url_prefix", "/static/").strip("/") + "/"
            roots = [str(d) for d in static_files_config.get("directories", [])]
            rt.static_mounts = [
                StaticMount(
                    prefix,
                    roots,
                    static_files_config.get("cache_control"),
                    csp=static_files_config.get("csp_header"),
                )
            ]
        self.runtime = rt
        self.app: Any = _native.test_app(rt)
        self.raise_server_exceptions = raise_server_exceptions
        # One request at a time per client: the loop it turns belongs to this runtime.
        self.lock = threading.Lock()
        self._closed = False

    def respond(self, request: httpx.Request, body: bytes) -> httpx.Response:
        if self._closed:
            raise RuntimeError("this test client is closed")
        with self.lock:
            # As on a server's core, no event loop runs on this thread while the request is
            # served (an async test's own is set aside): Django refuses sync database work
            # under a running loop, and a handler that suspends runs on the runtime's loop.
            outer = _get_running_loop()
            _set_running_loop(None)
            activate_user_loaders(self.runtime.user_loaders)
            try:
                status, headers, content = _native.test_request(
                    self.app,
                    request.method,
                    request.url.raw_path,
                    request.headers.raw,
                    body,
                    CLIENT_ADDRESS,
                    request.url.scheme == "https",
                )
            finally:
                _set_running_loop(outer)
            raised = self.runtime.server_exceptions
            exc = raised[-1] if raised else None
            raised.clear()
        if exc is not None and self.raise_server_exceptions:
            raise exc
        response = httpx.Response(status, headers=headers, content=content, request=request)
        if "transfer-encoding" in response.headers:
            # A streamed body (its chunks arrive here joined): the server's framing fields only,
            # not the content-length httpx adds.
            del response.headers["content-length"]
        return response

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with self.lock:
            self.app = None
            self.runtime.shutdown()


def _methods() -> list[str]:
    from ..cors import DEFAULT_METHODS

    return list(DEFAULT_METHODS)


def _headers() -> list[str]:
    from ..cors import DEFAULT_HEADERS

    return list(DEFAULT_HEADERS)


def _serve(
    client: Any,
    api: Any,
    raise_server_exceptions: bool,
    cors_allowed_origins: list[str] | None,
    read_django_settings: bool,
    static_files_config: dict | None,
    bootstrap_django: bool,
    httpx_kwargs: dict[str, Any],
) -> _Served:
    """The in-process server behind ``client`` (closed with it, or when it is collected);
    redirects followed unless ``httpx_kwargs`` says otherwise, as in django-bolt."""
    served = _Served(
        api,
        raise_server_exceptions=raise_server_exceptions,
        cors_allowed_origins=cors_allowed_origins,
        read_django_settings=read_django_settings,
        static_files_config=static_files_config,
        bootstrap_django=bootstrap_django,
    )
    client._served = served
    client._finalizer = weakref.finalize(client, _Served.close, served)
    httpx_kwargs.setdefault("follow_redirects", True)
    return served


class _Transport(httpx.BaseTransport):
    def __init__(self, served: _Served) -> None:
        self._served = served

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._served.respond(request, request.read())


class _AsyncTransport(httpx.AsyncBaseTransport):
    def __init__(self, served: _Served) -> None:
        self._served = served

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        # Served on this thread: a handler that suspends is finished on the client's own loop
        # before this returns, so the test's loop waits for it as it would for a socket.
        return self._served.respond(request, await request.aread())


#: A path (and query) httpx would send exactly as written: nothing to percent-encode.
_PLAIN_PATH = re.compile(r"/[A-Za-z0-9\-._~!$&'()*+,;=:@/?]*")
#: The keywords ``TestClient._direct`` handles itself.
_DIRECT_KEYWORDS = frozenset({"headers", "json", "content"})


@functools.lru_cache(maxsize=1024)
def _url(text: str) -> httpx.URL:
    # httpx URLs are immutable and parsing one costs more than serving /hello: a suite asks
    # for the same few URLs over and over.
    return httpx.URL(text)


def _iter_content(response: httpx.Response, chunk_size: int = 1024, decode_unicode: bool = False) -> Iterator[Any]:
    content = response.content
    for pos in range(0, len(content), chunk_size):
        chunk = content[pos : pos + chunk_size]
        yield chunk.decode(response.encoding or "utf-8") if decode_unicode else chunk


def _with_stream_methods(response: httpx.Response) -> httpx.Response:
    # django-bolt's ``stream=True``: requests-style ``iter_content``/``iter_lines`` on the response.
    response.iter_content = lambda chunk_size=1024, decode_unicode=False: _iter_content(  # type: ignore[attr-defined]
        response, chunk_size, decode_unicode
    )
    response.iter_lines = lambda decode_unicode=True: iter(  # type: ignore[method-assign]
        response.text.splitlines() if decode_unicode else response.content.splitlines()
    )
    return response


def _verb(method: str) -> Any:
    def send(self: TestClient, url: httpx.URL | str, *, stream: bool = False, **kwargs: Any) -> httpx.Response:
        return self.request(method, url, stream=stream, **kwargs)

    send.__name__ = method.lower()
    send.__doc__ = f"A {method} request: ``request({method!r}, url, ...)``."
    return send


class TestClient(httpx.Client):
    """An ``httpx.Client`` that serves ``api`` in this interpreter, on this thread.

    ``api`` is a ``BoltAPI`` or several (merged as ``bolt`` merges a project's APIs, e.g.
    ``TestClient(discover_apis())`` for the whole project).

    ``base_url`` is where requests go, as in httpx: its host is the ``Host`` sent, and an
    ``https://`` one makes them arrive as HTTPS (``request.scheme == "https"``,
    ``request.is_secure()``), as if a trusted proxy had said so.
    ``raise_server_exceptions=True`` re-raises a handler's exception in the test instead of the
    500 it would be; ``False`` gives the 500 as the server sends it. ``cors_allowed_origins``
    replaces the CORS settings' origins (``"*"`` allows any); ``read_django_settings=False``
    ignores the CORS, static and trusted-proxy settings; ``static_files_config`` (``url_prefix``,
    ``directories``, ``cache_control``, ``csp_header``) replaces the static mounts. Other keywords go to
    ``httpx.Client`` (``headers=``, ``cookies=``, ``follow_redirects=``...). Redirects are
    followed by default, as in django-bolt. Docs routes (``/docs``...) are served too.
    """

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        api: BoltAPI | Sequence[BoltAPI],
        base_url: str = "http://testserver",
        raise_server_exceptions: bool = True,
        cors_allowed_origins: list[str] | None = None,
        read_django_settings: bool = True,
        use_http_layer: bool = True,
        static_files_config: dict | None = None,
        share_db_connection: bool = True,
        bootstrap_django: bool = True,
        **kwargs: Any,
    ) -> None:
        # use_http_layer and share_db_connection are django-bolt's; here every request takes
        # the server's HTTP path and handlers always use the test's own connection.
        del use_http_layer, share_db_connection
        served = _serve(self, api, raise_server_exceptions, cors_allowed_origins, read_django_settings,
                        static_files_config, bootstrap_django, kwargs)  # fmt: skip
        super().__init__(base_url=base_url, transport=_Transport(served), **kwargs)
        self._origin = str(self._base_url).rstrip("/")
        self.api = api

    def __enter__(self) -> TestClient:
        """Runs the APIs' ``lifespan`` start-up (django-bolt's TestClient does so on ``with``)."""
        super().__enter__()
        try:
            self._served.runtime.start_lifespans()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc_info: Any) -> None:
        """Runs the lifespans' shut-down, then closes the client and its runtime."""
        try:
            self._served.runtime.stop_lifespans()
        finally:
            super().__exit__(*exc_info)
            self._finalizer()

    def close(self) -> None:
        """Closes the client and its runtime (its loop and threads; not the test's connections)."""
        super().close()
        self._finalizer()

    def request(self, method: str, url: httpx.URL | str, *, stream: bool = False, **kwargs: Any) -> httpx.Response:
        """``httpx.Client.request``; ``stream=True`` adds ``iter_content``/``iter_lines``."""
        response = self._direct(method, url, kwargs)
        if response is None:
            response = super().request(method, url, **kwargs)
        return _with_stream_methods(response) if stream else response

    def _direct(self, method: str, url: Any, kwargs: dict[str, Any]) -> httpx.Response | None:
        """The common request (a path, maybe headers and a JSON or raw body, no cookies to send)
        without httpx's per-request machinery: the same ``httpx.Request`` and
        ``httpx.Response`` objects, a third of the cost. None: take httpx's full path."""
        if (
            type(url) is not str
            or not _PLAIN_PATH.fullmatch(url)
            or not _DIRECT_KEYWORDS.issuperset(kwargs)
            or self._auth is not None
            or self._event_hooks["request"]
            or self._event_hooks["response"]
            or self._params
            or self._cookies.jar
            or self._base_url.raw_path != b"/"
        ):
            return None
        request = httpx.Request(
            method,
            _url(self._origin + url),
            headers=self._merge_headers(kwargs.get("headers")),
            content=kwargs.get("content"),
            json=kwargs.get("json"),
        )
        response = self._served.respond(request, request.read())
        if "set-cookie" in response.headers:
            self._cookies.extract_cookies(response)
        if self.follow_redirects and response.has_redirect_location:
            redirected = super().send(self._build_redirect_request(request, response), follow_redirects=True)
            redirected.history = [response, *redirected.history]
            return redirected
        return response

    # httpx's own verbs call ``request`` with every keyword filled in; these pass only what the
    # caller gave (so ``_direct`` can take the request) and accept django-bolt's ``stream=``.
    get = _verb("GET")
    options = _verb("OPTIONS")
    head = _verb("HEAD")
    post = _verb("POST")
    put = _verb("PUT")
    patch = _verb("PATCH")
    delete = _verb("DELETE")
    #: The QUERY method (a safe request with a body): ``client.query("/search", json={...})``.
    query = _verb("QUERY")


class AsyncTestClient(httpx.AsyncClient):
    """``TestClient`` for ``async def`` tests: an ``httpx.AsyncClient`` over the same in-process
    server (``await client.get(...)``, ``async with AsyncTestClient(api) as client``)."""

    __test__ = False

    def __init__(
        self,
        api: BoltAPI | Sequence[BoltAPI],
        base_url: str = "http://testserver",
        raise_server_exceptions: bool = True,
        cors_allowed_origins: list[str] | None = None,
        read_django_settings: bool = True,
        static_files_config: dict | None = None,
        bootstrap_django: bool = True,
        **kwargs: Any,
    ) -> None:
        served = _serve(self, api, raise_server_exceptions, cors_allowed_origins, read_django_settings,
                        static_files_config, bootstrap_django, kwargs)  # fmt: skip
        super().__init__(base_url=base_url, transport=_AsyncTransport(served), **kwargs)
        self.api = api

    async def __aenter__(self) -> AsyncTestClient:
        """Runs the APIs' ``lifespan`` start-up (on the in-process server's loop)."""
        await super().__aenter__()
        try:
            self._served.runtime.start_lifespans()
        except BaseException:
            await self.aclose()
            raise
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        """Runs the lifespans' shut-down, then closes the client and its runtime."""
        try:
            self._served.runtime.stop_lifespans()
        finally:
            await super().__aexit__(*exc_info)
            self._finalizer()

    async def aclose(self) -> None:
        """Closes the client and its runtime."""
        await super().aclose()
        self._finalizer()


def create_test_client(
    api: BoltAPI,
    base_url: str = "http://testserver",
    raise_server_exceptions: bool = True,
    bootstrap_django: bool = True,
    **kwargs: Any,
) -> TestClient:
    """A ``TestClient`` for ``api`` (django-bolt's helper)."""
    return TestClient(
        api,
        base_url=base_url,
        raise_server_exceptions=raise_server_exceptions,
        bootstrap_django=bootstrap_django,
        **kwargs,
    )
