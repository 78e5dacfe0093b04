"""django-bolt's Rust core (src/module/: serve.rs, codec.rs, jwt.rs, csrf.rs): HTTP server, router, JSON, JWT.

Every function takes positional arguments only. The module declares per-interpreter GIL
support, so each worker's sub-interpreter imports it too; ``serve`` works only in the main one.
"""

from collections.abc import Sequence
from types import CapsuleType
from typing import Any, TypedDict

__version__: str

Plan = CapsuleType
"""A compiled type plan (``schema.plan_for``): opaque, a capsule owning the Rust plan."""

class ServeConfig(TypedDict):
    """The one argument of ``serve``, built by ``serve.native_config`` with every key given."""

    host: str
    """Address to listen on."""
    port: int
    """0..65535; 0 lets the kernel pick one (the banner says which)."""
    cores: list[int | None]
    """One entry per worker: the core id it is pinned to, or None (not pinned)."""
    driver: str
    """``"auto"``, ``"uring"`` (or ``"io_uring"``) or ``"epoll"``."""
    boot: str
    """JSON of an ``options.WorkerBoot``, handed to ``_worker.boot`` in each worker interpreter."""
    keep_alive_timeout: float
    """Seconds an idle keep-alive connection is kept (non-negative)."""
    header_timeout: float
    """Seconds a client has to send a whole request head, from the connection's start (first
    request) or the request's first byte (keep-alive); never extended by the bytes that arrive."""
    body_timeout: float
    """Seconds a request body may go without a byte arriving (then 408 and close)."""
    max_connections: int
    """Open connections per worker; one more is answered 503 (``Connection: close``) at accept."""
    max_headers: int
    """Most request header fields; more get 431."""
    shutdown_timeout: float
    """Seconds in-flight requests get to finish at shutdown (non-negative)."""
    max_body: int
    """Largest request body in bytes; larger ones get 413."""
    banner: str
    """Start of the ``listening on ...`` line printed once every worker is up."""
    isolation: str
    """``"subinterpreter"`` (each worker an own-GIL sub-interpreter) or ``"process"`` (the worker
    runs in this process's main interpreter: a process-isolation worker, ``process.py``)."""
    listen_fd: int | None
    """A listening socket to accept on instead of binding one (the process supervisor's,
    shared by every worker; never shut down here), or None."""
    status_fd: int | None
    """A pipe to report to instead of printing the banner: ``ready <drivers> <routes> <docs|->``,
    then ``recycle <requests>`` once ``max_requests`` are answered; or None."""
    max_requests: int
    """Requests after which to write ``recycle`` to ``status_fd`` (0: never)."""
    huge_pages: str
    """``"off"``: no transparent huge pages in the process; ``"on"``: the allocator's arenas ask
    for them (mimalloc's default)."""

def serve(config: ServeConfig, /) -> bool:
    """Runs the server until SIGINT/SIGTERM, then drains and returns whether every core's interpreter ended (False: one was left running a handler past ``--shutdown-timeout``, and the process must exit without finalizing Python) (OSError: cannot bind; RuntimeError: a worker failed; ValueError: bad config)."""

def check_routes(routes: list[tuple[str, str]], /) -> int:
    """Checks ``(method, path)`` pairs with the Rust router; the number of routes, or ValueError naming the first refused one."""

def check_boot(boot: str, /) -> tuple[int, str | None]:
    """Boots the project as a worker would (a new own-GIL sub-interpreter on its own thread, ``_worker.boot`` with ``boot``, an ``options.WorkerBoot`` as JSON), then ends it without serving: ``(project routes, docs path or None)``; RuntimeError with the worker's message when it fails. Main interpreter only (``bolt check``)."""

def compile_plan(root: tuple[Any, ...], defs: list[tuple[Any, ...] | None], /) -> Plan:
    """Compiles a type description from ``schema.describe`` into a plan (TypeError when it cannot)."""

def decode(plan: Plan, data: bytes | bytearray | str, /) -> Any:
    """Parses JSON into the plan's type; ValueError whose first argument is the list of FastAPI-shaped errors when it does not fit."""

def encode(obj: Any, encode_types: tuple[Any, ...], plan: Plan | None, /) -> bytes:
    """Encodes ``obj`` as JSON (``encode_types`` is ``json.ENCODE_TYPES``), checked against ``plan`` if given; TypeError otherwise."""

def render(obj: Any, encode_types: tuple[Any, ...], plan: Plan | None, renderer: str, /) -> tuple[bytes, str]:
    """A plain return value as the server writes it with ``renderer`` (``"json"``, ``"msgpack"``, ``"text"``): ``(body, media type)``; TypeError as ``encode``."""

def choose_renderer(renderers: tuple[str, ...], accept: str | None, /) -> str | None:
    """The renderer the server picks among a route's ``renderers=`` for a request's ``Accept``; None when none is acceptable (the server's 406)."""

def jwt_encode(algorithm: str, key: bytes, claims_json: bytes, kid: str | None = None, /) -> str:
    """Signs a JWT whose payload is ``claims_json``, its header naming the key ``kid`` when given (ValueError for an unknown algorithm or bad key)."""

def jwt_decode(token: str, algorithm: str, key: bytes, leeway: int, /) -> dict[str, Any]:
    """Verifies a JWT (signature, a required ``exp``, ``nbf``; ``leeway`` seconds of clock skew) and returns its claims; ValueError when invalid."""

def csrf_passes(method: str, headers: Sequence[tuple[str, str]], https: bool, /) -> bool:
    """The cross-site check of a cookie-authenticated request (src/auth/csrf.rs): safe methods pass; else ``Sec-Fetch-Site`` decides when sent, then ``Origin`` or ``Referer`` must name this scheme, ``Host`` and port."""

def jwks_publish(url: str, document: bytes | None, /) -> None:
    """Hands the key set refreshed from ``url`` to every core of the process (``auth/jwks.py``); None: the fetch failed. ValueError, the keys in use kept, when ``document`` is not a JWK set with a ``kid``'d key."""

def plan_codes() -> dict[str, int]:
    """The wire format's numeric codes (parameter sources, scalar kinds, flags) by their ``_plans.py`` names."""

def interp_id() -> int:
    """The id of the interpreter running this call (0: the main one)."""

def interpreter_count() -> int:
    """How many interpreters this process has, the main one included."""

#: An application served in the calling interpreter (``test_app``); opaque.
TestApp = CapsuleType

def test_app(runtime: Any, /) -> TestApp:
    """Builds the application of a ``_worker.Runtime(..., testing=True)`` in this interpreter (ValueError naming what its plans lack)."""

def test_request(
    app: TestApp,
    method: str,
    target: bytes,
    headers: list[tuple[bytes, bytes]],
    body: bytes,
    client: str,
    secure: bool = False,
    /,
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """Serves one request through the server's parser, dispatch and response writer: ``(status, header fields in wire order, body)``. ``secure=True``: the request arrived over HTTPS (``request.scheme`` is ``"https"``)."""

def test_ws(app: TestApp, op: int, token: int, arg: Any, /) -> Any:
    """A WebSocket served through ``app`` (``django_bolt.testing.WebSocketTestClient``).

    op 0 opens: ``arg`` is ``(target, headers, client)`` or ``(target, headers, client,
    secure)`` (``secure=True``: over TLS, ``websocket.scheme`` is ``"wss"``); returns ``(status, headers, body,
    token, sent)`` (token 0: refused). op 1 sends ``arg`` (str or bytes) to socket ``token``;
    op 2 returns what its handler sent, waiting up to ``arg`` seconds (``[(op, a, b)]``: 1 text,
    2 bytes, 3 close ``(code, reason)``, 4 end ``(code or None, reason)``); op 3 closes with
    code ``arg``."""
